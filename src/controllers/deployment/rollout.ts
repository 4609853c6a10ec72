// The scaling decisions of a Deployment rollout, as upstream's rolling.go and sync.go (scale):
// how far to grow the new ReplicaSet, how many old pods may go (unhealthy ones first, then as many as
// maxUnavailable allows), and proportional scaling across ReplicaSets when the Deployment is resized
// mid-rollout or while paused. The writes go through ScaleOps, so tests can run them on plain objects.
import type { Obj } from '../../client/types.ts';
import {
  byCreationTimestamp,
  bySizeNewer,
  bySizeOlder,
  filterActive,
  findActiveOrLatest,
  getProportion,
  isRollingUpdate,
  isSaturated,
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  replicasOf,
  sumReplicas,
  sumStatus,
} from './util.ts';

export interface ScaleOps {
  /** scaleReplicaSetAndRecordEvent: no-op when the size is already `replicas`; [scaled, RS as written]. */
  scaleAndRecord(rs: Obj, replicas: number, d: Obj): Promise<[boolean, Obj]>;
  /** scaleReplicaSet: writes the size and the desired/max-replicas annotations when either differs. */
  scaleReplicaSet(rs: Obj, replicas: number, d: Obj, op: string): Promise<[boolean, Obj]>;
}

function rsReplicas(rs: Obj | undefined): number {
  return rs?.spec?.replicas ?? 0;
}

/** reconcileNewReplicaSet: grow (within maxSurge) or shrink the new RS; true when it was scaled. */
export async function reconcileNewReplicaSet(ops: ScaleOps, allRSs: Obj[], newRS: Obj, d: Obj): Promise<boolean> {
  const replicas = replicasOf(d);
  if (rsReplicas(newRS) === replicas) return false;
  if (rsReplicas(newRS) > replicas) return (await ops.scaleAndRecord(newRS, replicas, d))[0];
  return (await ops.scaleAndRecord(newRS, newRSNewReplicas(d, allRSs, newRS), d))[0];
}

/**
 * reconcileOldReplicaSets: scale old RSes down as far as availability allows — at most
 * (all pods − minAvailable − unavailable new pods), unhealthy old pods first. True when any went.
 */
export async function reconcileOldReplicaSets(ops: ScaleOps, allRSs: Obj[], oldRSs: Obj[], newRS: Obj, d: Obj): Promise<boolean> {
  if (sumReplicas(oldRSs) === 0) return false;
  const allPods = sumReplicas(allRSs);
  const minAvail = replicasOf(d) - maxUnavailable(d);
  const newUnavailable = rsReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = allPods - minAvail - newUnavailable;
  if (maxScaledDown <= 0) return false;
  const [olds, cleaned] = await cleanupUnhealthyReplicas(ops, oldRSs, d, maxScaledDown);
  const scaled = await scaleDownOldReplicaSetsForRollingUpdate(ops, [...olds, newRS], olds, d);
  return cleaned + scaled > 0;
}

/** cleanupUnhealthyReplicas: remove old pods that are not available, oldest RS first, up to maxCleanup. */
export async function cleanupUnhealthyReplicas(ops: ScaleOps, oldRSs: Obj[], d: Obj, maxCleanup: number): Promise<[Obj[], number]> {
  const olds = [...oldRSs].sort(byCreationTimestamp);
  let total = 0;
  for (let i = 0; i < olds.length; i++) {
    if (total >= maxCleanup) break;
    const rs = olds[i]!;
    const replicas = rsReplicas(rs);
    const available = rs.status?.availableReplicas ?? 0;
    if (replicas === 0 || replicas === available) continue;
    const down = Math.min(maxCleanup - total, replicas - available);
    // A stale status can report more available pods than the spec asks for: try again later.
    if (down < 0) throw new Error(`when cleaning up unhealthy replicas, got invalid request to scale down ${rs.metadata.namespace}/${rs.metadata.name} ${replicas} -> ${replicas - down}`);
    const [, updated] = await ops.scaleAndRecord(rs, replicas - down, d);
    total += down;
    olds[i] = updated;
  }
  return [olds, total];
}

/** scaleDownOldReplicaSetsForRollingUpdate: available pods above minAvailable may go, oldest RS first. */
export async function scaleDownOldReplicaSetsForRollingUpdate(ops: ScaleOps, allRSs: Obj[], oldRSs: Obj[], d: Obj): Promise<number> {
  const minAvail = replicasOf(d) - maxUnavailable(d);
  const available = sumStatus(allRSs, 'availableReplicas');
  if (available <= minAvail) return 0;
  const olds = [...oldRSs].sort(byCreationTimestamp);
  const totalDown = available - minAvail;
  let done = 0;
  for (const rs of olds) {
    if (done >= totalDown) break;
    if (rsReplicas(rs) === 0) continue;
    const down = Math.min(rsReplicas(rs), totalDown - done);
    await ops.scaleAndRecord(rs, rsReplicas(rs) - down, d);
    done += down;
  }
  return done;
}

/**
 * scale: one active (or, with none active, the newest) RS takes the whole size; a saturated new
 * RS empties the old ones; otherwise, for rolling updates, every active RS gets its proportion of
 * the change (by its max-replicas annotation), leftovers going to the first (largest) one.
 */
export async function scale(ops: ScaleOps, d: Obj, newRS: Obj | undefined, oldRSs: Obj[]): Promise<void> {
  const replicas = replicasOf(d);
  const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
  if (activeOrLatest) {
    if (rsReplicas(activeOrLatest) === replicas) return;
    await ops.scaleAndRecord(activeOrLatest, replicas, d);
    return;
  }
  if (isSaturated(d, newRS)) {
    for (const old of filterActive(oldRSs)) await ops.scaleAndRecord(old, 0, d);
    return;
  }
  if (!isRollingUpdate(d)) return;
  const all = filterActive([...oldRSs, newRS]);
  const allowed = replicas > 0 ? replicas + maxSurge(d) : 0;
  const toAdd = allowed - sumReplicas(all);
  let op = '';
  if (toAdd > 0) {
    all.sort(bySizeNewer);
    op = 'up';
  } else if (toAdd < 0) {
    all.sort(bySizeOlder);
    op = 'down';
  }
  let added = 0;
  const sizes: number[] = [];
  for (const rs of all) {
    if (toAdd !== 0) {
      const p = getProportion(rs, d, toAdd, added);
      sizes.push(rsReplicas(rs) + p);
      added += p;
    } else sizes.push(rsReplicas(rs));
  }
  for (let i = 0; i < all.length; i++) {
    if (i === 0 && toAdd !== 0) sizes[0] = Math.max(0, sizes[0]! + toAdd - added);
    await ops.scaleReplicaSet(all[i]!, sizes[i]!, d, op);
  }
}
