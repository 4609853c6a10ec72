// The Job controller, as upstream's pkg/controller/job (1.32): runs pods to completion with
// completions/parallelism, Indexed completion, backoffLimit with exponential pod re-creation
// back-off, activeDeadlineSeconds, podFailurePolicy, suspend, and tracking with the
// batch.kubernetes.io/job-tracking finalizer through status.uncountedTerminatedPods; finishing
// goes through the interim SuccessCriteriaMet / FailureTarget conditions.
import type { Controller, ControllerContext } from '../manager.ts';
import type { Informer } from '../../client/informer.ts';
import type { EventRecorder } from '../../client/events.ts';
import type { Obj } from '../../client/types.ts';
import { keyOf } from '../../client/informer.ts';
import { WorkQueue, runWorkers } from '../../client/workqueue.ts';
import { Expectations } from '../../client/expectations.ts';
import { isNotFound } from '../../machinery/errors.ts';
import type { Clock } from '../../machinery/clock.ts';
import {
  JOB_COMPLETION_INDEX,
  JOB_CONTROLLER_NAME,
  JOB_TRACKING_FINALIZER,
  controllerOf,
  controllerRef,
  ensureCondition,
  findCondition,
  isJobFinished,
  newCondition,
  parseTime,
  rfc3339,
  type Condition,
} from './util.ts';
import { UNKNOWN_INDEX, completionIndex, formatIndexes, parseIndexes } from './indexes.ts';
import { matchPodFailurePolicy } from './podfailurepolicy.ts';

/** Pod re-creation back-off after failures: 10 s doubling, at most 6 minutes (upstream). */
export const DEFAULT_JOB_POD_FAILURE_BACKOFF_MS = 10_000;
export const MAX_JOB_POD_FAILURE_BACKOFF_MS = 360_000;
/** At most this many pod UIDs wait in status.uncountedTerminatedPods per sync. */
const MAX_UNCOUNTED_PODS = 500;
const MAX_POD_CREATE_DELETE_PER_SYNC = 500;
const POD_INDEX = 'job-controller-uid';

interface BackoffRecord {
  failuresAfterLastSuccess: number;
  lastFailureTime: number | undefined;
}

interface SyncCtx {
  job: Obj;
  pods: Obj[];
  activePods: Obj[];
  succeeded: number;
  failed: number;
  terminating: number;
  uncountedSucceeded: Set<string>;
  uncountedFailed: Set<string>;
  expectedRm: Set<string>;
  finished: Condition | undefined;
  prevSucceededIndexes: Set<number>;
  succeededIndexes: Set<number>;
  newBackoff: BackoffRecord;
}

// --- pod predicates ----------------------------------------------------------------------------

