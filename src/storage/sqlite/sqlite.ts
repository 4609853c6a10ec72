// The embedded default backend: one SQLite file per cluster (better-sqlite3, WAL), shaped like
// kine's SQL log. Every write appends a row to `log` (the MVCC history that watches replay and
// past-revision lists read); `kv` points each live key at its newest row.
//
// Group commit: all writes queued during one event-loop turn share one transaction; the WAL is
// then made durable with fdatasync on libuv's thread pool (so the event loop keeps serving while
// the disk syncs), and one sync covers every transaction committed before it started. No write is
// acknowledged, and no watcher hears of it, before it is durable; reads are served at the durable
// revision, so they never see a write that a crash could take back. SQLite itself runs with
// synchronous=OFF and without automatic checkpoints; checkpoints run with synchronous=FULL on a
// thread of their own (checkpointer.mjs), so the database file is synced before the WAL is reused
// and the event loop never waits for one.
import Database from 'better-sqlite3';
import { closeSync, fdatasync, openSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Backend, DeleteResult, GetResult, KeyValue, ListOptions, ListResult, Watch, WatchEvent, WriteOptions, WriteResult } from '../backend.ts';
import { decodeContinue, prefixEnd, StorageError } from '../backend.ts';
import { WatchHub, WatchQueue } from '../watchqueue.ts';
import { ExpiryTracker } from '../ttl.ts';
import { page } from '../memory/memory.ts';
import { type Clock, realClock } from '../../machinery/clock.ts';

export interface SqliteOptions {
  /** Path of the database file (created if missing). */
  path: string;
  clock?: Clock;
  /** Most writes in one transaction. */
  maxBatch?: number;
  /** Transactions between checkpoints (default 512). */
  checkpointEvery?: number;
}

const CREATE = 0;
const UPDATE = 1;
const DELETE = 2;

interface Row {
  rev: number;
  key: string;
  kind: number;
  create_rev: number;
  prev_rev: number;
  ttl: number | null;
  expires_at: number | null;
  value: Buffer;
}

