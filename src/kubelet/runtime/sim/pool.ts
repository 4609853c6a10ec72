// Simulated nodes, as kwok runs them: many fake kubelets in one process that register Nodes,
// renew their Leases every 10 s, and move their pods through Pending → Running (→ Succeeded /
// Failed, crash loops with the kubelet's back-off) with upstream conditions and container statuses,
// pod IPs from each node's pod CIDR, graceful deletion, and ephemeral containers (kubectl debug) that
// run from when they appear until the pod stops — driven by stages (stages.ts). One pod
// informer indexed by spec.nodeName serves every node; status writes go through a shared queue.
import { toError, type KubeClient } from '../../../client/client.ts';
import type { Informer, InformerFactory } from '../../../client/informer.ts';
import { keyOf } from '../../../client/informer.ts';
import type { Obj } from '../../../client/types.ts';
import { ItemExponentialFailureRateLimiter, WorkQueue, runWorkers } from '../../../client/workqueue.ts';
import { realClock, type Clock } from '../../../machinery/clock.ts';
import { StatusError, isAlreadyExists, isConflict, isNotFound } from '../../../machinery/errors.ts';
import {
  NODE_LEASE_DURATION_SECONDS,
  NODE_LEASE_NAMESPACE,
  NODE_LEASE_RENEW_MS,
  NODE_STATUS_REPORT_MS,
  microTime,
  nodeConditions,
  nodeInternalIP,
  nodeLabels,
  nodeLease,
  nodeObject,
  nodeStatus,
  rfc3339,
  transitionTimes,
  type NodeIdentity,
  type NodeSpecInput,
} from '../../nodes.ts';
import { DEFAULT_POD_CIDRS, NodeNetworkAllocator, PodIPAllocator } from './ipam.ts';
import { defaultStages, stageDelay, stageMatches, type DefaultStageTimes, type PodStatus, type Stage, type StageKind } from './stages.ts';
import { Timeline, type Scheduled } from './timeline.ts';

export const SIM_RUNTIME_VERSION = 'sim://0.1.0';
/** The pod informer index this pool adds: pods by spec.nodeName. */
export const NODE_NAME_INDEX = 'spec.nodeName';

const BACKOFF_INITIAL_MS = 10_000;
const BACKOFF_MAX_MS = 5 * 60_000;
/** A container that ran this long has its back-off reset (the kubelet: twice the maximum back-off). */
const BACKOFF_RESET_MS = 2 * BACKOFF_MAX_MS;

/** A node to simulate; `kubeletVersion` overrides the pool's (nodes of an upgraded AKS pool). */
export type SimNodeSpec = NodeSpecInput & { kubeletVersion?: string };

export interface SimNodePoolOptions {
  clock?: Clock;
  /** Stages tried before the defaults (first match of a kind wins). */
  stages?: Stage[];
  /** Timings of the default stages. */
  stageTimes?: DefaultStageTimes;
  /** Lease renew interval (kubelet: 10 s). */
  leaseRenewMs?: number;
  leaseDurationSeconds?: number;
  /** How often a node posts its status when nothing changed (kubelet nodeStatusReportFrequency: 5 min). */
  statusUpdateMs?: number;
  /**
   * The cluster pod CIDR(s) node pod CIDRs are carved from, in order (default 127.244.0.0/16, then
   * 127.224.0.0/11 past its 256 nodes).
   */
  podCIDRBase?: string | string[];
  /** Prefix length of each node's pod CIDR (default 24). */
  nodeCIDRMaskSize?: number;
  /** Where node InternalIPs come from (default 127.10.0.0/16). */
  nodeAddressCIDR?: string;
  /** Reported as nodeInfo.kubeletVersion (default: the API server's gitVersion from GET /version). */
  kubeletVersion?: string;
  /** API calls in flight at once for pod status writes and deletions (default 64). */
  concurrency?: number;
  /** API calls in flight at once for node registration, leases and node status (default 32). */
  nodeConcurrency?: number;
  random?: () => number;
  /** Hears errors the pool retries (default: ignored). */
  onError?: (what: string, e: unknown) => void;
}

/** What a cluster does with its simulated nodes, on this thread (SimNodePool) or another (SimNodeThread). */
export interface SimNodes {
  /** Adds a node; resolves once its Node and Lease exist. */
  addNode(spec: SimNodeSpec): Promise<SimNodeInfo>;
  /** Stops simulating a node and deletes its Node and Lease. */
  removeNode(name: string): Promise<void>;
  /** Stops the node's heartbeats and its pods' progress (`skiff node fail`). */
  fail(name: string): void;
  /** `skiff node recover`. */
  recover(name: string): void;
  nodes(): SimNodeInfo[];
  node(name: string): SimNodeInfo | undefined;
}

export interface SimNodeInfo {
  name: string;
  address: string;
  podCIDR: string;
  registered: boolean;
  failed: boolean;
  /** Pods bound to the node that the pool tracks. */
  pods: number;
}

interface SimNode {
  spec: SimNodeSpec;
  name: string;
  address: string;
  podCIDR: string;
  ips: PodIPAllocator | undefined;
  uid: string | undefined;
  registered: boolean;
  failed: boolean;
  removed: boolean;
  lease: Obj | undefined;
  leaseTimer: Scheduled | undefined;
  statusTimer: Scheduled | undefined;
  registration: Promise<void> | undefined;
  pods: Set<PodState>;
}

