// Versioned defaulting of core/v1 PodSpec, containers, probes, volumes and Pod-only rules
// (pkg/apis/core/v1/defaults.go + `+default` markers), shared by Pods and every pod template.
import { defaultPullPolicy } from './image.ts';
import { addQuantities, cmpQuantities, roundResourceList } from './quantities.ts';

export type Obj = Record<string, any>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const hasKeys = (v: unknown): v is Obj => isObj(v) && Object.keys(v).length > 0;

/** ObjectFieldSelector: apiVersion v1. */
export function defaultFieldRef(ref: unknown): void {
  if (isObj(ref) && !ref.apiVersion) ref.apiVersion = 'v1';
}

/** HTTPGetAction: path "/" and scheme HTTP. */
function defaultHTTPGet(h: unknown): void {
  if (!isObj(h)) return;
  if (!h.path) h.path = '/';
  if (!h.scheme) h.scheme = 'HTTP';
}

function defaultProbe(p: unknown): void {
  if (!isObj(p)) return;
  if (!p.timeoutSeconds) p.timeoutSeconds = 1;
  if (!p.periodSeconds) p.periodSeconds = 10;
  if (!p.successThreshold) p.successThreshold = 1;
  if (!p.failureThreshold) p.failureThreshold = 3;
  defaultHTTPGet(p.httpGet);
  if (isObj(p.grpc) && p.grpc.service == null) p.grpc.service = '';
}

