// Service-account tokens (pkg/serviceaccount): bound JWTs from the TokenRequest API, signed by the
// cluster's sa.key and carrying the `kubernetes.io` claim that ties them to a service account and
// optionally a pod, secret or node; plus legacy tokens of kubernetes.io/service-account-token
// Secrets (issuer `kubernetes/serviceaccount`, no expiry). A valid token authenticates as
// system:serviceaccount:<ns>:<name> in system:serviceaccounts and system:serviceaccounts:<ns>.
// Tokens are ES256 (ECDSA P-256 keys) or RS256 (RSA keys); anything else, `none` included, is
// refused.
import { createPrivateKey, createPublicKey, createHash, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { realClock, type Clock } from '../../machinery/clock.ts';
import { rfc3339, type Obj, type UserInfo } from '../types.ts';
import type { Authenticator, AuthnResult } from './types.ts';

export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
export const LEGACY_ISSUER = 'kubernetes/serviceaccount';
/** TokenRequest's default expirationSeconds and its lower bound. */
export const DEFAULT_EXPIRATION_SECONDS = 3600;
export const MIN_EXPIRATION_SECONDS = 600;
/** The kubelet asks for this lifetime; the server then issues a year-long token that warns after it. */
export const WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS = 3607;
export const EXPIRATION_EXTENSION_SECONDS = 365 * 24 * 3600;
/** go-jose's default leeway for exp and nbf. */
const LEEWAY_S = 60;
/** No real token comes near this; larger ones are not even parsed. */
const MAX_TOKEN_LENGTH = 64 * 1024;

/** Reads the objects a bound token refers to; absent methods skip that check. */
export interface BoundObjectGetter {
  getServiceAccount?(namespace: string, name: string): Obj | undefined | Promise<Obj | undefined>;
  getPod?(namespace: string, name: string): Obj | undefined | Promise<Obj | undefined>;
  getSecret?(namespace: string, name: string): Obj | undefined | Promise<Obj | undefined>;
  getNode?(name: string): Obj | undefined | Promise<Obj | undefined>;
}

export interface ServiceAccountTokenOptions {
  /** PEM private key (sa.key) used to sign; its public half verifies. */
  signingKey: string | KeyObject;
  /** Extra public keys accepted for verification (older sa.pub during a key rotation). */
  verifyKeys?: (string | KeyObject)[];
  /** --service-account-issuer (the first one signs). */
  issuer?: string;
  /** Further issuers accepted for verification. */
  acceptedIssuers?: string[];
  /** --api-audiences; defaults to the issuer. */
  audiences?: string[];
  clock?: Clock;
  getter?: BoundObjectGetter;
  /** --service-account-extend-token-expiration (default true). */
  extendExpiration?: boolean;
  /** --service-account-max-token-expiration in seconds (0: no limit). */
  maxExpirationSeconds?: number;
}

export interface TokenIssueRequest {
  namespace: string;
  serviceAccount: string;
  /** The ServiceAccount's uid. */
  uid?: string;
  podName?: string;
  podUID?: string;
  secretName?: string;
  secretUID?: string;
  nodeName?: string;
  nodeUID?: string;
  /** Defaults to the API audiences. */
  audiences?: string[];
  expirationSeconds?: number;
}

export interface IssuedToken {
  token: string;
  /** RFC 3339, for TokenRequest status.expirationTimestamp. */
  expirationTimestamp: string;
  /** The lifetime actually granted, in seconds (after the max clamp and the kubelet extension). */
  expirationSeconds: number;
}

interface Key {
  key: KeyObject;
  kid: string;
  alg: 'ES256' | 'ES384' | 'RS256';
}

interface Ref {
  name?: string;
  uid?: string;
}

export interface ServiceAccountTokens extends Authenticator {
  readonly issuer: string;
  readonly apiAudiences: string[];
  issue(req: TokenIssueRequest): IssuedToken;
  /** A legacy token for a kubernetes.io/service-account-token Secret (stored in its data.token). */
  issueLegacy(req: { namespace: string; serviceAccount: string; uid: string; secretName: string }): string;
  authenticateToken(token: string, audiences?: string[]): Promise<AuthnResult>;
  /** The public keys as a JWKS document (/openid/v1/jwks). */
  jwks(): { keys: Obj[] };
}

export function serviceAccountTokens(opts: ServiceAccountTokenOptions): ServiceAccountTokens {
  const clock = opts.clock ?? realClock;
  const issuer = opts.issuer ?? DEFAULT_ISSUER;
  const issuers = new Set([issuer, ...(opts.acceptedIssuers ?? [])]);
  const apiAudiences = opts.audiences?.length ? [...opts.audiences] : [issuer];
  const signer = createPrivateKey(opts.signingKey as string);
  const signing = toKey(createPublicKey(signer));
  const keys: Key[] = [signing, ...(opts.verifyKeys ?? []).map((k) => toKey(createPublicKey(k as string)))];
  const extend = opts.extendExpiration ?? true;
  const getter = opts.getter ?? {};

  const encode = (claims: Obj): string => {
    const head = b64url(JSON.stringify({ alg: signing.alg, kid: signing.kid }));
    const body = b64url(JSON.stringify(claims));
    const data = `${head}.${body}`;
    const sig = sign(hashFor(signing.alg), Buffer.from(data), signing.alg === 'RS256' ? signer : { key: signer, dsaEncoding: 'ieee-p1363' });
    return `${data}.${sig.toString('base64url')}`;
  };

  return {
    issuer,
    apiAudiences,

    issue(req) {
      const nowS = Math.floor(clock.now() / 1000);
      let exp = req.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
      if (opts.maxExpirationSeconds && exp > opts.maxExpirationSeconds) exp = opts.maxExpirationSeconds;
      const audiences = req.audiences?.length ? req.audiences : apiAudiences;
      let warnAfter = 0;
      if (extend && req.podName && exp === WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS && audiences.every((a) => apiAudiences.includes(a))) {
        warnAfter = exp;
        exp = EXPIRATION_EXTENSION_SECONDS;
      }
      const k8s: Obj = { namespace: req.namespace };
      if (req.nodeName) k8s.node = ref(req.nodeName, req.nodeUID);
      if (req.podName) k8s.pod = ref(req.podName, req.podUID);
      else if (req.secretName) k8s.secret = ref(req.secretName, req.secretUID);
      k8s.serviceaccount = ref(req.serviceAccount, req.uid);
      if (warnAfter) k8s.warnafter = nowS + warnAfter;
      // go-jose writes the merged claims in key order.
      const claims = {
        aud: audiences,
        exp: nowS + exp,
        iat: nowS,
        iss: issuer,
        jti: randomUUID(),
        'kubernetes.io': k8s,
        nbf: nowS,
        sub: `system:serviceaccount:${req.namespace}:${req.serviceAccount}`,
      };
      return { token: encode(claims), expirationTimestamp: rfc3339((nowS + exp) * 1000), expirationSeconds: exp };
    },

    issueLegacy(req) {
      return encode({
        iss: LEGACY_ISSUER,
        'kubernetes.io/serviceaccount/namespace': req.namespace,
        'kubernetes.io/serviceaccount/secret.name': req.secretName,
        'kubernetes.io/serviceaccount/service-account.name': req.serviceAccount,
        'kubernetes.io/serviceaccount/service-account.uid': req.uid,
        sub: `system:serviceaccount:${req.namespace}:${req.serviceAccount}`,
      });
    },

    async authenticateToken(token, audiences = apiAudiences) {
      const parsed = parseJWT(token);
      if (!parsed) return undefined;
      const { header, claims, signed, signature } = parsed;
      const iss = claims.iss;
      const legacy = iss === LEGACY_ISSUER;
      // Another issuer's JWT is for another authenticator (upstream: hasCorrectIssuer).
      if (!legacy && !issuers.has(iss)) return undefined;
      const alg = header.alg;
      if (alg !== 'ES256' && alg !== 'ES384' && alg !== 'RS256') return { error: `invalid bearer token, unsupported signing algorithm "${String(alg)}"` };
      const candidates = keys.filter((k) => k.alg === alg);
      const ordered = [...candidates.filter((k) => k.kid === header.kid), ...candidates.filter((k) => k.kid !== header.kid)];
      if (!ordered.some((k) => verifySig(k, signed, signature))) return { error: 'invalid bearer token, square/go-jose: error in cryptographic primitive' };
      return legacy ? validateLegacy(token, claims, getter) : validateBound(claims, audiences, clock.now(), getter);
    },

    jwks() {
      return { keys: keys.map((k) => ({ use: 'sig', kty: k.key.asymmetricKeyType === 'rsa' ? 'RSA' : 'EC', kid: k.kid, alg: k.alg, ...stripPrivate(k.key.export({ format: 'jwk' }) as Obj) })) };
    },
  };
}

function stripPrivate(jwk: Obj): Obj {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk;
  return pub;
}

function ref(name: string, uid?: string): Ref {
  return uid ? { name, uid } : { name };
}

function toKey(key: KeyObject): Key {
  const der = key.export({ type: 'spki', format: 'der' });
  const kid = createHash('sha256').update(der).digest('base64url');
  if (key.asymmetricKeyType === 'rsa') return { key, kid, alg: 'RS256' };
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return { key, kid, alg: 'ES256' };
    if (curve === 'secp384r1') return { key, kid, alg: 'ES384' };
  }
  throw new Error(`unsupported service account key type ${key.asymmetricKeyType}`);
}

