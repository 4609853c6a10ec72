// Tests for HorizontalPodAutoscaler defaulting in autoscaling/v2 and autoscaling/v1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from './index.ts';

const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };

test('HPA v2: minReplicas 1 and cpu 80% metric; behavior stays absent', () => {
  const hpa: any = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', spec: { scaleTargetRef: ref, maxReplicas: 5 } };
  applyDefaults(hpa);
  assert.deepEqual(hpa.spec, {
    scaleTargetRef: ref,
    maxReplicas: 5,
    minReplicas: 1,
    metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }],
  });
});

test('HPA v2: an empty behavior gets both sides filled', () => {
  const hpa: any = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', spec: { maxReplicas: 5, behavior: {} } };
  applyDefaults(hpa);
  assert.deepEqual(hpa.spec.behavior, {
    scaleUp: {
      stabilizationWindowSeconds: 0,
      selectPolicy: 'Max',
      policies: [
        { type: 'Pods', value: 4, periodSeconds: 15 },
        { type: 'Percent', value: 100, periodSeconds: 15 },
      ],
    },
    scaleDown: { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
  });
});

test('HPA v2: client behavior fields replace defaults field by field', () => {
  const hpa: any = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    spec: {
      maxReplicas: 5,
      minReplicas: 2,
      behavior: { scaleDown: { stabilizationWindowSeconds: 60, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] }, scaleUp: { selectPolicy: 'Disabled' } },
    },
  };
  applyDefaults(hpa);
  assert.equal(hpa.spec.minReplicas, 2);
  assert.deepEqual(hpa.spec.behavior.scaleDown, { stabilizationWindowSeconds: 60, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }], selectPolicy: 'Max' });
  assert.equal(hpa.spec.behavior.scaleUp.selectPolicy, 'Disabled');
  assert.equal(hpa.spec.behavior.scaleUp.stabilizationWindowSeconds, 0);
  assert.equal(hpa.spec.behavior.scaleUp.policies.length, 2);
});

test('HPA v1: minReplicas only', () => {
  const hpa: any = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', spec: { scaleTargetRef: ref, maxReplicas: 3 } };
  applyDefaults(hpa);
  assert.deepEqual(hpa.spec, { scaleTargetRef: ref, maxReplicas: 3, minReplicas: 1 });
});
