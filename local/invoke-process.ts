// One invocation of a Lambda handler in an OS process of its own, as a scheduled function runs (the tick
// every minute from EventBridge):
//
//   tsx local/invoke-process.ts --handler handlers/tick.ts [--export handler] [--event '{"time":"…"}']
//
// It reports `{ type: 'result', value }` or `{ type: 'error', message }` over the IPC channel when its parent
// opened one, otherwise as a JSON line on stdout (the handler's own logs may share stdout), then exits.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    handler: { type: 'string' },
    export: { type: 'string', default: 'handler' },
    event: { type: 'string', default: '{}' },
  },
});
if (!values.handler) {
  process.stderr.write('usage: tsx local/invoke-process.ts --handler FILE [--export NAME] [--event JSON]\n');
  process.exit(2);
}

const report = (message: Record<string, unknown>) =>
  new Promise<void>((done) => {
    if (process.send) process.send(message, undefined, {}, () => done());
    else process.stdout.write(`${JSON.stringify(message)}\n`, () => done());
  });

let code = 0;
try {
  const module = (await import(pathToFileURL(resolve(values.handler)).href)) as Record<string, unknown>;
  const handler = module[values.export];
  if (typeof handler !== 'function')
    throw new Error(`${values.handler} exports no function ${values.export}`);
  const value = await (handler as (event: unknown, context: unknown) => Promise<unknown>)(
    JSON.parse(values.event),
    {},
  );
  await report({ type: 'result', value });
} catch (error) {
  code = 1;
  await report({ type: 'error', message: error instanceof Error ? error.message : String(error) });
}
process.exit(code);
