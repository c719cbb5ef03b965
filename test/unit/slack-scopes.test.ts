/**
 * Every OAuth scope the app manifest requests is justified by a Slack Web API method the shipped code calls
 * (or by the slash command), and every method the code calls has its scope in the manifest.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadYaml } from '@kubernetes/client-node';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The scope each Web API method needs (api.slack.com/methods). A new call needs its line here. */
const SCOPE_OF_METHOD: Record<string, string> = {
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'files.getUploadURLExternal': 'files:write',
  'files.completeUploadExternal': 'files:write',
  'usergroups.users.list': 'usergroups:read',
  'users.info': 'users:read',
  'chat.unfurl': 'links:write',
  // Views need no scope: a trigger (open, push) or the person's own home tab (publish) is the permission.
  'views.open': '',
  'views.update': '',
  'views.push': '',
  'views.publish': '',
  // Needs no scope: any token may call it.
  'auth.test': '',
};

/** Scopes that no Web API call needs: the slash command itself. */
const WITHOUT_METHOD: Record<string, string> = {
  commands: 'the /canary slash command and the message shortcut',
  'links:read': 'the link_shared event',
};

/** The scope each Events API event needs ('' for none). */
const SCOPE_OF_EVENT: Record<string, string> = { app_home_opened: '', link_shared: 'links:read' };

/** The events the shipped code listens to (`app.event('…')`). */
function listenedEvents(): Set<string> {
  const found = new Set<string>();
  for (const file of [...sourceFiles('src'), ...sourceFiles('handlers')]) {
    for (const match of readFileSync(file, 'utf8').matchAll(/\.event\('([a-z_]+)'/g)) found.add(match[1]!);
  }
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** The Web API methods called in shipped code (`client.chat.postMessage(…)` and the like). */
function calledMethods(): Set<string> {
  const call =
    /\.((?:chat|files|usergroups|users|conversations|views|reactions|pins|team|auth|bots)(?:\.[A-Za-z]+)+)\(/g;
  const found = new Set<string>();
  for (const file of [...sourceFiles('src'), ...sourceFiles('handlers')]) {
    for (const match of readFileSync(file, 'utf8').matchAll(call)) found.add(match[1]!);
  }
  return found;
}

const manifest = loadYaml<{
  oauth_config: { scopes: { bot: string[]; user?: string[] } };
  settings: { event_subscriptions?: { bot_events?: string[] } };
}>(readFileSync(join(root, 'infra/slack/manifest.yml'), 'utf8'));

describe('Slack scopes', () => {
  it('requests exactly the scopes of the methods the code calls, and the slash command', () => {
    // Prepare
    const methods = [...calledMethods()].sort();
    // Act
    const needed = new Set([
      ...methods.map((m) => SCOPE_OF_METHOD[m] ?? `(no scope known for ${m}: add it to SCOPE_OF_METHOD)`),
      ...Object.keys(WITHOUT_METHOD),
    ]);
    needed.delete('');
    // Assess
    expect(methods).toEqual(
      expect.arrayContaining(['chat.postMessage', 'usergroups.users.list', 'users.info']),
    );
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...needed].sort());
    expect(manifest.oauth_config.scopes.user).toBeUndefined();
  });

  it('subscribes to exactly the events the code listens to, each with its scope', () => {
    // Prepare
    const events = [...listenedEvents()].sort();
    // Act
    const subscribed = [...(manifest.settings.event_subscriptions?.bot_events ?? [])].sort();
    // Assess
    expect(events).toEqual(['app_home_opened', 'link_shared']);
    expect(subscribed).toEqual(events);
    for (const event of events) {
      const scope = SCOPE_OF_EVENT[event];
      expect(scope).toBeDefined();
      if (scope) expect(manifest.oauth_config.scopes.bot).toContain(scope);
    }
  });

  it("README's Configure Slack names the same scopes", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configure Slack'), readme.indexOf('## Configuration'));
    const named = [...section.matchAll(/`([a-z]+(?::[a-z]+)?)`/g)]
      .map((m) => m[1]!)
      .filter((s) => s.includes(':') || s === 'commands');
    const scopes = [...new Set(named.filter((s) => s !== 'connections:write'))].sort();
    expect(scopes).toEqual([...manifest.oauth_config.scopes.bot].sort());
  });
});
