import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireBed } from '../../local/bed/bed.js';
import { elasticMqVersion, sqsQueueUrl } from '../../local/bed/elasticmq.js';
import { cacheDir } from '../../local/bed/paths.js';

/** Local addresses (hex, as /proc/net/tcp* writes them) of the sockets listening on `port`. */
function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) =>
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter(([, local, , state]) => state === '0A' && local?.endsWith(`:${hexPort}`))
      .map(([, local]) => local!.split(':')[0]!),
  );
}

/** SendMessage of a body of `bytes` bytes, as the SDK would send it (unsigned: ElasticMQ checks no signature). */
async function sendRaw(queueUrl: string, bytes: number): Promise<Record<string, unknown>> {
  const answer = await fetch(new URL(queueUrl).origin, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.SendMessage' },
    body: JSON.stringify({ QueueUrl: queueUrl, MessageBody: 'x'.repeat(bytes) }),
  });
  return (await answer.json()) as Record<string, unknown>;
}

describe('ElasticMQ on the test bed', () => {
  it('is the ElasticMQ of this bed, from the versioned cache, listening on loopback only, with SQS limits', async () => {
    // Prepare
    const bed = await requireBed();
    const port = Number(new URL(bed.sqs.endpoint).port);
    const probe = bed.sqs.probeQueueUrl.split('/').pop()!;

    // Act
    const answered = await sqsQueueUrl(bed.sqs.endpoint, probe);
    const addresses = listeningAddresses(port);
    const jars = join(cacheDir, `elasticmq-${elasticMqVersion()}`);
    const log = readFileSync(join(bed.dir, 'logs', 'elasticmq.log'), 'utf8');

    // Assess
    expect(answered).toBe(bed.sqs.probeQueueUrl);
    expect(await sqsQueueUrl(bed.sqs.endpoint, 'no-such-queue')).toBeUndefined();
    expect(addresses.length).toBeGreaterThan(0);
    // 127.0.0.1 as IPv4, or as an IPv4-mapped IPv6 address.
    for (const address of addresses)
      expect(['0100007F', '0000000000000000FFFF00000100007F']).toContain(address);
    expect(elasticMqVersion()).toBe('1.6.11');
    expect(existsSync(join(jars, 'complete'))).toBe(true);
    expect(readdirSync(jars)).toContain('elasticmq-server_2.13-1.6.11.jar');
    expect(log).toContain('ElasticMQ server (1.6.11) started');
    expect(bed.processes.map((p) => p.name)).toContain('elasticmq');
    expect(await sendRaw(bed.sqs.probeQueueUrl, 256 * 1024)).toMatchObject({ MessageId: expect.any(String) });
    expect(await sendRaw(bed.sqs.probeQueueUrl, 256 * 1024 + 1)).toMatchObject({ Message: 'MessageTooLong' });
  });
});
