/**
 * The start modal on Slack: the "New release" button opens it, its version menus ask the (cached) service
 * catalog, and its submission becomes the very job `/canary start …` makes. Everything answers within
 * Slack's 3 seconds, and nothing throws into Bolt once Slack has its answer.
 */
import type { App } from '@slack/bolt';
import { describeError } from '../../app/logger.js';
import type { ServiceCatalog } from '../../app/ports/service-catalog.js';
import { type LaunchOptions, parseCommand } from '../../domain/command/index.js';
import {
  type Actor,
  authorize,
  authorizeOrigin,
  ruleFor,
  type UserKind,
} from '../../domain/release/index.js';
import { isDnsLabel } from '../../domain/validation/index.js';
import type { ModalView } from '../views/slack-view.js';
import {
  NEW_RELEASE_ACTION_ID,
  START_CALLBACK_ID,
  type StartField,
  type StartValues,
  startActionId,
  startFieldOf,
  startFieldValue,
  startFromSubmission,
  startingView,
  startModal,
  startSuggestions,
  type ViewOption,
} from '../views/start-modal.js';
import { homeTabRequester, queuedSlackJob, type SlackJob } from './slack-job.js';
import { type ListenerDependencies, launchRefusal } from './slack-listeners.js';
import type { ViewsApi } from './views-api.js';

/** What the start modal needs besides the listeners' dependencies. */
export type StartModalDependencies = ListenerDependencies & {
  views: ViewsApi;
  /**
   * The worker's record of each namespace (`storedCatalog`): suggestions and submissions must answer within
   * Slack's 3 seconds. `refresh` asks the worker to read a namespace again now (a version added moments ago).
   */
  catalog: ServiceCatalog & { refresh?(cluster: string, namespace: string, why?: 'miss'): Promise<void> };
  /** What a person is to the workspace (guest, external): the catalog is shown only to whom the policy lets in. */
  userKindOf?: (userId: string) => Promise<UserKind>;
  /** The configured clusters (the default one among them). */
  clusters: readonly string[];
};

/** Who opens the modal, with the trigger_id of their click or command (usable once, for 3 seconds). */
export interface StartModalRequest {
  triggerId: string;
  userId: string;
  /** Where it was opened ('' from the App Home tab): the conversation the card goes to unless changed. */
  channelId: string;
  teamId: string;
  enterpriseId?: string;
}

/**
 * Opens the start modal. Never throws: a refused `views.open` (an expired trigger, most often) is logged,
 * and answered with a sentence for the person.
 *
 * @example await openStartModal(deps, { triggerId: command.trigger_id, userId, channelId, teamId });
 */
export async function openStartModal(
  deps: StartModalDependencies,
  request: StartModalRequest,
): Promise<string | undefined> {
  try {
    await deps.views.open(
      request.triggerId,
      startModal({
        clusters: deps.clusters,
        defaultCluster: deps.defaultCluster,
        defaultNamespace: deps.defaultNamespace,
        ...(request.channelId ? { channelId: request.channelId } : {}),
      }),
    );
  } catch (error) {
    deps.log.warn('could not open the start modal', {
      userId: request.userId,
      teamId: request.teamId,
      error: describeError(error),
    });
    return 'The form could not be opened in time; nothing was changed. Try again, or type the command: `/canary help start`.';
  }
  return undefined;
}

/** A `block_suggestion` of the modal, as far as the options need it. */
export interface StartSuggestionRequest {
  action_id: string;
  value: string;
  user?: { id: string; team_id?: string };
  team?: { id: string } | null;
  enterprise?: { id: string } | null;
  view?: { state?: { values?: StartValues } };
}

/**
 * The options of one of the modal's catalog menus, from what is entered so far: the services of the
 * namespace (and cluster), or the versions of the chosen service. Never throws; nothing to offer is `[]`.
 *
 * @example await startOptions(deps, { action_id: 'start.version', value: 'v', view }) // { options: [v3, v2, v1] }
 */
export async function startOptions(
  deps: StartModalDependencies,
  request: StartSuggestionRequest,
): Promise<{ options: ViewOption[] }> {
  const field = startFieldOf(request.action_id);
  if (field !== 'service' && field !== 'version' && field !== 'baseline') return { options: [] };
  const values = request.view?.state?.values ?? {};
  const { cluster, namespace } = placeOf(deps, values);
  const service = startFieldValue(values, 'service');
  if (!knownCluster(deps, cluster) || !isDnsLabel(namespace)) return { options: [] };
  if (field !== 'service' && !isDnsLabel(service)) return { options: [] };
  const teamId = request.team?.id ?? request.user?.team_id;
  const who = {
    userId: request.user?.id ?? '',
    teamId: teamId ?? '',
    ...(request.enterprise?.id ? { enterpriseId: request.enterprise.id } : {}),
  };
  try {
    if (!(await mayReadCatalog(deps, who, namespace, cluster))) return { options: [] };
    const items =
      field === 'service'
        ? await deps.catalog.services(cluster, namespace)
        : await deps.catalog.versions(cluster, namespace, service);
    return startSuggestions(field, request.value ?? '', items);
  } catch (error) {
    deps.log.warn('could not suggest from the service catalog', { field, error: describeError(error) });
    return { options: [] };
  }
}

