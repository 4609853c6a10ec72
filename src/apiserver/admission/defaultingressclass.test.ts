// DefaultIngressClass through the API server: Ingresses that name no class get the class marked
// default; an explicit class or the legacy annotation is kept.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../storage/memory/memory.ts';
import { ApiServer } from '../server.ts';
import { Admission } from '../admission.ts';
import { KubeClient } from '../../client/client.ts';
import { InProcessTransport } from '../../client/inprocess.ts';
import { defaultIngressClass } from './defaultingressclass.ts';

let api: ApiServer;
let c: KubeClient;
before(async () => {
  api = new ApiServer({ storage: new MemoryBackend(), port: 0, admission: new Admission([]), compactionIntervalMs: 0 });
  api.admission.plugins.push(defaultIngressClass(() => api.store('networking.k8s.io', 'ingressclasses')!));
  await api.start();
  c = new KubeClient(new InProcessTransport(api, { username: 'system:admin', groups: ['system:masters'] }));
});
after(async () => {
  c.close();
  await api.stop();
  await api.storage.close();
});

describe('DefaultIngressClass', () => {
  it('sets spec.ingressClassName from the default class unless the Ingress chose one', async () => {
    await c.resource('networking.k8s.io', 'ingressclasses').create({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: 'nginx', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } },
      spec: { controller: 'k8s.io/ingress-nginx' },
    });
    const ings = c.resource('networking.k8s.io', 'ingresses', 'default');
    const ing = (name: string, extra: Record<string, unknown> = {}, annotations?: Record<string, string>) => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name, ...(annotations ? { annotations } : {}) },
      spec: { defaultBackend: { service: { name: 's', port: { number: 80 } } }, ...extra },
    });
    assert.equal((await ings.create(ing('a'))).spec.ingressClassName, 'nginx');
    assert.equal((await ings.create(ing('b', { ingressClassName: 'other' }))).spec.ingressClassName, 'other');
    assert.equal((await ings.create(ing('c', {}, { 'kubernetes.io/ingress.class': 'legacy' }))).spec.ingressClassName, undefined);
  });
});
