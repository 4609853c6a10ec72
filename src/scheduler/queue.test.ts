// The scheduling queue as upstream's PriorityQueue: priority order, backoff 1 s doubling to 10 s,
// unschedulable pods moved back by relevant cluster events or after 5 minutes — on a FakeClock.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../machinery/clock.ts';
import { SchedulingQueue } from './queue.ts';
import type { ClusterEvent } from './types.ts';

const pod = (name: string) => ({ metadata: { name, namespace: 'default' }, spec: { containers: [] } });

function queue(clock: FakeClock) {
  const pluginEvents = new Map<string, ReadonlySet<ClusterEvent>>([['NodeResourcesFit', new Set<ClusterEvent>(['NodeAdd', 'AssignedPodDelete'])], ['TaintToleration', new Set<ClusterEvent>(['NodeUpdate'])]]);
  const q = new SchedulingQueue({ clock, pluginEvents });
  q.run();
  return q;
}

describe('scheduling queue', () => {
  it('pops higher priority first, then the earlier arrival', () => {
    const clock = new FakeClock();
    const q = queue(clock);
    q.add(pod('low'), 0);
    clock.advance(10);
    q.add(pod('high'), 100);
    clock.advance(10);
    q.add(pod('low2'), 0);
    assert.deepEqual([q.pop()!.key, q.pop()!.key, q.pop()!.key], ['default/high', 'default/low', 'default/low2']);
    assert.equal(q.pop(), undefined);
    q.close();
  });

  it('backs off 1 s, 2 s, 4 s … up to 10 s after errors', () => {
    const clock = new FakeClock();
    const q = queue(clock);
    q.add(pod('p'), 0);
    const expect = [1000, 2000, 4000, 8000, 10000, 10000];
    for (const d of expect) {
      const p = q.pop()!;
      assert.equal(q.backoffDuration(p), d);
      p.unschedulablePlugins = new Set(); // an error: straight to backoffQ
      q.requeue(p);
      assert.equal(q.where('default/p'), 'backoff');
      clock.advance(d - 1);
      q.flushBackoffCompleted();
      assert.equal(q.where('default/p'), 'backoff', `still backing off before ${d} ms`);
      clock.advance(1000);
      assert.equal(q.where('default/p'), 'active');
    }
    q.close();
  });

  it('moves unschedulable pods back only on events their rejecting plugins care about', () => {
    const clock = new FakeClock();
    const q = queue(clock);
    q.add(pod('p'), 0);
    const p = q.pop()!;
    p.unschedulablePlugins = new Set(['NodeResourcesFit']);
    q.requeue(p);
    assert.equal(q.where('default/p'), 'unschedulable');
    q.moveAll('NodeUpdate');
    assert.equal(q.where('default/p'), 'unschedulable');
    clock.advance(5000); // past its 1 s backoff
    q.moveAll('AssignedPodDelete');
    assert.equal(q.where('default/p'), 'active');
    q.close();
  });

  it('sends a pod to backoffQ when a move request came during its attempt', () => {
    const clock = new FakeClock();
    const q = queue(clock);
    q.add(pod('p'), 0);
    const p = q.pop()!;
    q.moveAll('NodeAdd');
    p.unschedulablePlugins = new Set(['NodeResourcesFit']);
    q.requeue(p);
    assert.equal(q.where('default/p'), 'backoff');
    q.close();
  });

  it('flushes pods left unschedulable for 5 minutes', () => {
    const clock = new FakeClock();
    const q = queue(clock);
    q.add(pod('p'), 0);
    const p = q.pop()!;
    p.unschedulablePlugins = new Set(['TaintToleration']);
    q.requeue(p);
    clock.advance(4 * 60_000);
    assert.equal(q.where('default/p'), 'unschedulable');
    clock.advance(61_000);
    assert.equal(q.where('default/p'), 'active');
    q.close();
  });

  it('gives a changed unschedulable pod another try, and forgets deleted pods', () => {
    const clock = new FakeClock();
    const q = queue(clock);
    q.add(pod('p'), 0);
    const p = q.pop()!;
    p.unschedulablePlugins = new Set(['TaintToleration']);
    q.requeue(p);
    q.update(pod('p'), 0);
    assert.equal(q.where('default/p'), 'unschedulable', 'no spec change');
    clock.advance(2000);
    q.update({ ...pod('p'), spec: { containers: [], tolerations: [{ operator: 'Exists' }] } }, 0);
    assert.equal(q.where('default/p'), 'active');
    q.delete('default/p');
    assert.equal(q.where('default/p'), undefined);
    q.close();
  });
});