/** A `view_submission` of the modal, as far as the submission needs it (Bolt's `ViewSubmitAction` is one). */
export interface StartSubmissionRequest {
  trigger_id: string;
  user: { id: string; team_id?: string };
  team: { id: string } | null;
  enterprise?: { id: string };
  view: { id: string; state: { values: StartValues } };
  response_urls?: { block_id: string; action_id: string; channel_id: string; response_url: string }[];
}

/** What the submission is answered with. */
export type StartSubmissionResponse =
  | { response_action: 'update'; view: ModalView }
  | { response_action: 'errors'; errors: Partial<Record<StartField, string>> };

/**
 * Reads a submission and, if it holds, hands the worker the job the equivalent command makes: the form
 * and the grammar, then the catalog (the versions must exist), then the policy's pre-check, then the
 * queue. The answer is the modal to show next, or errors by field. Never throws.
 *
 * @example await startSubmission(deps, body) // { response_action: 'update', view: startingView('start reviews v2 --ns bookinfo') }
 */
export async function startSubmission(
  deps: StartModalDependencies,
  body: StartSubmissionRequest,
): Promise<StartSubmissionResponse> {
  const reference = body.trigger_id || body.view.id;
  try {
    const defaults = { namespace: deps.defaultNamespace, cluster: deps.defaultCluster };
    const read = startFromSubmission(body.view.state.values, defaults);
    if (!read.ok) return { response_action: 'errors', errors: read.errors };
    const command = read.command;
    const cluster = command.cluster ?? deps.defaultCluster;
    const namespace = command.namespace ?? deps.defaultNamespace;
    if (!knownCluster(deps, cluster))
      return errors('cluster', `There is no cluster ${cluster}; the bot knows ${deps.clusters.join(', ')}.`);

    const postTo = body.response_urls?.find(
      (r) => r.block_id === 'channel' && r.action_id === startActionId('channel'),
    );
    const channelId = startFieldValue(body.view.state.values, 'channel') || postTo?.channel_id || '';
    if (!postTo || channelId.length === 0)
      return errors('channel', 'Choose a conversation for the release card: one the bot is in.');
    const teamId = body.team?.id ?? body.user.team_id ?? '';
    const from = {
      userId: body.user.id,
      channelId,
      teamId,
      ...(body.enterprise?.id ? { enterpriseId: body.enterprise.id } : {}),
    };

    const refused = launchRefusal(deps, command, from);
    if (refused !== undefined) return errors('namespace', refused);
    // The catalog is checked only for whom it may be shown; for anyone else the worker decides.
    if (await mayReadCatalog(deps, from, namespace, cluster)) {
      const missing = await missingVersions(deps, command, cluster, namespace);
      if (missing) return { response_action: 'errors', errors: missing };
    }

    const job: SlackJob = {
      kind: 'command',
      id: reference,
      command: read.command,
      from: { ...from, responseUrl: postTo.response_url },
      receivedAt: deps.clock().toISOString(),
      via: 'modal',
      text: read.text,
    };
    try {
      await deps.queue.send([queuedSlackJob(job, defaults)]);
    } catch (error) {
      deps.log.error('could not hand a start from the modal to the worker', {
        jobId: job.id,
        error: describeError(error),
      });
      return errors(
        'kind',
        `The bot could not take this right now; nothing was started. Try again in a moment (reference ${job.id}).`,
      );
    }
    return { response_action: 'update', view: startingView(read.text) };
  } catch (error) {
    deps.log.error('could not read a submission of the start modal', {
      jobId: reference,
      error: describeError(error),
    });
    return errors('kind', `Something went wrong; nothing was started (reference ${reference}).`);
  }
}

/**
 * Registers the start modal: the "New release" button, the catalog menus and the submission.
 *
 * @example registerStartModal(app, { ...listenerDeps, views: webClientViews(app.client), catalog, clusters: ['prod'] });
 */
export function registerStartModal(app: App, deps: StartModalDependencies): void {
  app.action(NEW_RELEASE_ACTION_ID, async ({ ack, body }) => {
    await ack();
    if (body.type !== 'block_actions') return;
    await openStartModal(deps, {
      triggerId: body.trigger_id,
      userId: body.user.id,
      channelId: body.channel?.id ?? '',
      teamId: body.team?.id ?? body.user.team_id ?? '',
      ...(body.enterprise?.id ? { enterpriseId: body.enterprise.id } : {}),
    });
  });

  app.options({ type: 'block_suggestion', action_id: /^start\./ }, async ({ ack, body }) => {
    const answer = await startOptions(deps, body as unknown as StartSuggestionRequest);
    await ack(answer as never);
  });

  app.view(START_CALLBACK_ID, async ({ ack, body }) => {
    if (body.type !== 'view_submission') {
      await ack();
      return;
    }
    await ack((await startSubmission(deps, body as unknown as StartSubmissionRequest)) as never);
  });
}

