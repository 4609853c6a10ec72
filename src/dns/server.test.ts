// The cluster DNS server against a real API server, over real UDP and TCP sockets on loopback:
// service, headless, endpoint, SRV, ExternalName, pod and PTR records, NXDOMAIN/NODATA with the
// SOA, forwarding to a fake upstream (with cache and TCP fallback), the coredns / coredns-custom
// ConfigMaps, node's resolver, and glibc's search-path behaviour through a pod's resolv.conf.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { createServer, connect, type Server } from 'node:net';
import { promises as dnsPromises } from 'node:dns';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBackend } from '../storage/memory/memory.ts';
import { ApiServer } from '../apiserver/server.ts';
import { FakeClock } from '../machinery/clock.ts';
import { KubeClient } from '../client/client.ts';
import { InProcessTransport } from '../client/inprocess.ts';
import { InformerFactory } from '../client/informer.ts';
import { ClusterDNS } from './server.ts';
import { ensureKubeDNSService } from './service.ts';
import { resolvConf } from './resolvconf.ts';
import { CLASS_IN, RCODE, TYPE, decode, emptyMessage, encode, optRecord, type Message, type RR } from './wire.ts';

const admin = { username: 'system:admin', groups: ['system:masters'] };
const rnd = () => 2 + Math.floor(Math.random() * 250);
const isRoot = process.getuid?.() === 0;
// A fresh loopback address per run, so runs (and a real `skiff up`) never collide.
const DNS_ADDR = `127.53.${rnd()}.${rnd()}`;
const DNS_PORT = isRoot ? 53 : 20000 + Math.floor(Math.random() * 30000);
const UP_ADDR = `127.54.${rnd()}.${rnd()}`;
const UP_PORT = 20000 + Math.floor(Math.random() * 30000);

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Sends one question over UDP or TCP and decodes the answer. */
async function query(name: string, type: number, opts: { tcp?: boolean; edns?: number; addr?: string; port?: number } = {}): Promise<Message> {
  const m = emptyMessage(Math.floor(Math.random() * 65536));
  m.rd = true;
  m.questions.push({ name, type, class: CLASS_IN });
  if (opts.edns) m.additionals.push(optRecord(opts.edns));
  const buf = encode(m);
  const addr = opts.addr ?? DNS_ADDR;
  const port = opts.port ?? DNS_PORT;
  if (opts.tcp) {
    return new Promise((resolve, reject) => {
      const s = connect({ host: addr, port }, () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(buf.length);
        s.write(Buffer.concat([len, buf]));
      });
      let acc = Buffer.alloc(0);
      s.on('data', (d) => {
        acc = Buffer.concat([acc, d]);
        if (acc.length >= 2 && acc.length >= 2 + acc.readUInt16BE(0)) {
          s.destroy();
          const r = decode(acc.subarray(2, 2 + acc.readUInt16BE(0)));
          if (r.id !== m.id) reject(new Error('answer with another id'));
          resolve(r);
        }
      });
      s.on('error', reject);
    });
  }
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => (s.close(), reject(new Error(`no answer for ${name}`))), 3000);
    s.on('message', (d) => {
      clearTimeout(t);
      s.close();
      const r = decode(d);
      if (r.id !== m.id) reject(new Error('answer with another id'));
      resolve(r);
    });
    s.send(buf, port, addr);
  });
}

const data = (rrs: RR[], type?: number) => rrs.filter((r) => type === undefined || r.type === type).map((r) => r.data);

/** A tiny upstream resolver on loopback: a fixed table, truncating big answers over UDP. */
class FakeUpstream {
  udp!: Socket;
  tcp!: Server;
  seen: string[] = [];
  table = new Map<string, RR[]>([
    ['a/example.org', [{ name: 'example.org', type: TYPE.A, class: CLASS_IN, ttl: 60, data: '93.184.216.34' }]],
    ['a/target.example.net', [{ name: 'target.example.net', type: TYPE.A, class: CLASS_IN, ttl: 60, data: '192.0.2.7' }]],
    ['a/corp.example', [{ name: 'corp.example', type: TYPE.A, class: CLASS_IN, ttl: 60, data: '10.1.2.3' }]],
    ['a/big.example.org', Array.from({ length: 60 }, (_, i) => ({ name: 'big.example.org', type: TYPE.A, class: CLASS_IN, ttl: 60, data: `198.51.100.${i}` }))],
  ]);

