// Tests API server authorized IP ranges: validation, matching, and connections dropped before TLS
// on a live server whose ranges change without a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, connect as netConnect, type AddressInfo } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { AuthorizedIPRanges, InvalidIPRangeError, MAX_AUTHORIZED_IP_RANGES } from './ipranges.ts';
import { ClusterPKI } from '../pki/pki.ts';

test('ranges: CIDRs and single addresses, IPv4-mapped IPv6, empty means open', () => {
  const r = new AuthorizedIPRanges();
  assert.equal(r.allows('203.0.113.9'), true);
  r.set(['203.0.113.0/24', '198.51.100.7', ' 10.1.2.3/8 ']);
  assert.deepEqual(r.ranges, ['203.0.113.0/24', '198.51.100.7/32', '10.0.0.0/8']);
  assert.equal(r.allows('203.0.113.9'), true);
  assert.equal(r.allows('::ffff:203.0.113.200'), true);
  assert.equal(r.allows('198.51.100.7'), true);
  assert.equal(r.allows('198.51.100.8'), false);
  assert.equal(r.allows('10.200.0.1'), true);
  assert.equal(r.allows('127.0.0.1'), false, 'loopback gets no exception');
  assert.equal(r.allows('2001:db8::1'), false);
  assert.equal(r.allows(undefined), false);
  r.set([]);
  assert.equal(r.allows('127.0.0.1'), true);
});

test('validation: bad ranges and more than 200 are refused and leave the ranges unchanged', () => {
  const r = new AuthorizedIPRanges(['192.0.2.0/24']);
  for (const bad of ['192.0.2.0/33', '300.1.1.1', 'example.com', '10.0.0.0/', '2001:db8::/32', '010.0.0.1', '']) {
    assert.throws(() => r.set([bad]), InvalidIPRangeError, bad);
  }
  const many = Array.from({ length: MAX_AUTHORIZED_IP_RANGES + 1 }, (_, i) => `10.0.${i >> 8}.${i & 255}/32`);
  assert.throws(() => r.set(many), /exceeds the maximum of 200/);
  r.set(many.slice(0, 200));
  assert.equal(r.ranges.length, 200);
  const kept = new AuthorizedIPRanges(['192.0.2.0/24']);
  assert.throws(() => kept.set(['192.0.2.0/24', 'nope']));
  assert.deepEqual(kept.ranges, ['192.0.2.0/24']);
});

test('alwaysAllow lets fixed addresses in beside the ranges', () => {
  const r = new AuthorizedIPRanges(['192.0.2.0/24'], { alwaysAllow: ['127.10.0.0/16'] });
  assert.equal(r.allows('127.10.3.4'), true);
  assert.equal(r.allows('127.0.0.1'), false);
});

function tlsAttempt(port: number, localAddress: string, ca: string): Promise<'connected' | string> {
  return new Promise((resolve) => {
    const raw = netConnect({ host: '127.0.0.1', port, localAddress });
    raw.on('error', () => undefined);
    const s = tlsConnect({ socket: raw, ca, servername: 'kubernetes' }, () => {
      resolve('connected');
      s.end();
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

test('a TLS API server drops connections from outside the ranges before the handshake; updates apply live', async () => {
  const pki = await ClusterPKI.loadOrCreate(undefined);
  const server = createHttpsServer(pki.serverTLSOptions(), (_req, res) => res.end('ok'));
  const ranges = new AuthorizedIPRanges(['127.0.0.6/32']);
  ranges.attach(server);
  let handshakes = 0;
  server.on('secureConnection', () => handshakes++);
  server.on('tlsClientError', () => handshakes++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const refused = await tlsAttempt(port, '127.0.0.5', pki.caPEM);
    assert.notEqual(refused, 'connected');
    assert.match(refused, /ECONNRESET|socket disconnected|EPIPE/);
    assert.equal(handshakes, 0, 'no TLS work for a dropped connection');
    assert.equal(ranges.dropped, 1);
    assert.equal(await tlsAttempt(port, '127.0.0.6', pki.caPEM), 'connected');

    ranges.set(['127.0.0.6/32', '127.0.0.5/32']);
    assert.equal(await tlsAttempt(port, '127.0.0.5', pki.caPEM), 'connected');
    ranges.set(['127.0.0.6/32']);
    assert.notEqual(await tlsAttempt(port, '127.0.0.5', pki.caPEM), 'connected');
    ranges.set([]);
    assert.equal(await tlsAttempt(port, '127.0.0.5', pki.caPEM), 'connected');
  } finally {
    server.close();
  }
});

test('a plain net.Server drops the connection before reading a byte', async () => {
  let received = 0;
  const server = createNetServer((s) => s.on('data', (d) => (received += d.length)));
  const ranges = new AuthorizedIPRanges(['127.0.0.6/32']);
  ranges.attach(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const closed = await new Promise<boolean>((resolve) => {
      const s = netConnect({ host: '127.0.0.1', port, localAddress: '127.0.0.5' }, () => s.write('GET / HTTP/1.1\r\n\r\n'));
      s.on('close', () => resolve(true));
      s.on('error', () => undefined);
    });
    assert.equal(closed, true);
    assert.equal(received, 0);
  } finally {
    server.close();
  }
});
