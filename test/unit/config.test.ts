import { ConfigError, loadConfig } from '../../src/config.js';

const minimal = {
  CANARY_BOT_SLACK_SIGNING_SECRET: 'a-signing-secret-of-some-length',
  CANARY_BOT_SLACK_BOT_TOKEN: 'xoxb-1-2-3',
  CANARY_BOT_PROMETHEUS_URL: 'http://127.0.0.1:9090',
};
const noSecrets = async (reference: string) => {
  throw new Error(`unexpected secret reference ${reference}`);
};

describe('loadConfig', () => {
  it('fills every default from three variables', async () => {
    const config = await loadConfig(minimal, noSecrets);

    expect(config).toMatchObject({
      slack: { apiUrl: 'https://slack.com/api/' },
      clusters: {
        default: {
          kube: { mode: 'kubeconfig' },
          prometheus: { url: 'http://127.0.0.1:9090', auth: { kind: 'none' }, timeoutMs: 10_000 },
        },
      },
      defaultCluster: 'default',
      store: { kind: 'embedded' },
      policy: { default: { starters: ['*'], approvers: ['*'], fourEyes: true } },
      defaultNamespace: 'default',
    });
  });

  it('names every wrong or missing variable, never a value', async () => {
    const attempt = loadConfig(
      {
        CANARY_BOT_SLACK_BOT_TOKEN: 'not-a-token-secret-value',
        CANARY_BOT_STORE: 'dynamodb',
        CANARY_BOT_POLICY: '{"default":{"starters":["alice"],"approvers":[],"fourEyes":true}}',
      },
      noSecrets,
    );

    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    const message = await attempt.catch((e: Error) => e.message);
    expect(message).toMatch(/CANARY_BOT_SLACK_BOT_TOKEN: must be a bot token/);
    expect(message).toMatch(/CANARY_BOT_TABLE: is required when CANARY_BOT_STORE=dynamodb/);
    expect(message).toMatch(/CANARY_BOT_PROMETHEUS_URL: is required/);
    expect(message).toMatch(/CANARY_BOT_POLICY\.default\.starters\.0: must be a Slack user id/);
    expect(message).not.toMatch(/not-a-token-secret-value/);
  });

  it('reads ssm: references through the secret resolver', async () => {
    const asked: string[] = [];
    const config = await loadConfig(
      { ...minimal, CANARY_BOT_SLACK_BOT_TOKEN: 'ssm:/canary-bot/bot-token' },
      async (reference) => {
        asked.push(reference);
        return 'xoxb-from-ssm';
      },
    );

    expect(asked).toEqual(['ssm:/canary-bot/bot-token']);
    expect(config.slack.botToken).toBe('xoxb-from-ssm');
  });

  it('refuses a default cluster that is not configured', async () => {
    const attempt = loadConfig(
      {
        ...minimal,
        CANARY_BOT_CLUSTERS: JSON.stringify({ prod: { kube: { mode: 'in-cluster' } } }),
        CANARY_BOT_DEFAULT_CLUSTER: 'staging',
      },
      noSecrets,
    );

    await expect(attempt).rejects.toThrow(
      /CANARY_BOT_DEFAULT_CLUSTER: names no cluster of CANARY_BOT_CLUSTERS \(prod\)/,
    );
  });
});
