// Simulated-node benchmark (issue: control loops), shaped like kwok's scale gate: the whole local
// cluster `skiff up` runs (LocalCluster: sqlite in a temp dir, API server with admission, every
// controller, the scheduler, the sim node pool), then wall time for N simulated nodes Ready, M pods
// Running and the M pods deleted, each seen through a watch (an observer's informers, as kwok's
// benchmark polls kubectl). kwok's benchmark pins its pods to a node with spec.nodeName; here the
// pods are created by 64 workers without a node, so the scheduler is in the measured path.
// The cluster runs in a child process (as the api suite's server does), so whatever it leaves
// running cannot slow the suites after it. References: kwok's published gate (anchors.md): 5,000
// nodes Ready < 60 s, 10,000 pods Running < 60 s, 10,000 pods deleted < 90 s.
// Targets: nodes Ready ≤ 10 s, pods Running ≤ 10 s.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster } from '../src/cluster/cluster.ts';
import { InformerFactory } from '../src/client/informer.ts';
import type { Obj } from '../src/client/types.ts';
import { fmt, type Row } from './harness.ts';
import { apiErrors, inParallel, profilePhase, usage, waitUntil } from './loops.ts';

const CREATORS = 64;
const NS = 'kwok-bench';

interface Phase {
  ok: boolean;
  seconds: number;
  /** How far it got (nodes Ready, pods Running, pods left). */
  count: number;
  use: string;
  /** Pod phase: when the last create returned. */
  createdAt?: number;
}

interface GateResult {
  nodes: Phase;
  pods: Phase;
  deleted: Phase;
  errors: string;
}

const isReady = (n: Obj) => n.status?.conditions?.some((c: Obj) => c.type === 'Ready' && c.status === 'True') === true;
const isRunning = (p: Obj) => p.status?.phase === 'Running';

/** The measurement itself, in the child process. */
async function gate(dir: string, N: number, M: number): Promise<GateResult> {
  const cluster = new LocalCluster({ dataDir: dir, host: '127.0.0.1', port: 0 });
  await cluster.start();
  const client = cluster.client;
  await client.resource('', 'namespaces').create({ metadata: { name: NS } });

  const watch = new InformerFactory(client);
  const nodeInf = watch.informer('', 'nodes');
  const podInf = watch.informer('', 'pods');
  let ready = 0;
  let running = 0;
  nodeInf.addEventHandler({ add: (n) => void (ready += Number(isReady(n))), update: (o, n) => void (ready += Number(isReady(n)) - Number(isReady(o))), delete: (n) => void (ready -= Number(isReady(n))) });
  podInf.addEventHandler({
    add: (p) => void (running += Number(isRunning(p))),
    update: (o, p) => void (running += Number(isRunning(p)) - Number(isRunning(o))),
    delete: (p) => void (running -= Number(isRunning(p))),
  });
  watch.start();
  await watch.synced();
  const use = usage();

  // 1. N simulated nodes: each registers its Node and Lease and reports Ready.
  let profiled = await profilePhase('kwok-nodes');
  let t = performance.now();
  await inParallel(N, CREATORS, (i) => cluster.sim.addNode({ name: `kwok-node-${i}`, cpu: '32', memory: '256Gi', pods: 110 }));
  let ok = await waitUntil(() => ready >= N, 120_000);
  const nodes: Phase = { ok, seconds: (performance.now() - t) / 1000, count: ready, use: use() };
  await profiled();

  // 2. M pods, no node named: the scheduler binds them, the sim nodes run them.
  profiled = await profilePhase('kwok-pods');
  t = performance.now();
  const pods = client.pods(NS);
  // The creators check each answer's status and do not parse it: kwok's kubectl parses its
  // answers in a process of its own, not on the API server's thread as these creators would.
  await inParallel(M, CREATORS, async (i) => {
    const pod = { metadata: { name: `fake-pod-${i}`, labels: { app: 'fake-pod' } }, spec: { containers: [{ name: 'fake-container', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] } };
    const res = await client.transport.request({ method: 'POST', path: `/api/v1/namespaces/${NS}/pods`, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(pod) });
    if (res.status !== 201) throw new Error(`bench: creating pod ${i}: ${res.status} ${res.body.toString('utf8')}`);
  });
  const createdAt = (performance.now() - t) / 1000;
  ok = await waitUntil(() => running >= M, 180_000);
  const podsPhase: Phase = { ok, seconds: (performance.now() - t) / 1000, count: running, use: use(), createdAt };
  await profiled();

  // 3. Delete them (default grace period): the nodes stop the containers and remove the pods.
  profiled = await profilePhase('kwok-delete');
  t = performance.now();
  await inParallel(M, CREATORS, (i) => pods.delete(`fake-pod-${i}`));
  ok = await waitUntil(() => podInf.list(NS).length === 0, 180_000);
  const deleted: Phase = { ok, seconds: (performance.now() - t) / 1000, count: podInf.list(NS).length, use: use() };
  await profiled();
  return { nodes, pods: podsPhase, deleted, errors: await apiErrors(cluster.api) };
}

function runChild(dir: string, N: number, M: number): Promise<GateResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), dir, String(N), String(M)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15 * 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line) as GateResult);
      else reject(new Error(`bench: the kwok gate exited with ${code} and no result`));
    });
  });
}

