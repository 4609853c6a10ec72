// The cluster PKI as kubeadm lays it out in /etc/kubernetes/pki: a 10-year cluster CA, the API
// server's serving certificate (1 year) with the SANs in-cluster and outside clients dial, client
// certificates for the admin and each control-plane component (CN = user, O = groups), a
// front-proxy CA, and the service-account signing key pair (sa.key / sa.pub). Rotation
// (`az aks rotate-certs`, `kubeadm certs renew`) re-issues the leaves, optionally the CA, and never
// the service-account keys, so tokens already in pods stay valid.
//
// Keys are ECDSA P-256: generating one takes about a millisecond where RSA 2048 takes 50-200 ms
// (a cluster makes eight at first start, and the AKS layer makes clusters on demand), handshakes
// are smaller, kubeadm offers it (`encryptionAlgorithm: ECDSA-P256`), Go clients such as kubectl
// accept it, and service-account tokens become ES256, which kube-apiserver verifies. CSRs with
// RSA, ECDSA or Ed25519 keys are all signed, and an RSA CA brought by the user loads as well.
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, webcrypto, X509Certificate as NodeX509, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { x509 } from './x509lib.ts';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
import { realClock, type Clock } from '../machinery/clock.ts';

const DAY = 86_400_000;
export const CA_VALIDITY_DAYS = 3650;
export const LEAF_VALIDITY_DAYS = 365;
/** Leaves are re-issued on load when they expire within this many days (k3s renews at 90). */
export const RENEW_BEFORE_DAYS = 90;
/** Certificates start this far in the past, so that a client whose clock lags still accepts them. */
const BACKDATE_MS = 5 * 60_000;

const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/**
 * The admin identity. AKS's admin kubeconfig (`az aks get-credentials --admin`) holds a client
 * certificate with CN=masterclient, O=system:masters; kubeadm's admin.conf uses
 * CN=kubernetes-admin with O=kubeadm:cluster-admins, a group that needs a ClusterRoleBinding
 * kubeadm creates. Skiff follows AKS: system:masters is the group every authorizer lets through.
 */
export const ADMIN_USER = { cn: 'masterclient', groups: ['system:masters'] } as const;

export interface CertAndKey {
  certificatePEM: string;
  keyPEM: string;
}

/** A client certificate a control-plane component presents (kubeadm's names and identities). */
interface ComponentSpec {
  file: string;
  cn: string;
  groups: string[];
  /** Signed by the front-proxy CA instead of the cluster CA. */
  frontProxy?: boolean;
}

const COMPONENTS: ComponentSpec[] = [
  { file: 'admin', cn: ADMIN_USER.cn, groups: [...ADMIN_USER.groups] },
  { file: 'controller-manager', cn: 'system:kube-controller-manager', groups: [] },
  { file: 'scheduler', cn: 'system:kube-scheduler', groups: [] },
  { file: 'kube-proxy', cn: 'system:kube-proxy', groups: [] },
  { file: 'apiserver-kubelet-client', cn: 'kube-apiserver-kubelet-client', groups: ['system:masters'] },
  { file: 'front-proxy-client', cn: 'front-proxy-client', groups: [], frontProxy: true },
];

export type ComponentName = 'admin' | 'controller-manager' | 'scheduler' | 'kube-proxy' | 'apiserver-kubelet-client' | 'front-proxy-client';

export interface PKIOptions {
  /** ClusterIP of the `kubernetes` Service (first address of the service CIDR). */
  serviceIP?: string;
  /** Node and advertise addresses, and any other IP or DNS name clients dial (AKS FQDN...). */
  extraSANs?: string[];
  /** Cluster DNS domain (default cluster.local). */
  dnsDomain?: string;
  clock?: Clock;
}

interface Authority {
  cert: x509.X509Certificate;
  certPEM: string;
  keyPEM: string;
  key: CryptoKey;
}

interface Leaf extends CertAndKey {
  cert: x509.X509Certificate;
}

/** Why a CSR was not signed: reason goes into the CSR's Failed condition (upstream signer). */
export class CSRSigningError extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.name = 'CSRSigningError';
    this.reason = reason;
  }
}

export interface SignCSROptions {
  signerName: string;
  usages: string[];
  expirationSeconds?: number;
}

