// API server benchmark (issue: API server): pod creates/s and p50/p99 over HTTP keep-alive with 64
// concurrent clients on the sqlite backend, LIST of 10,000 pods, and event delivery p99 to 1,000
// watchers. The API server runs in its own process; the reference, measured in the same run, is
// raw etcd puts through the etcd3 client.
// Targets: creates/s ≥ 2× the reference, create p99 ≤ 50 ms, 1,000-watcher delivery p99 ≤ 100 ms.
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { Etcd3 } from 'etcd3';
import { closedLoop, fmt, pct, type Row } from './harness.ts';
import { ConnectionPool } from './httpload.ts';
import { startEtcd } from '../src/storage/etcd/testserver.ts';

const CONCURRENCY = 64;

function httpCall(agent: Agent, base: string, method: string, path: string, body?: string, accept = 'application/json'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(path, base);
    const req = request(
      { agent, host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: { Accept: accept, ...(body ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

// Built by concatenation: the load generator shares the machine with the server, so it stays cheap.
const podBody = (name: string) =>
  `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"${name}","labels":{"app":"bench"}},"spec":{"containers":[{"name":"app","image":"registry.k8s.io/pause:3.9","resources":{"requests":{"cpu":"10m","memory":"16Mi"}}}]}}`;

async function startServer(dir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'api-server.ts'), join(dir, 'state.db')], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const deadline = Date.now() + 60_000;
  while (!out.includes('\n')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('bench: the API server did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: out.trim(),
    stop: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

async function watchDelivery(base: string, watchers: number, events: number): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: watchers + 10 });
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  let done = 0;
  let resolveAll: () => void = () => {};
  const all = new Promise<void>((r) => (resolveAll = r));
  const reqs = [];
  const ready: Promise<void>[] = [];
  for (let i = 0; i < watchers; i++) {
    const u = new URL('/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0', base);
    ready.push(
      new Promise<void>((res, rej) => {
        const req = request({ agent, host: u.hostname, port: u.port, path: u.pathname + u.search }, (resp) => {
          let buf = '';
          resp.on('data', (d: Buffer) => {
            const now = performance.now();
            buf += d.toString();
            let nl;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              const m = /"name":"(ev-\d+)"/.exec(line);
              const t = m && sent.get(m[1]!);
              if (t !== undefined && t !== null) {
                latencies.push(now - t);
                if (++done === watchers * events) resolveAll();
              }
            }
          });
          res();
        });
        req.on('error', rej);
        req.end();
        reqs.push(req);
      }),
    );
  }
  await Promise.all(ready);
  await new Promise((r) => setTimeout(r, 500));
  const writer = new Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < events; i++) {
    const name = `ev-${i}`;
    sent.set(name, performance.now());
    const r = await httpCall(writer, base, 'POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ metadata: { name }, data: { i: String(i) } }));
    if (r.status !== 201) throw new Error(`bench: create configmap: ${r.status} ${r.body}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  await Promise.race([all, new Promise((r) => setTimeout(r, 30_000))]);
  agent.destroy();
  writer.destroy();
  return latencies;
}

export async function apiBench(opts: { quick?: boolean } = {}): Promise<{ rows: Row[]; ok: boolean }> {
  const pods = opts.quick ? 2_000 : 10_000;
  const watchers = opts.quick ? 200 : 1_000;
  const etcd = await startEtcd();
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-api-'));
  try {
    const raw = new Etcd3({ hosts: [etcd.endpoint] });
    const value = Buffer.alloc(1024, 'x');
    const ref = await closedLoop(CONCURRENCY, opts.quick ? 2_000 : 5_000, (i) => raw.put(`/raw/k${i}`).value(value).exec());
    raw.close();

    const server = await startServer(dir);
    try {
      const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
      // Warm up (JIT, lazily loaded code) in another namespace, as the etcd reference gets its warm-up put.
      await httpCall(agent, server.url, 'POST', '/api/v1/namespaces', JSON.stringify({ metadata: { name: 'warmup' } }));
      const load = await ConnectionPool.open(server.url, CONCURRENCY);
      await closedLoop(CONCURRENCY, opts.quick ? 1_000 : 3_000, async (i) => {
        const r = await load.request('POST', '/api/v1/namespaces/warmup/pods', podBody(`warm-${i}`));
        if (r.status !== 201) throw new Error(`bench: create pod: ${r.status} ${r.body}`);
      });
      const create = await closedLoop(CONCURRENCY, pods, async (i) => {
        const r = await load.request('POST', '/api/v1/namespaces/default/pods', podBody(`pod-${i}`));
        if (r.status !== 201) throw new Error(`bench: create pod: ${r.status} ${r.body}`);
      });
      load.close();
      const listTimes: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        const r = await httpCall(agent, server.url, 'GET', '/api/v1/namespaces/default/pods');
        listTimes.push(performance.now() - t);
        if (r.status !== 200 || (JSON.parse(r.body) as { items: unknown[] }).items.length !== pods) throw new Error('bench: list returned the wrong count');
      }
      const t0 = performance.now();
      let cont = '';
      let n = 0;
      do {
        const r = await httpCall(agent, server.url, 'GET', `/api/v1/namespaces/default/pods?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`, undefined, 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json');
        const t = JSON.parse(r.body) as { rows: unknown[]; metadata: { continue?: string } };
        n += t.rows.length;
        cont = t.metadata.continue ?? '';
      } while (cont);
      const pagedTable = performance.now() - t0;
      if (n !== pods) throw new Error(`bench: paged list saw ${n} pods`);
      agent.destroy();

      const lat = (await watchDelivery(server.url, watchers, opts.quick ? 20 : 50)).sort((a, b) => a - b);
      const ratio = (x: number) => `${fmt(x / ref.perSecond, 1)}×`;
      const createOk = create.perSecond >= 2 * ref.perSecond;
      const p99Ok = create.p99 <= 50;
      const watchOk = pct(lat, 0.99) <= 100;
      listTimes.sort((a, b) => a - b);
      const rows: Row[] = [
        { what: 'reference: raw etcd puts (etcd3 client, 64 writers, 1 KiB)', value: `${fmt(ref.perSecond)}/s, p99 ${fmt(ref.p99, 1)} ms`, ratio: '1.0×' },
        { what: `pod creates over HTTP keep-alive (64 clients, sqlite, ${fmt(pods)} pods)`, value: `${fmt(create.perSecond)}/s`, ratio: ratio(create.perSecond), target: '≥ 2× reference', ok: createOk },
        { what: 'pod create latency', value: `p50 ${fmt(create.p50, 1)} ms, p99 ${fmt(create.p99, 1)} ms`, target: 'p99 ≤ 50 ms', ok: p99Ok },
        { what: `LIST ${fmt(pods)} pods (consistent, JSON)`, value: `median ${fmt(pct(listTimes, 0.5))} ms` },
        { what: `LIST ${fmt(pods)} pods as kubectl does (Table, limit=500 pages)`, value: `${fmt(pagedTable)} ms` },
        { what: `watch event delivery to ${fmt(watchers)} watchers`, value: `p50 ${fmt(pct(lat, 0.5), 1)} ms, p99 ${fmt(pct(lat, 0.99), 1)} ms (${fmt(lat.length)} deliveries)`, target: 'p99 ≤ 100 ms', ok: watchOk },
      ];
      return { rows, ok: createOk && p99Ok && watchOk };
    } finally {
      await server.stop();
    }
  } finally {
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
