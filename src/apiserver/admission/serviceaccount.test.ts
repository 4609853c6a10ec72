// ServiceAccount admission through the API server: the default account, the kube-api-access
// projected volume in every container, opt-outs, a missing account (upstream's message), copied
// image pull secrets, mirror pods and enforce-mountable-secrets.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../storage/memory/memory.ts';
import { ApiServer } from '../server.ts';
import { Admission } from '../admission.ts';
import { KubeClient } from '../../client/client.ts';
import { InProcessTransport } from '../../client/inprocess.ts';
import { StatusError } from '../../machinery/errors.ts';
import { serviceAccount } from './serviceaccount.ts';

let api: ApiServer;
let c: KubeClient;
before(async () => {
  api = new ApiServer({ storage: new MemoryBackend(), port: 0, admission: new Admission([]), compactionIntervalMs: 0 });
  api.admission.plugins.push(serviceAccount({ serviceAccounts: () => api.store('', 'serviceaccounts')!, retryIntervalMs: 5, generateName: (p) => `${p}abcde` }));
  await api.start();
  c = new KubeClient(new InProcessTransport(api, { username: 'system:admin', groups: ['system:masters'] }));
  const sas = c.resource('', 'serviceaccounts', 'default');
  await sas.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
  await sas.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'quiet' }, automountServiceAccountToken: false, imagePullSecrets: [{ name: 'reg' }] });
  await sas.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'strict', annotations: { 'kubernetes.io/enforce-mountable-secrets': 'true' } }, secrets: [{ name: 'ok' }] });
});
after(async () => {
  c.close();
  await api.stop();
  await api.storage.close();
});

const pod = (name: string, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, ...meta },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
});

async function refused(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof StatusError, String(e));
    return e;
  }
  assert.fail('expected the request to be refused');
}

const MOUNT = { name: 'kube-api-access-abcde', readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' };

describe('ServiceAccount admission', () => {
  it('sets the default account and mounts the API access volume in every container', async () => {
    const p = await c.pods('default').create(pod('a', { initContainers: [{ name: 'i', image: 'busybox' }] }));
    assert.equal(p.spec.serviceAccountName, 'default');
    assert.deepEqual(p.spec.containers[0].volumeMounts, [MOUNT]);
    assert.deepEqual(p.spec.initContainers[0].volumeMounts, [MOUNT]);
    assert.deepEqual(p.spec.volumes, [
      {
        name: 'kube-api-access-abcde',
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
          ],
        },
      },
    ]);
  });

  it('leaves containers that mount something at the token path alone', async () => {
    const p = await c.pods('default').create(pod('own', { volumes: [{ name: 'x', emptyDir: {} }], containers: [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 'x', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }] }] }));
    assert.deepEqual(p.spec.volumes.map((v: { name: string }) => v.name), ['x']);
  });

  it('honours automountServiceAccountToken on the account and on the pod (pod wins)', async () => {
    const q = await c.pods('default').create(pod('q', { serviceAccountName: 'quiet' }));
    assert.equal(q.spec.volumes, undefined);
    assert.deepEqual(q.spec.imagePullSecrets, [{ name: 'reg' }]);
    const r = await c.pods('default').create(pod('r', { serviceAccountName: 'quiet', automountServiceAccountToken: true }));
    assert.equal(r.spec.volumes[0].name, 'kube-api-access-abcde');
    const s = await c.pods('default').create(pod('s', { automountServiceAccountToken: false }));
    assert.equal(s.spec.volumes, undefined);
  });

  it('refuses a pod whose account does not exist', async () => {
    const e = await refused(c.pods('default').create(pod('x', { serviceAccountName: 'ghost' })));
    assert.equal(e.code, 403);
    assert.equal(e.message, 'pods "x" is forbidden: error looking up service account default/ghost: serviceaccount "ghost" not found');
  });

  it('waits briefly for the default account, then refuses', async () => {
    await c.resource('', 'namespaces').create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fresh' } });
    const e = await refused(c.pods('fresh').create(pod('x')));
    assert.equal(e.message, 'pods "x" is forbidden: error looking up service account fresh/default: serviceaccount "default" not found');
  });

  it('mirror pods may not reference accounts or secrets and are not mutated', async () => {
    const mirror = { annotations: { 'kubernetes.io/config.mirror': 'abc' } };
    const e = await refused(c.pods('default').create(pod('m1', { serviceAccountName: 'default' }, mirror)));
    assert.equal(e.message, 'pods "m1" is forbidden: a mirror pod may not reference service accounts');
    const s = await refused(c.pods('default').create(pod('m2', { volumes: [{ name: 's', secret: { secretName: 'x' } }] }, mirror)));
    assert.equal(s.message, 'pods "m2" is forbidden: a mirror pod may not reference secrets');
    const ok = await c.pods('default').create(pod('m3', {}, mirror));
    assert.equal(ok.spec.serviceAccountName, undefined);
    assert.equal(ok.spec.volumes, undefined);
  });

  it('enforces mountable secrets when the account asks for it', async () => {
    await c.pods('default').create(pod('ok', { serviceAccountName: 'strict', volumes: [{ name: 's', secret: { secretName: 'ok' } }] }));
    const v = await refused(c.pods('default').create(pod('v', { serviceAccountName: 'strict', volumes: [{ name: 's', secret: { secretName: 'other' } }] })));
    assert.equal(v.message, 'pods "v" is forbidden: volume with secret.secretName="other" is not allowed because service account strict does not reference that secret');
    const env = await refused(
      c.pods('default').create(pod('e', { serviceAccountName: 'strict', containers: [{ name: 'c', image: 'busybox', env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'other', key: 'k' } } }] }] })),
    );
    assert.equal(env.message, 'pods "e" is forbidden: container c with envVar P referencing secret.secretName="other" is not allowed because service account strict does not reference that secret');
  });
});
