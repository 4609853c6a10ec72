// The node agent (the kubelet): registers its Node (capacity from the machine or flags, allocatable
// = capacity − systemReserved − the hard eviction threshold, addresses, default labels, nodeInfo),
// renews its Lease every 10 s, reports the Ready and pressure conditions, runs one PodWorker per pod
// bound to it (and per static pod from the manifest folder, with mirror pods), allocates pod IPs
// from its pod CIDR, and serves logs / exec / attach / port-forward for the API server's streaming.
import { cpus, release, totalmem, freemem, arch as osArch } from 'node:os';
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { mkdirSync, readdirSync, readFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex, Readable, Writable } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import { toError, type KubeClient } from '../client/client.ts';
import { EventRecorder } from '../client/events.ts';
import { keyOf, type Informer, type InformerFactory } from '../client/informer.ts';
import type { Obj } from '../client/types.ts';
import { realClock, type Clock, type Timer } from '../machinery/clock.ts';
import { StatusError, badRequest, isAlreadyExists, isConflict, isNotFound } from '../machinery/errors.ts';
import { tryParseQuantity } from '../machinery/quantity.ts';
import { PodIPAllocator } from './runtime/sim/ipam.ts';
import type { ContainerRuntime } from './runtime/runtime.ts';
import { containerLogPath, readLogs, rotateLog, DEFAULT_ROTATION, type RotationPolicy } from './logs.ts';
import {
  NODE_LEASE_DURATION_SECONDS,
  NODE_LEASE_NAMESPACE,
  NODE_LEASE_RENEW_MS,
  NODE_STATUS_REPORT_MS,
  microTime,
  nodeConditions,
  nodeLabels,
  nodeLease,
  nodeObject,
  nodeStatus,
  rfc3339,
  transitionTimes,
  type NodeIdentity,
  type NodeSpecInput,
} from './nodes.ts';
import { PodWorker, type WorkerHost } from './podworker.ts';
import type { Dialer } from './probes.ts';

export const ISOLATION_ANNOTATION = 'skiff.io/runtime-isolation';
export const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
export const CONFIG_HASH_ANNOTATION = 'kubernetes.io/config.hash';
export const CONFIG_SOURCE_ANNOTATION = 'kubernetes.io/config.source';
export const CONFIG_SEEN_ANNOTATION = 'kubernetes.io/config.seen';
/** fileCheckFrequency: how often the static pod folder is read again. */
const STATIC_POD_CHECK_MS = 20_000;
/** How often conditions are re-evaluated (nodeStatusUpdateFrequency). */
const NODE_STATUS_CHECK_MS = 10_000;
/** syncFrequency: every pod is synced at least this often (ConfigMap/Secret volume refresh). */
const POD_RESYNC_MS = 60_000;
const LOG_ROTATE_CHECK_MS = 10_000;
/** evictionHard memory.available default, subtracted from allocatable memory. */
const EVICTION_HARD_MEMORY = 100 * 1024 * 1024;

export interface NodeAgentOptions {
  nodeName: string;
  /** The node's InternalIP (127.10.x.y). */
  address: string;
  podCIDR: string;
  dataDir: string;
  /** How probes reach pod addresses outside the host's loopback (a data plane in a network namespace). */
  dial?: Dialer;
  /** Defaults to the machine's: os.cpus(), os.totalmem(), 110 pods, the data dir's file system. */
  capacity?: { cpu?: string | number; memory?: string; pods?: number; ephemeralStorage?: string };
  systemReserved?: { cpu?: string; memory?: string; ephemeralStorage?: string };
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  taints?: Obj[];
  clock?: Clock;
  clusterDNS?: string;
  clusterDomain?: string;
  staticPodDir?: string;
  kubeletVersion?: string;
  leaseRenewMs?: number;
  leaseDurationSeconds?: number;
  logRotation?: RotationPolicy;
  /** Hears errors the agent retries (default: ignored). */
  onError?: (what: string, e: unknown) => void;
}

/** kubectl exec/attach parameters as the API server's streaming layer passes them. */
export interface ExecRequest {
  namespace: string;
  pod: string;
  container?: string;
  command: string[];
  tty?: boolean;
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  /** Terminal size changes (tty). */
  resize?: (listener: (size: { width: number; height: number }) => void) => void;
}

export interface LogsRequest {
  namespace: string;
  pod: string;
  container?: string;
  follow?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: string;
  timestamps?: boolean;
  previous?: boolean;
  limitBytes?: number;
}

function goArch(): string {
  const a = osArch();
  return a === 'x64' ? 'amd64' : a === 'ia32' ? '386' : a;
}

