// kube-scheduler end to end against the in-process API server: placement, FailedScheduling
// messages as upstream prints them, anti-affinity, topology spread, taints, node affinity,
// preemption, schedulerName handling, a second profile, and explain.
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../storage/memory/memory.ts';
import { ApiServer } from '../apiserver/server.ts';
import { FakeClock } from '../machinery/clock.ts';
import { KubeClient } from '../client/client.ts';
import { InProcessTransport } from '../client/inprocess.ts';
import { InformerFactory } from '../client/informer.ts';
import type { Obj } from '../client/types.ts';
import { Scheduler } from './scheduler.ts';
import { explainPod, formatExplanation } from './explain.ts';
import type { ProfileConfig } from './types.ts';

const admin = { username: 'system:admin', groups: ['system:masters'] };

interface Env {
  api: ApiServer;
  client: KubeClient;
  informers: InformerFactory;
  sched: Scheduler;
  clock: FakeClock;
}
let env: Env | undefined;

async function setup(nodes: Obj[], profiles?: ProfileConfig[]): Promise<Env> {
  const api = new ApiServer({ storage: new MemoryBackend(), port: 0 });
  await api.start();
  const client = new KubeClient(new InProcessTransport(api, admin));
  for (const n of nodes) await client.nodes().create(n);
  const informers = new InformerFactory(client);
  const clock = new FakeClock(Date.now());
  const sched = new Scheduler(client, informers, { clock, ...(profiles ? { profiles } : {}) });
  sched.start();
  await informers.synced();
  env = { api, client, informers, sched, clock };
  return env;
}

afterEach(async () => {
  if (!env) return;
  env.sched.stop();
  env.informers.stop();
  await env.api.stop();
  await env.api.storage.close();
  env = undefined;
});

