// The Deployment controller with the ReplicaSet controller against the in-process API server and a
// stand-in kubelet: a Deployment becomes Available with upstream's names, labels, annotations,
// conditions and events; a template change rolls out without exceeding maxSurge or going below
// maxUnavailable at any step; `kubectl rollout undo`'s JSON patch rolls back; Recreate, pause/resume,
// revisionHistoryLimit, and progressDeadlineSeconds on a FakeClock.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../machinery/clock.ts';
import type { Obj } from '../../client/types.ts';
import { startTestCluster, until, type TestCluster } from '../util/testing.ts';
import { getControllerOf } from '../util/ownerref.ts';
import { isPodActive, isPodReady } from '../util/pods.ts';
import { replicasetController } from '../replicaset/index.ts';
import { deploymentController } from './index.ts';

const deploymentBody = (name: string, replicas: number, spec: Obj = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } },
    ...spec,
  },
});

/** `kubectl rollout status`'s test: generation observed, all updated, no old replicas, all available. */
function rolledOut(d: Obj): boolean {
  const s = d.status ?? {};
  const want = d.spec.replicas;
  return (s.observedGeneration ?? 0) >= d.metadata.generation && (s.updatedReplicas ?? 0) === want && (s.replicas ?? 0) === (s.updatedReplicas ?? 0) && (s.availableReplicas ?? 0) === (s.updatedReplicas ?? 0);
}

