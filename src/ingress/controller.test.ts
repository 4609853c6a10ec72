// The Ingress controller against the in-process API server, with real backends on pod-like
// loopback addresses and EndpointSlices written by the test: the default `skiff` IngressClass, two
// hosts to two Services, path types and precedence, a default backend, TLS with SNI for two hosts
// from two Secrets (and the default certificate otherwise), the status address, endpoint changes
// taking effect (round-robin, a refused endpoint skipped, 503 with none), X-Forwarded headers and a
// streamed request body, WebSocket-style upgrades, and Ingresses of other classes left alone.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { MemoryBackend } from '../storage/memory/memory.ts';
import { ApiServer } from '../apiserver/server.ts';
import { KubeClient } from '../client/client.ts';
import { InProcessTransport } from '../client/inprocess.ts';
import { InformerFactory } from '../client/informer.ts';
import type { Obj } from '../client/types.ts';
import { ControllerManager } from '../controllers/manager.ts';
import { endpointSliceController } from '../controllers/endpointslice/index.ts';
import { IngressController } from './controller.ts';
import { INGRESS_CONTROLLER, ANN_DEFAULT_INGRESS_CLASS } from './class.ts';
import { generateCertificate, DEFAULT_CERT_CN, type KeyPairPem } from './certs.ts';

// Addresses of this test only, so that it can run beside others on the same loopback.
const POD = (n: number) => `127.244.238.${n}`;
const ADDRESS = '127.0.0.1';
const NS = 'default';

let api: ApiServer;
let client: KubeClient;
let informers: InformerFactory;
let ctl: IngressController;
let ca: KeyPairPem;
const servers: Server[] = [];
const upgraded = new Set<Socket>();

before(async () => {
  api = new ApiServer({ storage: new MemoryBackend(), port: 0, compactionIntervalMs: 0, serviceCIDR: '127.99.38.0/24' });
  await api.start();
  client = new KubeClient(new InProcessTransport(api, { username: 'system:admin', groups: ['system:masters'] }));
  informers = new InformerFactory(client);
  ctl = new IngressController(client, informers, { address: ADDRESS, httpPort: 0, httpsPort: 0, log: () => {} });
  await ctl.start();
  ca = await generateCertificate({ commonName: 'ingress test CA', isCA: true });
});

after(async () => {
  ctl.stop();
  informers.stop();
  for (const s of upgraded) s.destroy();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  client.close();
  await api.stop();
});

// --- helpers ----------------------------------------------------------------------------------

