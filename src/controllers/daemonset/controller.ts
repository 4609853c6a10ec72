// The DaemonSet controller, as upstream's pkg/controller/daemon: one pod per eligible node
// (node name, nodeSelector, required node affinity, taints against the pod's tolerations plus the
// default DaemonSet tolerations), created unbound with a required affinity to its node for the
// scheduler to bind; excess, failed and misplaced pods deleted; ControllerRevisions for the pod
// template (pods labelled `controller-revision-hash`); RollingUpdate with maxUnavailable or
// maxSurge, or OnDelete; status with scheduled/misscheduled/ready/updated/available counts.
import type { Controller, ControllerContext } from '../manager.ts';
import type { Informer } from '../../client/informer.ts';
import { keyOf } from '../../client/informer.ts';
import { WorkQueue, runWorkers } from '../../client/workqueue.ts';
import { Expectations } from '../../client/expectations.ts';
import type { EventRecorder } from '../../client/events.ts';
import type { Obj } from '../../client/types.ts';
import { isAlreadyExists, isConflict, isNotFound, StatusError } from '../../machinery/errors.ts';
import { selectorFromLabelSelector, type Selector } from '../../machinery/labels.ts';
import { getScaledValueFromIntOrPercent } from '../../machinery/intorstr.ts';
import { OWNER_INDEX, ownerIndexFunc, ownerIndexValueForOrphans, getControllerOf, claimObjects, raiseExpectations, newControllerRef } from '../history/owner.ts';
import {
  REVISION_LABEL, canonicalJson, controllerRevisionName, deleteRevision, fnv32, listRevisions, revisionDataKey, safeEncodeString, sortRevisions,
  templatePatch,
} from '../history/history.ts';
import { isPodAvailable, isPodReady, isPodTerminal, msUntilAvailable } from '../history/pods.ts';
import { nodeNameAffinity, nodeShouldRunDaemonPod, targetNodeName, withDaemonTolerations, type Toleration } from './predicates.ts';

const KIND = 'DaemonSet';
const API_VERSION = 'apps/v1';
/** Label with the DaemonSet's template generation (deprecated upstream, still set). */
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
/** Annotation the API server keeps on a DaemonSet with its template generation. */
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';
/** --concurrent pod creations and deletions per sync (upstream burstReplicas). */
const BURST_REPLICAS = 250;
const FAILED_BACKOFF_BASE_MS = 1000;
const FAILED_BACKOFF_MAX_MS = 15 * 60_000;

const typed = (ds: Obj): Obj => ({ ...ds, apiVersion: API_VERSION, kind: KIND });

/** What a sync precomputes about one DaemonSet. */
interface DsInfo {
  ds: Obj;
  tolerations: Toleration[];
}

