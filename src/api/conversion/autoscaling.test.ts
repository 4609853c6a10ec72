// Tests for HorizontalPodAutoscaler autoscaling/v1 <-> autoscaling/v2 conversion and its round-trip annotations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convert } from './index.ts';
import {
  BEHAVIOR_SPECS_ANNOTATION,
  CONDITIONS_ANNOTATION,
  METRIC_SPECS_ANNOTATION,
  METRIC_STATUSES_ANNOTATION,
} from './autoscaling.ts';

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

const meta = {
  name: 'web',
  namespace: 'default',
  uid: '5b0d1c2e-8f3a-4c55-9a0e-2f4d9c6b7a11',
  resourceVersion: '4711',
  creationTimestamp: '2024-05-01T10:00:00Z',
};

const conditions = [
  {
    type: 'AbleToScale',
    status: 'True',
    lastTransitionTime: '2024-05-01T10:00:15Z',
    reason: 'ReadyForNewScale',
    message: 'recommended size matches current size',
  },
  {
    type: 'ScalingActive',
    status: 'True',
    lastTransitionTime: '2024-05-01T10:00:15Z',
    reason: 'ValidMetricFound',
    message: 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)',
  },
  {
    type: 'ScalingLimited',
    status: 'False',
    lastTransitionTime: '2024-05-01T10:00:15Z',
    reason: 'DesiredWithinRange',
    message: 'the desired count is within the acceptable range',
  },
];

/** `kubectl autoscale deployment web --cpu-percent=50 --min=2 --max=10`, after the controller ran. */
const cpuV2 = {
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: meta,
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    minReplicas: 2,
    maxReplicas: 10,
    metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
  },
  status: {
    currentReplicas: 2,
    desiredReplicas: 2,
    currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageValue: '6m', averageUtilization: 12 } } }],
    conditions,
  },
};

/** A v2 HPA on memory (AverageValue) and cpu, with behavior (as defaulted) and conditions. */
const memV2 = {
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { ...meta, name: 'api', annotations: { 'team.example.com/owner': 'payments' } },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
    minReplicas: 1,
    maxReplicas: 5,
    metrics: [
      { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } },
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
    ],
    behavior: {
      scaleUp: {
        stabilizationWindowSeconds: 0,
        selectPolicy: 'Max',
        policies: [
          { type: 'Pods', value: 4, periodSeconds: 15 },
          { type: 'Percent', value: 100, periodSeconds: 15 },
        ],
      },
      scaleDown: {
        stabilizationWindowSeconds: 120,
        selectPolicy: 'Max',
        policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }],
      },
    },
  },
  status: {
    observedGeneration: 1,
    lastScaleTime: '2024-05-01T10:05:00Z',
    currentReplicas: 3,
    desiredReplicas: 3,
    currentMetrics: [
      { type: 'Resource', resource: { name: 'memory', current: { averageValue: '412Mi' } } },
      { type: 'Resource', resource: { name: 'cpu', current: { averageValue: '140m', averageUtilization: 56 } } },
    ],
    conditions,
  },
};

test('v2 → v1: the cpu target and current utilization map to the v1 fields; the rest goes to annotations', () => {
  const v1 = convert(deepFreeze(structuredClone(cpuV2)), 'autoscaling/v1');
  assert.equal(v1.apiVersion, 'autoscaling/v1');
  assert.equal(v1.kind, 'HorizontalPodAutoscaler');
  assert.deepEqual(v1.spec, {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    minReplicas: 2,
    maxReplicas: 10,
    targetCPUUtilizationPercentage: 50,
  });
  assert.deepEqual(v1.status, { currentReplicas: 2, desiredReplicas: 2, currentCPUUtilizationPercentage: 12 });
  const ann = v1.metadata.annotations;
  // Only the cpu utilization metric: no metrics annotation. The raw statuses are always kept.
  assert.equal(ann[METRIC_SPECS_ANNOTATION], undefined);
  assert.equal(
    ann[METRIC_STATUSES_ANNOTATION],
    '[{"type":"Resource","resource":{"name":"cpu","currentAverageUtilization":12,"currentAverageValue":"6m"}}]',
  );
  assert.deepEqual(JSON.parse(ann[CONDITIONS_ANNOTATION]), conditions);
  assert.equal(ann[BEHAVIOR_SPECS_ANNOTATION], undefined);
});

test('v2 → v1 → v2 gives back the same cpu HPA', () => {
  const v1 = convert(cpuV2, 'autoscaling/v1');
  assert.deepEqual(convert(v1, 'autoscaling/v2'), cpuV2);
});