function node(name: string, opts: { cpu?: string; memory?: string; pods?: string; labels?: Record<string, string>; taints?: Obj[] } = {}): Obj {
  const res = { cpu: opts.cpu ?? '4', memory: opts.memory ?? '8Gi', pods: opts.pods ?? '110' };
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(opts.labels ?? {}) } },
    spec: opts.taints ? { taints: opts.taints } : {},
    status: { capacity: res, allocatable: res, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function pod(name: string, opts: { cpu?: string; labels?: Record<string, string>; spec?: Obj } = {}): Obj {
  return {
    metadata: { name, namespace: 'default', labels: opts.labels ?? {} },
    spec: {
      containers: [{ name: 'c', image: 'pause', resources: opts.cpu ? { requests: { cpu: opts.cpu } } : {} }],
      ...(opts.spec ?? {}),
    },
  };
}

/** Polls (advancing the fake clock a second per round) until `f` returns a value. */
async function until<T>(f: () => Promise<T | undefined> | T | undefined, what: string, ms = 8000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    env?.clock.advance(1000);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function nodeOf(name: string): Promise<string | undefined> {
  const p = await env!.client.pods('default').get(name);
  return p.spec?.nodeName || undefined;
}

async function eventsFor(name: string, reason: string): Promise<Obj[]> {
  const l = await env!.client.events('default').list();
  return l.items.filter((e) => e.involvedObject?.name === name && e.reason === reason);
}

describe('scheduler', () => {
  it('binds a pod to a node through pods/binding and records Scheduled', async () => {
    const { client } = await setup([node('n1'), node('n2'), node('n3')]);
    await client.pods('default').create(pod('p1', { cpu: '1' }));
    const n = await until(() => nodeOf('p1'), 'p1 bound');
    assert.match(n, /^n[123]$/);
    const ev = await until(async () => (await eventsFor('p1', 'Scheduled'))[0], 'Scheduled event');
    assert.equal(ev.message, `Successfully assigned default/p1 to ${n}`);
    const got = await client.pods('default').get('p1');
    assert.equal(got.status.conditions.find((c: Obj) => c.type === 'PodScheduled').status, 'True');
  });

  it('reports a pod too big for every node with upstream\'s FailedScheduling message', async () => {
    const { client } = await setup([node('n1'), node('n2'), node('n3', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] })]);
    await client.pods('default').create(pod('big1', { cpu: '3' }));
    await client.pods('default').create(pod('big2', { cpu: '3' }));
    await client.pods('default').create(pod('huge', { cpu: '100' }));
    await until(() => nodeOf('big1'), 'big1 bound');
    await until(() => nodeOf('big2'), 'big2 bound');
    await client.pods('default').create(pod('mid', { cpu: '3' }));
    const ev = await until(async () => (await eventsFor('mid', 'FailedScheduling'))[0], 'FailedScheduling for mid');
    assert.equal(
      ev.message,
      // upstream's FitError ends the preemption part with its own period, hence '..'
      '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod..',
    );
    assert.equal(ev.type, 'Warning');
    const huge = await until(async () => (await eventsFor('huge', 'FailedScheduling'))[0], 'FailedScheduling for huge');
    assert.equal(huge.message, '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling..');
    const p = await until(async () => {
      const x = await client.pods('default').get('huge');
      return x.status?.conditions?.find((c: Obj) => c.type === 'PodScheduled' && c.status === 'False') ? x : undefined;
    }, 'PodScheduled=False');
    const cond = p.status.conditions.find((c: Obj) => c.type === 'PodScheduled');
    assert.equal(cond.reason, 'Unschedulable');
    assert.equal(cond.message, huge.message);
  });

  it('spreads pods with required anti-affinity one per node, and rejects the one too many', async () => {
    const { client } = await setup([node('n1'), node('n2'), node('n3')]);
    const anti = {
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }] } },
    };
    for (let i = 0; i < 4; i++) await client.pods('default').create(pod(`web-${i}`, { labels: { app: 'web' }, spec: anti }));
    const placed = new Set<string>();
    let pending = '';
    await until(async () => {
      placed.clear();
      pending = '';
      for (let i = 0; i < 4; i++) {
        const n = await nodeOf(`web-${i}`);
        if (n) placed.add(n);
        else pending = `web-${i}`;
      }
      return placed.size === 3 && pending ? true : undefined;
    }, 'three placed');
    const ev = await until(async () => (await eventsFor(pending, 'FailedScheduling'))[0], 'FailedScheduling');
    assert.equal(ev.message, "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod..");
  });

  it('honours topology spread constraints across zones', async () => {
    const { client } = await setup([
      node('a1', { labels: { 'topology.kubernetes.io/zone': 'a' } }),
      node('a2', { labels: { 'topology.kubernetes.io/zone': 'a' } }),
      node('a3', { labels: { 'topology.kubernetes.io/zone': 'a' } }),
      node('b1', { labels: { 'topology.kubernetes.io/zone': 'b' } }),
    ]);
    const tsc = { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 's' } } }] };
    for (let i = 0; i < 6; i++) await client.pods('default').create(pod(`s-${i}`, { labels: { app: 's' }, spec: tsc }));
    const nodes = await until(async () => {
      const ns: string[] = [];
      for (let i = 0; i < 6; i++) {
        const n = await nodeOf(`s-${i}`);
        if (!n) return undefined;
        ns.push(n);
      }
      return ns;
    }, 'all placed');
    assert.equal(nodes.filter((n) => n.startsWith('a')).length, 3);
    assert.equal(nodes.filter((n) => n.startsWith('b')).length, 3);
  });

  it('keeps pods off tainted nodes unless they tolerate the taint', async () => {
    const taint = [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }];
    const { client } = await setup([node('plain'), node('db', { taints: taint })]);
    for (let i = 0; i < 4; i++) await client.pods('default').create(pod(`t-${i}`));
    await client.pods('default').create(pod('tol', { spec: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }], nodeSelector: { 'kubernetes.io/hostname': 'db' } } }));
    for (let i = 0; i < 4; i++) assert.equal(await until(() => nodeOf(`t-${i}`), 'bound'), 'plain');
    assert.equal(await until(() => nodeOf('tol'), 'tol bound'), 'db');
  });

  it('places pods by node affinity and nodeSelector, and explains the verdicts', async () => {
    const { client, sched } = await setup([node('x1', { labels: { disk: 'hdd' } }), node('x2', { labels: { disk: 'ssd' } }), node('x3', { labels: { disk: 'ssd', fast: 'yes' } })]);
    await client.pods('default').create(
      pod('aff', {
        spec: {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] }] },
              preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, preference: { matchExpressions: [{ key: 'fast', operator: 'Exists' }] } }],
            },
          },
        },
      }),
    );
    await client.pods('default').create(pod('sel', { spec: { nodeSelector: { disk: 'nvme' } } }));
    assert.equal(await until(() => nodeOf('aff'), 'aff bound'), 'x3');
    const ev = await until(async () => (await eventsFor('sel', 'FailedScheduling'))[0], 'FailedScheduling');
    assert.equal(ev.message, "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling..");

    const ex = explainPod(sched, 'default', 'aff');
    assert.equal(ex.boundNode, 'x3');
    assert.equal(ex.chosen, 'x3');
    const x1 = ex.nodes.find((n) => n.node === 'x1')!;
    assert.equal(x1.feasible, false);
    assert.deepEqual(x1.filters.find((f) => f.plugin === 'NodeAffinity'), { plugin: 'NodeAffinity', code: 'UnschedulableAndUnresolvable', reasons: ["node(s) didn't match Pod's node affinity/selector"] });
    const x3 = ex.nodes.find((n) => n.node === 'x3')!;
    assert.deepEqual(x3.scores.find((s) => s.plugin === 'NodeAffinity'), { plugin: 'NodeAffinity', raw: 50, normalized: 100, weight: 2, weighted: 200 });
    const pend = explainPod(sched, 'default', 'sel');
    assert.equal(pend.boundNode, undefined);
    assert.equal(pend.message, "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.");
    assert.match(formatExplanation(pend), /filter NodeAffinity: UnschedulableAndUnresolvable/);
  });

  it('preempts a lower-priority pod for a higher-priority one', async () => {
    const { client } = await setup([node('only', { cpu: '2' })]);
    await client.resource('scheduling.k8s.io', 'priorityclasses').create({ metadata: { name: 'high' }, value: 1000 });
    await client.pods('default').create(pod('low', { cpu: '1500m', spec: { priority: 0 } }));
    assert.equal(await until(() => nodeOf('low'), 'low bound'), 'only');
    await client.pods('default').create(pod('high', { cpu: '1500m', spec: { priorityClassName: 'high', priority: 1000 } }));
    // The victim is deleted gracefully; play the kubelet and finish the deletion.
    await until(async () => {
      const l = await client.pods('default').get('low').catch(() => undefined);
      if (!l) return true;
      if (l.metadata.deletionTimestamp) {
        await client.pods('default').delete('low', { gracePeriodSeconds: 0 });
        return true;
      }
      return undefined;
    }, 'victim deleted');
    const pre = await until(async () => (await eventsFor('low', 'Preempted'))[0], 'Preempted event');
    assert.match(pre.message, /^Preempted by pod .+ on node only$/);
    const high = await until(async () => {
      const h = await client.pods('default').get('high');
      return h.status?.nominatedNodeName === 'only' || h.spec.nodeName ? h : undefined;
    }, 'nominated');
    assert.ok(high);
    assert.equal(await until(() => nodeOf('high'), 'high bound'), 'only');
  });

  it('leaves pods for another scheduler alone and runs a second profile', async () => {
    const { client } = await setup([node('n1')], [{ schedulerName: 'default-scheduler' }, { schedulerName: 'second', weights: { NodeResourcesFit: 5 } }]);
    await client.pods('default').create(pod('mine', { spec: { schedulerName: 'second' } }));
    await client.pods('default').create(pod('theirs', { spec: { schedulerName: 'other-scheduler' } }));
    assert.equal(await until(() => nodeOf('mine'), 'mine bound'), 'n1');
    await client.pods('default').create(pod('later'));
    await until(() => nodeOf('later'), 'later bound');
    assert.equal(await nodeOf('theirs'), undefined);
    assert.equal((await eventsFor('theirs', 'FailedScheduling')).length, 0);
  });

  it('waits for a WaitForFirstConsumer claim and rejects unbound immediate claims', async () => {
    const { client } = await setup([node('v1')]);
    await client.resource('storage.k8s.io', 'storageclasses').create({ metadata: { name: 'wffc' }, provisioner: 'example.com/csi', volumeBindingMode: 'WaitForFirstConsumer' });
    await client.resource('storage.k8s.io', 'storageclasses').create({ metadata: { name: 'now' }, provisioner: 'example.com/csi', volumeBindingMode: 'Immediate' });
    const pvc = (name: string, sc: string) => ({ metadata: { name, namespace: 'default' }, spec: { storageClassName: sc, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    await client.resource('', 'persistentvolumeclaims', 'default').create(pvc('late', 'wffc'));
    await client.resource('', 'persistentvolumeclaims', 'default').create(pvc('early', 'now'));
    const vol = (claim: string) => ({ volumes: [{ name: 'd', persistentVolumeClaim: { claimName: claim } }] });
    await client.pods('default').create(pod('imm', { spec: vol('early') }));
    const ev = await until(async () => (await eventsFor('imm', 'FailedScheduling'))[0], 'FailedScheduling');
    assert.equal(ev.message, '0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling..');
    await client.pods('default').create(pod('wait', { spec: vol('late') }));
    const claim = await until(async () => {
      const c = await client.resource('', 'persistentvolumeclaims', 'default').get('late');
      return c.metadata.annotations?.['volume.kubernetes.io/selected-node'] ? c : undefined;
    }, 'selected-node annotation');
    assert.equal(claim.metadata.annotations['volume.kubernetes.io/selected-node'], 'v1');
    assert.equal(await nodeOf('wait'), undefined);
    // The provisioner and PV controller would bind it; do it by hand.
    await client.resource('', 'persistentvolumeclaims', 'default').patch('late', 'merge', { spec: { volumeName: 'pv-late' } });
    assert.equal(await until(() => nodeOf('wait'), 'wait bound'), 'v1');
  });
});