/** Pod ordering for keeping the oldest: scheduled first, then by creation time, then name. */
function byCreation(a: Obj, b: Obj): number {
  const sa = a.spec?.nodeName ? 0 : 1;
  const sb = b.spec?.nodeName ? 0 : 1;
  if (sa !== sb) return sa - sb;
  const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  const na = a.metadata?.name ?? '';
  const nb = b.metadata?.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

function templateGeneration(ds: Obj): string | undefined {
  const g = ds.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  return g && /^\d+$/.test(g) ? g : undefined;
}

/** IsPodUpdated: the pod carries the current hash (or the current template generation). */
export function isPodUpdated(pod: Obj, hash: string, generation: string | undefined): boolean {
  const labels = pod.metadata?.labels ?? {};
  return (!!hash && labels[REVISION_LABEL] === hash) || (generation !== undefined && labels[TEMPLATE_GENERATION_LABEL] === generation);
}

/** ComputeHash of the pod template and the collision count, safe-encoded (the revision's name suffix). */
export function templateHash(template: Obj | undefined, collisionCount?: number): string {
  const parts = [canonicalJson(template ?? {})];
  if (collisionCount !== undefined && collisionCount !== null) parts.push(String(collisionCount));
  return safeEncodeString(String(fnv32(parts, '1a')));
}

function allowsSurge(ds: Obj): boolean {
  const ru = ds.spec?.updateStrategy?.rollingUpdate;
  if (ds.spec?.updateStrategy?.type !== 'RollingUpdate' || ru?.maxSurge == null) return false;
  return getScaledValueFromIntOrPercent(ru.maxSurge, 1, true) !== 0;
}

export class DaemonSetController implements Controller {
  readonly name = 'daemonset';
  readonly queue: WorkQueue;
  #ctx: ControllerContext;
  #sets: Informer;
  #pods: Informer;
  #nodes: Informer;
  #revisions: Informer;
  #recorder: EventRecorder;
  #expectations: Expectations;
  #selectors = new WeakMap<object, Selector>();
  #tolerations = new WeakMap<object, Toleration[]>();
  #failedBackoff = new Map<string, { delay: number; at: number }>();
  #running: Promise<void> | undefined;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.queue = new WorkQueue({ clock: ctx.clock });
    this.#sets = ctx.informers.informer('apps', 'daemonsets');
    this.#pods = ctx.informers.informer('', 'pods');
    this.#nodes = ctx.informers.informer('', 'nodes');
    this.#revisions = ctx.informers.informer('apps', 'controllerrevisions');
    this.#recorder = ctx.recorder('daemonset-controller');
    this.#expectations = new Expectations(ctx.clock);
  }

  start(): void {
    this.#pods.addIndex(OWNER_INDEX, ownerIndexFunc);
    this.#revisions.addIndex(OWNER_INDEX, ownerIndexFunc);
    this.#sets.addEventHandler({
      add: (d) => this.#enqueue(d),
      update: (_o, d) => this.#enqueue(d),
      delete: (d) => {
        this.#expectations.delete(keyOf(d));
        this.#enqueue(d);
      },
    });
    this.#pods.addEventHandler({
      add: (p) => this.#podAdded(p),
      update: (o, p) => this.#podUpdated(o, p),
      delete: (p) => this.#podDeleted(p),
    });
    this.#nodes.addEventHandler({
      add: (n) => {
        for (const ds of this.#sets.list()) if (this.#shouldRun(n, ds).shouldRun) this.#enqueue(ds);
      },
      update: (o, n) => this.#nodeUpdated(o, n),
      delete: () => {
        // Unbound pods aimed at a vanished node are the DaemonSet's to delete.
        for (const ds of this.#sets.list()) this.#enqueue(ds);
      },
    });
    this.#running = runWorkers(this.queue, this.#ctx.config.workers, (k) => this.sync(k));
  }

  stop(): void {
    this.queue.shutDown();
    void this.#running;
  }

  #enqueue(ds: Obj) {
    this.queue.add(keyOf(ds));
  }

  #selector(ds: Obj): Selector {
    let s = this.#selectors.get(ds);
    if (!s) {
      s = selectorFromLabelSelector(ds.spec?.selector);
      this.#selectors.set(ds, s);
    }
    return s;
  }

  #tolerationsOf(ds: Obj): Toleration[] {
    let t = this.#tolerations.get(ds);
    if (!t) {
      t = withDaemonTolerations(ds.spec?.template?.spec ?? {});
      this.#tolerations.set(ds, t);
    }
    return t;
  }

  #shouldRun(node: Obj, ds: Obj) {
    return nodeShouldRunDaemonPod(node, ds.spec?.template?.spec ?? {}, this.#tolerationsOf(ds));
  }

  #nodeUpdated(old: Obj, node: Obj) {
    // Only the node's labels, taints and name decide where daemons run.
    const same =
      canonicalJson(old.metadata?.labels ?? {}) === canonicalJson(node.metadata?.labels ?? {}) &&
      canonicalJson(old.spec?.taints ?? []) === canonicalJson(node.spec?.taints ?? []);
    if (same) return;
    for (const ds of this.#sets.list()) {
      const a = this.#shouldRun(old, ds);
      const b = this.#shouldRun(node, ds);
      if (a.shouldRun !== b.shouldRun || a.shouldContinueRunning !== b.shouldContinueRunning) this.#enqueue(ds);
    }
  }

  #resolve(pod: Obj): Obj | undefined {
    const ref = getControllerOf(pod);
    if (!ref || ref.kind !== KIND) return undefined;
    const ds = this.#sets.get(pod.metadata.namespace, ref.name);
    return ds && ds.metadata.uid === ref.uid ? ds : undefined;
  }

  #setsForOrphan(pod: Obj): Obj[] {
    const out: Obj[] = [];
    for (const ds of this.#sets.list(pod.metadata.namespace)) {
      try {
        if (this.#selector(ds).matches(pod.metadata.labels)) out.push(ds);
      } catch {
        // an invalid selector matches nothing
      }
    }
    return out;
  }

  #podAdded(pod: Obj) {
    if (pod.metadata.deletionTimestamp) return this.#podDeleted(pod);
    if (getControllerOf(pod)) {
      const ds = this.#resolve(pod);
      if (!ds) return;
      this.#expectations.creationObserved(keyOf(ds));
      this.#enqueue(ds);
      return;
    }
    for (const ds of this.#setsForOrphan(pod)) this.#enqueue(ds);
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
      const ds = this.#resolve(pod);
      if (ds) this.#expectations.deletionObserved(keyOf(ds));
    }
    if (ref) {
      const ds = this.#resolve(pod);
      if (!ds) return;
      this.#enqueue(ds);
      const ms = Number(ds.spec?.minReadySeconds ?? 0);
      if (ms > 0 && !isPodReady(old) && isPodReady(pod)) this.queue.addAfter(keyOf(ds), ms * 1000 + 1);
      return;
    }
    for (const ds of this.#setsForOrphan(pod)) this.#enqueue(ds);
  }

  #podDeleted(pod: Obj) {
    const ds = this.#resolve(pod);
    if (!ds) return;
    this.#expectations.deletionObserved(keyOf(ds));
    this.#enqueue(ds);
  }

  // --- sync -----------------------------------------------------------------------------------

  async sync(key: string): Promise<void> {
    const ds = this.#sets.getByKey(key);
    if (!ds) {
      this.#expectations.delete(key);
      return;
    }
    const sel = ds.spec?.selector;
    if (sel && !Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length) {
      this.#recorder.event(typed(ds), 'Warning', 'SelectingAll', 'This daemon set is selecting all pods. A non-empty selector is required.');
      return;
    }
    // Its revisions may be going away with it: nothing reliable to do or report.
    if (ds.metadata.deletionTimestamp) return;
    const nodes = this.#nodes.list();
    const { cur, old } = await this.#constructHistory(ds);
    const hash = cur.metadata.labels?.[REVISION_LABEL] ?? '';
    if (!this.#expectations.satisfied(key)) {
      await this.#updateStatus(ds, nodes, hash, false);
      return;
    }
    let err: unknown;
    try {
      await this.#manage(ds, nodes, hash);
      if (this.#expectations.satisfied(key) && ds.spec?.updateStrategy?.type === 'RollingUpdate') await this.#rollingUpdate(ds, nodes, hash);
      await this.#cleanupHistory(ds, old);
    } catch (e) {
      err = e;
    }
    await this.#updateStatus(ds, nodes, hash, true);
    if (err) throw err;
  }

  /** Pods the DaemonSet owns (adopting matching orphans), by the node each runs or is aimed at. */
  async #nodesToDaemonPods(ds: Obj, includeDeletedTerminal: boolean): Promise<Map<string, Obj[]>> {
    const ns = ds.metadata.namespace;
    const pods = await claimObjects({
      owner: typed(ds),
      selector: this.#selector(ds),
      owned: this.#pods.byIndex(OWNER_INDEX, ds.metadata.uid),
      orphans: this.#pods.byIndex(OWNER_INDEX, ownerIndexValueForOrphans(ns)),
      client: this.#ctx.client.pods(ns),
    });
    const out = new Map<string, Obj[]>();
    for (const p of pods) {
      if (!includeDeletedTerminal && isPodTerminal(p) && p.metadata.deletionTimestamp) continue;
      const node = targetNodeName(p);
      if (node === undefined) continue;
      const list = out.get(node);
      if (list) list.push(p);
      else out.set(node, [p]);
    }
    return out;
  }

  async #manage(ds: Obj, nodes: Obj[], hash: string) {
    const byNode = await this.#nodesToDaemonPods(ds, false);
    const create: string[] = [];
    const del: string[] = [];
    const surge = allowsSurge(ds);
    const now = this.#ctx.clock.now();
    const minReady = Number(ds.spec?.minReadySeconds ?? 0);
    const known = new Set<string>();
    for (const node of nodes) {
      const name = node.metadata.name as string;
      known.add(name);
      const { shouldRun, shouldContinueRunning } = this.#shouldRun(node, ds);
      const pods = byNode.get(name);
      if (shouldRun && !pods) {
        create.push(name);
        continue;
      }
      if (!pods) continue;
      if (!shouldContinueRunning) {
        for (const p of pods) if (!p.metadata.deletionTimestamp) del.push(p.metadata.name);
        continue;
      }
      const running: Obj[] = [];
      for (const p of pods) {
        if (p.metadata.deletionTimestamp) continue;
        const phase = p.status?.phase;
        if (phase === 'Failed') {
          // Kubelets that reject a pod make this loop hot: back off per node.
          const bk = `${ds.metadata.uid}/${ds.status?.observedGeneration ?? 0}/${name}`;
          const b = this.#failedBackoff.get(bk);
          if (b && now < b.at + b.delay) {
            this.queue.addAfter(keyOf(ds), b.at + b.delay - now);
            continue;
          }
          this.#failedBackoff.set(bk, { delay: b ? Math.min(b.delay * 2, FAILED_BACKOFF_MAX_MS) : FAILED_BACKOFF_BASE_MS, at: now });
          this.#recorder.event(typed(ds), 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${p.metadata.namespace}/${p.metadata.name} on node ${name}, will try to kill it`);
          del.push(p.metadata.name);
        } else if (phase === 'Succeeded') {
          this.#recorder.event(typed(ds), 'Normal', 'SucceededDaemonPod', `Found succeeded daemon pod ${p.metadata.namespace}/${p.metadata.name} on node ${name}, will try to delete it`);
          del.push(p.metadata.name);
        } else running.push(p);
      }
      if (!surge) {
        // Keep the oldest; a second pod is only ever transient.
        if (running.length > 1) {
          running.sort(byCreation);
          for (let i = 1; i < running.length; i++) del.push(running[i]!.metadata.name);
        }
        continue;
      }
      if (running.length <= 1) {
        if (running.length === 0 && shouldRun) create.push(name);
        continue;
      }
      // Surging: keep the oldest new pod, and the oldest old one only while the new one is not yet available.
      running.sort(byCreation);
      let oldestNew: Obj | undefined;
      let oldestOld: Obj | undefined;
      for (const p of running) {
        if (p.metadata.labels?.[REVISION_LABEL] === hash) {
          if (!oldestNew) {
            oldestNew = p;
            continue;
          }
        } else if (!oldestOld) {
          oldestOld = p;
          continue;
        }
        del.push(p.metadata.name);
      }
      if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodAvailable(oldestNew, minReady, now))) del.push(oldestOld.metadata.name);
    }
    // Unbound pods aimed at nodes that no longer exist would never be scheduled or collected.
    for (const [node, pods] of byNode) {
      if (known.has(node)) continue;
      for (const p of pods) if (!p.spec?.nodeName && !p.metadata.deletionTimestamp) del.push(p.metadata.name);
    }
    await this.#syncNodes(ds, del, create, hash);
  }

  /** syncNodes: create pods for nodes (slow-start batches) and delete pods, with expectations. */
  async #syncNodes(ds: Obj, del: string[], create: string[], hash: string) {
    const key = keyOf(ds);
    const createN = Math.min(create.length, BURST_REPLICAS);
    const deleteN = Math.min(del.length, BURST_REPLICAS);
    if (!createN && !deleteN) return;
    raiseExpectations(this.#expectations, key, createN, deleteN);
    const errors: unknown[] = [];
    const ns = ds.metadata.namespace;
    const pods = this.#ctx.client.pods(ns);
    const template = this.#podTemplate(ds, hash);
    const ref = newControllerRef(typed(ds));
    let pos = 0;
    for (let batch = Math.min(createN, 1); pos < createN; batch = Math.min(2 * batch, createN - pos)) {
      const before = errors.length;
      await Promise.all(
        create.slice(pos, pos + batch).map(async (node) => {
          const pod: Obj = {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { ...template.metadata, generateName: `${ds.metadata.name}-`, namespace: ns, ownerReferences: [ref] },
            spec: { ...template.spec, affinity: nodeNameAffinity(template.spec.affinity, node) },
          };
          try {
            const made = await pods.create(pod);
            this.#recorder.event(typed(ds), 'Normal', 'SuccessfulCreate', `Created pod: ${made.metadata.name}`);
          } catch (e) {
            this.#expectations.creationObserved(key);
            if (e instanceof StatusError && e.status.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')) return;
            this.#recorder.event(typed(ds), 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
            errors.push(e);
          }
        }),
      );
      pos += batch;
      if (errors.length > before && pos < createN) {
        // Slow start: stop after a failing batch; the rest are not expected.
        this.#expectations.lowerExpectations(key, createN - pos, 0);
        break;
      }
    }
    await Promise.all(
      del.slice(0, deleteN).map(async (name) => {
        try {
          await pods.delete(name);
          this.#recorder.event(typed(ds), 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
        } catch (e) {
          this.#expectations.deletionObserved(key);
          if (isNotFound(e)) return;
          this.#recorder.event(typed(ds), 'Warning', 'FailedDelete', `Error deleting: ${(e as Error).message}`);
          errors.push(e);
        }
      }),
    );
    if (errors.length) throw errors[0];
  }

  /** CreatePodTemplate: the template with the default tolerations and the revision labels. */
  #podTemplate(ds: Obj, hash: string): { metadata: Obj; spec: Obj } {
    const t = ds.spec?.template ?? {};
    const labels: Record<string, string> = { ...(t.metadata?.labels ?? {}) };
    const gen = templateGeneration(ds);
    if (gen !== undefined) labels[TEMPLATE_GENERATION_LABEL] = gen;
    if (hash) labels[REVISION_LABEL] = hash;
    const metadata: Obj = { labels };
    if (t.metadata?.annotations) metadata.annotations = { ...t.metadata.annotations };
    if (t.metadata?.finalizers) metadata.finalizers = [...t.metadata.finalizers];
    const spec = structuredClone(t.spec ?? {});
    spec.tolerations = withDaemonTolerations(spec);
    return { metadata, spec };
  }

  // --- rolling update -------------------------------------------------------------------------

  /** The new and old pod on a node, or ok=false when there are several of either. */
  #updatedAndOld(pods: Obj[], hash: string, gen: string | undefined): { newPod?: Obj; oldPod?: Obj; ok: boolean } {
    let newPod: Obj | undefined;
    let oldPod: Obj | undefined;
    for (const p of pods) {
      if (p.metadata.deletionTimestamp) continue;
      if (isPodUpdated(p, hash, gen)) {
        if (newPod) return { ok: false };
        newPod = p;
      } else {
        if (oldPod) return { ok: false };
        oldPod = p;
      }
    }
    return { newPod, oldPod, ok: true };
  }

  async #rollingUpdate(ds: Obj, nodes: Obj[], hash: string) {
    const byNode = await this.#nodesToDaemonPods(ds, false);
    let desired = 0;
    for (const n of nodes) {
      if (!this.#shouldRun(n, ds).shouldRun) continue;
      desired++;
      if (!byNode.has(n.metadata.name)) byNode.set(n.metadata.name, []);
    }
    const ru = ds.spec?.updateStrategy?.rollingUpdate ?? {};
    let maxUnavailable = getScaledValueFromIntOrPercent(ru.maxUnavailable ?? 1, desired, true);
    const maxSurge = getScaledValueFromIntOrPercent(ru.maxSurge ?? 0, desired, true);
    if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
    const now = this.#ctx.clock.now();
    const minReady = Number(ds.spec?.minReadySeconds ?? 0);
    const gen = templateGeneration(ds);

    if (maxSurge === 0) {
      let unavailable = 0;
      const replace: string[] = [];
      const candidates: string[] = [];
      for (const pods of byNode.values()) {
        const { newPod, oldPod, ok } = this.#updatedAndOld(pods, hash, gen);
        if (!ok) {
          unavailable++;
          continue;
        }
        if ((!oldPod && !newPod) || (oldPod && newPod)) unavailable++;
        else if (newPod) {
          if (!isPodAvailable(newPod, minReady, now)) unavailable++;
        } else if (!isPodAvailable(oldPod!, minReady, now)) replace.push(oldPod!.metadata.name);
        else if (unavailable < maxUnavailable) candidates.push(oldPod!.metadata.name);
      }
      const room = Math.min(Math.max(0, maxUnavailable - unavailable), candidates.length);
      await this.#syncNodes(ds, [...replace, ...candidates.slice(0, room)], [], hash);
      return;
    }

    let surging = 0;
    const allowedNew: string[] = [];
    const candidateNew: string[] = [];
    const oldToDelete: string[] = [];
    for (const [node, pods] of byNode) {
      const { newPod, oldPod, ok } = this.#updatedAndOld(pods, hash, gen);
      if (!ok) {
        surging++;
        continue;
      }
      if (!oldPod) continue;
      if (!newPod) {
        if (!isPodAvailable(oldPod, minReady, now)) allowedNew.push(node);
        else if (surging < maxSurge) candidateNew.push(node);
        continue;
      }
      if (!isPodAvailable(newPod, minReady, now)) {
        surging++;
        const wait = msUntilAvailable(newPod, minReady, now);
        if (wait > 0) this.queue.addAfter(keyOf(ds), wait);
        continue;
      }
      oldToDelete.push(oldPod.metadata.name);
    }
    const room = Math.min(Math.max(0, maxSurge - surging), candidateNew.length);
    await this.#syncNodes(ds, oldToDelete, [...allowedNew, ...candidateNew.slice(0, room)], hash);
  }

  // --- history ----------------------------------------------------------------------------------

  /** constructHistory: the revision matching the template (made if missing, renumbered to be newest) and the rest. */
  async #constructHistory(ds: Obj): Promise<{ cur: Obj; old: Obj[] }> {
    const ns = ds.metadata.namespace;
    const rc = this.#ctx.client.resource('apps', 'controllerrevisions', ns);
    const sel = this.#selector(ds);
    const listed = listRevisions(this.#revisions, ns, ds.metadata.uid, sel);
    let histories = listed.owned;
    if (listed.orphans.length) {
      histories = [...histories, ...(await claimObjects({ owner: typed(ds), selector: sel, owned: [], orphans: listed.orphans, client: rc }))];
    }
    const patch = canonicalJson(templatePatch(ds.spec?.template));
    const current: Obj[] = [];
    const old: Obj[] = [];
    for (let h of histories) {
      if (!h.metadata.labels?.[REVISION_LABEL]) {
        // Older revisions lack the hash label: use the name, as upstream.
        h = await rc.patch(h.metadata.name, 'merge', { metadata: { labels: { [REVISION_LABEL]: h.metadata.name } } });
      }
      if (revisionDataKey(h) === patch) current.push(h);
      else old.push(h);
    }
    let maxOld = 0;
    for (const h of old) maxOld = Math.max(maxOld, Number(h.revision ?? 0));
    const next = maxOld + 1;
    let cur: Obj;
    if (!current.length) cur = await this.#snapshot(ds, next);
    else {
      cur = await this.#dedup(ds, current);
      if (Number(cur.revision ?? 0) < next) {
        for (let attempt = 0; ; attempt++) {
          try {
            cur = await rc.update({ ...cur, revision: next });
            break;
          } catch (e) {
            if (!isConflict(e) || attempt >= 5) throw e;
            cur = await rc.get(cur.metadata.name);
          }
        }
      }
    }
    return { cur, old };
  }

  /** Several revisions with the current data: keep the newest, move pods' hash labels to it, delete the rest. */
  async #dedup(ds: Obj, current: Obj[]): Promise<Obj> {
    if (current.length === 1) return current[0]!;
    sortRevisions(current);
    const keep = current[current.length - 1]!;
    const keepHash = keep.metadata.labels?.[REVISION_LABEL];
    const pods = this.#ctx.client.pods(ds.metadata.namespace);
    for (const dup of current.slice(0, -1)) {
      const dupHash = dup.metadata.labels?.[REVISION_LABEL];
      for (const p of this.#pods.byIndex(OWNER_INDEX, ds.metadata.uid)) {
        if (p.metadata.labels?.[REVISION_LABEL] !== dupHash) continue;
        try {
          await pods.patch(p.metadata.name, 'merge', { metadata: { labels: { [REVISION_LABEL]: keepHash } } });
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
      await deleteRevision(this.#ctx.client, dup);
    }
    return keep;
  }

  /** snapshot: a new revision `<ds>-<hash>`; a different revision with that name bumps collisionCount. */
  async #snapshot(ds: Obj, revision: number): Promise<Obj> {
    const ns = ds.metadata.namespace;
    const rc = this.#ctx.client.resource('apps', 'controllerrevisions', ns);
    const collisionCount = ds.status?.collisionCount;
    const hash = templateHash(ds.spec?.template, collisionCount);
    const history: Obj = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name: controllerRevisionName(ds.metadata.name, hash),
        namespace: ns,
        labels: { ...(ds.spec?.template?.metadata?.labels ?? {}), [REVISION_LABEL]: hash },
        ...(ds.metadata.annotations ? { annotations: { ...ds.metadata.annotations } } : {}),
        ownerReferences: [newControllerRef(typed(ds))],
      },
      data: templatePatch(ds.spec?.template),
      revision,
    };
    try {
      return await rc.create(history);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    const existing = await rc.get(history.metadata.name);
    if (revisionDataKey(existing) === canonicalJson(history.data)) return existing;
    const dsClient = this.#ctx.client.resource('apps', 'daemonsets', ns);
    const fresh = await dsClient.get(ds.metadata.name);
    const bumped = Number(fresh.status?.collisionCount ?? 0) + 1;
    await dsClient.updateStatus({ ...fresh, status: { ...(fresh.status ?? {}), collisionCount: bumped } });
    throw new Error(`found a hash collision for DaemonSet "${ds.metadata.name}" - bumping collisionCount to ${bumped} to resolve it`);
  }

  /** cleanupHistory: delete the oldest revisions no pod uses beyond revisionHistoryLimit. */
  async #cleanupHistory(ds: Obj, old: Obj[]) {
    const limit = Number(ds.spec?.revisionHistoryLimit ?? 10);
    let toKill = old.length - limit;
    if (toKill <= 0) return;
    const live = new Set<string>();
    for (const pods of (await this.#nodesToDaemonPods(ds, false)).values()) {
      for (const p of pods) {
        const h = p.metadata.labels?.[REVISION_LABEL];
        if (h) live.add(h);
      }
    }
    for (const h of sortRevisions([...old])) {
      if (toKill <= 0) break;
      if (live.has(h.metadata.labels?.[REVISION_LABEL])) continue;
      await deleteRevision(this.#ctx.client, h);
      toKill--;
    }
  }

  // --- status -----------------------------------------------------------------------------------

  async #updateStatus(ds: Obj, nodes: Obj[], hash: string, observed: boolean) {
    const byNode = await this.#nodesToDaemonPods(ds, false);
    const now = this.#ctx.clock.now();
    const minReady = Number(ds.spec?.minReadySeconds ?? 0);
    const gen = templateGeneration(ds);
    let desired = 0;
    let scheduled = 0;
    let misscheduled = 0;
    let ready = 0;
    let updated = 0;
    let available = 0;
    for (const node of nodes) {
      const { shouldRun } = this.#shouldRun(node, ds);
      const pods = byNode.get(node.metadata.name);
      if (!shouldRun) {
        if (pods?.length) misscheduled++;
        continue;
      }
      desired++;
      if (!pods?.length) continue;
      scheduled++;
      const pod = pods.length > 1 ? [...pods].sort(byCreation)[0]! : pods[0]!;
      if (isPodReady(pod)) {
        ready++;
        if (isPodAvailable(pod, minReady, now)) available++;
      }
      if (isPodUpdated(pod, hash, gen)) updated++;
    }
    const status = {
      desiredNumberScheduled: desired,
      currentNumberScheduled: scheduled,
      numberMisscheduled: misscheduled,
      numberReady: ready,
      updatedNumberScheduled: updated,
      numberAvailable: available,
      numberUnavailable: desired - available,
    };
    const cur = ds.status ?? {};
    const generation = Number(ds.metadata.generation ?? 0);
    const same = (Object.keys(status) as (keyof typeof status)[]).every((k) => Number(cur[k] ?? 0) === status[k]) && Number(cur.observedGeneration ?? 0) >= generation;
    if (!same) {
      const client = this.#ctx.client.resource('apps', 'daemonsets', ds.metadata.namespace);
      let obj = ds;
      for (let attempt = 0; ; attempt++) {
        const next: Obj = { ...(obj.status ?? {}), ...status };
        if (observed) next.observedGeneration = generation;
        try {
          await client.updateStatus({ ...obj, status: next });
          break;
        } catch (e) {
          if (isNotFound(e)) return;
          if (!isConflict(e) || attempt >= 1) throw e;
          obj = await client.get(ds.metadata.name);
          if (obj.metadata.uid !== ds.metadata.uid) return;
        }
      }
    }
    if (minReady > 0 && ready !== available) this.queue.addAfter(keyOf(ds), minReady * 1000);
  }
}
