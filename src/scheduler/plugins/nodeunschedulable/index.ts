// NodeUnschedulable plugin (pkg/scheduler/framework/plugins/nodeunschedulable): cordoned nodes
// (spec.unschedulable) take only pods tolerating node.kubernetes.io/unschedulable:NoSchedule.
import { unresolvable, type CycleState, type FilterPlugin, type Result } from '../../types.ts';
import type { NodeInfo, PodInfo } from '../../nodeinfo.ts';
import { tolerationsTolerate } from '../helpers.ts';

export const NAME = 'NodeUnschedulable';
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
const TAINT = { key: 'node.kubernetes.io/unschedulable', value: '', effect: 'NoSchedule' };

export function nodeUnschedulable(): FilterPlugin {
  return {
    name: NAME,
    events: ['NodeAdd', 'NodeUpdate'],
    filter(_s: CycleState, pod: PodInfo, node: NodeInfo): Result {
      if (!node.unschedulable) return null;
      return tolerationsTolerate(pod.pod.spec?.tolerations, TAINT) ? null : unresolvable(ERR_REASON_UNSCHEDULABLE);
    },
  };
}
