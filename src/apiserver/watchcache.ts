// The watch cache (upstream's cacher): one storage watch per resource feeds an in-memory copy of
// every object and a window of recent events, so that thousands of API watchers cost one
// storage watch, and lists with resourceVersion="0" or a known version never touch storage.
// Watches from a version older than the window get 410 Gone, as upstream.
import type { Backend, KeyValue, Watch } from '../storage/backend.ts';
import { isCompacted } from '../storage/backend.ts';
import { StatusError, gone } from '../machinery/errors.ts';
import type { Obj } from './types.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface CacheEvent {
  type: EventType;
  key: string;
  obj: Obj;
  /** The object before this event (MODIFIED and DELETED), to tell when a filter stops matching. */
  prev?: Obj;
  rv: number;
  /** JSON of `obj`, computed once for all watchers. */
  json?: string;
  /** The same without metadata.managedFields, for the watchers that ask for that. */
  jsonWithoutManagedFields?: string;
}

export interface CacheItem {
  obj: Obj;
  rv: number;
}

/** What a watcher or list wants to see. */
export type Filter = (obj: Obj) => boolean;

export interface CacheWatcher {
  /** Called for each event that concerns this watcher (already filtered and re-typed). */
  send(type: EventType, ev: CacheEvent): void;
  /** Called when the cache can no longer serve this watcher (e.g. storage compaction during re-list). */
  fail(err: StatusError): void;
}

export function decodeObject(kv: KeyValue, rv = kv.modRevision): Obj {
  const obj = JSON.parse(kv.value.toString('utf8')) as Obj;
  obj.metadata ??= {};
  obj.metadata.resourceVersion = String(rv);
  return obj;
}

export class WatchCache {
  readonly prefix: string;
  #backend: Backend;
  #items = new Map<string, CacheItem>();
  #events: CacheEvent[] = [];
  #capacity: number;
  /** Revision up to which every event of this prefix has been applied. */
  #rv = 0;
  /** Events older than this cannot be replayed (window start). */
  #oldest = 0;
  #watchers = new Set<{ filter: Filter; w: CacheWatcher }>();
  #waiters: { rv: number; resolve: () => void }[] = [];
  #watch: Watch | undefined;
  #ready: Promise<void>;
  #stopped = false;
  #draining = 0;
  #drainWaiters: (() => void)[] = [];

  #decode: (kv: KeyValue, rv?: number) => Obj;

  /** Decode objects when first looked at (see LazyItem). */
  #lazy: boolean;

  constructor(backend: Backend, prefix: string, opts: { capacity?: number; decode?: (kv: KeyValue, rv?: number) => Obj; lazy?: boolean } = {}) {
    this.#backend = backend;
    this.prefix = prefix;
    this.#capacity = opts.capacity ?? 10_000;
    this.#decode = opts.decode ?? decodeObject;
    this.#lazy = opts.lazy ?? false;
    this.#ready = this.#start();
    this.#ready.catch(() => {});
  }

  get ready(): Promise<void> {
    return this.#ready;
  }

  get resourceVersion(): number {
    return this.#rv;
  }

  async #start(): Promise<void> {
    const items = new Map<string, CacheItem>();
    let cont: string | undefined;
    let rev = 0;
    do {
      const page = await this.#backend.list(this.prefix, { limit: 5000, ...(cont ? { continue: cont } : {}) });
      rev = page.revision;
      for (const kv of page.kvs) items.set(kv.key, this.#item(kv));
      cont = page.continue;
    } while (cont);
    this.#items = items;
    this.#rv = rev;
    this.#oldest = rev;
    this.#events = [];
    this.#watch = this.#backend.watch(this.prefix, rev);
    void this.#consume(this.#watch);
  }

