/**
 * The App Home tab: what `homeFor` lists for an approver, a requester and a bystander (releases built with the
 * domain's own constructors, kept in the embedded store), and the view built from it: buttons only where the
 * policy allows them from the home tab, links to cards, paging within Slack's 100 blocks.
 */
import fc from 'fast-check';
import { type HomeContent, type HomeRow, homeFor, rollbackChoices } from '../../src/app/home.js';
import { cardActionOf, parseButtonValue } from '../../src/chat/views/button-value.js';
import { HOME_ACTION_IDS, homePages, homeTab } from '../../src/chat/views/home-tab.js';
import { VIEW_LIMITS } from '../../src/chat/views/slack-view.js';
import {
  type Actor,
  type ApprovalPolicy,
  authorize,
  isFinal,
  type Release,
  ruleFor,
} from '../../src/domain/release/index.js';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import { APPROVER, act, approveAndApply, at, drive, REQUESTER, started } from './release-fixtures.js';

const BYSTANDER = 'U0BYSTANDER';
const TEAM = 'T0TEAM';

/** bookinfo takes approvals only on the card; shop from anywhere; anything else: the platform group. */
const policy: ApprovalPolicy = {
  default: { starters: ['*'], approvers: ['S0PLATFORM'], fourEyes: true },
  namespaces: {
    bookinfo: { starters: ['*'], approvers: [APPROVER], fourEyes: true },
    shop: { starters: ['*'], approvers: [APPROVER], fourEyes: true, approveFromAnyChannel: true },
  },
};

const actor = (userId: string): Actor => ({
  userId,
  groupIds: [],
  origin: { teamId: TEAM, channelId: 'C0ELSEWHERE' },
});

/** A release of `service.namespace` started at T0 by `requestedBy`, its card in C0RELEASES. */
function releaseOf(id: string, namespace: string, service: string, requestedBy = REQUESTER): Release {
  return started(
    { kind: 'canary' },
    {
      target: { namespace, service, virtualService: service, route: { kind: 'default' } },
      requestedBy,
      meta: { channel: 'C0RELEASES', ts: '1714557600.000100', team: TEAM, cluster: 'prod' },
    },
    id,
  );
}

/** Approved and applied: analysing its first step. */
function analysing(release: Release): Release {
  return drive(release, ...approveAndApply(60)).release;
}

async function storeWith(releases: readonly Release[], nowIso: string) {
  const nowMs = Date.parse(nowIso);
  const store = new EmbeddedStore<Release>({ now: () => nowMs });
  for (const release of releases)
    await store.create({
      id: release.id,
      routeKey: `prod/${release.target.namespace}/${release.target.service}/default`,
      namespace: release.target.namespace,
      service: release.target.service,
      active: !isFinal(release),
      state: release,
    });
  return { store, policy, clock: () => new Date(nowMs), defaultCluster: 'prod' };
}

const reviews = releaseOf('R1', 'bookinfo', 'reviews');
const cart = releaseOf('R2', 'shop', 'cart');
const pay = analysing(releaseOf('R3', 'shop', 'pay'));
const ops = analysing(releaseOf('R4', 'ops', 'queue', 'U0OTHER'));
const search = drive(releaseOf('R5', 'shop', 'search'), act('rollback', 30, REQUESTER, 'errors')).release;
const NOW = at(3600);

const ids = (rows: readonly HomeRow[]) => rows.map((r) => r.release.id);
const actionsOf = (rows: readonly HomeRow[]) =>
  Object.fromEntries(rows.map((r) => [r.release.id, [...r.actions]]));

type AnyBlock = {
  type: string;
  block_id?: string;
  text?: { text: string };
  elements?: { action_id?: string; value?: string; text: { text: string } }[];
};

function buttonsOf(blocks: readonly unknown[]) {
  return (blocks as AnyBlock[]).flatMap((b) =>
    b.type === 'actions' ? (b.elements ?? []).map((e) => ({ block: b.block_id ?? '', ...e })) : [],
  );
}

function textOf(blocks: readonly unknown[]): string {
  return (blocks as AnyBlock[])
    .flatMap((b) => [
      b.text?.text ?? '',
      // context elements are text objects themselves
      ...(b.type === 'context' ? (b.elements ?? []).map((e) => (e as unknown as { text: string }).text) : []),
    ])
    .join('\n');
}

