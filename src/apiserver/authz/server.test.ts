// Node,RBAC in front of the real API server (over TLS, with a test token authenticator): a user bound to `view` lists pods but gets upstream's
// 403 Status on delete; `kubectl auth can-i` (with --as, and --list) answers truthfully; a service
// account token works inside its Role and is refused outside it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { ApiServer } from '../server.ts';
import { MemoryBackend } from '../../storage/memory/memory.ts';
import { kubectlBinary, run } from '../e2e/harness.ts';
import type { UserInfo } from '../types.ts';
import { aggregateClusterRoles } from './aggregation.ts';
import { bootstrapPolicy } from './bootstrap.ts';
import { chain, privilegedGroups } from './chain.ts';
import { impersonation } from '../authn/impersonation.ts';
import { ClusterPKI } from '../../pki/pki.ts';
import { NodeGraph, nodeAuthorizer } from './node.ts';
import { rbacAuthorizer, storeLister } from './rbac.ts';

const TOKENS: Record<string, UserInfo> = {
  'admin-token': { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] },
  'jane-token': { username: 'jane', groups: ['system:authenticated'] },
  'robot-token': { username: 'system:serviceaccount:default:robot', groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'] },
};

describe('authorization through the API server', () => {
  let api: ApiServer;
  let url = '';
  let dir = '';
  let stopGraph: () => void = () => {};

  let ca = '';
  const call = (token: string, method: string, path: string, body?: unknown) =>
    new Promise<{ status: number; body: Record<string, any> }>((resolve, reject) => {
      const req = request(url + path, { method, ca, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') }));
      });
      req.on('error', reject);
      req.end(body ? JSON.stringify(body) : undefined);
    });

  const kubectl = (args: string[], token = 'admin-token') =>
    run(kubectlBinary(), ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache'), '--token', token, ...args], { env: { PATH: process.env.PATH ?? '', HOME: dir }, timeoutMs: 30_000 });

  before(async () => {
    const graph = new NodeGraph();
    let server: ApiServer | undefined;
    const authz = chain([privilegedGroups('system:masters'), nodeAuthorizer(graph), rbacAuthorizer(storeLister({ store: (g, r) => server!.store(g, r) }))]);
    const impersonate = impersonation((u, a) => authz.authorize(u, a));
    const authenticate = (req: IncomingMessage) => {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      const user = TOKENS[token];
      return user ? impersonate(user, req.headersDistinct) : undefined;
    };
    // TLS, because kubectl sends no bearer token over plain HTTP.
    dir = mkdtempSync(join(tmpdir(), 'skiff-authz-'));
    const pki = await ClusterPKI.loadOrCreate(join(dir, 'pki'));
    const tls = pki.serverTLSOptions();
    ca = pki.caPEM;
    api = server = new ApiServer({ storage: new MemoryBackend(), port: 0, authenticate, authz, compactionIntervalMs: 0, tls: { cert: tls.cert, key: tls.key } });
    url = await api.start();
    stopGraph = await graph.watchStores(api);
    writeFileSync(
      join(dir, 'kubeconfig'),
      ['apiVersion: v1', 'kind: Config', 'clusters:', '- name: c', '  cluster:', `    server: ${url}`, `    certificate-authority-data: ${Buffer.from(pki.caPEM).toString('base64')}`, 'users:', '- name: u', '  user: {}', 'contexts:', '- name: c', '  context: {cluster: c, user: u, namespace: default}', 'current-context: c', ''].join('\n'),
    );
    const p = bootstrapPolicy();
    await call('admin-token', 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-public' } });
    for (const o of p.clusterRoles) assert.equal((await call('admin-token', 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', o)).status, 201);
    // What the aggregation controller does next: fill admin, edit and view. Written to storage
    // directly because src/api/validation/others.ts refuses rules on aggregated roles (upstream
    // does not); see the report.
    const crs = api.store('rbac.authorization.k8s.io', 'clusterroles')!;
    for (const o of aggregateClusterRoles(p.clusterRoles)) {
      if (!o.aggregationRule) continue;
      const key = crs.key('', o.metadata.name);
      const { kv } = await api.storage.get(key);
      const stored = JSON.parse(kv!.value.toString('utf8'));
      await api.storage.update(key, Buffer.from(JSON.stringify({ ...stored, rules: o.rules })), kv!.modRevision);
    }
    for (const o of p.clusterRoleBindings) assert.equal((await call('admin-token', 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', o)).status, 201);
    for (const o of p.roles) assert.equal((await call('admin-token', 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${o.metadata.namespace}/roles`, o)).status, 201, o.metadata.name);
    const rb = (name: string, roleRef: object, subjects: object[]) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name, namespace: 'default' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef }, subjects });
    await call('admin-token', 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', rb('jane-view', { kind: 'ClusterRole', name: 'view' }, [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'jane' }]));
    await call('admin-token', 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'cm-reader', namespace: 'default' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }] });
    await call('admin-token', 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', rb('robot-cm', { kind: 'Role', name: 'cm-reader' }, [{ kind: 'ServiceAccount', name: 'robot', namespace: 'default' }]));
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    assert.equal((await call('admin-token', 'POST', '/api/v1/namespaces/default/pods', pod)).status, 201);
  });

  after(async () => {
    stopGraph();
    await api.stop();
    await api.storage.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lets a view user list pods and refuses the delete with upstream\'s Status', async () => {
    const list = await call('jane-token', 'GET', '/api/v1/namespaces/default/pods');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.items.map((p: { metadata: { name: string } }) => p.metadata.name), ['web']);
    const del = await call('jane-token', 'DELETE', '/api/v1/namespaces/default/pods/web');
    assert.equal(del.status, 403);
    assert.equal(del.body.kind, 'Status');
    assert.equal(del.body.reason, 'Forbidden');
    assert.equal(del.body.message, 'pods "web" is forbidden: User "jane" cannot delete resource "pods" in API group "" in the namespace "default"');
    const secrets = await call('jane-token', 'GET', '/api/v1/namespaces/default/secrets');
    assert.equal(secrets.body.message, 'secrets is forbidden: User "jane" cannot list resource "secrets" in API group "" in the namespace "default"');
  });

  it('answers kubectl auth can-i truthfully, with --as and --list', async () => {
    let r = await kubectl(['auth', 'can-i', 'delete', 'pods', '--as', 'jane']);
    assert.equal(r.stdout.trim(), 'no', r.stderr);
    assert.equal(r.code, 1);
    r = await kubectl(['auth', 'can-i', 'list', 'pods', '--as', 'jane']);
    assert.equal(r.stdout.trim(), 'yes', r.stderr);
    assert.equal(r.code, 0);
    r = await kubectl(['auth', 'can-i', 'delete', 'pods'], 'jane-token');
    assert.equal(r.stdout.trim(), 'no', r.stderr);
    r = await kubectl(['auth', 'can-i', 'delete', 'pods']);
    assert.equal(r.stdout.trim(), 'yes', r.stderr);
    r = await kubectl(['auth', 'can-i', '--list', '--as', 'jane']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^pods\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
    assert.match(r.stdout, /selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]/);
    assert.doesNotMatch(r.stdout, /^secrets\s/m);
    // Impersonating needs the right to: jane has none.
    r = await kubectl(['auth', 'can-i', 'list', 'pods', '--as', 'kubernetes-admin'], 'jane-token');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /users "kubernetes-admin" is forbidden: User "jane" cannot impersonate resource "users" in API group "" at the cluster scope/);
  });

  it('lets a service account token act within its Role only', async () => {
    assert.equal((await call('robot-token', 'GET', '/api/v1/namespaces/default/configmaps')).status, 200);
    const r = await call('robot-token', 'GET', '/api/v1/namespaces/default/secrets');
    assert.equal(r.status, 403);
    assert.equal(r.body.message, 'secrets is forbidden: User "system:serviceaccount:default:robot" cannot list resource "secrets" in API group "" in the namespace "default"');
    assert.equal((await call('robot-token', 'GET', '/api/v1/namespaces/kube-system/configmaps')).status, 403);
  });
});
