// NodeAffinity plugin (pkg/scheduler/framework/plugins/nodeaffinity): Filter applies
// spec.nodeSelector and required node affinity; Score sums the weights of matching preferred
// terms (normalized by the highest).
import { SKIP, unresolvable, type CycleState, type FilterPlugin, type PreFilterPlugin, type PreScorePlugin, type Result, type ScorePlugin } from '../../types.ts';
import type { NodeInfo, PodInfo } from '../../nodeinfo.ts';
import type { Obj } from '../../../client/types.ts';
import { defaultNormalize, requiredNodeAffinity, termMatcher, type NodeMatcher } from '../helpers.ts';

export const NAME = 'NodeAffinity';
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
const KEY = 'PreFilter' + NAME;
const SKEY = 'PreScore' + NAME;

export function nodeAffinity(): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin {
  return {
    name: NAME,
    events: ['NodeAdd', 'NodeUpdate'],
    preFilter(s: CycleState, pod: PodInfo) {
      const m = requiredNodeAffinity(pod.pod);
      if (!m) return { status: SKIP };
      s.write(KEY, m);
      // Terms that pin metadata.name narrow the nodes worth looking at (PreFilterResult).
      const terms: Obj[] | undefined = pod.pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
      if (terms && terms.length) {
        const names = new Set<string>();
        for (const t of terms) {
          const f = (t.matchFields ?? []).find((e: Obj) => e.key === 'metadata.name' && e.operator === 'In');
          if (!f) return { status: null };
          for (const v of f.values ?? []) names.add(v);
        }
        return { status: null, nodeNames: names };
      }
      return { status: null };
    },
    filter(s: CycleState, pod: PodInfo, node: NodeInfo): Result {
      let m = s.read<NodeMatcher>(KEY);
      if (!m) {
        const r = requiredNodeAffinity(pod.pod);
        if (!r) return null;
        m = r;
      }
      return m(node.labels, node.name) ? null : unresolvable(ERR_REASON_POD);
    },
    preScore(s: CycleState, pod: PodInfo): Result {
      const pref: Obj[] | undefined = pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
      if (!pref || pref.length === 0) return SKIP;
      s.write(
        SKEY,
        pref.filter((p) => p.weight).map((p) => ({ weight: p.weight as number, m: termMatcher(p.preference ?? {}) })),
      );
      return null;
    },
    score(s: CycleState, _pod: PodInfo, node: NodeInfo): number {
      const terms = s.read<{ weight: number; m: NodeMatcher }[]>(SKEY) ?? [];
      let n = 0;
      for (const t of terms) if (t.m(node.labels, node.name)) n += t.weight;
      return n;
    },
    normalize(_s: CycleState, _p: PodInfo, scores: Float64Array): void {
      defaultNormalize(scores, false);
    },
  };
}
