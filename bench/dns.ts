// Cluster DNS benchmark (issue: nodes): p50/p99 of A queries for a Service over UDP, one at a
// time, against the DNS server backed by an in-process API server with 200 Services. The
// reference, interleaved in the same run, is a bare UDP echo on the same loopback address — the
// floor the machine sets. Target: p99 ≤ 2 ms.
import { createSocket } from 'node:dgram';
import { MemoryBackend } from '../src/storage/memory/memory.ts';
import { ApiServer } from '../src/apiserver/server.ts';
import { KubeClient } from '../src/client/client.ts';
import { InProcessTransport } from '../src/client/inprocess.ts';
import { InformerFactory } from '../src/client/informer.ts';
import { ClusterDNS } from '../src/dns/server.ts';
import { CLASS_IN, TYPE, emptyMessage, encode } from '../src/dns/wire.ts';
import { fmt, pct, type Row } from './harness.ts';

export async function dnsBench(opts: { quick?: boolean } = {}): Promise<{ rows: Row[]; ok: boolean }> {
  const n = opts.quick ? 2_000 : 10_000;
  const addr = `127.53.${2 + Math.floor(Math.random() * 250)}.${2 + Math.floor(Math.random() * 250)}`;
  const port = 20000 + Math.floor(Math.random() * 30000);
  const api = new ApiServer({ storage: new MemoryBackend(), port: 0 });
  await api.start();
  const client = new KubeClient(new InProcessTransport(api, { username: 'bench', groups: ['system:masters'] }));
  for (let i = 0; i < 200; i++) await client.resource('', 'services', 'default').create({ metadata: { name: `svc-${i}` }, spec: { ports: [{ name: 'http', port: 80 }] } });
  const informers = new InformerFactory(client);
  const dns = new ClusterDNS(client, informers, { address: addr, port, upstreams: [] });
  await dns.start();
  const sock = createSocket('udp4');
  const echo = createSocket('udp4');
  try {
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    await new Promise<void>((r) => echo.bind(0, addr, () => r()));
    echo.on('message', (m, r) => echo.send(m, r.port, r.address));
    const echoPort = echo.address().port;
    // Queries are encoded up front so that the client adds no garbage to the server's process.
    const queries = Array.from({ length: 200 }, (_, i) => {
      const m = emptyMessage(i);
      m.rd = true;
      m.questions.push({ name: `svc-${i}.default.svc.cluster.local`, type: TYPE.A, class: CLASS_IN });
      return encode(m);
    });
    const roundTrip = (payload: Buffer, to: number, check?: (d: Buffer) => void) =>
      new Promise<number>((resolve) => {
        const t0 = process.hrtime.bigint();
        sock.once('message', (d: Buffer) => {
          check?.(d);
          resolve(Number(process.hrtime.bigint() - t0) / 1e6);
        });
        sock.send(payload, to, addr);
      });
    const answered = (d: Buffer) => {
      if (d.readUInt16BE(6) !== 1) throw new Error('bench: a query got no answer');
    };
    for (let i = 0; i < 500; i++) await roundTrip(queries[i % 200]!, port, answered); // warm-up
    const lat: number[] = [];
    const base: number[] = [];
    for (let i = 0; i < n; i++) {
      lat.push(await roundTrip(queries[i % 200]!, port, answered));
      base.push(await roundTrip(Buffer.alloc(48), echoPort));
    }
    lat.sort((a, b) => a - b);
    base.sort((a, b) => a - b);
    const ok = pct(lat, 0.99) <= 2;
    return {
      ok,
      rows: [
        { what: 'reference: bare UDP echo on the same loopback address, interleaved', value: `p50 ${fmt(pct(base, 0.5), 3)} ms, p99 ${fmt(pct(base, 0.99), 3)} ms`, ratio: '1.0×' },
        {
          what: `cluster DNS: ${fmt(n)} A queries for Services over UDP, one at a time`,
          value: `p50 ${fmt(pct(lat, 0.5), 3)} ms, p99 ${fmt(pct(lat, 0.99), 3)} ms`,
          ratio: `p99 +${fmt(pct(lat, 0.99) - pct(base, 0.99), 3)} ms`,
          target: 'p99 ≤ 2 ms',
          ok,
        },
      ],
    };
  } finally {
    sock.close();
    echo.close();
    await dns.stop();
    informers.stop();
    await api.stop();
    await api.storage.close();
  }
}
