// A Lambda handler for the queue tests, run in OS processes of its own by local/lambda-process.ts. It logs
// each record it starts (one JSON line in $SQS_TEST_HANDLER_LOG) and, for a body with `hangOnFirstReceive`,
// never finishes the first delivery: the test kills the process there.
import { appendFileSync } from 'node:fs';
import type { SQSEvent } from 'aws-lambda';

export interface TestHandlerLine {
  pid: number;
  messageId: string;
  group: string;
  receiveCount: number;
  id: string;
}

export const handler = async (event: SQSEvent): Promise<void> => {
  for (const record of event.Records) {
    const body = JSON.parse(record.body) as { id: string; hangOnFirstReceive?: boolean };
    const receiveCount = Number(record.attributes.ApproximateReceiveCount);
    const line: TestHandlerLine = {
      pid: process.pid,
      messageId: record.messageId,
      group: record.attributes.MessageGroupId ?? '',
      receiveCount,
      id: body.id,
    };
    appendFileSync(process.env.SQS_TEST_HANDLER_LOG ?? '/dev/null', `${JSON.stringify(line)}\n`);
    if (body.hangOnFirstReceive && receiveCount === 1) await new Promise((r) => setTimeout(r, 600_000));
  }
};
