// The workload controllers end to end, as a user meets them: `skiff up --sim-nodes 20` and the real
// kubectl 1.32 — a 50-replica Deployment, its rolling update within maxSurge/maxUnavailable and
// undo, a DaemonSet on every untainted node, an ordered StatefulSet with bound PVCs, a parallel
// Job, deletion with background and orphan propagation, and namespace deletion.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseTable } from '../../apiserver/e2e/harness.ts';
import { SkiffCluster, eventually, isReady, isTerminating, replay } from './harness.ts';

let c: SkiffCluster;

before(async () => {
  c = await SkiffCluster.up({ simNodes: 20, flags: ['--nodes', '0', '--disable', 'dns', '--disable', 'ingress'] });
});
after(async () => {
  await c?.down();
});

const deployment = (name: string, replicas: number, image: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, labels: { app: name } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'nginx', image }] } },
    ...extra,
  },
});

describe('Deployment', () => {
  it('50 replicas become Available; set image rolls out within the surge limits; rollout undo goes back', async () => {
    const ns = await c.namespace('rollout');
    // minReadySeconds keeps availability behind readiness, so the rollout takes a few steps.
    await c.apply(deployment('web', 50, 'nginx:1.25', { minReadySeconds: 1 }), ns);
    const status = await c.kubectl(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=60s'], { timeoutMs: 70_000 });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /deployment "web" successfully rolled out\n$/);

    const d = await c.get(['deployment', 'web', '-n', ns]);
    assert.equal(d.status.availableReplicas, 50);
    assert.equal(d.status.readyReplicas, 50);
    assert.equal(d.status.updatedReplicas, 50);
    const available = d.status.conditions.find((x: any) => x.type === 'Available');
    assert.equal(available.status, 'True');
    assert.equal(available.reason, 'MinimumReplicasAvailable');
    assert.deepEqual(parseTable(await c.ok(['get', 'deployment', 'web', '-n', ns])).rows.map(({ AGE: _, ...r }) => r), [{ NAME: 'web', READY: '50/50', 'UP-TO-DATE': '50', AVAILABLE: '50' }]);

    // Every state of the pods and ReplicaSets during the rollout and the undo, as watches see them.
    const pods = await c.watch(['pods', '-n', ns, '-l', 'app=web']);
    const sets = await c.watch(['replicasets', '-n', ns, '-l', 'app=web']);
    await pods.until('the 50 pods listed', () => pods.events.length >= 50);
    const listed = pods.events.length;

    assert.equal(await c.ok(['set', 'image', 'deployment/web', 'nginx=nginx:1.26', '-n', ns]), 'deployment.apps/web image updated\n');
    const rolled = await c.kubectl(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=60s'], { timeoutMs: 70_000 });
    assert.equal(rolled.code, 0, rolled.stderr);
    assert.match(rolled.stdout, /deployment "web" successfully rolled out\n$/);
    const updated = await c.get(['pods', '-n', ns, '-l', 'app=web']);
    assert.equal(updated.items.filter((p: any) => !isTerminating(p)).length, 50);
    assert.ok(updated.items.filter((p: any) => !isTerminating(p)).every((p: any) => p.spec.containers[0].image === 'nginx:1.26'));

    // maxSurge 25% of 50 rounds up to 13, maxUnavailable 25% rounds down to 12.
    const scaled = (await c.events(ns, 'Deployment', 'web')).filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message as string);
    assert.ok(scaled.some((m) => /^Scaled up replica set web-[a-z0-9]+ from 0 to 13$/.test(m)), scaled.join('\n'));
    assert.ok(scaled.some((m) => /^Scaled down replica set web-[a-z0-9]+ from 50 to 38$/.test(m)), scaled.join('\n'));

    assert.equal(await c.ok(['rollout', 'undo', 'deployment/web', '-n', ns]), 'deployment.apps/web rolled back\n');
    const undone = await c.kubectl(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=60s'], { timeoutMs: 70_000 });
    assert.equal(undone.code, 0, undone.stderr);
    assert.match(undone.stdout, /deployment "web" successfully rolled out\n$/);
    const back = await c.get(['deployment', 'web', '-n', ns]);
    assert.equal(back.spec.template.spec.containers[0].image, 'nginx:1.25');
    assert.equal(back.metadata.annotations['deployment.kubernetes.io/revision'], '3');
    const rs = (await c.get(['replicasets', '-n', ns, '-l', 'app=web'])).items as any[];
    assert.deepEqual(rs.map((r) => [r.spec.template.spec.containers[0].image, r.spec.replicas, r.metadata.annotations['deployment.kubernetes.io/revision']]).sort(), [
      ['nginx:1.25', 50, '3'],
      ['nginx:1.26', 0, '2'],
    ]);
    const history = parseTable(await c.ok(['rollout', 'history', 'deployment/web', '-n', ns]).then((s) => s.split('\n').slice(1).join('\n')));
    assert.deepEqual(history.rows.map((r) => r.REVISION), ['2', '3']);

    // Wait for the watches to see the final state, then replay them.
    await pods.until('the undone rollout in the pod watch', () => {
      const now = replay(pods.events, () => {});
      const active = [...now.values()].filter((p) => !isTerminating(p));
      return active.length === 50 && active.every((p) => p.spec.containers[0].image === 'nginx:1.25' && isReady(p));
    });
    let maxActive = 0;
    let minReady = Infinity;
    let mixed = 0;
    replay(pods.events, (objs, _ev, i) => {
      if (i < listed - 1) return;
      const active = [...objs.values()].filter((p) => !isTerminating(p));
      maxActive = Math.max(maxActive, active.length);
      minReady = Math.min(minReady, active.filter(isReady).length);
      if (new Set(active.map((p) => p.spec.containers[0].image)).size > 1) mixed++;
    });
    assert.ok(maxActive <= 63, `at most replicas + maxSurge = 63 pods at a time, saw ${maxActive}`);
    assert.ok(maxActive > 50, `the rollout surged (saw at most ${maxActive} pods)`);
    assert.ok(minReady >= 38, `at least replicas - maxUnavailable = 38 pods ready at a time, saw ${minReady}`);
    assert.ok(mixed > 0, 'old and new pods ran side by side (a rolling update, not a recreate)');

    let maxDesired = 0;
    replay(sets.events, (objs) => {
      maxDesired = Math.max(maxDesired, [...objs.values()].reduce((n, r) => n + (r.spec.replicas ?? 0), 0));
    });
    assert.ok(maxDesired <= 63 && maxDesired > 50, `ReplicaSet sizes summed to at most 63, saw ${maxDesired}`);
  });

  it('deleting with the default propagation removes the ReplicaSets and pods; --cascade=orphan leaves them', async () => {
    const ns = await c.namespace('cascade');
    await c.apply([deployment('drop', 3, 'nginx'), deployment('keep', 3, 'nginx')], ns);
    for (const name of ['drop', 'keep']) await c.ok(['rollout', 'status', `deployment/${name}`, '-n', ns, '--timeout=30s'], { timeoutMs: 40_000 });

    assert.equal(await c.ok(['delete', 'deployment', 'drop', '-n', ns]), 'deployment.apps "drop" deleted\n');
    await eventually('the ReplicaSets and pods of "drop" to go', async () => {
      const left = await c.get(['replicasets,pods', '-n', ns, '-l', 'app=drop']);
      return left.items.length === 0;
    });

    const rs = (await c.get(['replicasets', '-n', ns, '-l', 'app=keep'])).items[0];
    assert.equal(await c.ok(['delete', 'deployment', 'keep', '-n', ns, '--cascade=orphan']), 'deployment.apps "keep" deleted\n');
    assert.equal((await c.kubectl(['get', 'deployment', 'keep', '-n', ns])).code, 1);
    // The garbage collector orphans the dependents: their owner reference to the Deployment goes.
    const orphan = await eventually('the ReplicaSet to lose its owner reference', async () => {
      const r = await c.get(['replicaset', rs.metadata.name, '-n', ns]);
      return (r.metadata.ownerReferences ?? []).length === 0 ? r : undefined;
    });
    assert.equal(orphan.metadata.uid, rs.metadata.uid);
    assert.equal(orphan.spec.replicas, 3);
    const pods = (await c.get(['pods', '-n', ns, '-l', 'app=keep'])).items as any[];
    assert.equal(pods.length, 3);
    assert.ok(pods.every((p) => !isTerminating(p) && p.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid));
  });
});

describe('DaemonSet', () => {
  it('lands one pod on every untainted node', async () => {
    const ns = await c.namespace('daemons');
    await c.ok(['taint', 'node', 'skiff-sim-3', 'dedicated=infra:NoSchedule']);
    try {
      await c.apply(
        {
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          metadata: { name: 'agent' },
          spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'agent', image: 'busybox' }] } } },
        },
        ns,
      );
      const st = await c.kubectl(['rollout', 'status', 'daemonset/agent', '-n', ns, '--timeout=30s'], { timeoutMs: 40_000 });
      assert.equal(st.code, 0, st.stderr);
      assert.match(st.stdout, /daemon set "agent" successfully rolled out\n$/);
      const ds = await c.get(['daemonset', 'agent', '-n', ns]);
      assert.equal(ds.status.desiredNumberScheduled, 19);
      assert.equal(ds.status.numberReady, 19);
      const pods = (await c.get(['pods', '-n', ns, '-l', 'app=agent'])).items as any[];
      const nodes = pods.map((p) => p.spec.nodeName as string).sort();
      const expected = Array.from({ length: 20 }, (_, i) => `skiff-sim-${i}`).filter((n) => n !== 'skiff-sim-3').sort();
      assert.deepEqual(nodes, expected);
    } finally {
      await c.ok(['taint', 'node', 'skiff-sim-3', 'dedicated-']);
    }
  });
});

