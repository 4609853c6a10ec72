// Versioned defaulting of core/v1 kinds other than Pod (pkg/apis/core/v1/defaults.go): Service,
// Namespace, Node, PersistentVolume(Claim), Endpoints, Secret, LimitRange, ResourceQuota,
// ReplicationController and PodTemplate.
import { defaultLegacyVolumeSources, defaultPodTemplateSpec, defaultPVCSpec } from './pod.ts';
import type { Obj } from './pod.ts';
import { roundResourceList } from './quantities.ts';

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const hasKeys = (v: unknown): v is Obj => isObj(v) && Object.keys(v).length > 0;

function spec(obj: Obj): Obj | undefined {
  return isObj(obj.spec) ? obj.spec : undefined;
}

function statusOf(obj: Obj): Obj {
  if (!isObj(obj.status)) obj.status = {};
  return obj.status;
}

export function defaultPodTemplate(obj: Obj): void {
  defaultPodTemplateSpec(obj.template);
}

export function defaultReplicationController(obj: Obj): void {
  const s = spec(obj);
  if (!s) return;
  const labels = isObj(s.template) && isObj(s.template.metadata) ? s.template.metadata.labels : undefined;
  // An empty label map would be invisible upstream (omitempty); copying it here would add `{}`.
  if (hasKeys(labels)) {
    if (!hasKeys(s.selector)) s.selector = { ...labels };
    if (!isObj(obj.metadata)) obj.metadata = {};
    if (!hasKeys(obj.metadata.labels)) obj.metadata.labels = { ...labels };
  }
  if (s.replicas == null) s.replicas = 1;
  defaultPodTemplateSpec(s.template);
}

/** True for NodePort, LoadBalancer, or ClusterIP with externalIPs (upstream ExternallyAccessible). */
function externallyAccessible(s: Obj): boolean {
  return (
    s.type === 'NodePort' ||
    s.type === 'LoadBalancer' ||
    (s.type === 'ClusterIP' && Array.isArray(s.externalIPs) && s.externalIPs.length > 0)
  );
}

export function defaultService(obj: Obj): void {
  const s = spec(obj);
  if (!s) return;
  if (!s.sessionAffinity) s.sessionAffinity = 'None';
  if (s.sessionAffinity === 'None') {
    delete s.sessionAffinityConfig;
  } else if (s.sessionAffinity === 'ClientIP' && s.sessionAffinityConfig?.clientIP?.timeoutSeconds == null) {
    s.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  if (!s.type) s.type = 'ClusterIP';
  if (Array.isArray(s.ports)) {
    for (const p of s.ports) {
      if (!isObj(p)) continue;
      if (!p.protocol) p.protocol = 'TCP';
      if ((p.targetPort == null || p.targetPort === 0 || p.targetPort === '') && p.port != null) p.targetPort = p.port;
    }
  }
  if (!s.externalTrafficPolicy && externallyAccessible(s)) s.externalTrafficPolicy = 'Cluster';
  if (s.internalTrafficPolicy == null && (s.type === 'ClusterIP' || s.type === 'NodePort' || s.type === 'LoadBalancer')) {
    s.internalTrafficPolicy = 'Cluster';
  }
  if (s.type === 'LoadBalancer') {
    if (s.allocateLoadBalancerNodePorts == null) s.allocateLoadBalancerNodePorts = true;
    const ingress = obj.status?.loadBalancer?.ingress;
    if (Array.isArray(ingress)) for (const i of ingress) if (isObj(i) && i.ip && i.ipMode == null) i.ipMode = 'VIP';
  }
}

export function defaultEndpoints(obj: Obj): void {
  if (!Array.isArray(obj.subsets)) return;
  for (const ss of obj.subsets) {
    if (!isObj(ss) || !Array.isArray(ss.ports)) continue;
    for (const p of ss.ports) if (isObj(p) && !p.protocol) p.protocol = 'TCP';
  }
}

export function defaultNamespace(obj: Obj): void {
  const name = obj.metadata?.name;
  if (typeof name === 'string' && name !== '') {
    if (!isObj(obj.metadata.labels)) obj.metadata.labels = {};
    obj.metadata.labels['kubernetes.io/metadata.name'] = name; // forced
  }
  const st = statusOf(obj);
  if (!st.phase) st.phase = 'Active';
}

export function defaultNode(obj: Obj): void {
  const st = obj.status;
  if (!isObj(st)) return;
  roundResourceList(st.capacity);
  roundResourceList(st.allocatable);
  if (st.allocatable == null && hasKeys(st.capacity)) st.allocatable = { ...st.capacity };
}

export function defaultPersistentVolume(obj: Obj): void {
  const s = spec(obj);
  if (s) {
    if (!s.persistentVolumeReclaimPolicy) s.persistentVolumeReclaimPolicy = 'Retain';
    if (s.volumeMode == null) s.volumeMode = 'Filesystem';
    defaultLegacyVolumeSources(s);
    roundResourceList(s.capacity);
  }
  const st = statusOf(obj);
  if (!st.phase) st.phase = 'Pending';
}

export function defaultPersistentVolumeClaim(obj: Obj): void {
  defaultPVCSpec(obj.spec);
  const st = statusOf(obj);
  if (!st.phase) st.phase = 'Pending';
  roundResourceList(st.capacity);
  roundResourceList(st.allocatedResources);
}

export function defaultSecret(obj: Obj): void {
  if (!obj.type) obj.type = 'Opaque';
}

export function defaultLimitRange(obj: Obj): void {
  const limits = spec(obj)?.limits;
  if (!Array.isArray(limits)) return;
  for (const item of limits) {
    if (!isObj(item)) continue;
    for (const f of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) roundResourceList(item[f]);
    if (item.type !== 'Container') continue;
    const fill = (target: 'default' | 'defaultRequest', from: unknown): void => {
      if (!hasKeys(from)) return;
      for (const k of Object.keys(from)) {
        if (isObj(item[target]) && k in item[target]) continue;
        if (!isObj(item[target])) item[target] = {};
        item[target][k] = from[k];
      }
    };
    fill('default', item.max);
    fill('defaultRequest', item.default);
    fill('defaultRequest', item.min);
  }
}

export function defaultResourceQuota(obj: Obj): void {
  roundResourceList(spec(obj)?.hard);
  roundResourceList(obj.status?.hard);
  roundResourceList(obj.status?.used);
}
