// Tests for the imagePullPolicy default (tag `latest` or no tag/digest -> Always).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPullPolicy, parseImageReference } from './image.ts';

const DIGEST = 'sha256:' + 'a'.repeat(64);

test('imagePullPolicy follows the tag rule', () => {
  const cases: Array<[string, string]> = [
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.25', 'IfNotPresent'],
    [`nginx@${DIGEST}`, 'IfNotPresent'],
    [`nginx:latest@${DIGEST}`, 'Always'],
    ['registry.k8s.io/pause:3.9', 'IfNotPresent'],
    ['localhost:5000/app', 'Always'],
    ['localhost:5000/app:v1', 'IfNotPresent'],
    ['docker.io/library/busybox', 'Always'],
    ['[::1]:5000/app:latest', 'Always'],
    ['', 'IfNotPresent'],
    ['NGINX', 'IfNotPresent'],
    ['nginx:', 'IfNotPresent'],
    ['nginx@sha256:abc', 'IfNotPresent'],
    ['a'.repeat(64), 'IfNotPresent'],
  ];
  for (const [image, want] of cases) assert.equal(defaultPullPolicy(image), want, image);
});

test('parseImageReference splits name, tag and digest', () => {
  assert.deepEqual(parseImageReference('quay.io/org/app:v2'), { name: 'quay.io/org/app', tag: 'v2', digest: '' });
  assert.deepEqual(parseImageReference('Registry.Example.com/app'), { name: 'Registry.Example.com/app', tag: '', digest: '' });
  assert.equal(parseImageReference('Foo/Bar'), undefined);
});
