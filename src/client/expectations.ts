// Controller expectations, as client-go's ControllerExpectations: before creating or deleting
// N objects a controller records that it expects to see N creations or deletions; its informer
// lowers the count as they are observed; the controller does not act on a key again until the
// expectations are met or have expired (5 minutes), so it never acts twice on a stale cache.
import { realClock, type Clock } from '../machinery/clock.ts';

export const EXPECTATIONS_TTL_MS = 5 * 60_000;

interface Expectation {
  add: number;
  del: number;
  at: number;
}

export class Expectations {
  #items = new Map<string, Expectation>();
  #clock: Clock;
  #ttl: number;

  constructor(clock: Clock = realClock, ttlMs = EXPECTATIONS_TTL_MS) {
    this.#clock = clock;
    this.#ttl = ttlMs;
  }

  /** True when nothing is pending for the key (or what was pending has expired). */
  satisfied(key: string): boolean {
    const e = this.#items.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.del <= 0) return true;
    return this.#clock.now() - e.at > this.#ttl;
  }

  expect(key: string, add: number, del: number): void {
    this.#items.set(key, { add, del, at: this.#clock.now() });
  }

  expectCreations(key: string, n: number): void {
    this.expect(key, n, 0);
  }

  expectDeletions(key: string, n: number): void {
    this.expect(key, 0, n);
  }

  creationObserved(key: string): void {
    const e = this.#items.get(key);
    if (e) e.add--;
  }

  deletionObserved(key: string): void {
    const e = this.#items.get(key);
    if (e) e.del--;
  }

  /** Raise expectations (a create that failed is "observed" by lowering with these). */
  lowerExpectations(key: string, add: number, del: number): void {
    const e = this.#items.get(key);
    if (e) {
      e.add -= add;
      e.del -= del;
    }
  }

  delete(key: string): void {
    this.#items.delete(key);
  }
}
