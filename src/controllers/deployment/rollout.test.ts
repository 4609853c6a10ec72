// Rollout arithmetic as upstream's table tests (util/deployment_util_test.go, rolling_test.go,
// sync_test.go TestScale): fenceposts, the new RS's size, old RS scale-down and proportional scaling,
// run on plain objects through a fake ScaleOps that records each write.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Obj } from '../../client/types.ts';
import { reconcileNewReplicaSet, reconcileOldReplicaSets, scale, type ScaleOps } from './rollout.ts';
import { maxSurge, newRSNewReplicas, resolveFenceposts, setReplicasAnnotations, replicasAnnotationsNeedUpdate } from './util.ts';

function deployment(replicas: number, opts: { maxSurge?: number | string; maxUnavailable?: number | string; type?: string } = {}): Obj {
  return {
    metadata: { name: 'foo', namespace: 'default', uid: 'd-uid', generation: 1 },
    spec: {
      replicas,
      selector: { matchLabels: { foo: 'bar' } },
      strategy: opts.type === 'Recreate' ? { type: 'Recreate' } : { type: 'RollingUpdate', rollingUpdate: { maxSurge: opts.maxSurge ?? 0, maxUnavailable: opts.maxUnavailable ?? 0 } },
      template: { metadata: { labels: { foo: 'bar' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
    },
    status: {},
  };
}

let seq = 0;
function rs(name: string, replicas: number, created: number, available = replicas): Obj {
  return {
    metadata: { name, namespace: 'default', uid: `${name}-${seq++}`, creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, created)).toISOString().replace('.000Z', 'Z'), annotations: {} },
    spec: { replicas },
    status: { replicas, availableReplicas: available },
  };
}

/** A ScaleOps that applies writes to copies and records [name, replicas]. */
function fakeOps(failing: Set<string> = new Set()) {
  const writes: [string, number][] = [];
  const ops: ScaleOps = {
    async scaleAndRecord(r, n, d) {
      if ((r.spec?.replicas ?? 0) === n) return [false, r];
      return ops.scaleReplicaSet(r, n, d, '');
    },
    async scaleReplicaSet(r, n, d) {
      const max = (d.spec.replicas ?? 1) + maxSurge(d);
      if ((r.spec?.replicas ?? 0) === n && !replicasAnnotationsNeedUpdate(r, d.spec.replicas, max)) return [false, r];
      if (failing.has(r.metadata.name)) throw new Error(`update of ${r.metadata.name} failed`);
      const copy = structuredClone(r);
      copy.spec.replicas = n;
      setReplicasAnnotations(copy, d.spec.replicas, max);
      writes.push([r.metadata.name, n]);
      return [(r.spec?.replicas ?? 0) !== n, copy];
    },
  };
  return { ops, writes };
}

describe('resolveFenceposts (TestResolveFenceposts)', () => {
  const cases: [string | undefined, string | undefined, number, number, number, boolean][] = [
    ['0%', '0%', 0, 0, 1, false],
    ['39%', '39%', 10, 4, 3, false],
    ['oops', '39%', 10, 0, 0, true],
    ['55%', 'urg', 10, 0, 0, true],
    [undefined, '39%', 10, 0, 3, false],
    ['39%', undefined, 10, 4, 0, false],
    [undefined, undefined, 10, 0, 1, false],
  ];
  for (const [s, u, desired, es, eu, err] of cases) {
    it(`surge ${s} unavailable ${u} of ${desired}`, () => {
      if (err) return assert.throws(() => resolveFenceposts(s, u, desired));
      assert.deepEqual(resolveFenceposts(s, u, desired), [es, eu]);
    });
  }
  it('defaults (25%/25%) round surge up and unavailable down', () => {
    assert.deepEqual(resolveFenceposts('25%', '25%', 10), [3, 2]);
    assert.deepEqual(resolveFenceposts('25%', '25%', 50), [13, 12]);
    assert.deepEqual(resolveFenceposts('25%', '25%', 1), [1, 0]);
  });
});

describe('newRSNewReplicas (TestNewRSNewReplicas)', () => {
  const cases: [string, string, number, number, number, number][] = [
    ['can not scale up - to newRSReplicas', 'RollingUpdate', 1, 5, 1, 5],
    ['scale up - to depReplicas', 'RollingUpdate', 6, 2, 10, 6],
    ['recreate - to depReplicas', 'Recreate', 3, 1, 1, 3],
  ];
  for (const [name, type, dep, newReplicas, surge, want] of cases) {
    it(name, () => {
      const d = deployment(dep, { maxSurge: surge, maxUnavailable: 1, type });
      const rs5 = rs('rs5', 5, 0);
      const newRS = rs('new', newReplicas, 1);
      assert.equal(newRSNewReplicas(d, [rs5], newRS), want);
    });
  }
});

describe('reconcileNewReplicaSet (rolling_test)', () => {
  const cases: { dep: number; surge: number; old: number; new: number; scaled: boolean; want?: number }[] = [
    { dep: 10, surge: 0, old: 10, new: 0, scaled: false },
    { dep: 10, surge: 2, old: 10, new: 0, scaled: true, want: 2 },
    { dep: 10, surge: 2, old: 5, new: 0, scaled: true, want: 7 },
    { dep: 10, surge: 2, old: 10, new: 2, scaled: false },
    { dep: 2, surge: 0, old: 0, new: 3, scaled: true, want: 2 },
  ];
  for (const t of cases) {
    it(`${t.dep} replicas, surge ${t.surge}, old ${t.old}, new ${t.new}`, async () => {
      const d = deployment(t.dep, { maxSurge: t.surge });
      const oldRS = rs('foo-v1', t.old, 0);
      const newRS = rs('foo-v2', t.new, 1);
      const { ops, writes } = fakeOps();
      assert.equal(await reconcileNewReplicaSet(ops, [oldRS, newRS], newRS, d), t.scaled);
      if (t.scaled) assert.deepEqual(writes, [['foo-v2', t.want]]);
      else assert.deepEqual(writes, []);
    });
  }
});

describe('reconcileOldReplicaSets (rolling_test)', () => {
  const cases: { dep: number; unavailable: number; old: number; new: number; readyOld: number; readyNew: number; scaled: boolean; want?: number }[] = [
    { dep: 10, unavailable: 0, old: 10, new: 0, readyOld: 10, readyNew: 0, scaled: true, want: 9 },
    { dep: 10, unavailable: 2, old: 10, new: 0, readyOld: 10, readyNew: 0, scaled: true, want: 8 },
    // unhealthy old pods are cleaned up first
    { dep: 10, unavailable: 2, old: 10, new: 0, readyOld: 8, readyNew: 0, scaled: true, want: 8 },
    // one unhealthy old pod cleaned up, one ready one scaled down
    { dep: 10, unavailable: 2, old: 10, new: 0, readyOld: 9, readyNew: 0, scaled: true, want: 8 },
    // the new RS's unavailable pods stop further scale-down
    { dep: 10, unavailable: 2, old: 8, new: 2, readyOld: 8, readyNew: 0, scaled: false },
  ];
  for (const t of cases) {
    it(`${t.dep} replicas, maxUnavailable ${t.unavailable}, old ${t.old} (${t.readyOld} ready), new ${t.new} (${t.readyNew} ready)`, async () => {
      const d = deployment(t.dep, { maxUnavailable: t.unavailable });
      const oldRS = rs('foo-v1', t.old, 0, t.readyOld);
      const newRS = rs('foo-v2', t.new, 1, t.readyNew);
      const { ops, writes } = fakeOps();
      assert.equal(await reconcileOldReplicaSets(ops, [oldRS, newRS], [oldRS], newRS, d), t.scaled);
      if (t.scaled) assert.equal(writes.at(-1)![1], t.want);
      else assert.deepEqual(writes, []);
    });
  }
});

describe('scale: proportional scaling (sync_test TestScale)', () => {
  interface Case {
    name: string;
    d: Obj;
    old: Obj;
    newRS: [string, number, number, number?] | null;
    oldRSs: [string, number, number][];
    wantNew: number | null;
    wantOld: number[];
    desired?: Record<string, number>;
    failing?: string[];
  }
  const cases: Case[] = [
    { name: 'normal scaling event: 10 -> 12', d: deployment(12), old: deployment(10), newRS: ['foo-v1', 10, 2], oldRSs: [], wantNew: 12, wantOld: [] },
    { name: 'proportional scaling: 5 -> 10', d: deployment(10), old: deployment(5), newRS: ['foo-v2', 2, 2], oldRSs: [['foo-v1', 3, 1]], wantNew: 4, wantOld: [6] },
    { name: 'proportional scaling: 5 -> 3', d: deployment(3), old: deployment(5), newRS: ['foo-v2', 2, 2], oldRSs: [['foo-v1', 3, 1]], wantNew: 1, wantOld: [2] },
    { name: 'proportional scaling: 9 -> 4', d: deployment(4), old: deployment(9), newRS: ['foo-v2', 8, 2], oldRSs: [['foo-v1', 1, 1]], wantNew: 4, wantOld: [0] },
    { name: 'proportional scaling: 7 -> 10', d: deployment(10), old: deployment(7), newRS: ['foo-v3', 2, 2], oldRSs: [['foo-v2', 3, 1], ['foo-v1', 2, 0]], wantNew: 3, wantOld: [4, 3] },
    { name: 'proportional scaling: 13 -> 8', d: deployment(8), old: deployment(13), newRS: ['foo-v3', 2, 2], oldRSs: [['foo-v2', 8, 1], ['foo-v1', 3, 0]], wantNew: 1, wantOld: [5, 2] },
    { name: 'leftover distribution: 3 -> 4', d: deployment(4), old: deployment(3), newRS: ['foo-v3', 1, 2], oldRSs: [['foo-v2', 1, 1], ['foo-v1', 1, 0]], wantNew: 2, wantOld: [1, 1] },
    { name: 'leftover distribution: 3 -> 2', d: deployment(2), old: deployment(3), newRS: ['foo-v3', 1, 2], oldRSs: [['foo-v2', 1, 1], ['foo-v1', 1, 0]], wantNew: 1, wantOld: [1, 0] },
    { name: 'proportional scaling (no new rs): 4 -> 5', d: deployment(5), old: deployment(4), newRS: null, oldRSs: [['foo-v2', 2, 1], ['foo-v1', 2, 0]], wantNew: null, wantOld: [3, 2] },
    { name: 'proportional scaling: 6 -> 0', d: deployment(0), old: deployment(6), newRS: ['foo-v3', 3, 2], oldRSs: [['foo-v2', 2, 1], ['foo-v1', 1, 0]], wantNew: 0, wantOld: [0, 0] },
    { name: 'proportional scaling: 0 -> 6', d: deployment(6), old: deployment(6), newRS: ['foo-v3', 0, 2], oldRSs: [['foo-v2', 0, 1], ['foo-v1', 0, 0]], wantNew: 6, wantOld: [0, 0] },
    {
      name: 'failed rs update',
      d: deployment(5),
      old: deployment(5),
      newRS: ['foo-v3', 2, 2],
      oldRSs: [['foo-v2', 1, 1], ['foo-v1', 1, 0]],
      wantNew: 2,
      wantOld: [2, 1],
      desired: { 'foo-v2': 3 },
    },
    { name: 'deployment with surge pods', d: deployment(20, { maxSurge: 2 }), old: deployment(10, { maxSurge: 2 }), newRS: ['foo-v2', 6, 2], oldRSs: [['foo-v1', 6, 1]], wantNew: 11, wantOld: [11] },
    { name: 'change both surge and size', d: deployment(50, { maxSurge: 6 }), old: deployment(10, { maxSurge: 3 }), newRS: ['foo-v2', 5, 2], oldRSs: [['foo-v1', 8, 1]], wantNew: 22, wantOld: [34] },
    { name: 'change both size and template', d: deployment(14), old: deployment(10), newRS: null, oldRSs: [['foo-v2', 7, 2], ['foo-v1', 3, 1]], wantNew: null, wantOld: [10, 4] },
    {
      name: 'saturated but broken new replica set does not affect old pods',
      d: deployment(2, { maxSurge: 1, maxUnavailable: 1 }),
      old: deployment(2, { maxSurge: 1, maxUnavailable: 1 }),
      newRS: ['foo-v2', 2, 2, 0],
      oldRSs: [['foo-v1', 1, 1]],
      wantNew: 2,
      wantOld: [1],
    },
  ];
  for (const t of cases) {
    it(t.name, async () => {
      const annotate = (r: Obj) => {
        const desired = t.desired?.[r.metadata.name] ?? t.old.spec.replicas;
        setReplicasAnnotations(r, desired, desired + maxSurge(t.old));
        return r;
      };
      const newRS = t.newRS ? annotate(rs(t.newRS[0], t.newRS[1], t.newRS[2], t.newRS[3] ?? t.newRS[1])) : undefined;
      const oldRSs = t.oldRSs.map(([n, r, c]) => annotate(rs(n, r, c)));
      t.d.status = { replicas: [newRS, ...oldRSs].reduce((s, r) => s + (r?.spec.replicas ?? 0), 0) };
      const { ops, writes } = fakeOps(new Set(t.failing));
      await scale(ops, t.d, newRS, oldRSs);
      const final = new Map<string, number>();
      for (const r of [newRS, ...oldRSs]) if (r) final.set(r.metadata.name, r.spec.replicas);
      for (const [n, v] of writes) final.set(n, v);
      if (t.newRS) assert.equal(final.get(t.newRS[0]), t.wantNew, 'new RS');
      assert.deepEqual(t.oldRSs.map(([n]) => final.get(n)), t.wantOld, 'old RSes');
    });
  }
});
