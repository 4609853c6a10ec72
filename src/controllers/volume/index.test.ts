// Persistent volumes end to end: static binding by class, size and access modes (smallest fit),
// Retain keeps a released volume; dynamic provisioning through the local-path provisioner and the
// default StorageClass, waiting for the selected-node annotation, and Delete removing the directory.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEnv, until, events, readyNode, type TestEnv } from '../nodelifecycle/testenv.ts';
import { PersistentVolumeBinder } from './binder.ts';
import { LocalPathProvisioner } from './localpath.ts';
import type { Obj } from '../../client/types.ts';

async function withEnv(fn: (env: TestEnv, dir: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-lp-'));
  const env = await startEnv();
  const b = new PersistentVolumeBinder(env.ctx);
  const p = new LocalPathProvisioner(env.ctx, { dataDir: dir });
  await b.start();
  await p.start();
  env.ctx.informers.start();
  try {
    await fn(env, dir);
  } finally {
    b.stop();
    p.stop();
    await env.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const pvs = (env: TestEnv) => env.client.resource('', 'persistentvolumes');
const pvcs = (env: TestEnv) => env.client.resource('', 'persistentvolumeclaims', 'default');

const pv = (name: string, size: string, cls: string, reclaim = 'Retain'): Obj => ({
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name },
  spec: { capacity: { storage: size }, accessModes: ['ReadWriteOnce'], storageClassName: cls, persistentVolumeReclaimPolicy: reclaim, hostPath: { path: `/tmp/${name}` } },
});
const pvc = (name: string, size: string, cls?: string): Obj => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } }, ...(cls !== undefined ? { storageClassName: cls } : {}) },
});

const phaseOf = (env: TestEnv, kind: 'pv' | 'pvc', name: string, phase: string) =>
  until(async () => {
    const o = await (kind === 'pv' ? pvs(env) : pvcs(env)).get(name).catch(() => undefined);
    return o?.status?.phase === phase ? o : undefined;
  }, `${kind} ${name} ${phase}`);

describe('persistent volumes', () => {
  it('binds statically to the smallest fitting volume of the class, and Retain keeps it Released', async () => {
    await withEnv(async (env) => {
      await pvs(env).create(pv('big', '10Gi', 'manual'));
      await pvs(env).create(pv('small', '2Gi', 'manual'));
      await pvs(env).create(pv('tiny', '500Mi', 'manual'));
      await pvs(env).create(pv('other', '2Gi', 'fast'));
      await phaseOf(env, 'pv', 'small', 'Available');
      await pvcs(env).create(pvc('data', '1Gi', 'manual'));
      const claim = await phaseOf(env, 'pvc', 'data', 'Bound');
      assert.equal(claim.spec.volumeName, 'small');
      assert.equal(claim.metadata.annotations['pv.kubernetes.io/bind-completed'], 'yes');
      assert.equal(claim.metadata.annotations['pv.kubernetes.io/bound-by-controller'], 'yes');
      assert.deepEqual(claim.status.capacity, { storage: '2Gi' });
      assert.deepEqual(claim.status.accessModes, ['ReadWriteOnce']);
      const vol = await phaseOf(env, 'pv', 'small', 'Bound');
      assert.equal(vol.spec.claimRef.name, 'data');
      assert.equal(vol.spec.claimRef.uid, claim.metadata.uid);
      await pvcs(env).delete('data');
      await phaseOf(env, 'pv', 'small', 'Released');
    });
  });

  it('leaves a claim Pending with an event when nothing fits and no class provisions', async () => {
    await withEnv(async (env) => {
      await pvcs(env).create(pvc('nothing', '1Gi', ''));
      await phaseOf(env, 'pvc', 'nothing', 'Pending');
      const ev = await until(async () => (await events(env.client, 'default', 'FailedBinding'))[0], 'FailedBinding');
      assert.equal(ev.message, 'no persistent volumes available for this claim and no storage class is set');
    });
  });

  it('provisions dynamically through the default local-path class once a node is selected, and deletes on release', async () => {
    await withEnv(async (env, dir) => {
      await env.client.nodes().create(readyNode('node-a', env.clock.now()));
      const sc = await until(() => env.client.resource('storage.k8s.io', 'storageclasses').get('local-path').catch(() => undefined), 'default class');
      assert.equal(sc.metadata.annotations['storageclass.kubernetes.io/is-default-class'], 'true');
      assert.equal(sc.provisioner, 'skiff.io/local-path');
      assert.equal(sc.volumeBindingMode, 'WaitForFirstConsumer');
      assert.equal(sc.reclaimPolicy, 'Delete');
      await until(() => env.ctx.informers.informer('storage.k8s.io', 'storageclasses').get('local-path'), 'class in cache');

      // No class given: the default is filled in; then it waits for the scheduler.
      await pvcs(env).create(pvc('vol', '1Gi'));
      await until(async () => (await pvcs(env).get('vol')).spec.storageClassName === 'local-path', 'default class assigned');
      const waiting = await until(async () => (await events(env.client, 'default', 'WaitForFirstConsumer'))[0], 'WaitForFirstConsumer');
      assert.equal(waiting.message, 'waiting for first consumer to be created before binding');
      assert.equal((await pvcs(env).get('vol')).spec.volumeName, undefined);

      // The scheduler picks node-a.
      const cur = await pvcs(env).get('vol');
      await pvcs(env).update({ ...cur, metadata: { ...cur.metadata, annotations: { ...(cur.metadata.annotations ?? {}), 'volume.kubernetes.io/selected-node': 'node-a' } } });
      const bound = await phaseOf(env, 'pvc', 'vol', 'Bound');
      assert.equal(bound.spec.volumeName, `pvc-${bound.metadata.uid}`);
      assert.equal(bound.metadata.annotations['volume.kubernetes.io/storage-provisioner'], 'skiff.io/local-path');
      const vol = await pvs(env).get(bound.spec.volumeName);
      assert.equal(vol.spec.persistentVolumeReclaimPolicy, 'Delete');
      assert.deepEqual(vol.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0], { key: 'kubernetes.io/hostname', operator: 'In', values: ['node-a'] });
      const path = vol.spec.hostPath.path;
      assert.ok(path.startsWith(dir));
      assert.ok((await stat(path)).isDirectory());
      const ok = await until(async () => (await events(env.client, 'default', 'ProvisioningSucceeded'))[0], 'ProvisioningSucceeded');
      assert.equal(ok.message, `Successfully provisioned volume ${vol.metadata.name}`);

      await pvcs(env).delete('vol');
      await until(async () => !(await pvs(env).get(vol.metadata.name).catch(() => undefined)), 'volume deleted');
      await assert.rejects(stat(path));
    });
  });
});
