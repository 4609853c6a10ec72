// Pod garbage collection with a FakeClock: terminated pods beyond the threshold (oldest first),
// pods on nodes that are gone (after the 40 s quarantine, marked Failed with DisruptionTarget),
// and unscheduled terminating pods.
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startEnv, type TestEnv } from '../job/testing.ts';
import { podgcController } from './index.ts';
import type { Obj } from '../../client/types.ts';

let env: TestEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

const pod = (name: string, extra: Obj = {}): Obj => ({ metadata: { name, ...(extra.metadata ?? {}) }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...(extra.spec ?? {}) } });
const names = async (e: TestEnv) => (await e.client.pods('default').list()).items.map((p) => p.metadata.name).sort();

async function setPhase(e: TestEnv, name: string, phase: string) {
  const p = await e.client.pods('default').get(name);
  await e.client.pods('default').updateStatus({ ...p, status: { ...p.status, phase } });
}

describe('pod garbage collector', () => {
  it('deletes terminated pods beyond the threshold, oldest first', async () => {
    const e = (env = await startEnv([podgcController], { terminatedPodGCThreshold: 2 }));
    for (const [i, n] of ['old', 'mid', 'new', 'newest'].entries()) {
      await e.client.pods('default').create(pod(n));
      await setPhase(e, n, i % 2 ? 'Succeeded' : 'Failed');
      e.clock.advance(1000);
    }
    await e.client.pods('default').create(pod('running'));
    await e.advance(20_000, 5_000);
    await e.until(async () => (await names(e)).length === 3, 'two pods collected');
    assert.deepEqual(await names(e), ['new', 'newest', 'running']);
  });

  it('deletes pods bound to a node that no longer exists, after the quarantine', async () => {
    const e = (env = await startEnv([podgcController]));
    await e.client.nodes().create({ metadata: { name: 'n1' } });
    await e.client.pods('default').create(pod('on-n1', { spec: { nodeName: 'n1' } }));
    await e.client.pods('default').create(pod('on-ghost', { metadata: { finalizers: ['example.com/keep'] }, spec: { nodeName: 'ghost' } }));
    await setPhase(e, 'on-ghost', 'Running');
    await e.advance(20_000, 5_000);
    await e.settle(100);
    let ghost = await e.client.pods('default').get('on-ghost');
    assert.equal(ghost.metadata.deletionTimestamp, undefined, 'quarantined, not yet deleted');
    await e.advance(45_000, 5_000);
    await e.until(async () => !!(await e.client.pods('default').get('on-ghost')).metadata.deletionTimestamp, 'the orphan to be deleted');
    ghost = await e.client.pods('default').get('on-ghost');
    assert.equal(ghost.status.phase, 'Failed');
    const c = ghost.status.conditions.find((c: Obj) => c.type === 'DisruptionTarget');
    assert.deepEqual([c.status, c.reason, c.message], ['True', 'DeletionByPodGC', 'PodGC: node no longer exists']);
    assert.equal((await e.client.pods('default').get('on-n1')).metadata.deletionTimestamp, undefined);
  });

  it('fails and force-deletes terminating pods that were never scheduled', async () => {
    const e = (env = await startEnv([podgcController]));
    await e.client.pods('default').create(pod('stuck', { metadata: { finalizers: ['example.com/keep'] } }));
    await e.client.pods('default').delete('stuck');
    await e.advance(20_000, 5_000);
    await e.until(async () => (await e.client.pods('default').get('stuck')).status?.phase === 'Failed', 'the pod marked Failed');
  });
});
