/** `/canary audit`: its words, its bound on --since, and its refusals. */
import { parseCommand, usageOf } from '../../src/domain/command/index.js';

describe('/canary audit', () => {
  it.each([
    ['audit reviews', { kind: 'audit', service: 'reviews' }],
    ['audit reviews --since 30d', { kind: 'audit', service: 'reviews', sinceSeconds: 30 * 86_400 }],
    [
      'audit reviews --since 90d --ns shop',
      { kind: 'audit', service: 'reviews', namespace: 'shop', sinceSeconds: 90 * 86_400 },
    ],
    [
      'audit reviews --since 1m --cluster prod',
      { kind: 'audit', service: 'reviews', cluster: 'prod', sinceSeconds: 60 },
    ],
  ])('reads %s', (text, command) => {
    expect(parseCommand(text)).toEqual({ ok: true, command });
  });

  it.each([
    ['audit reviews --since 91d', '--since is a duration from 1m to 90d such as 24h, 7d or 30d, not "91d".'],
    ['audit reviews --since 2w', '--since is a duration from 1m to 90d such as 24h, 7d or 30d, not "2w".'],
    ['audit reviews --since 30s', '--since is a duration from 1m to 90d such as 24h, 7d or 30d, not "30s".'],
    ['audit', 'Name the service, e.g. reviews.'],
  ])('refuses %s', (text, error) => {
    expect(parseCommand(text)).toEqual({ ok: false, error, usage: usageOf('audit') });
  });
});