  async #consume(w: Watch): Promise<void> {
    try {
      for await (const ev of w) {
        this.#draining++;
        const key = ev.kv.key;
        let ce: CacheEvent;
        if (this.#lazy) {
          const prev = this.#items.get(key);
          if (ev.type === 'delete') {
            this.#items.delete(key);
            ce = new LazyEvent('DELETED', key, ev.revision, undefined, prev, () => this.#decode(ev.kv, ev.revision));
          } else {
            const item = this.#item(ev.kv);
            this.#items.set(key, item);
            ce = new LazyEvent(prev ? 'MODIFIED' : 'ADDED', key, ev.revision, item, prev, undefined);
          }
        } else if (ev.type === 'delete') {
          const prev = this.#items.get(key)?.obj;
          const obj = prev ? { ...prev, metadata: { ...prev.metadata, resourceVersion: String(ev.revision) } } : this.#decode(ev.kv, ev.revision);
          this.#items.delete(key);
          ce = { type: 'DELETED', key, obj, ...(prev ? { prev } : {}), rv: ev.revision };
        } else {
          const obj = this.#decode(ev.kv);
          const prev = this.#items.get(key)?.obj;
          this.#items.set(key, { obj, rv: ev.revision });
          ce = { type: prev ? 'MODIFIED' : 'ADDED', key, obj, ...(prev ? { prev } : {}), rv: ev.revision };
        }
        this.#push(ce);
        this.#draining--;
        if (this.#draining === 0 && this.#drainWaiters.length) for (const r of this.#drainWaiters.splice(0)) r();
      }
    } catch (e) {
      if (this.#stopped) return;
      if (isCompacted(e)) {
        // We fell behind compaction: re-list, and tell watchers to start over (410).
        for (const x of this.#watchers) x.w.fail(gone('too old resource version: watch cache was re-listed after storage compaction'));
        this.#watchers.clear();
        this.#ready = this.#start();
        return;
      }
      for (const x of this.#watchers) x.w.fail(new StatusError(500, 'InternalError', `watch cache: ${(e as Error).message}`));
      this.#watchers.clear();
    }
  }

  #item(kv: KeyValue): CacheItem {
    return this.#lazy ? new LazyItem(kv, this.#decode) : { obj: this.#decode(kv), rv: kv.modRevision };
  }

  #push(ev: CacheEvent) {
    this.#events.push(ev);
    // Trim in batches: dropping one event at a time would shift the whole window on every event.
    if (this.#events.length > this.#capacity * 1.25) {
      const drop = this.#events.length - this.#capacity;
      this.#oldest = this.#events[drop - 1]!.rv;
      this.#events = this.#events.slice(drop);
    }
    this.#rv = ev.rv;
    for (const x of this.#watchers) deliver(x, ev);
    if (this.#waiters.length) {
      const still = [];
      for (const w of this.#waiters) (w.rv <= this.#rv ? w.resolve() : still.push(w));
      this.#waiters = still;
    }
  }

  /**
   * Resolves once the cache has seen revision `rv`, or with a 504 after `timeoutMs` (upstream:
   * "Too large resource version"). With the local backends, every event up to the storage revision
   * is already queued to us, so being drained means being current.
   */
  async waitFor(rv: number, timeoutMs = 3000): Promise<void> {
    await this.#ready;
    if (rv <= this.#rv) return;
    const cur = await this.#backend.revision();
    if (rv > cur.revision) throw tooLarge(rv, this.#rv);
    if (await this.#caughtUp(cur.revision, timeoutMs)) return;
    throw tooLarge(rv, this.#rv);
  }

  /** Waits until every event up to storage revision `rev` has been applied. */
  async #caughtUp(rev: number, timeoutMs: number): Promise<boolean> {
    if (rev <= this.#rv) return true;
    const local = this.#backend.driver !== 'etcd';
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (rev <= this.#rv) return true;
      // Queued events are applied in a microtask; once none are pending we are current.
      await new Promise<void>((r) => setImmediate(r));
      if (local && this.#draining === 0) {
        this.#rv = Math.max(this.#rv, rev);
        return true;
      }
      if (!local) await new Promise<void>((r) => setTimeout(r, 5));
    }
    // etcd: events of other prefixes move the revision; after a quiet period we are current.
    if (!local) {
      this.#rv = Math.max(this.#rv, rev);
      return true;
    }
    return false;
  }

  /** Brings the cache to the current storage revision (for consistent reads from the cache). */
  async sync(): Promise<number> {
    await this.#ready;
    const cur = await this.#backend.revision();
    await this.#caughtUp(cur.revision, 3000);
    return this.#rv;
  }

  get(key: string): CacheItem | undefined {
    return this.#items.get(key);
  }

  /** Objects under `keyPrefix` (a namespace's, or all) that pass the filter, in key order. */
  list(keyPrefix: string, filter?: Filter): { items: Obj[]; rv: number } {
    const out: [string, Obj][] = [];
    for (const [k, it] of this.#items) if (k.startsWith(keyPrefix) && (!filter || filter(it.obj))) out.push([k, it.obj]);
    out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return { items: out.map((x) => x[1]), rv: this.#rv };
  }

  /** Calls `fn` for every object under `keyPrefix`, in no particular order (no copy, no sort). */
  forEach(keyPrefix: string, fn: (obj: Obj, key: string) => void): void {
    for (const [k, it] of this.#items) if (k.startsWith(keyPrefix)) fn(it.obj, k);
  }

  get size(): number {
    return this.#items.size;
  }

  /**
   * Starts a watcher. `fromRv` undefined: synthetic ADDED events for the current state, then changes.
   * Otherwise every change after `fromRv` (410 Gone when the window no longer reaches back to it).
   * The filter carries namespace, name and selectors.
   */
  async watch(fromRv: number | undefined, filter: Filter, w: CacheWatcher): Promise<() => void> {
    await this.#ready;
    const entry = { filter, w };
    if (fromRv === undefined) {
      for (const [key, it] of [...this.#items].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
        if (filter(it.obj)) w.send('ADDED', { type: 'ADDED', key, obj: it.obj, rv: it.rv });
      }
    } else {
      if (fromRv > this.#rv) await this.waitFor(fromRv);
      if (fromRv < this.#oldest) throw gone(`too old resource version: ${fromRv} (${this.#oldest})`);
      for (const ev of this.#events) if (ev.rv > fromRv) deliver(entry, ev);
    }
    this.#watchers.add(entry);
    return () => this.#watchers.delete(entry);
  }

  get watcherCount(): number {
    return this.#watchers.size;
  }

  stop(): void {
    this.#stopped = true;
    this.#watch?.close();
    for (const x of this.#watchers) x.w.fail(new StatusError(503, 'ServiceUnavailable', 'apiserver is shutting down'));
    this.#watchers.clear();
  }
}

/**
 * An item of a lazy cache: decoded when first looked at. A resource stored in another version
 * (events.k8s.io Events are core Events; autoscaling/v1 HPAs are v2) shares its storage prefix
 * with a resource that is written far more often and rarely watched in this version: its cache
 * need not parse and convert every write that no one reads.
 */
class LazyItem implements CacheItem {
  readonly rv: number;
  #kv: KeyValue | undefined;
  #decode: (kv: KeyValue) => Obj;
  #obj: Obj | undefined;

  constructor(kv: KeyValue, decode: (kv: KeyValue) => Obj) {
    this.rv = kv.modRevision;
    this.#kv = kv;
    this.#decode = decode;
  }

  get obj(): Obj {
    if (this.#kv) {
      this.#obj = this.#decode(this.#kv);
      this.#kv = undefined;
    }
    return this.#obj!;
  }
}

/** A lazy cache's event: its objects are those of its items, decoded when first looked at. */
class LazyEvent implements CacheEvent {
  readonly type: EventType;
  readonly key: string;
  readonly rv: number;
  json?: string;
  #item: CacheItem | undefined;
  #prev: CacheItem | undefined;
  #gone: (() => Obj) | undefined;
  #deleted: Obj | undefined;

  constructor(type: EventType, key: string, rv: number, item: CacheItem | undefined, prev: CacheItem | undefined, gone: (() => Obj) | undefined) {
    this.type = type;
    this.key = key;
    this.rv = rv;
    this.#item = item;
    this.#prev = prev;
    this.#gone = gone;
  }

  get obj(): Obj {
    if (this.#item) return this.#item.obj;
    if (!this.#deleted) {
      const p = this.#prev?.obj;
      this.#deleted = p ? { ...p, metadata: { ...p.metadata, resourceVersion: String(this.rv) } } : this.#gone!();
    }
    return this.#deleted;
  }

  get prev(): Obj | undefined {
    return this.#prev?.obj;
  }
}

/** Sends an event to a watcher, turning it into ADDED/DELETED when the object enters or leaves its filter. */
function deliver(x: { filter: Filter; w: CacheWatcher }, ev: CacheEvent) {
  const now = ev.type !== 'DELETED' && x.filter(ev.obj);
  const before = ev.prev !== undefined && x.filter(ev.prev);
  if (ev.type === 'DELETED') {
    if (before || (ev.prev === undefined && x.filter(ev.obj))) x.w.send('DELETED', ev);
  } else if (now && before) x.w.send('MODIFIED', ev);
  else if (now) x.w.send('ADDED', ev);
  else if (before) x.w.send('DELETED', ev);
}

function tooLarge(rv: number, cur: number): StatusError {
  return new StatusError(504, 'Timeout', `Too large resource version: ${rv}, current: ${cur}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });
}
