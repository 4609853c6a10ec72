// The in-memory backend for unit tests: the same MVCC semantics as sqlite and etcd (a revision
// log with history for watches and past-revision lists), nothing persisted.
import type { Backend, DeleteResult, GetResult, KeyValue, ListOptions, ListResult, Watch, WatchEvent, WriteOptions, WriteResult } from '../backend.ts';
import { decodeContinue, encodeContinue, StorageError } from '../backend.ts';
import { WatchHub, WatchQueue } from '../watchqueue.ts';
import { ExpiryTracker } from '../ttl.ts';
import { type Clock, realClock } from '../../machinery/clock.ts';

export interface MemoryOptions {
  clock?: Clock;
}

export class MemoryBackend implements Backend {
  readonly driver = 'memory';
  #rev = 0;
  #compacted = 0;
  #log: WatchEvent[] = [];
  #current = new Map<string, KeyValue>();
  #hub = new WatchHub();
  #ttl: ExpiryTracker;
  #closed = false;

  constructor(opts: MemoryOptions = {}) {
    this.#ttl = new ExpiryTracker(opts.clock ?? realClock, async (key, rev) => void (await this.delete(key, rev)));
  }

  #check() {
    if (this.#closed) throw new StorageError('Closed', 'storage backend is closed');
  }

  #append(ev: WatchEvent) {
    this.#log.push(ev);
    this.#hub.publish(ev);
  }

  async create(key: string, value: Buffer, opts: WriteOptions = {}): Promise<WriteResult> {
    this.#check();
    if (this.#current.has(key)) throw new StorageError('KeyExists', `key exists: ${key}`, { current: this.#current.get(key) });
    const rev = ++this.#rev;
    const kv: KeyValue = { key, value: Buffer.from(value), createRevision: rev, modRevision: rev, ...(opts.ttlSeconds ? { ttlSeconds: opts.ttlSeconds } : {}) };
    this.#current.set(key, kv);
    this.#ttl.set(key, rev, opts.ttlSeconds);
    this.#append({ type: 'create', kv, revision: rev });
    return { revision: rev, kv };
  }

  async get(key: string): Promise<GetResult> {
    this.#check();
    const kv = this.#current.get(key);
    return kv ? { revision: this.#rev, kv } : { revision: this.#rev };
  }

  async update(key: string, value: Buffer, expectedModRevision: number, opts: WriteOptions = {}): Promise<WriteResult> {
    this.#check();
    const prev = this.#current.get(key);
    if (!prev) throw new StorageError('NotFound', `key not found: ${key}`);
    if (prev.modRevision !== expectedModRevision) throw new StorageError('Conflict', `revision mismatch on ${key}: expected ${expectedModRevision}, have ${prev.modRevision}`, { current: prev });
    const rev = ++this.#rev;
    const kv: KeyValue = { key, value: Buffer.from(value), createRevision: prev.createRevision, modRevision: rev, ...(opts.ttlSeconds ? { ttlSeconds: opts.ttlSeconds } : {}) };
    this.#current.set(key, kv);
    this.#ttl.set(key, rev, opts.ttlSeconds);
    this.#append({ type: 'update', kv, prevKv: prev, revision: rev });
    return { revision: rev, kv };
  }

  async delete(key: string, expectedModRevision?: number): Promise<DeleteResult> {
    this.#check();
    const prev = this.#current.get(key);
    if (!prev) throw new StorageError('NotFound', `key not found: ${key}`);
    if (expectedModRevision !== undefined && prev.modRevision !== expectedModRevision) {
      throw new StorageError('Conflict', `revision mismatch on ${key}: expected ${expectedModRevision}, have ${prev.modRevision}`, { current: prev });
    }
    const rev = ++this.#rev;
    this.#current.delete(key);
    this.#ttl.clear(key);
    this.#append({ type: 'delete', kv: prev, prevKv: prev, revision: rev });
    return { revision: rev, kv: prev };
  }

  /** The live keys under `prefix` as of `revision`, in key order. */
  #snapshot(prefix: string, revision: number): KeyValue[] {
    if (revision === this.#rev) return [...this.#current.values()].filter((kv) => kv.key.startsWith(prefix)).sort(byKey);
    const at = new Map<string, KeyValue | undefined>();
    for (const ev of this.#log) {
      if (ev.revision > revision) break;
      if (!ev.kv.key.startsWith(prefix)) continue;
      at.set(ev.kv.key, ev.type === 'delete' ? undefined : ev.kv);
    }
    return [...at.values()].filter((kv): kv is KeyValue => kv !== undefined).sort(byKey);
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.#check();
    let revision = opts.revision && opts.revision > 0 ? opts.revision : this.#rev;
    let after: string | undefined;
    if (opts.continue) {
      const c = decodeContinue(opts.continue);
      revision = c.revision;
      after = c.lastKey;
    }
    if (revision > this.#rev) throw new StorageError('FutureRevision', `revision ${revision} is in the future (current ${this.#rev})`);
    if (revision < this.#rev && revision < this.#compacted) throw new StorageError('Compacted', `revision ${revision} has been compacted`, { revision: this.#compacted });
    let kvs = this.#snapshot(prefix, revision);
    if (after !== undefined) kvs = kvs.filter((kv) => kv.key > after!);
    return page(kvs, revision, opts.limit);
  }

  async count(prefix: string) {
    this.#check();
    let count = 0;
    for (const k of this.#current.keys()) if (k.startsWith(prefix)) count++;
    return { revision: this.#rev, count };
  }

  watch(prefix: string, afterRevision: number): Watch {
    const q = WatchQueue.open(this.#closed, afterRevision, this.#compacted);
    if (q.closed) return q;
    for (const ev of this.#log) if (ev.revision > afterRevision && ev.kv.key.startsWith(prefix)) q.push(ev);
    q.onClose(this.#hub.add(prefix, q));
    return q;
  }

  async compact(revision: number): Promise<void> {
    this.#check();
    if (revision > this.#rev) throw new StorageError('FutureRevision', `revision ${revision} is in the future (current ${this.#rev})`);
    if (revision <= this.#compacted) return;
    // Keep the newest entry of each key at or below the revision (unless it is a delete), and all above.
    const newest = new Map<string, WatchEvent>();
    for (const ev of this.#log) if (ev.revision <= revision) newest.set(ev.kv.key, ev);
    this.#log = this.#log.filter((ev) => ev.revision > revision || (newest.get(ev.kv.key) === ev && ev.type !== 'delete'));
    this.#compacted = revision;
  }

  async revision() {
    return { revision: this.#rev, compacted: this.#compacted };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#ttl.close();
    this.#hub.closeAll();
  }
}

export function byKey(a: KeyValue, b: KeyValue): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Cuts a sorted key list to a page with a continue token pinned at `revision`. */
export function page(kvs: KeyValue[], revision: number, limit?: number): ListResult {
  if (!limit || limit <= 0 || kvs.length <= limit) return { revision, kvs };
  const items = kvs.slice(0, limit);
  return { revision, kvs: items, continue: encodeContinue(items[items.length - 1]!.key, revision), remaining: kvs.length - limit };
}
