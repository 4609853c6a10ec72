// The scheduling framework's contracts, as kube-scheduler's pkg/scheduler/framework/interface.go:
// status codes returned (never thrown) by plugins, cycle state, and the extension points
// PreFilter / Filter / PostFilter / PreScore / Score (+ normalize) / Reserve / Permit / Bind.
import type { Obj } from '../client/types.ts';
import type { NodeInfo, PodInfo } from './nodeinfo.ts';

export type { Obj };

export const Code = {
  Success: 0,
  Error: 1,
  Unschedulable: 2,
  UnschedulableAndUnresolvable: 3,
  Wait: 4,
  Skip: 5,
  Pending: 6,
} as const;
export type Code = (typeof Code)[keyof typeof Code];
export const CODE_NAMES = ['Success', 'Error', 'Unschedulable', 'UnschedulableAndUnresolvable', 'Wait', 'Skip', 'Pending'] as const;

/** A plugin's verdict; `null` stands for Success so the hot path allocates nothing. */
export interface Status {
  code: Code;
  reasons: string[];
  plugin?: string;
}

export type Result = Status | null;

export function status(code: Code, ...reasons: string[]): Status {
  return { code, reasons };
}
export const unschedulable = (...reasons: string[]): Status => ({ code: Code.Unschedulable, reasons });
export const unresolvable = (...reasons: string[]): Status => ({ code: Code.UnschedulableAndUnresolvable, reasons });
export const errorStatus = (e: unknown): Status => ({ code: Code.Error, reasons: [e instanceof Error ? e.message : String(e)] });
export const SKIP: Status = Object.freeze({ code: Code.Skip, reasons: [] }) as Status;

export const isRejected = (s: Result) => !!s && (s.code === Code.Unschedulable || s.code === Code.UnschedulableAndUnresolvable);
export const message = (s: Result) => (s ? s.reasons.join(', ') : '');

export const MAX_NODE_SCORE = 100;

/** Per-cycle data plugins share between extension points (framework.CycleState). */
export class CycleState {
  #data = new Map<string, unknown>();
  /** Plugins whose PreScore said Skip for this cycle. */
  skipScore = new Set<string>();
  skipFilter = new Set<string>();
  /** The Filter plugins not skipped by their PreFilter (set by the framework after PreFilter). */
  filters: FilterPlugin[] | null = null;
  read<T>(key: string): T | undefined {
    return this.#data.get(key) as T | undefined;
  }
  write(key: string, v: unknown): void {
    this.#data.set(key, v);
  }
}

/** What plugins may look at besides the pod and node (framework.Handle). */
export interface Handle {
  /** Every node with a Node object, in the scheduler's round-robin order. */
  nodes(): NodeInfo[];
  nodeInfo(name: string): NodeInfo | undefined;
  /** Placed pods with any affinity term, and with required anti-affinity (0 = plugins may skip their scans). */
  affinityCounts(): { withAffinity: number; withRequiredAntiAffinity: number };
  /** Live count of pods matching `selector` in `namespace`, per node (shared incremental index). */
  selectorCounts(namespace: string, selector: import('../machinery/labels.ts').Selector, selectorKey: string): Map<string, number>;
  /** Live count of matching pods per value of `topologyKey`, and the node count per value. */
  selectorDomainCounts(namespace: string, selector: import('../machinery/labels.ts').Selector, selectorKey: string, topologyKey: string): Map<string, number>;
  domainNodes(topologyKey: string): Map<string, number>;
  /** Object listers from the shared informers. */
  lister(resource: 'pvcs' | 'pvs' | 'storageclasses' | 'pdbs' | 'namespaces' | 'services' | 'replicasets' | 'statefulsets' | 'replicationcontrollers'): Lister;
  /** Pods nominated to a node (status.nominatedNodeName) that are not yet bound. */
  nominatedPods(nodeName: string): PodInfo[];
  podPriority(pod: Obj): number;
  now(): number;
  /** Resolves true once `check()` holds (re-checked on storage informer events), false after `timeoutMs`. */
  waitFor(check: () => boolean, timeoutMs: number): Promise<boolean>;
  client: import('../client/client.ts').KubeClient;
}

