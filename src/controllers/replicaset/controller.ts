// The ReplicaSet controller, as upstream's pkg/controller/replicaset: keeps spec.replicas active
// pods matching the selector — adopting orphans, releasing pods that stopped matching, creating in
// slow-start batches of 1, 2, 4, … and deleting the least valuable pods first — guarded by
// expectations, and reports replicas / fullyLabeledReplicas / readyReplicas / availableReplicas /
// observedGeneration and the ReplicaFailure condition. Parameterised by kind so the
// ReplicationController controller is the same code with a different adapter, as upstream.
import type { Controller, ControllerContext } from '../manager.ts';
import type { Informer } from '../../client/informer.ts';
import { keyOf } from '../../client/informer.ts';
import { WorkQueue, runWorkers } from '../../client/workqueue.ts';
import type { EventRecorder } from '../../client/events.ts';
import type { ResourceClient } from '../../client/client.ts';
import type { Obj } from '../../client/types.ts';
import { StatusError, isConflict, isNotFound } from '../../machinery/errors.ts';
import type { Selector } from '../../machinery/labels.ts';
import { selectorFromSet } from '../../machinery/labels.ts';
import { PodExpectations } from '../util/expectations.ts';
import { addControllerIndex, claimObjects, controlledBy, getControllerOf, newControllerRef, orphansIn, recheckDeletionTimestamp, type OwnerReference } from '../util/ownerref.ts';
import { filterActivePods, isPodAvailable, isPodReady, podAvailableAt, podFromTemplate, podKey, rfc3339 } from '../util/pods.ts';
import { getPodsToDelete } from '../util/ranking.ts';
import { SLOW_START_INITIAL_BATCH_SIZE, slowStartBatch } from '../util/batch.ts';
import { getCondition, removeCondition, setCondition, type Condition } from '../util/conditions.ts';
import { labelSelectorOf } from '../util/selectors.ts';

/** How many pods one sync creates or deletes at most (upstream's BurstReplicas). */
export const BURST_REPLICAS = 500;

/** What differs between ReplicaSets and ReplicationControllers. */
export interface ReplicaSetKind {
  group: string;
  resource: string;
  apiVersion: string;
  kind: string;
  /** Controller name (kube-controller-manager's) and event source component. */
  name: string;
  component: string;
  selectorOf(obj: Obj): Selector;
}

export const replicaSetKind: ReplicaSetKind = {
  group: 'apps',
  resource: 'replicasets',
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  name: 'replicaset-controller',
  component: 'replicaset-controller',
  selectorOf: labelSelectorOf,
};

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function sameLabels(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  for (const k of ka) if (a![k] !== b?.[k]) return false;
  return true;
}

function sameRef(a: OwnerReference | undefined, b: OwnerReference | undefined): boolean {
  return a?.uid === b?.uid && a?.name === b?.name && a?.kind === b?.kind;
}

/** The status the controller reports for the pods it owns (upstream calculateStatus). */
export function calculateReplicaSetStatus(rs: Obj, pods: Obj[], manageError: unknown, now: number): Obj {
  const prev = rs.status ?? {};
  const templateLabels: Record<string, string> = rs.spec?.template?.metadata?.labels ?? {};
  const templateSel = selectorFromSet(templateLabels);
  const minReady = rs.spec?.minReadySeconds ?? 0;
  let fully = 0;
  let ready = 0;
  let available = 0;
  for (const p of pods) {
    if (templateSel.matches(p.metadata?.labels ?? {})) fully++;
    if (isPodReady(p)) {
      ready++;
      if (isPodAvailable(p, minReady, now)) available++;
    }
  }
  let conditions: Condition[] | undefined = prev.conditions;
  const failure = getCondition(conditions, 'ReplicaFailure');
  if (manageError && !failure) {
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    conditions = setCondition(conditions, { type: 'ReplicaFailure', status: 'True', lastTransitionTime: rfc3339(now), reason, message: errorMessage(manageError) });
  } else if (!manageError && failure) {
    conditions = removeCondition(conditions, 'ReplicaFailure');
  }
  const status: Obj = { replicas: pods.length };
  if (fully) status.fullyLabeledReplicas = fully;
  if (ready) status.readyReplicas = ready;
  if (available) status.availableReplicas = available;
  if (prev.observedGeneration) status.observedGeneration = prev.observedGeneration;
  if (conditions && conditions.length) status.conditions = conditions;
  return status;
}

