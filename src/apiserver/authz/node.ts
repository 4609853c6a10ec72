// The Node authorizer (plugin/pkg/auth/authorizer/node): a kubelet, authenticated as
// `system:node:<name>` in the group system:nodes, may read only the secrets, configmaps,
// persistent volume claims and volumes, and service accounts (tokens) that pods bound to its node
// use, only its own Node and Lease, and pods bound to it; a graph of pod → node, object → pod and
// PV → PVC edges, fed by watches, answers "is there a path from this object to that node". Other
// resources get the static system:node rules. Anything refused is "no opinion" with a reason,
// so a later authorizer (RBAC) may still allow it.
import type { Attributes, Decision } from '../reviews.ts';
import type { Obj, UserInfo } from '../types.ts';
import { noOpinion, type Authorizer, type RuleSet } from './chain.ts';
import { nodeRules } from './bootstrap.ts';
import { rulesAllow, type PolicyRule } from './rules.ts';

export const NODE_USER_PREFIX = 'system:node:';
export const NODES_GROUP = 'system:nodes';

/** What the node authorizer can use besides the RequestInfo: the request's field selector. */
export interface NodeAttributes extends Attributes {
  /** The `fieldSelector` query parameter of a list or watch, if any. */
  fieldSelector?: string;
}

type RefKind = 'secret' | 'configmap' | 'pvc' | 'serviceaccount' | 'pod';
const refKey = (kind: RefKind, ns: string, name: string) => `${kind}/${ns}/${name}`;

/** Every object a pod uses, as ref keys (upstream graph_populator's pod edges). */
export function podReferences(pod: Obj): string[] {
  const ns: string = pod.metadata?.namespace ?? '';
  const out = new Set<string>();
  const add = (kind: RefKind, name: unknown) => {
    if (typeof name === 'string' && name) out.add(refKey(kind, ns, name));
  };
  const spec = pod.spec ?? {};
  add('serviceaccount', spec.serviceAccountName || 'default');
  for (const s of spec.imagePullSecrets ?? []) add('secret', s?.name);
  for (const list of [spec.containers, spec.initContainers, spec.ephemeralContainers]) {
    for (const c of list ?? []) {
      for (const e of c?.env ?? []) {
        add('secret', e?.valueFrom?.secretKeyRef?.name);
        add('configmap', e?.valueFrom?.configMapKeyRef?.name);
      }
      for (const e of c?.envFrom ?? []) {
        add('secret', e?.secretRef?.name);
        add('configmap', e?.configMapRef?.name);
      }
    }
  }
  for (const v of spec.volumes ?? []) {
    if (!v) continue;
    add('secret', v.secret?.secretName);
    add('configmap', v.configMap?.name);
    for (const src of v.projected?.sources ?? []) {
      add('secret', src?.secret?.name);
      add('configmap', src?.configMap?.name);
    }
    add('pvc', v.persistentVolumeClaim?.claimName);
    // A generic ephemeral volume's claim is named <pod>-<volume>.
    if (v.ephemeral && pod.metadata?.name) add('pvc', `${pod.metadata.name}-${v.name}`);
    add('secret', v.azureFile?.secretName);
    for (const ref of [v.csi?.nodePublishSecretRef, v.cephfs?.secretRef, v.cinder?.secretRef, v.flexVolume?.secretRef, v.iscsi?.secretRef, v.rbd?.secretRef, v.scaleIO?.secretRef, v.storageos?.secretRef]) add('secret', ref?.name);
  }
  return [...out];
}

