// The distributed backend: a real etcd through the etcd3 client, keys laid out as Kubernetes
// lays them out (`/registry/<resource>/<namespace>/<name>`, under an optional prefix so that
// several clusters can share one etcd). Compare-and-swap is an etcd transaction on mod_revision,
// as the upstream apiserver's etcd3 store does; TTLs are etcd leases, reused across writes for a
// short window as the apiserver's lease manager does.
import { Etcd3, type IOptions } from 'etcd3';
import type * as RPC from 'etcd3/lib/rpc.js';
import type { Backend, DeleteResult, GetResult, KeyValue, ListOptions, ListResult, Watch, WatchEvent, WriteOptions, WriteResult } from '../backend.ts';
import { decodeContinue, encodeContinue, prefixEnd, StorageError } from '../backend.ts';
import { WatchQueue } from '../watchqueue.ts';

export interface EtcdOptions {
  /** Client URLs, e.g. ["http://127.0.0.1:2379"]. */
  endpoints: string[];
  /** Prepended to every key (e.g. "/skiff/cluster-a"); stripped from results. */
  prefix?: string;
  /** Extra etcd3 client options (TLS credentials, auth). */
  client?: Partial<IOptions>;
}

const num = (v: string | number | undefined | null) => (v === undefined || v === null ? 0 : Number(v));

/** Maps etcd's gRPC errors onto the storage layer's error codes. */
function translate(e: unknown): unknown {
  if (e instanceof StorageError) return e;
  const msg = (e as Error)?.message ?? String(e);
  if (msg.includes('required revision has been compacted')) return new StorageError('Compacted', 'revision has been compacted', { cause: e });
  if (msg.includes('required revision is a future revision')) return new StorageError('FutureRevision', 'revision is in the future', { cause: e });
  return new StorageError('Unavailable', `etcd: ${msg}`, { cause: e });
}

export class EtcdBackend implements Backend {
  readonly driver = 'etcd';
  readonly client: Etcd3;
  #prefix: string;
  #closed = false;
  #compacted = 0;
  #watchers = new Set<WatchQueue>();
  /** Leases by TTL, reused while young (upstream: 5 % of the TTL, at most 60 s). */
  #leases = new Map<number, { id: string; until: number }>();

  constructor(opts: EtcdOptions) {
    this.client = new Etcd3({ hosts: opts.endpoints, ...opts.client });
    this.#prefix = opts.prefix ?? '';
  }

  #k(key: string): Buffer {
    return Buffer.from(this.#prefix + key);
  }

  #toKv(kv: RPC.IKeyValue): KeyValue {
    const out: KeyValue = {
      key: kv.key.toString('utf8').slice(this.#prefix.length),
      value: kv.value,
      createRevision: num(kv.create_revision),
      modRevision: num(kv.mod_revision),
    };
    return out;
  }

  #check() {
    if (this.#closed) throw new StorageError('Closed', 'storage backend is closed');
  }