function statusUnchanged(rs: Obj, s: Obj): boolean {
  const o = rs.status ?? {};
  return (
    (o.replicas ?? 0) === s.replicas &&
    (o.fullyLabeledReplicas ?? 0) === (s.fullyLabeledReplicas ?? 0) &&
    (o.readyReplicas ?? 0) === (s.readyReplicas ?? 0) &&
    (o.availableReplicas ?? 0) === (s.availableReplicas ?? 0) &&
    (rs.metadata.generation ?? 0) === (o.observedGeneration ?? 0) &&
    JSON.stringify(o.conditions ?? []) === JSON.stringify(s.conditions ?? [])
  );
}

export class ReplicaSetController implements Controller {
  readonly name: string;
  readonly kind: ReplicaSetKind;
  readonly queue: WorkQueue;
  readonly expectations: PodExpectations;
  #ctx: ControllerContext;
  #rsInf!: Informer<Obj>;
  #podInf!: Informer<Obj>;
  #rsClient: ResourceClient<Obj>;
  #podClient: ResourceClient<Obj>;
  #recorder: EventRecorder;
  #burst: number;

  constructor(ctx: ControllerContext, kind: ReplicaSetKind = replicaSetKind, opts: { burstReplicas?: number } = {}) {
    this.#ctx = ctx;
    this.kind = kind;
    this.name = kind.name;
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.expectations = new PodExpectations(ctx.clock);
    this.#rsClient = ctx.client.resource(kind.group, kind.resource);
    this.#podClient = ctx.client.pods();
    this.#recorder = ctx.recorder(kind.component);
    this.#burst = opts.burstReplicas ?? BURST_REPLICAS;
  }

