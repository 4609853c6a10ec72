// TaintToleration plugin (pkg/scheduler/framework/plugins/tainttoleration): Filter rejects nodes
// with an untolerated NoSchedule/NoExecute taint; Score prefers nodes with fewer untolerated
// PreferNoSchedule taints (normalized in reverse).
import { unresolvable, type CycleState, type FilterPlugin, type Result, type ScorePlugin, type PreScorePlugin } from '../../types.ts';
import type { NodeInfo, PodInfo } from '../../nodeinfo.ts';
import type { Obj } from '../../../client/types.ts';
import { defaultNormalize, tolerationsTolerate } from '../helpers.ts';

export const NAME = 'TaintToleration';
const KEY = 'PreScore' + NAME;

export function taintToleration(): FilterPlugin & PreScorePlugin & ScorePlugin {
  return {
    name: NAME,
    events: ['NodeAdd', 'NodeUpdate', 'UnscheduledPodUpdate'],
    filter(_s: CycleState, pod: PodInfo, node: NodeInfo): Result {
      const tolerations = pod.pod.spec?.tolerations;
      for (const t of node.taints) {
        if (t.effect !== 'NoSchedule' && t.effect !== 'NoExecute') continue;
        if (!tolerationsTolerate(tolerations, t)) return unresolvable(`node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`);
      }
      return null;
    },
    preScore(s: CycleState, pod: PodInfo): Result {
      const ts: Obj[] = (pod.pod.spec?.tolerations ?? []).filter((t: Obj) => !t.effect || t.effect === 'PreferNoSchedule');
      s.write(KEY, ts);
      return null;
    },
    score(s: CycleState, _pod: PodInfo, node: NodeInfo): number {
      const ts = s.read<Obj[]>(KEY) ?? [];
      let n = 0;
      for (const t of node.taints) if (t.effect === 'PreferNoSchedule' && !tolerationsTolerate(ts, t)) n++;
      return n;
    },
    normalize(_s: CycleState, _p: PodInfo, scores: Float64Array): void {
      defaultNormalize(scores, true);
    },
  };
}
