import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterAutoscaler, STATUS_CONFIGMAP } from './autoscaler.ts';
import { defaultAutoscalerProfile, parseAutoscalerProfile } from './profile.ts';
import { FakeNodeGroup, startTestApi, type TestApi } from './fakes.ts';
import { FakeClock } from '../../machinery/clock.ts';
import { FakeKubelet } from '../../controllers/util/testing.ts';
import type { KubeClient } from '../../client/client.ts';
import type { Obj } from '../../client/types.ts';

const TEMPLATE = { capacity: { cpu: '2', memory: '4Gi', pods: '110' }, labels: { 'kubernetes.azure.com/mode': 'user' }, taints: [] };
const RS_OWNER = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-uid', controller: true }];

async function pendingPod(client: KubeClient, name: string, cpu: string, extra: Obj = {}): Promise<Obj> {
  const pods = client.pods('default');
  const p = await pods.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ownerReferences: RS_OWNER },
    spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu } } }], ...extra },
  });
  return pods.updateStatus({
    ...p,
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient cpu.' }] },
  });
}

async function boundPod(client: KubeClient, name: string, node: string, cpu: string, ns = 'default'): Promise<Obj> {
  return client.pods(ns).create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, ownerReferences: RS_OWNER },
    spec: { nodeName: node, containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu } } }] },
  });
}

/** Moves the fake clock `ms` in one-second steps, letting async work run between steps. */
async function advance(clock: FakeClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 1000) {
    clock.advance(Math.min(1000, ms - t));
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, 20));
}

async function events(client: KubeClient, reason: string): Promise<Obj[]> {
  return (await client.events('default').list()).items.filter((e) => e.reason === reason);
}

async function setup(groupOpts: { min: number; max: number; initial: number }, profile = defaultAutoscalerProfile) {
  const clock = new FakeClock();
  const t: TestApi = await startTestApi(clock);
  const group = new FakeNodeGroup(t.client, 'pool1', { min: groupOpts.min, max: groupOpts.max, template: TEMPLATE });
  if (groupOpts.initial) await group.increaseSize(groupOpts.initial);
  group.calls.length = 0;
  const ca = new ClusterAutoscaler(t.client, undefined, { groups: [group], profile, clock, random: () => 0 });
  return { clock, t, group, ca, client: t.client };
}

test('scales a node group up for a pod the scheduler could not place, once', async () => {
  const { clock, t, group, ca, client } = await setup({ min: 1, max: 3, initial: 1 });
  try {
    const [n0] = group.nodeNames();
    await boundPod(client, 'busy', n0!, '1500m');
    await pendingPod(client, 'web-1', '1');
    await ca.start();
    await advance(clock, 10_000);
    assert.deepEqual(group.calls, ['+1']);
    const ev = await events(client, 'TriggeredScaleUp');
    assert.equal(ev.length, 1);
    assert.equal(ev[0]!.message, 'pod triggered scale-up: [{pool1 1->2 (max: 3)}]');
    assert.equal(ev[0]!.involvedObject.name, 'web-1');
    // The new node can take the pod: no further scale-up while the scheduler catches up.
    await advance(clock, 30_000);
    assert.deepEqual(group.calls, ['+1']);
    const cm = await client.resource('', 'configmaps', 'kube-system').get(STATUS_CONFIGMAP);
    assert.match(cm.data.status, /^time: 2026-01-01 00:00:\d\d \+0000 UTC\nautoscalerStatus: Running\nclusterWide:\n  health:\n    status: Healthy\n/);
    assert.match(cm.data.status, /nodeGroups:\n- name: pool1\n  health:\n    status: Healthy\n/);
    assert.match(cm.data.status, /cloudProviderTarget: 2\n    minSize: 1\n    maxSize: 3\n/);
  } finally {
    ca.stop();
    await t.stop();
  }
});

test('does not scale up when no template node could hold the pod', async () => {
  const { clock, t, group, ca, client } = await setup({ min: 1, max: 3, initial: 1 });
  try {
    await pendingPod(client, 'huge', '8');
    await pendingPod(client, 'picky', '100m', { nodeSelector: { disk: 'ssd' } });
    await ca.start();
    await advance(clock, 10_000);
    assert.deepEqual(group.calls, []);
    const ev = await events(client, 'NotTriggerScaleUp');
    const byPod = Object.fromEntries(ev.map((e) => [e.involvedObject.name, e.message]));
    assert.equal(byPod.huge, "pod didn't trigger scale-up: 1 Insufficient cpu");
    assert.equal(byPod.picky, "pod didn't trigger scale-up: 1 node(s) didn't match Pod's node affinity/selector");
  } finally {
    ca.stop();
    await t.stop();
  }
});

