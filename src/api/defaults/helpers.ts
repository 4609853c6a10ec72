// Pure pieces of kube-apiserver's registry strategies ([strat]), Service allocation ([alloc]) and
// internal->versioned conversion ([conv]) that the registry can call; none of them is run by applyDefaults.
import type { Obj } from './pod.ts';
import { addQuantities, cmpQuantities } from './quantities.ts';

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const hasKeys = (v: unknown): v is Obj => isObj(v) && Object.keys(v).length > 0;

// ---------------------------------------------------------------------------------------------- pod specs

/** The PodSpec objects inside a built-in object (Pod, PodTemplate, workloads, Job, CronJob); [] otherwise. */
export function podSpecsOf(obj: Obj): Obj[] {
  const kind = obj?.kind;
  const s = obj?.spec;
  if (kind === 'Pod') return isObj(s) ? [s] : [];
  if (kind === 'PodTemplate') return isObj(obj.template?.spec) ? [obj.template.spec] : [];
  if (kind === 'CronJob') return isObj(s?.jobTemplate?.spec?.template?.spec) ? [s.jobTemplate.spec.template.spec] : [];
  if (isObj(s?.template?.spec) && ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicationController'].includes(kind)) {
    return [s.template.spec];
  }
  return [];
}

/**
 * [conv] input side: the deprecated `serviceAccount` alias is used only when `serviceAccountName` is empty.
 * Call on request bodies before defaulting.
 */
