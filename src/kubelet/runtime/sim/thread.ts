// The simulated nodes on a thread of their own (client/thread.ts), as kwok runs beside the API
// server rather than in it: Lease renewals, pod status and the pods' timelines are computed there.
// The owner keeps the nodes it added (their specs), so node() and nodes() answer at once and a
// thread that died starts again with the same nodes (the pool picks their running pods back up).
// A local cluster on the real clock runs its simulated nodes this way; tests that drive time with
// a fake clock, or give stages as functions, keep a SimNodePool on the API server's thread.
import type { ApiServer } from '../../../apiserver/server.ts';
import type { UserInfo } from '../../../apiserver/types.ts';
import { ComponentThread } from '../../../client/thread.ts';
import type { SimNodeInfo, SimNodePoolOptions, SimNodeSpec, SimNodes } from './pool.ts';

/** The pool's options that are data (no clock, stages, random or callbacks). */
export type SimNodeThreadOptions = Omit<SimNodePoolOptions, 'clock' | 'stages' | 'random' | 'onError'>;

interface Added {
  spec: SimNodeSpec;
  info: SimNodeInfo | undefined;
  failed: boolean;
}

export class SimNodeThread extends ComponentThread implements SimNodes {
  #nodes = new Map<string, Added>();

  constructor(api: ApiServer, user: UserInfo, options: SimNodeThreadOptions = {}, restartMs?: number) {
    super(api, user, {
      name: 'simulated nodes',
      entry: new URL('./thread.worker.ts', import.meta.url),
      data: { options },
      ...(restartMs !== undefined ? { restartMs } : {}),
      onStart: () => this.#restore(),
    });
  }

  /** Starts the pool, then hands it back the nodes it had (after a restart). */
  async #restore(): Promise<void> {
    await this.call('start');
    await Promise.all(
      [...this.#nodes.values()].map(async (a) => {
        a.info = await this.call<SimNodeInfo>('addNode', a.spec);
        if (a.failed) await this.call('fail', a.spec.name);
      }),
    );
  }

  async addNode(spec: SimNodeSpec): Promise<SimNodeInfo> {
    if (this.#nodes.has(spec.name)) throw new Error(`simulated node ${spec.name} already exists`);
    const a: Added = { spec, info: undefined, failed: false };
    this.#nodes.set(spec.name, a);
    try {
      a.info = await this.call<SimNodeInfo>('addNode', spec);
    } catch (e) {
      if (this.#nodes.get(spec.name) === a) this.#nodes.delete(spec.name);
      throw e;
    }
    return this.#info(a);
  }

  async removeNode(name: string): Promise<void> {
    if (!this.#nodes.delete(name)) return;
    await this.call('removeNode', name);
  }

  fail(name: string): void {
    this.#mustGet(name).failed = true;
    void this.call('fail', name).catch(() => {});
  }

  recover(name: string): void {
    this.#mustGet(name).failed = false;
    void this.call('recover', name).catch(() => {});
  }

  /** The nodes as they were when added (their pod counts are not kept here). */
  nodes(): SimNodeInfo[] {
    return [...this.#nodes.values()].map((a) => this.#info(a));
  }

  node(name: string): SimNodeInfo | undefined {
    const a = this.#nodes.get(name);
    return a && this.#info(a);
  }

  #info(a: Added): SimNodeInfo {
    return { ...(a.info ?? { name: a.spec.name, address: '', podCIDR: '', registered: false, pods: 0 }), failed: a.failed };
  }

  #mustGet(name: string): Added {
    const a = this.#nodes.get(name);
    if (!a) throw new Error(`no simulated node ${name}`);
    return a;
  }
}