export interface Lister {
  get(namespaceOrName: string, name?: string): Obj | undefined;
  list(namespace?: string): Obj[];
}

export interface Plugin {
  readonly name: string;
  /** Cluster events that may make a pod this plugin rejected schedulable (queueing hints, coarse). */
  events?: readonly ClusterEvent[];
}

export type ClusterEvent =
  | 'NodeAdd'
  | 'NodeUpdate'
  | 'NodeDelete'
  | 'AssignedPodAdd'
  | 'AssignedPodUpdate'
  | 'AssignedPodDelete'
  | 'UnscheduledPodUpdate'
  | 'PvcAdd'
  | 'PvcUpdate'
  | 'PvAdd'
  | 'PvUpdate'
  | 'StorageClassAdd'
  | 'StorageClassUpdate'
  | 'NamespaceChange'
  | 'PdbChange'
  | 'ServiceChange';

export interface PreFilterPlugin extends Plugin {
  /** May return the only node names worth filtering (PreFilterResult), or Skip. */
  preFilter(state: CycleState, pod: PodInfo): { status: Result; nodeNames?: Set<string> };
  /** PreFilterExtensions: keep cycle state right when preemption adds or removes a pod. */
  addPod?(state: CycleState, pod: PodInfo, added: PodInfo, node: NodeInfo): void;
  removePod?(state: CycleState, pod: PodInfo, removed: PodInfo, node: NodeInfo): void;
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Result;
}

export interface PostFilterPlugin extends Plugin {
  postFilter(state: CycleState, pod: PodInfo, statuses: NodeStatuses): Promise<{ status: Result; nominatedNodeName?: string }>;
}

export interface PreScorePlugin extends Plugin {
  preScore(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): Result;
}

export interface ScorePlugin extends Plugin {
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  /** Rewrites scores in place to 0..100 (ScoreExtensions.NormalizeScore). */
  normalize?(state: CycleState, pod: PodInfo, scores: Float64Array, nodes: NodeInfo[]): void;
}

export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: PodInfo, nodeName: string): Result;
  unreserve(state: CycleState, pod: PodInfo, nodeName: string): void;
}

export interface PermitPlugin extends Plugin {
  permit(state: CycleState, pod: PodInfo, nodeName: string): Result;
}

export interface PreBindPlugin extends Plugin {
  preBind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Result>;
}

export interface BindPlugin extends Plugin {
  bind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Result>;
}

/** Per-node filter verdicts of one cycle; nodes not in the map got `absent` (NodeToStatus). */
export class NodeStatuses {
  readonly map = new Map<string, Status>();
  absent: Status | null = null;
  get(name: string): Status | null {
    return this.map.get(name) ?? this.absent;
  }
  set(name: string, s: Status): void {
    this.map.set(name, s);
  }
}

export type AnyPlugin = Partial<PreFilterPlugin & FilterPlugin & PostFilterPlugin & PreScorePlugin & ScorePlugin & ReservePlugin & PermitPlugin & PreBindPlugin & BindPlugin> & Plugin;

/** Plugin arguments by plugin name (KubeSchedulerConfiguration pluginConfig). */
export interface PluginArgs {
  NodeResourcesFit?: {
    scoringStrategy?: {
      type?: 'LeastAllocated' | 'MostAllocated' | 'RequestedToCapacityRatio';
      resources?: { name: string; weight: number }[];
      requestedToCapacityRatio?: { shape: { utilization: number; score: number }[] };
    };
    ignoredResources?: string[];
  };
  NodeResourcesBalancedAllocation?: { resources?: { name: string; weight: number }[] };
  PodTopologySpread?: { defaultConstraints?: Obj[]; defaultingType?: 'System' | 'List' };
  InterPodAffinity?: { hardPodAffinityWeight?: number };
}

/** One scheduler profile (KubeSchedulerProfile). */
export interface ProfileConfig {
  schedulerName: string;
  /** Plugin names to leave out of the default set. */
  disabled?: string[];
  /** Score weights overriding the defaults, by plugin name. */
  weights?: Record<string, number>;
  pluginConfig?: PluginArgs;
  percentageOfNodesToScore?: number;
}