test('v2 → v1: memory metric in v1 shape, behavior as Go marshals the internal type', () => {
  const v1 = convert(deepFreeze(structuredClone(memV2)), 'autoscaling/v1');
  assert.equal(v1.spec.targetCPUUtilizationPercentage, 70);
  assert.equal(v1.status.currentCPUUtilizationPercentage, 56);
  const ann = v1.metadata.annotations;
  assert.equal(ann['team.example.com/owner'], 'payments');
  assert.equal(ann[METRIC_SPECS_ANNOTATION], '[{"type":"Resource","resource":{"name":"memory","targetAverageValue":"500Mi"}}]');
  assert.equal(
    ann[METRIC_STATUSES_ANNOTATION],
    '[{"type":"Resource","resource":{"name":"memory","currentAverageValue":"412Mi"}},' +
      '{"type":"Resource","resource":{"name":"cpu","currentAverageUtilization":56,"currentAverageValue":"140m"}}]',
  );
  assert.equal(
    ann[BEHAVIOR_SPECS_ANNOTATION],
    '{"ScaleUp":{"StabilizationWindowSeconds":0,"SelectPolicy":"Max","Policies":[{"Type":"Pods","Value":4,"PeriodSeconds":15},' +
      '{"Type":"Percent","Value":100,"PeriodSeconds":15}],"Tolerance":null},' +
      '"ScaleDown":{"StabilizationWindowSeconds":120,"SelectPolicy":"Max","Policies":[{"Type":"Percent","Value":10,"PeriodSeconds":60}],"Tolerance":null}}',
  );
});

test('v2 → v1 → v2 gives back memory metric, behavior and conditions (cpu metric last, as upstream orders it)', () => {
  const v1 = convert(memV2, 'autoscaling/v1');
  const back = convert(v1, 'autoscaling/v2');
  assert.deepEqual(back, memV2);
  // The v2 object carries none of the round-trip annotations.
  assert.deepEqual(back.metadata.annotations, { 'team.example.com/owner': 'payments' });
});

test('v1 → v2 → v1 is stable, annotations included', () => {
  const v1 = convert(memV2, 'autoscaling/v1');
  assert.deepEqual(convert(convert(v1, 'autoscaling/v2'), 'autoscaling/v1'), v1);
  // A plain v1 object as kube-apiserver serves it (no annotations needed when only cpu is known).
  const plain = {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: meta,
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 4, targetCPUUtilizationPercentage: 60 },
    status: { currentReplicas: 0, desiredReplicas: 0 },
  };
  const v2 = convert(plain, 'autoscaling/v2');
  assert.deepEqual(v2.status, { desiredReplicas: 0, currentMetrics: null });
  assert.deepEqual(convert(v2, 'autoscaling/v1'), plain);
});

test('v1 without a cpu target: conversion applies the 80% default, which then reads back in v1', () => {
  const v1 = {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'default' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 3 },
  };
  const v2 = convert(v1, 'autoscaling/v2');
  assert.deepEqual(v2.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
  assert.equal(convert(v2, 'autoscaling/v1').spec.targetCPUUtilizationPercentage, 80);
  // No default when the annotation holds other metrics.
  const withMem = {
    ...v1,
    metadata: { ...v1.metadata, annotations: { [METRIC_SPECS_ANNOTATION]: '[{"type":"Resource","resource":{"name":"memory","targetAverageUtilization":60}}]' } },
  };
  const v2m = convert(withMem, 'autoscaling/v2');
  assert.deepEqual(v2m.spec.metrics, [{ type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 60 } } }]);
  assert.equal(v2m.metadata.annotations, undefined);
});

test('v1 → v2: the current-metrics annotation replaces currentCPUUtilizationPercentage', () => {
  const v1 = {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: {
      name: 'web',
      annotations: { [METRIC_STATUSES_ANNOTATION]: '[{"type":"Resource","resource":{"name":"cpu","currentAverageUtilization":40,"currentAverageValue":"20m"}}]' },
    },
    spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 3, targetCPUUtilizationPercentage: 50 },
    status: { currentReplicas: 1, desiredReplicas: 1, currentCPUUtilizationPercentage: 99 },
  };
  const v2 = convert(v1, 'autoscaling/v2');
  assert.deepEqual(v2.status.currentMetrics, [{ type: 'Resource', resource: { name: 'cpu', current: { averageValue: '20m', averageUtilization: 40 } } }]);
  // Without the annotation the v1 field is used.
  const bare = convert({ ...v1, metadata: { name: 'web' } }, 'autoscaling/v2');
  assert.deepEqual(bare.status.currentMetrics, [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 99 } } }]);
});

test('behavior annotation is read back case-insensitively; a zero behavior is ignored', () => {
  const base = {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', annotations: {} as Record<string, string> },
    spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 3, targetCPUUtilizationPercentage: 50 },
  };
  base.metadata.annotations[BEHAVIOR_SPECS_ANNOTATION] =
    '{"scaleDown":{"stabilizationWindowSeconds":60,"policies":[{"type":"Pods","value":1,"periodSeconds":30}],"tolerance":"50m"}}';
  assert.deepEqual(convert(base, 'autoscaling/v2').spec.behavior, {
    scaleDown: { stabilizationWindowSeconds: 60, policies: [{ type: 'Pods', value: 1, periodSeconds: 30 }], tolerance: '50m' },
  });
  base.metadata.annotations[BEHAVIOR_SPECS_ANNOTATION] = '{"ScaleUp":null,"ScaleDown":null}';
  assert.equal(convert(base, 'autoscaling/v2').spec.behavior, undefined);
  base.metadata.annotations[BEHAVIOR_SPECS_ANNOTATION] = 'not json';
  assert.equal(convert(base, 'autoscaling/v2').spec.behavior, undefined);
});

