// The node lifecycle controller (pkg/controller/nodelifecycle): every --node-monitor-period it
// checks each node's heartbeats (its kube-node-lease Lease and its Ready condition); a node silent
// for longer than --node-monitor-grace-period (--node-startup-grace-period before its first status)
// gets every condition set to Unknown ("Kubelet stopped posting node status."), its pods marked not
// ready, and the unreachable NoExecute taint; Ready=False gets the not-ready taint; a recovered node
// loses them. Zone disruption is honoured: tainting is rate limited per zone (--node-eviction-rate,
// --secondary-node-eviction-rate) and stops altogether when every zone is fully disrupted. Condition
// taints (NoSchedule) follow node updates, and the taint eviction manager (taintmanager.ts) removes
// pods that do not tolerate the NoExecute taints.
import type { Controller, ControllerContext, ControllerFactory } from '../manager.ts';
import type { Informer } from '../../client/informer.ts';
import { WorkQueue, runWorkers } from '../../client/workqueue.ts';
import type { EventRecorder } from '../../client/events.ts';
import type { Obj } from '../../client/types.ts';
import type { Timer } from '../../machinery/clock.ts';
import { isConflict, isNotFound } from '../../machinery/errors.ts';
import { TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE, sameTaint, type Taint } from './taints.ts';
import { TaintEvictionManager } from './taintmanager.ts';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export interface NodeLifecycleOptions {
  /** --node-eviction-rate: nodes per second tainted for eviction in a healthy zone. */
  nodeEvictionRate: number;
  /** --secondary-node-eviction-rate: the rate in a partially disrupted zone. */
  secondaryNodeEvictionRate: number;
  /** --large-cluster-size-threshold: smaller zones stop evicting when partially disrupted. */
  largeClusterSizeThreshold: number;
  /** --unhealthy-zone-threshold: the share of not-ready nodes that makes a zone partially disrupted. */
  unhealthyZoneThreshold: number;
}

export const defaultNodeLifecycleOptions: NodeLifecycleOptions = {
  nodeEvictionRate: 0.1,
  secondaryNodeEvictionRate: 0.01,
  largeClusterSizeThreshold: 50,
  unhealthyZoneThreshold: 0.55,
};

const CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

/** Condition → NoSchedule taint (TaintNodesByCondition). */
const CONDITION_TAINTS: { type: string; status: string; key: string }[] = [
  { type: 'Ready', status: 'False', key: TAINT_NOT_READY },
  { type: 'Ready', status: 'Unknown', key: TAINT_UNREACHABLE },
  { type: 'MemoryPressure', status: 'True', key: 'node.kubernetes.io/memory-pressure' },
  { type: 'DiskPressure', status: 'True', key: 'node.kubernetes.io/disk-pressure' },
  { type: 'PIDPressure', status: 'True', key: 'node.kubernetes.io/pid-pressure' },
  { type: 'NetworkUnavailable', status: 'True', key: 'node.kubernetes.io/network-unavailable' },
];
const CONDITION_TAINT_KEYS = new Set([...CONDITION_TAINTS.map((c) => c.key), TAINT_UNSCHEDULABLE]);

type ZoneState = 'Initial' | 'Normal' | 'PartialDisruption' | 'FullDisruption';

interface Health {
  probe: number;
  heartbeat: string | undefined;
  renew: number;
}

function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function condition(node: Obj, type: string): Obj | undefined {
  return (node.status?.conditions ?? []).find((c: Obj) => c?.type === type);
}

function zoneOf(node: Obj): string {
  const l = node.metadata?.labels ?? {};
  return `${l['topology.kubernetes.io/region'] ?? l['failure-domain.beta.kubernetes.io/region'] ?? ''}:${l['topology.kubernetes.io/zone'] ?? l['failure-domain.beta.kubernetes.io/zone'] ?? ''}`;
}

export class NodeLifecycleController implements Controller {
  readonly name = 'node-lifecycle-controller';
  #ctx: ControllerContext;
  #opts: NodeLifecycleOptions;
  #nodes: Informer;
  #leases: Informer;
  #pods: Informer;
  #recorder: EventRecorder;
  #health = new Map<string, Health>();
  #known = new Set<string>();
  #zoneStates = new Map<string, ZoneState>();
  #zoneSize = new Map<string, number>();
  /** Nodes waiting to be tainted for eviction, per zone, in the order they failed. */
  #toTaint = new Map<string, Set<string>>();
  /** Per zone: when the next node may be tainted (a token bucket of burst 1). */
  #zoneNext = new Map<string, number>();
  /** Nodes whose pods still have to be marked not ready (a failed attempt is retried). */
  #markPods = new Set<string>();
  #allDisrupted = false;
  #noSchedule: WorkQueue;
  #timer: Timer | undefined;
  #running = false;
  #again = false;
  #stopped = false;
  /** The taint eviction manager (upstream's separate tainteviction controller). */
  readonly taintManager: TaintEvictionManager;
  /** Resolves when the current health pass finishes (tests). */
  idle: Promise<void> = Promise.resolve();

