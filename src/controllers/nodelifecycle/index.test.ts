// Node lifecycle and taint-based eviction against the in-process API server with a FakeClock: a
// silent node goes Unknown after the grace period and is tainted unreachable; pods that do not
// tolerate the taint go at once, those with tolerationSeconds 30 only after 30 s; recovery
// removes the taints; a fully disrupted cluster evicts nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startEnv, until, settle, events, readyNode, type TestEnv } from './testenv.ts';
import { NodeLifecycleController } from './index.ts';
import { TAINT_UNREACHABLE } from './taints.ts';
import type { Obj } from '../../client/types.ts';

const GRACE = 40_000;
const PERIOD = 5_000;

async function setup(): Promise<{ env: TestEnv; c: NodeLifecycleController }> {
  const env = await startEnv({ config: { nodeMonitorGracePeriodMs: GRACE, nodeMonitorPeriodMs: PERIOD } });
  const c = new NodeLifecycleController(env.ctx);
  return { env, c };
}

function pod(name: string, node: string, tolerations: Obj[] = []): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName: node, tolerations, containers: [{ name: 'c', image: 'busybox' }] },
  };
}

async function markRunning(env: TestEnv, name: string) {
  const p = await env.client.pods('default').get(name);
  const ts = new Date(env.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
  await env.client.pods('default').updateStatus({ ...p, status: { ...p.status, phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ts }] } });
}

/** Advances the clock in monitor periods, letting each pass finish. */
async function advance(env: TestEnv, c: NodeLifecycleController, ms: number) {
  for (let t = 0; t < ms; t += PERIOD) {
    env.clock.advance(Math.min(PERIOD, ms - t));
    await settle();
    await c.idle;
    await settle();
  }
}

const taintsOf = async (env: TestEnv, name: string): Promise<Obj[]> => (await env.client.nodes().get(name)).spec?.taints ?? [];

