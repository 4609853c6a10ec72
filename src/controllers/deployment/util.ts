// Deployment rollout arithmetic, as upstream's pkg/controller/deployment/util: maxSurge /
// maxUnavailable resolution (surge rounds up, unavailable down, never both zero), the new
// ReplicaSet's size during a rolling update, proportional scaling, revisions and their annotations,
// saturation / completeness / progress / time-out checks, and finding the new and old ReplicaSets.
import type { Obj } from '../../client/types.ts';
import { getScaledValueFromIntOrPercent } from '../../machinery/intorstr.ts';
import { semanticEqual } from '../util/equality.ts';
import { getControllerOf } from '../util/ownerref.ts';
import { getCondition, type Condition } from '../util/conditions.ts';
import { parseTime, rfc3339 } from '../util/pods.ts';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
/** Upstream caps deployment.kubernetes.io/revision-history at this many characters. */
export const MAX_REV_HISTORY_LENGTH = 2000;
export const MAX_INT32 = 2147483647;

// Condition reasons (upstream names).
export const ReplicaSetUpdatedReason = 'ReplicaSetUpdated';
export const FailedRSCreateReason = 'ReplicaSetCreateError';
export const NewReplicaSetReason = 'NewReplicaSetCreated';
export const FoundNewRSReason = 'FoundNewReplicaSet';
export const NewRSAvailableReason = 'NewReplicaSetAvailable';
export const TimedOutReason = 'ProgressDeadlineExceeded';
export const PausedDeployReason = 'DeploymentPaused';
export const ResumedDeployReason = 'DeploymentResumed';
export const MinimumReplicasAvailable = 'MinimumReplicasAvailable';
export const MinimumReplicasUnavailable = 'MinimumReplicasUnavailable';

const SKIP_COPY = new Set([
  LAST_APPLIED_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  'deprecated.deployment.rollback.to',
]);

/** spec.replicas (defaulted to 1). */
export function replicasOf(o: Obj): number {
  return o.spec?.replicas ?? 1;
}

/** A ReplicaSet's spec.replicas, where an absent value is 0 for arithmetic (RSes we make always set it). */
function rsReplicas(rs: Obj | undefined): number {
  return rs?.spec?.replicas ?? 0;
}