async function until<T>(fn: () => Promise<T | undefined | false>, what: string, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A backend "pod": answers with its name and what it received. */
async function backend(name: string, ip: string, port = 8080): Promise<Server> {
  const s = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.end(JSON.stringify({ backend: name, method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }));
    });
  });
  // A WebSocket-like upgrade: 101, then echo every byte back in upper case.
  s.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade}\r\nConnection: Upgrade\r\nX-Backend: ${name}\r\n\r\n`);
    upgraded.add(socket);
    socket.on('data', (d: Buffer) => socket.write(d.toString().toUpperCase()));
    socket.on('end', () => socket.end());
  });
  await new Promise<void>((r) => s.listen(port, ip, r));
  servers.push(s);
  return s;
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  text: string;
  json?: Obj;
  cert?: ReturnType<TLSSocket['getPeerCertificate']>;
}

async function read(res: IncomingMessage): Promise<Omit<Answer, 'cert'>> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString();
  let json: Obj | undefined;
  try {
    json = JSON.parse(text);
  } catch {
    // plain text
  }
  return { status: res.statusCode ?? 0, headers: res.headers, text, json };
}

function get(host: string, path: string, opts: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: ADDRESS, port: ctl.httpPort, path, method: opts.method ?? 'GET', agent: false, headers: { host, ...opts.headers } }, (res) => read(res).then(resolve, reject));
    req.on('error', reject);
    req.end(opts.body);
  });
}

function getTLS(servername: string, path: string, opts: { rejectUnauthorized?: boolean } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: ADDRESS, port: ctl.httpsPort, servername, path, ca: ca.cert, agent: false, rejectUnauthorized: opts.rejectUnauthorized ?? true, headers: { host: servername } }, (res) => {
      const cert = (res.socket as TLSSocket).getPeerCertificate();
      read(res).then((a) => resolve({ ...a, cert }), reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Who answered a request (the backend's name), or the status code with the controller's text. */
async function who(host: string, path: string): Promise<string> {
  const a = await get(host, path);
  return a.json?.backend ?? `${a.status} ${a.text.trim()}`;
}

async function service(name: string, ports: Obj[] = [{ name: 'http', port: 80, targetPort: 8080 }]): Promise<void> {
  await client.resource('', 'services', NS).create({ metadata: { name }, spec: { selector: { app: name }, ports } });
}

/** Publishes the Service's endpoints, as the endpointslice controller would. */
async function endpoints(svc: string, ips: { ip: string; ready?: boolean }[], port = 8080, portName = 'http'): Promise<void> {
  const slices = client.resource('discovery.k8s.io', 'endpointslices', NS);
  const body: Obj = {
    metadata: { name: `${svc}-abcde`, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    ports: [{ name: portName, port, protocol: 'TCP' }],
    endpoints: ips.map(({ ip, ready }) => ({ addresses: [ip], conditions: { ready: ready ?? true } })),
  };
  try {
    const cur = await slices.get(body.metadata.name);
    await slices.update({ ...body, metadata: { ...body.metadata, resourceVersion: cur.metadata.resourceVersion } });
  } catch {
    await slices.create(body);
  }
}

const svcBackend = (name: string, port: number | string = 80) => ({ service: { name, port: typeof port === 'number' ? { number: port } : { name: port } } });

async function ingress(name: string, spec: Obj, metadata: Obj = {}): Promise<Obj> {
  return client.resource('networking.k8s.io', 'ingresses', NS).create({ metadata: { name, ...metadata }, spec });
}

async function statusOf(name: string): Promise<Obj[] | undefined> {
  return (await client.resource('networking.k8s.io', 'ingresses', NS).get(name)).status?.loadBalancer?.ingress;
}

// --- tests ------------------------------------------------------------------------------------

describe('ingress controller', () => {
  it('creates the skiff IngressClass as the cluster default', async () => {
    const ic = await client.resource('networking.k8s.io', 'ingressclasses').get('skiff');
    assert.equal(ic.spec.controller, INGRESS_CONTROLLER);
    assert.equal(ic.metadata.annotations[ANN_DEFAULT_INGRESS_CLASS], 'true');
  });

  it('routes two hosts to two services and writes the status address', async () => {
    await backend('foo-1', POD(1));
    await backend('bar-1', POD(2));
    await service('foo');
    await service('bar');
    await endpoints('foo', [{ ip: POD(1) }]);
    await endpoints('bar', [{ ip: POD(2) }]);
    await ingress('two-hosts', {
      ingressClassName: 'skiff',
      rules: [
        { host: 'foo.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: svcBackend('foo') }] } },
        { host: 'bar.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: svcBackend('bar', 'http') }] } },
      ],
    });
    await until(async () => (await who('foo.example.com', '/')) === 'foo-1', 'foo.example.com to be served');
    assert.equal(await who('bar.example.com', '/some/page?x=1'), 'bar-1');
    assert.equal(await who('FOO.example.com:8080', '/x'), 'foo-1');
    const miss = await get('other.example.com', '/');
    assert.equal(miss.status, 404);
    assert.equal(miss.text, '404 Not Found: no Ingress rule matches host "other.example.com" and path "/"\n');
    await until(async () => (await statusOf('two-hosts'))?.length, 'the status address');
    assert.deepEqual(await statusOf('two-hosts'), [{ ip: ADDRESS }]);
    assert.ok(ctl.served.includes('default/two-hosts'));
  });

  it('matches Exact, Prefix and ImplementationSpecific paths, longest first', async () => {
    for (const [i, n] of [
      [11, 'root'],
      [12, 'exact'],
      [13, 'prefix'],
      [14, 'impl'],
    ] as const) {
      await backend(n, POD(i));
      await service(n);
      await endpoints(n, [{ ip: POD(i) }]);
    }
    await ingress('paths', {
      rules: [
        {
          host: 'paths.example.com',
          http: {
            paths: [
              { path: '/', pathType: 'Prefix', backend: svcBackend('root') },
              { path: '/exact', pathType: 'Exact', backend: svcBackend('exact') },
              { path: '/prefix', pathType: 'Prefix', backend: svcBackend('prefix') },
              { path: '/impl', pathType: 'ImplementationSpecific', backend: svcBackend('impl') },
            ],
          },
        },
      ],
    });
    const h = 'paths.example.com';
    await until(async () => (await who(h, '/exact')) === 'exact', 'the paths Ingress');
    assert.equal(await who(h, '/exact/'), 'root');
    assert.equal(await who(h, '/exactly'), 'root');
    assert.equal(await who(h, '/prefix'), 'prefix');
    assert.equal(await who(h, '/prefix/a/b'), 'prefix');
    assert.equal(await who(h, '/prefixes'), 'root');
    assert.equal(await who(h, '/impl/x'), 'impl');
    assert.equal(await who(h, '/'), 'root');
    // The upstream sees the original path and query.
    assert.equal((await get(h, '/prefix/a?q=1')).json?.url, '/prefix/a?q=1');
  });

  it('sends what no rule matches to the default backend', async () => {
    await backend('fallback', POD(21));
    await service('fallback');
    await endpoints('fallback', [{ ip: POD(21) }]);
    await ingress('default-backend', { defaultBackend: svcBackend('fallback') });
    await until(async () => (await who('nowhere.example.com', '/')) === 'fallback', 'the default backend');
    assert.equal(await who('foo.example.com', '/'), 'foo-1');
    assert.equal(await who('', '/anything'), 'fallback');
  });

  it('terminates TLS with the certificate of each host by SNI, and a default one otherwise', async () => {
    const secrets = client.resource('', 'secrets', NS);
    for (const host of ['foo.example.com', 'bar.example.com']) {
      const kp = await generateCertificate({ commonName: host, hosts: [host], issuer: ca });
      await secrets.create({ metadata: { name: `${host.split('.')[0]}-tls` }, type: 'kubernetes.io/tls', data: { 'tls.crt': Buffer.from(kp.cert).toString('base64'), 'tls.key': Buffer.from(kp.key).toString('base64') } });
    }
    await ingress('tls', {
      tls: [
        { hosts: ['foo.example.com'], secretName: 'foo-tls' },
        { hosts: ['bar.example.com'], secretName: 'bar-tls' },
      ],
      rules: [
        { host: 'foo.example.com', http: { paths: [{ path: '/secure', pathType: 'Prefix', backend: svcBackend('foo') }] } },
        { host: 'bar.example.com', http: { paths: [{ path: '/secure', pathType: 'Prefix', backend: svcBackend('bar') }] } },
      ],
    });
    const foo = await until(async () => {
      const a = await getTLS('foo.example.com', '/secure');
      return a.cert?.subject?.CN === 'foo.example.com' && a;
    }, 'the foo certificate');
    assert.equal(foo.json?.backend, 'foo-1');
    assert.equal(foo.json?.headers['x-forwarded-proto'], 'https');
    const bar = await getTLS('bar.example.com', '/secure');
    assert.equal(bar.cert?.subject?.CN, 'bar.example.com');
    assert.equal(bar.json?.backend, 'bar-1');
    // An unknown name gets the self-signed default certificate, which a client cannot verify.
    await assert.rejects(getTLS('unknown.example.com', '/'), /self-signed|self signed/);
    const unknown = await getTLS('unknown.example.com', '/', { rejectUnauthorized: false });
    assert.equal(unknown.cert?.subject?.CN, DEFAULT_CERT_CN);
    assert.equal(unknown.json?.backend, 'fallback');
  });

  it('follows endpoint changes: round-robin, a refused endpoint skipped, 503 when none is ready', async () => {
    await backend('rr-1', POD(31));
    await backend('rr-2', POD(32));
    await service('rr');
    await ingress('rr', { rules: [{ host: 'rr.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: svcBackend('rr') }] } }] });
    await until(async () => (await get('rr.example.com', '/')).status === 503, 'the rr Ingress');
    assert.equal(await who('rr.example.com', '/'), '503 503 Service Unavailable: service default/rr port 80 has no ready endpoints');

    await endpoints('rr', [{ ip: POD(31) }]);
    await until(async () => (await who('rr.example.com', '/')) === 'rr-1', 'the first endpoint');
    await endpoints('rr', [{ ip: POD(31) }, { ip: POD(32) }]);
    await until(async () => (await who('rr.example.com', '/')) === 'rr-2', 'the second endpoint');
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add(await who('rr.example.com', '/'));
    assert.deepEqual([...seen].sort(), ['rr-1', 'rr-2']);

    // An endpoint nobody listens on is skipped; a not-ready one is never used.
    await endpoints('rr', [{ ip: POD(33) }, { ip: POD(32) }, { ip: POD(31), ready: false }]);
    await until(async () => {
      for (let i = 0; i < 4; i++) if ((await who('rr.example.com', '/')) !== 'rr-2') return false;
      return true;
    }, 'only rr-2 to answer');

    await endpoints('rr', [{ ip: POD(31), ready: false }]);
    await until(async () => (await get('rr.example.com', '/')).status === 503, 'no ready endpoints');
    await client.resource('', 'services', NS).delete('rr');
    await until(async () => (await who('rr.example.com', '/')) === '503 503 Service Unavailable: service default/rr not found', 'the Service to go');
  });

  it('answers 502 when the only endpoint refuses the connection', async () => {
    await service('dead');
    await endpoints('dead', [{ ip: POD(41) }]);
    await ingress('dead', { rules: [{ host: 'dead.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: svcBackend('dead') }] } }] });
    const a = await until(async () => {
      const r = await get('dead.example.com', '/');
      return r.status === 502 && r;
    }, 'a 502');
    assert.match(a.text, /^502 Bad Gateway: the upstream 127\.244\.238\.41:8080 failed: connect ECONNREFUSED/);
  });

  it('sets X-Forwarded headers, keeps the Host, streams bodies and passes response headers back', async () => {
    const a = await get('foo.example.com', '/echo', { method: 'POST', body: 'hello body', headers: { 'x-forwarded-for': '10.1.2.3', connection: 'keep-alive, x-drop-me', 'x-drop-me': '1' } });
    assert.equal(a.status, 200);
    const h = a.json!.headers;
    assert.equal(a.json!.method, 'POST');
    assert.equal(a.json!.body, 'hello body');
    assert.equal(h.host, 'foo.example.com');
    assert.equal(h['x-forwarded-for'], '10.1.2.3, 127.0.0.1');
    assert.equal(h['x-real-ip'], '127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.equal(h['x-forwarded-host'], 'foo.example.com');
    assert.equal(h['x-forwarded-port'], String(ctl.httpPort));
    assert.equal(h['x-drop-me'], undefined);
    assert.deepEqual(a.headers['set-cookie'], ['a=1', 'b=2']);

    // A chunked upload of 1 MiB arrives whole.
    const big = 'x'.repeat(1 << 20);
    const b = await new Promise<Answer>((resolve, reject) => {
      const req = request({ host: ADDRESS, port: ctl.httpPort, path: '/up', method: 'PUT', agent: false, headers: { host: 'foo.example.com', 'transfer-encoding': 'chunked' } }, (res) => read(res).then(resolve, reject));
      req.on('error', reject);
      for (let i = 0; i < 16; i++) req.write(big.slice(i * 65536, (i + 1) * 65536));
      req.end();
    });
    assert.equal(b.json?.body.length, 1 << 20);
  });

  it('passes Upgrade requests (WebSockets) through', async () => {
    const sock = connect(ctl.httpPort, ADDRESS);
    await new Promise((r) => sock.once('connect', r));
    sock.write('GET /ws HTTP/1.1\r\nHost: foo.example.com\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    let got = '';
    await until(async () => {
      got += sock.read()?.toString() ?? '';
      return got.includes('\r\n\r\n');
    }, 'the 101');
    assert.match(got, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(got, /X-Backend: foo-1/);
    got = '';
    sock.write('ping');
    await until(async () => {
      got += sock.read()?.toString() ?? '';
      return got === 'PING';
    }, 'the echo');
    sock.destroy();
  });

  it('leaves Ingresses of other classes alone and serves the legacy annotation', async () => {
    await client.resource('networking.k8s.io', 'ingressclasses').create({ metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } });
    await ingress('other-class', { ingressClassName: 'nginx', rules: [{ host: 'nginx.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: svcBackend('foo') }] } }] });
    await ingress('legacy', { rules: [{ host: 'legacy.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: svcBackend('bar') }] } }] }, { annotations: { 'kubernetes.io/ingress.class': 'skiff' } });
    await until(async () => (await who('legacy.example.com', '/')) === 'bar-1', 'the legacy Ingress');
    await until(async () => (await statusOf('legacy'))?.length, 'the legacy Ingress status');
    assert.equal(await who('nginx.example.com', '/'), 'fallback');
    assert.equal(await statusOf('other-class'), undefined);
    assert.ok(!ctl.served.includes('default/other-class'));
  });

  it('stops serving an Ingress moved to another class and takes its address out of status', async () => {
    const ings = client.resource('networking.k8s.io', 'ingresses', NS);
    await ingress('moving', { ingressClassName: 'skiff', rules: [{ host: 'moving.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: svcBackend('bar') }] } }] });
    await until(async () => (await statusOf('moving'))?.length, 'the status of moving');
    assert.equal(await who('moving.example.com', '/'), 'bar-1');
    const cur = await ings.get('moving');
    await ings.update({ ...cur, spec: { ...cur.spec, ingressClassName: 'nginx' } });
    await until(async () => !(await statusOf('moving'))?.length, 'the status to be cleared');
    assert.equal(await who('moving.example.com', '/'), 'fallback');
  });
});

describe('ingress controller with the endpointslice controller', () => {
  it('routes to ready pods the endpointslice controller publishes, through a named targetPort', async () => {
    const manager = new ControllerManager(client, [endpointSliceController], { config: { leaderElect: false } });
    await manager.start();
    try {
      const pods = client.pods(NS);
      for (const [name, n] of [
        ['shop-0', 51],
        ['shop-1', 52],
      ] as const) {
        await backend(name, POD(n), 9090);
        await pods.create({ metadata: { name, labels: { app: 'shop' } }, spec: { containers: [{ name: 'c', image: 'registry.k8s.io/e2e-test-images/agnhost:2.47', ports: [{ name: 'web', containerPort: 9090 }] }] } });
        const cur = await pods.get(name);
        await pods.updateStatus({ ...cur, status: { phase: 'Running', podIP: POD(n), podIPs: [{ ip: POD(n) }], conditions: [{ type: 'Ready', status: 'True' }] } });
      }
      await service('shop', [{ name: 'http', port: 80, targetPort: 'web' }]);
      await ingress('shop', { rules: [{ host: 'shop.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: svcBackend('shop', 'http') }] } }] });
      await until(async () => (await who('shop.example.com', '/')).startsWith('shop-'), 'the shop pods');
      const seen = new Set<string>();
      for (let i = 0; i < 4; i++) seen.add(await who('shop.example.com', '/'));
      assert.deepEqual([...seen].sort(), ['shop-0', 'shop-1']);
    } finally {
      manager.stop();
    }
  });
});

describe('ingress controller listeners', () => {
  it('reports a port it cannot bind clearly', async () => {
    const inf = new InformerFactory(client);
    const other = new IngressController(client, inf, { address: ADDRESS, httpPort: ctl.httpPort, httpsPort: null, log: () => {} });
    await assert.rejects(other.start(), /ingress controller: cannot listen for HTTP on 127\.0\.0\.1:\d+: EADDRINUSE \(the port is taken; choose another port\)/);
    other.stop();
    inf.stop();
  });
});
