// Which admission requests a webhook or a ValidatingAdmissionPolicy applies to, as upstream's
// k8s.io/apiserver/pkg/admission/plugin/webhook/predicates (rules, namespace and object selectors,
// matchPolicy Equivalent) and the exemption of the admission configuration objects themselves.
import { selectorFromLabelSelector, type LabelSelector } from '../../machinery/labels.ts';
import type { ResourceInfo } from '../../api/resources.ts';
import type { AdmissionAttributes } from '../admission.ts';
import type { Obj } from '../types.ts';

/** The request as the matchers see it (admission.Attributes upstream). */
export interface MatchRequest {
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  group: string;
  version: string;
  resource: string;
  subresource: string;
  kind: string;
  namespaced: boolean;
  namespace: string;
  name: string;
  obj: Obj | undefined;
  old: Obj | undefined;
  /** Set when the object is of another kind than the resource (subresources such as pods/eviction). */
  objectKind?: { group: string; version: string; kind: string };
}

export function matchRequest(a: AdmissionAttributes): MatchRequest {
  const info = a.store.info;
  return {
    operation: a.operation,
    group: info.group,
    version: info.version,
    resource: info.resource,
    subresource: a.subresource ?? '',
    kind: info.kind,
    namespaced: info.namespaced,
    namespace: info.namespaced ? a.namespace : '',
    name: a.obj?.metadata?.name ?? a.old?.metadata?.name ?? '',
    obj: a.operation === 'DELETE' ? undefined : a.obj,
    old: a.operation === 'CREATE' ? undefined : a.old,
    ...(a.kind ? { objectKind: a.kind } : {}),
  };
}

/** Resources never sent to webhooks or policies, so that a broken one can always be fixed. */
const EXEMPT = new Set([
  'validatingwebhookconfigurations',
  'mutatingwebhookconfigurations',
  'validatingadmissionpolicies',
  'validatingadmissionpolicybindings',
  'mutatingadmissionpolicies',
  'mutatingadmissionpolicybindings',
]);

export function isExempt(r: MatchRequest): boolean {
  return r.group === 'admissionregistration.k8s.io' && EXEMPT.has(r.resource);
}

const has = (list: unknown, v: string): boolean => Array.isArray(list) && (list.includes('*') || list.includes(v));

/** A Rule (apiGroups, apiVersions, resources, scope) against a group/version/resource. */
export function ruleMatchesResource(rule: Obj, r: { group: string; version: string; resource: string; subresource: string; namespaced: boolean }, withResourceNames?: string): boolean {
  if (!has(rule.apiGroups, r.group) || !has(rule.apiVersions, r.version)) return false;
  const scope = rule.scope ?? '*';
  if (scope === 'Cluster' && r.namespaced) return false;
  if (scope === 'Namespaced' && !r.namespaced) return false;
  const resources: string[] = Array.isArray(rule.resources) ? rule.resources : [];
  // "pods" and "*" match no subresource; "pods/*" matches pods and all its subresources.
  const ok = resources.some((spec) => {
    const slash = spec.indexOf('/');
    const res = slash < 0 ? spec : spec.slice(0, slash);
    const sub = slash < 0 ? '' : spec.slice(slash + 1);
    return (res === '*' || res === r.resource) && (sub === '*' || sub === r.subresource);
  });
  if (!ok) return false;
  if (withResourceNames !== undefined && Array.isArray(rule.resourceNames) && rule.resourceNames.length > 0) return rule.resourceNames.includes(withResourceNames);
  return true;
}

/** A RuleWithOperations. */
export function ruleMatches(rule: Obj, r: MatchRequest, gvr: { group: string; version: string; resource: string } = r): boolean {
  if (!has(rule.operations, r.operation)) return false;
  return ruleMatchesResource(rule, { ...gvr, subresource: r.subresource, namespaced: r.namespaced });
}

export interface MatchedKind {
  group: string;
  version: string;
  resource: string;
  kind: string;
}

/**
 * The version of the request's resource that a set of rules matches: the request's own, or under
 * matchPolicy Equivalent another served version of the same group and resource.
 */
export function matchingVersion(
  rules: Obj[] | undefined,
  matchPolicy: string | undefined,
  r: MatchRequest,
  served: () => readonly ResourceInfo[],
  test: (rule: Obj, r: MatchRequest, gvr: { group: string; version: string; resource: string }) => boolean = ruleMatches,
): MatchedKind | undefined {
  const list = rules ?? [];
  if (list.some((rule) => test(rule, r, r))) return { group: r.group, version: r.version, resource: r.resource, kind: r.kind };
  if (matchPolicy === 'Exact') return undefined;
  for (const other of served()) {
    if (other.group !== r.group || other.resource !== r.resource || other.version === r.version) continue;
    const gvr = { group: other.group, version: other.version, resource: other.resource };
    if (list.some((rule) => test(rule, r, gvr))) return { ...gvr, kind: other.kind };
  }
  return undefined;
}

function selectorMatches(sel: LabelSelector | null | undefined, labels: Record<string, string>): boolean {
  // A missing selector matches everything here (the defaulting sets {}).
  if (sel == null) return true;
  try {
    return selectorFromLabelSelector(sel).matches(labels);
  } catch {
    return false;
  }
}

/** objectSelector: the new or the old object's labels match. */
export function objectSelectorMatches(sel: LabelSelector | null | undefined, r: MatchRequest): boolean {
  if (sel == null || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0)) return true;
  if (r.obj && selectorMatches(sel, r.obj.metadata?.labels ?? {})) return true;
  if (r.old && selectorMatches(sel, r.old.metadata?.labels ?? {})) return true;
  return false;
}

/**
 * namespaceSelector: cluster-scoped requests always match, except Namespaces themselves, whose own
 * labels are tested; namespaced requests test their namespace's labels.
 */
export function namespaceSelectorMatches(sel: LabelSelector | null | undefined, r: MatchRequest, namespaceLabels: (name: string) => Record<string, string> | undefined): boolean {
  if (sel == null || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0)) return true;
  if (r.group === '' && r.resource === 'namespaces') {
    const labels = (r.obj ?? r.old)?.metadata?.labels ?? {};
    return selectorMatches(sel, labels);
  }
  if (!r.namespaced || !r.namespace) return true;
  return selectorMatches(sel, namespaceLabels(r.namespace) ?? {});
}
