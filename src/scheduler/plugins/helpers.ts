// Shared plugin helpers, as upstream's component-helpers: toleration matching
// (v1helper.TolerationsTolerateTaint), node selector terms (nodeaffinity.NodeSelector with
// In/NotIn/Exists/DoesNotExist/Gt/Lt and metadata.name fields), and score normalization.
import type { Obj } from '../../client/types.ts';
import type { Taint } from '../nodeinfo.ts';
import { MAX_NODE_SCORE } from '../types.ts';

export function toleratesTaint(t: Obj, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  const op = t.operator || 'Equal';
  if (op === 'Exists') return true;
  if (op === 'Equal') return (t.value ?? '') === (taint.value ?? '');
  return false;
}

export function tolerationsTolerate(tolerations: Obj[] | undefined, taint: Taint): boolean {
  if (!tolerations) return false;
  for (const t of tolerations) if (toleratesTaint(t, taint)) return true;
  return false;
}

export type NodeMatcher = (labels: Record<string, string>, name: string) => boolean;

function exprMatcher(e: Obj, field: boolean): NodeMatcher {
  const key: string = e.key;
  const values: string[] = e.values ?? [];
  const get = field ? (_l: Record<string, string>, name: string) => (key === 'metadata.name' ? name : undefined) : (l: Record<string, string>) => l[key];
  switch (e.operator) {
    case 'In':
      return (l, n) => {
        const v = get(l, n);
        return v !== undefined && values.includes(v);
      };
    case 'NotIn':
      return (l, n) => {
        const v = get(l, n);
        return v === undefined || !values.includes(v);
      };
    case 'Exists':
      return (l, n) => get(l, n) !== undefined;
    case 'DoesNotExist':
      return (l, n) => get(l, n) === undefined;
    case 'Gt':
    case 'Lt': {
      const want = Number.parseInt(values[0] ?? '', 10);
      const gt = e.operator === 'Gt';
      return (l, n) => {
        const v = get(l, n);
        if (v === undefined || !/^-?\d+$/.test(v) || Number.isNaN(want)) return false;
        const x = Number.parseInt(v, 10);
        return gt ? x > want : x < want;
      };
    }
    default:
      return () => false;
  }
}

/** One NodeSelectorTerm: every expression and field must match; an empty term matches nothing. */
export function termMatcher(term: Obj): NodeMatcher {
  const ms: NodeMatcher[] = [];
  for (const e of term.matchExpressions ?? []) ms.push(exprMatcher(e, false));
  for (const e of term.matchFields ?? []) ms.push(exprMatcher(e, true));
  if (ms.length === 0) return () => false;
  return (l, n) => {
    for (const m of ms) if (!m(l, n)) return false;
    return true;
  };
}

/** A NodeSelector: any term matches. */
export function nodeSelectorMatcher(sel: Obj): NodeMatcher {
  const terms = (sel.nodeSelectorTerms ?? []).map(termMatcher);
  return (l, n) => {
    for (const t of terms) if (t(l, n)) return true;
    return false;
  };
}

/**
 * The pod's required node constraints (spec.nodeSelector AND required node affinity), or null
 * if it has none (GetRequiredNodeAffinity).
 */
export function requiredNodeAffinity(pod: Obj): NodeMatcher | null {
  const sel: Record<string, string> | undefined = pod.spec?.nodeSelector;
  const req = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const hasSel = sel && Object.keys(sel).length > 0;
  if (!hasSel && !req) return null;
  const aff = req ? nodeSelectorMatcher(req) : null;
  const entries = hasSel ? Object.entries(sel!) : [];
  return (l, n) => {
    for (const [k, v] of entries) if (l[k] !== v) return false;
    return aff ? aff(l, n) : true;
  };
}

/** helper.DefaultNormalizeScore: scale to 0..max by the highest score, optionally reversed. */
export function defaultNormalize(scores: Float64Array, reverse: boolean): void {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  if (max === 0) {
    if (reverse) scores.fill(MAX_NODE_SCORE);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    let s = Math.trunc((MAX_NODE_SCORE * scores[i]!) / max);
    if (reverse) s = MAX_NODE_SCORE - s;
    scores[i] = s;
  }
}
