// A component on a worker thread of the API server's process (the scheduler, the simulated
// nodes), as upstream runs kube-scheduler or kwok as processes of their own: its informers and
// loops run beside the API server's event loop instead of on it. Its client reaches the server
// through a MessagePort (port.ts), with the same authorization and admission as any client; the
// owner calls into it over the worker's own port (machinery/thread.ts). A thread that dies is
// started again, as its process would be (waiting longer each time while it keeps dying young).
import { MessageChannel, workerData, type MessagePort, type Worker } from 'node:worker_threads';
import type { ApiServer } from '../apiserver/server.ts';
import type { UserInfo } from '../apiserver/types.ts';
import { Thread } from '../machinery/thread.ts';
import { KubeClient } from './client.ts';
import { InformerFactory, stripManagedFields } from './informer.ts';
import { PortTransport, servePort } from './port.ts';

/** A thread that lived this long was healthy: the next restart waits only the base delay. */
const STABLE_MS = 10_000;
const MAX_BACKOFF_MS = 30_000;

export interface ComponentThreadOptions {
  /** Its name in messages ("scheduler"). */
  name: string;
  /** The worker's module; it finds the port to the server at `workerData.data.port`. */
  entry: URL;
  /** More of workerData.data (structured-cloneable). */
  data?: Record<string, unknown>;
  /** How long a thread that died waits before it starts again (default 1 s). */
  restartMs?: number;
  /** Called after each start, a restart included (the owner hands its state back). */
  onStart?: () => void | Promise<void>;
}

export class ComponentThread {
  #api: ApiServer;
  #user: UserInfo;
  #opts: ComponentThreadOptions;
  #thread: Thread | undefined;
  #unserve: (() => void) | undefined;
  #stopping = false;
  #restart: NodeJS.Timeout | undefined;
  /** The wait before the next restart: doubled while threads die young (crash-loop back-off). */
  #backoffMs: number;
  #startedAt = 0;
  /** Why the thread last failed, if it did. */
  lastError: string | undefined;

  constructor(api: ApiServer, user: UserInfo, opts: ComponentThreadOptions) {
    this.#api = api;
    this.#user = user;
    this.#opts = opts;
    this.#backoffMs = opts.restartMs ?? 1000;
  }

  /** The thread running now (tests end it to see it come back). */
  get worker(): Worker | undefined {
    return this.#thread?.worker;
  }

  start(): Promise<void> {
    this.#stopping = false;
    const { port1, port2 } = new MessageChannel();
    this.#unserve = servePort(this.#api, port1, this.#user);
    const thread = new Thread(this.#opts.entry, { ...this.#opts.data, port: port2 }, [port2]);
    this.#thread = thread;
    this.#startedAt = Date.now();
    thread.worker.on('error', (e) => {
      this.lastError = String(e?.stack ?? e);
      process.stderr.write(`${this.#opts.name} thread: ${this.lastError}\n`);
    });
    thread.worker.on('exit', () => {
      if (this.#thread !== thread) return;
      this.#unserve?.();
      this.#unserve = undefined;
      if (this.#stopping) return;
      // A thread that ran a while waits the base delay; one that keeps dying waits twice as long each time.
      if (Date.now() - this.#startedAt >= STABLE_MS) this.#backoffMs = this.#opts.restartMs ?? 1000;
      const wait = this.#backoffMs;
      this.#backoffMs = Math.min(wait * 2, MAX_BACKOFF_MS);
      this.#restart = setTimeout(() => void this.start().catch((e) => process.stderr.write(`${this.#opts.name} thread: ${String(e)}\n`)), wait);
    });
    return Promise.resolve(this.#opts.onStart?.());
  }

  /** Calls `op` in the thread; rejects when no thread is running. */
  async call<T>(op: string, ...args: unknown[]): Promise<T> {
    const t = this.#thread;
    if (!t || t.exited) throw new Error(`the ${this.#opts.name} is not running`);
    return t.call<T>(op, ...args);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#restart);
    await this.#thread?.stop();
    this.#unserve?.();
    this.#unserve = undefined;
  }
}

/**
 * In the worker: the component's client over the port its owner handed it, informers whose
 * caches drop managedFields (nothing here reads those: the server leaves them out of watch
 * events, and the informers drop them from what they list), the rest
 * of workerData.data, and `exit` (ends the informers and the transport, then the thread with
 * whatever else is pending: a back-off timer, a write in flight).
 */
export function componentSide<D>(): { client: KubeClient; informers: InformerFactory; data: D; exit: () => void } {
  const { port, ...data } = workerData.data as { port: MessagePort };
  const transport = new PortTransport(port, { withoutManagedFields: true });
  const client = new KubeClient(transport);
  const informers = new InformerFactory(client, { transform: stripManagedFields });
  return {
    client,
    informers,
    data: data as D,
    exit: () => {
      informers.stop();
      transport.close();
      setImmediate(() => process.exit(0));
    },
  };
}
