// Recording Events about objects, as client-go's event recorder: core/v1 Events named
// `<object>.<hex>`, with the involved object's reference, reason, message, type and source; a
// repeat of the same event (same object, reason and message) within ten minutes bumps `count`
// and `lastTimestamp` instead of making a new one. As client-go's broadcaster, a recorder writes
// one event at a time and queues at most 1,000: under a burst (a scheduler binding thousands of
// pods a second) the events beyond that are dropped rather than taking the API server from the
// work they describe.
import { realClock, type Clock } from '../machinery/clock.ts';
import type { KubeClient } from './client.ts';
import type { Obj } from './types.ts';

const AGGREGATE_MS = 10 * 60_000;
/** client-go's maxQueuedEvents. */
export const MAX_QUEUED_EVENTS = 1000;

let lastSecond = NaN;
let lastStamp = '';

/** Seconds-precision RFC 3339 (events are recorded many times a second: the last one is kept). */
function rfc3339(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s !== lastSecond) {
    lastStamp = new Date(s * 1000).toISOString().replace('.000Z', 'Z');
    lastSecond = s;
  }
  return lastStamp;
}

export interface EventRecorderOptions {
  component: string;
  host?: string;
  clock?: Clock;
}

export class EventRecorder {
  #client: KubeClient;
  #o: EventRecorderOptions;
  #clock: Clock;
  #recent = new Map<string, { name: string; namespace: string; count: number; at: number; first: string }>();
  #queue: { obj: Obj; type: string; reason: string; message: string }[] = [];
  #writing = false;
  /** Events dropped because the queue was full. */
  dropped = 0;

  constructor(client: KubeClient, opts: EventRecorderOptions) {
    this.#client = client;
    this.#o = opts;
    this.#clock = opts.clock ?? realClock;
  }

  /** Records an event; never throws (events are best effort, as upstream). */
  event(obj: Obj, type: 'Normal' | 'Warning', reason: string, message: string): void {
    if (this.#queue.length >= MAX_QUEUED_EVENTS) {
      if (this.dropped++ % 1000 === 0) process.stderr.write(`${this.#o.component}: unable to record event: too many queued events, dropped event (${this.dropped} so far)\n`);
      return;
    }
    this.#queue.push({ obj, type, reason, message });
    if (!this.#writing) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    try {
      for (let e = this.#queue.shift(); e; e = this.#queue.shift()) {
        await this.#record(e.obj, e.type, e.reason, e.message).catch(() => {});
      }
    } finally {
      this.#writing = false;
    }
  }

  async #record(obj: Obj, type: string, reason: string, message: string): Promise<void> {
    const m = obj.metadata ?? {};
    const namespace = m.namespace || 'default';
    const now = this.#clock.now();
    const id = `${obj.kind}/${namespace}/${m.name}/${m.uid}/${type}/${reason}/${message}`;
    const events = this.#client.events(namespace);
    const prev = this.#recent.get(id);
    if (prev && now - prev.at < AGGREGATE_MS) {
      prev.count++;
      prev.at = now;
      try {
        await events.patch(prev.name, 'merge', { count: prev.count, lastTimestamp: rfc3339(now) });
        return;
      } catch {
        // gone (expired): make a new one
      }
    }
    const name = `${m.name}.${(now * 1000 + Math.floor(Math.random() * 1000)).toString(16)}`;
    const ts = rfc3339(now);
    this.#recent.set(id, { name, namespace, count: 1, at: now, first: ts });
    if (this.#recent.size > 10_000) this.#recent.delete(this.#recent.keys().next().value!);
    await events.create({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        kind: obj.kind,
        namespace: m.namespace,
        name: m.name,
        uid: m.uid,
        apiVersion: obj.apiVersion,
        resourceVersion: m.resourceVersion,
      },
      reason,
      message,
      type,
      source: { component: this.#o.component, ...(this.#o.host ? { host: this.#o.host } : {}) },
      firstTimestamp: ts,
      lastTimestamp: ts,
      eventTime: null,
      count: 1,
      reportingComponent: this.#o.component,
      reportingInstance: this.#o.host ?? '',
    });
  }
}
