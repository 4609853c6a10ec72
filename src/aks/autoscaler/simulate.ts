// The cluster autoscaler's scheduling simulation (upstream's PredicateChecker over a snapshot):
// would a pod fit this node — existing or a node group's template — by resources, host ports,
// taints/tolerations, nodeSelector / required node affinity and cordoning. Built on the
// scheduler's own NodeInfo/PodInfo and plugin helpers. Inter-pod affinity and topology spread are
// not simulated.
import { NodeInfo, PodInfo } from '../../scheduler/nodeinfo.ts';
import { fitsRequest } from '../../scheduler/plugins/noderesources/fit.ts';
import { requiredNodeAffinity, tolerationsTolerate } from '../../scheduler/plugins/helpers.ts';
import { ERR_REASON_POD } from '../../scheduler/plugins/nodeaffinity/index.ts';
import { ERR_REASON as PORTS_REASON } from '../../scheduler/plugins/nodeports/index.ts';
import { ERR_REASON_UNSCHEDULABLE } from '../../scheduler/plugins/nodeunschedulable/index.ts';
import type { Obj } from '../../client/types.ts';
import type { NodeTemplate } from './types.ts';

const CORDON_TAINT = { key: 'node.kubernetes.io/unschedulable', value: '', effect: 'NoSchedule' };

export function podInfo(pod: Obj): PodInfo {
  return new PodInfo(pod, pod.spec?.priority ?? 0);
}

/** Why the pod cannot go on the node (scheduler wording), or null when it fits. */
export function checkFit(pod: PodInfo, node: NodeInfo): string[] | null {
  if (node.unschedulable && !tolerationsTolerate(pod.pod.spec?.tolerations, CORDON_TAINT)) return [ERR_REASON_UNSCHEDULABLE];
  const m = requiredNodeAffinity(pod.pod);
  if (m && !m(node.labels, node.name)) return [ERR_REASON_POD];
  const tolerations = pod.pod.spec?.tolerations;
  for (const t of node.taints) {
    if (t.effect !== 'NoSchedule' && t.effect !== 'NoExecute') continue;
    if (!tolerationsTolerate(tolerations, t)) return [`node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`];
  }
  for (const p of pod.ports) if (node.portInUse(p)) return [PORTS_REASON];
  const r = fitsRequest(pod, node);
  return r ? r.reasons : null;
}

/** A NodeInfo for a node a group would add (upstream's template node info). */
export function templateNodeInfo(name: string, t: NodeTemplate): NodeInfo {
  const ni = new NodeInfo(name);
  ni.setNode({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...t.labels } },
    spec: { taints: t.taints },
    status: { capacity: t.capacity, allocatable: t.capacity },
  });
  return ni;
}

/** max(cpu, memory) requested / allocatable — upstream's node utilization for scale-down. */
export function utilization(node: NodeInfo, pods: PodInfo[]): number {
  let cpu = 0;
  let mem = 0;
  for (const p of pods) {
    cpu += p.requests.cpu;
    mem += p.requests.memory;
  }
  const a = node.allocatable;
  const u = Math.max(a.cpu > 0 ? cpu / a.cpu : 0, a.memory > 0 ? mem / a.memory : 0);
  return u;
}
