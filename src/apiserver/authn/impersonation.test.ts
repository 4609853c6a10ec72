// Tests impersonation headers (`kubectl --as/--as-group/--as-uid`) and upstream's 403 texts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { impersonation } from './impersonation.ts';
import { StatusError } from '../../machinery/errors.ts';
import type { Attributes } from '../reviews.ts';
import type { UserInfo } from '../types.ts';

const admin: UserInfo = { username: 'admin', groups: ['system:masters', 'system:authenticated'] };
const dev: UserInfo = { username: 'dev', groups: ['system:authenticated'] };
const asked: string[] = [];
const impersonate = impersonation((user, a: Attributes) => {
  asked.push(`${a.verb} ${a.apiGroup}/${a.resource}${a.subresource ? '/' + a.subresource : ''} ${a.namespace}/${a.name}`);
  if (user.groups.includes('system:masters')) return { allowed: true };
  if (a.resource === 'groups' && a.name === 'viewers') return { allowed: true };
  return { allowed: false };
});

async function refusal(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof StatusError);
    return e;
  }
  assert.fail('expected a refusal');
}

test('no impersonation headers: the requester itself', async () => {
  assert.equal(await impersonate(dev, { accept: 'application/json' }), dev);
});

test('--as user, --as-group, --as-uid and extras, each authorized', async () => {
  asked.length = 0;
  const u = await impersonate(admin, { 'impersonate-user': 'jane', 'impersonate-group': ['a', 'b'], 'impersonate-uid': '42', 'impersonate-extra-scopes': ['view', 'edit'], 'impersonate-extra-example.com%2fteam': 'x' });
  assert.deepEqual(u, { username: 'jane', uid: '42', groups: ['a', 'b'], extra: { scopes: ['view', 'edit'], 'example.com/team': ['x'] } });
  assert.deepEqual(asked, [
    'impersonate /users /jane',
    'impersonate /groups /a',
    'impersonate /groups /b',
    'impersonate authentication.k8s.io/userextras/scopes /view',
    'impersonate authentication.k8s.io/userextras/scopes /edit',
    'impersonate authentication.k8s.io/userextras/example.com/team /x',
    'impersonate authentication.k8s.io/uids /42',
  ]);
});

test('a user without groups gets system:authenticated; a service account gets its groups', async () => {
  assert.deepEqual(await impersonate(admin, { 'impersonate-user': 'jane' }), { username: 'jane', groups: ['system:authenticated'] });
  asked.length = 0;
  assert.deepEqual(await impersonate(admin, { 'impersonate-user': 'system:serviceaccount:kube-system:builder' }), {
    username: 'system:serviceaccount:kube-system:builder',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
  });
  assert.deepEqual(asked, ['impersonate /serviceaccounts kube-system/builder']);
  assert.deepEqual(await impersonate(admin, { 'impersonate-user': 'system:anonymous' }), { username: 'system:anonymous', groups: [] });
});

test('denied: 403 with the upstream message', async () => {
  const e = await refusal(impersonate(dev, { 'impersonate-user': 'admin' }));
  assert.equal(e.code, 403);
  assert.deepEqual(e.status, {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
    message: 'users "admin" is forbidden: User "dev" cannot impersonate resource "users" in API group "" at the cluster scope',
    reason: 'Forbidden', details: { name: 'admin', group: '', kind: 'users' }, code: 403,
  });
  const sa = await refusal(impersonate(dev, { 'impersonate-user': 'system:serviceaccount:ns:x' }));
  assert.equal(sa.message, 'serviceaccounts "x" is forbidden: User "dev" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "ns"');
  const extra = await refusal(impersonate(admin, {}).then(() => impersonate(dev, { 'impersonate-user': 'dev', 'impersonate-extra-scopes': 'all' })));
  assert.equal(extra.message, 'users "dev" is forbidden: User "dev" cannot impersonate resource "users" in API group "" at the cluster scope');
});

test('groups without a user is refused as bad input (400, not upstream\'s 500)', async () => {
  const e = await refusal(impersonate(admin, { 'impersonate-group': 'viewers' }));
  assert.equal(e.code, 400);
  assert.match(e.message, /without impersonating a user$/);
});
