// Key expiry for the backends that have no leases of their own (memory, sqlite): remembers when
// each key expires and deletes it, compare-and-swap on the revision that set the TTL, once due.
// Kubernetes gives Events a TTL (one hour by default); etcd implements it with leases.
import type { Clock, Timer } from '../machinery/clock.ts';

export class ExpiryTracker {
  #due = new Map<string, { at: number; modRevision: number }>();
  #timer: Timer | undefined;
  #clock: Clock;
  #intervalMs: number;
  #expire: (key: string, modRevision: number) => Promise<void>;
  #closed = false;

  constructor(clock: Clock, expire: (key: string, modRevision: number) => Promise<void>, intervalMs = 1000) {
    this.#clock = clock;
    this.#expire = expire;
    this.#intervalMs = intervalMs;
  }

  /** Records (or clears, without a TTL) the expiry set by the write at `modRevision`. */
  set(key: string, modRevision: number, ttlSeconds: number | undefined, writtenAt = this.#clock.now()): void {
    if (ttlSeconds === undefined || ttlSeconds <= 0) {
      this.#due.delete(key);
      return;
    }
    this.#due.set(key, { at: writtenAt + ttlSeconds * 1000, modRevision });
    this.#schedule();
  }

  clear(key: string): void {
    this.#due.delete(key);
  }

  #schedule() {
    if (this.#timer || this.#closed || this.#due.size === 0) return;
    this.#timer = this.#clock.after(this.#intervalMs, () => {
      this.#timer = undefined;
      void this.sweep().finally(() => this.#schedule());
    });
  }

  /** Deletes every key that is due now. */
  async sweep(): Promise<void> {
    const now = this.#clock.now();
    const due = [...this.#due].filter(([, d]) => d.at <= now);
    for (const [key, d] of due) {
      this.#due.delete(key);
      try {
        await this.#expire(key, d.modRevision);
      } catch {
        // The key changed or went away since; its newer write owns its expiry.
      }
    }
  }

  close(): void {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }
}
