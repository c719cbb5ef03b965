// The test bed's command line: `npm run bed -- up|down|status|build`.
import { bedDown, bedStatus, bedUp, buildBinaries } from './bed.js';
import { elasticMqJars } from './elasticmq.js';

const command = process.argv[2] ?? 'status';
const say = (line: string) => process.stdout.write(`${line}\n`);

try {
  switch (command) {
    case 'up': {
      const { started } = await bedUp(say);
      if (!started) say('the bed was already running');
      for (const line of await bedStatus()) say(line);
      break;
    }
    case 'down':
      say((await bedDown()) ? 'bed stopped' : 'no bed was running');
      break;
    case 'status':
      for (const line of await bedStatus()) say(line);
      break;
    case 'build':
      say(JSON.stringify({ ...(await buildBinaries()), elasticMq: await elasticMqJars(say) }, null, 2));
      break;
    default:
      say('usage: npm run bed -- up|down|status|build');
      process.exitCode = 2;
  }
} catch (error) {
  process.stderr.write(`bed ${command} failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