describe('homeFor', () => {
  it('shows an approver the approvals waiting for them, the other releases of their namespaces and the outcomes', async () => {
    // Prepare
    const deps = await storeWith([reviews, cart, pay, ops, search], NOW);

    // Act
    const home = await homeFor(deps, actor(APPROVER));

    // Assess
    expect(ids(home.awaitingMyApproval)).toEqual(['R1', 'R2']);
    expect(ids(home.mine)).toEqual([]);
    expect(ids(home.inMyNamespaces)).toEqual(['R3']);
    expect(ids(home.recentOutcomes)).toEqual(['R5']);
    expect(actionsOf(home.awaitingMyApproval)).toEqual({
      // bookinfo takes approvals on the card only: no approve or reject from the home tab
      R1: ['pause', 'rollback', 'cancel'],
      R2: ['approve', 'reject', 'pause', 'rollback', 'cancel'],
    });
    expect(home.awaitingMyApproval.map((r) => r.approveOnCard)).toEqual([true, false]);
    expect(actionsOf(home.inMyNamespaces)).toEqual({ R3: ['pause', 'rollback', 'cancel'] });
    expect(home.recentOutcomes[0]?.actions).toEqual([]);
    expect(home.defaultCluster).toBe('prod');
  });

  it('shows a requester their own releases, never an approval of them (four eyes)', async () => {
    // Prepare
    const deps = await storeWith([reviews, cart, pay, ops, search], NOW);

    // Act
    const home = await homeFor(deps, actor(REQUESTER));

    // Assess
    expect(ids(home.awaitingMyApproval)).toEqual([]);
    expect(ids(home.mine)).toEqual(['R1', 'R2', 'R3']);
    expect(ids(home.inMyNamespaces)).toEqual([]);
    expect(actionsOf(home.mine)).toEqual({
      R1: ['pause', 'rollback', 'cancel'],
      R2: ['reject', 'pause', 'rollback', 'cancel'],
      R3: ['pause', 'rollback', 'cancel'],
    });
    expect(home.mine.every((r) => !r.approveOnCard)).toBe(true);
  });

  it('shows someone who may do nothing only what ended recently, with no action', async () => {
    // Prepare
    const deps = await storeWith([reviews, cart, pay, ops, search], NOW);

    // Act
    const home = await homeFor(deps, actor(BYSTANDER));

    // Assess
    expect([home.awaitingMyApproval, home.mine, home.inMyNamespaces].map(ids)).toEqual([[], [], []]);
    expect(ids(home.recentOutcomes)).toEqual(['R5']);
  });

  it('shows outcomes only of namespaces where the person may start or approve, or of their own releases', async () => {
    // Prepare: vault lets only the approver start and approve; a release there ended.
    const vault = drive(
      releaseOf('R7', 'vault', 'secrets', APPROVER),
      act('rollback', 30, APPROVER, 'errors'),
    ).release;
    const closed: ApprovalPolicy = {
      ...policy,
      namespaces: {
        ...policy.namespaces,
        vault: { starters: [APPROVER], approvers: [APPROVER], fourEyes: true },
      },
    };
    const deps = { ...(await storeWith([search, vault], NOW)), policy: closed };

    // Act
    const [approver, bystander, guest] = await Promise.all([
      homeFor(deps, actor(APPROVER)),
      homeFor(deps, actor(BYSTANDER)),
      homeFor(deps, { ...actor(BYSTANDER), kind: 'guest' }),
    ]);

    // Assess
    expect(ids(approver.recentOutcomes).sort()).toEqual(['R5', 'R7']);
    expect(ids(bystander.recentOutcomes)).toEqual(['R5']);
    expect(ids(guest.recentOutcomes)).toEqual([]);
  });

  it('counts only outcomes within the days asked for, and at most the limit', async () => {
    // Prepare: the store's clock 10 days after the rollback
    const later = new Date(Date.parse(NOW) + 10 * 86_400_000).toISOString();
    const deps = await storeWith([search, releaseOf('R6', 'shop', 'other')], NOW);
    const tenDaysOn = { ...deps, clock: () => new Date(later) };

    // Act
    const week = await homeFor(tenDaysOn, actor(APPROVER));
    const twoWeeks = await homeFor(tenDaysOn, actor(APPROVER), { recentDays: 14, recentLimit: 1 });

    // Assess
    expect(ids(week.recentOutcomes)).toEqual([]);
    expect(ids(twoWeeks.recentOutcomes)).toEqual(['R5']);
  });

  it('offers a roll back of exactly the active releases the person may roll back', async () => {
    // Prepare
    const deps = await storeWith([reviews, cart, pay, ops, search], NOW);

    // Act
    const choices = await Promise.all(
      [APPROVER, REQUESTER, BYSTANDER, 'U0OTHER'].map(async (u) =>
        (await rollbackChoices(deps, actor(u))).map((r) => r.id),
      ),
    );

    // Assess: the latest started first; the finished R5 never
    expect(choices).toEqual([['R3', 'R2', 'R1'], ['R3', 'R2', 'R1'], [], ['R4']]);
  });
});