describe('StatefulSet', () => {
  it('comes up web-0, web-1, web-2 in order, each with its PVC bound', async () => {
    const ns = await c.namespace('ordered');
    const pods = await c.watch(['pods', '-n', ns, '-l', 'app=db']);
    await c.apply(
      [
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 80 }] } },
        {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          metadata: { name: 'web' },
          spec: {
            serviceName: 'web',
            replicas: 3,
            selector: { matchLabels: { app: 'db' } },
            template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'nginx', image: 'nginx', volumeMounts: [{ name: 'data', mountPath: '/data' }] }] } },
            volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
          },
        },
      ],
      ns,
    );
    const st = await c.kubectl(['rollout', 'status', 'statefulset/web', '-n', ns, '--timeout=30s'], { timeoutMs: 40_000 });
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, /partitioned roll out complete: 3 new pods have been updated\.\.\.\n$/);

    await pods.until('three ready pods in the watch', () => [...replay(pods.events, () => {}).values()].filter(isReady).length === 3);
    // OrderedReady: web-N is created only once web-0 … web-(N-1) are Running and Ready.
    const firstSeen: string[] = [];
    replay(pods.events, (objs, ev) => {
      const name = ev.object.metadata.name as string;
      if (ev.type !== 'ADDED' || firstSeen.includes(name)) return;
      firstSeen.push(name);
      const ordinal = Number(name.split('-')[1]);
      for (let i = 0; i < ordinal; i++) {
        const before = objs.get(`${ns}/web-${i}`);
        assert.ok(before && isReady(before) && before.status.phase === 'Running', `web-${i} was Running and Ready before ${name} was created`);
      }
    });
    assert.deepEqual(firstSeen, ['web-0', 'web-1', 'web-2']);

    const claims = (await c.get(['pvc', '-n', ns])).items as any[];
    assert.deepEqual(claims.map((p) => [p.metadata.name, p.status.phase]).sort(), [
      ['data-web-0', 'Bound'],
      ['data-web-1', 'Bound'],
      ['data-web-2', 'Bound'],
    ]);
    for (const p of (await c.get(['pods', '-n', ns, '-l', 'app=db'])).items as any[]) {
      const vol = p.spec.volumes.find((v: any) => v.name === 'data');
      assert.equal(vol.persistentVolumeClaim.claimName, `data-${p.metadata.name}`);
      const claim = claims.find((x) => x.metadata.name === `data-${p.metadata.name}`);
      const pv = await c.get(['pv', claim.spec.volumeName]);
      assert.equal(pv.status.phase, 'Bound');
      assert.deepEqual([pv.spec.claimRef.namespace, pv.spec.claimRef.name], [ns, claim.metadata.name]);
    }
    const messages = (await c.events(ns, 'StatefulSet', 'web')).map((e) => e.message);
    for (const i of [0, 1, 2]) {
      assert.ok(messages.includes(`create Claim data-web-${i} Pod web-${i} in StatefulSet web success`), messages.join('\n'));
      assert.ok(messages.includes(`create Pod web-${i} in StatefulSet web successful`), messages.join('\n'));
    }
  });
});

