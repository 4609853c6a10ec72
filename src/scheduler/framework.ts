// The scheduling framework of one profile, as kube-scheduler's frameworkruntime and
// schedule_one.go: plugins run at each extension point in the default profile's order, node
// sampling (percentageOfNodesToScore: all below 100 nodes, else 50 − nodes/125 %, at least 5 %
// and 100 nodes, round-robin start), weighted scores, and the FitError message
// ("0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated taint {k: v}.").
import {
  Code,
  CODE_NAMES,
  CycleState,
  NodeStatuses,
  isRejected,
  message,
  type AnyPlugin,
  type BindPlugin,
  type FilterPlugin,
  type Handle,
  type PermitPlugin,
  type PostFilterPlugin,
  type PreBindPlugin,
  type PreFilterPlugin,
  type PreScorePlugin,
  type ProfileConfig,
  type ReservePlugin,
  type Result,
  type ScorePlugin,
  type Status,
} from './types.ts';
import type { NodeInfo, PodInfo } from './nodeinfo.ts';
import { nodeUnschedulable } from './plugins/nodeunschedulable/index.ts';
import { nodeName } from './plugins/nodename/index.ts';
import { taintToleration } from './plugins/tainttoleration/index.ts';
import { nodeAffinity } from './plugins/nodeaffinity/index.ts';
import { nodePorts } from './plugins/nodeports/index.ts';
import { nodeResourcesFit } from './plugins/noderesources/fit.ts';
import { balancedAllocation } from './plugins/noderesources/balanced.ts';
import { volumeBinding } from './plugins/volumebinding/index.ts';
import { podTopologySpread } from './plugins/podtopologyspread/index.ts';
import { interPodAffinity } from './plugins/interpodaffinity/index.ts';
import { defaultPreemption } from './plugins/defaultpreemption/index.ts';
import { defaultBinder } from './plugins/defaultbinder/index.ts';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
export const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

/** Score weights of the default profile (v1.32 getDefaultPlugins). */
export const DEFAULT_WEIGHTS: Record<string, number> = {
  TaintToleration: 3,
  NodeAffinity: 2,
  NodeResourcesFit: 1,
  PodTopologySpread: 2,
  InterPodAffinity: 2,
  NodeResourcesBalancedAllocation: 1,
};

/** numFeasibleNodesToFind: how many feasible nodes are enough before scoring. */
export function numFeasibleNodesToFind(percentage: number | undefined, numAllNodes: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let pct = percentage ?? 0;
  if (pct <= 0) {
    pct = 50 - Math.trunc(numAllNodes / 125);
    if (pct < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND) pct = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
  }
  if (pct >= 100) return numAllNodes;
  const n = Math.trunc((numAllNodes * pct) / 100);
  return n < MIN_FEASIBLE_NODES_TO_FIND ? MIN_FEASIBLE_NODES_TO_FIND : n;
}

export interface Diagnosis {
  statuses: NodeStatuses;
  /** Plugins that rejected the pod (for queueing). */
  unschedulablePlugins: Set<string>;
  preFilterMsg: string;
  postFilterMsg: string;
}

/** framework.FitError.Error(). */
export function fitErrorMessage(numAllNodes: number, d: Diagnosis): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (d.preFilterMsg) msg += ` ${d.preFilterMsg}.`;
  else {
    const hist = new Map<string, number>();
    for (const s of d.statuses.map.values()) for (const r of s.reasons) hist.set(r, (hist.get(r) ?? 0) + 1);
    const absent = numAllNodes - d.statuses.map.size;
    if (absent > 0 && d.statuses.absent) for (const r of d.statuses.absent.reasons) hist.set(r, (hist.get(r) ?? 0) + absent);
    const parts = [...hist].map(([r, n]) => `${n} ${r}`).sort();
    if (parts.length) msg += ` ${parts.join(', ')}.`;
  }
  if (d.postFilterMsg) msg += ` ${d.postFilterMsg}.`;
  return msg;
}

