import { Sha256 } from '@aws-crypto/sha256-js';
import * as k8s from '@kubernetes/client-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/** How the bot reaches a cluster. One of these per `--cluster` name in the configuration. */
export type KubeAuthSettings =
  /** A kubeconfig file (local development, the test bed); the default file and context when omitted. */
  | { mode: 'kubeconfig'; path?: string; context?: string }
  /** The pod's service account (the bot running inside the cluster). */
  | { mode: 'in-cluster' }
  /** EKS from Lambda: a bearer token presigned with the function's IAM role; no kubeconfig, no aws CLI. */
  | { mode: 'eks'; clusterName: string; region: string; endpoint: string; certificateAuthorityData: string };

/** AWS credentials as the SDK's providers return them. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export type AwsCredentialProvider = () => Promise<AwsCredentials>;

const tokenPrefix = 'k8s-aws-v1.';
/** STS accepts a presigned GetCallerIdentity for 15 minutes from X-Amz-Date; the URL itself says 60 s. */
const tokenLifetimeMs = 15 * 60_000;
/** A token is replaced this long before it expires, so a request never carries an expiring one. */
const refreshMarginMs = 5 * 60_000;

/**
 * An EKS bearer token: STS `GetCallerIdentity` presigned for the cluster (header `x-k8s-aws-id` signed),
 * `k8s-aws-v1.` + unpadded base64url of the URL. This is what `aws eks get-token` produces.
 *
 * @example
 * const token = await eksToken({ clusterName: 'prod', region: 'eu-west-1' }, fromNodeProviderChain());
 */
export async function eksToken(
  cluster: { clusterName: string; region: string },
  credentials: AwsCredentialProvider,
  signingDate: Date = new Date(),
): Promise<string> {
  const signer = new SignatureV4({ service: 'sts', region: cluster.region, credentials, sha256: Sha256 });
  const request = new HttpRequest({
    method: 'GET',
    protocol: 'https:',
    hostname: `sts.${cluster.region}.amazonaws.com`,
    path: '/',
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    headers: { host: `sts.${cluster.region}.amazonaws.com`, 'x-k8s-aws-id': cluster.clusterName },
  });
  const signed = await signer.presign(request, { expiresIn: 60, signingDate });
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(signed.query ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'string') query.append(key, v);
  }
  const url = `https://${signed.hostname}${signed.path}?${query.toString()}`;
  return tokenPrefix + Buffer.from(url).toString('base64url');
}

/**
 * Gives a KubeConfig for the configured cluster. For EKS it mints a token and mints a new one before the
 * old one expires, so a warm Lambda container never uses a stale token; the others are built once.
 */
export class KubeConfigSource {
  private cached: { config: k8s.KubeConfig; renewAt: number } | undefined;

  constructor(
    private readonly settings: KubeAuthSettings,
    private readonly credentials?: AwsCredentialProvider,
    private readonly now: () => number = Date.now,
  ) {}

  /** The current KubeConfig; cheap when cached. */
  async get(): Promise<k8s.KubeConfig> {
    if (this.cached && this.now() < this.cached.renewAt) return this.cached.config;
    const config = await this.build();
    const renewAt =
      this.settings.mode === 'eks'
        ? this.now() + tokenLifetimeMs - refreshMarginMs
        : Number.POSITIVE_INFINITY;
    this.cached = { config, renewAt };
    return config;
  }

  private async build(): Promise<k8s.KubeConfig> {
    const kc = new k8s.KubeConfig();
    switch (this.settings.mode) {
      case 'kubeconfig':
        if (this.settings.path) kc.loadFromFile(this.settings.path);
        else kc.loadFromDefault();
        if (this.settings.context) kc.setCurrentContext(this.settings.context);
        return kc;
      case 'in-cluster':
        kc.loadFromCluster();
        return kc;
      case 'eks': {
        if (!this.credentials) throw new Error('EKS access needs an AWS credential provider');
        const token = await eksToken(this.settings, this.credentials, new Date(this.now()));
        kc.loadFromOptions({
          clusters: [
            {
              name: this.settings.clusterName,
              server: this.settings.endpoint,
              caData: this.settings.certificateAuthorityData,
              skipTLSVerify: false,
            },
          ],
          users: [{ name: 'canary-bot', token }],
          contexts: [
            { name: this.settings.clusterName, cluster: this.settings.clusterName, user: 'canary-bot' },
          ],
          currentContext: this.settings.clusterName,
        });
        return kc;
      }
    }
  }
}
