// The sqlite backend runs the storage conformance suite on a real file, and keeps its state
// across a close and reopen.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runBackendConformance } from '../backend.case.ts';
import { SqliteBackend } from './sqlite.ts';
import { FakeClock } from '../../machinery/clock.ts';

const dir = mkdtempSync(join(tmpdir(), 'skiff-sqlite-test-'));
let n = 0;
after(() => rmSync(dir, { recursive: true, force: true }));

runBackendConformance('sqlite', {
  make: async () => {
    const clock = new FakeClock();
    const backend = new SqliteBackend({ path: join(dir, `case-${n++}.db`), clock });
    return { backend, clock, cleanup: () => backend.close() };
  },
});

describe('sqlite backend', () => {
  it('keeps keys, revisions, history and compaction across a reopen', async () => {
    const path = join(dir, 'reopen.db');
    const a = new SqliteBackend({ path });
    const c = await a.create('/r/a', Buffer.from('1'));
    const u = await a.update('/r/a', Buffer.from('2'), c.revision);
    await a.create('/r/b', Buffer.from('b'));
    const d = await a.delete('/r/b');
    await a.compact(c.revision);
    await a.close();

    const b = new SqliteBackend({ path });
    assert.deepEqual(await b.revision(), { revision: d.revision, compacted: c.revision });
    assert.equal((await b.get('/r/a')).kv?.value.toString(), '2');
    assert.equal((await b.get('/r/a')).kv?.modRevision, u.revision);
    assert.equal((await b.get('/r/b')).kv, undefined);
    const next = await b.create('/r/c', Buffer.from('c'));
    assert.equal(next.revision, d.revision + 1, 'revisions continue where they left off');
    const events = [];
    const w = b.watch('/r/', c.revision);
    for await (const ev of w) {
      events.push(`${ev.type} ${ev.kv.key}`);
      if (events.length === 4) break;
    }
    assert.deepEqual(events, ['update /r/a', 'create /r/b', 'delete /r/b', 'create /r/c']);
    await b.close();
  });

  it('commits many concurrent writes in one transaction without losing any', async () => {
    const s = new SqliteBackend({ path: join(dir, 'batch.db') });
    const rs = await Promise.all(Array.from({ length: 1000 }, (_, i) => s.create(`/batch/${String(i).padStart(4, '0')}`, Buffer.from(String(i)))));
    assert.equal(new Set(rs.map((r) => r.revision)).size, 1000);
    assert.equal((await s.count('/batch/')).count, 1000);
    await s.close();
  });

  it('reads and checks updates right for keys written long ago and just now (past the latest-value cache)', async () => {
    const s = new SqliteBackend({ path: join(dir, 'many.db') });
    const key = (i: number) => `/many/${String(i).padStart(5, '0')}`;
    const N = 9000;
    const made = await Promise.all(Array.from({ length: N }, (_, i) => s.create(key(i), Buffer.from(`v${i}`))));
    // The first keys were written longest ago: a stale revision is refused, the current one taken.
    await assert.rejects(s.update(key(0), Buffer.from('x'), made[0]!.revision - 1), (e: any) => e.code === 'Conflict');
    const u = await s.update(key(0), Buffer.from('w0'), made[0]!.revision);
    assert.equal((await s.get(key(0))).kv?.value.toString(), 'w0');
    await assert.rejects(s.update(key(0), Buffer.from('y'), made[0]!.revision), (e: any) => e.code === 'Conflict');
    await assert.rejects(s.create(key(1), Buffer.from('again')), (e: any) => e.code === 'KeyExists');
    await assert.rejects(s.create(key(N - 1), Buffer.from('again')), (e: any) => e.code === 'KeyExists');
    await s.delete(key(N - 1), made[N - 1]!.revision);
    assert.equal((await s.get(key(N - 1))).kv, undefined);
    await s.create(key(N - 1), Buffer.from('reborn'));
    for (const i of [1, 4000, N - 2]) assert.equal((await s.get(key(i))).kv?.value.toString(), `v${i}`);
    assert.equal((await s.get(key(N - 1))).kv?.value.toString(), 'reborn');
    assert.equal((await s.get(key(0))).kv?.modRevision, u.revision);
    // A read of an old key keeps its value for the update that follows; what comes after is seen.
    const old5 = (await s.get(key(5))).kv!;
    await s.update(key(5), Buffer.from('w5'), old5.modRevision);
    await assert.rejects(s.update(key(5), Buffer.from('z'), old5.modRevision), (e: any) => e.code === 'Conflict');
    const cur5 = (await s.get(key(5))).kv!;
    assert.equal(cur5.value.toString(), 'w5');
    await s.delete(key(5), cur5.modRevision);
    assert.equal((await s.get(key(5))).kv, undefined);
    await s.close();
  });

  it('updates a key that the same batch pushes out of the latest-value cache', async () => {
    const s = new SqliteBackend({ path: join(dir, 'evict.db') });
    const made = await Promise.all(Array.from({ length: 8192 }, (_, i) => s.create(`/e/${String(i).padStart(5, '0')}`, Buffer.from(`v${i}`))));
    // The creates come first in the batch and push /e/00000 out of the cache before its update's turn.
    const creates = Array.from({ length: 500 }, (_, i) => s.create(`/f/${i}`, Buffer.from('f')));
    const w = s.watch('/e/', made[8191]!.revision);
    const upd = s.update('/e/00000', Buffer.from('w0'), made[0]!.revision);
    await Promise.all([...creates, upd]);
    assert.equal((await s.get('/e/00000')).kv?.value.toString(), 'w0');
    await s.close();
    const evs = [];
    for await (const ev of w) evs.push(ev);
    assert.deepEqual(evs.map((e) => [e.type, e.kv.value.toString(), e.prevKv?.value.toString()]), [['update', 'w0', 'v0']]);
  });
});

describe('sqlite checkpoints', () => {
  const fill = async (path: string, checkpointEvery: number) => {
    const s = new SqliteBackend({ path, checkpointEvery });
    // Sequential writes: one transaction each.
    for (let i = 0; i < 300; i++) await s.create(`/registry/c/k${i}`, Buffer.from(`v${i}-${'x'.repeat(100)}`));
    return s;
  };

  it('copies the log into the database file on its own thread while writes go on; nothing is lost', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-ckpt-'));
    try {
      // Without checkpoints everything stays in the WAL: the database file holds the schema only.
      const none = await fill(join(dir, 'none.db'), 1_000_000);
      const before = statSync(join(dir, 'none.db')).size;
      await none.close();
      const path = join(dir, 'state.db');
      const s = await fill(path, 4);
      // The checkpointer thread takes the log in while the writer goes on (it may still be starting).
      const deadline = Date.now() + 30_000;
      while (statSync(path).size <= before + 30_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(statSync(path).size > before + 30_000, `the database file did not take the log in (${statSync(path).size} bytes)`);
      const raw = new Database(path, { readonly: true });
      assert.equal((raw.pragma('integrity_check') as { integrity_check: string }[])[0]!.integrity_check, 'ok');
      raw.close();
      await s.close();
      const t = new SqliteBackend({ path });
      assert.equal((await t.list('/registry/c/')).kvs.length, 300);
      assert.equal((await t.get('/registry/c/k299')).kv?.value.toString(), `v299-${'x'.repeat(100)}`);
      await t.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
