import type { Logger } from '../../src/app/logger.js';
import type { QueuedJob } from '../../src/app/ports/job-queue.js';
import type { ServiceCatalog } from '../../src/app/ports/service-catalog.js';
import type { SlackJob } from '../../src/chat/slack/slack-job.js';
import {
  openStartModal,
  type StartModalDependencies,
  type StartSubmissionRequest,
  startOptions,
  startSubmission,
} from '../../src/chat/slack/start-modal.js';
import type { ViewsApi } from '../../src/chat/slack/views-api.js';
import type { SlackView } from '../../src/chat/views/slack-view.js';
import { START_FIELDS, type StartField, type StartValues } from '../../src/chat/views/start-modal.js';
import { parseCommand } from '../../src/domain/command/index.js';
import type { ApprovalPolicy, UserKind } from '../../src/domain/release/index.js';

const catalog: ServiceCatalog = {
  services: async (cluster, namespace) =>
    cluster === 'prod' && namespace === 'bookinfo' ? ['details', 'ratings', 'reviews'] : [],
  versions: async (cluster, namespace, service) =>
    cluster === 'prod' && namespace === 'bookinfo' && service === 'reviews' ? ['v1', 'v2', 'v3'] : [],
};

const openPolicy: ApprovalPolicy = { default: { starters: ['*'], approvers: ['*'], fourEyes: true } };

function setup(more: { policy?: ApprovalPolicy; failQueue?: boolean } = {}) {
  const sent: QueuedJob<SlackJob>[] = [];
  const opened: { triggerId: string; view: SlackView }[] = [];
  const logged: string[] = [];
  const log: Logger = {
    info: (m) => void logged.push(m),
    warn: (m) => void logged.push(m),
    error: (m) => void logged.push(m),
  };
  const views: ViewsApi = {
    open: async (triggerId, view) => {
      if (triggerId === 'expired') throw new Error('expired_trigger_id');
      opened.push({ triggerId, view });
      return { id: 'V1', hash: 'h1' };
    },
    update: async () => ({ id: 'V1', hash: 'h2' }),
    push: async () => ({ id: 'V2', hash: 'h3' }),
    publish: async () => ({ id: 'V3', hash: 'h4' }),
  };
  const deps: StartModalDependencies = {
    queue: {
      send: async (jobs) => {
        if (more.failQueue) throw new Error('queue unavailable');
        sent.push(...jobs);
      },
    },
    policy: more.policy ?? openPolicy,
    defaultNamespace: 'bookinfo',
    defaultCluster: 'prod',
    clock: () => new Date('2026-05-01T10:00:00.000Z'),
    log,
    views,
    catalog,
    clusters: ['prod', 'staging'],
  };
  return { deps, sent, opened, logged };
}

function values(fields: Partial<Record<StartField, string>>): StartValues {
  const out: Record<string, Record<string, unknown>> = {};
  for (const field of START_FIELDS) {
    const value = fields[field];
    out[field] = {
      [`start.${field}`]:
        field === 'channel'
          ? { type: 'conversations_select', selected_conversation: value ?? null }
          : ['namespace', 'steps', 'match', 'percent', 'bake'].includes(field)
            ? { type: 'plain_text_input', value: value ?? null }
            : { type: 'static_select', selected_option: value ? { value } : null },
    };
  }
  return out as StartValues;
}

function submission(fields: Partial<Record<StartField, string>>): StartSubmissionRequest {
  return {
    trigger_id: '1234.5678.abcd',
    user: { id: 'U0ALICE', team_id: 'T0PROD' },
    team: { id: 'T0PROD' },
    view: { id: 'V0MODAL', state: { values: values({ channel: 'C0RELEASES', ...fields }) } },
    response_urls: [
      {
        block_id: 'channel',
        action_id: 'start.channel',
        channel_id: 'C0RELEASES',
        response_url: 'https://hooks.slack.test/actions/T0PROD/1/abc',
      },
    ],
  };
}

