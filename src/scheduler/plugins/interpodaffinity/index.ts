// InterPodAffinity plugin (pkg/scheduler/framework/plugins/interpodaffinity): required pod
// affinity / anti-affinity of the incoming pod, existing pods' required anti-affinity against it,
// and the preferred terms of both sides scored per topology domain (min-max normalized).
import { SKIP, unresolvable, unschedulable, type CycleState, type FilterPlugin, type Handle, type PluginArgs, type PreFilterPlugin, type PreScorePlugin, type Result, type ScorePlugin } from '../../types.ts';
import type { AffinityTerm, NodeInfo, PodInfo } from '../../nodeinfo.ts';

export const NAME = 'InterPodAffinity';
export const ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
export const ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
const KEY = 'PreFilter' + NAME;
const SKEY = 'PreScore' + NAME;

type Counts = Map<string, number>; // `${key}\0${value}` → count
const pair = (k: string, v: string) => `${k}\0${v}`;

interface FilterState {
  existingAnti: Counts;
  affinity: Counts;
  anti: Counts;
}

export function termMatches(term: AffinityTerm, p: PodInfo, nsLabels: (ns: string) => Record<string, string> | undefined): boolean {
  if (!term.namespaces.has(p.namespace)) {
    if (!term.namespaceSelector) return false;
    if (!term.namespaceSelector.matches(nsLabels(p.namespace) ?? {})) return false;
  }
  return term.selector.matches(p.labels);
}

function bump(c: Counts, k: string, n: number) {
  const v = (c.get(k) ?? 0) + n;
  if (v === 0) c.delete(k);
  else c.set(k, v);
}

