/**
 * Prints the webhooks of one namespace's Canaries: the URLs (the same for every namespace) and that
 * namespace's key in each webhook's metadata, ready to paste under `spec.analysis.webhooks`. The master secret
 * comes from CANARY_BOT_FLAGGER_SECRET, as a value or an `ssm:/…` reference (read from SSM, decrypted).
 *
 *   npm run flagger-webhooks -- --ns bookinfo [--url https://<api-id>.execute-api.<region>.amazonaws.com/flagger]
 *
 * `--url` is the stack output FlaggerWebhookBaseUrl. Exit status 2 with one sentence on bad input.
 */
import { parseArgs } from 'node:util';
import { ssmSecretResolver } from '../src/config.js';
import { isDnsLabel } from '../src/domain/validation/index.js';
import { FLAGGER_KEY_METADATA, flaggerNamespaceKey } from '../src/flagger/namespace-key.js';

const PLACEHOLDER_URL = 'https://<api-id>.execute-api.<region>.amazonaws.com/flagger';

/**
 * The webhooks block of a namespace, as YAML.
 *
 * @example flaggerWebhooksYaml({ baseUrl: 'https://x/flagger', namespace: 'bookinfo', key: 'q3V…' })
 */
export function flaggerWebhooksYaml(options: { baseUrl: string; namespace: string; key: string }): string {
  const base = options.baseUrl.replace(/\/+$/, '');
  const hook = (name: string, type: string, comment: string) =>
    [
      `  - name: ${name}${' '.repeat(Math.max(1, 17 - name.length))}# ${comment}`,
      `    type: ${type}`,
      `    url: ${base}/${type}`,
      `    metadata: { ${FLAGGER_KEY_METADATA}: "${options.key}" }`,
    ].join('\n');
  return [
    `# Webhooks of the Canaries in namespace ${options.namespace}; the key is valid for this namespace only.`,
    'webhooks:',
    hook('slack-approval', 'confirm-promotion', 'halts before promotion until an approver clicks Approve'),
    hook('slack-rollback', 'rollback', 'the card offers "Roll back"'),
    hook('slack-events', 'event', "Flagger's events in the revision's thread"),
    '',
  ].join('\n');
}

/** Reads the arguments and the master secret; prints the block, or one sentence and exits 2. */
export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (text: string) => void,
  resolve = ssmSecretResolver,
): Promise<number> {
  let values: { ns?: string; url?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { ns: { type: 'string' }, url: { type: 'string' } },
      strict: true,
    }));
  } catch (error) {
    out(
      `${error instanceof Error ? error.message : String(error)}; usage: --ns <namespace> [--url <base>]\n`,
    );
    return 2;
  }
  const namespace = values.ns ?? '';
  if (!isDnsLabel(namespace)) {
    out(`--ns must be a Kubernetes namespace name (a DNS label), not "${namespace.slice(0, 64)}".\n`);
    return 2;
  }
  const reference = env.CANARY_BOT_FLAGGER_SECRET;
  if (!reference) {
    out(
      'Set CANARY_BOT_FLAGGER_SECRET to the master secret or to its SSM parameter (ssm:/canary-bot/<stage>/flagger-secret).\n',
    );
    return 2;
  }
  const master = reference.startsWith('ssm:') ? await resolve(reference) : reference;
  if (master.length < 24) {
    out('CANARY_BOT_FLAGGER_SECRET must be at least 24 characters, as the bot requires.\n');
    return 2;
  }
  out(
    flaggerWebhooksYaml({
      baseUrl: values.url ?? PLACEHOLDER_URL,
      namespace,
      key: flaggerNamespaceKey(master, namespace),
    }),
  );
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2), process.env, (text) => process.stdout.write(text));
}
