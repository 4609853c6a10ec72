// HorizontalPodAutoscaler autoscaling/v1 <-> autoscaling/v2 conversion with the round-trip annotations
// (pkg/apis/autoscaling/v1/conversion.go, pkg/apis/autoscaling/annotations.go and helpers.go).
//
// v1 can say only "CPU utilization target" and "current CPU utilization". Everything else v2 holds travels in
// `autoscaling.alpha.kubernetes.io/*` annotations on the v1 object, so a v1 client that reads and writes back
// loses nothing: the other metric specs and all current metrics in the v1 (v2beta1-shaped) metric types,
// the conditions, and the behavior as Go marshals the *internal* type (no json tags, so Go field names:
// `ScaleUp`, `StabilizationWindowSeconds`, ...; read back case-insensitively like encoding/json does).
import { arr, goJSON, has, isObj, parseJSON, str, withAnnotations } from './shared.ts';
import type { Obj } from './shared.ts';

export const METRIC_SPECS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
export const METRIC_STATUSES_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
export const BEHAVIOR_SPECS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';
/** Written by autoscaling/v2beta2 (not served since 1.26); dropped with the others. */
export const TOLERANCE_SCALE_DOWN_ANNOTATION = 'autoscaling.alpha.kubernetes.io/scale-down-tolerance';
export const TOLERANCE_SCALE_UP_ANNOTATION = 'autoscaling.alpha.kubernetes.io/scale-up-tolerance';
/** The CPU target a v1 HPA without one gets (autoscaling.DefaultCPUUtilization), applied by conversion. */
export const DEFAULT_CPU_UTILIZATION = 80;

const ROUND_TRIP_ANNOTATIONS = [
  METRIC_SPECS_ANNOTATION,
  BEHAVIOR_SPECS_ANNOTATION,
  TOLERANCE_SCALE_DOWN_ANNOTATION,
  TOLERANCE_SCALE_UP_ANNOTATION,
  METRIC_STATUSES_ANNOTATION,
  CONDITIONS_ANNOTATION,
];

/** DropRoundTripHorizontalPodAutoscalerAnnotations: a copy without the round-trip keys, or the input itself. */
function dropRoundTrip(annotations: unknown): Obj | undefined {
  if (!isObj(annotations)) return undefined;
  let out: Obj | undefined;
  for (const k of ROUND_TRIP_ANNOTATIONS) {
    if (k in annotations) {
      out ??= { ...annotations };
      delete out[k];
    }
  }
  return out ?? annotations;
}

/** A Go non-pointer resource.Quantity: the zero quantity marshals as "0". */
const qty = (v: unknown): unknown => (has(v) ? v : '0');

function crossRef(r: unknown): Obj {
  const src = isObj(r) ? r : {};
  const out: Obj = { kind: src.kind ?? '', name: src.name ?? '' };
  if (str(src.apiVersion)) out.apiVersion = src.apiVersion;
  return out;
}

function identifier(name: unknown, selector: unknown): Obj {
  const out: Obj = { name: name ?? '' };
  if (has(selector)) out.selector = selector;
  return out;
}

function isCPUUtilization(m: Obj): boolean {
  return m.type === 'Resource' && isObj(m.resource) && m.resource.name === 'cpu' && has(m.resource.target?.averageUtilization);
}

// ---- metric specs and statuses, v2 <-> the v1 annotation shapes (Go field order) ----

function metricSpecToV1(m: Obj): Obj {
  const out: Obj = { type: m.type ?? '' };
  if (isObj(m.object)) {
    const s = m.object;
    const t = s.target ?? {};
    const o: Obj = { target: crossRef(s.describedObject), metricName: s.metric?.name ?? '', targetValue: qty(t.value) };
    if (has(s.metric?.selector)) o.selector = s.metric.selector;
    if (has(t.averageValue)) o.averageValue = t.averageValue;
    out.object = o;
  }
  if (isObj(m.pods)) {
    const s = m.pods;
    const o: Obj = { metricName: s.metric?.name ?? '', targetAverageValue: qty(s.target?.averageValue) };
    if (has(s.metric?.selector)) o.selector = s.metric.selector;
    out.pods = o;
  }
  if (isObj(m.resource)) out.resource = resourceSpecToV1(m.resource, false);
  if (isObj(m.containerResource)) out.containerResource = resourceSpecToV1(m.containerResource, true);
  if (isObj(m.external)) {
    const s = m.external;
    const t = s.target ?? {};
    const o: Obj = { metricName: s.metric?.name ?? '' };
    if (has(s.metric?.selector)) o.metricSelector = s.metric.selector;
    if (has(t.value)) o.targetValue = t.value;
    if (has(t.averageValue)) o.targetAverageValue = t.averageValue;
    out.external = o;
  }
  return out;
}

