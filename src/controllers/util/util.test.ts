// Shared workload-controller helpers: the template hash (FNV-32a, safe encoding), the order pods are
// deleted in (upstream's ActivePodsWithRanks), slow-start batches, UID-tracking expectations, pod
// availability with minReadySeconds, pods from templates, and semantic equality.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Obj } from '../../client/types.ts';
import { FakeClock } from '../../machinery/clock.ts';
import { computeHash, fnv32a, safeEncodeString } from './hash.ts';
import { getPodsToDelete, sortPodsForDeletion } from './ranking.ts';
import { slowStartBatch } from './batch.ts';
import { PodExpectations } from './expectations.ts';
import { isPodAvailable, podFromTemplate, podNamePrefix, rfc3339 } from './pods.ts';
import { semanticEqual } from './equality.ts';
import { setCondition } from './conditions.ts';

describe('computeHash', () => {
  const tmpl = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
  it('is FNV-32a printed in decimal and safely encoded', () => {
    assert.equal(fnv32a(new Uint8Array()), 0x811c9dc5);
    assert.equal(fnv32a(new TextEncoder().encode('a')), 0xe40c292c);
    assert.equal(safeEncodeString('0123456789'), '456789bcdf');
  });
  it('is stable, independent of key order, and changes with the template or collision count', () => {
    const h = computeHash(tmpl);
    assert.match(h, /^[456789bcdf]{1,10}$/);
    assert.equal(computeHash({ spec: { containers: [{ image: 'nginx', name: 'c' }] }, metadata: { labels: { app: 'web' } } }), h);
    assert.notEqual(computeHash({ ...tmpl, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } }), h);
    assert.notEqual(computeHash(tmpl, 1), h);
    assert.notEqual(computeHash(tmpl, 1), computeHash(tmpl, 2));
    assert.equal(computeHash(tmpl, 0), computeHash(structuredClone(tmpl), 0));
  });
});

