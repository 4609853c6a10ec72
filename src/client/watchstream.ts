// A watch stream fed with the bytes of a watch response (JSON objects, one per line) and read
// as an async iterable of events. Shared by the HTTP and in-process transports.
import type { WatchEvent, WatchStream } from './types.ts';

export class LineWatchStream implements WatchStream {
  #buf = '';
  #events: WatchEvent[] = [];
  #waiter: ((r: IteratorResult<WatchEvent>) => void) | undefined;
  #done = false;
  #onClose: () => void;

  constructor(onClose: () => void) {
    this.#onClose = onClose;
  }

  /** Feeds response bytes; complete lines become events. */
  feed(chunk: string | Buffer): void {
    if (this.#done) return;
    this.#buf += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let nl: number;
    while ((nl = this.#buf.indexOf('\n')) >= 0) {
      const line = this.#buf.slice(0, nl);
      this.#buf = this.#buf.slice(nl + 1);
      if (line.trim() === '') continue;
      let ev: WatchEvent;
      try {
        ev = JSON.parse(line) as WatchEvent;
      } catch {
        continue;
      }
      this.#push(ev);
    }
  }

  /** Takes an event that is already an object (the in-process transport). */
  pushEvent(ev: WatchEvent): void {
    if (!this.#done) this.#push(ev);
  }

  #push(ev: WatchEvent) {
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = undefined;
      w({ value: ev, done: false });
    } else this.#events.push(ev);
  }

  /** The server ended the stream. */
  end(): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = undefined;
      w({ value: undefined, done: true });
    }
  }

  close(): void {
    if (this.#done) return;
    this.end();
    this.#onClose();
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    return {
      next: () => {
        const ev = this.#events.shift();
        if (ev) return Promise.resolve({ value: ev, done: false });
        if (this.#done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (this.#waiter = resolve));
      },
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
