/**
 * Loads the Lambda handlers named on the command line as Lambda would (module load, then one invocation) in
 * this process's environment, and prints how each invocation ended, as JSON lines: `{ handler, error }`.
 *
 * @example AWS_LAMBDA_FUNCTION_NAME=canary-bot-prod-slack tsx test/support/cold-start.ts slack worker
 */
const events: Record<string, unknown> = {
  slack: { headers: {}, body: '', isBase64Encoded: false, requestContext: { http: { method: 'POST' } } },
  worker: { Records: [] },
  tick: {},
  summary: {},
  flagger: { headers: {}, body: '{}', rawPath: '/flagger/x', requestContext: { http: { method: 'POST' } } },
};

for (const name of process.argv.slice(2)) {
  const module = (await import(`../../handlers/${name}.js`)) as {
    handler: (event: unknown, context?: unknown) => Promise<unknown>;
  };
  let error: string | undefined;
  try {
    await module.handler(events[name], {});
  } catch (thrown) {
    error = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
  }
  process.stdout.write(`${JSON.stringify({ handler: name, error })}\n`);
}
process.exit(0);
