// kube-scheduler: watches pending pods of its profiles' schedulerNames through shared informers,
// keeps the scheduler cache (assumed pods) and the scheduling queue, runs one scheduling cycle at
// a time (filter, score, reserve) and binds asynchronously through pods/binding; on failure it
// records FailedScheduling with upstream's message, sets PodScheduled=False/Unschedulable and
// may preempt lower-priority pods (nominatedNodeName).
import { realClock, type Clock, type Timer } from '../machinery/clock.ts';
import { isConflict, isNotFound } from '../machinery/errors.ts';
import type { KubeClient } from '../client/client.ts';
import type { Informer, InformerFactory } from '../client/informer.ts';
import { EventRecorder } from '../client/events.ts';
import type { Obj } from '../client/types.ts';
import { SchedulerCache } from './cache.ts';
import { SchedulingQueue, type QueuedPod } from './queue.ts';
import { DEFAULT_SCHEDULER_NAME, FitError, Framework } from './framework.ts';
import { PodInfo, type NodeInfo } from './nodeinfo.ts';
import { CycleState, type ClusterEvent, type Handle, type Lister, type ProfileConfig } from './types.ts';
import type { Selector } from '../machinery/labels.ts';

export interface SchedulerOptions {
  clock?: Clock;
  profiles?: ProfileConfig[];
  /** Global percentageOfNodesToScore (0/undefined = adaptive, as upstream). */
  percentageOfNodesToScore?: number;
  recorder?: EventRecorder;
  /** Bindings in flight at once before the scheduling loop waits (default 256). */
  maxInFlightBindings?: number;
}

const LISTERS = {
  pvcs: ['', 'persistentvolumeclaims'],
  pvs: ['', 'persistentvolumes'],
  storageclasses: ['storage.k8s.io', 'storageclasses'],
  pdbs: ['policy', 'poddisruptionbudgets'],
  namespaces: ['', 'namespaces'],
  services: ['', 'services'],
  replicasets: ['apps', 'replicasets'],
  statefulsets: ['apps', 'statefulsets'],
  replicationcontrollers: ['', 'replicationcontrollers'],
} as const;

function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

const isTerminal = (pod: Obj) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
const podKey = (pod: Obj) => `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name}`;

export class Scheduler {
  readonly client: KubeClient;
  readonly informers: InformerFactory;
  readonly clock: Clock;
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  readonly profiles = new Map<string, Framework>();
  readonly recorder: EventRecorder;
  readonly handle: Handle;
  #podInformer: Informer;
  #nodeInformer: Informer;
  #pcInformer: Informer;
  #listers = new Map<string, Informer>();
  #stopped = true;
  #loop: Promise<void> | undefined;
  #inFlightBindings = 0;
  #maxInFlight: number;
  #bindingSlotWaiters: (() => void)[] = [];
  #waiters = new Set<{ check: () => boolean; resolve: (ok: boolean) => void; timer: Timer }>();
  /** Pods this scheduler has seen bound (metrics and tests). */
  scheduledCount = 0;
  failedCount = 0;

  constructor(client: KubeClient, informers: InformerFactory, opts: SchedulerOptions = {}) {
    this.client = client;
    this.informers = informers;
    this.clock = opts.clock ?? realClock;
    this.recorder = opts.recorder ?? new EventRecorder(client, { component: DEFAULT_SCHEDULER_NAME, clock: this.clock });
    this.#maxInFlight = opts.maxInFlightBindings ?? 256;
    this.#podInformer = informers.informer('', 'pods');
    this.#nodeInformer = informers.informer('', 'nodes');
    this.#pcInformer = informers.informer('scheduling.k8s.io', 'priorityclasses');
    for (const [name, [g, r]] of Object.entries(LISTERS)) this.#listers.set(name, informers.informer(g, r));

    const self = this;
    this.handle = {
      nodes: () => self.cache.nodeList(),
      nodeInfo: (name) => self.cache.nodes.get(name),
      affinityCounts: () => ({ withAffinity: self.cache.podsWithAffinity, withRequiredAntiAffinity: self.cache.podsWithRequiredAntiAffinity }),
      selectorCounts: (ns: string, sel: Selector, key: string) => self.cache.selectorCounts(ns, sel, key),
      selectorDomainCounts: (ns: string, sel: Selector, key: string, tk: string) => self.cache.selectorDomainCounts(ns, sel, key, tk),
      domainNodes: (tk: string) => self.cache.domainNodes(tk),
      lister: (name) => self.#lister(name),
      nominatedPods: (node) => self.queue.nominatedPods(node),
      podPriority: (pod) => self.podPriority(pod),
      now: () => self.clock.now(),
      waitFor: (check, ms) => self.#waitFor(check, ms),
      client,
    } satisfies Handle;
    (this.handle as Handle & { hasNominated: () => boolean }).hasNominated = () => self.queue.hasNominated;
    (this.handle as Handle & { recordEvent: unknown }).recordEvent = (o: Obj, t: 'Normal' | 'Warning', r: string, m: string) => self.recorder.event(o, t, r, m);

    const profiles = opts.profiles?.length ? opts.profiles : [{ schedulerName: DEFAULT_SCHEDULER_NAME }];
    for (const p of profiles) {
      const cfg = { ...p, percentageOfNodesToScore: p.percentageOfNodesToScore ?? opts.percentageOfNodesToScore };
      this.profiles.set(p.schedulerName, new Framework(cfg, this.handle));
    }
    // Which plugins care about which events (the queue's coarse queueing hints).
    const pluginEvents = new Map<string, ReadonlySet<ClusterEvent>>();
    for (const f of this.profiles.values()) for (const pl of f.plugins) if (pl.events && !pluginEvents.has(pl.name)) pluginEvents.set(pl.name, new Set(pl.events));
    this.queue = new SchedulingQueue({ clock: this.clock, pluginEvents });
  }

