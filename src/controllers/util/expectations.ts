// UID-tracking controller expectations, as upstream's UIDTrackingControllerExpectations: creations
// are counted; deletions are tracked by pod key, so a pod seen first with a deletionTimestamp and
// then as deleted is counted once. Built on the client's Expectations (TTL, satisfied()).
import { Expectations } from '../../client/expectations.ts';
import { realClock, type Clock } from '../../machinery/clock.ts';

export class PodExpectations {
  #exp: Expectations;
  #deletes = new Map<string, Set<string>>();

  constructor(clock: Clock = realClock) {
    this.#exp = new Expectations(clock);
  }

  /** True when nothing is pending for the controller key (or the expectation has expired). */
  satisfied(key: string): boolean {
    return this.#exp.satisfied(key);
  }

  expectCreations(key: string, n: number): void {
    this.#deletes.delete(key);
    this.#exp.expect(key, n, 0);
  }

  /** Expects these pod keys (`namespace/name`) to be deleted. */
  expectDeletions(key: string, podKeys: string[]): void {
    this.#deletes.set(key, new Set(podKeys));
    this.#exp.expect(key, 0, podKeys.length);
  }

  creationObserved(key: string): void {
    this.#exp.creationObserved(key);
  }

  /** Lowers the deletion count only the first time a pod key we wait for is seen. */
  deletionObserved(key: string, podKey: string): void {
    const set = this.#deletes.get(key);
    if (!set || !set.delete(podKey)) return;
    this.#exp.deletionObserved(key);
  }

  delete(key: string): void {
    this.#deletes.delete(key);
    this.#exp.delete(key);
  }
}
