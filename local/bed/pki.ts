import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './processes.js';

/** Files of the bed's private certificate authority and the identities signed by it. */
export interface BedPki {
  caCert: string;
  servingCert: string;
  servingKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
  /** Serving certificate of Istio's pilot (its validating webhook) on 127.0.0.1. */
  istiod: { cert: string; key: string };
  /** Client certificates by name: admin (system:masters), controller manager and scheduler. */
  clients: Record<ClientName, { cert: string; key: string }>;
}

type ClientName = 'admin' | 'controllerManager' | 'scheduler';

const clientSubjects: Record<ClientName, string> = {
  admin: '/O=system:masters/CN=canary-bot-bed-admin',
  controllerManager: '/CN=system:kube-controller-manager',
  scheduler: '/CN=system:kube-scheduler',
};

const servingNames =
  'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc';

/** Creates a CA, the API server's serving certificate, client certificates and the service-account key pair. */
export async function createPki(dir: string): Promise<BedPki> {
  await mkdir(dir, { recursive: true });
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  const issue = async (name: string, subject: string, extensions: string) => {
    await writeFile(f(`${name}.ext`), `${extensions}\n`);
    await openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      subject,
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.csr`),
    );
    await openssl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '30',
      '-extfile',
      f(`${name}.ext`),
      '-out',
      f(`${name}.crt`),
    );
  };

  await openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '30',
    '-subj',
    '/CN=canary-bot-bed-ca',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
  );
  await issue('serving', '/CN=kube-apiserver', `${servingNames}\nextendedKeyUsage=serverAuth`);
  await issue(
    'istiod',
    '/CN=istiod.istio-system.svc',
    'subjectAltName=IP:127.0.0.1,DNS:istiod.istio-system.svc\nextendedKeyUsage=serverAuth',
  );
  for (const [name, subject] of Object.entries(clientSubjects))
    await issue(name, subject, 'extendedKeyUsage=clientAuth');
  await openssl('genrsa', '-out', f('sa.key'), '2048');
  await openssl('rsa', '-in', f('sa.key'), '-pubout', '-out', f('sa.pub'));

  const client = (name: string) => ({ cert: f(`${name}.crt`), key: f(`${name}.key`) });
  return {
    caCert: f('ca.crt'),
    servingCert: f('serving.crt'),
    servingKey: f('serving.key'),
    serviceAccountKey: f('sa.key'),
    serviceAccountPub: f('sa.pub'),
    istiod: client('istiod'),
    clients: {
      admin: client('admin'),
      controllerManager: client('controllerManager'),
      scheduler: client('scheduler'),
    },
  };
}
