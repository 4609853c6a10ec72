// ResourceQuota end to end: the controller fills status.hard/status.used from the namespace's
// objects; the admission plugin refuses what would exceed the quota with upstream's messages and
// charges what it lets through.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startEnv, until, type TestEnv } from '../nodelifecycle/testenv.ts';
import { ResourceQuotaController } from './index.ts';
import { resourceQuota } from '../../apiserver/admission/resourcequota.ts';
import { StatusError } from '../../machinery/errors.ts';
import type { Obj } from '../../client/types.ts';

function pod(name: string, resources?: Obj, extra: Obj = {}): Obj {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox', ...(resources ? { resources } : {}) }], ...extra } };
}

async function withEnv(fn: (env: TestEnv) => Promise<void>) {
  const env = await startEnv({ admission: (api) => [resourceQuota(() => api().store('', 'resourcequotas')!)] });
  const c = new ResourceQuotaController(env.ctx);
  await c.start();
  env.ctx.informers.start();
  try {
    await fn(env);
  } finally {
    c.stop();
    await env.close();
  }
}

const quotas = (env: TestEnv) => env.client.resource('', 'resourcequotas', 'default');

async function statusOf(env: TestEnv, name: string, want: Record<string, string>) {
  return until(async () => {
    const q = await quotas(env).get(name);
    const used = q.status?.used ?? {};
    return Object.entries(want).every(([k, v]) => used[k] === v) ? q : undefined;
  }, `quota ${name} used ${JSON.stringify(want)}`);
}

async function refused(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof StatusError);
    return e;
  }
  assert.fail('expected the request to be refused');
}

describe('resource quota', () => {
  it('reports usage and refuses pods beyond the count', async () => {
    await withEnv(async (env) => {
      await env.client.pods('default').create(pod('a'));
      await quotas(env).create({ metadata: { name: 'q' }, spec: { hard: { pods: '2', 'count/configmaps': '5', services: '3' } } });
      const q = await statusOf(env, 'q', { pods: '1', services: '1' });
      assert.deepEqual(q.status.hard, { pods: '2', 'count/configmaps': '5', services: '3' });
      assert.equal(typeof q.status.used['count/configmaps'], 'string');
      await env.client.pods('default').create(pod('b'));
      const e = await refused(env.client.pods('default').create(pod('c')));
      assert.equal(e.code, 403);
      assert.equal(e.reason, 'Forbidden');
      assert.equal(e.message, 'pods "c" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2');
      // A finished pod no longer counts.
      const b = await env.client.pods('default').get('b');
      await env.client.pods('default').updateStatus({ ...b, status: { ...b.status, phase: 'Succeeded' } });
      await statusOf(env, 'q', { pods: '1' });
      await env.client.pods('default').create(pod('c'));
    });
  });

  it('requires requests when cpu or memory is limited, and sums them', async () => {
    await withEnv(async (env) => {
      await quotas(env).create({ metadata: { name: 'compute' }, spec: { hard: { 'requests.cpu': '1', 'limits.memory': '1Gi' } } });
      await statusOf(env, 'compute', { 'requests.cpu': '0', 'limits.memory': '0' });
      const e = await refused(env.client.pods('default').create(pod('bare')));
      assert.equal(e.message, 'pods "bare" is forbidden: failed quota: compute: must specify limits.memory for: c; requests.cpu for: c');
      await env.client.pods('default').create(pod('p1', { requests: { cpu: '600m' }, limits: { memory: '512Mi' } }));
      await statusOf(env, 'compute', { 'requests.cpu': '600m', 'limits.memory': '512Mi' });
      const e2 = await refused(env.client.pods('default').create(pod('p2', { requests: { cpu: '500m' }, limits: { memory: '256Mi' } })));
      assert.equal(e2.message, 'pods "p2" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=600m, limited: requests.cpu=1');
    });
  });

  it('applies scopes: a BestEffort quota ignores pods with requests', async () => {
    await withEnv(async (env) => {
      await quotas(env).create({ metadata: { name: 'be' }, spec: { hard: { pods: '1' }, scopes: ['BestEffort'] } });
      await statusOf(env, 'be', { pods: '0' });
      await env.client.pods('default').create(pod('be1'));
      await env.client.pods('default').create(pod('burst', { requests: { cpu: '100m' } }));
      const e = await refused(env.client.pods('default').create(pod('be2')));
      assert.match(e.message, /exceeded quota: be/);
      await statusOf(env, 'be', { pods: '1' });
    });
  });
});
