// The HPA against the in-process API server with a fake metrics source and a FakeClock: scale up
// on CPU utilization above target, no change within the 10 % tolerance, scale-down held by the
// 5-minute stabilization window, behavior policies limiting the rate, status and events.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startEnv, until, events, type TestEnv } from '../nodelifecycle/testenv.ts';
import { HorizontalPodAutoscalerController, type MetricsClient } from './index.ts';
import { resourceReplicas } from './replicas.ts';
import type { Obj } from '../../client/types.ts';

const usage = new Map<string, string>();
const fakeMetrics: MetricsClient = {
  async podMetrics(namespace) {
    return [...usage].map(([name, cpu]) => ({ metadata: { name, namespace }, timestamp: '2026-01-01T00:00:00Z', window: '30s', containers: [{ name: 'c', usage: { cpu } }] }));
  },
};

const ts = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

async function setup(env: TestEnv, replicas: number, podCount: number, behavior?: Obj) {
  const deps = env.client.resource('apps', 'deployments', 'default');
  await deps.create({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
  });
  const started = env.clock.now() - 10 * 60_000;
  for (let i = 1; i <= podCount; i++) {
    const p = await env.client.pods('default').create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `web-${i}`, labels: { app: 'web' } },
      spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100m' } } }] },
    });
    await env.client.pods('default').updateStatus({ ...p, status: { ...p.status, phase: 'Running', startTime: ts(started), conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ts(started) }] } });
  }
  await env.client.resource('autoscaling', 'horizontalpodautoscalers', 'default').create({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 1,
      maxReplicas: 10,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
      ...(behavior ? { behavior } : {}),
    },
  });
}

async function withHpa(fn: (env: TestEnv, c: HorizontalPodAutoscalerController) => Promise<void>) {
  usage.clear();
  const env = await startEnv();
  const c = new HorizontalPodAutoscalerController(env.ctx, fakeMetrics);
  env.ctx.informers.start();
  try {
    await fn(env, c);
  } finally {
    c.stop();
    await env.close();
  }
}

const replicasOf = async (env: TestEnv) => (await env.client.resource('apps', 'deployments', 'default').get('web')).spec.replicas;
const hpaOf = (env: TestEnv) => env.client.resource('autoscaling', 'horizontalpodautoscalers', 'default').get('web');
async function syncWhenSeen(env: TestEnv, c: HorizontalPodAutoscalerController, pods: number) {
  await until(async () => env.ctx.informers.informer('autoscaling', 'horizontalpodautoscalers').get('default', 'web') && env.ctx.informers.informer('', 'pods').list('default').length === pods, 'informers');
  await c.sync('default/web');
  // Let the status write reach the informer before the next sync.
  const rv = (await hpaOf(env)).metadata.resourceVersion;
  await until(() => env.ctx.informers.informer('autoscaling', 'horizontalpodautoscalers').get('default', 'web')?.metadata.resourceVersion === rv, 'hpa in cache');
}