test('never grows a group above its max', async () => {
  const { clock, t, group, ca, client } = await setup({ min: 1, max: 3, initial: 1 });
  try {
    const [n0] = group.nodeNames();
    await boundPod(client, 'busy', n0!, '2');
    for (let i = 0; i < 5; i++) await pendingPod(client, `web-${i}`, '1500m');
    await ca.start();
    await advance(clock, 10_000);
    assert.deepEqual(group.calls, ['+2']);
    assert.equal(group.targetSize(), 3);
    await advance(clock, 60_000);
    assert.deepEqual(group.calls, ['+2']);
    const not = await events(client, 'NotTriggerScaleUp');
    assert.ok(not.some((e) => e.message === "pod didn't trigger scale-up: 1 max node group size reached"), JSON.stringify(not.map((e) => e.message)));
  } finally {
    ca.stop();
    await t.stop();
  }
});

test('removes empty nodes after scale-down-unneeded-time, never below min', async () => {
  const { clock, t, group, ca, client } = await setup({ min: 1, max: 5, initial: 3 });
  try {
    await ca.start();
    await advance(clock, 9 * 60_000);
    assert.deepEqual(group.calls, []);
    const cm = await client.resource('', 'configmaps', 'kube-system').get(STATUS_CONFIGMAP);
    assert.match(cm.data.status, /scaleDown:\n    status: CandidatesPresent\n    candidates: 3\n/);
    await advance(clock, 2 * 60_000);
    assert.equal(group.targetSize(), 1);
    assert.equal((await client.nodes().list()).items.length, 1);
    await advance(clock, 30 * 60_000);
    assert.equal(group.targetSize(), 1);
  } finally {
    ca.stop();
    await t.stop();
  }
});

test('drains an underused node whose pods fit elsewhere, then deletes it', async () => {
  const { clock, t, group, ca, client } = await setup({ min: 1, max: 5, initial: 2 });
  const kubelet = new FakeKubelet(client, { clock });
  try {
    await kubelet.start();
    const [a, b] = group.nodeNames();
    await boundPod(client, 'small', a!, '200m');
    await boundPod(client, 'medium', b!, '300m');
    await boundPod(client, 'dns', b!, '100m', 'kube-system'); // pins b (skip-nodes-with-system-pods)
    await ca.start();
    await advance(clock, 11 * 60_000);
    assert.deepEqual(group.calls, [`-${a}`]);
    const left = (await client.pods('default').list()).items.map((p) => p.metadata.name);
    assert.deepEqual(left, ['medium']);
    const ev = (await client.events('').list()).items.filter((e) => e.reason === 'ScaleDown');
    assert.ok(ev.some((e) => e.involvedObject.kind === 'Node' && e.message === 'marked the node as toBeDeleted/unschedulable'));
    assert.ok(ev.some((e) => e.involvedObject.name === 'small' && e.message === 'deleting pod for node scale down'));
  } finally {
    kubelet.stop();
    ca.stop();
    await t.stop();
  }
});

test('no scale-down within scale-down-delay-after-add', async () => {
  const profile = parseAutoscalerProfile({ 'scale-down-delay-after-add': '20m', 'scale-down-unneeded-time': '1m' });
  const { clock, t, group, ca, client } = await setup({ min: 1, max: 5, initial: 1 }, profile);
  try {
    const [n0] = group.nodeNames();
    await boundPod(client, 'busy', n0!, '1800m');
    await pendingPod(client, 'web-1', '1');
    await ca.start();
    await advance(clock, 10_000);
    assert.deepEqual(group.calls, ['+1']);
    await client.pods('default').delete('web-1'); // the new node stays empty
    await advance(clock, 10 * 60_000); // unneeded for 10m > 1m, but the delay after add holds
    assert.deepEqual(group.calls, ['+1']);
    await advance(clock, 11 * 60_000);
    assert.deepEqual(group.calls, ['+1', '-aks-pool1-12345678-vmss000001']);
  } finally {
    ca.stop();
    await t.stop();
  }
});