/** Container, init container or ephemeral container defaults (templates included). */
export function defaultContainer(c: unknown): void {
  if (!isObj(c)) return;
  if (!c.imagePullPolicy) c.imagePullPolicy = defaultPullPolicy(c.image);
  if (!c.terminationMessagePath) c.terminationMessagePath = '/dev/termination-log';
  if (!c.terminationMessagePolicy) c.terminationMessagePolicy = 'File';
  if (Array.isArray(c.ports)) for (const p of c.ports) if (isObj(p) && !p.protocol) p.protocol = 'TCP';
  if (Array.isArray(c.env)) {
    for (const e of c.env) {
      const vf = isObj(e) ? e.valueFrom : undefined;
      if (!isObj(vf)) continue;
      defaultFieldRef(vf.fieldRef);
      if (isObj(vf.fileKeyRef) && vf.fileKeyRef.optional == null) vf.fileKeyRef.optional = false;
    }
  }
  if (isObj(c.resources)) {
    roundResourceList(c.resources.limits);
    roundResourceList(c.resources.requests);
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  if (isObj(c.lifecycle)) {
    if (isObj(c.lifecycle.postStart)) defaultHTTPGet(c.lifecycle.postStart.httpGet);
    if (isObj(c.lifecycle.preStop)) defaultHTTPGet(c.lifecycle.preStop.httpGet);
  }
}

/** In-tree sources shared by Volume and PersistentVolume (iscsi, rbd, azureDisk, scaleIO, hostPath). */
export function defaultLegacyVolumeSources(src: Obj): void {
  if (isObj(src.hostPath) && src.hostPath.type == null) src.hostPath.type = '';
  if (isObj(src.iscsi) && !src.iscsi.iscsiInterface) src.iscsi.iscsiInterface = 'default';
  if (isObj(src.rbd)) {
    if (!src.rbd.pool) src.rbd.pool = 'rbd';
    if (!src.rbd.user) src.rbd.user = 'admin';
    if (!src.rbd.keyring) src.rbd.keyring = '/etc/ceph/keyring';
  }
  if (isObj(src.azureDisk)) {
    const a = src.azureDisk;
    if (a.cachingMode == null) a.cachingMode = 'ReadWrite';
    if (a.kind == null) a.kind = 'Shared';
    if (a.fsType == null) a.fsType = 'ext4';
    if (a.readOnly == null) a.readOnly = false;
  }
  if (isObj(src.scaleIO)) {
    if (!src.scaleIO.storageMode) src.scaleIO.storageMode = 'ThinProvisioned';
    if (!src.scaleIO.fsType) src.scaleIO.fsType = 'xfs';
  }
}

function defaultDownwardItems(items: unknown): void {
  if (!Array.isArray(items)) return;
  for (const it of items) if (isObj(it)) defaultFieldRef(it.fieldRef);
}

/** PersistentVolumeClaimSpec: volumeMode Filesystem + resource rounding. */
export function defaultPVCSpec(spec: unknown): void {
  if (!isObj(spec)) return;
  if (spec.volumeMode == null) spec.volumeMode = 'Filesystem';
  if (isObj(spec.resources)) {
    roundResourceList(spec.resources.limits);
    roundResourceList(spec.resources.requests);
  }
}

export function defaultVolume(v: unknown): void {
  if (!isObj(v)) return;
  let hasSource = false;
  for (const k of Object.keys(v)) if (k !== 'name' && v[k] != null) { hasSource = true; break; }
  if (!hasSource) {
    v.emptyDir = {};
    return;
  }
  defaultLegacyVolumeSources(v);
  if (isObj(v.secret) && v.secret.defaultMode == null) v.secret.defaultMode = 420;
  if (isObj(v.configMap) && v.configMap.defaultMode == null) v.configMap.defaultMode = 420;
  if (isObj(v.downwardAPI)) {
    if (v.downwardAPI.defaultMode == null) v.downwardAPI.defaultMode = 420;
    defaultDownwardItems(v.downwardAPI.items);
  }
  if (isObj(v.projected)) {
    if (v.projected.defaultMode == null) v.projected.defaultMode = 420;
    if (Array.isArray(v.projected.sources)) {
      for (const s of v.projected.sources) {
        if (!isObj(s)) continue;
        if (isObj(s.serviceAccountToken) && s.serviceAccountToken.expirationSeconds == null) {
          s.serviceAccountToken.expirationSeconds = 3600;
        }
        if (isObj(s.downwardAPI)) defaultDownwardItems(s.downwardAPI.items);
      }
    }
  }
  if (isObj(v.ephemeral) && isObj(v.ephemeral.volumeClaimTemplate)) defaultPVCSpec(v.ephemeral.volumeClaimTemplate.spec);
  if (isObj(v.image) && !v.image.pullPolicy) v.image.pullPolicy = defaultPullPolicy(v.image.reference);
}

/** PodSpec defaults applied to Pods and every pod template. */
export function defaultPodSpec(spec: unknown): void {
  if (!isObj(spec)) return;
  if (!spec.dnsPolicy) spec.dnsPolicy = 'ClusterFirst';
  if (!spec.restartPolicy) spec.restartPolicy = 'Always';
  if (spec.securityContext == null) spec.securityContext = {};
  if (spec.terminationGracePeriodSeconds == null) spec.terminationGracePeriodSeconds = 30;
  if (!spec.schedulerName) spec.schedulerName = 'default-scheduler';
  if (Array.isArray(spec.volumes)) for (const v of spec.volumes) defaultVolume(v);
  if (Array.isArray(spec.initContainers)) for (const c of spec.initContainers) defaultContainer(c);
  if (Array.isArray(spec.containers)) for (const c of spec.containers) defaultContainer(c);
  if (Array.isArray(spec.ephemeralContainers)) for (const c of spec.ephemeralContainers) defaultContainer(c);
  roundResourceList(spec.overhead);
  if (isObj(spec.resources)) {
    roundResourceList(spec.resources.limits);
    roundResourceList(spec.resources.requests);
  }
}

/** PodTemplateSpec (`spec.template` of workloads): section 1 rules only. */
export function defaultPodTemplateSpec(tpl: unknown): void {
  if (isObj(tpl)) defaultPodSpec(tpl.spec);
}

function requestsFromLimits(containers: unknown): void {
  if (!Array.isArray(containers)) return;
  for (const c of containers) {
    if (!isObj(c) || !isObj(c.resources) || !hasKeys(c.resources.limits)) continue;
    const r = c.resources;
    if (!isObj(r.requests)) r.requests = {};
    for (const k of Object.keys(r.limits)) if (!(k in r.requests)) r.requests[k] = r.limits[k];
  }
}

function hostNetworkPorts(containers: unknown): void {
  if (!Array.isArray(containers)) return;
  for (const c of containers) {
    if (!isObj(c) || !Array.isArray(c.ports)) continue;
    for (const p of c.ports) if (isObj(p) && !p.hostPort) p.hostPort = p.containerPort;
  }
}

const POD_LEVEL_AGGREGATED = ['cpu', 'memory'];

/** Sum of a resource over regular containers (init containers counted as their max, as upstream's aggregation does). */
function aggregate(spec: Obj, field: 'requests' | 'limits', name: string, requireAll: boolean): string | undefined {
  let sum: string | undefined;
  const containers: any[] = Array.isArray(spec.containers) ? spec.containers : [];
  for (const c of containers) {
    const v = c?.resources?.[field]?.[name];
    if (v == null) {
      if (requireAll) return undefined;
      continue;
    }
    sum = sum === undefined ? String(v) : addQuantities(sum, String(v));
  }
  let initMax: string | undefined;
  const inits: any[] = Array.isArray(spec.initContainers) ? spec.initContainers : [];
  for (const c of inits) {
    const v = c?.resources?.[field]?.[name];
    if (v == null) {
      if (requireAll) return undefined;
      continue;
    }
    // Restartable (sidecar) init containers run alongside the app containers.
    if (c.restartPolicy === 'Always') sum = sum === undefined ? String(v) : addQuantities(sum, String(v));
    else if (initMax === undefined || cmpQuantities(String(v), initMax) > 0) initMax = String(v);
  }
  if (initMax !== undefined && (sum === undefined || cmpQuantities(initMax, sum) > 0)) return initMax;
  return sum;
}

/** Pod-level resources defaulting (PodLevelResources, beta on): only when spec.resources is set. */
function defaultPodLevelResources(spec: Obj): void {
  const res = spec.resources;
  if (!isObj(res)) return;
  // Hugepages: pod limit = sum of container limits when pod-level has neither request nor limit.
  if (hasKeys(res.limits) || hasKeys(res.requests)) {
    const names = new Set<string>();
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      for (const k of Object.keys(c?.resources?.limits ?? {})) if (k.startsWith('hugepages-')) names.add(k);
    }
    for (const k of names) {
      if (res.limits?.[k] != null || res.requests?.[k] != null) continue;
      const sum = aggregate(spec, 'limits', k, false);
      if (sum !== undefined) {
        if (!isObj(res.limits)) res.limits = {};
        res.limits[k] = sum;
      }
    }
  }
  // Limits from containers run before requests-from-limits so that one pass reaches the state a second
  // decode (the apiserver re-defaults on read) would produce.
  if (hasKeys(res.requests) && !hasKeys(res.limits)) {
    for (const k of POD_LEVEL_AGGREGATED) {
      const sum = aggregate(spec, 'limits', k, true);
      if (sum === undefined) continue;
      if (!isObj(res.limits)) res.limits = {};
      res.limits[k] = sum;
    }
  }
  if (hasKeys(res.limits)) {
    if (!isObj(res.requests)) res.requests = {};
    for (const k of POD_LEVEL_AGGREGATED) {
      if (res.requests[k] != null) continue;
      const sum = aggregate(spec, 'requests', k, false);
      if (sum !== undefined) res.requests[k] = sum;
    }
    for (const k of Object.keys(res.limits)) {
      const supported = k === 'cpu' || k === 'memory' || k.startsWith('hugepages-');
      if (supported && res.requests[k] == null) res.requests[k] = res.limits[k];
    }
    if (!hasKeys(res.requests)) delete res.requests;
  }
}

/** core/v1 Pod: PodSpec rules plus the Pod-only rules (section 2.1 [def]). */
export function defaultPod(pod: Obj): void {
  const spec = pod.spec;
  if (isObj(spec)) {
    requestsFromLimits(spec.containers);
    requestsFromLimits(spec.initContainers);
    if (spec.enableServiceLinks == null) spec.enableServiceLinks = true;
    if (spec.hostNetwork === true) {
      hostNetworkPorts(spec.containers);
      hostNetworkPorts(spec.initContainers);
    }
    defaultPodLevelResources(spec);
  }
  defaultPodSpec(spec);
}
