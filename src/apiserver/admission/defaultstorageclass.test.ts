// DefaultStorageClass through the API server: claims that name no class get the newest class
// marked default; explicit choices (even "") are kept.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../storage/memory/memory.ts';
import { ApiServer } from '../server.ts';
import { Admission } from '../admission.ts';
import { KubeClient } from '../../client/client.ts';
import { InProcessTransport } from '../../client/inprocess.ts';
import { defaultStorageClass, newestDefault, isDefaultStorageClass } from './defaultstorageclass.ts';

let api: ApiServer;
let c: KubeClient;
before(async () => {
  api = new ApiServer({ storage: new MemoryBackend(), port: 0, admission: new Admission([]), compactionIntervalMs: 0 });
  api.admission.plugins.push(defaultStorageClass(() => api.store('storage.k8s.io', 'storageclasses')!));
  await api.start();
  c = new KubeClient(new InProcessTransport(api, { username: 'system:admin', groups: ['system:masters'] }));
});
after(async () => {
  c.close();
  await api.stop();
  await api.storage.close();
});

const claim = (name: string, spec: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec } });
const sc = (name: string, isDefault: boolean) => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name, ...(isDefault ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } : {}) },
  provisioner: 'example.com/p',
});

describe('DefaultStorageClass', () => {
  it('leaves claims alone without a default class, then defaults to the marked class', async () => {
    const pvcs = c.resource('', 'persistentvolumeclaims', 'default');
    const none = await pvcs.create(claim('none'));
    assert.equal(none.spec.storageClassName, undefined);
    await c.resource('storage.k8s.io', 'storageclasses').create(sc('plain', false));
    await c.resource('storage.k8s.io', 'storageclasses').create(sc('fast', true));
    const d = await pvcs.create(claim('d'));
    assert.equal(d.spec.storageClassName, 'fast');
    const empty = await pvcs.create(claim('empty', { storageClassName: '' }));
    assert.equal(empty.spec.storageClassName, '');
    const own = await pvcs.create(claim('own', { storageClassName: 'plain' }));
    assert.equal(own.spec.storageClassName, 'plain');
  });

  it('picks the newest default, then the first by name', () => {
    const mk = (name: string, ts: string) => ({ metadata: { name, creationTimestamp: ts, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } });
    assert.equal(newestDefault([mk('a', '2024-01-01T00:00:00Z'), mk('b', '2024-02-01T00:00:00Z')], isDefaultStorageClass)?.metadata.name, 'b');
    assert.equal(newestDefault([mk('z', '2024-01-01T00:00:00Z'), mk('y', '2024-01-01T00:00:00Z')], isDefaultStorageClass)?.metadata.name, 'y');
  });
});
