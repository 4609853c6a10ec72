// PodTopologySpread plugin (pkg/scheduler/framework/plugins/podtopologyspread): DoNotSchedule
// constraints filter on skew = matching pods in the node's domain + self − the global minimum
// (minDomains honoured); ScheduleAnyway constraints — or the cluster default constraints (System:
// hostname maxSkew 3, zone maxSkew 5, selector from the pod's Services/RCs/ReplicaSets/StatefulSets)
// — score by weighted matching-pod counts. Node inclusion: nodeAffinityPolicy Honor, nodeTaintsPolicy Ignore.
import { SKIP, unresolvable, unschedulable, type CycleState, type FilterPlugin, type Handle, type PluginArgs, type PreFilterPlugin, type PreScorePlugin, type Result, type ScorePlugin } from '../../types.ts';
import type { NodeInfo, PodInfo } from '../../nodeinfo.ts';
import type { Obj } from '../../../client/types.ts';
import { newRequirement, parseSelector, selectorFromLabelSelector, selectorFromSet, type Selector } from '../../../machinery/labels.ts';
import { requiredNodeAffinity, tolerationsTolerate, type NodeMatcher } from '../helpers.ts';

export const NAME = 'PodTopologySpread';
export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + ' (missing required label)';
const HOSTNAME = 'kubernetes.io/hostname';
const KEY = 'PreFilter' + NAME;
const SKEY = 'PreScore' + NAME;

export const SYSTEM_DEFAULT_CONSTRAINTS: Obj[] = [
  { topologyKey: HOSTNAME, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 3 },
  { topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 5 },
];

interface Constraint {
  maxSkew: number;
  key: string;
  minDomains: number;
  selector: Selector;
  selectorKey: string;
  honorAffinity: boolean;
  honorTaints: boolean;
}

interface FilterState {
  constraints: Constraint[];
  counts: Map<string, number>[]; // per constraint: domain value → matching pods
  min: number[]; // per constraint: the smallest domain count (0 if fewer than minDomains domains)
  self?: number[]; // per constraint: 1 if the incoming pod matches its own selector
}

interface ScoreState {
  constraints: Constraint[];
  counts: Map<string, number>[];
  weights: number[];
  ignored: Set<string>;
  perNode: (Map<string, number> | null)[];
}

function toConstraint(c: Obj, pod: PodInfo): Constraint | null {
  let selector: Selector;
  try {
    selector = selectorFromLabelSelector(c.labelSelector ?? null);
    const keys: string[] = c.matchLabelKeys ?? [];
    const extra = keys.filter((k) => pod.labels[k] !== undefined).map((k) => newRequirement(k, 'in', [pod.labels[k]!]));
    if (extra.length && c.labelSelector) {
      const add = (selector as unknown as { add?: (...r: unknown[]) => Selector }).add;
      if (add) selector = add.call(selector, ...extra);
    }
  } catch {
    return null;
  }
  return {
    maxSkew: c.maxSkew ?? 1,
    key: c.topologyKey ?? '',
    minDomains: c.minDomains ?? 1,
    selector,
    selectorKey: selector.toString() + (c.labelSelector ? '' : '\0nothing'),
    honorAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
    honorTaints: c.nodeTaintsPolicy === 'Honor',
  };
}