  answer(packet: Buffer, tcp: boolean): Buffer {
    const q = decode(packet);
    const question = q.questions[0]!;
    this.seen.push(`${tcp ? 'tcp' : 'udp'} ${question.name.toLowerCase()} ${question.type}`);
    const rrs = this.table.get(`${question.type === TYPE.A ? 'a' : question.type}/${question.name.toLowerCase()}`);
    const r: Message = { ...emptyMessage(q.id), qr: true, rd: q.rd, ra: true, questions: q.questions };
    if (rrs) r.answers = rrs;
    else {
      const known = [...this.table.keys()].some((k) => k.endsWith(`/${question.name.toLowerCase()}`));
      r.rcode = known ? RCODE.NOERROR : RCODE.NXDOMAIN;
      r.authorities = [{ name: '', type: TYPE.SOA, class: CLASS_IN, ttl: 900, data: { mname: 'a.root-servers.net', rname: 'nstld.verisign-grs.com', serial: 1, refresh: 1800, retry: 900, expire: 604800, minimum: 86400 } }];
    }
    return encode(r, tcp ? 65535 : 512);
  }

  async start() {
    this.udp = createSocket('udp4');
    this.udp.on('message', (m, rinfo) => this.udp.send(this.answer(m, false), rinfo.port, rinfo.address));
    await new Promise<void>((r) => this.udp.bind(UP_PORT, UP_ADDR, () => r()));
    this.tcp = createServer((s) => {
      let acc = Buffer.alloc(0);
      s.on('data', (d) => {
        acc = Buffer.concat([acc, d]);
        if (acc.length >= 2 && acc.length >= 2 + acc.readUInt16BE(0)) {
          const out = this.answer(acc.subarray(2, 2 + acc.readUInt16BE(0)), true);
          const len = Buffer.alloc(2);
          len.writeUInt16BE(out.length);
          s.end(Buffer.concat([len, out]));
        }
      });
      s.on('error', () => s.destroy());
    });
    await new Promise<void>((r) => this.tcp.listen(UP_PORT, UP_ADDR, () => r()));
  }

  async stop() {
    await new Promise<void>((r) => this.udp.close(() => r()));
    await new Promise<void>((r) => this.tcp.close(() => r()));
  }
}

