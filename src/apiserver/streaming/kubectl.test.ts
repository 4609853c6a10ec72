// End-to-end: the real kubectl (1.29 SPDY, 1.30 SPDY port-forward, 1.32 WebSocket) against a tiny API server
// that routes pods/{exec,attach,portforward,log} to the streaming handlers with a fake StreamBackend.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server, IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createTcpServer, connect } from 'node:net';
import type { Server as TcpServer } from 'node:net';
import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { Readable } from 'node:stream';
import type { Duplex } from 'node:stream';
import { handleUpgrade, handleLogs } from './streaming.ts';
import type { StreamBackend } from './streaming.ts';
import type { ExecRequest, AttachRequest, LogsRequest } from './backend.ts';
import { isStatusError } from '../../machinery/errors.ts';

function findKubectl(minor: number): string | undefined {
  try {
    const dispatcher = realpathSync(execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim());
    const p = join(dirname(dispatcher), `kubectl.1.${minor}`);
    return existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

const k32 = findKubectl(32);
const k30 = findKubectl(30);
const k29 = findKubectl(29);
const MINORS = [27, 28, 29, 30, 31, 32, 33];
const skip = !k32 || !k29 || !k30 ? 'kubectl 1.29/1.30/1.32 not installed' : false;

const POD = {
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: { name: 'p1', namespace: 'default', uid: 'u-p1', resourceVersion: '1' },
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] },
  status: { phase: 'Running', containerStatuses: [{ name: 'c', ready: true, state: { running: {} } }] },
};