type Step = 'starting' | 'running' | 'backoff' | 'done' | 'stopping' | 'stopped';

interface Terminated {
  exitCode: number;
  reason: string;
  message?: string;
  startedAt: number;
  finishedAt: number;
  containerID: string;
}

interface PodState {
  key: string;
  uid: string;
  namespace: string;
  name: string;
  node: SimNode;
  step: Step;
  ip: string | undefined;
  /** Whether `ip` came from the node's allocator (not hostNetwork, not released). */
  ownsIP: boolean;
  startTime: number;
  runStart: number;
  restartCount: number;
  /** Exits since the back-off was last reset. */
  exits: number;
  backoffMs: number;
  last: Terminated | undefined;
  term: Terminated | undefined;
  runs: Map<Stage, number>;
  timer: Scheduled | undefined;
  /** A stage transition that fell due while the node was failed. */
  deferred: (() => void) | undefined;
  /** Condition type → status and when it last changed. */
  conds: Map<string, { status: string; at: number }>;
  extra: Partial<PodStatus> | undefined;
  version: number;
  written: number;
  writtenRV: number;
  writing: boolean;
  /** The pod was deleted (grace period 0); the informer will drop it. */
  deleted: boolean;
  dropped: boolean;
  /** containerID of the current run, by restart count. */
  cid: { restart: number; id: string } | undefined;
  /** When each ephemeral container started (they run until the pod stops). */
  eph: Map<string, number> | undefined;
}

/** Pod conditions the kubelet owns (kubetypes.PodConditionByKubelet). */
const KUBELET_CONDITIONS = new Set(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);

/** Go's time.Duration String for whole seconds: 10s, 1m20s, 5m0s. */
function goDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  return `${Math.floor(m / 60)}h${m % 60}m${s % 60}s`;
}

function hex32(seed: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < seed.length; i++) {
    const c = seed.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x5bd1e995) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

/** At most `max` calls at once; the rest wait their turn. */
class Limiter {
  #max: number;
  #active = 0;
  #waiting: (() => void)[] = [];

  constructor(max: number) {
    this.#max = Math.max(1, max);
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#max) await new Promise<void>((r) => this.#waiting.push(r));
    else this.#active++;
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active--;
    }
  }
}

export class SimNodePool implements SimNodes {
  #client: KubeClient;
  #clock: Clock;
  #timeline: Timeline;
  #stages: Stage[];
  #opts: SimNodePoolOptions;
  #nodeInf: Informer;
  #podInf: Informer;
  #nodes = new Map<string, SimNode>();
  #pods = new Map<string, PodState>();
  #queue: WorkQueue;
  #net: NodeNetworkAllocator;
  #started: Promise<void> | undefined;
  #stopped = false;
  #kubeletVersion: string | undefined;
  #imageIDs = new Map<string, string>();
  #random: () => number;
  #leaseRenewMs: number;
  #statusUpdateMs: number;
  #nodeCalls: Limiter;

  constructor(client: KubeClient, informers: InformerFactory, opts: SimNodePoolOptions = {}) {
    this.#client = client;
    this.#opts = opts;
    this.#clock = opts.clock ?? realClock;
    this.#timeline = new Timeline(this.#clock);
    this.#stages = [...(opts.stages ?? []), ...defaultStages(opts.stageTimes)];
    this.#random = opts.random ?? Math.random;
    this.#leaseRenewMs = opts.leaseRenewMs ?? NODE_LEASE_RENEW_MS;
    this.#statusUpdateMs = opts.statusUpdateMs ?? NODE_STATUS_REPORT_MS;
    this.#kubeletVersion = opts.kubeletVersion;
    this.#net = new NodeNetworkAllocator(opts.podCIDRBase ?? DEFAULT_POD_CIDRS, opts.nodeCIDRMaskSize ?? 24, opts.nodeAddressCIDR ?? '127.10.0.0/16');
    // Per-pod back-off only: an overall bucket would trickle thousands of retries after a burst of 429s.
    this.#queue = new WorkQueue({ clock: this.#clock, rateLimiter: new ItemExponentialFailureRateLimiter(5, 10_000) });
    this.#nodeCalls = new Limiter(opts.nodeConcurrency ?? 32);
    this.#nodeInf = informers.informer('', 'nodes');
    // Bound pods only, as a kubelet watches its node's (pods waiting for the scheduler are not ours).
    this.#podInf = informers.informer('', 'pods', { fieldSelector: 'spec.nodeName!=' });
    this.#podInf.addIndex(NODE_NAME_INDEX, (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []));
  }

  // --- lifecycle --------------------------------------------------------------------------------

