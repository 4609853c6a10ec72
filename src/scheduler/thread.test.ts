// The scheduler on a thread of its own (as a local cluster on the real clock runs it): it binds
// through the API server of this process, records its events, explains a pending pod, comes back
// when its thread dies, and stop() ends the thread.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiServer } from '../apiserver/server.ts';
import type { KubeClient } from '../client/client.ts';
import { admin, memoryApi, until } from '../client/testing.ts';
import type { Obj } from '../client/types.ts';
import { SchedulerThread } from './thread.ts';

function node(name: string): Obj {
  const res = { cpu: '4', memory: '8Gi', pods: '110' };
  return { metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec: {}, status: { capacity: res, allocatable: res, conditions: [{ type: 'Ready', status: 'True' }] } };
}

const pod = (name: string, cpu: string): Obj => ({ metadata: { name }, spec: { containers: [{ name: 'c', image: 'pause', resources: { requests: { cpu } } }] } });

describe('SchedulerThread', () => {
  let api: ApiServer;
  let client: KubeClient;
  let stopApi: () => Promise<void>;
  let sched: SchedulerThread;
  before(async () => {
    ({ api, client, stop: stopApi } = await memoryApi());
    for (const n of ['n1', 'n2']) await client.nodes().create(node(n));
    sched = new SchedulerThread(api, admin, {}, 10);
    sched.start();
    await sched.synced();
  });
  after(async () => {
    await sched.stop();
    await stopApi();
  });

  const nodeOf = async (name: string) => (await client.pods('default').get(name)).spec?.nodeName || undefined;
  const event = async (name: string, reason: string) => (await client.events('default').list()).items.find((e) => e.involvedObject?.name === name && e.reason === reason);

  it('binds pods through pods/binding and records Scheduled', async () => {
    await client.pods('default').create(pod('a', '1'));
    const n = await until(() => nodeOf('a'), 'a bound');
    assert.match(n, /^n[12]$/);
    const ev = await until(() => event('a', 'Scheduled'), 'Scheduled event');
    assert.equal(ev.message, `Successfully assigned default/a to ${n}`);
    assert.deepEqual(await sched.stats(), { nodes: 2, scheduled: 1, failed: 0 });
  });

  it('leaves a pod that fits nowhere Pending and explains why', async () => {
    await client.pods('default').create(pod('huge', '100'));
    const ev = await until(() => event('huge', 'FailedScheduling'), 'FailedScheduling');
    assert.match(ev.message, /^0\/2 nodes are available: 2 Insufficient cpu\./);
    const why = await sched.explain('default', 'huge');
    assert.equal(why?.pod, 'default/huge');
    assert.equal(why?.boundNode, undefined);
    assert.deepEqual(
      why?.nodes.map((n) => n.node).sort(),
      ['n1', 'n2'],
    );
    assert.ok(why?.nodes.every((n) => n.filters.some((f) => f.plugin === 'NodeResourcesFit' && f.reasons.includes('Insufficient cpu'))));
    assert.equal(await sched.explain('default', 'nope'), undefined);
  });

  it('starts again when its thread dies', async () => {
    const first = sched.worker!;
    await first.terminate();
    await until(async () => (sched.worker !== first ? true : undefined), 'a new thread');
    await sched.synced();
    await client.pods('default').create(pod('after', '1'));
    assert.match(await until(() => nodeOf('after'), 'after bound'), /^n[12]$/);
  });

  it('stop() ends the thread', async () => {
    const t = new SchedulerThread(api, admin);
    t.start();
    await t.synced();
    const exited = new Promise((r) => t.worker!.once('exit', r));
    await t.stop();
    await exited;
    await assert.rejects(t.stats(), /not running/);
  });
});
