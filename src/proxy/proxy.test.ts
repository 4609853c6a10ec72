// The service proxy against the in-process API server with real backends on pod-like loopback
// addresses: ClusterIP round-robin over three backends, NodePorts on two node addresses, a
// LoadBalancer address from the service-lb controller, UDP through a ClusterIP, named targetPorts,
// endpoint removal taking effect at once, a dead endpoint skipped, terminating endpoints as a
// fallback, sessionAffinity ClientIP with its timeout, headless and ExternalName Services skipped,
// a bind failure reported as a Warning event, a client looping over the Service while its backends
// are replaced one by one losing no request, and a Deployment-like set of pods published by the
// endpointslice controller answering on its ClusterIP and NodePort.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { createServer as createTcpServer, connect } from 'node:net';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { MemoryBackend } from '../storage/memory/memory.ts';
import { ApiServer } from '../apiserver/server.ts';
import { KubeClient } from '../client/client.ts';
import { InProcessTransport } from '../client/inprocess.ts';
import { InformerFactory } from '../client/informer.ts';
import type { Obj } from '../client/types.ts';
import { FakeClock } from '../machinery/clock.ts';
import { ControllerManager } from '../controllers/manager.ts';
import { endpointSliceController } from '../controllers/endpointslice/index.ts';
import { serviceLBControllerWith } from '../controllers/servicelb/index.ts';
import { ServiceProxy, BIND_FAILED_REASON } from './proxy.ts';

// Addresses of this test only, so that it can run beside others on the same loopback.
const SERVICE_CIDR = '127.99.37.0/24';
const POD = (n: number) => `127.244.237.${n}`;
const NODES = ['127.10.237.1', '127.10.237.2'];
const nodeAddresses = [...NODES];
const LB_POOL = '127.20.237.0/24';
const NS = 'default';

let api: ApiServer;
let client: KubeClient;
let clock: FakeClock;
let informers: InformerFactory;
let proxy: ServiceProxy;
let manager: ControllerManager;
const servers: { close(): Promise<void> }[] = [];

before(async () => {
  api = new ApiServer({ storage: new MemoryBackend(), port: 0, compactionIntervalMs: 0, serviceCIDR: SERVICE_CIDR });
  await api.start();
  client = new KubeClient(new InProcessTransport(api, { username: 'system:admin', groups: ['system:masters'] }));
  clock = new FakeClock(Date.now());
  informers = new InformerFactory(client, { clock });
  proxy = new ServiceProxy(client, informers, { nodeAddresses: () => nodeAddresses, clock, log: () => {} });
  proxy.start();
  await proxy.synced();
  manager = new ControllerManager(client, [endpointSliceController, serviceLBControllerWith({ pool: LB_POOL })], { clock, config: { leaderElect: false } });
  await manager.start();
});

after(async () => {
  proxy.stop();
  manager.stop();
  informers.stop();
  for (const s of servers.splice(0)) await s.close();
  client.close();
  await api.stop();
  await api.storage.close();
});

async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

interface Backend {
  name: string;
  ip: string;
  hits: number;
  close(): Promise<void>;
}

/** An HTTP server on a pod address that answers with its name, as agnhost netexec's /hostname. */
async function httpBackend(name: string, ip: string, port = 8080): Promise<Backend> {
  const b: Backend = { name, ip, hits: 0, close: async () => {} };
  const server: Server = createServer((_req, res) => {
    b.hits++;
    res.end(name);
  });
  server.listen(port, ip);
  await once(server, 'listening');
  let closed = false;
  b.close = async () => {
    if (closed) return;
    closed = true;
    const done = once(server, 'close');
    server.close();
    server.closeIdleConnections();
    await done;
  };
  servers.push(b);
  return b;
}

