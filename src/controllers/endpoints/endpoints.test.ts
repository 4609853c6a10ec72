// The endpoints controller against the in-process API server: subsets follow pod readiness, named
// target ports, terminating pods and Service deletion; selectorless Services (the `kubernetes`
// Service) are left alone.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Obj } from '../../client/types.ts';
import { endpointsController, repackSubsets } from './index.ts';
import { startEnv, gone, type TestEnv } from '../garbagecollector/testenv.ts';

let env: TestEnv;
before(async () => {
  env = await startEnv([endpointsController]);
});
after(() => env.close());

const NS = 'default';

async function makePod(name: string, ip: string | undefined, ready: boolean, opts: { port?: number; nodeName?: string; labels?: Record<string, string> } = {}) {
  const pods = env.client.pods(NS);
  const p = await pods.create({
    metadata: { name, labels: opts.labels ?? { app: 'web' } },
    spec: { ...(opts.nodeName ? { nodeName: opts.nodeName } : {}), containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: opts.port ?? 8080 }] }] },
  });
  if (ip) await setStatus(p.metadata.name, ip, ready);
  return p;
}

async function setStatus(name: string, ip: string, ready: boolean) {
  const pods = env.client.pods(NS);
  const cur = await pods.get(name);
  await pods.updateStatus({
    ...cur,
    status: {
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date(Date.now()).toISOString().replace(/\.\d+Z$/, 'Z') }],
    },
  });
}

async function endpoints(name: string): Promise<Obj | undefined> {
  try {
    return await env.client.resource('', 'endpoints', NS).get(name);
  } catch {
    return undefined;
  }
}

const ips = (addrs: Obj[] | undefined) => (addrs ?? []).map((a) => a.ip);

describe('endpoints controller', () => {
  it('lists ready and not-ready pods with their resolved named ports', async () => {
    const p1 = await makePod('web-1', '127.244.0.11', true, { nodeName: 'node-1' });
    await makePod('web-2', '127.244.0.12', false);
    await makePod('web-3', undefined, false); // no IP yet: not listed
    await env.client.resource('', 'services', NS).create({ metadata: { name: 'web', labels: { tier: 'front' } }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
    await env.until(async () => (await endpoints('web'))?.subsets?.[0]?.notReadyAddresses?.length === 1, 'endpoints with both pods');
    const ep = (await endpoints('web'))!;
    assert.equal(ep.subsets.length, 1);
    const [s] = ep.subsets;
    assert.deepEqual(ips(s.addresses), ['127.244.0.11']);
    assert.deepEqual(ips(s.notReadyAddresses), ['127.244.0.12']);
    assert.deepEqual(s.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    assert.deepEqual(s.addresses[0].targetRef, { kind: 'Pod', namespace: NS, name: 'web-1', uid: p1.metadata.uid });
    assert.equal(s.addresses[0].nodeName, 'node-1');
    assert.deepEqual(ep.metadata.labels, { tier: 'front' });
    assert.match(ep.metadata.annotations['endpoints.kubernetes.io/last-change-trigger-time'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('follows readiness changes and drops terminating pods', async () => {
    await setStatus('web-2', '127.244.0.12', true);
    await env.until(async () => ips((await endpoints('web'))?.subsets?.[0]?.addresses).length === 2, 'web-2 to become ready');
    assert.equal((await endpoints('web'))!.subsets[0].notReadyAddresses, undefined);
    // web-1 is on a node: deleting it leaves it terminating until the node agent is done.
    await env.client.pods(NS).delete('web-1');
    assert.ok((await env.client.pods(NS).get('web-1')).metadata.deletionTimestamp);
    await env.until(async () => ips((await endpoints('web'))?.subsets?.[0]?.addresses).join() === '127.244.0.12', 'the terminating pod to leave');
  });

  it('splits pods serving different port numbers into subsets', async () => {
    await makePod('web-9', '127.244.0.19', true, { port: 9090 });
    await env.until(async () => (await endpoints('web'))?.subsets?.length === 2, 'two subsets');
    const subsets = (await endpoints('web'))!.subsets;
    assert.deepEqual(
      subsets.map((s: Obj) => [ips(s.addresses), s.ports[0].port]),
      [
        [['127.244.0.12'], 8080],
        [['127.244.0.19'], 9090],
      ],
    );
  });

  it('publishes not-ready pods when the Service asks', async () => {
    await makePod('db-1', '127.244.0.31', false, { labels: { app: 'db' } });
    await env.client.resource('', 'services', NS).create({ metadata: { name: 'db' }, spec: { selector: { app: 'db' }, publishNotReadyAddresses: true, ports: [{ port: 5432 }] } });
    await env.until(async () => ips((await endpoints('db'))?.subsets?.[0]?.addresses).length === 1, 'the not-ready pod among the ready addresses');
    assert.deepEqual((await endpoints('db'))!.subsets[0].ports, [{ port: 5432, protocol: 'TCP' }]);
  });

  it('leaves selectorless Services alone and deletes Endpoints with their Service', async () => {
    await env.client.resource('', 'services', NS).create({ metadata: { name: 'external' }, spec: { ports: [{ port: 80 }] } });
    const k = (await endpoints('kubernetes'))!;
    await env.client.resource('', 'services', NS).delete('db');
    await env.until(() => gone(env.client.resource('', 'endpoints', NS).get('db')), 'the Endpoints of a deleted Service to go');
    assert.equal(await endpoints('external'), undefined);
    assert.equal((await endpoints('kubernetes'))!.metadata.resourceVersion, k.metadata.resourceVersion, 'the API server\'s Endpoints are untouched');
  });

  it('re-creates Endpoints deleted by hand', async () => {
    await env.client.resource('', 'endpoints', NS).delete('web');
    await env.until(async () => (await endpoints('web'))?.subsets?.length === 2, 'the Endpoints to come back');
  });
});

describe('repackSubsets', () => {
  it('groups addresses by the ports they serve; ready wins over not ready', () => {
    const a = { ip: '10.0.0.2' };
    const b = { ip: '10.0.0.1' };
    const http = { name: 'http', port: 80, protocol: 'TCP' };
    const metrics = { name: 'm', port: 9000, protocol: 'TCP' };
    const out = repackSubsets([
      { addr: a, ready: true, port: http },
      { addr: a, ready: true, port: metrics },
      { addr: b, ready: false, port: http },
      { addr: b, ready: true, port: http },
      { addr: b, ready: true, port: metrics },
    ]);
    assert.deepEqual(out, [{ addresses: [b, a], ports: [http, metrics] }]);
  });
});
