/**
 * AWS Signature Version 4 for Prometheus queries to Amazon Managed Prometheus (service `aps`). The
 * signature covers the method, path, query, `host`, `content-type`, `x-amz-date` and the body's SHA-256,
 * so it is computed per attempt, on the exact bytes sent.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/** AWS credentials, as the default credential chain returns them. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** Returns current credentials; called for every signature, so it should cache (the default chain does). */
export type AwsCredentialsProvider = () => Promise<AwsCredentials>;

/** What is signed: the final URL, headers and body of one HTTP request. */
export interface SignableRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers: Readonly<Record<string, string>>;
  body: string;
}

/**
 * Signs requests for one region and service with credentials from `credentials`.
 * @example
 * const signer = new SigV4RequestSigner({ region: 'eu-west-1', service: 'aps', credentials: defaultAwsCredentials() });
 * const headers = await signer.sign({ method: 'POST', url, headers: { 'content-type': FORM }, body });
 */
export class SigV4RequestSigner {
  private readonly signer: SignatureV4;

  constructor(options: { region: string; service: string; credentials: AwsCredentialsProvider }) {
    this.signer = new SignatureV4({
      region: options.region,
      service: options.service,
      credentials: options.credentials,
      sha256: Sha256,
    });
  }

  /**
   * Headers to send: the request's own plus `host`, `x-amz-date`, `x-amz-content-sha256`,
   * `authorization` (and `x-amz-security-token` with temporary credentials).
   */
  async sign(request: SignableRequest, signingDate: Date = new Date()): Promise<Record<string, string>> {
    const { url } = request;
    const query: Record<string, string | string[]> = {};
    for (const [name, value] of url.searchParams) {
      const existing = query[name];
      query[name] =
        existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
    }
    const unsigned = new HttpRequest({
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query,
      headers: { ...request.headers, host: url.host },
      body: request.body,
    });
    const signed = await this.signer.sign(unsigned, { signingDate });
    return { ...signed.headers };
  }
}

/**
 * The default AWS credential chain (environment, SSO, web identity, the Lambda role...), loaded on first
 * use so deployments without SigV4 never pay for it.
 */
export function defaultAwsCredentials(): AwsCredentialsProvider {
  let provider: Promise<AwsCredentialsProvider> | undefined;
  return async () => {
    provider ??= import('@aws-sdk/credential-provider-node').then(({ defaultProvider }) => defaultProvider());
    return await (await provider)();
  };
}
