import {
  buildBlockActionsPayload,
  buildSlashCommandBody,
  SlackInteractionError,
} from '../../local/slack/interaction-client.js';
import { decodeApiRequest, parseMultipart, WireFormatError } from '../../local/slack/wire-format.js';

const noQuery = new URLSearchParams();

describe('decodeApiRequest', () => {
  it('takes a JSON body token from the Authorization header only', () => {
    // Prepare
    const body = Buffer.from(JSON.stringify({ channel: 'C1', text: 'hi', token: 'xoxb-in-body' }));
    // Act
    const withHeader = decodeApiRequest(
      'POST',
      { 'content-type': 'application/json; charset=utf-8', authorization: 'Bearer xoxb-header' },
      body,
      noQuery,
    );
    const withoutHeader = decodeApiRequest('POST', { 'content-type': 'application/json' }, body, noQuery);
    // Assess
    expect(withHeader).toMatchObject({ encoding: 'json', token: 'xoxb-header', params: { channel: 'C1' } });
    expect(withoutHeader.token).toBeUndefined();
  });

  it('takes a form token from the body first, then from the header', () => {
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'Bearer xoxb-header',
    };
    const inBody = decodeApiRequest('POST', headers, Buffer.from('token=xoxb-body&blocks=%5B%5D'), noQuery);
    const inHeader = decodeApiRequest('POST', headers, Buffer.from('channel=C1'), noQuery);
    expect(inBody).toMatchObject({ encoding: 'form', token: 'xoxb-body', params: { blocks: '[]' } });
    expect(inHeader.token).toBe('xoxb-header');
  });

  it("answers Slack's codes for bodies it cannot read", () => {
    const codeOf = (contentType: string | undefined, body: string) => {
      try {
        decodeApiRequest(
          'POST',
          contentType ? { 'content-type': contentType } : {},
          Buffer.from(body),
          noQuery,
        );
      } catch (error) {
        return error instanceof WireFormatError ? error.code : error;
      }
      return 'decoded';
    };
    expect(codeOf('application/json', '{nope')).toBe('invalid_json');
    expect(codeOf(undefined, 'a=1')).toBe('missing_post_type');
    expect(codeOf('application/xml', '<a/>')).toBe('invalid_post_type');
  });
});

describe('parseMultipart', () => {
  it('splits fields and files, keeping binary bytes intact', () => {
    // Prepare
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x00, 0xff]);
    const body = Buffer.concat([
      Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="filename"\r\n\r\nchart.png\r\n'),
      Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="file"; filename="chart.png"\r\n'),
      Buffer.from('Content-Type: image/png\r\n\r\n'),
      bytes,
      Buffer.from('\r\n--XyZ--\r\n'),
    ]);
    // Act
    const parts = parseMultipart(body, 'XyZ');
    // Assess
    expect(parts.map((p) => [p.name, p.filename, p.contentType])).toEqual([
      ['filename', undefined, undefined],
      ['file', 'chart.png', 'image/png'],
    ]);
    expect(parts[0]?.data.toString()).toBe('chart.png');
    expect(parts[1]?.data.equals(bytes)).toBe(true);
  });
});

describe('interaction payloads', () => {
  const issued = { responseUrl: 'http://127.0.0.1:1/response/abc', triggerId: '1.2.3' };

  it('encodes a slash command with Slack fields in order', () => {
    // Act
    const body = buildSlashCommandBody(
      {
        text: 'start reviews v2 --ns bookinfo',
        userId: 'U1',
        userName: 'alice',
        channelId: 'C1',
        teamId: 'T1',
      },
      issued,
    );
    // Assess
    expect([...new URLSearchParams(body).keys()]).toEqual([
      'token',
      'team_id',
      'team_domain',
      'channel_id',
      'channel_name',
      'user_id',
      'user_name',
      'command',
      'text',
      'api_app_id',
      'is_enterprise_install',
      'response_url',
      'trigger_id',
    ]);
    expect(body).toContain('command=%2Fcanary&text=start+reviews+v2+--ns+bookinfo');
  });

  it('fills a click from the button on the message and omits the message when ephemeral', () => {
    // Prepare
    const message = {
      type: 'message',
      ts: '1.000100',
      blocks: [
        {
          type: 'actions',
          block_id: 'gate',
          elements: [
            {
              type: 'button',
              action_id: 'approve',
              text: { type: 'plain_text', text: 'Approve' },
              value: 'r1',
              style: 'primary',
            },
          ],
        },
      ],
    };
    const input = {
      user: { id: 'U1', username: 'alice' },
      channel: { id: 'C1' },
      messageTs: '1.000100',
      actions: [{ action_id: 'approve' }],
      teamId: 'T1',
    };
    // Act
    const payload = buildBlockActionsPayload(input, message, issued, () => 1_700_000_000_000);
    const ephemeral = buildBlockActionsPayload({ ...input, ephemeral: true }, undefined, issued);
    // Assess
    expect(payload.actions).toEqual([
      {
        action_id: 'approve',
        block_id: 'gate',
        text: { type: 'plain_text', text: 'Approve', emoji: true },
        type: 'button',
        action_ts: '1700000000.000000',
        value: 'r1',
        style: 'primary',
      },
    ]);
    expect(payload.message).toBe(message);
    expect(payload.container).toEqual({
      type: 'message',
      message_ts: '1.000100',
      channel_id: 'C1',
      is_ephemeral: false,
    });
    expect(ephemeral).not.toHaveProperty('message');
    expect(() =>
      buildBlockActionsPayload({ ...input, actions: [{ action_id: 'nope' }] }, message, issued),
    ).toThrow(SlackInteractionError);
  });
});
