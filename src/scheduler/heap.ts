// A keyed binary heap (kube-scheduler's internal/heap): push, pop, peek, update and delete by key
// in O(log n), used for the scheduling queue's activeQ and backoffQ.

export class KeyedHeap<T> {
  #items: T[] = [];
  #pos = new Map<string, number>();
  #key: (t: T) => string;
  #less: (a: T, b: T) => boolean;

  constructor(key: (t: T) => string, less: (a: T, b: T) => boolean) {
    this.#key = key;
    this.#less = less;
  }

  get size(): number {
    return this.#items.length;
  }

  has(key: string): boolean {
    return this.#pos.has(key);
  }

  get(key: string): T | undefined {
    const i = this.#pos.get(key);
    return i === undefined ? undefined : this.#items[i];
  }

  /** Adds, or replaces the item with the same key and re-sorts it. */
  push(t: T): void {
    const k = this.#key(t);
    const i = this.#pos.get(k);
    if (i !== undefined) {
      this.#items[i] = t;
      this.#fix(i);
      return;
    }
    this.#items.push(t);
    this.#pos.set(k, this.#items.length - 1);
    this.#up(this.#items.length - 1);
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  pop(): T | undefined {
    if (this.#items.length === 0) return undefined;
    return this.#removeAt(0);
  }

  delete(key: string): T | undefined {
    const i = this.#pos.get(key);
    return i === undefined ? undefined : this.#removeAt(i);
  }

  values(): readonly T[] {
    return this.#items;
  }

  #removeAt(i: number): T {
    const items = this.#items;
    const t = items[i]!;
    const last = items.pop()!;
    this.#pos.delete(this.#key(t));
    if (i < items.length) {
      items[i] = last;
      this.#pos.set(this.#key(last), i);
      this.#fix(i);
    }
    return t;
  }

  #fix(i: number): void {
    if (!this.#up(i)) this.#down(i);
  }

  #swap(i: number, j: number): void {
    const items = this.#items;
    const a = items[i]!;
    const b = items[j]!;
    items[i] = b;
    items[j] = a;
    this.#pos.set(this.#key(b), i);
    this.#pos.set(this.#key(a), j);
  }

  #up(i: number): boolean {
    let moved = false;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(this.#items[i]!, this.#items[p]!)) break;
      this.#swap(i, p);
      i = p;
      moved = true;
    }
    return moved;
  }

  #down(i: number): void {
    const n = this.#items.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      let m = l;
      const r = l + 1;
      if (r < n && this.#less(this.#items[r]!, this.#items[l]!)) m = r;
      if (!this.#less(this.#items[m]!, this.#items[i]!)) break;
      this.#swap(i, m);
      i = m;
    }
  }
}
