// exec, logs and port-forward through the real API server with the real kubectl (1.32 over
// WebSocket, 1.29 over SPDY): the server authorizes the upgrade, checks the pod, and hands the
// stream to its node-agent backend (a stand-in here that runs real processes and sockets).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, connect, type Server } from 'node:net';
import { Readable, type Duplex } from 'node:stream';
import { TestCluster } from './harness.ts';
import type { StreamBackend } from '../streaming/streaming.ts';

const backend: StreamBackend = {
  exec: (req) =>
    new Promise((resolve) => {
      const p = spawn(req.command[0]!, req.command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
      if (req.stdin) req.stdin.pipe(p.stdin!);
      else p.stdin!.end();
      if (req.stdout) p.stdout!.pipe(req.stdout, { end: false });
      if (req.stderr) p.stderr!.pipe(req.stderr, { end: false });
      p.on('close', (code) => resolve({ exitCode: code ?? 1 }));
    }),
  attach: async () => ({ exitCode: 0 }),
  portForward: async (req) => connect(req.port, '127.0.0.1') as Duplex,
  logs: async (req) => Readable.from([`log of ${req.namespace}/${req.pod}/${req.container}\n`, 'second line\n']),
};

let c: TestCluster;
let echo: Server;
let echoPort: number;

before(async () => {
  c = await TestCluster.start();
  c.api.streamBackend = backend;
  echo = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoPort = (echo.address() as { port: number }).port;
  await c.ok(['create', '-f', '-'], {
    stdin: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1' }, spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'x' }] } }),
  });
  await c.ok(['create', '-f', '-'], { stdin: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pending' }, spec: { containers: [{ name: 'app', image: 'x' }] } }) });
  // kubectl exec and port-forward want a Running pod.
  const pod = await c.getJSON(['pod', 'p1']);
  await fetch(`${c.url}/api/v1/namespaces/default/pods/p1/status`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ ...pod, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }),
  });
});
after(async () => {
  echo.close();
  await c.stop();
});

describe('streaming through the API server', () => {
  it('kubectl exec runs a command and passes its exit code (1.32 WebSocket, 1.29 SPDY)', async () => {
    const out = await c.kubectl(['exec', 'p1', '--', 'sh', '-c', 'echo hi; echo oops >&2; exit 3']);
    assert.equal(out.code, 3, out.stderr);
    assert.equal(out.stdout, 'hi\n');
    assert.match(out.stderr, /oops/);
    const spdy = await c.kubectl(['exec', 'p1', '--', 'echo', 'over spdy'], { version: '1.29' });
    assert.equal(spdy.code, 0, spdy.stderr);
    assert.equal(spdy.stdout, 'over spdy\n');
  });

  it('kubectl exec -i passes stdin', async () => {
    const out = await c.kubectl(['exec', '-i', 'p1', '--', 'cat'], { stdin: 'piped input\n' });
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, 'piped input\n');
  });

  it('kubectl logs streams the container log', async () => {
    const out = await c.ok(['logs', 'p1']);
    assert.equal(out, 'log of default/p1/app\nsecond line\n');
  });

  it('refuses a pod that has no node', async () => {
    const out = await c.kubectl(['exec', 'pending', '--', 'true']);
    assert.notEqual(out.code, 0);
  });

  it('kubectl port-forward tunnels a connection to the pod port', async () => {
    const pf = c.spawnKubectl(['port-forward', 'p1', `0:${echoPort}`]);
    try {
      await pf.waitFor((out) => /Forwarding from 127\.0\.0\.1:\d+/.test(out), 20_000);
      const local = Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(pf.stdout)![1]);
      const got = await new Promise<string>((resolve, reject) => {
        const s = connect(local, '127.0.0.1', () => s.write('ping through the tunnel'));
        s.on('data', (d) => {
          resolve(d.toString());
          s.destroy();
        });
        s.on('error', reject);
      });
      assert.equal(got, 'ping through the tunnel');
    } finally {
      await pf.stop();
    }
  });
});