describe('Deployment controller', () => {
  let c: TestCluster;
  before(async () => {
    c = await startTestCluster([replicasetController, deploymentController]);
  });
  after(() => c.stop());

  const deployments = () => c.client.resource('apps', 'deployments', 'default');
  const replicasets = () => c.client.resource('apps', 'replicasets', 'default');
  const ownedRSes = async (d: Obj) => (await replicasets().list()).items.filter((rs) => getControllerOf(rs)?.uid === d.metadata.uid);
  const waitRolledOut = (name: string) => until(async () => rolledOut(await deployments().get(name)), `${name} rolled out`, { ms: 20_000 });
  const events = async (name: string) => (await c.client.events('default').list()).items.filter((e) => e.involvedObject?.name === name);

  it('makes a 10-replica Deployment Available through a ReplicaSet <name>-<hash>', async () => {
    const d = await deployments().create(deploymentBody('web', 10));
    await waitRolledOut('web');
    const got = await deployments().get('web');
    assert.equal(got.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
    assert.deepEqual(
      { ...got.status, conditions: undefined },
      { observedGeneration: 1, replicas: 10, updatedReplicas: 10, readyReplicas: 10, availableReplicas: 10, conditions: undefined },
    );
    const conds = Object.fromEntries((got.status.conditions as Obj[]).map((x) => [x.type, x]));
    const [rs] = await ownedRSes(d);
    assert.ok(rs);
    const hash = rs.metadata.labels['pod-template-hash'];
    assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]{6,10}$/);
    assert.equal(rs.metadata.name, `web-${hash}`);
    assert.deepEqual(rs.spec.selector, { matchLabels: { app: 'web', 'pod-template-hash': hash } });
    assert.equal(rs.spec.template.metadata.labels['pod-template-hash'], hash);
    assert.deepEqual(getControllerOf(rs), { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata.uid, controller: true, blockOwnerDeletion: true });
    assert.equal(rs.metadata.annotations['deployment.kubernetes.io/revision'], '1');
    assert.equal(rs.metadata.annotations['deployment.kubernetes.io/desired-replicas'], '10');
    assert.equal(rs.metadata.annotations['deployment.kubernetes.io/max-replicas'], '13');
    assert.equal(conds.Available?.status, 'True');
    assert.equal(conds.Available?.reason, 'MinimumReplicasAvailable');
    assert.equal(conds.Available?.message, 'Deployment has minimum availability.');
    assert.equal(conds.Progressing?.status, 'True');
    assert.equal(conds.Progressing?.reason, 'NewReplicaSetAvailable');
    assert.equal(conds.Progressing?.message, `ReplicaSet "web-${hash}" has successfully progressed.`);
    const ev = (await events('web')).find((e) => e.reason === 'ScalingReplicaSet');
    assert.equal(ev?.message, `Scaled up replica set web-${hash} from 0 to 10`);
    assert.equal(ev?.source?.component, 'deployment-controller');
    // Same template, same hash: stable across computations.
    assert.equal(c.kubelet.informer.list('default', `app=web`).filter(isPodActive).length, 10);
  });

  it('rolls a template change out within maxSurge and maxUnavailable at every step, then rolls back', async () => {
    const d = await deployments().get('web');
    const violations: string[] = [];
    const maxTotal = 13; // 10 + 25% rounded up
    const minReady = 8; // 10 - 25% rounded down
    let watching = true;
    const rsInf = c.manager.ctx.informers.informer('apps', 'replicasets');
    const checkRS = () => {
      if (!watching) return;
      const owned = rsInf.list('default').filter((rs) => getControllerOf(rs)?.uid === d.metadata.uid);
      const total = owned.reduce((n, rs) => n + (rs.spec?.replicas ?? 0), 0);
      if (total > maxTotal) violations.push(`replica sets ask for ${total} pods`);
    };
    const checkPods = () => {
      if (!watching) return;
      const active = c.kubelet.informer.list('default', 'app=web').filter(isPodActive);
      if (active.length > maxTotal) violations.push(`${active.length} pods`);
      const ready = active.filter(isPodReady).length;
      if (ready < minReady) violations.push(`${ready} ready pods`);
    };
    rsInf.addEventHandler({ add: checkRS, update: checkRS });
    c.kubelet.informer.addEventHandler({ add: checkPods, update: checkPods, delete: checkPods });

    await deployments().patch('web', 'strategic', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } });
    await waitRolledOut('web');
    watching = false;
    assert.deepEqual(violations, []);
    const rss = await ownedRSes(d);
    assert.equal(rss.length, 2);
    const v1 = rss.find((rs) => rs.metadata.annotations['deployment.kubernetes.io/revision'] === '1')!;
    const v2 = rss.find((rs) => rs.metadata.annotations['deployment.kubernetes.io/revision'] === '2')!;
    assert.equal(v1.spec.replicas, 0);
    assert.equal(v2.spec.replicas, 10);
    assert.equal(v2.spec.template.spec.containers[0].image, 'nginx:2');
    assert.equal((await deployments().get('web')).metadata.annotations['deployment.kubernetes.io/revision'], '2');
    const msgs = (await events('web')).map((e) => e.message);
    assert.ok(msgs.includes(`Scaled up replica set ${v2.metadata.name} from 0 to 3`), msgs.join('\n'));
    assert.ok(msgs.some((m) => m.startsWith(`Scaled down replica set ${v1.metadata.name} from 10 to `)), msgs.join('\n'));

    // kubectl 1.32 `rollout undo`: the previous revision's template (without pod-template-hash) and
    // its annotations, as a JSON patch.
    const cur = await deployments().get('web');
    const template = structuredClone(v1.spec.template);
    delete template.metadata.labels['pod-template-hash'];
    const skip = new Set(['kubectl.kubernetes.io/last-applied-configuration', 'deployment.kubernetes.io/revision', 'deployment.kubernetes.io/revision-history', 'deployment.kubernetes.io/desired-replicas', 'deployment.kubernetes.io/max-replicas', 'deprecated.deployment.rollback.to']);
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries<string>(cur.metadata.annotations ?? {})) if (skip.has(k)) annotations[k] = v;
    for (const [k, v] of Object.entries<string>(v1.metadata.annotations ?? {})) if (!skip.has(k)) annotations[k] = v;
    await deployments().patch('web', 'json', [
      { op: 'replace', path: '/spec/template', value: template },
      { op: 'replace', path: '/metadata/annotations', value: annotations },
    ]);
    await waitRolledOut('web');
    await until(async () => (await deployments().get('web')).metadata.annotations?.['deployment.kubernetes.io/revision'] === '3', 'deployment revision 3');
    const after = await ownedRSes(d);
    assert.equal(after.length, 2, 'no third ReplicaSet: the old one is reused');
    const back = after.find((rs) => rs.metadata.uid === v1.metadata.uid)!;
    assert.equal(back.spec.replicas, 10);
    assert.equal(back.metadata.annotations['deployment.kubernetes.io/revision'], '3');
    assert.equal(back.metadata.annotations['deployment.kubernetes.io/revision-history'], '1');
    assert.equal(after.find((rs) => rs.metadata.uid === v2.metadata.uid)!.spec.replicas, 0);
    const pods = c.kubelet.informer.list('default', 'app=web').filter(isPodActive);
    assert.equal(pods.length, 10);
    assert.ok(pods.every((p) => p.spec.containers[0].image === 'nginx:1'));
  });

  it('scales proportionally and keeps revisionHistoryLimit old ReplicaSets', async () => {
    const d = await deployments().create(deploymentBody('hist', 2, { revisionHistoryLimit: 1 }));
    await waitRolledOut('hist');
    for (const image of ['nginx:2', 'nginx:3', 'nginx:4']) {
      await deployments().patch('hist', 'strategic', { spec: { template: { spec: { containers: [{ name: 'c', image }] } } } });
      await waitRolledOut('hist');
    }
    await until(async () => (await ownedRSes(d)).length === 2, 'old ReplicaSets cleaned up');
    const revs = (await ownedRSes(d)).map((rs) => rs.metadata.annotations['deployment.kubernetes.io/revision']).sort();
    assert.deepEqual(revs, ['3', '4']);
    await deployments().patch('hist', 'merge', { spec: { replicas: 5 } });
    await waitRolledOut('hist');
    const rs4 = (await ownedRSes(d)).find((rs) => rs.metadata.annotations['deployment.kubernetes.io/revision'] === '4')!;
    assert.equal(rs4.spec.replicas, 5);
    assert.equal(rs4.metadata.annotations['deployment.kubernetes.io/desired-replicas'], '5');
  });

  it('Recreate: old pods are gone before new ones are made', async () => {
    const d = await deployments().create(deploymentBody('rec', 3, { strategy: { type: 'Recreate' } }));
    await waitRolledOut('rec');
    const overlaps: string[] = [];
    let watching = true;
    const check = () => {
      if (!watching) return;
      const hashes = new Set(c.kubelet.informer.list('default', 'app=rec').filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.labels['pod-template-hash']));
      if (hashes.size > 1) overlaps.push([...hashes].join(','));
    };
    c.kubelet.informer.addEventHandler({ add: check, update: check });
    await deployments().patch('rec', 'strategic', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } });
    await waitRolledOut('rec');
    watching = false;
    assert.deepEqual(overlaps, []);
    const rss = await ownedRSes(d);
    assert.deepEqual(rss.map((rs) => rs.spec.replicas).sort(), [0, 3]);
    const fresh = rss.find((rs) => rs.spec.replicas === 3)!;
    assert.equal(fresh.metadata.annotations['deployment.kubernetes.io/max-replicas'], '3');
  });

  it('pause: no rollout while paused, scaling still applies, resume rolls out', async () => {
    const d = await deployments().create(deploymentBody('pz', 2));
    await waitRolledOut('pz');
    await deployments().patch('pz', 'merge', { spec: { paused: true } });
    await until(async () => {
      const p = ((await deployments().get('pz')).status?.conditions ?? []).find((x: Obj) => x.type === 'Progressing');
      return p?.reason === 'DeploymentPaused' && p.status === 'Unknown' && p.message === 'Deployment is paused';
    }, 'paused condition');
    await deployments().patch('pz', 'strategic', { spec: { replicas: 4, template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } });
    await until(async () => {
      const got = await deployments().get('pz');
      return got.status?.observedGeneration === got.metadata.generation && (got.status?.availableReplicas ?? 0) === 4;
    }, 'scaled while paused');
    let rss = await ownedRSes(d);
    assert.equal(rss.length, 1, 'no new ReplicaSet while paused');
    assert.equal(rss[0]!.spec.replicas, 4);
    assert.equal(rss[0]!.spec.template.spec.containers[0].image, 'nginx:1');

    await deployments().patch('pz', 'merge', { spec: { paused: false } });
    await waitRolledOut('pz');
    rss = await ownedRSes(d);
    assert.equal(rss.length, 2);
    assert.equal(rss.find((rs) => rs.spec.replicas === 4)!.spec.template.spec.containers[0].image, 'nginx:2');
  });
});

