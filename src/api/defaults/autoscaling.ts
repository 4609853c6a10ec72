// Versioned defaulting of HorizontalPodAutoscaler in autoscaling/v2 and autoscaling/v1
// (pkg/apis/autoscaling/{v1,v2}/defaults.go).
import type { Obj } from './pod.ts';

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function scalingRules(given: unknown, defaults: Obj): Obj {
  if (!isObj(given)) return defaults;
  const out: Obj = { ...given };
  for (const k of ['selectPolicy', 'stabilizationWindowSeconds']) if (out[k] == null && defaults[k] != null) out[k] = defaults[k];
  // The list is replaced whole; an empty list is omitted on the wire, so it reads back defaulted.
  if (!Array.isArray(out.policies) || out.policies.length === 0) out.policies = defaults.policies;
  return out;
}

export function defaultHPAv2(obj: Obj): void {
  const s = obj.spec;
  if (!isObj(s)) return;
  if (s.minReplicas == null) s.minReplicas = 1;
  if (!Array.isArray(s.metrics) || s.metrics.length === 0) {
    s.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
  }
  if (isObj(s.behavior)) {
    const b = s.behavior;
    b.scaleUp = scalingRules(b.scaleUp, {
      stabilizationWindowSeconds: 0,
      selectPolicy: 'Max',
      policies: [
        { type: 'Pods', value: 4, periodSeconds: 15 },
        { type: 'Percent', value: 100, periodSeconds: 15 },
      ],
    });
    b.scaleDown = scalingRules(b.scaleDown, {
      selectPolicy: 'Max',
      policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
    });
  }
}

export function defaultHPAv1(obj: Obj): void {
  const s = obj.spec;
  if (isObj(s) && s.minReplicas == null) s.minReplicas = 1;
}