export const KUBE_APISERVER_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client';
export const KUBELET_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
export const KUBELET_SERVING_SIGNER = 'kubernetes.io/kubelet-serving';
export const LEGACY_UNKNOWN_SIGNER = 'kubernetes.io/legacy-unknown';

/** kube-controller-manager --cluster-signing-duration default. */
export const CLUSTER_SIGNING_DURATION_SECONDS = 365 * 24 * 3600;

export class ClusterPKI {
  readonly dir: string | undefined;
  #opts: PKIOptions;
  #clock: Clock;
  #ca!: Authority;
  #previousCA: Authority | undefined;
  #frontProxyCA!: Authority;
  #serving!: Leaf;
  #components = new Map<string, Leaf>();
  #saKeyPEM!: string;
  #saPubPEM!: string;
  #listeners: (() => void)[] = [];

  private constructor(dir: string | undefined, opts: PKIOptions) {
    this.dir = dir;
    this.#opts = opts;
    this.#clock = opts.clock ?? realClock;
  }

  /**
   * Loads the PKI from `dir`, creating what is missing (the CA on first start). Leaves that are
   * missing, not signed by the current CA, close to expiry or lacking a wanted SAN are re-issued.
   * Without a dir everything lives in memory (tests, throwaway clusters).
   */
  static async loadOrCreate(dir: string | undefined, opts: PKIOptions = {}): Promise<ClusterPKI> {
    const pki = new ClusterPKI(dir, opts);
    if (dir) mkdirSync(dir, { recursive: true, mode: 0o700 });
    pki.#ca = (await pki.#loadAuthority('ca')) ?? (await pki.#createAuthority('ca', 'kubernetes'));
    pki.#previousCA = await pki.#loadAuthority('ca-previous', true);
    pki.#frontProxyCA = (await pki.#loadAuthority('front-proxy-ca')) ?? (await pki.#createAuthority('front-proxy-ca', 'front-proxy-ca'));
    pki.#loadOrCreateServiceAccountKeys();
    const serving = pki.#loadLeaf('apiserver', pki.#ca);
    pki.#serving = serving && (await pki.#hasSANs(serving)) ? serving : await pki.#issueServing();
    for (const c of COMPONENTS) {
      const ca = c.frontProxy ? pki.#frontProxyCA : pki.#ca;
      pki.#components.set(c.file, pki.#loadLeaf(c.file, ca) ?? (await pki.#issueComponent(c)));
    }
    return pki;
  }

  /** The current cluster CA certificate (what kubeconfigs and pods' ca.crt carry). */
  get caPEM(): string {
    return this.#ca.certPEM;
  }

  /** The CAs client certificates may chain to: the current one, plus the previous during a CA rotation. */
  get clientCABundlePEM(): string {
    return this.#previousCA ? this.#ca.certPEM + this.#previousCA.certPEM : this.#ca.certPEM;
  }

  get caKeyPEM(): string {
    return this.#ca.keyPEM;
  }

  get frontProxyCAPEM(): string {
    return this.#frontProxyCA.certPEM;
  }

  /** The API server's serving certificate. */
  get certificatePEM(): string {
    return this.#serving.certificatePEM;
  }

  get keyPEM(): string {
    return this.#serving.keyPEM;
  }

  /** Service-account token signing key (PKCS#8 PEM) and its public half (SPKI PEM). */
  get serviceAccountKeyPEM(): string {
    return this.#saKeyPEM;
  }

  get serviceAccountPublicKeyPEM(): string {
    return this.#saPubPEM;
  }

  /** A control-plane component's client certificate. */
  component(name: ComponentName): CertAndKey {
    const l = this.#components.get(name)!;
    return { certificatePEM: l.certificatePEM, keyPEM: l.keyPEM };
  }

