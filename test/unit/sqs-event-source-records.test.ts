import type { SQSRecord } from 'aws-lambda';
import { retriedRecords, sqsRecord } from '../../local/sqs-event-source.js';

const arn = 'arn:aws:sqs:us-east-1:000000000000:jobs.fifo';

function record(id: string, group: string): SQSRecord {
  return sqsRecord(
    {
      MessageId: id,
      ReceiptHandle: `rh-${id}`,
      Body: `{"id":"${id}"}`,
      MD5OfBody: 'md5',
      Attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1700000000000', MessageGroupId: group },
    },
    arn,
    'us-east-1',
  );
}

describe('the local SQS event source', () => {
  it('shapes a message as Lambda does', () => {
    const shaped = sqsRecord(
      {
        MessageId: 'm1',
        ReceiptHandle: 'rh',
        Body: 'b',
        MD5OfBody: 'md5',
        Attributes: {
          ApproximateReceiveCount: '2',
          SentTimestamp: '1700000000000',
          SenderId: '127.0.0.1',
          ApproximateFirstReceiveTimestamp: '1700000000100',
          SequenceNumber: '7',
          MessageGroupId: 'g',
          MessageDeduplicationId: 'd',
        },
        MessageAttributes: { trace: { DataType: 'String', StringValue: 'abc' } },
      },
      arn,
      'us-east-1',
    );
    expect(shaped).toEqual({
      messageId: 'm1',
      receiptHandle: 'rh',
      body: 'b',
      attributes: {
        ApproximateReceiveCount: '2',
        SentTimestamp: '1700000000000',
        SenderId: '127.0.0.1',
        ApproximateFirstReceiveTimestamp: '1700000000100',
        SequenceNumber: '7',
        MessageGroupId: 'g',
        MessageDeduplicationId: 'd',
      },
      messageAttributes: {
        trace: { stringValue: 'abc', stringListValues: [], binaryListValues: [], dataType: 'String' },
      },
      md5OfBody: 'md5',
      eventSource: 'aws:sqs',
      eventSourceARN: arn,
      awsRegion: 'us-east-1',
    });
  });

  it('retries a failed record and every later record of its group, and nothing else', () => {
    const batch = [
      record('a1', 'A'),
      record('b1', 'B'),
      record('a2', 'A'),
      record('b2', 'B'),
      record('a3', 'A'),
    ];
    expect(retriedRecords(batch, { batchItemFailures: [{ itemIdentifier: 'a2' }] })).toEqual(
      new Set(['a2', 'a3']),
    );
    expect(retriedRecords(batch, { batchItemFailures: [{ itemIdentifier: 'b1' }] })).toEqual(
      new Set(['b1', 'b2']),
    );
    expect(retriedRecords(batch, { batchItemFailures: [] })).toEqual(new Set());
    expect(retriedRecords(batch, undefined)).toEqual(new Set());
  });

  it('fails the whole batch on an identifier that is empty or not in it', () => {
    const batch = [record('a1', 'A'), record('b1', 'B')];
    expect(retriedRecords(batch, { batchItemFailures: [{ itemIdentifier: '' }] })).toBeUndefined();
    expect(retriedRecords(batch, { batchItemFailures: [{ itemIdentifier: 'zz' }] })).toBeUndefined();
  });
});
