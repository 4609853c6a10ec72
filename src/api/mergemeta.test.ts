// Tests for the built-in types' merge metadata (SMP patchStrategy/patchMergeKey, SSA list types).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { builtinKinds, goTypeName, isAtomicType, lookupField, typeFields, typeForGVK, typeForObject } from './mergemeta.ts';

test('root types of built-in kinds', () => {
  assert.equal(typeForGVK('', 'v1', 'Pod'), 'V1Pod');
  assert.equal(typeForGVK('apps', 'v1', 'Deployment'), 'V1Deployment');
  assert.equal(typeForGVK('', 'v1', 'Event'), 'CoreV1Event');
  assert.equal(typeForGVK('events.k8s.io', 'v1', 'Event'), 'EventsV1Event');
  assert.equal(typeForGVK('autoscaling', 'v2', 'HorizontalPodAutoscaler'), 'V2HorizontalPodAutoscaler');
  assert.equal(typeForGVK('resource.k8s.io', 'v1', 'ResourceClaim'), 'ResourceV1ResourceClaim');
  assert.equal(typeForObject('rbac.authorization.k8s.io/v1', 'ClusterRole'), 'V1ClusterRole');
  assert.equal(typeForObject('v1', 'ConfigMap'), 'V1ConfigMap');
  assert.equal(typeForGVK('example.com', 'v1', 'Widget'), undefined);
  for (const k of builtinKinds) assert.ok(typeFields(k.type)?.has('metadata'), k.kind);
  const groups = new Set(builtinKinds.map((k) => `${k.group}/${k.version}`));
  for (const gv of ['/v1', 'apps/v1', 'batch/v1', 'autoscaling/v1', 'autoscaling/v2', 'policy/v1', 'networking.k8s.io/v1', 'rbac.authorization.k8s.io/v1',
    'storage.k8s.io/v1', 'coordination.k8s.io/v1', 'discovery.k8s.io/v1', 'scheduling.k8s.io/v1', 'certificates.k8s.io/v1', 'events.k8s.io/v1']) {
    assert.ok(groups.has(gv), gv);
  }
});

test('navigating Pod.spec → containers → ports with strategies and keys', () => {
  const spec = lookupField('V1Pod', 'spec')!;
  assert.equal(spec.fieldType, 'V1PodSpec');
  const containers = lookupField(spec.fieldType!, 'containers')!;
  assert.deepEqual(
    { s: containers.patchStrategy, k: containers.patchMergeKey, lt: containers.listType, lk: containers.listMapKeys, t: containers.fieldType },
    { s: 'merge', k: 'name', lt: 'map', lk: ['name'], t: 'V1Container' },
  );
  const ports = lookupField('V1Container', 'ports')!;
  assert.equal(ports.patchMergeKey, 'containerPort');
  assert.deepEqual(ports.listMapKeys, ['containerPort', 'protocol']);
  assert.deepEqual(ports.listMapKeyDefaults, { protocol: 'TCP' });
  assert.equal(lookupField('V1ContainerPort', 'containerPort')?.type.kind, 'scalar');
  // ephemeral containers inherit EphemeralContainerCommon's markers
  assert.equal(lookupField('V1EphemeralContainer', 'env')?.patchMergeKey, 'name');
  assert.equal(lookupField('V1PodSpec', 'volumes')?.patchStrategy, 'merge,retainKeys');
  assert.equal(lookupField('V1PodSpec', 'tolerations')?.listType, 'atomic');
  assert.equal(lookupField('V1PodSpec', 'tolerations')?.patchStrategy, undefined);
  assert.equal(lookupField('V1PodSpec', 'nodeSelector')?.mapType, 'atomic');
  assert.deepEqual(lookupField('V1PodSpec', 'nodeSelector')?.type, { kind: 'map', elem: { kind: 'scalar', name: 'string' } });
  assert.equal(lookupField('V1DeploymentSpec', 'strategy')?.patchStrategy, 'retainKeys');
  assert.equal(lookupField('V1PodDisruptionBudgetSpec', 'selector')?.patchStrategy, 'replace');
  assert.equal(lookupField('V1ObjectMeta', 'finalizers')?.listType, 'set');
  assert.equal(lookupField('V1PodSpec', 'nope'), undefined);
});

test('atomic struct types and Go names', () => {
  assert.ok(isAtomicType('V1LabelSelector'));
  assert.ok(isAtomicType('V1OwnerReference'));
  assert.ok(!isAtomicType('V1PodSpec'));
  assert.equal(goTypeName('V1PodSpec'), 'PodSpec');
  assert.equal(goTypeName('CoreV1Event'), 'Event');
});
