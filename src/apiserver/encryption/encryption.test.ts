// Encryption at rest: providers, prefixes, rotation and configuration errors as kube-apiserver's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDecipheriv, randomBytes } from 'node:crypto';
import { PrefixTransformers, TransformError, aescbc, aesgcm, identity } from './transformer.ts';
import { EncryptionConfigError, ensureDefaultEncryptionConfig, loadEncryptionConfig, parseEncryptionConfig } from './config.ts';

const KEY = '/registry/secrets/default/s1';
const plain = Buffer.from('{"kind":"Secret","data":{"password":"aHVudGVyMg=="}}');

test('aescbc: prefix, then a 16-byte IV and AES-CBC with PKCS#7 padding', () => {
  const secret = randomBytes(32);
  const t = new PrefixTransformers([aescbc('key1', secret)]);
  const out = t.toStorage(plain, KEY);
  const prefix = 'k8s:enc:aescbc:v1:key1:';
  assert.equal(out.subarray(0, prefix.length).toString(), prefix);
  const body = out.subarray(prefix.length);
  assert.equal((body.length - 16) % 16, 0);
  assert.ok(!out.includes(plain));
  // Decrypts with the plain algorithm: the format is upstream's.
  const d = createDecipheriv('aes-256-cbc', secret, body.subarray(0, 16));
  assert.deepEqual(Buffer.concat([d.update(body.subarray(16)), d.final()]), plain);
  assert.deepEqual(t.fromStorage(out, KEY), { data: plain, stale: false });
  // Two writes of one value differ (random IV).
  assert.ok(!t.toStorage(plain, KEY).equals(out));
});

test('aesgcm: nonce + GCM sealed with the storage key as authenticated data', () => {
  const secret = randomBytes(16);
  const t = new PrefixTransformers([aesgcm('k', secret)]);
  const out = t.toStorage(plain, KEY);
  const prefix = 'k8s:enc:aesgcm:v1:k:';
  assert.equal(out.subarray(0, prefix.length).toString(), prefix);
  assert.equal(out.length, prefix.length + 12 + plain.length + 16);
  assert.deepEqual(t.fromStorage(out, KEY).data, plain);
  // Copied under another key, it does not decrypt.
  assert.throws(() => t.fromStorage(out, '/registry/secrets/default/other'), /aesgcm key "k": cipher: message authentication failed/);
  // Tampered, neither.
  const bad = Buffer.from(out);
  bad[bad.length - 20]! ^= 1;
  assert.throws(() => t.fromStorage(bad, KEY), TransformError);
});

test('rotation: the first provider writes, every provider reads, older keys read as stale', () => {
  const k1 = aescbc('key1', randomBytes(32));
  const k2 = aescbc('key2', randomBytes(32));
  const before = new PrefixTransformers([k1, identity]);
  const old = before.toStorage(plain, KEY);
  const after = new PrefixTransformers([k2, k1, identity]);
  assert.deepEqual(after.fromStorage(old, KEY), { data: plain, stale: true });
  const rewritten = after.toStorage(plain, KEY);
  assert.match(rewritten.toString('latin1'), /^k8s:enc:aescbc:v1:key2:/);
  assert.deepEqual(after.fromStorage(rewritten, KEY), { data: plain, stale: false });
  // Plain data written before encryption was turned on reads through identity, as stale.
  assert.deepEqual(after.fromStorage(plain, KEY), { data: plain, stale: true });
  // With the old key removed, the old value is a clear error, never garbage.
  const only2 = new PrefixTransformers([k2]);
  assert.throws(() => only2.fromStorage(old, KEY), /written by the aescbc provider with key "key1"/);
});

test('the same provider twice with a wrong key first still reads with the right one', () => {
  const right = randomBytes(32);
  // (aesgcm: a wrong aescbc key has a 1 in 256 chance of valid-looking padding, upstream too.)
  const old = new PrefixTransformers([aesgcm('a', right)]).toStorage(plain, KEY);
  const t = new PrefixTransformers([aesgcm('a', randomBytes(32)), aesgcm('a', right)]);
  assert.deepEqual(t.fromStorage(old, KEY), { data: plain, stale: true });
  const wrong = new PrefixTransformers([aesgcm('a', randomBytes(32))]);
  assert.throws(() => wrong.fromStorage(old, KEY), /^Error: aesgcm key "a": cipher: message authentication failed$|aesgcm key "a": cipher: message authentication failed/);
});