  async #lease(ttl: number | undefined): Promise<string | undefined> {
    if (!ttl || ttl <= 0) return undefined;
    const now = Date.now();
    const cached = this.#leases.get(ttl);
    if (cached && cached.until > now) return cached.id;
    const reuseMs = Math.min(ttl * 50, 60_000);
    const r = await this.client.leaseClient.leaseGrant({ TTL: ttl + Math.ceil(reuseMs / 1000) });
    this.#leases.set(ttl, { id: r.ID, until: now + reuseMs });
    return r.ID;
  }

  async create(key: string, value: Buffer, opts: WriteOptions = {}): Promise<WriteResult> {
    this.#check();
    try {
      const lease = await this.#lease(opts.ttlSeconds);
      const k = this.#k(key);
      const r = await this.client.kv.txn({
        compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
        success: [{ request_put: { key: k, value, ...(lease ? { lease } : {}) } }],
        failure: [{ request_range: { key: k } }],
      });
      if (!r.succeeded) {
        const cur = r.responses[0]?.response_range?.kvs[0];
        throw new StorageError('KeyExists', `key exists: ${key}`, cur ? { current: this.#toKv(cur) } : {});
      }
      const rev = num(r.header.revision);
      const kv: KeyValue = { key, value, createRevision: rev, modRevision: rev, ...(opts.ttlSeconds ? { ttlSeconds: opts.ttlSeconds } : {}) };
      return { revision: rev, kv };
    } catch (e) {
      throw translate(e);
    }
  }

  async get(key: string): Promise<GetResult> {
    this.#check();
    try {
      const r = await this.client.kv.range({ key: this.#k(key) });
      const kv = r.kvs[0];
      return kv ? { revision: num(r.header.revision), kv: this.#toKv(kv) } : { revision: num(r.header.revision) };
    } catch (e) {
      throw translate(e);
    }
  }

  async update(key: string, value: Buffer, expectedModRevision: number, opts: WriteOptions = {}): Promise<WriteResult> {
    this.#check();
    try {
      const lease = await this.#lease(opts.ttlSeconds);
      const k = this.#k(key);
      const r = await this.client.kv.txn({
        compare: [
          { key: k, target: 'Create', result: 'Greater', create_revision: 0 },
          { key: k, target: 'Mod', result: 'Equal', mod_revision: expectedModRevision },
        ],
        success: [{ request_put: { key: k, value, prev_kv: true, ...(lease ? { lease } : {}) } }],
        failure: [{ request_range: { key: k } }],
      });
      if (!r.succeeded) {
        const cur = r.responses[0]?.response_range?.kvs[0];
        if (!cur) throw new StorageError('NotFound', `key not found: ${key}`);
        throw new StorageError('Conflict', `revision mismatch on ${key}: expected ${expectedModRevision}, have ${num(cur.mod_revision)}`, { current: this.#toKv(cur) });
      }
      const rev = num(r.header.revision);
      const prev = r.responses[0]?.response_put?.prev_kv;
      const kv: KeyValue = { key, value, createRevision: prev ? num(prev.create_revision) : rev, modRevision: rev, ...(opts.ttlSeconds ? { ttlSeconds: opts.ttlSeconds } : {}) };
      return { revision: rev, kv };
    } catch (e) {
      throw translate(e);
    }
  }

  async delete(key: string, expectedModRevision?: number): Promise<DeleteResult> {
    this.#check();
    try {
      const k = this.#k(key);
      const compare: RPC.ICompare[] = [{ key: k, target: 'Create', result: 'Greater', create_revision: 0 }];
      if (expectedModRevision !== undefined) compare.push({ key: k, target: 'Mod', result: 'Equal', mod_revision: expectedModRevision });
      const r = await this.client.kv.txn({
        compare,
        success: [{ request_delete_range: { key: k, prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      });
      if (!r.succeeded) {
        const cur = r.responses[0]?.response_range?.kvs[0];
        if (!cur) throw new StorageError('NotFound', `key not found: ${key}`);
        throw new StorageError('Conflict', `revision mismatch on ${key}: expected ${expectedModRevision}, have ${num(cur.mod_revision)}`, { current: this.#toKv(cur) });
      }
      const prev = r.responses[0]?.response_delete_range?.prev_kvs[0];
      if (!prev) throw new StorageError('NotFound', `key not found: ${key}`);
      return { revision: num(r.header.revision), kv: this.#toKv(prev) };
    } catch (e) {
      throw translate(e);
    }
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.#check();
    let revision = opts.revision && opts.revision > 0 ? opts.revision : 0;
    let start = prefix;
    if (opts.continue) {
      const c = decodeContinue(opts.continue);
      revision = c.revision;
      start = c.lastKey + '\x00';
    }
    try {
      const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
      const r = await this.client.kv.range({
        key: this.#k(start),
        range_end: this.#k(prefixEnd(prefix)),
        limit,
        ...(revision ? { revision } : {}),
      });
      const rev = revision || num(r.header.revision);
      const kvs = r.kvs.map((kv) => this.#toKv(kv));
      if (!r.more || kvs.length === 0) return { revision: rev, kvs };
      return { revision: rev, kvs, continue: encodeContinue(kvs[kvs.length - 1]!.key, rev), remaining: num(r.count) - kvs.length };
    } catch (e) {
      throw translate(e);
    }
  }

  async count(prefix: string) {
    this.#check();
    try {
      const r = await this.client.kv.range({ key: this.#k(prefix), range_end: this.#k(prefixEnd(prefix)), count_only: true });
      return { revision: num(r.header.revision), count: num(r.count) };
    } catch (e) {
      throw translate(e);
    }
  }

  watch(prefix: string, afterRevision: number): Watch {
    const q = WatchQueue.open(this.#closed, afterRevision, this.#compacted);
    if (q.closed) return q;
    this.#watchers.add(q);
    const watcher = this.client
      .watch()
      .prefix(this.#k(prefix))
      .withPreviousKV()
      .startRevision(String(afterRevision + 1))
      .watcher();
    q.onClose(() => {
      this.#watchers.delete(q);
      void watcher.cancel().catch(() => {});
    });
    watcher.on('data', (res: RPC.IWatchResponse) => {
      for (const e of res.events) {
        const kv = this.#toKv(e.kv);
        const prevKv = e.prev_kv ? this.#toKv(e.prev_kv) : undefined;
        let ev: WatchEvent;
        if (e.type === 'Delete') {
          // etcd's delete event carries the deletion revision; the value is the previous one.
          const base = prevKv ?? kv;
          ev = { type: 'delete', kv: base, prevKv: base, revision: num(e.kv.mod_revision) };
        } else if (num(e.kv.create_revision) === num(e.kv.mod_revision)) {
          ev = { type: 'create', kv, revision: kv.modRevision };
        } else {
          ev = { type: 'update', kv, revision: kv.modRevision, ...(prevKv ? { prevKv } : {}) };
        }
        q.push(ev);
      }
    });
    watcher.on('error', (err: Error) => {
      const m = err.message ?? '';
      if (m.includes('compacted')) q.fail(new StorageError('Compacted', `revision ${afterRevision} has been compacted`, { cause: err }));
      else q.fail(translate(err));
    });
    return q;
  }

  async compact(revision: number): Promise<void> {
    this.#check();
    try {
      await this.client.kv.compact({ revision, physical: true });
      this.#compacted = Math.max(this.#compacted, revision);
    } catch (e) {
      const t = translate(e);
      // Compacting at or below an earlier compaction is a no-op, as in the other backends.
      if (t instanceof StorageError && t.code === 'Compacted') return;
      throw t;
    }
  }

  async revision() {
    this.#check();
    try {
      const r = await this.client.kv.range({ key: this.#k('\x00'), count_only: true });
      return { revision: num(r.header.revision), compacted: this.#compacted };
    } catch (e) {
      throw translate(e);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const q of [...this.#watchers]) q.close();
    this.client.close();
  }
}
