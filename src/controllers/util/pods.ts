// Pod helpers shared by the workload controllers, as upstream's pkg/api/v1/pod (IsPodReady,
// IsPodAvailable), pkg/controller (FilterActivePods, GetPodFromTemplate) and metav1 time handling.
import type { Obj } from '../../client/types.ts';
import type { OwnerReference } from './ownerref.ts';

/** A pod condition as the API carries it. */
export interface PodCondition {
  type: string;
  status: string;
  lastTransitionTime?: string | null;
  lastProbeTime?: string | null;
  reason?: string;
  message?: string;
}

/** metav1.Time as RFC 3339 with second precision, as the API server writes it. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Milliseconds since the epoch of an RFC 3339 time; 0 for absent or unparsable (Go's zero Time). */
export function parseTime(s: string | null | undefined): number {
  if (!s) return 0;
  const t = Date.parse(s);
  return Number.isNaN(t) ? 0 : t;
}

/** `namespace/name` of a pod (controller.PodKey). */
export function podKey(pod: Obj): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

/** The pod's Ready condition, if any (podutil.GetPodReadyCondition). */
export function getPodReadyCondition(pod: Obj): PodCondition | undefined {
  const conds: PodCondition[] | undefined = pod.status?.conditions;
  if (!conds) return undefined;
  for (const c of conds) if (c.type === 'Ready') return c;
  return undefined;
}

/** podutil.IsPodReady: the Ready condition is True. */
export function isPodReady(pod: Obj): boolean {
  return getPodReadyCondition(pod)?.status === 'True';
}

/**
 * podutil.IsPodAvailable: ready, and ready for longer than minReadySeconds (the Ready condition's
 * lastTransitionTime plus minReadySeconds is strictly before `now`).
 */
export function isPodAvailable(pod: Obj, minReadySeconds: number, now: number): boolean {
  const c = getPodReadyCondition(pod);
  if (c?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const t = parseTime(c.lastTransitionTime);
  return t !== 0 && t + minReadySeconds * 1000 < now;
}

/**
 * When a ready pod turns available under minReadySeconds (ms since the epoch), or undefined when it is
 * not ready or its Ready condition has no transition time. Controllers requeue at this time.
 */
export function podAvailableAt(pod: Obj, minReadySeconds: number): number | undefined {
  const c = getPodReadyCondition(pod);
  if (c?.status !== 'True') return undefined;
  const t = parseTime(c.lastTransitionTime);
  if (t === 0) return undefined;
  return t + minReadySeconds * 1000 + 1;
}

/** controller.IsPodActive: not Succeeded or Failed, and not being deleted. */
export function isPodActive(pod: Obj): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

/** controller.FilterActivePods. */
export function filterActivePods<T extends Obj>(pods: T[]): T[] {
  return pods.filter(isPodActive);
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** getPodsPrefix: `<controller>-`, or the bare name when the dash would make an invalid prefix. */
export function podNamePrefix(controllerName: string): string {
  const prefix = `${controllerName}-`;
  // ValidatePodName with prefix=true checks the prefix with a trailing character appended.
  const probe = `${prefix}a`;
  return probe.length <= 253 && DNS1123_SUBDOMAIN.test(probe) ? prefix : controllerName;
}

/**
 * controller.GetPodFromTemplate: a pod to create from a controller's template — the template's
 * labels, annotations and finalizers, `generateName: <controller>-`, the controller reference, and a
 * copy of the template's spec. The API server fills in the 5 random characters of the name.
 */
export function podFromTemplate(template: Obj | undefined, parent: Obj, controllerRef?: OwnerReference): Obj {
  const tm = template?.metadata ?? {};
  const metadata: Obj = {
    generateName: podNamePrefix(parent.metadata.name),
    namespace: parent.metadata.namespace,
  };
  if (tm.labels) metadata.labels = { ...tm.labels };
  if (tm.annotations) metadata.annotations = { ...tm.annotations };
  if (tm.finalizers) metadata.finalizers = [...tm.finalizers];
  if (controllerRef) metadata.ownerReferences = [{ ...controllerRef }];
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: structuredClone(template?.spec ?? {}) };
}