/** The secrets a PersistentVolume's source names, as ref keys. */
function pvSecretRefs(pv: Obj): string[] {
  const s = pv.spec ?? {};
  const claimNs: string = s.claimRef?.namespace ?? '';
  const out = new Set<string>();
  const add = (ref: Obj | undefined, defaultNs = '') => {
    if (ref?.name) out.add(refKey('secret', ref.namespace || defaultNs, ref.name));
  };
  for (const ref of [s.csi?.nodePublishSecretRef, s.csi?.nodeStageSecretRef, s.csi?.controllerPublishSecretRef, s.csi?.controllerExpandSecretRef, s.csi?.nodeExpandSecretRef, s.cephfs?.secretRef, s.cinder?.secretRef, s.flexVolume?.secretRef, s.iscsi?.secretRef, s.rbd?.secretRef, s.scaleIO?.secretRef, s.storageos?.secretRef]) {
    add(ref, claimNs);
  }
  if (s.azureFile?.secretName) add({ name: s.azureFile.secretName, namespace: s.azureFile.secretNamespace }, claimNs || 'default');
  return [...out];
}

/** Anything that delivers add/update/delete events (an Informer, or the API server's watch cache through `watchStores`). */
export interface EventSource {
  addEventHandler(h: { add?(o: Obj): void; update?(old: Obj, o: Obj): void; delete?(o: Obj): void }): void;
}

/** The part of the API server `watchStores` needs (ApiServer satisfies it). */
export interface CacheSource {
  store(group: string, resource: string): { cache: { watch(fromRv: number | undefined, filter: (o: Obj) => boolean, w: { send(type: string, ev: { obj: Obj; prev?: Obj }): void; fail(err: Error): void }): Promise<() => void> } } | undefined;
}

export class NodeGraph {
  /**
   * pod key → its node and what it references (and the uid and the ephemeralContainers list they
   * were taken from: the stored objects are never edited, so the same list means the same containers).
   */
  #pods = new Map<string, { node: string; uid: string | undefined; ephemeral: unknown; refs: string[] }>();
  /** ref key → node → how many pods on that node reference it. */
  #reach = new Map<string, Map<string, number>>();
  /** PV name → the claims bound to it (claimRef, and PVC spec.volumeName). */
  #pvClaims = new Map<string, Set<string>>();
  #pvRefs = new Map<string, { claim?: string; secrets: string[] }>();
  #pvcVolume = new Map<string, string>();
  /** secret key → PVs whose source names it. */
  #secretPVs = new Map<string, Set<string>>();

