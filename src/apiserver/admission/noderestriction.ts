// The NodeRestriction admission plugin (plugin/pkg/admission/noderestriction): a kubelet
// (user system:node:<name> in group system:nodes) may only change its own Node object (not its
// taints, not node-restriction.kubernetes.io/ labels or kubernetes.io / k8s.io labels outside the
// kubelet's own set), create only mirror pods bound to itself, delete and update the status of only
// its pods, update only claim status, ask tokens only for its pods, and touch only its own Lease and
// CSINode. Everyone else passes through.
import { forbidden } from '../../machinery/errors.ts';
import type { AdmissionAttributes, AdmissionPlugin } from '../admission.ts';
import type { Store } from '../registry/store.ts';
import type { Obj } from '../types.ts';
import { nodeIdentity } from '../authz/node.ts';

const NODE_USER_PREFIX = 'system:node:';
const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const NODE_RESTRICTION_NAMESPACE = 'node-restriction.kubernetes.io';

/** Labels the kubelet sets on its own Node (k8s.io/kubelet/pkg/apis.IsKubeletLabel). */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
]);
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

const labelNamespace = (key: string) => (key.includes('/') ? key.slice(0, key.indexOf('/')) : '');
const inDomain = (ns: string, domain: string) => ns === domain || ns.endsWith(`.${domain}`);

export function isKubeletLabel(key: string): boolean {
  if (KUBELET_LABELS.has(key)) return true;
  const ns = labelNamespace(key);
  return KUBELET_LABEL_NAMESPACES.some((d) => inDomain(ns, d));
}

/** getForbiddenLabels: node-restriction labels, and kubernetes.io / k8s.io labels the kubelet does not own. */
export function forbiddenNodeLabels(modified: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const key of modified) {
    const ns = labelNamespace(key);
    if (inDomain(ns, NODE_RESTRICTION_NAMESPACE)) out.add(key);
    if ((inDomain(ns, 'kubernetes.io') || inDomain(ns, 'k8s.io')) && !isKubeletLabel(key)) out.add(key);
  }
  return [...out].sort();
}

function modifiedLabels(a: Record<string, string> = {}, b: Record<string, string> = {}): Set<string> {
  const out = new Set<string>();
  for (const [k, v] of Object.entries(a)) if (b[k] !== v) out.add(k);
  for (const [k, v] of Object.entries(b)) if (a[k] !== v) out.add(k);
  return out;
}

const sameJSON = (x: unknown, y: unknown) => JSON.stringify(x ?? null) === JSON.stringify(y ?? null);

/** True when the pod names any secret (podutil.VisitPodSecretNames). */
function referencesSecrets(spec: Obj): boolean {
  if ((spec.imagePullSecrets ?? []).length) return true;
  for (const v of (spec.volumes ?? []) as Obj[]) {
    if (v?.secret || v?.azureFile || v?.cephfs?.secretRef || v?.cinder?.secretRef || v?.flexVolume?.secretRef || v?.rbd?.secretRef || v?.scaleIO?.secretRef || v?.iscsi?.secretRef || v?.storageos?.secretRef || v?.csi?.nodePublishSecretRef) return true;
    if ((v?.projected?.sources ?? []).some((s: Obj) => s?.secret)) return true;
  }
  return eachContainer(spec, (c) => (c.envFrom ?? []).some((e: Obj) => e?.secretRef) || (c.env ?? []).some((e: Obj) => e?.valueFrom?.secretKeyRef));
}

/** True when the pod names any configmap (podutil.VisitPodConfigmapNames). */
function referencesConfigMaps(spec: Obj): boolean {
  for (const v of (spec.volumes ?? []) as Obj[]) {
    if (v?.configMap) return true;
    if ((v?.projected?.sources ?? []).some((s: Obj) => s?.configMap)) return true;
  }
  return eachContainer(spec, (c) => (c.envFrom ?? []).some((e: Obj) => e?.configMapRef) || (c.env ?? []).some((e: Obj) => e?.valueFrom?.configMapKeyRef));
}

function eachContainer(spec: Obj, test: (c: Obj) => boolean): boolean {
  for (const key of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const c of (spec[key] ?? []) as Obj[]) if (c && test(c)) return true;
  }
  return false;
}

export interface NodeRestrictionOptions {
  /** The nodes store, to check a mirror pod's owner UID. */
  nodes?: () => Store;
  /** The pods store, for token requests bound to pods. */
  pods?: () => Store;
}

