// Tests for applyDefaults dispatch, list handling and idempotence over every defaulted kind
// (the apiserver re-runs defaulting on every read from storage, so twice must equal once).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, applyDefaultsAs, defaultedKinds, defaulterFor } from './index.ts';

const podSpec = () => ({
  hostNetwork: true,
  initContainers: [{ name: 'init', image: 'busybox', resources: { limits: { cpu: '100m' } } }],
  containers: [
    {
      name: 'web',
      image: 'nginx',
      ports: [{ containerPort: 80 }],
      env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
      resources: { limits: { cpu: '1', memory: '1Gi' } },
      livenessProbe: { httpGet: { port: 80 } },
      lifecycle: { preStop: { httpGet: { port: 80 } } },
    },
  ],
  volumes: [{ name: 'a' }, { name: 'b', secret: { secretName: 's' } }, { name: 'c', projected: { sources: [{ serviceAccountToken: { path: 't' } }] } }],
  resources: { requests: { cpu: '1' } },
});
const template = () => ({ metadata: { labels: { app: 'x' } }, spec: podSpec() });

function fixtures(): any[] {
  return [
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: podSpec() },
    { apiVersion: 'v1', kind: 'PodTemplate', template: template() },
    { apiVersion: 'v1', kind: 'ReplicationController', spec: { template: template() } },
    { apiVersion: 'v1', kind: 'Service', spec: { type: 'LoadBalancer', ports: [{ port: 80 }] }, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } } },
    { apiVersion: 'v1', kind: 'Service', spec: { sessionAffinity: 'ClientIP', ports: [{ port: 80, targetPort: '' }] } },
    { apiVersion: 'v1', kind: 'Endpoints', subsets: [{ ports: [{ port: 1 }] }] },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } },
    { apiVersion: 'v1', kind: 'Node', status: { capacity: { cpu: '2' } } },
    { apiVersion: 'v1', kind: 'PersistentVolume', spec: { rbd: { monitors: ['m'], image: 'i' }, capacity: { storage: '1Gi' } } },
    { apiVersion: 'v1', kind: 'PersistentVolumeClaim', spec: { resources: { requests: { storage: '1Gi' } } } },
    { apiVersion: 'v1', kind: 'Secret' },
    { apiVersion: 'v1', kind: 'LimitRange', spec: { limits: [{ type: 'Container', max: { cpu: '1' }, min: { memory: '1Mi' } }] } },
    { apiVersion: 'v1', kind: 'ResourceQuota', spec: { hard: { pods: '10', 'requests.cpu': '0.5' } } },
    { apiVersion: 'apps/v1', kind: 'Deployment', spec: { template: template() } },
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', spec: { template: template() } },
    { apiVersion: 'apps/v1', kind: 'StatefulSet', spec: { template: template(), volumeClaimTemplates: [{ spec: {} }] } },
    { apiVersion: 'apps/v1', kind: 'DaemonSet', spec: { template: template() } },
    { apiVersion: 'batch/v1', kind: 'Job', spec: { template: template(), podFailurePolicy: { rules: [{ onPodConditions: [{ type: 'X' }] }] } } },
    { apiVersion: 'batch/v1', kind: 'CronJob', spec: { jobTemplate: { spec: { template: template() } } } },
    { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', spec: { behavior: { scaleUp: { policies: [] } } } },
    { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', spec: {} },
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', spec: { egress: [{ ports: [{}] }] } },
    { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', spec: { parameters: { kind: 'K', name: 'n' } } },
    { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', ports: [{}] },
    { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass' },
    { apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver' },
    { apiVersion: 'storage.k8s.io/v1', kind: 'VolumeAttachment', spec: { source: { inlineVolumeSpec: { azureDisk: {} } } } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', roleRef: {}, subjects: [{ kind: 'User' }] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', roleRef: {}, subjects: [{ kind: 'Group' }] },
    { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', value: 1 },
    { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', webhooks: [{ rules: [{}] }] },
    { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', webhooks: [{ clientConfig: { service: {} } }] },
    { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', spec: { matchConstraints: {} } },
    { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', spec: { matchResources: {} } },
    { apiVersion: 'admissionregistration.k8s.io/v1beta1', kind: 'MutatingAdmissionPolicy', spec: {} },
    { apiVersion: 'admissionregistration.k8s.io/v1beta1', kind: 'MutatingAdmissionPolicyBinding', spec: { matchResources: {} } },
    { apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kind: 'FlowSchema', spec: {} },
    { apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kind: 'PriorityLevelConfiguration', spec: { limited: {}, exempt: {} } },
    { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', spec: { names: { kind: 'W' }, versions: [{ name: 'v1', storage: true }] } },
    { apiVersion: 'resource.k8s.io/v1', kind: 'ResourceClaim', spec: { devices: { requests: [{ exactly: {} }] } } },
    { apiVersion: 'resource.k8s.io/v1', kind: 'ResourceClaimTemplate', spec: { spec: { devices: { requests: [{ firstAvailable: [{}] }] } } } },
  ];
}

test('every defaulted kind has an idempotence fixture', () => {
  const covered = new Set(fixtures().map((o) => `${o.apiVersion}/${o.kind}`));
  for (const k of defaultedKinds()) assert.ok(covered.has(k), `no fixture for ${k}`);
});

test('applyDefaults is idempotent for every kind', () => {
  for (const obj of fixtures()) {
    const before = structuredClone(obj);
    applyDefaults(obj);
    assert.notDeepEqual(obj, before, `${obj.kind}: nothing defaulted`);
    const once = structuredClone(obj);
    applyDefaults(obj);
    assert.deepEqual(obj, once, `${obj.apiVersion}/${obj.kind}`);
  }
});

test('idempotent after a JSON round trip (what storage does)', () => {
  for (const obj of fixtures()) {
    applyDefaults(obj);
    const stored = JSON.parse(JSON.stringify(obj));
    applyDefaults(stored);
    assert.deepEqual(stored, JSON.parse(JSON.stringify(obj)), `${obj.apiVersion}/${obj.kind}`);
  }
});

test('dispatch is on apiVersion + kind; unknown or malformed objects are untouched', () => {
  assert.equal(defaulterFor('apps/v1', 'Deployment') !== undefined, true);
  assert.equal(defaulterFor('extensions/v1beta1', 'Deployment'), undefined);
  const wrongVersion: any = { apiVersion: 'apps/v1beta2', kind: 'Deployment', spec: {} };
  applyDefaults(wrongVersion);
  assert.deepEqual(wrongVersion.spec, {});
  for (const v of [null, undefined, 1, 'x', [], {}, { kind: 'Pod' }]) applyDefaults(v as any);
});

test('lists: typed list items without kind and v1 List items with kind', () => {
  const podList: any = { apiVersion: 'v1', kind: 'PodList', items: [{ metadata: { name: 'a' }, spec: { containers: [{ name: 'c', image: 'x' }] } }] };
  applyDefaults(podList);
  assert.equal(podList.items[0].spec.restartPolicy, 'Always');
  assert.equal(podList.items[0].kind, undefined);

  const list: any = { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Secret' }, { apiVersion: 'apps/v1', kind: 'Deployment', spec: {} }] };
  applyDefaults(list);
  assert.equal(list.items[0].type, 'Opaque');
  assert.equal(list.items[1].spec.replicas, 1);

  const bare: any = { spec: {} };
  applyDefaultsAs(bare, 'apps/v1', 'StatefulSet');
  assert.equal(bare.spec.podManagementPolicy, 'OrderedReady');
});
