import { requireBed } from '../../local/bed/bed.js';

async function postMessage(url: string, token: string, body: unknown) {
  const response = await fetch(`${url}/api/chat.postMessage`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return (await response.json()) as { ok: boolean; error?: string; ts?: string };
}

const section = (i: number) => ({ type: 'section', text: { type: 'mrkdwn', text: `block ${i}` } });

describe('the Slack emulator running in the bed', () => {
  it("refuses a message with 51 blocks with Slack's invalid_blocks, and accepts 50", async () => {
    // Prepare
    const bed = await requireBed();
    const blocks = Array.from({ length: 51 }, (_, i) => section(i));

    // Act
    const refused = await postMessage(bed.slack.url, bed.slack.botToken, {
      channel: 'C0RELEASES',
      text: 'x',
      blocks,
    });
    const accepted = await postMessage(bed.slack.url, bed.slack.botToken, {
      channel: 'C0RELEASES',
      text: 'x',
      blocks: blocks.slice(0, 50),
    });

    // Assess
    expect(refused).toMatchObject({ ok: false, error: 'invalid_blocks' });
    expect(accepted).toMatchObject({ ok: true, ts: expect.any(String) });
  });

  it('refuses a wrong token with invalid_auth', async () => {
    const bed = await requireBed();

    const answer = await postMessage(bed.slack.url, 'xoxb-not-the-token', {
      channel: 'C0RELEASES',
      text: 'hi',
    });

    expect(answer).toEqual(expect.objectContaining({ ok: false, error: 'invalid_auth' }));
  });
});
