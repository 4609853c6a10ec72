// PodDisruptionBudget status from the disruption controller, and the eviction subresource's 429
// when the budget allows no disruption, end to end through the in-process API server.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startEnv, until, type TestEnv } from '../nodelifecycle/testenv.ts';
import { DisruptionController } from './index.ts';
import { StatusError } from '../../machinery/errors.ts';
import type { Obj } from '../../client/types.ts';

async function withEnv(fn: (env: TestEnv) => Promise<void>) {
  const env = await startEnv();
  const c = new DisruptionController(env.ctx);
  await c.start();
  env.ctx.informers.start();
  try {
    await fn(env);
  } finally {
    c.stop();
    await env.close();
  }
}

async function replicaSet(env: TestEnv, name: string, replicas: number): Promise<Obj> {
  return env.client.resource('apps', 'replicasets', 'default').create({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
  });
}

async function readyPod(env: TestEnv, name: string, owner: Obj | undefined, app: string): Promise<Obj> {
  const pods = env.client.pods('default');
  const p = await pods.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app }, ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner.metadata.name, uid: owner.metadata.uid, controller: true }] } : {}) },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  });
  return pods.updateStatus({ ...p, status: { ...p.status, phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
}

const pdbs = (env: TestEnv) => env.client.resource('policy', 'poddisruptionbudgets', 'default');

const pdbStatus = (env: TestEnv, name: string, want: Obj) =>
  until(async () => {
    const p = await pdbs(env).get(name);
    return Object.entries(want).every(([k, v]) => p.status?.[k] === v) ? p : undefined;
  }, `pdb ${name} status ${JSON.stringify(want)}`);

const evict = (env: TestEnv, name: string) => env.client.pods('default').createSubresource(name, 'eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' } });

describe('disruption controller', () => {
  it('computes status from minAvailable, and eviction answers 429 until a disruption is allowed', async () => {
    await withEnv(async (env) => {
      const rs = await replicaSet(env, 'web', 3);
      await readyPod(env, 'web-1', rs, 'web');
      await readyPod(env, 'web-2', rs, 'web');
      await pdbs(env).create({ metadata: { name: 'web' }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } } });
      const p = await pdbStatus(env, 'web', { currentHealthy: 2, desiredHealthy: 2, expectedPods: 2, disruptionsAllowed: 0, observedGeneration: 1 });
      const cond = p.status.conditions.find((c: Obj) => c.type === 'DisruptionAllowed');
      assert.equal(cond.status, 'False');
      assert.equal(cond.reason, 'InsufficientPods');

      let err: unknown;
      try {
        await evict(env, 'web-1');
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof StatusError);
      assert.equal(err.code, 429);
      assert.equal(err.message, "Cannot evict pod as it would violate the pod's disruption budget.");

      await readyPod(env, 'web-3', rs, 'web');
      const p2 = await pdbStatus(env, 'web', { currentHealthy: 3, disruptionsAllowed: 1 });
      assert.equal(p2.status.conditions.find((c: Obj) => c.type === 'DisruptionAllowed').reason, 'SufficientPods');
      await evict(env, 'web-1');
      await pdbStatus(env, 'web', { currentHealthy: 2, expectedPods: 2, disruptionsAllowed: 0 });
    });
  });

  it('scales percentages on the controller replicas (maxUnavailable 25% of 4)', async () => {
    await withEnv(async (env) => {
      const rs = await replicaSet(env, 'api', 4);
      for (let i = 1; i <= 4; i++) await readyPod(env, `api-${i}`, rs, 'api');
      await pdbs(env).create({ metadata: { name: 'api' }, spec: { maxUnavailable: '25%', selector: { matchLabels: { app: 'api' } } } });
      await pdbStatus(env, 'api', { expectedPods: 4, desiredHealthy: 3, currentHealthy: 4, disruptionsAllowed: 1 });
      // The ReplicaSet grows: expectedPods follows.
      const cur = await env.client.resource('apps', 'replicasets', 'default').get('api');
      await env.client.resource('apps', 'replicasets', 'default').update({ ...cur, spec: { ...cur.spec, replicas: 8 } });
      await pdbStatus(env, 'api', { expectedPods: 8, desiredHealthy: 6, disruptionsAllowed: 0 });
    });
  });

  it('fails safe when pods have no controller and a percentage is used', async () => {
    await withEnv(async (env) => {
      await readyPod(env, 'lone', undefined, 'lone');
      await pdbs(env).create({ metadata: { name: 'lone' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'lone' } } } });
      // Unmanaged pods are left out of the scale: expected 0, so nothing may be disrupted.
      await pdbStatus(env, 'lone', { expectedPods: 0, disruptionsAllowed: 0 });
    });
  });
});