export function newDeploymentCondition(type: string, status: string, reason: string, message: string, now: number): Condition {
  const t = rfc3339(now);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

export function isRollingUpdate(d: Obj): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/**
 * ResolveFenceposts: maxSurge rounded up and maxUnavailable rounded down against `desired`; when
 * both come out 0, maxUnavailable is 1 (validation forbids explicit 0/0, but rounding can reach it).
 */
export function resolveFenceposts(maxSurge: number | string | undefined | null, maxUnavailable: number | string | undefined | null, desired: number): [number, number] {
  const surge = getScaledValueFromIntOrPercent(maxSurge ?? 0, desired, true);
  let unavailable = getScaledValueFromIntOrPercent(maxUnavailable ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return [surge, unavailable];
}

function rollingParams(d: Obj): [number | string | undefined, number | string | undefined] {
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  return [ru.maxSurge ?? '25%', ru.maxUnavailable ?? '25%'];
}

/** MaxSurge: 0 for Recreate. */
export function maxSurge(d: Obj): number {
  if (!isRollingUpdate(d)) return 0;
  const [s, u] = rollingParams(d);
  return resolveFenceposts(s, u, replicasOf(d))[0];
}

/** MaxUnavailable: 0 for Recreate or 0 replicas; never more than spec.replicas. */
export function maxUnavailable(d: Obj): number {
  const replicas = replicasOf(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const [s, u] = rollingParams(d);
  const mu = resolveFenceposts(s, u, replicas)[1];
  return Math.min(mu, replicas);
}

/** MinAvailable: replicas − maxUnavailable for rolling updates, 0 for Recreate. */
export function minAvailable(d: Obj): number {
  if (!isRollingUpdate(d)) return 0;
  return replicasOf(d) - maxUnavailable(d);
}

export function sumReplicas(rss: (Obj | undefined)[]): number {
  let n = 0;
  for (const rs of rss) if (rs) n += rsReplicas(rs);
  return n;
}

export function sumStatus(rss: (Obj | undefined)[], field: 'replicas' | 'readyReplicas' | 'availableReplicas'): number {
  let n = 0;
  for (const rs of rss) if (rs) n += rs.status?.[field] ?? 0;
  return n;
}

/**
 * NewRSNewReplicas: how big the new ReplicaSet may be now. Rolling: grow by what the surge allows,
 * never past spec.replicas. Recreate: spec.replicas.
 */
export function newRSNewReplicas(d: Obj, allRSs: (Obj | undefined)[], newRS: Obj): number {
  if (isRollingUpdate(d)) {
    const replicas = replicasOf(d);
    const surge = getScaledValueFromIntOrPercent(rollingParams(d)[0] ?? 0, replicas, true);
    const current = sumReplicas(allRSs);
    const maxTotal = replicas + surge;
    if (current >= maxTotal) return rsReplicas(newRS);
    const up = Math.min(maxTotal - current, replicas - rsReplicas(newRS));
    return rsReplicas(newRS) + up;
  }
  return replicasOf(d);
}

function intAnnotation(rs: Obj, key: string): number | undefined {
  const v = rs.metadata?.annotations?.[key];
  if (v === undefined || !/^[+-]?[0-9]+$/.test(v)) return undefined;
  return Number(v);
}

export function getDesiredReplicasAnnotation(rs: Obj): number | undefined {
  return intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);
}

/** IsSaturated: the new RS holds, believes it should hold, and has available all the replicas. */
export function isSaturated(d: Obj, rs: Obj | undefined): boolean {
  if (!rs) return false;
  const desired = getDesiredReplicasAnnotation(rs);
  if (desired === undefined) return false;
  const replicas = replicasOf(d);
  return rsReplicas(rs) === replicas && desired === replicas && (rs.status?.availableReplicas ?? 0) === replicas;
}

/** Go's math.Round as integer.RoundToInt32: halves away from zero. */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** getReplicaSetFraction: this RS's share of a scaling event, from its max-replicas annotation. */
export function getReplicaSetFraction(rs: Obj, d: Obj): number {
  const replicas = replicasOf(d);
  if (replicas === 0) return -rsReplicas(rs);
  const deploymentReplicas = replicas + maxSurge(d);
  // Without the annotation fall back to the deployment's current size (upstream does the same).
  const annotated: number = intAnnotation(rs, MAX_REPLICAS_ANNOTATION) ?? d.status?.replicas ?? 0;
  if (annotated === 0) return 0;
  const newSize = (rsReplicas(rs) * deploymentReplicas) / annotated;
  return roundHalfAway(newSize) - rsReplicas(rs);
}

/** GetProportion: replicas to add to (or, negative, remove from) one RS in a proportional scale. */
export function getProportion(rs: Obj | undefined, d: Obj, toAdd: number, added: number): number {
  if (!rs || rsReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = getReplicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/** SetReplicasAnnotations: desired-replicas and max-replicas; true when they changed. */
export function setReplicasAnnotations(rs: Obj, desired: number, max: number): boolean {
  const a = (rs.metadata.annotations ??= {});
  let changed = false;
  if (a[DESIRED_REPLICAS_ANNOTATION] !== String(desired)) {
    a[DESIRED_REPLICAS_ANNOTATION] = String(desired);
    changed = true;
  }
  if (a[MAX_REPLICAS_ANNOTATION] !== String(max)) {
    a[MAX_REPLICAS_ANNOTATION] = String(max);
    changed = true;
  }
  return changed;
}

export function replicasAnnotationsNeedUpdate(rs: Obj, desired: number, max: number): boolean {
  const a = rs.metadata?.annotations;
  if (!a) return true;
  return a[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || a[MAX_REPLICAS_ANNOTATION] !== String(max);
}

/** Revision: the revision annotation as a number, 0 when absent, NaN when unparsable. */
export function revisionOf(o: Obj | undefined): number {
  const v = o?.metadata?.annotations?.[REVISION_ANNOTATION];
  if (v === undefined) return 0;
  return /^[+-]?[0-9]+$/.test(v) ? Number(v) : NaN;
}

/** MaxRevision of a set of ReplicaSets (unparsable revisions are skipped). */
export function maxRevision(rss: Obj[]): number {
  let max = 0;
  for (const rs of rss) {
    const v = revisionOf(rs);
    if (!Number.isNaN(v) && v > max) max = v;
  }
  return max;
}

/** LastRevision: the second-highest revision. */
export function lastRevision(rss: Obj[]): number {
  let max = 0;
  let second = 0;
  for (const rs of rss) {
    const v = revisionOf(rs);
    if (Number.isNaN(v)) continue;
    if (v >= max) {
      second = max;
      max = v;
    } else if (v > second) second = v;
  }
  return second;
}

/** copyDeploymentAnnotationsToReplicaSet: every deployment annotation but the skipped ones. */
function copyDeploymentAnnotations(d: Obj, rs: Obj): boolean {
  const a = (rs.metadata.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries<string>(d.metadata?.annotations ?? {})) {
    if (SKIP_COPY.has(k) || a[k] === v) continue;
    a[k] = v;
    changed = true;
  }
  return changed;
}

/**
 * SetNewReplicaSetAnnotations: copies the deployment's annotations, raises the revision to
 * `newRevision` when lower (recording the old one in revision-history, capped in length, when this
 * is a rollback to an existing RS), and for a new RS sets desired-replicas / max-replicas.
 */
export function setNewReplicaSetAnnotations(d: Obj, rs: Obj, newRevision: string, exists: boolean, historyLimitChars = MAX_REV_HISTORY_LENGTH): boolean {
  let changed = copyDeploymentAnnotations(d, rs);
  const a = (rs.metadata.annotations ??= {});
  const had = Object.prototype.hasOwnProperty.call(a, REVISION_ANNOTATION);
  const oldRevision: string = a[REVISION_ANNOTATION] ?? '';
  let oldInt = 0;
  if (oldRevision !== '') {
    if (!/^[+-]?[0-9]+$/.test(oldRevision)) return false;
    oldInt = Number(oldRevision);
  }
  if (!/^[+-]?[0-9]+$/.test(newRevision)) return false;
  const newInt = Number(newRevision);
  if (oldInt < newInt) {
    a[REVISION_ANNOTATION] = newRevision;
    changed = true;
  }
  if (had && oldInt < newInt) {
    const history: string = a[REVISION_HISTORY_ANNOTATION] ?? '';
    const olds = history.split(',');
    if (olds[0]!.length === 0) a[REVISION_HISTORY_ANNOTATION] = oldRevision;
    else {
      let total = history.length + oldRevision.length + 1;
      let start = 0;
      while (total > historyLimitChars && start < olds.length) {
        total -= olds[start]!.length + 1;
        start++;
      }
      if (total <= historyLimitChars) a[REVISION_HISTORY_ANNOTATION] = [...olds.slice(start), oldRevision].join(',');
    }
  }
  if (!exists) {
    const replicas = replicasOf(d);
    if (setReplicasAnnotations(rs, replicas, replicas + maxSurge(d))) changed = true;
  }
  return changed;
}

/** EqualIgnoreHash: templates equal apart from the pod-template-hash label. */
export function equalIgnoreHash(t1: Obj | undefined, t2: Obj | undefined): boolean {
  const strip = (t: Obj | undefined): Obj | undefined => {
    if (!t?.metadata?.labels || !(POD_TEMPLATE_HASH_LABEL in t.metadata.labels)) return t;
    const { [POD_TEMPLATE_HASH_LABEL]: _h, ...labels } = t.metadata.labels;
    return { ...t, metadata: { ...t.metadata, labels } };
  };
  return semanticEqual(strip(t1), strip(t2));
}

/** Sorts by creationTimestamp, then name (controller.ReplicaSetsByCreationTimestamp). */
export function byCreationTimestamp(a: Obj, b: Obj): number {
  const ta = parseTime(a.metadata?.creationTimestamp);
  const tb = parseTime(b.metadata?.creationTimestamp);
  if (ta !== tb) return ta - tb;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

/** Sorts by revision, then creation time (deploymentutil.ReplicaSetsByRevision). */
export function byRevision(a: Obj, b: Obj): number {
  const ra = revisionOf(a) || 0;
  const rb = revisionOf(b) || 0;
  if (ra === rb) return byCreationTimestamp(a, b);
  return ra - rb;
}

/** Larger first, newer first among equals (controller.ReplicaSetsBySizeNewer). */
export function bySizeNewer(a: Obj, b: Obj): number {
  if (rsReplicas(a) === rsReplicas(b)) return byCreationTimestamp(b, a);
  return rsReplicas(b) - rsReplicas(a);
}

/** Larger first, older first among equals (controller.ReplicaSetsBySizeOlder). */
export function bySizeOlder(a: Obj, b: Obj): number {
  if (rsReplicas(a) === rsReplicas(b)) return byCreationTimestamp(a, b);
  return rsReplicas(b) - rsReplicas(a);
}

/** FindNewReplicaSet: the oldest RS whose template equals the deployment's (ignoring the hash). */
export function findNewReplicaSet(d: Obj, rss: Obj[]): Obj | undefined {
  const sorted = [...rss].sort(byCreationTimestamp);
  for (const rs of sorted) if (equalIgnoreHash(rs.spec?.template, d.spec?.template)) return rs;
  return undefined;
}

/** FindOldReplicaSets: [old RSes with replicas, all old RSes]. */
export function findOldReplicaSets(d: Obj, rss: Obj[], newRS = findNewReplicaSet(d, rss)): [Obj[], Obj[]] {
  const required: Obj[] = [];
  const all: Obj[] = [];
  for (const rs of rss) {
    if (newRS && rs.metadata.uid === newRS.metadata.uid) continue;
    all.push(rs);
    if (rsReplicas(rs) !== 0) required.push(rs);
  }
  return [required, all];
}

/** controller.FilterActiveReplicaSets: non-nil with spec.replicas > 0. */
export function filterActive(rss: (Obj | undefined)[]): Obj[] {
  return rss.filter((rs): rs is Obj => !!rs && rsReplicas(rs) > 0);
}

/** FindActiveOrLatest: the only active RS, or the newest when none is active; undefined when several are. */
export function findActiveOrLatest(newRS: Obj | undefined, oldRSs: Obj[]): Obj | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const olds = [...oldRSs].sort((a, b) => byCreationTimestamp(b, a));
  const active = filterActive([...olds, newRS]);
  if (active.length === 0) return newRS ?? olds[0];
  if (active.length === 1) return active[0];
  return undefined;
}

export function hasProgressDeadline(d: Obj): boolean {
  const p = d.spec?.progressDeadlineSeconds;
  return p !== undefined && p !== null && p !== MAX_INT32;
}

export function hasRevisionHistoryLimit(d: Obj): boolean {
  const r = d.spec?.revisionHistoryLimit;
  return r !== undefined && r !== null && r !== MAX_INT32;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  collisionCount?: number;
  conditions?: Condition[];
}

/** DeploymentComplete: every desired replica updated and available, no old ones, generation observed. */
export function deploymentComplete(d: Obj, s: DeploymentStatus): boolean {
  const replicas = replicasOf(d);
  return (s.updatedReplicas ?? 0) === replicas && (s.replicas ?? 0) === replicas && (s.availableReplicas ?? 0) === replicas && (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
}

/** DeploymentProgressing: more updated / ready / available pods, or fewer old ones, than before. */
export function deploymentProgressing(d: Obj, s: DeploymentStatus): boolean {
  const o: DeploymentStatus = d.status ?? {};
  const oldOld = (o.replicas ?? 0) - (o.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (s.updatedReplicas ?? 0) > (o.updatedReplicas ?? 0) || newOld < oldOld || (s.readyReplicas ?? 0) > (o.readyReplicas ?? 0) || (s.availableReplicas ?? 0) > (o.availableReplicas ?? 0);
}

/** DeploymentTimedOut: the Progressing condition's lastUpdateTime is older than progressDeadlineSeconds. */
export function deploymentTimedOut(d: Obj, s: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s.conditions, 'Progressing');
  if (!c) return false;
  if (c.reason === NewRSAvailableReason) return false;
  if (c.reason === TimedOutReason) return true;
  const from = parseTime(c.lastUpdateTime);
  return from + d.spec.progressDeadlineSeconds * 1000 < now;
}

/** The controller reference check ListReplicaSets applies. */
export function ownedBy(obj: Obj, owner: Obj): boolean {
  return getControllerOf(obj)?.uid === owner.metadata?.uid;
}