  /**
   * Options for node:https / node:tls createServer: TLS 1.2 or later, client certificates asked
   * for but not required (token and anonymous clients connect too; the x509 authenticator
   * decides). After `rotate()` pass them to `server.setSecureContext()`; no restart is needed.
   */
  serverTLSOptions(): { cert: string; key: string; ca: string; requestCert: true; rejectUnauthorized: false; minVersion: 'TLSv1.2' } {
    return { cert: this.#serving.certificatePEM, key: this.#serving.keyPEM, ca: this.clientCABundlePEM, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' };
  }

  /** Called after every rotation or SAN change (to swap the server's secure context). */
  onChange(fn: () => void): void {
    this.#listeners.push(fn);
  }

  /** The SANs the serving certificate must carry. */
  servingSANs(): { dns: string[]; ips: string[] } {
    const domain = this.#opts.dnsDomain ?? 'cluster.local';
    const dns = new Set(['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${domain}`]);
    const ips = new Set(['127.0.0.1']);
    if (this.#opts.serviceIP) ips.add(this.#opts.serviceIP);
    for (const s of this.#opts.extraSANs ?? []) (isIP(s) ? ips : dns).add(s);
    return { dns: [...dns], ips: [...ips] };
  }

  /** Adds SANs (a new node address, an FQDN); re-issues the serving certificate if any is new. */
  async addSANs(sans: string[]): Promise<boolean> {
    const extra = new Set(this.#opts.extraSANs ?? []);
    const before = extra.size;
    for (const s of sans) extra.add(s);
    if (extra.size === before) return false;
    this.#opts = { ...this.#opts, extraSANs: [...extra] };
    if (await this.#hasSANs(this.#serving)) return false;
    this.#serving = await this.#issueServing();
    this.#changed();
    return true;
  }

  /** A client certificate for user `cn` in groups `groups` (kubeconfigs, kubelets, tests). */
  async issueClientCert(cn: string, groups: string[] = [], days = LEAF_VALIDITY_DAYS): Promise<CertAndKey> {
    const l = await this.#issueLeaf(this.#ca, subject(cn, groups), { days, usages: ['digital signature', 'key encipherment', 'client auth'] });
    return { certificatePEM: l.certificatePEM, keyPEM: l.keyPEM };
  }

  /** A serving certificate signed by the cluster CA (kubelet, metrics, webhooks). */
  async issueServingCert(cn: string, sans: string[], days = LEAF_VALIDITY_DAYS): Promise<CertAndKey> {
    const dns = sans.filter((s) => !isIP(s));
    const ips = sans.filter((s) => isIP(s));
    const l = await this.#issueLeaf(this.#ca, subject(cn, []), { days, usages: ['digital signature', 'key encipherment', 'server auth'], dns, ips });
    return { certificatePEM: l.certificatePEM, keyPEM: l.keyPEM };
  }

  /**
   * Re-issues every leaf certificate with new keys. With `ca: true` also makes a new cluster CA
   * and front-proxy CA; the old cluster CA stays in `clientCABundlePEM` (trusted for client
   * certificates) until `finishCARotation()`, so kubelets and components can be moved over
   * without an outage. Service-account keys are kept: tokens already issued stay valid.
   */
  async rotate(opts: { ca?: boolean } = {}): Promise<void> {
    if (opts.ca) {
      this.#previousCA = this.#ca;
      this.#save('ca-previous.crt', this.#ca.certPEM, 0o644);
      this.#ca = await this.#createAuthority('ca', 'kubernetes');
      this.#frontProxyCA = await this.#createAuthority('front-proxy-ca', 'front-proxy-ca');
    }
    this.#serving = await this.#issueServing();
    for (const c of COMPONENTS) this.#components.set(c.file, await this.#issueComponent(c));
    this.#changed();
  }

  /** Ends a CA rotation: client certificates of the previous CA are no longer accepted. */
  finishCARotation(): void {
    if (!this.#previousCA) return;
    this.#previousCA = undefined;
    this.#remove('ca-previous.crt');
    this.#changed();
  }

  /** Expiry of every certificate (`kubeadm certs check-expiration`). */
  expirations(): { name: string; notAfter: Date; authority: boolean }[] {
    const out = [
      { name: 'ca', notAfter: this.#ca.cert.notAfter, authority: true },
      { name: 'front-proxy-ca', notAfter: this.#frontProxyCA.cert.notAfter, authority: true },
      { name: 'apiserver', notAfter: this.#serving.cert.notAfter, authority: false },
    ];
    for (const [name, l] of this.#components) out.push({ name, notAfter: l.cert.notAfter, authority: false });
    return out;
  }

  /**
   * Signs a CertificateSigningRequest's PKCS#10 request as kube-controller-manager's signers do:
   * per-signer validation (SignerValidationFailure), usages as the certificate's key usages,
   * SANs copied, no other extensions, not a CA, NotBefore backdated 5 minutes, lifetime
   * min(expirationSeconds, 1 year) and at least 10 minutes, capped at the CA's own expiry.
   */
  async signCSR(csrPEM: string, opts: SignCSROptions): Promise<string> {
    const { signerName, usages } = opts;
    let csr: x509.Pkcs10CertificateRequest;
    try {
      csr = new x509.Pkcs10CertificateRequest(csrPEM);
    } catch (e) {
      throw new CSRSigningError('SignerValidationFailure', `unable to parse csr: ${(e as Error).message}`);
    }
    if (!(await csr.verify())) throw new CSRSigningError('SignerValidationFailure', 'unable to verify certificate request signature');
    const names = csrNames(csr);
    switch (signerName) {
      case KUBE_APISERVER_CLIENT_SIGNER:
        validateAPIServerClientUsages(usages);
        break;
      case KUBELET_CLIENT_SIGNER:
        validateKubeletClient(names, usages);
        break;
      case KUBELET_SERVING_SIGNER:
        validateKubeletServing(names, usages);
        break;
      case LEGACY_UNKNOWN_SIGNER:
        break;
      default:
        throw new CSRSigningError('UnrecognizedSigner', `unrecognized signerName: "${signerName}"`);
    }
    let ttl = CLUSTER_SIGNING_DURATION_SECONDS * 1000;
    if (opts.expirationSeconds !== undefined) ttl = Math.min(ttl, Math.max(600_000, opts.expirationSeconds * 1000));
    const now = this.#clock.now();
    const caNotAfter = this.#ca.cert.notAfter.getTime();
    if (now >= caNotAfter) throw new CSRSigningError('SignerValidationFailure', `refusing to sign a certificate that expired in the past: NotAfter=${this.#ca.cert.notAfter.toISOString()}`);
    const notBefore = now - BACKDATE_MS;
    // Long-lived certificates lose the backdate at the end too; short ones (< 8h) keep their full lifetime.
    let notAfter = ttl < 8 * 3600_000 ? now + ttl : now + ttl - BACKDATE_MS;
    if (notAfter > caNotAfter) notAfter = caNotAfter;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: csr.subjectName,
      issuer: this.#ca.cert.subjectName,
      notBefore: new Date(notBefore),
      notAfter: new Date(notAfter),
      publicKey: csr.publicKey,
      signingKey: this.#ca.key,
      signingAlgorithm: signingAlgorithm(this.#ca.key),
      extensions: extensionsFor(usages, false, names.sans),
    });
    return cert.toString('pem') + '\n';
  }

  // ---- internals ----

  #changed(): void {
    for (const fn of this.#listeners) fn();
  }

  #save(file: string, data: string, mode: number): void {
    if (!this.dir) return;
    const path = join(this.dir, file);
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, data, { mode });
    chmodSync(tmp, mode);
    renameSync(tmp, path);
  }

  #read(file: string): string | undefined {
    if (!this.dir) return undefined;
    const path = join(this.dir, file);
    return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  }

  #remove(file: string): void {
    if (!this.dir) return;
    rmSync(join(this.dir, file), { force: true });
  }

  async #loadAuthority(name: string, certOnly = false): Promise<Authority | undefined> {
    const certPEM = this.#read(`${name}.crt`);
    if (!certPEM) return undefined;
    const cert = new x509.X509Certificate(certPEM);
    if (certOnly) return { cert, certPEM, keyPEM: '', key: undefined as unknown as CryptoKey };
    const keyPEM = this.#read(`${name}.key`);
    if (!keyPEM) throw new Error(`${join(this.dir!, `${name}.crt`)} exists but its key ${name}.key does not`);
    return { cert, certPEM, keyPEM, key: await importSigningKey(keyPEM) };
  }

  async #createAuthority(name: string, cn: string): Promise<Authority> {
    const keys = (await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
    const now = this.#clock.now();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: [{ CN: [cn] }],
      keys,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(now + CA_VALIDITY_DAYS * DAY),
      signingAlgorithm: signingAlgorithm(keys.privateKey),
      extensions: [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.keyCertSign, true),
        new x509.BasicConstraintsExtension(true, undefined, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const keyPEM = await exportKeyPEM(keys.privateKey);
    const certPEM = cert.toString('pem') + '\n';
    this.#save(`${name}.key`, keyPEM, 0o600);
    this.#save(`${name}.crt`, certPEM, 0o644);
    return { cert, certPEM, keyPEM, key: keys.privateKey };
  }

  #loadOrCreateServiceAccountKeys(): void {
    const key = this.#read('sa.key');
    if (key) {
      this.#saKeyPEM = key;
      this.#saPubPEM = this.#read('sa.pub') ?? (createPublicKey(key).export({ type: 'spki', format: 'pem' }) as string);
      return;
    }
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.#saKeyPEM = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    this.#saPubPEM = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    this.#save('sa.key', this.#saKeyPEM, 0o600);
    this.#save('sa.pub', this.#saPubPEM, 0o644);
  }

  /** A stored leaf, if present, signed by `ca` and not within RENEW_BEFORE_DAYS of expiry. */
  #loadLeaf(file: string, ca: Authority): Leaf | undefined {
    const certificatePEM = this.#read(`${file}.crt`);
    const keyPEM = this.#read(`${file}.key`);
    if (!certificatePEM || !keyPEM) return undefined;
    let cert: x509.X509Certificate;
    try {
      cert = new x509.X509Certificate(certificatePEM);
    } catch {
      return undefined;
    }
    if (cert.issuer !== ca.cert.subject) return undefined;
    if (!new NodeX509(certificatePEM).verify(new NodeX509(ca.certPEM).publicKey)) return undefined;
    if (cert.notAfter.getTime() - this.#clock.now() < RENEW_BEFORE_DAYS * DAY) return undefined;
    return { cert, certificatePEM, keyPEM };
  }

  async #hasSANs(leaf: Leaf): Promise<boolean> {
    const ext = leaf.cert.getExtension(x509.SubjectAlternativeNameExtension);
    if (!ext) return false;
    const have = new Set(ext.names.items.map((n) => `${n.type}:${n.value}`));
    const want = this.servingSANs();
    return want.dns.every((d) => have.has(`dns:${d}`)) && want.ips.every((ip) => have.has(`ip:${ip}`));
  }

  async #issueServing(): Promise<Leaf> {
    const { dns, ips } = this.servingSANs();
    const l = await this.#issueLeaf(this.#ca, [{ CN: ['kube-apiserver'] }], { days: LEAF_VALIDITY_DAYS, usages: ['digital signature', 'key encipherment', 'server auth'], dns, ips });
    this.#save('apiserver.key', l.keyPEM, 0o600);
    this.#save('apiserver.crt', l.certificatePEM, 0o644);
    return l;
  }

  async #issueComponent(c: ComponentSpec): Promise<Leaf> {
    const ca = c.frontProxy ? this.#frontProxyCA : this.#ca;
    const l = await this.#issueLeaf(ca, subject(c.cn, c.groups), { days: LEAF_VALIDITY_DAYS, usages: ['digital signature', 'key encipherment', 'client auth'] });
    this.#save(`${c.file}.key`, l.keyPEM, 0o600);
    this.#save(`${c.file}.crt`, l.certificatePEM, 0o644);
    return l;
  }

  async #issueLeaf(ca: Authority, name: x509.JsonName, o: { days: number; usages: string[]; dns?: string[]; ips?: string[] }): Promise<Leaf> {
    const keys = (await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
    const now = this.#clock.now();
    const notAfter = Math.min(now + o.days * DAY, ca.cert.notAfter.getTime());
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: name,
      issuer: ca.cert.subjectName,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(notAfter),
      publicKey: keys.publicKey,
      signingKey: ca.key,
      signingAlgorithm: signingAlgorithm(ca.key),
      extensions: extensionsFor(o.usages, false, { dns: o.dns ?? [], ips: o.ips ?? [], emails: [], uris: [] }),
    });
    return { cert, certificatePEM: cert.toString('pem') + '\n', keyPEM: await exportKeyPEM(keys.privateKey) };
  }
}

/** Go's pkix.Name order: O before CN. */
function subject(cn: string, groups: string[]): x509.JsonName {
  return groups.length ? [{ O: groups }, { CN: [cn] }] : [{ CN: [cn] }];
}

/** A positive 128-bit serial number in hex, as Go's signers draw. */
function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString('hex');
}

