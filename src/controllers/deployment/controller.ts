// The Deployment controller, as upstream's pkg/controller/deployment: owns ReplicaSets named
// `<deployment>-<pod-template-hash>`, rolls templates out with RollingUpdate (maxSurge /
// maxUnavailable) or Recreate, scales proportionally (also while paused), keeps revision annotations
// and revisionHistoryLimit old ReplicaSets, and reports status with the Progressing (including
// progressDeadlineSeconds) and Available conditions. `kubectl rollout undo` works by patching the
// template back to an old ReplicaSet's, which this controller then finds and scales up again.
import type { Controller, ControllerContext } from '../manager.ts';
import type { Informer } from '../../client/informer.ts';
import { keyOf } from '../../client/informer.ts';
import { WorkQueue, runWorkers } from '../../client/workqueue.ts';
import type { EventRecorder } from '../../client/events.ts';
import type { ResourceClient } from '../../client/client.ts';
import type { Obj } from '../../client/types.ts';
import { StatusError, isAlreadyExists, isNotFound } from '../../machinery/errors.ts';
import { addControllerIndex, claimObjects, controlledBy, getControllerOf, newControllerRef, orphansIn, recheckDeletionTimestamp, type OwnerReference } from '../util/ownerref.ts';
import { labelSelectorOf } from '../util/selectors.ts';
import { computeHash, deterministicJSON } from '../util/hash.ts';
import { getCondition, removeCondition, setCondition, type Condition } from '../util/conditions.ts';
import { parseTime } from '../util/pods.ts';
import { reconcileNewReplicaSet, reconcileOldReplicaSets, scale, type ScaleOps } from './rollout.ts';
import {
  FailedRSCreateReason,
  FoundNewRSReason,
  MinimumReplicasAvailable,
  MinimumReplicasUnavailable,
  NewRSAvailableReason,
  NewReplicaSetReason,
  POD_TEMPLATE_HASH_LABEL,
  PausedDeployReason,
  REVISION_ANNOTATION,
  ReplicaSetUpdatedReason,
  ResumedDeployReason,
  TimedOutReason,
  byRevision,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  filterActive,
  findNewReplicaSet,
  findOldReplicaSets,
  getDesiredReplicasAnnotation,
  hasProgressDeadline,
  hasRevisionHistoryLimit,
  maxRevision,
  maxSurge,
  maxUnavailable,
  newDeploymentCondition,
  newRSNewReplicas,
  replicasAnnotationsNeedUpdate,
  replicasOf,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  sumReplicas,
  sumStatus,
  type DeploymentStatus,
} from './util.ts';

const RS_API_VERSION = 'apps/v1';

function rsReplicas(rs: Obj | undefined): number {
  return rs?.spec?.replicas ?? 0;
}

function sameLabels(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  for (const k of ka) if (a![k] !== b?.[k]) return false;
  return true;
}

/** The status with Go's omitempty applied (zero counts left out), for writing and comparing. */
function compactStatus(s: DeploymentStatus): DeploymentStatus {
  const out: DeploymentStatus = {};
  if (s.observedGeneration) out.observedGeneration = s.observedGeneration;
  if (s.replicas) out.replicas = s.replicas;
  if (s.updatedReplicas) out.updatedReplicas = s.updatedReplicas;
  if (s.readyReplicas) out.readyReplicas = s.readyReplicas;
  if (s.availableReplicas) out.availableReplicas = s.availableReplicas;
  if (s.unavailableReplicas) out.unavailableReplicas = s.unavailableReplicas;
  if (s.conditions && s.conditions.length) out.conditions = s.conditions;
  if (s.collisionCount !== undefined && s.collisionCount !== null) out.collisionCount = s.collisionCount;
  return out;
}

function statusEqual(a: DeploymentStatus | undefined, b: DeploymentStatus): boolean {
  return deterministicJSON(compactStatus(a ?? {})) === deterministicJSON(compactStatus(b));
}

