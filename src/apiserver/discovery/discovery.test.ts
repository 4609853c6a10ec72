// Discovery documents compared with what kube-apiserver 1.32 serves and kubectl reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinResources } from '../../api/resources.ts';
import type { ResourceInfo } from '../../api/resources.ts';
import {
  AGGREGATED_DISCOVERY_V2,
  DiscoveryDocuments,
  apiGroupDiscoveryList,
  apiGroupList,
  apiResourceList,
  apiVersions,
  discoveryETag,
  negotiateDiscovery,
} from './discovery.ts';

const KUBECTL_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

test('/api lists v1 with the server address', () => {
  assert.deepEqual(apiVersions('127.0.0.1:6443'), {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }],
  });
});

test('/apis lists groups in upstream order, autoscaling preferring v2, unserved groups left out', () => {
  const doc = apiGroupList(builtinResources) as { groups: any[] };
  const names = doc.groups.map((g) => g.name);
  // APIServices are served (aggregation), so their group leads, as in kube-apiserver's /apis.
  assert.equal(names[0], 'apiregistration.k8s.io');
  assert.equal(names[1], 'apps');
  assert.ok(!names.includes('apiextensions.k8s.io'));
  assert.ok(!names.includes(''));
  const as = doc.groups.find((g) => g.name === 'autoscaling');
  assert.deepEqual(as.versions, [
    { groupVersion: 'autoscaling/v2', version: 'v2' },
    { groupVersion: 'autoscaling/v1', version: 'v1' },
  ]);
  assert.deepEqual(as.preferredVersion, { groupVersion: 'autoscaling/v2', version: 'v2' });
});

test('/api/v1 lists subresources as their own entries, eviction in group policy', () => {
  const doc = apiResourceList(builtinResources, '', 'v1') as any;
  assert.equal(doc.kind, 'APIResourceList');
  assert.equal(doc.groupVersion, 'v1');
  const byName = new Map<string, any>(doc.resources.map((r: any) => [r.name, r]));
  assert.deepEqual(byName.get('pods'), {
    name: 'pods',
    singularName: 'pod',
    namespaced: true,
    kind: 'Pod',
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    shortNames: ['po'],
    categories: ['all'],
  });
  assert.deepEqual(byName.get('pods/eviction'), {
    name: 'pods/eviction',
    singularName: '',
    namespaced: true,
    group: 'policy',
    version: 'v1',
    kind: 'Eviction',
    verbs: ['create'],
  });
  assert.equal(byName.get('pods/log').kind, 'Pod');
  const names = doc.resources.map((r: any) => r.name);
  assert.deepEqual(names.slice(names.indexOf('pods'), names.indexOf('pods') + 3), ['pods', 'pods/attach', 'pods/binding']);
  assert.equal(apiResourceList(builtinResources, 'apiextensions.k8s.io', 'v1'), undefined);
  assert.equal(apiResourceList(builtinResources, 'apps', 'v9'), undefined);
  const apps = apiResourceList(builtinResources, 'apps', 'v1') as any;
  assert.equal(apps.apiVersion, 'v1');
  const scale = apps.resources.find((r: any) => r.name === 'deployments/scale');
  assert.deepEqual([scale.group, scale.version, scale.kind], ['autoscaling', 'v1', 'Scale']);
});

test('aggregated discovery has the apidiscovery.k8s.io/v2 shape', () => {
  const core = apiGroupDiscoveryList(builtinResources, 'core') as any;
  assert.equal(core.kind, 'APIGroupDiscoveryList');
  assert.equal(core.apiVersion, 'apidiscovery.k8s.io/v2');
  assert.equal(core.items.length, 1);
  assert.equal(core.items[0].metadata.name, '');
  const v1 = core.items[0].versions[0];
  assert.equal(v1.version, 'v1');
  assert.equal(v1.freshness, 'Current');
  const pods = v1.resources.find((r: any) => r.resource === 'pods');
  assert.deepEqual(pods.responseKind, { group: '', version: 'v1', kind: 'Pod' });
  assert.equal(pods.scope, 'Namespaced');
  assert.equal(pods.singularResource, 'pod');
  assert.deepEqual(pods.shortNames, ['po']);
  const ev = pods.subresources.find((s: any) => s.subresource === 'eviction');
  assert.deepEqual(ev, { subresource: 'eviction', responseKind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['create'] });
  const nodes = v1.resources.find((r: any) => r.resource === 'nodes');
  assert.equal(nodes.scope, 'Cluster');

  const apis = apiGroupDiscoveryList(builtinResources, 'apis') as any;
  const autoscaling = apis.items.find((g: any) => g.metadata.name === 'autoscaling');
  assert.deepEqual(autoscaling.versions.map((v: any) => v.version), ['v2', 'v1']);
  const deploy = apis.items.find((g: any) => g.metadata.name === 'apps').versions[0].resources.find((r: any) => r.resource === 'deployments');
  assert.deepEqual(deploy.subresources.map((s: any) => s.subresource), ['scale', 'status']);
  assert.deepEqual(deploy.subresources[0].responseKind, { group: 'autoscaling', version: 'v1', kind: 'Scale' });
});

test('content negotiation picks the aggregated type kubectl lists first', () => {
  assert.deepEqual(negotiateDiscovery(KUBECTL_ACCEPT), { aggregated: true, version: 'v2', contentType: AGGREGATED_DISCOVERY_V2 });
  const beta = negotiateDiscovery('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json');
  assert.equal(beta.aggregated && beta.version, 'v2beta1');
  assert.deepEqual(negotiateDiscovery('application/json, */*'), { aggregated: false });
  assert.deepEqual(negotiateDiscovery(undefined), { aggregated: false });
});

test('documents are cached, ETags are stable, and a new resource set rebuilds them', () => {
  const d = new DiscoveryDocuments(builtinResources, '127.0.0.1:6443');
  const a = d.root('apis', KUBECTL_ACCEPT);
  assert.equal(a.contentType, AGGREGATED_DISCOVERY_V2);
  assert.equal(d.root('apis', KUBECTL_ACCEPT), a);
  assert.equal(a.etag, discoveryETag(a.body));
  assert.match(a.etag, /^"[0-9A-F]{128}"$/);
  assert.equal(d.root('apis', 'application/json').contentType, 'application/json');
  assert.equal(JSON.parse(d.root('core', undefined).body).kind, 'APIVersions');
  assert.equal(d.resourceList('example.com', 'v1'), undefined);
  const crd: ResourceInfo = {
    group: 'example.com', version: 'v1', resource: 'widgets', kind: 'Widget', listKind: 'WidgetList',
    singular: 'widget', namespaced: true, verbs: ['get', 'list'],
  };
  d.setResources([...builtinResources, crd]);
  assert.notEqual(d.root('apis', KUBECTL_ACCEPT).etag, a.etag);
  assert.equal(JSON.parse(d.resourceList('example.com', 'v1')!.body).resources[0].name, 'widgets');
  assert.equal(JSON.parse(d.group('example.com')!.body).preferredVersion.version, 'v1');
});