function signingAlgorithm(key: CryptoKey): webcrypto.Algorithm | webcrypto.EcdsaParams {
  if (key.algorithm.name === 'ECDSA') {
    const curve = (key.algorithm as webcrypto.EcKeyAlgorithm).namedCurve;
    return { name: 'ECDSA', hash: curve === 'P-384' ? 'SHA-384' : curve === 'P-521' ? 'SHA-512' : 'SHA-256' } as webcrypto.EcdsaParams;
  }
  return { name: key.algorithm.name, hash: 'SHA-256' } as webcrypto.Algorithm;
}

async function exportKeyPEM(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }) as string;
}

/** Imports a PEM private key (PKCS#8, SEC1 or PKCS#1; ECDSA or RSA) as a WebCrypto signing key. */
async function importSigningKey(pem: string): Promise<CryptoKey> {
  const k: KeyObject = createPrivateKey(pem);
  const der = k.export({ type: 'pkcs8', format: 'der' });
  if (k.asymmetricKeyType === 'ec') {
    const curve = k.asymmetricKeyDetails?.namedCurve;
    const namedCurve = curve === 'secp384r1' ? 'P-384' : curve === 'secp521r1' ? 'P-521' : 'P-256';
    return webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve }, true, ['sign']);
  }
  if (k.asymmetricKeyType === 'rsa') return webcrypto.subtle.importKey('pkcs8', der, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['sign']);
  throw new Error(`unsupported CA key type ${k.asymmetricKeyType}`);
}

