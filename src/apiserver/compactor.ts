// Storage compaction as kube-apiserver does it (storage/etcd3/compact.go): every interval (5
// minutes by default) compact to the revision seen one interval earlier, so watches can resume
// from anything newer than that and history does not grow without bound.
import type { Backend } from '../storage/backend.ts';
import type { Clock, Timer } from '../machinery/clock.ts';

export class Compactor {
  #backend: Backend;
  #clock: Clock;
  #intervalMs: number;
  #timer: Timer | undefined;
  #last = 0;
  #stopped = false;

  constructor(backend: Backend, clock: Clock, intervalMs = 5 * 60_000) {
    this.#backend = backend;
    this.#clock = clock;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    if (this.#intervalMs <= 0) return;
    this.#schedule();
  }

  #schedule() {
    if (this.#stopped) return;
    this.#timer = this.#clock.after(this.#intervalMs, () => void this.tick().finally(() => this.#schedule()));
  }

  /** Compacts to the revision remembered at the previous tick, then remembers the current one. */
  async tick(): Promise<void> {
    try {
      const { revision, compacted } = await this.#backend.revision();
      if (this.#last > compacted) await this.#backend.compact(this.#last);
      this.#last = revision;
    } catch (e) {
      process.stderr.write(`apiserver: compaction failed: ${(e as Error).message}\n`);
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
  }
}
