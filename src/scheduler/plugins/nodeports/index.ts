// NodePorts plugin (pkg/scheduler/framework/plugins/nodeports): a pod's hostPorts must be free on
// the node (same protocol and port; 0.0.0.0 clashes with every address).
import { SKIP, unschedulable, type CycleState, type FilterPlugin, type PreFilterPlugin, type Result } from '../../types.ts';
import type { NodeInfo, PodInfo } from '../../nodeinfo.ts';

export const NAME = 'NodePorts';
export const ERR_REASON = "node(s) didn't have free ports for the requested pod ports";

export function nodePorts(): PreFilterPlugin & FilterPlugin {
  return {
    name: NAME,
    events: ['AssignedPodDelete', 'NodeAdd'],
    preFilter(_s: CycleState, pod: PodInfo) {
      return { status: pod.ports.length ? null : SKIP };
    },
    filter(_s: CycleState, pod: PodInfo, node: NodeInfo): Result {
      for (const p of pod.ports) if (node.portInUse(p)) return unschedulable(ERR_REASON);
      return null;
    },
  };
}
