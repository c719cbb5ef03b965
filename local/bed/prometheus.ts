import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BedProcess, freePort, startDetached, waitUntil } from './processes.js';

/** Debian's Prometheus (2.42) with the remote-write receiver; the bed's only source of samples is remote write. */
export async function startPrometheus(
  dir: string,
  started: (p: BedProcess) => void,
): Promise<{ url: string }> {
  await mkdir(join(dir, 'prometheus'), { recursive: true });
  await mkdir(join(dir, 'logs'), { recursive: true });
  const config = join(dir, 'prometheus', 'prometheus.yml');
  await writeFile(config, 'global:\n  scrape_interval: 1m\n  evaluation_interval: 1m\nscrape_configs: []\n');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const prometheus = startDetached(
    'prometheus',
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'prometheus', 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      '--web.enable-lifecycle',
      '--storage.tsdb.retention.time=1d',
      '--log.level=warn',
    ],
    join(dir, 'logs', 'prometheus.log'),
  );
  started(prometheus);
  await waitUntil(
    prometheus,
    async () => (await (await fetch(`${url}/-/ready`)).text()).includes('Prometheus'),
    60_000,
  );
  return { url };
}
