// The disruption controller (pkg/controller/disruption): keeps each PodDisruptionBudget's status —
// expectedPods, desiredHealthy (from minAvailable or maxUnavailable, percentages scaled on the
// pods' controllers' replicas), currentHealthy (ready pods not being deleted and not recently
// evicted), disruptionsAllowed, disruptedPods (expired after two minutes), observedGeneration and
// the DisruptionAllowed condition (SufficientPods / InsufficientPods / SyncFailed). The eviction
// subresource of the API server reads this status to answer 429.
import type { Controller, ControllerContext, ControllerFactory } from '../manager.ts';
import type { Informer } from '../../client/informer.ts';
import { keyOf } from '../../client/informer.ts';
import { WorkQueue, runWorkers } from '../../client/workqueue.ts';
import type { EventRecorder } from '../../client/events.ts';
import type { Obj } from '../../client/types.ts';
import { isConflict, isNotFound } from '../../machinery/errors.ts';
import { selectorFromLabelSelector, formatLabelSelector, type Selector } from '../../machinery/labels.ts';
import { getScaledValueFromIntOrPercent } from '../../machinery/intorstr.ts';

/** How long an evicted pod counts as disrupted before it must be gone (DeletionTimeout). */
export const DELETION_TIMEOUT_MS = 2 * 60_000;

function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function isPodReady(pod: Obj): boolean {
  return (pod.status?.conditions ?? []).some((c: Obj) => c?.type === 'Ready' && c.status === 'True');
}

function controllerRef(o: Obj): Obj | undefined {
  return (o.metadata?.ownerReferences ?? []).find((r: Obj) => r?.controller === true);
}

function selectorOf(pdb: Obj): Selector | undefined {
  try {
    return selectorFromLabelSelector(pdb.spec?.selector ?? {});
  } catch {
    return undefined;
  }
}

