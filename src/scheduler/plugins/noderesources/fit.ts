// NodeResourcesFit plugin (pkg/scheduler/framework/plugins/noderesources/fit.go): Filter checks the
// pod's effective requests (containers, init containers, overhead) against allocatable minus what
// the node's pods request, with upstream's reasons ("Insufficient cpu", "Too many pods"); Score
// by LeastAllocated (default), MostAllocated or RequestedToCapacityRatio.
import { Code, unschedulable, type CycleState, type FilterPlugin, type PluginArgs, type PreFilterPlugin, type PreScorePlugin, type Result, type ScorePlugin, type Status } from '../../types.ts';
import type { NodeInfo, PodInfo } from '../../nodeinfo.ts';

export const NAME = 'NodeResourcesFit';

export type ResourceSpec = { name: string; weight: number };
export const DEFAULT_RESOURCES: ResourceSpec[] = [
  { name: 'cpu', weight: 1 },
  { name: 'memory', weight: 1 },
];

/** Scratch output of allocReq (no allocation on the hot path). */
export const AR = { alloc: 0, req: 0 };

/** Allocatable and requested (incl. the pod) for one resource into AR; alloc 0 = not scored. */
export function allocReq(node: NodeInfo, pod: PodInfo, name: string, nonZero: boolean): void {
  switch (name) {
    case 'cpu':
      AR.alloc = node.allocatable.cpu;
      AR.req = nonZero ? node.nonZeroCpu + pod.nonZeroCpu : node.requested.cpu + pod.requests.cpu;
      return;
    case 'memory':
      AR.alloc = node.allocatable.memory;
      AR.req = nonZero ? node.nonZeroMemory + pod.nonZeroMemory : node.requested.memory + pod.requests.memory;
      return;
    case 'ephemeral-storage':
      AR.alloc = node.allocatable.ephemeralStorage;
      AR.req = node.requested.ephemeralStorage + pod.requests.ephemeralStorage;
      return;
    default: {
      const want = pod.requests.scalar?.get(name) ?? 0;
      AR.alloc = want === 0 ? 0 : (node.allocatable.scalar?.get(name) ?? 0);
      AR.req = want === 0 ? 0 : (node.requested.scalar?.get(name) ?? 0) + want;
    }
  }
}

export const leastRequestedScore = (req: number, cap: number) => (cap === 0 || req > cap ? 0 : Math.trunc(((cap - req) * 100) / cap));
export const mostRequestedScore = (req: number, cap: number) => (cap === 0 ? 0 : Math.trunc((Math.min(req, cap) * 100) / cap));

/** The piecewise-linear shape of RequestedToCapacityRatio (scores given 0..10, scaled to 0..100). */
export function brokenLinear(shape: { utilization: number; score: number }[]): (p: number) => number {
  const pts = shape.map((s) => ({ u: s.utilization, s: s.score * 10 }));
  return (p) => {
    for (let i = 0; i < pts.length; i++) {
      if (p <= pts[i]!.u) {
        if (i === 0) return pts[0]!.s;
        const a = pts[i - 1]!;
        const b = pts[i]!;
        return a.s + Math.trunc(((b.s - a.s) * (p - a.u)) / (b.u - a.u));
      }
    }
    return pts[pts.length - 1]!.s;
  };
}

export function fitsRequest(pod: PodInfo, node: NodeInfo, ignored?: Set<string>): Status | null {
  let reasons: string[] | null = null;
  let code: Code = Code.Unschedulable;
  if (node.pods.length + 1 > node.allocatable.pods) (reasons ??= []).push('Too many pods');
  const r = pod.requests;
  if (r.cpu === 0 && r.memory === 0 && r.ephemeralStorage === 0 && !r.scalar) return reasons ? unschedulable(...reasons) : null;
  const a = node.allocatable;
  const u = node.requested;
  if (a.cpu < r.cpu + u.cpu) {
    (reasons ??= []).push('Insufficient cpu');
    if (r.cpu > a.cpu) code = Code.UnschedulableAndUnresolvable;
  }
  if (a.memory < r.memory + u.memory) {
    (reasons ??= []).push('Insufficient memory');
    if (r.memory > a.memory) code = Code.UnschedulableAndUnresolvable;
  }
  if (a.ephemeralStorage < r.ephemeralStorage + u.ephemeralStorage) {
    (reasons ??= []).push('Insufficient ephemeral-storage');
    if (r.ephemeralStorage > a.ephemeralStorage) code = Code.UnschedulableAndUnresolvable;
  }
  if (r.scalar) {
    for (const [name, want] of r.scalar) {
      if (want === 0 || ignored?.has(name)) continue;
      const have = a.scalar?.get(name) ?? 0;
      if (have < want + (u.scalar?.get(name) ?? 0)) {
        (reasons ??= []).push(`Insufficient ${name}`);
        if (want > have) code = Code.UnschedulableAndUnresolvable;
      }
    }
  }
  return reasons ? { code, reasons } : null;
}

export function nodeResourcesFit(args: PluginArgs['NodeResourcesFit'] = {}): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin {
  const strategy = args.scoringStrategy?.type ?? 'LeastAllocated';
  const resources = args.scoringStrategy?.resources ?? DEFAULT_RESOURCES;
  const ignored = new Set(args.ignoredResources ?? []);
  let scoreOne: (req: number, cap: number) => number;
  const isRatio = strategy === 'RequestedToCapacityRatio';
  if (strategy === 'MostAllocated') scoreOne = mostRequestedScore;
  else if (isRatio) {
    const shape = args.scoringStrategy?.requestedToCapacityRatio?.shape ?? [
      { utilization: 0, score: 10 },
      { utilization: 100, score: 0 },
    ];
    const f = brokenLinear(shape);
    scoreOne = (req, cap) => (cap === 0 || req > cap ? f(100) : f(Math.trunc((req * 100) / cap)));
  } else scoreOne = leastRequestedScore;
  return {
    name: NAME,
    events: ['AssignedPodDelete', 'NodeAdd', 'NodeUpdate', 'AssignedPodUpdate'],
    preFilter() {
      return { status: null };
    },
    filter(_s: CycleState, pod: PodInfo, node: NodeInfo): Result {
      return fitsRequest(pod, node, ignored);
    },
    preScore(): Result {
      return null;
    },
    score(_s: CycleState, pod: PodInfo, node: NodeInfo): number {
      let total = 0;
      let weights = 0;
      for (let i = 0; i < resources.length; i++) {
        const res = resources[i]!;
        allocReq(node, pod, res.name, true);
        if (AR.alloc === 0) continue;
        const s = scoreOne(AR.req, AR.alloc);
        if (isRatio && s <= 0) continue;
        total += s * res.weight;
        weights += res.weight;
      }
      if (weights === 0) return 0;
      return isRatio ? Math.round(total / weights) : Math.trunc(total / weights);
    },
  };
}