describe('Job', () => {
  it('completions 5, parallelism 2 completes, never more than 2 pods at a time', async () => {
    const ns = await c.namespace('batch');
    const pods = await c.watch(['pods', '-n', ns, '-l', 'job-name=pi']);
    await c.apply(
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'pi' },
        spec: { completions: 5, parallelism: 2, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl', command: ['perl', '-e', 'print 3.14'] }] } } },
      },
      ns,
    );
    const w = await c.kubectl(['wait', '--for=condition=complete', 'job/pi', '-n', ns, '--timeout=60s'], { timeoutMs: 70_000 });
    assert.equal(w.code, 0, w.stderr);
    assert.equal(w.stdout, 'job.batch/pi condition met\n');
    const job = await c.get(['job', 'pi', '-n', ns]);
    assert.equal(job.status.succeeded, 5);
    assert.ok(!job.status.failed);
    const row = parseTable(await c.ok(['get', 'job', 'pi', '-n', ns])).rows[0]!;
    assert.equal(row.STATUS, 'Complete');
    assert.equal(row.COMPLETIONS, '5/5');

    await pods.until('five succeeded pods in the watch', () => [...replay(pods.events, () => {}).values()].filter((p) => p.status?.phase === 'Succeeded').length === 5);
    let maxRunning = 0;
    const final = replay(pods.events, (objs) => {
      const running = [...objs.values()].filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !isTerminating(p)).length;
      maxRunning = Math.max(maxRunning, running);
    });
    assert.equal(maxRunning, 2);
    assert.equal(final.size, 5);
  });
});