export class DisruptionController implements Controller {
  readonly name = 'disruption-controller';
  #ctx: ControllerContext;
  #pdbs: Informer;
  #pods: Informer;
  #rcs: Informer;
  #rss: Informer;
  #deps: Informer;
  #sts: Informer;
  #recorder: EventRecorder;
  #queue: WorkQueue;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.#pdbs = ctx.informers.informer('policy', 'poddisruptionbudgets');
    this.#pods = ctx.informers.informer('', 'pods');
    this.#rcs = ctx.informers.informer('', 'replicationcontrollers');
    this.#rss = ctx.informers.informer('apps', 'replicasets');
    this.#deps = ctx.informers.informer('apps', 'deployments');
    this.#sts = ctx.informers.informer('apps', 'statefulsets');
    this.#recorder = ctx.recorder('controllermanager');
    this.#queue = new WorkQueue({ clock: ctx.clock });
  }

  start(): void {
    this.#pdbs.addEventHandler({
      add: (p) => this.#queue.add(keyOf(p)),
      update: (_o, p) => this.#queue.add(keyOf(p)),
    });
    const forPod = (pod: Obj) => {
      const labels = pod.metadata?.labels ?? {};
      for (const pdb of this.#pdbs.list(pod.metadata?.namespace)) if (selectorOf(pdb)?.matches(labels)) this.#queue.add(keyOf(pdb));
    };
    this.#pods.addEventHandler({
      add: forPod,
      update: (o, n) => {
        if (o.metadata?.resourceVersion === n.metadata?.resourceVersion) return;
        forPod(n);
        if (JSON.stringify(o.metadata?.labels) !== JSON.stringify(n.metadata?.labels)) forPod(o);
      },
      delete: forPod,
    });
    // Scale changes of the pods' controllers change expectedPods.
    const forController = (o: Obj, n: Obj) => {
      if (o.spec?.replicas === n.spec?.replicas) return;
      for (const pdb of this.#pdbs.list(n.metadata?.namespace)) this.#queue.add(keyOf(pdb));
    };
    for (const inf of [this.#rcs, this.#rss, this.#deps, this.#sts]) inf.addEventHandler({ update: forController });
    void runWorkers(this.#queue, this.#ctx.config.workers, (k) => this.sync(k));
  }

  stop(): void {
    this.#queue.shutDown();
  }

  /** The replicas the pods' controllers want (getExpectedScale); pods without a controller are listed apart. */
  #expectedScale(pods: Obj[]): { expected: number; unmanaged: string[] } {
    const scales = new Map<string, number>();
    const unmanaged: string[] = [];
    for (const pod of pods) {
      const ref = controllerRef(pod);
      if (!ref) {
        unmanaged.push(pod.metadata.name);
        continue;
      }
      if (scales.has(ref.uid)) continue;
      const ns = pod.metadata.namespace;
      let found: { uid: string; replicas: number } | undefined;
      const group = String(ref.apiVersion ?? '').split('/');
      const g = group.length > 1 ? group[0] : '';
      if (ref.kind === 'ReplicationController' && g === '') {
        const rc = this.#rcs.get(ns, ref.name);
        if (rc && rc.metadata.uid === ref.uid) found = { uid: rc.metadata.uid, replicas: rc.spec?.replicas ?? 1 };
      } else if (ref.kind === 'ReplicaSet' && g === 'apps') {
        const rs = this.#rss.get(ns, ref.name);
        if (rs && rs.metadata.uid === ref.uid) {
          const dref = controllerRef(rs);
          const dep = dref?.kind === 'Deployment' ? this.#deps.get(ns, dref.name) : undefined;
          if (dep && dep.metadata.uid === dref!.uid) found = { uid: dep.metadata.uid, replicas: dep.spec?.replicas ?? 1 };
          else if (!dref || dref.kind !== 'Deployment') found = { uid: rs.metadata.uid, replicas: rs.spec?.replicas ?? 1 };
        }
      } else if (ref.kind === 'StatefulSet' && g === 'apps') {
        const sts = this.#sts.get(ns, ref.name);
        if (sts && sts.metadata.uid === ref.uid) found = { uid: sts.metadata.uid, replicas: sts.spec?.replicas ?? 1 };
      }
      if (!found) throw new Error(`found no controllers for pod "${pod.metadata.name}"`);
      scales.set(ref.uid, 0);
      scales.set(found.uid, found.replicas);
    }
    let expected = 0;
    for (const v of scales.values()) expected += v;
    return { expected, unmanaged };
  }

  async sync(key: string): Promise<void> {
    const pdb = this.#pdbs.getByKey(key);
    if (!pdb) return;
    try {
      await this.#trySync(pdb);
    } catch (e) {
      if (isConflict(e)) throw e;
      if (isNotFound(e)) return;
      await this.#failSafe(pdb, (e as Error).message);
      throw e;
    }
  }

  async #trySync(pdb: Obj): Promise<void> {
    const sel = selectorOf(pdb);
    const pods = sel ? this.#pods.list(pdb.metadata.namespace).filter((p) => sel.matches(p.metadata?.labels ?? {})) : [];
    if (!pods.length) this.#recorder.event(pdb, 'Normal', 'NoPods', 'No matching pods found');
    let expected = 0;
    let desired = 0;
    let unmanaged: string[] = [];
    const spec = pdb.spec ?? {};
    try {
      if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
        ({ expected, unmanaged } = this.#expectedScale(pods));
        const maxUnavailable = getScaledValueFromIntOrPercent(spec.maxUnavailable, expected, true);
        desired = Math.max(0, expected - maxUnavailable);
      } else if (spec.minAvailable !== undefined && spec.minAvailable !== null) {
        if (typeof spec.minAvailable === 'number') {
          desired = spec.minAvailable;
          expected = pods.length;
        } else {
          ({ expected, unmanaged } = this.#expectedScale(pods));
          desired = getScaledValueFromIntOrPercent(spec.minAvailable, expected, true);
        }
      }
    } catch (e) {
      this.#recorder.event(pdb, 'Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${(e as Error).message}`);
      throw e;
    }
    if (unmanaged.length) {
      this.#recorder.event(
        pdb,
        'Warning',
        'UnmanagedPods',
        `Pods selected by this PodDisruptionBudget (selector: ${formatLabelSelector(spec.selector)}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
      );
    }
    const now = this.#ctx.clock.now();
    const { disrupted, recheck } = this.#disruptedPods(pdb, pods, now);
    let healthy = 0;
    for (const p of pods) if (!p.metadata.deletionTimestamp && !disrupted[p.metadata.name] && isPodReady(p)) healthy++;
    await this.#updateStatus(pdb, healthy, desired, expected, disrupted);
    if (recheck !== undefined) this.#queue.addAfter(keyOf(pdb), recheck - now);
  }

  /** buildDisruptedPodMap: evictions not yet carried out, for at most DeletionTimeout. */
  #disruptedPods(pdb: Obj, pods: Obj[], now: number): { disrupted: Record<string, string>; recheck: number | undefined } {
    const given: Record<string, string> = pdb.status?.disruptedPods ?? {};
    const disrupted: Record<string, string> = {};
    let recheck: number | undefined;
    for (const pod of pods) {
      if (pod.metadata.deletionTimestamp) continue;
      const at = given[pod.metadata.name];
      if (!at) continue;
      const expires = Date.parse(at) + DELETION_TIMEOUT_MS;
      if (expires < now) {
        this.#recorder.event(pod, 'Warning', 'NotDeleted', `Pod was expected by PDB ${pdb.metadata.namespace}/${pdb.metadata.name} to be deleted but it wasn't`);
      } else {
        if (recheck === undefined || expires < recheck) recheck = expires;
        disrupted[pod.metadata.name] = at;
      }
    }
    return { disrupted, recheck };
  }

  #condition(pdb: Obj, status: 'True' | 'False', reason: string, message: string, generation: number): Obj[] {
    const conds: Obj[] = (pdb.status?.conditions ?? []).filter((c: Obj) => c?.type !== 'DisruptionAllowed');
    const old = (pdb.status?.conditions ?? []).find((c: Obj) => c?.type === 'DisruptionAllowed');
    const lastTransitionTime = old && old.status === status ? old.lastTransitionTime : rfc3339(this.#ctx.clock.now());
    return [...conds, { type: 'DisruptionAllowed', status, observedGeneration: generation, lastTransitionTime, reason, message }];
  }

  async #updateStatus(pdb: Obj, currentHealthy: number, desiredHealthy: number, expectedPods: number, disruptedPods: Record<string, string>) {
    let disruptionsAllowed = currentHealthy - desiredHealthy;
    if (expectedPods <= 0 || disruptionsAllowed <= 0) disruptionsAllowed = 0;
    const generation = pdb.metadata.generation ?? 0;
    const s = pdb.status ?? {};
    const sameDisrupted = JSON.stringify(s.disruptedPods ?? {}) === JSON.stringify(disruptedPods);
    if (
      s.currentHealthy === currentHealthy &&
      s.desiredHealthy === desiredHealthy &&
      s.expectedPods === expectedPods &&
      s.disruptionsAllowed === disruptionsAllowed &&
      sameDisrupted &&
      s.observedGeneration === generation &&
      (s.conditions ?? []).some((c: Obj) => c.type === 'DisruptionAllowed' && c.status === (disruptionsAllowed > 0 ? 'True' : 'False') && c.reason !== 'SyncFailed')
    ) {
      return;
    }
    const conditions = disruptionsAllowed > 0 ? this.#condition(pdb, 'True', 'SufficientPods', '', generation) : this.#condition(pdb, 'False', 'InsufficientPods', '', generation);
    const status: Obj = { observedGeneration: generation, disruptionsAllowed, currentHealthy, desiredHealthy, expectedPods, conditions };
    if (Object.keys(disruptedPods).length) status.disruptedPods = disruptedPods;
    await this.#ctx.client.resource('policy', 'poddisruptionbudgets', pdb.metadata.namespace).updateStatus({ ...pdb, status });
  }

  /** failSafe: when the status cannot be computed, allow no disruptions. */
  async #failSafe(pdb: Obj, message: string) {
    const generation = pdb.metadata.generation ?? 0;
    const status = { ...(pdb.status ?? {}), disruptionsAllowed: 0, observedGeneration: generation, conditions: this.#condition(pdb, 'False', 'SyncFailed', message, generation) };
    try {
      await this.#ctx.client.resource('policy', 'poddisruptionbudgets', pdb.metadata.namespace).updateStatus({ ...pdb, status });
    } catch {
      // re-queued by the caller
    }
  }
}

export const disruptionController: ControllerFactory = (ctx) => new DisruptionController(ctx);