const RESOURCES = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: 'v1',
  resources: [
    { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'], shortNames: ['po'] },
    { name: 'pods/attach', singularName: '', namespaced: true, kind: 'PodAttachOptions', verbs: ['create', 'get'] },
    { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] },
    { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
    { name: 'pods/portforward', singularName: '', namespaced: true, kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
  ],
};

/** What the fake node saw, for assertions. */
const seen: { exec: ExecRequest[]; logs: LogsRequest[]; resizes: { width: number; height: number }[]; forwards: number[] } = {
  exec: [],
  logs: [],
  resizes: [],
  forwards: [],
};

let echo: TcpServer;
let echoPort = 0;

const backend: StreamBackend = {
  exec(req) {
    seen.exec.push(req);
    req.resize?.((s) => seen.resizes.push(s));
    return new Promise((resolve, reject) => {
      const child = spawn(req.command[0]!, req.command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
      child.on('error', reject);
      if (req.stdin) req.stdin.pipe(child.stdin);
      else child.stdin.end();
      child.stdin.on('error', () => {});
      child.stdout.on('data', (d: Buffer) => req.stdout?.write(d));
      child.stderr.on('data', (d: Buffer) => (req.stderr ?? req.stdout)?.write(d));
      child.on('close', (code) => resolve({ exitCode: code ?? 1 }));
    });
  },
  attach(req: AttachRequest) {
    return new Promise((resolve) => {
      req.stdout?.write('attached\n');
      if (!req.stdin) return resolve({});
      req.stdin.on('data', (d: Buffer) => req.stdout?.write(d.toString().toUpperCase()));
      req.stdin.on('end', () => resolve({ exitCode: 0 }));
    });
  },
  portForward(req) {
    seen.forwards.push(req.port);
    if (req.port !== 8080) return Promise.reject(new Error(`dial tcp 127.244.0.5:${req.port}: connect: connection refused`));
    return new Promise<Duplex>((resolve, reject) => {
      const s = connect(echoPort, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
  },
  async logs(req) {
    seen.logs.push(req);
    const lines = ['line 1\n', 'line 2\n', 'line 3\n'];
    return Readable.from(req.tailLines !== undefined ? lines.slice(-req.tailLines) : lines);
  },
};

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

const POD_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)(?:\/(exec|attach|portforward|log))?$/;

async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const path = url.pathname;
  if (path === '/version') return send(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.5' });
  if (path === '/api') return send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
  if (path === '/apis') return send(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
  if (path === '/api/v1') return send(res, 200, RESOURCES);
  const m = POD_PATH.exec(path);
  if (m && m[2] === 'p1' && !m[3]) return send(res, 200, POD);
  if (m && m[2] === 'p1' && m[3] === 'log') {
    try {
      const { stream } = await handleLogs({ namespace: m[1]!, pod: m[2]!, query: url.searchParams, podObject: POD }, backend);
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      stream.pipe(res);
    } catch (e) {
      if (isStatusError(e)) return send(res, e.code, e.status);
      throw e;
    }
    return;
  }
  if (m && m[3]) return send(res, 400, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 400, reason: 'BadRequest', message: 'Upgrade request required' });
  return send(res, 404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404, message: `${path} not found` });
}

let server: Server;
let port = 0;
let dir = '';
/** Upgrades the server saw: "<method> <upgrade> <kind>". */
const upgrades: string[] = [];

before(async () => {
  echo = createTcpServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoPort = (echo.address() as { port: number }).port;
  server = createServer((req, res) => void onRequest(req, res));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = POD_PATH.exec(url.pathname);
    const kind = m?.[3];
    upgrades.push(`${req.method} ${String(req.headers.upgrade)} ${kind}`);
    if (!m || (kind !== 'exec' && kind !== 'attach' && kind !== 'portforward')) return socket.destroy();
    void handleUpgrade(req, socket, head, { kind, namespace: m[1]!, pod: m[2]!, query: url.searchParams, podObject: POD }, backend);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
  dir = mkdtempSync(join(tmpdir(), 'streaming-kubectl-'));
  writeFileSync(
    join(dir, 'config'),
    `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}"}}]\n` +
      'contexts: [{name: c, context: {cluster: c, user: u, namespace: default}}]\ncurrent-context: c\nusers: [{name: u, user: {}}]\n',
  );
});

after(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await new Promise((r) => echo?.close(r));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function kubectlProcess(bin: string, args: string[]): ChildProcess {
  return spawn(bin, [`--kubeconfig=${join(dir, 'config')}`, `--cache-dir=${join(dir, 'cache')}`, ...args], {
    env: { ...process.env, HOME: dir },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

async function kubectl(bin: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = kubectlProcess(bin, args);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  if (input !== undefined) child.stdin!.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? -1)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

function lastUpgrades(n: number): string[] {
  return upgrades.slice(-n);
}

test('kubectl 1.32 exec runs over WebSocket v5', { skip }, async () => {
  const r = await kubectl(k32!, ['exec', 'p1', '--', 'echo', 'hi']);
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, 'hi\n');
  assert.equal(r.code, 0);
  assert.deepEqual(lastUpgrades(1), ['GET websocket exec']);
  const req = seen.exec.at(-1)!;
  assert.deepEqual([req.namespace, req.pod, req.container, req.command, req.tty], ['default', 'p1', 'c', ['echo', 'hi'], false]);
});

test('kubectl 1.29 exec runs over SPDY/3.1', { skip }, async () => {
  const r = await kubectl(k29!, ['exec', 'p1', '--', 'sh', '-c', 'echo out; echo err >&2']);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
  assert.equal(r.code, 0);
  assert.deepEqual(lastUpgrades(1), ['POST SPDY/3.1 exec']);
});

test('a non-zero exit status becomes kubectl\'s exit code (WebSocket and SPDY)', { skip }, async () => {
  for (const bin of [k32!, k29!]) {
    const r = await kubectl(bin, ['exec', 'p1', '--', 'sh', '-c', 'echo partial; exit 3']);
    assert.equal(r.stdout, 'partial\n');
    assert.equal(r.code, 3);
    assert.match(r.stderr, /command terminated with exit code 3/);
  }
});

test('exec -i passes stdin through and ends it at EOF (WebSocket and SPDY)', { skip }, async () => {
  for (const bin of [k32!, k29!]) {
    const r = await kubectl(bin, ['exec', '-i', 'p1', '--', 'sh', '-c', 'tr a-z A-Z; echo done'], 'hello\nworld\n');
    assert.equal(r.stdout, 'HELLO\nWORLD\ndone\n');
    assert.equal(r.code, 0);
  }
});

test('exec of a command the node cannot start reports the error', { skip }, async () => {
  const r = await kubectl(k32!, ['exec', 'p1', '--', '/nonexistent/binary']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /ENOENT/);
});

test('exec -it under a pseudo-terminal sends the terminal size (WebSocket and SPDY)', { skip }, async () => {
  for (const bin of [k32!, k29!]) {
    const execs = seen.exec.length;
    const resizes = seen.resizes.length;
    const cmd = `${bin} --kubeconfig=${join(dir, 'config')} --cache-dir=${join(dir, 'cache')} exec -it p1 -- sh -c 'read l; echo got:$l'`;
    // `script` gives kubectl a terminal; what we write to script's stdin is typed into it.
    const child = spawn('script', ['-qec', `stty cols 91 rows 33; ${cmd}`, '/dev/null'], { env: { ...process.env, HOME: dir }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    const closed = new Promise<number>((r) => child.on('close', (c) => r(c ?? -1)));
    const deadline = Date.now() + 15_000;
    while (seen.exec.length === execs || seen.resizes.length === resizes) {
      if (Date.now() > deadline || child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.stdin.write('hello\n');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await closed;
    clearTimeout(timer);
    assert.equal(code, 0, out);
    assert.match(out, /got:hello/);
    assert.equal(seen.exec.at(-1)!.tty, true);
    assert.equal(seen.exec.at(-1)!.stderr, undefined, 'a TTY carries no separate stderr');
    assert.deepEqual(seen.resizes.at(-1), { width: 91, height: 33 });
  }
});

test('attach -i over WebSocket and SPDY', { skip }, async () => {
  for (const bin of [k32!, k29!]) {
    const r = await kubectl(bin, ['attach', '-i', 'p1', '-c', 'c'], 'abc\n');
    assert.match(r.stdout, /attached\n/);
    assert.match(r.stdout, /ABC\n/);
    assert.equal(r.code, 0);
  }
});

async function portForward(bin: string, expectUpgrade: string): Promise<void> {
  const child = kubectlProcess(bin, ['port-forward', 'p1', '0:8080', '0:9999']);
  try {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d));
    const deadline = Date.now() + 15_000;
    const ports: number[] = [];
    while (ports.length < 2) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`port-forward did not start: ${out} ${err}`);
      ports.splice(0, ports.length, ...[...out.matchAll(/Forwarding from 127\.0\.0\.1:(\d+) -> \d+/g)].map((x) => Number(x[1])));
      await new Promise((r) => setTimeout(r, 20));
    }
    // Two connections in turn through the same session, each echoed and half-closed cleanly.
    for (const msg of ['hello through the tunnel', 'second connection']) {
      const got = await new Promise<string>((resolve, reject) => {
        const s = connect(ports[0]!, '127.0.0.1', () => s.end(msg));
        let data = '';
        s.on('data', (d: Buffer) => (data += d));
        s.on('end', () => resolve(data));
        s.on('error', reject);
      });
      assert.equal(got, msg);
    }
    // A port the pod does not listen on: the connection closes and kubectl reports the node's error.
    await new Promise<void>((resolve) => {
      const s = connect(ports[1]!, '127.0.0.1');
      s.on('close', () => resolve());
      s.on('error', () => {});
      s.resume();
    });
    while (!/connection refused/.test(err)) {
      if (Date.now() > deadline) throw new Error(`no error reported: ${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(upgrades.includes(expectUpgrade), `${expectUpgrade} in ${upgrades.join(', ')}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.on('close', r)));
  }
}

test('kubectl 1.31+ port-forward tunnels SPDY inside a WebSocket; 1.27–1.30 speak SPDY/3.1', { skip }, async () => {
  for (const minor of MINORS) {
    const bin = findKubectl(minor);
    if (!bin) continue;
    await portForward(bin, minor >= 31 ? 'GET websocket portforward' : 'POST SPDY/3.1 portforward');
  }
});

test('every kubectl 1.27–1.33 execs with stdin and propagates the exit code', { skip }, async () => {
  for (const minor of MINORS) {
    const bin = findKubectl(minor);
    if (!bin) continue;
    const r = await kubectl(bin, ['exec', '-i', 'p1', '--', 'sh', '-c', 'cat; exit 5'], `from 1.${minor}\n`);
    assert.equal(r.stdout, `from 1.${minor}\n`);
    assert.equal(r.code, 5, `1.${minor}: ${r.stderr}`);
    // 1.27–1.29 exec over SPDY; 1.30+ over WebSocket first.
    assert.deepEqual(lastUpgrades(1), [minor >= 30 ? 'GET websocket exec' : 'POST SPDY/3.1 exec']);
  }
});

test('kubectl logs, logs --tail and logs -f', { skip }, async () => {
  let r = await kubectl(k32!, ['logs', 'p1']);
  assert.equal(r.stdout, 'line 1\nline 2\nline 3\n');
  assert.equal(r.code, 0);
  r = await kubectl(k32!, ['logs', 'p1', '--tail=1', '--timestamps']);
  assert.equal(r.stdout, 'line 3\n');
  assert.deepEqual([seen.logs.at(-1)!.tailLines, seen.logs.at(-1)!.timestamps, seen.logs.at(-1)!.container], [1, true, 'c']);
  r = await kubectl(k32!, ['logs', '-f', 'p1', '--since=5s']);
  assert.equal(r.stdout, 'line 1\nline 2\nline 3\n');
  assert.deepEqual([seen.logs.at(-1)!.follow, seen.logs.at(-1)!.sinceSeconds], [true, 5]);
  r = await kubectl(k32!, ['logs', 'p1', '-c', 'nope']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /container nope is not valid for pod p1/);
});
