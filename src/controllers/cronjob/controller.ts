// The CronJob controller, as upstream's CronJob controller v2 (pkg/controller/cronjob): creates a
// Job named `<cronjob>-<minutes since epoch>` at each scheduled time (spec.timeZone or UTC),
// starts only the most recent missed schedule (with a TooManyMissedTimes warning past 100),
// honours startingDeadlineSeconds, suspend and concurrencyPolicy Allow/Forbid/Replace, keeps
// status.active/lastScheduleTime/lastSuccessfulTime, prunes finished Jobs beyond the history
// limits, and requeues itself for the next schedule time on the injected clock.
import type { Controller, ControllerContext } from '../manager.ts';
import type { Informer } from '../../client/informer.ts';
import type { EventRecorder } from '../../client/events.ts';
import type { Obj } from '../../client/types.ts';
import { keyOf } from '../../client/informer.ts';
import { WorkQueue, runWorkers } from '../../client/workqueue.ts';
import { isAlreadyExists, isNotFound } from '../../machinery/errors.ts';
import type { Clock } from '../../machinery/clock.ts';
import { controllerOf, controllerRef, finishedCondition, parseTime, rfc3339 } from '../job/util.ts';
import { formatInZone, parseSchedule, validTimeZone, type Schedule } from './schedule.ts';

export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** Requeue a little after the schedule time so that the time has surely come. */
const NEXT_SCHEDULE_DELTA_MS = 100;
const JOB_INDEX = 'cronjob-controller-uid';
const MAX_MISSED = 100;

export interface RecentSchedule {
  earliest: number;
  mostRecent: number | undefined;
  missed: number;
}

/**
 * The most recent schedule time in (earliest, now], and roughly how many were missed since
 * `earliest` (the last schedule time, else the creation time; with `useDeadline`, no earlier
 * than now - startingDeadlineSeconds). Upstream mostRecentScheduleTime.
 */
export function mostRecentScheduleTime(cj: Obj, now: number, sched: Schedule, useDeadline: boolean): RecentSchedule {
  let earliest = parseTime(cj.status?.lastScheduleTime) ?? parseTime(cj.metadata?.creationTimestamp) ?? now;
  const sds = cj.spec?.startingDeadlineSeconds;
  if (useDeadline && typeof sds === 'number') earliest = Math.max(earliest, now - sds * 1000);
  const t1 = sched.next(earliest);
  if (now < t1) return { earliest, mostRecent: undefined, missed: 0 };
  const t2 = sched.next(t1);
  if (now < t2) return { earliest, mostRecent: t1, missed: 1 };
  const between = Math.round((t2 - t1) / 1000);
  if (between < 1) throw new Error('time difference between two schedules is less than 1 second');
  const missed = Math.floor(Math.floor((now - t1) / 1000) / between) + 1;
  // Jump close to now by the interval (one interval early), then let the schedule find the
  // exact last time; schedules with uneven gaps can overshoot, so step further back as needed.
  let mostRecent: number | undefined;
  let start = t1 + (missed - 2) * between * 1000;
  for (let back = between * 1000; ; back *= 2) {
    for (let t = sched.next(start); t <= now; t = sched.next(t)) mostRecent = t;
    if (mostRecent !== undefined || start < t1) break;
    start = Math.max(t1 - 1, start - back);
  }
  return { earliest, mostRecent, missed };
}

/** How long until the next schedule after the most recent one (upstream nextScheduleTimeDuration). */
export function nextScheduleDelay(cj: Obj, now: number, sched: Schedule): number {
  let base: number;
  try {
    const r = mostRecentScheduleTime(cj, now, sched, false);
    base = r.mostRecent ?? (r.missed === 0 ? r.earliest : now);
  } catch {
    base = now;
  }
  return sched.next(base) + NEXT_SCHEDULE_DELTA_MS - now;
}

export function jobNameFor(cj: Obj, scheduledMs: number): string {
  return `${cj.metadata.name}-${Math.floor(scheduledMs / 60_000)}`;
}