function hashFor(alg: Key['alg']): string {
  return alg === 'ES384' ? 'sha384' : 'sha256';
}

function verifySig(k: Key, signed: string, signature: Buffer): boolean {
  try {
    if (k.alg === 'RS256') return verify('sha256', Buffer.from(signed), k.key, signature);
    if (signature.length !== (k.alg === 'ES256' ? 64 : 96)) return false;
    return verify(hashFor(k.alg), Buffer.from(signed), { key: k.key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

function b64url(s: string): string {
  return Buffer.from(s).toString('base64url');
}

const B64URL = /^[A-Za-z0-9_-]+$/;

/** A compact JWS split and decoded, or undefined when the token is not one (never throws). */
export function parseJWT(token: string): { header: Obj; claims: Obj; signed: string; signature: Buffer } | undefined {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => B64URL.test(p))) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    if (!header || typeof header !== 'object' || Array.isArray(header) || !claims || typeof claims !== 'object' || Array.isArray(claims)) return undefined;
    return { header, claims, signed: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2]!, 'base64url') };
  } catch {
    return undefined;
  }
}

function quoteList(xs: string[]): string {
  return `[${xs.map((x) => JSON.stringify(x)).join(' ')}]`;
}

const deletedBefore = (o: Obj, cutoffMs: number): boolean => {
  const ts = o.metadata?.deletionTimestamp;
  return typeof ts === 'string' && Date.parse(ts) < cutoffMs;
};

