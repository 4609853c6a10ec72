// Taints and tolerations as k8s.io/api/core/v1 toleration.go and component-helpers' scheduling
// helpers: whether a toleration tolerates a taint, which NoExecute taints a pod tolerates, and for
// how long (the smallest tolerationSeconds among the tolerations used; none = forever).
import type { Obj } from '../../client/types.ts';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

export interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

/** Toleration.ToleratesTaint. */
export function tolerates(t: Obj, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  const op = t.operator || 'Equal';
  if (op === 'Exists') return true;
  if (op === 'Equal') return (t.value ?? '') === (taint.value ?? '');
  return false;
}

/**
 * For NoExecute taints: Infinity when the pod may stay forever, the number of milliseconds it may
 * stay otherwise (0 = evict now), or -1 when some taint is not tolerated at all.
 */
export function tolerationTimeMs(taints: Taint[], tolerations: Obj[]): number {
  let min = Infinity;
  for (const taint of taints) {
    // The first toleration that matches a taint is the one used (getMatchingTolerations).
    const t = tolerations.find((x) => x && tolerates(x, taint));
    if (!t) return -1;
    if (typeof t.tolerationSeconds === 'number') min = Math.min(min, Math.max(0, t.tolerationSeconds) * 1000);
  }
  return min;
}

export function noExecuteTaints(node: Obj | undefined): Taint[] {
  return ((node?.spec?.taints ?? []) as Taint[]).filter((t) => t?.effect === 'NoExecute');
}

export const sameTaint = (a: Taint, b: Taint) => a.key === b.key && a.effect === b.effect;
