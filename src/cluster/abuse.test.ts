// Abuse of the secured API server (as `skiff up` serves it: HTTPS, x509 + service-account tokens,
// Node+RBAC): malformed and oversized tokens, forged and garbage certificates, hostile headers,
// impersonation without rights, YAML alias bombs, deeply nested JSON, invalid UTF-8 and names with
// path characters. Every refusal is a metav1 Status with the right code, never a 5xx or a crash,
// and nothing is stored.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import { request } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBackend } from '../storage/memory/memory.ts';
import { ApiServer } from '../apiserver/server.ts';
import { ClusterSecurity } from './security.ts';
import { ClusterPKI } from '../pki/pki.ts';

let dir = '';
let api: ApiServer;
let sec: ClusterSecurity;
let port = 0;
let admin: { cert: string; key: string };
let forged: { cert: string; key: string };
let viewer: { cert: string; key: string };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-abuse-'));
  sec = await ClusterSecurity.create({ dataDir: dir, serviceIP: '127.96.0.1' });
  api = new ApiServer({ storage: new MemoryBackend(), port: 0, compactionIntervalMs: 0, ...sec.apiServerOptions(() => api) });
  port = Number(new URL(await api.start()).port);
  const c = sec.pki.component('admin');
  admin = { cert: c.certificatePEM, key: c.keyPEM };
  const v = await sec.pki.issueClientCert('viewer', []);
  viewer = { cert: v.certificatePEM, key: v.keyPEM };
  // Same name and groups as the admin, signed by a CA the server does not trust.
  const other = await ClusterPKI.loadOrCreate(undefined);
  const f = other.component('admin');
  forged = { cert: f.certificatePEM, key: f.keyPEM };
});

