/**
 * The Istio part of the bed's build: when the pinned istio.io/istio module cannot be had, build-go.sh says
 * so in one line and fails, instead of pages of Go output. Runs the real script with Go offline and an
 * empty module cache, so nothing is downloaded or built.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../local/bed/paths.js';

describe('building the bed without the pinned Istio module', () => {
  it('fails with one clear line naming the module', () => {
    const dir = mkdtempSync(join(tmpdir(), 'istio-build-'));
    try {
      const run = spawnSync('bash', [join(repoRoot, 'local', 'bed', 'build-go.sh'), 'istio'], {
        encoding: 'utf8',
        env: {
          ...process.env,
          GOPROXY: 'off',
          GOFLAGS: '-mod=mod',
          GOMODCACHE: join(dir, 'modcache'),
          CANARY_BOT_CACHE: join(dir, 'cache'),
        },
      });

      expect(run.status).toBe(3);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n')).toEqual([
        'the pinned Istio module istio.io/istio@v0.0.0-20260827124520-eed52ebb66ad is not served by the Go module proxy (GOPROXY=off); pilot-discovery cannot be built',
      ]);
    } finally {
      spawnSync('chmod', ['-R', 'u+w', dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