interface SANs {
  dns: string[];
  ips: string[];
  emails: string[];
  uris: string[];
}

const KEY_USAGES: Record<string, number> = {
  signing: x509.KeyUsageFlags.digitalSignature,
  'digital signature': x509.KeyUsageFlags.digitalSignature,
  'content commitment': x509.KeyUsageFlags.nonRepudiation,
  'key encipherment': x509.KeyUsageFlags.keyEncipherment,
  'key agreement': x509.KeyUsageFlags.keyAgreement,
  'data encipherment': x509.KeyUsageFlags.dataEncipherment,
  'cert sign': x509.KeyUsageFlags.keyCertSign,
  'crl sign': x509.KeyUsageFlags.cRLSign,
  'encipher only': x509.KeyUsageFlags.encipherOnly,
  'decipher only': x509.KeyUsageFlags.decipherOnly,
};

const EXT_KEY_USAGES: Record<string, string> = {
  any: '2.5.29.37.0',
  'server auth': '1.3.6.1.5.5.7.3.1',
  'client auth': '1.3.6.1.5.5.7.3.2',
  'code signing': '1.3.6.1.5.5.7.3.3',
  'email protection': '1.3.6.1.5.5.7.3.4',
  's/mime': '1.3.6.1.5.5.7.3.4',
  'ipsec end system': '1.3.6.1.5.5.7.3.5',
  'ipsec tunnel': '1.3.6.1.5.5.7.3.6',
  'ipsec user': '1.3.6.1.5.5.7.3.7',
  timestamping: '1.3.6.1.5.5.7.3.8',
  'ocsp signing': '1.3.6.1.5.5.7.3.9',
  'microsoft sgc': '1.3.6.1.4.1.311.10.3.3',
  'netscape sgc': '2.16.840.1.113730.4.1',
};

