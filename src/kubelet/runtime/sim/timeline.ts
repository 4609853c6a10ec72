// One timer for many simulated events: kwok-style stage delays, lease renewals and back-offs of
// thousands of nodes and pods share a min-heap and a single Clock timer armed for the earliest.
import type { Clock, Timer } from '../../../machinery/clock.ts';

export interface Scheduled {
  readonly at: number;
  cancel(): void;
}

interface Entry extends Scheduled {
  seq: number;
  fn: () => void;
  dead: boolean;
}

export class Timeline {
  #clock: Clock;
  #heap: Entry[] = [];
  #seq = 0;
  #armedAt = Infinity;
  #timer: Timer | undefined;
  #stopped = false;
  #firing = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get size(): number {
    return this.#heap.length;
  }

  /** Runs `fn` after `ms` of the clock's time. */
  after(ms: number, fn: () => void): Scheduled {
    return this.at(this.#clock.now() + Math.max(0, ms), fn);
  }

  at(at: number, fn: () => void): Scheduled {
    const e: Entry = { at, seq: this.#seq++, fn, dead: false, cancel: () => void (e.dead = true) };
    if (this.#stopped) {
      e.dead = true;
      return e;
    }
    this.#push(e);
    if (!this.#firing && at < this.#armedAt) this.#arm();
    return e;
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#heap = [];
  }

  #arm() {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#armedAt = Infinity;
    while (this.#heap.length && this.#heap[0]!.dead) this.#pop();
    const first = this.#heap[0];
    if (!first || this.#stopped) return;
    this.#armedAt = first.at;
    this.#timer = this.#clock.after(Math.max(0, first.at - this.#clock.now()), () => this.#fire());
  }

  #fire() {
    this.#timer = undefined;
    this.#armedAt = Infinity;
    this.#firing = true;
    try {
      const now = this.#clock.now();
      while (this.#heap.length && this.#heap[0]!.at <= now && !this.#stopped) {
        const e = this.#pop()!;
        if (e.dead) continue;
        e.dead = true;
        try {
          e.fn();
        } catch (err) {
          queueMicrotask(() => {
            throw err;
          });
        }
      }
    } finally {
      this.#firing = false;
    }
    this.#arm();
  }

  #less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  #push(e: Entry) {
    const h = this.#heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  #pop(): Entry | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (h.length && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.#less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.#less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
