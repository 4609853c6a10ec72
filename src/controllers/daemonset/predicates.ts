// Which nodes a DaemonSet runs on, as upstream's NodeShouldRunDaemonPod: the node name, the pod's
// nodeSelector and required node affinity (the scheduler's NodeAffinity rules), and the node's
// NoSchedule/NoExecute taints against the pod's tolerations plus the default DaemonSet
// tolerations (TaintToleration rules); also the pod template changes a daemon pod gets: those
// tolerations and a required affinity to its one node (`metadata.name In [node]`, matchFields).
import type { Obj } from '../../client/types.ts';

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

/** AddOrUpdateDaemonPodTolerations: what every daemon pod tolerates (network-unavailable with hostNetwork). */
export function defaultDaemonTolerations(hostNetwork: boolean): Toleration[] {
  const t: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (hostNetwork) t.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  return t;
}

function sameToleration(a: Toleration, b: Toleration): boolean {
  return (a.key ?? '') === (b.key ?? '') && (a.operator || 'Equal') === (b.operator || 'Equal') && (a.value ?? '') === (b.value ?? '') && (a.effect ?? '') === (b.effect ?? '');
}

/**
 * The tolerations with the defaults added (AddOrUpdateTolerationInPodSpec: one with the same key,
 * operator, value and effect is replaced, e.g. dropping its tolerationSeconds).
 */
export function withDaemonTolerations(spec: Obj): Toleration[] {
  const out: Toleration[] = [...((spec?.tolerations as Toleration[] | undefined) ?? [])];
  for (const d of defaultDaemonTolerations(!!spec?.hostNetwork)) {
    const i = out.findIndex((t) => sameToleration(t, d));
    if (i >= 0) out[i] = d;
    else out.push(d);
  }
  return out;
}

/** Toleration.ToleratesTaint. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? '') {
    case '':
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

/** FindMatchingUntoleratedTaint: the first taint passing the filter that no toleration tolerates. */
export function findUntoleratedTaint(taints: Taint[] | undefined, tolerations: Toleration[], filter: (t: Taint) => boolean): Taint | undefined {
  for (const taint of taints ?? []) {
    if (!filter(taint)) continue;
    if (!tolerations.some((t) => toleratesTaint(t, taint))) return taint;
  }
  return undefined;
}

interface Requirement {
  key: string;
  operator: string;
  values?: string[];
}

function labelRequirementMatches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = labels[r.key];
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return has && values.includes(v!);
    case 'NotIn':
      return !has || !values.includes(v!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || values.length !== 1) return false;
      const a = Number.parseInt(v!, 10);
      const b = Number.parseInt(values[0]!, 10);
      if (!/^-?\d+$/.test(v!) || !/^-?\d+$/.test(values[0]!)) return false;
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

function fieldRequirementMatches(r: Requirement, node: Obj): boolean {
  if (r.key !== 'metadata.name') return false;
  const values = r.values ?? [];
  const name = node.metadata?.name ?? '';
  if (r.operator === 'In') return values.length === 1 && values[0] === name;
  if (r.operator === 'NotIn') return values.length === 1 && values[0] !== name;
  return false;
}

/** A NodeSelectorTerm: every requirement holds; an empty term matches nothing. */
export function nodeSelectorTermMatches(term: Obj, node: Obj): boolean {
  const exprs = (term?.matchExpressions as Requirement[] | undefined) ?? [];
  const fields = (term?.matchFields as Requirement[] | undefined) ?? [];
  if (!exprs.length && !fields.length) return false;
  const labels = (node.metadata?.labels as Record<string, string> | undefined) ?? {};
  for (const r of exprs) if (!labelRequirementMatches(r, labels)) return false;
  for (const r of fields) if (!fieldRequirementMatches(r, node)) return false;
  return true;
}

/** GetRequiredNodeAffinity(pod).Match(node): nodeSelector labels and any required term. */
export function requiredNodeAffinityMatches(spec: Obj, node: Obj): boolean {
  const sel = spec?.nodeSelector as Record<string, string> | undefined;
  if (sel) {
    const labels = (node.metadata?.labels as Record<string, string> | undefined) ?? {};
    for (const k of Object.keys(sel)) if (labels[k] !== sel[k]) return false;
  }
  const req = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (req) {
    const terms = (req.nodeSelectorTerms as Obj[] | undefined) ?? [];
    if (!terms.some((t) => nodeSelectorTermMatches(t, node))) return false;
  }
  return true;
}

/**
 * NodeShouldRunDaemonPod: shouldRun (a pod should be placed there) and shouldContinueRunning (a
 * pod already there may stay: only NoSchedule taints are untolerated). `tolerations` must
 * already include the daemon defaults (withDaemonTolerations).
 */
export function nodeShouldRunDaemonPod(node: Obj, templateSpec: Obj, tolerations: Toleration[]): { shouldRun: boolean; shouldContinueRunning: boolean } {
  const name = node.metadata?.name;
  if (templateSpec?.nodeName && templateSpec.nodeName !== name) return { shouldRun: false, shouldContinueRunning: false };
  if (!requiredNodeAffinityMatches(templateSpec, node)) return { shouldRun: false, shouldContinueRunning: false };
  const taints = node.spec?.taints as Taint[] | undefined;
  if (!taints?.length) return { shouldRun: true, shouldContinueRunning: true };
  if (findUntoleratedTaint(taints, tolerations, (t) => t.effect === 'NoExecute' || t.effect === 'NoSchedule')) {
    return { shouldRun: false, shouldContinueRunning: !findUntoleratedTaint(taints, tolerations, (t) => t.effect === 'NoExecute') };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}

/** ReplaceDaemonSetPodNodeNameNodeAffinity: the required node terms become `metadata.name In [node]`. */
export function nodeNameAffinity(affinity: Obj | undefined, nodeName: string): Obj {
  const terms = [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }];
  const a = { ...(affinity ?? {}) };
  a.nodeAffinity = { ...(a.nodeAffinity ?? {}), requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } };
  return a;
}

/** GetTargetNodeName: spec.nodeName, else the node named by the daemon pod's matchFields affinity. */
export function targetNodeName(pod: Obj): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms as Obj[] | undefined;
  for (const t of terms ?? []) {
    for (const f of (t.matchFields as Requirement[] | undefined) ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
    }
  }
  return undefined;
}