  start(): void {
    this.#rsInf = this.#ctx.informers.informer(this.kind.group, this.kind.resource);
    this.#podInf = this.#ctx.informers.informer('', 'pods');
    addControllerIndex(this.#podInf);
    addControllerIndex(this.#rsInf);
    this.#rsInf.addEventHandler({
      add: (rs) => this.queue.add(keyOf(rs)),
      update: (_o, rs) => this.queue.add(keyOf(rs)),
      delete: (rs) => {
        const key = keyOf(rs);
        this.expectations.delete(key);
        this.queue.add(key);
      },
    });
    this.#podInf.addEventHandler({
      add: (p) => this.#addPod(p),
      update: (o, p) => this.#updatePod(o, p),
      delete: (p) => this.#deletePod(p),
    });
    void this.#run();
  }

  async #run(): Promise<void> {
    await Promise.all([this.#rsInf.synced(), this.#podInf.synced()]);
    if (this.queue.shuttingDown) return;
    await runWorkers(this.queue, this.#ctx.config.workers, (key) => this.sync(key));
  }

  stop(): void {
    this.queue.shutDown();
  }

  // --- event handlers: find the owner and enqueue it --------------------------------------------

  #resolve(namespace: string, ref: OwnerReference): Obj | undefined {
    if (ref.kind !== this.kind.kind) return undefined;
    const rs = this.#rsInf.get(namespace, ref.name);
    return rs && rs.metadata.uid === ref.uid ? rs : undefined;
  }

  /** Controllers of this kind whose selector matches an orphan pod (upstream getPodReplicaSets). */
  #ownersOf(pod: Obj): Obj[] {
    const ns = pod.metadata?.namespace ?? '';
    const labels = pod.metadata?.labels ?? {};
    return this.#rsInf.byIndex('namespace', ns).filter((rs) => {
      const sel = this.kind.selectorOf(rs);
      return !sel.empty() && sel.matches(labels);
    });
  }

  #addPod(pod: Obj): void {
    if (pod.metadata?.deletionTimestamp) return this.#deletePod(pod);
    const ref = getControllerOf(pod);
    if (ref) {
      const rs = this.#resolve(pod.metadata.namespace, ref);
      if (!rs) return;
      const key = keyOf(rs);
      this.expectations.creationObserved(key);
      this.queue.add(key);
      return;
    }
    for (const rs of this.#ownersOf(pod)) this.queue.add(keyOf(rs));
  }

  #updatePod(old: Obj, pod: Obj): void {
    if (old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return;
    const labelChanged = !sameLabels(old.metadata?.labels, pod.metadata?.labels);
    if (pod.metadata?.deletionTimestamp) {
      this.#deletePod(pod);
      if (labelChanged) this.#deletePod(old);
      return;
    }
    const ref = getControllerOf(pod);
    const oldRef = getControllerOf(old);
    const refChanged = !sameRef(ref, oldRef);
    if (refChanged && oldRef) {
      const rs = this.#resolve(old.metadata.namespace, oldRef);
      if (rs) this.queue.add(keyOf(rs));
    }
    if (ref) {
      const rs = this.#resolve(pod.metadata.namespace, ref);
      if (!rs) return;
      const key = keyOf(rs);
      this.queue.add(key);
      // A pod that just turned ready becomes available after minReadySeconds: look again then.
      const minReady = rs.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && !isPodReady(old) && isPodReady(pod)) this.queue.addAfter(key, minReady * 1000 + 1);
      return;
    }
    if (labelChanged || refChanged) for (const rs of this.#ownersOf(pod)) this.queue.add(keyOf(rs));
  }

  #deletePod(pod: Obj): void {
    const ref = getControllerOf(pod);
    if (!ref) return;
    const rs = this.#resolve(pod.metadata.namespace, ref);
    if (!rs) return;
    const key = keyOf(rs);
    this.expectations.deletionObserved(key, podKey(pod));
    this.queue.add(key);
  }

  // --- sync -----------------------------------------------------------------------------------

  /** Reconciles one ReplicaSet (or ReplicationController) by key; idempotent. */
  async sync(key: string): Promise<void> {
    const rs = this.#rsInf.getByKey(key);
    if (!rs) {
      this.expectations.delete(key);
      return;
    }
    const needsSync = this.expectations.satisfied(key);
    const selector = this.kind.selectorOf(rs);
    const ns = rs.metadata.namespace;
    const candidates = filterActivePods([...controlledBy(this.#podInf, rs.metadata.uid), ...orphansIn(this.#podInf, ns)]);
    const pods = await claimObjects(
      {
        owner: rs,
        ownerApiVersion: this.kind.apiVersion,
        ownerKind: this.kind.kind,
        client: this.#podClient,
        match: (p) => selector.matches(p.metadata?.labels ?? {}),
        canAdopt: recheckDeletionTimestamp({ ...rs, kind: this.kind.kind }, () => this.#rsClient.inNamespace(ns).get(rs.metadata.name)),
      },
      candidates,
    );
    let manageError: unknown;
    if (needsSync && !rs.metadata.deletionTimestamp) {
      try {
        await this.#manageReplicas(pods, rs, key);
      } catch (e) {
        manageError = e;
      }
    }
    const now = this.#ctx.clock.now();
    const status = calculateReplicaSetStatus(rs, pods, manageError, now);
    const updated = await this.#updateStatus(rs, status);
    const minReady = updated.spec?.minReadySeconds ?? 0;
    const replicas = updated.spec?.replicas ?? 1;
    if (!manageError && minReady > 0 && (updated.status?.readyReplicas ?? 0) === replicas && (updated.status?.availableReplicas ?? 0) !== replicas) {
      // Upstream requeues after minReadySeconds; the earliest moment a pod turns available is exact.
      let next = Infinity;
      for (const p of pods) {
        if (isPodAvailable(p, minReady, now)) continue;
        const at = podAvailableAt(p, minReady);
        if (at !== undefined && at < next) next = at;
      }
      this.queue.addAfter(key, Number.isFinite(next) ? Math.max(1, next - now) : minReady * 1000);
    }
    if (manageError) throw manageError;
  }

  async #updateStatus(rs: Obj, status: Obj): Promise<Obj> {
    if (statusUnchanged(rs, status)) return rs;
    const client = this.#rsClient.inNamespace(rs.metadata.namespace);
    // observedGeneration is the generation this sync acted on, also when retrying on a newer object.
    const next = { ...status };
    if (rs.metadata.generation) next.observedGeneration = rs.metadata.generation;
    else delete next.observedGeneration;
    let cur = rs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await client.updateStatus({ ...cur, apiVersion: this.kind.apiVersion, kind: this.kind.kind, status: next });
      } catch (e) {
        if (attempt >= 1 || !isConflict(e)) throw e;
        cur = await client.get(rs.metadata.name);
        if (cur.metadata.uid !== rs.metadata.uid) throw e;
      }
    }
  }

  async #manageReplicas(pods: Obj[], rs: Obj, key: string): Promise<void> {
    const want = rs.spec?.replicas ?? 1;
    let diff = pods.length - want;
    const ns = rs.metadata.namespace;
    const owner = { ...rs, apiVersion: this.kind.apiVersion, kind: this.kind.kind };
    if (diff < 0) {
      diff = Math.min(-diff, this.#burst);
      this.expectations.expectCreations(key, diff);
      const ref = newControllerRef(rs, this.kind.apiVersion, this.kind.kind);
      const podClient = this.#podClient.inNamespace(ns);
      const { successes, error } = await slowStartBatch(diff, SLOW_START_INITIAL_BATCH_SIZE, async () => {
        const pod = podFromTemplate(rs.spec?.template, rs, ref);
        if (!pod.metadata.labels || Object.keys(pod.metadata.labels).length === 0) throw new Error('unable to create pods, no labels');
        try {
          const made = await podClient.create(pod);
          this.#recorder.event(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${made.metadata.name}`);
        } catch (e) {
          // A terminating namespace refuses every create; nothing to do until it is gone.
          if (e instanceof StatusError && e.status.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')) return;
          this.#recorder.event(owner, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(e)}`);
          throw e;
        }
      });
      // Pods never attempted (or failed) will not be observed: stop expecting them.
      for (let i = successes; i < diff; i++) this.expectations.creationObserved(key);
      if (error) throw error;
      return;
    }
    if (diff > 0) {
      diff = Math.min(diff, this.#burst);
      const related = this.#relatedPods(rs);
      const victims = getPodsToDelete(pods, related, diff, this.#ctx.clock.now());
      this.expectations.expectDeletions(key, victims.map(podKey));
      const podClient = this.#podClient.inNamespace(ns);
      const results = await Promise.allSettled(
        victims.map(async (p) => {
          try {
            await podClient.delete(p.metadata.name);
            this.#recorder.event(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
          } catch (e) {
            // The pod will never be seen going away: stop waiting for it.
            this.expectations.deletionObserved(key, podKey(p));
            if (isNotFound(e)) return;
            this.#recorder.event(owner, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(e)}`);
            throw e;
          }
        }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
  }

  /** Pods of every controller sharing this one's owner (upstream getIndirectlyRelatedPods). */
  #relatedPods(rs: Obj): Obj[] {
    const owner = getControllerOf(rs);
    if (!owner) return [];
    const siblings = controlledBy(this.#rsInf, owner.uid);
    const out: Obj[] = [];
    for (const s of siblings) out.push(...controlledBy(this.#podInf, s.metadata.uid));
    return out;
  }
}

