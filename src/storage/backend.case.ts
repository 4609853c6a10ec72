// The storage conformance suite: every backend (memory, sqlite, etcd) runs these same cases
// through its own *.test.ts, so the API server can rely on one contract.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend, WatchEvent } from './backend.ts';
import { StorageError } from './backend.ts';
import type { FakeClock } from '../machinery/clock.ts';

export interface BackendUnderTest {
  backend: Backend;
  /** When set, TTL cases advance this clock instead of waiting in real time. */
  clock?: FakeClock;
  cleanup(): Promise<void>;
}

export interface ConformanceOptions {
  /** Called once before the cases (e.g. to start a server). */
  setup?: () => Promise<void>;
  teardown?: () => Promise<void>;
  /** A fresh, empty backend for one case. */
  make: () => Promise<BackendUnderTest>;
}

const b = (s: string) => Buffer.from(s);
const str = (v: Buffer | undefined) => v?.toString('utf8');

async function rejectsWith(p: Promise<unknown>, code: StorageError['code']): Promise<StorageError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof StorageError, `expected StorageError ${code}, got ${e}`);
    assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
    return e;
  }
  assert.fail(`expected ${code}, but the call succeeded`);
}

/** Takes `n` events from a watch, failing if they do not arrive within `ms` of real time. */
async function take(w: AsyncIterable<WatchEvent>, n: number, ms = 10_000): Promise<WatchEvent[]> {
  const out: WatchEvent[] = [];
  if (n === 0) return out;
  const it = w[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`watch: got ${out.length} of ${n} events`)), ms)));
  try {
    while (out.length < n) {
      const r = await Promise.race([it.next(), timeout]);
      if (r.done) throw new Error(`watch ended after ${out.length} of ${n} events`);
      out.push(r.value);
    }
  } finally {
    clearTimeout(timer);
  }
  return out;
}

