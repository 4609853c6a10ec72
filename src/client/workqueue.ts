// The controller work queue, as client-go's workqueue: a key is queued at most once while
// waiting ("dirty") and is never handed to two workers at once ("processing"); a key added while
// processing is queued again when done. Rate-limited re-adds back off per key (5 ms doubling to
// 1000 s) and overall (10 per second, burst 100), the default controller rate limiter. Time comes
// from an injected Clock.
import { realClock, type Clock, type Timer } from '../machinery/clock.ts';

export interface RateLimiter {
  /** How long to wait before the key may be processed again. */
  when(key: string): number;
  forget(key: string): void;
  numRequeues(key: string): number;
}

/** Per-key exponential back-off: base × 2^failures, capped. */
export class ItemExponentialFailureRateLimiter implements RateLimiter {
  #failures = new Map<string, number>();
  constructor(
    readonly baseMs = 5,
    readonly maxMs = 1000 * 1000,
  ) {}
  when(key: string): number {
    const n = this.#failures.get(key) ?? 0;
    this.#failures.set(key, n + 1);
    return Math.min(this.baseMs * 2 ** n, this.maxMs);
  }
  forget(key: string): void {
    this.#failures.delete(key);
  }
  numRequeues(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}

/** An overall token bucket: `qps` tokens a second, at most `burst` saved up. */
export class BucketRateLimiter implements RateLimiter {
  #tokens: number;
  #last: number;
  constructor(
    readonly qps = 10,
    readonly burst = 100,
    readonly clock: Clock = realClock,
  ) {
    this.#tokens = burst;
    this.#last = clock.now();
  }
  when(): number {
    const now = this.clock.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.qps);
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens / this.qps) * 1000;
  }
  forget(): void {}
  numRequeues(): number {
    return 0;
  }
}

/** The worst of several limiters (client-go's MaxOfRateLimiter). */
export class MaxOfRateLimiter implements RateLimiter {
  #limiters: RateLimiter[];
  constructor(...limiters: RateLimiter[]) {
    this.#limiters = limiters;
  }
  when(key: string): number {
    return Math.max(...this.#limiters.map((l) => l.when(key)));
  }
  forget(key: string): void {
    for (const l of this.#limiters) l.forget(key);
  }
  numRequeues(key: string): number {
    return Math.max(...this.#limiters.map((l) => l.numRequeues(key)));
  }
}

export function defaultControllerRateLimiter(clock: Clock = realClock): RateLimiter {
  return new MaxOfRateLimiter(new ItemExponentialFailureRateLimiter(5, 1000 * 1000), new BucketRateLimiter(10, 100, clock));
}

export class WorkQueue {
  #queue: string[] = [];
  #head = 0;
  #dirty = new Set<string>();
  #processing = new Set<string>();
  #waiting = new Map<string, { at: number; timer: Timer }>();
  #getters: ((key: string | undefined) => void)[] = [];
  #shuttingDown = false;
  #clock: Clock;
  #limiter: RateLimiter;

  constructor(opts: { clock?: Clock; rateLimiter?: RateLimiter } = {}) {
    this.#clock = opts.clock ?? realClock;
    this.#limiter = opts.rateLimiter ?? defaultControllerRateLimiter(this.#clock);
  }

  get length(): number {
    return this.#queue.length - this.#head;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    const g = this.#getters.shift();
    if (g) {
      this.#dirty.delete(key);
      this.#processing.add(key);
      g(key);
      return;
    }
    this.#queue.push(key);
  }

  /** Adds after a delay of this queue's clock (earlier requests for the same key win). */
  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.#clock.now() + ms;
    const cur = this.#waiting.get(key);
    if (cur && cur.at <= at) return;
    cur?.timer.cancel();
    const timer = this.#clock.after(ms, () => {
      this.#waiting.delete(key);
      this.add(key);
    });
    this.#waiting.set(key, { at, timer });
  }

  addRateLimited(key: string): void {
    this.addAfter(key, this.#limiter.when(key));
  }

  forget(key: string): void {
    this.#limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.#limiter.numRequeues(key);
  }

  /** The next key to work on, or undefined once shut down. Call done(key) when finished. */
  get(): Promise<string | undefined> {
    if (this.#head < this.#queue.length) {
      const key = this.#queue[this.#head++]!;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      this.#dirty.delete(key);
      this.#processing.add(key);
      return Promise.resolve(key);
    }
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#getters.push(resolve));
  }

  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key)) {
      this.#dirty.delete(key);
      this.add(key);
    }
  }

  shutDown(): void {
    this.#shuttingDown = true;
    for (const w of this.#waiting.values()) w.timer.cancel();
    this.#waiting.clear();
    for (const g of this.#getters.splice(0)) g(undefined);
  }
}

/**
 * Runs `workers` loops that take keys and call `sync`; a failed sync is re-queued with back-off,
 * a successful one forgets the key (the standard controller loop). Resolves when the queue shuts down.
 */
export async function runWorkers(queue: WorkQueue, workers: number, sync: (key: string) => Promise<void>, onError?: (key: string, e: unknown) => void): Promise<void> {
  const loop = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await sync(key);
        queue.forget(key);
      } catch (e) {
        onError?.(key, e);
        queue.addRateLimited(key);
      } finally {
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, loop));
}
