// Tests the cluster PKI: files as kubeadm lays them out, a real TLS server with the serving
// certificate, rotation, and CSR signing as kube-controller-manager's signers do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:https';
import { connect } from 'node:tls';
import { X509Certificate, webcrypto } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { ClusterPKI, CSRSigningError, KUBELET_CLIENT_SIGNER, KUBELET_SERVING_SIGNER, KUBE_APISERVER_CLIENT_SIGNER } from './pki.ts';
import { x509 } from './x509lib.ts';
import { FakeClock } from '../machinery/clock.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'skiff-pki-'));

test('first start creates the CA and leaves with 0600 keys; a second start reuses them', async () => {
  const dir = tmp();
  try {
    const pki = await ClusterPKI.loadOrCreate(dir, { serviceIP: '127.96.0.1', extraSANs: ['127.10.0.1', 'skiff.example'] });
    for (const f of ['ca.key', 'apiserver.key', 'sa.key', 'front-proxy-ca.key', 'admin.key', 'controller-manager.key', 'scheduler.key', 'apiserver-kubelet-client.key', 'front-proxy-client.key']) {
      assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
    }
    assert.equal(statSync(join(dir, 'ca.crt')).mode & 0o777, 0o644);
    const ca = new X509Certificate(pki.caPEM);
    assert.equal(ca.ca, true);
    assert.equal(ca.subject, 'CN=kubernetes');
    const years = (Date.parse(ca.validTo) - Date.parse(ca.validFrom)) / (365 * 86400_000);
    assert.ok(years > 9.9 && years < 10.1, `CA valid for ${years} years`);
    const serving = new X509Certificate(pki.certificatePEM);
    assert.ok(serving.verify(ca.publicKey));
    assert.equal(serving.ca, false);
    for (const san of ['DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local', 'DNS:localhost', 'DNS:skiff.example', 'IP Address:127.0.0.1', 'IP Address:127.96.0.1', 'IP Address:127.10.0.1']) {
      assert.ok(serving.subjectAltName!.includes(san), `${san} in ${serving.subjectAltName}`);
    }
    assert.deepEqual(serving.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.equal(new X509Certificate(pki.component('admin').certificatePEM).subject, 'O=system:masters\nCN=masterclient');
    assert.equal(new X509Certificate(pki.component('scheduler').certificatePEM).subject, 'CN=system:kube-scheduler');
    assert.ok(new X509Certificate(pki.component('front-proxy-client').certificatePEM).verify(new X509Certificate(pki.frontProxyCAPEM).publicKey));
    assert.match(readFileSync(join(dir, 'sa.pub'), 'utf8'), /BEGIN PUBLIC KEY/);

    const again = await ClusterPKI.loadOrCreate(dir, { serviceIP: '127.96.0.1', extraSANs: ['127.10.0.1', 'skiff.example'] });
    assert.equal(again.caPEM, pki.caPEM);
    assert.equal(again.certificatePEM, pki.certificatePEM);
    assert.equal(again.serviceAccountKeyPEM, pki.serviceAccountKeyPEM);

    // A new node address is missing from the stored serving certificate: re-issued on load.
    const moved = await ClusterPKI.loadOrCreate(dir, { serviceIP: '127.96.0.1', extraSANs: ['127.10.0.1', '127.10.0.2', 'skiff.example'] });
    assert.equal(moved.caPEM, pki.caPEM);
    assert.notEqual(moved.certificatePEM, pki.certificatePEM);
    assert.ok(new X509Certificate(moved.certificatePEM).subjectAltName!.includes('IP Address:127.10.0.2'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('leaves close to expiry are renewed on load; the CA is kept', async () => {
  const dir = tmp();
  try {
    const clock = new FakeClock(Date.now());
    const pki = await ClusterPKI.loadOrCreate(dir, { clock });
    clock.advance(300 * 86400_000);
    const later = await ClusterPKI.loadOrCreate(dir, { clock });
    assert.equal(later.caPEM, pki.caPEM);
    assert.notEqual(later.certificatePEM, pki.certificatePEM);
    assert.notEqual(later.component('admin').certificatePEM, pki.component('admin').certificatePEM);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function tlsServer(pki: ClusterPKI) {
  const server = createServer(pki.serverTLSOptions(), (_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

function handshake(port: number, opts: Record<string, unknown>): Promise<{ protocol: string | null; authorized: boolean; error?: string }> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, ...opts }, () => {
      resolve({ protocol: s.getProtocol(), authorized: s.authorized });
      s.end();
    });
    s.on('error', (e) => resolve({ protocol: null, authorized: false, error: (e as NodeJS.ErrnoException).code ?? e.message }));
  });
}

test('a client trusting the CA verifies the serving certificate by SNI name and by IP, over TLS 1.2+', async () => {
  const pki = await ClusterPKI.loadOrCreate(undefined, { serviceIP: '127.96.0.1' });
  const { server, port } = await tlsServer(pki);
  try {
    for (const servername of ['kubernetes.default.svc', 'kubernetes', 'kubernetes.default.svc.cluster.local', 'localhost']) {
      const r = await handshake(port, { ca: pki.caPEM, servername });
      assert.equal(r.authorized, true, servername);
      assert.ok(r.protocol === 'TLSv1.3' || r.protocol === 'TLSv1.2', String(r.protocol));
    }
    // By IP (no SNI): the 127.0.0.1 SAN.
    assert.equal((await handshake(port, { ca: pki.caPEM })).authorized, true);
    // The kubernetes Service ClusterIP is a SAN too (pods dial it).
    const byServiceIP = await handshake(port, { ca: pki.caPEM, checkServerIdentity: (_h: string, cert: { subjectaltname?: string }) => (cert.subjectaltname?.includes('IP Address:127.96.0.1') ? undefined : new Error('no SAN')) });
    assert.equal(byServiceIP.authorized, true);
    // A name that is not a SAN is refused.
    assert.equal((await handshake(port, { ca: pki.caPEM, servername: 'evil.example' })).error, 'ERR_TLS_CERT_ALTNAME_INVALID');
    // A client that does not trust the cluster CA is refused.
    assert.match((await handshake(port, { servername: 'kubernetes' })).error ?? '', /SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY/);
    // TLS 1.1 and older are not offered.
    const old = await handshake(port, { ca: pki.caPEM, servername: 'kubernetes', maxVersion: 'TLSv1.1', minVersion: 'TLSv1' });
    assert.equal(old.protocol, null);
  } finally {
    server.close();
  }
});

test('rotate re-issues leaves and keeps the CA and service-account keys; a CA rotation keeps the old CA trusted until finished', async () => {
  const pki = await ClusterPKI.loadOrCreate(undefined);
  const before = { ca: pki.caPEM, serving: pki.certificatePEM, sa: pki.serviceAccountKeyPEM, admin: pki.component('admin').certificatePEM };
  let changes = 0;
  pki.onChange(() => changes++);
  await pki.rotate();
  assert.equal(pki.caPEM, before.ca);
  assert.notEqual(pki.certificatePEM, before.serving);
  assert.notEqual(pki.component('admin').certificatePEM, before.admin);
  assert.equal(pki.serviceAccountKeyPEM, before.sa);
  assert.equal(changes, 1);

  await pki.rotate({ ca: true });
  assert.notEqual(pki.caPEM, before.ca);
  assert.equal(pki.serviceAccountKeyPEM, before.sa);
  assert.ok(new X509Certificate(pki.certificatePEM).verify(new X509Certificate(pki.caPEM).publicKey));
  assert.ok(pki.clientCABundlePEM.includes(before.ca.trim()));
  assert.ok(pki.serverTLSOptions().ca.includes(before.ca.trim()));
  pki.finishCARotation();
  assert.equal(pki.clientCABundlePEM, pki.caPEM);
  assert.equal(changes, 3);
});

test('the serving certificate is swapped on a live server with setSecureContext after rotation', async () => {
  const pki = await ClusterPKI.loadOrCreate(undefined);
  const { server, port } = await tlsServer(pki);
  try {
    pki.onChange(() => server.setSecureContext(pki.serverTLSOptions()));
    const oldCA = pki.caPEM;
    await pki.rotate({ ca: true });
    assert.equal((await handshake(port, { ca: pki.caPEM, servername: 'kubernetes' })).authorized, true);
    assert.notEqual((await handshake(port, { ca: oldCA, servername: 'kubernetes' })).error, undefined);
  } finally {
    server.close();
  }
});

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

async function csr(subject: x509.JsonName, sans: x509.JsonGeneralName[] = [], alg: 'ec' | 'rsa' = 'ec'): Promise<string> {
  const a = alg === 'ec' ? EC : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
  const keys = (await webcrypto.subtle.generateKey(a, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const req = await x509.Pkcs10CertificateRequestGenerator.create({
    name: subject,
    keys,
    signingAlgorithm: a,
    extensions: sans.length ? [new x509.SubjectAlternativeNameExtension(sans)] : [],
  });
  return req.toString('pem');
}

async function rejection(p: Promise<unknown>): Promise<CSRSigningError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof CSRSigningError, String(e));
    return e;
  }
  assert.fail('expected the CSR to be refused');
}

test('signCSR: kubelet client, kubelet serving and apiserver client signers as upstream', async () => {
  const clock = new FakeClock(Date.now());
  const pki = await ClusterPKI.loadOrCreate(undefined, { clock });
  const ca = new X509Certificate(pki.caPEM);

  const kubelet = await csr([{ O: ['system:nodes'] }, { CN: ['system:node:n1'] }]);
  const pem = await pki.signCSR(kubelet, { signerName: KUBELET_CLIENT_SIGNER, usages: ['digital signature', 'key encipherment', 'client auth'] });
  const cert = new X509Certificate(pem);
  assert.ok(cert.verify(ca.publicKey));
  assert.equal(cert.subject, 'O=system:nodes\nCN=system:node:n1');
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  assert.equal(cert.ca, false);
  // Default lifetime: a year, less the 5-minute backdate at both ends.
  assert.equal(Date.parse(cert.validFrom), Math.floor((clock.now() - 300_000) / 1000) * 1000);
  assert.equal(Date.parse(cert.validTo), Math.floor((clock.now() + 365 * 86400_000 - 300_000) / 1000) * 1000);

  // expirationSeconds below 10 minutes is raised to 10 minutes; short certificates keep their full end.
  const short = new X509Certificate(await pki.signCSR(kubelet, { signerName: KUBELET_CLIENT_SIGNER, usages: ['digital signature', 'client auth'], expirationSeconds: 60 }));
  assert.equal(Date.parse(short.validTo), Math.floor((clock.now() + 600_000) / 1000) * 1000);

  assert.equal((await rejection(pki.signCSR(await csr([{ O: ['system:masters'] }, { CN: ['system:node:n1'] }]), { signerName: KUBELET_CLIENT_SIGNER, usages: ['digital signature', 'client auth'] }))).message, 'subject organization is not system:nodes');
  assert.equal((await rejection(pki.signCSR(await csr([{ O: ['system:nodes'] }, { CN: ['bob'] }]), { signerName: KUBELET_CLIENT_SIGNER, usages: ['digital signature', 'client auth'] }))).message, 'subject common name does not begin with system:node:');
  assert.equal((await rejection(pki.signCSR(kubelet, { signerName: KUBELET_CLIENT_SIGNER, usages: ['client auth'] }))).message, 'usages did not match [client auth digital signature key encipherment]');
  const ipSAN = await csr([{ O: ['system:nodes'] }, { CN: ['system:node:n1'] }], [{ type: 'ip', value: '127.10.0.1' }]);
  const refused = await rejection(pki.signCSR(ipSAN, { signerName: KUBELET_CLIENT_SIGNER, usages: ['digital signature', 'client auth'] }));
  assert.equal(refused.message, 'IP subjectAltNames are not allowed');
  assert.equal(refused.reason, 'SignerValidationFailure');

  // kubelet serving: SANs copied into the certificate.
  const serving = new X509Certificate(await pki.signCSR(ipSAN, { signerName: KUBELET_SERVING_SIGNER, usages: ['digital signature', 'key encipherment', 'server auth'] }));
  assert.equal(serving.subjectAltName, 'IP Address:127.10.0.1');
  assert.deepEqual(serving.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.equal((await rejection(pki.signCSR(kubelet, { signerName: KUBELET_SERVING_SIGNER, usages: ['digital signature', 'server auth'] }))).message, 'DNS or IP subjectAltName is required');

  // kube-apiserver-client: any subject, an RSA key is fine, client auth required.
  const alice = await csr([{ O: ['dev', 'ops'] }, { CN: ['alice'] }], [], 'rsa');
  const aliceCert = new X509Certificate(await pki.signCSR(alice, { signerName: KUBE_APISERVER_CLIENT_SIGNER, usages: ['client auth'], expirationSeconds: 86400 }));
  assert.equal(aliceCert.subject, 'O=dev + O=ops\nCN=alice'); // one multi-valued RDN, as Go's pkix.Name writes it
  assert.equal((await rejection(pki.signCSR(alice, { signerName: KUBE_APISERVER_CLIENT_SIGNER, usages: ['digital signature'] }))).message, 'missing required usage for client certificate: client auth');
  assert.equal((await rejection(pki.signCSR(alice, { signerName: KUBE_APISERVER_CLIENT_SIGNER, usages: ['client auth', 'server auth'] }))).message, 'invalid usage for client certificate: server auth');
  assert.equal((await rejection(pki.signCSR(alice, { signerName: 'example.com/custom', usages: ['client auth'] }))).reason, 'UnrecognizedSigner');
  assert.equal((await rejection(pki.signCSR('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n', { signerName: KUBE_APISERVER_CLIENT_SIGNER, usages: ['client auth'] }))).reason, 'SignerValidationFailure');
});

test('issueClientCert maps CN and O; issueServingCert carries the SANs', async () => {
  const pki = await ClusterPKI.loadOrCreate(undefined);
  const c = new X509Certificate((await pki.issueClientCert('system:node:n1', ['system:nodes'], 30)).certificatePEM);
  assert.equal(c.subject, 'O=system:nodes\nCN=system:node:n1');
  assert.ok(Date.parse(c.validTo) - Date.now() < 31 * 86400_000);
  const s = new X509Certificate((await pki.issueServingCert('system:node:n1', ['127.10.0.1', 'n1'])).certificatePEM);
  assert.equal(s.subjectAltName, 'DNS:n1, IP Address:127.10.0.1');
});