/**
 * Without a views API (no bot token at the ingress) no form can be opened: the Home tab's **New release**
 * then brings the command's help for `start` in the app's Messages tab, through the worker.
 *
 * @example registerStartFallback(app, listenerDeps);
 */
export function registerStartFallback(app: App, deps: ListenerDependencies): void {
  app.action(NEW_RELEASE_ACTION_ID, async ({ ack, body }) => {
    await ack();
    const help = parseCommand('help start');
    if (body.type !== 'block_actions' || !help.ok) return;
    const job: SlackJob = {
      kind: 'command',
      id: body.trigger_id,
      command: help.command,
      from: homeTabRequester(body),
      receivedAt: deps.clock().toISOString(),
    };
    try {
      await deps.queue.send([
        queuedSlackJob(job, { namespace: deps.defaultNamespace, cluster: deps.defaultCluster }),
      ]);
    } catch (error) {
      deps.log.warn('could not hand a New release click to the worker', { error: describeError(error) });
    }
  });
}

function errors(field: StartField, message: string): StartSubmissionResponse {
  return { response_action: 'errors', errors: { [field]: message } };
}

/** The cluster and namespace entered so far, the defaults where nothing is. */
function placeOf(deps: StartModalDependencies, values: StartValues): { cluster: string; namespace: string } {
  return {
    cluster: startFieldValue(values, 'cluster') || deps.defaultCluster,
    namespace: startFieldValue(values, 'namespace') || deps.defaultNamespace,
  };
}

/**
 * Whether the catalog of `namespace` may be shown to this person: their workspace and kind (guest, external)
 * pass the namespace's rule, and they may start there, or the rule names user groups (then the worker
 * decides, and a start is refused there if they are in none).
 */
async function mayReadCatalog(
  deps: StartModalDependencies,
  who: { userId: string; teamId: string; enterpriseId?: string },
  namespace: string,
  cluster: string,
): Promise<boolean> {
  let kind: UserKind | undefined;
  if (deps.userKindOf) {
    // Within Slack's three seconds: a slow or refused users.info shows nothing (the worker still decides).
    try {
      kind = await within(USER_KIND_WAIT_MS, deps.userKindOf(who.userId));
    } catch (error) {
      deps.log.warn('could not tell whether the person may see the catalog', {
        userId: who.userId,
        error: describeError(error),
      });
      return false;
    }
  }
  const actor: Actor = {
    userId: who.userId,
    groupIds: [],
    ...(kind ? { kind } : {}),
    origin: { teamId: who.teamId, ...(who.enterpriseId ? { enterpriseId: who.enterpriseId } : {}) },
  };
  const found = ruleFor(deps.policy, namespace, cluster);
  if (!authorizeOrigin(actor, deps.policy, found).allowed) return false;
  return (
    authorize('start', actor, { namespace, cluster }, deps.policy).allowed ||
    found.rule.starters.some((principal) => principal.startsWith('S'))
  );
}

/** How long the form's menus wait for `users.info` (a cold container adds `auth.test` before it). */
const USER_KIND_WAIT_MS = 800;

/** The promise's value, or a rejection once `ms` have passed. */
async function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

function knownCluster(deps: StartModalDependencies, cluster: string): boolean {
  return cluster === deps.defaultCluster || deps.clusters.includes(cluster);
}

/** Errors for the canary and baseline versions the catalog does not have, naming those it has. */
async function missingVersions(
  deps: StartModalDependencies,
  command: LaunchOptions,
  cluster: string,
  namespace: string,
): Promise<Partial<Record<StartField, string>> | undefined> {
  let known: string[];
  try {
    known = await deps.catalog.versions(cluster, namespace, command.service);
  } catch (error) {
    deps.log.warn('could not read the versions of a service', { error: describeError(error) });
    known = [];
  }
  const shown = known.length > 20 ? [...known.slice(0, 20), `${known.length - 20} more`] : known;
  const has = `; it has ${shown.join(', ')}`;
  // Nothing known (a Service per version, or a catalog not read yet): the worker checks the destinations.
  if (known.length === 0) return undefined;
  const sentence = (version: string) =>
    `${command.service} has no version ${version} in ${namespace}${has} (reading it again now: if ${version} was just added, submit again in a few seconds).`;
  const found: Partial<Record<StartField, string>> = {};
  if (!known.includes(command.canaryVersion)) found.version = sentence(command.canaryVersion);
  if (command.baselineVersion !== undefined && !known.includes(command.baselineVersion))
    found.baseline = sentence(command.baselineVersion);
  if (Object.keys(found).length === 0) return undefined;
  // The record may predate the version (it is read at most once a minute): ask for a read now.
  await deps.catalog
    .refresh?.(cluster, namespace, 'miss')
    .catch((error: unknown) =>
      deps.log.warn('could not ask for a fresh service catalog', { error: describeError(error) }),
    );
  return found;
}
