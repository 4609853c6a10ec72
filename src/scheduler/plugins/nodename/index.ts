// NodeName plugin (pkg/scheduler/framework/plugins/nodename): a pod naming spec.nodeName fits only
// that node.
import { unresolvable, type CycleState, type FilterPlugin, type Result } from '../../types.ts';
import type { NodeInfo, PodInfo } from '../../nodeinfo.ts';

export const NAME = 'NodeName';
export const ERR_REASON = "node(s) didn't match the requested node name";

export function nodeName(): FilterPlugin {
  return {
    name: NAME,
    events: ['NodeAdd'],
    filter(_s: CycleState, pod: PodInfo, node: NodeInfo): Result {
      const want = pod.pod.spec?.nodeName;
      return want && want !== node.name ? unresolvable(ERR_REASON) : null;
    },
  };
}