export async function kwokBench(opts: { quick?: boolean } = {}): Promise<{ rows: Row[]; ok: boolean }> {
  const N = opts.quick ? 500 : 5_000;
  const M = opts.quick ? 1_000 : 10_000;
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-kwok-'));
  let r: GateResult;
  try {
    r = await runChild(dir, N, M);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // kwok's limits are for the full sizes; a quick run has nothing to compare with.
  const vs = (limit: number, s: number) => (opts.quick ? '' : `${fmt(limit / s, 1)}× faster than kwok's limit`);
  const nodesMet = r.nodes.ok && r.nodes.seconds <= 10;
  const podsMet = r.pods.ok && r.pods.seconds <= 10;
  const rows: Row[] = [
    {
      what: "reference: kwok's gate (anchors.md): 5,000 nodes Ready < 60 s, 10,000 pods Running < 60 s, 10,000 pods deleted < 90 s",
      value: 'LocalCluster as `skiff up` runs it (sqlite in a temp dir, all controllers; the scheduler and the simulated nodes on threads of their own); observed through a watch',
      ratio: '1.0×',
    },
    {
      what: `${fmt(N)} simulated nodes Ready`,
      value: r.nodes.ok ? `${fmt(r.nodes.seconds, 2)} s (${r.nodes.use})` : `**timed out: ${fmt(r.nodes.count)} of ${fmt(N)} Ready after ${fmt(r.nodes.seconds)} s**`,
      ratio: vs(60, r.nodes.seconds),
      target: '≤ 10 s',
      ok: nodesMet,
    },
    {
      what: `${fmt(M)} pods Running (created by 64 workers without a node; scheduler included)`,
      value: r.pods.ok
        ? `${fmt(r.pods.seconds, 2)} s (creates done at ${fmt(r.pods.createdAt ?? 0, 2)} s; ${r.pods.use})`
        : `**timed out: ${fmt(r.pods.count)} of ${fmt(M)} Running after ${fmt(r.pods.seconds)} s**`,
      ratio: vs(60, r.pods.seconds),
      target: '≤ 10 s',
      ok: podsMet,
    },
    {
      what: `${fmt(M)} pods deleted (default grace period) until gone`,
      value: r.deleted.ok ? `${fmt(r.deleted.seconds, 2)} s (${r.deleted.use})` : `**timed out: ${fmt(r.deleted.count)} pods left after ${fmt(r.deleted.seconds)} s**`,
      ratio: vs(90, r.deleted.seconds),
    },
  ];
  if (r.errors) rows.push({ what: 'API error responses during the run (other than 404)', value: r.errors });
  return { rows, ok: nodesMet && podsMet && r.deleted.ok };
}

// The child: `node --import tsx bench/kwok.ts DIR NODES PODS` prints one JSON line and exits
// without waiting for the cluster to wind down (the parent removes DIR).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [dir, n, m] = process.argv.slice(2);
  const result = await gate(dir!, Number(n), Number(m));
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}
