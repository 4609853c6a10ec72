// The Job controller against the in-process API server with a FakeClock: completions and
// parallelism, backoffLimit with re-creation back-off, activeDeadlineSeconds, Indexed
// completion, podFailurePolicy, suspend, and finalizer-based tracking; pods are finished by the
// test as a kubelet would.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEnv, type TestEnv } from './testing.ts';
import { jobController } from './index.ts';
import { Informer } from '../../client/informer.ts';
import { formatIndexes, parseIndexes } from './indexes.ts';
import { matchPodFailurePolicy } from './podfailurepolicy.ts';
import { JOB_TRACKING_FINALIZER, rfc3339 } from './util.ts';
import type { Obj } from '../../client/types.ts';

let env: TestEnv;
let podInf: Informer;
const NS = 'default';

before(async () => {
  env = await startEnv([jobController]);
  podInf = new Informer(env.client.pods(NS), { clock: env.clock });
  podInf.start();
  await podInf.synced();
});
after(async () => {
  podInf.stop();
  await env.stop();
});

function jobSpec(name: string, spec: Obj = {}, container: Obj = {}): Obj {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: NS },
    spec: { ...spec, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', ...container }] } } },
  };
}

const jobs = () => env.client.resource('batch', 'jobs', NS);
const podsOf = (job: string) => podInf.list(NS).filter((p) => p.metadata.labels?.['batch.kubernetes.io/job-name'] === job);
const activeOf = (job: string) => podsOf(job).filter((p) => !['Succeeded', 'Failed'].includes(p.status?.phase) && !p.metadata.deletionTimestamp);
const cond = (j: Obj, type: string) => (j.status?.conditions ?? []).find((c: Obj) => c.type === type && c.status === 'True');

async function finish(pod: Obj, phase: 'Succeeded' | 'Failed', extra: Obj = {}, exitCode = phase === 'Succeeded' ? 0 : 1) {
  const at = rfc3339(env.clock.now());
  const fresh = await env.client.pods(NS).get(pod.metadata.name);
  await env.client.pods(NS).updateStatus({
    ...fresh,
    status: {
      ...fresh.status,
      phase,
      containerStatuses: [{ name: 'main', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, startedAt: at, finishedAt: at } } }],
      ...extra,
    },
  });
}

async function waitJob(name: string, pred: (j: Obj) => boolean, what: string): Promise<Obj> {
  let j: Obj | undefined;
  await env.until(async () => pred((j = await jobs().get(name))), what);
  return j!;
}

