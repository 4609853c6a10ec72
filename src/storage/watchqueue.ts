// The async-iterable side of a storage watch: backends push events (or an error) and the
// consumer pulls them in order. Unbounded by design: the API server's watch cache is the one
// consumer that must never drop an event, and it drains promptly.
import type { Watch, WatchEvent } from './backend.ts';
import { StorageError } from './backend.ts';

export class WatchQueue implements Watch {
  #buf: WatchEvent[] = [];
  #head = 0;
  #waiter: ((v: IteratorResult<WatchEvent>) => void) | undefined;
  #failWaiter: ((e: unknown) => void) | undefined;
  #error: unknown;
  #done = false;
  #onClose: (() => void) | undefined;

  constructor(onClose?: () => void) {
    this.#onClose = onClose;
  }

  /**
   * A queue for a new watch from `afterRevision`: already failed (and `closed`) when the backend
   * is closed or that history is compacted, as every backend answers those alike.
   */
  static open(backendClosed: boolean, afterRevision: number, compacted: number): WatchQueue {
    const q = new WatchQueue();
    if (backendClosed) q.fail(new StorageError('Closed', 'storage backend is closed'));
    else if (afterRevision < compacted) q.fail(new StorageError('Compacted', `revision ${afterRevision} has been compacted`, { revision: compacted }));
    return q;
  }

  /** What to undo when the watch ends (unsubscribe, cancel the etcd watcher). */
  onClose(fn: () => void): void {
    if (this.#done) fn();
    else this.#onClose = fn;
  }

  get closed(): boolean {
    return this.#done;
  }

  push(ev: WatchEvent): void {
    if (this.#done) return;
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = this.#failWaiter = undefined;
      w({ value: ev, done: false });
    } else {
      this.#buf.push(ev);
    }
  }

  /** Ends the watch with an error, delivered after the events already queued. */
  fail(err: unknown): void {
    if (this.#done) return;
    this.#error = err;
    this.#finish();
  }

  close(): void {
    if (this.#done) return;
    this.#finish();
  }

  #finish() {
    this.#done = true;
    const onClose = this.#onClose;
    this.#onClose = undefined;
    onClose?.();
    if (this.#waiter) {
      const w = this.#waiter;
      const f = this.#failWaiter!;
      this.#waiter = this.#failWaiter = undefined;
      if (this.#head < this.#buf.length) w({ value: this.#buf[this.#head++]!, done: false });
      else if (this.#error !== undefined) f(this.#error);
      else w({ value: undefined, done: true });
    }
  }

  #next(): Promise<IteratorResult<WatchEvent>> {
    if (this.#head < this.#buf.length) {
      const v = this.#buf[this.#head++]!;
      if (this.#head > 1024 && this.#head * 2 > this.#buf.length) {
        this.#buf = this.#buf.slice(this.#head);
        this.#head = 0;
      }
      return Promise.resolve({ value: v, done: false });
    }
    if (this.#done) {
      if (this.#error !== undefined) {
        const e = this.#error;
        this.#error = undefined;
        return Promise.reject(e);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.#waiter = resolve;
      this.#failWaiter = reject;
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    return {
      next: () => this.#next(),
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

/** Watchers by key prefix; a committed event is offered to every watcher whose prefix matches. */
export class WatchHub {
  #watchers = new Set<{ prefix: string; q: WatchQueue }>();

  add(prefix: string, q: WatchQueue): () => void {
    const entry = { prefix, q };
    this.#watchers.add(entry);
    return () => this.#watchers.delete(entry);
  }

  publish(ev: WatchEvent): void {
    for (const w of this.#watchers) if (ev.kv.key.startsWith(w.prefix)) w.q.push(ev);
  }

  /** Ends every watch with `err` (or cleanly). */
  closeAll(err?: unknown): void {
    for (const w of [...this.#watchers]) err === undefined ? w.q.close() : w.q.fail(err);
    this.#watchers.clear();
  }

  get size(): number {
    return this.#watchers.size;
  }
}
