import { localNotice } from '../../local/notice.js';
import {
  type Actor,
  type ApprovalPolicy,
  authorize,
  DEFAULT_APPROVAL_POLICY,
  InvalidApprovalPolicyError,
  isOpenPolicy,
  type Release,
  validateApprovalPolicy,
} from '../../src/domain/release/index.js';
import { APPROVER, REQUESTER, started, T0 } from './release-fixtures.js';

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

describe('authorize: who asks from where', () => {
  const pinned: ApprovalPolicy = {
    workspaces: ['T0PROD'],
    default: { starters: ['*'], approvers: ['*'], fourEyes: true },
  };
  const from = (origin: Partial<NonNullable<Actor['origin']>>, kind: Actor['kind'] = 'member'): Actor => ({
    userId: 'U0OPS',
    groupIds: [],
    kind,
    origin: { teamId: 'T0PROD', channelId: 'C0RELEASES', ...origin },
  });

  it('looks namespaces up as own properties: --ns constructor is a namespace like any other', () => {
    for (const namespace of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(authorize('start', stranger, { namespace }, policy)).toEqual({ allowed: true });
    }
  });

  it('refuses a sandbox workspace when the policy pins the production one', () => {
    const release = started();
    expect(authorize('approve', from({ teamId: 'T0SANDBOX' }), release, pinned)).toEqual({
      allowed: false,
      reason:
        'The approval policy lets only workspaces T0PROD act on releases; this request came from workspace T0SANDBOX.',
    });
    expect(
      authorize('start', from({ teamId: 'T0SANDBOX' }), { namespace: 'bookinfo' }, pinned),
    ).toMatchObject({
      allowed: false,
    });
    expect(authorize('approve', from({}), release, pinned)).toEqual({ allowed: true });
  });

  it('accepts an Enterprise Grid organisation by its id, and refuses a request that names no workspace', () => {
    const grid: ApprovalPolicy = { ...pinned, workspaces: ['E0ACME'] };
    expect(authorize('approve', from({ teamId: 'T0ANY', enterpriseId: 'E0ACME' }), started(), grid)).toEqual({
      allowed: true,
    });
    expect(authorize('approve', { userId: 'U0OPS', groupIds: [] }, started(), grid)).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/came from no workspace/),
    });
  });

  it('refuses guests and external members unless the rule allows them', () => {
    const release = started();
    expect(authorize('approve', from({}, 'guest'), release, pinned)).toEqual({
      allowed: false,
      reason:
        'The default approval policy does not let guests act on releases; U0OPS is a guest of the workspace.',
    });
    expect(authorize('approve', from({}, 'external'), release, pinned)).toEqual({
      allowed: false,
      reason:
        'The default approval policy does not let members of other organisations (Slack Connect) act on releases; U0OPS is one.',
    });
    const lenient: ApprovalPolicy = {
      ...pinned,
      default: { ...pinned.default, allowGuests: true, allowExternal: true },
    };
    expect(authorize('approve', from({}, 'guest'), release, lenient)).toEqual({ allowed: true });
    expect(authorize('approve', from({}, 'external'), release, lenient)).toEqual({ allowed: true });
  });

  it("ties an approval to its release's channel unless the rule allows approvals from elsewhere", () => {
    const release = started();
    expect(authorize('approve', from({ channelId: 'C0ELSEWHERE' }), release, pinned)).toEqual({
      allowed: false,
      reason:
        'The default approval policy takes approvals only in the channel of the release (<#C0RELEASES>); this one came from <#C0ELSEWHERE>.',
    });
    // Going back is never tied to the card: anyone allowed may stop a release from anywhere.
    expect(authorize('rollback', from({ channelId: 'C0ELSEWHERE' }), release, pinned)).toEqual({
      allowed: true,
    });
    const anywhere: ApprovalPolicy = {
      ...pinned,
      default: { ...pinned.default, approveFromAnyChannel: true },
    };
    expect(authorize('approve', from({ channelId: 'C0ELSEWHERE' }), release, anywhere)).toEqual({
      allowed: true,
    });
  });

  it("counts a click on the App Home tab (no channel) as coming from outside the card's channel", () => {
    const release = started();
    expect(authorize('approve', from({ channelId: '' }), release, pinned)).toEqual({
      allowed: false,
      reason:
        'The default approval policy takes approvals only in the channel of the release (<#C0RELEASES>); this one came from the App Home tab.',
    });
    expect(authorize('rollback', from({ channelId: '' }), release, pinned)).toEqual({ allowed: true });
    const anywhere: ApprovalPolicy = {
      ...pinned,
      default: { ...pinned.default, approveFromAnyChannel: true },
    };
    expect(authorize('approve', from({ channelId: '' }), release, anywhere)).toEqual({ allowed: true });
  });

  it('ties a resume after a halt the bot raised to the card too, as the approval it is', () => {
    const halted: Release = {
      ...started(),
      phase: 'paused',
      pause: { reason: 'drift', from: 'analysing', at: T0, actor: 'canary-bot', detail: 'changed by hand' },
    };
    expect(authorize('resume', from({ channelId: 'C0ELSEWHERE' }), halted, pinned)).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/takes approvals only in the channel of the release/),
    });
    expect(authorize('resume', from({}), halted, pinned)).toEqual({ allowed: true });
  });

  it('refuses an approval from another workspace than the release was started in', () => {
    const release = started(undefined, { meta: { channel: 'C0RELEASES', team: 'T0PROD' } });
    const both: ApprovalPolicy = { ...pinned, workspaces: ['T0PROD', 'T0OTHER'] };
    expect(authorize('approve', from({ teamId: 'T0OTHER' }), release, both)).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/only in the channel of the release .*workspace T0OTHER/),
    });
  });

  it('keys rules by cluster and namespace, with a default per cluster', () => {
    const clustered: ApprovalPolicy = {
      default: { starters: ['*'], approvers: ['*'], fourEyes: true },
      namespaces: { bookinfo: { starters: ['*'], approvers: ['*'], fourEyes: true } },
      clusters: {
        prod: {
          default: { starters: ['S0SRE'], approvers: ['S0SRE'], fourEyes: true },
          namespaces: { bookinfo: { starters: ['S0DEVS'], approvers: ['S0SRE'], fourEyes: true } },
        },
        constructor: { namespaces: {} },
      },
    };
    const dev = { userId: 'U0DEV', groupIds: ['S0DEVS'] };
    expect(authorize('start', dev, { namespace: 'bookinfo', cluster: 'prod' }, clustered)).toEqual({
      allowed: true,
    });
    expect(authorize('start', dev, { namespace: 'shop', cluster: 'prod' }, clustered)).toEqual({
      allowed: false,
      reason:
        'The default approval policy of cluster prod lets only S0SRE start releases in shop; U0DEV is not one of them.',
    });
    expect(authorize('start', dev, { namespace: 'shop', cluster: 'staging' }, clustered)).toEqual({
      allowed: true,
    });
    expect(authorize('start', dev, { namespace: 'shop', cluster: 'constructor' }, clustered)).toEqual({
      allowed: true,
    });
    const prodRelease = started(undefined, { meta: { channel: 'C0RELEASES', cluster: 'prod' } });
    expect(authorize('approve', dev, prodRelease, clustered)).toEqual({
      allowed: false,
      reason:
        'The approval policy of namespace bookinfo in cluster prod lets only S0SRE approve releases in bookinfo; U0DEV is not one of them.',
    });
  });
});

describe("npm start's page banner", () => {
  it('says so when the policy is open, and names the workspaces when one is set', () => {
    expect(localNotice(DEFAULT_APPROVAL_POLICY)).toMatch(
      /^Open policy: anyone in this workspace may start and approve releases \(never their own\); guests and Slack Connect members are refused\./,
    );
    expect(isOpenPolicy(DEFAULT_APPROVAL_POLICY)).toBe(true);
    const pinned: ApprovalPolicy = { ...DEFAULT_APPROVAL_POLICY, workspaces: ['T0PROD'] };
    expect(isOpenPolicy(pinned)).toBe(false);
    expect(localNotice(pinned)).toMatch(/^Policy from CANARY_BOT_POLICY \(workspaces T0PROD\)/);
    expect(isOpenPolicy(policy)).toBe(true); // its default is * for both
    expect(isOpenPolicy({ default: { starters: ['*'], approvers: ['S0SRE'], fourEyes: true } })).toBe(false);
  });
});
