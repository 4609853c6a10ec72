// ControllerRevision helpers: FNV hashing and safe encoding as upstream, revision naming,
// ordering, equality by data, truncation to the history limit, and controller references.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalJson, controllerRevisionName, equalRevision, fnv32, hashRevisionData, newControllerRevision, nextRevision, revisionsToTruncate, safeEncodeString,
  sortRevisions, templateFromRevision, templatePatch,
} from './history.ts';
import { getControllerOf, ownerIndexFunc } from './owner.ts';
import { isPodAvailable, isPodReady } from './pods.ts';

describe('history', () => {
  it('hashes with 32-bit FNV-1 and FNV-1a (standard test vectors)', () => {
    assert.equal(fnv32(['']), 0x811c9dc5);
    assert.equal(fnv32(['a']), 0x050c5d7e);
    assert.equal(fnv32(['a'], '1a'), 0xe40c292c);
    assert.equal(fnv32(['foobar'], '1a'), 0xbf9cf968);
    assert.equal(fnv32(['foo', 'bar'], '1a'), 0xbf9cf968, 'parts hash as one stream');
  });

  it('safe-encodes into the vowel-free alphabet', () => {
    assert.match(safeEncodeString(String(fnv32(['x']))), /^[bcdfghjklmnpqrstvwxz2456789]+$/);
    // '0' is code 48: 48 % 27 = 21, the alphabet's 22nd character
    assert.equal(safeEncodeString('0'), '4');
  });

  it('names revisions <parent>-<hash>, the hash changing with the collision count', () => {
    const parent = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'web', namespace: 'ns', uid: 'u1' } };
    const data = templatePatch({ metadata: { labels: { app: 'web' } }, spec: { containers: [] } });
    const r = newControllerRevision(parent, { app: 'web' }, data, 1);
    const hash = hashRevisionData(canonicalJson(data));
    assert.equal(r.metadata.name, `web-${hash}`);
    assert.deepEqual(r.metadata.labels, { app: 'web', 'controller.kubernetes.io/hash': hash });
    assert.deepEqual(getControllerOf(r), { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u1', controller: true, blockOwnerDeletion: true });
    assert.equal(r.revision, 1);
    assert.notEqual(newControllerRevision(parent, {}, data, 1, 1).metadata.name, r.metadata.name);
    assert.equal(newControllerRevision(parent, {}, data, 1, 0).metadata.name, newControllerRevision(parent, {}, data, 1, 0).metadata.name);
    assert.deepEqual(templateFromRevision(r), { metadata: { labels: { app: 'web' } }, spec: { containers: [] } });
    assert.equal(controllerRevisionName('x'.repeat(300), 'h').length, 225);
  });

  it('compares revisions by data regardless of key order', () => {
    const a = { data: { spec: { template: { b: 1, a: 2 } } } };
    const b = { data: { spec: { template: { a: 2, b: 1 } } } };
    assert.ok(equalRevision(a, b));
    assert.ok(!equalRevision(a, { data: { spec: { template: { a: 3 } } } }));
  });

  it('sorts by revision, numbers the next one, and truncates the oldest non-live beyond the limit', () => {
    const rev = (name: string, revision: number) => ({ metadata: { name, creationTimestamp: '2026-01-01T00:00:00Z' }, revision });
    const sorted = sortRevisions([rev('c', 3), rev('a', 1), rev('b', 2), rev('d', 4)]);
    assert.deepEqual(sorted.map((r) => r.metadata.name), ['a', 'b', 'c', 'd']);
    assert.equal(nextRevision(sorted), 5);
    assert.equal(nextRevision([]), 1);
    assert.deepEqual(revisionsToTruncate(sorted, new Set(['d']), 1).map((r) => r.metadata.name), ['a', 'b']);
    assert.deepEqual(revisionsToTruncate(sorted, new Set(['a', 'd']), 1).map((r) => r.metadata.name), ['b']);
    assert.deepEqual(revisionsToTruncate(sorted, new Set(), 10), []);
  });

  it('indexes objects by controller uid, or as orphans of their namespace', () => {
    assert.deepEqual(ownerIndexFunc({ metadata: { namespace: 'a', ownerReferences: [{ uid: 'x' }, { uid: 'y', controller: true }] } }), ['y']);
    assert.deepEqual(ownerIndexFunc({ metadata: { namespace: 'a', ownerReferences: [{ uid: 'x' }] } }), ['orphan/a']);
  });

  it('reads readiness and availability from the Ready condition', () => {
    const now = Date.parse('2026-01-01T00:01:00Z');
    const pod = { status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:30Z' }] } };
    assert.ok(isPodReady(pod));
    assert.ok(isPodAvailable(pod, 0, now));
    assert.ok(isPodAvailable(pod, 29, now));
    assert.ok(!isPodAvailable(pod, 30, now), 'must be Ready for more than minReadySeconds');
    assert.ok(!isPodReady({ status: {} }));
  });
});