export class FitError {
  readonly numAllNodes: number;
  readonly diagnosis: Diagnosis;
  constructor(numAllNodes: number, diagnosis: Diagnosis) {
    this.numAllNodes = numAllNodes;
    this.diagnosis = diagnosis;
  }
  get message(): string {
    return fitErrorMessage(this.numAllNodes, this.diagnosis);
  }
}

export const NO_NODES_MSG = 'no nodes available to schedule pods';

export interface ScheduleResult {
  node?: string;
  evaluated: number;
  feasible: number;
  fitError?: FitError;
  state: CycleState;
}

/** What `explain` reports for one node. */
export interface NodeVerdict {
  node: string;
  filters: { plugin: string; code: string; reasons: string[] }[];
  feasible: boolean;
  scores: { plugin: string; raw: number; normalized: number; weight: number; weighted: number }[];
  total: number;
}

type Factory = (h: Handle, p: ProfileConfig) => AnyPlugin;
const REGISTRY: [string, Factory][] = [
  ['NodeUnschedulable', () => nodeUnschedulable()],
  ['NodeName', () => nodeName()],
  ['TaintToleration', () => taintToleration()],
  ['NodeAffinity', () => nodeAffinity()],
  ['NodePorts', () => nodePorts()],
  ['NodeResourcesFit', (_h, p) => nodeResourcesFit(p.pluginConfig?.NodeResourcesFit)],
  ['VolumeBinding', (h) => volumeBinding(h)],
  ['PodTopologySpread', (h, p) => podTopologySpread(h, p.pluginConfig?.PodTopologySpread)],
  ['InterPodAffinity', (h, p) => interPodAffinity(h, p.pluginConfig?.InterPodAffinity)],
  ['NodeResourcesBalancedAllocation', (_h, p) => balancedAllocation(p.pluginConfig?.NodeResourcesBalancedAllocation)],
  ['DefaultBinder', (h) => defaultBinder(h)],
];

export class Framework {
  readonly profile: ProfileConfig;
  readonly handle: Handle;
  readonly plugins: AnyPlugin[] = [];
  readonly preFilter: PreFilterPlugin[] = [];
  readonly filter: FilterPlugin[] = [];
  readonly postFilter: PostFilterPlugin[] = [];
  readonly preScore: PreScorePlugin[] = [];
  readonly score: { plugin: ScorePlugin; weight: number }[] = [];
  readonly reserve: ReservePlugin[] = [];
  readonly permit: PermitPlugin[] = [];
  readonly preBind: PreBindPlugin[] = [];
  readonly bind: BindPlugin[] = [];
  #nextStart = 0;
  #feasible: NodeInfo[] = [];
  #totals = new Float64Array(0);
  #scores = new Float64Array(0);
  percentageOfNodesToScore: number | undefined;

  constructor(profile: ProfileConfig, handle: Handle, extra: AnyPlugin[] = []) {
    this.profile = profile;
    this.handle = handle;
    this.percentageOfNodesToScore = profile.percentageOfNodesToScore;
    const disabled = new Set(profile.disabled ?? []);
    const weights = { ...DEFAULT_WEIGHTS, ...(profile.weights ?? {}) };
    for (const [name, f] of REGISTRY) if (!disabled.has(name)) this.#add(f(handle, profile), weights);
    if (!disabled.has('DefaultPreemption')) this.#add(defaultPreemption(this), weights);
    for (const p of extra) this.#add(p, weights);
  }

  get name(): string {
    return this.profile.schedulerName;
  }