/** calculateStatus: counts from the ReplicaSets plus the Available condition. */
export function calculateDeploymentStatus(allRSs: (Obj | undefined)[], newRS: Obj | undefined, d: Obj, now: number): DeploymentStatus {
  const available = sumStatus(allRSs, 'availableReplicas');
  const total = sumReplicas(allRSs);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata?.generation ?? 0,
    replicas: sumStatus(allRSs, 'replicas'),
    updatedReplicas: sumStatus([newRS], 'replicas'),
    readyReplicas: sumStatus(allRSs, 'readyReplicas'),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
    collisionCount: d.status?.collisionCount,
    conditions: [...(d.status?.conditions ?? [])],
  };
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    status.conditions = setCondition(status.conditions, newDeploymentCondition('Available', 'True', MinimumReplicasAvailable, 'Deployment has minimum availability.', now));
  } else {
    status.conditions = setCondition(status.conditions, newDeploymentCondition('Available', 'False', MinimumReplicasUnavailable, 'Deployment does not have minimum availability.', now));
  }
  return status;
}

export class DeploymentController implements Controller {
  readonly name = 'deployment-controller';
  readonly queue: WorkQueue;
  #ctx: ControllerContext;
  #dInf!: Informer<Obj>;
  #rsInf!: Informer<Obj>;
  #podInf!: Informer<Obj>;
  #dClient: ResourceClient<Obj>;
  #rsClient: ResourceClient<Obj>;
  #recorder: EventRecorder;
  #ops: ScaleOps = {
    scaleAndRecord: (rs, n, d) => this.#scaleAndRecord(rs, n, d),
    scaleReplicaSet: (rs, n, d, op) => this.#scaleRS(rs, n, d, op),
  };

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.#dClient = ctx.client.resource('apps', 'deployments');
    this.#rsClient = ctx.client.resource('apps', 'replicasets');
    this.#recorder = ctx.recorder('deployment-controller');
  }

  start(): void {
    this.#dInf = this.#ctx.informers.informer('apps', 'deployments');
    this.#rsInf = this.#ctx.informers.informer('apps', 'replicasets');
    this.#podInf = this.#ctx.informers.informer('', 'pods');
    addControllerIndex(this.#rsInf);
    addControllerIndex(this.#podInf);
    this.#dInf.addEventHandler({
      add: (d) => this.queue.add(keyOf(d)),
      update: (_o, d) => this.queue.add(keyOf(d)),
      delete: (d) => this.queue.add(keyOf(d)),
    });
    this.#rsInf.addEventHandler({
      add: (rs) => this.#addRS(rs),
      update: (o, rs) => this.#onUpdateRS(o, rs),
      delete: (rs) => this.#enqueueOwner(rs),
    });
    this.#podInf.addEventHandler({ delete: (p) => this.#deletePod(p) });
    void this.#run();
  }

  async #run(): Promise<void> {
    await Promise.all([this.#dInf.synced(), this.#rsInf.synced(), this.#podInf.synced()]);
    if (this.queue.shuttingDown) return;
    await runWorkers(this.queue, this.#ctx.config.workers, (key) => this.sync(key));
  }

  stop(): void {
    this.queue.shutDown();
  }

  // --- event handlers ---------------------------------------------------------------------------

  #resolve(namespace: string, ref: OwnerReference | undefined): Obj | undefined {
    if (!ref || ref.kind !== 'Deployment') return undefined;
    const d = this.#dInf.get(namespace, ref.name);
    return d && d.metadata.uid === ref.uid ? d : undefined;
  }

  #enqueueOwner(rs: Obj): void {
    const d = this.#resolve(rs.metadata.namespace, getControllerOf(rs));
    if (d) this.queue.add(keyOf(d));
  }

  /** Deployments whose selector matches an orphan ReplicaSet (upstream getDeploymentsForReplicaSet). */
  #enqueueMatching(rs: Obj): void {
    const labels = rs.metadata?.labels ?? {};
    for (const d of this.#dInf.byIndex('namespace', rs.metadata.namespace ?? '')) {
      const sel = labelSelectorOf(d);
      if (!sel.empty() && sel.matches(labels)) this.queue.add(keyOf(d));
    }
  }

  #addRS(rs: Obj): void {
    if (getControllerOf(rs)) this.#enqueueOwner(rs);
    else if (!rs.metadata.deletionTimestamp) this.#enqueueMatching(rs);
  }

  #onUpdateRS(old: Obj, rs: Obj): void {
    if (old.metadata?.resourceVersion === rs.metadata?.resourceVersion) return;
    const ref = getControllerOf(rs);
    const oldRef = getControllerOf(old);
    const refChanged = ref?.uid !== oldRef?.uid;
    if (refChanged && oldRef) this.#enqueueOwner(old);
    if (ref) return this.#enqueueOwner(rs);
    if (refChanged || !sameLabels(old.metadata?.labels, rs.metadata?.labels)) this.#enqueueMatching(rs);
  }

  /** A Recreate rollout waits for old pods to go; their deletion is its cue. */
  #deletePod(pod: Obj): void {
    const ref = getControllerOf(pod);
    if (!ref || ref.kind !== 'ReplicaSet') return;
    const rs = this.#rsInf.get(pod.metadata.namespace, ref.name);
    if (!rs || rs.metadata.uid !== ref.uid) return;
    const d = this.#resolve(rs.metadata.namespace, getControllerOf(rs));
    if (d && d.spec?.strategy?.type === 'Recreate') this.queue.add(keyOf(d));
  }

  // --- API writes -------------------------------------------------------------------------------

  async #updateStatus(d: Obj, status: DeploymentStatus): Promise<void> {
    const res = await this.#dClient.inNamespace(d.metadata.namespace).updateStatus({ ...d, apiVersion: 'apps/v1', kind: 'Deployment', status: compactStatus(status) });
    d.metadata.resourceVersion = res.metadata.resourceVersion;
    d.status = res.status;
  }

  /** The deployment's own revision annotation (upstream writes it along with status; our status writes keep metadata). */
  async #setDeploymentRevision(d: Obj, revision: string): Promise<void> {
    if (!revision || d.metadata.annotations?.[REVISION_ANNOTATION] === revision) return;
    const res = await this.#dClient.inNamespace(d.metadata.namespace).patch(d.metadata.name, 'merge', { metadata: { annotations: { [REVISION_ANNOTATION]: revision } } });
    d.metadata.resourceVersion = res.metadata.resourceVersion;
    d.metadata.annotations = res.metadata.annotations;
  }

  #event(d: Obj, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.#recorder.event({ ...d, apiVersion: 'apps/v1', kind: 'Deployment' }, type, reason, message);
  }

  async #updateRS(rs: Obj): Promise<Obj> {
    return this.#rsClient.inNamespace(rs.metadata.namespace).update({ ...rs, apiVersion: RS_API_VERSION, kind: 'ReplicaSet' });
  }

  // --- sync -------------------------------------------------------------------------------------

  /** Reconciles one Deployment by key; idempotent. */
  async sync(key: string): Promise<void> {
    const cached = this.#dInf.getByKey(key);
    if (!cached) return;
    const d: Obj = structuredClone(cached);
    const selector = labelSelectorOf(cached);
    if (selector.empty()) {
      this.#event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        await this.#updateStatus(d, { ...(d.status ?? {}), observedGeneration: d.metadata.generation });
      }
      return;
    }
    const ns = d.metadata.namespace;
    const rsList = await claimObjects(
      {
        owner: d,
        ownerApiVersion: 'apps/v1',
        ownerKind: 'Deployment',
        client: this.#rsClient,
        match: (rs) => selector.matches(rs.metadata?.labels ?? {}),
        canAdopt: recheckDeletionTimestamp({ ...d, kind: 'Deployment' }, () => this.#dClient.inNamespace(ns).get(d.metadata.name)),
      },
      [...controlledBy(this.#rsInf, d.metadata.uid), ...orphansIn(this.#rsInf, ns)],
    );
    if (d.metadata.deletionTimestamp) return this.#syncStatusOnly(d, rsList);
    await this.#checkPausedConditions(d);
    if (d.spec?.paused) return this.#syncScale(d, rsList);
    if (await this.#isScalingEvent(d, rsList)) return this.#syncScale(d, rsList);
    const type = d.spec?.strategy?.type ?? 'RollingUpdate';
    if (type === 'Recreate') return this.#rolloutRecreate(d, rsList);
    if (type === 'RollingUpdate') return this.#rolloutRolling(d, rsList);
    throw new Error(`unexpected deployment strategy type: ${type}`);
  }

  async #syncStatusOnly(d: Obj, rsList: Obj[]): Promise<void> {
    const [newRS, oldRSs] = await this.#getAllReplicaSetsAndSyncRevision(d, rsList, false);
    await this.#syncDeploymentStatus([...oldRSs, newRS], newRS, d);
  }

  /** Upstream `sync`: a scaling event or a paused deployment — scale, clean up when paused, report. */
  async #syncScale(d: Obj, rsList: Obj[]): Promise<void> {
    const [newRS, oldRSs] = await this.#getAllReplicaSetsAndSyncRevision(d, rsList, false);
    await scale(this.#ops, d, newRS, oldRSs);
    if (d.spec?.paused) await this.#cleanupDeployment(oldRSs, d);
    await this.#syncDeploymentStatus([...oldRSs, newRS], newRS, d);
  }

  async #checkPausedConditions(d: Obj): Promise<void> {
    if (!hasProgressDeadline(d)) return;
    const cond = getCondition<Condition>(d.status?.conditions, 'Progressing');
    if (cond?.reason === TimedOutReason) return;
    const pausedCond = cond?.reason === PausedDeployReason;
    const now = this.#ctx.clock.now();
    let c: Condition | undefined;
    if (d.spec?.paused && !pausedCond) c = newDeploymentCondition('Progressing', 'Unknown', PausedDeployReason, 'Deployment is paused', now);
    else if (!d.spec?.paused && pausedCond) c = newDeploymentCondition('Progressing', 'Unknown', ResumedDeployReason, 'Deployment is resumed', now);
    if (!c) return;
    await this.#updateStatus(d, { ...(d.status ?? {}), conditions: setCondition(d.status?.conditions, c) });
  }

  async #isScalingEvent(d: Obj, rsList: Obj[]): Promise<boolean> {
    const [newRS, oldRSs] = await this.#getAllReplicaSetsAndSyncRevision(d, rsList, false);
    for (const rs of filterActive([...oldRSs, newRS])) {
      const desired = getDesiredReplicasAnnotation(rs);
      if (desired !== undefined && desired !== replicasOf(d)) return true;
    }
    return false;
  }

  /**
   * getAllReplicaSetsAndSyncRevision: [new RS (maybe created), all old RSes], with the new RS's
   * revision raised above the old ones and copied to the deployment.
   */
  async #getAllReplicaSetsAndSyncRevision(d: Obj, rsList: Obj[], create: boolean): Promise<[Obj | undefined, Obj[]]> {
    const [, allOld] = findOldReplicaSets(d, rsList);
    const newRS = await this.#getNewReplicaSet(d, rsList, allOld, create);
    return [newRS, allOld];
  }

  async #getNewReplicaSet(d: Obj, rsList: Obj[], oldRSs: Obj[], create: boolean): Promise<Obj | undefined> {
    const existing = findNewReplicaSet(d, rsList);
    const newRevision = String(maxRevision(oldRSs) + 1);
    const now = this.#ctx.clock.now();
    if (existing) {
      const rsCopy: Obj = structuredClone(existing);
      const annotationsUpdated = setNewReplicaSetAnnotations(d, rsCopy, newRevision, true);
      const minReadyChanged = (rsCopy.spec?.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0);
      if (annotationsUpdated || minReadyChanged) {
        rsCopy.spec.minReadySeconds = d.spec?.minReadySeconds ?? 0;
        const updated = await this.#updateRS(rsCopy);
        // Later steps of this sync see the written object, not the stale cached one.
        const i = rsList.indexOf(existing);
        if (i >= 0) rsList[i] = updated;
        return updated;
      }
      await this.#setDeploymentRevision(d, rsCopy.metadata.annotations?.[REVISION_ANNOTATION] ?? '');
      const cond = getCondition(d.status?.conditions, 'Progressing');
      if (hasProgressDeadline(d) && !cond) {
        const c = newDeploymentCondition('Progressing', 'True', FoundNewRSReason, `Found new replica set "${rsCopy.metadata.name}"`, now);
        await this.#updateStatus(d, { ...(d.status ?? {}), conditions: setCondition(d.status?.conditions, c) });
      }
      return rsCopy;
    }
    if (!create) return undefined;

    const template: Obj = structuredClone(d.spec.template ?? {});
    const hash = computeHash(template, d.status?.collisionCount);
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(d.spec.template?.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash } };
    const sel = structuredClone(d.spec.selector ?? {});
    sel.matchLabels = { ...(sel.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
    const newRS: Obj = {
      apiVersion: RS_API_VERSION,
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')],
        labels: { ...template.metadata.labels },
      },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector: sel, template },
    };
    const count = newRSNewReplicas(d, [...oldRSs, newRS], newRS);
    newRS.spec.replicas = count;
    setNewReplicaSetAnnotations(d, newRS, newRevision, false);
    const rsClient = this.#rsClient.inNamespace(d.metadata.namespace);
    let created: Obj;
    let alreadyExisted = false;
    try {
      created = await rsClient.create(newRS);
    } catch (e) {
      if (isAlreadyExists(e)) {
        // Ours from an earlier sync the cache has not shown yet, or a hash collision.
        const rs = await rsClient.get(newRS.metadata.name);
        if (getControllerOf(rs)?.uid === d.metadata.uid && findNewReplicaSet(d, [rs])) {
          created = rs;
          alreadyExisted = true;
        } else {
          const collisionCount = (d.status?.collisionCount ?? 0) + 1;
          await this.#updateStatus(d, { ...(d.status ?? {}), collisionCount });
          throw e;
        }
      } else if (e instanceof StatusError && e.status.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')) {
        throw e;
      } else {
        const msg = `Failed to create new replica set "${newRS.metadata.name}": ${e instanceof Error ? e.message : String(e)}`;
        if (hasProgressDeadline(d)) {
          const c = newDeploymentCondition('Progressing', 'False', FailedRSCreateReason, msg, now);
          await this.#updateStatus(d, { ...(d.status ?? {}), conditions: setCondition(d.status?.conditions, c) }).catch(() => {});
        }
        this.#event(d, 'Warning', FailedRSCreateReason, msg);
        throw e;
      }
    }
    if (!alreadyExisted && count > 0) this.#event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${count}`);
    await this.#setDeploymentRevision(d, newRevision);
    if (!alreadyExisted && hasProgressDeadline(d)) {
      const c = newDeploymentCondition('Progressing', 'True', NewReplicaSetReason, `Created new replica set "${created.metadata.name}"`, now);
      await this.#updateStatus(d, { ...(d.status ?? {}), conditions: setCondition(d.status?.conditions, c) });
    }
    return created;
  }

  // --- scaling ----------------------------------------------------------------------------------

  /** scaleReplicaSetAndRecordEvent: returns [scaled, the RS as written]. */
  async #scaleAndRecord(rs: Obj, newScale: number, d: Obj): Promise<[boolean, Obj]> {
    if (rsReplicas(rs) === newScale) return [false, rs];
    return this.#scaleRS(rs, newScale, d, rsReplicas(rs) < newScale ? 'up' : 'down');
  }

  async #scaleRS(rs: Obj, newScale: number, d: Obj, op: string): Promise<[boolean, Obj]> {
    const replicas = replicasOf(d);
    const max = replicas + maxSurge(d);
    const sizeChanged = rsReplicas(rs) !== newScale;
    if (!sizeChanged && !replicasAnnotationsNeedUpdate(rs, replicas, max)) return [false, rs];
    const old = rsReplicas(rs);
    const copy: Obj = structuredClone(rs);
    copy.spec.replicas = newScale;
    setReplicasAnnotations(copy, replicas, max);
    const updated = await this.#updateRS(copy);
    if (sizeChanged) this.#event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${op} replica set ${updated.metadata.name} from ${old} to ${newScale}`);
    return [sizeChanged, updated];
  }

  // --- rolling update ---------------------------------------------------------------------------

  async #rolloutRolling(d: Obj, rsList: Obj[]): Promise<void> {
    const [newRS, oldRSs] = await this.#getAllReplicaSetsAndSyncRevision(d, rsList, true);
    const allRSs = [...oldRSs, newRS!];
    if (await reconcileNewReplicaSet(this.#ops, allRSs, newRS!, d)) return this.#syncRolloutStatus(allRSs, newRS, d);
    if (await reconcileOldReplicaSets(this.#ops, allRSs, filterActive(oldRSs), newRS!, d)) return this.#syncRolloutStatus(allRSs, newRS, d);
    if (deploymentComplete(d, d.status ?? {})) await this.#cleanupDeployment(oldRSs, d);
    return this.#syncRolloutStatus(allRSs, newRS, d);
  }

  // --- recreate ---------------------------------------------------------------------------------

  async #rolloutRecreate(d: Obj, rsList: Obj[]): Promise<void> {
    let [newRS, oldRSs] = await this.#getAllReplicaSetsAndSyncRevision(d, rsList, false);
    let allRSs = [...oldRSs, newRS];
    let scaledDown = false;
    for (const rs of filterActive(oldRSs)) {
      if ((await this.#scaleAndRecord(rs, 0, d))[0]) scaledDown = true;
    }
    if (scaledDown) return this.#syncRolloutStatus(allRSs, newRS, d);
    if (this.#oldPodsRunning(newRS, oldRSs, rsList)) return this.#syncRolloutStatus(allRSs, newRS, d);
    if (!newRS) {
      [newRS, oldRSs] = await this.#getAllReplicaSetsAndSyncRevision(d, rsList, true);
      allRSs = [...oldRSs, newRS];
    }
    await this.#scaleAndRecord(newRS!, replicasOf(d), d);
    if (deploymentComplete(d, d.status ?? {})) await this.#cleanupDeployment(oldRSs, d);
    return this.#syncRolloutStatus(allRSs, newRS, d);
  }

  /** oldPodsRunning: old RSes still report pods, or pods of old RSes are not yet terminal. */
  #oldPodsRunning(newRS: Obj | undefined, oldRSs: Obj[], rsList: Obj[]): boolean {
    if (sumStatus(oldRSs, 'replicas') > 0) return true;
    for (const rs of rsList) {
      if (newRS && rs.metadata.uid === newRS.metadata.uid) continue;
      for (const p of controlledBy(this.#podInf, rs.metadata.uid)) {
        const phase = p.status?.phase;
        if (phase !== 'Failed' && phase !== 'Succeeded') return true;
      }
    }
    return false;
  }

  // --- history and status -----------------------------------------------------------------------

  /** cleanupDeployment: delete the oldest empty old RSes beyond revisionHistoryLimit. */
  async #cleanupDeployment(oldRSs: Obj[], d: Obj): Promise<void> {
    if (!hasRevisionHistoryLimit(d)) return;
    const cleanable = oldRSs.filter((rs) => rs && !rs.metadata.deletionTimestamp);
    const diff = cleanable.length - d.spec.revisionHistoryLimit;
    if (diff <= 0) return;
    cleanable.sort(byRevision);
    for (let i = 0; i < diff; i++) {
      const rs = cleanable[i]!;
      if ((rs.status?.replicas ?? 0) !== 0 || rsReplicas(rs) !== 0 || (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0) || rs.metadata.deletionTimestamp) continue;
      try {
        await this.#rsClient.inNamespace(rs.metadata.namespace).delete(rs.metadata.name);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }

  async #syncDeploymentStatus(allRSs: (Obj | undefined)[], newRS: Obj | undefined, d: Obj): Promise<void> {
    const status = calculateDeploymentStatus(allRSs, newRS, d, this.#ctx.clock.now());
    if (statusEqual(d.status, status)) return;
    await this.#updateStatus(d, status);
  }

  /** syncRolloutStatus: status plus the Progressing condition (complete / progressing / timed out). */
  async #syncRolloutStatus(allRSs: (Obj | undefined)[], newRS: Obj | undefined, d: Obj): Promise<void> {
    const now = this.#ctx.clock.now();
    const status = calculateDeploymentStatus(allRSs, newRS, d, now);
    if (!hasProgressDeadline(d)) status.conditions = removeCondition(status.conditions, 'Progressing');
    const current = getCondition<Condition>(d.status?.conditions, 'Progressing');
    const complete = status.replicas === status.updatedReplicas && current?.reason === NewRSAvailableReason;
    if (hasProgressDeadline(d) && !complete) {
      const subject = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
      if (deploymentComplete(d, status)) {
        status.conditions = setCondition(status.conditions, newDeploymentCondition('Progressing', 'True', NewRSAvailableReason, `${subject} has successfully progressed.`, now));
      } else if (deploymentProgressing(d, status)) {
        const c = newDeploymentCondition('Progressing', 'True', ReplicaSetUpdatedReason, `${subject} is progressing.`, now);
        // Same reason again still moves lastUpdateTime: replace rather than set.
        if (current) {
          if (current.status === 'True' && current.lastTransitionTime) c.lastTransitionTime = current.lastTransitionTime;
          status.conditions = removeCondition(status.conditions, 'Progressing');
        }
        status.conditions = setCondition(status.conditions, c);
      } else if (deploymentTimedOut(d, status, now)) {
        status.conditions = setCondition(status.conditions, newDeploymentCondition('Progressing', 'False', TimedOutReason, `${subject} has timed out progressing.`, now));
      }
    }
    const failures = this.#replicaFailures(allRSs, newRS);
    if (failures) status.conditions = setCondition(status.conditions, failures);
    else status.conditions = removeCondition(status.conditions, 'ReplicaFailure');
    if (statusEqual(d.status, status)) {
      this.#requeueStuckDeployment(d, status, now);
      return;
    }
    await this.#updateStatus(d, status);
  }

  /** getReplicaFailures: the new RS's ReplicaFailure condition, else any old RS's. */
  #replicaFailures(allRSs: (Obj | undefined)[], newRS: Obj | undefined): Condition | undefined {
    const toDeployment = (c: Condition): Condition => ({ type: c.type, status: c.status, lastUpdateTime: c.lastTransitionTime, lastTransitionTime: c.lastTransitionTime, reason: c.reason, message: c.message });
    const f = getCondition<Condition>(newRS?.status?.conditions, 'ReplicaFailure');
    if (f) return toDeployment(f);
    for (const rs of allRSs) {
      const c = getCondition<Condition>(rs?.status?.conditions, 'ReplicaFailure');
      if (c) return toDeployment(c);
    }
    return undefined;
  }

  /** requeueStuckDeployment: look again when the progress deadline would pass. */
  #requeueStuckDeployment(d: Obj, status: DeploymentStatus, now: number): void {
    const cur = getCondition<Condition>(d.status?.conditions, 'Progressing');
    if (!hasProgressDeadline(d) || !cur) return;
    if (deploymentComplete(d, status) || cur.reason === TimedOutReason) return;
    const after = parseTime(cur.lastUpdateTime) + d.spec.progressDeadlineSeconds * 1000 - now;
    const key = keyOf(d);
    if (after < 1000) this.queue.addRateLimited(key);
    else this.queue.addAfter(key, after + 1000);
  }
}
