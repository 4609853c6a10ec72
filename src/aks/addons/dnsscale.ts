// CoreDNS replica count as cluster-proportional-autoscaler computes it from the coredns-autoscaler
// ConfigMap: linear mode (max(ceil(cores/coresPerReplica), ceil(nodes/nodesPerReplica)) within
// [min, max], at least 2 with preventSinglePointFailure on a multi-node cluster) or ladder mode
// (step functions of cores and nodes), over schedulable nodes only.
import type { Obj } from '../../client/types.ts';
import { qMilli } from '../../scheduler/nodeinfo.ts';
import { DEFAULT_DNS_AUTOSCALER_PARAMS } from './manifests.ts';

export interface LinearParams {
  coresPerReplica?: number;
  nodesPerReplica?: number;
  min?: number;
  max?: number;
  preventSinglePointFailure?: boolean;
  includeUnschedulableNodes?: boolean;
}

export interface LadderParams {
  coresToReplicas?: [number, number][];
  nodesToReplicas?: [number, number][];
  includeUnschedulableNodes?: boolean;
}

export function linearReplicas(p: LinearParams, cores: number, nodes: number): number {
  let r = 0;
  if (p.coresPerReplica && p.coresPerReplica > 0) r = Math.max(r, Math.ceil(cores / p.coresPerReplica));
  if (p.nodesPerReplica && p.nodesPerReplica > 0) r = Math.max(r, Math.ceil(nodes / p.nodesPerReplica));
  if (p.max && p.max > 0 && r > p.max) r = p.max;
  if (p.min && r < p.min) r = p.min;
  if (p.preventSinglePointFailure && nodes > 1 && r < 2) r = 2;
  return r;
}

function step(steps: [number, number][] | undefined, v: number): number {
  let r = 0;
  for (const [at, n] of [...(steps ?? [])].sort((a, b) => a[0] - b[0])) if (v >= at) r = n;
  return r;
}

export function ladderReplicas(p: LadderParams, cores: number, nodes: number): number {
  return Math.max(step(p.coresToReplicas, cores), step(p.nodesToReplicas, nodes));
}

/** Cores and node count the autoscaler sees (schedulable nodes unless asked otherwise). */
export function clusterSize(nodes: Obj[], includeUnschedulable = false): { cores: number; nodes: number } {
  let milli = 0;
  let n = 0;
  for (const node of nodes) {
    if (!includeUnschedulable && node.spec?.unschedulable) continue;
    n++;
    milli += qMilli(node.status?.allocatable?.cpu ?? node.status?.capacity?.cpu ?? 0);
  }
  return { cores: Math.floor(milli / 1000), nodes: n };
}

/** The replica count for the coredns Deployment from the ConfigMap data (defaults if unreadable). */
export function corednsReplicas(data: Record<string, string> | undefined, nodes: Obj[]): number {
  try {
    if (data?.ladder) {
      const p = JSON.parse(data.ladder) as LadderParams;
      const s = clusterSize(nodes, p.includeUnschedulableNodes);
      return ladderReplicas(p, s.cores, s.nodes);
    }
    if (data?.linear) {
      const p = JSON.parse(data.linear) as LinearParams;
      const s = clusterSize(nodes, p.includeUnschedulableNodes);
      return linearReplicas(p, s.cores, s.nodes);
    }
  } catch {
    // fall through to the defaults, as the autoscaler keeps its default params
  }
  const s = clusterSize(nodes);
  return linearReplicas(DEFAULT_DNS_AUTOSCALER_PARAMS, s.cores, s.nodes);
}
