// The StatefulSet controller against the in-process API server: ordered creation (web-1 only
// after web-0 is Running and Ready), claims per ordinal, reverse-order scale-down, Parallel,
// rolling update down to a partition, OnDelete, and PVC retention owner references.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../storage/memory/memory.ts';
import { ApiServer } from '../../apiserver/server.ts';
import { FakeClock } from '../../machinery/clock.ts';
import { KubeClient } from '../../client/client.ts';
import { InProcessTransport } from '../../client/inprocess.ts';
import type { Obj, WatchStream } from '../../client/types.ts';
import { ControllerManager } from '../manager.ts';
import { statefulsetController } from './index.ts';

let api: ApiServer;
let c: KubeClient;
let mgr: ControllerManager;
const clock = new FakeClock();

before(async () => {
  api = new ApiServer({ storage: new MemoryBackend(), port: 0 });
  await api.start();
  c = new KubeClient(new InProcessTransport(api, { username: 'system:admin', groups: ['system:masters'] }));
  mgr = new ControllerManager(c, [statefulsetController], { clock, config: { leaderElect: false } });
  await mgr.start();
  await mgr.ctx.informers.synced();
});
after(async () => {
  mgr.stop();
  c.close();
  await api.stop();
  await api.storage.close();
});

/** Polls an API-side condition (the controller works asynchronously); the fake clock ticks for retries. */
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

/** Lets queued work run without moving toward any goal (for asserting that nothing happens). */
async function settle() {
  for (let i = 0; i < 20; i++) {
    clock.advance(20);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const pods = (ns: string) => c.pods(ns);
const sets = (ns: string) => c.resource('apps', 'statefulsets', ns);
const claims = (ns: string) => c.resource('', 'persistentvolumeclaims', ns);

async function podNames(ns: string, app: string): Promise<string[]> {
  const l = await pods(ns).list({ labelSelector: `app=${app}` });
  return l.items.map((p) => p.metadata.name).sort();
}

async function getPod(ns: string, name: string): Promise<Obj | undefined> {
  try {
    return await pods(ns).get(name);
  } catch {
    return undefined;
  }
}

async function markReady(ns: string, name: string) {
  const p = await pods(ns).get(name);
  const ts = new Date(clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
  await pods(ns).updateStatus({
    ...p,
    status: { ...p.status, phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ts }, { type: 'ContainersReady', status: 'True', lastTransitionTime: ts }] },
  });
}

function statefulSet(name: string, extra: Obj = {}): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name },
    spec: {
      serviceName: 'nginx',
      replicas: 3,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }] } },
      volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      ...extra,
    },
  };
}

async function ensureNamespace(ns: string) {
  await c.resource('', 'namespaces').create({ metadata: { name: ns } });
}

/** Records pod events in order, so tests can check what the controller saw before each creation. */
async function recordPodEvents(ns: string): Promise<{ events: { type: string; name: string; ready: boolean }[]; stop: () => void }> {
  const list = await pods(ns).list();
  const w: WatchStream = await pods(ns).watch({ resourceVersion: list.metadata.resourceVersion });
  const events: { type: string; name: string; ready: boolean }[] = [];
  void (async () => {
    for await (const ev of w) {
      if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') continue;
      const ready = (ev.object.status?.conditions ?? []).some((x: Obj) => x.type === 'Ready' && x.status === 'True');
      events.push({ type: ev.type, name: ev.object.metadata.name, ready });
    }
  })();
  return { events, stop: () => w.close() };
}

