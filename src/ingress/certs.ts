// X.509 certificates for the Ingress TLS listener: the self-signed default certificate served for
// unknown SNI names (ingress-nginx's "Fake Certificate"), and small CAs and leaf certificates for
// tests and tools. ECDSA P-256 keys, generated with WebCrypto through @peculiar/x509.
import { randomBytes, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import { isIP } from 'node:net';
import { x509 } from '../pki/x509lib.ts';

const subtle = webcrypto.subtle;
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface KeyPairPem {
  /** PEM certificate */
  cert: string;
  /** PEM PKCS#8 private key */
  key: string;
}

export interface CertificateRequest {
  commonName: string;
  /** DNS names and IP addresses for subjectAltName. */
  hosts?: string[];
  /** A CA certificate that can sign others. */
  isCA?: boolean;
  /** Signer; the certificate is self-signed without it. */
  issuer?: KeyPairPem;
  /** Validity in days (default 365). */
  days?: number;
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}

function derOf(pemText: string): Buffer {
  return Buffer.from(pemText.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** Issues a certificate (and its new key) as PEM. */
export async function generateCertificate(req: CertificateRequest): Promise<KeyPairPem> {
  const keys = await subtle.generateKey(ALG, true, ['sign', 'verify']);
  const now = Date.now();
  const notBefore = new Date(now - 60_000);
  const notAfter = new Date(now + (req.days ?? 365) * 86_400_000);
  const exts: x509.Extension[] = [
    new x509.BasicConstraintsExtension(!!req.isCA, undefined, true),
    new x509.KeyUsagesExtension(req.isCA ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (!req.isCA) exts.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]));
  if (req.hosts?.length) exts.push(new x509.SubjectAlternativeNameExtension(req.hosts.map((h) => (isIP(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h }))));
  const subject = `CN=${req.commonName.replace(/[,=+<>#;"\\]/g, '\\$&')}`;
  const serialNumber = randomBytes(16).toString('hex').replace(/^[89a-f]/, '1');
  let cert: x509.X509Certificate;
  if (req.issuer) {
    const issuerCert = new x509.X509Certificate(req.issuer.cert);
    const signingKey = await subtle.importKey('pkcs8', derOf(req.issuer.key), ALG, false, ['sign']);
    exts.push(await x509.AuthorityKeyIdentifierExtension.create(await issuerCert.publicKey.export()));
    cert = await x509.X509CertificateGenerator.create({ serialNumber, subject, issuer: issuerCert.subject, notBefore, notAfter, publicKey: keys.publicKey, signingKey, signingAlgorithm: ALG, extensions: exts });
  } else {
    cert = await x509.X509CertificateGenerator.createSelfSigned({ serialNumber, name: subject, notBefore, notAfter, keys, signingAlgorithm: ALG, extensions: exts });
  }
  const key = pem('PRIVATE KEY', await subtle.exportKey('pkcs8', keys.privateKey));
  return { cert: cert.toString('pem') + '\n', key };
}

/** The common name of the default certificate, like ingress-nginx's "Kubernetes Ingress Controller Fake Certificate". */
export const DEFAULT_CERT_CN = 'Skiff Ingress Controller Fake Certificate';

/** The certificate served when no Ingress TLS entry names the requested host. */
export function generateDefaultCertificate(): Promise<KeyPairPem> {
  return generateCertificate({ commonName: DEFAULT_CERT_CN, hosts: ['ingress.local'] });
}

/** The subject common name of a PEM certificate (for messages and tests). */
export function commonNameOf(certPem: string): string {
  const m = /CN=([^\n]*)/.exec(new NodeX509(certPem).subject);
  return m ? m[1]! : '';
}
