// The garbage collector's dependency graph, as upstream's GraphBuilder (pkg/controller/garbagecollector/graph.go,
// graph_builder.go): one node per object uid, edges from owners to dependents; owners that no informer
// has shown yet are "virtual" nodes that the collector verifies with a live lookup.
import type { Obj } from '../../client/types.ts';

export interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** Which API resource a node lives in. */
export interface NodeResource {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
}

export class GraphNode {
  uid: string;
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  /** Known for observed nodes; looked up from apiVersion/kind for virtual ones. */
  res: NodeResource | undefined;
  owners: OwnerRef[] = [];
  dependents = new Set<GraphNode>();
  /** Seen through an informer; false for an owner only named by a dependent's ownerReference. */
  observed: boolean;
  beingDeleted = false;
  /** Being deleted in the foreground: waits for its blocking dependents. */
  deletingDependents = false;

  constructor(uid: string, apiVersion: string, kind: string, namespace: string, name: string, res: NodeResource | undefined, observed: boolean) {
    this.uid = uid;
    this.apiVersion = apiVersion;
    this.kind = kind;
    this.namespace = namespace;
    this.name = name;
    this.res = res;
    this.observed = observed;
  }

  /** Dependents whose reference to this node has blockOwnerDeletion. */
  blockingDependents(): GraphNode[] {
    const out: GraphNode[] = [];
    for (const d of this.dependents) if (d.owners.some((o) => o.uid === this.uid && o.blockOwnerDeletion === true)) out.push(d);
    return out;
  }
}

/** What the graph asks its user to do after a change: work to queue. */
export interface GraphSink {
  attemptToDelete(n: GraphNode): void;
  attemptToOrphan(n: GraphNode): void;
  /** Whether the owner uid is known to be absent (a recent lookup found nothing). */
  isAbsent(uid: string): boolean;
  markAbsent(uid: string): void;
  resolve(apiVersion: string, kind: string): NodeResource | undefined;
}

function sameOwners(a: OwnerRef[], b: OwnerRef[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.uid !== y.uid || x.blockOwnerDeletion !== y.blockOwnerDeletion || x.name !== y.name || x.kind !== y.kind) return false;
  }
  return true;
}

export function hasFinalizer(obj: { metadata?: { finalizers?: string[] } }, f: string): boolean {
  return (obj.metadata?.finalizers ?? []).includes(f);
}

export const FOREGROUND = 'foregroundDeletion';
export const ORPHAN = 'orphan';

export class Graph {
  readonly nodes = new Map<string, GraphNode>();
  #sink: GraphSink;

  constructor(sink: GraphSink) {
    this.#sink = sink;
  }

  get size(): number {
    return this.nodes.size;
  }

  /** An informer showed the object (added or updated). */
  observe(res: NodeResource, obj: Obj): void {
    const m = obj.metadata ?? {};
    const uid: string | undefined = m.uid;
    if (!uid) return;
    const owners: OwnerRef[] = m.ownerReferences ?? [];
    const apiVersion = res.group ? `${res.group}/${res.version}` : res.version;
    let n = this.nodes.get(uid);
    if (!n) {
      n = new GraphNode(uid, apiVersion, res.kind, m.namespace ?? '', m.name, res, true);
      this.nodes.set(uid, n);
    } else if (!n.observed) {
      n.observed = true;
      n.apiVersion = apiVersion;
      n.kind = res.kind;
      n.namespace = m.namespace ?? '';
      n.name = m.name;
      n.res = res;
    }
    if (!sameOwners(n.owners, owners)) this.#setOwners(n, owners);

    const beingDeleted = !!m.deletionTimestamp;
    n.beingDeleted = beingDeleted;
    if (!beingDeleted) return;
    if (hasFinalizer(obj, ORPHAN)) this.#sink.attemptToOrphan(n);
    if (hasFinalizer(obj, FOREGROUND)) {
      if (!n.deletingDependents) {
        n.deletingDependents = true;
        for (const d of n.dependents) this.#sink.attemptToDelete(d);
      }
      this.#sink.attemptToDelete(n);
    }
  }

  /** An informer showed the object's deletion. */
  remove(uid: string): void {
    const n = this.nodes.get(uid);
    if (!n) return;
    this.#removeNode(n);
  }

  /** A virtual owner was verified absent: take it out and let its dependents be collected. */
  removeVirtual(n: GraphNode): void {
    if (this.nodes.get(n.uid) !== n || n.observed) return;
    this.#removeNode(n);
  }

  #removeNode(n: GraphNode) {
    this.nodes.delete(n.uid);
    for (const o of n.owners) {
      const owner = this.nodes.get(o.uid);
      if (!owner) continue;
      owner.dependents.delete(n);
      if (owner.deletingDependents) this.#sink.attemptToDelete(owner);
      // A virtual owner nobody points at any more is dropped.
      if (!owner.observed && owner.dependents.size === 0) this.nodes.delete(owner.uid);
    }
    if (n.dependents.size > 0) {
      this.#sink.markAbsent(n.uid);
      for (const d of n.dependents) this.#sink.attemptToDelete(d);
    }
  }

  #setOwners(n: GraphNode, owners: OwnerRef[]) {
    const before = new Map(n.owners.map((o) => [o.uid, o]));
    const after = new Map(owners.map((o) => [o.uid, o]));
    for (const [uid, o] of before) {
      const owner = this.nodes.get(uid);
      if (!owner) continue;
      const now = after.get(uid);
      if (!now) {
        owner.dependents.delete(n);
        if (!owner.observed && owner.dependents.size === 0) this.nodes.delete(uid);
        if (owner.deletingDependents) this.#sink.attemptToDelete(owner);
      } else if (o.blockOwnerDeletion === true && now.blockOwnerDeletion !== true && owner.deletingDependents) {
        this.#sink.attemptToDelete(owner);
      }
    }
    n.owners = owners;
    for (const [uid, o] of after) {
      if (before.has(uid)) continue;
      let owner = this.nodes.get(uid);
      if (!owner) {
        const res = this.#sink.resolve(o.apiVersion, o.kind);
        const ns = res && !res.namespaced ? '' : n.namespace;
        owner = new GraphNode(uid, o.apiVersion, o.kind, ns, o.name, res, false);
        this.nodes.set(uid, owner);
        // Verify the owner exists; if it does not, its dependents are garbage.
        this.#sink.attemptToDelete(owner);
      }
      owner.dependents.add(n);
      if (owner.deletingDependents || this.#sink.isAbsent(uid)) this.#sink.attemptToDelete(n);
    }
  }
}
