// Tests for storage, RBAC, scheduling, admissionregistration, flowcontrol, apiextensions and DRA defaulting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from './index.ts';

test('StorageClass: reclaimPolicy Delete, volumeBindingMode Immediate', () => {
  const sc: any = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fast' }, provisioner: 'skiff.dev/local' };
  applyDefaults(sc);
  assert.equal(sc.reclaimPolicy, 'Delete');
  assert.equal(sc.volumeBindingMode, 'Immediate');
  assert.equal(sc.allowVolumeExpansion, undefined);
  const wait: any = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', reclaimPolicy: 'Retain', volumeBindingMode: 'WaitForFirstConsumer' };
  applyDefaults(wait);
  assert.equal(wait.reclaimPolicy, 'Retain');
  assert.equal(wait.volumeBindingMode, 'WaitForFirstConsumer');
});

test('CSIDriver: documented spec defaults', () => {
  const d: any = { apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: { name: 'x.csi' }, spec: { attachRequired: false } };
  applyDefaults(d);
  assert.deepEqual(d.spec, {
    attachRequired: false,
    podInfoOnMount: false,
    storageCapacity: false,
    fsGroupPolicy: 'ReadWriteOnceWithFSType',
    volumeLifecycleModes: ['Persistent'],
    requiresRepublish: false,
    seLinuxMount: false,
  });
});

test('VolumeAttachment: inline PV source defaults only', () => {
  const va: any = {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'VolumeAttachment',
    spec: { attacher: 'a', nodeName: 'n', source: { inlineVolumeSpec: { hostPath: { path: '/x' } } } },
  };
  applyDefaults(va);
  assert.deepEqual(va.spec.source.inlineVolumeSpec, { hostPath: { path: '/x', type: '' } });
});

test('RBAC: roleRef and User/Group subjects get the rbac apiGroup; ServiceAccount none', () => {
  for (const kind of ['RoleBinding', 'ClusterRoleBinding']) {
    const rb: any = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind,
      roleRef: { kind: 'ClusterRole', name: 'view' },
      subjects: [
        { kind: 'User', name: 'alice' },
        { kind: 'Group', name: 'devs' },
        { kind: 'ServiceAccount', name: 'default', namespace: 'default' },
      ],
    };
    applyDefaults(rb);
    assert.deepEqual(rb.roleRef, { kind: 'ClusterRole', name: 'view', apiGroup: 'rbac.authorization.k8s.io' });
    assert.deepEqual(rb.subjects, [
      { kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'Group', name: 'devs', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'ServiceAccount', name: 'default', namespace: 'default' },
    ]);
  }
});

test('PriorityClass: preemptionPolicy PreemptLowerPriority', () => {
  const pc: any = { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', value: 1000 };
  applyDefaults(pc);
  assert.equal(pc.preemptionPolicy, 'PreemptLowerPriority');
  assert.equal(pc.globalDefault, undefined);
});

test('webhook configurations: v1 defaults', () => {
  const m: any = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    webhooks: [
      {
        name: 'w.example.com',
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        clientConfig: { service: { namespace: 'ns', name: 'svc' } },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
      },
    ],
  };
  applyDefaults(m);
  assert.deepEqual(m.webhooks[0], {
    name: 'w.example.com',
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    clientConfig: { service: { namespace: 'ns', name: 'svc', port: 443 } },
    rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: '*' }],
    failurePolicy: 'Fail',
    matchPolicy: 'Equivalent',
    namespaceSelector: {},
    objectSelector: {},
    timeoutSeconds: 10,
    reinvocationPolicy: 'Never',
  });
  const v: any = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', webhooks: [{ name: 'v' }] };
  applyDefaults(v);
  assert.equal(v.webhooks[0].reinvocationPolicy, undefined);
  assert.equal(v.webhooks[0].timeoutSeconds, 10);
});

