/**
 * Load on loopback, bounded: 200 releases active at once on 200 services, then a burst of 1000 approval clicks
 * (five identical clicks per release, as impatient people send them) through the real Slack ingress. Every
 * approval is applied exactly once, every release then ends correctly, and nothing is lost.
 */

import { requireBed } from '../../local/bed/bed.js';
import { kubeConfigFrom } from '../../local/bed/kube.js';
import { uniqueNamespace } from '../../local/bed/manifests.js';
import { startLocalBot } from '../../local/bot.js';
import { buildBlockActionsPayload } from '../../local/slack/interaction-client.js';
import { slackSignatureHeaders } from '../../local/slack/request-signing.js';
import { silentLogger } from '../../src/app/logger.js';
import { actOnRelease } from '../../src/app/release-actions.js';
import { startRelease } from '../../src/app/start-release.js';
import { encodeButtonValue } from '../../src/chat/views/index.js';
import type { Release } from '../../src/domain/release/index.js';
import { deleteFleet, deployFleetForBot, fleetVirtualService } from './support/service-fleet.js';

const services = 200;
const clicksPerRelease = 5;

/** Runs `work` over `items`, `width` at a time. */
async function inBatches<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(work));
}

describe('load', () => {
  it(`${services} concurrent releases and ${services * clicksPerRelease} clicks: each approval applied exactly once, every release ends correctly`, async () => {
    const bed = await requireBed();
    const admin = kubeConfigFrom(bed.kube.kubeconfigs.admin);
    const namespace = uniqueNamespace('load');
    const names = Array.from({ length: services }, (_, i) => `svc-${i}`);
    let stop = async () => {};
    try {
      // The bot as it runs in AWS: the real handlers from the README's environment, workers on ElasticMQ.
      const env = await deployFleetForBot(bed, admin, namespace, names);
      const jobErrors: unknown[] = [];
      const bot = await startLocalBot(bed, env, {
        log: {
          ...silentLogger,
          error: (m, f) => void (/job failed/.test(m) && jobErrors.push(f?.error ?? m)),
        },
        overrides: { reply: async () => {} },
      });
      stop = () => bot.close();
      const deps = bot.worker.deps;
      const ingress = async (event: unknown) => {
        const answer = await fetch(bot.slackUrl, {
          method: 'POST',
          headers: (event as { headers: Record<string, string> }).headers,
          body: (event as { body: string }).body,
        });
        return { statusCode: answer.status };
      };

      // Prepare: 200 releases active at once.
      const started = performance.now();
      const releases: Release[] = [];
      await inBatches(names, 25, async (service) => {
        const result = await startRelease(
          deps,
          { kind: 'canary', service, version: 'v2', namespace, steps: [10, 100] },
          { userId: 'U0ALICE001', groupIds: [] },
        );
        if (!result.ok) throw new Error(result.message);
        releases.push(result.value);
      });
      expect((await deps.store.listActive()).filter((r) => r.namespace === namespace)).toHaveLength(services);

      // Act: 1000 signed clicks through the ingress, 100 in flight.
      const clicks = releases.flatMap((release) =>
        Array.from({ length: clicksPerRelease }, (_, n) => ({ release, n })),
      );
      const statuses: number[] = [];
      await inBatches(clicks, 100, async ({ release, n }) => {
        const request = release.approvalRequest!;
        const payload = buildBlockActionsPayload(
          {
            user: { id: 'U0BOB00001', username: 'bob' },
            channel: { id: 'C0RELEASES' },
            messageTs: `1.${n}`,
            actions: [
              {
                action_id: 'release.approve',
                block_id: 'b',
                value: encodeButtonValue({ r: release.id, s: request.step, v: request.stateVersion }),
              },
            ],
            teamId: 'T0',
          },
          undefined,
          { responseUrl: 'http://127.0.0.1:9/r', triggerId: `${release.id}.${n}` },
        );
        const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
        const ts = Math.floor(Date.now() / 1000);
        const headers = {
          'content-type': 'application/x-www-form-urlencoded',
          ...slackSignatureHeaders(bed.slack.signingSecret, ts, body),
        };
        const answer = await ingress({ headers, body });
        statuses.push(answer.statusCode);
      });
      await bot.settled(120_000);
      const burstSeconds = (performance.now() - started) / 1000;

      // Assess: every click acknowledged, every release approved exactly once and shifted to 90/10.
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
      expect(jobErrors).toEqual([]);
      for (const release of releases) {
        const audit = await deps.store.listAudit(release.id);
        expect([release.target.service, audit.filter((e) => e.action === 'approve').length]).toEqual([
          release.target.service,
          1,
        ]);
        expect((await deps.store.get(release.id))?.state.phase).toBe('analysing');
      }
      const live = await Promise.all(
        names.map((name) =>
          fleetVirtualService<{ spec: { http: { route: { weight?: number }[] }[] } }>(admin, namespace, name),
        ),
      );
      expect(live.map((vs) => vs.spec.http[0]?.route.map((r) => r.weight))).toEqual(
        names.map(() => [90, 10]),
      );

      // And every release ends correctly: cancelled, original route back, no release left active.
      await inBatches(releases, 50, async (release) => {
        const result = await actOnRelease(
          deps,
          release.id,
          { action: 'cancel', stateVersion: (await deps.store.get(release.id))?.state.version ?? 0 },
          { userId: 'U0ALICE001', groupIds: [] },
        );
        if (!result.ok) throw new Error(result.message);
      });
      const after = await Promise.all(
        names.map((name) => fleetVirtualService<{ spec: { http: unknown[] } }>(admin, namespace, name)),
      );
      expect(after.map((vs) => JSON.stringify(vs.spec.http))).toEqual(
        names.map((name) => JSON.stringify([{ route: [{ destination: { host: name, subset: 'v1' } }] }])),
      );
      expect((await deps.store.listActive()).filter((r) => r.namespace === namespace)).toHaveLength(0);
      process.stderr.write(
        `[load] ${services} releases started and ${clicks.length} clicks applied in ${burstSeconds.toFixed(1)} s\n`,
      );
    } finally {
      await stop();
      await deleteFleet(admin, namespace);
    }
  }, 600_000);
});