export function podTopologySpread(h: Handle, args: PluginArgs['PodTopologySpread'] = {}): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin {
  const defaulting = args.defaultingType ?? 'System';
  const defaults = defaulting === 'System' ? SYSTEM_DEFAULT_CONSTRAINTS : (args.defaultConstraints ?? []);
  const systemDefaulted = defaulting === 'System';

  /** helper.DefaultSelector: what the pod's Services, RCs, ReplicaSets and StatefulSets select. */
  function defaultSelector(pod: PodInfo): Selector | null {
    const parts: string[] = [];
    const ns = pod.namespace;
    for (const svc of h.lister('services').list(ns)) {
      const sel = svc.spec?.selector;
      if (sel && Object.keys(sel).length && selectorFromSet(sel).matches(pod.labels)) parts.push(selectorFromSet(sel).toString());
    }
    for (const rc of h.lister('replicationcontrollers').list(ns)) {
      const sel = rc.spec?.selector;
      if (sel && Object.keys(sel).length && selectorFromSet(sel).matches(pod.labels)) parts.push(selectorFromSet(sel).toString());
    }
    for (const res of ['replicasets', 'statefulsets'] as const) {
      for (const o of h.lister(res).list(ns)) {
        try {
          const sel = selectorFromLabelSelector(o.spec?.selector);
          if (!sel.empty() && sel.selectable && sel.matches(pod.labels)) parts.push(sel.toString());
        } catch {
          // invalid selector: ignore
        }
      }
    }
    if (!parts.length) return null;
    try {
      const sel = parseSelector(parts.join(','));
      return sel.empty() ? null : sel;
    } catch {
      return null;
    }
  }

  function constraints(pod: PodInfo, action: 'DoNotSchedule' | 'ScheduleAnyway'): { list: Constraint[]; defaulted: boolean } {
    const own: Obj[] | undefined = pod.pod.spec?.topologySpreadConstraints;
    if (own && own.length) {
      const list: Constraint[] = [];
      for (const c of own) if ((c.whenUnsatisfiable ?? 'DoNotSchedule') === action) {
        const k = toConstraint(c, pod);
        if (k) list.push(k);
      }
      return { list, defaulted: false };
    }
    const mine = defaults.filter((c) => (c.whenUnsatisfiable ?? 'DoNotSchedule') === action);
    if (!mine.length) return { list: [], defaulted: true };
    const sel = defaultSelector(pod);
    if (!sel) return { list: [], defaulted: true };
    return {
      list: mine.map((c) => ({ maxSkew: c.maxSkew ?? 1, key: c.topologyKey, minDomains: 1, selector: sel, selectorKey: sel.toString(), honorAffinity: true, honorTaints: false })),
      defaulted: true,
    };
  }

  function included(c: Constraint, node: NodeInfo, aff: NodeMatcher | null, pod: PodInfo): boolean {
    if (c.honorAffinity && aff && !aff(node.labels, node.name)) return false;
    if (c.honorTaints) {
      const tol = pod.pod.spec?.tolerations;
      for (const t of node.taints) if ((t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerationsTolerate(tol, t)) return false;
    }
    return true;
  }

  const hasAll = (labels: Record<string, string>, cs: Constraint[]) => {
    for (const c of cs) if (labels[c.key] === undefined) return false;
    return true;
  };

  function computeFilterState(pod: PodInfo, cs: Constraint[]): FilterState {
    const aff = requiredNodeAffinity(pod.pod);
    // Fast path: one constraint, every labelled node eligible — read the live per-domain index.
    if (cs.length === 1 && !(aff && cs[0]!.honorAffinity) && !cs[0]!.honorTaints) {
      const c = cs[0]!;
      const live = h.selectorDomainCounts(pod.namespace, c.selector, c.selectorKey, c.key);
      const m = new Map<string, number>();
      let lo = Infinity;
      for (const v of h.domainNodes(c.key).keys()) {
        const n = live.get(v) ?? 0;
        m.set(v, n);
        if (n < lo) lo = n;
      }
      return { constraints: cs, counts: [m], min: [m.size < c.minDomains || lo === Infinity ? 0 : lo] };
    }
    const perNode = cs.map((c) => h.selectorCounts(pod.namespace, c.selector, c.selectorKey));
    const counts = cs.map(() => new Map<string, number>());
    for (const ni of h.nodes()) {
      const labels = ni.labels;
      if (!hasAll(labels, cs)) continue;
      for (let i = 0; i < cs.length; i++) {
        const c = cs[i]!;
        if (!included(c, ni, aff, pod)) continue;
        const v = labels[c.key]!;
        const m = counts[i]!;
        m.set(v, (m.get(v) ?? 0) + (perNode[i]!.get(ni.name) ?? 0));
      }
    }
    const min = cs.map((c, i) => {
      const m = counts[i]!;
      if (m.size < c.minDomains) return 0;
      let lo = Infinity;
      for (const v of m.values()) if (v < lo) lo = v;
      return lo === Infinity ? 0 : lo;
    });
    return { constraints: cs, counts, min };
  }

  function recomputeMin(st: FilterState, i: number) {
    const m = st.counts[i]!;
    if (m.size < st.constraints[i]!.minDomains) return void (st.min[i] = 0);
    let lo = Infinity;
    for (const v of m.values()) if (v < lo) lo = v;
    st.min[i] = lo === Infinity ? 0 : lo;
  }

  function adjust(s: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo, n: number) {
    const st = s.read<FilterState>(KEY);
    if (!st || other.namespace !== pod.namespace || other.terminating) return;
    if (!hasAll(node.labels, st.constraints)) return;
    const aff = requiredNodeAffinity(pod.pod);
    st.constraints.forEach((c, i) => {
      if (!included(c, node, aff, pod) || !c.selector.matches(other.labels)) return;
      const v = node.labels[c.key]!;
      st.counts[i]!.set(v, (st.counts[i]!.get(v) ?? 0) + n);
      recomputeMin(st, i);
    });
  }

  return {
    name: NAME,
    events: ['AssignedPodAdd', 'AssignedPodUpdate', 'AssignedPodDelete', 'NodeAdd', 'NodeUpdate', 'NodeDelete'],
    preFilter(s: CycleState, pod: PodInfo) {
      const { list } = constraints(pod, 'DoNotSchedule');
      if (!list.length) return { status: SKIP };
      const st = computeFilterState(pod, list);
      st.self = list.map((c) => (c.selector.matches(pod.labels) ? 1 : 0));
      s.write(KEY, st);
      return { status: null };
    },
    addPod(s, pod, added, node) {
      adjust(s, pod, added, node, 1);
    },
    removePod(s, pod, removed, node) {
      adjust(s, pod, removed, node, -1);
    },
    filter(s: CycleState, pod: PodInfo, node: NodeInfo): Result {
      const st = s.read<FilterState>(KEY);
      if (!st) return null;
      const cs = st.constraints;
      for (let i = 0; i < cs.length; i++) {
        const c = cs[i]!;
        const v = node.labels[c.key];
        if (v === undefined) return unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
        const self = st.self ? st.self[i]! : c.selector.matches(pod.labels) ? 1 : 0;
        const skew = (st.counts[i]!.get(v) ?? 0) + self - st.min[i]!;
        if (skew > c.maxSkew) return unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
      }
      return null;
    },
    preScore(s: CycleState, pod: PodInfo, filtered: NodeInfo[]): Result {
      const { list: cs, defaulted } = constraints(pod, 'ScheduleAnyway');
      if (!cs.length) return SKIP;
      const requireAll = !defaulted || !systemDefaulted;
      const ignored = new Set<string>();
      const counts = cs.map(() => new Map<string, number>());
      for (const ni of filtered) {
        if (requireAll && !hasAll(ni.labels, cs)) {
          ignored.add(ni.name);
          continue;
        }
        cs.forEach((c, i) => {
          if (c.key === HOSTNAME) return;
          const v = ni.labels[c.key];
          if (v !== undefined && !counts[i]!.has(v)) counts[i]!.set(v, 0);
        });
      }
      const weights = cs.map((c, i) => Math.log((c.key === HOSTNAME ? filtered.length - ignored.size : counts[i]!.size) + 2));
      const perNode = cs.map((c) => h.selectorCounts(pod.namespace, c.selector, c.selectorKey));
      const aff = requiredNodeAffinity(pod.pod);
      for (const ni of h.nodes()) {
        if (requireAll && !hasAll(ni.labels, cs)) continue;
        for (let i = 0; i < cs.length; i++) {
          const c = cs[i]!;
          if (c.key === HOSTNAME) continue;
          const v = ni.labels[c.key];
          if (v === undefined) continue;
          const m = counts[i]!;
          const cur = m.get(v);
          if (cur === undefined || !included(c, ni, aff, pod)) continue;
          m.set(v, cur + (perNode[i]!.get(ni.name) ?? 0));
        }
      }
      s.write(SKEY, { constraints: cs, counts, weights, ignored, perNode } satisfies ScoreState);
      return null;
    },
    score(s: CycleState, _pod: PodInfo, node: NodeInfo): number {
      const st = s.read<ScoreState>(SKEY);
      if (!st || st.ignored.has(node.name)) return 0;
      let score = 0;
      for (let i = 0; i < st.constraints.length; i++) {
        const c = st.constraints[i]!;
        const v = node.labels[c.key];
        if (v === undefined) continue;
        const cnt = c.key === HOSTNAME ? (st.perNode[i]!.get(node.name) ?? 0) : (st.counts[i]!.get(v) ?? 0);
        score += cnt * st.weights[i]! + (c.maxSkew - 1);
      }
      return Math.round(score);
    },
    normalize(s: CycleState, _p: PodInfo, scores: Float64Array, nodes: NodeInfo[]): void {
      const st = s.read<ScoreState>(SKEY);
      const ignored = st?.ignored;
      let min = Infinity;
      let max = 0;
      for (let i = 0; i < scores.length; i++) {
        if (ignored?.has(nodes[i]!.name)) continue;
        const v = scores[i]!;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      for (let i = 0; i < scores.length; i++) {
        if (ignored?.has(nodes[i]!.name)) scores[i] = 0;
        else if (max === 0) scores[i] = 100;
        else scores[i] = Math.trunc((100 * (max + min - scores[i]!)) / max);
      }
    },
  };
}
