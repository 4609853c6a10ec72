// RBAC rule matching, as upstream's rbac.RuleAllows (plugin/pkg/auth/authorizer/rbac and
// pkg/apis/rbac/v1 helpers): verbs, API groups and resources with `*`, `resource/subresource`
// and `*/subresource` wildcards, resourceNames, and nonResourceURLs with a trailing `*`.
import type { Attributes } from '../reviews.ts';

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

function has(list: string[] | undefined, v: string): boolean {
  if (!list) return false;
  for (const x of list) if (x === '*' || x === v) return true;
  return false;
}

// ResourceMatches: `*`, the exact `resource[/subresource]`, or a `*` + `/subresource` wildcard.
export function resourceMatches(rule: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  for (const r of rule.resources ?? []) {
    if (r === '*' || r === combined) return true;
    if (subresource && r.length === subresource.length + 2 && r.startsWith('*/') && r.endsWith(subresource)) return true;
  }
  return false;
}

/** An empty resourceNames allows every name; otherwise the request's name must be listed (so lists and creates, which carry no name, are not allowed). */
export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames;
  if (!names || names.length === 0) return true;
  return names.includes(name);
}

export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs ?? []) {
    if (u === '*' || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.replace(/\*+$/, ''))) return true;
  }
  return false;
}

export function ruleAllows(attrs: Attributes, rule: PolicyRule): boolean {
  if (!has(rule.verbs, attrs.verb)) return false;
  if (attrs.isResourceRequest) {
    return has(rule.apiGroups, attrs.apiGroup) && resourceMatches(rule, attrs.resource, attrs.subresource) && resourceNameMatches(rule, attrs.name);
  }
  return nonResourceURLMatches(rule, attrs.path);
}

export function rulesAllow(attrs: Attributes, rules: readonly PolicyRule[]): boolean {
  for (const r of rules) if (ruleAllows(attrs, r)) return true;
  return false;
}

const sorted = (xs: string[]) => [...new Set(xs)].sort();

/** A rule as upstream's rbacv1helpers.NewRule(...).Groups(...).Resources(...) builds it: every list a sorted set. */
export function rule(verbs: string[], groups: string[], resources: string[], names?: string[]): PolicyRule {
  return { verbs: sorted(verbs), apiGroups: sorted(groups), resources: sorted(resources), ...(names ? { resourceNames: sorted(names) } : {}) };
}

export function urlRule(verbs: string[], urls: string[]): PolicyRule {
  return { verbs: sorted(verbs), nonResourceURLs: sorted(urls) };
}
