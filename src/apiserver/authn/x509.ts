// x509 client-certificate authentication (kube-apiserver --client-ca-file): the certificate the
// client presented in the TLS handshake must chain to a trusted CA, be within its validity period
// and allow client auth; its subject CN is the username and each O is a group.
import { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { PeerCertificate, DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { realClock, type Clock } from '../../machinery/clock.ts';
import type { Authenticator, AuthnResult } from './types.ts';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_USAGE = '2.5.29.37.0';

export interface X509Options {
  clock?: Clock;
}

interface Cached {
  bundle: string;
  notBefore: number;
  notAfter: number;
  result: AuthnResult;
}

/**
 * `ca` is the client CA bundle (PEM, one or more certificates) or a function returning it, so a
 * CA rotation takes effect without restarting the server. The server must ask for client
 * certificates without requiring them (`requestCert: true, rejectUnauthorized: false`): this
 * authenticator does the verification, so token and anonymous clients can connect too.
 */
export function x509Authenticator(ca: string | (() => string), opts: X509Options = {}): Authenticator {
  const clock = opts.clock ?? realClock;
  const bundleOf = typeof ca === 'function' ? ca : () => ca;
  let parsedFor = '';
  let roots: X509Certificate[] = [];
  // One verification per connection: kubectl keeps its connection for many requests.
  const cache = new WeakMap<object, Cached>();

  const rootsFor = (bundle: string): X509Certificate[] => {
    if (bundle !== parsedFor) {
      roots = splitPEM(bundle).map((p) => new X509Certificate(p));
      parsedFor = bundle;
    }
    return roots;
  };

  return {
    authenticateRequest(req: IncomingMessage): AuthnResult {
      const socket = req.socket as TLSSocket;
      if (typeof socket.getPeerCertificate !== 'function') return undefined;
      const bundle = bundleOf();
      const now = clock.now();
      const hit = cache.get(socket);
      if (hit && hit.bundle === bundle) return checkTime(hit, now);
      const peer = socket.getPeerCertificate(true);
      if (!peer || !peer.raw) return undefined;
      const c = verifyPeer(peer, rootsFor(bundle));
      const entry: Cached = { bundle, ...c };
      cache.set(socket, entry);
      return checkTime(entry, now);
    },
  };
}

function checkTime(c: Cached, now: number): AuthnResult {
  if (c.result && 'error' in c.result) return c.result;
  if (now < c.notBefore || now > c.notAfter) {
    const when = now > c.notAfter ? `is after ${new Date(c.notAfter).toISOString()}` : `is before ${new Date(c.notBefore).toISOString()}`;
    return { error: `x509: certificate has expired or is not yet valid: current time ${new Date(now).toISOString()} ${when}` };
  }
  return c.result;
}

/** Verifies the presented chain; validity times are checked per request against the clock. */
function verifyPeer(peer: DetailedPeerCertificate, roots: X509Certificate[]): { notBefore: number; notAfter: number; result: AuthnResult } {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(peer.raw);
  } catch {
    return { notBefore: 0, notAfter: 0, result: { error: 'x509: malformed certificate' } };
  }
  let notBefore = Date.parse(leaf.validFrom);
  let notAfter = Date.parse(leaf.validTo);
  const eku = leaf.keyUsage;
  if (eku && eku.length && !eku.includes(CLIENT_AUTH) && !eku.includes(ANY_USAGE)) {
    return { notBefore, notAfter, result: { error: 'x509: certificate specifies an incompatible key usage' } };
  }
  // Intermediates the client sent after its certificate.
  const intermediates: X509Certificate[] = [];
  let p: DetailedPeerCertificate | undefined = peer.issuerCertificate;
  let prev: PeerCertificate = peer;
  while (p && p !== prev && p.raw && intermediates.length < 8) {
    try {
      intermediates.push(new X509Certificate(p.raw));
    } catch {
      break;
    }
    prev = p;
    p = p.issuerCertificate;
  }
  let cur = leaf;
  for (let depth = 0; depth < 9; depth++) {
    const root = roots.find((r) => cur.checkIssued(r) && cur.verify(r.publicKey));
    if (root) {
      notBefore = Math.max(notBefore, Date.parse(root.validFrom));
      notAfter = Math.min(notAfter, Date.parse(root.validTo));
      return { notBefore, notAfter, result: userFrom(peer) };
    }
    const next = intermediates.find((i) => i.ca && cur.checkIssued(i) && cur.verify(i.publicKey));
    if (!next) break;
    notBefore = Math.max(notBefore, Date.parse(next.validFrom));
    notAfter = Math.min(notAfter, Date.parse(next.validTo));
    cur = next;
  }
  return { notBefore, notAfter, result: { error: `verifying certificate SN=${BigInt('0x' + leaf.serialNumber).toString()} failed: x509: certificate signed by unknown authority` } };
}

function userFrom(peer: PeerCertificate): AuthnResult {
  const cn = first(peer.subject?.CN);
  // Upstream: a certificate without a common name does not authenticate anyone.
  if (!cn) return undefined;
  return { user: { username: cn, groups: all(peer.subject?.O) } };
}

function first(v: string | string[] | undefined): string {
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
}

function all(v: string | string[] | undefined): string[] {
  return Array.isArray(v) ? [...v] : v ? [v] : [];
}

export function splitPEM(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}
