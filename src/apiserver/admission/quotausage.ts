// Quota usage evaluation, as pkg/quota/v1/evaluator/core and k8s.io/apiserver/pkg/quota/v1/generic:
// what one object costs against a ResourceQuota (pods: count, requests and limits; services:
// nodeports and load balancers; claims: storage, also per StorageClass; everything else: count/<r>.<g>),
// which quotas an object falls under (Terminating, NotTerminating, BestEffort, NotBestEffort and
// PriorityClass scopes) and the "must specify" constraint. Pure functions, shared by the
// ResourceQuota admission plugin and the resource quota controller.
import { Quantity, tryParseQuantity } from '../../machinery/quantity.ts';
import type { Obj } from '../types.ts';

export type ResourceList = Record<string, Quantity>;

export interface GR {
  group: string;
  resource: string;
}

const POD_RESOURCES = new Set(['pods', 'count/pods', 'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage', 'limits.cpu', 'limits.memory', 'limits.ephemeral-storage']);
const SERVICE_RESOURCES = new Set(['services', 'count/services', 'services.nodeports', 'services.loadbalancers']);
const PVC_RESOURCES = new Set(['persistentvolumeclaims', 'count/persistentvolumeclaims', 'requests.storage']);
const STORAGE_CLASS_SUFFIX = '.storageclass.storage.k8s.io/';
/** Legacy object-count names of core resources (quota.ObjectCountQuotaResourceNameFor's predecessors). */
const LEGACY_COUNTS: Record<string, string> = { configmaps: 'configmaps', secrets: 'secrets', replicationcontrollers: 'replicationcontrollers', resourcequotas: 'resourcequotas' };
/** Resources that requests/limits validation applies to (podEvaluator's validationSet). */
const VALIDATION_SET = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);

export function countName(gr: GR): string {
  return gr.group ? `count/${gr.resource}.${gr.group}` : `count/${gr.resource}`;
}

const isHugePages = (n: string) => n.startsWith('hugepages-');
/** helper.IsExtendedResourceName: a domain-prefixed name outside kubernetes.io that is not a quota name. */
function isExtended(n: string): boolean {
  if (!n.includes('/') || n.startsWith('requests.')) return false;
  const domain = n.slice(0, n.indexOf('/'));
  return domain !== 'kubernetes.io' && !domain.endsWith('.kubernetes.io');
}

/** The group/resource a quota resource name is about, or undefined for names no evaluator knows. */
export function resourceOf(name: string): GR | undefined {
  if (POD_RESOURCES.has(name) || isHugePages(name) || name.startsWith('requests.hugepages-') || (name.startsWith('requests.') && isExtended(name.slice(9)))) return { group: '', resource: 'pods' };
  if (SERVICE_RESOURCES.has(name)) return { group: '', resource: 'services' };
  if (PVC_RESOURCES.has(name) || name.includes(STORAGE_CLASS_SUFFIX)) return { group: '', resource: 'persistentvolumeclaims' };
  if (LEGACY_COUNTS[name]) return { group: '', resource: name };
  if (name.startsWith('count/')) {
    const rest = name.slice(6);
    const dot = rest.indexOf('.');
    return dot < 0 ? { group: '', resource: rest } : { group: rest.slice(dot + 1), resource: rest.slice(0, dot) };
  }
  return undefined;
}

/** evaluator.MatchingResources: the names among `names` that objects of `gr` are charged for. */
export function matchingResources(gr: GR, names: string[]): string[] {
  return names.filter((n) => {
    const r = resourceOf(n);
    return r !== undefined && r.group === gr.group && r.resource === gr.resource;
  });
}

function q(v: unknown): Quantity | undefined {
  if (typeof v === 'number') return Quantity.fromInt(v);
  return typeof v === 'string' ? tryParseQuantity(v) : undefined;
}

function addTo(list: ResourceList, name: string, v: Quantity) {
  const cur = list[name];
  list[name] = cur ? cur.add(v) : v;
}

function maxInto(list: ResourceList, name: string, v: Quantity) {
  const cur = list[name];
  if (!cur || v.cmp(cur) > 0) list[name] = v;
}

