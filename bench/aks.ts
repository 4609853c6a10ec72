// Managed-cluster benchmark (issue: AKS on your own machine): the management service runs as a
// user runs it (`skiff aks serve` in a child process, ARM over HTTPS with its bearer token), and
// this process drives it as az does — PUT the managedCluster, poll its async operation — timing
// `aks create` to Succeeded (which the service reports only once every node is Ready; checked
// afterwards through the cluster's own API with the admin credentials):
//   - a 3-node cluster on process-runtime nodes and on simulated nodes (target ≤ 3 s each),
//     and the same through the `skiff aks create` CLI (includes the CLI's start and its 250 ms polls);
//   - a 1,000-node simulated pool (target ≤ 10 s, as the kwok suite's 5,000 sim nodes), with the
//     service's RSS;
//   - 10 idle clusters (3 sim nodes each, add-ons running) in one service: the service's RSS delta
//     (target ≤ 64 MiB per cluster).
// Reference: real AKS takes minutes to create a cluster (typically 5–10); there is no figure to
// beat, so the rows print the raw numbers beside the targets.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArmClient } from '../src/cli/aks/client.ts';
import { readEndpoint } from '../src/aks/endpoint.ts';
import { fmt, type Row } from './harness.ts';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'skiff');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resident set of a process, in MiB (Linux /proc). */
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Ready nodes of a cluster, counted through its API server with the admin kubeconfig. */
async function readyNodes(arm: ArmClient, rg: string, name: string): Promise<{ total: number; ready: number }> {
  const cred = await arm.call('POST', `${arm.clusterPath(rg, name)}/listClusterAdminCredential`);
  const kc = Buffer.from((cred.body as any).kubeconfigs[0].value, 'base64').toString('utf8');
  const field = (k: string) => new RegExp(`${k}: (\\S+)`).exec(kc)?.[1] ?? '';
  const b64 = (k: string) => Buffer.from(field(k), 'base64').toString('utf8');
  const server = field('server');
  const body = await new Promise<string>((resolve, reject) => {
    const req = httpsRequest(`${server}/api/v1/nodes`, { ca: b64('certificate-authority-data'), cert: b64('client-certificate-data'), key: b64('client-key-data') }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`GET nodes: HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
  const items = JSON.parse(body).items as any[];
  const ready = items.filter((n) => (n.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True')).length;
  return { total: items.length, ready };
}

/** `skiff aks serve` on a fresh data dir, and an ARM client for it. */
async function startService(): Promise<{ arm: ArmClient; pid: number; dir: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-aks-'));
  let log = '';
  const serve: ChildProcess = spawn(bin, ['aks', 'serve', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  serve.stdout!.on('data', (b) => (log += b));
  serve.stderr!.on('data', (b) => (log += b));
  const stop = async () => {
    if (serve.exitCode === null) {
      const done = new Promise((r) => serve.once('exit', r));
      serve.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([done, new Promise((r) => (timer = setTimeout(r, 30_000)))]);
      clearTimeout(timer);
      if (serve.exitCode === null) serve.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  while (!existsSync(join(dir, 'aks', 'endpoint.json'))) {
    if (serve.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`bench: skiff aks serve did not start: ${log}`);
    }
    await sleep(50);
  }
  const arm = new ArmClient(readEndpoint(dir)!, { pollMs: 20 });
  await arm.call('PUT', arm.groupPath('bench'), { location: 'eastus' }, '2022-09-01');
  return { arm, pid: serve.pid!, dir, stop };
}

/** PUT → operation Succeeded, in seconds; then checks that every node is Ready. */
async function create(arm: ArmClient, name: string, count: number, runtime: 'process' | 'sim'): Promise<number> {
  const t0 = performance.now();
  await arm.lro('PUT', arm.clusterPath('bench', name), {
    location: 'eastus',
    properties: { agentPoolProfiles: [{ name: 'nodepool1', count, vmSize: 'Standard_DS2_v2', mode: 'System', nodeRuntime: runtime }] },
  });
  const s = (performance.now() - t0) / 1000;
  const n = await readyNodes(arm, 'bench', name);
  if (n.total !== count || n.ready !== count) throw new Error(`bench: ${name} Succeeded with ${n.ready}/${n.total} nodes Ready, expected ${count}`);
  return s;
}

const remove = (arm: ArmClient, name: string) => arm.lro('DELETE', arm.clusterPath('bench', name), undefined);

export async function aksBench(opts: { quick?: boolean } = {}): Promise<{ rows: Row[]; ok: boolean }> {
  const bigPool = opts.quick ? 200 : 1000;
  const idle = opts.quick ? 3 : 10;
  const rows: Row[] = [{ what: 'reference: real AKS `az aks create` (3 nodes) to Succeeded', value: 'minutes (typically 5–10)', ratio: '1.0×' }];
  let ok = true;
  const row = (what: string, seconds: number, target: number, extra = '') => {
    const met = seconds <= target;
    ok &&= met;
    rows.push({ what, value: `${fmt(seconds, 2)} s${extra}`, ratio: `${fmt(300 / seconds, 0)}× faster than 5 min`, target: `≤ ${target} s`, ok: met });
  };

  let svc = await startService();
  try {
    const { arm, pid, dir } = svc;
    // The first create also loads the cluster code into the service: a warm-up, not measured.
    await create(arm, 'warmup', 1, 'sim');
    await remove(arm, 'warmup');

    row('`aks create`, 3 nodes on the process runtime, PUT → Succeeded with every node Ready', await create(arm, 'proc3', 3, 'process'), 3);
    await remove(arm, 'proc3');
    row('`aks create`, 3 simulated nodes, PUT → Succeeded with every node Ready', await create(arm, 'sim3', 3, 'sim'), 3);
    await remove(arm, 'sim3');

    // As a user sees it: the CLI process (tsx start, ARM calls, its 250 ms polling) to its exit.
    const t0 = performance.now();
    const cli = await new Promise<{ code: number; err: string }>((resolve) =>
      execFile(bin, ['aks', 'create', '-g', 'bench', '-n', 'cli3', '--node-count', '3', '--generate-ssh-keys', '-o', 'none'], { env: { ...process.env, SKIFF_HOME: dir } }, (e, _o, err) => resolve({ code: e ? 1 : 0, err })),
    );
    if (cli.code !== 0) throw new Error(`bench: skiff aks create failed: ${cli.err}`);
    const cliSeconds = (performance.now() - t0) / 1000;
    const cliNodes = await readyNodes(arm, 'bench', 'cli3');
    if (cliNodes.ready !== 3) throw new Error(`bench: cli3 has ${cliNodes.ready} Ready nodes`);
    rows.push({ what: '`skiff aks create -n cli3 --node-count 3` (process runtime), command start → exit', value: `${fmt(cliSeconds, 2)} s`, ratio: `${fmt(300 / cliSeconds, 0)}× faster than 5 min` });
    await remove(arm, 'cli3');

    const big = await create(arm, 'big', bigPool, 'sim');
    row(`\`aks create\` with a ${fmt(bigPool)}-node simulated pool, PUT → Succeeded with every node Ready`, big, 10, `; service RSS ${fmt(rssMiB(pid))} MiB`);
    await remove(arm, 'big');
  } finally {
    await svc.stop();
  }

  // Idle clusters, in a fresh service: its RSS empty, with one cluster (which also loads the
  // cluster code), and with N clusters of 3 sim nodes that have settled.
  svc = await startService();
  try {
    const { arm, pid } = svc;
    await sleep(1000);
    const rss0 = rssMiB(pid);
    await create(arm, 'idle0', 3, 'sim');
    await sleep(5000);
    const rss1 = rssMiB(pid);
    for (let i = 1; i < idle; i++) await create(arm, `idle${i}`, 3, 'sim');
    await sleep(10_000);
    const rssN = rssMiB(pid);
    const per = (rssN - rss1) / (idle - 1);
    const perOk = per <= 64;
    ok &&= perOk;
    rows.push({
      what: `${idle} idle clusters (3 sim nodes each, add-ons running) in one service: RSS empty → 1 cluster → ${idle}`,
      value: `${fmt(rss0)} → ${fmt(rss1)} → ${fmt(rssN)} MiB: +${fmt(rssN - rss0)} MiB in all, ${fmt(per, 1)} MiB per further cluster`,
      target: '≤ 64 MiB per cluster',
      ok: perOk,
    });
  } finally {
    await svc.stop();
  }
  return { rows, ok };
}