describe('node lifecycle controller', () => {
  it('marks a silent node Unknown, taints it, evicts pods by their tolerations, and untaints on recovery', async () => {
    const { env, c } = await setup();
    try {
      const now = env.clock.now();
      await env.client.nodes().create(readyNode('n1', now));
      await env.client.nodes().create(readyNode('n2', now));
      await env.client.pods('default').create(pod('plain', 'n1'));
      await env.client.pods('default').create(pod('patient', 'n1', [{ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }]));
      await env.client.pods('default').create(pod('forever', 'n1', [{ operator: 'Exists' }]));
      await markRunning(env, 'plain');
      await c.start();
      env.ctx.informers.start();
      await env.ctx.informers.synced();
      await settle();
      await c.idle;
      await until(async () => (await events(env.client, 'default', 'RegisteredNode')).length === 2, 'RegisteredNode events');

      // n2 keeps reporting; n1 goes silent.
      const heartbeat = async () => {
        const n = await env.client.nodes().get('n2');
        const ts = new Date(env.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
        n.status.conditions = n.status.conditions.map((x: Obj) => ({ ...x, lastHeartbeatTime: ts }));
        await env.client.nodes().updateStatus(n);
      };
      for (let i = 0; i < 8; i++) {
        await heartbeat();
        await advance(env, c, PERIOD);
      }
      // 40 s have passed: not beyond the grace period yet.
      let n1 = await env.client.nodes().get('n1');
      assert.equal(n1.status.conditions.find((x: Obj) => x.type === 'Ready').status, 'True');
      await heartbeat();
      await advance(env, c, PERIOD);
      n1 = await env.client.nodes().get('n1');
      const ready = n1.status.conditions.find((x: Obj) => x.type === 'Ready');
      assert.equal(ready.status, 'Unknown');
      assert.equal(ready.reason, 'NodeStatusUnknown');
      assert.equal(ready.message, 'Kubelet stopped posting node status.');
      assert.equal(n1.status.conditions.find((x: Obj) => x.type === 'MemoryPressure').status, 'Unknown');
      const n2 = await env.client.nodes().get('n2');
      assert.equal(n2.status.conditions.find((x: Obj) => x.type === 'Ready').status, 'True');

      const taints = await until(async () => {
        const t = await taintsOf(env, 'n1');
        return t.some((x) => x.key === TAINT_UNREACHABLE && x.effect === 'NoExecute') && t.some((x) => x.key === TAINT_UNREACHABLE && x.effect === 'NoSchedule') ? t : undefined;
      }, 'unreachable taints');
      assert.ok(taints.find((x) => x.effect === 'NoExecute')!.timeAdded);
      const notReady = await until(async () => (await events(env.client, 'default', 'NodeNotReady')).find((e) => e.involvedObject.kind === 'Node'), 'NodeNotReady event');
      assert.equal(notReady.message, 'Node n1 status is now: NodeNotReady');

      // The running pod is marked not ready, then evicted at once (no toleration).
      const plain = await until(async () => {
        const p = await env.client.pods('default').get('plain');
        return p.metadata.deletionTimestamp ? p : undefined;
      }, 'plain pod deleted');
      assert.equal(plain.status.conditions.find((x: Obj) => x.type === 'Ready').status, 'False');
      assert.equal(plain.status.conditions.find((x: Obj) => x.type === 'DisruptionTarget')?.reason, 'DeletionByTaintManager');
      const ev = await until(async () => (await events(env.client, 'default', 'TaintManagerEviction')).find((e) => e.involvedObject.name === 'plain'), 'eviction event');
      assert.equal(ev.message, 'Marking for deletion Pod default/plain');

      // The patient pod stays until 30 s after the taint.
      await advance(env, c, 25_000);
      assert.equal((await env.client.pods('default').get('patient')).metadata.deletionTimestamp, undefined);
      await advance(env, c, 10_000);
      await until(async () => !!(await env.client.pods('default').get('patient')).metadata.deletionTimestamp, 'patient pod deleted');
      // The one that tolerates everything stays.
      assert.equal((await env.client.pods('default').get('forever')).metadata.deletionTimestamp, undefined);

      // n1 comes back: taints go.
      const back = await env.client.nodes().get('n1');
      const ts = new Date(env.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
      back.status.conditions = back.status.conditions.map((x: Obj) => ({ ...x, status: x.type === 'Ready' ? 'True' : 'False', lastHeartbeatTime: ts, lastTransitionTime: ts }));
      await env.client.nodes().updateStatus(back);
      await heartbeat();
      await advance(env, c, PERIOD);
      await until(async () => (await taintsOf(env, 'n1')).length === 0, 'taints removed');
    } finally {
      c.stop();
      await env.close();
    }
  });

  it('treats a renewed Lease as a heartbeat', async () => {
    const { env, c } = await setup();
    try {
      await env.client.nodes().create(readyNode('n1', env.clock.now()));
      await env.client.nodes().create(readyNode('n2', env.clock.now()));
      const leases = env.client.leases('kube-node-lease');
      const renew = async (name: string) => {
        const micro = new Date(env.clock.now()).toISOString().replace('Z', '000Z');
        const cur = await leases.get(name).catch(() => undefined);
        if (cur) await leases.update({ ...cur, spec: { ...cur.spec, renewTime: micro } });
        else await leases.create({ metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: micro } });
      };
      await renew('n1');
      await renew('n2');
      await c.start();
      env.ctx.informers.start();
      await env.ctx.informers.synced();
      await c.idle;
      for (let i = 0; i < 20; i++) {
        await renew('n1');
        await renew('n2');
        await settle();
        await advance(env, c, PERIOD);
      }
      const n1 = await env.client.nodes().get('n1');
      assert.equal(n1.status.conditions.find((x: Obj) => x.type === 'Ready').status, 'True');
    } finally {
      c.stop();
      await env.close();
    }
  });

  it('does not taint when every node in the cluster is down (master disruption mode)', async () => {
    const { env, c } = await setup();
    try {
      await env.client.nodes().create(readyNode('only', env.clock.now()));
      await c.start();
      env.ctx.informers.start();
      await env.ctx.informers.synced();
      await c.idle;
      await advance(env, c, GRACE + 2 * PERIOD);
      const n = await env.client.nodes().get('only');
      assert.equal(n.status.conditions.find((x: Obj) => x.type === 'Ready').status, 'Unknown');
      await advance(env, c, PERIOD);
      assert.ok(!(await taintsOf(env, 'only')).some((t) => t.effect === 'NoExecute'));
    } finally {
      c.stop();
      await env.close();
    }
  });
});
