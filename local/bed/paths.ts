import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (two levels above this file). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Heavy build artefacts (Go binaries) live outside the repository, keyed by version, and are reused. */
export const cacheDir =
  process.env.CANARY_BOT_CACHE ?? join(process.env.HOME ?? tmpdir(), '.cache', 'canary-bot');

/** A running bed keeps its data, logs, certificates and state file here; `bed down` removes it. */
export const bedDir = process.env.CANARY_BOT_BED_DIR ?? join(tmpdir(), 'canary-bot-bed');

export const bedStateFile = join(bedDir, 'state.json');
