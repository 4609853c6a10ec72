// One pod's worker, as the kubelet's pod workers + SyncPod (kuberuntime_manager.go): a serialized
// state machine driven by informer events, container exits and timers on the injected clock —
// sandbox (pod IP, resolv.conf, /etc/hosts), volumes, init containers in order, sidecars (init
// containers with restartPolicy Always) kept running, app containers, restart policy with the
// CrashLoopBackOff back-off (10 s doubling to 5 min), image errors, probes, postStart/preStop hooks,
// graceful termination (preStop, SIGTERM, grace period, SIGKILL) and the status it posts; ephemeral
// containers (kubectl debug) are started once and never restarted (validation keeps probes and hooks off them).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Obj } from '../client/types.ts';
import type { Clock, Timer } from '../machinery/clock.ts';
import { tryParseQuantity } from '../machinery/quantity.ts';
import { ContainerConfigError, buildEnv, expandCommand, type EnvContext } from './env.ts';
import { formatResolvConf, podResolvConf } from './dns.ts';
import { containerLogPath, parseCriLog } from './logs.ts';
import { ProbeWorker, probeFailedMessage, runHandler, type ProbeKind, type Dialer } from './probes.ts';
import type { ContainerConfig, ContainerRuntime, ContainerStatus as RuntimeStatus, Mount } from './runtime/runtime.ts';
import { podStatus, type ContainerKind, type ContainerView, type PodView, type Terminated, type TransitionMap } from './status.ts';
import { VolumeError, containerMounts, etcHosts, setUpVolumes, tearDownPodDir, type PodVolumes, type VolumeContext } from './volumes.ts';

export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 5 * 60_000;
/** minimumGracePeriodInSeconds: what is left for SIGTERM after a preStop hook used the rest. */
const MIN_GRACE_MS = 2_000;

/** What a pod worker needs from its node agent. */
export interface WorkerHost {
  readonly runtime: ContainerRuntime;
  readonly clock: Clock;
  readonly nodeName: string;
  readonly hostIP: string;
  readonly dataDir: string;
  readonly clusterDNS: string | undefined;
  readonly clusterDomain: string;
  readonly allocatable: Record<string, string>;
  readonly userAgent: string;
  readonly dial?: Dialer;
  /** The pod as the source has it now (API informer, or the static manifest); undefined = removed. */
  currentPod(w: PodWorker): Obj | undefined;
  allocateIP(): string | undefined;
  releaseIP(ip: string): void;
  lookups(): Omit<EnvContext, 'podIP' | 'hostIP' | 'nodeName' | 'allocatable'> & Pick<VolumeContext, 'pvc' | 'pv' | 'token'>;
  event(pod: Obj, type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** Posts the status (skipped while the node is failed; the worker re-posts on the next sync). */
  writeStatus(w: PodWorker, status: Obj): Promise<boolean>;
  /** Deletes the API pod with gracePeriodSeconds 0 once everything is stopped. */
  deletePod(w: PodWorker): Promise<void>;
  report(what: string, e: unknown): void;
  /** The worker is done (its pod is gone and torn down). */
  forget(w: PodWorker): void;
}

interface CRun {
  spec: Obj;
  name: string;
  kind: ContainerKind;
  id: string | undefined;
  containerID: string | undefined;
  imageID: string;
  state: 'none' | 'running' | 'exited';
  startedAt: number;
  term: Terminated | undefined;
  last: Terminated | undefined;
  restartCount: number;
  backoff: { ms: number; lastUpdate: number } | undefined;
  /** A waiting reason while the container cannot be (re)started (image or config errors, back-off). */
  waiting: { reason: string; message?: string } | undefined;
  retryTimer: Timer | undefined;
  /** The exit already reported with a BackOff event. */
  backoffReported: number | undefined;
  started: boolean;
  ready: boolean;
  probes: ProbeWorker[];
  killing: boolean;
}

/** Go's time.Duration String for whole seconds: 10s, 1m20s, 5m0s. */
export function goDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  return `${Math.floor(m / 60)}h${m % 60}m${s % 60}s`;
}

function podRef(pod: Obj): Obj {
  return { apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata };
}

function bytes(q: unknown): number | undefined {
  if (q === undefined || q === null) return undefined;
  const v = tryParseQuantity(String(q));
  return v ? v.value() : undefined;
}