describe('horizontal pod autoscaler', () => {
  it('scales up on utilization above target and reports status and an event', async () => {
    await withHpa(async (env, c) => {
      await setup(env, 2, 2);
      usage.set('web-1', '100m').set('web-2', '100m'); // 100 % of request, target 50 %
      await syncWhenSeen(env, c, 2);
      assert.equal(await replicasOf(env), 4);
      const h = await hpaOf(env);
      assert.equal(h.status.currentReplicas, 2);
      assert.equal(h.status.desiredReplicas, 4);
      assert.equal(h.status.lastScaleTime, ts(env.clock.now()));
      assert.deepEqual(h.status.currentMetrics, [{ type: 'Resource', resource: { name: 'cpu', current: { averageValue: '100m', averageUtilization: 100 } } }]);
      const cond = (t: string) => h.status.conditions.find((x: Obj) => x.type === t);
      assert.equal(cond('AbleToScale').reason, 'SucceededRescale');
      assert.equal(cond('ScalingActive').reason, 'ValidMetricFound');
      assert.equal(cond('ScalingActive').message, 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)');
      assert.equal(cond('ScalingLimited').status, 'False');
      const ev = await until(async () => (await events(env.client, 'default', 'SuccessfulRescale'))[0], 'SuccessfulRescale');
      assert.equal(ev.message, 'New size: 4; reason: cpu resource utilization (percentage of request) above target');
    });
  });

  it('does nothing within the tolerance, and holds a scale-down for the stabilization window', async () => {
    await withHpa(async (env, c) => {
      await setup(env, 2, 2);
      usage.set('web-1', '54m').set('web-2', '54m'); // 108 % of target: within 10 %
      await syncWhenSeen(env, c, 2);
      assert.equal(await replicasOf(env), 2);
      usage.set('web-1', '10m').set('web-2', '10m'); // 20 % of target → 1 replica
      env.clock.advance(15_000);
      await syncWhenSeen(env, c, 2);
      // The window still remembers the earlier recommendation of 2.
      assert.equal(await replicasOf(env), 2);
      assert.equal((await hpaOf(env)).status.conditions.find((x: Obj) => x.type === 'AbleToScale').reason, 'ScaleDownStabilized');
      env.clock.advance(5 * 60_000);
      await syncWhenSeen(env, c, 2);
      assert.equal(await replicasOf(env), 1);
      const ev = await until(async () => (await events(env.client, 'default', 'SuccessfulRescale'))[0], 'SuccessfulRescale');
      assert.equal(ev.message, 'New size: 1; reason: All metrics below target');
    });
  });

  it('limits the scale-up rate by behavior policies', async () => {
    await withHpa(async (env, c) => {
      await setup(env, 2, 2, { scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } });
      usage.set('web-1', '500m').set('web-2', '500m'); // 1000 % → 20, capped at max 10, then by the policy
      await syncWhenSeen(env, c, 2);
      assert.equal(await replicasOf(env), 3);
      const h = await hpaOf(env);
      const limited = h.status.conditions.find((x: Obj) => x.type === 'ScalingLimited');
      assert.equal(limited.status, 'True');
      assert.equal(limited.reason, 'ScaleUpLimit');
      // Within the same period, no further growth.
      env.clock.advance(15_000);
      await syncWhenSeen(env, c, 2);
      assert.equal(await replicasOf(env), 3);
      env.clock.advance(60_000);
      await syncWhenSeen(env, c, 2);
      assert.equal(await replicasOf(env), 4);
    });
  });
});

describe('replica calculation', () => {
  const now = Date.UTC(2026, 0, 1);
  const pod = (name: string, ready = true): Obj => ({
    metadata: { name },
    spec: { containers: [{ name: 'c', resources: { requests: { cpu: '100m' } } }] },
    status: { phase: 'Running', startTime: ts(now - 600_000), conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: ts(now - 500_000) }] },
  });
  const m = (milli: number) => ({ milli, timestamp: now, windowMs: 30_000 });

  it('treats pods without metrics as using their request when scaling down', () => {
    // Two pods at 10 %, one without metrics (counted as 100 %): (10+10+100)/3 = 40 % of 50 % → no scale-down past 3·0.8
    const r = resourceReplicas({ currentReplicas: 3, pods: [pod('a'), pod('b'), pod('c')], metrics: new Map([['a', m(10)], ['b', m(10)]]), resource: 'cpu', targetUtilization: 50, tolerance: 0.1, now });
    assert.equal(r.replicas, 3);
    assert.equal(r.utilization, 10);
  });

  it('counts never-ready pods as 0 % when scaling up', () => {
    const r = resourceReplicas({ currentReplicas: 2, pods: [pod('a'), { ...pod('b'), status: { phase: 'Pending' } }], metrics: new Map([['a', m(200)]]), resource: 'cpu', targetUtilization: 50, tolerance: 0.1, now });
    // 200 % alone → ratio 4; with the pending pod at 0 %: 100 % → ratio 2 over 2 pods = 4
    assert.equal(r.replicas, 4);
  });

  it('refuses pods without requests for utilization targets', () => {
    const bare = { ...pod('a'), spec: { containers: [{ name: 'c' }] } };
    assert.throws(() => resourceReplicas({ currentReplicas: 1, pods: [bare], metrics: new Map([['a', m(10)]]), resource: 'cpu', targetUtilization: 50, tolerance: 0.1, now }), /missing request for cpu in container c of Pod a/);
  });
});
