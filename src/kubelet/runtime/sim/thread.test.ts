// Simulated nodes on a thread of their own (as a local cluster on the real clock runs them): they
// register through the API server of this process and run their pods; fail and recover reach
// the thread; a thread that dies comes back with the same nodes and picks their pods up again.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiServer } from '../../../apiserver/server.ts';
import type { KubeClient } from '../../../client/client.ts';
import { admin, memoryApi, until } from '../../../client/testing.ts';
import type { Obj } from '../../../client/types.ts';
import { SimNodeThread } from './thread.ts';

describe('SimNodeThread', () => {
  let api: ApiServer;
  let client: KubeClient;
  let stopApi: () => Promise<void>;
  let sim: SimNodeThread;
  before(async () => {
    ({ api, client, stop: stopApi } = await memoryApi());
    // Renewals every 200 ms, so that a failed node's silence shows within the test.
    sim = new SimNodeThread(api, admin, { leaseRenewMs: 200 }, 10);
    await sim.start();
  });
  after(async () => {
    await sim.stop();
    await stopApi();
  });

  const running = (name: string) => async () => {
    const p = await client.pods('default').get(name);
    return p.status?.phase === 'Running' ? p : undefined;
  };
  const renewTime = async (node: string) => (await client.leases('kube-node-lease').get(node)).spec.renewTime as string;

  it('registers a Ready node with its Lease and runs a pod bound to it', async () => {
    const info = await sim.addNode({ name: 'sim-a', cpu: '4', memory: '16Gi', pods: 20 });
    assert.equal(info.registered, true);
    assert.match(info.podCIDR, /\/24$/);
    assert.equal(sim.node('sim-a')?.name, 'sim-a');
    assert.deepEqual(sim.nodes().map((n) => n.name), ['sim-a']);
    const node = await client.nodes().get('sim-a');
    assert.equal(node.status.capacity.cpu, '4');
    assert.equal(node.status.conditions.find((c: Obj) => c.type === 'Ready')?.status, 'True');
    assert.ok(await renewTime('sim-a'));
    await client.pods('default').create({ metadata: { name: 'p1' }, spec: { nodeName: 'sim-a', containers: [{ name: 'c', image: 'nginx' }] } });
    const p = await until(running('p1'), 'p1 Running');
    assert.ok(p.status.podIP);
    assert.equal(p.status.conditions.find((c: Obj) => c.type === 'Ready')?.status, 'True');
    await assert.rejects(sim.addNode({ name: 'sim-a', cpu: '1', memory: '1Gi' }), /already exists/);
  });

  it('fail stops the node renewing its Lease; recover resumes it', async () => {
    sim.fail('sim-a');
    assert.equal(sim.node('sim-a')?.failed, true);
    // One renewal may already be on its way; after it, the Lease stays as it is.
    await new Promise((r) => setTimeout(r, 400));
    const frozen = await renewTime('sim-a');
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(await renewTime('sim-a'), frozen);
    sim.recover('sim-a');
    assert.equal(sim.node('sim-a')?.failed, false);
    await until(async () => ((await renewTime('sim-a')) !== frozen ? true : undefined), 'a renewal after recover');
    assert.throws(() => sim.fail('nope'), /no simulated node nope/);
  });

  it('comes back with its nodes when the thread dies, and keeps their pods running', async () => {
    const first = sim.worker!;
    const before = await client.pods('default').get('p1');
    await first.terminate();
    await until(async () => (sim.worker !== first ? true : undefined), 'a new thread');
    // The new pool renews the Lease again and runs new pods; p1 keeps its IP.
    const renewed = await renewTime('sim-a');
    await until(async () => ((await renewTime('sim-a')) !== renewed ? true : undefined), 'a renewal from the new thread');
    await client.pods('default').create({ metadata: { name: 'p2' }, spec: { nodeName: 'sim-a', containers: [{ name: 'c', image: 'nginx' }] } });
    await until(running('p2'), 'p2 Running');
    const after = await client.pods('default').get('p1');
    assert.equal(after.status.phase, 'Running');
    assert.equal(after.status.podIP, before.status.podIP);
  });

  it('removes a node: its Node and Lease are deleted', async () => {
    await sim.addNode({ name: 'sim-b', cpu: '1', memory: '1Gi' });
    await sim.removeNode('sim-b');
    assert.equal(sim.node('sim-b'), undefined);
    await assert.rejects(client.nodes().get('sim-b'), (e: any) => e.code === 404);
    await assert.rejects(client.leases('kube-node-lease').get('sim-b'), (e: any) => e.code === 404);
  });
});
