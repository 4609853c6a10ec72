// Which pods a controller deletes first when it scales down, as upstream's
// pkg/controller/controller_utils.go ActivePodsWithRanks (with the PodDeletionCost and
// LogarithmicScaleDown behaviour on, as by default) and replicaset's getPodsToDelete.
import type { Obj } from '../../client/types.ts';
import { getPodReadyCondition, isPodReady, parseTime } from './pods.ts';
import { getControllerOf } from './ownerref.ts';

export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/** helper.GetDeletionCostFromPodAnnotations: the int32 annotation value, 0 when absent or invalid. */
export function podDeletionCost(pod: Obj): number {
  const v = pod.metadata?.annotations?.[POD_DELETION_COST_ANNOTATION];
  if (v === undefined || !/^[+-]?[0-9]+$/.test(v)) return 0;
  const n = Number(v);
  return n > 2147483647 || n < -2147483648 ? 0 : n;
}

function maxRestarts(pod: Obj): { regular: number; sidecar: number } {
  let regular = 0;
  for (const c of pod.status?.containerStatuses ?? []) regular = Math.max(regular, c.restartCount ?? 0);
  let sidecar = 0;
  const sidecars = new Set<string>();
  for (const c of pod.spec?.initContainers ?? []) if (c.restartPolicy === 'Always') sidecars.add(c.name);
  if (sidecars.size) for (const c of pod.status?.initContainerStatuses ?? []) if (sidecars.has(c.name)) sidecar = Math.max(sidecar, c.restartCount ?? 0);
  return { regular, sidecar };
}

/** afterOrZero: a zero time sorts first, otherwise the later time does. */
function afterOrZero(t1: number, t2: number): boolean {
  if (t1 === 0 || t2 === 0) return t1 === 0;
  return t1 > t2;
}

/** logarithmicRankDiff: compares floor(log2(age in ns)) of two times. */
function logRankDiff(t1: number, t2: number, now: number): number {
  const d1 = (now - t1) * 1e6;
  const d2 = (now - t2) * 1e6;
  const r1 = d1 > 0 ? Math.floor(Math.log2(d1)) : -1;
  const r2 = d2 > 0 ? Math.floor(Math.log2(d2)) : -1;
  return r1 - r2;
}

function compareTimes(t1: number, t2: number, now: number, uid1: string, uid2: string): boolean {
  if (now === 0 || t1 === 0 || t2 === 0) return afterOrZero(t1, t2);
  const d = logRankDiff(t1, t2, now);
  if (d === 0) return uid1 < uid2;
  return d < 0;
}

/**
 * ActivePodsWithRanks.Less: true when pod `a` (with rank `ra`, the number of related pods on its
 * node) should be deleted before pod `b`. Order: unassigned < assigned; Pending < Unknown < Running;
 * not ready < ready; lower pod-deletion-cost < higher; more related pods on the node first; ready
 * for less time first (log2 buckets); more container restarts first; newer first (log2 buckets).
 */
export function deleteBefore(a: Obj, b: Obj, ra: number, rb: number, now: number): boolean {
  const na = a.spec?.nodeName ?? '';
  const nb = b.spec?.nodeName ?? '';
  if (na !== nb && (na === '' || nb === '')) return na === '';
  const pa = PHASE_ORDINAL[a.status?.phase ?? ''] ?? 0;
  const pb = PHASE_ORDINAL[b.status?.phase ?? ''] ?? 0;
  if (pa !== pb) return pa < pb;
  const ra1 = isPodReady(a);
  const rb1 = isPodReady(b);
  if (ra1 !== rb1) return !ra1;
  const ca = podDeletionCost(a);
  const cb = podDeletionCost(b);
  if (ca !== cb) return ca < cb;
  if (ra !== rb) return ra > rb;
  const uidA = a.metadata?.uid ?? '';
  const uidB = b.metadata?.uid ?? '';
  if (ra1 && rb1) {
    const ta = parseTime(getPodReadyCondition(a)?.lastTransitionTime);
    const tb = parseTime(getPodReadyCondition(b)?.lastTransitionTime);
    if (ta !== tb) return compareTimes(ta, tb, now, uidA, uidB);
  }
  const xa = maxRestarts(a);
  const xb = maxRestarts(b);
  if (xa.regular !== xb.regular) return xa.regular > xb.regular;
  if (xa.sidecar !== xb.sidecar) return xa.sidecar > xb.sidecar;
  const ka = parseTime(a.metadata?.creationTimestamp);
  const kb = parseTime(b.metadata?.creationTimestamp);
  if (ka !== kb) return compareTimes(ka, kb, now, uidA, uidB);
  return false;
}

/** Sorts pods so the ones to delete first come first (stable for equal pods). */
export function sortPodsForDeletion<T extends Obj>(pods: T[], ranks: number[] | undefined, now: number): T[] {
  const idx = pods.map((_, i) => i);
  const rank = (i: number) => ranks?.[i] ?? 0;
  idx.sort((i, j) => (deleteBefore(pods[i]!, pods[j]!, rank(i), rank(j), now) ? -1 : deleteBefore(pods[j]!, pods[i]!, rank(j), rank(i), now) ? 1 : 0));
  return idx.map((i) => pods[i]!);
}

/**
 * getPodsToDelete: the `diff` pods to delete. When only some go, they are ranked by the number of
 * `related` pods (the same owner's pods, including other ReplicaSets of one Deployment) on their node.
 */
export function getPodsToDelete<T extends Obj>(pods: T[], related: Obj[], diff: number, now: number): T[] {
  if (diff >= pods.length) return pods.slice(0, diff);
  const onNode = new Map<string, number>();
  for (const p of related) {
    const n = p.spec?.nodeName;
    if (n && isActiveForRank(p)) onNode.set(n, (onNode.get(n) ?? 0) + 1);
  }
  const ranks = pods.map((p) => {
    const n = p.spec?.nodeName;
    return n ? (onNode.get(n) ?? 0) : 0;
  });
  return sortPodsForDeletion(pods, ranks, now).slice(0, diff);
}

function isActiveForRank(p: Obj): boolean {
  const phase = p.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !p.metadata?.deletionTimestamp;
}

/** The controller UID of a pod, or '' for orphans. */
export function controllerUID(pod: Obj): string {
  return getControllerOf(pod)?.uid ?? '';
}
