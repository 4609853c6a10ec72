// Tests x509 client-certificate authentication over a real TLS server with the cluster PKI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ClusterPKI } from '../../pki/pki.ts';
import { FakeClock } from '../../machinery/clock.ts';
import { x509Authenticator } from './x509.ts';
import { unionAuthenticator, unauthorized } from './union.ts';

let pki: ClusterPKI;
let server: Server;
let port: number;
const clock = new FakeClock(Date.now());

before(async () => {
  pki = await ClusterPKI.loadOrCreate(undefined);
  const authn = unionAuthenticator([x509Authenticator(() => pki.clientCABundlePEM, { clock })]);
  server = createServer(pki.serverTLSOptions(), async (req, res) => {
    const user = await authn.authenticate(req);
    if (!user) {
      const e = unauthorized();
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(e.status));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(user));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

after(() => server.close());

function get(opts: { cert?: string; key?: string; ca?: string }): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', servername: 'kubernetes', ca: opts.ca ?? pki.caPEM, cert: opts.cert, key: opts.key, agent: false }, (res) => {
      let data = '';
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(data) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a client certificate maps CN to the user and O to groups, plus system:authenticated', async () => {
  const admin = pki.component('admin');
  assert.deepEqual((await get({ cert: admin.certificatePEM, key: admin.keyPEM })).body, { username: 'masterclient', groups: ['system:masters', 'system:authenticated'] });
  const alice = await pki.issueClientCert('alice', ['dev', 'ops']);
  assert.deepEqual((await get({ cert: alice.certificatePEM, key: alice.keyPEM })).body, { username: 'alice', groups: ['dev', 'ops', 'system:authenticated'] });
});

test('no certificate and anonymous auth off: 401 as a metav1 Status', async () => {
  const r = await get({});
  assert.equal(r.status, 401);
  assert.deepEqual(r.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
});

test('a certificate from a foreign CA is refused', async () => {
  const other = await ClusterPKI.loadOrCreate(undefined);
  const admin = other.component('admin');
  assert.equal((await get({ cert: admin.certificatePEM, key: admin.keyPEM })).status, 401);
});

test('an expired certificate is refused, on the same connection too', async () => {
  const bob = await pki.issueClientCert('bob', [], 10);
  assert.equal((await get({ cert: bob.certificatePEM, key: bob.keyPEM })).status, 200);
  clock.advance(11 * 86400_000);
  try {
    assert.equal((await get({ cert: bob.certificatePEM, key: bob.keyPEM })).status, 401);
  } finally {
    clock.advance(-11 * 86400_000);
  }
});

test('a server certificate (no client auth usage) does not authenticate', async () => {
  const s = await pki.issueServingCert('carol', ['carol.example']);
  assert.equal((await get({ cert: s.certificatePEM, key: s.keyPEM })).status, 401);
});

test('during a CA rotation, certificates of the previous CA still authenticate until it is finished', async () => {
  const old = await pki.issueClientCert('dave', ['team']);
  await pki.rotate({ ca: true });
  server.setSecureContext(pki.serverTLSOptions());
  assert.equal((await get({ cert: old.certificatePEM, key: old.keyPEM })).status, 200);
  pki.finishCARotation();
  server.setSecureContext(pki.serverTLSOptions());
  assert.equal((await get({ cert: old.certificatePEM, key: old.keyPEM })).status, 401);
  const fresh = pki.component('admin');
  assert.equal((await get({ cert: fresh.certificatePEM, key: fresh.keyPEM })).status, 200);
});
