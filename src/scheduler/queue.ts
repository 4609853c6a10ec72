// The scheduling queue, as kube-scheduler's PriorityQueue: activeQ (priority, then time of
// arrival — PrioritySort), backoffQ (1 s doubling to 10 s per attempt), unschedulablePods moved
// back on cluster events that may help the plugins that rejected them, or after 5 minutes; plus
// the nominator (pods with status.nominatedNodeName from preemption).
import { realClock, type Clock, type Timer } from '../machinery/clock.ts';
import type { Obj } from '../client/types.ts';
import type { ClusterEvent } from './types.ts';
import type { PodInfo } from './nodeinfo.ts';
import { KeyedHeap } from './heap.ts';

export interface QueuedPod {
  key: string;
  pod: Obj;
  priority: number;
  /** When the pod last entered the queue (activeQ order and backoff start). */
  timestamp: number;
  initialAttempt: number;
  attempts: number;
  /** Plugins that rejected the pod in its last attempt (empty after an error). */
  unschedulablePlugins: Set<string>;
  /** The scheduling cycle in which the pod was last popped. */
  cycle: number;
}

export interface QueueOptions {
  clock?: Clock;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  maxInUnschedulableMs?: number;
  /** Which plugins care about which cluster events; a pod moves only if one of its rejectors does. */
  pluginEvents?: Map<string, ReadonlySet<ClusterEvent>>;
}

