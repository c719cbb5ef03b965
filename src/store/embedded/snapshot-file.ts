import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * The text of a snapshot file, or undefined when there is none yet.
 *
 * @example
 * const text = await readSnapshotText('.canary-bot/store.json');
 */
export async function readSnapshotText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Replaces `file` with `text` atomically: a reader (or a crash) sees the old file or the new one, never half.
 *
 * @example
 * await writeSnapshotAtomically('.canary-bot/store.json', JSON.stringify(snapshot));
 */
export async function writeSnapshotAtomically(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await open(temporary, 'w', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      // Without the flush a power cut after the rename can leave an empty file behind.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
