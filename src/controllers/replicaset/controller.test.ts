// The ReplicaSet controller against the in-process API server: scaling up and down with
// upstream's events and owner references, status counts, adoption of orphans and release of pods
// that stop matching, the ReplicationController adapter, and minReadySeconds on a FakeClock.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../machinery/clock.ts';
import type { Obj } from '../../client/types.ts';
import { startTestCluster, until, type TestCluster } from '../util/testing.ts';
import { getControllerOf } from '../util/ownerref.ts';
import { isPodActive } from '../util/pods.ts';
import { replicasetController } from './index.ts';
import { replicationcontrollerController } from '../replicationcontroller/index.ts';

const template = (app: string) => ({ metadata: { labels: { app } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
const rsBody = (name: string, app: string, replicas: number, extra: Obj = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name },
  spec: { replicas, selector: { matchLabels: { app } }, template: template(app), ...extra },
});

describe('ReplicaSet controller', () => {
  let c: TestCluster;
  before(async () => {
    c = await startTestCluster([replicasetController, replicationcontrollerController]);
  });
  after(() => c.stop());

  const podsOf = (app: string) => c.kubelet.informer.list('default', `app=${app}`).filter(isPodActive);
  const rs = (name: string) => c.client.resource('apps', 'replicasets', 'default').get(name);

  it('creates pods named <rs>-xxxxx owned by the ReplicaSet, reports status and events', async () => {
    const made = await c.client.resource('apps', 'replicasets', 'default').create(rsBody('web', 'web', 3));
    await until(async () => {
      const s = (await rs('web')).status ?? {};
      return s.replicas === 3 && s.readyReplicas === 3 && s.availableReplicas === 3 && s.fullyLabeledReplicas === 3 && s.observedGeneration === 1;
    }, 'status 3/3/3');
    const pods = podsOf('web');
    assert.equal(pods.length, 3);
    for (const p of pods) {
      assert.match(p.metadata.name, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      assert.equal(p.metadata.generateName, 'web-');
      assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: made.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    }
    await until(async () => {
      const evs = (await c.client.events('default').list()).items.filter((e) => e.involvedObject?.name === 'web' && e.reason === 'SuccessfulCreate');
      return evs.length === 3;
    }, 'three SuccessfulCreate events');
    const evs = (await c.client.events('default').list()).items.filter((e) => e.involvedObject?.name === 'web' && e.reason === 'SuccessfulCreate');
    assert.deepEqual(evs.map((e) => e.message).sort(), pods.map((p) => `Created pod: ${p.metadata.name}`).sort());
    assert.equal(evs[0]!.involvedObject.kind, 'ReplicaSet');
    assert.equal(evs[0]!.source.component, 'replicaset-controller');
  });

  it('scales down, deleting not-ready pods before ready ones, with SuccessfulDelete events', async () => {
    const rsc = c.client.resource('apps', 'replicasets', 'default');
    await rsc.create(rsBody('down', 'down', 2));
    await until(async () => ((await rs('down')).status?.readyReplicas ?? 0) === 2, '2 ready');
    // A third pod that never turns ready: it is the one to go.
    c.kubelet.setReady((p) => p.metadata.labels?.app !== 'down');
    await rsc.patch('down', 'merge', { spec: { replicas: 3 } });
    await until(() => podsOf('down').length === 3, '3 pods');
    const notReady = podsOf('down').find((p) => !(p.status?.conditions ?? []).some((x: Obj) => x.type === 'Ready' && x.status === 'True'));
    assert.ok(notReady);
    await rsc.patch('down', 'merge', { spec: { replicas: 2 } });
    await until(() => podsOf('down').length === 2, '2 pods');
    assert.ok(!podsOf('down').some((p) => p.metadata.name === notReady.metadata.name));
    await rsc.patch('down', 'merge', { spec: { replicas: 0 } });
    await until(async () => podsOf('down').length === 0 && (await rs('down')).status?.replicas === 0, 'no pods');
    const dels = (await c.client.events('default').list()).items.filter((e) => e.involvedObject?.name === 'down' && e.reason === 'SuccessfulDelete');
    assert.ok(dels.some((e) => e.message === `Deleted pod: ${notReady.metadata.name}`));
    c.kubelet.setReady(() => true);
  });

  it('adopts matching orphans and releases pods that stop matching', async () => {
    const pods = c.client.pods('default');
    await pods.create({ metadata: { name: 'orphan-1', labels: { app: 'adopt' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    const made = await c.client.resource('apps', 'replicasets', 'default').create(rsBody('adopt', 'adopt', 2));
    await until(() => podsOf('adopt').length === 2 && podsOf('adopt').every((p) => getControllerOf(p)?.uid === made.metadata.uid), 'adoption');
    const orphan = podsOf('adopt').find((p) => p.metadata.name === 'orphan-1');
    assert.ok(orphan, 'the orphan was adopted rather than replaced');
    assert.deepEqual(getControllerOf(orphan), { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'adopt', uid: made.metadata.uid, controller: true, blockOwnerDeletion: true });

    // Relabel one owned pod: the ReplicaSet lets it go and makes a replacement.
    await pods.patch('orphan-1', 'merge', { metadata: { labels: { app: 'elsewhere' } } });
    await until(async () => {
      const p = await pods.get('orphan-1');
      return !p.metadata.ownerReferences?.length && podsOf('adopt').length === 2;
    }, 'release and replacement');
  });

  it('waits minReadySeconds before counting pods available', async () => {
    // Covered with a FakeClock in the deployment tests too; here with real time and a small value.
    await c.client.resource('apps', 'replicasets', 'default').create(rsBody('minready', 'minready', 1, { minReadySeconds: 1 }));
    await until(async () => ((await rs('minready')).status?.readyReplicas ?? 0) === 1, 'ready');
    assert.equal((await rs('minready')).status?.availableReplicas ?? 0, 0);
    await until(async () => ((await rs('minready')).status?.availableReplicas ?? 0) === 1, 'available after minReadySeconds', { ms: 5000 });
  });

  it('runs ReplicationControllers through the same code', async () => {
    const rcs = c.client.resource('', 'replicationcontrollers', 'default');
    const made = await rcs.create({ apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'legacy' }, spec: { replicas: 2, selector: { app: 'legacy' }, template: template('legacy') } });
    await until(async () => ((await rcs.get('legacy')).status?.readyReplicas ?? 0) === 2, 'rc ready');
    const pods = podsOf('legacy');
    assert.equal(pods.length, 2);
    assert.deepEqual(getControllerOf(pods[0]!), { apiVersion: 'v1', kind: 'ReplicationController', name: 'legacy', uid: made.metadata.uid, controller: true, blockOwnerDeletion: true });
    const ev = (await c.client.events('default').list()).items.find((e) => e.involvedObject?.name === 'legacy');
    assert.equal(ev?.source?.component, 'replication-controller');
  });
});

describe('ReplicaSet controller with a FakeClock', () => {
  it('counts a pod available only after minReadySeconds of fake time', async () => {
    const clock = new FakeClock();
    const c = await startTestCluster([replicasetController], { clock });
    try {
      const rsc = c.client.resource('apps', 'replicasets', 'default');
      await rsc.create(rsBody('slow', 'slow', 2, { minReadySeconds: 30 }));
      await until(async () => ((await rsc.get('slow')).status?.readyReplicas ?? 0) === 2, 'ready', { clock, tickMs: 1 });
      const s = (await rsc.get('slow')).status;
      assert.equal(s?.availableReplicas ?? 0, 0);
      clock.advance(31_000);
      await until(async () => ((await rsc.get('slow')).status?.availableReplicas ?? 0) === 2, 'available', { clock, tickMs: 1 });
    } finally {
      await c.stop();
    }
  });
});