function resourceSpecToV1(s: Obj, container: boolean): Obj {
  const t = s.target ?? {};
  const o: Obj = { name: s.name ?? '' };
  if (has(t.averageUtilization)) o.targetAverageUtilization = t.averageUtilization;
  if (has(t.averageValue)) o.targetAverageValue = t.averageValue;
  if (container) o.container = s.container ?? '';
  return o;
}

function metricSpecFromV1(m: Obj): Obj {
  const out: Obj = { type: m.type ?? '' };
  if (isObj(m.object)) {
    const s = m.object;
    // Value is always set from the non-pointer targetValue: an AverageValue target reads back with value "0".
    const target: Obj = { type: has(s.averageValue) ? 'AverageValue' : 'Value', value: qty(s.targetValue) };
    if (has(s.averageValue)) target.averageValue = s.averageValue;
    out.object = { describedObject: crossRef(s.target), target, metric: identifier(s.metricName, s.selector) };
  }
  if (isObj(m.pods)) {
    const s = m.pods;
    out.pods = {
      metric: identifier(s.metricName, s.selector),
      target: { type: 'AverageValue', averageValue: qty(s.targetAverageValue) },
    };
  }
  if (isObj(m.resource)) out.resource = resourceSpecFromV1(m.resource, false);
  if (isObj(m.containerResource)) out.containerResource = resourceSpecFromV1(m.containerResource, true);
  if (isObj(m.external)) {
    const s = m.external;
    const target: Obj = { type: has(s.targetValue) ? 'Value' : 'AverageValue' };
    if (has(s.targetValue)) target.value = s.targetValue;
    if (has(s.targetAverageValue)) target.averageValue = s.targetAverageValue;
    out.external = { metric: identifier(s.metricName, s.metricSelector), target };
  }
  return out;
}

function resourceSpecFromV1(s: Obj, container: boolean): Obj {
  const target: Obj = { type: has(s.targetAverageUtilization) ? 'Utilization' : 'AverageValue' };
  if (has(s.targetAverageValue)) target.averageValue = s.targetAverageValue;
  if (has(s.targetAverageUtilization)) target.averageUtilization = s.targetAverageUtilization;
  const out: Obj = { name: s.name ?? '', target };
  if (container) out.container = s.container ?? '';
  return out;
}

function metricStatusToV1(m: Obj): Obj {
  const out: Obj = { type: m.type ?? '' };
  if (isObj(m.object)) {
    const s = m.object;
    const c = s.current ?? {};
    const o: Obj = { target: crossRef(s.describedObject), metricName: s.metric?.name ?? '', currentValue: qty(c.value) };
    if (has(s.metric?.selector)) o.selector = s.metric.selector;
    if (has(c.averageValue)) o.averageValue = c.averageValue;
    out.object = o;
  }
  if (isObj(m.pods)) {
    const s = m.pods;
    const o: Obj = { metricName: s.metric?.name ?? '', currentAverageValue: qty(s.current?.averageValue) };
    if (has(s.metric?.selector)) o.selector = s.metric.selector;
    out.pods = o;
  }
  if (isObj(m.resource)) out.resource = resourceStatusToV1(m.resource, false);
  if (isObj(m.containerResource)) out.containerResource = resourceStatusToV1(m.containerResource, true);
  if (isObj(m.external)) {
    const s = m.external;
    const c = s.current ?? {};
    const o: Obj = { metricName: s.metric?.name ?? '' };
    if (has(s.metric?.selector)) o.metricSelector = s.metric.selector;
    o.currentValue = qty(c.value);
    if (has(c.averageValue)) o.currentAverageValue = c.averageValue;
    out.external = o;
  }
  return out;
}

function resourceStatusToV1(s: Obj, container: boolean): Obj {
  const c = s.current ?? {};
  const o: Obj = { name: s.name ?? '' };
  if (has(c.averageUtilization)) o.currentAverageUtilization = c.averageUtilization;
  o.currentAverageValue = qty(c.averageValue);
  if (container) o.container = s.container ?? '';
  return o;
}

function metricStatusFromV1(m: Obj): Obj {
  const out: Obj = { type: m.type ?? '' };
  if (isObj(m.object)) {
    const s = m.object;
    const current: Obj = { value: qty(s.currentValue) };
    if (has(s.averageValue)) current.averageValue = s.averageValue;
    out.object = { metric: identifier(s.metricName, s.selector), current, describedObject: crossRef(s.target) };
  }
  if (isObj(m.pods)) {
    const s = m.pods;
    out.pods = { metric: identifier(s.metricName, s.selector), current: { averageValue: qty(s.currentAverageValue) } };
  }
  if (isObj(m.resource)) out.resource = resourceStatusFromV1(m.resource, false);
  if (isObj(m.containerResource)) out.containerResource = resourceStatusFromV1(m.containerResource, true);
  if (isObj(m.external)) {
    const s = m.external;
    const current: Obj = { value: qty(s.currentValue) };
    if (has(s.currentAverageValue)) current.averageValue = s.currentAverageValue;
    out.external = { metric: identifier(s.metricName, s.metricSelector), current };
  }
  return out;
}

