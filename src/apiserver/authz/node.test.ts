// The Node authorizer as a kubelet meets it: its own pods' secrets, configmaps, claims, volumes and
// service-account tokens are readable, another node's are not (with upstream's reason), its own
// Node and Lease only, pods bound to it, and the static system:node rules for the rest. Then the
// union with RBAC, and the 403 a node gets.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NodeGraph, nodeAuthorizer, type NodeAttributes } from './node.ts';
import { rbacAuthorizer } from './rbac.ts';
import { chain, forbiddenMessage } from './chain.ts';
import { memoryLister, res } from './testing.ts';
import type { Obj } from '../types.ts';

const node1 = { username: 'system:node:node1', groups: ['system:nodes', 'system:authenticated'] };

function pod(name: string, nodeName: string | undefined, spec: Obj = {}): Obj {
  return { metadata: { name, namespace: 'default' }, spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'i' }], ...spec } };
}

function graph(): NodeGraph {
  const g = new NodeGraph();
  g.setPod(
    pod('web', 'node1', {
      serviceAccountName: 'web-sa',
      containers: [{ name: 'c', env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'env-secret', key: 'k' } } }], envFrom: [{ configMapRef: { name: 'env-cm' } }] }],
      volumes: [
        { name: 'v1', secret: { secretName: 'vol-secret' } },
        { name: 'v2', projected: { sources: [{ configMap: { name: 'proj-cm' } }, { serviceAccountToken: { path: 't' } }] } },
        { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
      ],
    }),
  );
  g.setPod(pod('other', 'node2', { volumes: [{ name: 'v', secret: { secretName: 'other-secret' } }] }));
  g.setPod(pod('pending', undefined, { volumes: [{ name: 'v', secret: { secretName: 'pending-secret' } }] }));
  g.setPV({ metadata: { name: 'pv-data' }, spec: { claimRef: { namespace: 'default', name: 'data' }, csi: { driver: 'd', volumeHandle: 'h', nodePublishSecretRef: { name: 'csi-secret', namespace: 'storage' } } } });
  g.setPV({ metadata: { name: 'pv-other' }, spec: { claimRef: { namespace: 'default', name: 'unused' } } });
  return g;
}

const get = (resource: string, name: string, namespace = 'default') => res('get', resource, { namespace, name });