test('ValidatingAdmissionPolicy and binding', () => {
  const p: any = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', spec: { matchConstraints: { resourceRules: [{ resources: ['pods'] }] } } };
  applyDefaults(p);
  assert.equal(p.spec.failurePolicy, 'Fail');
  assert.deepEqual(p.spec.matchConstraints, { resourceRules: [{ resources: ['pods'], scope: '*' }], matchPolicy: 'Equivalent', namespaceSelector: {}, objectSelector: {} });
  const b: any = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', spec: { policyName: 'p' } };
  applyDefaults(b);
  assert.deepEqual(b.spec, { policyName: 'p' });
});

test('flowcontrol: FlowSchema precedence and PriorityLevelConfiguration limited/queuing', () => {
  const fs: any = { apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kind: 'FlowSchema', spec: { priorityLevelConfiguration: { name: 'x' } } };
  applyDefaults(fs);
  assert.equal(fs.spec.matchingPrecedence, 1000);
  const plc: any = {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
    kind: 'PriorityLevelConfiguration',
    spec: { type: 'Limited', limited: { limitResponse: { type: 'Queue', queuing: {} } } },
  };
  applyDefaults(plc);
  assert.deepEqual(plc.spec.limited, {
    limitResponse: { type: 'Queue', queuing: { handSize: 8, queues: 64, queueLengthLimit: 50 } },
    nominalConcurrencyShares: 30,
    lendablePercent: 0,
  });
  const zero: any = { apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kind: 'PriorityLevelConfiguration', spec: { limited: { nominalConcurrencyShares: 0 } } };
  applyDefaults(zero);
  assert.equal(zero.spec.limited.nominalConcurrencyShares, 0);
});

test('CustomResourceDefinition: names, conversion None, storedVersions', () => {
  const crd: any = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    spec: {
      group: 'example.com',
      names: { kind: 'Widget', plural: 'widgets' },
      scope: 'Namespaced',
      versions: [{ name: 'v1beta1', served: true, storage: false }, { name: 'v1', served: true, storage: true }],
    },
  };
  applyDefaults(crd);
  assert.deepEqual(crd.spec.names, { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' });
  assert.deepEqual(crd.spec.conversion, { strategy: 'None' });
  assert.deepEqual(crd.status, { storedVersions: ['v1'] });
});

test('DRA ResourceClaim: ExactCount, count 1, toleration operator Equal', () => {
  const rc: any = {
    apiVersion: 'resource.k8s.io/v1',
    kind: 'ResourceClaim',
    spec: {
      devices: {
        requests: [
          { name: 'gpu', exactly: { deviceClassName: 'gpu', tolerations: [{ key: 'k' }] } },
          { name: 'any', firstAvailable: [{ name: 'a', deviceClassName: 'x', allocationMode: 'All' }] },
        ],
      },
    },
  };
  applyDefaults(rc);
  assert.deepEqual(rc.spec.devices.requests[0].exactly, { deviceClassName: 'gpu', tolerations: [{ key: 'k', operator: 'Equal' }], allocationMode: 'ExactCount', count: 1 });
  assert.deepEqual(rc.spec.devices.requests[1].firstAvailable[0], { name: 'a', deviceClassName: 'x', allocationMode: 'All' });
});

test('kinds without defaults are untouched', () => {
  const cases: any[] = [
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', spec: { minAvailable: 1, selector: {} } },
    { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', spec: { holderIdentity: 'x' } },
    { apiVersion: 'events.k8s.io/v1', kind: 'Event', reason: 'X', eventTime: null },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', rules: [{ verbs: ['get'], resources: ['pods'], apiGroups: [''] }] },
    { apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', spec: { request: 'eA==', signerName: 'x/y', usages: ['digital signature'] } },
    { apiVersion: 'example.com/v1', kind: 'Widget', spec: { replicas: null } },
  ];
  for (const o of cases) {
    const before = structuredClone(o);
    applyDefaults(o);
    assert.deepEqual(o, before, o.kind);
  }
});
