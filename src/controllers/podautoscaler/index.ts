// The horizontal pod autoscaler controller (pkg/controller/podautoscaler, autoscaling/v2): every
// --horizontal-pod-autoscaler-sync-period it reads the target's /scale, the pods' usage from
// metrics.k8s.io (an injectable MetricsClient), computes the desired replicas per Resource /
// ContainerResource metric (tolerance, missing and unready pods), stabilizes the recommendation
// (5-minute scale-down window, or spec.behavior's windows), limits the rate (the 2x/4 rule, or the
// behavior's policies and selectPolicy), clamps to min/max, writes /scale and the HPA status
// (currentReplicas, desiredReplicas, currentMetrics, lastScaleTime, conditions AbleToScale,
// ScalingActive, ScalingLimited) and records SuccessfulRescale events.
import type { Controller, ControllerContext, ControllerFactory } from '../manager.ts';
import type { Informer } from '../../client/informer.ts';
import { keyOf, splitKey } from '../../client/informer.ts';
import { WorkQueue, runWorkers } from '../../client/workqueue.ts';
import type { EventRecorder } from '../../client/events.ts';
import type { KubeClient } from '../../client/client.ts';
import type { Obj } from '../../client/types.ts';
import { isNotFound } from '../../machinery/errors.ts';
import { Quantity } from '../../machinery/quantity.ts';
import { parseSelector } from '../../machinery/labels.ts';
import { resourceReplicas, usageByPod } from './replicas.ts';

/** Where pod metrics come from: PodMetrics items (metrics.k8s.io/v1beta1) of the pods a selector picks. */
export interface MetricsClient {
  podMetrics(namespace: string, selector: string): Promise<Obj[]>;
}

/** Reads metrics.k8s.io/v1beta1 PodMetrics through the API server. */
export function apiMetricsClient(client: KubeClient): MetricsClient {
  return {
    async podMetrics(namespace, selector) {
      const rc = client.custom({ group: 'metrics.k8s.io', version: 'v1beta1', resource: 'pods', namespaced: true }, namespace);
      const list = await rc.list(selector ? { labelSelector: selector } : {});
      return list.items;
    },
  };
}

const SCALE_TARGETS: Record<string, { group: string; resource: string }> = {
  Deployment: { group: 'apps', resource: 'deployments' },
  ReplicaSet: { group: 'apps', resource: 'replicasets' },
  StatefulSet: { group: 'apps', resource: 'statefulsets' },
  ReplicationController: { group: '', resource: 'replicationcontrollers' },
};

function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

interface Recommendation {
  replicas: number;
  at: number;
}
interface ScaleEvent {
  change: number;
  at: number;
}

export class HorizontalPodAutoscalerController implements Controller {
  readonly name = 'horizontal-pod-autoscaler';
  #ctx: ControllerContext;
  #metrics: MetricsClient;
  #hpas: Informer;
  #pods: Informer;
  #recorder: EventRecorder;
  #queue: WorkQueue;
  #recommendations = new Map<string, Recommendation[]>();
  #scaleUpEvents = new Map<string, ScaleEvent[]>();
  #scaleDownEvents = new Map<string, ScaleEvent[]>();

  constructor(ctx: ControllerContext, metrics?: MetricsClient) {
    this.#ctx = ctx;
    this.#metrics = metrics ?? apiMetricsClient(ctx.client);
    this.#hpas = ctx.informers.informer('autoscaling', 'horizontalpodautoscalers');
    this.#pods = ctx.informers.informer('', 'pods');
    this.#recorder = ctx.recorder('horizontal-pod-autoscaler');
    this.#queue = new WorkQueue({ clock: ctx.clock });
  }

