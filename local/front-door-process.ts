// The Slack ingress as it is deployed, as one OS process of its own: handlers/slack.ts (and
// handlers/flagger.ts when CANARY_BOT_FLAGGER_SECRET is set) behind the local API Gateway front door,
// configured from the environment like the Lambdas:
//
//   tsx local/front-door-process.ts [--port 8080]
//
// It reports `{ type: 'ready', url, pid }` over the IPC channel when its parent opened one, otherwise as a
// JSON line on stdout. SIGTERM, SIGINT or the parent going away close it.
import { parseArgs } from 'node:util';
import { type HttpApiHandler, startFrontDoor } from './front-door.js';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });

const routes: Record<string, HttpApiHandler> = {
  'POST /slack/events': (await import('../handlers/slack.js')).handler as never,
  'GET /releases/{proxy+}': (await import('../handlers/slack.js')).handler as never,
};
if (process.env.CANARY_BOT_FLAGGER_SECRET)
  routes['ANY /flagger/{proxy+}'] = (await import('../handlers/flagger.js')).handler as never;
const door = await startFrontDoor(routes, { port: Number(values.port) });

const ready = { type: 'ready', url: door.url, pid: process.pid };
if (process.send) process.send(ready);
else process.stdout.write(`${JSON.stringify(ready)}\n`);

let closing = false;
const close = async () => {
  if (closing) return;
  closing = true;
  await door.close();
  process.exit(0);
};
process.on('SIGTERM', close);
process.on('SIGINT', close);
process.on('disconnect', close);
