// Probe handlers against real sockets on loopback (httpGet status codes, connection refused,
// named ports, tcpSocket) and the probe worker's thresholds on a FakeClock; plus pod resolv.conf
// and CRI log parsing/rotation, which the prober's neighbours in the agent rely on.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type AddressInfo } from 'node:net';
import { FakeClock } from '../machinery/clock.ts';
import { FakeRuntime } from './fakeruntime.ts';
import { ProbeWorker, runHandler, type HandlerTarget } from './probes.ts';
import { formatResolvConf, podResolvConf } from './dns.ts';
import { parseCriLog, readLogs, rotateLog } from './logs.ts';

const IP = '127.244.9.7';
let srv: Server;
let port: number;
before(async () => {
  srv = createServer((req, res) => {
    res.statusCode = req.url === '/healthz' ? 200 : req.url === '/redirect' ? 302 : 500;
    res.end(req.headers['user-agent'] ?? '');
  });
  await new Promise<void>((r) => srv.listen(0, IP, r));
  port = (srv.address() as AddressInfo).port;
});
after(() => srv.close());

const target = (): HandlerTarget => ({ runtime: new FakeRuntime(), containerId: 'none', container: { ports: [{ name: 'http', containerPort: port }] }, podIP: IP, userAgent: 'kube-probe/1.36' });

describe('probe handlers', () => {
  it('httpGet: 200–399 succeed, others fail with the status code', async () => {
    const ok = await runHandler({ httpGet: { path: '/healthz', port: 'http' } }, target(), 1000);
    assert.deepEqual(ok, { ok: true, output: 'kube-probe/1.36' });
    assert.equal((await runHandler({ httpGet: { path: '/redirect', port } }, target(), 1000)).ok, true);
    assert.deepEqual(await runHandler({ httpGet: { path: '/bad', port } }, target(), 1000), { ok: false, output: 'HTTP probe failed with statuscode: 500' });
  });
  it('reports refused connections as upstream does', async () => {
    const r = await runHandler({ httpGet: { path: '/x', port: 1 } }, target(), 1000);
    assert.equal(r.output, `Get "http://${IP}:1/x": dial tcp ${IP}:1: connect: connection refused`);
    const t = await runHandler({ tcpSocket: { port: 1 } }, target(), 1000);
    assert.equal(t.output, `dial tcp ${IP}:1: connect: connection refused`);
    assert.equal((await runHandler({ tcpSocket: { port } }, target(), 1000)).ok, true);
  });
  it('refuses hosts outside the loopback network', async () => {
    const r = await runHandler({ httpGet: { host: '10.0.0.1', path: '/', port: 80 } }, target(), 1000);
    assert.equal(r.ok, false);
    assert.match(r.output, /outside the loopback network/);
  });
  it('reaches other addresses through the node\'s dialer (a data plane in a network namespace)', async () => {
    const dialed: string[] = [];
    const viaDial = (): HandlerTarget => ({
      ...target(),
      podIP: '10.244.1.5',
      dial: (host, p) => {
        dialed.push(`${host}:${p}`);
        // Stands in for the namespace: the connection really goes to the test server.
        return new Promise((resolve, reject) => {
          const s = connect({ host: IP, port });
          s.once('connect', () => resolve(s));
          s.once('error', reject);
        });
      },
    });
    assert.deepEqual(await runHandler({ httpGet: { path: '/healthz', port: 'http' } }, viaDial(), 1000), { ok: true, output: 'kube-probe/1.36' });
    assert.deepEqual(await runHandler({ httpGet: { path: '/bad', port } }, viaDial(), 1000), { ok: false, output: 'HTTP probe failed with statuscode: 500' });
    assert.equal((await runHandler({ tcpSocket: { port } }, viaDial(), 1000)).ok, true);
    assert.deepEqual(dialed, [`10.244.1.5:${port}`, `10.244.1.5:${port}`, `10.244.1.5:${port}`]);
  });
});