/** The schedule string the controller parses: a TZ in the schedule wins over spec.timeZone. */
function scheduleOf(cj: Obj, recorder: EventRecorder): { schedule: string; tz: string | undefined } {
  const schedule: string = cj.spec?.schedule ?? '';
  if (schedule.includes('TZ')) {
    recorder.event(cj, 'Warning', 'UnsupportedSchedule', `CRON_TZ or TZ used in schedule "${schedule}" is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`);
    return { schedule, tz: undefined };
  }
  return { schedule, tz: cj.spec?.timeZone ?? undefined };
}

/** Oldest first by status.startTime (no start time last), then by name. */
function byStartTime(a: Obj, b: Obj): number {
  const sa = parseTime(a.status?.startTime);
  const sb = parseTime(b.status?.startTime);
  if (sa === undefined && sb !== undefined) return 1;
  if (sa !== undefined && sb === undefined) return -1;
  if (sa === sb) return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
  return sa! - sb!;
}

export class CronJobController implements Controller {
  readonly name = 'cronjob-controller';
  #ctx: ControllerContext;
  #clock: Clock;
  #cronjobs: Informer;
  #jobs: Informer;
  #queue: WorkQueue;
  #recorder: EventRecorder;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.#clock = ctx.clock;
    this.#cronjobs = ctx.informers.informer('batch', 'cronjobs');
    this.#jobs = ctx.informers.informer('batch', 'jobs');
    this.#queue = new WorkQueue({ clock: ctx.clock });
    this.#recorder = ctx.recorder('cronjob-controller');
  }

  start(): void {
    this.#jobs.addIndex(JOB_INDEX, (j) => {
      const ref = controllerOf(j);
      return ref && ref.kind === 'CronJob' ? [ref.uid] : [];
    });
    this.#cronjobs.addEventHandler({
      add: (cj) => this.#queue.add(keyOf(cj)),
      update: (old, cur) => {
        const key = keyOf(cur);
        if (old.spec?.schedule !== cur.spec?.schedule || old.spec?.timeZone !== cur.spec?.timeZone) {
          // A new schedule: wake at its next time rather than the old one's.
          try {
            const { schedule, tz } = scheduleOf(cur, this.#recorder);
            this.#queue.addAfter(key, nextScheduleDelay(cur, this.#clock.now(), parseSchedule(schedule, tz)));
          } catch {
            this.#queue.add(key);
          }
          return;
        }
        this.#queue.add(key);
      },
    });
    const jobChanged = (j: Obj) => {
      const ref = controllerOf(j);
      if (!ref || ref.kind !== 'CronJob') return;
      const cj = this.#cronjobs.get(j.metadata.namespace, ref.name);
      if (cj && cj.metadata.uid === ref.uid) this.#queue.add(keyOf(cj));
    };
    this.#jobs.addEventHandler({
      add: jobChanged,
      update: (old, cur) => {
        if (controllerOf(old)?.uid !== controllerOf(cur)?.uid) jobChanged(old);
        jobChanged(cur);
      },
      delete: jobChanged,
    });
    void runWorkers(this.#queue, this.#ctx.config.workers, (k) => this.sync(k));
  }

  stop(): void {
    this.#queue.shutDown();
  }

  /** One reconcile of a CronJob; schedules its own next wake-up. */
  async sync(key: string): Promise<void> {
    const cached = this.#cronjobs.getByKey(key);
    if (!cached) return;
    const jobs = this.#jobs.byIndex(JOB_INDEX, cached.metadata.uid);
    const cj: Obj = { ...cached, status: { ...(cached.status ?? {}), active: [...(cached.status?.active ?? [])] } };
    const cleaned = await this.#cleanupFinishedJobs(cj, jobs);
    const r = await this.#syncCronJob(cj, jobs);
    if (cleaned || r.update) {
      const status = { ...cj.status };
      if (!status.active.length) delete status.active;
      await this.#ctx.client.resource('batch', 'cronjobs', cj.metadata.namespace).updateStatus({ ...cj, status });
    }
    if (r.requeueAfter !== undefined) {
      this.#queue.addAfter(key, r.requeueAfter);
      return;
    }
    if (r.err) throw r.err;
  }

  async #syncCronJob(cj: Obj, jobs: Obj[]): Promise<{ requeueAfter?: number; update: boolean; err?: unknown }> {
    const now = this.#clock.now();
    const st = cj.status;
    let update = false;
    const children = new Set<string>();
    for (const j of jobs) {
      children.add(j.metadata.uid);
      const inActive = st.active.some((a: Obj) => a.uid === j.metadata.uid);
      const fin = finishedCondition(j);
      if (!inActive && !fin) {
        // Maybe our own status write has not reached the cache yet: ask the server.
        const fresh = await this.#getOrUndefined('cronjobs', cj.metadata.namespace, cj.metadata.name);
        if (fresh && (fresh.status?.active ?? []).some((a: Obj) => a.uid === j.metadata.uid)) {
          st.active.push((fresh.status.active as Obj[]).find((a) => a.uid === j.metadata.uid));
          continue;
        }
        this.#recorder.event(cj, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${j.metadata.name}`);
      } else if (inActive && fin) {
        st.active = st.active.filter((a: Obj) => a.uid !== j.metadata.uid);
        this.#recorder.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata.name}, condition: ${fin.type}`);
        update = true;
      }
      if (fin?.type === 'Complete') {
        const done = parseTime(j.status?.completionTime);
        const last = parseTime(st.lastSuccessfulTime);
        if (done !== undefined && (last === undefined || done > last)) {
          st.lastSuccessfulTime = j.status.completionTime;
          update = true;
        }
      }
    }
    // An active Job that no longer exists leaves the list, or the CronJob would look busy forever.
    for (const a of [...st.active]) {
      if (children.has(a.uid)) continue;
      const j = await this.#getOrUndefined('jobs', a.namespace ?? cj.metadata.namespace, a.name);
      if (!j) {
        this.#recorder.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${a.name}`);
        st.active = st.active.filter((x: Obj) => x.uid !== a.uid);
        update = true;
      }
    }
    if (cj.metadata.deletionTimestamp) return { update };

    const tzName: string | undefined = cj.spec?.timeZone ?? undefined;
    if (tzName !== undefined && !validTimeZone(tzName)) {
      this.#recorder.event(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: "${tzName}": unknown time zone ${tzName}`);
      return { update };
    }
    if (cj.spec?.suspend === true) return { update };

    let sched: Schedule;
    const { schedule, tz } = scheduleOf(cj, this.#recorder);
    try {
      sched = parseSchedule(schedule, tz);
    } catch (e) {
      this.#recorder.event(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: "${schedule}" : ${(e as Error).message}`);
      return { update };
    }

    let recent: RecentSchedule;
    try {
      recent = mostRecentScheduleTime(cj, now, sched, true);
    } catch (e) {
      this.#recorder.event(cj, 'Warning', 'InvalidSchedule', `invalid schedule: ${schedule} : ${(e as Error).message}`);
      return { update };
    }
    if (recent.missed > MAX_MISSED) {
      this.#recorder.event(cj, 'Warning', 'TooManyMissedTimes', `too many missed start times: ${recent.missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`);
    }
    const scheduled = recent.mostRecent;
    if (scheduled === undefined) return { update, requeueAfter: nextScheduleDelay(cj, now, sched) };

    const sds = cj.spec?.startingDeadlineSeconds;
    if (typeof sds === 'number' && scheduled + sds * 1000 < now) {
      this.#recorder.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${new Date(scheduled).toUTCString().replace('GMT', '+0000')}`);
      return { update, requeueAfter: nextScheduleDelay(cj, now, sched) };
    }
    const name = jobNameFor(cj, scheduled);
    if (st.active.some((a: Obj) => a.name === name) || parseTime(st.lastScheduleTime) === scheduled) {
      return { update, requeueAfter: nextScheduleDelay(cj, now, sched) };
    }
    const policy = cj.spec?.concurrencyPolicy ?? 'Allow';
    if (policy === 'Forbid' && st.active.length > 0) {
      this.#recorder.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return { update, requeueAfter: nextScheduleDelay(cj, now, sched) };
    }
    if (policy === 'Replace') {
      for (const a of [...st.active]) {
        const j = await this.#getOrUndefined('jobs', a.namespace ?? cj.metadata.namespace, a.name);
        if (j && !(await this.#deleteJob(cj, j))) return { update, err: new Error(`could not replace job ${j.metadata.namespace}/${j.metadata.name}`) };
        if (!j) st.active = st.active.filter((x: Obj) => x.uid !== a.uid);
        update = true;
      }
    }

    const tmpl = cj.spec?.jobTemplate ?? {};
    const annotations = { ...(tmpl.metadata?.annotations ?? {}), [SCHEDULED_TIMESTAMP_ANNOTATION]: formatInZone(scheduled, tzName) };
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace: cj.metadata.namespace,
        ...(tmpl.metadata?.labels ? { labels: { ...tmpl.metadata.labels } } : {}),
        annotations,
        ownerReferences: [controllerRef(cj, 'batch/v1', 'CronJob')],
      },
      spec: tmpl.spec ?? {},
    };
    let made: Obj;
    try {
      made = await this.#ctx.client.resource('batch', 'jobs', cj.metadata.namespace).create(job);
    } catch (e) {
      if (isAlreadyExists(e)) {
        // Another actor (or our earlier self) made it: adopt it if it is ours.
        const existing = await this.#getOrUndefined('jobs', cj.metadata.namespace, name);
        if (existing && controllerOf(existing)?.uid === cj.metadata.uid) {
          if (!finishedCondition(existing) && !st.active.some((a: Obj) => a.uid === existing.metadata.uid)) st.active.push(this.#ref(existing));
          st.lastScheduleTime = rfc3339(scheduled);
          return { update: true, requeueAfter: nextScheduleDelay(cj, now, sched) };
        }
        return { update, err: e };
      }
      this.#recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${(e as Error).message}`);
      return { update, err: e };
    }
    this.#recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${made.metadata.name}`);
    st.active.push(this.#ref(made));
    st.lastScheduleTime = rfc3339(scheduled);
    return { update: true, requeueAfter: nextScheduleDelay(cj, now, sched) };
  }

  #ref(j: Obj): Obj {
    return { kind: 'Job', namespace: j.metadata.namespace, name: j.metadata.name, uid: j.metadata.uid, apiVersion: 'batch/v1', resourceVersion: j.metadata.resourceVersion };
  }

  async #getOrUndefined(resource: string, namespace: string, name: string): Promise<Obj | undefined> {
    try {
      return await this.#ctx.client.resource('batch', resource, namespace).get(name);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** Deletes finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit, oldest first. */
  async #cleanupFinishedJobs(cj: Obj, jobs: Obj[]): Promise<boolean> {
    const okLimit = cj.spec?.successfulJobsHistoryLimit;
    const failLimit = cj.spec?.failedJobsHistoryLimit;
    if (typeof okLimit !== 'number' && typeof failLimit !== 'number') return false;
    const ok: Obj[] = [];
    const failed: Obj[] = [];
    for (const j of jobs) {
      const f = finishedCondition(j);
      if (f?.type === 'Complete') ok.push(j);
      else if (f?.type === 'Failed') failed.push(j);
    }
    let update = false;
    for (const [list, limit] of [
      [ok, okLimit],
      [failed, failLimit],
    ] as const) {
      if (typeof limit !== 'number' || list.length <= limit) continue;
      const sorted = [...list].sort(byStartTime);
      for (const j of sorted.slice(0, list.length - limit)) if (await this.#deleteJob(cj, j)) update = true;
    }
    return update;
  }

  async #deleteJob(cj: Obj, j: Obj): Promise<boolean> {
    try {
      await this.#ctx.client.resource('batch', 'jobs', j.metadata.namespace).delete(j.metadata.name, { propagationPolicy: 'Background' });
    } catch (e) {
      if (!isNotFound(e)) {
        this.#recorder.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${(e as Error).message}`);
        return false;
      }
    }
    cj.status.active = cj.status.active.filter((a: Obj) => a.uid !== j.metadata.uid);
    this.#recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata.name}`);
    return true;
  }
}

