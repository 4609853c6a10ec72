// The LimitRanger admission plugin (plugin/pkg/admission/limitranger): a new pod's containers get
// the default limits and requests of the namespace's LimitRanges (type Container), recorded in the
// kubernetes.io/limit-ranger annotation; pods are then checked against min, max and
// maxLimitRequestRatio per Container and per Pod, and claims against min/max storage per
// PersistentVolumeClaim, with upstream's messages (403 Forbidden).
import { forbidden } from '../../machinery/errors.ts';
import { Quantity, tryParseQuantity } from '../../machinery/quantity.ts';
import type { AdmissionAttributes, AdmissionPlugin } from '../admission.ts';
import type { Store } from '../registry/store.ts';
import type { Obj } from '../types.ts';
import { podResources, type ResourceList } from './quotausage.ts';

export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

export interface LimitRangerOptions {
  /** The limitranges store. */
  limitRanges: () => Store;
}

function parse(l: Record<string, unknown> | undefined): ResourceList {
  const out: ResourceList = {};
  for (const [k, v] of Object.entries(l ?? {})) {
    const q = typeof v === 'string' || typeof v === 'number' ? tryParseQuantity(String(v)) : undefined;
    if (q) out[k] = q;
  }
  return out;
}

/** Upstream prints the decoded quantity, which is always in canonical form. */
const text = (_raw: unknown, q: Quantity) => q.canonical();

function minConstraint(type: string, name: string, raw: unknown, requests: Obj, limits: Obj): string | undefined {
  const enforced = tryParseQuantity(String(raw));
  if (!enforced) return undefined;
  const e = text(raw, enforced);
  const req = requests[name] !== undefined ? tryParseQuantity(String(requests[name])) : undefined;
  const lim = limits[name] !== undefined ? tryParseQuantity(String(limits[name])) : undefined;
  if (!req) return `minimum ${name} usage per ${type} is ${e}.  No request is specified`;
  if (req.cmp(enforced) < 0) return `minimum ${name} usage per ${type} is ${e}, but request is ${text(requests[name], req)}`;
  if (lim && lim.cmp(enforced) < 0) return `minimum ${name} usage per ${type} is ${e}, but limit is ${text(limits[name], lim)}`;
  return undefined;
}

function maxConstraint(type: string, name: string, raw: unknown, requests: Obj, limits: Obj): string | undefined {
  const enforced = tryParseQuantity(String(raw));
  if (!enforced) return undefined;
  const e = text(raw, enforced);
  const req = requests[name] !== undefined ? tryParseQuantity(String(requests[name])) : undefined;
  const lim = limits[name] !== undefined ? tryParseQuantity(String(limits[name])) : undefined;
  if (!lim) return `maximum ${name} usage per ${type} is ${e}.  No limit is specified`;
  if (lim.cmp(enforced) > 0) return `maximum ${name} usage per ${type} is ${e}, but limit is ${text(limits[name], lim)}`;
  if (req && req.cmp(enforced) > 0) return `maximum ${name} usage per ${type} is ${e}, but request is ${text(requests[name], req)}`;
  return undefined;
}

/** maxRequestConstraint: for claims, whose limits are not user input. */
function maxRequestConstraint(type: string, name: string, raw: unknown, requests: Obj): string | undefined {
  const enforced = tryParseQuantity(String(raw));
  if (!enforced) return undefined;
  const e = text(raw, enforced);
  const req = requests[name] !== undefined ? tryParseQuantity(String(requests[name])) : undefined;
  if (!req) return `maximum ${name} usage per ${type} is ${e}.  No request is specified`;
  if (req.cmp(enforced) > 0) return `maximum ${name} usage per ${type} is ${e}, but request is ${text(requests[name], req)}`;
  return undefined;
}

/** Go's %f: six decimals. */
const goFloat = (x: number) => x.toFixed(6);

function ratioConstraint(type: string, name: string, raw: unknown, requests: Obj, limits: Obj): string | undefined {
  const enforced = tryParseQuantity(String(raw));
  if (!enforced) return undefined;
  const e = text(raw, enforced);
  const req = requests[name] !== undefined ? tryParseQuantity(String(requests[name])) : undefined;
  const lim = limits[name] !== undefined ? tryParseQuantity(String(limits[name])) : undefined;
  if (!req || req.isZero()) return `${name} max limit to request ratio per ${type} is ${e}, but no request is specified or request is 0`;
  if (!lim || lim.isZero()) return `${name} max limit to request ratio per ${type} is ${e}, but no limit is specified or limit is 0`;
  const ratio = lim.asApproximateFloat64() / req.asApproximateFloat64();
  // Compared in milli-units, as upstream, so a ratio of 1.5 against "1500m" is allowed.
  if (ratio * 1000 > enforced.milliValue()) return `${name} max limit to request ratio per ${type} is ${e}, but provided ratio is ${goFloat(ratio)}`;
  return undefined;
}

