// Checks the built-in API catalog against facts from upstream kube-apiserver 1.32 discovery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  builtinResources,
  compareVersions,
  findKind,
  findResource,
  groupVersion,
  preferredVersions,
} from './resources.ts';

test('short names match kubectl api-resources', () => {
  const expect: Record<string, string[]> = {
    pods: ['po'],
    services: ['svc'],
    deployments: ['deploy'],
    replicasets: ['rs'],
    statefulsets: ['sts'],
    daemonsets: ['ds'],
    cronjobs: ['cj'],
    horizontalpodautoscalers: ['hpa'],
    poddisruptionbudgets: ['pdb'],
    ingresses: ['ing'],
    networkpolicies: ['netpol'],
    serviceaccounts: ['sa'],
    namespaces: ['ns'],
    nodes: ['no'],
    persistentvolumes: ['pv'],
    persistentvolumeclaims: ['pvc'],
    configmaps: ['cm'],
    endpoints: ['ep'],
    events: ['ev'],
    limitranges: ['limits'],
    resourcequotas: ['quota'],
    replicationcontrollers: ['rc'],
    priorityclasses: ['pc'],
    certificatesigningrequests: ['csr'],
    storageclasses: ['sc'],
    customresourcedefinitions: ['crd', 'crds'],
  };
  for (const [resource, shortNames] of Object.entries(expect)) {
    for (const r of builtinResources.filter((x) => x.resource === resource)) {
      assert.deepEqual(r.shortNames, shortNames, `${groupVersion(r)} ${resource}`);
    }
  }
  assert.equal(findResource('', 'v1', 'secrets')?.shortNames, undefined);
});

test('category all is exactly what kubectl get all lists', () => {
  const all = builtinResources.filter((r) => r.categories?.includes('all')).map((r) => `${groupVersion(r)}/${r.resource}`);
  assert.deepEqual(all.sort(), [
    'apps/v1/daemonsets',
    'apps/v1/deployments',
    'apps/v1/replicasets',
    'apps/v1/statefulsets',
    'autoscaling/v1/horizontalpodautoscalers',
    'autoscaling/v2/horizontalpodautoscalers',
    'batch/v1/cronjobs',
    'batch/v1/jobs',
    'v1/pods',
    'v1/replicationcontrollers',
    'v1/services',
  ]);
});

test('verbs as upstream', () => {
  assert.deepEqual(findResource('', 'v1', 'bindings')?.verbs, ['create']);
  assert.deepEqual(findResource('authentication.k8s.io', 'v1', 'tokenreviews')?.verbs, ['create']);
  assert.deepEqual(findResource('authorization.k8s.io', 'v1', 'localsubjectaccessreviews')?.namespaced, true);
  assert.deepEqual(findResource('', 'v1', 'events')?.verbs, [
    'create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch',
  ]);
  assert.ok(!findResource('', 'v1', 'namespaces')?.verbs.includes('deletecollection'));
  assert.equal(findResource('', 'v1', 'componentstatuses'), undefined);
});

test('subresources carry their own kinds', () => {
  const pods = findResource('', 'v1', 'pods')!;
  const eviction = pods.subresources!.find((s) => s.name === 'eviction')!;
  assert.deepEqual(eviction, { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] });
  const scale = findResource('apps', 'v1', 'deployments')!.subresources!.find((s) => s.name === 'scale')!;
  assert.equal(scale.kind, 'Scale');
  assert.equal(scale.group, 'autoscaling');
  const token = findResource('', 'v1', 'serviceaccounts')!.subresources!.find((s) => s.name === 'token')!;
  assert.equal(token.kind, 'TokenRequest');
  assert.equal(token.group, 'authentication.k8s.io');
  assert.deepEqual(pods.subresources!.find((s) => s.name === 'log')!.verbs, ['get']);
});

test('lookups by kind and resource', () => {
  assert.equal(findKind('apps/v1', 'Deployment')?.resource, 'deployments');
  assert.equal(findKind('v1', 'Endpoints')?.singular, 'endpoints');
  assert.equal(findKind('v1', 'Pod')?.listKind, 'PodList');
  assert.equal(findKind('events.k8s.io/v1', 'Event')?.group, 'events.k8s.io');
  assert.equal(findKind('apps/v1', 'Pod'), undefined);
  assert.equal(groupVersion({ group: '', version: 'v1' }), 'v1');
  assert.equal(groupVersion({ group: 'apps', version: 'v1' }), 'apps/v1');
});

test('preferred versions and not-yet-served groups', () => {
  assert.equal(preferredVersions.autoscaling, 'v2');
  assert.equal(preferredVersions[''], 'v1');
  assert.equal(preferredVersions.apps, 'v1');
  assert.equal(findResource('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')?.served, false);
  assert.equal(findResource('', 'v1', 'pods')?.served, undefined);
  assert.deepEqual(['v1beta1', 'v1', 'v2', 'v1alpha1', 'v2beta2'].sort(compareVersions), ['v2', 'v1', 'v2beta2', 'v1beta1', 'v1alpha1']);
});
