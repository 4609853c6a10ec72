// Tests bootstrap token authentication against bootstrap-token-<id> Secrets in kube-system.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapTokenAuthenticator } from './bootstrap.ts';
import { FakeClock } from '../../machinery/clock.ts';
import type { Obj } from '../types.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function secret(data: Record<string, string>, extra: Obj = {}): Obj {
  return { metadata: { name: 'bootstrap-token-abcdef', namespace: 'kube-system' }, type: 'bootstrap.kubernetes.io/token', data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])), ...extra };
}

test('a valid bootstrap token authenticates as system:bootstrap:<id> with its extra groups', async () => {
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  let s: Obj | undefined = secret({ 'token-id': 'abcdef', 'token-secret': '0123456789abcdef', 'usage-bootstrap-authentication': 'true', 'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token', expiration: '2026-01-02T00:00:00Z' });
  const seen: string[] = [];
  const a = bootstrapTokenAuthenticator((ns, name) => (seen.push(`${ns}/${name}`), name === 'bootstrap-token-abcdef' ? s : undefined), { clock });
  assert.deepEqual(await a.authenticateToken!('abcdef.0123456789abcdef', []), { user: { username: 'system:bootstrap:abcdef', groups: ['system:bootstrappers', 'system:bootstrappers:kubeadm:default-node-token'] } });
  assert.deepEqual(seen, ['kube-system/bootstrap-token-abcdef']);
  // wrong secret, malformed, unknown id
  assert.equal(await a.authenticateToken!('abcdef.0123456789abcdee', []), undefined);
  assert.equal(await a.authenticateToken!('ABCDEF.0123456789abcdef', []), undefined);
  assert.equal(await a.authenticateToken!('zzzzzz.0123456789abcdef', []), undefined);
  // expired
  clock.advance(2 * 86400_000);
  assert.equal(await a.authenticateToken!('abcdef.0123456789abcdef', []), undefined);
  // not for authentication / bad extra group / being deleted
  s = secret({ 'token-id': 'abcdef', 'token-secret': '0123456789abcdef', 'usage-bootstrap-signing': 'true' });
  assert.equal(await a.authenticateToken!('abcdef.0123456789abcdef', []), undefined);
  s = secret({ 'token-id': 'abcdef', 'token-secret': '0123456789abcdef', 'usage-bootstrap-authentication': 'true', 'auth-extra-groups': 'system:masters' });
  assert.equal(await a.authenticateToken!('abcdef.0123456789abcdef', []), undefined);
  s = secret({ 'token-id': 'abcdef', 'token-secret': '0123456789abcdef', 'usage-bootstrap-authentication': 'true' }, { metadata: { deletionTimestamp: '2026-01-01T00:00:00Z' } });
  assert.equal(await a.authenticateToken!('abcdef.0123456789abcdef', []), undefined);
  s = secret({ 'token-id': 'abcdef', 'token-secret': '0123456789abcdef', 'usage-bootstrap-authentication': 'true' }, { type: 'Opaque' });
  assert.equal(await a.authenticateToken!('abcdef.0123456789abcdef', []), undefined);
});
