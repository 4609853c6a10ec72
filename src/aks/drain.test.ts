import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drainNode, DrainError, drainSkips } from './drain.ts';
import { startTestApi, makeNode } from './autoscaler/fakes.ts';
import { FakeClock } from '../machinery/clock.ts';
import type { KubeClient } from '../client/client.ts';
import type { Obj } from '../client/types.ts';

async function runningPod(client: KubeClient, name: string, extra: { labels?: Record<string, string>; annotations?: Record<string, string>; ownerReferences?: Obj[]; volumes?: Obj[] } = {}): Promise<Obj> {
  const pods = client.pods('default');
  const p = await pods.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: extra.labels ?? {}, annotations: extra.annotations ?? {}, ownerReferences: extra.ownerReferences ?? [] },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }], volumes: extra.volumes ?? [] },
  });
  return pods.updateStatus({ ...p, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
}

const names = async (client: KubeClient) => (await client.pods('default').list()).items.map((p) => p.metadata.name).sort();

test('drainSkips: mirror and DaemonSet pods stay', () => {
  assert.equal(drainSkips({ metadata: { annotations: { 'kubernetes.io/config.mirror': 'x' } } }), true);
  assert.equal(drainSkips({ metadata: { ownerReferences: [{ kind: 'DaemonSet', controller: true, name: 'd' }] } }), true);
  assert.equal(drainSkips({ metadata: { ownerReferences: [{ kind: 'ReplicaSet', controller: true, name: 'r' }] } }), false);
  assert.equal(drainSkips({ metadata: {} }), false);
});

test('drainNode cordons and evicts bare, emptyDir and replicated pods, leaving DaemonSet and mirror pods', async () => {
  const t = await startTestApi();
  try {
    const { client } = t;
    await client.nodes().create(makeNode('n1', { capacity: { cpu: '2', memory: '4Gi', pods: '110' }, labels: {}, taints: [] }));
    await runningPod(client, 'bare');
    await runningPod(client, 'scratch', { volumes: [{ name: 'tmp', emptyDir: {} }] });
    await runningPod(client, 'web-1', { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'u1', controller: true }] });
    await runningPod(client, 'ds-1', { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ds', uid: 'u2', controller: true }] });
    await runningPod(client, 'static-n1', { annotations: { 'kubernetes.io/config.mirror': 'abc' } });
    await drainNode(client, 'n1', { timeoutMs: 10_000, gracePeriodSeconds: 0 });
    assert.deepEqual(await names(client), ['ds-1', 'static-n1']);
    assert.equal((await client.nodes().get('n1')).spec.unschedulable, true);
  } finally {
    await t.stop();
  }
});

test('drainNode retries evictions refused by a PDB and fails like AKS after the timeout', async () => {
  const clock = new FakeClock();
  const t = await startTestApi(clock);
  try {
    const { client } = t;
    await client.nodes().create(makeNode('n1', { capacity: { cpu: '2', memory: '4Gi', pods: '110' }, labels: {}, taints: [] }));
    await runningPod(client, 'db-0', { labels: { app: 'db' } });
    const pdbs = client.resource('policy', 'poddisruptionbudgets', 'default');
    const pdb = await pdbs.create({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'db-pdb', namespace: 'default' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'db' } } } });
    await pdbs.updateStatus({ ...pdb, status: { observedGeneration: pdb.metadata.generation, disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 } });
    const p = drainNode(client, 'n1', { timeoutMs: 30_000, clock });
    let err: unknown;
    p.catch((e) => (err = e));
    for (let i = 0; i < 200 && err === undefined; i++) {
      clock.advance(1000);
      await new Promise((r) => setTimeout(r, 2));
    }
    assert.ok(err instanceof DrainError, String(err));
    assert.match(
      err.message,
      /^Drain node n1 failed when evicting pod db-0 failed with Too Many Requests error\. This is often caused by a restrictive Pod Disruption Budget \(PDB\) policy\. See http:\/\/aka\.ms\/aks\/debugdrainfailures\. Original error: Cannot evict pod as it would violate the pod's disruption budget\.\. PDB debug info: default\/db-0 blocked by pdb db-pdb with 0 unready pods: \[\]\.$/,
    );
    assert.deepEqual(err.pods, ['default/db-0']);
    assert.ok(clock.now() - Date.UTC(2026, 0, 1) >= 25_000, 'retried until about the timeout');
    assert.deepEqual(await names(client), ['db-0']);
  } finally {
    await t.stop();
  }
});

test('drainNode succeeds once the PDB allows the disruption', async () => {
  const clock = new FakeClock();
  const t = await startTestApi(clock);
  try {
    const { client } = t;
    await client.nodes().create(makeNode('n1', { capacity: { cpu: '2', memory: '4Gi', pods: '110' }, labels: {}, taints: [] }));
    await runningPod(client, 'db-0', { labels: { app: 'db' } });
    const pdbs = client.resource('policy', 'poddisruptionbudgets', 'default');
    let pdb = await pdbs.create({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'db-pdb', namespace: 'default' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'db' } } } });
    pdb = await pdbs.updateStatus({ ...pdb, status: { observedGeneration: pdb.metadata.generation, disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 } });
    let done = false;
    let err: unknown;
    drainNode(client, 'n1', { timeoutMs: 60_000, gracePeriodSeconds: 0, clock }).then(() => (done = true), (e) => (err = e));
    for (let i = 0; i < 10; i++) {
      clock.advance(1000);
      await new Promise((r) => setTimeout(r, 2));
    }
    assert.equal(done, false);
    await pdbs.updateStatus({ ...pdb, status: { ...pdb.status, disruptionsAllowed: 1 } });
    for (let i = 0; i < 50 && !done && err === undefined; i++) {
      clock.advance(1000);
      await new Promise((r) => setTimeout(r, 2));
    }
    assert.equal(err, undefined);
    assert.equal(done, true);
    assert.deepEqual(await names(client), []);
  } finally {
    await t.stop();
  }
});
