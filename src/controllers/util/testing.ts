// A stand-in kubelet for controller tests (not a real node): binds unscheduled pods to a node through
// pods/binding, reports bound pods Running and Ready (with lastTransitionTime from the injected
// clock), and finishes graceful deletions with gracePeriodSeconds 0, as a kubelet does once the
// containers have stopped. `ready` decides which pods turn ready. Plus an in-process test cluster.
import { KubeClient } from '../../client/client.ts';
import { MemoryBackend } from '../../storage/memory/memory.ts';
import { ApiServer } from '../../apiserver/server.ts';
import { InProcessTransport } from '../../client/inprocess.ts';
import { ControllerManager, type ControllerConfig, type ControllerFactory } from '../manager.ts';
import { Informer, keyOf, splitKey } from '../../client/informer.ts';
import { WorkQueue, runWorkers } from '../../client/workqueue.ts';
import type { Obj } from '../../client/types.ts';
import { isNotFound } from '../../machinery/errors.ts';
import { realClock, type Clock, type FakeClock } from '../../machinery/clock.ts';
import { isPodReady, rfc3339 } from './pods.ts';

export interface FakeKubeletOptions {
  nodeName?: string;
  /** Time for the Ready condition's lastTransitionTime (default: real time). */
  clock?: Clock;
  /** Which bound pods become ready (default: all). */
  ready?: (pod: Obj) => boolean;
  /** Only pods in this namespace (default: all). */
  namespace?: string;
}

export class FakeKubelet {
  readonly informer: Informer<Obj>;
  #client: KubeClient;
  #queue = new WorkQueue();
  #o: Required<Omit<FakeKubeletOptions, 'namespace'>>;

  constructor(client: KubeClient, opts: FakeKubeletOptions = {}) {
    this.#client = client;
    this.#o = { nodeName: opts.nodeName ?? 'node-1', clock: opts.clock ?? realClock, ready: opts.ready ?? (() => true) };
    this.informer = new Informer(client.pods(), opts.namespace ? { namespace: opts.namespace } : {});
    this.informer.addEventHandler({ add: (p) => this.#queue.add(keyOf(p)), update: (_o, p) => this.#queue.add(keyOf(p)) });
  }

  async start(): Promise<void> {
    this.informer.start();
    await this.informer.synced();
    void runWorkers(this.#queue, 4, (key) => this.#sync(key));
  }

  /** Changes which pods turn ready and looks at every pod again. */
  setReady(ready: (pod: Obj) => boolean): void {
    this.#o.ready = ready;
    for (const p of this.informer.list()) this.#queue.add(keyOf(p));
  }

  stop(): void {
    this.#queue.shutDown();
    this.informer.stop();
  }

  async #sync(key: string): Promise<void> {
    const pod = this.informer.getByKey(key);
    if (!pod) return;
    const { namespace, name } = splitKey(key);
    const pods = this.#client.pods(namespace);
    try {
      if (pod.metadata.deletionTimestamp) {
        await pods.delete(name, { gracePeriodSeconds: 0 });
      } else if (!pod.spec?.nodeName) {
        await pods.createSubresource(name, 'binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace }, target: { apiVersion: 'v1', kind: 'Node', name: this.#o.nodeName } });
      } else if (!isPodReady(pod) && this.#o.ready(pod)) {
        const t = rfc3339(this.#o.clock.now());
        const others = (pod.status?.conditions ?? []).filter((c: Obj) => c.type !== 'Ready' && c.type !== 'ContainersReady' && c.type !== 'Initialized');
        const conditions = [
          ...others,
          { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: t },
          { type: 'ContainersReady', status: 'True', lastProbeTime: null, lastTransitionTime: t },
          { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: t },
        ];
        await pods.updateStatus({ ...pod, status: { ...(pod.status ?? {}), phase: 'Running', conditions, startTime: pod.status?.startTime ?? t } });
      }
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

// --- an in-process cluster for controller integration tests --------------------------------------


export interface TestCluster {
  api: ApiServer;
  client: KubeClient;
  manager: ControllerManager;
  kubelet: FakeKubelet;
  stop(): Promise<void>;
}

/** An API server on a MemoryBackend, a controller manager (no leader election) and a FakeKubelet. */
export async function startTestCluster(factories: ControllerFactory[], opts: { clock?: Clock; config?: Partial<ControllerConfig>; kubelet?: FakeKubeletOptions } = {}): Promise<TestCluster> {
  const api = new ApiServer({ storage: new MemoryBackend(), port: 0, ...(opts.clock ? { clock: opts.clock } : {}) });
  await api.start();
  const client = new KubeClient(new InProcessTransport(api, { username: 'system:admin', groups: ['system:masters'] }));
  const manager = new ControllerManager(client, factories, { ...(opts.clock ? { clock: opts.clock } : {}), config: { leaderElect: false, ...opts.config } });
  await manager.start();
  await manager.ctx.informers.synced();
  const kubelet = new FakeKubelet(client, { ...(opts.clock ? { clock: opts.clock } : {}), ...opts.kubelet });
  await kubelet.start();
  return {
    api,
    client,
    manager,
    kubelet,
    async stop() {
      kubelet.stop();
      manager.stop();
      client.close();
      await api.stop();
      await api.storage.close();
    },
  };
}

/**
 * Waits until `cond` holds, yielding to the event loop between checks; with a FakeClock, moves it
 * `tickMs` per check so rate-limited retries still happen. Throws after `ms` of real time.
 */
export async function until(cond: () => boolean | Promise<boolean>, what: string, opts: { ms?: number; clock?: FakeClock; tickMs?: number } = {}): Promise<void> {
  const deadline = Date.now() + (opts.ms ?? 10_000);
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    if (opts.clock) opts.clock.advance(opts.tickMs ?? 5);
    await new Promise((r) => setTimeout(r, 1));
  }
}
