// Brings the test bed up for the integration and end-to-end projects, or reuses a running one.
// It drives the bed's own CLI in a child process (the bed is TypeScript; jest loads this file as-is).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export default function globalSetup() {
  const result = spawnSync(
    join(root, 'node_modules', '.bin', 'tsx'),
    [join(root, 'local', 'bed', 'cli.ts'), 'up'],
    {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  process.stderr.write(result.stdout.replace(/^/gm, '[bed] '));
  if (result.status !== 0) throw new Error('the test bed did not come up (see the lines above)');
  // Only a bed started here is stopped at the end; one started with `npm run bed -- up` keeps running.
  process.env.CANARY_BOT_BED_STARTED_BY_JEST = result.stdout.includes('already running') ? '' : '1';
}
