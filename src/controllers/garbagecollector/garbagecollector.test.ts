// The garbage collector against the in-process API server: Background, Orphan and Foreground
// cascading deletion of a Deployment → ReplicaSet → Pods chain made by hand, owners shared between
// dependents, owners that never existed, and cluster-scoped owners.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Obj } from '../../client/types.ts';
import { garbageCollectorController, GarbageCollector } from './index.ts';
import { startEnv, gone, type TestEnv } from './testenv.ts';

let env: TestEnv;
before(async () => {
  env = await startEnv([garbageCollectorController]);
});
after(() => env.close());

const labels = { app: 'web' };
const template = { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };

function ref(o: Obj, kind: string, apiVersion: string, block = true) {
  return { apiVersion, kind, name: o.metadata.name, uid: o.metadata.uid, controller: true, blockOwnerDeletion: block };
}

/** A Deployment, one ReplicaSet it owns and `pods` pods the ReplicaSet owns, in `ns`. */
async function chain(ns: string, name: string, pods = 2, nodeName?: string) {
  await env.client.resource('', 'namespaces').create({ metadata: { name: ns } }).catch(() => {});
  const deploy = await env.client.resource('apps', 'deployments', ns).create({ metadata: { name }, spec: { replicas: pods, selector: { matchLabels: labels }, template } });
  const rs = await env.client
    .resource('apps', 'replicasets', ns)
    .create({ metadata: { name: `${name}-abc`, labels, ownerReferences: [ref(deploy, 'Deployment', 'apps/v1')] }, spec: { replicas: pods, selector: { matchLabels: labels }, template } });
  const podList: Obj[] = [];
  for (let i = 0; i < pods; i++) {
    podList.push(
      await env.client.pods(ns).create({
        metadata: { name: `${name}-abc-${i}`, labels, ownerReferences: [ref(rs, 'ReplicaSet', 'apps/v1')] },
        spec: { ...template.spec, ...(nodeName ? { nodeName } : {}) },
      }),
    );
  }
  return { deploy, rs, pods: podList };
}

describe('garbage collector', () => {
  it('Background: deleting a Deployment removes its ReplicaSets and their pods', async () => {
    const { rs, pods } = await chain('bg', 'web');
    const gc = env.manager.controllers[0] as GarbageCollector;
    await env.until(() => gc.dependentsOf(rs.metadata.uid).length === 2, 'the graph to link the pods to the ReplicaSet');
    await env.client.resource('apps', 'deployments', 'bg').delete('web');
    await env.until(() => gone(env.client.resource('apps', 'replicasets', 'bg').get('web-abc')), 'the ReplicaSet to be collected');
    for (const p of pods) await env.until(() => gone(env.client.pods('bg').get(p.metadata.name)), `pod ${p.metadata.name} to be collected`);
  });

  it('Orphan: the dependents stay, without the owner reference, and the owner goes', async () => {
    const { rs } = await chain('orphan', 'web');
    await env.client.resource('apps', 'deployments', 'orphan').delete('web', { propagationPolicy: 'Orphan' });
    await env.until(() => gone(env.client.resource('apps', 'deployments', 'orphan').get('web')), 'the Deployment to go once orphaning is done');
    const left = await env.client.resource('apps', 'replicasets', 'orphan').get('web-abc');
    assert.equal(left.metadata.uid, rs.metadata.uid);
    assert.equal(left.metadata.ownerReferences, undefined, 'the reference to the Deployment is removed');
    const pods = await env.client.pods('orphan').list();
    assert.equal(pods.items.length, 2, 'pods are untouched');
    assert.ok(pods.items.every((p) => p.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid));
  });

  it('Foreground: the owner stays (with its finalizer) until its blocking dependents are gone', async () => {
    // Pods on a node are deleted gracefully: they stay until the node agent deletes them for good.
    await chain('fg', 'web', 2, 'node-1');
    const deployments = env.client.resource('apps', 'deployments', 'fg');
    const rss = env.client.resource('apps', 'replicasets', 'fg');
    await deployments.delete('web', { propagationPolicy: 'Foreground' });
    await env.until(async () => (await env.client.pods('fg').list()).items.every((p) => p.metadata.deletionTimestamp), 'the pods to be marked for deletion');
    const d = await deployments.get('web');
    assert.ok(d.metadata.deletionTimestamp);
    assert.deepEqual(d.metadata.finalizers, ['foregroundDeletion']);
    const rs = await rss.get('web-abc');
    assert.ok(rs.metadata.deletionTimestamp, 'the ReplicaSet, which has dependents, is deleted in the foreground too');
    assert.deepEqual(rs.metadata.finalizers, ['foregroundDeletion']);
    // The node agent finishes the pods.
    for (const p of (await env.client.pods('fg').list()).items) await env.client.pods('fg').delete(p.metadata.name, { gracePeriodSeconds: 0 });
    await env.until(() => gone(rss.get('web-abc')), 'the ReplicaSet to go after its pods');
    await env.until(() => gone(deployments.get('web')), 'the Deployment to go after its ReplicaSet');
  });

  it('keeps a dependent that has another live owner, dropping only the reference to the deleted one', async () => {
    await env.client.resource('', 'namespaces').create({ metadata: { name: 'shared' } });
    const cms = env.client.resource('', 'configmaps', 'shared');
    const a = await cms.create({ metadata: { name: 'owner-a' } });
    const b = await cms.create({ metadata: { name: 'owner-b' } });
    await cms.create({ metadata: { name: 'dep', ownerReferences: [ref(a, 'ConfigMap', 'v1', false), { ...ref(b, 'ConfigMap', 'v1', false), controller: false }] } });
    const gc = env.manager.controllers[0] as GarbageCollector;
    await env.until(() => gc.dependentsOf(a.metadata.uid).length === 1 && gc.dependentsOf(b.metadata.uid).length === 1, 'the graph');
    await cms.delete('owner-a');
    await env.until(async () => (await cms.get('dep')).metadata.ownerReferences?.length === 1, 'the reference to owner-a to be removed');
    const dep = await cms.get('dep');
    assert.equal(dep.metadata.ownerReferences[0].uid, b.metadata.uid);
  });

  it('collects an object whose owner never existed, and keeps one whose owner lives', async () => {
    await env.client.resource('', 'namespaces').create({ metadata: { name: 'dangling' } });
    const cms = env.client.resource('', 'configmaps', 'dangling');
    await cms.create({ metadata: { name: 'orphaned', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'nope', uid: '00000000-0000-0000-0000-000000000001' }] } });
    const live = await cms.create({ metadata: { name: 'owner' } });
    await cms.create({ metadata: { name: 'kept', ownerReferences: [ref(live, 'ConfigMap', 'v1')] } });
    await env.until(() => gone(cms.get('orphaned')), 'the object with a missing owner to be collected');
    assert.ok(await cms.get('kept'));
  });

  it('follows cluster-scoped owners (a node owns its lease)', async () => {
    const node = await env.client.nodes().create({ metadata: { name: 'gc-node' } });
    await env.client.leases('kube-node-lease').create({ metadata: { name: 'gc-node', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'gc-node', uid: node.metadata.uid }] }, spec: { holderIdentity: 'gc-node' } });
    const gc = env.manager.controllers[0] as GarbageCollector;
    await env.until(() => gc.dependentsOf(node.metadata.uid).length === 1, 'the graph');
    await env.client.nodes().delete('gc-node');
    await env.until(() => gone(env.client.leases('kube-node-lease').get('gc-node')), 'the lease to be collected with its node');
  });
});
