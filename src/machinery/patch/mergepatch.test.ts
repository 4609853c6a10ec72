// Tests for JSON merge patch (RFC 7386) as kube-apiserver applies `application/merge-patch+json`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StatusError } from '../errors.ts';
import { applyMergePatch } from './mergepatch.ts';

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

const deployment = () =>
  deepFreeze({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web', tier: 'front' } },
    spec: {
      replicas: 2,
      template: { spec: { containers: [{ name: 'web', image: 'nginx:1.24' }, { name: 'log', image: 'busybox' }] } },
    },
  });

test('RFC 7386 examples from the appendix', () => {
  const cases: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [doc, patch, want] of cases) assert.deepEqual(applyMergePatch(doc, patch), want);
});

test('labels merge key by key and null deletes one', () => {
  const d = deployment();
  const out = applyMergePatch(d, { metadata: { labels: { tier: null, env: 'prod' } }, spec: { replicas: 5 } }) as any;
  assert.deepEqual(out.metadata.labels, { app: 'web', env: 'prod' });
  assert.equal(out.spec.replicas, 5);
  // lists are replaced whole: the containers list is not merged by name
  const out2 = applyMergePatch(d, { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } } } }) as any;
  assert.deepEqual(out2.spec.template.spec.containers, [{ name: 'web', image: 'nginx:1.25' }]);
  // the input is untouched and unchanged subtrees are shared
  assert.equal(d.spec.template.spec.containers.length, 2);
  assert.equal(out.spec.template, d.spec.template);
});

test('nulls in newly added objects are dropped, nulls inside arrays are kept', () => {
  assert.deepEqual(applyMergePatch({}, { a: { b: null, c: 1 } }), { a: { c: 1 } });
  assert.deepEqual(applyMergePatch({}, { a: [null, { b: null, c: 1 }] }), { a: [null, { c: 1 }] });
  // an object replaced by an array takes the array as is (json-patch v4 keeps its nulls)
  assert.deepEqual(applyMergePatch({ a: { x: 1 } }, { a: [{ b: null }] }), { a: [{ b: null }] });
  // a scalar replaced by an object is pruned
  assert.deepEqual(applyMergePatch({ a: 1 }, { a: { b: null, c: 2 } }), { a: { c: 2 } });
});

test('a patch that is not an object is rejected as upstream (400 Invalid JSON Patch)', () => {
  for (const p of [null, 'x', 5, true]) {
    assert.throws(
      () => applyMergePatch({ a: 1 }, p),
      (e: unknown) => e instanceof StatusError && e.code === 400 && e.reason === 'BadRequest' && e.message === 'Invalid JSON Patch',
    );
  }
  // a top-level array replaces the document (the apiserver then fails to decode it)
  assert.deepEqual(applyMergePatch({ a: 1 }, [{ a: null }, null]), [{}, null]);
});

test('the patch is not aliased by the result', () => {
  const patch = { spec: { template: { metadata: { labels: { a: '1' } } } } };
  const out = applyMergePatch(deployment(), patch) as any;
  out.spec.template.metadata.labels.a = '2';
  assert.equal(patch.spec.template.metadata.labels.a, '1');
});

test('__proto__ keys stay plain data', () => {
  const out = applyMergePatch({ a: {} }, JSON.parse('{"a":{"__proto__":{"x":1}}}')) as any;
  assert.equal(Object.getPrototypeOf(out.a), Object.prototype);
  assert.equal(out.a.x, undefined);
});
