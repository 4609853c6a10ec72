// Components on worker threads (the scheduler of a local cluster): a Worker that runs a
// TypeScript entry module, and a small request/response protocol over its parentPort for the
// calls the owner makes into it (explain a pod, report counts, stop).
import { Worker, type MessagePort, type Transferable } from 'node:worker_threads';

type Call = { t: 'call'; id: number; op: string; args: unknown[] };
type Return = { t: 'ret'; id: number; value?: unknown; error?: string };

/** The owner's side: a worker running `entry` (a module URL) with `data` as its workerData.data. */
export class Thread {
  readonly worker: Worker;
  #next = 1;
  #calls = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  #exited = false;

  constructor(entry: URL, data: unknown, transfer: Transferable[] = []) {
    // execArgv: []: the main thread's flags (--import tsx, --test, ...) are not the worker's.
    this.worker = new Worker(new URL('./thread-boot.mjs', import.meta.url), { workerData: { entry: entry.href, data }, transferList: transfer, execArgv: [] });
    this.worker.on('message', (m: Return) => {
      if (m?.t !== 'ret') return;
      const c = this.#calls.get(m.id);
      this.#calls.delete(m.id);
      if (m.error !== undefined) c?.reject(new Error(m.error));
      else c?.resolve(m.value);
    });
    this.worker.on('exit', () => {
      this.#exited = true;
      for (const c of this.#calls.values()) c.reject(new Error('the thread exited'));
      this.#calls.clear();
    });
  }

  get exited(): boolean {
    return this.#exited;
  }

  call<T>(op: string, ...args: unknown[]): Promise<T> {
    if (this.#exited) return Promise.reject(new Error('the thread exited'));
    return new Promise((resolve, reject) => {
      const id = this.#next++;
      this.#calls.set(id, { resolve, reject });
      this.worker.postMessage({ t: 'call', id, op, args } satisfies Call);
    });
  }

  /** Asks the thread to stop (op `stop`) and waits for it to exit; terminates it after `ms`. */
  async stop(ms = 5000): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((r) => this.worker.once('exit', () => r()));
    const timer = setTimeout(() => void this.worker.terminate(), ms);
    this.call('stop').catch(() => {});
    await exited;
    clearTimeout(timer);
  }
}

/** The worker's side: answers the owner's calls with `ops`; `stop` also closes the port after answering. */
export function serveCalls(port: MessagePort, ops: Record<string, (...args: any[]) => unknown>): void {
  port.on('message', async (m: Call) => {
    if (m?.t !== 'call') return;
    let reply: Return;
    try {
      const op = ops[m.op];
      if (!op) throw new Error(`unknown call ${m.op}`);
      reply = { t: 'ret', id: m.id, value: await op(...m.args) };
    } catch (e) {
      reply = { t: 'ret', id: m.id, error: String((e as Error)?.message ?? e) };
    }
    port.postMessage(reply);
    if (m.op === 'stop') port.close();
  });
}
