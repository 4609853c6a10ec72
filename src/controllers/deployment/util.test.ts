// Deployment helpers as upstream's util/deployment_util_test.go: completeness, progress and time-out
// checks, availability bounds, revision annotations (including rollback history and its length cap),
// finding the new ReplicaSet while ignoring pod-template-hash, and the status the controller reports.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Obj } from '../../client/types.ts';
import {
  MAX_INT32,
  NewRSAvailableReason,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  equalIgnoreHash,
  findNewReplicaSet,
  findOldReplicaSets,
  lastRevision,
  maxRevision,
  maxUnavailable,
  minAvailable,
  setNewReplicaSetAnnotations,
  type DeploymentStatus,
} from './util.ts';
import { calculateDeploymentStatus } from './controller.ts';

function rolling(desired: number, unavailable: number | string, surge: number | string, status: DeploymentStatus = {}): Obj {
  return { metadata: { name: 'd', generation: 0 }, spec: { replicas: desired, strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: unavailable, maxSurge: surge } } }, status };
}

describe('deploymentComplete (TestDeploymentComplete)', () => {
  const cases: [string, number[], boolean][] = [
    ['not complete: min but not all pods become available', [5, 5, 5, 4, 1, 0], false],
    ['not complete: min availability is not honored', [5, 5, 5, 3, 1, 0], false],
    ['complete', [5, 5, 5, 5, 0, 0], true],
    ['not complete: all pods are available but not updated', [5, 5, 4, 5, 0, 0], false],
    ['not complete: still running old pods', [1, 2, 1, 1, 0, 1], false],
    ['not complete: one replica deployment never comes up', [1, 1, 1, 0, 1, 1], false],
  ];
  for (const [name, [desired, current, updated, available, mu, ms], want] of cases) {
    it(name, () => {
      const d = rolling(desired!, mu!, ms!, { replicas: current, updatedReplicas: updated, availableReplicas: available });
      assert.equal(deploymentComplete(d, d.status), want);
    });
  }
});

describe('deploymentProgressing (TestDeploymentProgressing)', () => {
  const st = (replicas: number, updatedReplicas: number, readyReplicas: number, availableReplicas: number): DeploymentStatus => ({ replicas, updatedReplicas, readyReplicas, availableReplicas });
  const cases: [string, DeploymentStatus, DeploymentStatus, boolean][] = [
    ['progressing: updated pods', st(10, 4, 4, 4), st(10, 6, 4, 4), true],
    ['not progressing: no changes', st(10, 4, 4, 4), st(10, 4, 4, 4), false],
    ['progressing: old pods removed', st(10, 4, 4, 4), st(8, 4, 4, 4), true],
    ['not progressing: less new pods', st(10, 7, 4, 4), st(10, 6, 4, 4), false],
    ['progressing: less overall but more new pods', st(10, 4, 7, 7), st(8, 8, 8, 8), true],
    ['progressing: more ready pods', st(10, 10, 9, 8), st(10, 10, 10, 8), true],
    ['progressing: more available pods', st(10, 10, 10, 9), st(10, 10, 10, 10), true],
  ];
  for (const [name, old, next, want] of cases) {
    it(name, () => assert.equal(deploymentProgressing({ status: old }, next), want));
  }
});

describe('deploymentTimedOut (TestDeploymentTimedOut)', () => {
  const t = (min: number, sec: number) => Date.UTC(2016, 0, 1, 0, min, sec);
  const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
  const d = (reason: string, pds: number | undefined, from: number): Obj => ({
    spec: pds === undefined ? {} : { progressDeadlineSeconds: pds },
    status: { conditions: [{ type: 'Progressing', status: 'True', reason, lastUpdateTime: from ? iso(from) : undefined }] },
  });
  const cases: [string, Obj, number, boolean][] = [
    ['nil progressDeadlineSeconds specified - no timeout', d('', undefined, t(1, 9)), t(1, 20), false],
    ['infinite progressDeadlineSeconds specified - no timeout', d('', MAX_INT32, t(1, 9)), t(1, 20), false],
    ['progressDeadlineSeconds: 10s, now - started => 00:01:20 - 00:01:09 => 11s', d('', 10, t(1, 9)), t(1, 20), true],
    ['progressDeadlineSeconds: 10s, now - started => 00:01:20 - 00:01:11 => 9s', d('', 10, t(1, 11)), t(1, 20), false],
    ['previous status was a complete deployment', d(NewRSAvailableReason, 10, 0), t(1, 20), false],
  ];
  for (const [name, dep, now, want] of cases) it(name, () => assert.equal(deploymentTimedOut(dep, dep.status, now), want));
});

describe('availability bounds (TestMaxUnavailable, MinAvailable)', () => {
  it('rounds maxUnavailable down, never above replicas, 0 for Recreate or no replicas', () => {
    assert.equal(maxUnavailable(rolling(10, '25%', '25%')), 2);
    assert.equal(maxUnavailable(rolling(1, '25%', '25%')), 0);
    assert.equal(maxUnavailable(rolling(1, 0, 0)), 1); // fencepost: both zero → 1
    assert.equal(maxUnavailable(rolling(5, 10, 0)), 5);
    assert.equal(maxUnavailable(rolling(0, 1, 0)), 0);
    assert.equal(maxUnavailable({ spec: { replicas: 10, strategy: { type: 'Recreate' } } }), 0);
    assert.equal(minAvailable(rolling(10, '25%', '25%')), 8);
    assert.equal(minAvailable({ spec: { replicas: 10, strategy: { type: 'Recreate' } } }), 0);
  });
});