export function interPodAffinity(h: Handle, args: PluginArgs['InterPodAffinity'] = {}): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin {
  const hardWeight = args.hardPodAffinityWeight ?? 1;
  const nsLister = h.lister('namespaces');
  const nsLabels = (ns: string) => nsLister.get(ns)?.metadata?.labels;
  const matches = (t: AffinityTerm, p: PodInfo) => termMatches(t, p, nsLabels);

  /** Adds (n = 1) or removes (n = -1) an existing pod's contribution to the filter counts. */
  function account(st: FilterState, pod: PodInfo, existing: PodInfo, node: NodeInfo, n: number) {
    const labels = node.labels;
    for (const t of existing.requiredAntiAffinity) {
      const v = labels[t.topologyKey];
      if (v !== undefined && matches(t, pod)) bump(st.existingAnti, pair(t.topologyKey, v), n);
    }
    if (pod.requiredAffinity.length) {
      let all = true;
      for (const t of pod.requiredAffinity) if (!matches(t, existing)) ((all = false), undefined);
      if (all) for (const t of pod.requiredAffinity) {
        const v = labels[t.topologyKey];
        if (v !== undefined) bump(st.affinity, pair(t.topologyKey, v), n);
      }
    }
    for (const t of pod.requiredAntiAffinity) {
      const v = labels[t.topologyKey];
      if (v !== undefined && matches(t, existing)) bump(st.anti, pair(t.topologyKey, v), n);
    }
  }

  return {
    name: NAME,
    events: ['AssignedPodAdd', 'AssignedPodUpdate', 'AssignedPodDelete', 'NodeAdd', 'NodeUpdate', 'NamespaceChange'],
    preFilter(s: CycleState, pod: PodInfo) {
      const own = pod.requiredAffinity.length + pod.requiredAntiAffinity.length > 0;
      if (!own && h.affinityCounts().withRequiredAntiAffinity === 0) return { status: SKIP };
      const nodes = h.nodes();
      const st: FilterState = { existingAnti: new Map(), affinity: new Map(), anti: new Map() };
      let anyExisting = false;
      for (const ni of nodes) {
        if (own) {
          for (const e of ni.pods) account(st, pod, e, ni, 1);
        } else if (ni.podsWithRequiredAntiAffinity.length) {
          anyExisting = true;
          for (const e of ni.podsWithRequiredAntiAffinity) {
            for (const t of e.requiredAntiAffinity) {
              const v = ni.labels[t.topologyKey];
              if (v !== undefined && matches(t, pod)) bump(st.existingAnti, pair(t.topologyKey, v), 1);
            }
          }
        }
      }
      if (!own && !anyExisting) return { status: SKIP };
      s.write(KEY, st);
      return { status: null };
    },
    addPod(s, pod, added, node) {
      const st = s.read<FilterState>(KEY);
      if (st) account(st, pod, added, node, 1);
    },
    removePod(s, pod, removed, node) {
      const st = s.read<FilterState>(KEY);
      if (st) account(st, pod, removed, node, -1);
    },
    filter(s: CycleState, pod: PodInfo, node: NodeInfo): Result {
      const st = s.read<FilterState>(KEY);
      if (!st) return null;
      const labels = node.labels;
      // Required affinity: every term's domain must already hold a matching pod (or the pod is the first of its kind).
      if (pod.requiredAffinity.length) {
        let exist = true;
        for (const t of pod.requiredAffinity) {
          const v = labels[t.topologyKey];
          if (v === undefined) return unresolvable(ERR_REASON_AFFINITY);
          if ((st.affinity.get(pair(t.topologyKey, v)) ?? 0) <= 0) exist = false;
        }
        if (!exist) {
          const self = st.affinity.size === 0 && pod.requiredAffinity.every((t) => matches(t, pod));
          if (!self) return unresolvable(ERR_REASON_AFFINITY);
        }
      }
      for (const t of pod.requiredAntiAffinity) {
        const v = labels[t.topologyKey];
        if (v !== undefined && (st.anti.get(pair(t.topologyKey, v)) ?? 0) > 0) return unschedulable(ERR_REASON_ANTI_AFFINITY);
      }
      if (st.existingAnti.size) {
        for (const k in labels) if ((st.existingAnti.get(pair(k, labels[k]!)) ?? 0) > 0) return unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY);
      }
      return null;
    },
    preScore(s: CycleState, pod: PodInfo): Result {
      const own = pod.preferredAffinity.length + pod.preferredAntiAffinity.length > 0;
      if (!own && h.affinityCounts().withAffinity === 0) return SKIP;
      const scores = new Map<string, Map<string, number>>(); // topologyKey → value → score
      const add = (key: string, labels: Record<string, string>, w: number) => {
        const v = labels[key];
        if (v === undefined || w === 0) return;
        let m = scores.get(key);
        if (!m) scores.set(key, (m = new Map()));
        m.set(v, (m.get(v) ?? 0) + w);
      };
      let any = false;
      for (const ni of h.nodes()) {
        const list = own ? ni.pods : ni.podsWithAffinity;
        if (!list.length) continue;
        any = true;
        const labels = ni.labels;
        for (const e of list) {
          for (const t of pod.preferredAffinity) if (matches(t, e)) add(t.topologyKey, labels, t.weight);
          for (const t of pod.preferredAntiAffinity) if (matches(t, e)) add(t.topologyKey, labels, -t.weight);
          if (hardWeight > 0) for (const t of e.requiredAffinity) if (matches(t, pod)) add(t.topologyKey, labels, hardWeight);
          for (const t of e.preferredAffinity) if (matches(t, pod)) add(t.topologyKey, labels, t.weight);
          for (const t of e.preferredAntiAffinity) if (matches(t, pod)) add(t.topologyKey, labels, -t.weight);
        }
      }
      if (!any && !own) return SKIP;
      s.write(SKEY, scores);
      return null;
    },
    score(s: CycleState, _pod: PodInfo, node: NodeInfo): number {
      const scores = s.read<Map<string, Map<string, number>>>(SKEY);
      if (!scores) return 0;
      let n = 0;
      for (const [k, m] of scores) {
        const v = node.labels[k];
        if (v !== undefined) n += m.get(v) ?? 0;
      }
      return n;
    },
    normalize(_s: CycleState, _p: PodInfo, scores: Float64Array): void {
      let min = Infinity;
      let max = -Infinity;
      for (const v of scores) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      const diff = max - min;
      for (let i = 0; i < scores.length; i++) scores[i] = diff > 0 ? Math.trunc((100 * (scores[i]! - min)) / diff) : 0;
    },
  };
}