describe('Deployment controller with a FakeClock', () => {
  it('reports ProgressDeadlineExceeded when pods never become ready', async () => {
    const clock = new FakeClock();
    const c = await startTestCluster([replicasetController, deploymentController], { clock, kubelet: { ready: () => false } });
    try {
      const deployments = c.client.resource('apps', 'deployments', 'default');
      await deployments.create(deploymentBody('stuck', 2, { progressDeadlineSeconds: 30 }));
      const progressing = async () => ((await deployments.get('stuck')).status?.conditions ?? []).find((x: Obj) => x.type === 'Progressing');
      await until(async () => (await deployments.get('stuck')).status?.updatedReplicas === 2 && (await progressing())?.status === 'True', 'pods created', { clock, tickMs: 1 });
      const before = await progressing();
      assert.ok(['NewReplicaSetCreated', 'ReplicaSetUpdated'].includes(before.reason));
      const available = ((await deployments.get('stuck')).status.conditions as Obj[]).find((x) => x.type === 'Available');
      assert.equal(available?.status, 'False');
      assert.equal(available?.reason, 'MinimumReplicasUnavailable');

      clock.advance(20_000);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal((await progressing()).status, 'True', 'not yet past the deadline');
      clock.advance(15_000);
      await until(async () => (await progressing())?.reason === 'ProgressDeadlineExceeded', 'deadline exceeded', { clock, tickMs: 1 });
      const cond = await progressing();
      const rs = (await c.client.resource('apps', 'replicasets', 'default').list()).items[0]!;
      assert.equal(cond.status, 'False');
      assert.equal(cond.message, `ReplicaSet "${rs.metadata.name}" has timed out progressing.`);
    } finally {
      await c.stop();
    }
  });
});