describe('revisions', () => {
  const rsRev = (rev?: string, extra: Record<string, string> = {}): Obj => ({ metadata: { name: 'rs', annotations: { ...(rev ? { 'deployment.kubernetes.io/revision': rev } : {}), ...extra } }, spec: { replicas: 0 } });

  it('maxRevision and lastRevision skip unparsable revisions', () => {
    const rss = [rsRev('1'), rsRev('3'), rsRev('x'), rsRev('2'), rsRev()];
    assert.equal(maxRevision(rss), 3);
    assert.equal(lastRevision(rss), 2);
  });

  it('a new RS gets the revision, desired/max replicas and the deployment annotations (but not last-applied)', () => {
    const d = { metadata: { annotations: { 'kubernetes.io/change-cause': 'v2', 'kubectl.kubernetes.io/last-applied-configuration': '{}', 'deployment.kubernetes.io/revision': '7' } }, spec: { replicas: 10, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } } };
    const rs = rsRev();
    assert.equal(setNewReplicaSetAnnotations(d, rs, '2', false), true);
    assert.deepEqual(rs.metadata.annotations, {
      'kubernetes.io/change-cause': 'v2',
      'deployment.kubernetes.io/revision': '2',
      'deployment.kubernetes.io/desired-replicas': '10',
      'deployment.kubernetes.io/max-replicas': '13',
    });
  });

  it('rolling back to an RS raises its revision and keeps the old ones in revision-history', () => {
    const d = { metadata: {}, spec: { replicas: 1 } };
    const rs = rsRev('1');
    setNewReplicaSetAnnotations(d, rs, '3', true);
    assert.equal(rs.metadata.annotations['deployment.kubernetes.io/revision'], '3');
    assert.equal(rs.metadata.annotations['deployment.kubernetes.io/revision-history'], '1');
    setNewReplicaSetAnnotations(d, rs, '5', true);
    assert.equal(rs.metadata.annotations['deployment.kubernetes.io/revision-history'], '1,3');
    // Never lowered.
    assert.equal(setNewReplicaSetAnnotations(d, rs, '4', true), false);
    assert.equal(rs.metadata.annotations['deployment.kubernetes.io/revision'], '5');
    // The history is capped in characters, dropping the oldest entries.
    setNewReplicaSetAnnotations(d, rs, '6', true, 4);
    assert.equal(rs.metadata.annotations['deployment.kubernetes.io/revision-history'], '3,5');
  });
});

describe('finding the new ReplicaSet', () => {
  const tmpl = (image: string, hash?: string) => ({ metadata: { labels: { app: 'web', ...(hash ? { 'pod-template-hash': hash } : {}) } }, spec: { containers: [{ name: 'c', image }] } });
  it('ignores pod-template-hash and treats empty and absent fields alike', () => {
    assert.equal(equalIgnoreHash(tmpl('a', 'h1'), tmpl('a')), true);
    assert.equal(equalIgnoreHash(tmpl('a', 'h1'), tmpl('b', 'h1')), false);
    const withEmpty = { ...tmpl('a'), metadata: { labels: { app: 'web' }, annotations: {} }, spec: { containers: [{ name: 'c', image: 'a', env: [] }] } };
    assert.equal(equalIgnoreHash(withEmpty, tmpl('a', 'x')), true);
  });
  it('picks the oldest matching RS; the rest are old', () => {
    const d = { spec: { template: tmpl('a') } };
    const mk = (name: string, image: string, created: string, replicas: number) => ({ metadata: { name, uid: name, creationTimestamp: created }, spec: { replicas, template: tmpl(image, name) } });
    const rss = [mk('n2', 'a', '2026-01-01T00:00:02Z', 1), mk('o', 'b', '2026-01-01T00:00:00Z', 0), mk('n1', 'a', '2026-01-01T00:00:01Z', 3)];
    assert.equal(findNewReplicaSet(d, rss)?.metadata.name, 'n1');
    const [withPods, all] = findOldReplicaSets(d, rss);
    assert.deepEqual(withPods.map((r) => r.metadata.name), ['n2']);
    assert.deepEqual(all.map((r) => r.metadata.name), ['n2', 'o']);
  });
});

describe('calculateDeploymentStatus', () => {
  it('sums the ReplicaSets and sets Available by minimum availability', () => {
    const d = { metadata: { name: 'web', generation: 4 }, spec: { replicas: 10, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } }, status: {} };
    const newRS = { spec: { replicas: 5 }, status: { replicas: 5, readyReplicas: 4, availableReplicas: 3 } };
    const oldRS = { spec: { replicas: 5 }, status: { replicas: 6, readyReplicas: 5, availableReplicas: 5 } };
    const now = Date.UTC(2026, 0, 1);
    const s = calculateDeploymentStatus([oldRS, newRS], newRS, d, now);
    assert.deepEqual({ ...s, conditions: undefined }, { observedGeneration: 4, replicas: 11, updatedReplicas: 5, readyReplicas: 9, availableReplicas: 8, unavailableReplicas: 2, collisionCount: undefined, conditions: undefined });
    assert.deepEqual(s.conditions, [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: '2026-01-01T00:00:00Z', lastTransitionTime: '2026-01-01T00:00:00Z' }]);
    const low = calculateDeploymentStatus([{ spec: { replicas: 10 }, status: { replicas: 10, availableReplicas: 7 } }], undefined, d, now);
    assert.equal(low.conditions![0]!.reason, 'MinimumReplicasUnavailable');
    assert.equal(low.conditions![0]!.message, 'Deployment does not have minimum availability.');
  });
});
