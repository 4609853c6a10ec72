// The HPA's replica calculation for resource metrics (pkg/controller/podautoscaler/replica_calculator.go):
// usage over requests of the ready pods; within the tolerance nothing changes; pods without
// metrics count as 100 % (scale-down) or 0 % (scale-up), unready pods as 0 % on scale-up, and a
// correction that would reverse the direction leaves the count as it is.
import type { Obj } from '../../client/types.ts';
import { tryParseQuantity } from '../../machinery/quantity.ts';

export const CPU_INITIALIZATION_PERIOD_MS = 5 * 60_000;
export const DELAY_OF_INITIAL_READINESS_STATUS_MS = 30_000;

/** A pod's usage as metrics.k8s.io reports it, summed over containers, in milli-units. */
export interface PodUsage {
  milli: number;
  timestamp: number;
  windowMs: number;
}

export interface ReplicaResult {
  replicas: number;
  /** Average utilization in percent of request (Utilization targets). */
  utilization?: number;
  /** Average raw usage per pod, in milli-units. */
  averageMilli: number;
}

function milli(v: unknown): number | undefined {
  if (typeof v === 'number') return v * 1000;
  if (typeof v !== 'string') return undefined;
  return tryParseQuantity(v)?.milliValue();
}

/** PodMetrics items → usage per pod name for one resource (optionally one container). */
export function usageByPod(items: Obj[], resource: string, container?: string): Map<string, PodUsage> {
  const out = new Map<string, PodUsage>();
  for (const m of items) {
    let sum = 0;
    let any = false;
    for (const c of m.containers ?? []) {
      if (container && c.name !== container) continue;
      const v = milli(c.usage?.[resource]);
      if (v === undefined) continue;
      sum += v;
      any = true;
    }
    if (!any) continue;
    const window = /^(\d+(?:\.\d+)?)s$/.exec(String(m.window ?? ''));
    out.set(m.metadata?.name, { milli: sum, timestamp: Date.parse(m.timestamp ?? '') || 0, windowMs: window ? Number(window[1]) * 1000 : 0 });
  }
  return out;
}

function podRequestMilli(pod: Obj, resource: string, container?: string): number | undefined {
  let sum = 0;
  for (const c of pod.spec?.containers ?? []) {
    if (container && c.name !== container) continue;
    const v = milli(c.resources?.requests?.[resource]);
    if (v === undefined) return undefined;
    sum += v;
  }
  return sum;
}

export interface CalcInput {
  currentReplicas: number;
  pods: Obj[];
  metrics: Map<string, PodUsage>;
  resource: string;
  container?: string;
  /** Utilization target (percent) or, when undefined, `targetAverageMilli`. */
  targetUtilization?: number;
  targetAverageMilli?: number;
  tolerance: number;
  now: number;
}

/** groupPods: ready pods with metrics, unready pods, pods without metrics; deleted/failed pods are ignored. */
function groupPods(input: CalcInput) {
  let ready = 0;
  const unready = new Set<string>();
  const missing = new Set<string>();
  const ignored = new Set<string>();
  for (const pod of input.pods) {
    const name = pod.metadata.name;
    if (pod.metadata.deletionTimestamp || pod.status?.phase === 'Failed') {
      ignored.add(name);
      continue;
    }
    if (pod.status?.phase === 'Pending') {
      unready.add(name);
      continue;
    }
    const m = input.metrics.get(name);
    if (!m) {
      missing.add(name);
      continue;
    }
    if (input.resource === 'cpu') {
      const cond = (pod.status?.conditions ?? []).find((c: Obj) => c?.type === 'Ready');
      const start = Date.parse(pod.status?.startTime ?? '');
      let isUnready: boolean;
      if (!cond || !Number.isFinite(start)) isUnready = true;
      else {
        const transition = Date.parse(cond.lastTransitionTime ?? '') || 0;
        if (start + CPU_INITIALIZATION_PERIOD_MS > input.now) isUnready = cond.status === 'False' || m.timestamp < transition + m.windowMs;
        else isUnready = cond.status === 'False' && start + DELAY_OF_INITIAL_READINESS_STATUS_MS > transition;
      }
      if (isUnready) {
        unready.add(name);
        continue;
      }
    }
    ready++;
  }
  return { ready, unready, missing, ignored };
}

