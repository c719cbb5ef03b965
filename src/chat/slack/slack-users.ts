/**
 * What a Slack user is to the workspace the bot serves, from `users.info` (bot token, `users:read`): a member,
 * a guest (`is_restricted`, `is_ultra_restricted`), or a member of another organisation in a shared channel
 * (Slack Connect: another `team_id` and enterprise than the app's, or `is_stranger`). Looked up by the
 * worker before acting, and by the ingress for the start form's menus; cached with a bound and a time to live.
 */
import type { WebClient } from '@slack/web-api';
import { LRUCache } from 'lru-cache';
import type { UserKind } from '../../domain/release/index.js';

/** The fields of a `users.info` user that decide its kind. */
export interface SlackUserFields {
  team_id?: string;
  is_restricted?: boolean;
  is_ultra_restricted?: boolean;
  is_stranger?: boolean;
  enterprise_user?: { enterprise_id?: string };
}

/** The workspace (and Enterprise Grid organisation) the app is installed in, from `auth.test`. */
export interface AppHome {
  teamId?: string;
  enterpriseId?: string;
}

/**
 * The kind of a user. Someone of another organisation is external whatever else they are.
 *
 * @example userKindOf({ team_id: 'T0PARTNER' }, { teamId: 'T0PROD' }) // 'external'
 */
export function userKindOf(user: SlackUserFields, home: AppHome): UserKind {
  const sameTeam = user.team_id !== undefined && user.team_id === home.teamId;
  const sameOrg =
    home.enterpriseId !== undefined && user.enterprise_user?.enterprise_id === home.enterpriseId;
  if (user.is_stranger || !(sameTeam || sameOrg)) return 'external';
  if (user.is_restricted || user.is_ultra_restricted) return 'guest';
  return 'member';
}

/** Bounds of the cache of user kinds. */
export interface UserDirectoryOptions {
  /** Users kept; the least recently used go first. Default 5000. */
  max?: number;
  /** How long a kind is trusted; a guest made a member (or the reverse) is seen after this. Default 5 minutes. */
  ttlMs?: number;
}

/**
 * `userId → kind`, from `users.info` with one `auth.test` per container. A user Slack does not know to this
 * workspace (`user_not_found`) is external.
 *
 * @example const kindOf = userDirectory(slack); await kindOf('U0ALICE001') // 'member'
 */
export function userDirectory(
  slack: WebClient,
  options: UserDirectoryOptions = {},
): (userId: string) => Promise<UserKind> {
  const cache = new LRUCache<string, UserKind>({ max: options.max ?? 5000, ttl: options.ttlMs ?? 300_000 });
  let home: Promise<AppHome> | undefined;
  const appHome = (): Promise<AppHome> => {
    home ??= slack.auth.test().then(
      (answer) => ({
        ...(answer.team_id ? { teamId: answer.team_id } : {}),
        ...(answer.enterprise_id ? { enterpriseId: answer.enterprise_id } : {}),
      }),
      (error: unknown) => {
        home = undefined;
        throw error;
      },
    );
    return home;
  };
  return async (userId) => {
    const known = cache.get(userId);
    if (known) return known;
    const where = await appHome();
    let kind: UserKind;
    try {
      const answer = await slack.users.info({ user: userId });
      kind = userKindOf((answer.user ?? {}) as SlackUserFields, where);
    } catch (error) {
      if ((error as { data?: { error?: string } }).data?.error !== 'user_not_found') throw error;
      kind = 'external';
    }
    cache.set(userId, kind);
    return kind;
  };
}
