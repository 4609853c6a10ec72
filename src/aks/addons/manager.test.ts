import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddonManager, containsFields } from './manager.ts';
import { imagesFor, MODE_LABEL } from './manifests.ts';
import { ladderReplicas, linearReplicas, corednsReplicas } from './dnsscale.ts';
import { startTestApi, makeNode } from '../autoscaler/fakes.ts';
import { until } from '../../controllers/util/testing.ts';
import { ensureKubeDNSService } from '../../dns/service.ts';

test('coredns-autoscaler linear and ladder formulas', () => {
  const p = { coresPerReplica: 256, nodesPerReplica: 16, min: 2, preventSinglePointFailure: true };
  assert.equal(linearReplicas(p, 8, 1), 2); // min
  assert.equal(linearReplicas(p, 8, 40), 3); // ceil(40/16)
  assert.equal(linearReplicas(p, 1024, 40), 4); // ceil(1024/256)
  assert.equal(linearReplicas({ ...p, max: 3 }, 1024, 40), 3);
  assert.equal(linearReplicas({ coresPerReplica: 256, preventSinglePointFailure: true }, 4, 2), 2);
  assert.equal(linearReplicas({ coresPerReplica: 256 }, 4, 2), 1);
  const ladder = { coresToReplicas: [[1, 2], [512, 3], [1024, 4]] as [number, number][], nodesToReplicas: [[1, 2], [8, 3], [16, 4]] as [number, number][] };
  assert.equal(ladderReplicas(ladder, 16, 4), 2);
  assert.equal(ladderReplicas(ladder, 16, 9), 3);
  assert.equal(ladderReplicas(ladder, 2048, 9), 4);
  const nodes = [makeNode('a', { capacity: { cpu: '4' }, labels: {}, taints: [] }), makeNode('b', { capacity: { cpu: '4' }, labels: {}, taints: [] })];
  assert.equal(corednsReplicas({ linear: '{"coresPerReplica":2,"min":1}' }, nodes), 4);
  assert.equal(corednsReplicas({ linear: 'not json' }, nodes), 2);
});

test('images follow the Kubernetes version', () => {
  const i = imagesFor('1.31.2');
  assert.equal(i.kubeProxy, 'mcr.microsoft.com/oss/kubernetes/kube-proxy:v1.31.2');
  assert.match(i.coredns, /^mcr\.microsoft\.com\/oss\/kubernetes\/coredns:v1\.11\./);
  assert.match(imagesFor('1.40.0').coredns, /^mcr\.microsoft\.com\/oss\/kubernetes\/coredns:/);
});

test('containsFields ignores server-defaulted extras', () => {
  assert.equal(containsFields({ a: 1, b: { c: 2, d: 3 } }, { b: { c: 2 } }), true);
  assert.equal(containsFields({ a: [{ x: 1, y: 2 }] }, { a: [{ x: 1 }] }), true);
  assert.equal(containsFields({ a: [{ x: 1 }, { x: 2 }] }, { a: [{ x: 1 }] }), false);
  assert.equal(containsFields({ a: 'v2' }, { a: 'v1' }), false);
  assert.equal(containsFields({}, { data: {} }), true);
});

test('AddonManager installs, reverts edits, recreates deletions and scales coredns', async () => {
  const t = await startTestApi();
  const { client } = t;
  const m = new AddonManager(client, { kubernetesVersion: '1.31.2', dnsServiceIP: '127.96.0.10', resyncMs: 3_600_000 });
  try {
    // The local cluster's DNS made kube-dns already: it is reused, not duplicated.
    const before = await ensureKubeDNSService(client, '127.96.0.10');
    for (const n of ['n1', 'n2', 'n3']) await client.nodes().create(makeNode(n, { capacity: { cpu: '4', memory: '8Gi', pods: '110' }, labels: {}, taints: [] }));
    await m.start();
    await until(() => m.inSync(), 'add-ons installed');
    assert.deepEqual(m.unmatched, []);
    const deps = client.resource('apps', 'deployments', 'kube-system');
    const dss = client.resource('apps', 'daemonsets', 'kube-system');
    const names = (await deps.list()).items.map((d) => d.metadata.name).sort();
    assert.deepEqual(names, ['coredns', 'coredns-autoscaler', 'konnectivity-agent', 'metrics-server']);
    assert.deepEqual((await dss.list()).items.map((d) => d.metadata.name).sort(), ['cloud-node-manager', 'kube-proxy']);
    const svc = (await client.resource('', 'services', 'kube-system').list()).items.filter((s) => s.metadata.name === 'kube-dns');
    assert.equal(svc.length, 1);
    assert.equal(svc[0]!.metadata.uid, before.metadata.uid);
    const coredns = await deps.get('coredns');
    assert.equal(coredns.metadata.labels[MODE_LABEL], 'Reconcile');
    assert.equal(coredns.metadata.labels['kubernetes.azure.com/managedby'], 'aks');
    assert.equal(coredns.spec.template.spec.priorityClassName, 'system-node-critical');
    assert.equal(coredns.spec.replicas, 2);
    assert.equal((await dss.get('kube-proxy')).spec.template.spec.containers[0].image, 'mcr.microsoft.com/oss/kubernetes/kube-proxy:v1.31.2');

    // An edit to a managed field is reverted.
    const image = coredns.spec.template.spec.containers[0].image;
    await deps.patch('coredns', 'strategic', { spec: { template: { spec: { containers: [{ name: 'coredns', image: 'example.com/my-dns:1' }] } } } });
    await until(async () => (await deps.get('coredns')).spec.template.spec.containers[0].image === image, 'coredns image reverted', { ms: 5000 });

    // A deleted object comes back.
    const oldUid = (await deps.get('metrics-server')).metadata.uid;
    await deps.delete('metrics-server');
    await until(async () => {
      try {
        return (await deps.get('metrics-server')).metadata.uid !== oldUid;
      } catch {
        return false;
      }
    }, 'metrics-server recreated', { ms: 5000 });

    // EnsureExists objects keep the user's edits.
    const cms = client.resource('', 'configmaps', 'kube-system');
    await cms.patch('coredns-custom', 'merge', { data: { 'log.override': 'log' } });
    // Scaling: a tighter linear rule in coredns-autoscaler (EnsureExists, so it stays) scales coredns.
    await cms.patch('coredns-autoscaler', 'merge', { data: { linear: '{"coresPerReplica":256,"nodesPerReplica":1,"min":2}' } });
    await until(async () => (await deps.get('coredns')).spec.replicas === 3, 'coredns scaled to 3');
    await client.nodes().create(makeNode('n4', { capacity: { cpu: '4', memory: '8Gi', pods: '110' }, labels: {}, taints: [] }));
    await until(async () => (await deps.get('coredns')).spec.replicas === 4, 'coredns scaled to 4');
    assert.equal((await cms.get('coredns-custom')).data['log.override'], 'log');
    assert.match((await cms.get('coredns-autoscaler')).data.linear, /"nodesPerReplica":1/);
  } finally {
    m.stop();
    await t.stop();
  }
});
