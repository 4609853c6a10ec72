// The garbage collector, as kube-controller-manager's (pkg/controller/garbagecollector): a graph of
// owners and dependents from informers over every resource that can be deleted; Background deletion
// removes dependents whose owners are all gone (verified with a live lookup), Foreground deletion
// deletes an owner's dependents before removing its `foregroundDeletion` finalizer, and Orphan
// deletion strips the owner's references from its dependents before removing its `orphan` finalizer.
import { builtinResources } from '../../api/resources.ts';
import { Informer } from '../../client/informer.ts';
import { WorkQueue, runWorkers } from '../../client/workqueue.ts';
import type { KubeClient, ResourceClient } from '../../client/client.ts';
import type { Obj } from '../../client/types.ts';
import { isConflict, isNotFound } from '../../machinery/errors.ts';
import type { Controller, ControllerContext, ControllerFactory } from '../manager.ts';
import { FOREGROUND, Graph, GraphNode, ORPHAN, hasFinalizer, type NodeResource, type OwnerRef } from './graph.ts';

export { Graph, GraphNode } from './graph.ts';
export type { NodeResource, OwnerRef } from './graph.ts';

/** Resources the collector never watches (upstream's default ignored resources). */
const IGNORED = new Set(['/events', 'events.k8s.io/events']);

/** Upstream's --concurrent-gc-syncs. */
const GC_WORKERS = 20;
/** How many absent owners to remember (upstream keeps an LRU of 500). */
const ABSENT_CACHE = 10_000;
const PATCH_RETRIES = 5;

/** Every served built-in resource the collector can list, watch and delete (one version each). */
export function collectableResources(): NodeResource[] {
  const seen = new Set<string>();
  const out: NodeResource[] = [];
  for (const r of builtinResources) {
    const gr = `${r.group}/${r.resource}`;
    if (r.served === false || seen.has(gr) || IGNORED.has(gr)) continue;
    if (!['list', 'watch', 'delete'].every((v) => r.verbs.includes(v))) continue;
    seen.add(gr);
    out.push({ group: r.group, version: r.version, resource: r.resource, kind: r.kind, namespaced: r.namespaced });
  }
  return out;
}

/** Thrown to re-queue a key with back-off without it counting as a failure worth reporting. */
class Requeue extends Error {}

function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

export class GarbageCollector implements Controller {
  readonly name = 'garbage-collector-controller';
  readonly graph: Graph;
  #ctx: ControllerContext;
  #client: KubeClient;
  #deleteQueue: WorkQueue;
  #orphanQueue: WorkQueue;
  #absent = new Set<string>();
  /** group/kind → resource, for owners named only by reference. */
  #kinds = new Map<string, NodeResource>();
  #informers: Informer[] = [];
  #watched = new Set<string>();
  #started = false;
  #stopped = false;

  constructor(ctx: ControllerContext, resources: NodeResource[] = collectableResources()) {
    this.#ctx = ctx;
    this.#client = ctx.client;
    this.#deleteQueue = new WorkQueue({ clock: ctx.clock });
    this.#orphanQueue = new WorkQueue({ clock: ctx.clock });
    this.graph = new Graph({
      attemptToDelete: (n) => this.#deleteQueue.add(n.uid),
      attemptToOrphan: (n) => this.#orphanQueue.add(n.uid),
      isAbsent: (uid) => this.#absent.has(uid),
      markAbsent: (uid) => this.#markAbsent(uid),
      resolve: (apiVersion, kind) => this.#resolve(apiVersion, kind),
    });
    for (const r of resources) this.#kinds.set(`${r.group}/${r.kind}`, r);
    for (const r of resources) this.#watch(r);
  }