  #add(p: AnyPlugin, weights: Record<string, number>): void {
    this.plugins.push(p);
    if (p.preFilter) this.preFilter.push(p as PreFilterPlugin);
    if (p.filter) this.filter.push(p as FilterPlugin);
    if (p.postFilter) this.postFilter.push(p as PostFilterPlugin);
    if (p.preScore) this.preScore.push(p as PreScorePlugin);
    if (p.score) this.score.push({ plugin: p as ScorePlugin, weight: weights[p.name] ?? 1 });
    if (p.reserve) this.reserve.push(p as ReservePlugin);
    if (p.permit) this.permit.push(p as PermitPlugin);
    if (p.preBind) this.preBind.push(p as PreBindPlugin);
    if (p.bind) this.bind.push(p as BindPlugin);
  }

  // --- extension points -----------------------------------------------------------------------

  runPreFilter(state: CycleState, pod: PodInfo): { status: Result; nodeNames?: Set<string> } {
    let names: Set<string> | undefined;
    for (const p of this.preFilter) {
      const r = p.preFilter(state, pod);
      const s = r.status;
      if (s) {
        if (s.code === Code.Skip) {
          state.skipFilter.add(p.name);
          continue;
        }
        s.plugin = p.name;
        return { status: s };
      }
      if (r.nodeNames) names = names ? new Set([...names].filter((n) => r.nodeNames!.has(n))) : r.nodeNames;
    }
    return names ? { status: null, nodeNames: names } : { status: null };
  }

  runPreFilterAddPod(state: CycleState, pod: PodInfo, added: PodInfo, node: NodeInfo): void {
    for (const p of this.preFilter) if (p.addPod && !state.skipFilter.has(p.name)) p.addPod(state, pod, added, node);
  }

  runPreFilterRemovePod(state: CycleState, pod: PodInfo, removed: PodInfo, node: NodeInfo): void {
    for (const p of this.preFilter) if (p.removePod && !state.skipFilter.has(p.name)) p.removePod(state, pod, removed, node);
  }

  /** Filters until the first rejection (RunFilterPlugins). */
  runFilter(state: CycleState, pod: PodInfo, node: NodeInfo): Result {
    // (No closure here: one capturing `state` would cost a context allocation on every call.)
    const fs = state.filters ?? this.#filtersFor(state);
    for (let i = 0; i < fs.length; i++) {
      const p = fs[i]!;
      const s = p.filter(state, pod, node);
      if (s) {
        s.plugin = p.name;
        return s;
      }
    }
    return null;
  }

  /** The Filter plugins whose PreFilter did not say Skip, once per cycle. */
  #filtersFor(state: CycleState): FilterPlugin[] {
    const skip = state.skipFilter;
    state.filters = skip.size ? this.filter.filter((p) => !skip.has(p.name)) : this.filter;
    return state.filters;
  }

  /**
   * RunFilterPluginsWithNominatedPods: pods nominated to this node with at least this pod's
   * priority count as already there.
   */
  runFilterWithNominated(state: CycleState, pod: PodInfo, node: NodeInfo): Result {
    const nominated = this.handle.nominatedPods(node.name);
    if (nominated.length === 0) return this.runFilter(state, pod, node);
    let clone: NodeInfo | null = null;
    const added: PodInfo[] = [];
    for (const np of nominated) {
      if (np.key === pod.key || np.priority < pod.priority || node.hasPod(np.key)) continue;
      clone ??= node.clone();
      clone.addPod(np);
      this.runPreFilterAddPod(state, pod, np, clone);
      added.push(np);
    }
    if (!clone) return this.runFilter(state, pod, node);
    const s = this.runFilter(state, pod, clone);
    for (const np of added) this.runPreFilterRemovePod(state, pod, np, clone);
    return s;
  }

  /** Picks a node for the pod (schedulePod): filter a sample of nodes, score, select. */
  schedule(pod: PodInfo): ScheduleResult {
    const state = new CycleState();
    const all = this.handle.nodes();
    if (all.length === 0) {
      const d: Diagnosis = { statuses: new NodeStatuses(), unschedulablePlugins: new Set(), preFilterMsg: NO_NODES_MSG, postFilterMsg: '' };
      return { evaluated: 0, feasible: 0, fitError: new FitError(0, d), state };
    }
    const pre = this.runPreFilter(state, pod);
    if (pre.status) {
      const statuses = new NodeStatuses();
      statuses.absent = pre.status;
      const d: Diagnosis = { statuses, unschedulablePlugins: new Set([pre.status.plugin!]), preFilterMsg: message(pre.status), postFilterMsg: '' };
      if (!isRejected(pre.status)) d.unschedulablePlugins.clear();
      return { evaluated: 0, feasible: 0, fitError: new FitError(all.length, d), state };
    }
    // A pod that preempted before tries its nominated node first (evaluateNominatedNode).
    const nominated = pod.pod.status?.nominatedNodeName;
    if (nominated) {
      const ni = this.handle.nodeInfo(nominated);
      if (ni?.node && (!pre.nodeNames || pre.nodeNames.has(nominated)) && !this.runFilterWithNominated(state, pod, ni)) {
        return { node: nominated, evaluated: 1, feasible: 1, state };
      }
    }
    const statuses = new NodeStatuses();
    const unschedulablePlugins = new Set<string>();
    let nodes = all;
    if (pre.nodeNames) {
      nodes = all.filter((n) => pre.nodeNames!.has(n.name));
      statuses.absent = { code: Code.UnschedulableAndUnresolvable, reasons: [`node(s) didn't satisfy plugin(s) [NodeAffinity]`] };
    }
    const n = nodes.length;
    const want = pre.nodeNames ? n : numFeasibleNodesToFind(this.percentageOfNodesToScore, n);
    // One list for every cycle (cycles are synchronous and nothing keeps it past one).
    const feasible = this.#feasible;
    feasible.length = 0;
    const start = pre.nodeNames ? 0 : this.#nextStart % Math.max(n, 1);
    let processed = 0;
    const withNominated = this.#hasNominated();
    for (let i = 0; i < n && feasible.length < want; i++) {
      const ni = nodes[(start + i) % n]!;
      processed++;
      const s = withNominated ? this.runFilterWithNominated(state, pod, ni) : this.runFilter(state, pod, ni);
      if (!s) feasible.push(ni);
      else {
        statuses.set(ni.name, s);
        if (s.plugin) unschedulablePlugins.add(s.plugin);
      }
    }
    if (!pre.nodeNames) this.#nextStart = (start + processed) % n;
    if (feasible.length === 0) {
      const d: Diagnosis = { statuses, unschedulablePlugins, preFilterMsg: '', postFilterMsg: '' };
      for (const s of statuses.map.values()) if (s.code === Code.Error) d.unschedulablePlugins.clear();
      return { evaluated: processed, feasible: 0, fitError: new FitError(all.length, d), state };
    }
    if (feasible.length === 1) return { node: feasible[0]!.name, evaluated: processed, feasible: 1, state };
    const totals = this.runScore(state, pod, feasible, null);
    return { node: feasible[selectHost(totals)]!.name, evaluated: processed, feasible: feasible.length, state };
  }

  #hasNominated(): boolean {
    return (this.handle as Handle & { hasNominated?: () => boolean }).hasNominated?.() ?? true;
  }

  /** PreScore + Score + NormalizeScore + weights; per-plugin detail into `detail` when given. */
  runScore(state: CycleState, pod: PodInfo, nodes: NodeInfo[], detail: Map<string, { raw: Float64Array; norm: Float64Array; weight: number }> | null): Float64Array {
    // Without detail the arrays are scratch, reused from cycle to cycle (the sample size rarely changes).
    const n = nodes.length;
    let totals: Float64Array;
    if (detail) totals = new Float64Array(n);
    else {
      totals = this.#totals.length === n ? this.#totals : (this.#totals = new Float64Array(n));
      totals.fill(0);
    }
    for (const p of this.preScore) {
      const s = p.preScore(state, pod, nodes);
      if (s && s.code === Code.Skip) state.skipScore.add(p.name);
    }
    for (const { plugin, weight } of this.score) {
      if (state.skipScore.has(plugin.name)) continue;
      const scores = detail ? new Float64Array(n) : this.#scores.length === n ? this.#scores : (this.#scores = new Float64Array(n));
      for (let i = 0; i < n; i++) scores[i] = plugin.score(state, pod, nodes[i]!);
      const raw = detail ? scores.slice() : null;
      plugin.normalize?.(state, pod, scores, nodes);
      for (let i = 0; i < nodes.length; i++) totals[i] += scores[i]! * weight;
      if (detail) detail.set(plugin.name, { raw: raw!, norm: scores, weight });
    }
    return totals;
  }

  /** Every filter on every node, and every score on the feasible ones (explain). */
  explain(pod: PodInfo): { preFilter: Status | null; verdicts: NodeVerdict[]; fitError?: FitError; chosen?: string } {
    const state = new CycleState();
    const all = this.handle.nodes();
    const pre = this.runPreFilter(state, pod);
    if (pre.status) {
      const statuses = new NodeStatuses();
      statuses.absent = pre.status;
      const verdicts = all.map((n) => ({ node: n.name, filters: [{ plugin: pre.status!.plugin ?? '', code: CODE_NAMES[pre.status!.code], reasons: pre.status!.reasons }], feasible: false, scores: [], total: 0 }));
      return { preFilter: pre.status, verdicts, fitError: new FitError(all.length, { statuses, unschedulablePlugins: new Set(), preFilterMsg: message(pre.status), postFilterMsg: '' }) };
    }
    const verdicts: NodeVerdict[] = [];
    const feasible: NodeInfo[] = [];
    const feasibleV: NodeVerdict[] = [];
    const statuses = new NodeStatuses();
    for (const ni of all) {
      const v: NodeVerdict = { node: ni.name, filters: [], feasible: true, scores: [], total: 0 };
      if (pre.nodeNames && !pre.nodeNames.has(ni.name)) {
        v.filters.push({ plugin: 'NodeAffinity', code: 'UnschedulableAndUnresolvable', reasons: [`node(s) didn't satisfy plugin(s) [NodeAffinity]`] });
        v.feasible = false;
      } else {
        let first: Status | null = null;
        for (const p of this.filter) {
          if (state.skipFilter.has(p.name)) {
            v.filters.push({ plugin: p.name, code: 'Skip', reasons: [] });
            continue;
          }
          const s = p.filter(state, pod, ni);
          v.filters.push({ plugin: p.name, code: CODE_NAMES[s ? s.code : Code.Success], reasons: s ? s.reasons : [] });
          if (s && !first) first = s;
        }
        if (first) {
          v.feasible = false;
          statuses.set(ni.name, first);
        }
      }
      verdicts.push(v);
      if (v.feasible) {
        feasible.push(ni);
        feasibleV.push(v);
      }
    }
    if (!feasible.length) return { preFilter: null, verdicts, fitError: new FitError(all.length, { statuses, unschedulablePlugins: new Set(), preFilterMsg: '', postFilterMsg: '' }) };
    const detail = new Map<string, { raw: Float64Array; norm: Float64Array; weight: number }>();
    const totals = this.runScore(state, pod, feasible, detail);
    for (let i = 0; i < feasible.length; i++) {
      const v = feasibleV[i]!;
      v.total = totals[i]!;
      for (const [plugin, d] of detail) v.scores.push({ plugin, raw: d.raw[i]!, normalized: d.norm[i]!, weight: d.weight, weighted: d.norm[i]! * d.weight });
    }
    let best = 0;
    for (let i = 1; i < totals.length; i++) if (totals[i]! > totals[best]!) best = i;
    return { preFilter: null, verdicts, chosen: feasible[best]!.name };
  }
}

/**
 * selectHost: the highest total; ties broken uniformly at random (as upstream's reservoir
 * sampling, with one random draw: count the ties, then take the k-th).
 */
export function selectHost(totals: Float64Array): number {
  let max = -Infinity;
  let ties = 0;
  for (let i = 0; i < totals.length; i++) {
    const t = totals[i]!;
    if (t > max) {
      max = t;
      ties = 1;
    } else if (t === max) ties++;
  }
  if (ties <= 1) {
    for (let i = 0; i < totals.length; i++) if (totals[i] === max) return i;
    return 0;
  }
  let k = Math.floor(Math.random() * ties);
  for (let i = 0; i < totals.length; i++) if (totals[i] === max && k-- === 0) return i;
  return 0;
}
