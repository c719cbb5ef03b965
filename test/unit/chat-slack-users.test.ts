import { userKindOf } from '../../src/chat/slack/slack-users.js';

const home = { teamId: 'T0PROD', enterpriseId: 'E0ACME' };

describe('userKindOf', () => {
  it.each([
    ['a member', { team_id: 'T0PROD' }, 'member'],
    ['a multi-channel guest', { team_id: 'T0PROD', is_restricted: true }, 'guest'],
    [
      'a single-channel guest',
      { team_id: 'T0PROD', is_restricted: true, is_ultra_restricted: true },
      'guest',
    ],
    [
      'a member of another workspace of the same Grid',
      { team_id: 'T0OTHER', enterprise_user: { enterprise_id: 'E0ACME' } },
      'member',
    ],
    ['a Slack Connect member', { team_id: 'T0PARTNER' }, 'external'],
    ['a Slack Connect guest', { team_id: 'T0PARTNER', is_restricted: true }, 'external'],
    ['a stranger', { team_id: 'T0PROD', is_stranger: true }, 'external'],
    ['someone without a team', {}, 'external'],
  ] as const)('%s', (_what, user, kind) => {
    expect(userKindOf(user, home)).toBe(kind);
  });

  it('does not take an organisation for the same one when the app is in none', () => {
    expect(userKindOf({ team_id: 'T0OTHER', enterprise_user: {} }, { teamId: 'T0PROD' })).toBe('external');
  });
});