test('identity first (decrypting away) reads encrypted data through the later provider', () => {
  const k1 = aesgcm('key1', randomBytes(32));
  const enc = new PrefixTransformers([k1]).toStorage(plain, KEY);
  const t = new PrefixTransformers([identity, k1]);
  assert.deepEqual(t.fromStorage(enc, KEY), { data: plain, stale: true });
  assert.deepEqual(t.toStorage(plain, KEY), plain);
  assert.throws(() => new PrefixTransformers([identity]).fromStorage(enc, KEY), /no configured provider can read it \(it was written by the aesgcm provider with key "key1"\)/);
});

const b64 = (n: number) => randomBytes(n).toString('base64');

test('EncryptionConfiguration: resources map to their providers, first matching entry wins', () => {
  const cfg = parseEncryptionConfig(`
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets, configmaps]
    providers:
      - aesgcm: {keys: [{name: g1, secret: ${b64(32)}}]}
      - identity: {}
  - resources: ["*.apps"]
    providers:
      - aescbc: {keys: [{name: c1, secret: ${b64(24)}}]}
  - resources: ["*.*"]
    providers:
      - identity: {}
`);
  const prefixOf = (g: string, r: string) => cfg.forResource(g, r)?.toStorage(plain, KEY).subarray(0, 24).toString('latin1');
  assert.match(prefixOf('', 'secrets')!, /^k8s:enc:aesgcm:v1:g1:/);
  assert.match(prefixOf('', 'configmaps')!, /^k8s:enc:aesgcm:v1:g1:/);
  assert.match(prefixOf('apps', 'deployments')!, /^k8s:enc:aescbc:v1:c1:/);
  assert.equal(prefixOf('', 'pods'), plain.subarray(0, 24).toString('latin1'));
  const none = parseEncryptionConfig(JSON.stringify({ apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration', resources: [{ resources: ['secrets'], providers: [{ aescbc: { keys: [{ name: 'k', secret: b64(32) }] } }] }] }));
  assert.equal(none.forResource('', 'pods'), undefined);
  assert.ok(none.forResource('', 'secrets'));
});

test('EncryptionConfiguration: invalid configurations are refused with every problem named', () => {
  const bad = `
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: ["*."]
    providers:
      - aescbc: {keys: [{name: k, secret: ${b64(8)}}, {name: k, secret: ${b64(32)}}]}
  - resources: [secrets]
    providers:
      - kms: {name: myKms, endpoint: unix:///tmp/kms.sock}
      - aescbc: {keys: []}
        identity: {}
`;
  assert.throws(() => parseEncryptionConfig(bad), (e: unknown) => {
    assert.ok(e instanceof EncryptionConfigError);
    const m = e.message;
    assert.match(m, /resources\[0\]\.providers\[0\]\.aescbc\.keys\[0\]\.secret: Invalid value: "REDACTED": secret is not of the expected length, got 8, expected one of \[16 24 32\]/);
    assert.match(m, /resources\[0\]\.providers\[0\]\.aescbc\.keys\[1\]\.name: Duplicate value: "k"/);
    assert.match(m, /resources\[1\]\.providers\[0\]\.kms: Unsupported value: KMS providers are not supported/);
    assert.match(m, /resources\[1\]\.providers\[1\]: Invalid value: more than one provider specified in a single element/);
    assert.match(m, /resources\[1\]\.resources\[0\]: Invalid value: "secrets": resource "secrets" is masked by earlier rule "\*\."/);
    return true;
  });
  assert.throws(() => parseEncryptionConfig('kind: Nope\n'), /kind: Invalid value: "Nope"/);
  assert.throws(() => parseEncryptionConfig(`apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources: [{resources: [secrets], providers: [{secretbox: {keys: [{name: s, secret: ${b64(32)}}]}}]}]\n`), /secretbox provider needs the tweetnacl package/);
});

test('skiff up default: a 0600 file with a random aescbc key for secrets, kept across restarts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-enc-'));
  const path = ensureDefaultEncryptionConfig(dir);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const text = readFileSync(path, 'utf8');
  assert.equal(ensureDefaultEncryptionConfig(dir), path);
  assert.equal(readFileSync(path, 'utf8'), text);
  const cfg = await loadEncryptionConfig(path);
  const t = cfg.forResource('', 'secrets')!;
  assert.match(t.toStorage(plain, KEY).toString('latin1'), /^k8s:enc:aescbc:v1:key1:/);
  assert.equal(cfg.forResource('', 'configmaps'), undefined);
  await assert.rejects(loadEncryptionConfig(join(dir, 'missing.yaml')), /error reading encryption provider configuration file/);
});
