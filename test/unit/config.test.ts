import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metricsByCluster, storeOf } from '../../handlers/compose/parts.js';
import { sqsQueueOf } from '../../handlers/compose/queue.js';
import { ConfigError, loadConfig } from '../../src/config.js';

const minimal = {
  CANARY_BOT_SLACK_SIGNING_SECRET: 'a-signing-secret-of-some-length',
  CANARY_BOT_SLACK_BOT_TOKEN: 'xoxb-1-2-3',
  CANARY_BOT_PROMETHEUS_URL: 'http://127.0.0.1:9090',
};
const rule = () => ({ starters: ['*'], approvers: ['S0SRE'], fourEyes: true });
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

  it('gives every cluster without a Prometheus of its own the one of CANARY_BOT_PROMETHEUS, auth included', async () => {
    // Act
    const config = await loadConfig(
      {
        CANARY_BOT_PROMETHEUS: JSON.stringify({
          url: 'https://prometheus.example.com',
          auth: { kind: 'bearer', token: 'a-bearer-token-value' },
          retries: 0,
        }),
        CANARY_BOT_CLUSTERS: JSON.stringify({
          prod: { kube: { mode: 'in-cluster' } },
          staging: { kube: { mode: 'in-cluster' }, prometheus: { url: 'http://prometheus.staging:9090' } },
        }),
      },
      noSecrets,
    );
    // Assess
    expect(config.clusters.prod?.prometheus).toMatchObject({
      url: 'https://prometheus.example.com',
      auth: { kind: 'bearer' },
      retries: 0,
    });
    expect(config.clusters.staging?.prometheus.url).toBe('http://prometheus.staging:9090');
    expect(() => metricsByCluster(config)('qa')).toThrow(/qa.*prod, staging/);
  });

  it('refuses, by name, a cluster whose releases could not be judged', async () => {
    const attempt = loadConfig(
      {
        CANARY_BOT_CLUSTERS: JSON.stringify({
          prod: { kube: { mode: 'in-cluster' }, prometheus: { url: 'http://prometheus.prod:9090' } },
          edge: { kube: { mode: 'in-cluster' } },
        }),
      },
      noSecrets,
    );
    await expect(attempt).rejects.toThrow(/cluster edge has no prometheus/);
  });

  it('requires a policy in AWS, so that a fresh install is not open to everyone', async () => {
    const attempt = loadConfig({ ...minimal, AWS_LAMBDA_FUNCTION_NAME: 'canary-bot-prod-worker' }, noSecrets);
    await expect(attempt).rejects.toThrow(/CANARY_BOT_POLICY: is required in AWS/);
  });

  it('reads a policy that pins workspaces, with rules per cluster and namespace', async () => {
    const policy = {
      workspaces: ['T0PROD', 'E0ACME'],
      default: { starters: ['S0DEVS'], approvers: ['S0SRE'], fourEyes: true },
      namespaces: {
        payments: {
          starters: ['S0PAY'],
          approvers: ['S0PAY', 'S0SRE'],
          fourEyes: true,
          allowGuests: true,
          quorum: { approvals: 2, oneFrom: 'S0SRE' },
          reasons: ['approve', 'rollback'],
        },
      },
      clusters: {
        default: {
          default: { starters: ['S0SRE'], approvers: ['S0SRE'], fourEyes: true, approveFromAnyChannel: true },
        },
      },
    };
    const config = await loadConfig({ ...minimal, CANARY_BOT_POLICY: JSON.stringify(policy) }, noSecrets);
    expect(config.policy).toEqual(policy);
  });

  it.each([
    [
      'a misspelt key at the top',
      { workspace: ['T0PROD'] },
      /CANARY_BOT_POLICY: Unrecognized key: "workspace"/,
    ],
    [
      'a misspelt key in a rule',
      { namespaces: { shop: { ...rule(), allowGuest: true } } },
      /CANARY_BOT_POLICY\.namespaces\.shop: Unrecognized key: "allowGuest"/,
    ],
    [
      'a channel id as a workspace',
      { workspaces: ['C0RELEASES'] },
      /CANARY_BOT_POLICY\.workspaces\.0: must be a workspace id/,
    ],
    [
      'no workspace at all',
      { workspaces: [] },
      /CANARY_BOT_POLICY\.workspaces: must list at least one workspace/,
    ],
    [
      'a cluster the bot does not know',
      { clusters: { prdo: { default: rule() } } },
      /CANARY_BOT_POLICY: names cluster prdo, which CANARY_BOT_CLUSTERS does not declare \(default\)/,
    ],
    [
      'a quorum of none',
      { namespaces: { shop: { ...rule(), quorum: { approvals: 0 } } } },
      /CANARY_BOT_POLICY\.namespaces\.shop\.quorum\.approvals: Too small/,
    ],
    [
      'a quorum beyond ten',
      { namespaces: { shop: { ...rule(), quorum: { approvals: 11 } } } },
      /CANARY_BOT_POLICY\.namespaces\.shop\.quorum\.approvals: Too big/,
    ],
    [
      'a person as the quorum group',
      { namespaces: { shop: { ...rule(), quorum: { approvals: 2, oneFrom: 'U0BOB' } } } },
      /CANARY_BOT_POLICY\.namespaces\.shop\.quorum\.oneFrom: must be a user group id/,
    ],
    [
      'a quorum one approver cannot meet',
      {
        namespaces: {
          shop: { starters: ['*'], approvers: ['U0ALICE'], fourEyes: true, quorum: { approvals: 2 } },
        },
      },
      /In the approval policy of namespace shop, the quorum asks for 2 distinct approvers but approvers names only one person: no step could ever be approved\./,
    ],
    [
      'a reason for an action that takes none',
      { namespaces: { shop: { ...rule(), reasons: ['pause'] } } },
      /CANARY_BOT_POLICY\.namespaces\.shop\.reasons\.0: Invalid option/,
    ],
  ])('refuses a policy with %s instead of ignoring it', async (_what, extra, message) => {
    const policy = { default: rule(), ...extra };
    const attempt = loadConfig({ ...minimal, CANARY_BOT_POLICY: JSON.stringify(policy) }, noSecrets);
    await expect(attempt).rejects.toThrow(message);
  });

  it('requires the policy to pin its workspaces in AWS', async () => {
    const attempt = loadConfig(
      {
        ...minimal,
        AWS_LAMBDA_FUNCTION_NAME: 'canary-bot-prod-worker',
        CANARY_BOT_POLICY: JSON.stringify({ default: rule() }),
      },
      noSecrets,
    );
    await expect(attempt).rejects.toThrow(
      /CANARY_BOT_POLICY: must name the workspaces it serves in AWS \("workspaces":\["T0123ABC"\]\)/,
    );
  });

  it("reads release options with a namespace's own, and refuses an unknown option", async () => {
    const config = await loadConfig(
      {
        ...minimal,
        CANARY_BOT_RELEASE_OPTIONS: JSON.stringify({
          approvalExpirySeconds: 600,
          namespaces: { payments: { onFailure: 'pause' } },
        }),
      },
      noSecrets,
    );
    expect(config.releaseOptions).toEqual({
      approvalExpirySeconds: 600,
      namespaces: { payments: { onFailure: 'pause' } },
    });
    await expect(
      loadConfig({ ...minimal, CANARY_BOT_RELEASE_OPTIONS: '{"approvalExpiry": 600}' }, noSecrets),
    ).rejects.toThrow(/CANARY_BOT_RELEASE_OPTIONS/);
  });

  it('reads a bake per namespace, and refuses one outside 0 or 1 minute to 24 hours', async () => {
    const config = await loadConfig(
      {
        ...minimal,
        CANARY_BOT_RELEASE_OPTIONS: JSON.stringify({ namespaces: { payments: { bakeSeconds: 1800 } } }),
      },
      noSecrets,
    );
    expect(config.releaseOptions.namespaces?.payments).toEqual({ bakeSeconds: 1800 });
    for (const bakeSeconds of [30, 86_401, 90.5])
      await expect(
        loadConfig({ ...minimal, CANARY_BOT_RELEASE_OPTIONS: JSON.stringify({ bakeSeconds }) }, noSecrets),
      ).rejects.toThrow(/CANARY_BOT_RELEASE_OPTIONS.*bakeSeconds/);
  });

  it('keeps the embedded store in CANARY_BOT_STORE_FILE across a restart', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'canary-bot-config-'));
    try {
      const config = await loadConfig(
        { ...minimal, CANARY_BOT_STORE_FILE: join(dir, 'store.json') },
        noSecrets,
      );
      // Act
      await (await storeOf(config)).putRecord('note', 'n1', { text: 'kept' });
      const reopened = await storeOf(config);
      // Assess
      expect(config.store).toEqual({ kind: 'embedded', file: join(dir, 'store.json') });
      expect((await reopened.getRecord<{ text: string }>('note', 'n1'))?.value).toEqual({ text: 'kept' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names CANARY_BOT_QUEUE_URL when a function that sends jobs has no queue', async () => {
    const config = await loadConfig(minimal, noSecrets);
    expect(() => sqsQueueOf(config)).toThrow(/CANARY_BOT_QUEUE_URL: is required/);
  });
});