describe('job controller', () => {
  it('runs completions 5 with parallelism 2, never more than 2 active, and completes', async () => {
    let maxActive = 0;
    const track = () => (maxActive = Math.max(maxActive, activeOf('five').length));
    podInf.addEventHandler({ add: track, update: track });
    await jobs().create(jobSpec('five', { completions: 5, parallelism: 2 }));
    for (let done = 0; done < 5; done++) {
      await env.until(() => activeOf('five').length === Math.min(2, 5 - done), `${Math.min(2, 5 - done)} active pods after ${done} done`);
      await finish(activeOf('five')[0]!, 'Succeeded');
    }
    const j = await waitJob('five', (j) => !!cond(j, 'Complete'), 'the Job to complete');
    assert.equal(maxActive, 2);
    assert.equal(j.status.succeeded, 5);
    assert.equal(j.status.failed, 0);
    assert.equal(j.status.active, 0);
    assert.ok(j.status.startTime && j.status.completionTime);
    assert.deepEqual(j.status.uncountedTerminatedPods, {});
    assert.deepEqual(j.status.conditions.map((c: Obj) => [c.type, c.status, c.reason, c.message]), [
      ['SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods'],
      ['Complete', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods'],
    ]);
    const pods = podsOf('five');
    assert.equal(pods.length, 5);
    for (const p of pods) {
      assert.ok(!(p.metadata.finalizers ?? []).includes(JOB_TRACKING_FINALIZER), 'tracking finalizer removed once counted');
      assert.equal(p.metadata.ownerReferences[0].kind, 'Job');
      assert.equal(p.metadata.ownerReferences[0].controller, true);
      assert.equal(p.metadata.labels['job-name'], 'five');
      assert.equal(p.metadata.labels['batch.kubernetes.io/controller-uid'], j.metadata.uid);
      assert.match(p.metadata.name, /^five-[a-z0-9]{5}$/);
    }
    await env.until(async () => (await env.events(NS, 'five')).some((e) => e.reason === 'Completed'), 'the Completed event');
    const evs = await env.events(NS, 'five');
    assert.equal(evs.find((e) => e.reason === 'Completed')!.message, 'Job completed');
    assert.ok(evs.some((e) => e.reason === 'SuccessfulCreate' && /^Created pod: five-/.test(e.message)));
  });

  it('backs off 10 s before re-creating a failed pod, and fails with BackoffLimitExceeded', async () => {
    await jobs().create(jobSpec('flaky', { backoffLimit: 1 }));
    await env.until(() => activeOf('flaky').length === 1, 'the first pod');
    await finish(activeOf('flaky')[0]!, 'Failed');
    await waitJob('flaky', (j) => j.status?.failed === 1, 'the failure to be counted');
    await env.settle(200);
    assert.equal(activeOf('flaky').length, 0, 'no replacement before the back-off');
    await env.advance(11_000);
    await env.until(() => activeOf('flaky').length === 1, 'the replacement after 10 s');
    await finish(activeOf('flaky')[0]!, 'Failed');
    const j = await waitJob('flaky', (j) => !!cond(j, 'Failed'), 'the Job to fail');
    assert.equal(j.status.failed, 2);
    const ft = cond(j, 'FailureTarget');
    assert.equal(ft.reason, 'BackoffLimitExceeded');
    assert.equal(cond(j, 'Failed').reason, 'BackoffLimitExceeded');
    assert.equal(cond(j, 'Failed').message, 'Job has reached the specified backoff limit');
    assert.equal(j.status.completionTime, undefined);
    await env.until(async () => (await env.events(NS, 'flaky')).some((e) => e.reason === 'BackoffLimitExceeded' && e.type === 'Warning'), 'the BackoffLimitExceeded event');
  });

  it('fails a Job active longer than activeDeadlineSeconds and deletes its pods', async () => {
    await jobs().create(jobSpec('slow', { activeDeadlineSeconds: 30, parallelism: 2, completions: 4 }));
    await env.until(() => activeOf('slow').length === 2, 'two pods');
    await env.advance(29_000);
    assert.equal(cond(await jobs().get('slow'), 'Failed'), undefined);
    await env.advance(2_000);
    const j = await waitJob('slow', (j) => !!cond(j, 'Failed'), 'the deadline');
    assert.equal(cond(j, 'Failed').reason, 'DeadlineExceeded');
    assert.equal(cond(j, 'Failed').message, 'Job was active longer than specified deadline');
    assert.equal(j.status.active, 0);
    assert.equal(j.status.failed, 2, 'pods removed by the controller count as failed');
    await env.until(() => podsOf('slow').length === 0, 'the pods to go');
  });

  it('runs Indexed Jobs: one pod per index with the index annotation, label, env and hostname', async () => {
    await jobs().create(jobSpec('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' }));
    await env.until(() => activeOf('idx').length === 3, 'three pods');
    const byIndex = new Map(activeOf('idx').map((p) => [p.metadata.annotations['batch.kubernetes.io/job-completion-index'], p]));
    assert.deepEqual([...byIndex.keys()].sort(), ['0', '1', '2']);
    const p1 = byIndex.get('1')!;
    assert.equal(p1.metadata.labels['batch.kubernetes.io/job-completion-index'], '1');
    assert.equal(p1.spec.hostname, 'idx-1');
    assert.match(p1.metadata.name, /^idx-1-[a-z0-9]{5}$/);
    assert.deepEqual(p1.spec.containers[0].env.find((e: Obj) => e.name === 'JOB_COMPLETION_INDEX').valueFrom.fieldRef.fieldPath, "metadata.annotations['batch.kubernetes.io/job-completion-index']");
    await finish(p1, 'Succeeded');
    await waitJob('idx', (j) => j.status?.completedIndexes === '1', 'completedIndexes "1"');
    // A failed index is re-created with the same index after the back-off.
    await finish(byIndex.get('0')!, 'Failed');
    await waitJob('idx', (j) => j.status?.failed === 1, 'the failure');
    await env.advance(11_000);
    await env.until(() => activeOf('idx').some((p) => p.metadata.annotations['batch.kubernetes.io/job-completion-index'] === '0'), 'index 0 again');
    for (const p of activeOf('idx')) await finish(p, 'Succeeded');
    const j = await waitJob('idx', (j) => !!cond(j, 'Complete'), 'the Indexed Job to complete');
    assert.equal(j.status.completedIndexes, '0-2');
    assert.equal(j.status.succeeded, 3);
  });

  it('applies podFailurePolicy: Ignore does not count, FailJob fails at once', async () => {
    await jobs().create(
      jobSpec('pfp', {
        backoffLimit: 0,
        podFailurePolicy: {
          rules: [
            { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
            { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
          ],
        },
      }),
    );
    await env.until(() => activeOf('pfp').length === 1, 'the first pod');
    const first = activeOf('pfp')[0]!;
    await finish(first, 'Failed', { conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI' }] });
    await env.until(() => podsOf('pfp').some((p) => p.metadata.name === first.metadata.name && !(p.metadata.finalizers ?? []).includes(JOB_TRACKING_FINALIZER)), 'the ignored pod to be processed');
    await env.advance(11_000);
    await env.until(() => activeOf('pfp').length === 1, 'a replacement for the ignored failure');
    let j = await jobs().get('pfp');
    assert.equal(j.status.failed, 0, 'an ignored failure does not count');
    assert.equal(cond(j, 'Failed'), undefined);
    const second = activeOf('pfp')[0]!;
    await finish(second, 'Failed', {}, 42);
    j = await waitJob('pfp', (j) => !!cond(j, 'Failed'), 'FailJob');
    assert.equal(cond(j, 'Failed').reason, 'PodFailurePolicy');
    assert.equal(cond(j, 'Failed').message, `Container main for pod default/${second.metadata.name} failed with exit code 42 matching FailJob rule at index 0`);
    assert.equal(cond(j, 'FailureTarget').reason, 'PodFailurePolicy');
    assert.equal(j.status.failed, 1);
  });

  it('suspends and resumes', async () => {
    await jobs().create(jobSpec('sus', { suspend: true, parallelism: 2, completions: 2 }));
    let j = await waitJob('sus', (j) => !!cond(j, 'Suspended'), 'the Suspended condition');
    assert.equal(cond(j, 'Suspended').reason, 'JobSuspended');
    assert.equal(j.status.startTime, undefined);
    assert.equal(podsOf('sus').length, 0);
    await jobs().patch('sus', 'merge', { spec: { suspend: false } });
    await env.until(() => activeOf('sus').length === 2, 'pods after resuming');
    j = await waitJob('sus', (j) => (j.status?.conditions ?? []).some((c: Obj) => c.type === 'Suspended' && c.status === 'False'), 'the resumed condition');
    assert.equal(j.status.conditions.find((c: Obj) => c.type === 'Suspended').reason, 'JobResumed');
    assert.ok(j.status.startTime);
    await jobs().patch('sus', 'merge', { spec: { suspend: true } });
    await env.until(() => podsOf('sus').every((p) => p.metadata.deletionTimestamp) || podsOf('sus').length === 0, 'pods deleted on suspend');
    j = await waitJob('sus', (j) => j.status?.active === 0 && !!cond(j, 'Suspended'), 'suspended again');
    assert.equal(j.status.failed ?? 0, 0, 'pods removed for suspension are not failures');
  });
});

describe('job helpers', () => {
  it('formats completed indexes as upstream', () => {
    assert.equal(formatIndexes([0, 1, 2, 4]), '0-2,4');
    assert.equal(formatIndexes([5, 6, 9]), '5,6,9');
    assert.equal(formatIndexes([]), '');
    assert.deepEqual([...parseIndexes('0-2,4,9', 5)].sort(), [0, 1, 2, 4]);
  });

  it('matches pod failure policy rules in order', () => {
    const pod = (code: number, conds: Obj[] = []) => ({
      metadata: { name: 'p', namespace: 'ns' },
      status: { phase: 'Failed', conditions: conds, containerStatuses: [{ name: 'c', state: { terminated: { exitCode: code } } }] },
    });
    const policy = { rules: [{ action: 'Count', onExitCodes: { operator: 'NotIn', values: [1, 2] } }, { action: 'Ignore', onExitCodes: { operator: 'In', values: [1] } }] };
    assert.deepEqual(matchPodFailurePolicy(policy, pod(3)), { countFailed: true, action: 'Count' });
    assert.deepEqual(matchPodFailurePolicy(policy, pod(1)), { countFailed: false, action: 'Ignore' });
    assert.deepEqual(matchPodFailurePolicy(policy, pod(2)), { countFailed: true });
    const cp = { rules: [{ action: 'FailJob', onPodConditions: [{ type: 'ConfigIssue', status: 'True' }] }] };
    assert.equal(matchPodFailurePolicy(cp, pod(0, [{ type: 'ConfigIssue', status: 'True' }])).failJobMessage, 'Pod ns/p has condition ConfigIssue matching FailJob rule at index 0');
  });
});
