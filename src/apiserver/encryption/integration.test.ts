// Encryption at rest and audit logging through the API server on sqlite, as a user sees them: no
// secret in plain text on disk, key rotation by replace, a removed key refused clearly, audit lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openStorage } from '../../storage/index.ts';
import { ApiServer } from '../server.ts';
import { ensureDefaultEncryptionConfig, loadEncryptionConfig } from './config.ts';
import { auditorFromFlags, type Auditor } from '../audit/audit.ts';

const dir = mkdtempSync(join(tmpdir(), 'skiff-encint-'));
const VALUE = `hunter2-${randomBytes(8).toString('hex')}`;
const B64 = Buffer.from(VALUE).toString('base64');
const KEY = '/registry/secrets/default/db';

function config(name: string, keys: { name: string; secret: string }[]): string {
  const path = join(dir, name);
  const providers = keys.map((k) => `      - aescbc:\n          keys:\n            - name: ${k.name}\n              secret: ${k.secret}`).join('\n');
  writeFileSync(path, `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n${providers}\n      - identity: {}\n`);
  return path;
}

let api: ApiServer | undefined;
let audit: Auditor | undefined;

async function start(configPath: string): Promise<string> {
  audit = auditorFromFlags({ logPath: join(dir, 'audit', 'audit.log') });
  api = new ApiServer({ storage: openStorage(`sqlite://${join(dir, 'state.db')}`), port: 0, compactionIntervalMs: 0, encryption: await loadEncryptionConfig(configPath), audit });
  try {
    return await api.start();
  } catch (e) {
    await stop();
    throw e;
  }
}

async function stop() {
  await api?.stop();
  await api?.storage.close();
  await audit?.sink.close();
  api = undefined;
}

async function call(base: string, method: string, path: string, body?: unknown) {
  const r = await fetch(base + path, { method, headers: body ? { 'Content-Type': 'application/json', 'User-Agent': 'kubectl/v1.36.0' } : { 'User-Agent': 'kubectl/v1.36.0' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: r.status, body: (await r.json()) as any, auditID: r.headers.get('audit-id') };
}

async function raw(): Promise<string> {
  const s = openStorage(`sqlite://${join(dir, 'state.db')}`);
  try {
    return (await s.get(KEY)).kv!.value.toString('latin1');
  } finally {
    await s.close();
  }
}

/** Every byte of every file in the data dir (db, WAL, shm, audit log). */
function diskContains(needle: string): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (readFileSync(p).includes(Buffer.from(needle))) hits.push(p);
    }
  };
  walk(dir);
  return hits;
}

test('secrets at rest: encrypted on disk, rotated by replace, a removed key refused clearly, deletes audited', async (t) => {
  t.after(stop);
  const k1 = { name: 'key1', secret: randomBytes(32).toString('base64') };
  const k2 = { name: 'key2', secret: randomBytes(32).toString('base64') };
  // skiff up's generated default works the same way.
  assert.match(readFileSync(ensureDefaultEncryptionConfig(dir), 'utf8'), /aescbc/);

  let base = await start(config('one.yaml', [k1]));
  const created = await call(base, 'POST', '/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, data: { password: B64 } });
  assert.equal(created.status, 201);
  assert.equal((await call(base, 'GET', '/api/v1/namespaces/default/secrets/db')).body.data.password, B64);
  // A ConfigMap is not encrypted (only secrets are configured).
  assert.equal((await call(base, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'plain' }, data: { note: 'visible-config-value' } })).status, 201);
  await audit!.sink.flush();
  // While running (WAL) and after shutdown, no file holds the value or its base64.
  assert.deepEqual(diskContains(B64), []);
  assert.deepEqual(diskContains(VALUE), []);
  await stop();
  assert.deepEqual(diskContains(B64), []);
  assert.deepEqual(diskContains(VALUE), []);
  assert.ok(diskContains('visible-config-value').length > 0);
  assert.match(await raw(), /^k8s:enc:aescbc:v1:key1:/);

  // Rotation: the new key first, restart, then read and replace every secret.
  base = await start(config('two.yaml', [k2, k1]));
  const list = await call(base, 'GET', '/api/v1/secrets');
  for (const s of list.body.items) {
    const r = await call(base, 'PUT', `/api/v1/namespaces/${s.metadata.namespace}/secrets/${s.metadata.name}`, { ...s, apiVersion: 'v1', kind: 'Secret' });
    assert.equal(r.status, 200);
  }
  await stop();
  assert.match(await raw(), /^k8s:enc:aescbc:v1:key2:/);

  // A configuration without the key in use: the server refuses to start and names the value, which stays.
  await assert.rejects(start(config('wrong.yaml', [k1])), (e: Error) => {
    assert.match(e.message, /unable to transform key "\/registry\/secrets\/default\/db" of secrets: no configured provider can read it \(it was written by the aescbc provider with key "key2"\)/);
    return true;
  });
  assert.match(await raw(), /^k8s:enc:aescbc:v1:key2:/);

  // The old key removed: the secret still reads.
  base = await start(config('three.yaml', [k2]));
  assert.equal((await call(base, 'GET', '/api/v1/namespaces/default/secrets/db')).body.data.password, B64);

  // A delete is audited at Metadata, with the Audit-ID the response carried.
  const del = await call(base, 'DELETE', '/api/v1/namespaces/default/secrets/db');
  assert.equal(del.status, 200);
  await audit!.sink.flush();
  const lines = readFileSync(join(dir, 'audit', 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const ev = lines.find((l) => l.verb === 'delete' && l.objectRef?.name === 'db');
  assert.ok(ev, 'no audit event for the delete');
  assert.equal(ev.auditID, del.auditID);
  assert.equal(ev.level, 'Metadata');
  assert.equal(ev.stage, 'ResponseComplete');
  assert.equal(ev.requestURI, '/api/v1/namespaces/default/secrets/db');
  assert.equal(ev.user.username, 'system:admin');
  assert.deepEqual(ev.sourceIPs, ['127.0.0.1']);
  assert.equal(ev.userAgent, 'kubectl/v1.36.0');
  assert.deepEqual(ev.objectRef, { resource: 'secrets', namespace: 'default', name: 'db', apiVersion: 'v1' });
  assert.equal(ev.responseStatus.code, 200);
  assert.equal(ev.annotations['authorization.k8s.io/decision'], 'allow');
  assert.equal(ev.requestObject, undefined);
  assert.equal(ev.responseObject, undefined);
  // Reads by the default policy's noisy users are not logged; the audit log never holds the value.
  assert.ok(!lines.some((l) => l.objectRef?.resource === 'events'));
  assert.deepEqual(diskContains(B64), []);
});