  #listerViews = new Map<string, Lister>();

  /** A read-only view of one informer (made once: plugins ask for it on every cycle). */
  #lister(name: keyof typeof LISTERS): Lister {
    let l = this.#listerViews.get(name);
    if (!l) {
      const inf = this.#listers.get(name)!;
      l = { get: (a, b) => inf.get(a, b), list: (ns) => inf.list(ns) };
      this.#listerViews.set(name, l);
    }
    return l;
  }

  /** spec.priority, else the PriorityClass named, else the global default class, else 0. */
  podPriority(pod: Obj): number {
    const p = pod.spec?.priority;
    if (typeof p === 'number') return p;
    const name = pod.spec?.priorityClassName;
    if (name) {
      const pc = this.#pcInformer.get(name);
      if (pc) return pc.value ?? 0;
    }
    for (const pc of this.#pcInformer.list()) if (pc.globalDefault) return pc.value ?? 0;
    return 0;
  }

  #responsible(pod: Obj): boolean {
    return this.profiles.has(pod.spec?.schedulerName || DEFAULT_SCHEDULER_NAME);
  }

  // --- informer handlers --------------------------------------------------------------------

  #onPodAdd(pod: Obj): void {
    if (pod.spec?.nodeName) {
      if (isTerminal(pod)) return;
      this.cache.addOrUpdatePod(new PodInfo(pod, this.podPriority(pod)), pod.spec.nodeName);
      this.queue.delete(podKey(pod));
      this.queue.moveAll('AssignedPodAdd');
      return;
    }
    if (!this.#responsible(pod) || pod.metadata?.deletionTimestamp || isTerminal(pod)) return;
    this.queue.add(pod, this.podPriority(pod));
    if (pod.status?.nominatedNodeName) this.queue.addNominated(new PodInfo(pod, this.podPriority(pod)), pod.status.nominatedNodeName);
  }

  #onPodUpdate(old: Obj, pod: Obj): void {
    const key = podKey(pod);
    if (pod.spec?.nodeName) {
      if (!old.spec?.nodeName) this.queue.delete(key);
      if (isTerminal(pod)) {
        this.cache.removePod(key);
        this.queue.moveAll('AssignedPodDelete');
        return;
      }
      this.cache.addOrUpdatePod(new PodInfo(pod, this.podPriority(pod)), pod.spec.nodeName);
      if (old.spec?.nodeName && old !== pod) this.queue.moveAll('AssignedPodUpdate');
      return;
    }
    if (!this.#responsible(pod)) return;
    if (pod.metadata?.deletionTimestamp || isTerminal(pod)) {
      this.queue.delete(key);
      return;
    }
    // A bound pod we assumed but whose binding we have not yet seen stays assumed.
    if (this.cache.isAssumed(key)) return;
    this.queue.update(pod, this.podPriority(pod));
    const nn = pod.status?.nominatedNodeName;
    if (nn) this.queue.addNominated(new PodInfo(pod, this.podPriority(pod)), nn);
    else this.queue.deleteNominated(key);
  }

  #onPodDelete(pod: Obj): void {
    const key = podKey(pod);
    this.queue.delete(key);
    if (this.cache.podNode(key) !== undefined) {
      this.cache.removePod(key);
      this.queue.moveAll('AssignedPodDelete');
    }
  }

  #onNodeAdd(node: Obj): void {
    this.cache.addNode(node);
    this.queue.moveAll('NodeAdd');
  }

  #onNodeUpdate(old: Obj, node: Obj): void {
    this.cache.addNode(node);
    const changed =
      JSON.stringify(old.status?.allocatable) !== JSON.stringify(node.status?.allocatable) ||
      JSON.stringify(old.metadata?.labels) !== JSON.stringify(node.metadata?.labels) ||
      JSON.stringify(old.spec?.taints) !== JSON.stringify(node.spec?.taints) ||
      !!old.spec?.unschedulable !== !!node.spec?.unschedulable;
    if (changed) this.queue.moveAll('NodeUpdate');
  }

  #onStorageEvent(ev: ClusterEvent): void {
    this.queue.moveAll(ev);
    for (const w of [...this.#waiters]) {
      if (w.check()) {
        this.#waiters.delete(w);
        w.timer.cancel();
        w.resolve(true);
      }
    }
  }

  #waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w = {
        check,
        resolve,
        timer: this.clock.after(timeoutMs, () => {
          this.#waiters.delete(w);
          resolve(false);
        }),
      };
      this.#waiters.add(w);
    });
  }

  // --- lifecycle ----------------------------------------------------------------------------

  /** Registers handlers, starts the informers (shared; idempotent) and the scheduling loop. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#podInformer.addEventHandler({ add: (p) => this.#onPodAdd(p), update: (o, n) => this.#onPodUpdate(o, n), delete: (p) => this.#onPodDelete(p) });
    this.#nodeInformer.addEventHandler({ add: (n) => this.#onNodeAdd(n), update: (o, n) => this.#onNodeUpdate(o, n), delete: (n) => this.cache.removeNode(n.metadata.name) });
    const storage = (add: ClusterEvent, upd: ClusterEvent) => ({ add: () => this.#onStorageEvent(add), update: () => this.#onStorageEvent(upd), delete: () => this.#onStorageEvent(upd) });
    this.#listers.get('pvcs')!.addEventHandler(storage('PvcAdd', 'PvcUpdate'));
    this.#listers.get('pvs')!.addEventHandler(storage('PvAdd', 'PvUpdate'));
    this.#listers.get('storageclasses')!.addEventHandler(storage('StorageClassAdd', 'StorageClassUpdate'));
    this.#listers.get('namespaces')!.addEventHandler({ update: () => this.queue.moveAll('NamespaceChange'), add: () => this.queue.moveAll('NamespaceChange') });
    this.informers.start();
    this.queue.run();
    this.#loop = this.#run();
  }

  stop(): void {
    this.#stopped = true;
    this.queue.close();
    for (const w of this.#waiters) {
      w.timer.cancel();
      w.resolve(false);
    }
    this.#waiters.clear();
    for (const w of this.#bindingSlotWaiters.splice(0)) w();
  }

  /** Resolves once the scheduling loop has exited after stop(). */
  async stopped(): Promise<void> {
    await this.#loop;
  }

  async #run(): Promise<void> {
    await this.informers.synced();
    let sliceStart = performance.now();
    while (!this.#stopped) {
      const q = this.queue.pop();
      if (!q) {
        await this.queue.wait();
        sliceStart = performance.now();
        continue;
      }
      const p = this.#scheduleOne(q);
      if (p) await p;
      // Let informer events and binding replies in now and then (the cycle itself is synchronous).
      if (this.#inFlightBindings >= this.#maxInFlight) await new Promise<void>((r) => this.#bindingSlotWaiters.push(r));
      if (performance.now() - sliceStart > 5) {
        await new Promise((r) => setImmediate(r));
        sliceStart = performance.now();
      }
    }
  }

  /** One scheduling cycle (scheduleOne); returns a promise only when preemption ran. */
  #scheduleOne(q: QueuedPod): Promise<void> | void {
    const pod = q.pod;
    const fwk = this.profiles.get(pod.spec?.schedulerName || DEFAULT_SCHEDULER_NAME);
    const live = this.#podInformer.getByKey(q.key);
    if (!fwk || !live || live.spec?.nodeName || live.metadata?.deletionTimestamp || this.cache.isAssumed(q.key)) {
      this.queue.done(q.key);
      return;
    }
    const pi = new PodInfo(pod, q.priority);
    const result = fwk.schedule(pi);
    if (result.fitError) {
      const fe = result.fitError;
      if (fe.diagnosis.preFilterMsg !== 'no nodes available to schedule pods' && fwk.postFilter.length) return this.#postFilter(fwk, q, pi, result.state, fe);
      this.#fail(q, pi, fe.message, fe.diagnosis.unschedulablePlugins, undefined, 'Unschedulable');
      return;
    }
    this.#assumeAndBind(fwk, q, pi, result.state, result.node!);
  }

  async #postFilter(fwk: Framework, q: QueuedPod, pi: PodInfo, state: CycleState, fe: FitError): Promise<void> {
    let nominated: string | undefined;
    for (const pl of fwk.postFilter) {
      const r = await pl.postFilter(state, pi, fe.diagnosis.statuses);
      if (!r.status) {
        nominated = r.nominatedNodeName;
        break;
      }
      if (r.nominatedNodeName !== undefined) nominated = r.nominatedNodeName;
      fe.diagnosis.postFilterMsg = r.status.reasons.join(', ');
    }
    this.#fail(q, pi, fe.message, fe.diagnosis.unschedulablePlugins, nominated, 'Unschedulable');
  }

  #assumeAndBind(fwk: Framework, q: QueuedPod, pi: PodInfo, state: CycleState, node: string): void {
    this.cache.assume(pi, node);
    this.queue.deleteNominated(q.key);
    for (const r of fwk.reserve) {
      const s = r.reserve(state, pi, node);
      if (s) {
        for (const u of fwk.reserve) u.unreserve(state, pi, node);
        this.cache.forget(q.key);
        this.#fail(q, pi, s.reasons.join(', '), new Set(), undefined, 'SchedulerError');
        return;
      }
    }
    for (const p of fwk.permit) {
      const s = p.permit(state, pi, node);
      if (s) {
        for (const u of fwk.reserve) u.unreserve(state, pi, node);
        this.cache.forget(q.key);
        this.#fail(q, pi, s.reasons.join(', '), new Set([p.name]), undefined, 'Unschedulable');
        return;
      }
    }
    this.queue.done(q.key);
    this.#inFlightBindings++;
    void this.#bindingCycle(fwk, q, pi, state, node).finally(() => {
      this.#inFlightBindings--;
      const w = this.#bindingSlotWaiters.shift();
      if (w) w();
    });
  }

  async #bindingCycle(fwk: Framework, q: QueuedPod, pi: PodInfo, state: CycleState, node: string): Promise<void> {
    let err: string | undefined;
    for (const p of fwk.preBind) {
      const s = await p.preBind(state, pi, node);
      if (s) {
        err = s.reasons.join(', ');
        break;
      }
    }
    if (!err) {
      for (const b of fwk.bind) {
        const s = await b.bind(state, pi, node);
        if (!s) break;
        if (s.code === 5) continue;
        err = s.reasons.join(', ');
        break;
      }
    }
    if (!err) {
      this.scheduledCount++;
      this.recorder.event(pi.pod, 'Normal', 'Scheduled', `Successfully assigned ${pi.namespace}/${pi.name} to ${node}`);
      return;
    }
    for (const u of fwk.reserve) u.unreserve(state, pi, node);
    this.cache.forget(q.key);
    // Bound elsewhere meanwhile, or gone: nothing to retry.
    const live = this.#podInformer.getByKey(q.key);
    if (!live || live.spec?.nodeName) return;
    this.queue.add(live, q.priority);
    this.failedCount++;
    this.recorder.event(pi.pod, 'Warning', 'FailedScheduling', `Binding rejected: ${err}`);
  }

  /** handleSchedulingFailure: re-queue, record the event, update PodScheduled and the nomination. */
  #fail(q: QueuedPod, pi: PodInfo, msg: string, plugins: Set<string>, nominated: string | undefined, reason: 'Unschedulable' | 'SchedulerError'): void {
    this.failedCount++;
    q.unschedulablePlugins = plugins;
    this.queue.requeue(q);
    const pod = this.#podInformer.getByKey(q.key) ?? pi.pod;
    this.recorder.event(pod, 'Warning', 'FailedScheduling', msg);
    if (nominated) this.queue.addNominated(new PodInfo(pod, q.priority), nominated);
    else if (nominated === '') this.queue.deleteNominated(q.key);
    const cur = (pod.status?.conditions ?? []).find((c: Obj) => c.type === 'PodScheduled');
    const nnNow = pod.status?.nominatedNodeName ?? '';
    const nnChange = nominated !== undefined && nominated !== nnNow;
    if (cur && cur.status === 'False' && cur.reason === reason && cur.message === msg && !nnChange) return;
    const status: Obj = {
      conditions: [{ type: 'PodScheduled', status: 'False', reason, message: msg, lastProbeTime: null, lastTransitionTime: cur?.status === 'False' ? cur.lastTransitionTime : rfc3339(this.clock.now()) }],
    };
    if (nnChange) status.nominatedNodeName = nominated || null;
    void this.client
      .pods(pi.namespace)
      .patch(pi.name, 'strategic', { status }, { subresource: 'status' })
      .catch((e) => {
        if (!isNotFound(e) && !isConflict(e)) {
          // best effort, as upstream's updatePod: the next attempt writes it again
        }
      });
  }

  /** The node a pod is assumed or bound on, if any (explain). */
  nodeOf(namespace: string, name: string): string | undefined {
    return this.cache.podNode(`${namespace}/${name}`);
  }

  getPod(namespace: string, name: string): Obj | undefined {
    return this.#podInformer.get(namespace, name);
  }

  nodeInfos(): NodeInfo[] {
    return this.cache.nodeList();
  }
}