function milli(q: unknown): number | undefined {
  if (q === undefined || q === null) return undefined;
  const v = tryParseQuantity(String(q));
  return v ? v.milliValue() : undefined;
}

function newRun(spec: Obj, kind: ContainerKind): CRun {
  return {
    spec,
    name: spec.name,
    kind,
    id: undefined,
    containerID: undefined,
    imageID: '',
    state: 'none',
    startedAt: 0,
    term: undefined,
    last: undefined,
    restartCount: 0,
    backoff: undefined,
    waiting: undefined,
    retryTimer: undefined,
    backoffReported: undefined,
    started: false,
    ready: false,
    probes: [],
    killing: false,
  };
}

export class PodWorker {
  readonly key: string;
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  /** A static pod from the manifest folder (status goes to its mirror pod). */
  readonly isStatic: boolean;
  pod: Obj;
  ip: string | undefined;
  #host: WorkerHost;
  #ownsIP = false;
  #sandboxId: string | undefined;
  #podDir: string;
  #vols: PodVolumes | undefined;
  #init: CRun[];
  #app: CRun[];
  /** Ephemeral containers, in the order the pod's spec gained them. */
  #eph: CRun[] = [];
  #startTime: number;
  #transitions: TransitionMap = new Map();
  #busy = false;
  #again = false;
  #lastStatus = '';
  #statusStale = true;
  #mountError = '';
  #finished = false;
  #terminating = false;
  #terminated = false;
  #deleted = false;
  #failure: { reason: string; message: string } | undefined;
  #retry: Timer | undefined;
  #gone = false;
  #scheme: string;
  #idle: (() => void)[] = [];

  constructor(host: WorkerHost, key: string, pod: Obj, isStatic = false) {
    this.#host = host;
    this.key = key;
    this.pod = pod;
    this.uid = pod.metadata.uid;
    this.namespace = pod.metadata.namespace;
    this.name = pod.metadata.name;
    this.isStatic = isStatic;
    this.#podDir = join(host.dataDir, 'pods', this.uid);
    this.#startTime = pod.status?.startTime ? Date.parse(pod.status.startTime) : host.clock.now();
    this.#init = (pod.spec?.initContainers ?? []).map((c: Obj) => newRun(c, c.restartPolicy === 'Always' ? 'sidecar' : 'init'));
    this.#app = (pod.spec?.containers ?? []).map((c: Obj) => newRun(c, 'app'));
    this.#addEphemeral(pod);
    const v = host.runtime.version;
    this.#scheme = v.includes('://') ? v.slice(0, v.indexOf('://')) : v;
  }

  /** Ephemeral containers the pod's spec gained since the last look (they are only ever added). */
  #addEphemeral(pod: Obj) {
    const list: Obj[] = pod.spec?.ephemeralContainers ?? [];
    if (list.length === this.#eph.length) return;
    const known = new Set(this.#eph.map((c) => c.name));
    for (const e of list) if (e?.name && !known.has(e.name)) this.#eph.push(newRun(e, 'ephemeral'));
    this.#statusStale = true;
  }

  #all(): CRun[] {
    return this.#eph.length ? [...this.#init, ...this.#app, ...this.#eph] : [...this.#init, ...this.#app];
  }

  /** Whether the worker is done (pod deleted from the API, everything torn down). */
  get gone(): boolean {
    return this.#gone;
  }

  get sandboxId(): string | undefined {
    return this.#sandboxId;
  }

  /** The runtime id of a container's current (or last) run. */
  containerId(name: string): string | undefined {
    return this.#all().find((c) => c.name === name)?.id;
  }

  /** The restart count of a container (which log file is current). */
  restartCount(name: string): number | undefined {
    return this.#all().find((c) => c.name === name)?.restartCount;
  }

  isRunning(name: string): boolean {
    return this.#all().find((c) => c.name === name)?.state === 'running';
  }

  /** The pod's status must be posted again (someone else changed it). */
  markStale(): void {
    this.#statusStale = true;
  }