/** Usage ratio, utilization (percent) and raw average (milli) over the pods in `metrics`. */
function ratio(metrics: Map<string, number>, requests: Map<string, number>, input: CalcInput): { ratio: number; utilization?: number; averageMilli: number } {
  let total = 0;
  let req = 0;
  let n = 0;
  for (const [name, v] of metrics) {
    total += v;
    n++;
    const r = requests.get(name);
    if (r !== undefined) req += r;
  }
  const averageMilli = n ? total / n : 0;
  if (input.targetUtilization !== undefined) {
    if (req === 0) throw new Error('no metrics returned matched known pods');
    const utilization = Math.trunc((total * 100) / req);
    return { ratio: utilization / input.targetUtilization, utilization, averageMilli };
  }
  return { ratio: averageMilli / (input.targetAverageMilli ?? 1), averageMilli };
}

/** GetResourceReplicas / GetRawResourceReplicas. Throws with upstream's messages when it cannot decide. */
export function resourceReplicas(input: CalcInput): ReplicaResult {
  if (!input.pods.length) throw new Error('no pods returned by selector while calculating replica count');
  const { ready, unready, missing, ignored } = groupPods(input);
  const metrics = new Map<string, number>();
  for (const [name, m] of input.metrics) if (!ignored.has(name) && !unready.has(name)) metrics.set(name, m.milli);
  // Only pods the selector returned count.
  const podNames = new Set(input.pods.map((p) => p.metadata.name));
  for (const k of [...metrics.keys()]) if (!podNames.has(k)) metrics.delete(k);
  if (!metrics.size) throw new Error('did not receive metrics for targeted pods (pods might be unready)');
  const requests = new Map<string, number>();
  if (input.targetUtilization !== undefined) {
    for (const pod of input.pods) {
      const r = podRequestMilli(pod, input.resource, input.container);
      if (r === undefined) {
        const c = (pod.spec?.containers ?? []).find((x: Obj) => (!input.container || x.name === input.container) && milli(x.resources?.requests?.[input.resource]) === undefined);
        throw new Error(`missing request for ${input.resource} in container ${c?.name ?? ''} of Pod ${pod.metadata.name}`);
      }
      requests.set(pod.metadata.name, r);
    }
  }
  const first = ratio(metrics, requests, input);
  const scaleUpWithUnready = unready.size > 0 && first.ratio > 1;
  if (!scaleUpWithUnready && missing.size === 0) {
    if (Math.abs(1 - first.ratio) <= input.tolerance) return { replicas: input.currentReplicas, utilization: first.utilization, averageMilli: first.averageMilli };
    return { replicas: Math.ceil(first.ratio * ready), utilization: first.utilization, averageMilli: first.averageMilli };
  }
  if (missing.size) {
    for (const name of missing) {
      if (first.ratio < 1) {
        // Missing pods are assumed to use their whole request (or the target when that is more).
        if (input.targetUtilization !== undefined) metrics.set(name, ((requests.get(name) ?? 0) * Math.max(100, input.targetUtilization)) / 100);
        else metrics.set(name, input.targetAverageMilli ?? 0);
      } else if (first.ratio > 1) metrics.set(name, 0);
    }
  }
  if (scaleUpWithUnready) for (const name of unready) metrics.set(name, 0);
  const second = ratio(metrics, requests, input);
  if (Math.abs(1 - second.ratio) <= input.tolerance || (first.ratio < 1 && second.ratio > 1) || (first.ratio > 1 && second.ratio < 1)) {
    return { replicas: input.currentReplicas, utilization: first.utilization, averageMilli: first.averageMilli };
  }
  const replicas = Math.ceil(second.ratio * metrics.size);
  if ((second.ratio < 1 && replicas > input.currentReplicas) || (second.ratio > 1 && replicas < input.currentReplicas)) {
    return { replicas: input.currentReplicas, utilization: first.utilization, averageMilli: first.averageMilli };
  }
  return { replicas, utilization: first.utilization, averageMilli: first.averageMilli };
}