export function nodeRestriction(opts: NodeRestrictionOptions = {}): AdmissionPlugin {
  return {
    name: 'NodeRestriction',
    // Upstream runs as a mutating plugin; deletes only reach the validating phase here.
    admit: (a) => (a.operation === 'DELETE' ? undefined : check(a)),
    validate: (a) => (a.operation === 'DELETE' ? check(a) : undefined),
  };

  function check(a: AdmissionAttributes): void {
    if (a.operation === 'CONNECT') return;
    const user = a.ctx.user;
    if (!user.username.startsWith(NODE_USER_PREFIX) || !(user.groups ?? []).includes('system:nodes')) return;
    const node = nodeIdentity(user) ?? '';
    const refuse = (why: string) => forbidden(a.store.gr, a.obj?.metadata?.name ?? '', why);
    if (!node) throw refuse(`could not determine node from user ${JSON.stringify(user.username)}`);
    const { group, resource } = a.store.info;
    const key = `${group}/${resource}`;
    const sub = a.subresource ?? '';
    switch (key) {
      case '/pods':
        if (sub === '') return admitPod(a, node, refuse);
        if (sub === 'status') return admitPodStatus(a, node, refuse);
        if (sub === 'eviction') {
          if (a.operation !== 'CREATE') throw refuse(`unexpected operation ${a.operation}`);
          // The pod evicted is `old` (the Eviction is `obj`); a pod that is not there is the handler's 404.
          if (a.old && a.old.spec?.nodeName !== node) throw refuse(`node ${node} can only evict pods with spec.nodeName set to itself`);
          return;
        }
        throw refuse(`unexpected pod subresource ${JSON.stringify(sub)}, only 'status' and 'eviction' are allowed`);
      case '/nodes':
        return admitNode(a, node, refuse);
      case '/persistentvolumeclaims':
        if (sub !== 'status') throw refuse('may only update PVC status');
        return admitClaimStatus(a, node, refuse);
      case '/serviceaccounts':
        return admitToken(a, refuse);
      case 'coordination.k8s.io/leases':
        if (a.namespace !== NODE_LEASE_NAMESPACE) throw refuse(`can only access leases in the ${JSON.stringify(NODE_LEASE_NAMESPACE)} system namespace`);
        if (a.obj?.metadata?.name !== node) throw refuse('can only access node lease with the same name as the requesting node');
        return;
      case 'storage.k8s.io/csinodes':
        if (a.obj?.metadata?.name !== node) throw refuse('can only access CSINode with the same name as the requesting node');
        return;
      default:
        return;
    }
  }

  function admitPod(a: AdmissionAttributes, node: string, refuse: (why: string) => Error): void {
    if (a.operation === 'DELETE') {
      if ((a.old ?? a.obj)?.spec?.nodeName !== node) throw refuse(`node ${JSON.stringify(node)} can only delete pods with spec.nodeName set to itself`);
      return;
    }
    if (a.operation !== 'CREATE') throw refuse(`unexpected operation ${JSON.stringify(a.operation)}, node ${JSON.stringify(node)} can only create and delete mirror pods`);
    const pod = a.obj;
    const q = JSON.stringify(node);
    if (!Object.prototype.hasOwnProperty.call(pod.metadata?.annotations ?? {}, MIRROR_POD_ANNOTATION)) {
      throw refuse(`pod does not have ${JSON.stringify(MIRROR_POD_ANNOTATION)} annotation, node ${q} can only create mirror pods`);
    }
    if (pod.spec?.nodeName !== node) throw refuse(`node ${q} can only create pods with spec.nodeName set to itself`);
    const owners: Obj[] = pod.metadata?.ownerReferences ?? [];
    if (owners.length > 1) throw refuse(`node ${q} can only create pods with a single owner reference set to itself`);
    if (owners.length === 0) throw refuse(`node ${q} can only create pods with an owner reference set to itself`);
    const owner = owners[0]!;
    if (owner.apiVersion !== 'v1' || owner.kind !== 'Node' || owner.name !== node) throw refuse(`node ${q} can only create pods with an owner reference set to itself`);
    if (owner.controller !== true) throw refuse(`node ${q} can only create pods with a controller owner reference set to itself`);
    if (owner.blockOwnerDeletion === true) throw refuse(`node ${q} must not set blockOwnerDeletion on an owner reference`);
    const nodes = opts.nodes?.();
    if (nodes) {
      const n = nodes.cache.get(nodes.key('', node))?.obj;
      if (n && owner.uid !== n.metadata?.uid) throw refuse(`node ${node} UID mismatch: expected ${owner.uid} got ${n.metadata?.uid}`);
    }
    const spec = pod.spec ?? {};
    if (spec.serviceAccountName) throw refuse(`node ${q} can not create pods that reference a service account`);
    if (referencesSecrets(spec)) throw refuse(`node ${q} can not create pods that reference secrets`);
    if (referencesConfigMaps(spec)) throw refuse(`node ${q} can not create pods that reference configmaps`);
    for (const v of (spec.volumes ?? []) as Obj[]) {
      if ((v?.projected?.sources ?? []).some((s: Obj) => s?.clusterTrustBundle)) throw refuse(`node ${q} can not create pods that reference clustertrustbundles`);
    }
    for (const v of (spec.volumes ?? []) as Obj[]) if (v?.persistentVolumeClaim) throw refuse(`node ${q} can not create pods that reference persistentvolumeclaims`);
  }

  function admitPodStatus(a: AdmissionAttributes, node: string, refuse: (why: string) => Error): void {
    if (a.operation !== 'UPDATE') throw refuse(`unexpected operation ${JSON.stringify(a.operation)}`);
    const q = JSON.stringify(node);
    if (a.old?.spec?.nodeName !== node) throw refuse(`node ${q} can only update pod status for pods with spec.nodeName set to itself`);
    if (!sameJSON(sortedEntries(a.old?.metadata?.labels), sortedEntries(a.obj?.metadata?.labels))) throw refuse(`node ${q} cannot update labels through pod status`);
    const claims = (p: Obj | undefined) => ((p?.status?.resourceClaimStatuses ?? []) as Obj[]).map((s) => [s?.name, s?.resourceClaimName ?? null]);
    if (!sameJSON(claims(a.old), claims(a.obj))) throw refuse(`node ${q} cannot update resource claim statues`);
  }

  function admitNode(a: AdmissionAttributes, node: string, refuse: (why: string) => Error): void {
    const q = JSON.stringify(node);
    const requested = a.obj?.metadata?.name ?? '';
    if (requested !== node) throw refuse(`node ${q} is not allowed to modify node ${JSON.stringify(requested)}`);
    if (a.operation === 'CREATE') {
      if (a.obj.spec?.configSource) throw refuse(`node ${q} is not allowed to create pods with a non-nil configSource`);
      const bad = forbiddenNodeLabels(Object.keys(a.obj.metadata?.labels ?? {}));
      if (bad.length) throw refuse(`node ${q} is not allowed to set the following labels: ${bad.join(', ')}`);
    }
    if (a.operation === 'UPDATE' && a.old) {
      if (a.obj.spec?.configSource && !sameJSON(a.obj.spec.configSource, a.old.spec?.configSource)) throw refuse(`node ${q} is not allowed to update configSource to a new non-nil configSource`);
      if (!sameJSON(emptyToNull(a.obj.spec?.taints), emptyToNull(a.old.spec?.taints))) throw refuse(`node ${q} is not allowed to modify taints`);
      const bad = forbiddenNodeLabels(modifiedLabels(a.obj.metadata?.labels, a.old.metadata?.labels));
      if (bad.length) throw refuse(`is not allowed to modify labels: ${bad.join(', ')}`);
    }
  }

  function admitClaimStatus(a: AdmissionAttributes, node: string, refuse: (why: string) => Error): void {
    if (a.operation !== 'UPDATE') throw refuse(`unexpected operation ${JSON.stringify(a.operation)}`);
    const strip = (p: Obj | undefined): Obj => {
      const { resourceVersion: _rv, managedFields: _mf, ...meta } = p?.metadata ?? {};
      const { capacity: _c, conditions: _co, allocatedResourceStatuses: _ars, allocatedResources: _ar, ...status } = p?.status ?? {};
      return { ...p, metadata: meta, status };
    };
    const before = strip(a.old);
    const after = strip(a.obj);
    if (!sameJSON(before, after)) {
      const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => !sameJSON(before[k], after[k]));
      throw refuse(`node ${JSON.stringify(node)} is not allowed to update fields other than status.capacity and status.conditions: ${changed.join(', ')}`);
    }
  }

  function admitToken(a: AdmissionAttributes, refuse: (why: string) => Error): void {
    if (a.operation !== 'CREATE' || a.subresource !== 'token') return;
    const ref = a.obj?.spec?.boundObjectRef;
    if (!ref || ref.apiVersion !== 'v1' || ref.kind !== 'Pod' || !ref.name) throw refuse('node requested token not bound to a pod');
    if (!ref.uid) throw refuse('node requested token with a pod binding without a uid');
    const pods = opts.pods?.();
    if (!pods) return;
    const pod = pods.cache.get(pods.key(a.namespace, ref.name))?.obj;
    if (!pod) throw refuse(`pods "${ref.name}" not found`);
    if (ref.uid !== pod.metadata?.uid) throw refuse(`the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
    if (pod.spec?.nodeName !== nodeIdentity(a.ctx.user)) throw refuse('node requested token bound to a pod scheduled on a different node');
  }
}

const emptyToNull = (l: unknown) => (Array.isArray(l) && l.length ? l : null);
const sortedEntries = (m: Record<string, string> | undefined) => Object.entries(m ?? {}).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