describe('cluster DNS', () => {
  let api: ApiServer;
  let client: KubeClient;
  let informers: InformerFactory;
  let server: ClusterDNS;
  const upstream = new FakeUpstream();
  const clock = new FakeClock(Date.now());
  let webIP = '';

  before(async () => {
    api = new ApiServer({ storage: new MemoryBackend(), port: 0, host: '127.0.0.1' });
    await api.start();
    client = new KubeClient(new InProcessTransport(api, admin));
    await upstream.start();
    await client.resource('', 'namespaces').create({ metadata: { name: 'shop' } });
    const svcs = (ns: string) => client.resource('', 'services', ns);
    const web = await svcs('default').create({ metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] } });
    webIP = web.spec.clusterIP;
    await svcs('shop').create({ metadata: { name: 'db' }, spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'mysql', port: 3306 }] } });
    await svcs('shop').create({ metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'target.example.net' } });
    await client.resource('discovery.k8s.io', 'endpointslices', 'shop').create({
      metadata: { name: 'db-abc', labels: { 'kubernetes.io/service-name': 'db' } },
      addressType: 'IPv4',
      ports: [{ name: 'mysql', port: 3306, protocol: 'TCP' }],
      endpoints: [
        { addresses: ['127.244.1.10'], hostname: 'db-0', conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'db-0', namespace: 'shop' } },
        { addresses: ['127.244.1.11'], conditions: { ready: true } },
        { addresses: ['127.244.1.12'], hostname: 'db-2', conditions: { ready: false } },
      ],
    });
    await ensureKubeDNSService(client, '127.96.0.10');
    informers = new InformerFactory(client);
    server = new ClusterDNS(client, informers, { address: DNS_ADDR, port: DNS_PORT, upstreams: [`${UP_ADDR}:${UP_PORT}`], clock, log: () => {} });
    await server.start();
  });

  after(async () => {
    await server?.stop();
    informers?.stop();
    await upstream.stop();
    await api.stop();
    await api.storage.close();
  });

  it('answers a service\'s A record with its ClusterIP, over UDP and TCP, keeping the client\'s case', async () => {
    for (const tcp of [false, true]) {
      const r = await query('Web.Default.svc.cluster.local', TYPE.A, { tcp });
      assert.equal(r.rcode, RCODE.NOERROR);
      assert.equal(r.aa, true);
      assert.deepEqual(r.answers, [{ name: 'Web.Default.svc.cluster.local', type: TYPE.A, class: CLASS_IN, ttl: 30, data: webIP }]);
    }
    assert.deepEqual(data((await query('kube-dns.kube-system.svc.cluster.local', TYPE.A)).answers), ['127.96.0.10']);
  });

  it('answers AAAA for cluster names with NOERROR and no records (IPv4-only cluster)', async () => {
    const r = await query('web.default.svc.cluster.local', TYPE.AAAA);
    assert.equal(r.rcode, RCODE.NOERROR);
    assert.deepEqual(r.answers, []);
    assert.equal(r.authorities[0]!.type, TYPE.SOA);
  });

  it('answers a headless service with its ready endpoints, and endpoint names', async () => {
    const r = await query('db.shop.svc.cluster.local', TYPE.A);
    assert.deepEqual(data(r.answers).sort(), ['127.244.1.10', '127.244.1.11']);
    assert.deepEqual(data((await query('db-0.db.shop.svc.cluster.local', TYPE.A)).answers), ['127.244.1.10']);
    assert.deepEqual(data((await query('127-244-1-11.db.shop.svc.cluster.local', TYPE.A)).answers), ['127.244.1.11']);
    // Not ready: no record at all.
    assert.equal((await query('db-2.db.shop.svc.cluster.local', TYPE.A)).rcode, RCODE.NXDOMAIN);
  });

  it('answers SRV for named ports, with the targets\' addresses in the additional section', async () => {
    const r = await query('_http._tcp.web.default.svc.cluster.local', TYPE.SRV);
    assert.deepEqual(data(r.answers), [{ priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' }]);
    assert.deepEqual(r.additionals.map((a) => [a.name, a.data]), [['web.default.svc.cluster.local', webIP]]);
    const udp = await query('_dns._udp.web.default.svc.cluster.local', TYPE.SRV);
    assert.deepEqual(data(udp.answers).map((s) => (s as { port: number }).port), [53]);
    assert.equal((await query('_http._udp.web.default.svc.cluster.local', TYPE.SRV)).rcode, RCODE.NXDOMAIN);
    const headless = await query('_mysql._tcp.db.shop.svc.cluster.local', TYPE.SRV);
    assert.deepEqual(
      data(headless.answers).map((s) => (s as { target: string }).target).sort(),
      ['127-244-1-11.db.shop.svc.cluster.local', 'db-0.db.shop.svc.cluster.local'],
    );
    assert.ok(data(headless.answers).every((s) => (s as { weight: number }).weight === 50));
  });

  it('answers an ExternalName service with a CNAME, resolving the target upstream', async () => {
    const r = await query('ext.shop.svc.cluster.local', TYPE.A);
    assert.equal(r.rcode, RCODE.NOERROR);
    assert.deepEqual(r.answers.map((a) => [a.name, a.type, a.data]), [
      ['ext.shop.svc.cluster.local', TYPE.CNAME, 'target.example.net'],
      ['target.example.net', TYPE.A, '192.0.2.7'],
    ]);
    assert.deepEqual(data((await query('ext.shop.svc.cluster.local', TYPE.CNAME)).answers), ['target.example.net']);
  });

  it('answers pod names (pods insecure) and PTR for service and endpoint addresses', async () => {
    assert.deepEqual(data((await query('127-244-1-5.default.pod.cluster.local', TYPE.A)).answers), ['127.244.1.5']);
    assert.equal((await query('not-an-ip.default.pod.cluster.local', TYPE.A)).rcode, RCODE.NXDOMAIN);
    const rev = webIP.split('.').reverse().join('.');
    assert.deepEqual(data((await query(`${rev}.in-addr.arpa`, TYPE.PTR)).answers), ['web.default.svc.cluster.local']);
    assert.deepEqual(data((await query('10.1.244.127.in-addr.arpa', TYPE.PTR)).answers), ['db-0.db.shop.svc.cluster.local']);
    assert.deepEqual(data((await query('cluster.local', TYPE.SOA)).answers, TYPE.SOA).length, 1);
    assert.deepEqual(data((await query('dns-version.cluster.local', TYPE.TXT)).answers), [['1.1.0']]);
  });

  it('answers NXDOMAIN with the SOA for unknown names in the cluster domain, NODATA for the names between', async () => {
    for (const name of ['nope.default.svc.cluster.local', 'web.nonamespace.svc.cluster.local', 'web.default.cluster.local', 'web.default.svc.svc.cluster.local', 'a.b.c.web.default.svc.cluster.local', 'example.org.default.svc.cluster.local']) {
      const r = await query(name, TYPE.A);
      assert.equal(r.rcode, RCODE.NXDOMAIN, name);
      assert.equal(r.aa, true);
      assert.deepEqual(r.authorities.map((a) => [a.name, a.type]), [['cluster.local', TYPE.SOA]], name);
      assert.equal((r.authorities[0]!.data as { mname: string }).mname, 'ns.dns.cluster.local');
    }
    for (const name of ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local']) {
      const r = await query(name, TYPE.A);
      assert.equal(r.rcode, RCODE.NOERROR, name);
      assert.deepEqual(r.answers, []);
    }
  });

  it('forwards other names to the upstream, caches the answer, and re-asks when the TTL runs out', async () => {
    upstream.seen = [];
    const r = await query('example.org', TYPE.A);
    assert.equal(r.rcode, RCODE.NOERROR);
    assert.equal(r.ra, true);
    assert.deepEqual(data(r.answers), ['93.184.216.34']);
    assert.equal(r.answers[0]!.ttl, 30); // capped by `cache 30`
    clock.advance(10_000);
    const again = await query('example.org', TYPE.A);
    assert.equal(again.answers[0]!.ttl, 20);
    assert.deepEqual(upstream.seen, ['udp example.org 1']);
    clock.advance(25_000);
    await query('example.org', TYPE.A);
    assert.deepEqual(upstream.seen, ['udp example.org 1', 'udp example.org 1']);
    const nx = await query('nothing.example.org', TYPE.A);
    assert.equal(nx.rcode, RCODE.NXDOMAIN);
    assert.equal(nx.authorities[0]!.type, TYPE.SOA);
    // The partial name `web.default` is absolute to the server: it goes upstream.
    assert.equal((await query('web.default', TYPE.A)).rcode, RCODE.NXDOMAIN);
  });

  it('retries upstream over TCP when the UDP answer is truncated, and truncates for small clients', async () => {
    upstream.seen = [];
    const udp = await query('big.example.org', TYPE.A);
    assert.equal(udp.tc, true);
    assert.deepEqual(upstream.seen, ['udp big.example.org 1', 'tcp big.example.org 1']);
    const tcp = await query('big.example.org', TYPE.A, { tcp: true });
    assert.equal(tcp.tc, false);
    assert.equal(tcp.answers.length, 60);
    const edns = await query('big.example.org', TYPE.A, { edns: 4096 });
    assert.equal(edns.answers.length, 60);
    assert.equal(edns.additionals.at(-1)!.type, TYPE.OPT);
  });

  it('serves node\'s resolver', async () => {
    const r = new dnsPromises.Resolver({ timeout: 2000, tries: 1 });
    r.setServers([DNS_PORT === 53 ? DNS_ADDR : `${DNS_ADDR}:${DNS_PORT}`]);
    assert.deepEqual(await r.resolve4('web.default.svc.cluster.local'), [webIP]);
    assert.deepEqual((await r.resolve4('db.shop.svc.cluster.local')).sort(), ['127.244.1.10', '127.244.1.11']);
    assert.deepEqual(await r.resolveSrv('_http._tcp.web.default.svc.cluster.local'), [{ name: 'web.default.svc.cluster.local', port: 80, priority: 0, weight: 100 }]);
    assert.deepEqual(await r.resolveCname('ext.shop.svc.cluster.local'), ['target.example.net']);
    assert.deepEqual(await r.resolve4('example.org'), ['93.184.216.34']);
    await assert.rejects(r.resolve4('missing.default.svc.cluster.local'), { code: 'ENOTFOUND' });
  });

  it('follows the cluster: new services and endpoints answer once the informers see them', async () => {
    await client.resource('', 'services', 'shop').create({ metadata: { name: 'late' }, spec: { ports: [{ port: 8080 }] } });
    await until(async () => (await query('late.shop.svc.cluster.local', TYPE.A)).answers.length === 1, 'the new service to resolve');
    await client.resource('', 'services', 'shop').delete('late');
    await until(async () => (await query('late.shop.svc.cluster.local', TYPE.A)).rcode === RCODE.NXDOMAIN, 'the deleted service to go');
    // An endpoint that stops being ready leaves the headless answer (answers are reused until a change).
    const slices = client.resource('discovery.k8s.io', 'endpointslices', 'shop');
    const slice = await slices.get('db-abc');
    await slices.update({ ...slice, endpoints: slice.endpoints.map((e: { hostname?: string }) => (e.hostname === 'db-0' ? { ...e, conditions: { ready: false } } : e)) });
    await until(async () => data((await query('db.shop.svc.cluster.local', TYPE.A)).answers).join() === '127.244.1.11', 'db-0 to leave the answer');
    await slices.update({ ...(await slices.get('db-abc')), endpoints: slice.endpoints });
    await until(async () => (await query('db.shop.svc.cluster.local', TYPE.A)).answers.length === 2, 'db-0 to come back');
  });

  it('resolves through a pod\'s resolv.conf with glibc: search path and ndots:5', { skip: !isRoot || DNS_PORT !== 53 ? 'needs root for port 53 and a mount namespace' : false }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-dns-'));
    try {
      const file = join(dir, 'resolv.conf');
      writeFileSync(file, resolvConf('default', { clusterDNS: [DNS_ADDR], host: { nameservers: [], searches: [], options: [] } }) + 'options attempts:1 timeout:2\n');
      // The server lives in this process: the lookup must not block the event loop.
      const lookup = async (name: string) => {
        const r = await promisify(execFile)('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /etc/resolv.conf && getent ahostsv4 "$1" || true', file, name], { encoding: 'utf8', timeout: 10_000 });
        return [...new Set(r.stdout.split('\n').filter(Boolean).map((l) => l.split(/\s+/)[0]!))].sort();
      };
      assert.deepEqual(await lookup('web'), [webIP]); // web.default.svc.cluster.local
      assert.deepEqual(await lookup('web.default'), [webIP]); // web.default.svc.cluster.local, second in the search path
      assert.deepEqual(await lookup('db.shop'), ['127.244.1.10', '127.244.1.11']);
      assert.deepEqual(await lookup('db-0.db.shop.svc'), ['127.244.1.10']);
      assert.deepEqual(await lookup('example.org'), ['93.184.216.34']); // three NXDOMAINs, then the name as given
      assert.deepEqual(await lookup('nothing-here'), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes its configuration from the coredns and coredns-custom ConfigMaps', async () => {
    const cms = client.resource('', 'configmaps', 'kube-system');
    await cms.create({
      metadata: { name: 'coredns-custom' },
      data: {
        'hosts.override': 'hosts {\n  10.9.8.7 legacy.internal\n  fallthrough\n}\n',
        'rewrite.override': 'rewrite name exact db.example.internal db.shop.svc.cluster.local\n',
        'corp.server': `corp.example:53 {\n  errors\n  forward . ${UP_ADDR}:${UP_PORT}\n}\n`,
      },
    });
    await until(() => server.config!.servers.length === 2, 'coredns-custom to load');
    assert.deepEqual(data((await query('legacy.internal', TYPE.A)).answers), ['10.9.8.7']);
    const rewritten = await query('db.example.internal', TYPE.A);
    assert.deepEqual(rewritten.questions[0]!.name, 'db.example.internal');
    assert.deepEqual(rewritten.answers.map((a) => [a.name, a.data]).sort(), [['db.example.internal', '127.244.1.10'], ['db.example.internal', '127.244.1.11']]);
    assert.deepEqual(data((await query('corp.example', TYPE.A)).answers), ['10.1.2.3']);
    assert.deepEqual(data((await query('web.default.svc.cluster.local', TYPE.A)).answers), [webIP]);

    // The main Corefile: the plugin's own TTL default (5 s) without `ttl`, pods disabled.
    await cms.create({ metadata: { name: 'coredns' }, data: { Corefile: `.:53 {\n  kubernetes cluster.local\n  forward . /etc/resolv.conf\n}\n` } });
    await until(() => server.config!.servers.length === 1, 'the new Corefile to load');
    assert.equal((await query('web.default.svc.cluster.local', TYPE.A)).answers[0]!.ttl, 5);
    assert.equal((await query('127-244-1-5.default.pod.cluster.local', TYPE.A)).rcode, RCODE.NXDOMAIN);
    assert.equal((await query('legacy.internal', TYPE.A)).rcode, RCODE.NXDOMAIN); // no import: coredns-custom no longer applies

    // A broken Corefile keeps the previous configuration.
    await cms.update({ ...(await cms.get('coredns')), data: { Corefile: '.:53 {\n  kubernetes cluster.local {\n    ttl nope\n  }\n' } });
    await until(() => server.configError !== undefined, 'the bad Corefile to be refused');
    assert.equal((await query('web.default.svc.cluster.local', TYPE.A)).answers[0]!.ttl, 5);
    await cms.delete('coredns');
    await cms.delete('coredns-custom');
    await until(() => server.configError === undefined && server.config!.servers[0]!.kubernetes!.ttl === 30, 'the default Corefile to return');
  });

  it('creates the kube-dns Service as AKS has it', async () => {
    const svc = await client.resource('', 'services', 'kube-system').get('kube-dns');
    assert.equal(svc.spec.clusterIP, '127.96.0.10');
    assert.deepEqual(svc.spec.ports.map((p: { name: string; port: number; protocol: string }) => `${p.name} ${p.port}/${p.protocol}`), ['dns 53/UDP', 'dns-tcp 53/TCP', 'metrics 9153/TCP']);
    assert.equal(svc.metadata.labels['k8s-app'], 'kube-dns');
    assert.equal(svc.metadata.labels['kubernetes.io/name'], 'CoreDNS');
    assert.equal((await ensureKubeDNSService(client, '127.96.0.10')).metadata.uid, svc.metadata.uid);
  });

  it('answers malformed queries with FORMERR and refuses zone transfers', async () => {
    const r = await query('cluster.local', TYPE.AXFR);
    assert.equal(r.rcode, RCODE.REFUSED);
    const bad = Buffer.from([0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x05, 0x61]);
    const out = await server.handle(bad, 'udp');
    assert.ok(out);
    assert.equal(out.readUInt16BE(0), 0xabcd);
    assert.equal(out[3]! & 0xf, RCODE.FORMERR);
  });
});
