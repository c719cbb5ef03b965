/** The banner of the local Slack page. */
import { type ApprovalPolicy, isOpenPolicy } from '../src/domain/release/index.js';

/**
 * The page's banner: the local demo settings, and whether the policy is open (as `npm start`'s is unless
 * CANARY_BOT_POLICY says otherwise) — never silently.
 *
 * @example localNotice(DEFAULT_APPROVAL_POLICY) // 'Open policy: anyone in this workspace may start and approve…'
 */
export function localNotice(policy: ApprovalPolicy): string {
  const who = isOpenPolicy(policy)
    ? 'Open policy: anyone in this workspace may start and approve releases (never their own); guests and Slack Connect members are refused. In AWS the bot refuses to start without a policy that names its workspaces and approvers (CANARY_BOT_POLICY).'
    : `Policy from CANARY_BOT_POLICY${policy.workspaces ? ` (workspaces ${policy.workspaces.join(', ')})` : ' (any workspace)'}: only the people it names may start and approve.`;
  return `${who} Local demo settings: steps are analysed for 1 to 5 minutes. Set CANARY_BOT_* variables to change them.`;
}
