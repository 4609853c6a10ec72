// The shared timer of simulated nodes: events fire in time order on one clock timer, cancelled
// ones never fire; and stage selection picks the first matching stage.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../machinery/clock.ts';
import { Timeline } from './timeline.ts';
import { defaultStages, stageMatches, stageDelay } from './stages.ts';

it('fires events in time order with one clock timer', () => {
  const clock = new FakeClock(0);
  const t = new Timeline(clock);
  const fired: string[] = [];
  t.after(300, () => fired.push('c'));
  t.after(100, () => fired.push('a'));
  const gone = t.after(200, () => fired.push('x'));
  t.after(100, () => {
    fired.push('b');
    t.after(0, () => fired.push('b2'));
  });
  assert.equal(clock.pending, 1, 'one timer armed for the earliest event');
  gone.cancel();
  clock.advance(150);
  assert.deepEqual(fired, ['a', 'b', 'b2']);
  clock.advance(1000);
  assert.deepEqual(fired, ['a', 'b', 'b2', 'c']);
  t.after(10, () => fired.push('late'));
  t.stop();
  clock.advance(100);
  assert.equal(fired.at(-1), 'c');
});

it('matches stages by restart policy, labels, namespace and owner', () => {
  const [ready, complete] = defaultStages({ completeAfterMs: 2000, completeJitterMs: 1000 });
  const jobPod = { metadata: { namespace: 'ci', labels: { app: 'x' }, ownerReferences: [{ kind: 'Job', controller: true }] }, spec: { restartPolicy: 'Never' } };
  const webPod = { metadata: { namespace: 'web', labels: {} }, spec: {} };
  assert.ok(stageMatches(ready!, webPod));
  assert.ok(stageMatches(complete!, jobPod));
  assert.ok(!stageMatches(complete!, webPod), 'restartPolicy Always pods keep running');
  const d = stageDelay(complete!, () => 0.5);
  assert.equal(d, 2500);
  const custom = { name: 'c', kind: 'complete' as const, selector: { namespaces: ['ci'], labelSelector: 'app in (x,y)', ownerKinds: ['Job'] } };
  assert.ok(stageMatches(custom, jobPod));
  assert.ok(!stageMatches(custom, webPod));
});
