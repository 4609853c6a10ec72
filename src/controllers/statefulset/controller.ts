// The StatefulSet controller, as upstream's pkg/controller/statefulset: stable pod identities
// created in ordinal order one at a time (OrderedReady: each Running and Ready, and available
// for minReadySeconds, before the next; scale-down from the highest ordinal) or all at once
// (Parallel); claims from volumeClaimTemplates created before their pod, with owner references per
// persistentVolumeClaimRetentionPolicy; ControllerRevisions for the pod template; RollingUpdate from
// the highest ordinal down to the partition (maxUnavailable at a time), or OnDelete; status with
// current/update revisions and replica counts.
import type { Controller, ControllerContext, ControllerFactory } from '../manager.ts';
import type { Informer } from '../../client/informer.ts';
import { keyOf, splitKey } from '../../client/informer.ts';
import { WorkQueue, runWorkers } from '../../client/workqueue.ts';
import { Expectations } from '../../client/expectations.ts';
import type { EventRecorder } from '../../client/events.ts';
import type { Obj } from '../../client/types.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../../machinery/errors.ts';
import { selectorFromLabelSelector, type Selector } from '../../machinery/labels.ts';
import { getScaledValueFromIntOrPercent } from '../../machinery/intorstr.ts';
import { OWNER_INDEX, ownerIndexFunc, ownerIndexValueForOrphans, getControllerOf, claimObjects, raiseExpectations } from '../history/owner.ts';
import {
  createRevision, deleteRevision, equalRevision, listRevisions, newControllerRevision, nextRevision, revisionsToTruncate, setRevisionNumber, sortRevisions,
  templatePatch,
} from '../history/history.ts';
import { isPodReady, msUntilAvailable } from '../history/pods.ts';
import {
  claimOwnerRefs, claimOwnerUpToDate, claimsFor, getEndOrdinal, getOrdinal, getPodRevision, getStartOrdinal, hasStalePodRef, identityMatches, isCreated,
  isFailed, isMemberOf, isPending, isRunningAndAvailable, isRunningAndReady, isSucceeded, isTerminating, isUnavailable, newVersionedPod,
  replicasOf, retentionPolicy, storageMatches, updateIdentity, updateStorage,
} from './utils.ts';

const KIND = 'StatefulSet';
const API_VERSION = 'apps/v1';
const MAX_BATCH = 500;

interface Status {
  observedGeneration: number;
  replicas: number;
  readyReplicas: number;
  currentReplicas: number;
  updatedReplicas: number;
  availableReplicas: number;
  currentRevision: string;
  updateRevision: string;
  collisionCount: number;
}

const typed = (set: Obj): Obj => ({ ...set, apiVersion: API_VERSION, kind: KIND });