function resourceStatusFromV1(s: Obj, container: boolean): Obj {
  const current: Obj = { averageValue: qty(s.currentAverageValue) };
  if (has(s.currentAverageUtilization)) current.averageUtilization = s.currentAverageUtilization;
  const out: Obj = { name: s.name ?? '', current };
  if (container) out.container = s.container ?? '';
  return out;
}

// ---- behavior as Go's json.Marshal of the internal type ----

function rulesToGo(r: unknown): Obj | null {
  if (!isObj(r)) return null;
  return {
    StabilizationWindowSeconds: r.stabilizationWindowSeconds ?? null,
    SelectPolicy: r.selectPolicy ?? null,
    Policies: Array.isArray(r.policies)
      ? r.policies.map((p: Obj) => ({ Type: p?.type ?? '', Value: p?.value ?? 0, PeriodSeconds: p?.periodSeconds ?? 0 }))
      : null,
    Tolerance: r.tolerance ?? null,
  };
}

/** encoding/json's key match: exact, else case-insensitive. */
function field(o: Obj, name: string): unknown {
  if (name in o) return o[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(o)) if (k.toLowerCase() === lower) return o[k];
  return undefined;
}

function rulesFromGo(r: unknown): Obj | undefined {
  if (!isObj(r)) return undefined;
  const out: Obj = {};
  const sw = field(r, 'StabilizationWindowSeconds');
  if (has(sw)) out.stabilizationWindowSeconds = sw;
  const sp = field(r, 'SelectPolicy');
  if (has(sp)) out.selectPolicy = sp;
  const ps = field(r, 'Policies');
  if (Array.isArray(ps)) {
    out.policies = ps.map((p) => {
      const q = isObj(p) ? p : {};
      return { type: field(q, 'Type') ?? '', value: field(q, 'Value') ?? 0, periodSeconds: field(q, 'PeriodSeconds') ?? 0 };
    });
  }
  const tol = field(r, 'Tolerance');
  if (has(tol)) out.tolerance = tol;
  return out;
}

/** The behavior annotation, or undefined when it does not decode or decodes to the zero behavior. */
function behaviorFromAnnotation(raw: unknown): Obj | undefined {
  const v = parseJSON(raw);
  if (!isObj(v)) return undefined;
  const up = rulesFromGo(field(v, 'ScaleUp'));
  const down = rulesFromGo(field(v, 'ScaleDown'));
  if (!up && !down) return undefined;
  const out: Obj = {};
  if (up) out.scaleUp = up;
  if (down) out.scaleDown = down;
  return out;
}

// ---- the object conversions ----

