// Streaming subresources without kubectl: log option errors as the API words them, container choice, SPDY
// header compression against zlib, upgrade refusals, and the channel protocols with a plain WebSocket client.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { createServer as createTcpServer, connect } from 'node:net';
import { Readable } from 'node:stream';
import type { Duplex } from 'node:stream';
import { createDeflate, createInflate, constants as zc } from 'node:zlib';
import { WebSocket } from 'ws';
import { handleUpgrade, handleLogs } from './streaming.ts';
import type { StreamBackend, UpgradeTarget } from './streaming.ts';
import type { Headers } from './spdy.ts';
import { HeaderCompressor, HeaderDecompressor, SPDY_DICTIONARY, decodeHeaderBlock, encodeHeaderBlock } from './spdy.ts';
import { resolveContainer } from './pods.ts';
import { StatusError } from '../../machinery/errors.ts';

const POD = { metadata: { name: 'p1' }, spec: { nodeName: 'n1', initContainers: [{ name: 'init' }], containers: [{ name: 'a' }, { name: 'b' }] } };

const logsBackend: StreamBackend = {
  exec: () => Promise.reject(new Error('no')),
  attach: () => Promise.reject(new Error('no')),
  portForward: () => Promise.reject(new Error('no')),
  logs: async () => Readable.from(['0123456789\n', 'abcdefghij\n']),
};

async function logsError(query: string): Promise<StatusError> {
  try {
    await handleLogs({ namespace: 'default', pod: 'p1', query: new URLSearchParams(query) }, logsBackend);
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error('no error');
}

test('log options are validated with the API\'s messages', async () => {
  let e = await logsError('tailLines=-1');
  assert.equal(e.code, 422);
  assert.equal(e.message, 'PodLogOptions "p1" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0');
  e = await logsError('sinceSeconds=10&sinceTime=2024-01-01T00:00:00Z');
  assert.equal(e.message, 'PodLogOptions "p1" is invalid: : Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified');
  e = await logsError('sinceSeconds=0');
  assert.equal(e.message, 'PodLogOptions "p1" is invalid: sinceSeconds: Invalid value: 0: must be greater than 0');
  e = await logsError('limitBytes=0&tailLines=-2');
  assert.equal(
    e.message,
    'PodLogOptions "p1" is invalid: [tailLines: Invalid value: -2: must be greater than or equal to 0, limitBytes: Invalid value: 0: must be greater than 0]',
  );
  e = await logsError('tailLines=abc');
  assert.equal(e.code, 400);
  assert.equal(e.message, 'strconv.ParseInt: parsing "abc": invalid syntax');
  e = await logsError('sinceTime=yesterday');
  assert.equal(e.code, 400);
  assert.match(e.message, /^parsing time "yesterday"/);
});

test('log options reach the backend; limitBytes cuts the stream', async () => {
  let got: unknown;
  const backend = { ...logsBackend, logs: async (req: unknown) => ((got = req), Readable.from(['0123456789\n', 'abcdefghij\n'])) };
  const { stream } = await handleLogs(
    { namespace: 'ns', pod: 'p1', query: new URLSearchParams('container=b&follow=true&previous=1&timestamps=false&limitBytes=13&sinceTime=2024-05-06T07:08:09.5%2B02:00'), podObject: POD },
    backend,
  );
  let text = '';
  for await (const c of stream) text += c;
  assert.equal(text, '0123456789\nab');
  assert.deepEqual(got, {
    namespace: 'ns',
    pod: 'p1',
    container: 'b',
    follow: true,
    timestamps: false,
    previous: true,
    sinceTime: '2024-05-06T05:08:09Z',
    limitBytes: 13,
  });
});

test('the container is defaulted or checked as the API does', () => {
  assert.equal(resolveContainer({ metadata: { name: 'x' }, spec: { containers: [{ name: 'only' }] } }, ''), 'only');
  assert.throws(() => resolveContainer(POD, ''), { message: 'a container name must be specified for pod p1, choose one of: [init a b]' });
  assert.throws(() => resolveContainer(POD, 'zzz'), { message: 'container zzz is not valid for pod p1' });
  assert.equal(resolveContainer(POD, 'init'), 'init');
});

test('header blocks we compress inflate with zlib and the SPDY/3 dictionary, block after block', async () => {
  assert.equal(SPDY_DICTIONARY.length, 1423);
  const c = new HeaderCompressor();
  const inflate = createInflate({ dictionary: SPDY_DICTIONARY });
  const out: Buffer[] = [];
  inflate.on('data', (d: Buffer) => out.push(d));
  const blocks: Headers[] = [{}, { streamtype: 'error', port: '80' }, { requestid: '7', 'x-long': 'v'.repeat(70_000) }];
  for (const h of blocks) {
    inflate.write(c.compress(h));
    await new Promise<void>((r) => inflate.flush(zc.Z_SYNC_FLUSH, () => r()));
    assert.deepEqual(decodeHeaderBlock(Buffer.concat(out.splice(0))), h);
  }
  inflate.destroy();
});

test('header blocks a peer compresses with one zlib context decompress in order', async () => {
  const deflate = createDeflate({ dictionary: SPDY_DICTIONARY });
  const chunks: Buffer[] = [];
  deflate.on('data', (d: Buffer) => chunks.push(d));
  const d = new HeaderDecompressor();
  const blocks: Headers[] = [{ streamtype: 'error' }, { streamtype: 'data', port: '8080', requestid: '0' }, { streamtype: 'data' }];
  for (const h of blocks) {
    deflate.write(encodeHeaderBlock(h));
    await new Promise<void>((r) => deflate.flush(zc.Z_SYNC_FLUSH, () => r()));
    assert.deepEqual(decodeHeaderBlock(await d.decompress(Buffer.concat(chunks.splice(0)))), h);
  }
  d.close();
  deflate.destroy();
});

/** A server that upgrades every request with `handleUpgrade` for the target the test gives. */
async function withServer(target: Omit<UpgradeTarget, 'query'>, backend: StreamBackend, fn: (port: number) => Promise<void>): Promise<void> {
  const server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void handleUpgrade(req, socket, head, { ...target, query: new URL(req.url ?? '/', 'http://x').searchParams }, backend);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await fn((server.address() as { port: number }).port);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

function rawUpgrade(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { Connection: 'Upgrade', ...headers } });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
    });
    req.on('error', reject);
    req.end();
  });
}

