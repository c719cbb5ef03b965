import { createHash, createHmac } from 'node:crypto';
import { eksToken, KubeConfigSource } from '../../src/mesh/kube-auth.js';

const credentials = async () => ({
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
});
const signingDate = new Date('2026-11-22T10:00:00Z');

function decode(token: string): URL {
  expect(token.startsWith('k8s-aws-v1.')).toBe(true);
  const encoded = token.slice('k8s-aws-v1.'.length);
  expect(encoded).not.toMatch(/[=+/]/); // unpadded base64url
  return new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
}

/** SigV4 written out independently from AWS's documentation, to check the presigned URL's signature. */
function expectedSignature(url: URL, clusterName: string, secret: string): string {
  const params = [...url.searchParams.entries()].filter(([k]) => k !== 'X-Amz-Signature');
  const enc = (s: string) =>
    encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const query = params
    .map(([k, v]) => [enc(k), enc(v)])
    .sort(([a], [b]) => (a! < b! ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonical = [
    'GET',
    '/',
    query,
    `host:${url.host}\nx-k8s-aws-id:${clusterName}\n`,
    'host;x-k8s-aws-id',
    createHash('sha256').update('').digest('hex'),
  ].join('\n');
  const amzDate = url.searchParams.get('X-Amz-Date')!;
  const scope = `${amzDate.slice(0, 8)}/eu-west-1/sts/aws4_request`;
  const toSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonical).digest('hex'),
  ].join('\n');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const key = hmac(
    hmac(hmac(hmac(`AWS4${secret}`, amzDate.slice(0, 8)), 'eu-west-1'), 'sts'),
    'aws4_request',
  );
  return createHmac('sha256', key).update(toSign).digest('hex');
}

describe('EKS bearer token', () => {
  it('is a presigned STS GetCallerIdentity for the cluster, valid SigV4, 60 s expiry', async () => {
    const token = await eksToken({ clusterName: 'prod', region: 'eu-west-1' }, credentials, signingDate);

    const url = decode(token);
    expect(url.host).toBe('sts.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
    expect(url.searchParams.get('Version')).toBe('2011-06-15');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(url.searchParams.get('X-Amz-Date')).toBe('20261122T100000Z');
    expect(url.searchParams.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20261122/eu-west-1/sts/aws4_request');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(url.searchParams.get('X-Amz-Signature')).toBe(
      expectedSignature(url, 'prod', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'),
    );
  });

  it('signs a different token for another cluster name', async () => {
    const a = await eksToken({ clusterName: 'prod', region: 'eu-west-1' }, credentials, signingDate);
    const b = await eksToken({ clusterName: 'staging', region: 'eu-west-1' }, credentials, signingDate);

    expect(a).not.toBe(b);
  });

  it('is minted again by KubeConfigSource before it expires, not on every call', async () => {
    let now = signingDate.getTime();
    const source = new KubeConfigSource(
      {
        mode: 'eks',
        clusterName: 'prod',
        region: 'eu-west-1',
        endpoint: 'https://example.eks.invalid',
        certificateAuthorityData: Buffer.from('ca').toString('base64'),
      },
      credentials,
      () => now,
    );
    const token = async () => (await source.get()).getCurrentUser()?.token;

    const first = await token();
    now += 9 * 60_000;
    const stillCached = await token();
    now += 2 * 60_000;
    const renewed = await token();

    expect(stillCached).toBe(first);
    expect(renewed).not.toBe(first);
    expect(decode(renewed!).searchParams.get('X-Amz-Date')).toBe('20261122T101100Z');
  });
});