  constructor(ctx: ControllerContext, opts: Partial<NodeLifecycleOptions> = {}) {
    this.#ctx = ctx;
    this.#opts = { ...defaultNodeLifecycleOptions, ...opts };
    this.#nodes = ctx.informers.informer('', 'nodes');
    this.#leases = ctx.informers.informer('coordination.k8s.io', 'leases', { namespace: NODE_LEASE_NAMESPACE });
    this.#pods = ctx.informers.informer('', 'pods');
    this.#recorder = ctx.recorder('node-controller');
    this.#noSchedule = new WorkQueue({ clock: ctx.clock });
    this.taintManager = new TaintEvictionManager(ctx);
  }

  start(): void {
    this.#pods.addIndex('spec.nodeName', (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []));
    this.#nodes.addEventHandler({
      add: (n) => this.#noSchedule.add(n.metadata.name),
      update: (o, n) => {
        if (JSON.stringify(o.status?.conditions) !== JSON.stringify(n.status?.conditions) || o.spec?.unschedulable !== n.spec?.unschedulable || JSON.stringify(o.spec?.taints) !== JSON.stringify(n.spec?.taints)) {
          this.#noSchedule.add(n.metadata.name);
        }
      },
    });
    this.taintManager.start();
    void runWorkers(this.#noSchedule, this.#ctx.config.workers, (k) => this.#syncNoSchedule(k));
    void this.#nodes.synced().then(() => this.#leases.synced()).then(() => {
      if (this.#stopped) return;
      this.#tick();
    });
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#noSchedule.shutDown();
    this.taintManager.stop();
  }

  /** Runs a pass now and every period; a pass that overlaps a running one runs once it ends. */
  #tick = () => {
    if (this.#stopped) return;
    this.#timer = this.#ctx.clock.after(this.#ctx.config.nodeMonitorPeriodMs, this.#tick);
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    this.idle = (async () => {
      try {
        do {
          this.#again = false;
          await this.monitorNodeHealth().catch(() => {});
        } while (this.#again && !this.#stopped);
      } finally {
        this.#running = false;
      }
    })();
  };

  // --- health ----------------------------------------------------------------------------------

  /** One pass over every node (monitorNodeHealth). */
  async monitorNodeHealth(): Promise<void> {
    const now = () => this.#ctx.clock.now();
    const nodes = this.#nodes.list();
    const seen = new Set<string>();
    for (const n of nodes) {
      const name = n.metadata.name;
      seen.add(name);
      if (!this.#known.has(name)) {
        this.#known.add(name);
        this.#recorder.event(n, 'Normal', 'RegisteredNode', `Node ${name} event: Registered Node ${name} in Controller`);
      }
    }
    for (const name of [...this.#known]) {
      if (seen.has(name)) continue;
      this.#known.delete(name);
      this.#health.delete(name);
      this.#markPods.delete(name);
      for (const set of this.#toTaint.values()) set.delete(name);
      this.#recorder.event({ kind: 'Node', apiVersion: 'v1', metadata: { name } }, 'Normal', 'RemovingNode', `Node ${name} event: Removing Node ${name} from Controller`);
    }

    const zoneReady = new Map<string, { ready: number; notReady: number }>();
    const readyNow = new Map<string, string>();
    for (const n of nodes) {
      let node = n;
      const name = node.metadata.name;
      let observed: Obj | undefined;
      let current: Obj | undefined;
      try {
        ({ node, observed, current } = await this.#tryUpdateNodeHealth(node, now()));
      } catch {
        continue;
      }
      const zone = zoneOf(node);
      const z = zoneReady.get(zone) ?? zoneReady.set(zone, { ready: 0, notReady: 0 }).get(zone)!;
      if (current?.status === 'True') z.ready++;
      else z.notReady++;
      readyNow.set(name, current?.status ?? 'Unknown');
      if (!current) continue;
      if (observed?.status === 'True' && current.status !== 'True') {
        this.#recorder.event(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
        this.#markPods.add(name);
      }
      if (this.#markPods.has(name)) {
        if (current.status === 'True') this.#markPods.delete(name);
        else if (await this.#markPodsNotReady(name)) this.#markPods.delete(name);
      }
      this.#processTaintBasedEviction(node, current.status);
    }
    this.#handleDisruption(zoneReady, nodes);
    await this.#taintingPass(now(), readyNow);
  }

  async #tryUpdateNodeHealth(node: Obj, now: number): Promise<{ node: Obj; observed: Obj | undefined; current: Obj | undefined }> {
    const name = node.metadata.name;
    const ready = condition(node, 'Ready');
    let health = this.#health.get(name);
    let grace: number;
    if (!ready) {
      grace = this.#ctx.config.nodeStartupGracePeriodMs;
      if (!health) {
        const created = Date.parse(node.metadata.creationTimestamp ?? '');
        health = { probe: Number.isFinite(created) ? created : now, heartbeat: undefined, renew: 0 };
        this.#health.set(name, health);
      }
    } else {
      grace = this.#ctx.config.nodeMonitorGracePeriodMs;
      if (!health) {
        health = { probe: now, heartbeat: ready.lastHeartbeatTime, renew: 0 };
        this.#health.set(name, health);
      } else if (ready.lastHeartbeatTime !== health.heartbeat) {
        health.probe = now;
        health.heartbeat = ready.lastHeartbeatTime;
      }
    }
    const lease = this.#leases.get(NODE_LEASE_NAMESPACE, name);
    const renew = Date.parse(lease?.spec?.renewTime ?? '');
    if (Number.isFinite(renew) && renew > health.renew) {
      health.probe = now;
      health.renew = renew;
    }
    if (now <= health.probe + grace) return { node, observed: ready, current: ready };

    // Silent too long: every condition becomes Unknown.
    let n = node;
    for (let attempt = 0; ; attempt++) {
      const next = structuredClone(n);
      const conds: Obj[] = (next.status ??= {}).conditions ??= [];
      const ts = rfc3339(now);
      let changed = false;
      for (const type of CONDITIONS) {
        const c = conds.find((x) => x?.type === type);
        if (!c) {
          conds.push({ type, status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastHeartbeatTime: n.metadata.creationTimestamp, lastTransitionTime: ts });
          changed = true;
        } else if (c.status !== 'Unknown') {
          Object.assign(c, { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: ts });
          changed = true;
        }
      }
      if (!changed) return { node: n, observed: ready, current: condition(n, 'Ready') };
      try {
        const updated = await this.#ctx.client.nodes().updateStatus(next);
        return { node: updated, observed: ready, current: condition(updated, 'Ready') };
      } catch (e) {
        if (!isConflict(e) || attempt >= 3) throw e;
        n = await this.#ctx.client.nodes().get(name);
        // The kubelet may have just reported in.
        const fresh = condition(n, 'Ready');
        if (fresh && fresh.lastHeartbeatTime !== health.heartbeat) {
          health.probe = now;
          health.heartbeat = fresh.lastHeartbeatTime;
          return { node: n, observed: ready, current: fresh };
        }
      }
    }
  }

  /** MarkPodsNotReady: the Ready condition of every pod on the node becomes False. */
  async #markPodsNotReady(nodeName: string): Promise<boolean> {
    let ok = true;
    const ts = rfc3339(this.#ctx.clock.now());
    for (const pod of this.#pods.byIndex('spec.nodeName', nodeName)) {
      const conds: Obj[] = pod.status?.conditions ?? [];
      const i = conds.findIndex((c) => c?.type === 'Ready');
      if (i < 0 || conds[i]!.status === 'False') continue;
      const next = { ...pod, status: { ...pod.status, conditions: conds.map((c, j) => (j === i ? { ...c, status: 'False', lastTransitionTime: ts } : c)) } };
      try {
        await this.#ctx.client.pods(pod.metadata.namespace).updateStatus(next);
        this.#recorder.event(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (e) {
        if (!isNotFound(e)) ok = false;
      }
    }
    return ok;
  }

  // --- NoExecute tainting ------------------------------------------------------------------------

  #processTaintBasedEviction(node: Obj, ready: string) {
    const name = node.metadata.name;
    const zone = zoneOf(node);
    const taints: Taint[] = node.spec?.taints ?? [];
    const has = (key: string) => taints.some((t) => t.key === key && t.effect === 'NoExecute');
    if (ready === 'False' || ready === 'Unknown') {
      const want = ready === 'False' ? TAINT_NOT_READY : TAINT_UNREACHABLE;
      const other = ready === 'False' ? TAINT_UNREACHABLE : TAINT_NOT_READY;
      if (has(want) && !has(other)) return;
      (this.#toTaint.get(zone) ?? this.#toTaint.set(zone, new Set()).get(zone)!).add(name);
    } else {
      this.#toTaint.get(zone)?.delete(name);
      if (has(TAINT_NOT_READY) || has(TAINT_UNREACHABLE)) void this.#markReachable(name).catch(() => {});
    }
  }

  async #markReachable(name: string): Promise<void> {
    await this.updateTaints(name, [], (t) => t.effect === 'NoExecute' && (t.key === TAINT_NOT_READY || t.key === TAINT_UNREACHABLE));
  }

  #zoneRate(zone: string, size: number): number {
    const state = this.#zoneStates.get(zone) ?? 'Normal';
    if (state === 'PartialDisruption') return size > this.#opts.largeClusterSizeThreshold ? this.#opts.secondaryNodeEvictionRate : 0;
    return this.#opts.nodeEvictionRate;
  }

  /** handleDisruption: zone states from this pass; with every zone down, nothing is evicted. */
  #handleDisruption(zoneReady: Map<string, { ready: number; notReady: number }>, nodes: Obj[]) {
    const states = new Map<string, ZoneState>();
    this.#zoneSize.clear();
    for (const [zone, { ready, notReady }] of zoneReady) {
      this.#zoneSize.set(zone, ready + notReady);
      let s: ZoneState = 'Normal';
      if (ready === 0 && notReady > 0) s = 'FullDisruption';
      else if (notReady > 2 && notReady / (ready + notReady) >= this.#opts.unhealthyZoneThreshold) s = 'PartialDisruption';
      states.set(zone, s);
    }
    const all = states.size > 0 && [...states.values()].every((s) => s === 'FullDisruption');
    if (all && !this.#allDisrupted) {
      // "Controller detected that all Nodes are not-Ready. Entering master disruption mode."
      for (const n of nodes) void this.#markReachable(n.metadata.name).catch(() => {});
      this.#toTaint.clear();
    }
    if (!all && this.#allDisrupted) this.#zoneNext.clear();
    this.#allDisrupted = all;
    this.#zoneStates = states;
  }

  /** doNoExecuteTaintingPass: taint queued nodes, each zone at its rate. */
  async #taintingPass(now: number, readyNow: Map<string, string>) {
    if (this.#allDisrupted) return;
    for (const [zone, names] of this.#toTaint) {
      const size = this.#zoneSize.get(zone) ?? 0;
      for (const name of [...names]) {
        const ready = readyNow.get(name);
        if (ready !== 'False' && ready !== 'Unknown') {
          names.delete(name);
          continue;
        }
        const rate = this.#zoneRate(zone, size);
        if (rate <= 0) break;
        const next = this.#zoneNext.get(zone) ?? 0;
        if (now < next) break;
        const add: Taint = { key: ready === 'False' ? TAINT_NOT_READY : TAINT_UNREACHABLE, effect: 'NoExecute', timeAdded: rfc3339(now) };
        const other = ready === 'False' ? TAINT_UNREACHABLE : TAINT_NOT_READY;
        try {
          await this.updateTaints(name, [add], (t) => t.effect === 'NoExecute' && t.key === other);
          names.delete(name);
          this.#zoneNext.set(zone, now + 1000 / rate);
        } catch {
          // retried on the next pass
        }
      }
    }
  }

  // --- NoSchedule condition taints ---------------------------------------------------------------

  async #syncNoSchedule(name: string): Promise<void> {
    const node = this.#nodes.get(name);
    if (!node) return;
    const want: Taint[] = [];
    for (const ct of CONDITION_TAINTS) {
      if (condition(node, ct.type)?.status === ct.status) want.push({ key: ct.key, effect: 'NoSchedule' });
    }
    if (node.spec?.unschedulable) want.push({ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' });
    const have = ((node.spec?.taints ?? []) as Taint[]).filter((t) => t.effect === 'NoSchedule' && CONDITION_TAINT_KEYS.has(t.key));
    const same = want.length === have.length && want.every((w) => have.some((h) => sameTaint(h, w)));
    if (same) return;
    await this.updateTaints(name, want, (t) => t.effect === 'NoSchedule' && CONDITION_TAINT_KEYS.has(t.key));
  }

  /** Removes the taints `remove` picks and adds `add` (keeping an existing one's timeAdded); retries on conflict. */
  async updateTaints(name: string, add: Taint[], remove: (t: Taint) => boolean): Promise<void> {
    let node: Obj | undefined = this.#nodes.get(name);
    for (let attempt = 0; ; attempt++) {
      if (!node) return;
      const old: Taint[] = node.spec?.taints ?? [];
      const kept = old.filter((t) => !remove(t) || add.some((a) => sameTaint(a, t)));
      const next = [...kept];
      for (const a of add) if (!next.some((t) => sameTaint(t, a))) next.push(a);
      if (next.length === old.length && next.every((t, i) => t === old[i])) return;
      try {
        const spec = { ...node.spec };
        if (next.length) spec.taints = next;
        else delete spec.taints;
        await this.#ctx.client.nodes().update({ ...node, spec });
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        if (!isConflict(e) || attempt >= 5) throw e;
        node = await this.#ctx.client.nodes().get(name).catch(() => undefined);
      }
    }
  }
}

export function newNodeLifecycleController(ctx: ControllerContext, opts: Partial<NodeLifecycleOptions> = {}): NodeLifecycleController {
  return new NodeLifecycleController(ctx, opts);
}

export const nodeLifecycleController: ControllerFactory = (ctx) => new NodeLifecycleController(ctx);