test('v2 → v1 drops stale round-trip annotations and writes only what the object holds', () => {
  const v2 = structuredClone(cpuV2) as any;
  v2.metadata.annotations = { [METRIC_SPECS_ANNOTATION]: '[{"type":"Pods"}]', [BEHAVIOR_SPECS_ANNOTATION]: '{}', keep: 'me' };
  delete v2.status.conditions;
  const v1 = convert(v2, 'autoscaling/v1');
  assert.deepEqual(Object.keys(v1.metadata.annotations).sort(), [METRIC_STATUSES_ANNOTATION, 'keep']);
  // An HPA with nothing beyond cpu and no status has no annotations at all.
  const fresh = convert(
    { ...cpuV2, metadata: { name: 'web' }, status: { desiredReplicas: 0, currentMetrics: null } },
    'autoscaling/v1',
  );
  assert.equal(fresh.metadata.annotations, undefined);
  assert.deepEqual(fresh.status, { currentReplicas: 0, desiredReplicas: 0 });
});

test('object, pods, external and container-resource metrics survive v2 → v1 → v2 (with upstream\'s value "0")', () => {
  const selector = { matchLabels: { queue: 'jobs' } };
  const v2 = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'worker', namespace: 'default' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'worker' },
      minReplicas: 1,
      maxReplicas: 20,
      metrics: [
        {
          type: 'Object',
          object: {
            describedObject: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'main-route' },
            target: { type: 'Value', value: '10k' },
            metric: { name: 'requests-per-second' },
          },
        },
        { type: 'Pods', pods: { metric: { name: 'packets-per-second' }, target: { type: 'AverageValue', averageValue: '1k' } } },
        { type: 'External', external: { metric: { name: 'queue_messages_ready', selector }, target: { type: 'AverageValue', averageValue: '30' } } },
        { type: 'ContainerResource', containerResource: { name: 'cpu', container: 'app', target: { type: 'Utilization', averageUtilization: 60 } } },
      ],
    },
    status: {
      currentReplicas: 4,
      desiredReplicas: 4,
      currentMetrics: [
        {
          type: 'Object',
          object: {
            metric: { name: 'requests-per-second' },
            current: { value: '8k' },
            describedObject: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'main-route' },
          },
        },
        { type: 'Pods', pods: { metric: { name: 'packets-per-second' }, current: { averageValue: '900' } } },
        { type: 'External', external: { metric: { name: 'queue_messages_ready', selector }, current: { value: '0', averageValue: '25' } } },
        { type: 'ContainerResource', containerResource: { name: 'cpu', container: 'app', current: { averageValue: '120m', averageUtilization: 48 } } },
      ],
    },
  };
  const v1 = convert(v2, 'autoscaling/v1');
  assert.equal(v1.spec.targetCPUUtilizationPercentage, undefined);
  assert.deepEqual(JSON.parse(v1.metadata.annotations[METRIC_SPECS_ANNOTATION])[0], {
    type: 'Object',
    object: { target: { kind: 'Ingress', name: 'main-route', apiVersion: 'networking.k8s.io/v1' }, metricName: 'requests-per-second', targetValue: '10k' },
  });
  assert.deepEqual(convert(v1, 'autoscaling/v2'), v2);

  // An Object AverageValue target: v1 has a non-pointer targetValue, so it reads back with value "0".
  const avg = structuredClone(v2) as any;
  avg.spec.metrics = [
    {
      type: 'Object',
      object: { describedObject: { kind: 'Service', name: 'front' }, target: { type: 'AverageValue', averageValue: '50' }, metric: { name: 'rps' } },
    },
  ];
  const back = convert(convert(avg, 'autoscaling/v1'), 'autoscaling/v2');
  assert.deepEqual(back.spec.metrics[0].object.target, { type: 'AverageValue', value: '0', averageValue: '50' });
});

test('Go escapes <, > and & in the annotation JSON', () => {
  const v2 = structuredClone(cpuV2) as any;
  v2.status.conditions = [{ type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric', message: 'a < b & c > d' }];
  const v1 = convert(v2, 'autoscaling/v1');
  assert.match(v1.metadata.annotations[CONDITIONS_ANNOTATION], /a \\u003c b \\u0026 c \\u003e d/);
  assert.equal(convert(v1, 'autoscaling/v2').status.conditions[0].message, 'a < b & c > d');
});

test('a cpu utilization metric listed first comes back last after a v1 round trip (upstream order)', () => {
  const v2 = structuredClone(memV2) as any;
  v2.spec.metrics.reverse();
  const back = convert(convert(v2, 'autoscaling/v1'), 'autoscaling/v2');
  assert.deepEqual(back.spec.metrics.map((m: any) => m.resource.name), ['memory', 'cpu']);
});