async function eventually(check: () => Promise<boolean>, ms: number, what: string) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function runBackendConformance(name: string, opts: ConformanceOptions): void {
  describe(`storage conformance: ${name}`, () => {
    let cur: BackendUnderTest | undefined;
    let s: Backend;
    const fresh = async () => {
      await cur?.cleanup();
      cur = await opts.make();
      s = cur.backend;
      return s;
    };
    if (opts.setup) before(opts.setup);
    after(async () => {
      await cur?.cleanup();
      await opts.teardown?.();
    });

    it('creates, gets, and refuses to create an existing key', async () => {
      await fresh();
      const r = await s.create('/registry/pods/default/a', b('one'));
      assert.ok(r.revision > 0);
      assert.equal(r.kv.createRevision, r.revision);
      assert.equal(r.kv.modRevision, r.revision);
      const g = await s.get('/registry/pods/default/a');
      assert.equal(str(g.kv?.value), 'one');
      assert.equal(g.kv?.modRevision, r.revision);
      assert.ok(g.revision >= r.revision);
      const e = await rejectsWith(s.create('/registry/pods/default/a', b('two')), 'KeyExists');
      assert.equal(str(e.current?.value), 'one');
      assert.equal(str((await s.get('/registry/pods/default/a')).kv?.value), 'one');
      const missing = await s.get('/registry/pods/default/nope');
      assert.equal(missing.kv, undefined);
      assert.ok(missing.revision >= r.revision);
    });

    it('updates with compare-and-swap on the mod revision', async () => {
      await fresh();
      const c = await s.create('/k', b('v1'));
      const u = await s.update('/k', b('v2'), c.kv.modRevision);
      assert.ok(u.revision > c.revision);
      assert.equal(u.kv.createRevision, c.revision);
      assert.equal(u.kv.modRevision, u.revision);
      const stale = await rejectsWith(s.update('/k', b('v3'), c.kv.modRevision), 'Conflict');
      assert.equal(str(stale.current?.value), 'v2');
      assert.equal(stale.current?.modRevision, u.revision);
      assert.equal(str((await s.get('/k')).kv?.value), 'v2');
      await rejectsWith(s.update('/missing', b('x'), 1), 'NotFound');
      await rejectsWith(s.update('/missing', b('x'), 0), 'NotFound');
      assert.equal((await s.get('/missing')).kv, undefined);
    });

    it('deletes with and without an expected revision', async () => {
      await fresh();
      const a = await s.create('/a', b('A'));
      await s.create('/b', b('B'));
      const d = await s.delete('/a');
      assert.ok(d.revision > a.revision);
      assert.equal(str(d.kv.value), 'A');
      assert.equal((await s.get('/a')).kv, undefined);
      await rejectsWith(s.delete('/a'), 'NotFound');
      const bb = (await s.get('/b')).kv!;
      const e = await rejectsWith(s.delete('/b', bb.modRevision - 1), 'Conflict');
      assert.equal(str(e.current?.value), 'B');
      assert.equal(str((await s.get('/b')).kv?.value), 'B');
      await s.delete('/b', bb.modRevision);
      assert.equal((await s.get('/b')).kv, undefined);
      // The key can be created again, with a new create revision.
      const again = await s.create('/a', b('A2'));
      assert.equal(again.kv.createRevision, again.revision);
    });

    it('lists by prefix in key order, with limit and continue', async () => {
      await fresh();
      for (const n of ['c', 'a', 'e', 'b', 'd']) await s.create(`/registry/pods/ns/${n}`, b(n));
      await s.create('/registry/podsx/ns/z', b('other'));
      await s.create('/registry/pod', b('other'));
      const all = await s.list('/registry/pods/');
      assert.deepEqual(all.kvs.map((k) => str(k.value)), ['a', 'b', 'c', 'd', 'e']);
      assert.equal(all.continue, undefined);
      const p1 = await s.list('/registry/pods/', { limit: 2 });
      assert.deepEqual(p1.kvs.map((k) => str(k.value)), ['a', 'b']);
      assert.ok(p1.continue);
      assert.equal(p1.remaining, 3);
      // Writes after the first page are not seen by later pages: they read at the first page's revision.
      await s.create('/registry/pods/ns/f', b('f'));
      await s.delete('/registry/pods/ns/e');
      const p2 = await s.list('/registry/pods/', { limit: 2, continue: p1.continue });
      assert.deepEqual(p2.kvs.map((k) => str(k.value)), ['c', 'd']);
      assert.equal(p2.revision, p1.revision);
      assert.equal(p2.remaining, 1);
      const p3 = await s.list('/registry/pods/', { limit: 2, continue: p2.continue });
      assert.deepEqual(p3.kvs.map((k) => str(k.value)), ['e']);
      assert.equal(p3.continue, undefined);
      const now = await s.list('/registry/pods/');
      assert.deepEqual(now.kvs.map((k) => str(k.value)), ['a', 'b', 'c', 'd', 'f']);
      assert.equal((await s.count('/registry/pods/')).count, 5);
      await rejectsWith(s.list('/registry/pods/', { continue: 'not-a-token' }), 'InvalidContinue');
    });

    it('lists at a past revision', async () => {
      await fresh();
      await s.create('/x/a', b('a1'));
      const r1 = await s.create('/x/b', b('b1'));
      await s.update('/x/a', b('a2'), (await s.get('/x/a')).kv!.modRevision);
      await s.delete('/x/b');
      await s.create('/x/c', b('c1'));
      const past = await s.list('/x/', { revision: r1.revision });
      assert.equal(past.revision, r1.revision);
      assert.deepEqual(past.kvs.map((k) => `${k.key}=${str(k.value)}`), ['/x/a=a1', '/x/b=b1']);
      const pastPage = await s.list('/x/', { revision: r1.revision, limit: 1 });
      assert.deepEqual(pastPage.kvs.map((k) => str(k.value)), ['a1']);
      const rest = await s.list('/x/', { continue: pastPage.continue });
      assert.deepEqual(rest.kvs.map((k) => str(k.value)), ['b1']);
      const nowList = await s.list('/x/');
      assert.deepEqual(nowList.kvs.map((k) => `${k.key}=${str(k.value)}`), ['/x/a=a2', '/x/c=c1']);
    });

    it('watches from a revision: history in order, then live events', async () => {
      await fresh();
      const start = (await s.revision()).revision;
      const c = await s.create('/w/a', b('1'));
      await s.create('/other/z', b('not mine'));
      const u = await s.update('/w/a', b('2'), c.kv.modRevision);
      const d = await s.delete('/w/a');
      const w = s.watch('/w/', start);
      const hist = await take(w, 3);
      assert.deepEqual(hist.map((e) => e.type), ['create', 'update', 'delete']);
      assert.deepEqual(hist.map((e) => e.revision), [c.revision, u.revision, d.revision]);
      assert.equal(str(hist[1]!.kv.value), '2');
      assert.equal(str(hist[1]!.prevKv?.value), '1');
      assert.equal(str(hist[2]!.kv.value), '2', 'a delete event carries the last value');
      const live = await s.create('/w/b', b('live'));
      await s.create('/other/y', b('not mine'));
      const l2 = await s.update('/w/b', b('live2'), live.kv.modRevision);
      const got = await take(w, 2);
      assert.deepEqual(got.map((e) => [e.type, e.kv.key, str(e.kv.value), e.revision]), [
        ['create', '/w/b', 'live', live.revision],
        ['update', '/w/b', 'live2', l2.revision],
      ]);
      w.close();
      // A watch from the middle of history starts after that revision.
      const w2 = s.watch('/w/', u.revision);
      const mid = await take(w2, 3);
      assert.deepEqual(mid.map((e) => e.revision), [d.revision, live.revision, l2.revision]);
      w2.close();
    });

    it('compacts history: the latest values stay, older revisions are gone', async () => {
      await fresh();
      const a1 = await s.create('/c/a', b('a1'));
      const a2 = await s.update('/c/a', b('a2'), a1.kv.modRevision);
      const bb = await s.create('/c/b', b('b1'));
      await s.delete('/c/b');
      const keep = await s.create('/c/c', b('c1'));
      await s.compact(keep.revision);
      assert.ok((await s.revision()).compacted >= keep.revision);
      assert.equal(str((await s.get('/c/a')).kv?.value), 'a2');
      assert.equal((await s.get('/c/a')).kv?.modRevision, a2.revision);
      assert.deepEqual((await s.list('/c/')).kvs.map((k) => str(k.value)), ['a2', 'c1']);
      assert.deepEqual((await s.list('/c/', { revision: keep.revision })).kvs.map((k) => str(k.value)), ['a2', 'c1']);
      await rejectsWith(s.list('/c/', { revision: bb.revision }), 'Compacted');
      const w = s.watch('/c/', a1.revision);
      await rejectsWith(take(w, 1), 'Compacted');
      // Watching from the compaction point still works.
      const w2 = s.watch('/c/', keep.revision);
      const n = await s.create('/c/d', b('d1'));
      const [e] = await take(w2, 1);
      assert.equal(e!.revision, n.revision);
      w2.close();
      // Compacting again at or below is a no-op.
      await s.compact(a1.revision);
      assert.equal(str((await s.get('/c/a')).kv?.value), 'a2');
    });

    it('lets exactly one of many concurrent writers win each round', async () => {
      await fresh();
      await s.create('/race', b('0'));
      const writers = 16;
      for (let round = 1; round <= 10; round++) {
        const cur = (await s.get('/race')).kv!;
        const results = await Promise.allSettled(
          Array.from({ length: writers }, (_, i) => s.update('/race', b(`${round}:${i}`), cur.modRevision)),
        );
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
        assert.equal(won.length, 1, `round ${round}: ${won.length} winners`);
        assert.equal(lost.length, writers - 1);
        for (const l of lost) assert.equal((l.reason as StorageError).code, 'Conflict');
        const winner = (won[0] as PromiseFulfilledResult<{ kv: { value: Buffer } }>).value.kv.value;
        assert.equal(str((await s.get('/race')).kv?.value), str(winner));
      }
    });

    it('gives strictly increasing revisions across keys', async () => {
      await fresh();
      let last = (await s.revision()).revision;
      for (let i = 0; i < 20; i++) {
        const r = await s.create(`/rev/${i % 2 ? 'odd' : 'even'}/${i}`, b(String(i)));
        assert.ok(r.revision > last, `revision ${r.revision} after ${last}`);
        last = r.revision;
      }
      const parallel = await Promise.all(Array.from({ length: 50 }, (_, i) => s.create(`/rev/p/${i}`, b('x'))));
      const revs = parallel.map((r) => r.revision);
      assert.equal(new Set(revs).size, revs.length, 'every write has its own revision');
      assert.ok(Math.min(...revs) > last);
      assert.equal((await s.revision()).revision, Math.max(...revs));
    });

    it('expires keys with a TTL and reports the deletion to watchers', async () => {
      const t = await fresh();
      const start = (await t.revision()).revision;
      await t.create('/registry/events/default/e1', b('event'), { ttlSeconds: 1 });
      await t.create('/registry/events/default/keep', b('stays'));
      const r = await t.create('/registry/events/default/renewed', b('v1'), { ttlSeconds: 1 });
      await t.update('/registry/events/default/renewed', b('v2'), r.kv.modRevision, { ttlSeconds: 3600 });
      const w = t.watch('/registry/events/', start);
      assert.equal(str((await t.get('/registry/events/default/e1')).kv?.value), 'event');
      if (cur!.clock) cur!.clock.advance(2_000);
      await eventually(async () => (await t.get('/registry/events/default/e1')).kv === undefined, cur!.clock ? 5_000 : 15_000, 'the key to expire');
      const evs = await take(w, 5);
      assert.equal(evs[4]!.type, 'delete');
      assert.equal(evs[4]!.kv.key, '/registry/events/default/e1');
      assert.equal(str((await t.get('/registry/events/default/keep')).kv?.value), 'stays');
      assert.equal(str((await t.get('/registry/events/default/renewed')).kv?.value), 'v2', 'a later write without the short TTL keeps the key');
      w.close();
    });

    it('refuses future revisions and keeps working after a failed call', async () => {
      await fresh();
      const r = await s.create('/f/a', b('a'));
      await rejectsWith(s.list('/f/', { revision: r.revision + 1000 }), 'FutureRevision');
      assert.equal((await s.list('/f/')).kvs.length, 1);
    });
  });
}
