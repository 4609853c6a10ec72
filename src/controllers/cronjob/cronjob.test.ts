// The CronJob controller against the in-process API server with a FakeClock: Jobs on schedule
// (names, annotation, status), Forbid and Replace, history limits, startingDeadlineSeconds, time
// zones, and the TooManyMissedTimes warning; plus schedule parsing as robfig/cron's ParseStandard.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEnv, type TestEnv } from '../job/testing.ts';
import { cronjobController } from './index.ts';
import { formatInZone, parseGoDuration, parseSchedule } from './schedule.ts';
import { mostRecentScheduleTime } from './controller.ts';
import { rfc3339 } from '../job/util.ts';
import type { Obj } from '../../client/types.ts';

const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;
let env: TestEnv;
let ns = 0;

before(async () => {
  env = await startEnv([cronjobController]);
});
after(async () => {
  await env.stop();
});

/** Each test gets its own namespace (the clock is shared, so times are relative to now). */
async function newNamespace(): Promise<string> {
  const name = `cj-${++ns}`;
  await env.client.resource('', 'namespaces').create({ metadata: { name } });
  return name;
}

function cronJob(name: string, spec: Obj): Obj {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name },
    spec: {
      schedule: '*/5 * * * *',
      ...spec,
      jobTemplate: { metadata: { labels: { app: name } }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } },
    },
  };
}

const jobsIn = async (namespace: string) => (await env.client.resource('batch', 'jobs', namespace).list()).items.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
const nextBoundary = (step: number) => Math.ceil((env.clock.now() + 1) / step) * step;