  /** Resolves when no sync is running or pending (tests). */
  idle(): Promise<void> {
    if (!this.#busy) return Promise.resolve();
    return new Promise((r) => this.#idle.push(r));
  }

  /** Runs a sync now, or right after the running one. */
  sync(): void {
    if (this.#gone) return;
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = true;
    void (async () => {
      try {
        do {
          this.#again = false;
          try {
            await this.#syncOnce();
          } catch (e) {
            this.#host.report(`sync pod ${this.key}`, e);
            this.#retryAfter(1000);
          }
        } while (this.#again && !this.#gone);
      } finally {
        this.#busy = false;
        for (const r of this.#idle.splice(0)) r();
      }
    })();
  }

  /** Stops everything at once without touching the API (agent shutdown). */
  async shutdown(): Promise<void> {
    this.#terminating = true;
    this.#gone = true;
    this.#retry?.cancel();
    for (const c of this.#all()) this.#stopProbes(c);
  }

  #retryAfter(ms: number) {
    this.#retry?.cancel();
    this.#retry = this.#host.clock.after(ms, () => this.sync());
  }

  // --- the sync -------------------------------------------------------------------------------------

  async #syncOnce(): Promise<void> {
    const h = this.#host;
    const pod = h.currentPod(this);
    if (!pod || pod.metadata.uid !== this.uid) {
      // Removed from the API (force deletion) or replaced: stop what runs and forget the pod.
      if (!this.#terminated) await this.#terminate(Math.max(MIN_GRACE_MS, (this.pod.metadata.deletionGracePeriodSeconds ?? 0) * 1000));
      this.#gone = true;
      h.forget(this);
      return;
    }
    this.pod = pod;
    this.#addEphemeral(pod);
    if (pod.metadata.deletionTimestamp && !this.isStatic) {
      if (!this.#terminated) {
        const grace = Number(pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
        await this.#terminate(grace);
      }
      await this.#postStatus();
      if (!this.#deleted) {
        await h.deletePod(this);
        this.#deleted = true;
      }
      return;
    }
    if (this.#finished || this.#terminated) {
      await this.#postStatus();
      return;
    }
    if (!this.#sandboxId) {
      const ok = await this.#startSandbox(pod);
      if (!ok) {
        await this.#postStatus();
        return;
      }
    }
    if (!(await this.#setUpVolumes(pod))) {
      await this.#postStatus();
      return;
    }
    // Ephemeral containers first, so that one can debug a pod whose init containers fail (as SyncPod).
    for (const c of this.#eph) await this.#syncContainer(c);
    const initDone = await this.#syncInit();
    if (initDone === 'failed') {
      await this.#finish();
    } else if (initDone) {
      for (const c of this.#app) await this.#syncContainer(c);
      if (this.#app.every((c) => c.state === 'exited' && !c.killing && !this.#shouldRestart(c))) await this.#finish();
    }
    await this.#postStatus();
  }

  async #startSandbox(pod: Obj): Promise<boolean> {
    const h = this.#host;
    if (!this.ip) {
      if (pod.spec?.hostNetwork) this.ip = h.hostIP;
      else {
        const claimed = pod.status?.podIP;
        this.ip = h.allocateIP();
        if (!this.ip) {
          h.event(podRef(pod), 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: no IP addresses available in the node's pod CIDR (was ${claimed ?? 'none'})`);
          this.#retryAfter(10_000);
          return false;
        }
        this.#ownsIP = true;
      }
    }
    mkdirSync(this.#podDir, { recursive: true });
    const dns = podResolvConf(pod, { clusterDNS: h.clusterDNS, clusterDomain: h.clusterDomain });
    if (dns.missingClusterDNS && (pod.spec?.dnsPolicy ?? 'ClusterFirst') !== 'Default') {
      h.event(podRef(pod), 'Warning', 'MissingClusterDNS', 'pod: "' + `${this.name}_${this.namespace}(${this.uid})` + '". kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.');
    }
    writeFileSync(join(this.#podDir, 'resolv.conf'), formatResolvConf(dns));
    writeFileSync(join(this.#podDir, 'etc-hosts'), etcHosts(pod, this.ip, h.clusterDomain));
    try {
      this.#sandboxId = await h.runtime.runPodSandbox({
        uid: this.uid,
        namespace: this.namespace,
        name: this.name,
        ip: this.ip,
        hostname: String(pod.spec?.hostname || this.name).slice(0, 63),
        dir: this.#podDir,
        dns: { nameservers: dns.nameservers, searches: dns.searches, options: dns.options },
        labels: pod.metadata.labels ?? {},
      });
    } catch (e) {
      h.event(podRef(pod), 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(e as Error).message}`);
      this.#retryAfter(10_000);
      return false;
    }
    this.#statusStale = true;
    return true;
  }

  #volumeContext(): VolumeContext {
    const h = this.#host;
    const l = h.lookups();
    return { podDir: this.#podDir, configMap: l.configMap, secret: l.secret, pvc: l.pvc, pv: l.pv, token: l.token, podIP: this.ip ?? '', hostIP: h.hostIP, nodeName: h.nodeName, allocatable: h.allocatable };
  }

  async #setUpVolumes(pod: Obj): Promise<boolean> {
    try {
      this.#vols = await setUpVolumes(pod, this.#volumeContext());
      this.#mountError = '';
      return true;
    } catch (e) {
      const msg = e instanceof VolumeError ? e.message : `MountVolume.SetUp failed: ${(e as Error).message}`;
      if (msg !== this.#mountError) this.#host.event(podRef(pod), 'Warning', 'FailedMount', msg);
      this.#mountError = msg;
      // The kubelet retries volume setup with back-off; a ConfigMap/Secret event also re-syncs.
      this.#retryAfter(10_000);
      return false;
    }
  }

  /** Init containers in order; true when all are done (sidecars started), 'failed' when the pod failed. */
  async #syncInit(): Promise<boolean | 'failed'> {
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    for (const c of this.#init) {
      if (c.kind === 'sidecar') {
        await this.#syncContainer(c);
        if (!(c.state === 'running' && c.started)) return false;
        continue;
      }
      if (c.state === 'exited' && c.term?.exitCode === 0) continue;
      if (c.state === 'running') return false;
      if (c.state === 'exited' && policy === 'Never') return 'failed';
      await this.#syncContainer(c);
      return false;
    }
    return true;
  }

  #shouldRestart(c: CRun): boolean {
    if (this.#terminating || this.#finished || c.kind === 'ephemeral') return false;
    if (c.kind === 'sidecar') return true;
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    const code = c.term?.exitCode ?? 0;
    if (c.kind === 'init') return code !== 0 && policy !== 'Never';
    return policy === 'Always' || (policy === 'OnFailure' && code !== 0);
  }

  /** Starts a container that never ran, or restarts an exited one when the policy and back-off allow. */
  async #syncContainer(c: CRun): Promise<void> {
    if (c.state === 'running' || c.killing) return;
    if (c.state === 'exited') {
      if (!this.#shouldRestart(c)) return;
      const now = this.#host.clock.now();
      const finished = c.term!.finishedAt;
      const b = c.backoff;
      if (b && now - b.lastUpdate <= 2 * BACKOFF_MAX_MS && now - finished < b.ms) {
        c.waiting = { reason: 'CrashLoopBackOff', message: `back-off ${goDuration(b.ms)} restarting failed container=${c.name} pod=${this.name}_${this.namespace}(${this.uid})` };
        if (c.backoffReported !== finished) {
          c.backoffReported = finished;
          this.#host.event(podRef(this.pod), 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${this.name}_${this.namespace}(${this.uid})`);
        }
        c.retryTimer?.cancel();
        c.retryTimer = this.#host.clock.after(finished + b.ms - now, () => this.sync());
        return;
      }
      c.backoff = !b || now - b.lastUpdate > 2 * BACKOFF_MAX_MS ? { ms: BACKOFF_INITIAL_MS, lastUpdate: now } : { ms: Math.min(b.ms * 2, BACKOFF_MAX_MS), lastUpdate: now };
    }
    await this.#start(c);
  }

  #envContext(): EnvContext {
    const h = this.#host;
    const l = h.lookups();
    return { configMap: l.configMap, secret: l.secret, services: l.services, podIP: this.ip ?? '', hostIP: h.hostIP, nodeName: h.nodeName, allocatable: h.allocatable };
  }

  async #start(c: CRun): Promise<void> {
    const h = this.#host;
    const spec = c.spec;
    const pod = this.pod;
    const ref = podRef(pod);
    const image: string = spec.image ?? '';
    let imageRef: string;
    try {
      imageRef = (await h.runtime.ensureImage(image, spec.command ?? [])).imageRef;
    } catch (e) {
      const reason = (e as { reason?: string }).reason ?? 'ErrImagePull';
      const message = (e as Error).message;
      const prev = c.waiting?.reason;
      if (reason === 'ErrImagePull' && (prev === 'ErrImagePull' || prev === 'ImagePullBackOff')) {
        c.waiting = { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}": ${message}` };
        h.event(ref, 'Normal', 'BackOff', `Back-off pulling image "${image}"`);
      } else {
        if (prev !== reason) {
          h.event(ref, 'Warning', reason === 'ErrImagePull' ? 'Failed' : reason, reason === 'ErrImagePull' ? `Failed to pull image "${image}": ${message}` : message);
          h.event(ref, 'Warning', 'Failed', `Error: ${reason}`);
        }
        c.waiting = { reason, message };
      }
      this.#statusStale = true;
      c.retryTimer?.cancel();
      c.retryTimer = h.clock.after(BACKOFF_INITIAL_MS, () => this.sync());
      return;
    }
    let env: Record<string, string>;
    try {
      const built = buildEnv(pod, spec, this.#envContext());
      env = built.env;
      if (built.invalidKeys.length) h.event(ref, 'Warning', 'InvalidEnvironmentVariableNames', `Keys [${built.invalidKeys.join(', ')}] from the EnvFrom configMap ${this.namespace}/${spec.envFrom?.[0]?.configMapRef?.name ?? ''} were skipped since they are considered invalid environment variable names.`);
    } catch (e) {
      if (!(e instanceof ContainerConfigError)) throw e;
      if (c.waiting?.message !== e.message) h.event(ref, 'Warning', 'Failed', `Error: ${e.message}`);
      c.waiting = { reason: 'CreateContainerConfigError', message: e.message };
      this.#statusStale = true;
      return;
    }
    env.SKIFF_POD_IP = this.ip ?? '';
    env.HOSTNAME ??= String(pod.spec?.hostname || this.name);
    let mounts: Mount[];
    try {
      mounts = containerMounts(spec, this.#vols!, env);
    } catch (e) {
      c.waiting = { reason: 'CreateContainerConfigError', message: (e as Error).message };
      this.#statusStale = true;
      return;
    }
    mounts.push({ containerPath: '/etc/hosts', hostPath: join(this.#podDir, 'etc-hosts') });
    const restart = c.state === 'exited' ? c.restartCount + 1 : c.restartCount;
    const termDir = join(this.#podDir, 'containers', c.name);
    mkdirSync(termDir, { recursive: true });
    const termFile = join(termDir, `termination-log-${restart}`);
    writeFileSync(termFile, '');
    mounts.push({ containerPath: spec.terminationMessagePath ?? '/dev/termination-log', hostPath: termFile });
    const { command, args } = expandCommand(spec, env);
    // An ephemeral container with targetContainerName shares that container's process namespace.
    let targetContainerId: string | undefined;
    if (c.kind === 'ephemeral' && spec.targetContainerName) {
      const target = [...this.#init, ...this.#app].find((x) => x.name === spec.targetContainerName);
      if (!target?.id || target.state !== 'running') {
        const message = `target container "${spec.targetContainerName}" is not running`;
        if (c.waiting?.message !== message) h.event(ref, 'Warning', 'Failed', `Error: ${message}`);
        c.waiting = { reason: 'CreateContainerError', message };
        this.#statusStale = true;
        c.retryTimer?.cancel();
        c.retryTimer = h.clock.after(BACKOFF_INITIAL_MS, () => this.sync());
        return;
      }
      targetContainerId = target.id;
    }
    const limits = spec.resources?.limits ?? {};
    const requests = spec.resources?.requests ?? {};
    const memoryLimit = bytes(limits.memory);
    const cpuLimitMilli = milli(limits.cpu);
    const cpuRequestMilli = milli(requests.cpu);
    const cfg: ContainerConfig = {
      name: c.name,
      image,
      command,
      args,
      env,
      ...(spec.workingDir ? { workingDir: spec.workingDir } : {}),
      mounts,
      ...(spec.tty ? { tty: true } : {}),
      ...(spec.stdin ? { stdin: true } : {}),
      ...(memoryLimit !== undefined ? { memoryLimit } : {}),
      ...(cpuLimitMilli !== undefined ? { cpuLimitMilli } : {}),
      ...(cpuRequestMilli !== undefined ? { cpuRequestMilli } : {}),
      ...(targetContainerId ? { targetContainerId } : {}),
      logPath: containerLogPath(h.dataDir, this.namespace, this.name, this.uid, c.name, restart),
    };
    h.event(ref, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
    let id: string;
    try {
      id = await h.runtime.createContainer(this.#sandboxId!, cfg);
    } catch (e) {
      c.waiting = { reason: 'CreateContainerError', message: (e as Error).message };
      h.event(ref, 'Warning', 'Failed', `Error: ${(e as Error).message}`);
      this.#statusStale = true;
      c.retryTimer?.cancel();
      c.retryTimer = h.clock.after(BACKOFF_INITIAL_MS, () => this.sync());
      return;
    }
    h.event(ref, 'Normal', 'Created', `Created container: ${c.name}`);
    try {
      await h.runtime.startContainer(id);
    } catch (e) {
      const message = (e as Error).message;
      h.event(ref, 'Warning', 'Failed', `Error: ${message}`);
      // A container that cannot start counts as one that exited: restart policy and back-off apply.
      this.#recordStart(c, id, imageRef, restart);
      this.#onExit(c, id, { id, name: c.name, state: 'exited', createdAt: h.clock.now(), finishedAt: h.clock.now(), exitCode: 128, reason: 'StartError', message, image, imageRef });
      return;
    }
    h.event(ref, 'Normal', 'Started', `Started container ${c.name}`);
    this.#recordStart(c, id, imageRef, restart);
    void h.runtime.waitContainer(id).then(
      (st) => this.#onExit(c, id, st),
      (e) => h.report(`wait for container ${this.key}/${c.name}`, e),
    );
    const postStart = spec.lifecycle?.postStart;
    if (postStart) {
      const r = await this.#runHook(c, postStart, Number(pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000);
      if (!r.ok && c.id === id && c.state === 'running') {
        h.event(ref, 'Warning', 'FailedPostStartHook', `PostStartHook failed: ${r.output}`);
        await this.#kill(c, Number(pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000, 'FailedPostStartHook');
        return;
      }
    }
    if (c.id === id && c.state === 'running') this.#startProbes(c);
  }

  #recordStart(c: CRun, id: string, imageRef: string, restart: number) {
    if (c.state === 'exited') {
      c.last = c.term;
      c.restartCount = restart;
    }
    c.term = undefined;
    c.id = id;
    c.containerID = `${this.#scheme}://${id}`;
    c.imageID = imageRef;
    c.state = 'running';
    c.startedAt = this.#host.clock.now();
    c.waiting = undefined;
    c.killing = false;
    // Ephemeral containers are never ready (the prober does not look at them).
    c.started = c.kind !== 'ephemeral' && !c.spec.startupProbe;
    c.ready = c.started && !c.spec.readinessProbe;
    this.#statusStale = true;
  }

  #terminationMessage(c: CRun, st: RuntimeStatus): string | undefined {
    if (st.message) return st.message;
    try {
      const msg = readFileSync(join(this.#podDir, 'containers', c.name, `termination-log-${c.restartCount}`), 'utf8');
      if (msg) return msg.slice(0, 4096);
    } catch {
      // no file
    }
    if (c.spec.terminationMessagePolicy === 'FallbackToLogsOnError' && (st.exitCode ?? 0) !== 0) {
      try {
        const lines = parseCriLog(readFileSync(containerLogPath(this.#host.dataDir, this.namespace, this.name, this.uid, c.name, c.restartCount), 'utf8')).slice(-80);
        const text = lines.map((l) => l.text).join('');
        return text.length > 2048 ? text.slice(-2048) : text || undefined;
      } catch {
        return undefined;
      }
    }
    return undefined;
  }

  #onExit(c: CRun, id: string, st: RuntimeStatus) {
    if (c.id !== id || c.state !== 'running') return;
    this.#stopProbes(c);
    const exitCode = st.exitCode ?? 0;
    const message = this.#terminationMessage(c, st);
    c.term = {
      exitCode,
      reason: st.reason ?? (exitCode === 0 ? 'Completed' : 'Error'),
      ...(message ? { message } : {}),
      startedAt: st.startedAt ?? c.startedAt,
      finishedAt: st.finishedAt ?? this.#host.clock.now(),
      containerID: c.containerID ?? `${this.#scheme}://${id}`,
    };
    c.state = 'exited';
    c.started = false;
    c.ready = c.kind === 'init' && exitCode === 0;
    c.killing = false;
    this.#statusStale = true;
    this.sync();
  }

  // --- probes and hooks -----------------------------------------------------------------------------

  #target(c: CRun) {
    const h = this.#host;
    return { runtime: h.runtime, containerId: c.id!, container: c.spec, podIP: this.ip ?? '', userAgent: h.userAgent, ...(h.dial ? { dial: h.dial } : {}) };
  }

  #probe(c: CRun, kind: ProbeKind): ProbeWorker | undefined {
    const probe = c.spec[`${kind}Probe`];
    if (!probe) return undefined;
    const id = c.id;
    const ref = podRef(this.pod);
    const w = new ProbeWorker({
      kind,
      probe,
      clock: this.#host.clock,
      run: (timeoutMs) => runHandler(probe, this.#target(c), timeoutMs),
      onFailure: (output) => {
        if (c.id === id && c.state === 'running') this.#host.event(ref, 'Warning', 'Unhealthy', probeFailedMessage(kind, output));
      },
      onChange: (ok) => {
        if (c.id !== id || c.state !== 'running') return;
        if (kind === 'readiness') {
          c.ready = ok && c.started;
          this.#statusStale = true;
          this.sync();
        } else if (kind === 'startup') {
          if (ok) {
            c.started = true;
            c.ready = !c.spec.readinessProbe;
            this.#statusStale = true;
            this.#startProbes(c, true);
            this.sync();
          } else void this.#probeKill(c, 'startup');
        } else if (!ok) void this.#probeKill(c, 'liveness');
      },
    });
    w.start();
    return w;
  }

  #startProbes(c: CRun, afterStartup = false) {
    if (!afterStartup) {
      const s = this.#probe(c, 'startup');
      if (s) {
        c.probes.push(s);
        return;
      }
    }
    for (const kind of ['liveness', 'readiness'] as const) {
      const w = this.#probe(c, kind);
      if (w) c.probes.push(w);
    }
  }

  #stopProbes(c: CRun) {
    for (const p of c.probes) p.stop();
    c.probes = [];
  }

  async #probeKill(c: CRun, kind: 'liveness' | 'startup') {
    if (c.killing || c.state !== 'running') return;
    const probe = c.spec[`${kind}Probe`] ?? {};
    const grace = Number(probe.terminationGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
    await this.#kill(c, grace, `Container ${c.name} failed ${kind} probe, will be restarted`);
  }

  async #runHook(c: CRun, handler: Obj, timeoutMs: number): Promise<{ ok: boolean; output: string }> {
    if (handler.sleep) {
      const ms = Math.min(Number(handler.sleep.seconds ?? 0) * 1000, timeoutMs);
      await new Promise<void>((r) => this.#host.clock.after(ms, r));
      return { ok: true, output: '' };
    }
    return runHandler(handler, this.#target(c), timeoutMs);
  }

  /** Stops one container: preStop hook, then SIGTERM and SIGKILL after what is left of the grace period. */
  async #kill(c: CRun, graceMs: number, message?: string): Promise<void> {
    if (c.state !== 'running' || !c.id || c.killing) return;
    const h = this.#host;
    c.killing = true;
    this.#stopProbes(c);
    c.ready = false;
    this.#statusStale = true;
    h.event(podRef(this.pod), 'Normal', 'Killing', message ?? `Stopping container ${c.name}`);
    const start = h.clock.now();
    const preStop = c.spec.lifecycle?.preStop;
    if (preStop && graceMs > 0) {
      const r = await this.#runHook(c, preStop, graceMs);
      if (!r.ok) h.event(podRef(this.pod), 'Warning', 'FailedPreStopHook', `PreStopHook failed: ${r.output}`);
    }
    const left = graceMs <= 0 ? 0 : Math.max(MIN_GRACE_MS, graceMs - (h.clock.now() - start));
    try {
      await h.runtime.stopContainer(c.id, left);
    } catch (e) {
      h.report(`stop container ${this.key}/${c.name}`, e);
    }
  }

  // --- the end of a pod -----------------------------------------------------------------------------

  /** All regular containers are done (or an init container failed for good): stop sidecars and the sandbox. */
  async #finish(): Promise<void> {
    this.#finished = true;
    const grace = Number(this.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
    for (const c of this.#eph) await this.#kill(c, grace);
    for (const c of [...this.#init].reverse()) if (c.kind === 'sidecar') await this.#kill(c, grace);
    await this.#stopSandbox(false);
    this.#statusStale = true;
  }

  /** Graceful termination of the whole pod (deletion): app containers first, then sidecars in reverse order. */
  async #terminate(graceMs: number): Promise<void> {
    this.#terminating = true;
    this.#retry?.cancel();
    for (const c of this.#all()) {
      c.retryTimer?.cancel();
      c.retryTimer = undefined;
    }
    const h = this.#host;
    const deadline = h.clock.now() + graceMs;
    const left = () => Math.max(0, deadline - h.clock.now());
    await Promise.all([...this.#app, ...this.#eph].map((c) => this.#kill(c, graceMs)));
    for (const c of [...this.#init].reverse()) if (c.kind === 'sidecar' || c.state === 'running') await this.#kill(c, Math.max(MIN_GRACE_MS, left()));
    await this.#stopSandbox(true);
    this.#terminated = true;
    this.#statusStale = true;
  }

  async #stopSandbox(remove: boolean): Promise<void> {
    const h = this.#host;
    if (this.#sandboxId) {
      try {
        await h.runtime.stopPodSandbox(this.#sandboxId);
        if (remove) await h.runtime.removePodSandbox(this.#sandboxId);
      } catch (e) {
        h.report(`stop sandbox of ${this.key}`, e);
      }
    }
    if (remove) {
      this.#sandboxId = undefined;
      tearDownPodDir(this.#podDir);
    }
    if (this.#ownsIP && this.ip) h.releaseIP(this.ip);
    this.#ownsIP = false;
  }

  // --- status ---------------------------------------------------------------------------------------

  #view(c: CRun, initDone: boolean): ContainerView {
    let state: ContainerView['state'];
    if (c.state === 'running') state = { running: { startedAt: c.startedAt } };
    else if (c.state === 'exited' && (c.waiting === undefined || !this.#shouldRestart(c))) state = { terminated: c.term! };
    else if (c.waiting) state = { waiting: c.waiting };
    else state = { waiting: { reason: c.kind === 'app' && !initDone ? 'PodInitializing' : this.#init.length && c.kind !== 'app' ? 'PodInitializing' : 'ContainerCreating' } };
    const exitedWaiting = c.state === 'exited' && 'waiting' in state;
    return {
      name: c.name,
      kind: c.kind,
      image: c.spec.image ?? '',
      imageID: c.imageID,
      ...(c.containerID ? { containerID: c.containerID } : {}),
      state,
      ...(exitedWaiting ? { last: c.term } : c.last ? { last: c.last } : {}),
      restartCount: c.restartCount,
      ready: c.kind === 'init' ? c.state === 'exited' && c.term?.exitCode === 0 : c.ready && c.state === 'running',
      started: c.kind === 'init' ? false : c.started && c.state === 'running',
    };
  }

  /** The status this worker would post now. */
  status(): Obj {
    const initDone = this.#init.every((c) => (c.kind === 'sidecar' ? c.started || this.#finished || this.#terminating : c.state === 'exited' && c.term?.exitCode === 0));
    const view: PodView = {
      pod: this.pod,
      hostIP: this.#host.hostIP,
      ...(this.ip ? { podIP: this.ip } : {}),
      startTime: this.#startTime,
      sandboxReady: !!this.#sandboxId && !this.#finished && !this.#terminated,
      init: this.#init.map((c) => this.#view(c, initDone)),
      app: this.#app.map((c) => this.#view(c, initDone)),
      ...(this.#eph.length ? { ephemeral: this.#eph.map((c) => this.#view(c, initDone)) } : {}),
      terminal: this.#finished || this.#terminated,
      ...(this.#failure ? { failure: this.#failure } : {}),
    };
    return podStatus(view, this.#transitions, this.#host.clock.now());
  }

  async #postStatus(): Promise<void> {
    const status = this.status();
    const text = JSON.stringify(status);
    if (text === this.#lastStatus && !this.#statusStale) return;
    if (await this.#host.writeStatus(this, status)) {
      this.#lastStatus = text;
      this.#statusStale = false;
    }
  }
}