/** utilerrors.NewAggregate(...).Error(): one message, or `[a, b]` without duplicates. */
function aggregate(errs: string[]): string {
  const unique = [...new Set(errs)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}

/** defaultContainerResourceRequirements: the default requests and limits of one range's Container items. */
function containerDefaults(lr: Obj): { requests: Record<string, unknown>; limits: Record<string, unknown> } {
  const requests: Record<string, unknown> = {};
  const limits: Record<string, unknown> = {};
  for (const item of (lr.spec?.limits ?? []) as Obj[]) {
    if (item?.type !== 'Container') continue;
    Object.assign(requests, item.defaultRequest ?? {});
    Object.assign(limits, item.default ?? {});
  }
  return { requests, limits };
}

/** mergePodResourceRequirements: fills in what each container lacks and returns the annotation parts. */
function defaultContainers(pod: Obj, defaults: { requests: Record<string, unknown>; limits: Record<string, unknown> }): string[] {
  const notes: string[] = [];
  const reqKeys = Object.keys(defaults.requests);
  const limKeys = Object.keys(defaults.limits);
  if (!reqKeys.length && !limKeys.length) return notes;
  const each = (list: unknown, label: string) => {
    if (!Array.isArray(list)) return;
    for (const c of list as Obj[]) {
      if (!c || typeof c !== 'object') continue;
      const res = (c.resources ??= {});
      const setLimits: string[] = [];
      const setRequests: string[] = [];
      for (const k of limKeys) {
        if (res.limits?.[k] === undefined) {
          (res.limits ??= {})[k] = defaults.limits[k];
          setLimits.push(k);
        }
      }
      for (const k of reqKeys) {
        if (res.requests?.[k] === undefined) {
          (res.requests ??= {})[k] = defaults.requests[k];
          setRequests.push(k);
        }
      }
      if (setRequests.length) notes.push(`${setRequests.sort().join(', ')} request for ${label} ${c.name}`);
      if (setLimits.length) notes.push(`${setLimits.sort().join(', ')} limit for ${label} ${c.name}`);
    }
  };
  each(pod.spec?.containers, 'container');
  each(pod.spec?.initContainers, 'init container');
  return notes;
}

function formatList(l: ResourceList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(l)) out[k] = v.toString();
  return out;
}

/** PodValidateLimitFunc: every violation of one LimitRange. */
function validatePod(lr: Obj, pod: Obj): string[] {
  const errs: string[] = [];
  for (const item of (lr.spec?.limits ?? []) as Obj[]) {
    const type = item?.type;
    const check = (requests: Obj, limits: Obj) => {
      for (const [k, v] of Object.entries(item.min ?? {})) {
        const e = minConstraint(type, k, v, requests, limits);
        if (e) errs.push(e);
      }
      for (const [k, v] of Object.entries(item.max ?? {})) {
        const e = maxConstraint(type, k, v, requests, limits);
        if (e) errs.push(e);
      }
      for (const [k, v] of Object.entries(item.maxLimitRequestRatio ?? {})) {
        const e = ratioConstraint(type, k, v, requests, limits);
        if (e) errs.push(e);
      }
    };
    if (type === 'Container') {
      for (const list of [pod.spec?.containers, pod.spec?.initContainers]) {
        if (Array.isArray(list)) for (const c of list as Obj[]) check(c?.resources?.requests ?? {}, c?.resources?.limits ?? {});
      }
    } else if (type === 'Pod') {
      check(formatList(podResources(pod, 'requests')), formatList(podResources(pod, 'limits')));
    }
  }
  return errs;
}

function validateClaim(lr: Obj, pvc: Obj): string[] {
  const errs: string[] = [];
  const requests = pvc.spec?.resources?.requests ?? {};
  for (const item of (lr.spec?.limits ?? []) as Obj[]) {
    if (item?.type !== 'PersistentVolumeClaim') continue;
    for (const [k, v] of Object.entries(item.min ?? {})) {
      const e = minConstraint(item.type, k, v, requests, {});
      if (e) errs.push(e);
    }
    for (const [k, v] of Object.entries(item.max ?? {})) {
      const e = maxRequestConstraint(item.type, k, v, requests);
      if (e) errs.push(e);
    }
  }
  return errs;
}

export function limitRanger(opts: LimitRangerOptions): AdmissionPlugin {
  /** Pods are handled on create only (their containers' resources are immutable); claims on create and update. */
  const kind = (a: AdmissionAttributes): 'pod' | 'claim' | undefined => {
    if (a.subresource || a.store.info.group !== '' || !a.namespace) return undefined;
    if (a.store.info.resource === 'pods') return a.operation === 'CREATE' ? 'pod' : undefined;
    if (a.store.info.resource === 'persistentvolumeclaims') return a.operation === 'CREATE' || a.operation === 'UPDATE' ? 'claim' : undefined;
    return undefined;
  };
  const ranges = (namespace: string): Obj[] => {
    const store = opts.limitRanges();
    return store.cache.list(store.scope(namespace)).items;
  };
  return {
    name: 'LimitRanger',
    admit(a) {
      if (kind(a) !== 'pod') return;
      // Range by range, as upstream: an earlier range's defaults win, the last range that set something names itself in the annotation.
      for (const lr of ranges(a.namespace)) {
        const notes = defaultContainers(a.obj, containerDefaults(lr));
        if (notes.length) (a.obj.metadata.annotations ??= {})[LIMIT_RANGER_ANNOTATION] = `LimitRanger plugin set: ${notes.join('; ')}`;
      }
    },
    validate(a) {
      const k = kind(a);
      if (!k) return;
      // The first range with violations is reported (all of its violations).
      for (const lr of ranges(a.namespace)) {
        const errs = k === 'pod' ? validatePod(lr, a.obj) : validateClaim(lr, a.obj);
        if (errs.length) throw forbidden(a.store.gr, a.obj.metadata?.name ?? '', aggregate(errs));
      }
    },
  };
}