  #count(ref: string, node: string, delta: number) {
    let m = this.#reach.get(ref);
    if (!m) this.#reach.set(ref, (m = new Map()));
    const n = (m.get(node) ?? 0) + delta;
    if (n > 0) m.set(node, n);
    else {
      m.delete(node);
      if (m.size === 0) this.#reach.delete(ref);
    }
  }

  setPod(pod: Obj): void {
    const ns = pod.metadata?.namespace ?? '';
    const key = refKey('pod', ns, pod.metadata?.name ?? '');
    const node: string | undefined = pod.spec?.nodeName;
    const uid: string | undefined = pod.metadata?.uid;
    const ephemeral = pod.spec?.ephemeralContainers;
    // As upstream's graph populator: the same pod on the same node with the same ephemeral
    // containers references the same objects (everything else a pod references is immutable), so
    // a status write costs nothing here.
    const had = this.#pods.get(key);
    if (node && had && had.node === node && had.uid === uid && had.ephemeral === ephemeral) return;
    this.#dropPod(key);
    if (!node) return;
    const refs = [key, ...podReferences(pod)];
    this.#pods.set(key, { node, uid, ephemeral, refs });
    for (const r of refs) this.#count(r, node, 1);
  }

  deletePod(pod: Obj): void {
    this.#dropPod(refKey('pod', pod.metadata?.namespace ?? '', pod.metadata?.name ?? ''));
  }

  #dropPod(key: string) {
    const old = this.#pods.get(key);
    if (!old) return;
    this.#pods.delete(key);
    for (const r of old.refs) this.#count(r, old.node, -1);
  }

  #link(map: Map<string, Set<string>>, k: string, v: string, on: boolean) {
    let s = map.get(k);
    if (on) {
      if (!s) map.set(k, (s = new Set()));
      s.add(v);
    } else if (s) {
      s.delete(v);
      if (s.size === 0) map.delete(k);
    }
  }

  setPV(pv: Obj): void {
    this.deletePV(pv);
    const name: string = pv.metadata?.name ?? '';
    const cr = pv.spec?.claimRef;
    const claim = cr?.name ? refKey('pvc', cr.namespace ?? '', cr.name) : undefined;
    const secrets = pvSecretRefs(pv);
    this.#pvRefs.set(name, { ...(claim ? { claim } : {}), secrets });
    if (claim) this.#link(this.#pvClaims, name, claim, true);
    for (const s of secrets) this.#link(this.#secretPVs, s, name, true);
  }

  deletePV(pv: Obj): void {
    const name: string = pv.metadata?.name ?? '';
    const old = this.#pvRefs.get(name);
    if (!old) return;
    this.#pvRefs.delete(name);
    // A PVC's volumeName may still name this PV: keep that edge.
    if (old.claim && this.#pvcVolume.get(old.claim) !== name) this.#link(this.#pvClaims, name, old.claim, false);
    for (const s of old.secrets) this.#link(this.#secretPVs, s, name, false);
  }

  setPVC(pvc: Obj): void {
    this.deletePVC(pvc);
    const key = refKey('pvc', pvc.metadata?.namespace ?? '', pvc.metadata?.name ?? '');
    const vol: string | undefined = pvc.spec?.volumeName;
    if (!vol) return;
    this.#pvcVolume.set(key, vol);
    this.#link(this.#pvClaims, vol, key, true);
  }

  deletePVC(pvc: Obj): void {
    const key = refKey('pvc', pvc.metadata?.namespace ?? '', pvc.metadata?.name ?? '');
    const vol = this.#pvcVolume.get(key);
    if (vol === undefined) return;
    this.#pvcVolume.delete(key);
    if (this.#pvRefs.get(vol)?.claim !== key) this.#link(this.#pvClaims, vol, key, false);
  }

  #reaches(ref: string, node: string): boolean {
    return (this.#reach.get(ref)?.get(node) ?? 0) > 0;
  }

  /** The node a pod is bound to, as the graph knows it. */
  podNode(namespace: string, name: string): string | undefined {
    return this.#pods.get(refKey('pod', namespace, name))?.node;
  }

  /** Whether a pod on `node` uses the object (directly, or through a PV it mounts). */
  hasPath(node: string, kind: 'secret' | 'configmap' | 'persistentvolumeclaim' | 'persistentvolume' | 'serviceaccount' | 'pod', namespace: string, name: string): boolean {
    switch (kind) {
      case 'pod':
        return this.podNode(namespace, name) === node;
      case 'configmap':
        return this.#reaches(refKey('configmap', namespace, name), node);
      case 'serviceaccount':
        return this.#reaches(refKey('serviceaccount', namespace, name), node);
      case 'persistentvolumeclaim':
        return this.#reaches(refKey('pvc', namespace, name), node);
      case 'persistentvolume':
        return this.#pvReaches(name, node);
      case 'secret': {
        const key = refKey('secret', namespace, name);
        if (this.#reaches(key, node)) return true;
        for (const pv of this.#secretPVs.get(key) ?? []) if (this.#pvReaches(pv, node)) return true;
        return false;
      }
    }
  }

  #pvReaches(pv: string, node: string): boolean {
    for (const claim of this.#pvClaims.get(pv) ?? []) if (this.#reaches(claim, node)) return true;
    return false;
  }

  /** Feeds the graph from informers (or anything with the same handler shape). */
  attach(sources: { pods: EventSource; persistentVolumes?: EventSource; persistentVolumeClaims?: EventSource }): void {
    sources.pods.addEventHandler({ add: (p) => this.setPod(p), update: (_o, p) => this.setPod(p), delete: (p) => this.deletePod(p) });
    sources.persistentVolumes?.addEventHandler({ add: (p) => this.setPV(p), update: (_o, p) => this.setPV(p), delete: (p) => this.deletePV(p) });
    sources.persistentVolumeClaims?.addEventHandler({ add: (p) => this.setPVC(p), update: (_o, p) => this.setPVC(p), delete: (p) => this.deletePVC(p) });
  }

  /** Feeds the graph from the API server's own watch caches (in-process; no client needed). Returns a stop function. */
  async watchStores(api: CacheSource): Promise<() => void> {
    const stops: (() => void)[] = [];
    const feed = async (resource: string, set: (o: Obj) => void, del: (o: Obj) => void) => {
      const store = api.store('', resource);
      if (!store) return;
      const start = async (): Promise<void> => {
        stops.push(
          await store.cache.watch(undefined, () => true, {
            send: (type, ev) => (type === 'DELETED' ? del(ev.obj) : set(ev.obj)),
            // The cache re-listed (compaction): start over from its current state; stale entries are
            // overwritten by the synthetic ADDED events, deleted ones may linger until rewritten.
            fail: () => void start(),
          }),
        );
      };
      await start();
    };
    await feed('pods', (o) => this.setPod(o), (o) => this.deletePod(o));
    await feed('persistentvolumes', (o) => this.setPV(o), (o) => this.deletePV(o));
    await feed('persistentvolumeclaims', (o) => this.setPVC(o), (o) => this.deletePVC(o));
    return () => {
      for (const s of stops) s();
    };
  }
}

/** `system:node:<name>` in system:nodes → the node's name; otherwise undefined (not a node). */
export function nodeIdentity(user: UserInfo): string | undefined {
  if (!user.username.startsWith(NODE_USER_PREFIX) || !(user.groups ?? []).includes(NODES_GROUP)) return undefined;
  return user.username.slice(NODE_USER_PREFIX.length);
}

/** `a=b,c==d` → the value required for `field` by an equality requirement. */
function fieldEquals(selector: string | undefined, field: string): string | undefined {
  if (!selector) return undefined;
  for (const part of selector.split(',')) {
    const m = /^\s*([^=!\s]+)\s*==?\s*(.*?)\s*$/.exec(part);
    if (m && m[1] === field) return m[2];
  }
  return undefined;
}

const no = (reason: string): Decision => ({ allowed: false, reason });
const yes: Decision = Object.freeze({ allowed: true });

export class NodeAuthorizer implements Authorizer {
  #graph: NodeGraph;
  #rules: PolicyRule[];

  constructor(graph: NodeGraph, opts: { rules?: PolicyRule[] } = {}) {
    this.#graph = graph;
    this.#rules = opts.rules ?? nodeRules();
  }

  authorize(user: UserInfo, a: NodeAttributes): Decision {
    const node = nodeIdentity(user);
    if (node === undefined) return noOpinion;
    if (!node) return no(`unknown node for user ${JSON.stringify(user.username)}`);
    if (a.isResourceRequest) {
      // A list or watch of one object names it with a metadata.name field selector.
      const name = a.name || ((a.verb === 'list' || a.verb === 'watch') && fieldEquals(a.fieldSelector, 'metadata.name')) || '';
      const attrs: NodeAttributes = name === a.name ? a : { ...a, name };
      switch (`${a.apiGroup}/${a.resource}`) {
        case '/secrets':
          return this.#readNamespaced(node, 'secret', attrs);
        case '/configmaps':
          return this.#readNamespaced(node, 'configmap', attrs);
        case '/persistentvolumeclaims':
          if (a.subresource === 'status') {
            if (!['get', 'update', 'patch'].includes(a.verb)) return no('can only get, update or patch the status of a persistentvolumeclaim');
            return this.#path(node, 'persistentvolumeclaim', attrs);
          }
          return this.#getOnly(node, 'persistentvolumeclaim', attrs);
        case '/persistentvolumes':
          return this.#getOnly(node, 'persistentvolume', attrs);
        case '/serviceaccounts':
          if (a.subresource || a.verb === 'create') {
            if (a.verb !== 'create' || !name) return no('can only create tokens for individual service accounts');
            if (a.subresource !== 'token') return no('can only create token subresource of serviceaccount');
            return this.#path(node, 'serviceaccount', attrs);
          }
          return this.#getOnly(node, 'serviceaccount', attrs);
        case 'coordination.k8s.io/leases':
          if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb)) return no('can only get, create, update, patch, or delete a node lease');
          if (a.namespace !== 'kube-node-lease') return no('can only access leases in the kube-node-lease namespace');
          if (a.verb !== 'create' && name !== node) return no('can only access node lease with the same name as the requesting node');
          return yes;
        case 'storage.k8s.io/csinodes':
          if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb)) return no('can only get, create, update, patch, or delete a CSINode');
          if (a.verb !== 'create' && name !== node) return no('can only access CSINode with the same name as the requesting node');
          return yes;
        case '/nodes':
          return this.#node(node, attrs);
        case '/pods':
          return this.#pod(node, attrs);
      }
    }
    return rulesAllow(a, this.#rules) ? yes : noOpinion;
  }

  /** Nodes have no enumerable rules (upstream: "node authorizer does not support user rule resolution"). */
  rules(user: UserInfo): RuleSet {
    return { resourceRules: [], nonResourceRules: [], incomplete: nodeIdentity(user) !== undefined };
  }

  #path(node: string, kind: Parameters<NodeGraph['hasPath']>[1], a: Attributes): Decision {
    if (!a.name) return no('No Object name found');
    if (this.#graph.hasPath(node, kind, a.namespace, a.name)) return yes;
    return no(`no relationship found between node '${node}' and this object`);
  }

  #readNamespaced(node: string, kind: 'secret' | 'configmap', a: Attributes): Decision {
    if (!['get', 'list', 'watch'].includes(a.verb)) return no('can only read resources of this type');
    if (a.subresource) return no('cannot read subresource');
    if (!a.namespace) return no('can only read namespaced object of this type');
    return this.#path(node, kind, a);
  }

  #getOnly(node: string, kind: Parameters<NodeGraph['hasPath']>[1], a: Attributes): Decision {
    if (a.verb !== 'get') return no('can only get individual resources of this type');
    if (a.subresource) return no('cannot get subresource');
    return this.#path(node, kind, a);
  }

  /** Its own Node only: read (by name or a metadata.name selector), update and patch it and its status; registering (create) follows the rules. */
  #node(node: string, a: NodeAttributes): Decision {
    switch (a.verb) {
      case 'get':
      case 'list':
      case 'watch':
        if (a.subresource) break;
        if (a.name === node) return yes;
        return no(`node '${node}' cannot read '${a.name}', only its own Node object`);
      case 'update':
      case 'patch':
        if (a.subresource && a.subresource !== 'status') break;
        if (a.name === node) return yes;
        return no(`node '${node}' cannot modify '${a.name}', only its own Node object`);
    }
    return rulesAllow(a, this.#rules) ? yes : noOpinion;
  }

  /** Pods bound to it: get, list/watch with spec.nodeName=<node>, status updates, delete and evict; creating (mirror pods) follows the rules. */
  #pod(node: string, a: NodeAttributes): Decision {
    if (!a.subresource) {
      switch (a.verb) {
        case 'get':
        case 'delete':
          return this.#path(node, 'pod', a);
        case 'list':
        case 'watch':
          if (fieldEquals(a.fieldSelector, 'spec.nodeName') === node) return yes;
          if (a.name) return this.#path(node, 'pod', a);
          return no('can only list/watch pods with spec.nodeName field selector');
      }
    } else if ((a.subresource === 'status' && (a.verb === 'update' || a.verb === 'patch')) || (a.subresource === 'eviction' && a.verb === 'create')) {
      return this.#path(node, 'pod', a);
    }
    return rulesAllow(a, this.#rules) ? yes : noOpinion;
  }
}

export function nodeAuthorizer(graph: NodeGraph, opts: { rules?: PolicyRule[] } = {}): NodeAuthorizer {
  return new NodeAuthorizer(graph, opts);
}
