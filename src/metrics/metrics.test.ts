// The metrics API as kubectl top and the HPA read it: discovery lists metrics.k8s.io once a
// provider is registered, NodeMetrics and PodMetrics in metrics-server's units, selectors, 404s.
import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../storage/memory/memory.ts';
import { ApiServer } from '../apiserver/server.ts';
import { MetricsAPI, metricsResources, type StatsProvider } from './metrics.ts';

const provider: StatsProvider = {
  nodes: () => [{ name: 'n1', cpuNanoCores: 250_000_000, memoryBytes: 512 * 1024 * 1024 }],
  pods: () => [
    { namespace: 'default', name: 'web-1', labels: { app: 'web' }, containers: [{ name: 'c', cpuNanoCores: 100_000_000, memoryBytes: 64 * 1024 * 1024 }] },
    { namespace: 'default', name: 'db-1', labels: { app: 'db' }, containers: [{ name: 'c', cpuNanoCores: 5_000_000, memoryBytes: 1024 * 1024 }] },
    { namespace: 'other', name: 'x', containers: [] },
  ],
};

let api: ApiServer;
let url: string;
before(async () => {
  api = new ApiServer({ storage: new MemoryBackend(), port: 0 });
  url = await api.start();
});
after(async () => {
  await api.stop();
  await api.storage.close();
});

const get = async (path: string) => {
  const r = await fetch(url + path);
  return { status: r.status, body: (await r.json()) as any };
};

describe('metrics.k8s.io', () => {
  it('is not advertised until something serves it', async () => {
    const apis = await get('/apis');
    assert.ok(!apis.body.groups.some((g: any) => g.name === 'metrics.k8s.io'));
  });

  it('serves node and pod metrics in metrics-server units', async () => {
    const m = new MetricsAPI(() => [provider], () => Date.UTC(2026, 0, 1));
    api.addGroup({ resources: metricsResources, get: (r, ns, name, q) => m.handle(r, ns, name, q) });
    const apis = await get('/apis');
    assert.ok(apis.body.groups.some((g: any) => g.name === 'metrics.k8s.io'));
    const rl = await get('/apis/metrics.k8s.io/v1beta1');
    assert.deepEqual(rl.body.resources.map((r: any) => r.name).sort(), ['nodes', 'pods']);
    const nodes = await get('/apis/metrics.k8s.io/v1beta1/nodes');
    assert.equal(nodes.body.kind, 'NodeMetricsList');
    assert.deepEqual(nodes.body.items[0].usage, { cpu: '250000000n', memory: '524288Ki' });
    assert.equal(nodes.body.items[0].window, '10s');
    const pods = await get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Dweb');
    assert.deepEqual(pods.body.items.map((p: any) => p.metadata.name), ['web-1']);
    assert.deepEqual(pods.body.items[0].containers[0].usage, { cpu: '100000000n', memory: '65536Ki' });
    const one = await get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/db-1');
    assert.equal(one.body.kind, 'PodMetrics');
    const missing = await get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, 'pods.metrics.k8s.io "nope" not found');
    const all = await get('/apis/metrics.k8s.io/v1beta1/pods');
    assert.equal(all.body.items.length, 3);
  });
});