  /**
   * Watches one more resource (a custom resource, say) for owner references; works before or
   * after start. Built-in resources share the process's informers.
   */
  addResource(r: NodeResource): void {
    this.#kinds.set(`${r.group}/${r.kind}`, r);
    const inf = this.#watch(r);
    if (inf && this.#started) inf.start();
  }

  #watch(r: NodeResource): Informer | undefined {
    const gr = `${r.group}/${r.resource}`;
    if (this.#watched.has(gr)) return undefined;
    this.#watched.add(gr);
    const builtin = builtinResources.some((b) => b.group === r.group && b.resource === r.resource && b.served !== false);
    const inf = builtin
      ? this.#ctx.informers.informer(r.group, r.resource)
      : new Informer(this.#client.custom({ group: r.group, version: r.version, resource: r.resource, namespaced: r.namespaced }), { clock: this.#ctx.clock });
    inf.addEventHandler({
      add: (o) => this.graph.observe(r, o),
      update: (_old, o) => this.graph.observe(r, o),
      delete: (o) => this.graph.remove(o.metadata?.uid),
    });
    this.#informers.push(inf);
    return inf;
  }

  #resolve(apiVersion: string, kind: string): NodeResource | undefined {
    return this.#kinds.get(`${groupOf(apiVersion)}/${kind}`);
  }

  #markAbsent(uid: string) {
    this.#absent.add(uid);
    if (this.#absent.size > ABSENT_CACHE) this.#absent.delete(this.#absent.values().next().value!);
  }

  start(): void {
    this.#started = true;
    void this.#run();
  }

  async #run(): Promise<void> {
    // Our own informers (custom resources) are not started by the factory.
    for (const inf of this.#informers) if (!this.#isShared(inf)) inf.start();
    await Promise.all(this.#informers.map((i) => i.synced()));
    if (this.#stopped) return;
    void runWorkers(this.#deleteQueue, GC_WORKERS, (uid) => this.#attemptToDelete(uid), (_k, e) => this.#report(e));
    void runWorkers(this.#orphanQueue, GC_WORKERS, (uid) => this.#attemptToOrphan(uid), (_k, e) => this.#report(e));
  }

  #isShared(inf: Informer): boolean {
    const { group, resource } = inf.client.gvr;
    return builtinResources.some((b) => b.group === group && b.resource === resource && b.served !== false);
  }

  #report(e: unknown) {
    if (e instanceof Requeue) return;
    if (process.env.SKIFF_DEBUG) console.error('garbage collector:', e);
  }

  stop(): void {
    this.#stopped = true;
    this.#deleteQueue.shutDown();
    this.#orphanQueue.shutDown();
    for (const inf of this.#informers) if (!this.#isShared(inf)) inf.stop();
  }

  #rc(res: NodeResource, namespace: string): ResourceClient {
    return this.#client.custom({ group: res.group, version: res.version, resource: res.resource, namespaced: res.namespaced }, res.namespaced ? namespace : '');
  }

  async #getLive(res: NodeResource, namespace: string, name: string): Promise<Obj | undefined> {
    try {
      return await this.#rc(res, namespace).get(name);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  // --- attemptToDelete ------------------------------------------------------------------------

  async #attemptToDelete(uid: string): Promise<void> {
    const n = this.graph.nodes.get(uid);
    if (!n) return;
    if (!n.observed) return this.#verifyVirtual(n);
    if (n.beingDeleted && !n.deletingDependents) return;
    const res = n.res!;
    const latest = await this.#getLive(res, n.namespace, n.name);
    // Gone or replaced: the informer will tell us.
    if (!latest || latest.metadata.uid !== uid) return;
    if (n.deletingDependents) return this.#processDeletingDependents(n);

    const refs: OwnerRef[] = latest.metadata.ownerReferences ?? [];
    if (refs.length === 0) return;
    const solid: OwnerRef[] = [];
    const dangling: OwnerRef[] = [];
    const waiting: OwnerRef[] = [];
    for (const ref of refs) {
      const state = await this.#ownerState(ref, n);
      if (state === 'invalid') return; // a cluster-scoped object cannot have a namespaced owner; retrying will not help
      if (state === 'dangling') dangling.push(ref);
      else if (state === 'waiting') waiting.push(ref);
      else solid.push(ref);
    }

    if (solid.length > 0) {
      // A live owner keeps it; references to owners that are gone or being deleted in the foreground go.
      if (dangling.length === 0 && waiting.length === 0) return;
      await this.#removeOwnerRefs(n, new Set([...dangling, ...waiting].map((r) => r.uid)));
      return;
    }
    if (waiting.length > 0 && n.dependents.size > 0) {
      // An owner waits in the foreground and this object has dependents of its own: delete it in the
      // foreground too. If one of its dependents already waits on its own dependents, unblock our
      // references first so the two cannot wait on each other.
      for (const d of n.dependents) {
        if (d.deletingDependents) {
          await this.#unblockOwnerRefs(n, new Set(waiting.map((r) => r.uid)));
          break;
        }
      }
      await this.#delete(n, 'Foreground');
      return;
    }
    const policy = hasFinalizer(latest, ORPHAN) ? 'Orphan' : hasFinalizer(latest, FOREGROUND) ? 'Foreground' : 'Background';
    await this.#delete(n, policy);
  }

  /** Whether an owner reference points at a live owner, one being deleted in the foreground, or nothing. */
  async #ownerState(ref: OwnerRef, n: GraphNode): Promise<'solid' | 'dangling' | 'waiting' | 'invalid'> {
    if (this.#absent.has(ref.uid)) return 'dangling';
    const res = this.#resolve(ref.apiVersion, ref.kind);
    if (!res) return 'solid'; // an owner kind we cannot look up: never collect on a guess
    if (res.namespaced && !n.namespace) return 'invalid';
    const owner = await this.#getLive(res, n.namespace, ref.name);
    if (!owner || owner.metadata.uid !== ref.uid) {
      this.#markAbsent(ref.uid);
      return 'dangling';
    }
    if (owner.metadata.deletionTimestamp && hasFinalizer(owner, FOREGROUND)) return 'waiting';
    return 'solid';
  }

  async #verifyVirtual(n: GraphNode): Promise<void> {
    const res = n.res ?? this.#resolve(n.apiVersion, n.kind);
    if (!res) return;
    if (res.namespaced && !n.namespace) {
      // Named by a cluster-scoped dependent: not a valid owner.
      return;
    }
    const live = await this.#getLive(res, n.namespace, n.name);
    if (!live || live.metadata.uid !== n.uid) {
      this.#markAbsent(n.uid);
      this.graph.removeVirtual(n);
      return;
    }
    // It exists but our informer has not shown it yet: look again later (unless nothing watches its kind).
    if (!n.observed && this.#watched.has(`${res.group}/${res.resource}`)) throw new Requeue('owner not observed yet');
  }

  async #processDeletingDependents(n: GraphNode): Promise<void> {
    const blocking = n.blockingDependents();
    if (blocking.length === 0) {
      await this.#removeFinalizer(n, FOREGROUND);
      return;
    }
    for (const d of blocking) if (!d.deletingDependents) this.#deleteQueue.add(d.uid);
  }

  async #delete(n: GraphNode, policy: 'Foreground' | 'Background' | 'Orphan'): Promise<void> {
    try {
      await this.#rc(n.res!, n.namespace).delete(n.name, { preconditions: { uid: n.uid }, propagationPolicy: policy });
    } catch (e) {
      if (isNotFound(e) || isConflict(e)) return;
      throw e;
    }
  }

  // --- patches guarded by resourceVersion -------------------------------------------------------

  /** Re-reads the object and applies `change` as a merge patch guarded by its uid and resourceVersion; retries on conflict. */
  async #guardedPatch(n: GraphNode, change: (latest: Obj) => Record<string, unknown> | undefined): Promise<void> {
    const rc = this.#rc(n.res!, n.namespace);
    for (let attempt = 0; ; attempt++) {
      const latest = await this.#getLive(n.res!, n.namespace, n.name);
      if (!latest || latest.metadata.uid !== n.uid) return;
      const meta = change(latest);
      if (!meta) return;
      try {
        await rc.patch(n.name, 'merge', { metadata: { uid: n.uid, resourceVersion: latest.metadata.resourceVersion, ...meta } });
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        if (isConflict(e) && attempt < PATCH_RETRIES) continue;
        throw e;
      }
    }
  }

