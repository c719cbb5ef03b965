/**
 * Quorum approvals: a step advances once `approvals` distinct people approved it, at least one of them in the
 * quorum's group. Pure; the votes are kept in the open request (`ApprovalRequest.votes`).
 */
import type { Approval, Quorum } from './release.js';

/** One approval: what a step needs when the policy names no quorum. */
export const SINGLE_APPROVAL: Quorum = { approvals: 1 };

/** Where a quorum stands: the distinct approvers so far, how many more are needed, and whether the group is still missing. */
export interface QuorumProgress {
  readonly approvers: readonly string[];
  readonly given: number;
  readonly required: number;
  /** The group one approver must belong to, while none of the votes so far is from it. */
  readonly missingGroup?: string;
  readonly met: boolean;
}

/**
 * The progress of `votes` towards `quorum`: each person counts once, whatever the number of their votes.
 *
 * @example quorumProgress([{ actor: 'U1', … }], { approvals: 2, oneFrom: 'S0SRE' }) // { given: 1, required: 2, missingGroup: 'S0SRE', met: false, … }
 */
export function quorumProgress(votes: readonly Approval[], quorum: Quorum): QuorumProgress {
  const approvers = [...new Set(votes.map((v) => v.actor))];
  const groupMet = quorum.oneFrom === undefined || votes.some((v) => v.fromGroup === quorum.oneFrom);
  return {
    approvers,
    given: approvers.length,
    required: quorum.approvals,
    ...(groupMet ? {} : { missingGroup: quorum.oneFrom }),
    met: groupMet && approvers.length >= quorum.approvals,
  };
}

/** Whether a quorum asks for more than one plain approval. */
export function isQuorum(quorum: Quorum | undefined): quorum is Quorum {
  return quorum !== undefined && (quorum.approvals > 1 || quorum.oneFrom !== undefined);
}

/**
 * `2 of 3 approvals: U1, U2; needs one from S0SRE`, with people and groups written by `name`.
 *
 * @example quorumWords(progress, (id) => `<@${id}>`, (id) => `<!subteam^${id}>`)
 */
export function quorumWords(
  progress: QuorumProgress,
  person: (id: string) => string = (id) => id,
  group: (id: string) => string = (id) => id,
): string {
  const who = progress.approvers.length > 0 ? `: ${progress.approvers.map(person).join(', ')}` : '';
  const needs = progress.missingGroup ? `; needs one from ${group(progress.missingGroup)}` : '';
  return `${progress.given} of ${progress.required} approval${progress.required === 1 ? '' : 's'}${who}${needs}`;
}
