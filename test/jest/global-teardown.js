import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export default function globalTeardown() {
  if (process.env.CANARY_BOT_BED_STARTED_BY_JEST !== '1' || process.env.CANARY_BOT_KEEP_BED === '1') return;
  spawnSync(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'local', 'bed', 'cli.ts'), 'down'], {
    cwd: root,
    stdio: 'inherit',
  });
}
