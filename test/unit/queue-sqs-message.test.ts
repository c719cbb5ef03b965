import { SQSClient } from '@aws-sdk/client-sqs';
import { JobRejectedError } from '../../src/app/ports/job-queue.js';
import { SqsJobQueue, sqsDeduplicationId, sqsMessageBody } from '../../src/queue/sqs-job-queue.js';

describe('SQS message fields', () => {
  it('hashes any dedupId into 64 hex digits, the same for the same id', () => {
    const ids = ['approve:rel-42:3', 'slack:Ev0123', 'émoji 🚀 and spaces', 'x'.repeat(5000)];
    const hashed = ids.map(sqsDeduplicationId);
    for (const id of hashed) expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(hashed).size).toBe(ids.length);
    expect(sqsDeduplicationId('slack:Ev0123')).toBe(hashed[1]);
  });

  it('writes bodies as JSON without the characters SQS refuses', () => {
    expect(sqsMessageBody({ kind: 'tick', n: 1 })).toBe('{"kind":"tick","n":1}');
    const odd = sqsMessageBody({ text: 'a\uffffb\ufffe\ud800' });
    expect(odd).not.toMatch(/[\ufffe\uffff\ud800-\udfff]/);
    expect(JSON.parse(odd)).toEqual({ text: 'a\uffffb\ufffe\ud800' });
    expect(() => sqsMessageBody(undefined)).toThrow(/no JSON form/);
  });

  it('refuses, before any request, a body that is not JSON or a limit SQS does not have', async () => {
    // The client points nowhere: a refusal must come before any request.
    const client = new SQSClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    const queue = new SqsJobQueue<unknown>({ client, queueUrl: 'http://127.0.0.1:9/0/q.fifo' });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;

    await expect(queue.send([{ group: 'g', dedupId: 'c', body: cyclic }])).rejects.toThrow(JobRejectedError);
    await expect(queue.send([{ group: 'g', dedupId: 'n', body: 10n }])).rejects.toThrow(
      /cannot be sent as JSON/,
    );
    await expect(queue.send([{ group: 'x'.repeat(129), dedupId: 'l', body: 1 }])).rejects.toThrow(/1 to 128/);
    await expect(queue.send([])).resolves.toBeUndefined();
    expect(() => new SqsJobQueue({ client, queueUrl: 'q', maxMessageBytes: 2 * 1024 * 1024 })).toThrow(
      RangeError,
    );
    client.destroy();
  });
});
