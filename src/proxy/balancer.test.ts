// Endpoint selection without sockets: which slice endpoints count (ready; serving-terminating only
// as a fallback; other address types and ports ignored; duplicates merged), round-robin order,
// skipping endpoints already tried, ClientIP affinity with its timeout on an injected clock, and a
// UDP flow that forgets an idle client and one whose endpoint left.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { FakeClock } from '../machinery/clock.ts';
import { PortBalancer, endpointsForPort } from './balancer.ts';
import { UdpListener } from './listeners.ts';

const slice = (ports: object[], eps: [string, object?][], addressType = 'IPv4') => ({
  metadata: { name: 's' },
  addressType,
  ports,
  endpoints: eps.map(([ip, conditions]) => ({ addresses: [ip], ...(conditions ? { conditions } : {}) })),
});

describe('endpointsForPort', () => {
  it('takes ready endpoints of the matching port name and protocol, merged across slices', () => {
    const slices = [
      slice([{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }], [['127.244.0.3', { ready: true }], ['127.244.0.2'], ['127.244.0.4', { ready: false, serving: false }]]),
      slice([{ name: 'http', port: 8080, protocol: 'TCP' }], [['127.244.0.2', { ready: true }]]),
      slice([{ name: 'http', port: 8080, protocol: 'TCP' }], [['fd00::1']], 'IPv6'),
      slice([{ name: 'metrics', port: 9090, protocol: 'TCP' }], [['127.244.0.9']]),
    ];
    assert.deepEqual(
      endpointsForPort(slices, 'http', 'TCP').map((b) => b.key),
      ['127.244.0.2:8080', '127.244.0.3:8080'],
    );
    assert.deepEqual(
      endpointsForPort(slices, 'dns', 'UDP').map((b) => b.key),
      ['127.244.0.2:53', '127.244.0.3:53'],
    );
    assert.deepEqual(endpointsForPort(slices, 'dns', 'TCP'), []);
  });

  it('falls back to serving terminating endpoints only when none is ready', () => {
    const terminating = { ready: false, serving: true, terminating: true };
    const both = [slice([{ name: '', port: 80 }], [['127.244.0.2', terminating], ['127.244.0.3', { ready: true }]])];
    assert.deepEqual(endpointsForPort(both, '', 'TCP').map((b) => b.ip), ['127.244.0.3']);
    const onlyTerminating = [slice([{ port: 80 }], [['127.244.0.2', terminating], ['127.244.0.5', { ready: false, serving: false, terminating: true }]])];
    assert.deepEqual(endpointsForPort(onlyTerminating, '', 'TCP').map((b) => b.ip), ['127.244.0.2']);
  });
});

describe('PortBalancer', () => {
  const eps = (...ips: string[]) => ips.map((ip) => ({ ip, port: 80, key: `${ip}:80` }));

  it('goes round-robin, skips tried endpoints, and reports the endpoints that left', () => {
    const b = new PortBalancer('default/web:http/TCP', 'TCP', new FakeClock());
    assert.equal(b.pick('127.0.0.1'), undefined);
    b.setEndpoints(eps('127.244.0.1', '127.244.0.2', '127.244.0.3'));
    assert.deepEqual([1, 2, 3, 4].map(() => b.pick('127.0.0.1')!.ip), ['127.244.0.1', '127.244.0.2', '127.244.0.3', '127.244.0.1']);
    assert.equal(b.pick('127.0.0.1', new Set(['127.244.0.2:80', '127.244.0.3:80']))!.ip, '127.244.0.1');
    assert.equal(b.pick('127.0.0.1', new Set(['127.244.0.1:80', '127.244.0.2:80', '127.244.0.3:80'])), undefined);
    assert.equal(b.setEndpoints(eps('127.244.0.1', '127.244.0.2', '127.244.0.3')), undefined, 'unchanged');
    assert.deepEqual(b.setEndpoints(eps('127.244.0.1')), new Set(['127.244.0.2:80', '127.244.0.3:80']));
  });

  it('keeps a client IP on its endpoint until the affinity times out or the endpoint leaves', () => {
    const clock = new FakeClock();
    const b = new PortBalancer('default/web:http/TCP', 'TCP', clock);
    b.setAffinity(10);
    b.setEndpoints(eps('127.244.0.1', '127.244.0.2'));
    const first = b.pick('127.0.0.5')!.ip;
    clock.advance(9_000);
    assert.equal(b.pick('127.0.0.5')!.ip, first);
    clock.advance(9_000);
    assert.equal(b.pick('127.0.0.5')!.ip, first, 'each connection refreshes the affinity');
    clock.advance(10_000);
    assert.notEqual(b.pick('127.0.0.5')!.ip, first, 'expired: the next endpoint');
    const now = b.pick('127.0.0.6')!.ip;
    b.setEndpoints(eps(...['127.244.0.1', '127.244.0.2'].filter((ip) => ip !== now), '127.244.0.7'));
    assert.notEqual(b.pick('127.0.0.6')!.ip, now);
  });
});

describe('UdpListener', () => {
  it('forgets an idle flow after the timeout and drops flows to endpoints that left', async () => {
    const clock = new FakeClock();
    const echo = createSocket('udp4');
    echo.on('message', (m, r) => echo.send(m, r.port, r.address));
    echo.bind(0, '127.244.238.2');
    await once(echo, 'listening');
    const b = new PortBalancer('default/dns:dns/UDP', 'UDP', clock);
    b.setEndpoints([{ ip: '127.244.238.2', port: echo.address().port, key: `127.244.238.2:${echo.address().port}` }]);
    const l = await UdpListener.listen('127.99.238.10', 5354, b, clock, 30_000);
    const c = createSocket('udp4');
    c.bind(0, '127.0.0.1');
    await once(c, 'listening');
    try {
      c.send('a', 5354, '127.99.238.10');
      assert.equal(((await once(c, 'message')) as [Buffer])[0].toString(), 'a');
      assert.equal(l.flows, 1);
      clock.advance(20_000);
      assert.equal(l.flows, 1);
      clock.advance(20_000);
      assert.equal(l.flows, 0, 'idle for 30 s');
      c.send('b', 5354, '127.99.238.10');
      assert.equal(((await once(c, 'message')) as [Buffer])[0].toString(), 'b');
      l.endpointsRemoved(new Set([`127.244.238.2:${echo.address().port}`]));
      assert.equal(l.flows, 0);
    } finally {
      c.close();
      l.close();
      echo.close();
    }
  });
});