const isTerminal = (p: Obj) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
const isActive = (p: Obj) => !isTerminal(p) && !p.metadata.deletionTimestamp;
const isTerminatingPod = (p: Obj) => !isTerminal(p) && !!p.metadata.deletionTimestamp;
const hasFinalizer = (p: Obj) => (p.metadata.finalizers ?? []).includes(JOB_TRACKING_FINALIZER);
const isReady = (p: Obj) => (p.status?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');
const isIndexed = (job: Obj) => job.spec?.completionMode === 'Indexed';
const isSuspended = (job: Obj) => job.spec?.suspend === true;

function onlyReplaceFailedPods(job: Obj): boolean {
  return job.spec?.podReplacementPolicy === 'Failed' || !!job.spec?.podFailurePolicy;
}

/** Whether a pod counts as failed: Failed phase, or (without a podFailurePolicy) deleted before succeeding. */
function isPodFailed(p: Obj, job: Obj): boolean {
  if (job.spec?.podFailurePolicy) return p.status?.phase === 'Failed';
  if (p.status?.phase === 'Failed') return true;
  if (onlyReplaceFailedPods(job)) return false;
  return !!p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded';
}

/** When a pod finished: its containers' latest finishedAt, its Ready=False transition, deletion, else creation. */
function finishedTime(p: Obj): number {
  const statuses: Obj[] = p.status?.containerStatuses ?? [];
  let latest: number | undefined;
  let all = statuses.length > 0;
  for (const cs of statuses) {
    const t = parseTime(cs.state?.terminated?.finishedAt);
    if (t === undefined) {
      all = false;
      break;
    }
    if (latest === undefined || t > latest) latest = t;
  }
  if (all && latest !== undefined) return latest;
  const ready = (p.status?.conditions ?? []).find((c: Obj) => c.type === 'Ready' && c.status === 'False');
  const rt = parseTime(ready?.lastTransitionTime);
  if (rt !== undefined) return rt;
  const dt = parseTime(p.metadata.deletionTimestamp);
  if (dt !== undefined) return dt - (p.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
  return parseTime(p.metadata.creationTimestamp) ?? 0;
}

function podPhaseRank(p: Obj): number {
  return p.status?.phase === 'Pending' ? 0 : p.status?.phase === 'Running' ? 2 : 1;
}

/** Orders active pods so the cheapest to lose come first (upstream controller.ActivePods, simplified). */
function byRemovalPreference(a: Obj, b: Obj): number {
  const an = a.spec?.nodeName ? 1 : 0;
  const bn = b.spec?.nodeName ? 1 : 0;
  if (an !== bn) return an - bn;
  if (podPhaseRank(a) !== podPhaseRank(b)) return podPhaseRank(a) - podPhaseRank(b);
  const ar = isReady(a) ? 1 : 0;
  const br = isReady(b) ? 1 : 0;
  if (ar !== br) return ar - br;
  return (parseTime(b.metadata.creationTimestamp) ?? 0) - (parseTime(a.metadata.creationTimestamp) ?? 0);
}

const JOB_INDEX_ENV = {
  name: 'JOB_COMPLETION_INDEX',
  valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${JOB_COMPLETION_INDEX}']` } },
};

function withIndexEnv(containers: Obj[] | undefined): Obj[] | undefined {
  return containers?.map((c) => ((c.env ?? []).some((e: Obj) => e.name === JOB_INDEX_ENV.name) ? c : { ...c, env: [...(c.env ?? []), JOB_INDEX_ENV] }));
}

export class JobController implements Controller {
  readonly name = 'job-controller';
  #ctx: ControllerContext;
  #clock: Clock;
  #jobs: Informer;
  #pods: Informer;
  #queue: WorkQueue;
  #orphanQueue: WorkQueue;
  #expectations: Expectations;
  /** Pod UIDs whose finalizer removal was issued but not yet observed, per Job key. */
  #finalizerExpectations = new Map<string, Set<string>>();
  #backoff = new Map<string, BackoffRecord>();
  #recorder: EventRecorder;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.#clock = ctx.clock;
    this.#jobs = ctx.informers.informer('batch', 'jobs');
    this.#pods = ctx.informers.informer('', 'pods');
    this.#queue = new WorkQueue({ clock: ctx.clock });
    this.#orphanQueue = new WorkQueue({ clock: ctx.clock });
    this.#expectations = new Expectations(ctx.clock);
    this.#recorder = ctx.recorder('job-controller');
  }

  start(): void {
    this.#pods.addIndex(POD_INDEX, (p) => {
      const ref = controllerOf(p);
      return ref && ref.kind === 'Job' ? [ref.uid] : [];
    });
    this.#jobs.addEventHandler({
      add: (j) => this.#queue.add(keyOf(j)),
      update: (old, cur) => {
        const key = keyOf(cur);
        this.#queue.add(key);
        // A changed deadline may fall due earlier than the timer already set.
        const ads = cur.spec?.activeDeadlineSeconds;
        const start = parseTime(cur.status?.startTime);
        if (ads !== undefined && ads !== old.spec?.activeDeadlineSeconds && start !== undefined) {
          this.#queue.addAfter(key, ads * 1000 - (this.#clock.now() - start));
        }
      },
      delete: (j) => {
        const key = keyOf(j);
        this.#queue.add(key);
        // Pods still carrying our finalizer lose it now that nobody counts them.
        for (const p of this.#pods.byIndex(POD_INDEX, j.metadata.uid)) if (hasFinalizer(p)) this.#orphanQueue.add(keyOf(p));
      },
    });
    this.#pods.addEventHandler({
      add: (p) => this.#podAdded(p),
      update: (old, cur) => this.#podUpdated(old, cur),
      delete: (p) => this.#podDeleted(p, true),
    });
    void runWorkers(this.#queue, this.#ctx.config.workers, (k) => this.syncJob(k));
    void runWorkers(this.#orphanQueue, 1, (k) => this.#syncOrphanPod(k));
  }

  stop(): void {
    this.#queue.shutDown();
    this.#orphanQueue.shutDown();
  }

  // --- event handlers --------------------------------------------------------------------------

  #jobOf(pod: Obj): Obj | undefined {
    const ref = controllerOf(pod);
    if (!ref || ref.kind !== 'Job' || ref.apiVersion !== 'batch/v1') return undefined;
    const job = this.#jobs.get(pod.metadata.namespace, ref.name);
    return job && job.metadata.uid === ref.uid ? job : undefined;
  }

  #podAdded(pod: Obj) {
    if (pod.metadata.deletionTimestamp) return this.#podDeleted(pod, false);
    const job = this.#jobOf(pod);
    if (!job || isJobFinished(job)) {
      if (hasFinalizer(pod)) this.#orphanQueue.add(keyOf(pod));
      return;
    }
    const key = keyOf(job);
    this.#expectations.creationObserved(key);
    this.#queue.add(key);
  }

  #podUpdated(old: Obj, cur: Obj) {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    if (cur.metadata.deletionTimestamp && !old.metadata.deletionTimestamp) {
      this.#podDeleted(cur, false);
      if (controllerOf(old)?.uid !== controllerOf(cur)?.uid) this.#enqueueFor(old);
      return;
    }
    const job = this.#jobOf(cur);
    if (job && hasFinalizer(old) && !hasFinalizer(cur)) this.#finalizerRemovalObserved(keyOf(job), cur.metadata.uid);
    if (controllerOf(old)?.uid !== controllerOf(cur)?.uid) this.#enqueueFor(old);
    if (!job || isJobFinished(job)) {
      if (hasFinalizer(cur)) this.#orphanQueue.add(keyOf(cur));
      return;
    }
    this.#queue.add(keyOf(job));
  }

  #enqueueFor(pod: Obj) {
    const job = this.#jobOf(pod);
    if (job) this.#queue.add(keyOf(job));
  }

  #podDeleted(pod: Obj, final: boolean) {
    const job = this.#jobOf(pod);
    if (!job || isJobFinished(job)) {
      if (hasFinalizer(pod) && !final) this.#orphanQueue.add(keyOf(pod));
      return;
    }
    const key = keyOf(job);
    this.#expectations.deletionObserved(key);
    if (final || !hasFinalizer(pod)) this.#finalizerRemovalObserved(key, pod.metadata.uid);
    this.#queue.add(key);
  }

  #finalizerRemovalObserved(key: string, uid: string) {
    const s = this.#finalizerExpectations.get(key);
    if (!s) return;
    s.delete(uid);
    if (s.size === 0) this.#finalizerExpectations.delete(key);
  }

  // --- orphan pods -------------------------------------------------------------------------------

  /** Removes the tracking finalizer from a pod no running Job will count. */
  async #syncOrphanPod(key: string): Promise<void> {
    const pod = this.#pods.getByKey(key);
    if (!pod || !hasFinalizer(pod)) return;
    const ref = controllerOf(pod);
    if (ref) {
      if (ref.kind !== 'Job' || ref.apiVersion !== 'batch/v1') return;
      const job = this.#jobOf(pod);
      if (job && job.spec?.managedBy && job.spec.managedBy !== JOB_CONTROLLER_NAME) return;
      if (job && !isJobFinished(job)) return;
    }
    await this.#removeFinalizer(pod);
  }

  async #removeFinalizer(pod: Obj): Promise<void> {
    try {
      await this.#ctx.client.pods(pod.metadata.namespace).patch(pod.metadata.name, 'strategic', { metadata: { '$deleteFromPrimitiveList/finalizers': [JOB_TRACKING_FINALIZER] } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  // --- sync --------------------------------------------------------------------------------------

  /** One reconcile of a Job (upstream syncJob). */
  async syncJob(key: string): Promise<void> {
    const cached = this.#jobs.getByKey(key);
    if (!cached) {
      this.#expectations.delete(key);
      this.#finalizerExpectations.delete(key);
      this.#backoff.delete(key);
      return;
    }
    if (cached.spec?.managedBy && cached.spec.managedBy !== JOB_CONTROLLER_NAME) return;
    if (isJobFinished(cached)) {
      this.#backoff.delete(key);
      return;
    }
    const now = this.#clock.now();
    const satisfied = this.#expectations.satisfied(key) && !this.#finalizerExpectations.get(key)?.size;
    const uncounted = cached.status?.uncountedTerminatedPods ?? {};
    const job: Obj = { ...cached, status: { ...(cached.status ?? {}), uncountedTerminatedPods: { succeeded: [...(uncounted.succeeded ?? [])], failed: [...(uncounted.failed ?? [])] } } };
    const st = job.status;
    st.conditions = [...(st.conditions ?? [])];
    const pods = this.#pods.byIndex(POD_INDEX, cached.metadata.uid);
    const activePods = pods.filter(isActive);
    let terminating = 0;
    for (const p of pods) if (isTerminatingPod(p)) terminating++;
    const c: SyncCtx = {
      job,
      pods,
      activePods,
      succeeded: 0,
      failed: 0,
      terminating,
      uncountedSucceeded: new Set(uncounted.succeeded ?? []),
      uncountedFailed: new Set(uncounted.failed ?? []),
      expectedRm: new Set(this.#finalizerExpectations.get(key) ?? []),
      finished: undefined,
      prevSucceededIndexes: new Set(),
      succeededIndexes: new Set(),
      newBackoff: { failuresAfterLastSuccess: 0, lastFailureTime: undefined },
    };
    let active = activePods.length;
    const [newSucceeded, newFailed] = this.#newFinishedPods(c);
    let failedCounted = 0;
    for (const p of newFailed) if (matchPodFailurePolicy(job.spec?.podFailurePolicy, p).countFailed) failedCounted++;
    c.succeeded = (st.succeeded ?? 0) + newSucceeded.length + c.uncountedSucceeded.size;
    c.failed = (st.failed ?? 0) + failedCounted + c.uncountedFailed.size;
    let ready = 0;
    for (const p of activePods) if (isReady(p)) ready++;

    if (!st.startTime && !isSuspended(job)) st.startTime = rfc3339(now);
    c.newBackoff = this.#newBackoffRecord(key, newSucceeded, newFailed);

    const backoffLimit: number = job.spec?.backoffLimit ?? 6;
    const exceedsBackoffLimit = c.failed > backoffLimit;

    const successMet = findCondition(st.conditions, 'SuccessCriteriaMet');
    if (successMet?.status === 'True') c.finished = { ...successMet };
    if (!c.finished) {
      const target = findCondition(st.conditions, 'FailureTarget');
      if (target?.status === 'True') {
        c.finished = newCondition('Failed', 'True', target.reason ?? '', target.message ?? '', now);
      } else {
        const msg = this.#failJobMessage(job, pods);
        if (msg !== undefined) c.finished = newCondition('FailureTarget', 'True', 'PodFailurePolicy', msg, now);
      }
    }
    if (!c.finished) {
      if (exceedsBackoffLimit || this.#pastBackoffLimitOnFailure(job, pods)) {
        c.finished = newCondition('FailureTarget', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', now);
      } else if (this.#pastActiveDeadline(job)) {
        c.finished = newCondition('FailureTarget', 'True', 'DeadlineExceeded', 'Job was active longer than specified deadline', now);
      } else if (job.spec?.activeDeadlineSeconds !== undefined && !isSuspended(job)) {
        const start = parseTime(st.startTime) ?? now;
        this.#queue.addAfter(key, job.spec.activeDeadlineSeconds * 1000 - (now - start));
      }
    }

    if (isIndexed(job)) {
      const completions: number = job.spec.completions;
      c.prevSucceededIndexes = parseIndexes(st.completedIndexes, completions);
      c.succeededIndexes = new Set(c.prevSucceededIndexes);
      for (const p of pods) {
        if (p.status?.phase !== 'Succeeded' || !hasFinalizer(p)) continue;
        const ix = completionIndex(p);
        if (ix !== UNKNOWN_INDEX && ix < completions) c.succeededIndexes.add(ix);
      }
      c.succeeded = c.succeededIndexes.size;
    }

    let suspendChanged = false;
    let manageErr: unknown;
    if (c.finished) {
      const { deleted, deletedReady, err } = await this.#deleteActivePods(job, activePods);
      if (deleted !== active || !satisfied) c.finished = undefined;
      active -= deleted;
      c.terminating += deleted;
      ready -= deletedReady;
      manageErr = err;
    } else {
      let managed = false;
      if (satisfied && !job.metadata.deletionTimestamp) {
        const r = await this.#manageJob(key, job, c, active);
        active = r.active;
        ready = Math.max(0, ready - r.removedReady);
        manageErr = r.err;
        managed = true;
      }
      const completions: number | undefined = job.spec?.completions ?? undefined;
      const complete = completions === undefined ? c.succeeded > 0 && active === 0 : c.succeeded >= completions && active === 0;
      if (complete) {
        c.finished = newCondition('SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', now);
      } else if (managed) {
        if (isSuspended(job)) {
          const [conds, changed] = ensureCondition(st.conditions, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now);
          if (changed) {
            st.conditions = conds;
            suspendChanged = true;
            this.#recorder.event(job, 'Normal', 'Suspended', 'Job suspended');
          }
        } else {
          const [conds, changed] = ensureCondition(st.conditions, 'Suspended', 'False', 'JobResumed', 'Job resumed', now);
          if (changed) {
            st.conditions = conds;
            suspendChanged = true;
            this.#recorder.event(job, 'Normal', 'Resumed', 'Job resumed');
            // The deadline counts time continuously active, so a resumed Job starts afresh.
            st.startTime = rfc3339(now);
          }
        }
      }
    }

    const needsUpdate =
      suspendChanged || active !== (cached.status?.active ?? 0) || ready !== cached.status?.ready || c.terminating !== cached.status?.terminating || st.startTime !== cached.status?.startTime;
    st.active = active;
    st.ready = ready;
    st.terminating = c.terminating;
    await this.#trackStatusAndRemoveFinalizers(key, c, needsUpdate);
    if (manageErr) throw manageErr;
  }

  /** Pods that finished since the last count: still carrying the finalizer and not yet in the uncounted lists. */
  #newFinishedPods(c: SyncCtx): [Obj[], Obj[]] {
    const succeeded: Obj[] = [];
    const failed: Obj[] = [];
    const indexed = isIndexed(c.job);
    for (const p of c.pods) {
      const uid = p.metadata.uid;
      if (!hasFinalizer(p) || c.expectedRm.has(uid)) continue;
      if (indexed) {
        const ix = completionIndex(p);
        if (ix === UNKNOWN_INDEX || ix >= c.job.spec.completions) continue;
      }
      if (p.status?.phase === 'Succeeded') {
        if (!c.uncountedSucceeded.has(uid)) succeeded.push(p);
      } else if (isPodFailed(p, c.job) && !c.uncountedFailed.has(uid)) failed.push(p);
    }
    return [succeeded, failed];
  }

  #failJobMessage(job: Obj, pods: Obj[]): string | undefined {
    const policy = job.spec?.podFailurePolicy;
    if (!policy) return undefined;
    for (const p of pods) {
      if (!isPodFailed(p, job)) continue;
      const m = matchPodFailurePolicy(policy, p);
      if (m.failJobMessage !== undefined) return m.failJobMessage;
    }
    return undefined;
  }

  /** With restartPolicy OnFailure, container restarts of running pods count toward backoffLimit. */
  #pastBackoffLimitOnFailure(job: Obj, pods: Obj[]): boolean {
    if (job.spec?.template?.spec?.restartPolicy !== 'OnFailure') return false;
    let restarts = 0;
    for (const p of pods) {
      const phase = p.status?.phase;
      if (phase !== 'Running' && phase !== 'Pending') continue;
      for (const cs of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) restarts += cs.restartCount ?? 0;
    }
    const limit: number = job.spec?.backoffLimit ?? 6;
    return limit === 0 ? restarts > 0 : restarts >= limit;
  }

  #pastActiveDeadline(job: Obj): boolean {
    const ads = job.spec?.activeDeadlineSeconds;
    const start = parseTime(job.status?.startTime);
    if (ads === undefined || ads === null || start === undefined || isSuspended(job)) return false;
    return this.#clock.now() - start >= ads * 1000;
  }

  #newBackoffRecord(key: string, succeeded: Obj[], failed: Obj[]): BackoffRecord {
    const old = this.#backoff.get(key);
    const rec: BackoffRecord = { failuresAfterLastSuccess: old?.failuresAfterLastSuccess ?? 0, lastFailureTime: old?.lastFailureTime };
    const failedTimes = failed.map(finishedTime).sort((a, b) => a - b);
    if (succeeded.length === 0) {
      if (failedTimes.length === 0) return rec;
      rec.failuresAfterLastSuccess += failedTimes.length;
      rec.lastFailureTime = failedTimes[failedTimes.length - 1];
      return rec;
    }
    const lastSuccess = Math.max(...succeeded.map(finishedTime));
    rec.failuresAfterLastSuccess = 0;
    rec.lastFailureTime = undefined;
    for (let i = failedTimes.length - 1; i >= 0 && failedTimes[i]! > lastSuccess; i--) {
      rec.lastFailureTime ??= failedTimes[i];
      rec.failuresAfterLastSuccess++;
    }
    return rec;
  }

  #remainingBackoff(rec: BackoffRecord): number {
    if (rec.failuresAfterLastSuccess === 0 || rec.lastFailureTime === undefined) return 0;
    let d = DEFAULT_JOB_POD_FAILURE_BACKOFF_MS;
    for (let i = 1; i < rec.failuresAfterLastSuccess; i++) {
      d *= 2;
      if (d >= MAX_JOB_POD_FAILURE_BACKOFF_MS) {
        d = MAX_JOB_POD_FAILURE_BACKOFF_MS;
        break;
      }
    }
    const elapsed = this.#clock.now() - rec.lastFailureTime;
    return d < elapsed ? 0 : d - elapsed;
  }

  /** Creates or deletes pods toward the wanted number active (upstream manageJob). */
  async #manageJob(key: string, job: Obj, c: SyncCtx, active: number): Promise<{ active: number; removedReady: number; err?: unknown }> {
    const parallelism: number = job.spec?.parallelism ?? 1;
    if (isSuspended(job)) {
      const toDelete = [...c.activePods].sort(byRemovalPreference);
      this.#expectations.expectDeletions(key, toDelete.length);
      const r = await this.#deleteJobPods(key, job, toDelete);
      c.terminating += r.deleted;
      return { active: active - r.deleted, removedReady: r.deletedReady, err: r.err };
    }
    const terminating = onlyReplaceFailedPods(job) ? c.terminating : 0;
    let wantActive: number;
    const completions: number | undefined = job.spec?.completions ?? undefined;
    if (completions === undefined) wantActive = c.succeeded > 0 ? active : parallelism;
    else wantActive = Math.max(0, Math.min(completions - c.succeeded, parallelism));

    const toDelete = this.#activePodsForRemoval(job, c, Math.max(0, active - wantActive)).slice(0, MAX_POD_CREATE_DELETE_PER_SYNC);
    if (toDelete.length > 0) {
      this.#expectations.expectDeletions(key, toDelete.length);
      const r = await this.#deleteJobPods(key, job, toDelete);
      c.terminating += r.deleted;
      // Deletions take precedence over creations within one sync, as upstream.
      return { active: active - r.deleted, removedReady: r.deletedReady, err: r.err };
    }

    let diff = wantActive - terminating - active;
    if (diff <= 0) return { active, removedReady: 0 };
    const remaining = this.#remainingBackoff(c.newBackoff);
    if (remaining > 0) {
      this.#queue.addAfter(key, remaining);
      return { active, removedReady: 0 };
    }
    diff = Math.min(diff, MAX_POD_CREATE_DELETE_PER_SYNC);
    let indexes: number[] = [];
    if (isIndexed(job)) {
      indexes = this.#firstPendingIndexes(c, diff, completions ?? 0);
      diff = indexes.length;
    }
    if (diff <= 0) return { active, removedReady: 0 };
    this.#expectations.expectCreations(key, diff);
    active += diff;
    let err: unknown;
    // Slow start: batches of 1, 2, 4, ... so a failing create does not fail hundreds of times.
    let created = 0;
    for (let batch = Math.min(diff, 1); created < diff; batch = Math.min(batch * 2, diff - created)) {
      const results = await Promise.all(
        Array.from({ length: batch }, (_, i) => this.#createPod(job, isIndexed(job) ? indexes[created + i] : undefined)),
      );
      let failed = 0;
      for (const r of results) {
        if (r === undefined) continue;
        failed++;
        err ??= r;
        this.#expectations.creationObserved(key);
        active--;
      }
      created += batch;
      if (failed > 0) {
        const skipped = diff - created;
        for (let i = 0; i < skipped; i++) this.#expectations.creationObserved(key);
        active -= skipped;
        break;
      }
    }
    return { active, removedReady: 0, err };
  }

  /** Creates one pod from the template; returns the error, if any. */
  async #createPod(job: Obj, index: number | undefined): Promise<unknown> {
    const tmpl = job.spec?.template ?? {};
    const meta = tmpl.metadata ?? {};
    const labels = { ...(meta.labels ?? {}) };
    const annotations = { ...(meta.annotations ?? {}) };
    const finalizers: string[] = [...(meta.finalizers ?? [])];
    if (!finalizers.includes(JOB_TRACKING_FINALIZER)) finalizers.push(JOB_TRACKING_FINALIZER);
    let spec = tmpl.spec ?? {};
    let generateName = `${job.metadata.name}-`;
    if (index !== undefined) {
      annotations[JOB_COMPLETION_INDEX] = String(index);
      labels[JOB_COMPLETION_INDEX] = String(index);
      spec = { ...spec, containers: withIndexEnv(spec.containers), ...(spec.initContainers ? { initContainers: withIndexEnv(spec.initContainers) } : {}), hostname: `${job.metadata.name}-${index}` };
      const suffix = `-${index}-`;
      generateName = `${job.metadata.name}${suffix}`;
      if (generateName.length > 58) generateName = job.metadata.name.slice(0, 58 - suffix.length) + suffix;
    }
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName,
        namespace: job.metadata.namespace,
        labels,
        ...(Object.keys(annotations).length ? { annotations } : {}),
        finalizers,
        ownerReferences: [controllerRef(job, 'batch/v1', 'Job')],
      },
      spec,
    };
    try {
      const made = await this.#ctx.client.pods(job.metadata.namespace).create(pod);
      this.#recorder.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${made.metadata.name}`);
      return undefined;
    } catch (e) {
      this.#recorder.event(job, 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
      return e;
    }
  }

  /** Indexes not yet succeeded and without an active (or, when only failed pods are replaced, terminating) pod. */
  #firstPendingIndexes(c: SyncCtx, count: number, completions: number): number[] {
    const taken = new Set(c.succeededIndexes);
    for (const p of c.activePods) taken.add(completionIndex(p));
    if (onlyReplaceFailedPods(c.job)) for (const p of c.pods) if (isTerminatingPod(p)) taken.add(completionIndex(p));
    const out: number[] = [];
    for (let i = 0; i < completions && out.length < count; i++) if (!taken.has(i)) out.push(i);
    return out;
  }

  /** Which active pods to remove: for Indexed Jobs first those with bad, duplicate or succeeded indexes. */
  #activePodsForRemoval(job: Obj, c: SyncCtx, atLeast: number): Obj[] {
    let rest = c.activePods;
    const out: Obj[] = [];
    if (isIndexed(job)) {
      const seen = new Set<number>();
      rest = [];
      const sorted = [...c.activePods].sort((a, b) => byRemovalPreference(b, a));
      for (const p of sorted) {
        const ix = completionIndex(p);
        if (ix === UNKNOWN_INDEX || ix >= job.spec.completions || seen.has(ix) || c.succeededIndexes.has(ix)) out.push(p);
        else {
          seen.add(ix);
          rest.push(p);
        }
      }
    }
    if (out.length < atLeast) out.push(...[...rest].sort(byRemovalPreference).slice(0, atLeast - out.length));
    return out;
  }

  /** Deletes pods the Job no longer wants, taking the finalizer off first so they are not counted. */
  async #deleteJobPods(key: string, job: Obj, pods: Obj[]): Promise<{ deleted: number; deletedReady: number; err?: unknown }> {
    let deleted = 0;
    let deletedReady = 0;
    let err: unknown;
    await Promise.all(
      pods.map(async (p) => {
        try {
          if (hasFinalizer(p)) await this.#removeFinalizerOrThrow(p);
          await this.#deletePod(job, p);
          deleted++;
          if (isReady(p)) deletedReady++;
        } catch (e) {
          this.#expectations.deletionObserved(key);
          if (!isNotFound(e)) err ??= e;
        }
      }),
    );
    return { deleted, deletedReady, err };
  }

  async #removeFinalizerOrThrow(p: Obj) {
    await this.#ctx.client.pods(p.metadata.namespace).patch(p.metadata.name, 'strategic', { metadata: { '$deleteFromPrimitiveList/finalizers': [JOB_TRACKING_FINALIZER] } });
  }

  async #deletePod(job: Obj, p: Obj) {
    try {
      await this.#ctx.client.pods(p.metadata.namespace).delete(p.metadata.name);
      this.#recorder.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
    } catch (e) {
      if (!isNotFound(e)) this.#recorder.event(job, 'Warning', 'FailedDelete', `Error deleting: ${(e as Error).message}`);
      throw e;
    }
  }

  /** Deletes active pods of a finishing Job, keeping their finalizers so they are counted. */
  async #deleteActivePods(job: Obj, pods: Obj[]): Promise<{ deleted: number; deletedReady: number; err?: unknown }> {
    let deleted = 0;
    let deletedReady = 0;
    let err: unknown;
    await Promise.all(
      pods.map(async (p) => {
        try {
          await this.#deletePod(job, p);
          deleted++;
          if (isReady(p)) deletedReady++;
        } catch (e) {
          if (!isNotFound(e)) err ??= e;
        }
      }),
    );
    return { deleted, deletedReady, err };
  }

  // --- status and finalizers -------------------------------------------------------------------

  /**
   * Records finished pods in uncountedTerminatedPods, removes their finalizers, moves them into
   * the counters, and adds the final condition once nothing is left uncounted or terminating
   * (upstream trackJobStatusAndRemoveFinalizers).
   */
  async #trackStatusAndRemoveFinalizers(key: string, c: SyncCtx, needsFlush: boolean): Promise<void> {
    const job = c.job;
    const st = job.status;
    const indexed = isIndexed(job);
    const withFinalizer = new Set<string>();
    for (const p of c.pods) if (hasFinalizer(p)) withFinalizer.add(p.metadata.uid);
    if (this.#cleanUncounted(st, withFinalizer)) needsFlush = true;
    const toRemove: Obj[] = [];
    const newSucceededIndexes: number[] = [];
    let reachedMax = false;
    const policy = job.spec?.podFailurePolicy;
    const finishing = c.finished !== undefined && c.finished.type !== 'SuccessCriteriaMet';
    const pods = indexed ? [...c.pods].sort((a, b) => completionIndex(a) - completionIndex(b)) : c.pods;
    for (const p of pods) {
      const uid = p.metadata.uid;
      if (!hasFinalizer(p) || c.expectedRm.has(uid)) continue;
      const failed = isPodFailed(p, job);
      if (!(job.metadata.deletionTimestamp || c.finished || p.status?.phase === 'Succeeded' || failed)) continue;
      toRemove.push(p);
      if (p.status?.phase === 'Succeeded' && !c.uncountedFailed.has(uid)) {
        if (indexed) {
          const ix = completionIndex(p);
          if (ix !== UNKNOWN_INDEX && ix < job.spec.completions && !c.prevSucceededIndexes.has(ix)) newSucceededIndexes.push(ix);
        } else if (!c.uncountedSucceeded.has(uid)) {
          st.uncountedTerminatedPods.succeeded.push(uid);
          c.uncountedSucceeded.add(uid);
          needsFlush = true;
        }
      } else if (failed || finishing) {
        const ix = completionIndex(p);
        if (!c.uncountedFailed.has(uid) && (!indexed || (ix !== UNKNOWN_INDEX && ix < job.spec.completions))) {
          if (!policy || matchPodFailurePolicy(policy, p).countFailed) {
            st.uncountedTerminatedPods.failed.push(uid);
            c.uncountedFailed.add(uid);
            needsFlush = true;
          }
        }
      }
      if (newSucceededIndexes.length + st.uncountedTerminatedPods.succeeded.length + st.uncountedTerminatedPods.failed.length >= MAX_UNCOUNTED_PODS) {
        reachedMax = true;
        break;
      }
    }
    if (indexed) {
      const all = new Set(c.prevSucceededIndexes);
      for (const ix of newSucceededIndexes) all.add(ix);
      const s = formatIndexes(all);
      if (s !== (st.completedIndexes ?? '')) needsFlush = true;
      st.completedIndexes = s;
      st.succeeded = all.size;
    }
    const now = this.#clock.now();
    if (c.finished?.type === 'FailureTarget') {
      st.conditions = [...st.conditions, c.finished];
      needsFlush = true;
      c.finished = newCondition('Failed', 'True', c.finished.reason ?? '', c.finished.message ?? '', now);
    }
    if (c.finished?.type === 'SuccessCriteriaMet') {
      if (!findCondition(st.conditions, 'SuccessCriteriaMet')) {
        st.conditions = [...st.conditions, c.finished];
        needsFlush = true;
      }
      c.finished = newCondition('Complete', 'True', c.finished.reason ?? '', c.finished.message ?? '', now);
    }

    // 1. Write the uncounted UIDs (and interim conditions) before touching finalizers.
    let cur = job;
    if (needsFlush) {
      cur = await this.#updateStatus(cur);
      this.#backoff.set(key, c.newBackoff);
      needsFlush = false;
    }
    // 2. Remove finalizers; 3. move what lost its finalizer into the counters.
    let rmErr: unknown;
    if (toRemove.length) {
      const uids = new Set(toRemove.map((p) => p.metadata.uid as string));
      const exp = this.#finalizerExpectations.get(key) ?? new Set<string>();
      for (const u of uids) exp.add(u);
      this.#finalizerExpectations.set(key, exp);
      await Promise.all(
        toRemove.map(async (p) => {
          try {
            await this.#removeFinalizerOrThrow(p);
            withFinalizer.delete(p.metadata.uid);
          } catch (e) {
            this.#finalizerRemovalObserved(key, p.metadata.uid);
            if (isNotFound(e)) withFinalizer.delete(p.metadata.uid);
            else rmErr ??= e;
          }
        }),
      );
    }
    if (this.#cleanUncounted(cur.status, withFinalizer)) needsFlush = true;
    if (rmErr) {
      if (needsFlush) await this.#updateStatus(cur);
      throw rmErr;
    }
    // 4. Finish when nothing is left to count and no pod is still terminating.
    let finished = false;
    if (!reachedMax && c.finished) {
      const u = cur.status.uncountedTerminatedPods;
      if (u.succeeded.length + u.failed.length === 0 && c.terminating === 0) {
        const f = c.finished;
        const [conds] = ensureCondition(cur.status.conditions ?? [], f.type, f.status, f.reason ?? '', f.message ?? '', now);
        cur.status.conditions = conds;
        if (f.type === 'Complete') cur.status.completionTime = f.lastTransitionTime;
        finished = true;
        needsFlush = true;
      }
    }
    if (needsFlush) {
      cur = await this.#updateStatus(cur);
      if (finished) this.#recordFinished(cur, c.finished!);
    }
  }

  /** Moves UIDs whose finalizer is gone from uncountedTerminatedPods into succeeded/failed. */
  #cleanUncounted(st: Obj, withFinalizer: Set<string>): boolean {
    const u = st.uncountedTerminatedPods;
    let changed = false;
    const s = u.succeeded.filter((x: string) => withFinalizer.has(x));
    if (s.length !== u.succeeded.length) {
      st.succeeded = (st.succeeded ?? 0) + u.succeeded.length - s.length;
      u.succeeded = s;
      changed = true;
    }
    const f = u.failed.filter((x: string) => withFinalizer.has(x));
    if (f.length !== u.failed.length) {
      st.failed = (st.failed ?? 0) + u.failed.length - f.length;
      u.failed = f;
      changed = true;
    }
    return changed;
  }

  async #updateStatus(job: Obj): Promise<Obj> {
    const u = job.status.uncountedTerminatedPods;
    const status = {
      ...job.status,
      succeeded: job.status.succeeded ?? 0,
      failed: job.status.failed ?? 0,
      uncountedTerminatedPods: { ...(u.succeeded.length ? { succeeded: u.succeeded } : {}), ...(u.failed.length ? { failed: u.failed } : {}) },
    };
    if (!status.conditions?.length) delete status.conditions;
    const made = await this.#ctx.client.resource('batch', 'jobs', job.metadata.namespace).updateStatus({ ...job, status });
    const mu = made.status?.uncountedTerminatedPods ?? {};
    return { ...made, status: { ...made.status, conditions: [...(made.status?.conditions ?? [])], uncountedTerminatedPods: { succeeded: [...(mu.succeeded ?? [])], failed: [...(mu.failed ?? [])] } } };
  }

  #recordFinished(job: Obj, cond: Condition) {
    if (cond.type === 'Complete') {
      const completions = job.spec?.completions;
      if (completions !== undefined && completions !== null && (job.status?.succeeded ?? 0) > completions) {
        this.#recorder.event(job, 'Warning', 'TooManySucceededPods', 'Too many succeeded pods running after completion count reached');
      }
      this.#recorder.event(job, 'Normal', 'Completed', 'Job completed');
    } else {
      this.#recorder.event(job, 'Warning', cond.reason ?? 'Failed', cond.message ?? '');
    }
  }
}
