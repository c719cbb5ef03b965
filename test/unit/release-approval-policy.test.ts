import {
  type ApprovalPolicy,
  authorize,
  DEFAULT_APPROVAL_POLICY,
  InvalidApprovalPolicyError,
  validateApprovalPolicy,
} from '../../src/domain/release/index.js';
import { APPROVER, REQUESTER, started } from './release-fixtures.js';

const policy: ApprovalPolicy = {
  default: { starters: ['*'], approvers: ['*'], fourEyes: false },
  namespaces: {
    bookinfo: { starters: ['S0DEVS'], approvers: ['S0PLATFORM', APPROVER], fourEyes: true },
  },
};

const requester = { userId: REQUESTER, groupIds: ['S0DEVS', 'S0PLATFORM'] };
const stranger = { userId: 'U0STRANGER', groupIds: ['S0OTHERS'] };

describe('authorize', () => {
  it('refuses the requester approving their own release under four eyes, naming the policy', () => {
    // Prepare
    const release = started();
    // Act
    const answer = authorize('approve', requester, release, policy);
    // Assess
    expect(answer).toEqual({
      allowed: false,
      reason: `The approval policy of namespace bookinfo requires four eyes: ${REQUESTER} started this release and cannot approve it.`,
    });
  });

  it('lets an approver named by id or by user group approve', () => {
    const release = started();
    expect(authorize('approve', { userId: APPROVER, groupIds: [] }, release, policy)).toEqual({
      allowed: true,
    });
    expect(authorize('approve', { userId: 'U0OPS', groupIds: ['S0PLATFORM'] }, release, policy)).toEqual({
      allowed: true,
    });
    expect(authorize('approve', stranger, release, policy)).toEqual({
      allowed: false,
      reason:
        'The approval policy of namespace bookinfo lets only S0PLATFORM, U0APPROVER approve releases in bookinfo; U0STRANGER is not one of them.',
    });
  });

  it('lets the requester and approvers roll back, pause, resume, cancel and reject, and nobody else', () => {
    const release = started();
    for (const action of ['rollback', 'pause', 'resume', 'cancel', 'reject'] as const) {
      expect(authorize(action, requester, release, policy)).toEqual({ allowed: true });
      expect(authorize(action, { userId: APPROVER, groupIds: [] }, release, policy)).toEqual({
        allowed: true,
      });
      expect(authorize(action, stranger, release, policy)).toMatchObject({ allowed: false });
    }
  });

  it('checks who may start per namespace, falling back to the default policy', () => {
    expect(authorize('start', requester, { namespace: 'bookinfo' }, policy)).toEqual({ allowed: true });
    expect(authorize('start', stranger, { namespace: 'bookinfo' }, policy)).toEqual({
      allowed: false,
      reason:
        'The approval policy of namespace bookinfo lets only S0DEVS start releases in bookinfo; U0STRANGER is not one of them.',
    });
    expect(authorize('start', stranger, { namespace: 'weather' }, policy)).toEqual({ allowed: true });
  });

  it('by default lets anyone approve except the requester', () => {
    const release = started();
    expect(authorize('approve', stranger, release, DEFAULT_APPROVAL_POLICY)).toEqual({ allowed: true });
    expect(authorize('approve', requester, release, DEFAULT_APPROVAL_POLICY)).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/^The default approval policy requires four eyes/),
    });
  });
});

describe('validateApprovalPolicy', () => {
  it('accepts user ids, group ids and *; refuses anything else, naming the policy', () => {
    expect(() => validateApprovalPolicy(policy)).not.toThrow();
    const bad: ApprovalPolicy = {
      default: policy.default,
      namespaces: { shop: { starters: ['@alice'], approvers: [], fourEyes: true } },
    };
    expect(() => validateApprovalPolicy(bad)).toThrow(
      new InvalidApprovalPolicyError(
        'In the approval policy of namespace shop, starters lists "@alice", which is not a Slack user id (U…/W…), user group id (S…) or *.',
      ),
    );
  });
});
