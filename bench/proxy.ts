// Service proxy benchmark (issue: nodes that run real workloads): HTTP requests/s and p99 over
// keep-alive connections through a ClusterIP of the service proxy versus straight to the pod IP, in
// the same run. The backend, like a pod, runs in its own process on a pod address; the proxy runs
// in its own process too (as in `skiff up`, beside the API server), so that the load generator
// does not share its CPU with it.
// Target: through the ClusterIP ≥ 70 % of the direct requests/s.
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { once } from 'node:events';
import { closedLoop, fmt, type LoadResult, type Row } from './harness.ts';

const POD_IP = '127.244.250.2';
const POD_PORT = 8080;
const CONCURRENCY = 32;

const BACKEND = `
const http = require('node:http');
const body = Buffer.from('ok');
http.createServer({ keepAliveTimeout: 60000 }, (req, res) => { req.resume(); req.on('end', () => { res.setHeader('Content-Length', body.length); res.end(body); }); })
  .listen(${POD_PORT}, '${POD_IP}', () => process.stdout.write('ready\\n'));
`;

function child(args: string[]): { proc: ChildProcess; line: Promise<string> } {
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const i = out.indexOf('\n');
      if (i >= 0) resolve(out.slice(0, i).trim());
    });
    proc.once('exit', (code) => reject(new Error(`bench: a helper process exited (${code}) before it was ready`)));
  });
  return { proc, line };
}

async function stop(proc: ChildProcess) {
  if (proc.exitCode !== null) return;
  proc.kill('SIGTERM');
  await once(proc, 'exit');
}

function get(agent: Agent, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ agent, host, port, path: '/', method: 'GET' }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

async function measure(host: string, port: number, total: number): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    await closedLoop(CONCURRENCY, Math.min(2_000, total), () => get(agent, host, port)); // warm-up
    return await closedLoop(CONCURRENCY, total, () => get(agent, host, port));
  } finally {
    agent.destroy();
  }
}

export async function proxyBench(opts: { quick?: boolean } = {}): Promise<{ rows: Row[]; ok: boolean }> {
  const total = opts.quick ? 10_000 : 50_000;
  const backend = child(['-e', BACKEND]);
  const proxy = child(['--import', 'tsx', new URL('./proxy-server.ts', import.meta.url).pathname, POD_IP, String(POD_PORT)]);
  try {
    await backend.line;
    const clusterIP = await proxy.line;
    // Alternate the two, twice, so that neither profits from running second.
    const direct: LoadResult[] = [];
    const viaProxy: LoadResult[] = [];
    for (let round = 0; round < 2; round++) {
      direct.push(await measure(POD_IP, POD_PORT, total / 2));
      viaProxy.push(await measure(clusterIP, 80, total / 2));
    }
    const merge = (rs: LoadResult[]) => ({ perSecond: rs.reduce((a, r) => a + r.ops, 0) / rs.reduce((a, r) => a + r.seconds, 0), p99: Math.max(...rs.map((r) => r.p99)) });
    const d = merge(direct);
    const p = merge(viaProxy);
    const ratio = p.perSecond / d.perSecond;
    const ok = ratio >= 0.7;
    const rows: Row[] = [
      { what: `direct to the pod IP: requests/s (${CONCURRENCY} keep-alive clients)`, value: fmt(d.perSecond), ratio: 'reference' },
      { what: 'direct to the pod IP: p99', value: `${fmt(d.p99, 2)} ms` },
      { what: 'through the ClusterIP: requests/s', value: fmt(p.perSecond), ratio: `${fmt(ratio * 100)} % of direct`, target: '≥ 70 % of direct', ok },
      { what: 'through the ClusterIP: p99', value: `${fmt(p.p99, 2)} ms`, ratio: `+${fmt(p.p99 - d.p99, 2)} ms` },
    ];
    return { rows, ok };
  } finally {
    await stop(proxy.proc);
    await stop(backend.proc);
  }
}
