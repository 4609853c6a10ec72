// Tests for JSON patch (RFC 6902) as kube-apiserver applies `application/json-patch+json`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StatusError } from '../errors.ts';
import { applyJsonPatch } from './jsonpatch.ts';

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

const pod = () =>
  deepFreeze({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', labels: { app: 'web', 'app.kubernetes.io/name': 'web' }, annotations: { 'a~b': 'x' } },
    spec: { containers: [{ name: 'a', image: 'nginx' }, { name: 'b', image: 'redis' }] },
  });

/** The 422 kubectl prints as `The request is invalid: the server rejected our request ...`. */
function is422(cause: string) {
  return (e: unknown) =>
    e instanceof StatusError &&
    e.code === 422 &&
    e.reason === 'Invalid' &&
    e.message === 'the server rejected our request due to an error in our request' &&
    e.cause === cause;
}

test('add, replace, remove with ~0/~1 escapes and - for append', () => {
  const p = pod();
  const out = applyJsonPatch(p, [
    { op: 'add', path: '/metadata/labels/tier', value: 'front' },
    { op: 'replace', path: '/metadata/labels/app.kubernetes.io~1name', value: 'api' },
    { op: 'remove', path: '/metadata/annotations/a~0b' },
    { op: 'add', path: '/spec/containers/-', value: { name: 'c', image: 'busybox' } },
    { op: 'add', path: '/spec/containers/0', value: { name: 'init', image: 'alpine' } },
    { op: 'replace', path: '/spec/containers/1/image', value: 'nginx:1.25' },
    { op: 'remove', path: '/spec/containers/2' },
  ]) as any;
  assert.deepEqual(out.metadata, { name: 'p', labels: { app: 'web', 'app.kubernetes.io/name': 'api', tier: 'front' }, annotations: {} });
  assert.deepEqual(out.spec.containers, [
    { name: 'init', image: 'alpine' },
    { name: 'a', image: 'nginx:1.25' },
    { name: 'c', image: 'busybox' },
  ]);
  // input untouched
  assert.equal(p.spec.containers.length, 2);
  assert.equal(p.metadata.labels['app.kubernetes.io/name'], 'web');
});

test('move and copy', () => {
  const out = applyJsonPatch(pod(), [
    { op: 'copy', from: '/spec/containers/0', path: '/spec/containers/-' },
    { op: 'replace', path: '/spec/containers/2/name', value: 'a2' },
    { op: 'move', from: '/metadata/labels/app', path: '/metadata/annotations/app' },
  ]) as any;
  assert.deepEqual(out.spec.containers.map((c: any) => c.name), ['a', 'b', 'a2']);
  assert.equal(out.spec.containers[0].name, 'a'); // the copy is independent
  assert.deepEqual(out.metadata.labels, { 'app.kubernetes.io/name': 'web' });
  assert.equal(out.metadata.annotations.app, 'web');
});

test('test op guards the patch', () => {
  const ok = applyJsonPatch(pod(), [
    { op: 'test', path: '/spec/containers/0', value: { image: 'nginx', name: 'a' } },
    { op: 'test', path: '/metadata/missing', value: null },
    { op: 'replace', path: '/spec/containers/0/image', value: 'nginx:2' },
  ]) as any;
  assert.equal(ok.spec.containers[0].image, 'nginx:2');
  assert.throws(
    () => applyJsonPatch(pod(), [{ op: 'test', path: '/metadata/name', value: 'q' }]),
    is422('testing value /metadata/name failed: test failed'),
  );
});

test('json-patch v4 leniencies the apiserver inherits', () => {
  // replace of a missing object key adds it
  assert.deepEqual(applyJsonPatch({ a: {} }, [{ op: 'replace', path: '/a/b', value: 1 }]), { a: { b: 1 } });
  // negative indices count from the end
  assert.deepEqual(applyJsonPatch({ l: [1, 2, 3] }, [{ op: 'remove', path: '/l/-1' }]), { l: [1, 2] });
  // copying a missing key copies null
  assert.deepEqual(applyJsonPatch({ a: {} }, [{ op: 'copy', from: '/a/x', path: '/a/y' }]), { a: { y: null } });
  // add without value adds null
  assert.deepEqual(applyJsonPatch({}, [{ op: 'add', path: '/x' }]), { x: null });
});

test('failures are 422 with the generic message; the op error is the cause', () => {
  assert.throws(
    () => applyJsonPatch(pod(), [{ op: 'remove', path: '/spec/foo' }]),
    is422("error in remove for path: '/spec/foo': Unable to remove nonexistent key: foo: missing value"),
  );
  assert.throws(
    () => applyJsonPatch(pod(), [{ op: 'add', path: '/spec/foo/bar', value: 1 }]),
    is422('add operation does not apply: doc is missing path: "/spec/foo/bar": missing value'),
  );
  assert.throws(
    () => applyJsonPatch(pod(), [{ op: 'replace', path: '/spec/containers/5', value: 1 }]),
    is422('replace operation does not apply: doc is missing key: /spec/containers/5: missing value'),
  );
  assert.throws(
    () => applyJsonPatch(pod(), [{ op: 'add', path: '/spec/containers/9', value: 1 }]),
    is422("error in add for path: '/spec/containers/9': Unable to access invalid index: 9: invalid index referenced"),
  );
  assert.throws(() => applyJsonPatch(pod(), [{ op: 'frob', path: '/a' }]), is422('Unexpected kind: frob'));
  assert.throws(() => applyJsonPatch(pod(), [{ path: '/a' }]), is422('Unexpected kind: unknown'));
  assert.throws(() => applyJsonPatch(pod(), [{ op: 'add', value: 1 }]), is422('add operation failed to decode path: missing value'));
  // a failing op leaves no trace: the input is unchanged
  const p = pod();
  assert.throws(() => applyJsonPatch(p, [{ op: 'add', path: '/metadata/labels/x', value: '1' }, { op: 'remove', path: '/nope' }]));
  assert.equal((p.metadata.labels as Record<string, string>).x, undefined);
});

test('a body that is not a list of operations is 400', () => {
  assert.throws(
    () => applyJsonPatch(pod(), { op: 'add' }),
    (e: unknown) => e instanceof StatusError && e.code === 400 && e.message === 'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
  );
  assert.throws(
    () => applyJsonPatch(pod(), ['add']),
    (e: unknown) => e instanceof StatusError && e.code === 400 && e.message === 'json: cannot unmarshal string into Go value of type jsonpatch.Operation',
  );
  const p = pod();
  assert.equal(applyJsonPatch(p, null), p);
  assert.equal(applyJsonPatch(p, []), p);
});

test('more than 10000 operations is 413', () => {
  const ops = Array.from({ length: 10001 }, () => ({ op: 'test', path: '/kind', value: 'Pod' }));
  assert.throws(
    () => applyJsonPatch(pod(), ops),
    (e: unknown) =>
      e instanceof StatusError &&
      e.code === 413 &&
      e.reason === 'RequestEntityTooLarge' &&
      e.message === 'Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001',
  );
});

test('the result does not alias the patch values', () => {
  const value = { name: 'c', image: 'x' };
  const out = applyJsonPatch(pod(), [{ op: 'add', path: '/spec/containers/-', value }]) as any;
  out.spec.containers[2].image = 'y';
  assert.equal(value.image, 'x');
});
