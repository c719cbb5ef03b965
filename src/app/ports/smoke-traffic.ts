/**
 * Smoke traffic for quiet services: requests sent through the mesh while a release is being judged, so that
 * a service without users still gives the judge something to count. The worker sends them in each release's
 * tick job; they split between baseline and canary by the live route, exactly as users' requests would.
 */

/** The release the requests are for: what a request template may name. */
export interface SmokeTarget {
  readonly releaseId: string;
  readonly namespace: string;
  readonly service: string;
  /** The canary's version (`{{ version }}`) and the baseline's (`{{ baseline }}`). */
  readonly version: string;
  readonly baseline: string;
}

/** What one round of smoke requests did. */
export interface SmokeReport {
  /** Where they went: scheme, host and path only (no credentials, no query string). */
  readonly url: string;
  /** Requests this round was to send: the rate times the tick interval. */
  readonly planned: number;
  /** Requests that went out (answered or not). */
  readonly sent: number;
  /** Answers by class: 2xx and 3xx, 4xx, 5xx. */
  readonly ok: number;
  readonly clientErrors: number;
  readonly serverErrors: number;
  /** Requests without an answer: refused, reset, timed out. */
  readonly failed: number;
  readonly elapsedMs: number;
  /** Why fewer than `planned` went out, if so. */
  readonly cutShort?: 'deadline' | 'stopped';
  /** The first failure without an answer, for the log (no URL secrets, no headers). */
  readonly firstFailure?: string;
}

/**
 * Sends a release's smoke requests.
 */
export interface SmokeTraffic {
  /**
   * One tick's worth of smoke requests for the release's service, bounded in number, concurrency and time;
   * `undefined` when no template applies to the service. Never throws for a request that fails: failures
   * are counted in the report.
   *
   * @example const report = await smoke.send({ releaseId, namespace: 'shop', service: 'catalog', version: 'v2', baseline: 'v1' });
   */
  send(target: SmokeTarget, options?: { signal?: AbortSignal }): Promise<SmokeReport | undefined>;
}