async function complete(namespace: string, name: string, type: 'Complete' | 'Failed' = 'Complete') {
  const jobs = env.client.resource('batch', 'jobs', namespace);
  const j = await jobs.get(name);
  const now = rfc3339(env.clock.now());
  const conds =
    type === 'Complete'
      ? [
          { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: now, lastTransitionTime: now },
          { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: now, lastTransitionTime: now },
        ]
      : [
          { type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', lastProbeTime: now, lastTransitionTime: now },
          { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', lastProbeTime: now, lastTransitionTime: now },
        ];
  await jobs.updateStatus({
    ...j,
    status: { startTime: now, ...(type === 'Complete' ? { completionTime: now, succeeded: 1 } : { failed: 1 }), conditions: conds },
  });
}

/** Moves the clock to `at` (past it by a second) in one-minute steps. */
async function advanceTo(at: number) {
  await env.advance(at + 1000 - env.clock.now(), MIN);
}

describe('cronjob controller', () => {
  it('creates a Job at each schedule time, named by the scheduled minute', async () => {
    const n = await newNamespace();
    await env.client.resource('batch', 'cronjobs', n).create(cronJob('hello', {}));
    await env.settle(100);
    assert.equal((await jobsIn(n)).length, 0);
    const first = nextBoundary(5 * MIN);
    await advanceTo(first);
    await env.until(async () => (await jobsIn(n)).length === 1, 'the first Job');
    let [j] = await jobsIn(n);
    assert.equal(j!.metadata.name, `hello-${first / MIN}`);
    assert.equal(j!.metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp'], new Date(first).toISOString().replace('.000Z', 'Z'));
    assert.equal(j!.metadata.labels.app, 'hello');
    assert.equal(j!.metadata.ownerReferences[0].kind, 'CronJob');
    assert.equal(j!.metadata.ownerReferences[0].controller, true);
    await env.until(async () => ((await env.client.resource('batch', 'cronjobs', n).get('hello')).status?.active ?? []).length === 1, 'status.active');
    let cj = await env.client.resource('batch', 'cronjobs', n).get('hello');
    assert.equal(cj.status.lastScheduleTime, rfc3339(first));
    assert.equal(cj.status.active[0].name, j!.metadata.name);
    await advanceTo(first + 5 * MIN);
    await env.until(async () => (await jobsIn(n)).length === 2, 'the second Job');
    await env.until(async () => (await env.events(n, 'hello')).filter((e) => e.reason === 'SuccessfulCreate').length === 2, 'SuccessfulCreate events');
    const evs = await env.events(n, 'hello');
    assert.ok(evs.some((e) => e.message === `Created job hello-${first / MIN + 5}`));
    // A finished Job leaves status.active and sets lastSuccessfulTime.
    await complete(n, `hello-${first / MIN}`);
    await env.until(async () => !!(await env.client.resource('batch', 'cronjobs', n).get('hello')).status?.lastSuccessfulTime, 'lastSuccessfulTime');
    cj = await env.client.resource('batch', 'cronjobs', n).get('hello');
    assert.deepEqual(cj.status.active.map((a: Obj) => a.name), [`hello-${first / MIN + 5}`]);
    [j] = await jobsIn(n);
    assert.ok(j);
  });

  it('Forbid skips a schedule while a Job runs; Replace replaces the running Job', async () => {
    const n = await newNamespace();
    const cjs = env.client.resource('batch', 'cronjobs', n);
    await cjs.create(cronJob('forbid', { concurrencyPolicy: 'Forbid' }));
    await cjs.create(cronJob('replace', { concurrencyPolicy: 'Replace' }));
    const first = nextBoundary(5 * MIN);
    await advanceTo(first);
    await env.until(async () => (await jobsIn(n)).length === 2, 'one Job each');
    await advanceTo(first + 5 * MIN);
    await env.until(async () => (await env.events(n, 'forbid')).some((e) => e.reason === 'JobAlreadyActive'), 'the JobAlreadyActive event');
    await env.until(async () => (await jobsIn(n)).map((j) => j.metadata.name).includes(`replace-${first / MIN + 5}`), 'the replacement');
    await env.until(async () => !(await jobsIn(n)).map((j) => j.metadata.name).includes(`replace-${first / MIN}`), 'the replaced Job to go');
    assert.deepEqual(
      (await jobsIn(n)).map((j) => j.metadata.name),
      [`forbid-${first / MIN}`, `replace-${first / MIN + 5}`],
    );
    const ev = (await env.events(n, 'forbid')).find((e) => e.reason === 'JobAlreadyActive')!;
    assert.equal(ev.message, 'Not starting job because prior execution is running and concurrency policy is Forbid');
    assert.ok((await env.events(n, 'replace')).some((e) => e.reason === 'SuccessfulDelete' && e.message === `Deleted job replace-${first / MIN}`));
    // Once the Forbid Job finishes, the skipped schedule starts late (no startingDeadlineSeconds).
    await complete(n, `forbid-${first / MIN}`);
    await env.until(async () => (await jobsIn(n)).some((j) => j.metadata.name === `forbid-${first / MIN + 5}`), 'the skipped Forbid Job to start late');
  });

  it('prunes finished Jobs beyond the history limits, oldest first', async () => {
    const n = await newNamespace();
    await env.client.resource('batch', 'cronjobs', n).create(cronJob('hist', { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 }));
    const first = nextBoundary(5 * MIN);
    const names: string[] = [];
    for (let i = 0; i < 4; i++) {
      await advanceTo(first + i * 5 * MIN);
      const name = `hist-${first / MIN + i * 5}`;
      names.push(name);
      await env.until(async () => (await jobsIn(n)).some((j) => j.metadata.name === name), name);
      await complete(n, name, i === 2 ? 'Failed' : 'Complete');
    }
    await env.until(async () => (await jobsIn(n)).length === 2, 'pruning to one successful and one failed Job');
    assert.deepEqual((await jobsIn(n)).map((j) => j.metadata.name).sort(), [names[2], names[3]].sort());
  });

  it('starts only the most recent of many missed schedules, warning past 100', async () => {
    const n = await newNamespace();
    const cjs = env.client.resource('batch', 'cronjobs', n);
    await cjs.create(cronJob('busy', { schedule: '* * * * *', suspend: true }));
    await env.settle(50);
    env.clock.advance(150 * MIN);
    await cjs.patch('busy', 'merge', { spec: { suspend: false } });
    await env.until(async () => (await jobsIn(n)).length === 1, 'one Job');
    const [j] = await jobsIn(n);
    assert.equal(j!.metadata.name, `busy-${Math.floor(env.clock.now() / MIN)}`);
    await env.until(async () => (await env.events(n, 'busy')).some((e) => e.reason === 'TooManyMissedTimes'), 'the warning');
    const ev = (await env.events(n, 'busy')).find((e) => e.reason === 'TooManyMissedTimes')!;
    assert.equal(ev.type, 'Warning');
    assert.match(ev.message, /^too many missed start times: 15\d\. Set or decrease \.spec\.startingDeadlineSeconds or check clock skew$/);
  });

  it('does not start a schedule missed by more than startingDeadlineSeconds', async () => {
    const n = await newNamespace();
    const cjs = env.client.resource('batch', 'cronjobs', n);
    await cjs.create(cronJob('late', { startingDeadlineSeconds: 60, suspend: true }));
    const first = nextBoundary(5 * MIN);
    await advanceTo(first + 2 * MIN);
    await cjs.patch('late', 'merge', { spec: { suspend: false } });
    await env.settle(200);
    assert.equal((await jobsIn(n)).length, 0);
    await advanceTo(first + 5 * MIN);
    await env.until(async () => (await jobsIn(n)).length === 1, 'the next schedule in time');
  });

  it('reads the schedule in spec.timeZone', async () => {
    const n = await newNamespace();
    await env.client.resource('batch', 'cronjobs', n).create(cronJob('tokyo', { schedule: '0 9 * * *', timeZone: 'Asia/Tokyo' }));
    // 09:00 in Tokyo is 00:00 UTC.
    const next = nextBoundary(24 * 60 * MIN);
    await env.advance(next + 1000 - env.clock.now(), 60 * MIN);
    await env.until(async () => (await jobsIn(n)).length === 1, 'the Tokyo Job');
    const [j] = await jobsIn(n);
    assert.equal(j!.metadata.name, `tokyo-${next / MIN}`);
    assert.match(j!.metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp'], /T09:00:00\+09:00$/);
  });
});

describe('cron schedules', () => {
  const at = (s: string) => Date.parse(s);
  it('parses the standard five fields, names and descriptors', () => {
    assert.equal(parseSchedule('*/15 * * * *').next(at('2026-01-01T00:00:00Z')), at('2026-01-01T00:15:00Z'));
    assert.equal(parseSchedule('0 0 * * MON').next(at('2026-01-01T00:00:00Z')), at('2026-01-05T00:00:00Z'));
    assert.equal(parseSchedule('30 2 1 jan,jul ?').next(at('2026-02-01T00:00:00Z')), at('2026-07-01T02:30:00Z'));
    assert.equal(parseSchedule('@hourly').next(at('2026-01-01T00:10:00Z')), at('2026-01-01T01:00:00Z'));
    assert.equal(parseSchedule('@weekly').next(at('2026-01-01T00:00:00Z')), at('2026-01-04T00:00:00Z'));
    assert.equal(parseSchedule('@yearly').next(at('2026-01-01T00:00:00Z')), at('2027-01-01T00:00:00Z'));
    assert.equal(parseSchedule('@every 90m').next(at('2026-01-01T00:00:00.500Z')), at('2026-01-01T01:30:00Z'));
    assert.equal(parseSchedule('TZ=America/New_York 0 9 * * *').next(at('2026-01-01T00:00:00Z')), at('2026-01-01T14:00:00Z'));
    assert.equal(parseSchedule('0 9 * * *', 'Europe/Berlin').next(at('2026-01-01T00:00:00Z')), at('2026-01-01T08:00:00Z'));
  });
  it('rejects what robfig/cron ParseStandard rejects', () => {
    for (const bad of ['* * * *', '0 * * * * *', '61 * * * *', '@fortnightly', '0 0 L * *', '0 0 * * 1#2', 'H * * * *', '* * * * FOO']) {
      assert.throws(() => parseSchedule(bad), Error, bad);
    }
    assert.throws(() => parseSchedule('* * * * *', 'Mars/Olympus'), /unknown time zone Mars\/Olympus/);
  });
  it('parses Go durations and formats times in a zone', () => {
    assert.equal(parseGoDuration('1h30m'), 90 * MIN);
    assert.equal(parseGoDuration('1.5s'), 1500);
    assert.throws(() => parseGoDuration('5 minutes'));
    assert.equal(formatInZone(at('2026-07-01T12:00:00Z'), 'America/New_York'), '2026-07-01T08:00:00-04:00');
    assert.equal(formatInZone(at('2026-01-01T12:00:00Z'), 'Europe/London'), '2026-01-01T12:00:00Z');
  });
  it('counts missed schedules and finds the most recent one', () => {
    const cj = { metadata: { creationTimestamp: '2026-01-01T00:00:00Z' }, spec: {}, status: {} };
    const r = mostRecentScheduleTime(cj, T0 + 250 * MIN + 30_000, parseSchedule('* * * * *'), true);
    assert.equal(r.missed, 250);
    assert.equal(r.mostRecent, T0 + 250 * MIN);
    const weekdays = mostRecentScheduleTime(cj, at('2026-01-12T12:00:00Z'), parseSchedule('0 9 * * 1-5'), true);
    assert.equal(weekdays.mostRecent, at('2026-01-12T09:00:00Z'));
    const weekend = mostRecentScheduleTime(cj, at('2026-01-10T12:00:00Z'), parseSchedule('0 9 * * 1-5'), true);
    assert.equal(weekend.mostRecent, at('2026-01-09T09:00:00Z'));
    const none = mostRecentScheduleTime(cj, T0 + 30_000, parseSchedule('* * * * *'), true);
    assert.equal(none.mostRecent, undefined);
  });
});
