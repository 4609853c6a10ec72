// Pod and Service helpers shared by the endpoints and endpointslice controllers, as upstream's
// endpointslice util and podutil: which pods belong in endpoints, readiness, named target ports,
// hostnames for headless services, the pods a Service selects, and the last-change trigger time.
import type { Informer } from '../../client/informer.ts';
import type { Obj } from '../../client/types.ts';
import { isStatusError } from '../../machinery/errors.ts';

export const LAST_CHANGE_TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';

export function isPodReady(pod: Obj): boolean {
  return (pod.status?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');
}

export function isPodTerminal(pod: Obj): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** ShouldPodBeInEndpoints: not finished, has an IP, and (unless asked to include them) not terminating. */
export function shouldPodBeInEndpoints(pod: Obj, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (!pod.status?.podIP && !(pod.status?.podIPs ?? []).length) return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  return true;
}

/** The pod's IPv4 address (the first of podIPs that is one, else podIP). */
export function podIPv4(pod: Obj): string | undefined {
  const ips: string[] = (pod.status?.podIPs ?? []).map((p: Obj) => p.ip);
  if (pod.status?.podIP) ips.unshift(pod.status.podIP);
  return ips.find((ip) => ip && !ip.includes(':'));
}

/**
 * FindPort: the container port a Service port's targetPort names (a named port must match a
 * container port's name and protocol), or the number itself.
 */
export function findPort(pod: Obj, servicePort: Obj): number | undefined {
  const target = servicePort.targetPort ?? servicePort.port;
  if (typeof target === 'number') return target;
  if (typeof target === 'string' && /^\d+$/.test(target)) return Number(target);
  const protocol = servicePort.protocol ?? 'TCP';
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  }
  return undefined;
}

/** A headless Service names its pods in DNS when their subdomain is the Service's name. */
export function shouldSetHostname(pod: Obj, svc: Obj): boolean {
  return !!pod.spec?.hostname && pod.spec?.subdomain === svc.metadata?.name && svc.metadata?.namespace === pod.metadata?.namespace && svc.spec?.clusterIP === 'None';
}

export function hasSelector(svc: Obj): boolean {
  return !!svc.spec?.selector && Object.keys(svc.spec.selector).length > 0;
}

/** A Service selector (a plain map) matches when every pair is among the labels. */
export function matchesSelector(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  if (!labels) return false;
  for (const k in selector) if (labels[k] !== selector[k]) return false;
  return true;
}

/** The pods a Service's selector picks, from the pod informer's namespace index. */
export function selectedPods(pods: Informer, svc: Obj): Obj[] {
  const sel = svc.spec.selector;
  return pods.byIndex('namespace', svc.metadata.namespace).filter((p) => matchesSelector(sel, p.metadata?.labels));
}

/** The Services (with selectors) in the pod's namespace whose selector matches these labels. */
export function servicesForLabels(services: Informer, namespace: string, labels: Record<string, string> | undefined): Obj[] {
  const out: Obj[] = [];
  for (const s of services.byIndex('namespace', namespace)) {
    if (hasSelector(s) && matchesSelector(s.spec.selector, labels)) out.push(s);
  }
  return out;
}

function readyTransition(pod: Obj): string | undefined {
  return (pod.status?.conditions ?? []).find((c: Obj) => c.type === 'Ready')?.lastTransitionTime;
}

/** Whether a pod update can change any endpoint the controllers derive from it. */
export function podChangedForEndpoints(a: Obj, b: Obj): boolean {
  const x = a.metadata ?? {};
  const y = b.metadata ?? {};
  if (x.resourceVersion === y.resourceVersion) return false;
  if (!!x.deletionTimestamp !== !!y.deletionTimestamp) return true;
  if (JSON.stringify(x.labels ?? {}) !== JSON.stringify(y.labels ?? {})) return true;
  if (a.status?.podIP !== b.status?.podIP || a.status?.phase !== b.status?.phase) return true;
  if (isPodReady(a) !== isPodReady(b) || readyTransition(a) !== readyTransition(b)) return true;
  if (a.spec?.nodeName !== b.spec?.nodeName || a.spec?.hostname !== b.spec?.hostname || a.spec?.subdomain !== b.spec?.subdomain) return true;
  return false;
}

/** RFC 3339 with nanosecond precision as Go prints it (no trailing zeros in the fraction). */
export function rfc3339Nano(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.replace(/\.(\d+)Z$/, (_m, f: string) => {
    const t = f.replace(/0+$/, '');
    return t ? `.${t}Z` : 'Z';
  });
}

/**
 * TriggerTimeTracker: the time of the earliest change (a pod's Ready transition, the Service's
 * creation) not yet seen by the previous sync of the Service, for the last-change-trigger-time annotation.
 */
export class TriggerTimeTracker {
  #state = new Map<string, { service: number; pods: Map<string, number> }>();

  compute(key: string, svc: Obj, pods: Obj[]): number | undefined {
    const prev = this.#state.get(key) ?? { service: 0, pods: new Map<string, number>() };
    let min: number | undefined;
    const podTimes = new Map<string, number>();
    for (const p of pods) {
      const t = Date.parse(readyTransition(p) ?? '');
      if (!Number.isFinite(t)) continue;
      podTimes.set(p.metadata.name, t);
      if (t > (prev.pods.get(p.metadata.name) ?? 0)) min = min === undefined ? t : Math.min(min, t);
    }
    const st = Date.parse(svc.metadata?.creationTimestamp ?? '');
    const service = Number.isFinite(st) ? st : 0;
    if (service > prev.service) min = min === undefined ? service : Math.min(min, service);
    this.#state.set(key, { service, pods: podTimes });
    return min;
  }

  delete(key: string): void {
    this.#state.delete(key);
  }
}

/** A create refused because the namespace is being deleted: nothing to retry. */
export function isNamespaceTerminating(e: unknown): boolean {
  return isStatusError(e) && e.code === 403 && (e.status.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');
}