  /** Starts the informers and workers, then registers every node added so far. */
  start(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  async #start(): Promise<void> {
    this.#nodeInf.addEventHandler({
      add: (n) => this.#net.remember(nodeInternalIP(n), n.spec?.podCIDR),
    });
    this.#podInf.addEventHandler({
      add: (p) => this.#onPod(p),
      update: (_o, p) => this.#onPod(p),
      delete: (p) => {
        const st = this.#pods.get(keyOf(p));
        if (st && st.uid === p.metadata?.uid) this.#drop(st);
      },
    });
    this.#nodeInf.start();
    this.#podInf.start();
    await Promise.all([this.#nodeInf.synced(), this.#podInf.synced()]);
    if (!this.#kubeletVersion) {
      try {
        const res = await this.#client.transport.request({ method: 'GET', path: '/version' });
        this.#kubeletVersion = JSON.parse(res.body.toString('utf8')).gitVersion;
      } catch (e) {
        this.#report('get /version', e);
      }
    }
    void runWorkers(this.#queue, this.#opts.concurrency ?? 64, (key) => this.#sync(key), (key, e) => this.#report(`sync pod ${key}`, e));
    await Promise.all([...this.#nodes.values()].map((n) => this.#ensureRegistered(n)));
  }

  stop(): void {
    this.#stopped = true;
    this.#queue.shutDown();
    this.#timeline.stop();
  }

  // --- nodes ------------------------------------------------------------------------------------

  /** Adds a node; resolves once its Node and Lease exist (after start()). */
  async addNode(spec: SimNodeSpec): Promise<SimNodeInfo> {
    if (this.#nodes.has(spec.name)) throw new Error(`simulated node ${spec.name} already exists`);
    const n: SimNode = {
      spec,
      name: spec.name,
      address: '',
      podCIDR: '',
      ips: undefined,
      uid: undefined,
      registered: false,
      failed: false,
      removed: false,
      lease: undefined,
      leaseTimer: undefined,
      statusTimer: undefined,
      registration: undefined,
      pods: new Set(),
    };
    this.#nodes.set(spec.name, n);
    if (this.#started) {
      await this.#started;
      await this.#ensureRegistered(n);
    }
    return this.#info(n);
  }

  /** Stops simulating a node and deletes its Node and Lease. */
  async removeNode(name: string): Promise<void> {
    const n = this.#nodes.get(name);
    if (!n) return;
    n.removed = true;
    this.#nodes.delete(name);
    n.leaseTimer?.cancel();
    n.statusTimer?.cancel();
    for (const st of [...n.pods]) this.#drop(st);
    await n.registration?.catch(() => {});
    this.#net.forget(n.address, n.podCIDR);
    for (const del of [() => this.#client.leases(NODE_LEASE_NAMESPACE).delete(name), () => this.#client.nodes().delete(name)]) {
      try {
        await del();
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }

  /** Stops the node's heartbeats (Lease and status) and the progress of its pods, as a node that went away. */
  fail(name: string): void {
    const n = this.#mustGet(name);
    n.failed = true;
    n.leaseTimer?.cancel();
    n.statusTimer?.cancel();
    n.leaseTimer = n.statusTimer = undefined;
  }

  /** Brings a failed node back: renews its Lease and posts its status now, and resumes its pods. */
  recover(name: string): void {
    const n = this.#mustGet(name);
    if (!n.failed) return;
    n.failed = false;
    if (!n.registered) return;
    void this.#renewLease(n);
    void this.#postStatus(n);
    for (const st of n.pods) {
      const fn = st.deferred;
      st.deferred = undefined;
      fn?.();
    }
    this.#enqueueNodePods(n);
  }

  nodes(): SimNodeInfo[] {
    return [...this.#nodes.values()].map((n) => this.#info(n));
  }

  node(name: string): SimNodeInfo | undefined {
    const n = this.#nodes.get(name);
    return n && this.#info(n);
  }

  /** The pod IP allocator of a node (after it registered). */
  podIPs(name: string): PodIPAllocator | undefined {
    return this.#nodes.get(name)?.ips;
  }

  #info(n: SimNode): SimNodeInfo {
    return { name: n.name, address: n.address, podCIDR: n.podCIDR, registered: n.registered, failed: n.failed, pods: n.pods.size };
  }

  #mustGet(name: string): SimNode {
    const n = this.#nodes.get(name);
    if (!n) throw new Error(`no simulated node ${name}`);
    return n;
  }

  #ensureRegistered(n: SimNode): Promise<void> {
    n.registration ??= this.#register(n).catch((e) => {
      n.registration = undefined;
      throw e;
    });
    return n.registration;
  }

  #identity(n: SimNode): NodeIdentity {
    return {
      address: n.address,
      podCIDR: n.podCIDR,
      kubeletVersion: n.spec.kubeletVersion ?? this.#kubeletVersion ?? 'v0.0.0',
      containerRuntimeVersion: SIM_RUNTIME_VERSION,
      ...(n.uid ? { uid: n.uid } : {}),
    };
  }

  /**
   * One node API call through the node-call limiter (thousands of nodes must not exceed the API
   * server's inflight limits); 429s and server errors are retried after a second.
   */
  async #call<T>(n: SimNode, fn: () => Promise<T>, attempts = 30): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await this.#nodeCalls.run(fn);
      } catch (e) {
        const retriable = e instanceof StatusError && (e.code === 429 || e.code >= 500);
        if (!retriable || i >= attempts || n.removed || this.#stopped) throw e;
        await new Promise<void>((r) => this.#timeline.after(1000, r));
      }
    }
  }

  async #register(n: SimNode): Promise<void> {
    const nodes = this.#client.nodes();
    const existing = this.#nodeInf.get(n.name);
    const now = this.#clock.now();
    if (existing) {
      // Re-registration (the process restarted): keep the node's addresses and pod CIDR.
      n.address = nodeInternalIP(existing) ?? this.#net.allocateAddress();
      n.podCIDR = existing.spec?.podCIDR || this.#net.allocateCidr();
      n.uid = existing.metadata.uid;
      const spec = existing.spec?.podCIDR ? {} : { spec: { podCIDR: n.podCIDR, podCIDRs: [n.podCIDR] } };
      await this.#call(n, () => nodes.patch(n.name, 'strategic', { metadata: { labels: nodeLabels(n.spec) }, ...spec }));
      await this.#call(n, () => nodes.patch(n.name, 'strategic', { status: nodeStatus(n.spec, this.#identity(n), now, existing) }, { subresource: 'status' }));
    } else {
      n.address = this.#net.allocateAddress();
      n.podCIDR = this.#net.allocateCidr();
      try {
        const created = await this.#call(n, () => nodes.create(nodeObject(n.spec, this.#identity(n), now)));
        n.uid = created.metadata.uid;
      } catch (e) {
        this.#net.forget(n.address, n.podCIDR);
        if (!isAlreadyExists(e)) throw e;
        // Someone else registered it between our look and our create: adopt theirs.
        const cur = await this.#call(n, () => nodes.get(n.name));
        this.#net.remember(nodeInternalIP(cur), cur.spec?.podCIDR);
        n.address = nodeInternalIP(cur) ?? this.#net.allocateAddress();
        n.podCIDR = cur.spec?.podCIDR || this.#net.allocateCidr();
        n.uid = cur.metadata.uid;
        await this.#call(n, () => nodes.patch(n.name, 'strategic', { status: nodeStatus(n.spec, this.#identity(n), now, cur) }, { subresource: 'status' }));
      }
    }
    n.ips = new PodIPAllocator(n.podCIDR);
    if (n.removed) return;
    await this.#renewLease(n);
    n.registered = true;
    this.#scheduleStatus(n);
    this.#enqueueNodePods(n);
  }

  /** The next renewal, as the lease controller's JitterUntil: the interval plus up to 4 % more. */
  #scheduleLease(n: SimNode, ms = this.#leaseRenewMs * (1 + 0.04 * this.#random())) {
    n.leaseTimer?.cancel();
    n.leaseTimer = undefined;
    if (n.failed || n.removed || this.#stopped) return;
    n.leaseTimer = this.#timeline.after(ms, () => void this.#renewLease(n));
  }

  #scheduleStatus(n: SimNode) {
    n.statusTimer?.cancel();
    n.statusTimer = undefined;
    if (n.failed || n.removed || this.#stopped) return;
    n.statusTimer = this.#timeline.after(this.#statusUpdateMs, () => void this.#postStatus(n));
  }

  /** Creates or renews the node's Lease (the kubelet's node lease controller); a failure retries in a second. */
  async #renewLease(n: SimNode): Promise<void> {
    this.#scheduleLease(n);
    if (n.failed || n.removed || this.#stopped) return;
    try {
      // A renewal still waiting for a slot when the pool stops (or the node goes) is dropped.
      await this.#nodeCalls.run(() => (n.failed || n.removed || this.#stopped ? Promise.resolve() : this.#renewLeaseOnce(n)));
    } catch (e) {
      this.#report(`renew lease of node ${n.name}`, e);
      this.#scheduleLease(n, 1000);
    }
  }

  async #renewLeaseOnce(n: SimNode): Promise<void> {
    const leases = this.#client.leases(NODE_LEASE_NAMESPACE);
    const now = this.#clock.now();
    const duration = this.#opts.leaseDurationSeconds ?? NODE_LEASE_DURATION_SECONDS;
    if (n.lease) {
      try {
        n.lease = await leases.update({ ...n.lease, spec: { ...n.lease.spec, holderIdentity: n.name, leaseDurationSeconds: duration, renewTime: microTime(now) } });
        return;
      } catch (e) {
        if (!isConflict(e) && !isNotFound(e)) throw e;
        n.lease = undefined;
      }
    }
    const fresh = nodeLease(n.name, n.uid, now, duration);
    try {
      n.lease = await leases.create(fresh);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      const cur = await leases.get(n.name);
      n.lease = await leases.update({ ...cur, metadata: { ...cur.metadata, ownerReferences: fresh.metadata.ownerReferences }, spec: { ...cur.spec, ...fresh.spec } });
    }
  }

  /** Posts the node's conditions with a fresh heartbeat. */
  async #postStatus(n: SimNode): Promise<void> {
    this.#scheduleStatus(n);
    if (n.failed || n.removed || this.#stopped) return;
    try {
      const conditions = nodeConditions(this.#clock.now(), transitionTimes(this.#nodeInf.get(n.name)));
      await this.#call(n, () => this.#client.nodes().patch(n.name, 'strategic', { status: { conditions } }, { subresource: 'status' }), 5);
    } catch (e) {
      this.#report(`update status of node ${n.name}`, e);
    }
  }

  #enqueueNodePods(n: SimNode) {
    for (const p of this.#podInf.byIndex(NODE_NAME_INDEX, n.name)) this.#queue.add(keyOf(p));
  }

  // --- pods ---------------------------------------------------------------------------------------

  #onPod(p: Obj) {
    const nodeName = p.spec?.nodeName;
    if (!nodeName) return;
    const key = keyOf(p);
    const st = this.#pods.get(key);
    if (!this.#nodes.has(nodeName) && !st) return;
    // A change someone else made (Ready marked False, readiness gates, deletion): re-post our view.
    if (st && !st.writing && st.uid === p.metadata?.uid && Number(p.metadata?.resourceVersion ?? 0) > st.writtenRV) st.version++;
    // A new ephemeral container (kubectl debug) is reported even if that change raced our own write.
    else if (st && st.uid === p.metadata?.uid && (p.spec?.ephemeralContainers?.length ?? 0) > (st.eph?.size ?? 0)) st.version++;
    this.#queue.add(key);
  }

  #report(what: string, e: unknown) {
    this.#opts.onError?.(what, e);
  }

  async #sync(key: string): Promise<void> {
    // In-process requests resolve as microtasks only: without a turn of the event loop between
    // syncs, a backlog of thousands of pods would starve every timer (lease renewals included).
    await new Promise<void>((r) => setImmediate(r));
    if (this.#stopped) return;
    const pod = this.#podInf.getByKey(key);
    let st = this.#pods.get(key);
    const n = pod ? this.#nodes.get(pod.spec?.nodeName ?? '') : undefined;
    if (st && (!pod || !n || st.uid !== pod.metadata.uid || st.node !== n)) {
      this.#drop(st);
      st = undefined;
    }
    if (!pod || !n || !n.registered || n.failed) return;
    if (!st) {
      st = this.#adopt(pod, n);
      if (!st) return;
    }
    if (pod.metadata.deletionTimestamp && st.step !== 'stopping' && st.step !== 'stopped') this.#beginStop(st, pod);
    if (st.version > st.written) await this.#writeStatus(st, pod);
    if (st.step === 'stopped' && !st.dropped && !st.deleted) await this.#deleteNow(st);
  }

  /** Starts tracking a pod bound to one of our nodes. */
  #adopt(pod: Obj, n: SimNode): PodState | undefined {
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return undefined;
    const now = this.#clock.now();
    const st: PodState = {
      key: keyOf(pod),
      uid: pod.metadata.uid,
      namespace: pod.metadata.namespace,
      name: pod.metadata.name,
      node: n,
      step: 'starting',
      ip: undefined,
      ownsIP: false,
      startTime: now,
      runStart: now,
      restartCount: 0,
      exits: 0,
      backoffMs: 0,
      last: undefined,
      term: undefined,
      runs: new Map(),
      timer: undefined,
      deferred: undefined,
      conds: new Map(),
      extra: undefined,
      version: 0,
      written: 0,
      writtenRV: Number(pod.metadata.resourceVersion ?? 0),
      writing: false,
      deleted: false,
      dropped: false,
      cid: undefined,
      eph: undefined,
    };
    for (const c of pod.status?.conditions ?? []) {
      if (c?.type && c.lastTransitionTime) st.conds.set(c.type, { status: c.status, at: Date.parse(c.lastTransitionTime) });
    }
    this.#pods.set(st.key, st);
    n.pods.add(st);
    const ip = pod.status?.podIP;
    if (phase === 'Running' && ip) {
      // Already running (this process restarted): pick it up where it is.
      if (pod.spec?.hostNetwork) st.ip = ip;
      else if (n.ips!.claim(ip)) {
        st.ip = ip;
        st.ownsIP = true;
      } else st.version++;
      if (!st.ip) this.#allocateIP(st, pod);
      const cs = (pod.status?.containerStatuses ?? [])[0];
      for (const e of pod.status?.ephemeralContainerStatuses ?? []) {
        const at = e?.state?.running?.startedAt;
        if (at) (st.eph ??= new Map()).set(e.name, Date.parse(at));
      }
      st.step = 'running';
      st.restartCount = cs?.restartCount ?? 0;
      st.startTime = pod.status?.startTime ? Date.parse(pod.status.startTime) : now;
      const started = cs?.state?.running?.startedAt;
      st.runStart = started ? Date.parse(started) : now;
      if (!cs?.state?.running) st.version++;
      if (!pod.metadata.deletionTimestamp) this.#scheduleExit(st, pod, st.runStart);
      return st;
    }
    if (!pod.metadata.deletionTimestamp) {
      this.#allocateIP(st, pod);
      const stage = this.#pick('ready', pod, st);
      const delay = stage ? stageDelay(stage, this.#random) : 0;
      if (delay > 0) {
        // The kubelet reports the pod as ContainerCreating while its sandbox and containers start.
        st.version++;
        this.#schedule(st, delay, () => this.#toRunning(st, stage));
      } else this.#toRunning(st, stage);
    }
    return st;
  }

  #allocateIP(st: PodState, pod: Obj) {
    if (pod.spec?.hostNetwork) {
      st.ip = st.node.address;
      return;
    }
    const ip = st.node.ips!.allocate();
    if (ip) {
      st.ip = ip;
      st.ownsIP = true;
    }
  }

  #releaseIP(st: PodState) {
    if (st.ownsIP && st.ip) st.node.ips?.release(st.ip);
    st.ownsIP = false;
  }

  #pick(kind: StageKind, pod: Obj, st: PodState): Stage | undefined {
    for (const s of this.#stages) {
      if (s.kind !== kind) continue;
      if (s.times !== undefined && (st.runs.get(s) ?? 0) >= s.times) continue;
      if (stageMatches(s, pod)) return s;
    }
    return undefined;
  }

  /** Runs a stage transition after `ms`; held while the node is failed; then syncs the pod. */
  #schedule(st: PodState, ms: number, fn: () => void) {
    st.timer?.cancel();
    st.timer = this.#timeline.after(ms, () => {
      st.timer = undefined;
      if (st.dropped) return;
      if (st.node.failed) {
        st.deferred = fn;
        return;
      }
      fn();
      this.#queue.add(st.key);
    });
  }

  #toRunning(st: PodState, stage: Stage | undefined) {
    const pod = this.#podInf.getByKey(st.key);
    if (!pod || st.dropped) return;
    const now = this.#clock.now();
    if (!st.ip) {
      this.#allocateIP(st, pod);
      if (!st.ip) {
        // No address left in the node's range: the sandbox cannot start yet; try again later.
        this.#schedule(st, 10_000, () => this.#toRunning(st, stage));
        return;
      }
    }
    st.step = 'running';
    st.runStart = now;
    st.extra = stage?.status?.(pod, now);
    st.version++;
    this.#scheduleExit(st, pod, now);
  }

  /** Arms the next exit of the running containers, if a complete stage says they exit. */
  #scheduleExit(st: PodState, pod: Obj, from: number) {
    const stage = this.#pick('complete', pod, st);
    if (!stage) return;
    const due = from + stageDelay(stage, this.#random);
    this.#schedule(st, due - this.#clock.now(), () => this.#onExit(st, stage));
  }

  #containerID(st: PodState, restart: number): string {
    if (st.cid?.restart !== restart) {
      st.cid = { restart, id: `sim://${hex32(`${st.uid}/${restart}`)}${hex32(`${st.uid}/${restart}/c`)}${hex32(`${st.name}/${restart}`)}${hex32(`${st.namespace}/${restart}`)}` };
    }
    return st.cid.id;
  }

  /** The containers exited: finish, restart now, or back off, as the restart policy says. */
  #onExit(st: PodState, stage: Stage) {
    const pod = this.#podInf.getByKey(st.key);
    if (!pod || st.dropped) return;
    const now = this.#clock.now();
    st.runs.set(stage, (st.runs.get(stage) ?? 0) + 1);
    const code = stage.exitCode ?? 0;
    const t: Terminated = {
      exitCode: code,
      reason: stage.reason ?? (code === 0 ? 'Completed' : 'Error'),
      ...(stage.message ? { message: stage.message } : {}),
      startedAt: st.runStart,
      finishedAt: now,
      containerID: this.#containerID(st, st.restartCount),
    };
    const policy = pod.spec?.restartPolicy ?? 'Always';
    const restart = policy === 'Always' || (policy === 'OnFailure' && code !== 0);
    st.extra = stage.status?.(pod, now);
    st.version++;
    if (!restart) {
      st.step = 'done';
      st.term = t;
      this.#releaseIP(st);
      return;
    }
    st.last = t;
    if (now - st.runStart >= BACKOFF_RESET_MS) st.exits = 0;
    st.exits++;
    if (st.exits === 1) {
      // The first exit restarts at once; back-off starts with the next (the kubelet's container back-off).
      this.#restart(st, pod);
      return;
    }
    st.step = 'backoff';
    st.backoffMs = Math.min(BACKOFF_INITIAL_MS * 2 ** (st.exits - 2), BACKOFF_MAX_MS);
    this.#schedule(st, st.backoffMs, () => {
      const cur = this.#podInf.getByKey(st.key);
      if (cur) this.#restart(st, cur);
    });
  }

  #restart(st: PodState, pod: Obj) {
    const now = this.#clock.now();
    st.step = 'running';
    st.restartCount++;
    st.runStart = now;
    st.version++;
    this.#scheduleExit(st, pod, now);
  }

  /** deletionTimestamp is set: stop the containers after the delete stage's delay. */
  #beginStop(st: PodState, pod: Obj) {
    st.timer?.cancel();
    st.timer = undefined;
    if (st.step === 'starting' || st.step === 'done') {
      // Nothing runs (or nothing runs any more): the pod can go.
      this.#releaseIP(st);
      st.step = 'stopped';
      return;
    }
    st.step = 'stopping';
    const stage = this.#pick('delete', pod, st);
    const stop = () => {
      const now = this.#clock.now();
      const code = stage?.exitCode ?? 0;
      st.term = {
        exitCode: code,
        reason: stage?.reason ?? (code === 0 ? 'Completed' : 'Error'),
        ...(stage?.message ? { message: stage.message } : {}),
        startedAt: st.runStart,
        finishedAt: now,
        containerID: this.#containerID(st, st.restartCount),
      };
      st.step = 'stopped';
      this.#releaseIP(st);
      st.version++;
    };
    const delay = stage ? stageDelay(stage, this.#random) : 0;
    if (delay > 0) this.#schedule(st, delay, stop);
    else stop();
  }

  async #deleteNow(st: PodState): Promise<void> {
    try {
      await this.#client.pods(st.namespace).delete(st.name, { gracePeriodSeconds: 0, preconditions: { uid: st.uid } });
      st.deleted = true;
    } catch (e) {
      if (isNotFound(e) || isConflict(e)) return;
      throw e;
    }
  }

  #drop(st: PodState) {
    st.dropped = true;
    st.timer?.cancel();
    st.timer = undefined;
    st.deferred = undefined;
    this.#releaseIP(st);
    st.node.pods.delete(st);
    if (this.#pods.get(st.key) === st) this.#pods.delete(st.key);
  }

  async #writeStatus(st: PodState, pod: Obj): Promise<void> {
    const version = st.version;
    const status = this.#status(st, pod);
    st.writing = true;
    try {
      const rv = await this.#patchStatus(st, status);
      st.written = Math.max(st.written, version);
      st.writtenRV = Math.max(st.writtenRV, rv);
    } catch (e) {
      if (isNotFound(e) || isConflict(e)) {
        // Gone, or replaced by a pod of the same name: the informer will tell us.
        this.#drop(st);
        return;
      }
      throw e;
    } finally {
      st.writing = false;
    }
  }

  /**
   * A JSON merge patch (cheaper to apply than a strategic one) carrying the whole status; the uid
   * makes it fail on a new pod of the same name. Sent with fieldValidation=Ignore: the body is
   * ours and well-formed, so the server need not scan it for unknown fields.
   */
  async #patchStatus(st: PodState, status: PodStatus): Promise<number> {
    const res = await this.#client.transport.request({
      method: 'PATCH',
      path: `/api/v1/namespaces/${encodeURIComponent(st.namespace)}/pods/${encodeURIComponent(st.name)}/status?fieldValidation=Ignore`,
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: JSON.stringify({ metadata: { uid: st.uid }, status }),
    });
    if (res.status < 200 || res.status > 299) throw toError(res);
    // Only the new resourceVersion is needed: find it without parsing the whole pod.
    const text = res.body.toString('utf8');
    const m = /"resourceVersion":"(\d+)"/.exec(text);
    return m ? Number(m[1]) : Number((JSON.parse(text) as Obj).metadata?.resourceVersion ?? 0);
  }

  // --- status -------------------------------------------------------------------------------------

  #imageID(image: string): string {
    let id = this.#imageIDs.get(image);
    if (!id) {
      const at = image.indexOf('@');
      if (at >= 0) id = image;
      else {
        const slash = image.lastIndexOf('/');
        const colon = image.lastIndexOf(':');
        const repo = colon > slash ? image.slice(0, colon) : image;
        id = `${repo}@sha256:${hex32(image)}${hex32(`${image}#1`)}${hex32(`${image}#2`)}${hex32(`${image}#3`)}`;
      }
      this.#imageIDs.set(image, id);
    }
    return id;
  }

  #cond(st: PodState, now: number, type: string, status: string, reason?: string, message?: string): Obj {
    let c = st.conds.get(type);
    if (!c || c.status !== status) {
      c = { status, at: now };
      st.conds.set(type, c);
    }
    return { type, status, lastTransitionTime: rfc3339(c.at), ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
  }

  /** Ephemeral containers: started once when they appear, never ready, killed (137) when the pod stops. */
  #ephemeralStatuses(st: PodState, ephs: Obj[], cid: string, hasInit: boolean, now: number): Obj[] {
    const step = st.step;
    const eph = (st.eph ??= new Map());
    return ephs.map((c, i) => {
      const base = { name: c.name, image: c.image, lastState: {}, ready: false, restartCount: 0 };
      if (step === 'starting') return { ...base, imageID: '', state: { waiting: { reason: hasInit ? 'PodInitializing' : 'ContainerCreating' } } };
      let at = eph.get(c.name);
      if (at === undefined) eph.set(c.name, (at = now));
      const containerID = `${cid.slice(0, -4)}${((0x4000 + i) & 0xffff).toString(16)}`;
      const imageID = this.#imageID(c.image ?? '');
      if (step === 'done' || step === 'stopped') {
        const end = Math.max(at, st.term?.finishedAt ?? now);
        const terminated = { exitCode: 137, reason: 'Error', startedAt: rfc3339(at), finishedAt: rfc3339(end), containerID };
        return { ...base, imageID, containerID, state: { terminated } };
      }
      return { ...base, imageID, containerID, state: { running: { startedAt: rfc3339(at) } } };
    });
  }

  /** The status the kubelet would post for the pod in this step (generateAPIPodStatus). */
  #status(st: PodState, pod: Obj): PodStatus {
    const now = this.#clock.now();
    const spec = pod.spec ?? {};
    const containers: Obj[] = spec.containers ?? [];
    const inits: Obj[] = spec.initContainers ?? [];
    const step = st.step;
    const terminal = step === 'done' || step === 'stopped';
    const term = st.term;
    const phase = step === 'starting' ? 'Pending' : terminal && term ? (term.exitCode === 0 ? 'Succeeded' : 'Failed') : terminal ? 'Failed' : 'Running';
    const running = step === 'running' || step === 'stopping';
    const cid = this.#containerID(st, st.restartCount);
    const ns = st.namespace;
    const lastState = () => {
      const l = st.last;
      if (!l) return {};
      return {
        terminated: {
          exitCode: l.exitCode,
          reason: l.reason,
          ...(l.message ? { message: l.message } : {}),
          startedAt: rfc3339(l.startedAt),
          finishedAt: rfc3339(l.finishedAt),
          containerID: l.containerID,
        },
      };
    };
    const containerStatuses = containers.map((c, i) => {
      const base = { name: c.name, image: c.image, imageID: step === 'starting' ? '' : this.#imageID(c.image ?? '') };
      const id = i === 0 ? cid : `${cid.slice(0, -4)}${(i & 0xffff).toString(16).padStart(4, '0')}`;
      if (step === 'starting') {
        return { ...base, ready: false, restartCount: 0, started: false, state: { waiting: { reason: inits.length ? 'PodInitializing' : 'ContainerCreating' } }, lastState: {} };
      }
      if (running) {
        return { ...base, containerID: id, ready: true, restartCount: st.restartCount, started: true, state: { running: { startedAt: rfc3339(st.runStart) } }, lastState: lastState() };
      }
      if (step === 'backoff') {
        const message = `back-off ${goDuration(st.backoffMs)} restarting failed container=${c.name} pod=${st.name}_${ns}(${st.uid})`;
        return { ...base, containerID: st.last!.containerID, ready: false, restartCount: st.restartCount, started: false, state: { waiting: { reason: 'CrashLoopBackOff', message } }, lastState: lastState() };
      }
      // done or stopped
      if (!term) return { ...base, ready: false, restartCount: st.restartCount, started: false, state: { waiting: { reason: 'ContainerCreating' } }, lastState: {} };
      const terminated = {
        exitCode: term.exitCode,
        reason: term.reason,
        ...(term.message ? { message: term.message } : {}),
        startedAt: rfc3339(term.startedAt),
        finishedAt: rfc3339(term.finishedAt),
        containerID: id,
      };
      return { ...base, containerID: id, ready: false, restartCount: st.restartCount, started: false, state: { terminated }, lastState: lastState() };
    });
    const initContainerStatuses = inits.map((c, i) => {
      const base = { name: c.name, image: c.image, imageID: step === 'starting' ? '' : this.#imageID(c.image ?? '') };
      const id = `${cid.slice(0, -4)}${((0x8000 + i) & 0xffff).toString(16)}`;
      if (step === 'starting') return { ...base, ready: false, restartCount: 0, started: false, state: { waiting: { reason: 'PodInitializing' } }, lastState: {} };
      if (c.restartPolicy === 'Always' && running) {
        // A sidecar keeps running beside the containers.
        return { ...base, containerID: id, ready: true, restartCount: 0, started: true, state: { running: { startedAt: rfc3339(st.startTime) } }, lastState: {} };
      }
      const at = rfc3339(st.startTime);
      return { ...base, containerID: id, ready: true, restartCount: 0, started: false, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: at, finishedAt: at, containerID: id } }, lastState: {} };
    });

    // Conditions, in the kubelet's order.
    const unready = containerStatuses.filter((c) => !c.ready).map((c) => c.name);
    const conditions: Obj[] = [];
    conditions.push(this.#cond(st, now, 'PodReadyToStartContainers', step === 'starting' || terminal ? 'False' : 'True'));
    if (step === 'starting' && inits.length) {
      conditions.push(this.#cond(st, now, 'Initialized', 'False', 'ContainersNotInitialized', `containers with incomplete status: [${inits.map((c) => c.name).join(' ')}]`));
    } else conditions.push(this.#cond(st, now, 'Initialized', 'True', phase === 'Succeeded' ? 'PodCompleted' : undefined));
    let containersReady: [string, string?, string?];
    if (phase === 'Succeeded') containersReady = ['False', 'PodCompleted'];
    else if (phase === 'Failed') containersReady = ['False', 'PodFailed'];
    else if (unready.length) containersReady = ['False', 'ContainersNotReady', `containers with unready status: [${unready.join(' ')}]`];
    else containersReady = ['True'];
    let ready = containersReady;
    if (ready[0] === 'True') {
      for (const g of spec.readinessGates ?? []) {
        const t = g?.conditionType;
        const c = (pod.status?.conditions ?? []).find((x: Obj) => x.type === t);
        if (!c) ready = ['False', 'ReadinessGatesNotReady', `corresponding condition of pod readiness gate "${t}" does not exist.`];
        else if (c.status !== 'True') ready = ['False', 'ReadinessGatesNotReady', `the status of pod readiness gate "${t}" is not "True", but ${c.status}`];
        if (ready !== containersReady) break;
      }
    }
    conditions.push(this.#cond(st, now, 'Ready', ...ready));
    conditions.push(this.#cond(st, now, 'ContainersReady', ...containersReady));
    conditions.push(this.#cond(st, now, 'PodScheduled', 'True'));
    // Conditions other components own (DisruptionTarget, readiness gates) stay, first, as the
    // kubelet's status manager merges them.
    const others = (pod.status?.conditions ?? []).filter((c: Obj) => !KUBELET_CONDITIONS.has(c?.type));

    const status: PodStatus = {
      phase,
      conditions: others.length ? [...others, ...conditions] : conditions,
      hostIP: st.node.address,
      hostIPs: [{ ip: st.node.address }],
      startTime: rfc3339(st.startTime),
      containerStatuses,
      ...(inits.length ? { initContainerStatuses } : {}),
    };
    if (st.ip && step !== 'starting') {
      status.podIP = st.ip;
      status.podIPs = [{ ip: st.ip }];
    }
    const ephs: Obj[] = spec.ephemeralContainers ?? [];
    if (ephs.length) status.ephemeralContainerStatuses = this.#ephemeralStatuses(st, ephs, cid, inits.length > 0, now);
    if (st.extra) Object.assign(status, st.extra);
    return status;
  }
}
