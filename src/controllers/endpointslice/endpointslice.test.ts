// The EndpointSlice controller against the in-process API server: slices named after the Service,
// owned by it and labelled as upstream's; ready / serving / terminating conditions following pod
// readiness and deletion; zones from node labels; a placeholder with no endpoints; at most 100
// endpoints per slice; the API server's `kubernetes` slice untouched; no writes once settled.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Obj } from '../../client/types.ts';
import { endpointSliceController, CONTROLLER_NAME } from './index.ts';
import { startEnv, type TestEnv } from '../garbagecollector/testenv.ts';

let env: TestEnv;
before(async () => {
  env = await startEnv([endpointSliceController]);
});
after(() => env.close());

const NS = 'default';

async function makePod(name: string, ip: string, ready: boolean, opts: { nodeName?: string; labels?: Record<string, string> } = {}) {
  const pods = env.client.pods(NS);
  await pods.create({
    metadata: { name, labels: opts.labels ?? { app: 'web' } },
    spec: { ...(opts.nodeName ? { nodeName: opts.nodeName } : {}), containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }] },
  });
  await setReady(name, ip, ready);
}

async function setReady(name: string, ip: string, ready: boolean) {
  const pods = env.client.pods(NS);
  const cur = await pods.get(name);
  await pods.updateStatus({ ...cur, status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: '2026-01-01T00:00:00Z' }] } });
}

async function slices(service: string): Promise<Obj[]> {
  return (await env.client.resource('discovery.k8s.io', 'endpointslices', NS).list({ labelSelector: `kubernetes.io/service-name=${service}` })).items;
}

async function endpointOf(service: string, pod: string): Promise<Obj | undefined> {
  for (const s of await slices(service)) for (const e of s.endpoints ?? []) if (e.targetRef?.name === pod) return e;
  return undefined;
}

describe('endpointslice controller', () => {
  it('makes an owned, labelled slice with conditions, node names and zones', async () => {
    await env.client.nodes().create({ metadata: { name: 'node-a', labels: { 'topology.kubernetes.io/zone': 'eastus-1' } } });
    await makePod('web-1', '127.244.0.11', true, { nodeName: 'node-a' });
    await makePod('web-2', '127.244.0.12', false);
    const svc = await env.client.resource('', 'services', NS).create({ metadata: { name: 'web', labels: { tier: 'front' } }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
    await env.until(async () => (await slices('web'))[0]?.endpoints?.length === 2, 'a slice with both pods');
    const [s, ...more] = await slices('web');
    assert.equal(more.length, 0);
    assert.match(s!.metadata.name, /^web-[a-z0-9]{5}$/);
    assert.deepEqual(s!.metadata.labels, { tier: 'front', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': CONTROLLER_NAME });
    assert.deepEqual(s!.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    assert.equal(s!.addressType, 'IPv4');
    assert.deepEqual(s!.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const e1 = await endpointOf('web', 'web-1');
    assert.deepEqual(e1!.addresses, ['127.244.0.11']);
    assert.deepEqual(e1!.conditions, { ready: true, serving: true, terminating: false });
    assert.equal(e1!.nodeName, 'node-a');
    assert.equal(e1!.zone, 'eastus-1');
    assert.deepEqual((await endpointOf('web', 'web-2'))!.conditions, { ready: false, serving: false, terminating: false });
    assert.equal(s!.metadata.annotations['endpoints.kubernetes.io/last-change-trigger-time'], '2026-01-01T00:00:00Z');
  });

  it('follows readiness, and keeps a terminating pod as terminating', async () => {
    await setReady('web-2', '127.244.0.12', true);
    await env.until(async () => (await endpointOf('web', 'web-2'))?.conditions.ready === true, 'web-2 to be ready');
    await env.client.pods(NS).delete('web-1'); // on a node: terminating until the node agent finishes
    await env.until(async () => (await endpointOf('web', 'web-1'))?.conditions.terminating === true, 'web-1 to be terminating');
    assert.deepEqual((await endpointOf('web', 'web-1'))!.conditions, { ready: false, serving: true, terminating: true });
    await env.client.pods(NS).delete('web-1', { gracePeriodSeconds: 0 });
    await env.until(async () => (await endpointOf('web', 'web-1')) === undefined, 'web-1 to leave');
    assert.equal((await slices('web')).length, 1, 'the slice is updated in place');
  });

  it('writes nothing more once settled', async () => {
    const before = (await slices('web')).map((s) => s.metadata.resourceVersion);
    env.clock.advance(60_000);
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual((await slices('web')).map((s) => s.metadata.resourceVersion), before);
  });

  it('keeps one empty placeholder slice for a Service with no endpoints', async () => {
    await env.client.resource('', 'services', NS).create({ metadata: { name: 'empty' }, spec: { selector: { app: 'nothing' }, ports: [{ port: 80 }] } });
    await env.until(async () => (await slices('empty')).length === 1, 'a placeholder');
    const [p] = await slices('empty');
    assert.deepEqual(p!.endpoints ?? [], []);
  });

  it('puts at most 100 endpoints in a slice', async () => {
    const n = 230;
    for (let i = 0; i < n; i++) await makePod(`big-${i}`, `127.244.1.${i}`, true, { labels: { app: 'big' } });
    await env.client.resource('', 'services', NS).create({ metadata: { name: 'big' }, spec: { selector: { app: 'big' }, ports: [{ port: 80, targetPort: 8080 }] } });
    await env.until(async () => (await slices('big')).reduce((t, s) => t + (s.endpoints?.length ?? 0), 0) === n, 'every pod in some slice');
    const sizes = (await slices('big')).map((s) => s.endpoints.length).sort((a, b) => b - a);
    assert.deepEqual(sizes, [100, 100, 30]);
  });

  it('leaves the API server\'s `kubernetes` slice alone', async () => {
    const [k] = await slices('kubernetes');
    assert.ok(k);
    env.clock.advance(10_000);
    await new Promise((r) => setTimeout(r, 20));
    const [again] = await slices('kubernetes');
    assert.equal(again!.metadata.resourceVersion, k.metadata.resourceVersion);
  });
});