describe('homeTab', () => {
  const now = new Date(NOW);

  it('shows the new release button, the sections, card links and only the buttons the person may press', async () => {
    // Prepare
    const deps = await storeWith([reviews, cart, pay, ops, search], NOW);
    const approver = actor(APPROVER);
    const home = await homeFor(deps, approver);

    // Act
    const view = homeTab(home, { page: 0, now, newReleaseButton: true });

    // Assess
    expect(view.type).toBe('home');
    const buttons = buttonsOf(view.blocks);
    expect(buttons[0]).toMatchObject({ action_id: 'canary.new_release', value: 'home' });
    const text = textOf(view.blocks);
    expect(text).toContain('*Waiting for your approval* (2)');
    expect(text).toContain('Approve in <#C0RELEASES>');
    expect(text).toContain('<https://slack.com/app_redirect?channel=C0RELEASES&team=T0TEAM|Open the card>');
    expect(text).toContain('You have no active release.');
    expect(text).not.toContain('cluster `prod`');
    expect(text).toContain('waiting 1 h (since <!date^');
    const approves = buttons.filter((b) => b.action_id === 'release.approve');
    expect(approves.map((b) => b.block)).toEqual(['home.release.R2']);
    expect(parseButtonValue(approves[0]?.value ?? '')).toEqual({
      ok: true,
      value: { r: 'R2', s: cart.approvalRequest?.step, v: cart.approvalRequest?.stateVersion },
    });
    expect(buttons.some((b) => b.block === 'home.release.R5')).toBe(false);
  });

  it('never shows a button the policy would refuse from the home tab, whoever looks', async () => {
    // Prepare
    const deps = await storeWith([reviews, cart, pay, ops, search], NOW);
    const byId = new Map([reviews, cart, pay, ops, search].map((r) => [r.id, r]));

    for (const user of [APPROVER, REQUESTER, BYSTANDER, 'U0OTHER']) {
      // Act
      const view = homeTab(await homeFor(deps, actor(user)), { page: 0, now, newReleaseButton: false });

      // Assess: every row button is allowed for a request with no channel, approvals only where any channel may approve
      for (const b of buttonsOf(view.blocks)) {
        const action = cardActionOf(b.action_id ?? '');
        const release = byId.get(b.block.replace('home.release.', ''));
        expect(action && release).toBeTruthy();
        if (!action || !release) continue;
        const home = { userId: user, groupIds: [], origin: { teamId: TEAM } };
        expect(authorize(action, home, release, policy)).toEqual({ allowed: true });
        if (action === 'approve')
          expect(ruleFor(policy, release.target.namespace).rule.approveFromAnyChannel).toBe(true);
      }
      if (user === BYSTANDER) expect(buttonsOf(view.blocks)).toEqual([]);
    }
  });

  it('names the cluster when it is not the default one', () => {
    // Prepare
    const row: HomeRow = { release: pay, actions: [], approveOnCard: false };
    const content: HomeContent = { ...emptyContent(), inMyNamespaces: [row], defaultCluster: 'east' };

    // Act
    const text = textOf(homeTab(content, { page: 0, now, newReleaseButton: false }).blocks);

    // Assess
    expect(text).toContain('cluster `prod`');
  });

  it('says briefly that a section is empty', () => {
    // Act
    const text = textOf(homeTab(emptyContent(), { page: 3, now, newReleaseButton: false }).blocks);

    // Assess
    expect(text).toContain('Nothing waits for you.');
    expect(text).toContain('No other active release where you approve.');
    expect(text).toMatch(/No release ended since <!date\^/);
    expect(text).not.toContain('Page ');
  });

  it('stays within 100 blocks and Slack limits for 0 to 500 releases, and its pages hold every release once', () => {
    const base = analysing(releaseOf('R0', 'shop', 'cart'));
    const rowArb = fc.record({
      section: fc.constantFrom('awaitingMyApproval', 'mine', 'inMyNamespaces', 'recentOutcomes' as const),
      actions: fc.subarray(['approve', 'reject', 'pause', 'resume', 'rollback', 'cancel'] as const),
      approveOnCard: fc.boolean(),
      note: fc.string({ maxLength: 400 }).map((s) => s.replace(/`/g, "'")),
    });
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 500, size: 'max' }), fc.nat(30), (specs, page) => {
        // Prepare
        const content = emptyContent() as { -readonly [K in keyof HomeContent]: HomeContent[K] };
        const sections = {
          awaitingMyApproval: [] as HomeRow[],
          mine: [] as HomeRow[],
          inMyNamespaces: [] as HomeRow[],
          recentOutcomes: [] as HomeRow[],
        };
        specs.forEach((spec, i) => {
          const release: Release = {
            ...base,
            id: `R${i}`,
            target: { ...base.target, service: `svc${i}<${spec.note}>` },
            approvalRequest: { step: 0, stateVersion: 1, requestedAt: at(0), expiresAt: at(3600) },
          };
          sections[spec.section].push({ release, actions: spec.actions, approveOnCard: spec.approveOnCard });
        });
        Object.assign(content, sections);

        // Act
        const pages = homePages(content);
        const views = pages.map((_, p) => homeTab(content, { page: p, now, newReleaseButton: true }));
        const clamped = homeTab(content, { page, now, newReleaseButton: true });

        // Assess
        expect(
          pages
            .flat()
            .map((r) => r.release.id)
            .sort(),
        ).toEqual(specs.map((_, i) => `R${i}`).sort());
        for (const [p, view] of views.entries()) {
          expect(view.blocks.length).toBeLessThanOrEqual(VIEW_LIMITS.blocks);
          const shown = [...textOf(view.blocks).matchAll(/`(R\d+)`/g)].map((m) => m[1]);
          expect(shown).toEqual(pages[p]?.map((r) => r.release.id));
          withinLimits(view.blocks);
          const paging = buttonsOf(view.blocks).filter((b) => b.action_id === HOME_ACTION_IDS.page);
          expect(paging.map((b) => Number(b.value))).toEqual(
            [p - 1, p + 1].filter((n) => n >= 0 && n < pages.length),
          );
        }
        expect(clamped.blocks.length).toBeLessThanOrEqual(VIEW_LIMITS.blocks);
      }),
      // Shrinking hundreds of rows takes minutes; the failing input is reported as found.
      { numRuns: 40, endOnFailure: true },
    );
  });
});

function emptyContent(): HomeContent {
  return {
    userId: APPROVER,
    awaitingMyApproval: [],
    mine: [],
    inMyNamespaces: [],
    recentOutcomes: [],
    recentSince: at(0),
  };
}

/** Every text, id and value of the blocks within Slack's limits; block ids unique. */
function withinLimits(blocks: readonly unknown[]): void {
  const blockIds = (blocks as AnyBlock[]).flatMap((b) => (b.block_id ? [b.block_id] : []));
  expect(new Set(blockIds).size).toBe(blockIds.length);
  for (const block of blocks as AnyBlock[]) {
    if (block.type === 'header') expect(block.text?.text.length).toBeLessThanOrEqual(150);
    if (block.type === 'section') expect(block.text?.text.length).toBeLessThanOrEqual(3000);
    if (block.type === 'actions') {
      const actionIds = (block.elements ?? []).map((e) => e.action_id);
      expect(new Set(actionIds).size).toBe(actionIds.length);
      for (const e of block.elements ?? []) {
        expect(e.text.text.length).toBeLessThanOrEqual(75);
        expect((e.value ?? '').length).toBeLessThanOrEqual(2000);
      }
    }
    expect((block.block_id ?? '').length).toBeLessThanOrEqual(VIEW_LIMITS.blockId);
  }
}