function extensionsFor(usages: string[], isCA: boolean, sans: SANs): x509.Extension[] {
  let ku = 0;
  const eku = new Set<string>();
  const unknown: string[] = [];
  for (const u of usages) {
    if (KEY_USAGES[u] !== undefined) ku |= KEY_USAGES[u]!;
    else if (EXT_KEY_USAGES[u]) eku.add(EXT_KEY_USAGES[u]!);
    else unknown.push(u);
  }
  if (unknown.length) throw new CSRSigningError('SignerValidationFailure', `unrecognized usage values: [${unknown.map((u) => JSON.stringify(u)).join(' ')}]`);
  const exts: x509.Extension[] = [];
  if (ku) exts.push(new x509.KeyUsagesExtension(ku, true));
  if (eku.size) exts.push(new x509.ExtendedKeyUsageExtension([...eku].sort()));
  exts.push(new x509.BasicConstraintsExtension(isCA, undefined, true));
  const names: x509.JsonGeneralName[] = [
    ...sans.dns.map((value) => ({ type: 'dns' as const, value })),
    ...sans.emails.map((value) => ({ type: 'email' as const, value })),
    ...sans.ips.map((value) => ({ type: 'ip' as const, value })),
    ...sans.uris.map((value) => ({ type: 'url' as const, value })),
  ];
  if (names.length) exts.push(new x509.SubjectAlternativeNameExtension(names));
  return exts;
}