describe('ProbeWorker', () => {
  it('waits initialDelaySeconds, then flips after the thresholds', async () => {
    const clock = new FakeClock();
    const answers = [true, false, false, false, true];
    const changes: boolean[] = [];
    let runs = 0;
    const w = new ProbeWorker({
      kind: 'readiness',
      probe: { initialDelaySeconds: 5, periodSeconds: 10, failureThreshold: 2, successThreshold: 1 },
      clock,
      run: async () => ({ ok: answers[runs++]!, output: '' }),
      onChange: (ok) => changes.push(ok),
    });
    w.start();
    const step = async (ms: number) => {
      clock.advance(ms);
      await new Promise((r) => setImmediate(r));
    };
    await step(4000);
    assert.equal(runs, 0);
    await step(1000);
    assert.deepEqual(changes, [true]);
    await step(10_000);
    assert.deepEqual(changes, [true]);
    await step(10_000);
    assert.deepEqual(changes, [true, false]);
    await step(10_000);
    assert.deepEqual(changes, [true, false]);
    await step(10_000);
    assert.deepEqual(changes, [true, false, true]);
    w.stop();
    await step(60_000);
    assert.equal(runs, 5);
  });
});

describe('pod resolv.conf', () => {
  const host = { nameservers: ['192.0.2.53'], searches: ['corp.example'], options: ['edns0'] };
  it('ClusterFirst points at the cluster DNS with the search path and ndots:5', () => {
    const c = podResolvConf({ metadata: { namespace: 'shop' }, spec: {} }, { clusterDNS: '127.96.0.10', host });
    assert.equal(formatResolvConf(c), 'search shop.svc.cluster.local svc.cluster.local cluster.local corp.example\nnameserver 127.96.0.10\noptions ndots:5\n');
  });
  it('Default uses the host, None only dnsConfig, and dnsConfig merges options', () => {
    assert.deepEqual(podResolvConf({ metadata: {}, spec: { dnsPolicy: 'Default' } }, { clusterDNS: '127.96.0.10', host }).nameservers, ['192.0.2.53']);
    const none = podResolvConf({ metadata: {}, spec: { dnsPolicy: 'None', dnsConfig: { nameservers: ['127.0.0.53'], searches: ['a.b'], options: [{ name: 'ndots', value: '2' }] } } }, { host });
    assert.deepEqual(none, { nameservers: ['127.0.0.53'], searches: ['a.b'], options: ['ndots:2'] });
    const merged = podResolvConf({ metadata: { namespace: 'x' }, spec: { dnsConfig: { options: [{ name: 'ndots', value: '1' }, { name: 'single-request' }] } } }, { clusterDNS: '127.96.0.10', host });
    assert.deepEqual(merged.options, ['ndots:1', 'single-request']);
    assert.equal(podResolvConf({ metadata: {}, spec: {} }, { host }).missingClusterDNS, true);
  });
});

describe('CRI logs', () => {
  it('joins partial lines and reads with tail, since and limitBytes', async () => {
    const text = '2026-01-01T00:00:01.000000000Z stdout P hel\n2026-01-01T00:00:01.000000000Z stdout F lo\n2026-01-01T00:00:05.000000000Z stderr F oops\n2026-01-01T00:00:09.000000000Z stdout F bye\n';
    assert.deepEqual(
      parseCriLog(text).map((l) => [l.stream, l.text]),
      [
        ['stdout', 'hello\n'],
        ['stderr', 'oops\n'],
        ['stdout', 'bye\n'],
      ],
    );
    const dir = mkdtempSync(join(tmpdir(), 'skiff-logs-'));
    try {
      const f = join(dir, '0.log');
      writeFileSync(f, text);
      const read = async (opts: Parameters<typeof readLogs>[1]) => {
        let s = '';
        for await (const ch of readLogs(f, opts, Date.parse('2026-01-01T00:00:10Z'), () => false)) s += ch;
        return s;
      };
      assert.equal(await read({}), 'hello\noops\nbye\n');
      assert.equal(await read({ tailLines: 2 }), 'oops\nbye\n');
      assert.equal(await read({ sinceSeconds: 6 }), 'oops\nbye\n');
      assert.equal(await read({ limitBytes: 8 }), 'hello\noo');
      assert.equal(await read({ tailLines: 1, timestamps: true }), '2026-01-01T00:00:09.000000000Z bye\n');
      // rotation: copy + truncate, keeping maxFiles - 1 rotated files
      for (let i = 0; i < 4; i++) writeFileSync(f, text, { flag: 'a' }), assert.equal(rotateLog(f, { maxBytes: 10, maxFiles: 3 }, Date.UTC(2026, 0, 1, 0, 0, i)), true);
      writeFileSync(f, 'x');
      assert.equal(rotateLog(f, { maxBytes: 10, maxFiles: 3 }, Date.UTC(2026, 0, 1, 0, 1)), false);
      assert.equal(readFileSync(f, 'utf8'), 'x');
      assert.deepEqual(readdirSync(dir).sort(), ['0.log', '0.log.20260101-000002', '0.log.20260101-000003']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
