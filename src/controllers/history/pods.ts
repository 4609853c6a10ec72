// Pod readiness as the workload controllers read it (k8s.io/kubernetes/pkg/api/v1/pod): Ready is
// the PodReady condition being True; available is Ready for at least minReadySeconds.
import type { Obj } from '../../client/types.ts';

function readyCondition(pod: Obj): Obj | undefined {
  const conds = pod.status?.conditions as Obj[] | undefined;
  if (!conds) return undefined;
  for (const c of conds) if (c.type === 'Ready') return c;
  return undefined;
}

export function isPodReady(pod: Obj): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** IsPodAvailable: Ready, and (minReadySeconds > 0) Ready since more than that long before now. */
export function isPodAvailable(pod: Obj, minReadySeconds: number, now: number): boolean {
  const c = readyCondition(pod);
  if (c?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return !Number.isNaN(since) && since + minReadySeconds * 1000 < now;
}

/** How long until a Ready pod becomes available (0 if it is, or will never be without change). */
export function msUntilAvailable(pod: Obj, minReadySeconds: number, now: number): number {
  const c = readyCondition(pod);
  if (c?.status !== 'True' || !minReadySeconds || !c.lastTransitionTime) return 0;
  return Math.max(0, Date.parse(c.lastTransitionTime) + minReadySeconds * 1000 - now + 1);
}

export function isPodTerminal(pod: Obj): boolean {
  const p = pod.status?.phase;
  return p === 'Succeeded' || p === 'Failed';
}