export class SchedulingQueue {
  readonly clock: Clock;
  #initialBackoff: number;
  #maxBackoff: number;
  #maxUnsched: number;
  #pluginEvents: Map<string, ReadonlySet<ClusterEvent>>;
  #active = new KeyedHeap<QueuedPod>(
    (q) => q.key,
    (a, b) => a.priority > b.priority || (a.priority === b.priority && a.timestamp < b.timestamp),
  );
  #backoff = new KeyedHeap<QueuedPod>(
    (q) => q.key,
    (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b),
  );
  #unschedulable = new Map<string, QueuedPod>();
  #inFlight = new Map<string, QueuedPod>();
  #cycle = 0;
  #moveRequestCycle = -1;
  #waiters: (() => void)[] = [];
  #timers: Timer[] = [];
  #closed = false;
  // nominator
  #nominated = new Map<string, { pi: PodInfo; node: string }>();
  #byNode = new Map<string, Map<string, PodInfo>>();

  constructor(opts: QueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.#initialBackoff = opts.initialBackoffMs ?? 1_000;
    this.#maxBackoff = opts.maxBackoffMs ?? 10_000;
    this.#maxUnsched = opts.maxInUnschedulableMs ?? 5 * 60_000;
    this.#pluginEvents = opts.pluginEvents ?? new Map();
  }

  /** Starts the periodic flushes (backoffQ every 1 s, leftover unschedulable pods every 30 s). */
  run(): void {
    const every = (ms: number, fn: () => void) => {
      const tick = () => {
        if (this.#closed) return;
        fn();
        this.#timers.push(this.clock.after(ms, tick));
      };
      this.#timers.push(this.clock.after(ms, tick));
    };
    every(1_000, () => this.flushBackoffCompleted());
    every(30_000, () => this.flushUnschedulableLeftover());
  }

  close(): void {
    this.#closed = true;
    for (const t of this.#timers) t.cancel();
    this.#timers = [];
    this.#wake();
  }

  get closed(): boolean {
    return this.#closed;
  }

  get schedulingCycle(): number {
    return this.#cycle;
  }

  backoffDuration(q: QueuedPod): number {
    let d = this.#initialBackoff;
    for (let i = 1; i < q.attempts; i++) {
      d *= 2;
      if (d >= this.#maxBackoff) return this.#maxBackoff;
    }
    return d;
  }

  backoffExpiry(q: QueuedPod): number {
    return q.timestamp + this.backoffDuration(q);
  }

  #backingOff(q: QueuedPod): boolean {
    return q.attempts > 0 && this.backoffExpiry(q) > this.clock.now();
  }

  #wake(): void {
    const ws = this.#waiters;
    if (!ws.length) return;
    this.#waiters = [];
    for (const w of ws) w();
  }

  #toActive(q: QueuedPod): void {
    this.#active.push(q);
    this.#wake();
  }

  /** A new pending pod (informer add). */
  add(pod: Obj, priority: number): void {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    if (this.#inFlight.has(key) || this.#active.has(key) || this.#backoff.has(key) || this.#unschedulable.has(key)) {
      this.update(pod, priority);
      return;
    }
    const now = this.clock.now();
    this.#toActive({ key, pod, priority, timestamp: now, initialAttempt: 0, attempts: 0, unschedulablePlugins: new Set(), cycle: 0 });
  }

  /** The pod changed (informer update): refresh it; a changed unschedulable pod gets another try. */
  update(pod: Obj, priority: number): void {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const fly = this.#inFlight.get(key);
    if (fly) {
      fly.pod = pod;
      fly.priority = priority;
      return;
    }
    for (const h of [this.#active, this.#backoff]) {
      const q = h.get(key);
      if (q) {
        q.pod = pod;
        q.priority = priority;
        h.push(q);
        return;
      }
    }
    const q = this.#unschedulable.get(key);
    if (q) {
      const changed = specChanged(q.pod, pod);
      q.pod = pod;
      q.priority = priority;
      if (changed) {
        this.#unschedulable.delete(key);
        if (this.#backingOff(q)) this.#backoff.push(q);
        else this.#toActive(q);
      }
      return;
    }
    this.add(pod, priority);
  }

  delete(key: string): void {
    this.#active.delete(key);
    this.#backoff.delete(key);
    this.#unschedulable.delete(key);
    this.#inFlight.delete(key);
    this.deleteNominated(key);
  }

  /** The next pod to schedule, or undefined when activeQ is empty. */
  pop(): QueuedPod | undefined {
    const q = this.#active.pop();
    if (!q) return undefined;
    q.attempts++;
    if (q.initialAttempt === 0) q.initialAttempt = this.clock.now();
    q.cycle = ++this.#cycle;
    this.#inFlight.set(q.key, q);
    return q;
  }

  /** Resolves when activeQ may have something (or the queue closed). */
  wait(): Promise<void> {
    if (this.#active.size || this.#closed) return Promise.resolve();
    return new Promise((r) => this.#waiters.push(r));
  }

  /** The pod's cycle is over (scheduled, or re-queued). */
  done(key: string): void {
    this.#inFlight.delete(key);
  }

  /**
   * A failed attempt: to backoffQ if a move request came while it was in flight or it failed
   * with an error, else to unschedulablePods (AddUnschedulableIfNotPresent).
   */
  requeue(q: QueuedPod): void {
    if (!this.#inFlight.has(q.key)) return; // deleted meanwhile
    this.#inFlight.delete(q.key);
    if (this.#closed) return;
    q.timestamp = this.clock.now();
    if (q.unschedulablePlugins.size === 0 || this.#moveRequestCycle >= q.cycle) this.#backoff.push(q);
    else this.#unschedulable.set(q.key, q);
  }

  /** A cluster event: moves the unschedulable pods it may help (MoveAllToActiveOrBackoffQueue). */
  moveAll(event: ClusterEvent): void {
    this.#moveRequestCycle = this.#cycle;
    if (this.#unschedulable.size === 0) return;
    for (const [key, q] of this.#unschedulable) {
      if (!this.#interested(q, event)) continue;
      this.#unschedulable.delete(key);
      if (this.#backingOff(q)) this.#backoff.push(q);
      else this.#toActive(q);
    }
  }

  #interested(q: QueuedPod, event: ClusterEvent): boolean {
    if (q.unschedulablePlugins.size === 0) return true;
    for (const p of q.unschedulablePlugins) if (this.#pluginEvents.get(p)?.has(event) ?? true) return true;
    return false;
  }

  flushBackoffCompleted(): void {
    const now = this.clock.now();
    for (;;) {
      const q = this.#backoff.peek();
      if (!q || this.backoffExpiry(q) > now) break;
      this.#backoff.pop();
      this.#toActive(q);
    }
  }

  flushUnschedulableLeftover(): void {
    const now = this.clock.now();
    for (const [key, q] of this.#unschedulable) {
      if (now - q.timestamp < this.#maxUnsched) continue;
      this.#unschedulable.delete(key);
      if (this.#backingOff(q)) this.#backoff.push(q);
      else this.#toActive(q);
    }
  }

  /** Where a pod currently waits: 'active' | 'backoff' | 'unschedulable' | 'inflight' | undefined. */
  where(key: string): 'active' | 'backoff' | 'unschedulable' | 'inflight' | undefined {
    if (this.#active.has(key)) return 'active';
    if (this.#backoff.has(key)) return 'backoff';
    if (this.#unschedulable.has(key)) return 'unschedulable';
    if (this.#inFlight.has(key)) return 'inflight';
    return undefined;
  }

  get counts(): { active: number; backoff: number; unschedulable: number; inFlight: number } {
    return { active: this.#active.size, backoff: this.#backoff.size, unschedulable: this.#unschedulable.size, inFlight: this.#inFlight.size };
  }

  // --- nominator ----------------------------------------------------------------------------

  addNominated(pi: PodInfo, node: string): void {
    this.deleteNominated(pi.key);
    if (!node) return;
    this.#nominated.set(pi.key, { pi, node });
    let m = this.#byNode.get(node);
    if (!m) this.#byNode.set(node, (m = new Map()));
    m.set(pi.key, pi);
  }

  deleteNominated(key: string): void {
    const cur = this.#nominated.get(key);
    if (!cur) return;
    this.#nominated.delete(key);
    const m = this.#byNode.get(cur.node);
    m?.delete(key);
    if (m && m.size === 0) this.#byNode.delete(cur.node);
  }

  nominatedNode(key: string): string | undefined {
    return this.#nominated.get(key)?.node;
  }

  nominatedPods(node: string): PodInfo[] {
    const m = this.#byNode.get(node);
    return m ? [...m.values()] : [];
  }

  get hasNominated(): boolean {
    return this.#nominated.size > 0;
  }
}

/** Whether an update is worth another scheduling attempt (isPodUpdated: ignores status and bookkeeping). */
function specChanged(a: Obj, b: Obj): boolean {
  if (a === b) return false;
  const strip = (p: Obj) => JSON.stringify({ spec: p.spec, labels: p.metadata?.labels, annotations: p.metadata?.annotations });
  return strip(a) !== strip(b);
}