const execBackend: StreamBackend = {
  ...logsBackend,
  exec: (req) =>
    new Promise((resolve) => {
      req.stdout?.write(`ran ${req.command.join(' ')}\n`);
      const code = Number(/exit (\d+)/.exec(req.command.join(' '))?.[1] ?? 0);
      resolve({ exitCode: code });
    }),
};

test('upgrades that cannot be served are refused before switching protocols', async () => {
  await withServer({ kind: 'exec', namespace: 'default', pod: 'p1' }, execBackend, async (port) => {
    let r = await rawUpgrade(port, '/exec?command=ls', { Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' });
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.body).message, 'you must specify at least 1 of stdin, stdout, stderr');
    r = await rawUpgrade(port, '/exec?command=ls&stdout=true', { Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v9.channel.k8s.io' });
    assert.equal(r.status, 403);
    assert.equal(JSON.parse(r.body).message, 'unable to upgrade: unable to negotiate protocol: client supports [v9.channel.k8s.io], server accepts [v5.channel.k8s.io v4.channel.k8s.io v3.channel.k8s.io v2.channel.k8s.io channel.k8s.io]');
    r = await rawUpgrade(port, '/exec?command=ls&stdout=true', { Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v3.channel.k8s.io, v4.channel.k8s.io' });
    assert.equal(r.status, 101);
    assert.equal(r.headers['x-stream-protocol-version'], 'v3.channel.k8s.io', "the client's order decides");
    r = await rawUpgrade(port, '/exec?command=ls&stdout=true', { Upgrade: 'h2c' });
    assert.equal(r.status, 400);
  });
});

function wsCollect(url: string, protocol: string): Promise<{ protocol: string; messages: Buffer[]; ws: WebSocket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocol);
    const messages: Buffer[] = [];
    ws.on('message', (d: Buffer) => messages.push(d));
    const closed = new Promise<void>((r) => ws.on('close', () => r()));
    ws.on('open', () => resolve({ protocol: ws.protocol, messages, ws, closed }));
    ws.on('error', reject);
  });
}

test('exec over v4.channel.k8s.io ends with the NonZeroExitCode Status on channel 3, then closes', async () => {
  await withServer({ kind: 'exec', namespace: 'default', pod: 'p1' }, execBackend, async (port) => {
    const c = await wsCollect(`ws://127.0.0.1:${port}/exec?command=sh&command=-c&command=exit%203&stdout=true`, 'v4.channel.k8s.io');
    assert.equal(c.protocol, 'v4.channel.k8s.io');
    await c.closed;
    assert.deepEqual(
      c.messages.map((m) => [m[0], m.subarray(1).toString()]),
      [
        [1, 'ran sh -c exit 3\n'],
        [
          3,
          '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}',
        ],
      ],
    );
    const ok = await wsCollect(`ws://127.0.0.1:${port}/exec?command=true&stdout=1`, 'v4.base64.channel.k8s.io');
    await ok.closed;
    assert.deepEqual(
      ok.messages.map((m) => m.toString()),
      ['1' + Buffer.from('ran true\n').toString('base64'), '3' + Buffer.from('{"metadata":{},"status":"Success"}').toString('base64')],
    );
  });
});

test('port-forward over v4.channel.k8s.io: port-prefixed channels, data echoed, errors on the odd channel', async () => {
  const echo = createTcpServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  const echoPort = (echo.address() as { port: number }).port;
  const backend: StreamBackend = {
    ...logsBackend,
    portForward: (req) =>
      req.port === 8080
        ? new Promise<Duplex>((resolve) => {
            const s = connect(echoPort, '127.0.0.1', () => resolve(s));
          })
        : Promise.reject(new Error('connection refused')),
  };
  try {
    await withServer({ kind: 'portforward', namespace: 'default', pod: 'p1' }, backend, async (port) => {
      const c = await wsCollect(`ws://127.0.0.1:${port}/portforward?ports=8080,81`, 'v4.channel.k8s.io');
      c.ws.send(Buffer.concat([Buffer.of(0), Buffer.from('ping')]));
      const deadline = Date.now() + 5000;
      const text = () => c.messages.filter((m) => m[0] === 0 && m.length > 3).map((m) => m.subarray(1).toString()).join('');
      while (text() !== 'ping' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(text(), 'ping');
      const port8080 = Buffer.alloc(2);
      port8080.writeUInt16LE(8080);
      assert.deepEqual(c.messages.slice(0, 2), [Buffer.concat([Buffer.of(0), port8080]), Buffer.concat([Buffer.of(1), port8080])]);
      const err = c.messages.find((m) => m[0] === 3 && m.length > 3);
      assert.equal(err?.subarray(1).toString(), 'error forwarding port 81 to pod default/p1: connection refused');
      c.ws.close();
      await c.closed;
    });
    await withServer({ kind: 'portforward', namespace: 'default', pod: 'p1' }, backend, async (port) => {
      const r = await new Promise<number>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/portforward`, 'v4.channel.k8s.io');
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => {});
      });
      assert.equal(r, 400);
    });
  } finally {
    await new Promise((r) => echo.close(r));
  }
});
