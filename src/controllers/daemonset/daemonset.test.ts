// The DaemonSet controller against the in-process API server: one pod per eligible node (a
// tainted node skipped, a cordoned one kept thanks to the default tolerations), pods aimed at
// their node by required affinity, new nodes and removed taints picked up, status counts, and a
// rolling update that replaces one unavailable pod at a time (or surges).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../storage/memory/memory.ts';
import { ApiServer } from '../../apiserver/server.ts';
import { FakeClock } from '../../machinery/clock.ts';
import { KubeClient } from '../../client/client.ts';
import { InProcessTransport } from '../../client/inprocess.ts';
import type { Obj } from '../../client/types.ts';
import { ControllerManager } from '../manager.ts';
import { daemonsetController } from './index.ts';
import { targetNodeName } from './predicates.ts';

let api: ApiServer;
let c: KubeClient;
let mgr: ControllerManager;
const clock = new FakeClock();

before(async () => {
  api = new ApiServer({ storage: new MemoryBackend(), port: 0 });
  await api.start();
  c = new KubeClient(new InProcessTransport(api, { username: 'system:admin', groups: ['system:masters'] }));
  mgr = new ControllerManager(c, [daemonsetController], { clock, config: { leaderElect: false } });
  await mgr.start();
  await mgr.ctx.informers.synced();
});
after(async () => {
  mgr.stop();
  c.close();
  await api.stop();
  await api.storage.close();
});

async function until<T>(fn: () => Promise<T | undefined | false>, what: string, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    clock.advance(20);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function settle() {
  for (let i = 0; i < 20; i++) {
    clock.advance(20);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const dss = (ns: string) => c.resource('apps', 'daemonsets', ns);

async function dsPods(ns: string, app: string): Promise<Obj[]> {
  return (await c.pods(ns).list({ labelSelector: `app=${app}` })).items;
}

function byNode(pods: Obj[]): Record<string, Obj> {
  const out: Record<string, Obj> = {};
  for (const p of pods) out[targetNodeName(p)!] = p;
  return out;
}

async function markReady(ns: string, name: string) {
  const p = await c.pods(ns).get(name);
  const ts = new Date(clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
  await c.pods(ns).updateStatus({ ...p, status: { ...p.status, phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ts }] } });
}

async function node(name: string, taints?: Obj[], labels?: Record<string, string>) {
  await c.nodes().create({ metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(labels ?? {}) } }, spec: taints ? { taints } : {} });
}

function daemonSet(name: string, extra: Obj = {}): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'agent', image: 'agent:1' }] } },
      ...extra,
    },
  };
}

const DEFAULT_TOLERATIONS = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

