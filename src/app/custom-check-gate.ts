/**
 * Custom checks are validated against Prometheus before a release relies on them: each query, rendered for
 * a real service, is sent once as an instant query. A query Prometheus refuses keeps every release of the
 * services it applies to from starting, with Prometheus' own error; a check is never silently left out.
 */
import type { CustomChecks } from './canary-analysis.js';
import { describeError, type Logger } from './logger.js';
import type { CheckSide, ConfiguredCheck } from './ports/custom-checks.js';
import { BadQueryError, MetricsError, metricsFailureForPeople } from './ports/metrics-errors.js';

/** Accepted (undefined), or refused with a sentence naming the check and Prometheus' error. */
type Answer = string | undefined;

/**
 * Validates custom checks once per cluster and query text, remembering definite answers (accepted or
 * refused); an unavailable Prometheus is asked again next time.
 *
 * @example const problem = await gate.problemOf('prod', { namespace: 'shop', service: 'checkout' }, canarySide);
 */
export class CustomCheckGate {
  readonly #answers = new Map<string, Promise<Answer>>();

  constructor(private readonly deps: { customChecks: CustomChecks; log: Logger; clock: () => Date }) {}

  /**
   * Why a release of this service cannot start with its custom checks: a check that could not tell the
   * canary from its baseline (both subsets of one Service, a query without `{{ version }}`), or the first
   * check whose query Prometheus refuses. Undefined when every check is accepted, or when Prometheus cannot be asked now
   * (the tick then reports it as unreadable, and the release waits for a person).
   */
  async problemOf(
    cluster: string | undefined,
    target: { namespace: string; service: string },
    side: CheckSide,
    versions?: { readonly baseline: string; readonly sameService: boolean },
  ): Promise<Answer> {
    const checks = this.deps.customChecks.checksOf(target.namespace, target.service);
    // Both versions behind one Service (subsets): a query without {{ version }} reads the same series for both.
    const blind = versions?.sameService
      ? checks.find((check) => !queriesOf(check).every(namesVersion))
      : undefined;
    if (blind && versions)
      return `custom check "${blind.name}" cannot tell ${side.version} from ${versions.baseline}: both are subsets of the Service ${side.service}, and its query names the service but not {{ version }}, so it would compare ${versions.baseline} with itself`;
    const answers = await Promise.all(checks.map((check) => this.#validate(cluster, check, side)));
    return answers.find((answer) => answer !== undefined);
  }

  /**
   * Validates checks as configured (at cold start), and logs every refused one as an error.
   *
   * @example await gate.validateConfigured([{ cluster: 'prod', where: 'namespaces.shop', check, side }]);
   */
  async validateConfigured(
    entries: readonly { cluster: string; where: string; check: ConfiguredCheck; side: CheckSide }[],
  ): Promise<{ refused: number }> {
    const answers = await Promise.all(
      entries.map(async (entry) => ({
        entry,
        answer: await this.#validate(entry.cluster, entry.check, entry.side),
      })),
    );
    const refused = answers.filter((a) => a.answer !== undefined);
    for (const { entry, answer } of refused)
      this.deps.log.error('custom check refused by Prometheus: releases that use it will not start', {
        cluster: entry.cluster,
        setting: `CANARY_BOT_CHECKS ${entry.where}`,
        check: entry.check.name,
        problem: answer,
      });
    return { refused: refused.length };
  }

  #validate(cluster: string | undefined, check: ConfiguredCheck, side: CheckSide): Promise<Answer> {
    const key = JSON.stringify([cluster ?? '', check]);
    const known = this.#answers.get(key);
    if (known) return known;
    const answer = this.#ask(cluster, check, side);
    this.#answers.set(key, answer);
    // Only definite answers are kept: an unavailable Prometheus is asked again.
    void answer.then(
      (problem) => {
        if (problem === UNKNOWN) this.#answers.delete(key);
      },
      () => this.#answers.delete(key),
    );
    return answer.then((problem) => (problem === UNKNOWN ? undefined : problem));
  }

  async #ask(cluster: string | undefined, check: ConfiguredCheck, side: CheckSide): Promise<Answer> {
    try {
      await this.deps.customChecks.readerFor(cluster).probeCustomCheck(check, side, this.deps.clock());
      return undefined;
    } catch (error) {
      if (error instanceof BadQueryError)
        return `custom check "${check.name}" cannot be used: ${refusal(error)}`;
      if (error instanceof MetricsError && error.code === 'template')
        return `custom check "${check.name}" cannot be used: ${metricsFailureForPeople(error)}`;
      this.deps.log.warn('could not validate a custom check', {
        cluster: cluster ?? '(default)',
        check: check.name,
        error: describeError(error),
      });
      return UNKNOWN;
    }
  }
}

/** Not answered (Prometheus unavailable): not kept, and not held against a release. */
const UNKNOWN = '\u0000unknown';

/** Prometheus' refusal in words for a channel: no endpoint or address, even one quoted back from the query. */
function refusal(error: BadQueryError): string {
  return metricsFailureForPeople(error).replace(/^custom check "[^"]*": /, '');
}

/** A check's PromQL templates. */
function queriesOf(check: ConfiguredCheck): string[] {
  return check.kind === 'ratio' ? [check.events, check.total] : [check.query];
}

function namesVersion(query: string): boolean {
  return /\{\{\s*version\s*\}\}/.test(query);
}
