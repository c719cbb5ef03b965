import { createHmac } from 'node:crypto';
import { signSlackRequest, slackSignatureHeaders } from '../../local/slack/request-signing.js';

describe('signSlackRequest', () => {
  it("reproduces the example of Slack's request verification guide", () => {
    // Prepare: secret, timestamp, body and signature as published by Slack.
    const secret = '8f742231b10e8888abcd99yyyzzz85a5';
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V' +
      '&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=' +
      '&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN' +
      '&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    // Act
    const signature = signSlackRequest(secret, 1531420618, body);
    // Assess
    expect(signature).toBe('v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503');
  });

  it('signs v0:{timestamp}:{body} with HMAC-SHA256, including non-ASCII bodies', () => {
    // Prepare
    const body = 'payload=%7B%22text%22%3A%22d%C3%A9ploiement%22%7D&note=déploiement ✓';
    const expected = createHmac('sha256', 'other-secret')
      .update(`v0:1700000000:${body}`, 'utf8')
      .digest('hex');
    // Act
    const headers = slackSignatureHeaders('other-secret', 1700000000, body);
    // Assess
    expect(headers).toEqual({
      'X-Slack-Request-Timestamp': '1700000000',
      'X-Slack-Signature': `v0=${expected}`,
    });
  });

  it('changes with the secret, the timestamp and the body', () => {
    const base = signSlackRequest('s', 1, 'a=1');
    expect(signSlackRequest('t', 1, 'a=1')).not.toBe(base);
    expect(signSlackRequest('s', 2, 'a=1')).not.toBe(base);
    expect(signSlackRequest('s', 1, 'a=2')).not.toBe(base);
  });
});