type Op =
  | { t: 'create'; key: string; value: Buffer; ttl?: number; resolve: (r: WriteResult) => void; reject: (e: unknown) => void }
  | { t: 'update'; key: string; value: Buffer; expected: number; ttl?: number; resolve: (r: WriteResult) => void; reject: (e: unknown) => void }
  | { t: 'delete'; key: string; expected?: number; resolve: (r: DeleteResult) => void; reject: (e: unknown) => void };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS log (
  rev INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL,
  kind INTEGER NOT NULL,
  create_rev INTEGER NOT NULL,
  prev_rev INTEGER NOT NULL,
  ttl INTEGER,
  expires_at INTEGER,
  value BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS log_key_rev ON log (key, rev);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, rev INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`;

/** Keys whose latest value the backend keeps at hand (Buffers shared with the watch events). */
const CURRENT_CACHE = 8192;

function toKv(r: Row): KeyValue {
  const kv: KeyValue = { key: r.key, value: r.value, createRevision: r.create_rev, modRevision: r.kind === DELETE ? r.prev_rev : r.rev };
  if (r.ttl) kv.ttlSeconds = r.ttl;
  return kv;
}

export class SqliteBackend implements Backend {
  readonly driver = 'sqlite';
  readonly path: string;
  #db: Database.Database;
  #rev: number;
  #compacted: number;
  #pending: Op[] = [];
  #flushScheduled = false;
  #maxBatch: number;
  #hub = new WatchHub();
  #ttl: ExpiryTracker;
  #clock: Clock;
  #closed = false;
  #s: ReturnType<SqliteBackend['prepare']>;
  #applyAll: (batch: Op[], results: (WatchEvent | StorageError)[], now: number) => void;
  /** Highest revision that is durable (and acknowledged, and published). */
  #durableRev: number;
  /** Committed transactions waiting for a WAL sync. */
  #unsynced: { batch: Op[]; results: (WatchEvent | StorageError)[]; now: number; lastRev: number }[] = [];
  #syncing = false;
  #failed = false;
  #durableWaiters: { rev: number; resolve: () => void; reject: (e: unknown) => void }[] = [];
  #walFd: number | undefined;
  #commitsSinceCheckpoint = 0;
  #checkpointEvery: number;
  /** The checkpointer thread (started by the first checkpoint), and whether it is checkpointing now. */
  #checkpointer: Worker | undefined;
  #checkpointing = false;
  /**
   * The latest written value of recently written keys, least recently used first (this backend is
   * the database's only writer): an update's read and its compare-and-swap check skip the two
   * B-tree lookups and the copy of the row. A key that is absent here may still exist.
   */
  #current = new Map<string, KeyValue>();

  constructor(opts: SqliteOptions) {
    this.path = opts.path;
    this.#clock = opts.clock ?? realClock;
    this.#maxBatch = opts.maxBatch ?? 512;
    this.#checkpointEvery = opts.checkpointEvery ?? 512;
    this.#db = new Database(opts.path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = OFF');
    this.#db.pragma('wal_autocheckpoint = 0');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(SCHEMA);
    this.#s = this.prepare();
    // One transaction function for every batch (building one per batch costs on each flush).
    this.#applyAll = this.#db.transaction((batch: Op[], results: (WatchEvent | StorageError)[], now: number) => {
      for (const op of batch) results.push(this.#apply(op, now));
    });
    const seq = this.#db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'log'`).get() as { seq: number } | undefined;
    this.#rev = seq?.seq ?? 0;
    this.#durableRev = this.#rev;
    const c = this.#db.prepare(`SELECT value FROM meta WHERE name = 'compacted'`).get() as { value: number } | undefined;
    this.#compacted = c?.value ?? 0;
    this.#ttl = new ExpiryTracker(this.#clock, async (key, rev) => void (await this.delete(key, rev)));
    for (const r of this.#db.prepare(`SELECT l.key, l.rev, l.ttl, l.expires_at FROM kv JOIN log l ON l.rev = kv.rev WHERE l.expires_at IS NOT NULL`).all() as Row[]) {
      this.#ttl.set(r.key, r.rev, r.ttl!, r.expires_at! - r.ttl! * 1000);
    }
  }

  private prepare() {
    const db = this.#db;
    return {
      current: db.prepare(`SELECT l.* FROM kv JOIN log l ON l.rev = kv.rev WHERE kv.key = ?`),
      getAt: db.prepare(`SELECT * FROM log WHERE key = ? AND rev <= ? ORDER BY rev DESC LIMIT 1`),
      byRev: db.prepare(`SELECT * FROM log WHERE rev = ?`),
      insert: db.prepare(`INSERT INTO log (rev, key, kind, create_rev, prev_rev, ttl, expires_at, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      setKv: db.prepare(`INSERT INTO kv (key, rev) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET rev = excluded.rev`),
      claimKv: db.prepare(`INSERT INTO kv (key, rev) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`),
      delKv: db.prepare(`DELETE FROM kv WHERE key = ?`),
      listCurrent: db.prepare(`SELECT l.* FROM kv JOIN log l ON l.rev = kv.rev WHERE kv.key >= ? AND kv.key < ? AND kv.key > ? ORDER BY kv.key LIMIT ?`),
      countCurrent: db.prepare(`SELECT count(*) AS n FROM kv WHERE key >= ? AND key < ? AND key > ?`),
      listAt: db.prepare(
        `SELECT l.* FROM log l WHERE l.key >= ? AND l.key < ? AND l.key > ? AND l.rev = (SELECT max(x.rev) FROM log x WHERE x.key = l.key AND x.rev <= ?) AND l.kind != ${DELETE} ORDER BY l.key LIMIT ?`,
      ),
      countAt: db.prepare(
        `SELECT count(*) AS n FROM log l WHERE l.key >= ? AND l.key < ? AND l.key > ? AND l.rev = (SELECT max(x.rev) FROM log x WHERE x.key = l.key AND x.rev <= ?) AND l.kind != ${DELETE}`,
      ),
      since: db.prepare(`SELECT l.*, p.value AS prev_value, p.create_rev AS prev_create_rev, p.ttl AS prev_ttl FROM log l LEFT JOIN log p ON p.rev = l.prev_rev AND l.kind = ${UPDATE} WHERE l.rev > ? AND l.rev <= ? AND l.key >= ? AND l.key < ? ORDER BY l.rev`),
      compact: db.prepare(
        `DELETE FROM log WHERE rev <= ? AND (kind = ${DELETE} OR EXISTS (SELECT 1 FROM log y WHERE y.key = log.key AND y.rev > log.rev AND y.rev <= ?))`,
      ),
      setMeta: db.prepare(`INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`),
    };
  }

  #check() {
    if (this.#closed) throw new StorageError('Closed', 'storage backend is closed');
  }

  #enqueue<T>(make: (resolve: (r: T) => void, reject: (e: unknown) => void) => Op): Promise<T> {
    this.#check();
    return new Promise<T>((resolve, reject) => {
      this.#pending.push(make(resolve, reject));
      if (this.#pending.length >= this.#maxBatch) this.#flush();
      else if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  create(key: string, value: Buffer, opts: WriteOptions = {}): Promise<WriteResult> {
    return this.#enqueue((resolve, reject) => ({ t: 'create', key, value, ttl: opts.ttlSeconds, resolve, reject }));
  }

  update(key: string, value: Buffer, expectedModRevision: number, opts: WriteOptions = {}): Promise<WriteResult> {
    return this.#enqueue((resolve, reject) => ({ t: 'update', key, value, expected: expectedModRevision, ttl: opts.ttlSeconds, resolve, reject }));
  }

  delete(key: string, expectedModRevision?: number): Promise<DeleteResult> {
    return this.#enqueue((resolve, reject) => ({ t: 'delete', key, expected: expectedModRevision, resolve, reject }));
  }

  /** Applies one queued write inside the open transaction; returns its event, or the error to report. */
  #apply(op: Op, now: number): WatchEvent | StorageError {
    const s = this.#s;
    const rev = this.#rev + 1;
    const ttl = op.t !== 'delete' && op.ttl && op.ttl > 0 ? op.ttl : null;
    let prev = this.#current.get(op.key);
    if (op.t === 'create') {
      // Claiming the key in kv is the existence check (a key already there is left as it is);
      // its row, with the value, is read only for the error.
      if (prev || s.claimKv.run(op.key, rev).changes === 0) return new StorageError('KeyExists', `key exists: ${op.key}`, { current: prev ?? toKv(s.current.get(op.key) as Row) });
    } else {
      if (!prev) {
        const cur = s.current.get(op.key) as Row | undefined;
        if (!cur) return new StorageError('NotFound', `key not found: ${op.key}`);
        prev = toKv(cur);
      }
      if (op.expected !== undefined && prev.modRevision !== op.expected) {
        return new StorageError('Conflict', `revision mismatch on ${op.key}: expected ${op.expected}, have ${prev.modRevision}`, { current: prev });
      }
    }
    if (op.t === 'delete') {
      s.insert.run(rev, op.key, DELETE, prev!.createRevision, prev!.modRevision, null, null, prev!.value);
      s.delKv.run(op.key);
      this.#rev = rev;
      this.#current.delete(op.key);
      return { type: 'delete', kv: prev!, prevKv: prev, revision: rev };
    }
    const createRev = op.t === 'create' ? rev : prev!.createRevision;
    s.insert.run(rev, op.key, op.t === 'create' ? CREATE : UPDATE, createRev, prev?.modRevision ?? 0, ttl, ttl ? now + ttl * 1000 : null, op.value);
    if (op.t !== 'create') s.setKv.run(op.key, rev);
    this.#rev = rev;
    const kv: KeyValue = { key: op.key, value: op.value, createRevision: createRev, modRevision: rev };
    if (ttl) kv.ttlSeconds = ttl;
    this.#remember(kv);
    return op.t === 'create' ? { type: 'create', kv, revision: rev } : { type: 'update', kv, prevKv: prev, revision: rev };
  }

  #remember(kv: KeyValue) {
    const m = this.#current;
    m.delete(kv.key);
    m.set(kv.key, kv);
    if (m.size > CURRENT_CACHE) m.delete(m.keys().next().value!);
  }

  #flush() {
    this.#flushScheduled = false;
    if (this.#pending.length === 0 || this.#closed) return;
    const batch = this.#pending.splice(0, this.#maxBatch);
    if (this.#pending.length > 0 && !this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
    const results: (WatchEvent | StorageError)[] = [];
    const startRev = this.#rev;
    const now = this.#clock.now();
    try {
      this.#applyAll(batch, results, now);
    } catch (e) {
      // The transaction rolled back: nothing of this batch was written.
      this.#rev = startRev;
      this.#current.clear();
      const err = new StorageError('Unavailable', `sqlite write failed: ${(e as Error).message}`, { cause: e });
      for (const op of batch) op.reject(err);
      return;
    }
    this.#unsynced.push({ batch, results, now, lastRev: this.#rev });
    this.#sync();
  }

  /** Makes every committed transaction durable with one fdatasync of the WAL, then acknowledges them. */
  #sync() {
    if (this.#syncing || this.#unsynced.length === 0) return;
    this.#syncing = true;
    const covered = this.#unsynced.splice(0);
    const done = (err: NodeJS.ErrnoException | null) => {
      this.#syncing = false;
      if (err) {
        // Committed to SQLite but not known to be durable: refuse to go on rather than guess.
        this.#failed = true;
        const e = new StorageError('Unavailable', `sqlite: syncing the write-ahead log failed: ${err.message}`, { cause: err });
        for (const c of covered) for (const op of c.batch) op.reject(e);
        for (const w of this.#durableWaiters.splice(0)) w.reject(e);
        void this.close();
        return;
      }
      for (const c of covered) this.#acknowledge(c.batch, c.results, c.now);
      this.#durableRev = covered[covered.length - 1]!.lastRev;
      if (this.#durableWaiters.length) {
        const still = [];
        for (const w of this.#durableWaiters) (w.rev <= this.#durableRev ? w.resolve() : still.push(w));
        this.#durableWaiters = still;
      }
      if (++this.#commitsSinceCheckpoint >= this.#checkpointEvery) this.#checkpoint();
      this.#sync();
    };
    try {
      this.#walFd ??= openSync(`${this.path}-wal`, 'r+');
      fdatasync(this.#walFd, done);
    } catch (e) {
      done(e as NodeJS.ErrnoException);
    }
  }

  /**
   * Copies the WAL into the database with full syncs, so the WAL can be reused safely: on the
   * checkpointer thread's own connection (a passive checkpoint runs beside the writer; SQLite
   * restarts the WAL only once the database file holds, synced, all that it had).
   */
  #checkpoint() {
    this.#commitsSinceCheckpoint = 0;
    if (this.#checkpointing || this.#closed) return;
    if (!this.#checkpointer) {
      // No loader flags: the thread runs plain JavaScript and starts faster without them.
      const w = new Worker(new URL('./checkpointer.mjs', import.meta.url), { workerData: { path: this.path }, execArgv: [] });
      w.on('message', (m: { error?: string }) => {
        this.#checkpointing = false;
        if (m.error) process.stderr.write(`sqlite: checkpoint failed (retried later): ${m.error}\n`);
      });
      w.on('error', (e) => process.stderr.write(`sqlite: checkpointer thread failed: ${e.message}\n`));
      // A thread that is gone (failed) is started again by the next checkpoint; close() awaits no exit that already came.
      w.on('exit', () => {
        if (this.#checkpointer !== w) return;
        this.#checkpointer = undefined;
        this.#checkpointing = false;
      });
      w.unref();
      this.#checkpointer = w;
    }
    this.#checkpointing = true;
    this.#checkpointer.postMessage('checkpoint');
  }

  /** Acknowledges a durable batch in order, then tells the watchers. */
  #acknowledge(batch: Op[], results: (WatchEvent | StorageError)[], now: number) {
    for (let i = 0; i < batch.length; i++) {
      const op = batch[i]!;
      const r = results[i]!;
      if (r instanceof StorageError) {
        op.reject(r);
        continue;
      }
      if (r.type === 'delete') this.#ttl.clear(r.kv.key);
      else this.#ttl.set(r.kv.key, r.revision, r.kv.ttlSeconds, now);
      (op.resolve as (v: WriteResult) => void)({ revision: r.revision, kv: r.kv });
      this.#hub.publish(r);
    }
  }

  /** Waits until everything committed so far is durable (reads never see what a crash could undo). */
  #durable(): Promise<void> | undefined {
    if (this.#failed || this.#durableRev >= this.#rev) return undefined;
    const rev = this.#rev;
    return new Promise((resolve, reject) => this.#durableWaiters.push({ rev, resolve, reject }));
  }

  async get(key: string): Promise<GetResult> {
    this.#check();
    // Read at the durable revision: newer rows may not survive a crash yet.
    const at = this.#durableRev;
    // The latest write, when it is durable, is the answer.
    const known = this.#current.get(key);
    if (known && known.modRevision <= at) return { revision: at, kv: known };
    if (at !== this.#rev) {
      const r = this.#s.getAt.get(key, at) as Row | undefined;
      return r && r.kind !== DELETE ? { revision: at, kv: toKv(r) } : { revision: at };
    }
    const r = this.#s.current.get(key) as Row | undefined;
    if (!r) return { revision: at };
    // Nothing is pending: this is the key's latest value, as the cache keeps them (a read that
    // comes before an update, as most do, saves the update's own lookup).
    const kv = toKv(r);
    this.#remember(kv);
    return { revision: at, kv };
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.#check();
    let revision = opts.revision && opts.revision > 0 ? opts.revision : this.#durableRev;
    let after = '';
    if (opts.continue) {
      const c = decodeContinue(opts.continue);
      revision = c.revision;
      after = c.lastKey;
    }
    if (revision > this.#durableRev) throw new StorageError('FutureRevision', `revision ${revision} is in the future (current ${this.#durableRev})`);
    if (revision < this.#rev && revision < this.#compacted) throw new StorageError('Compacted', `revision ${revision} has been compacted`, { revision: this.#compacted });
    const end = prefixEnd(prefix);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : -1;
    // One extra row tells whether another page follows.
    const fetch = limit > 0 ? limit + 1 : -1;
    const rows = (revision === this.#rev ? this.#s.listCurrent.all(prefix, end, after, fetch) : this.#s.listAt.all(prefix, end, after, revision, fetch)) as Row[];
    const kvs = rows.map(toKv);
    if (limit < 0 || kvs.length <= limit) return { revision, kvs };
    const res = page(kvs, revision, limit);
    const n = (
      revision === this.#rev ? this.#s.countCurrent.get(prefix, end, after) : this.#s.countAt.get(prefix, end, after, revision)
    ) as { n: number };
    res.remaining = n.n - limit;
    return res;
  }

  async count(prefix: string) {
    this.#check();
    const at = this.#durableRev;
    const n = (at === this.#rev ? this.#s.countCurrent.get(prefix, prefixEnd(prefix), '') : this.#s.countAt.get(prefix, prefixEnd(prefix), '', at)) as { n: number };
    return { revision: at, count: n.n };
  }

  watch(prefix: string, afterRevision: number): Watch {
    const q = WatchQueue.open(this.#closed, afterRevision, this.#compacted);
    if (q.closed) return q;
    // Replay and subscribe in the same synchronous step: no commit can fall between them.
    // Replay what is durable; anything newer arrives through the hub once its sync completes.
    if (afterRevision < this.#durableRev) {
      type R = Row & { prev_value: Buffer | null; prev_create_rev: number | null; prev_ttl: number | null };
      for (const r of this.#s.since.iterate(afterRevision, this.#durableRev, prefix, prefixEnd(prefix)) as IterableIterator<R>) {
        const kv = toKv(r);
        if (r.kind === CREATE) q.push({ type: 'create', kv, revision: r.rev });
        else if (r.kind === DELETE) q.push({ type: 'delete', kv, prevKv: kv, revision: r.rev });
        else {
          const ev: WatchEvent = { type: 'update', kv, revision: r.rev };
          if (r.prev_value) ev.prevKv = { key: r.key, value: r.prev_value, createRevision: r.prev_create_rev!, modRevision: r.prev_rev, ...(r.prev_ttl ? { ttlSeconds: r.prev_ttl } : {}) };
          q.push(ev);
        }
      }
    }
    q.onClose(this.#hub.add(prefix, q));
    return q;
  }

  async compact(revision: number): Promise<void> {
    this.#check();
    if (revision > this.#durableRev) throw new StorageError('FutureRevision', `revision ${revision} is in the future (current ${this.#durableRev})`);
    if (revision <= this.#compacted) return;
    this.#db.transaction(() => {
      this.#s.compact.run(revision, revision);
      this.#s.setMeta.run('compacted', revision);
    })();
    this.#compacted = revision;
  }

  async revision() {
    return { revision: this.#durableRev, compacted: this.#compacted };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#flush();
    try {
      await this.#durable();
    } catch {
      // already failed and reported to the writers
    }
    if (this.#closed) return;
    this.#closed = true;
    this.#ttl.close();
    this.#hub.closeAll();
    for (const op of this.#pending.splice(0)) op.reject(new StorageError('Closed', 'storage backend is closed'));
    const w = this.#checkpointer;
    if (w) {
      this.#checkpointer = undefined;
      const exited = new Promise((r) => w.once('exit', r));
      w.ref();
      w.postMessage('close');
      await exited;
    }
    // Closing checkpoints and removes the WAL: make that checkpoint a synced one.
    this.#db.pragma('synchronous = FULL');
    this.#db.close();
    if (this.#walFd !== undefined) closeSync(this.#walFd);
  }
}
