// kwok's scale gate for simulated nodes: wall time for N nodes Ready, M pods Running and M pods
// deleted, seen through a watch (an informer), against an in-process API server.
//   node --import tsx src/kubelet/runtime/sim/gate.ts [--nodes 5000] [--pods 10000] [--storage memory|sqlite]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ApiServer } from '../../../apiserver/server.ts';
import { KubeClient } from '../../../client/client.ts';
import { InProcessTransport } from '../../../client/inprocess.ts';
import { InformerFactory } from '../../../client/informer.ts';
import type { Obj } from '../../../client/types.ts';
import type { Backend } from '../../../storage/backend.ts';
import { MemoryBackend } from '../../../storage/memory/memory.ts';
import { SimNodePool } from './pool.ts';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '5000' },
    pods: { type: 'string', default: '10000' },
    storage: { type: 'string', default: 'memory' },
    concurrency: { type: 'string', default: '64' },
  },
});
const N = Number(values.nodes);
const M = Number(values.pods);
const C = Number(values.concurrency);

/** Records a CPU profile until the returned function is called (GATE_PROFILE_DELETE=file). */
async function startProfile(): Promise<() => Promise<void>> {
  const { Session } = await import('node:inspector');
  const { writeFileSync } = await import('node:fs');
  const s = new Session();
  s.connect();
  const post = (m: string, p?: object) => new Promise<any>((res, rej) => s.post(m, p ?? {}, (e, r) => (e ? rej(e) : res(r))));
  await post('Profiler.enable');
  await post('Profiler.start');
  return async () => {
    const { profile } = await post('Profiler.stop');
    writeFileSync(process.env.GATE_PROFILE_DELETE!, JSON.stringify(profile));
    s.disconnect();
  };
}

async function inParallel(count: number, limit: number, fn: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) {
        await fn(next++);
        // Give the event loop a turn, as requests arriving over sockets would.
        await new Promise((r) => setImmediate(r));
      }
    }),
  );
}

function waitFor(cond: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const tick = () => (cond() ? resolve() : setTimeout(tick, 5));
    tick();
  });
}

let dir: string | undefined;
let storage: Backend;
if (values.storage === 'sqlite') {
  const { SqliteBackend } = await import('../../../storage/sqlite/sqlite.ts');
  dir = mkdtempSync(join(tmpdir(), 'skiff-gate-'));
  storage = new SqliteBackend({ path: join(dir, 'state.db') });
} else storage = new MemoryBackend();

const api = new ApiServer({ storage, port: 0 });
await api.start();
const admin = { username: 'system:admin', groups: ['system:masters'] };
const client = new KubeClient(new InProcessTransport(api, admin));
// The pool's own client, counting its requests by verb and outcome.
const counts = new Map<string, number>();
const inner = new InProcessTransport(api, admin);
const poolClient = new KubeClient({
  request: async (req) => {
    const res = await inner.request(req);
    const k = `${req.method} ${req.path.split('?')[0]!.split('/').slice(-1)[0] === 'status' ? 'status' : req.path.split('/')[3] ?? ''} ${res.status}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
    return res;
  },
  watch: (req) => inner.watch(req),
});
const errors = new Map<string, number>();

// The observer: its own informers, as a test harness watching the cluster.
const watcher = new InformerFactory(client);
const nodeInf = watcher.informer('', 'nodes');
const podInf = watcher.informer('', 'pods');
let readyNodes = 0;
let runningPods = 0;
const isReady = (n: Obj) => n.status?.conditions?.some((c: Obj) => c.type === 'Ready' && c.status === 'True') === true;
nodeInf.addEventHandler({ add: (n) => void (isReady(n) && readyNodes++), update: (o, n) => void (readyNodes += Number(isReady(n)) - Number(isReady(o))) });
const running = (p: Obj) => p.status?.phase === 'Running';
podInf.addEventHandler({
  add: (p) => void (running(p) && runningPods++),
  update: (o, p) => void (runningPods += Number(running(p)) - Number(running(o))),
  delete: (p) => void (running(p) && runningPods--),
});
watcher.start();
await watcher.synced();

const pool = new SimNodePool(poolClient, new InformerFactory(poolClient), {
  concurrency: C,
  onError: (what, e) => void errors.set(`${what.split(' ').slice(0, 2).join(' ')}: ${(e as Error).message.slice(0, 60)}`, (errors.get(what) ?? 0) + 1),
});
await pool.start();

let cpu0 = process.cpuUsage();
const mem = () => {
  const c = process.cpuUsage(cpu0);
  cpu0 = process.cpuUsage();
  const leases = counts.get('PUT v1 200') ?? 0;
  return `${((c.user + c.system) / 1e6).toFixed(2)} s CPU, ${Math.round(process.memoryUsage().rss / 1e6)} MB RSS${process.env.GATE_VERBOSE ? `, ${leases} lease renewals so far` : ''}`;
};
let t = performance.now();
mem();
await inParallel(N, C, (i) => pool.addNode({ name: `sim-${i}`, cpu: 32, memory: '256Gi', pods: 110 }));
await waitFor(() => readyNodes >= N);
const nodesMs = performance.now() - t;
console.log(`${N} nodes Ready: ${(nodesMs / 1000).toFixed(2)} s (${mem()})`);

const pods = client.pods('default');
t = performance.now();
await inParallel(M, C, (i) =>
  pods.create({ metadata: { name: `pod-${i}`, labels: { app: 'gate' } }, spec: { nodeName: `sim-${i % N}`, containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] } }),
);
const createdMs = performance.now() - t;
await waitFor(() => runningPods >= M);
const runMs = performance.now() - t;
console.log(`${M} pods Running: ${(runMs / 1000).toFixed(2)} s (creates done at ${(createdMs / 1000).toFixed(2)} s; ${mem()})`);

const profiling = process.env.GATE_PROFILE_DELETE ? await startProfile() : undefined;
t = performance.now();
await inParallel(M, C, (i) => pods.delete(`pod-${i}`));
await waitFor(() => podInf.size === 0);
const delMs = performance.now() - t;
if (profiling) await profiling();
console.log(`${M} pods deleted: ${(delMs / 1000).toFixed(2)} s (${mem()})`);

if (process.env.GATE_VERBOSE) console.log('pool requests:', Object.fromEntries(counts), 'errors:', Object.fromEntries(errors));
pool.stop();
watcher.stop();
await api.stop();
await storage.close();
if (dir) rmSync(dir, { recursive: true, force: true });
process.exit(0);