describe('DaemonSet controller', () => {
  it('runs one pod per eligible node, with node affinity and the default tolerations', async () => {
    await node('n1');
    await node('n2', [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]); // cordoned: daemons still run
    await node('n3', [{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }]);
    const ns = 'default';
    await dss(ns).create(daemonSet('agent'));

    const pods = await until(async () => {
      const p = await dsPods(ns, 'agent');
      return p.length === 2 && p;
    }, 'two daemon pods');
    await settle();
    assert.equal((await dsPods(ns, 'agent')).length, 2, 'none on the tainted node');
    const on = byNode(pods);
    assert.deepEqual(Object.keys(on).sort(), ['n1', 'n2']);
    const p = on.n1!;
    assert.match(p.metadata.generateName, /^agent-$/);
    assert.equal(p.spec.nodeName, undefined, 'left for the scheduler to bind');
    assert.deepEqual(p.spec.affinity, {
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] } },
    });
    for (const t of DEFAULT_TOLERATIONS) assert.ok(p.spec.tolerations.some((x: Obj) => x.key === t.key && x.operator === t.operator && x.effect === t.effect && x.tolerationSeconds === undefined), t.key);
    assert.ok(!p.spec.tolerations.some((x: Obj) => x.key === 'node.kubernetes.io/network-unavailable'), 'only for hostNetwork');
    const ref = p.metadata.ownerReferences[0];
    assert.deepEqual([ref.kind, ref.name, ref.controller], ['DaemonSet', 'agent', true]);
    const ds = await until(async () => {
      const d = await dss(ns).get('agent');
      return d.status?.desiredNumberScheduled === 2 && d.status?.currentNumberScheduled === 2 && d;
    }, 'status');
    assert.deepEqual(
      {
        desired: ds.status.desiredNumberScheduled,
        current: ds.status.currentNumberScheduled,
        misscheduled: ds.status.numberMisscheduled,
        ready: ds.status.numberReady,
        updated: ds.status.updatedNumberScheduled,
        available: ds.status.numberAvailable ?? 0,
        unavailable: ds.status.numberUnavailable,
        observedGeneration: ds.status.observedGeneration,
      },
      { desired: 2, current: 2, misscheduled: 0, ready: 0, updated: 2, available: 0, unavailable: 2, observedGeneration: 1 },
    );
    const revs = (await c.resource('apps', 'controllerrevisions', ns).list()).items;
    assert.equal(revs.length, 1);
    const hash = p.metadata.labels['controller-revision-hash'];
    assert.equal(revs[0].metadata.name, `agent-${hash}`);
    assert.equal(revs[0].revision, 1);
    const msgs = (await c.events(ns).list()).items.map((e) => `${e.reason}: ${e.message}`);
    assert.ok(msgs.includes(`SuccessfulCreate: Created pod: ${p.metadata.name}`), msgs.join('\n'));

    // A new node gets a pod; so does the tainted one once its taint goes.
    await node('n4');
    await until(async () => byNode(await dsPods(ns, 'agent')).n4, 'a pod for n4');
    const n3 = await c.nodes().get('n3');
    await c.nodes().update({ ...n3, spec: { ...n3.spec, taints: [] } });
    await until(async () => byNode(await dsPods(ns, 'agent')).n3, 'a pod for n3');
    for (const x of await dsPods(ns, 'agent')) await markReady(ns, x.metadata.name);
    const st = await until(async () => {
      const d = await dss(ns).get('agent');
      return d.status?.numberReady === 4 && d.status?.numberAvailable === 4 && d;
    }, 'four ready');
    assert.equal(st.status.numberUnavailable, 0);

    // A node label the DaemonSet no longer matches: its pod is deleted.
    await dss(ns).patch('agent', 'merge', { spec: { template: { spec: { nodeSelector: { 'kubernetes.io/hostname': 'n1' } } } } });
    // (a template change is also a new revision: the rolling update test below covers that)
    await until(async () => (await dsPods(ns, 'agent')).length === 1 && true, 'only n1 keeps a pod');
    await dss(ns).delete('agent');
  });

  it('rolls out a new template one node at a time with maxUnavailable 1', async () => {
    const ns = 'rolling';
    await c.resource('', 'namespaces').create({ metadata: { name: ns } });
    await dss(ns).create(daemonSet('roll'));
    const first = await until(async () => {
      const p = await dsPods(ns, 'roll');
      return p.length === 4 && p;
    }, 'four pods');
    for (const p of first) await markReady(ns, p.metadata.name);
    const oldHash = first[0]!.metadata.labels['controller-revision-hash'];
    await until(async () => (await dss(ns).get('roll')).status?.numberAvailable === 4, 'available');

    await dss(ns).patch('roll', 'merge', { spec: { template: { spec: { containers: [{ name: 'agent', image: 'agent:2' }] } } } });
    for (let step = 1; step <= 4; step++) {
      // One node at a time: an old pod goes, its replacement comes, and nothing more until it is Ready.
      const fresh = await until(async () => {
        const p = (await dsPods(ns, 'roll')).filter((x) => x.metadata.labels['controller-revision-hash'] !== oldHash && !x.status?.conditions?.length);
        return p.length === 1 && p[0];
      }, `replacement ${step}`);
      await settle();
      const all = await dsPods(ns, 'roll');
      const old = all.filter((x) => x.metadata.labels['controller-revision-hash'] === oldHash);
      assert.equal(old.length, 4 - step, `step ${step}: ${4 - step} old pods left`);
      assert.equal(all.length, 4, 'never more than one pod per node');
      assert.equal(fresh.spec.containers[0].image, 'agent:2');
      await markReady(ns, fresh.metadata.name);
    }
    const ds = await until(async () => {
      const d = await dss(ns).get('roll');
      return d.status?.updatedNumberScheduled === 4 && d.status?.numberAvailable === 4 && d;
    }, 'rollout done');
    assert.equal(ds.status.observedGeneration, 2);
    const revs = (await c.resource('apps', 'controllerrevisions', ns).list()).items.sort((a, b) => a.revision - b.revision);
    assert.deepEqual(revs.map((r) => r.revision), [1, 2]);
  });

  it('surges a new pod beside the old one with maxSurge, deleting the old one once the new is available', async () => {
    const ns = 'surge';
    await c.resource('', 'namespaces').create({ metadata: { name: ns } });
    await dss(ns).create(daemonSet('surge', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }));
    const first = await until(async () => {
      const p = await dsPods(ns, 'surge');
      return p.length === 4 && p;
    }, 'four pods');
    for (const p of first) await markReady(ns, p.metadata.name);
    const oldHash = first[0]!.metadata.labels['controller-revision-hash'];
    await until(async () => (await dss(ns).get('surge')).status?.numberAvailable === 4, 'available');
    await dss(ns).patch('surge', 'merge', { spec: { template: { metadata: { annotations: { v: '2' } } } } });
    const fresh = await until(async () => {
      const p = (await dsPods(ns, 'surge')).filter((x) => x.metadata.labels['controller-revision-hash'] !== oldHash);
      return p.length === 1 && p[0];
    }, 'a surge pod');
    await settle();
    assert.equal((await dsPods(ns, 'surge')).length, 5, 'old and new side by side on one node');
    const nodeName = targetNodeName(fresh)!;
    await markReady(ns, fresh.metadata.name);
    await until(async () => {
      const p = (await dsPods(ns, 'surge')).filter((x) => targetNodeName(x) === nodeName);
      return p.length === 1 && p[0]!.metadata.name === fresh.metadata.name;
    }, 'the old pod on that node deleted');
  });
});
