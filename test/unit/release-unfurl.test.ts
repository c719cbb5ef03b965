/**
 * Link previews of releases: the address of a release, its strict reading (only the exact form parses), and
 * the compact card under the link.
 */
import fc from 'fast-check';
import { BLOCK_KIT_LIMITS, blockTextLength } from '../../src/chat/views/block-kit.js';
import { releaseIdFromUrl, releaseUnfurl, releaseUrl } from '../../src/chat/views/release-unfurl.js';
import { type Release, startRelease } from '../../src/domain/release/index.js';
import { act, appliedNow, approveNow, at, drive, REQUESTER, releaseRequest } from './release-fixtures.js';

const BASE = 'https://canary.example.com';
const releaseId = fc.stringMatching(/^[A-Za-z0-9]{1,40}$/);

function releaseOf(meta: Record<string, string> = { channel: 'C0RELEASES', cluster: 'east' }): Release {
  return startRelease(releaseRequest({ kind: 'canary' }, { meta }), at(0), 'r1a2b3').release;
}

function textOf(blocks: readonly unknown[]): string {
  return JSON.stringify(blocks);
}

describe('release addresses', () => {
  it('builds <baseUrl>/releases/<id>, with or without a trailing slash on the base', () => {
    expect(releaseUrl(BASE, 'r1a2b3')).toBe('https://canary.example.com/releases/r1a2b3');
    expect(releaseUrl(`${BASE}/`, 'r1a2b3')).toBe('https://canary.example.com/releases/r1a2b3');
    expect(releaseUrl('https://example.com/bot', 'R9')).toBe('https://example.com/bot/releases/R9');
  });

  it('reads back the id of every address it builds', () => {
    fc.assert(
      fc.property(releaseId, fc.boolean(), (id, slash) => {
        const base = slash ? `${BASE}/` : BASE;
        expect(releaseIdFromUrl(base, releaseUrl(base, id))).toBe(id);
      }),
    );
  });

  it('refuses everything that is not exactly the form', () => {
    const refused = [
      `${BASE}/releases/`,
      `${BASE}/releases/r1a2b3/`,
      `${BASE}/releases/r1a2b3?tab=audit`,
      `${BASE}/releases/r1a2b3#top`,
      `${BASE}/releases/r1-a2b3`,
      `${BASE}/releases/${'a'.repeat(41)}`,
      `${BASE}/releases/r1a2b3/audit`,
      `${BASE}/Releases/r1a2b3`,
      `${BASE}/releases//r1a2b3`,
      `${BASE}/releases/%72%31`,
      `${BASE}.evil.com/releases/r1a2b3`,
      `http://canary.example.com/releases/r1a2b3`,
      `https://evil.com/?${BASE}/releases/r1a2b3`,
      ` ${BASE}/releases/r1a2b3`,
      `${BASE}/releases/r1a2b3 `,
      `<${BASE}/releases/r1a2b3>`,
      '',
    ];
    for (const url of refused) expect([url, releaseIdFromUrl(BASE, url)]).toEqual([url, undefined]);
  });

  it('parses a string only when it is the exact form of a valid id (property)', () => {
    const nearMisses = fc.oneof(
      releaseId.map((id) => `${BASE}/releases/${id}`),
      fc
        .tuple(releaseId, fc.string({ minLength: 1, maxLength: 10 }))
        .map(([id, s]) => `${BASE}/releases/${id}${s}`),
      fc
        .tuple(fc.string({ minLength: 1, maxLength: 10 }), releaseId)
        .map(([s, id]) => `${s}${BASE}/releases/${id}`),
      fc.tuple(fc.string({ maxLength: 20 }), releaseId).map(([path, id]) => `${BASE}/${path}/${id}`),
      fc.string({ maxLength: 80 }),
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
    );
    fc.assert(
      fc.property(nearMisses, (url) => {
        const id = releaseIdFromUrl(BASE, url);
        const exact = /^https:\/\/canary\.example\.com\/releases\/[A-Za-z0-9]{1,40}$/.test(url);
        expect(id !== undefined).toBe(exact);
        if (id !== undefined) expect(releaseUrl(BASE, id)).toBe(url);
      }),
    );
  });
});

describe('releaseUnfurl', () => {
  const now = new Date(at(3 * 3600));

  it('shows the release compactly: name, kind, versions, phase and step, weights, who and when', () => {
    // Prepare: approved and applied, analysing its first step
    const release = drive(
      releaseOf(),
      (r) => approveNow(r, 60),
      (r) => appliedNow(r, 65),
    ).release;

    // Act
    const { blocks } = releaseUnfurl(release, now);

    // Assess
    const text = textOf(blocks);
    expect(text).toContain('*reviews.bookinfo* · canary `v1` → `v2`');
    expect(text).toContain('*Analysing* step 1/');
    expect(text).toMatch(/v1 █+░* +\d+%/);
    expect(text).toContain(`started by <@${REQUESTER}> <!date^`);
    expect(text).toContain('running for 3 h');
    expect(text).toContain('cluster `east`');
    expect(text).toContain('`r1a2b3`');
  });

  it('says where a stopped release stopped and when it ended', () => {
    // Prepare
    const release = drive(releaseOf({}), act('rollback', 30, REQUESTER, 'errors on checkout')).release;

    // Act
    const text = textOf(releaseUnfurl(release, now).blocks);

    // Assess
    expect(text).toContain('at step 1/');
    expect(text).toContain('ended <!date^');
    expect(text).not.toContain('running for');
    expect(text).not.toContain('cluster');
  });

  it('stays within Slack message limits whatever the names and reasons', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 3000 }), fc.string({ maxLength: 200 }), (reason, version) => {
        // Prepare
        const base = releaseOf();
        const release = drive(
          { ...base, canary: { ...base.canary, version: `v${version}` } },
          act('rollback', 30, REQUESTER, reason),
        ).release;

        // Act
        const { blocks } = releaseUnfurl(release, now);

        // Assess
        expect(blocks.length).toBeLessThanOrEqual(BLOCK_KIT_LIMITS.blocks);
        expect(blockTextLength(blocks)).toBeLessThanOrEqual(BLOCK_KIT_LIMITS.totalText);
        for (const block of blocks)
          if (block.type === 'section') expect(block.text?.text.length ?? 0).toBeLessThanOrEqual(3000);
      }),
      { numRuns: 50 },
    );
  });
});