  start(): void {
    this.#hpas.addEventHandler({
      add: (h) => this.#queue.add(keyOf(h)),
      update: (o, h) => {
        if (JSON.stringify(o.spec) !== JSON.stringify(h.spec)) this.#queue.add(keyOf(h));
      },
      delete: (h) => {
        const k = keyOf(h);
        this.#recommendations.delete(k);
        this.#scaleUpEvents.delete(k);
        this.#scaleDownEvents.delete(k);
      },
    });
    void runWorkers(this.#queue, this.#ctx.config.workers, async (k) => {
      try {
        await this.sync(k);
      } finally {
        // Every HPA is looked at once per sync period, whatever happened.
        if (this.#hpas.getByKey(k)) this.#queue.addAfter(k, this.#ctx.config.hpaSyncPeriodMs);
      }
    });
  }

  stop(): void {
    this.#queue.shutDown();
  }

  async sync(key: string): Promise<void> {
    const cached = this.#hpas.getByKey(key);
    if (!cached) return;
    const hpa: Obj = structuredClone(cached);
    const { namespace } = splitKey(key);
    const now = this.#ctx.clock.now();
    const conditions: Obj[] = [...(hpa.status?.conditions ?? [])];
    const setCondition = (type: string, status: string, reason: string, message: string) => {
      const i = conditions.findIndex((c) => c.type === type);
      const old = i >= 0 ? conditions[i] : undefined;
      const c = { type, status, lastTransitionTime: old && old.status === status ? old.lastTransitionTime : rfc3339(now), reason, message };
      if (i >= 0) conditions[i] = c;
      else conditions.push(c);
    };
    const ref = hpa.spec?.scaleTargetRef ?? {};
    const target = SCALE_TARGETS[ref.kind];
    const group = String(ref.apiVersion ?? '').includes('/') ? String(ref.apiVersion).split('/')[0] : '';
    const writeStatus = async (extra: Obj) => {
      const status = { ...(hpa.status ?? {}), ...extra, conditions };
      if (JSON.stringify(status) === JSON.stringify(cached.status ?? {})) return;
      try {
        await this.#ctx.client.resource('autoscaling', 'horizontalpodautoscalers', namespace).updateStatus({ ...cached, status });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    };
    if (!target || target.group !== group) {
      const msg = `the HPA controller was unable to get the target's current scale: no matches for kind "${ref.kind}" in group "${group}"`;
      setCondition('AbleToScale', 'False', 'FailedGetScale', msg);
      this.#recorder.event(hpa, 'Warning', 'FailedGetScale', msg.replace('the HPA controller was unable to get the target\'s current scale: ', ''));
      return writeStatus({});
    }
    const scales = this.#ctx.client.resource(target.group, target.resource, namespace);
    let scale: Obj;
    try {
      scale = await scales.getSubresource(ref.name, 'scale');
    } catch (e) {
      const msg = (e as Error).message;
      setCondition('AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${msg}`);
      this.#recorder.event(hpa, 'Warning', 'FailedGetScale', msg);
      await writeStatus({});
      return;
    }
    setCondition('AbleToScale', 'True', 'SucceededGetScale', 'the HPA controller was able to get the target\'s current scale');
    const current: number = scale.spec?.replicas ?? 0;
    const minReplicas: number = hpa.spec?.minReplicas ?? 1;
    const maxReplicas: number = hpa.spec?.maxReplicas ?? current;
    let desired = 0;
    let rescale = true;
    let reason = '';
    let currentMetrics: Obj[] | undefined = hpa.status?.currentMetrics;

    if (current === 0 && minReplicas !== 0) {
      // Autoscaling is disabled for this resource.
      desired = 0;
      rescale = false;
      setCondition('ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
    } else if (current > maxReplicas) {
      reason = 'Current number of replicas above Spec.MaxReplicas';
      desired = maxReplicas;
    } else if (current < minReplicas) {
      reason = 'Current number of replicas below Spec.MinReplicas';
      desired = minReplicas;
    } else {
      const computed = await this.#computeReplicas(hpa, namespace, scale, current, now, setCondition);
      currentMetrics = computed.currentMetrics;
      if (computed.error && computed.replicas === undefined) {
        await writeStatus({ currentReplicas: current, desiredReplicas: hpa.status?.desiredReplicas ?? current, currentMetrics });
        return;
      }
      const metricDesired = computed.replicas ?? current;
      const metricName = computed.metricName;
      if (metricDesired > desired) desired = metricDesired;
      if (desired > current) reason = `${metricName} above target`;
      if (desired < current) reason = 'All metrics below target';
      desired = hpa.spec?.behavior ? this.#normalizeWithBehaviors(key, hpa, current, desired, minReplicas, maxReplicas, now, setCondition) : this.#normalize(key, current, desired, minReplicas, maxReplicas, now, setCondition);
      rescale = desired !== current;
    }

    let lastScaleTime = hpa.status?.lastScaleTime;
    if (rescale) {
      try {
        await scales.updateSubresource(ref.name, 'scale', { ...scale, spec: { ...scale.spec, replicas: desired } });
      } catch (e) {
        const msg = (e as Error).message;
        setCondition('AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${msg}`);
        this.#recorder.event(hpa, 'Warning', 'FailedRescale', `New size: ${desired}; reason: ${reason}; error: ${msg}`);
        await writeStatus({ currentReplicas: current, desiredReplicas: hpa.status?.desiredReplicas ?? current, currentMetrics });
        throw e;
      }
      setCondition('AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`);
      this.#recorder.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${reason}`);
      this.#storeScaleEvent(key, hpa, current, desired, now);
      lastScaleTime = rfc3339(now);
    }
    await writeStatus({
      observedGeneration: hpa.metadata.generation,
      ...(lastScaleTime ? { lastScaleTime } : {}),
      currentReplicas: current,
      desiredReplicas: desired,
      ...(currentMetrics ? { currentMetrics } : {}),
    });
  }

  /** computeReplicasForMetrics: the largest proposal over the metrics that could be computed. */
  async #computeReplicas(
    hpa: Obj,
    namespace: string,
    scale: Obj,
    current: number,
    now: number,
    setCondition: (t: string, s: string, r: string, m: string) => void,
  ): Promise<{ replicas?: number; metricName: string; currentMetrics: Obj[]; error?: string }> {
    const selector: string = scale.status?.selector ?? '';
    if (!selector) {
      const msg = 'the HPA target\'s scale is missing a selector';
      setCondition('ScalingActive', 'False', 'InvalidSelector', msg);
      this.#recorder.event(hpa, 'Warning', 'SelectorRequired', 'selector is required');
      return { metricName: '', currentMetrics: [], error: msg };
    }
    let sel;
    try {
      sel = parseSelector(selector);
    } catch (e) {
      setCondition('ScalingActive', 'False', 'InvalidSelector', `the HPA target's scale has an invalid selector: ${(e as Error).message}`);
      return { metricName: '', currentMetrics: [], error: (e as Error).message };
    }
    const pods = this.#pods.list(namespace).filter((p) => sel.matches(p.metadata?.labels ?? {}));
    let best: number | undefined;
    let bestName = '';
    const currentMetrics: Obj[] = [];
    let lastError: string | undefined;
    let items: Obj[] | undefined;
    for (const spec of hpa.spec?.metrics ?? []) {
      const src = spec.type === 'Resource' ? spec.resource : spec.type === 'ContainerResource' ? spec.containerResource : undefined;
      if (!src) {
        lastError = `unsupported metric source type "${spec.type}"`;
        setCondition('ScalingActive', 'False', 'InvalidMetricSourceType', `the HPA was unable to compute the replica count: ${lastError}`);
        this.#recorder.event(hpa, 'Warning', 'FailedGetMetric', lastError);
        continue;
      }
      const resource: string = src.name;
      const container: string | undefined = spec.type === 'ContainerResource' ? src.container : undefined;
      const t = src.target ?? {};
      const util = t.type === 'Utilization' ? (t.averageUtilization as number | undefined) : undefined;
      const avg = t.type === 'AverageValue' && t.averageValue !== undefined ? Quantity.parse(String(t.averageValue)).milliValue() : undefined;
      const metricName = util !== undefined ? `${resource} resource utilization (percentage of request)` : `${resource} resource`;
      const failReason = spec.type === 'Resource' ? 'FailedGetResourceMetric' : 'FailedGetContainerResourceMetric';
      try {
        if (util === undefined && avg === undefined) throw new Error('invalid resource metric source: neither a utilization target nor a value target was set');
        items ??= await this.#metrics.podMetrics(namespace, selector);
        const usage = usageByPod(items, resource, container);
        if (!usage.size) throw new Error(`unable to get metrics for resource ${resource}: no metrics returned from resource metrics API`);
        const r = resourceReplicas({ currentReplicas: current, pods, metrics: usage, resource, ...(container ? { container } : {}), ...(util !== undefined ? { targetUtilization: util } : { targetAverageMilli: avg! }), tolerance: this.#ctx.config.hpaTolerance, now });
        const cur: Obj = { averageValue: Quantity.fromMilli(Math.round(r.averageMilli)).toString() };
        if (r.utilization !== undefined) cur.averageUtilization = r.utilization;
        currentMetrics.push(spec.type === 'Resource' ? { type: 'Resource', resource: { name: resource, current: cur } } : { type: 'ContainerResource', containerResource: { name: resource, container, current: cur } });
        if (best === undefined || r.replicas > best) {
          best = r.replicas;
          bestName = metricName;
        }
      } catch (e) {
        lastError = (e as Error).message;
        setCondition('ScalingActive', 'False', failReason, `the HPA was unable to compute the replica count: ${lastError}`);
        this.#recorder.event(hpa, 'Warning', failReason, lastError);
      }
    }
    if (best === undefined) return { metricName: '', currentMetrics, error: lastError ?? 'no metrics' };
    if (!lastError) setCondition('ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${bestName}`);
    return { replicas: best, metricName: bestName, currentMetrics };
  }

  /** normalizeDesiredReplicas: the downscale stabilization window, the 2x/4 scale-up limit, min and max. */
  #normalize(key: string, current: number, prenormalized: number, min: number, max: number, now: number, setCondition: (t: string, s: string, r: string, m: string) => void): number {
    const window = this.#ctx.config.hpaDownscaleStabilizationMs;
    const recs = (this.#recommendations.get(key) ?? []).filter((r) => r.at > now - window);
    let stabilized = prenormalized;
    for (const r of recs) if (r.replicas > stabilized) stabilized = r.replicas;
    recs.push({ replicas: prenormalized, at: now });
    this.#recommendations.set(key, recs);
    if (stabilized !== prenormalized) setCondition('AbleToScale', 'True', 'ScaleDownStabilized', 'recent recommendations were higher than current one, applying the highest recent recommendation');
    else setCondition('AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size');
    const scaleUpLimit = Math.max(2 * current, 4);
    let desired = stabilized;
    let reason = 'DesiredWithinRange';
    let message = 'the desired count is within the acceptable range';
    let maximum = max;
    let maxReason = 'TooManyReplicas';
    let maxMessage = 'the desired replica count is more than the maximum replica count';
    if (scaleUpLimit < max) {
      maximum = scaleUpLimit;
      maxReason = 'ScaleUpLimit';
      maxMessage = 'the desired replica count is increasing faster than the maximum scale rate';
    }
    if (desired < min) {
      desired = min;
      reason = 'TooFewReplicas';
      message = 'the desired replica count is less than the minimum replica count';
    } else if (desired > maximum) {
      desired = maximum;
      reason = maxReason;
      message = maxMessage;
    }
    setCondition('ScalingLimited', desired === stabilized ? 'False' : 'True', reason, message);
    return desired;
  }

  #changeInPeriod(events: ScaleEvent[] | undefined, periodSeconds: number, now: number): number {
    let n = 0;
    for (const e of events ?? []) if (e.at > now - periodSeconds * 1000) n += e.change;
    return n;
  }

  /** normalizeDesiredReplicasWithBehaviors: stabilization windows, then the policies' rate limits. */
  #normalizeWithBehaviors(key: string, hpa: Obj, current: number, prenormalized: number, min: number, max: number, now: number, setCondition: (t: string, s: string, r: string, m: string) => void): number {
    const up = hpa.spec.behavior.scaleUp ?? {};
    const down = hpa.spec.behavior.scaleDown ?? {};
    const upWindow = (up.stabilizationWindowSeconds ?? 0) * 1000;
    const downWindow = down.stabilizationWindowSeconds !== undefined && down.stabilizationWindowSeconds !== null ? down.stabilizationWindowSeconds * 1000 : this.#ctx.config.hpaDownscaleStabilizationMs;
    // stabilizeRecommendationWithBehaviors
    const recs = this.#recommendations.get(key) ?? [];
    let upRec = prenormalized;
    let downRec = prenormalized;
    for (const r of recs) {
      if (r.at > now - upWindow) upRec = Math.min(upRec, r.replicas);
      if (r.at > now - downWindow) downRec = Math.max(downRec, r.replicas);
    }
    let stabilized = current;
    if (stabilized < upRec) stabilized = upRec;
    if (stabilized > downRec) stabilized = downRec;
    const keep = recs.filter((r) => r.at > now - Math.max(upWindow, downWindow));
    keep.push({ replicas: prenormalized, at: now });
    this.#recommendations.set(key, keep);
    if (stabilized !== prenormalized) {
      if (prenormalized >= current) setCondition('AbleToScale', 'True', 'ScaleUpStabilized', 'recent recommendations were lower than current one, applying the lowest recent recommendation');
      else setCondition('AbleToScale', 'True', 'ScaleDownStabilized', 'recent recommendations were higher than current one, applying the highest recent recommendation');
    } else setCondition('AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size');

    // convertDesiredReplicasWithBehaviorRate
    let desired = stabilized;
    let reason = 'DesiredWithinRange';
    let message = 'the desired count is within the acceptable range';
    const ups = this.#scaleUpEvents.get(key);
    const downs = this.#scaleDownEvents.get(key);
    if (stabilized > current) {
      let limit: number;
      if (up.selectPolicy === 'Disabled') limit = current;
      else {
        limit = up.selectPolicy === 'Min' ? Infinity : -Infinity;
        for (const p of up.policies ?? []) {
          const start = current - this.#changeInPeriod(ups, p.periodSeconds, now) + this.#changeInPeriod(downs, p.periodSeconds, now);
          const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
          limit = up.selectPolicy === 'Min' ? Math.min(limit, proposed) : Math.max(limit, proposed);
        }
        if (!Number.isFinite(limit)) limit = current;
      }
      if (limit < current) limit = current;
      let maximum = max;
      let r = 'TooManyReplicas';
      let m = 'the desired replica count is more than the maximum replica count';
      if (maximum > limit) {
        maximum = limit;
        r = 'ScaleUpLimit';
        m = 'the desired replica count is increasing faster than the maximum scale rate';
      }
      if (stabilized > maximum) {
        desired = maximum;
        reason = r;
        message = m;
      }
    } else if (stabilized < current) {
      let limit: number;
      if (down.selectPolicy === 'Disabled') limit = current;
      else {
        limit = down.selectPolicy === 'Min' ? -Infinity : Infinity;
        for (const p of down.policies ?? []) {
          const start = current - this.#changeInPeriod(ups, p.periodSeconds, now) + this.#changeInPeriod(downs, p.periodSeconds, now);
          const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
          limit = down.selectPolicy === 'Min' ? Math.max(limit, proposed) : Math.min(limit, proposed);
        }
        if (!Number.isFinite(limit)) limit = current;
      }
      if (limit > current) limit = current;
      let minimum = min;
      let r = 'TooFewReplicas';
      let m = 'the desired replica count is less than the minimum replica count';
      if (minimum < limit) {
        minimum = limit;
        r = 'ScaleDownLimit';
        m = 'the desired replica count is decreasing faster than the maximum scale rate';
      }
      if (stabilized < minimum) {
        desired = minimum;
        reason = r;
        message = m;
      }
    }
    setCondition('ScalingLimited', desired === stabilized ? 'False' : 'True', reason, message);
    return desired;
  }

  /** storeScaleEvent: remembered for the behavior policies' periods. */
  #storeScaleEvent(key: string, hpa: Obj, prev: number, next: number, now: number) {
    const b = hpa.spec?.behavior;
    if (!b) return;
    const longest = (rules: Obj | undefined) => Math.max(0, ...((rules?.policies ?? []) as Obj[]).map((p) => p.periodSeconds ?? 0)) * 1000;
    if (next > prev) {
      const evs = (this.#scaleUpEvents.get(key) ?? []).filter((e) => e.at > now - longest(b.scaleUp));
      evs.push({ change: next - prev, at: now });
      this.#scaleUpEvents.set(key, evs);
    } else if (next < prev) {
      const evs = (this.#scaleDownEvents.get(key) ?? []).filter((e) => e.at > now - longest(b.scaleDown));
      evs.push({ change: prev - next, at: now });
      this.#scaleDownEvents.set(key, evs);
    }
  }
}

/** The HPA controller factory; metrics default to metrics.k8s.io through the API server. */
export function horizontalPodAutoscalerController(metrics?: MetricsClient): ControllerFactory {
  return (ctx) => new HorizontalPodAutoscalerController(ctx, metrics);
}