function osImage(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) return m[1]!;
  } catch {
    // not Linux
  }
  return process.platform;
}

function qBytes(q: unknown): number {
  return tryParseQuantity(String(q ?? '0'))?.value() ?? 0;
}

function qMilli(q: unknown): number {
  return tryParseQuantity(String(q ?? '0'))?.milliValue() ?? 0;
}

function cpuString(milli: number): string {
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

function kiString(bytes: number): string {
  return `${Math.max(0, Math.floor(bytes / 1024))}Ki`;
}

export class NodeAgent {
  readonly nodeName: string;
  readonly address: string;
  readonly podCIDR: string;
  readonly runtime: ContainerRuntime;
  #client: KubeClient;
  #opts: NodeAgentOptions;
  #clock: Clock;
  #pods: Informer;
  #configMaps: Informer;
  #secrets: Informer;
  #services: Informer;
  #pvcs: Informer;
  #pvs: Informer;
  #events: EventRecorder;
  #ips: PodIPAllocator;
  /** Workers by pod key; a key's worker is replaced when a new pod (uid) takes the name. */
  #workers = new Map<string, PodWorker>();
  /** Old workers still tearing down, by uid. */
  #draining = new Map<string, PodWorker>();
  #static = new Map<string, { pod: Obj; hash: string; file: string }>();
  #nodeUid: string | undefined;
  #lease: Obj | undefined;
  #timers: Timer[] = [];
  #leaseTimer: Timer | undefined;
  #statusTimer: Timer | undefined;
  #lastStatusPost = 0;
  #lastConditions = '';
  #started: Promise<void> | undefined;
  #stopped = false;
  #failed = false;
  #kubeletVersion: string | undefined;
  #capacity: Record<string, string>;
  #allocatable: Record<string, string>;
  #tokens = new Map<string, { token: string; refreshAt: number }>();
  #tokenUnsupported = false;
  #host: WorkerHost;

  constructor(client: KubeClient, informers: InformerFactory, runtime: ContainerRuntime, opts: NodeAgentOptions) {
    this.#client = client;
    this.#opts = opts;
    this.runtime = runtime;
    this.nodeName = opts.nodeName;
    this.address = opts.address;
    this.podCIDR = opts.podCIDR;
    this.#clock = opts.clock ?? realClock;
    this.#kubeletVersion = opts.kubeletVersion;
    this.#ips = new PodIPAllocator(opts.podCIDR);
    this.#pods = informers.informer('', 'pods', { fieldSelector: `spec.nodeName=${opts.nodeName}` });
    this.#configMaps = informers.informer('', 'configmaps');
    this.#secrets = informers.informer('', 'secrets');
    this.#services = informers.informer('', 'services');
    this.#pvcs = informers.informer('', 'persistentvolumeclaims');
    this.#pvs = informers.informer('', 'persistentvolumes');
    this.#events = new EventRecorder(client, { component: 'kubelet', host: opts.nodeName, clock: this.#clock });
    ({ capacity: this.#capacity, allocatable: this.#allocatable } = this.#resources());
    mkdirSync(opts.dataDir, { recursive: true });
    this.#host = this.#makeHost();
  }

  // --- lifecycle ----------------------------------------------------------------------------------

  /** Registers the Node, starts the heartbeats, the informers and the pods bound here. */
  start(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  async #start(): Promise<void> {
    for (const inf of [this.#pods, this.#configMaps, this.#secrets, this.#services, this.#pvcs, this.#pvs]) inf.start();
    if (!this.#kubeletVersion) {
      try {
        const res = await this.#client.transport.request({ method: 'GET', path: '/version' });
        this.#kubeletVersion = JSON.parse(res.body.toString('utf8')).gitVersion;
      } catch (e) {
        this.#report('get /version', e);
      }
    }
    await this.#register();
    await this.#renewLease();
    this.#scheduleStatus();
    await Promise.all([this.#pods, this.#configMaps, this.#secrets, this.#services, this.#pvcs, this.#pvs].map((i) => i.synced()));
    this.#pods.addEventHandler({
      add: (p) => this.#onPod(p),
      update: (_o, p) => this.#onPod(p),
      delete: (p) => this.#onPodDeleted(p),
    });
    const touch = (o: Obj) => this.#syncNamespace(o.metadata?.namespace);
    for (const inf of [this.#configMaps, this.#secrets, this.#pvcs]) inf.addEventHandler({ add: touch, update: (_o, n) => touch(n), delete: touch });
    this.#every(POD_RESYNC_MS, () => {
      for (const w of this.#workers.values()) w.sync();
    });
    this.#every(LOG_ROTATE_CHECK_MS, () => this.#rotateLogs());
    if (this.#opts.staticPodDir) {
      this.#scanStaticPods();
      this.#every(STATIC_POD_CHECK_MS, () => this.#scanStaticPods());
    }
  }

  /** Stops heartbeats, informer handling and pod workers (containers are left to the runtime's close()). */
  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) t.cancel();
    this.#timers = [];
    this.#leaseTimer?.cancel();
    this.#statusTimer?.cancel();
    for (const w of [...this.#workers.values(), ...this.#draining.values()]) void w.shutdown();
  }

  /** Stops the Lease and status heartbeats and pod status updates, as a node that went away. */
  fail(): void {
    this.#failed = true;
    this.#leaseTimer?.cancel();
    this.#statusTimer?.cancel();
    this.#leaseTimer = this.#statusTimer = undefined;
  }

  /** Resumes: renews the Lease and posts the node and pod statuses now. */
  recover(): void {
    if (!this.#failed) return;
    this.#failed = false;
    void this.#renewLease();
    void this.#postNodeStatus(true);
    for (const w of this.#workers.values()) {
      w.markStale();
      w.sync();
    }
  }

  get failed(): boolean {
    return this.#failed;
  }

  /** Every live pod worker (stats). */
  workers(): PodWorker[] {
    return [...this.#workers.values()];
  }

  /** The API pod a worker runs. */
  podOf(w: PodWorker): Obj | undefined {
    return this.#currentPod(w);
  }

  /** The pod worker of a pod (tests, stats). */
  worker(namespace: string, name: string): PodWorker | undefined {
    return this.#workers.get(`${namespace}/${name}`);
  }

  /** Resolves once every pod worker finished its current sync (tests). */
  async idle(): Promise<void> {
    await Promise.all([...this.#workers.values(), ...this.#draining.values()].map((w) => w.idle()));
  }

  #every(ms: number, fn: () => void) {
    const tick = () => {
      if (this.#stopped) return;
      fn();
      this.#timers = this.#timers.filter((t) => t !== timer);
      timer = this.#clock.after(ms, tick);
      this.#timers.push(timer);
    };
    let timer = this.#clock.after(ms, tick);
    this.#timers.push(timer);
  }

  #report(what: string, e: unknown) {
    this.#opts.onError?.(what, e);
  }

  // --- the Node and its Lease ---------------------------------------------------------------------

  #resources(): { capacity: Record<string, string>; allocatable: Record<string, string> } {
    const c = this.#opts.capacity ?? {};
    const r = this.#opts.systemReserved ?? {};
    let diskBytes = 0;
    try {
      const s = statfsSync(this.#opts.dataDir.length ? this.#opts.dataDir : '/');
      diskBytes = s.blocks * s.bsize;
    } catch {
      try {
        const s = statfsSync('/');
        diskBytes = s.blocks * s.bsize;
      } catch {
        diskBytes = 100 * 1024 ** 3;
      }
    }
    const cpuMilli = c.cpu !== undefined ? qMilli(c.cpu) : cpus().length * 1000;
    const memBytes = c.memory !== undefined ? qBytes(c.memory) : totalmem();
    const storage = c.ephemeralStorage !== undefined ? qBytes(c.ephemeralStorage) : diskBytes;
    const pods = c.pods ?? 110;
    const capacity = {
      cpu: cpuString(cpuMilli),
      'ephemeral-storage': kiString(storage),
      'hugepages-1Gi': '0',
      'hugepages-2Mi': '0',
      memory: kiString(memBytes),
      pods: String(pods),
    };
    const allocatable = {
      ...capacity,
      cpu: cpuString(Math.max(0, cpuMilli - qMilli(r.cpu))),
      memory: kiString(memBytes - qBytes(r.memory) - EVICTION_HARD_MEMORY),
      // nodefs.available<10% is the hard eviction threshold.
      'ephemeral-storage': String(Math.max(0, Math.floor((storage - qBytes(r.ephemeralStorage)) * 0.9))),
    };
    return { capacity, allocatable };
  }

  #spec(): NodeSpecInput {
    return {
      name: this.nodeName,
      cpu: this.#capacity.cpu!,
      memory: this.#capacity.memory!,
      pods: Number(this.#capacity.pods),
      ephemeralStorage: this.#capacity['ephemeral-storage']!,
      labels: this.#opts.labels ?? {},
      annotations: { [ISOLATION_ANNOTATION]: this.runtime.isolation, ...(this.#opts.annotations ?? {}) },
      ...(this.#opts.taints ? { taints: this.#opts.taints } : {}),
    };
  }

  #identity(): NodeIdentity {
    return {
      address: this.address,
      podCIDR: this.podCIDR,
      kubeletVersion: this.#kubeletVersion ?? 'v0.0.0',
      containerRuntimeVersion: this.runtime.version,
      osImage: osImage(),
      kernelVersion: release(),
      architecture: goArch(),
      ...(this.#nodeUid ? { uid: this.#nodeUid } : {}),
    };
  }

  /** Conditions from what the machine has left (eviction thresholds: memory 100Mi, nodefs 10%). */
  #conditions(now: number, old: Obj | undefined): Obj[] {
    const conds = nodeConditions(now, transitionTimes(old));
    const memLow = freemem() < EVICTION_HARD_MEMORY;
    let diskLow = false;
    try {
      const s = statfsSync(this.#opts.dataDir);
      diskLow = s.bavail / Math.max(1, s.blocks) < 0.1;
    } catch {
      diskLow = false;
    }
    const oldConds: Obj[] = old?.status?.conditions ?? [];
    const keep = (type: string, status: string) => {
      const o = oldConds.find((c) => c.type === type);
      return o && o.status === status && o.lastTransitionTime ? o.lastTransitionTime : rfc3339(now);
    };
    for (const c of conds) {
      if (c.type === 'MemoryPressure' && memLow) Object.assign(c, { status: 'True', reason: 'KubeletHasInsufficientMemory', message: 'kubelet has insufficient memory available', lastTransitionTime: keep(c.type, 'True') });
      if (c.type === 'DiskPressure' && diskLow) Object.assign(c, { status: 'True', reason: 'KubeletHasDiskPressure', message: 'kubelet has disk pressure', lastTransitionTime: keep(c.type, 'True') });
      if (c.type === 'Ready') c.message = `kubelet is posting ready status (runtime ${this.runtime.version}, isolation: ${this.runtime.isolation})`;
    }
    return conds;
  }

  #fullStatus(now: number, old: Obj | undefined): Obj {
    const st = nodeStatus(this.#spec(), this.#identity(), now, old);
    st.capacity = { ...this.#capacity };
    st.allocatable = { ...this.#allocatable };
    st.conditions = this.#conditions(now, old);
    return st;
  }

  async #register(): Promise<void> {
    const nodes = this.#client.nodes();
    const now = this.#clock.now();
    let existing: Obj | undefined;
    try {
      existing = await nodes.get(this.nodeName);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (!existing) {
      const obj = nodeObject(this.#spec(), this.#identity(), now);
      obj.status = this.#fullStatus(now, undefined);
      try {
        existing = await nodes.create(obj);
        this.#nodeUid = existing.metadata.uid;
        this.#lastStatusPost = now;
        return;
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
        existing = await nodes.get(this.nodeName);
      }
    }
    // Re-registration: our labels, annotations and pod CIDR; then the whole status.
    this.#nodeUid = existing!.metadata.uid;
    await nodes.patch(this.nodeName, 'strategic', {
      metadata: { labels: nodeLabels(this.#spec(), goArch()), annotations: { [ISOLATION_ANNOTATION]: this.runtime.isolation, ...(this.#opts.annotations ?? {}) } },
      ...(existing!.spec?.podCIDR ? {} : { spec: { podCIDR: this.podCIDR, podCIDRs: [this.podCIDR] } }),
    });
    await nodes.patch(this.nodeName, 'strategic', { status: this.#fullStatus(now, existing) }, { subresource: 'status' });
    this.#lastStatusPost = now;
  }

  #scheduleLease() {
    this.#leaseTimer?.cancel();
    if (this.#failed || this.#stopped) return;
    this.#leaseTimer = this.#clock.after(this.#opts.leaseRenewMs ?? NODE_LEASE_RENEW_MS, () => void this.#renewLease());
  }

  async #renewLease(): Promise<void> {
    this.#scheduleLease();
    if (this.#failed || this.#stopped) return;
    const leases = this.#client.leases(NODE_LEASE_NAMESPACE);
    const now = this.#clock.now();
    const duration = this.#opts.leaseDurationSeconds ?? NODE_LEASE_DURATION_SECONDS;
    try {
      if (this.#lease) {
        try {
          this.#lease = await leases.update({ ...this.#lease, spec: { ...this.#lease.spec, holderIdentity: this.nodeName, leaseDurationSeconds: duration, renewTime: microTime(now) } });
          return;
        } catch (e) {
          if (!isConflict(e) && !isNotFound(e)) throw e;
          this.#lease = undefined;
        }
      }
      const fresh = nodeLease(this.nodeName, this.#nodeUid, now, duration);
      try {
        this.#lease = await leases.create(fresh);
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
        const cur = await leases.get(this.nodeName);
        this.#lease = await leases.update({ ...cur, metadata: { ...cur.metadata, ownerReferences: fresh.metadata.ownerReferences }, spec: { ...cur.spec, ...fresh.spec } });
      }
    } catch (e) {
      this.#report(`renew lease of node ${this.nodeName}`, e);
    }
  }

  #scheduleStatus() {
    this.#statusTimer?.cancel();
    if (this.#failed || this.#stopped) return;
    this.#statusTimer = this.#clock.after(NODE_STATUS_CHECK_MS, () => void this.#postNodeStatus(false));
  }

  /** Posts the conditions when they changed, or at least every nodeStatusReportFrequency. */
  async #postNodeStatus(force: boolean): Promise<void> {
    this.#scheduleStatus();
    if (this.#failed || this.#stopped) return;
    const now = this.#clock.now();
    try {
      const conditions = this.#conditions(now, undefined);
      const sig = conditions.map((c) => `${c.type}=${c.status}`).join(',');
      if (!force && sig === this.#lastConditions && now - this.#lastStatusPost < NODE_STATUS_REPORT_MS) return;
      const old = await this.#client.nodes().get(this.nodeName);
      await this.#client.nodes().patch(this.nodeName, 'strategic', { status: { conditions: this.#conditions(now, old) } }, { subresource: 'status' });
      this.#lastConditions = sig;
      this.#lastStatusPost = now;
    } catch (e) {
      this.#report(`update status of node ${this.nodeName}`, e);
    }
  }

  // --- pods -----------------------------------------------------------------------------------------

  #makeHost(): WorkerHost {
    const agent = this;
    const o = this.#opts;
    return {
      runtime: this.runtime,
      clock: this.#clock,
      nodeName: this.nodeName,
      hostIP: this.address,
      dataDir: o.dataDir,
      clusterDNS: o.clusterDNS,
      clusterDomain: o.clusterDomain ?? 'cluster.local',
      allocatable: this.#allocatable,
      ...(o.dial ? { dial: o.dial } : {}),
      get userAgent() {
        const m = /^v?(\d+)\.(\d+)/.exec(agent.#kubeletVersion ?? '');
        return `kube-probe/${m ? `${m[1]}.${m[2]}` : '1.36'}`;
      },
      currentPod: (w) => this.#currentPod(w),
      allocateIP: () => this.#ips.allocate(),
      releaseIP: (ip) => this.#ips.release(ip),
      lookups: () => ({
        configMap: (ns, name) => this.#configMaps.get(ns, name),
        secret: (ns, name) => this.#secrets.get(ns, name),
        services: this.#services.list(),
        pvc: (ns, name) => this.#pvcs.get(ns, name),
        pv: (name) => this.#pvs.get(name),
        token: (pod, sa, aud, exp) => this.#token(pod, sa, aud, exp),
      }),
      event: (pod, type, reason, message) => this.#events.event(pod, type, reason, message),
      writeStatus: (w, status) => this.#writeStatus(w, status),
      deletePod: (w) => this.#deletePod(w),
      report: (what, e) => this.#report(what, e),
      forget: (w) => this.#forget(w),
    };
  }

  #currentPod(w: PodWorker): Obj | undefined {
    if (w.isStatic) {
      const s = this.#static.get(w.key);
      return s && s.pod.metadata.uid === w.uid ? s.pod : undefined;
    }
    const p = this.#pods.getByKey(w.key);
    return p && p.metadata?.uid === w.uid ? p : undefined;
  }

  #isMirror(p: Obj): boolean {
    return !!p.metadata?.annotations?.[MIRROR_ANNOTATION];
  }

  #onPod(p: Obj) {
    if (this.#stopped) return;
    if (p.spec?.nodeName !== this.nodeName) return;
    const key = keyOf(p);
    if (this.#isMirror(p)) {
      this.#syncMirror(key);
      return;
    }
    let w = this.#workers.get(key);
    if (w && w.uid !== p.metadata.uid) {
      // A new pod took the name: the old worker tears its pod down on its own.
      this.#drain(w);
      w = undefined;
    }
    if (!w) {
      const phase = p.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') {
        // Finished before this agent started: nothing runs; a deletion just completes.
        if (p.metadata.deletionTimestamp) void this.#client.pods(p.metadata.namespace).delete(p.metadata.name, { gracePeriodSeconds: 0, preconditions: { uid: p.metadata.uid } }).catch(() => {});
        return;
      }
      w = new PodWorker(this.#host, key, p);
      this.#workers.set(key, w);
    }
    w.sync();
  }

  #onPodDeleted(p: Obj) {
    const key = keyOf(p);
    if (this.#isMirror(p)) {
      this.#syncMirror(key);
      return;
    }
    const w = this.#workers.get(key);
    if (w && w.uid === p.metadata?.uid) this.#drain(w);
  }

  /** Lets a worker whose pod is gone tear down, off the key map; forget() drops it when done. */
  #drain(w: PodWorker) {
    if (this.#workers.get(w.key) === w) this.#workers.delete(w.key);
    if (w.gone) return;
    this.#draining.set(w.uid, w);
    w.sync();
  }

  #forget(w: PodWorker) {
    this.#draining.delete(w.uid);
    if (this.#workers.get(w.key) === w) this.#workers.delete(w.key);
  }

  #syncNamespace(ns: string | undefined) {
    for (const w of this.#workers.values()) if (w.namespace === ns) w.sync();
  }

  async #writeStatus(w: PodWorker, status: Obj): Promise<boolean> {
    if (this.#failed || this.#stopped) return false;
    let uid = w.uid;
    let name = w.name;
    if (w.isStatic) {
      const mirror = this.#pods.getByKey(w.key);
      if (!mirror || !this.#isMirror(mirror)) return false;
      uid = mirror.metadata.uid;
      name = mirror.metadata.name;
    }
    try {
      const res = await this.#client.transport.request({
        method: 'PATCH',
        path: `/api/v1/namespaces/${encodeURIComponent(w.namespace)}/pods/${encodeURIComponent(name)}/status?fieldValidation=Ignore`,
        headers: { 'Content-Type': 'application/merge-patch+json' },
        body: JSON.stringify({ metadata: { uid }, status }),
      });
      if (res.status < 200 || res.status > 299) throw toError(res);
      return true;
    } catch (e) {
      if (isNotFound(e) || isConflict(e)) return false;
      this.#report(`update status of pod ${w.key}`, e);
      return false;
    }
  }

  async #deletePod(w: PodWorker): Promise<void> {
    try {
      await this.#client.pods(w.namespace).delete(w.name, { gracePeriodSeconds: 0, preconditions: { uid: w.uid } });
    } catch (e) {
      if (isNotFound(e) || isConflict(e)) return;
      throw e;
    }
  }

  /** A bound service account token (TokenRequest), cached until 80% of its life. */
  async #token(pod: Obj, sa: string, audience: string | undefined, expirationSeconds: number): Promise<string | undefined> {
    if (this.#tokenUnsupported) return undefined;
    const now = this.#clock.now();
    const key = `${pod.metadata.uid}/${sa}/${audience ?? ''}/${expirationSeconds}`;
    const hit = this.#tokens.get(key);
    if (hit && hit.refreshAt > now) return hit.token;
    try {
      const res = await this.#client.resource('', 'serviceaccounts', pod.metadata.namespace).createSubresource(sa, 'token', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          ...(audience ? { audiences: [audience] } : {}),
          expirationSeconds,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid },
        },
      });
      const token: string | undefined = res.status?.token;
      if (!token) return undefined;
      this.#tokens.set(key, { token, refreshAt: now + expirationSeconds * 800 });
      return token;
    } catch (e) {
      // Not served (404/405): keep the placeholder, and stop asking.
      if (e instanceof StatusError && (e.code === 404 || e.code === 405)) this.#tokenUnsupported = true;
      else this.#report(`request token for ${pod.metadata.namespace}/${sa}`, e);
      return hit?.token;
    }
  }

  // --- static pods ------------------------------------------------------------------------------

  #scanStaticPods() {
    const dir = this.#opts.staticPodDir!;
    const seen = new Set<string>();
    let files: string[] = [];
    try {
      files = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f) && !f.startsWith('.')).sort();
    } catch {
      files = [];
    }
    for (const f of files) {
      let text: string;
      let manifest: Obj;
      try {
        text = readFileSync(join(dir, f), 'utf8');
        manifest = (f.endsWith('.json') ? JSON.parse(text) : parseYaml(text)) as Obj;
      } catch (e) {
        this.#report(`read static pod ${f}`, e);
        continue;
      }
      if (!manifest || manifest.kind !== 'Pod' || !manifest.metadata?.name) continue;
      const pod = this.#staticPod(manifest, text);
      const key = keyOf(pod);
      seen.add(key);
      const cur = this.#static.get(key);
      if (cur && cur.hash === pod.metadata.annotations[CONFIG_HASH_ANNOTATION]) continue;
      this.#static.set(key, { pod, hash: pod.metadata.annotations[CONFIG_HASH_ANNOTATION], file: f });
      const old = this.#workers.get(key);
      if (old) this.#drain(old);
      const w = new PodWorker(this.#host, key, pod, true);
      this.#workers.set(key, w);
      this.#syncMirror(key);
      w.sync();
    }
    for (const [key, s] of [...this.#static]) {
      if (seen.has(key)) continue;
      this.#static.delete(key);
      const w = this.#workers.get(key);
      if (w?.isStatic && w.uid === s.pod.metadata.uid) this.#drain(w);
      this.#syncMirror(key);
    }
  }

  /** The pod a manifest describes, named `<name>-<node>`, with the kubelet's config annotations. */
  #staticPod(m: Obj, text: string): Obj {
    const hash = createHash('sha256').update(this.nodeName).update('\0').update(text).digest('hex').slice(0, 32);
    const ns: string = m.metadata.namespace || 'default';
    const spec: Obj = { restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', enableServiceLinks: true, ...(m.spec ?? {}), nodeName: this.nodeName };
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        ...m.metadata,
        name: `${m.metadata.name}-${this.nodeName}`,
        namespace: ns,
        uid: `${hash.slice(0, 8)}-${hash.slice(8, 12)}-${hash.slice(12, 16)}-${hash.slice(16, 20)}-${hash.slice(20, 32)}`,
        annotations: {
          ...(m.metadata.annotations ?? {}),
          [CONFIG_HASH_ANNOTATION]: hash,
          [CONFIG_SEEN_ANNOTATION]: new Date(this.#clock.now()).toISOString(),
          [CONFIG_SOURCE_ANNOTATION]: 'file',
        },
      },
      spec,
      status: { phase: 'Pending' },
    };
  }

  #mirrorBusy = new Set<string>();
  #mirrorAgain = new Set<string>();

  /** Keeps the mirror pod of a static pod in step: created, recreated when deleted or stale, removed with it. */
  #syncMirror(key: string) {
    if (this.#stopped) return;
    if (this.#mirrorBusy.has(key)) {
      this.#mirrorAgain.add(key);
      return;
    }
    this.#mirrorBusy.add(key);
    void this.#doSyncMirror(key)
      .catch((e) => this.#report(`mirror pod ${key}`, e))
      .finally(() => {
        this.#mirrorBusy.delete(key);
        if (this.#mirrorAgain.delete(key)) this.#syncMirror(key);
      });
  }

  async #doSyncMirror(key: string): Promise<void> {
    const s = this.#static.get(key);
    const mirror = this.#pods.getByKey(key);
    const pods = this.#client.pods(key.slice(0, key.indexOf('/')));
    const name = key.slice(key.indexOf('/') + 1);
    if (mirror && this.#isMirror(mirror) && (!s || mirror.metadata.annotations[MIRROR_ANNOTATION] !== s.hash || mirror.metadata.deletionTimestamp)) {
      // Deleting a mirror pod does not stop the static pod: it is deleted now and made again.
      try {
        await pods.delete(name, { gracePeriodSeconds: 0, preconditions: { uid: mirror.metadata.uid } });
      } catch (e) {
        if (!isNotFound(e) && !isConflict(e)) throw e;
      }
      return;
    }
    if (!s || mirror) {
      if (mirror && s) this.#workers.get(key)?.markStale();
      if (mirror && s) this.#workers.get(key)?.sync();
      return;
    }
    const meta = s.pod.metadata;
    const { uid: _uid, ...rest } = meta;
    try {
      await pods.create({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          ...rest,
          annotations: { ...meta.annotations, [MIRROR_ANNOTATION]: s.hash },
          ...(this.#nodeUid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid: this.#nodeUid, controller: true }] } : {}),
        },
        spec: s.pod.spec,
      });
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  }

  // --- logs, exec, attach, port-forward ---------------------------------------------------------

  #podWorker(namespace: string, pod: string): PodWorker {
    const w = this.#workers.get(`${namespace}/${pod}`);
    if (!w) throw new StatusError(404, 'NotFound', `pods "${pod}" not found`, { name: pod, kind: 'pods' });
    return w;
  }

  #containerName(w: PodWorker, container: string | undefined): string {
    const spec = w.pod.spec ?? {};
    const names: string[] = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])].map((c: Obj) => c.name);
    if (!container) {
      const apps: string[] = (spec.containers ?? []).map((c: Obj) => c.name);
      if (apps.length === 1) return apps[0]!;
      throw badRequest(`a container name must be specified for pod ${w.name}, choose one of: [${apps.join(' ')}]`);
    }
    if (!names.includes(container)) throw badRequest(`container ${container} is not valid for pod ${w.name}`);
    return container;
  }

  /** `kubectl logs`: the container's CRI log file as text. */
  async logs(req: LogsRequest): Promise<Readable> {
    const w = this.#podWorker(req.namespace, req.pod);
    const container = this.#containerName(w, req.container);
    const restarts = w.restartCount(container);
    if (restarts === undefined || (w.containerId(container) === undefined && !req.previous)) {
      throw badRequest(`container "${container}" in pod "${w.name}" is waiting to start: ContainerCreating`);
    }
    let n = restarts;
    if (req.previous) {
      // The run before the current one (running, or exited and waiting in back-off).
      n = restarts - 1;
      if (n < 0) throw badRequest(`previous terminated container "${container}" in pod "${w.name}" not found`);
    }
    const path = containerLogPath(this.#opts.dataDir, w.namespace, w.name, w.uid, container, n);
    const running = () => !w.gone && w.isRunning(container) && w.restartCount(container) === n;
    return readLogs(path, { ...req, follow: req.follow && !req.previous }, this.#clock.now(), running);
  }

  /** `kubectl exec`: runs the command in the container through the runtime. */
  async exec(req: ExecRequest): Promise<{ exitCode: number }> {
    const w = this.#podWorker(req.namespace, req.pod);
    const container = this.#containerName(w, req.container);
    const id = w.containerId(container);
    if (!id || !w.isRunning(container)) throw badRequest(`container ${container} is not running`);
    return this.runtime.exec(id, {
      cmd: req.command,
      ...(req.tty ? { tty: true } : {}),
      ...(req.stdin ? { stdin: req.stdin } : {}),
      ...(req.stdout ? { stdout: req.stdout } : {}),
      ...(req.stderr ? { stderr: req.stderr } : {}),
      ...(req.resize ? { onResize: req.resize } : {}),
    });
  }

  /** `kubectl attach`: the container's stdio. */
  async attach(req: Omit<ExecRequest, 'command'>): Promise<{ exitCode: number }> {
    const w = this.#podWorker(req.namespace, req.pod);
    const container = this.#containerName(w, req.container);
    const id = w.containerId(container);
    if (!id || !w.isRunning(container)) throw badRequest(`container ${container} is not running`);
    await this.runtime.attach(id, {
      ...(req.tty ? { tty: true } : {}),
      ...(req.stdin ? { stdin: req.stdin } : {}),
      ...(req.stdout ? { stdout: req.stdout } : {}),
      ...(req.stderr ? { stderr: req.stderr } : {}),
      ...(req.resize ? { onResize: req.resize } : {}),
    });
    const st = await this.runtime.containerStatus(id).catch(() => undefined);
    return { exitCode: st?.exitCode ?? 0 };
  }

  /** `kubectl port-forward`: a TCP connection to the pod IP and port (resolves once connected). */
  async portForward(req: { namespace: string; pod: string; port: number }): Promise<Duplex> {
    const w = this.#podWorker(req.namespace, req.pod);
    if (!w.ip) throw badRequest(`pod ${w.name} has no IP yet`);
    const ip = w.ip;
    return new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: ip, port: req.port });
      s.once('connect', () => {
        s.removeListener('error', reject);
        resolve(s);
      });
      s.once('error', (e) => reject(badRequest(`error forwarding port ${req.port} to pod ${w.name}: ${e.message}`)));
    });
  }

  #rotateLogs() {
    const policy = this.#opts.logRotation ?? DEFAULT_ROTATION;
    const now = this.#clock.now();
    for (const w of this.#workers.values()) {
      for (const c of [...(w.pod.spec?.initContainers ?? []), ...(w.pod.spec?.containers ?? []), ...(w.pod.spec?.ephemeralContainers ?? [])] as Obj[]) {
        const n = w.restartCount(c.name);
        if (n === undefined || !w.isRunning(c.name)) continue;
        try {
          rotateLog(containerLogPath(this.#opts.dataDir, w.namespace, w.name, w.uid, c.name, n), policy, now);
        } catch (e) {
          this.#report(`rotate log of ${w.key}/${c.name}`, e);
        }
      }
    }
  }
}