describe('Node authorizer', () => {
  it('lets a node read only what its pods use', () => {
    const authz = nodeAuthorizer(graph());
    for (const [r, n] of [
      ['secrets', 'env-secret'],
      ['secrets', 'vol-secret'],
      ['configmaps', 'env-cm'],
      ['configmaps', 'proj-cm'],
      ['persistentvolumeclaims', 'data'],
    ]) {
      assert.equal(authz.authorize(node1, get(r!, n!)).allowed, true, `${r}/${n}`);
    }
    assert.equal(authz.authorize(node1, res('get', 'persistentvolumes', { name: 'pv-data' })).allowed, true);
    assert.equal(authz.authorize(node1, get('secrets', 'csi-secret', 'storage')).allowed, true);
    assert.deepEqual(authz.authorize(node1, get('secrets', 'other-secret')), { allowed: false, reason: "no relationship found between node 'node1' and this object" });
    assert.equal(authz.authorize(node1, get('secrets', 'pending-secret')).allowed, false);
    assert.equal(authz.authorize(node1, res('get', 'persistentvolumes', { name: 'pv-other' })).allowed, false);
    assert.deepEqual(authz.authorize(node1, res('list', 'secrets', { namespace: 'default' })), { allowed: false, reason: 'No Object name found' });
    assert.deepEqual(authz.authorize(node1, res('update', 'secrets', { namespace: 'default', name: 'vol-secret' })), { allowed: false, reason: 'can only read resources of this type' });
    // A kubelet watches one secret with a metadata.name field selector.
    const watch: NodeAttributes = { ...res('watch', 'secrets', { namespace: 'default' }), fieldSelector: 'metadata.name=vol-secret' };
    assert.equal(authz.authorize(node1, watch).allowed, true);
    // Service account tokens for its pods' service accounts only.
    assert.equal(authz.authorize(node1, res('create', 'serviceaccounts/token', { namespace: 'default', name: 'web-sa' })).allowed, true);
    assert.equal(authz.authorize(node1, res('create', 'serviceaccounts/token', { namespace: 'default', name: 'default' })).allowed, false);
  });

  it('follows pods as they move and go', () => {
    const g = graph();
    const authz = nodeAuthorizer(g);
    g.deletePod(pod('web', 'node1'));
    assert.equal(authz.authorize(node1, get('secrets', 'vol-secret')).allowed, false);
    g.setPod(pod('pending', 'node1', { volumes: [{ name: 'v', secret: { secretName: 'pending-secret' } }] }));
    assert.equal(authz.authorize(node1, get('secrets', 'pending-secret')).allowed, true);
  });

  it('picks up an ephemeral container added to a running pod, and a pod recreated under the same name', () => {
    const g = graph();
    const authz = nodeAuthorizer(g);
    const web = pod('web', 'node1', { volumes: [{ name: 'v1', secret: { secretName: 'vol-secret' } }] });
    web.metadata.uid = 'u1';
    g.setPod(web);
    // A status write shares the spec: nothing to recompute, nothing lost.
    g.setPod({ ...web, status: { phase: 'Running' } });
    assert.equal(authz.authorize(node1, get('secrets', 'vol-secret')).allowed, true);
    const debug = { ...web, spec: { ...web.spec, ephemeralContainers: [{ name: 'dbg', image: 'i', envFrom: [{ secretRef: { name: 'debug-secret' } }] }] } };
    g.setPod(debug);
    assert.equal(authz.authorize(node1, get('secrets', 'debug-secret')).allowed, true);
    // Same name, new uid, on the same node, without the volume: the old pod's secret is no longer reachable.
    g.setPod({ metadata: { name: 'web', namespace: 'default', uid: 'u2' }, spec: { nodeName: 'node1', containers: [{ name: 'c', image: 'i' }] } });
    assert.equal(authz.authorize(node1, get('secrets', 'vol-secret')).allowed, false);
    assert.equal(authz.authorize(node1, get('secrets', 'debug-secret')).allowed, false);
  });

  it('confines a node to its own Node, Lease and pods', () => {
    const authz = nodeAuthorizer(graph());
    assert.equal(authz.authorize(node1, res('get', 'nodes', { name: 'node1' })).allowed, true);
    assert.equal(authz.authorize(node1, res('patch', 'nodes/status', { name: 'node1' })).allowed, true);
    assert.equal(authz.authorize(node1, res('create', 'nodes')).allowed, true);
    assert.deepEqual(authz.authorize(node1, res('update', 'nodes/status', { name: 'node2' })), { allowed: false, reason: "node 'node1' cannot modify 'node2', only its own Node object" });
    assert.equal(authz.authorize(node1, res('get', 'nodes', { name: 'node2' })).allowed, false);
    assert.equal(authz.authorize(node1, res('delete', 'nodes', { name: 'node1' })).allowed, false);
    const lease = (verb: string, name: string) => res(verb, 'leases', { namespace: 'kube-node-lease', name, group: 'coordination.k8s.io' });
    assert.equal(authz.authorize(node1, lease('update', 'node1')).allowed, true);
    assert.deepEqual(authz.authorize(node1, lease('update', 'node2')), { allowed: false, reason: 'can only access node lease with the same name as the requesting node' });
    assert.equal(authz.authorize(node1, get('pods', 'web')).allowed, true);
    assert.equal(authz.authorize(node1, get('pods', 'other')).allowed, false);
    assert.equal(authz.authorize(node1, res('update', 'pods/status', { namespace: 'default', name: 'web' })).allowed, true);
    assert.equal(authz.authorize(node1, res('update', 'pods/status', { namespace: 'default', name: 'other' })).allowed, false);
    assert.equal(authz.authorize(node1, res('delete', 'pods', { namespace: 'default', name: 'web' })).allowed, true);
    assert.equal(authz.authorize(node1, res('delete', 'pods', { namespace: 'default', name: 'other' })).allowed, false);
    // Mirror pods: creation is left to the rules (and NodeRestriction admission).
    assert.equal(authz.authorize(node1, res('create', 'pods', { namespace: 'default' })).allowed, true);
    const listPods = (fieldSelector?: string): NodeAttributes => ({ ...res('watch', 'pods'), ...(fieldSelector ? { fieldSelector } : {}) });
    assert.equal(authz.authorize(node1, listPods('spec.nodeName=node1')).allowed, true);
    assert.equal(authz.authorize(node1, listPods('spec.nodeName=node2')).allowed, false);
    assert.deepEqual(authz.authorize(node1, listPods()), { allowed: false, reason: 'can only list/watch pods with spec.nodeName field selector' });
    // The rest: the static system:node rules.
    assert.equal(authz.authorize(node1, res('list', 'services')).allowed, true);
    assert.equal(authz.authorize(node1, res('create', 'events', { namespace: 'default' })).allowed, true);
    assert.equal(authz.authorize(node1, res('list', 'deployments', { group: 'apps' })).allowed, false);
  });

  it('has no opinion on anyone else, and rules for a node are incomplete', () => {
    const authz = nodeAuthorizer(graph());
    assert.deepEqual(authz.authorize({ username: 'jane', groups: [] }, get('secrets', 'vol-secret')), { allowed: false });
    // The name alone does not make a node: the group must be there too.
    assert.deepEqual(authz.authorize({ username: 'system:node:node1', groups: [] }, get('secrets', 'vol-secret')), { allowed: false });
    assert.deepEqual(authz.authorize({ username: 'system:node:', groups: ['system:nodes'] }, get('secrets', 'x')), { allowed: false, reason: 'unknown node for user "system:node:"' });
    assert.equal(authz.rules(node1).incomplete, true);
    assert.equal(authz.rules({ username: 'jane', groups: [] }).incomplete, false);
  });
});

