// Tests for the conversion entry points: storage versions, identity re-labelling, lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convert, hasConversion, storageVersionOf } from './index.ts';

test('storage versions of the resources served in several versions', () => {
  assert.equal(storageVersionOf('autoscaling', 'horizontalpodautoscalers'), 'autoscaling/v2');
  assert.equal(storageVersionOf('events.k8s.io', 'events'), 'v1');
  assert.equal(storageVersionOf('', 'events'), 'v1');
  assert.equal(storageVersionOf('apps', 'deployments'), undefined);
});

test('same version or no known conversion: a re-labelled copy', () => {
  const cm = Object.freeze({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } });
  const same = convert(cm, 'v1');
  assert.notEqual(same, cm);
  assert.deepEqual(same, cm);
  assert.deepEqual(convert(cm, 'v2'), { ...cm, apiVersion: 'v2' });
  assert.equal(hasConversion('autoscaling/v2', 'autoscaling/v1', 'HorizontalPodAutoscaler'), true);
  assert.equal(hasConversion('v1', 'v1', 'ConfigMap'), false);
});

test('a list has each item converted; items without type meta stay without it', () => {
  const list = {
    apiVersion: 'v1',
    kind: 'EventList',
    metadata: { resourceVersion: '10' },
    items: [
      { metadata: { name: 'a', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'p' }, message: 'hi', reportingComponent: '', reportingInstance: '' },
    ],
  };
  const out = convert(list, 'events.k8s.io/v1');
  assert.equal(out.apiVersion, 'events.k8s.io/v1');
  assert.deepEqual(out.metadata, { resourceVersion: '10' });
  assert.deepEqual(out.items[0], {
    metadata: { name: 'a', namespace: 'default' },
    eventTime: null,
    regarding: { kind: 'Pod', name: 'p' },
    note: 'hi',
    deprecatedSource: {},
    deprecatedFirstTimestamp: null,
    deprecatedLastTimestamp: null,
  });
});

test('a v2 → v1 → v2 round trip of a current-metrics HPA is lossless', () => {
  const hpa = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 1,
      maxReplicas: 10,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
    },
    status: {
      currentReplicas: 1,
      desiredReplicas: 1,
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageValue: '5m', averageUtilization: 10 } } }],
    },
  };
  assert.deepEqual(convert(convert(hpa, 'autoscaling/v1'), 'autoscaling/v2'), convert(hpa, 'autoscaling/v2'));
});
