// A cluster's HTTPS endpoint, as GKE publishes it (`endpoint` + `masterAuth.clusterCaCertificate`): a TLS
// listener on loopback that passes every connection through to the cluster's plain-HTTP Kubernetes API port,
// so that the kubeconfig `gcloud container clusters get-credentials` writes (https://ENDPOINT, the CA, the
// gke-gcloud-auth-plugin) works against the sandbox. The certificates are the sandbox's own, made here.

import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { createServer, type TLSSocket } from 'node:tls';
import { certificate, pem } from '../x509.js';

export interface ClusterEndpoint {
  /** host:port, the GKE resource's `endpoint`. */
  hostPort: string;
  /** Base64 of the CA's PEM, as `masterAuth.clusterCaCertificate` holds it. */
  caCertificate: string;
  close(): Promise<void>;
}

interface Authority {
  name: string;
  key: KeyObject;
  pem: string;
}

let authority: Authority | undefined;
const leaves = new Map<string, { key: string; cert: string }>();

/** One CA per process (EC keys take a millisecond; worlds need not be isolated from each other here). */
function ca(): Authority {
  if (authority) return authority;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const now = Date.now();
  const name = 'wi-doctor sandbox cluster CA';
  const der = certificate({
    subject: name,
    publicKey,
    privateKey,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 10 * 365 * 86_400_000),
    ca: true,
  });
  authority = { name, key: privateKey, pem: pem(der) };
  return authority;
}

function leafFor(host: string): { key: string; cert: string } {
  const cached = leaves.get(host);
  if (cached) return cached;
  const issuer = ca();
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const now = Date.now();
  const der = certificate({
    subject: host,
    publicKey,
    issuer: { name: issuer.name, privateKey: issuer.key },
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 365 * 86_400_000),
    ipAddresses: [host],
    dnsNames: ['localhost', 'kubernetes.default.svc'],
  });
  const leaf = { key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), cert: pem(der) + issuer.pem };
  leaves.set(host, leaf);
  return leaf;
}

/** Listens on host:port (0 = a free port) and forwards each TLS connection to upstreamPort on the same host. */
export async function startClusterEndpoint(host: string, port: number, upstreamPort: number): Promise<ClusterEndpoint> {
  const leaf = leafFor(host);
  const sockets = new Set<Socket | TLSSocket>();
  const server = createServer({ key: leaf.key, cert: leaf.cert }, (client) => {
    const upstream = connect(upstreamPort, host);
    sockets.add(client);
    sockets.add(upstream);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream).pipe(client);
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    hostPort: `${host}:${bound}`,
    caCertificate: Buffer.from(ca().pem).toString('base64'),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