/** Stored autoscaling/v2 HPA as autoscaling/v1 (Convert_autoscaling_HorizontalPodAutoscaler_To_v1_...). */
export function hpaV2ToV1(obj: Obj): Obj {
  const spec: Obj = isObj(obj.spec) ? obj.spec : {};
  const status: Obj = isObj(obj.status) ? obj.status : {};
  const metrics = arr(spec.metrics);
  const currentMetrics = arr(status.currentMetrics);
  const conditions = arr(status.conditions);

  const outSpec: Obj = { scaleTargetRef: spec.scaleTargetRef ?? { kind: '', name: '' } };
  if (has(spec.minReplicas)) outSpec.minReplicas = spec.minReplicas;
  outSpec.maxReplicas = spec.maxReplicas ?? 0;
  // The first Resource/cpu metric decides, even when it has no utilization target.
  for (const m of metrics) {
    if (isObj(m) && m.type === 'Resource' && isObj(m.resource) && m.resource.name === 'cpu') {
      const u = m.resource.target?.averageUtilization;
      if (has(u)) outSpec.targetCPUUtilizationPercentage = u;
      break;
    }
  }

  const outStatus: Obj = {};
  if (has(status.observedGeneration)) outStatus.observedGeneration = status.observedGeneration;
  if (has(status.lastScaleTime)) outStatus.lastScaleTime = status.lastScaleTime;
  outStatus.currentReplicas = status.currentReplicas ?? 0;
  outStatus.desiredReplicas = status.desiredReplicas ?? 0;
  // No break upstream: the last cpu status with a utilization wins.
  for (const m of currentMetrics) {
    if (isObj(m) && m.type === 'Resource' && isObj(m.resource) && m.resource.name === 'cpu') {
      const u = m.resource.current?.averageUtilization;
      if (has(u)) outStatus.currentCPUUtilizationPercentage = u;
    }
  }

  // Stale round-trip annotations go first, so only the ones written here are served.
  const base = dropRoundTrip(obj.metadata?.annotations);
  let ann: Obj | undefined = base;
  const set = (k: string, v: string): void => {
    if (ann === base) ann = { ...base };
    ann![k] = v;
  };
  const other: Obj[] = [];
  for (const m of metrics) if (isObj(m) && !isCPUUtilization(m)) other.push(metricSpecToV1(m));
  if (other.length > 0) set(METRIC_SPECS_ANNOTATION, goJSON(other));
  // The raw statuses are kept even when the cpu one maps to currentCPUUtilizationPercentage.
  if (currentMetrics.length > 0) set(METRIC_STATUSES_ANNOTATION, goJSON(currentMetrics.map((m) => metricStatusToV1(isObj(m) ? m : {}))));
  if (isObj(spec.behavior)) {
    set(BEHAVIOR_SPECS_ANNOTATION, goJSON({ ScaleUp: rulesToGo(spec.behavior.scaleUp), ScaleDown: rulesToGo(spec.behavior.scaleDown) }));
  }
  if (conditions.length > 0) set(CONDITIONS_ANNOTATION, goJSON(conditions));

  return {
    apiVersion: 'autoscaling/v1',
    kind: obj.kind,
    metadata: withAnnotations(obj.metadata, ann),
    spec: outSpec,
    status: outStatus,
  };
}

/** autoscaling/v1 HPA as autoscaling/v2 (Convert_v1_HorizontalPodAutoscaler_To_autoscaling_...). */
export function hpaV1ToV2(obj: Obj): Obj {
  const spec: Obj = isObj(obj.spec) ? obj.spec : {};
  const status: Obj = isObj(obj.status) ? obj.status : {};
  const ann: Obj = isObj(obj.metadata?.annotations) ? obj.metadata.annotations : {};

  const outSpec: Obj = { scaleTargetRef: spec.scaleTargetRef ?? { kind: '', name: '' } };
  if (has(spec.minReplicas)) outSpec.minReplicas = spec.minReplicas;
  outSpec.maxReplicas = spec.maxReplicas ?? 0;

  const metrics: Obj[] = [];
  const other = parseJSON(ann[METRIC_SPECS_ANNOTATION]);
  if (Array.isArray(other)) for (const m of other) metrics.push(metricSpecFromV1(isObj(m) ? m : {}));
  // The metric from targetCPUUtilizationPercentage goes after the annotation's.
  if (has(spec.targetCPUUtilizationPercentage)) {
    metrics.push(cpuUtilizationMetric(spec.targetCPUUtilizationPercentage));
  }
  // v1 once defaulted the target in the controller; conversion applies it, seeing every metric.
  if (metrics.length === 0) metrics.push(cpuUtilizationMetric(DEFAULT_CPU_UTILIZATION));
  outSpec.metrics = metrics;
  const behavior = behaviorFromAnnotation(ann[BEHAVIOR_SPECS_ANNOTATION]);
  if (behavior) outSpec.behavior = behavior;

  const outStatus: Obj = {};
  if (has(status.observedGeneration)) outStatus.observedGeneration = status.observedGeneration;
  if (has(status.lastScaleTime)) outStatus.lastScaleTime = status.lastScaleTime;
  if (has(status.currentReplicas) && status.currentReplicas !== 0) outStatus.currentReplicas = status.currentReplicas;
  outStatus.desiredReplicas = status.desiredReplicas ?? 0;
  let current: Obj[] | null = null;
  if (has(status.currentCPUUtilizationPercentage)) {
    current = [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } } }];
  }
  // The annotation has more information than the v1 field: it replaces it.
  const raw = parseJSON(ann[METRIC_STATUSES_ANNOTATION]);
  if (Array.isArray(raw)) current = raw.map((m) => metricStatusFromV1(isObj(m) ? m : {}));
  outStatus.currentMetrics = current;
  const conditions = parseJSON(ann[CONDITIONS_ANNOTATION]);
  if (Array.isArray(conditions) && conditions.length > 0) outStatus.conditions = conditions;

  return {
    apiVersion: 'autoscaling/v2',
    kind: obj.kind,
    metadata: withAnnotations(obj.metadata, dropRoundTrip(obj.metadata?.annotations)),
    spec: outSpec,
    status: outStatus,
  };
}

function cpuUtilizationMetric(pct: unknown): Obj {
  return { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: pct } } };
}