export class StatefulSetController implements Controller {
  readonly name = 'statefulset';
  readonly queue: WorkQueue;
  #ctx: ControllerContext;
  #sets: Informer;
  #pods: Informer;
  #claims: Informer;
  #revisions: Informer;
  #recorder: EventRecorder;
  #expectations: Expectations;
  #selectors = new WeakMap<object, Selector>();
  #running: Promise<void> | undefined;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.#sets = ctx.informers.informer('apps', 'statefulsets');
    this.#pods = ctx.informers.informer('', 'pods');
    this.#claims = ctx.informers.informer('', 'persistentvolumeclaims');
    this.#revisions = ctx.informers.informer('apps', 'controllerrevisions');
    this.#recorder = ctx.recorder('statefulset-controller');
    this.#expectations = new Expectations(ctx.clock);
  }

  start(): void {
    this.#pods.addIndex(OWNER_INDEX, ownerIndexFunc);
    this.#revisions.addIndex(OWNER_INDEX, ownerIndexFunc);
    this.#sets.addEventHandler({
      add: (s) => this.#enqueue(s),
      update: (_o, s) => this.#enqueue(s),
      delete: (s) => {
        this.#expectations.delete(keyOf(s));
        this.#enqueue(s);
      },
    });
    this.#pods.addEventHandler({
      add: (p) => this.#podAdded(p),
      update: (o, p) => this.#podUpdated(o, p),
      delete: (p) => this.#podDeleted(p),
    });
    this.#running = runWorkers(this.queue, this.#ctx.config.workers, (k) => this.sync(k));
  }

  stop(): void {
    this.queue.shutDown();
    void this.#running;
  }

  #enqueue(set: Obj) {
    this.queue.add(keyOf(set));
  }

  #selector(set: Obj): Selector {
    let s = this.#selectors.get(set);
    if (!s) {
      s = selectorFromLabelSelector(set.spec?.selector);
      this.#selectors.set(set, s);
    }
    return s;
  }

  /** The set a pod's controller reference names, if it still exists with that uid. */
  #resolve(pod: Obj): Obj | undefined {
    const ref = getControllerOf(pod);
    if (!ref || ref.kind !== KIND) return undefined;
    const set = this.#sets.get(pod.metadata.namespace, ref.name);
    return set && set.metadata.uid === ref.uid ? set : undefined;
  }

  #setsForOrphan(pod: Obj): Obj[] {
    const out: Obj[] = [];
    for (const s of this.#sets.list(pod.metadata.namespace)) {
      try {
        if (isMemberOf(s, pod) && this.#selector(s).matches(pod.metadata.labels)) out.push(s);
      } catch {
        // invalid selector: never matches
      }
    }
    return out;
  }

  #podAdded(pod: Obj) {
    if (pod.metadata.deletionTimestamp) return this.#podDeleted(pod);
    if (getControllerOf(pod)) {
      const set = this.#resolve(pod);
      if (!set) return;
      this.#expectations.creationObserved(keyOf(set));
      this.#enqueue(set);
      return;
    }
    for (const s of this.#setsForOrphan(pod)) this.#enqueue(s);
  }

  #podUpdated(old: Obj, pod: Obj) {
    if (old.metadata.resourceVersion === pod.metadata.resourceVersion) return;
    const oldRef = getControllerOf(old);
    const ref = getControllerOf(pod);
    if (oldRef && (!ref || oldRef.uid !== ref.uid)) {
      const prev = this.#resolve(old);
      if (prev) this.#enqueue(prev);
    }
    if (pod.metadata.deletionTimestamp && !old.metadata.deletionTimestamp) {
      const set = this.#resolve(pod);
      if (set) this.#expectations.deletionObserved(keyOf(set));
    }
    if (ref) {
      const set = this.#resolve(pod);
      if (!set) return;
      this.#enqueue(set);
      const ms = Number(set.spec?.minReadySeconds ?? 0);
      if (ms > 0 && !isPodReady(old) && isPodReady(pod)) this.queue.addAfter(keyOf(set), ms * 1000 + 1);
      return;
    }
    for (const s of this.#setsForOrphan(pod)) this.#enqueue(s);
  }

  #podDeleted(pod: Obj) {
    const set = this.#resolve(pod);
    if (!set) return;
    this.#expectations.deletionObserved(keyOf(set));
    this.#enqueue(set);
  }

  // --- sync -----------------------------------------------------------------------------------

  async sync(key: string): Promise<void> {
    const set = this.#sets.getByKey(key);
    if (!set) {
      this.#expectations.delete(key);
      return;
    }
    if (!this.#expectations.satisfied(key)) return;
    const { namespace } = splitKey(key);
    let selector: Selector;
    try {
      selector = this.#selector(set);
    } catch {
      return; // validation keeps this from happening
    }
    const uid = set.metadata.uid;
    const podsClient = this.#ctx.client.pods(namespace);
    const pods = await claimObjects({
      owner: typed(set),
      selector,
      owned: this.#pods.byIndex(OWNER_INDEX, uid),
      orphans: this.#pods.byIndex(OWNER_INDEX, ownerIndexValueForOrphans(namespace)),
      client: podsClient,
      filter: (p) => isMemberOf(set, p),
    });
    const revs = listRevisions(this.#revisions, namespace, uid, selector);
    let revisions = revs.owned;
    if (revs.orphans.length) {
      const adopted = await claimObjects({
        owner: typed(set),
        selector,
        owned: [],
        orphans: revs.orphans,
        client: this.#ctx.client.resource('apps', 'controllerrevisions', namespace),
      });
      revisions = [...revisions, ...adopted];
    }
    sortRevisions(revisions);
    const { current, update, collisionCount } = await this.#getRevisions(set, revisions);
    let status: Status | undefined;
    let err: unknown;
    try {
      status = await this.#updateStatefulSet(set, current, update, collisionCount, pods);
    } catch (e) {
      err = e;
    }
    if (status) await this.#writeStatus(set, status);
    await this.#truncateHistory(set, pods, revisions, current, update);
    if (err) throw err;
    const minReady = Number(set.spec?.minReadySeconds ?? 0);
    if (minReady > 0 && status && status.availableReplicas !== replicasOf(set)) {
      // Wake when the earliest Ready pod becomes available (upstream requeues after minReadySeconds).
      const now = this.#ctx.clock.now();
      let wait = minReady * 1000;
      for (const p of pods) {
        const w = msUntilAvailable(p, minReady, now);
        if (w > 0 && w < wait) wait = w;
      }
      this.queue.addAfter(key, wait);
    }
  }

  /** getStatefulSetRevisions: the current revision (status.currentRevision) and the one for the spec. */
  async #getRevisions(set: Obj, revisions: Obj[]): Promise<{ current: Obj; update: Obj; collisionCount: number }> {
    let collisionCount = Number(set.status?.collisionCount ?? 0);
    const setRef = typed(set);
    let update = newControllerRevision(setRef, set.spec?.template?.metadata?.labels, templatePatch(set.spec?.template), nextRevision(revisions), collisionCount);
    if (set.metadata.annotations) update.metadata.annotations = { ...set.metadata.annotations };
    const equal = revisions.filter((r) => equalRevision(r, update));
    const last = revisions[revisions.length - 1];
    if (equal.length && last && equalRevision(last, equal[equal.length - 1])) {
      update = last;
    } else if (equal.length) {
      // Rolling back to an earlier template: that revision becomes the newest again.
      update = await setRevisionNumber(this.#ctx.client, equal[equal.length - 1]!, Number(update.revision));
    } else {
      const made = await createRevision(this.#ctx.client, setRef, update, collisionCount);
      update = made.revision;
      collisionCount = made.collisionCount;
    }
    const current = revisions.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
    return { current, update, collisionCount };
  }

  #computeStatus(set: Obj, current: Obj, update: Obj, collisionCount: number, podLists: Obj[][]): Status {
    const minReady = Number(set.spec?.minReadySeconds ?? 0);
    const now = this.#ctx.clock.now();
    const s: Status = {
      observedGeneration: Number(set.metadata.generation ?? 0),
      replicas: 0,
      readyReplicas: 0,
      currentReplicas: 0,
      updatedReplicas: 0,
      availableReplicas: 0,
      currentRevision: current.metadata.name,
      updateRevision: update.metadata.name,
      collisionCount,
    };
    for (const list of podLists) {
      for (const pod of list) {
        if (isCreated(pod)) s.replicas++;
        if (isRunningAndReady(pod)) {
          s.readyReplicas++;
          if (isRunningAndAvailable(pod, minReady, now)) s.availableReplicas++;
        }
        if (isCreated(pod) && !isTerminating(pod)) {
          const rev = getPodRevision(pod);
          if (rev === current.metadata.name) s.currentReplicas++;
          if (rev === update.metadata.name) s.updatedReplicas++;
        }
      }
    }
    return s;
  }

  async #updateStatefulSet(set: Obj, current: Obj, update: Obj, collisionCount: number, pods: Obj[]): Promise<Status> {
    const key = keyOf(set);
    const minReady = Number(set.spec?.minReadySeconds ?? 0);
    const now = this.#ctx.clock.now();
    let status = this.#computeStatus(set, current, update, collisionCount, [pods]);
    const start = getStartOrdinal(set);
    const end = getEndOrdinal(set);
    const count = Math.max(0, end - start + 1);
    const replicas: (Obj | undefined)[] = new Array(count);
    const condemned: Obj[] = [];
    for (const p of pods) {
      const o = getOrdinal(p);
      if (o >= start && o <= end) replicas[o - start] = p;
      else if (o >= 0) condemned.push(p);
    }
    // Missing ordinals get a pod at the current revision below the partition, else the update revision.
    for (let ord = start; ord <= end; ord++) {
      if (!replicas[ord - start]) replicas[ord - start] = newVersionedPod(set, current, update, ord);
    }
    const live = replicas as Obj[];
    condemned.sort((a, b) => getOrdinal(b) - getOrdinal(a));

    let firstUnavailable: Obj | undefined;
    for (const p of live) if (!firstUnavailable && isUnavailable(p, minReady, now)) firstUnavailable = p;
    if (!firstUnavailable) for (let i = condemned.length - 1; i >= 0; i--) if (isUnavailable(condemned[i]!, minReady, now)) { firstUnavailable = condemned[i]; break; }

    if (set.metadata.deletionTimestamp) return status;
    const monotonic = set.spec?.podManagementPolicy !== 'Parallel';
    const recompute = () => (status = { ...this.#computeStatus(set, current, update, collisionCount, [live, condemned]) });

    // 1. Living replicas, in ordinal order.
    if (await this.#runForAll(live.length, (i) => this.#processReplica(set, key, monotonic, live, i), monotonic)) {
      recompute();
      return status;
    }
    // 2. Claims of condemned pods follow the retention policy.
    if (await this.#runForAll(condemned.length, (i) => this.#fixClaims(set, condemned[i]!).then(() => false), monotonic)) {
      recompute();
      return status;
    }
    // 3. Scale down, highest ordinal first, once every predecessor is Running and available.
    if (await this.#runForAll(condemned.length, (i) => this.#processCondemned(set, key, firstUnavailable, monotonic, condemned[i]!), monotonic)) {
      recompute();
      return status;
    }
    recompute();
    if (set.spec?.updateStrategy?.type === 'OnDelete') return status;

    // 4. RollingUpdate: delete up to maxUnavailable out-of-date pods from the top down to the partition.
    const ru = set.spec?.updateStrategy?.rollingUpdate;
    const partition = Number(ru?.partition ?? 0);
    let maxUnavailable = 1;
    if (ru?.maxUnavailable != null) maxUnavailable = Math.max(1, getScaledValueFromIntOrPercent(ru.maxUnavailable, replicasOf(set), false));
    let unavailable = 0;
    for (const p of live) if (isUnavailable(p, minReady, now)) unavailable++;
    if (unavailable > maxUnavailable) return status;
    let budget = maxUnavailable - unavailable;
    for (let target = live.length - 1; target >= partition && budget > 0; target--) {
      const pod = live[target]!;
      if (getPodRevision(pod) !== update.metadata.name && !isTerminating(pod)) {
        await this.#deletePod(set, key, pod);
        budget--;
        status.currentReplicas--;
      }
    }
    return status;
  }

  /** runForAll: one at a time, stopping at the first that says so (monotonic), or slow-start batches. */
  async #runForAll(n: number, fn: (i: number) => Promise<boolean>, monotonic: boolean): Promise<boolean> {
    if (monotonic) {
      for (let i = 0; i < n; i++) if (await fn(i)) return true;
      return false;
    }
    let next = 0;
    for (let batch = Math.min(1, n); batch > 0; batch = Math.min(2 * batch, n - next, MAX_BATCH)) {
      const results = await Promise.allSettled(Array.from({ length: batch }, (_, k) => fn(next + k)));
      next += batch;
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    }
    return false;
  }

  async #processReplica(set: Obj, key: string, monotonic: boolean, replicas: Obj[], i: number): Promise<boolean> {
    const pod = replicas[i]!;
    const minReady = Number(set.spec?.minReadySeconds ?? 0);
    if (isFailed(pod) || isSucceeded(pod)) {
      // A finished pod is deleted; the next sync, once it is gone, creates its replacement.
      if (!isTerminating(pod)) {
        this.#recorder.event(typed(set), 'Warning', pod.status?.phase === 'Failed' ? 'RecreatingFailedPod' : 'RecreatingTerminatedPod',
          `StatefulSet ${set.metadata.namespace}/${set.metadata.name} is recreating ${pod.status?.phase === 'Failed' ? 'failed' : 'terminated'} Pod ${pod.metadata.name}`);
        await this.#deletePod(set, key, pod);
      }
      return true;
    }
    if (!isCreated(pod)) {
      if (this.#claimIsStale(set, pod)) return true; // the old pod's claim is still being deleted
      await this.#createPod(set, key, pod);
      if (monotonic) return true;
    }
    if (isPending(pod)) await this.#createClaims(set, pod);
    if (monotonic) {
      if (isTerminating(pod)) return true;
      if (!isRunningAndReady(pod)) return true;
      if (!isRunningAndAvailable(pod, minReady, this.#ctx.clock.now())) return true;
    }
    if (!isCreated(pod)) return false; // just created above (Parallel)
    const retentionOk = this.#claimsMatchPolicy(set, pod);
    if (identityMatches(set, pod) && storageMatches(set, pod) && retentionOk) return false;
    await this.#updatePod(set, pod);
    return false;
  }

  async #processCondemned(set: Obj, key: string, firstUnavailable: Obj | undefined, monotonic: boolean, pod: Obj): Promise<boolean> {
    if (isTerminating(pod)) return monotonic;
    const minReady = Number(set.spec?.minReadySeconds ?? 0);
    if (monotonic && pod !== firstUnavailable) {
      if (!isRunningAndReady(pod)) return true;
      if (!isRunningAndAvailable(pod, minReady, this.#ctx.clock.now())) return true;
    }
    await this.#deletePod(set, key, pod);
    return true;
  }

  // --- pods and claims ------------------------------------------------------------------------

  #podEvent(set: Obj, verb: 'create' | 'delete' | 'update', pod: Obj, err?: unknown) {
    const Verb = verb[0]!.toUpperCase() + verb.slice(1);
    if (err === undefined) this.#recorder.event(typed(set), 'Normal', `Successful${Verb}`, `${verb} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
    else this.#recorder.event(typed(set), 'Warning', `Failed${Verb}`, `${verb} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${(err as Error)?.message ?? err}`);
  }

  async #createPod(set: Obj, key: string, pod: Obj) {
    try {
      await this.#createClaims(set, pod);
    } catch (e) {
      this.#podEvent(set, 'create', pod, e);
      throw e;
    }
    raiseExpectations(this.#expectations, key, 1, 0);
    try {
      await this.#ctx.client.pods(set.metadata.namespace).create(pod);
    } catch (e) {
      this.#expectations.lowerExpectations(key, 1, 0);
      if (isAlreadyExists(e)) throw e; // stale cache: retry later, quietly
      this.#podEvent(set, 'create', pod, e);
      throw e;
    }
    this.#podEvent(set, 'create', pod);
  }

  async #deletePod(set: Obj, key: string, pod: Obj) {
    raiseExpectations(this.#expectations, key, 0, 1);
    try {
      await this.#ctx.client.pods(set.metadata.namespace).delete(pod.metadata.name, { preconditions: { uid: pod.metadata.uid } });
    } catch (e) {
      this.#expectations.lowerExpectations(key, 0, 1);
      if (isNotFound(e)) return;
      this.#podEvent(set, 'delete', pod, e);
      throw e;
    }
    this.#podEvent(set, 'delete', pod);
  }

  /** UpdateStatefulPod: restore identity and storage, and the claims' owner references. */
  async #updatePod(set: Obj, cached: Obj) {
    const pods = this.#ctx.client.pods(set.metadata.namespace);
    let pod: Obj = { ...cached, metadata: { ...cached.metadata }, spec: { ...cached.spec } };
    for (let attempt = 0; ; attempt++) {
      let dirty = false;
      if (!identityMatches(set, pod)) {
        updateIdentity(set, pod);
        dirty = true;
      }
      if (!storageMatches(set, pod)) {
        updateStorage(set, pod);
        dirty = true;
        await this.#createClaims(set, pod);
      }
      if (!this.#claimsMatchPolicy(set, pod)) {
        await this.#fixClaims(set, pod);
      }
      if (!dirty) return;
      try {
        await pods.update(pod);
        this.#podEvent(set, 'update', pod);
        return;
      } catch (e) {
        if (!isConflict(e) || attempt >= 5) {
          this.#podEvent(set, 'update', pod, e);
          throw e;
        }
        const fresh = await pods.get(pod.metadata.name);
        pod = { ...fresh, metadata: { ...fresh.metadata }, spec: { ...fresh.spec } };
      }
    }
  }

  #claimIsStale(set: Obj, pod: Obj): boolean {
    if (retentionPolicy(set).whenScaled === 'Retain') return false;
    for (const { claim } of claimsFor(set, getOrdinal(pod))) {
      const pvc = this.#claims.get(claim.metadata.namespace, claim.metadata.name);
      if (pvc && hasStalePodRef(pvc, pod)) return true;
    }
    return false;
  }

  /** createPersistentVolumeClaims: every missing claim of the pod, with the set's owner reference if the policy wants one. */
  async #createClaims(set: Obj, pod: Obj) {
    const errs: string[] = [];
    const claims = this.#ctx.client.resource('', 'persistentvolumeclaims', set.metadata.namespace);
    await Promise.all(
      claimsFor(set, getOrdinal(pod)).map(async ({ claim }) => {
        const existing = this.#claims.get(claim.metadata.namespace, claim.metadata.name);
        if (existing) {
          if (existing.metadata.deletionTimestamp) errs.push(`pvc ${claim.metadata.name} is being deleted`);
          return;
        }
        const refs = claimOwnerRefs(claim, set, pod);
        if (refs.length) claim.metadata.ownerReferences = refs;
        try {
          await claims.create(claim);
          this.#recorder.event(typed(set), 'Normal', 'SuccessfulCreate', `create Claim ${claim.metadata.name} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} success`);
        } catch (e) {
          if (isAlreadyExists(e)) return; // made by an earlier sync; the cache has not seen it yet
          errs.push(`failed to create PVC ${claim.metadata.name}: ${(e as Error).message}`);
          this.#recorder.event(typed(set), 'Warning', 'FailedCreate',
            `create Claim ${claim.metadata.name} for Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${(e as Error).message}`);
        }
      }),
    );
    if (errs.length) throw new Error(errs.join(', '));
  }

  #claimsMatchPolicy(set: Obj, pod: Obj): boolean {
    for (const { claim } of claimsFor(set, getOrdinal(pod))) {
      const pvc = this.#claims.get(claim.metadata.namespace, claim.metadata.name);
      if (pvc && !claimOwnerUpToDate(pvc, set, pod)) return false;
    }
    return true;
  }

  /** UpdatePodClaimForRetentionPolicy. */
  async #fixClaims(set: Obj, pod: Obj) {
    const claims = this.#ctx.client.resource('', 'persistentvolumeclaims', set.metadata.namespace);
    for (const { claim } of claimsFor(set, getOrdinal(pod))) {
      const pvc = this.#claims.get(claim.metadata.namespace, claim.metadata.name);
      if (!pvc || claimOwnerUpToDate(pvc, set, pod)) continue;
      const ownerReferences = claimOwnerRefs(pvc, set, pod);
      try {
        await claims.update({ ...pvc, metadata: { ...pvc.metadata, ownerReferences } });
      } catch (e) {
        if (isNotFound(e)) continue;
        throw new Error(`could not update claim ${claim.metadata.name} for delete policy ownerRefs: ${(e as Error).message}`);
      }
    }
  }

  // --- status and history ---------------------------------------------------------------------

  async #writeStatus(set: Obj, status: Status) {
    // completeRollingUpdate: once every replica is updated and ready, the update revision is current.
    const want = replicasOf(set);
    if (set.spec?.updateStrategy?.type === 'RollingUpdate' && status.updatedReplicas === want && status.readyReplicas === want && status.replicas === want) {
      status.currentReplicas = status.updatedReplicas;
      status.currentRevision = status.updateRevision;
    }
    const old = set.status ?? {};
    const same =
      status.observedGeneration <= Number(old.observedGeneration ?? 0) &&
      status.replicas === Number(old.replicas ?? 0) &&
      status.currentReplicas === Number(old.currentReplicas ?? 0) &&
      status.readyReplicas === Number(old.readyReplicas ?? 0) &&
      status.updatedReplicas === Number(old.updatedReplicas ?? 0) &&
      status.availableReplicas === Number(old.availableReplicas ?? 0) &&
      status.currentRevision === (old.currentRevision ?? '') &&
      status.updateRevision === (old.updateRevision ?? '') &&
      status.collisionCount === Number(old.collisionCount ?? 0);
    if (same) return;
    const client = this.#ctx.client.resource('apps', 'statefulsets', set.metadata.namespace);
    let cur = set;
    for (let attempt = 0; ; attempt++) {
      try {
        await client.updateStatus({ ...cur, status: { ...(cur.status ?? {}), ...status } });
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        if (!isConflict(e) || attempt >= 5) throw e;
        cur = await client.get(set.metadata.name);
        if (cur.metadata.uid !== set.metadata.uid) return;
      }
    }
  }

  async #truncateHistory(set: Obj, pods: Obj[], revisions: Obj[], current: Obj, update: Obj) {
    const live = new Set<string>([current.metadata.name, update.metadata.name]);
    for (const p of pods) live.add(getPodRevision(p));
    const limit = Number(set.spec?.revisionHistoryLimit ?? 10);
    for (const r of revisionsToTruncate(revisions, live, limit)) await deleteRevision(this.#ctx.client, r);
  }
}
