// Tests for ResourceList rounding/canonical quantities as the apiserver returns them, across kinds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from './index.ts';
import { addQuantities, cmpQuantities, roundResourceList, roundedQuantity } from './quantities.ts';

test('quantities round up to milli precision and come back canonical', () => {
  const cases: Array<[unknown, string]> = [
    ['0.5', '500m'],
    ['1.5', '1500m'],
    ['1.5Gi', '1536Mi'],
    ['1000m', '1'],
    ['1024Mi', '1Gi'],
    ['0.0001', '1m'],
    [1, '1'],
    [0.25, '250m'],
    ['128974848', '128974848'],
    ['1e3', '1e3'],
  ];
  for (const [input, want] of cases) assert.equal(roundedQuantity(input), want, String(input));
  assert.equal(roundedQuantity('lots'), undefined);
  const list: any = { cpu: '0.5', memory: 'bogus' };
  roundResourceList(list);
  assert.deepEqual(list, { cpu: '500m', memory: 'bogus' });
  assert.equal(addQuantities('500m', '1'), '1500m');
  assert.equal(cmpQuantities('1Gi', '1024Mi'), 0);
  assert.equal(cmpQuantities('1', '999m'), 1);
});

test('Pod container resources are canonical; requests copied from limits too', () => {
  const pod: any = {
    apiVersion: 'v1',
    kind: 'Pod',
    spec: { containers: [{ name: 'c', image: 'x', resources: { limits: { cpu: 0.5, memory: '1024Mi' }, requests: { cpu: '0.0001' } } }], overhead: { cpu: '0.1' } },
  };
  applyDefaults(pod);
  assert.deepEqual(pod.spec.containers[0].resources, { limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '1m', memory: '1Gi' } });
  assert.deepEqual(pod.spec.overhead, { cpu: '100m' });
});

test('templates, PVC, PV, Node, LimitRange and ResourceQuota quantities are canonical', () => {
  const d: any = { apiVersion: 'apps/v1', kind: 'Deployment', spec: { template: { spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '1.5' } } }] } } } };
  applyDefaults(d);
  assert.equal(d.spec.template.spec.containers[0].resources.requests.cpu, '1500m');
  const pvc: any = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', spec: { resources: { requests: { storage: '1024Mi' } } } };
  applyDefaults(pvc);
  assert.equal(pvc.spec.resources.requests.storage, '1Gi');
  const pv: any = { apiVersion: 'v1', kind: 'PersistentVolume', spec: { capacity: { storage: '2048Mi' } } };
  applyDefaults(pv);
  assert.equal(pv.spec.capacity.storage, '2Gi');
  const node: any = { apiVersion: 'v1', kind: 'Node', status: { capacity: { memory: '4096Mi', cpu: '4' } } };
  applyDefaults(node);
  assert.deepEqual(node.status.allocatable, { memory: '4Gi', cpu: '4' });
  const lr: any = { apiVersion: 'v1', kind: 'LimitRange', spec: { limits: [{ type: 'Container', max: { cpu: '0.5' } }] } };
  applyDefaults(lr);
  assert.deepEqual(lr.spec.limits[0], { type: 'Container', max: { cpu: '500m' }, default: { cpu: '500m' }, defaultRequest: { cpu: '500m' } });
  const rq: any = { apiVersion: 'v1', kind: 'ResourceQuota', spec: { hard: { 'requests.memory': '1024Mi', pods: '10' } } };
  applyDefaults(rq);
  assert.deepEqual(rq.spec.hard, { 'requests.memory': '1Gi', pods: '10' });
});

test('pod-level resources: aggregated container requests, limits only when every container has one', () => {
  const pod: any = {
    apiVersion: 'v1',
    kind: 'Pod',
    spec: {
      resources: { requests: { cpu: '1' } },
      containers: [
        { name: 'a', image: 'x', resources: { limits: { cpu: '500m', memory: '256Mi' } } },
        { name: 'b', image: 'x', resources: { limits: { cpu: '1' } } },
      ],
    },
  };
  applyDefaults(pod);
  // cpu limit = 1.5 (all containers have one); memory limit not set (b has none);
  // then the requests rule fills memory from the aggregated container requests (requests-from-limits).
  assert.deepEqual(pod.spec.resources, { requests: { cpu: '1', memory: '256Mi' }, limits: { cpu: '1500m' } });
});