async function validateBound(claims: Obj, audiences: string[], nowMs: number, getter: BoundObjectGetter): Promise<AuthnResult> {
  const now = Math.floor(nowMs / 1000);
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const exp = num(claims.exp);
  const nbf = num(claims.nbf);
  if (claims.exp !== undefined && exp === undefined) return { error: 'service account token claims could not be validated due to unexpected validation error' };
  if (exp !== undefined && now > exp + LEEWAY_S) return { error: 'service account token has expired' };
  if (nbf !== undefined && now < nbf - LEEWAY_S) return { error: 'service account token is not valid yet' };
  const aud: string[] = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud.filter((a: unknown) => typeof a === 'string') : [];
  const granted = audiences.filter((a) => aud.includes(a));
  if (!granted.length) return { error: `token audiences ${quoteList(aud)} is invalid for the target audiences ${quoteList(audiences)}` };
  const k8s = claims['kubernetes.io'];
  if (!k8s || typeof k8s !== 'object' || typeof k8s.namespace !== 'string' || typeof k8s.serviceaccount?.name !== 'string') {
    return { error: 'service account token claims could not be validated due to unexpected private claim' };
  }
  const ns: string = k8s.namespace;
  const sa: Ref = k8s.serviceaccount;
  const pod: Ref | undefined = k8s.pod;
  const secret: Ref | undefined = k8s.secret;
  const node: Ref | undefined = k8s.node;
  const cutoff = nowMs - LEEWAY_S * 1000;
  if (getter.getServiceAccount) {
    const obj = await getter.getServiceAccount(ns, sa.name!);
    if (!obj) return { error: `serviceaccounts "${sa.name}" not found` };
    if (deletedBefore(obj, cutoff)) return { error: `service account ${ns}/${sa.name} has been deleted` };
    if ((obj.metadata?.uid ?? '') !== (sa.uid ?? '')) return { error: `service account UID (${obj.metadata?.uid ?? ''}) does not match claim (${sa.uid ?? ''})` };
  }
  if (secret?.name && getter.getSecret) {
    const obj = await getter.getSecret(ns, secret.name);
    if (!obj || deletedBefore(obj, cutoff)) return { error: 'service account token has been invalidated' };
    if ((obj.metadata?.uid ?? '') !== (secret.uid ?? '')) return { error: `secret UID (${obj.metadata?.uid ?? ''}) does not match service account secret ref claim (${secret.uid ?? ''})` };
  }
  if (pod?.name && getter.getPod) {
    const obj = await getter.getPod(ns, pod.name);
    if (!obj || deletedBefore(obj, cutoff)) return { error: 'service account token has been invalidated' };
    if ((obj.metadata?.uid ?? '') !== (pod.uid ?? '')) return { error: `pod UID (${obj.metadata?.uid ?? ''}) does not match service account pod ref claim (${pod.uid ?? ''})` };
  }
  if (node?.name && getter.getNode && !pod?.name) {
    const obj = await getter.getNode(node.name);
    if (!obj || deletedBefore(obj, cutoff)) return { error: 'service account token has been invalidated' };
    if ((obj.metadata?.uid ?? '') !== (node.uid ?? '')) return { error: `node UID (${obj.metadata?.uid ?? ''}) does not match service account node ref claim (${node.uid ?? ''})` };
  }
  const extra: Record<string, string[]> = {};
  if (pod?.name) {
    extra['authentication.kubernetes.io/pod-name'] = [pod.name];
    extra['authentication.kubernetes.io/pod-uid'] = [pod.uid ?? ''];
  }
  if (node?.name) {
    extra['authentication.kubernetes.io/node-name'] = [node.name];
    if (node.uid) extra['authentication.kubernetes.io/node-uid'] = [node.uid];
  }
  if (typeof claims.jti === 'string' && claims.jti) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${claims.jti}`];
  return { user: serviceAccountUser(ns, sa.name!, sa.uid, extra), audiences: granted };
}

async function validateLegacy(token: string, claims: Obj, getter: BoundObjectGetter): Promise<AuthnResult> {
  const ns = claims['kubernetes.io/serviceaccount/namespace'];
  const secretName = claims['kubernetes.io/serviceaccount/secret.name'];
  const saName = claims['kubernetes.io/serviceaccount/service-account.name'];
  const saUID = claims['kubernetes.io/serviceaccount/service-account.uid'];
  for (const [k, v] of [['namespace', ns], ['secretName', secretName], ['serviceAccountName', saName], ['serviceAccountUID', saUID]] as const) {
    if (typeof v !== 'string' || !v) return { error: `token does not contain required claim: ${k}` };
  }
  if (claims.sub !== `system:serviceaccount:${ns}:${saName}`) return { error: 'sub claim does not match the service account' };
  if (getter.getSecret) {
    const secret = await getter.getSecret(ns, secretName);
    if (!secret || secret.metadata?.deletionTimestamp) return { error: 'service account token has been invalidated' };
    const stored = secret.data?.token ? Buffer.from(secret.data.token, 'base64').toString('utf8') : '';
    if (stored !== token) return { error: "Token does not match server's copy" };
    if (secret.metadata?.labels?.['kubernetes.io/legacy-token-invalid-since']) {
      return {
        error: `the token in secret ${ns}/${secretName} for service account ${ns}/${saName} has been marked invalid. Use tokens from the TokenRequest API or manually created secret-based tokens, or remove the 'kubernetes.io/legacy-token-invalid-since' label from the secret to enable it`,
      };
    }
  }
  if (getter.getServiceAccount) {
    const sa = await getter.getServiceAccount(ns, saName);
    if (!sa || sa.metadata?.deletionTimestamp) return { error: `service account ${ns}/${saName} has been deleted` };
    if (sa.metadata?.uid !== saUID) return { error: `service account UID (${sa.metadata?.uid ?? ''}) does not match claim (${saUID})` };
  }
  return { user: serviceAccountUser(ns, saName, saUID) };
}

export function serviceAccountUser(namespace: string, name: string, uid?: string, extra?: Record<string, string[]>): UserInfo {
  const u: UserInfo = { username: `system:serviceaccount:${namespace}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`] };
  if (uid) u.uid = uid;
  if (extra && Object.keys(extra).length) u.extra = extra;
  return u;
}