  #removeOwnerRefs(n: GraphNode, uids: Set<string>): Promise<void> {
    return this.#guardedPatch(n, (latest) => {
      const refs: OwnerRef[] = latest.metadata.ownerReferences ?? [];
      const keep = refs.filter((r) => !uids.has(r.uid));
      if (keep.length === refs.length) return undefined;
      return { ownerReferences: keep.length ? keep : null };
    });
  }

  #unblockOwnerRefs(n: GraphNode, uids: Set<string>): Promise<void> {
    return this.#guardedPatch(n, (latest) => {
      const refs: OwnerRef[] = latest.metadata.ownerReferences ?? [];
      if (!refs.some((r) => uids.has(r.uid) && r.blockOwnerDeletion)) return undefined;
      return { ownerReferences: refs.map((r) => (uids.has(r.uid) ? { ...r, blockOwnerDeletion: false } : r)) };
    });
  }

  #removeFinalizer(n: GraphNode, finalizer: string): Promise<void> {
    return this.#guardedPatch(n, (latest) => {
      const fins: string[] = latest.metadata.finalizers ?? [];
      if (!fins.includes(finalizer)) return undefined;
      const keep = fins.filter((f) => f !== finalizer);
      return { finalizers: keep.length ? keep : null };
    });
  }

  // --- attemptToOrphan ------------------------------------------------------------------------

  async #attemptToOrphan(uid: string): Promise<void> {
    const n = this.graph.nodes.get(uid);
    if (!n || !n.observed) return;
    const errors: unknown[] = [];
    await Promise.all(
      [...n.dependents].map((d) =>
        d.observed
          ? this.#removeOwnerRefs(d, new Set([uid])).catch((e) => {
              errors.push(e);
            })
          : undefined,
      ),
    );
    if (errors.length) throw errors[0];
    await this.#removeFinalizer(n, ORPHAN);
  }

  /** For tests and diagnostics: the uids of a node's dependents. */
  dependentsOf(uid: string): string[] {
    return [...(this.graph.nodes.get(uid)?.dependents ?? [])].map((d) => d.uid);
  }

  /** For tests: resolves once the graph has every watched resource loaded. */
  async synced(): Promise<void> {
    await Promise.all(this.#informers.map((i) => i.synced()));
  }
}

export const garbageCollectorController: ControllerFactory = (ctx) => new GarbageCollector(ctx);
