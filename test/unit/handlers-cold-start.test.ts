/**
 * A fresh AWS configuration, as the stack in serverless.yml sets it up, without a policy (or with one that
 * pins no workspace): every function refuses to start, with a message that says what to write. The handlers
 * are loaded as Lambda loads them, in a process of their own; they fail before any network call.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const HANDLERS = ['slack', 'worker', 'tick', 'summary', 'flagger'];

/** The environment serverless.yml gives the functions, secrets already resolved. */
const freshStack = {
  AWS_REGION: 'eu-west-1',
  CANARY_BOT_STORE: 'dynamodb',
  CANARY_BOT_TABLE: 'canary-bot-prod-releases',
  CANARY_BOT_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/canary-bot-prod-work.fifo',
  CANARY_BOT_CLUSTERS: JSON.stringify({
    prod: { kube: { mode: 'in-cluster' }, prometheus: { url: 'https://prometheus.example' } },
  }),
  CANARY_BOT_DEFAULT_NAMESPACE: 'default',
  CANARY_BOT_SUMMARY_TIME_ZONE: 'UTC',
  CANARY_BOT_SLACK_SIGNING_SECRET: 'a-signing-secret-of-some-length',
  CANARY_BOT_SLACK_BOT_TOKEN: 'xoxb-1-2-3',
  CANARY_BOT_FLAGGER_SECRET: 'a-flagger-secret-of-24-characters',
};

async function coldStart(env: Record<string, string>): Promise<{ handler: string; error?: string }[]> {
  const { stdout } = await run('node_modules/.bin/tsx', ['test/support/cold-start.ts', ...HANDLERS], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    timeout: 120_000,
  });
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { handler: string; error?: string });
}

describe('cold start in AWS', () => {
  it('refuses to start every function without a policy, saying what to write', async () => {
    const ended = await coldStart({ ...freshStack, AWS_LAMBDA_FUNCTION_NAME: 'canary-bot-prod-fn' });

    expect(ended.map((e) => e.handler)).toEqual(HANDLERS);
    for (const { error } of ended) {
      expect(error).toMatch(/^ConfigError: Invalid configuration:/);
      expect(error).toContain(
        'CANARY_BOT_POLICY: is required in AWS, so that a fresh install is not open to everyone',
      );
      expect(error).toContain('{"workspaces":["T0123ABC"],"default":{"starters":');
    }
  });

  it('refuses to start every function with a policy that pins no workspace', async () => {
    const ended = await coldStart({
      ...freshStack,
      AWS_LAMBDA_FUNCTION_NAME: 'canary-bot-prod-fn',
      CANARY_BOT_POLICY: JSON.stringify({ default: { starters: ['*'], approvers: ['*'], fourEyes: true } }),
    });

    for (const { error } of ended)
      expect(error).toMatch(/CANARY_BOT_POLICY: must name the workspaces it serves in AWS/);
  });
});