export function serviceAccountAliasIn(obj: Obj): void {
  for (const spec of podSpecsOf(obj)) {
    if (!spec.serviceAccountName && spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
  }
}

/** [conv] output side: `serviceAccount` is always emitted equal to `serviceAccountName` (omitted when empty). */
export function serviceAccountAliasOut(obj: Obj): void {
  for (const spec of podSpecsOf(obj)) {
    if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
    else delete spec.serviceAccount;
  }
}

// ---------------------------------------------------------------------------------------------- Pod strategy

const QOS_RESOURCES = ['cpu', 'memory'];

/** Pod QoS class (BestEffort / Burstable / Guaranteed) as the Pod strategy computes it into status.qosClass. */
export function podQOSClass(pod: Obj): 'BestEffort' | 'Burstable' | 'Guaranteed' {
  const spec = isObj(pod.spec) ? pod.spec : {};
  const requests = new Map<string, string>();
  const limits = new Map<string, string>();
  let guaranteed = true;
  const addTo = (m: Map<string, string>, name: string, v: string): void => {
    const prev = m.get(name);
    m.set(name, prev === undefined ? v : addQuantities(prev, v));
  };
  const scan = (res: Obj | undefined): void => {
    for (const [name, v] of Object.entries(res?.requests ?? {})) {
      if (QOS_RESOURCES.includes(name) && cmpQuantities(String(v), '0') > 0) addTo(requests, name, String(v));
    }
    const found = new Set<string>();
    for (const [name, v] of Object.entries(res?.limits ?? {})) {
      if (QOS_RESOURCES.includes(name) && cmpQuantities(String(v), '0') > 0) {
        found.add(name);
        addTo(limits, name, String(v));
      }
    }
    if (!QOS_RESOURCES.every((r) => found.has(r))) guaranteed = false;
  };
  if (isObj(spec.resources) && (hasKeys(spec.resources.requests) || hasKeys(spec.resources.limits))) {
    scan(spec.resources);
  } else {
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) scan(c?.resources);
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (lim === undefined || cmpQuantities(lim, req) !== 0) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

/** status a Pod gets from PrepareForCreate: phase Pending, qosClass, SchedulingGated condition. Run after applyDefaults. */
export function podInitialStatus(pod: Obj): Obj {
  const status: Obj = { phase: 'Pending', qosClass: podQOSClass(pod) };
  const gates = pod.spec?.schedulingGates;
  if (Array.isArray(gates) && gates.length > 0) {
    status.conditions = [
      {
        type: 'PodScheduled',
        status: 'False',
        reason: 'SchedulingGated',
        message: 'Scheduling is blocked due to non-empty scheduling gates',
      },
    ];
  }
  return status;
}

function mergeLabelKeys(selectorHolder: Obj, keys: unknown, operator: 'In' | 'NotIn', labels: Obj): void {
  if (!Array.isArray(keys) || keys.length === 0 || !isObj(selectorHolder.labelSelector)) return;
  const sel = selectorHolder.labelSelector;
  for (const key of keys) {
    if (typeof key !== 'string' || !(key in labels)) continue;
    if (!Array.isArray(sel.matchExpressions)) sel.matchExpressions = [];
    sel.matchExpressions.push({ key, operator, values: [String(labels[key])] });
  }
}

/**
 * Pod PrepareForCreate: matchLabelKeys / mismatchLabelKeys of pod (anti)affinity terms and matchLabelKeys of
 * topology spread constraints become In / NotIn requirements with the pod's own label values.
 * Terms without a labelSelector are left alone (a nil selector matches nothing).
 */
export function podApplyMatchLabelKeys(pod: Obj): void {
  const spec = pod.spec;
  if (!isObj(spec)) return;
  const labels: Obj = isObj(pod.metadata?.labels) ? pod.metadata.labels : {};
  for (const a of [spec.affinity?.podAffinity, spec.affinity?.podAntiAffinity]) {
    if (!isObj(a)) continue;
    const terms: Obj[] = [];
    for (const t of a.requiredDuringSchedulingIgnoredDuringExecution ?? []) if (isObj(t)) terms.push(t);
    for (const w of a.preferredDuringSchedulingIgnoredDuringExecution ?? []) if (isObj(w?.podAffinityTerm)) terms.push(w.podAffinityTerm);
    for (const t of terms) {
      mergeLabelKeys(t, t.matchLabelKeys, 'In', labels);
      mergeLabelKeys(t, t.mismatchLabelKeys, 'NotIn', labels);
    }
  }
  for (const c of spec.topologySpreadConstraints ?? []) if (isObj(c)) mergeLabelKeys(c, c.matchLabelKeys, 'In', labels);
}

// ---------------------------------------------------------------------------------------------- Job strategy

/**
 * Job PrepareForCreate: unless spec.manualSelector is true, adds the generated template labels and selector
 * keyed on the Job's own uid (each only when not already present). Needs metadata.name and metadata.uid.
 */
export function jobGenerateSelector(job: Obj): void {
  const s = job.spec;
  if (!isObj(s) || s.manualSelector === true) return;
  const name = String(job.metadata?.name ?? '');
  const uid = String(job.metadata?.uid ?? '');
  if (!isObj(s.template)) s.template = {};
  if (!isObj(s.template.metadata)) s.template.metadata = {};
  if (!isObj(s.template.metadata.labels)) s.template.metadata.labels = {};
  const tl = s.template.metadata.labels;
  const want: Obj = {
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': name,
    'controller-uid': uid,
    'job-name': name,
  };
  for (const k of Object.keys(want)) if (!(k in tl)) tl[k] = want[k];
  if (!isObj(s.selector)) s.selector = {};
  if (!isObj(s.selector.matchLabels)) s.selector.matchLabels = {};
  if (!('batch.kubernetes.io/controller-uid' in s.selector.matchLabels)) {
    s.selector.matchLabels['batch.kubernetes.io/controller-uid'] = uid;
  }
}

// ---------------------------------------------------------------------------------------------- Namespace

/** Namespace PrepareForCreate: finalizer `kubernetes` appended when missing; status.phase Active. */
export function namespacePrepareForCreate(ns: Obj): void {
  if (!isObj(ns.spec)) ns.spec = {};
  if (!Array.isArray(ns.spec.finalizers)) ns.spec.finalizers = [];
  if (!ns.spec.finalizers.includes('kubernetes')) ns.spec.finalizers.push('kubernetes');
  ns.status = { phase: 'Active' };
}

// ---------------------------------------------------------------------------------------------- Service

export type IPFamily = 'IPv4' | 'IPv6';

export interface ServiceCIDRFamilies {
  primary: IPFamily;
  /** Set on a dual-stack cluster. */
  secondary?: IPFamily;
}

function ipFamilyOf(ip: string): IPFamily | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return 'IPv4';
  if (ip.includes(':')) return 'IPv6';
  return undefined;
}

/**
 * [alloc] Service create hook, the family part (run before IP allocation): clusterIPs from clusterIP,
 * ipFamilyPolicy (RequireDualStack for headless selectorless, SingleStack otherwise) and ipFamilies
 * (from given clusterIPs, else the cluster's primary; the other family appended for dual-stack policies on
 * a dual-stack cluster). ExternalName services get none of them. Also usable on read for objects stored
 * without these fields.
 */
export function serviceDefaultIPFamilies(svc: Obj, cluster: ServiceCIDRFamilies): void {
  const s = svc.spec;
  if (!isObj(s) || s.type === 'ExternalName') return;
  if ((!Array.isArray(s.clusterIPs) || s.clusterIPs.length === 0) && s.clusterIP) s.clusterIPs = [s.clusterIP];
  const headless = s.clusterIP === 'None' || (Array.isArray(s.clusterIPs) && s.clusterIPs[0] === 'None');
  const selectorless = !hasKeys(s.selector);
  if (!s.ipFamilyPolicy) s.ipFamilyPolicy = headless && selectorless ? 'RequireDualStack' : 'SingleStack';
  const families: IPFamily[] = Array.isArray(s.ipFamilies) ? [...s.ipFamilies] : [];
  if (families.length === 0 && Array.isArray(s.clusterIPs)) {
    for (const ip of s.clusterIPs) {
      const f = typeof ip === 'string' ? ipFamilyOf(ip) : undefined;
      if (f && !families.includes(f)) families.push(f);
    }
  }
  if (families.length === 0) families.push(cluster.primary);
  if (cluster.secondary && s.ipFamilyPolicy !== 'SingleStack' && families.length === 1) {
    families.push(families[0] === cluster.primary ? cluster.secondary : cluster.primary);
  }
  s.ipFamilies = families;
}

/** Service read path: ExternalName services never show internalTrafficPolicy. */
export function serviceDefaultOnRead(svc: Obj): void {
  if (svc.spec?.type === 'ExternalName') delete svc.spec.internalTrafficPolicy;
}