describe('startSubmission', () => {
  it('queues the job the command makes, marked as from the modal, and shows the command for next time', async () => {
    const { deps, sent } = setup();

    const answer = await startSubmission(
      deps,
      submission({ kind: 'start', service: 'reviews', version: 'v2', baseline: 'v1', steps: '10,50' }),
    );

    const text = 'start reviews v2 --ns bookinfo --from v1 --steps 10,50';
    expect(answer).toMatchObject({ response_action: 'update' });
    expect(JSON.stringify(answer)).toContain(`/canary ${text}`);
    const command = parseCommand(text);
    expect(command.ok).toBe(true);
    expect(sent).toEqual([
      {
        group: 'route:prod/bookinfo/reviews/(default)',
        dedupId: 'slack:command:1234.5678.abcd',
        body: {
          kind: 'command',
          id: '1234.5678.abcd',
          command: command.ok ? command.command : undefined,
          from: {
            userId: 'U0ALICE',
            channelId: 'C0RELEASES',
            teamId: 'T0PROD',
            responseUrl: 'https://hooks.slack.test/actions/T0PROD/1/abc',
          },
          receivedAt: '2026-05-01T10:00:00.000Z',
          via: 'modal',
          text,
        },
      },
    ]);
  });

  it('refuses versions the catalog does not have, naming those it has', async () => {
    const { deps, sent } = setup();

    const answer = await startSubmission(
      deps,
      submission({ kind: 'switch', service: 'reviews', version: 'v9', baseline: 'v0' }),
    );

    expect(answer).toEqual({
      response_action: 'errors',
      errors: {
        version:
          'reviews has no version v9 in bookinfo; it has v1, v2, v3 (reading it again now: if v9 was just added, submit again in a few seconds).',
        baseline:
          'reviews has no version v0 in bookinfo; it has v1, v2, v3 (reading it again now: if v0 was just added, submit again in a few seconds).',
      },
    });
    expect(sent).toEqual([]);
  });

  it('asks the worker to read the namespace again when a version is missing (it may have just been added)', async () => {
    const { deps } = setup();
    const asked: string[] = [];
    deps.catalog = { ...catalog, refresh: async (c, n, why) => void asked.push(`${c}/${n}:${why}`) };

    await startSubmission(deps, submission({ kind: 'start', service: 'reviews', version: 'v4' }));
    await startSubmission(deps, submission({ kind: 'start', service: 'reviews', version: 'v3' }));

    expect(asked).toEqual(['prod/bookinfo:miss']);
  });

  it('gives the form errors before anything else, and sends nothing', async () => {
    const { deps, sent } = setup();

    const answer = await startSubmission(
      deps,
      submission({ kind: 'mirror', service: 'reviews', steps: '10' }),
    );

    expect(answer).toEqual({
      response_action: 'errors',
      errors: {
        steps: 'Steps apply to canaries only; clear this field or choose Canary.',
        version: 'Name the version to release, e.g. v2.',
      },
    });
    expect(sent).toEqual([]);
  });

  it('puts the policy refusal on the namespace', async () => {
    const { deps, sent } = setup({
      policy: { default: { starters: ['U0BOB'], approvers: ['*'], fourEyes: true } },
    });

    const answer = await startSubmission(
      deps,
      submission({ kind: 'start', service: 'reviews', version: 'v2' }),
    );

    expect(answer).toEqual({
      response_action: 'errors',
      errors: { namespace: expect.stringContaining('U0ALICE') },
    });
    expect(sent).toEqual([]);
  });

  it('says nothing was started when the queue does not take the job', async () => {
    const { deps, logged } = setup({ failQueue: true });

    const answer = await startSubmission(
      deps,
      submission({ kind: 'start', service: 'reviews', version: 'v2' }),
    );

    expect(answer).toEqual({
      response_action: 'errors',
      errors: { kind: expect.stringContaining('nothing was started') },
    });
    expect(logged).toEqual(['could not hand a start from the modal to the worker']);
  });

  it('asks for a conversation when Slack gave no response URL for the card', async () => {
    const { deps } = setup();
    const body = { ...submission({ kind: 'start', service: 'reviews', version: 'v2' }), response_urls: [] };

    expect(await startSubmission(deps, body)).toEqual({
      response_action: 'errors',
      errors: { channel: expect.stringContaining('Choose a conversation') },
    });
  });
});

