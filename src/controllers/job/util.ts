// Job helpers shared by the Job, CronJob and TTL-after-finished controllers, as upstream's
// pkg/controller/job/util: finished conditions, condition bookkeeping, owner references, times.
import type { Obj } from '../../client/types.ts';

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const JOB_COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
export const JOB_CONTROLLER_NAME = 'kubernetes.io/job-controller';

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
}

/** RFC 3339 with second precision, as metav1.Time serializes. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function parseTime(s: string | undefined | null): number | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

/** The Complete or Failed condition with status True, if the Job has finished. */
export function finishedCondition(job: Obj): Condition | undefined {
  for (const c of (job.status?.conditions ?? []) as Condition[]) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return c;
  }
  return undefined;
}

export function isJobFinished(job: Obj): boolean {
  return finishedCondition(job) !== undefined;
}

export function isJobSucceeded(job: Obj): boolean {
  return finishedCondition(job)?.type === 'Complete';
}

export function findCondition(conds: Condition[] | undefined, type: string): Condition | undefined {
  return conds?.find((c) => c.type === type);
}

export function newCondition(type: string, status: string, reason: string, message: string, now: number): Condition {
  const t = rfc3339(now);
  return { type, status, lastProbeTime: t, lastTransitionTime: t, reason, message };
}

/**
 * Sets a condition's status (upstream ensureJobConditionStatus): a new condition is only added
 * when True; returns the new list and whether anything changed.
 */
export function ensureCondition(conds: Condition[], type: string, status: string, reason: string, message: string, now: number): [Condition[], boolean] {
  const i = conds.findIndex((c) => c.type === type);
  if (i >= 0) {
    const c = conds[i]!;
    if (c.status !== status || c.reason !== reason || c.message !== message) {
      const t = rfc3339(now);
      const next = [...conds];
      next[i] = { ...c, status, reason, message, lastProbeTime: t, ...(c.status !== status ? { lastTransitionTime: t } : {}) };
      return [next, true];
    }
    return [conds, false];
  }
  if (status !== 'False') return [[...conds, newCondition(type, status, reason, message, now)], true];
  return [conds, false];
}

/** The owner reference with controller: true, if any. */
export function controllerOf(obj: Obj): { apiVersion: string; kind: string; name: string; uid: string } | undefined {
  for (const r of obj.metadata?.ownerReferences ?? []) if (r.controller === true) return r;
  return undefined;
}

export function controllerRef(owner: Obj, apiVersion: string, kind: string) {
  return { apiVersion, kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true };
}