describe('pod deletion order', () => {
  const now = Date.UTC(2026, 0, 1, 12);
  const ago = (ms: number) => rfc3339(now - ms);
  let n = 0;
  const pod = (o: { node?: string; phase?: string; ready?: number; cost?: number; restarts?: number; created?: number }): Obj => ({
    metadata: { name: `p${n}`, uid: `u${n++}`, creationTimestamp: ago(o.created ?? 3_600_000), ...(o.cost ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': String(o.cost) } } : {}) },
    spec: { ...(o.node ? { nodeName: o.node } : {}) },
    status: {
      phase: o.phase ?? 'Running',
      conditions: o.ready !== undefined ? [{ type: 'Ready', status: 'True', lastTransitionTime: ago(o.ready) }] : [],
      containerStatuses: [{ restartCount: o.restarts ?? 0 }],
    },
  });
  it('goes unassigned, Pending, Unknown, not ready, then by deletion cost, co-location, ready time, restarts and age', () => {
    const expected = [
      pod({ phase: 'Pending' }),
      pod({ node: 'n1', phase: 'Pending' }),
      pod({ node: 'n1', phase: 'Unknown' }),
      pod({ node: 'n1' }),
      pod({ node: 'crowded', ready: 3_600_000 }),
      pod({ node: 'n2', ready: 1000 }),
      pod({ node: 'n3', ready: 3_600_000, restarts: 5 }),
      pod({ node: 'n4', ready: 3_600_000, created: 3_600_000 }),
      pod({ node: 'n5', ready: 3_600_000, created: 86_400_000 }),
      pod({ node: 'n6', ready: 1000, cost: 100 }),
    ];
    const ranks = new Map(expected.map((p) => [p, p.spec.nodeName === 'crowded' ? 2 : 0]));
    const input = [...expected].reverse();
    const sorted = sortPodsForDeletion(input, input.map((p) => ranks.get(p)!), now);
    assert.deepEqual(sorted.map((p) => p.metadata.name), expected.map((p) => p.metadata.name));
  });
  it('ranks by related pods on the same node when only some pods go', () => {
    const a = pod({ node: 'x', ready: 1000 });
    const b = pod({ node: 'y', ready: 1000 });
    const sibling = pod({ node: 'y', ready: 1000 });
    assert.deepEqual(getPodsToDelete([a, b], [a, b, sibling], 1, now).map((p) => p.metadata.name), [b.metadata.name]);
  });
});

describe('slowStartBatch', () => {
  it('runs batches of 1, 2, 4, … and stops after a failing batch', async () => {
    let inFlight = 0;
    const batches: number[] = [];
    let calls = 0;
    const ok = await slowStartBatch(10, 1, async () => {
      if (inFlight === 0) batches.push(0);
      inFlight++;
      batches[batches.length - 1]!++;
      calls++;
      await new Promise((r) => setImmediate(r));
      inFlight--;
    });
    assert.deepEqual(ok, { successes: 10 });
    assert.deepEqual(batches, [1, 2, 4, 3]);
    calls = 0;
    const failed = await slowStartBatch(10, 1, async () => {
      calls++;
      if (calls === 3) throw new Error('quota');
    });
    assert.equal(failed.successes, 2);
    assert.equal(calls, 3);
    assert.equal((failed.error as Error).message, 'quota');
  });
});

describe('PodExpectations', () => {
  it('counts creations and each expected deletion once', () => {
    const clock = new FakeClock();
    const e = new PodExpectations(clock);
    e.expectCreations('ns/rs', 2);
    assert.equal(e.satisfied('ns/rs'), false);
    e.creationObserved('ns/rs');
    e.creationObserved('ns/rs');
    assert.equal(e.satisfied('ns/rs'), true);
    e.expectDeletions('ns/rs', ['ns/a', 'ns/b']);
    e.deletionObserved('ns/rs', 'ns/a');
    e.deletionObserved('ns/rs', 'ns/a'); // deletionTimestamp, then the delete: once
    e.deletionObserved('ns/rs', 'ns/other');
    assert.equal(e.satisfied('ns/rs'), false);
    e.deletionObserved('ns/rs', 'ns/b');
    assert.equal(e.satisfied('ns/rs'), true);
    e.expectCreations('ns/rs', 1);
    clock.advance(5 * 60_000 + 1);
    assert.equal(e.satisfied('ns/rs'), true, 'expired');
  });
});

describe('pods', () => {
  it('isPodAvailable needs minReadySeconds strictly passed since the Ready transition', () => {
    const t = Date.UTC(2026, 0, 1);
    const p = { status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: rfc3339(t) }] } };
    assert.equal(isPodAvailable(p, 0, t), true);
    assert.equal(isPodAvailable(p, 10, t + 10_000), false);
    assert.equal(isPodAvailable(p, 10, t + 10_001), true);
    assert.equal(isPodAvailable({ status: {} }, 0, t), false);
  });
  it('podFromTemplate copies labels, annotations, finalizers and spec, with generateName and the controller ref', () => {
    const owner = { metadata: { name: 'web', namespace: 'ns', uid: 'u' } };
    const ref = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'u', controller: true, blockOwnerDeletion: true };
    const tmpl = { metadata: { labels: { a: 'b' }, annotations: { x: 'y' }, finalizers: ['f'] }, spec: { containers: [{ name: 'c', image: 'i' }] } };
    const pod = podFromTemplate(tmpl, owner, ref);
    assert.deepEqual(pod, { apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'web-', namespace: 'ns', labels: { a: 'b' }, annotations: { x: 'y' }, finalizers: ['f'], ownerReferences: [ref] }, spec: tmpl.spec });
    assert.notEqual(pod.spec, tmpl.spec);
    assert.equal(podNamePrefix('x'.repeat(253)), 'x'.repeat(253));
  });
  it('semanticEqual treats nil, empty lists and empty maps alike', () => {
    assert.equal(semanticEqual({ a: [], b: {}, c: null }, {}), true);
    assert.equal(semanticEqual({ a: [1] }, { a: [] }), false);
    assert.equal(semanticEqual({ a: 0 }, {}), false);
  });
  it('setCondition keeps lastTransitionTime when only the reason changes, and ignores repeats', () => {
    const c1 = [{ type: 'Progressing', status: 'True', reason: 'A', lastTransitionTime: 't1' }];
    assert.equal(setCondition(c1, { type: 'Progressing', status: 'True', reason: 'A', lastTransitionTime: 't2' }), c1);
    assert.deepEqual(setCondition(c1, { type: 'Progressing', status: 'True', reason: 'B', lastTransitionTime: 't2' }), [{ type: 'Progressing', status: 'True', reason: 'B', lastTransitionTime: 't1' }]);
    assert.equal(setCondition(c1, { type: 'Progressing', status: 'False', reason: 'B', lastTransitionTime: 't2' })[0]!.lastTransitionTime, 't2');
  });
});
