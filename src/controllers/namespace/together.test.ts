// The garbage collector, namespace, service account, endpoints and endpointslice controllers in one
// controller manager: a namespace with a workload, a Service and its endpoints goes away whole, and
// a Service's slices go with it through their owner reference.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { namespaceController } from './index.ts';
import { garbageCollectorController } from '../garbagecollector/index.ts';
import { serviceAccountController } from '../serviceaccount/index.ts';
import { endpointsController } from '../endpoints/index.ts';
import { endpointSliceController } from '../endpointslice/index.ts';
import { startEnv, gone, type TestEnv } from '../garbagecollector/testenv.ts';

let env: TestEnv;
before(async () => {
  env = await startEnv([garbageCollectorController, namespaceController, serviceAccountController, endpointsController, endpointSliceController]);
});
after(() => env.close());

describe('the five controllers together', () => {
  it('removes a whole namespace: workload, Service, Endpoints, slices, ServiceAccount', async () => {
    const namespaces = env.client.resource('', 'namespaces');
    await namespaces.create({ metadata: { name: 'shop' } });
    await env.until(async () => !(await gone(env.client.resource('', 'serviceaccounts', 'shop').get('default'))), 'the default ServiceAccount');
    const pod = await env.client.pods('shop').create({ metadata: { name: 'web-1', labels: { app: 'web' } }, spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'nginx' }] } });
    await env.client.pods('shop').updateStatus({ ...pod, status: { phase: 'Running', podIP: '127.244.3.1', conditions: [{ type: 'Ready', status: 'True' }] } });
    await env.client.resource('', 'services', 'shop').create({ metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } });
    const slices = env.client.resource('discovery.k8s.io', 'endpointslices', 'shop');
    await env.until(async () => (await slices.list()).items.length === 1 && !(await gone(env.client.resource('', 'endpoints', 'shop').get('web'))), 'endpoints and a slice');

    await namespaces.delete('shop');
    // Act as the node agent: finish pods that were asked to stop.
    await env.until(
      async () => {
        for (const p of (await env.client.pods('shop').list()).items) {
          if (p.metadata.deletionTimestamp) await env.client.pods('shop').delete(p.metadata.name, { gracePeriodSeconds: 0 });
        }
        return gone(namespaces.get('shop'));
      },
      'the namespace to go',
      1000,
    );
    for (const r of [['', 'pods'], ['', 'services'], ['', 'endpoints'], ['', 'serviceaccounts'], ['discovery.k8s.io', 'endpointslices']] as const) {
      assert.equal((await env.client.resource(r[0], r[1], 'shop').list()).items.length, 0, `${r[1]} left behind`);
    }
  });

  it('deleting a Service takes its slices (owner reference) and its Endpoints', async () => {
    const pod = await env.client.pods('default').create({ metadata: { name: 'api-1', labels: { app: 'api' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    await env.client.pods('default').updateStatus({ ...pod, status: { phase: 'Running', podIP: '127.244.3.2', conditions: [{ type: 'Ready', status: 'True' }] } });
    await env.client.resource('', 'services', 'default').create({ metadata: { name: 'api' }, spec: { selector: { app: 'api' }, ports: [{ port: 80 }] } });
    const slices = env.client.resource('discovery.k8s.io', 'endpointslices', 'default');
    await env.until(async () => (await slices.list({ labelSelector: 'kubernetes.io/service-name=api' })).items.length === 1, 'a slice');
    await env.client.resource('', 'services', 'default').delete('api');
    await env.until(async () => (await slices.list({ labelSelector: 'kubernetes.io/service-name=api' })).items.length === 0, 'the slice to go');
    await env.until(() => gone(env.client.resource('', 'endpoints', 'default').get('api')), 'the Endpoints to go');
  });
});
