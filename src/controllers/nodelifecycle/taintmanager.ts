// Taint-based eviction (pkg/controller/tainteviction): pods on a node with NoExecute taints they do
// not tolerate are deleted at once; pods that tolerate them for tolerationSeconds are deleted that
// long after the taint appeared (timers on the injected clock), unless the taint goes away first.
// Each eviction records TaintManagerEviction "Marking for deletion Pod ns/name" and sets the
// DisruptionTarget condition (DeletionByTaintManager) before deleting.
import type { ControllerContext } from '../manager.ts';
import type { Informer } from '../../client/informer.ts';
import { keyOf, splitKey } from '../../client/informer.ts';
import { WorkQueue, runWorkers } from '../../client/workqueue.ts';
import type { EventRecorder } from '../../client/events.ts';
import type { Obj } from '../../client/types.ts';
import { isNotFound } from '../../machinery/errors.ts';
import { noExecuteTaints, tolerationTimeMs, type Taint } from './taints.ts';

function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

const taintsKey = (taints: Taint[]) => taints.map((t) => `${t.key}=${t.value ?? ''}:${t.timeAdded ?? ''}`).join(',');

export class TaintEvictionManager {
  #ctx: ControllerContext;
  #nodes: Informer;
  #pods: Informer;
  #recorder: EventRecorder;
  #queue: WorkQueue;
  /** Pods with an eviction planned: when the clock started and when it fires. */
  #scheduled = new Map<string, { start: number; at: number }>();

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.#nodes = ctx.informers.informer('', 'nodes');
    this.#pods = ctx.informers.informer('', 'pods');
    this.#recorder = ctx.recorder('taint-eviction-controller');
    this.#queue = new WorkQueue({ clock: ctx.clock });
  }

  start(): void {
    this.#pods.addIndex('spec.nodeName', (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []));
    const enqueueNode = (name: string) => {
      for (const p of this.#pods.byIndex('spec.nodeName', name)) this.#queue.add(keyOf(p));
    };
    this.#nodes.addEventHandler({
      add: (n) => {
        if (noExecuteTaints(n).length) enqueueNode(n.metadata.name);
      },
      update: (o, n) => {
        if (taintsKey(noExecuteTaints(o)) !== taintsKey(noExecuteTaints(n))) enqueueNode(n.metadata.name);
      },
    });
    this.#pods.addEventHandler({
      add: (p) => {
        if (p.spec?.nodeName) this.#queue.add(keyOf(p));
      },
      update: (o, p) => {
        if (!p.spec?.nodeName) return;
        if (o.spec?.nodeName !== p.spec.nodeName || JSON.stringify(o.spec?.tolerations) !== JSON.stringify(p.spec?.tolerations) || !!o.metadata?.deletionTimestamp !== !!p.metadata?.deletionTimestamp) {
          this.#queue.add(keyOf(p));
        }
      },
      delete: (p) => this.#scheduled.delete(keyOf(p)),
    });
    void runWorkers(this.#queue, this.#ctx.config.workers, (k) => this.sync(k));
  }

  stop(): void {
    this.#queue.shutDown();
  }

  /** The pod keys with an eviction planned, and when (ms since the epoch). */
  get scheduled(): ReadonlyMap<string, { start: number; at: number }> {
    return this.#scheduled;
  }

  #cancel(key: string, pod: Obj | undefined) {
    if (!this.#scheduled.delete(key)) return;
    if (pod) this.#recorder.event(pod, 'Normal', 'TaintManagerEviction', `Cancelling deletion of Pod ${key}`);
  }

  async sync(key: string): Promise<void> {
    const pod = this.#pods.getByKey(key);
    if (!pod) {
      this.#scheduled.delete(key);
      return;
    }
    const nodeName = pod.spec?.nodeName;
    if (!nodeName || pod.metadata?.deletionTimestamp) {
      this.#scheduled.delete(key);
      return;
    }
    const taints = noExecuteTaints(this.#nodes.get(nodeName));
    if (!taints.length) return this.#cancel(key, pod);
    const ms = tolerationTimeMs(taints, pod.spec?.tolerations ?? []);
    if (ms === Infinity) return this.#cancel(key, pod);
    const now = this.#ctx.clock.now();
    if (ms < 0) return this.#evict(key, pod);
    // The clock starts when the taint was added (but not before the pod existed).
    let entry = this.#scheduled.get(key);
    if (!entry) {
      let start = Infinity;
      for (const t of taints) {
        const at = Date.parse(t.timeAdded ?? '');
        if (Number.isFinite(at)) start = Math.min(start, at);
      }
      const created = Date.parse(pod.metadata?.creationTimestamp ?? '');
      if (Number.isFinite(created)) start = Math.max(start === Infinity ? created : start, created);
      if (!Number.isFinite(start) || start > now) start = now;
      entry = { start, at: start + ms };
    } else {
      entry = { start: entry.start, at: Math.min(entry.at, entry.start + ms) };
    }
    if (now >= entry.at) return this.#evict(key, pod);
    this.#scheduled.set(key, entry);
    this.#queue.addAfter(key, entry.at - now);
  }

  async #evict(key: string, pod: Obj): Promise<void> {
    const { namespace, name } = splitKey(key);
    this.#recorder.event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
    const pods = this.#ctx.client.pods(namespace);
    try {
      const conds: Obj[] = (pod.status?.conditions ?? []).filter((c: Obj) => c?.type !== 'DisruptionTarget');
      conds.push({ type: 'DisruptionTarget', status: 'True', lastTransitionTime: rfc3339(this.#ctx.clock.now()), reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint' });
      await pods.updateStatus({ ...pod, status: { ...pod.status, conditions: conds } });
    } catch (e) {
      if (isNotFound(e)) return void this.#scheduled.delete(key);
      // The condition is best effort; the deletion is what counts.
    }
    try {
      await pods.delete(name, { preconditions: { uid: pod.metadata.uid } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    this.#scheduled.delete(key);
  }
}