describe('startOptions', () => {
  const suggestion = (actionId: string, typed: string, fields: Partial<Record<StartField, string>> = {}) => ({
    action_id: actionId,
    value: typed,
    view: { state: { values: values(fields) } },
  });
  const offered = async (request: ReturnType<typeof suggestion>) =>
    (await startOptions(setup().deps, request)).options.map((o) => o.value);

  it('offers the services of the namespace entered, or of the default one', async () => {
    expect(await offered(suggestion('start.service', 'r'))).toEqual(['ratings', 'reviews']);
    expect(await offered(suggestion('start.service', '', { namespace: 'weather' }))).toEqual([]);
  });

  it('offers the versions of the service chosen, and nothing before one is', async () => {
    expect(await offered(suggestion('start.version', '', { service: 'reviews' }))).toEqual([
      'v3',
      'v2',
      'v1',
    ]);
    expect(await offered(suggestion('start.baseline', 'v1', { service: 'reviews' }))).toEqual(['v1']);
    expect(await offered(suggestion('start.version', ''))).toEqual([]);
  });

  it('offers nothing to whom the policy does not let in: a guest, another workspace, a non-starter', async () => {
    const policy: ApprovalPolicy = {
      workspaces: ['T0PROD'],
      default: { starters: ['*'], approvers: ['*'], fourEyes: true },
      namespaces: { vault: { starters: ['U0ALICE'], approvers: ['U0ALICE'], fourEyes: true } },
    };
    const kinds: Record<string, UserKind> = { U0ALICE: 'member', U0BOB: 'member', U0GINA: 'guest' };
    const { deps } = setup({ policy });
    deps.userKindOf = async (userId) => kinds[userId] ?? 'external';
    deps.catalog = {
      ...catalog,
      services: async (c, n) => (n === 'vault' ? ['secrets'] : catalog.services(c, n)),
    };
    const ask = (user: string, team: string, namespace = 'bookinfo') =>
      startOptions(deps, {
        ...suggestion('start.service', '', { namespace }),
        user: { id: user, team_id: team },
        team: { id: team },
      }).then((answer) => answer.options.length);

    expect(await ask('U0ALICE', 'T0PROD')).toBe(3);
    expect(await ask('U0GINA', 'T0PROD')).toBe(0);
    expect(await ask('U0ALICE', 'T0OTHER')).toBe(0);
    expect(await ask('U0BOB', 'T0PROD', 'vault')).toBe(0);
    expect(await ask('U0ALICE', 'T0PROD', 'vault')).toBe(1);
  });

  it('shows nothing, and never fails, when Slack cannot say in time who the person is', async () => {
    const { deps, sent } = setup();
    deps.userKindOf = async () => Promise.reject(new Error('ratelimited'));
    const ask = suggestion('start.service', '');
    expect((await startOptions(deps, { ...ask, user: { id: 'U0ALICE' } })).options).toEqual([]);
    // A submission skips the catalog check and hands the worker the start (the worker checks destinations).
    const answer = await startSubmission(
      deps,
      submission({ kind: 'start', service: 'reviews', version: 'v9' }),
    );
    expect(answer.response_action).toBe('update');
    expect(sent).toHaveLength(1);
  });

  it('asks nothing of the catalog for a cluster the bot does not know or a namespace that is no name', async () => {
    expect(await offered(suggestion('start.service', '', { cluster: 'elsewhere' }))).toEqual([]);
    expect(await offered(suggestion('start.service', '', { namespace: 'Book Info' }))).toEqual([]);
  });
});

describe('openStartModal', () => {
  it('opens the modal on the trigger, for the conversation it came from', async () => {
    const { deps, opened } = setup();

    await openStartModal(deps, {
      triggerId: 'T1',
      userId: 'U0ALICE',
      channelId: 'C0RELEASES',
      teamId: 'T0PROD',
    });

    expect(opened).toHaveLength(1);
    expect(opened[0]?.view.callback_id).toBe('canary.start');
    expect(JSON.stringify(opened[0]?.view)).toContain('"initial_conversation":"C0RELEASES"');
  });

  it('logs and returns when Slack refuses the trigger', async () => {
    const { deps, logged } = setup();

    await openStartModal(deps, { triggerId: 'expired', userId: 'U0ALICE', channelId: '', teamId: 'T0PROD' });

    expect(logged).toEqual(['could not open the start modal']);
  });
});
