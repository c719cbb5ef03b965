import { type ApprovalPolicy, hostConfinementProblem } from '../../src/domain/release/index.js';

const open = { starters: ['*'], approvers: ['*'], fourEyes: true };
const policy: ApprovalPolicy = {
  default: open,
  namespaces: {
    shop: { ...open, allowedHosts: ['ratings.shared.svc.cluster.local', 'payments.example.com'] },
  },
};

describe('hostConfinementProblem', () => {
  it.each([
    'reviews-v2',
    'reviews-v2.bookinfo',
    'reviews-v2.bookinfo.svc',
    'reviews-v2.bookinfo.svc.cluster.local',
  ])('lets a release of bookinfo send traffic to its own Service %s', (host) => {
    expect(hostConfinementProblem(host, 'bookinfo', policy)).toBeUndefined();
  });

  it.each([
    ["another namespace's Service", 'reviews-v2.payments.svc.cluster.local'],
    ["another namespace's Service, short form", 'reviews-v2.payments'],
    ['a ServiceEntry host', 'api.partner.example.com'],
    ['a cluster domain that is not cluster.local', 'reviews-v2.bookinfo.svc.other.local'],
    ['a host that only ends like a Service', 'reviews-v2.bookinfo.svc.cluster.local.evil.com'],
  ])('refuses %s with one sentence naming the host, the namespace and allowedHosts', (_, host) => {
    expect(hostConfinementProblem(host, 'bookinfo', policy)).toBe(
      `${host} is not a Service of namespace bookinfo: a release sends traffic only to Services of its own namespace (a short name such as reviews-v2, or <service>.bookinfo.svc.cluster.local), unless the policy of bookinfo lists the host in allowedHosts.`,
    );
  });

  it("allows exactly the hosts the namespace's policy lists, and only for that namespace", () => {
    expect(hostConfinementProblem('ratings.shared.svc.cluster.local', 'shop', policy)).toBeUndefined();
    expect(hostConfinementProblem('payments.example.com', 'shop', policy)).toBeUndefined();
    expect(hostConfinementProblem('ratings.shared', 'shop', policy)).toMatch(
      /not a Service of namespace shop/,
    );
    expect(hostConfinementProblem('payments.example.com', 'bookinfo', policy)).toMatch(/allowedHosts/);
  });

  it('reads only own properties of the policy (a namespace named constructor is the default rule)', () => {
    expect(hostConfinementProblem('x.example.com', 'constructor', policy)).toMatch(/namespace constructor/);
  });
});