/** resourcehelper.PodRequests / PodLimits: the sum over containers, at least each init container's, plus overhead. */
export function podResources(pod: Obj, which: 'requests' | 'limits'): ResourceList {
  const out: ResourceList = {};
  for (const c of pod.spec?.containers ?? []) for (const [k, v] of Object.entries(c?.resources?.[which] ?? {})) {
    const x = q(v);
    if (x) addTo(out, k, x);
  }
  for (const c of pod.spec?.initContainers ?? []) for (const [k, v] of Object.entries(c?.resources?.[which] ?? {})) {
    const x = q(v);
    if (x) maxInto(out, k, x);
  }
  if (which === 'requests' || Object.keys(out).length) {
    for (const [k, v] of Object.entries(pod.spec?.overhead ?? {})) {
      const x = q(v);
      if (x && (which === 'requests' || out[k])) addTo(out, k, x);
    }
  }
  return out;
}

/** podComputeUsageHelper: quota names for a set of requests and limits. */
function computeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const out: ResourceList = { pods: Quantity.fromInt(1) };
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
    if (requests[r]) out[r] = out[`requests.${r}`] = requests[r]!;
    if (limits[r]) out[`limits.${r}`] = limits[r]!;
  }
  for (const [k, v] of Object.entries(requests)) {
    if (isHugePages(k)) out[k] = out[`requests.${k}`] = v;
    if (isExtended(k)) out[`requests.${k}`] = v;
  }
  return out;
}

/** QuotaV1Pod: terminal pods, and pods past their deletion deadline, no longer use quota. */
export function podCountsForQuota(pod: Obj, now: number): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const dt = pod.metadata?.deletionTimestamp;
  const grace = pod.metadata?.deletionGracePeriodSeconds;
  if (dt && typeof grace === 'number' && now > Date.parse(dt) + grace * 1000) return false;
  return true;
}

/** What one object of `gr` is charged (evaluator.Usage). */
export function usageOf(gr: GR, obj: Obj, now: number): ResourceList {
  const out: ResourceList = { [countName(gr)]: Quantity.fromInt(1) };
  if (gr.group !== '') return out;
  switch (gr.resource) {
    case 'pods': {
      if (!podCountsForQuota(obj, now)) return out;
      return { ...out, ...computeUsage(podResources(obj, 'requests'), podResources(obj, 'limits')) };
    }
    case 'services': {
      out.services = Quantity.fromInt(1);
      const type = obj.spec?.type;
      if (type === 'LoadBalancer') out['services.loadbalancers'] = Quantity.fromInt(1);
      if (type === 'NodePort' || (type === 'LoadBalancer' && obj.spec?.allocateLoadBalancerNodePorts !== false)) {
        out['services.nodeports'] = Quantity.fromInt((obj.spec?.ports ?? []).length);
      }
      return out;
    }
    case 'persistentvolumeclaims': {
      out.persistentvolumeclaims = Quantity.fromInt(1);
      const cls: string = obj.spec?.storageClassName ?? '';
      if (cls) out[`${cls}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`] = Quantity.fromInt(1);
      const storage = q(obj.spec?.resources?.requests?.storage);
      if (storage) {
        out['requests.storage'] = storage;
        if (cls) out[`${cls}${STORAGE_CLASS_SUFFIX}requests.storage`] = storage;
      }
      return out;
    }
    default:
      if (LEGACY_COUNTS[gr.resource]) out[gr.resource] = Quantity.fromInt(1);
      return out;
  }
}

// --- scopes -----------------------------------------------------------------------------------

function isBestEffort(pod: Obj): boolean {
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    for (const which of ['requests', 'limits']) {
      const list = c?.resources?.[which] ?? {};
      if (list.cpu !== undefined || list.memory !== undefined) return false;
    }
  }
  return true;
}

