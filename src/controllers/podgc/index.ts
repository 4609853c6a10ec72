// Pod garbage collection, as upstream's pkg/controller/podgc: every 20 s, deletes terminated pods
// beyond --terminated-pod-gc-threshold (evicted, then oldest first), pods bound to nodes that no
// longer exist (after a 40 s quarantine and a live check), terminating pods that were never
// scheduled, and terminating pods on NotReady nodes tainted out-of-service. Pods that have not
// finished are first marked Failed (orphans with a DisruptionTarget condition), then force-deleted.
import type { Controller, ControllerContext, ControllerFactory } from '../manager.ts';
import type { Informer } from '../../client/informer.ts';
import type { Obj } from '../../client/types.ts';
import { isNotFound } from '../../machinery/errors.ts';
import type { Clock, Timer } from '../../machinery/clock.ts';
import { parseTime, rfc3339 } from '../job/util.ts';

export const GC_CHECK_PERIOD_MS = 20_000;
export const QUARANTINE_MS = 40_000;
const OUT_OF_SERVICE_TAINT = 'node.kubernetes.io/out-of-service';

const isTerminated = (p: Obj) => {
  const phase = p.status?.phase;
  return phase !== 'Pending' && phase !== 'Running' && phase !== 'Unknown' && phase !== undefined;
};
const isEvicted = (p: Obj) => p.status?.phase === 'Failed' && p.status?.reason === 'Evicted';

function byEvictionAndCreation(a: Obj, b: Obj): number {
  const ea = isEvicted(a) ? 0 : 1;
  const eb = isEvicted(b) ? 0 : 1;
  if (ea !== eb) return ea - eb;
  const ca = parseTime(a.metadata.creationTimestamp) ?? 0;
  const cb = parseTime(b.metadata.creationTimestamp) ?? 0;
  if (ca !== cb) return ca - cb;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

export class PodGCController implements Controller {
  readonly name = 'pod-garbage-collector';
  #ctx: ControllerContext;
  #clock: Clock;
  #pods: Informer;
  #nodes: Informer;
  /** Missing node name -> when its quarantine ends. */
  #quarantine = new Map<string, number>();
  #timer: Timer | undefined;
  #stopped = false;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.#clock = ctx.clock;
    this.#pods = ctx.informers.informer('', 'pods');
    this.#nodes = ctx.informers.informer('', 'nodes');
  }

  start(): void {
    void Promise.all([this.#pods.synced(), this.#nodes.synced()]).then(() => this.#loop());
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
  }

  async #loop(): Promise<void> {
    if (this.#stopped) return;
    try {
      await this.gc();
    } catch {
      // the next period retries
    }
    if (!this.#stopped) this.#timer = this.#clock.after(GC_CHECK_PERIOD_MS, () => void this.#loop());
  }

  /** One collection pass (upstream gc). */
  async gc(): Promise<void> {
    const pods = this.#pods.list();
    const threshold = this.#ctx.config.terminatedPodGCThreshold;
    const work: Promise<void>[] = [];
    if (threshold > 0) work.push(this.#gcTerminated(pods, threshold));
    work.push(this.#gcTerminatingOutOfService(pods));
    work.push(this.#gcOrphaned(pods));
    work.push(this.#gcUnscheduledTerminating(pods));
    await Promise.all(work);
  }

  async #gcTerminated(pods: Obj[], threshold: number): Promise<void> {
    const terminated = pods.filter(isTerminated);
    const n = terminated.length - threshold;
    if (n <= 0) return;
    terminated.sort(byEvictionAndCreation);
    await Promise.all(terminated.slice(0, n).map((p) => this.#markFailedAndDelete(p)));
  }

  async #gcTerminatingOutOfService(pods: Obj[]): Promise<void> {
    const victims: Obj[] = [];
    for (const p of pods) {
      if (!p.metadata.deletionTimestamp || !p.spec?.nodeName) continue;
      const node = this.#nodes.get(p.spec.nodeName);
      if (!node) continue;
      const ready = (node.status?.conditions ?? []).find((c: Obj) => c.type === 'Ready');
      if (ready?.status === 'True') continue;
      if (!(node.spec?.taints ?? []).some((t: Obj) => t.key === OUT_OF_SERVICE_TAINT && t.effect === 'NoExecute')) continue;
      victims.push(p);
    }
    await Promise.all(victims.map((p) => this.#markFailedAndDelete(p)));
  }

  async #gcOrphaned(pods: Obj[]): Promise<void> {
    const now = this.#clock.now();
    for (const p of pods) {
      const node = p.spec?.nodeName;
      if (node && !this.#nodes.get(node) && !this.#quarantine.has(node)) this.#quarantine.set(node, now + QUARANTINE_MS);
    }
    const deleted = new Set<string>();
    for (const [node, due] of [...this.#quarantine]) {
      if (this.#nodes.get(node)) {
        this.#quarantine.delete(node);
        continue;
      }
      if (due > now) continue;
      this.#quarantine.delete(node);
      // The cache may lag: only a live NotFound proves the node is gone.
      try {
        await this.#ctx.client.nodes().get(node);
      } catch (e) {
        if (isNotFound(e)) deleted.add(node);
      }
    }
    if (!deleted.size) return;
    const condition = { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists', lastTransitionTime: rfc3339(now) };
    await Promise.all(pods.filter((p) => deleted.has(p.spec?.nodeName)).map((p) => this.#markFailedAndDelete(p, condition)));
  }

  async #gcUnscheduledTerminating(pods: Obj[]): Promise<void> {
    await Promise.all(pods.filter((p) => p.metadata.deletionTimestamp && !p.spec?.nodeName).map((p) => this.#markFailedAndDelete(p)));
  }

  /** Moves an unfinished pod to Failed (so no one waits on it), then deletes it with no grace. */
  async #markFailedAndDelete(p: Obj, condition?: Obj): Promise<void> {
    const pods = this.#ctx.client.pods(p.metadata.namespace);
    try {
      if (p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed') {
        await pods.patch(p.metadata.name, 'strategic', { status: { phase: 'Failed', ...(condition ? { conditions: [condition] } : {}) } }, { subresource: 'status' });
      }
      await pods.delete(p.metadata.name, { gracePeriodSeconds: 0 });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

export const podgcController: ControllerFactory = (ctx) => new PodGCController(ctx);