interface CSRNames {
  cn: string;
  orgs: string[];
  sans: SANs;
}

function csrNames(csr: x509.Pkcs10CertificateRequest): CSRNames {
  const cn: string[] = [];
  const orgs: string[] = [];
  for (const rdn of csr.subjectName.toJSON()) {
    for (const [k, v] of Object.entries(rdn)) {
      if (k === 'CN') cn.push(...v);
      else if (k === 'O') orgs.push(...v);
    }
  }
  const sans: SANs = { dns: [], ips: [], emails: [], uris: [] };
  const ext = csr.extensions.find((e): e is x509.SubjectAlternativeNameExtension => e instanceof x509.SubjectAlternativeNameExtension);
  for (const n of ext?.names.items ?? []) {
    if (n.type === 'dns') sans.dns.push(n.value);
    else if (n.type === 'ip') sans.ips.push(n.value);
    else if (n.type === 'email') sans.emails.push(n.value);
    else if (n.type === 'url') sans.uris.push(n.value);
  }
  return { cn: cn[0] ?? '', orgs, sans };
}

const fail = (message: string) => new CSRSigningError('SignerValidationFailure', message);

function validateAPIServerClientUsages(usages: string[]): void {
  let clientAuth = false;
  for (const u of usages) {
    if (u === 'digital signature' || u === 'key encipherment') continue;
    if (u === 'client auth') clientAuth = true;
    else throw fail(`invalid usage for client certificate: ${u}`);
  }
  if (!clientAuth) throw fail('missing required usage for client certificate: client auth');
}

function sameSet(a: string[], b: string[]): boolean {
  const sa = new Set(a);
  return sa.size === b.length && b.every((x) => sa.has(x));
}

function validateKubeletClient(n: CSRNames, usages: string[]): void {
  if (n.orgs.length !== 1 || n.orgs[0] !== 'system:nodes') throw fail('subject organization is not system:nodes');
  if (n.sans.dns.length) throw fail('DNS subjectAltNames are not allowed');
  if (n.sans.emails.length) throw fail('Email subjectAltNames are not allowed');
  if (n.sans.ips.length) throw fail('IP subjectAltNames are not allowed');
  if (n.sans.uris.length) throw fail('URI subjectAltNames are not allowed');
  if (!n.cn.startsWith('system:node:')) throw fail('subject common name does not begin with system:node:');
  const set = [...new Set(usages)];
  if (!sameSet(['digital signature', 'key encipherment', 'client auth'], set) && !sameSet(['digital signature', 'client auth'], set)) {
    throw fail('usages did not match [client auth digital signature key encipherment]');
  }
}

function validateKubeletServing(n: CSRNames, usages: string[]): void {
  if (n.orgs.length !== 1 || n.orgs[0] !== 'system:nodes') throw fail('subject organization is not system:nodes');
  if (!n.sans.dns.length && !n.sans.ips.length) throw fail('DNS or IP subjectAltName is required');
  if (n.sans.emails.length) throw fail('Email subjectAltNames are not allowed');
  if (n.sans.uris.length) throw fail('URI subjectAltNames are not allowed');
  const set = [...new Set(usages)];
  if (!sameSet(['digital signature', 'key encipherment', 'server auth'], set) && !sameSet(['digital signature', 'server auth'], set)) {
    throw fail('usages did not match [digital signature key encipherment server auth]');
  }
  if (!n.cn.startsWith('system:node:')) throw fail('subject common name does not begin with system:node:');
}