/** One HTTP GET on a fresh connection (as `curl` in a loop); resolves to the body. */
function get(host: string, port: number, localAddress?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/hostname', agent: false, ...(localAddress ? { localAddress } : {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(3000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

const svcs = () => client.resource('', 'services', NS);
const slices = () => client.resource('discovery.k8s.io', 'endpointslices', NS);

interface Ep {
  ip: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

/** Writes the Service's (only) EndpointSlice by hand, as the endpointslice controller would. */
async function putSlice(service: string, eps: Ep[], ports: Obj[] = [{ name: 'http', port: 8080, protocol: 'TCP' }]): Promise<void> {
  const body: Obj = {
    metadata: { name: `${service}-abcde`, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports,
    endpoints: eps.map((e) => ({ addresses: [e.ip], conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false } })),
  };
  try {
    const cur = await slices().get(body.metadata.name);
    await slices().update({ ...body, metadata: { ...body.metadata, resourceVersion: cur.metadata.resourceVersion } });
  } catch (e) {
    if ((e as { reason?: string }).reason !== 'NotFound') throw e;
    await slices().create(body);
  }
}

async function service(name: string, spec: Obj): Promise<Obj> {
  const svc = await svcs().create({ metadata: { name }, spec: { ports: [{ name: 'http', port: 80, targetPort: 'http' }], ...spec } });
  return svc;
}

const endpointIPs = (name: string, port = 'http', proto = 'TCP') => proxy.endpointsFor(NS, name, port, proto).map((b) => b.ip);

function tally(bodies: string[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const b of bodies) t[b] = (t[b] ?? 0) + 1;
  return t;
}

describe('service proxy', () => {
  it('spreads ClusterIP connections round-robin over three ready backends (named targetPort resolved by the slice)', async () => {
    const bs = [await httpBackend('rr-a', POD(11)), await httpBackend('rr-b', POD(12)), await httpBackend('rr-c', POD(13))];
    const svc = await service('rr', {});
    await putSlice('rr', bs.map((b) => ({ ip: b.ip })));
    await until(() => endpointIPs('rr').length === 3, 'three endpoints');
    const ip = svc.spec.clusterIP;
    assert.deepEqual(proxy.listening(NS, 'rr'), [`TCP/${ip}:80`]);
    const bodies: string[] = [];
    for (let i = 0; i < 9; i++) bodies.push(await get(ip, 80));
    assert.deepEqual(tally(bodies), { 'rr-a': 3, 'rr-b': 3, 'rr-c': 3 });
  });

  it('answers on a NodePort on every node address', async () => {
    const b = await httpBackend('np-a', POD(21));
    const svc = await service('np', { type: 'NodePort', ports: [{ name: 'http', port: 81, targetPort: 8080, nodePort: 30737 }] });
    await putSlice('np', [{ ip: b.ip }]);
    await until(() => proxy.listening(NS, 'np').length === 3 && endpointIPs('np').length === 1, 'the NodePort listeners');
    assert.deepEqual(proxy.listening(NS, 'np'), [`TCP/${NODES[0]}:30737`, `TCP/${NODES[1]}:30737`, `TCP/${svc.spec.clusterIP}:81`].sort());
    for (const node of NODES) assert.equal(await get(node, 30737), 'np-a');
    assert.equal(await get(svc.spec.clusterIP, 81), 'np-a');
    // A node joins: its address gets the NodePort too.
    nodeAddresses.push('127.10.237.3');
    proxy.resync();
    await until(() => proxy.listening(NS, 'np').length === 4, 'the new node address');
    assert.equal(await get('127.10.237.3', 30737), 'np-a');
    nodeAddresses.pop();
    proxy.resync();
    await until(() => proxy.listening(NS, 'np').length === 3, 'the node address to go');
  });

  it('serves a LoadBalancer Service on the address the service-lb controller writes to its status', async () => {
    const b = await httpBackend('lb-a', POD(31));
    await service('lb', { type: 'LoadBalancer', ports: [{ name: 'http', port: 8081, targetPort: 8080 }] });
    await putSlice('lb', [{ ip: b.ip }]);
    let lbIP = '';
    await until(async () => {
      lbIP = (await svcs().get('lb')).status?.loadBalancer?.ingress?.[0]?.ip ?? '';
      return !!lbIP && proxy.listening(NS, 'lb').includes(`TCP/${lbIP}:8081`);
    }, 'the load balancer address to be served');
    assert.match(lbIP, /^127\.20\.237\.\d+$/);
    assert.equal(await get(lbIP, 8081), 'lb-a');
    // NodePorts come with a LoadBalancer Service, too.
    const nodePort = (await svcs().get('lb')).spec.ports[0].nodePort;
    assert.equal(await get(NODES[1]!, nodePort), 'lb-a');
  });

  it('forwards UDP datagrams through the ClusterIP, one flow per client, replies from the service address', async () => {
    const echo = createSocket('udp4');
    echo.on('message', (m, r) => echo.send(Buffer.concat([Buffer.from('echo:'), m]), r.port, r.address));
    echo.bind(5353, POD(41));
    await once(echo, 'listening');
    servers.push({ close: () => new Promise((r) => echo.close(() => r())) });
    const svc = await service('dns', { ports: [{ name: 'dns', port: 53, targetPort: 5353, protocol: 'UDP' }] });
    await putSlice('dns', [{ ip: POD(41) }], [{ name: 'dns', port: 5353, protocol: 'UDP' }]);
    await until(() => endpointIPs('dns', 'dns', 'UDP').length === 1 && proxy.listening(NS, 'dns').length === 1, 'the UDP listener');
    const c = createSocket('udp4');
    c.bind(0, '127.0.0.1');
    await once(c, 'listening');
    try {
      for (const word of ['one', 'two']) {
        c.send(word, 53, svc.spec.clusterIP);
        const [msg, rinfo] = (await once(c, 'message')) as [Buffer, { address: string; port: number }];
        assert.equal(msg.toString(), `echo:${word}`);
        assert.equal(rinfo.address, svc.spec.clusterIP);
        assert.equal(rinfo.port, 53);
      }
    } finally {
      c.close();
    }
  });

  it('stops sending new connections to a removed endpoint at once, and skips a dead one', async () => {
    const [a, b] = [await httpBackend('rm-a', POD(51)), await httpBackend('rm-b', POD(52))];
    const svc = await service('rm', {});
    // 127.244.237.59 has nothing listening: connections to it are refused and the next endpoint is tried.
    await putSlice('rm', [{ ip: a.ip }, { ip: b.ip }, { ip: POD(59) }]);
    await until(() => endpointIPs('rm').length === 3, 'three endpoints');
    const bodies: string[] = [];
    for (let i = 0; i < 6; i++) bodies.push(await get(svc.spec.clusterIP, 80));
    assert.deepEqual(new Set(bodies), new Set(['rm-a', 'rm-b']));
    await putSlice('rm', [{ ip: a.ip }]);
    const t0 = performance.now();
    await until(() => endpointIPs('rm').length === 1, 'the removal');
    assert.ok(performance.now() - t0 < 1000, 'applied within milliseconds');
    const hitsB = b.hits;
    for (let i = 0; i < 10; i++) assert.equal(await get(svc.spec.clusterIP, 80), 'rm-a');
    assert.equal(b.hits, hitsB);
    // No endpoint at all: the client's connection is reset.
    await putSlice('rm', []);
    await until(() => endpointIPs('rm').length === 0, 'no endpoints');
    await assert.rejects(get(svc.spec.clusterIP, 80), /ECONNRESET|socket hang up/);
  });

  it('falls back to serving terminating endpoints when none is ready', async () => {
    const a = await httpBackend('term-a', POD(61));
    const svc = await service('term', {});
    await putSlice('term', [{ ip: a.ip, ready: false, serving: true, terminating: true }, { ip: POD(62), ready: false, serving: false }]);
    await until(() => endpointIPs('term').length === 1, 'the terminating endpoint');
    assert.deepEqual(endpointIPs('term'), [a.ip]);
    assert.equal(await get(svc.spec.clusterIP, 80), 'term-a');
  });

  it('keeps a client IP on one endpoint with sessionAffinity ClientIP until the timeout', async () => {
    const bs = [await httpBackend('aff-a', POD(71)), await httpBackend('aff-b', POD(72)), await httpBackend('aff-c', POD(73))];
    const svc = await service('aff', { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } });
    await putSlice('aff', bs.map((b) => ({ ip: b.ip })));
    await until(() => endpointIPs('aff').length === 3, 'three endpoints');
    const ip = svc.spec.clusterIP;
    const first = await get(ip, 80, '127.0.0.71');
    for (let i = 0; i < 5; i++) assert.equal(await get(ip, 80, '127.0.0.71'), first);
    const other = await get(ip, 80, '127.0.0.72');
    assert.notEqual(other, first, 'another client goes round-robin');
    for (let i = 0; i < 3; i++) assert.equal(await get(ip, 80, '127.0.0.72'), other);
    // 59 s idle keeps it; 60 s more lets it go.
    clock.advance(59_000);
    assert.equal(await get(ip, 80, '127.0.0.71'), first);
    clock.advance(60_000);
    const after: string[] = [];
    for (let i = 0; i < 2; i++) {
      clock.advance(61_000);
      after.push(await get(ip, 80, '127.0.0.71'));
    }
    assert.notEqual(after[0], after[1], 'a new pick each time the affinity has expired');
  });

  it('skips headless and ExternalName Services', async () => {
    await service('headless', { clusterIP: 'None' });
    await putSlice('headless', [{ ip: POD(81) }]);
    await svcs().create({ metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.com' } });
    await service('marker', {});
    await until(() => proxy.listening(NS, 'marker').length === 1, 'the marker to be served');
    assert.deepEqual(proxy.listening(NS, 'headless'), []);
    assert.deepEqual(proxy.listening(NS, 'ext'), []);
    assert.deepEqual(endpointIPs('headless'), []);
  });

  it('reports an address it cannot bind as a Warning event on the Service, and keeps serving the others', async () => {
    const squatter = createTcpServer(() => {});
    squatter.listen(30738, NODES[0]);
    await once(squatter, 'listening');
    servers.push({ close: () => new Promise((r) => squatter.close(() => r())) });
    const b = await httpBackend('busy-a', POD(91));
    await service('busy', { type: 'NodePort', ports: [{ name: 'http', port: 82, targetPort: 8080, nodePort: 30738 }] });
    await putSlice('busy', [{ ip: b.ip }]);
    let ev: Obj | undefined;
    await until(async () => {
      ev = (await client.events(NS).list()).items.find((e) => e.involvedObject?.name === 'busy' && e.reason === BIND_FAILED_REASON);
      return !!ev;
    }, 'a Warning event');
    assert.equal(ev!.type, 'Warning');
    assert.equal(ev!.message, `can't listen on tcp ${NODES[0]}:30738: address already in use`);
    assert.equal(ev!.source.component, 'kube-proxy');
    assert.equal(await get(NODES[1]!, 30738), 'busy-a');
  });

  it('loses no request from a client looping over the Service while its backends are replaced one by one', async () => {
    const olds = [await httpBackend('v1-a', POD(101)), await httpBackend('v1-b', POD(102)), await httpBackend('v1-c', POD(103))];
    const svc = await service('roll', {});
    let eps: Ep[] = olds.map((b) => ({ ip: b.ip }));
    await putSlice('roll', eps);
    await until(() => endpointIPs('roll').length === 3, 'three endpoints');
    let running = true;
    let ok = 0;
    const failures: string[] = [];
    const seen = new Set<string>();
    const loop = async () => {
      while (running) {
        try {
          seen.add(await get(svc.spec.clusterIP, 80));
          ok++;
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
    };
    const loops = [loop(), loop(), loop()];
    await until(() => ok >= 20, 'traffic before the rollout');
    for (let i = 0; i < 3; i++) {
      const fresh = await httpBackend(`v2-${'abc'[i]}`, POD(111 + i));
      eps = [...eps, { ip: fresh.ip }];
      await putSlice('roll', eps);
      await until(() => endpointIPs('roll').includes(fresh.ip), 'the new pod to be an endpoint');
      // The old pod turns unready (terminating), leaves the endpoints, and only then stops.
      const old = olds[i]!;
      eps = eps.map((e) => (e.ip === old.ip ? { ip: e.ip, ready: false, serving: false, terminating: true } : e));
      await putSlice('roll', eps);
      await until(() => !endpointIPs('roll').includes(old.ip), 'the old pod to leave');
      const before = ok;
      await until(() => ok >= before + 20, 'traffic to flow');
      await old.close();
      eps = eps.filter((e) => e.ip !== old.ip);
      await putSlice('roll', eps);
    }
    const before = ok;
    await until(() => ok >= before + 20, 'traffic after the rollout');
    running = false;
    await Promise.all(loops);
    assert.deepEqual(failures, []);
    assert.ok(ok >= 80, `${ok} requests`);
    assert.ok(seen.has('v1-a') && seen.has('v2-c'), `answered by ${[...seen].sort().join(', ')}`);
  });

  it('serves pods published by the endpointslice controller on the ClusterIP and the NodePort, from all three', async () => {
    const bs = [await httpBackend('web-0', POD(121)), await httpBackend('web-1', POD(122)), await httpBackend('web-2', POD(123))];
    for (const b of bs) {
      const pods = client.pods(NS);
      await pods.create({ metadata: { name: b.name, labels: { app: 'netexec' } }, spec: { containers: [{ name: 'c', image: 'registry.k8s.io/e2e-test-images/agnhost:2.47', args: ['netexec', '--http-port=8080'], ports: [{ name: 'http', containerPort: 8080 }] }] } });
      const cur = await pods.get(b.name);
      await pods.updateStatus({ ...cur, status: { phase: 'Running', podIP: b.ip, podIPs: [{ ip: b.ip }], conditions: [{ type: 'Ready', status: 'True' }] } });
    }
    const cip = await svcs().create({ metadata: { name: 'netexec' }, spec: { selector: { app: 'netexec' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
    const np = await svcs().create({ metadata: { name: 'netexec-np' }, spec: { type: 'NodePort', selector: { app: 'netexec' }, ports: [{ port: 8080, targetPort: 8080 }] } });
    await until(() => endpointIPs('netexec').length === 3 && endpointIPs('netexec-np', '').length === 3 && proxy.listening(NS, 'netexec-np').length === 3, 'the endpoints');
    const viaCluster: string[] = [];
    const viaNode: string[] = [];
    for (let i = 0; i < 6; i++) {
      viaCluster.push(await get(cip.spec.clusterIP, 80));
      viaNode.push(await get(NODES[i % 2]!, np.spec.ports[0].nodePort));
    }
    assert.deepEqual(new Set(viaCluster), new Set(['web-0', 'web-1', 'web-2']));
    assert.deepEqual(new Set(viaNode), new Set(['web-0', 'web-1', 'web-2']));
  });

  it('closes the listeners of a deleted Service, letting an established connection finish', async () => {
    const b = await httpBackend('gone-a', POD(131));
    const svc = await service('gone', {});
    await putSlice('gone', [{ ip: b.ip }]);
    await until(() => endpointIPs('gone').length === 1 && proxy.listening(NS, 'gone').length === 1, 'the listener');
    const sock = connect(80, svc.spec.clusterIP);
    await once(sock, 'connect');
    await svcs().delete('gone');
    await until(() => proxy.listening(NS, 'gone').length === 0, 'the listener to close');
    await assert.rejects(get(svc.spec.clusterIP, 80), /ECONNREFUSED/);
    // The connection made before still reaches the pod.
    sock.end('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    let reply = '';
    sock.setEncoding('utf8');
    sock.on('data', (d) => (reply += d));
    await once(sock, 'close');
    assert.match(reply, /^HTTP\/1\.1 200 OK[\s\S]*gone-a$/);
  });
});