after(async () => {
  sec?.stop();
  await api?.stop();
  await api?.storage.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  json: any;
}

function send(method: string, path: string, o: { headers?: Record<string, string>; body?: string | Buffer; as?: { cert: string; key: string } } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { accept: 'application/json', ...(o.headers ?? {}) };
    if (o.body !== undefined) headers['content-length'] = Buffer.byteLength(o.body);
    const req = request({ host: '127.0.0.1', port, method, path, headers, ca: sec.pki.caPEM, ...(o.as ?? {}), timeout: 20_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let json: any;
        try {
          json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer`)));
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e)));
    if (o.body !== undefined) req.write(o.body);
    req.end();
  });
}

function isStatus(a: Answer, code: number, what: string): void {
  assert.equal(a.status, code, `${what}: ${JSON.stringify(a.json)}`);
  assert.equal(a.json?.kind, 'Status', `${what}: the body is a Status`);
  assert.equal(a.json.code, code, what);
}

const b64url = (s: string) => Buffer.from(s).toString('base64url');

describe('abuse of the secured API server', () => {
  it('answers 401 with a Status for malformed, forged and oversized tokens', async () => {
    const jwt = (header: object, claims: object, sig = 'c2ln') => `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}.${sig}`;
    const tokens = [
      '',
      'x',
      'a.b.c',
      '....',
      '%%%.$$$.###',
      jwt({ alg: 'none' }, { iss: 'https://kubernetes.default.svc.cluster.local', sub: 'system:admin' }, ''),
      jwt({ alg: 'ES256', kid: 'x' }, { iss: 'https://kubernetes.default.svc.cluster.local', sub: 'system:serviceaccount:kube-system:default', exp: 9999999999 }),
      jwt({ alg: 'RS256' }, { iss: 'kubernetes/serviceaccount', sub: 'system:serviceaccount:default:default' }),
      jwt({ alg: 'HS256' }, { iss: 'https://kubernetes.default.svc.cluster.local' }),
      `${'A'.repeat(4000)}.${'B'.repeat(4000)}.${'C'.repeat(100)}`,
      '\u00ff\u00fe',
    ];
    for (const t of tokens) isStatus(await send('GET', '/api/v1/namespaces', { headers: { authorization: `Bearer ${t}` } }), 401, `token ${JSON.stringify(t.slice(0, 40))}`);
    for (const h of ['Basic YWRtaW46YWRtaW4=', 'Bearer', 'Negotiate xyz', 'bearer  ']) isStatus(await send('GET', '/api', { headers: { authorization: h } }), 401, h);
    // Too big for any header: the HTTP layer refuses it, still with a Status.
    const huge = await send('GET', '/api', { headers: { authorization: `Bearer ${'x'.repeat(64 * 1024)}` } });
    assert.equal(huge.status, 431);
    assert.equal(huge.json?.kind, 'Status');
  });

  it('refuses certificates from another CA, and survives garbage in the TLS handshake', async () => {
    isStatus(await send('GET', '/api/v1/namespaces', { as: forged }), 401, 'a certificate from another CA');
    assert.equal((await send('GET', '/api/v1/namespaces', { as: admin })).status, 200, 'the real admin certificate');
    // Bytes that are not TLS at all, then a TLS client that gives up mid-handshake.
    await new Promise<void>((resolve) => {
      const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
      s.on('error', () => resolve());
      s.on('close', () => resolve());
      s.on('secureConnect', () => s.destroy());
    });
    const raw = await import('node:net').then(({ connect: tcp }) => new Promise<void>((resolve) => {
      // Plain HTTP on the TLS port: the server answers with an alert and hangs up.
      const s = tcp(port, '127.0.0.1', () => s.write('GET /api HTTP/1.1\r\nHost: x\r\n\r\n'));
      s.on('error', () => resolve());
      s.on('close', () => resolve());
    }));
    void raw;
    assert.equal((await send('GET', '/api', { as: admin })).status, 200, 'still serving');
  });

  it('refuses impersonation without rights, and malformed impersonation headers', async () => {
    isStatus(await send('GET', '/api/v1/namespaces', { as: viewer, headers: { 'impersonate-user': 'masterclient', 'impersonate-group': 'system:masters' } }), 403, 'impersonating the admin');
    isStatus(await send('GET', '/api/v1/namespaces', { as: admin, headers: { 'impersonate-group': 'system:masters' } }), 400, 'a group without a user');
    isStatus(await send('GET', '/api/v1/namespaces', { as: viewer }), 403, 'a user without any binding');
  });

  it('refuses hostile bodies from an authenticated user without storing anything', async () => {
    const before = (await send('GET', '/api/v1/namespaces/default/configmaps', { as: admin })).json.items.length;
    const post = (body: string | Buffer, type: string) => send('POST', '/api/v1/namespaces/default/configmaps', { as: admin, body, headers: { 'content-type': type } });
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 12 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`), 'kind: ConfigMap', 'apiVersion: v1', 'metadata: {name: bomb}'].join('\n');
    const bombed = await post(bomb, 'application/yaml');
    assert.ok(bombed.status >= 400 && bombed.status < 500, `alias bomb: ${bombed.status}`);
    assert.equal(bombed.json?.kind, 'Status');
    const nested = await post('{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"deep"},"data":' + '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_001), 'application/json');
    assert.ok(nested.status >= 400 && nested.status < 500, `nested: ${nested.status}`);
    assert.equal(nested.json?.kind, 'Status');
    const badUtf8 = Buffer.concat([Buffer.from('{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}}')]);
    const utf = await post(badUtf8, 'application/json');
    assert.ok(utf.status >= 400 && utf.status < 500, `invalid UTF-8: ${utf.status}`);
    assert.equal(utf.json?.kind, 'Status');
    for (const name of ['a/b', '..', '.', 'a%2Fb', '../../secrets/x', 'a\\b']) {
      const r = await post(JSON.stringify({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name } }), 'application/json');
      assert.ok(r.status >= 400 && r.status < 500, `name ${name}: ${r.status}`);
      assert.equal(r.json?.kind, 'Status');
      // Dot segments are resolved as URL paths (upstream's mux cleans them too); the rest must miss.
      if (name === '.' || name === '..') continue;
      const g = await send('GET', `/api/v1/namespaces/default/configmaps/${name}`, { as: admin });
      assert.ok(g.status >= 400 && g.status < 500, `GET ${name}: ${g.status}`);
    }
    const after = (await send('GET', '/api/v1/namespaces/default/configmaps', { as: admin })).json.items.length;
    assert.equal(after, before, 'nothing stored');
  });
});