describe('StatefulSet controller', () => {
  it('creates web-0, web-1, web-2 strictly in order, each after its predecessor is Running and Ready, with a claim per ordinal', async () => {
    const ns = 'ordered';
    await ensureNamespace(ns);
    const rec = await recordPodEvents(ns);
    await sets(ns).create(statefulSet('web'));

    for (let i = 0; i < 3; i++) {
      const name = `web-${i}`;
      await until(() => getPod(ns, name), `${name} to be created`);
      await until(async () => Number((await sets(ns).get('web')).status?.replicas ?? 0) === i + 1 && true, `status.replicas=${i + 1}`);
      await settle();
      // Nothing beyond this ordinal until it is Ready.
      assert.deepEqual(await podNames(ns, 'web'), Array.from({ length: i + 1 }, (_, k) => `web-${k}`));
      const pvc = await claims(ns).get(`www-web-${i}`);
      assert.deepEqual(pvc.metadata.labels, { app: 'web' });
      assert.equal(pvc.metadata.ownerReferences, undefined, 'Retain/Retain: no owner references');
      assert.equal(pvc.spec.resources.requests.storage, '1Gi');
      await markReady(ns, name);
    }
    const set = await until(async () => {
      const s = await sets(ns).get('web');
      return s.status?.readyReplicas === 3 && s.status?.currentReplicas === 3 && s;
    }, 'all three ready');
    assert.equal(set.status.replicas, 3);
    assert.equal(set.status.updatedReplicas, 3);
    assert.equal(set.status.availableReplicas, 3);
    assert.equal(set.status.observedGeneration, 1);
    assert.equal(set.status.collisionCount, 0);
    assert.equal(set.status.currentRevision, set.status.updateRevision);
    assert.match(set.status.updateRevision, /^web-[bcdfghjklmnpqrstvwxz2456789]+$/);

    // Each ADDED came after the previous ordinal was reported Ready.
    const added = rec.events.filter((e) => e.type === 'ADDED').map((e) => e.name);
    assert.deepEqual(added, ['web-0', 'web-1', 'web-2']);
    for (let i = 1; i < 3; i++) {
      const at = rec.events.findIndex((e) => e.type === 'ADDED' && e.name === `web-${i}`);
      const readyBefore = rec.events.slice(0, at).some((e) => e.name === `web-${i - 1}` && e.ready);
      assert.ok(readyBefore, `web-${i} created only after web-${i - 1} was Ready`);
    }
    rec.stop();

    const p1 = await pods(ns).get('web-1');
    assert.equal(p1.metadata.labels['statefulset.kubernetes.io/pod-name'], 'web-1');
    assert.equal(p1.metadata.labels['apps.kubernetes.io/pod-index'], '1');
    assert.equal(p1.metadata.labels['controller-revision-hash'], set.status.updateRevision);
    assert.equal(p1.spec.hostname, 'web-1');
    assert.equal(p1.spec.subdomain, 'nginx');
    assert.deepEqual(
      p1.spec.volumes.find((v: Obj) => v.name === 'www'),
      { name: 'www', persistentVolumeClaim: { claimName: 'www-web-1' } },
    );
    const ref = p1.metadata.ownerReferences[0];
    assert.deepEqual([ref.kind, ref.name, ref.controller, ref.blockOwnerDeletion], ['StatefulSet', 'web', true, true]);

    const revs = await c.resource('apps', 'controllerrevisions', ns).list();
    assert.equal(revs.items.length, 1);
    assert.equal(revs.items[0].revision, 1);
    assert.equal(revs.items[0].metadata.name, set.status.updateRevision);

    const evs = await c.events(ns).list();
    const msgs = evs.items.map((e) => `${e.reason}: ${e.message}`);
    assert.ok(msgs.includes('SuccessfulCreate: create Pod web-0 in StatefulSet web successful'), msgs.join('\n'));
    assert.ok(msgs.includes('SuccessfulCreate: create Claim www-web-0 Pod web-0 in StatefulSet web success'), msgs.join('\n'));

    // Scale down: web-2 goes first, then web-1; their claims stay (Retain).
    const rec2 = await recordPodEvents(ns);
    await sets(ns).patch('web', 'merge', { spec: { replicas: 1 } });
    await until(async () => (await podNames(ns, 'web')).length === 1 && true, 'scale down to 1');
    const deleted = rec2.events.filter((e) => e.type === 'DELETED').map((e) => e.name);
    assert.deepEqual(deleted, ['web-2', 'web-1']);
    rec2.stop();
    assert.equal((await claims(ns).list()).items.length, 3);
    const evs2 = (await c.events(ns).list()).items.map((e) => `${e.reason}: ${e.message}`);
    assert.ok(evs2.includes('SuccessfulDelete: delete Pod web-2 in StatefulSet web successful'));
    await until(async () => (await sets(ns).get('web')).status?.replicas === 1, 'status.replicas=1');
  });

  it('waits for web-0 to be Ready before scaling down from web-2 (OrderedReady)', async () => {
    const ns = 'blocked';
    await ensureNamespace(ns);
    await sets(ns).create(statefulSet('db', { volumeClaimTemplates: [] }));
    for (let i = 0; i < 3; i++) {
      await until(() => getPod(ns, `db-${i}`), `db-${i}`);
      await markReady(ns, `db-${i}`);
    }
    // db-0 becomes unready, then the set is scaled down: nothing is deleted while db-0 is not Ready.
    const p0 = await pods(ns).get('db-0');
    await pods(ns).updateStatus({ ...p0, status: { ...p0.status, conditions: [{ type: 'Ready', status: 'False' }] } });
    await sets(ns).patch('db', 'merge', { spec: { replicas: 2 } });
    await until(async () => (await sets(ns).get('db')).status?.readyReplicas === 2, 'readyReplicas=2');
    await settle();
    assert.deepEqual(await podNames(ns, 'db'), ['db-0', 'db-1', 'db-2']);
    await markReady(ns, 'db-0');
    await until(async () => (await podNames(ns, 'db')).length === 2 && true, 'db-2 deleted');
    assert.deepEqual(await podNames(ns, 'db'), ['db-0', 'db-1']);
  });

  it('creates every pod at once with podManagementPolicy Parallel', async () => {
    const ns = 'parallel';
    await ensureNamespace(ns);
    await sets(ns).create(statefulSet('par', { podManagementPolicy: 'Parallel', replicas: 4 }));
    await until(async () => (await podNames(ns, 'par')).length === 4 && true, 'four pods without readiness');
    assert.deepEqual(await podNames(ns, 'par'), ['par-0', 'par-1', 'par-2', 'par-3']);
    assert.equal((await claims(ns).list()).items.length, 4);
    // Scale down deletes without waiting either.
    await sets(ns).patch('par', 'merge', { spec: { replicas: 1 } });
    await until(async () => (await podNames(ns, 'par')).length === 1 && true, 'scale down');
    assert.deepEqual(await podNames(ns, 'par'), ['par-0']);
  });

  it('rolls an update from the highest ordinal down to the partition, one Ready pod at a time', async () => {
    const ns = 'rolling';
    await ensureNamespace(ns);
    await sets(ns).create(statefulSet('web', { volumeClaimTemplates: [] }));
    for (let i = 0; i < 3; i++) {
      await until(() => getPod(ns, `web-${i}`), `web-${i}`);
      await markReady(ns, `web-${i}`);
    }
    const before = await until(async () => {
      const s = await sets(ns).get('web');
      return s.status?.readyReplicas === 3 && s;
    }, 'ready');
    const oldRev = before.status.currentRevision;

    await sets(ns).patch('web', 'merge', {
      spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } }, template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.26' }] } } },
    });
    const rev = (p: Obj | undefined) => p?.metadata.labels['controller-revision-hash'];
    const updated = await until(async () => {
      const p = await getPod(ns, 'web-2');
      return p && rev(p) !== oldRev && p;
    }, 'web-2 recreated at the update revision');
    assert.equal(updated.spec.containers[0].image, 'nginx:1.26');
    await settle();
    assert.equal(rev(await getPod(ns, 'web-1')), oldRev, 'web-1 waits for web-2 to be Ready');
    await markReady(ns, 'web-2');
    await until(async () => {
      const p = await getPod(ns, 'web-1');
      return p && rev(p) !== oldRev;
    }, 'web-1 recreated');
    await markReady(ns, 'web-1');
    const s = await until(async () => {
      const x = await sets(ns).get('web');
      return x.status?.updatedReplicas === 2 && x.status?.readyReplicas === 3 && x;
    }, 'two updated');
    await settle();
    const p0 = await pods(ns).get('web-0');
    assert.equal(rev(p0), oldRev, 'web-0 is below the partition');
    assert.equal(p0.spec.containers[0].image, 'nginx:1.25');
    assert.equal(s.status.currentRevision, oldRev);
    assert.notEqual(s.status.updateRevision, oldRev);
    assert.equal(s.status.currentReplicas, 1);
    const revs = (await c.resource('apps', 'controllerrevisions', ns).list()).items.sort((a, b) => a.revision - b.revision);
    assert.deepEqual(revs.map((r) => [r.metadata.name, r.revision]), [[oldRev, 1], [s.status.updateRevision, 2]]);

    // Partition 0 finishes the rollout; the update revision becomes current.
    await sets(ns).patch('web', 'merge', { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } });
    await until(async () => {
      const p = await getPod(ns, 'web-0');
      return p && rev(p) !== oldRev;
    }, 'web-0 recreated');
    await markReady(ns, 'web-0');
    const done = await until(async () => {
      const x = await sets(ns).get('web');
      return x.status?.currentRevision === x.status?.updateRevision && x.status?.readyReplicas === 3 && x;
    }, 'rollout complete');
    assert.equal(done.status.currentReplicas, 3);
  });

  it('leaves pods alone with OnDelete and recreates a deleted pod at the update revision', async () => {
    const ns = 'ondelete';
    await ensureNamespace(ns);
    await sets(ns).create(statefulSet('od', { replicas: 2, volumeClaimTemplates: [], updateStrategy: { type: 'OnDelete' } }));
    for (let i = 0; i < 2; i++) {
      await until(() => getPod(ns, `od-${i}`), `od-${i}`);
      await markReady(ns, `od-${i}`);
    }
    const oldRev = (await pods(ns).get('od-1')).metadata.labels['controller-revision-hash'];
    await sets(ns).patch('od', 'merge', { spec: { template: { metadata: { annotations: { v: '2' } } } } });
    await until(async () => (await sets(ns).get('od')).status?.updateRevision !== oldRev, 'new update revision');
    await settle();
    assert.equal((await pods(ns).get('od-1')).metadata.labels['controller-revision-hash'], oldRev);
    const uid = (await pods(ns).get('od-1')).metadata.uid;
    await pods(ns).delete('od-1');
    const p = await until(async () => {
      const x = await getPod(ns, 'od-1');
      return x && x.metadata.uid !== uid && x;
    }, 'od-1 recreated');
    assert.notEqual(p.metadata.labels['controller-revision-hash'], oldRev);
    assert.equal(p.metadata.annotations?.v, '2');
  });

  it('sets claim owner references from persistentVolumeClaimRetentionPolicy', async () => {
    const ns = 'retention';
    await ensureNamespace(ns);
    const made = await sets(ns).create(statefulSet('ret', { replicas: 2, podManagementPolicy: 'Parallel', persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' } }));
    await until(async () => (await claims(ns).list()).items.length === 2 && true, 'two claims');
    const c0 = await claims(ns).get('www-ret-0');
    assert.deepEqual(c0.metadata.ownerReferences.map((r: Obj) => [r.kind, r.name, r.uid, r.controller]), [['StatefulSet', 'ret', made.metadata.uid, true]]);
    for (let i = 0; i < 2; i++) {
      await until(() => getPod(ns, `ret-${i}`), `ret-${i}`);
      await markReady(ns, `ret-${i}`);
    }
    const p1 = await pods(ns).get('ret-1');
    await sets(ns).patch('ret', 'merge', { spec: { replicas: 1 } });
    // The scaled-away pod's claim now belongs to that pod (so it goes with it), not to the set.
    const c1 = await until(async () => {
      const x = await claims(ns).get('www-ret-1');
      return x.metadata.ownerReferences?.some((r: Obj) => r.kind === 'Pod') && x;
    }, 'claim owned by the condemned pod');
    assert.deepEqual(c1.metadata.ownerReferences.map((r: Obj) => [r.kind, r.name, r.uid]), [['Pod', 'ret-1', p1.metadata.uid]]);
    await until(async () => !(await getPod(ns, 'ret-1')), 'ret-1 deleted');
  });
});