describe('Node,RBAC chain', () => {
  it('answers a node with RBAC after the node authorizer, and gives upstream\'s 403 text', async () => {
    const authz = chain([nodeAuthorizer(graph()), rbacAuthorizer(memoryLister())]);
    assert.equal((await authz.authorize(node1, get('secrets', 'vol-secret'))).allowed, true);
    const a = get('secrets', 'other-secret');
    const d = await authz.authorize(node1, a);
    assert.equal(d.allowed, false);
    assert.equal(
      forbiddenMessage(node1, a, d.reason),
      `secrets "other-secret" is forbidden: User "system:node:node1" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node 'node1' and this object`,
    );
    // system:basic-user still comes from RBAC.
    assert.equal((await authz.authorize(node1, res('create', 'selfsubjectaccessreviews', { group: 'authorization.k8s.io' }))).allowed, true);
  });

  it('stops at the first allow or deny; no opinion passes on with its reason', async () => {
    const calls: string[] = [];
    const a = (name: string, d: { allowed: boolean; denied?: boolean; reason?: string }) => ({
      authorize: () => (calls.push(name), d),
      rules: () => ({ resourceRules: [{ verbs: [name], resources: ['*'] }], nonResourceRules: [], incomplete: name === 'b' }),
    });
    const attrs = get('pods', 'x');
    const u = { username: 'u', groups: [] };
    assert.deepEqual(await chain([a('a', { allowed: false, reason: 'nope' }), a('b', { allowed: true })]).authorize(u, attrs), { allowed: true });
    assert.deepEqual(calls, ['a', 'b']);
    calls.length = 0;
    assert.deepEqual(await chain([a('a', { allowed: false, denied: true, reason: 'deny' }), a('b', { allowed: true })]).authorize(u, attrs), { allowed: false, denied: true, reason: 'deny' });
    assert.deepEqual(calls, ['a']);
    assert.deepEqual(await chain([a('a', { allowed: false, reason: 'one' }), a('b', { allowed: false, reason: 'two' })]).authorize(u, attrs), { allowed: false, reason: 'one\ntwo' });
    const rules = await chain([a('a', { allowed: false }), a('b', { allowed: false })]).rules(u, 'default');
    assert.deepEqual(rules.resourceRules.map((r) => r.verbs[0]), ['a', 'b']);
    assert.equal(rules.incomplete, true);
  });

  it('words 403s for every kind of request as upstream', () => {
    const u = { username: 'jane', groups: [] };
    assert.equal(forbiddenMessage(u, res('list', 'clusterroles', { group: 'rbac.authorization.k8s.io' })), 'clusterroles.rbac.authorization.k8s.io is forbidden: User "jane" cannot list resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope');
    assert.equal(forbiddenMessage(u, res('create', 'pods/exec', { namespace: 'default', name: 'web' })), 'pods "web" is forbidden: User "jane" cannot create resource "pods/exec" in API group "" in the namespace "default"');
    assert.equal(forbiddenMessage({ username: '<b>', groups: [] }, res('get', 'pods', { namespace: 'a', name: 'p' })), 'pods "p" is forbidden: User "&lt;b&gt;" cannot get resource "pods" in API group "" in the namespace "a"');
  });
});
