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
  // Needs no scope: any token may call it.
  'auth.test': '',
};

/** Scopes that no Web API call needs: the slash command itself. */
const WITHOUT_METHOD: Record<string, string> = { commands: 'the /canary slash command' };

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

const manifest = loadYaml<{ oauth_config: { scopes: { bot: string[]; user?: string[] } } }>(
  readFileSync(join(root, 'infra/slack/manifest.yml'), 'utf8'),
);

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
