// Storage benchmark (issue: foundation): puts/s and p50/p99 at 64 concurrent writers with 1 KiB
// values, and gets/s, for the sqlite and etcd backends; the reference, measured in the same run,
// is raw etcd puts through the same etcd3 client with no Skiff code in between.
// Target: sqlite puts/s ≥ 10× the raw-etcd reference, sqlite put p99 < 20 ms.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { closedLoop, fmt, type Row } from './harness.ts';
import { startEtcd } from '../src/storage/etcd/testserver.ts';
import { SqliteBackend } from '../src/storage/sqlite/sqlite.ts';
import { EtcdBackend } from '../src/storage/etcd/etcd.ts';
import type { Backend } from '../src/storage/backend.ts';

const CONCURRENCY = 64;
const value = Buffer.alloc(1024, 'x');

async function backendLoad(b: Backend, puts: number, gets: number) {
  const put = await closedLoop(CONCURRENCY, puts, (i) => b.create(`/registry/bench/k${i}`, value));
  const get = await closedLoop(CONCURRENCY, gets, (i) => b.get(`/registry/bench/k${(i * 7919) % puts}`));
  return { put, get };
}

export async function storageBench(opts: { quick?: boolean } = {}): Promise<{ rows: Row[]; ok: boolean }> {
  const etcdPuts = opts.quick ? 2_000 : 10_000;
  const sqlitePuts = opts.quick ? 20_000 : 100_000;
  const etcd = await startEtcd();
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-'));
  try {
    // Reference: raw etcd puts through etcd3, no Skiff code.
    const raw = new Etcd3({ hosts: [etcd.endpoint] });
    await raw.put('/warmup').value('x');
    const ref = await closedLoop(CONCURRENCY, etcdPuts, (i) => raw.put(`/raw/k${i}`).value(value).exec());
    const refGet = await closedLoop(CONCURRENCY, etcdPuts, (i) => raw.get(`/raw/k${(i * 7919) % etcdPuts}`).buffer());
    raw.close();

    const sqlite = new SqliteBackend({ path: join(dir, 'bench.db') });
    const sq = await backendLoad(sqlite, sqlitePuts, sqlitePuts);
    await sqlite.close();

    const eb = new EtcdBackend({ endpoints: [etcd.endpoint], prefix: '/skiff' });
    const et = await backendLoad(eb, etcdPuts, etcdPuts);
    await eb.close();

    const ratio = (x: number) => `${fmt(x / ref.perSecond, 1)}×`;
    const putTarget = sq.put.perSecond >= 10 * ref.perSecond;
    const p99Target = sq.put.p99 < 20;
    const rows: Row[] = [
      { what: 'reference: raw etcd puts (etcd3 client, 64 writers, 1 KiB)', value: `${fmt(ref.perSecond)}/s, p50 ${fmt(ref.p50, 1)} ms, p99 ${fmt(ref.p99, 1)} ms`, ratio: '1.0×' },
      { what: 'reference: raw etcd gets', value: `${fmt(refGet.perSecond)}/s`, ratio: ratio(refGet.perSecond) },
      { what: 'sqlite backend puts', value: `${fmt(sq.put.perSecond)}/s`, ratio: ratio(sq.put.perSecond), target: '≥ 10× reference', ok: putTarget },
      { what: 'sqlite backend put latency', value: `p50 ${fmt(sq.put.p50, 2)} ms, p99 ${fmt(sq.put.p99, 2)} ms`, target: 'p99 < 20 ms', ok: p99Target },
      { what: 'sqlite backend gets', value: `${fmt(sq.get.perSecond)}/s, p99 ${fmt(sq.get.p99, 2)} ms`, ratio: ratio(sq.get.perSecond) },
      { what: 'etcd backend puts', value: `${fmt(et.put.perSecond)}/s, p50 ${fmt(et.put.p50, 1)} ms, p99 ${fmt(et.put.p99, 1)} ms`, ratio: ratio(et.put.perSecond) },
      { what: 'etcd backend gets', value: `${fmt(et.get.perSecond)}/s, p99 ${fmt(et.get.p99, 1)} ms`, ratio: ratio(et.get.perSecond) },
    ];
    return { rows, ok: putTarget && p99Target };
  } finally {
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
