// NodeResourcesBalancedAllocation plugin (noderesources/balanced_allocation.go): prefers nodes whose
// cpu and memory would be used in similar fractions after placing the pod: (1 - std) × 100.
import { SKIP, type CycleState, type PluginArgs, type PreScorePlugin, type Result, type ScorePlugin } from '../../types.ts';
import type { NodeInfo, PodInfo } from '../../nodeinfo.ts';
import { AR, allocReq, DEFAULT_RESOURCES } from './fit.ts';

export const NAME = 'NodeResourcesBalancedAllocation';

export function balancedAllocation(args: PluginArgs['NodeResourcesBalancedAllocation'] = {}): PreScorePlugin & ScorePlugin {
  const resources = args.resources ?? DEFAULT_RESOURCES;
  const fractions = new Float64Array(resources.length);
  return {
    name: NAME,
    events: ['AssignedPodDelete', 'NodeAdd', 'NodeUpdate'],
    preScore(_s: CycleState, pod: PodInfo): Result {
      // Best-effort pods (no requests for the scored resources) skip this score.
      for (const r of resources) {
        const v = r.name === 'cpu' ? pod.requests.cpu : r.name === 'memory' ? pod.requests.memory : r.name === 'ephemeral-storage' ? pod.requests.ephemeralStorage : (pod.requests.scalar?.get(r.name) ?? 0);
        if (v > 0) return null;
      }
      return SKIP;
    },
    score(_s: CycleState, pod: PodInfo, node: NodeInfo): number {
      let n = 0;
      let total = 0;
      for (const r of resources) {
        allocReq(node, pod, r.name, false);
        if (AR.alloc === 0) continue;
        const f = Math.min(AR.req / AR.alloc, 1);
        fractions[n++] = f;
        total += f;
      }
      let std = 0;
      if (n === 2) std = Math.abs((fractions[0]! - fractions[1]!) / 2);
      else if (n > 2) {
        const mean = total / n;
        let sum = 0;
        for (let i = 0; i < n; i++) sum += (fractions[i]! - mean) ** 2;
        std = Math.sqrt(sum / n);
      }
      return Math.trunc((1 - std) * 100);
    },
  };
}