describe('Namespace', () => {
  it('deleting a namespace removes everything in it', async () => {
    const ns = await c.namespace('doomed');
    await c.apply(
      [
        deployment('app', 3, 'nginx'),
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'app' }, spec: { selector: { app: 'app' }, ports: [{ port: 80 }] } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { a: 'b' } },
        { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'scratch' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'user' },
          spec: { containers: [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 's', mountPath: '/s' }] }], volumes: [{ name: 's', persistentVolumeClaim: { claimName: 'scratch' } }] },
        },
      ],
      ns,
    );
    await c.ok(['rollout', 'status', 'deployment/app', '-n', ns, '--timeout=30s'], { timeoutMs: 40_000 });
    await c.ok(['wait', '--for=condition=Ready', 'pod/user', '-n', ns, '--timeout=30s'], { timeoutMs: 40_000 });
    const pv = (await c.get(['pvc', 'scratch', '-n', ns])).spec.volumeName as string;
    assert.ok(pv);

    // kubectl waits for the namespace to be gone.
    const del = await c.kubectl(['delete', 'namespace', ns, '--timeout=60s'], { timeoutMs: 70_000 });
    assert.equal(del.code, 0, del.stderr);
    assert.equal(del.stdout, `namespace "${ns}" deleted\n`);
    const gone = await c.kubectl(['get', 'namespace', ns]);
    assert.equal(gone.code, 1);
    assert.equal(gone.stderr, `Error from server (NotFound): namespaces "${ns}" not found\n`);
    const left = await c.get(['pods,replicasets,deployments,services,endpoints,configmaps,serviceaccounts,persistentvolumeclaims,events', '-A', '--field-selector', `metadata.namespace=${ns}`]);
    assert.deepEqual(
      left.items.map((o: any) => `${o.kind}/${o.metadata.name}`),
      [],
    );
    // The claim's volume goes with it (reclaim policy Delete).
    await eventually(`persistentvolume ${pv} to be deleted`, async () => (await c.kubectl(['get', 'pv', pv])).code === 1);
  });
});
