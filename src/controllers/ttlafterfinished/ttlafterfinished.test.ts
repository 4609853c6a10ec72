// The TTL-after-finished controller with a FakeClock: a finished Job goes ttlSecondsAfterFinished
// after it finished, not before; a TTL raised in time keeps it; Jobs without a TTL stay.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEnv, type TestEnv } from '../job/testing.ts';
import { ttlAfterFinishedController, timeLeft } from './index.ts';
import { rfc3339 } from '../job/util.ts';
import { isNotFound } from '../../machinery/errors.ts';
import type { Obj } from '../../client/types.ts';

let env: TestEnv;
before(async () => {
  env = await startEnv([ttlAfterFinishedController]);
});
after(async () => {
  await env.stop();
});

const jobs = () => env.client.resource('batch', 'jobs', 'default');

async function finishedJob(name: string, ttl?: number): Promise<Obj> {
  const j = await jobs().create({
    metadata: { name },
    spec: { ...(ttl !== undefined ? { ttlSecondsAfterFinished: ttl } : {}), template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
  });
  const now = rfc3339(env.clock.now());
  const c = (type: string) => ({ type, status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: now, lastTransitionTime: now });
  return jobs().updateStatus({ ...j, status: { startTime: now, completionTime: now, succeeded: 1, conditions: [c('SuccessCriteriaMet'), c('Complete')] } });
}

const exists = async (name: string) => {
  try {
    await jobs().get(name);
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
};

describe('ttl-after-finished controller', () => {
  it('deletes a finished Job ttlSecondsAfterFinished after it finished', async () => {
    await finishedJob('short', 60);
    await finishedJob('forever');
    await env.settle(100);
    await env.advance(59_000, 5_000);
    assert.equal(await exists('short'), true);
    await env.advance(2_000);
    await env.until(async () => !(await exists('short')), 'the Job to be deleted');
    assert.equal(await exists('forever'), true);
  });

  it('re-reads the TTL: a TTL raised before expiry keeps the Job', async () => {
    await finishedJob('raised', 30);
    await env.settle(100);
    await jobs().patch('raised', 'merge', { spec: { ttlSecondsAfterFinished: 120 } });
    await env.advance(31_000, 5_000);
    await env.settle(100);
    assert.equal(await exists('raised'), true);
    await env.advance(90_000, 10_000);
    await env.until(async () => !(await exists('raised')), 'the Job to be deleted at the new TTL');
  });

  it('computes the time left from the finish condition', () => {
    const job = { metadata: {}, spec: { ttlSecondsAfterFinished: 10 }, status: { conditions: [{ type: 'Failed', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] } };
    assert.equal(timeLeft(job, Date.UTC(2026, 0, 1, 0, 0, 4)), 6000);
    assert.equal(timeLeft({ ...job, status: {} }, 0), undefined);
  });
});
