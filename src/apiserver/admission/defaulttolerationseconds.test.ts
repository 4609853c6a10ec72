// DefaultTolerationSeconds through the API server: new pods get the not-ready and unreachable
// NoExecute tolerations (300 s, or as configured) unless they already tolerate those taints.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../storage/memory/memory.ts';
import { ApiServer } from '../server.ts';
import { Admission } from '../admission.ts';
import { KubeClient } from '../../client/client.ts';
import { InProcessTransport } from '../../client/inprocess.ts';
import { defaultTolerationSeconds } from './defaulttolerationseconds.ts';

let api: ApiServer;
let c: KubeClient;
before(async () => {
  api = new ApiServer({ storage: new MemoryBackend(), port: 0, admission: new Admission([defaultTolerationSeconds({ unreachableSeconds: 30 })]) });
  await api.start();
  c = new KubeClient(new InProcessTransport(api, { username: 'system:admin', groups: ['system:masters'] }));
});
after(async () => {
  c.close();
  await api.stop();
  await api.storage.close();
});

const pod = (name: string, tolerations?: unknown[]) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...(tolerations ? { tolerations } : {}) } });

describe('DefaultTolerationSeconds', () => {
  it('adds both tolerations to a new pod', async () => {
    const p = await c.pods('default').create(pod('a'));
    assert.deepEqual(p.spec.tolerations, [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
    ]);
  });

  it('leaves tolerations the pod already has', async () => {
    const own = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 };
    const p = await c.pods('default').create(pod('b', [own]));
    assert.deepEqual(p.spec.tolerations, [own, { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }]);
    const all = await c.pods('default').create(pod('c', [{ operator: 'Exists' }]));
    assert.deepEqual(all.spec.tolerations, [{ operator: 'Exists' }]);
  });

  it('does not touch updates', async () => {
    const p = await c.pods('default').get('c');
    const u = await c.pods('default').update({ ...p, metadata: { ...p.metadata, labels: { x: 'y' } } });
    assert.deepEqual(u.spec.tolerations, [{ operator: 'Exists' }]);
  });
});
