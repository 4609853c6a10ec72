// Cluster DNS latency benchmark (the bar: p99 ≤ 2 ms): 10,000 UDP queries for a service's
// A record, one at a time, against a server backed by an in-process API server.
// Run: node --import tsx src/dns/bench.ts [queries]
import { createSocket } from 'node:dgram';
import { MemoryBackend } from '../storage/memory/memory.ts';
import { ApiServer } from '../apiserver/server.ts';
import { KubeClient } from '../client/client.ts';
import { InProcessTransport } from '../client/inprocess.ts';
import { InformerFactory } from '../client/informer.ts';
import { ClusterDNS } from './server.ts';
import { CLASS_IN, TYPE, emptyMessage, encode } from './wire.ts';

const n = Number(process.argv[2] ?? 10_000);
const addr = `127.53.${2 + Math.floor(Math.random() * 250)}.${2 + Math.floor(Math.random() * 250)}`;
const port = 20000 + Math.floor(Math.random() * 30000);
const api = new ApiServer({ storage: new MemoryBackend(), port: 0, host: '127.0.0.1' });
await api.start();
const client = new KubeClient(new InProcessTransport(api, { username: 'bench', groups: ['system:masters'] }));
for (let i = 0; i < 200; i++) await client.resource('', 'services', 'default').create({ metadata: { name: `svc-${i}` }, spec: { ports: [{ name: 'http', port: 80 }] } });
const informers = new InformerFactory(client);
const dns = new ClusterDNS(client, informers, { address: addr, port, upstreams: [] });
await dns.start();

const sock = createSocket('udp4');
await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
// Queries are encoded up front and answers checked by their header, so that the client adds no
// garbage of its own to the process the server runs in.
const queries = Array.from({ length: 200 }, (_, i) => {
  const m = emptyMessage(i);
  m.rd = true;
  m.questions.push({ name: `svc-${i}.default.svc.cluster.local`, type: TYPE.A, class: CLASS_IN });
  return encode(m);
});
const ask = (i: number) =>
  new Promise<number>((resolve) => {
    const t0 = process.hrtime.bigint();
    sock.once('message', (d: Buffer) => {
      if (d.readUInt16BE(6) !== 1) throw new Error(`no answer for svc-${i % 200}`);
      resolve(Number(process.hrtime.bigint() - t0) / 1e6);
    });
    sock.send(queries[i % 200]!, port, addr);
  });
// The floor the machine sets: a bare UDP echo on loopback, measured the same way, interleaved
// with the DNS queries so that both see the same load.
const echo = createSocket('udp4');
await new Promise<void>((r) => echo.bind(0, addr, () => r()));
echo.on('message', (m, r) => echo.send(m, r.port, r.address));
const echoPort = echo.address().port;
const ping = () =>
  new Promise<number>((resolve) => {
    const t0 = process.hrtime.bigint();
    sock.once('message', () => resolve(Number(process.hrtime.bigint() - t0) / 1e6));
    sock.send(Buffer.alloc(48), echoPort, addr);
  });
for (let i = 0; i < 500; i++) await ask(i); // warm-up
const lat: number[] = [];
const base: number[] = [];
for (let i = 0; i < n; i++) {
  lat.push(await ask(i));
  base.push(await ping());
}
lat.sort((a, b) => a - b);
const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))]!.toFixed(3);
console.log(`cluster DNS: ${n} A queries over UDP, one at a time: p50 ${pct(50)} ms, p90 ${pct(90)} ms, p99 ${pct(99)} ms, max ${lat.at(-1)!.toFixed(3)} ms`);

// The server's own share: the same queries through handle(), without sockets or scheduling.
const own: number[] = [];
for (let i = 0; i < n; i++) {
  const m = emptyMessage(i & 0xffff);
  m.questions.push({ name: `svc-${i % 200}.default.svc.cluster.local`, type: TYPE.A, class: CLASS_IN });
  const q = encode(m);
  const t0 = process.hrtime.bigint();
  await dns.handle(q, 'udp');
  own.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
own.sort((a, b) => a - b);
console.log(`  in-process handle(): p50 ${own[Math.floor(n / 2)]!.toFixed(3)} ms, p99 ${own[Math.floor(n * 0.99)]!.toFixed(3)} ms`);
base.sort((a, b) => a - b);
console.log(`  bare UDP echo on the same loopback, interleaved: p50 ${base[Math.floor(n / 2)]!.toFixed(3)} ms, p99 ${base[Math.floor(n * 0.99)]!.toFixed(3)} ms`);
echo.close();
sock.close();
await dns.stop();
informers.stop();
await api.stop();
await api.storage.close();