function podMatchesScope(scope: Obj, pod: Obj): boolean {
  switch (scope.scopeName) {
    case 'Terminating':
      return typeof pod.spec?.activeDeadlineSeconds === 'number' && pod.spec.activeDeadlineSeconds >= 0;
    case 'NotTerminating':
      return !(typeof pod.spec?.activeDeadlineSeconds === 'number' && pod.spec.activeDeadlineSeconds >= 0);
    case 'BestEffort':
      return isBestEffort(pod);
    case 'NotBestEffort':
      return !isBestEffort(pod);
    case 'PriorityClass': {
      const pc: string | undefined = pod.spec?.priorityClassName || undefined;
      const values: string[] = scope.values ?? [];
      switch (scope.operator) {
        case 'In':
          return pc !== undefined && values.includes(pc);
        case 'NotIn':
          return pc === undefined || !values.includes(pc);
        case 'Exists':
          return pc !== undefined;
        case 'DoesNotExist':
          return pc === undefined;
        default:
          return false;
      }
    }
    case 'CrossNamespacePodAffinity': {
      const a = pod.spec?.affinity ?? {};
      const terms = [...(a.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []), ...(a.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w: Obj) => w.podAffinityTerm),
        ...(a.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []), ...(a.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w: Obj) => w.podAffinityTerm)];
      const cross = terms.some((t: Obj) => (t?.namespaces ?? []).length > 0 || t?.namespaceSelector);
      return scope.operator === 'DoesNotExist' ? !cross : cross;
    }
    default:
      return false;
  }
}

/** The quota's scopes as selector requirements (spec.scopes and spec.scopeSelector together). */
function scopesOf(quota: Obj): Obj[] {
  const out: Obj[] = (quota.spec?.scopes ?? []).map((s: string) => ({ scopeName: s, operator: 'Exists' }));
  for (const e of quota.spec?.scopeSelector?.matchExpressions ?? []) out.push(e);
  return out;
}

/** evaluator.Matches: does the quota cover this object at all (by resource and scope)? */
export function quotaMatches(quota: Obj, gr: GR, obj: Obj): boolean {
  const hard = Object.keys(quota.status?.hard ?? quota.spec?.hard ?? {});
  if (matchingResources(gr, hard).length === 0) return false;
  if (gr.group !== '' || gr.resource !== 'pods') return true;
  for (const s of scopesOf(quota)) if (!podMatchesScope(s, obj)) return false;
  return true;
}

/** podEvaluator.Constraints: with cpu or memory under quota, every container must say how much it wants. */
export function podConstraints(required: string[], pod: Obj): string | undefined {
  const req = required.filter((r) => VALIDATION_SET.has(r));
  if (!req.length) return undefined;
  const missing = new Map<string, Set<string>>();
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    const requests: ResourceList = {};
    const limits: ResourceList = {};
    for (const [k, v] of Object.entries(c?.resources?.requests ?? {})) if (q(v)) requests[k] = q(v)!;
    for (const [k, v] of Object.entries(c?.resources?.limits ?? {})) if (q(v)) limits[k] = q(v)!;
    const has = computeUsage(requests, limits);
    for (const r of req) if (!has[r]) (missing.get(r) ?? missing.set(r, new Set()).get(r)!).add(c?.name ?? '');
  }
  if (!missing.size) return undefined;
  const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
  return `must specify ${parts.join('; ')}`;
}

// --- resource list helpers ----------------------------------------------------------------------

export function parseList(l: Record<string, unknown> | undefined): ResourceList {
  const out: ResourceList = {};
  for (const [k, v] of Object.entries(l ?? {})) {
    const x = q(v);
    if (x) out[k] = x;
  }
  return out;
}

export function formatList(l: ResourceList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(l).sort()) out[k] = l[k]!.toString();
  return out;
}

export function addLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = { ...a };
  for (const [k, v] of Object.entries(b)) addTo(out, k, v);
  return out;
}

export function subtractLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = out[k] ? out[k]!.sub(v) : v.neg();
  return out;
}

export function mask(l: ResourceList, names: Iterable<string>): ResourceList {
  const out: ResourceList = {};
  for (const n of names) if (l[n]) out[n] = l[n]!;
  return out;
}

export function removeZeros(l: ResourceList): ResourceList {
  const out: ResourceList = {};
  for (const [k, v] of Object.entries(l)) if (!v.isZero()) out[k] = v;
  return out;
}

/** prettyPrint: `name=value` pairs sorted by name, joined with commas. */
export function prettyPrint(l: ResourceList): string {
  return Object.keys(l)
    .sort()
    .map((k) => `${k}=${l[k]!.toString()}`)
    .join(',');
}
