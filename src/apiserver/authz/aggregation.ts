// ClusterRole aggregation (pkg/controller/clusterroleaggregation): a ClusterRole with an
// aggregationRule gets, as its rules, the rules of every other ClusterRole its
// clusterRoleSelectors match (by name order, without duplicates). admin, edit and view are built so
// from the `rbac.authorization.k8s.io/aggregate-to-*` labels, and a CRD's role joins them by label.
import { selectorFromLabelSelector, type Selector } from '../../machinery/labels.ts';
import type { Obj } from '../types.ts';
import type { PolicyRule } from './rules.ts';

function ruleKey(r: PolicyRule): string {
  return JSON.stringify([r.verbs ?? [], r.apiGroups ?? [], r.resources ?? [], r.resourceNames ?? [], r.nonResourceURLs ?? []]);
}

function selectorsOf(role: Obj): Selector[] {
  const out: Selector[] = [];
  for (const ls of role.aggregationRule?.clusterRoleSelectors ?? []) {
    try {
      out.push(selectorFromLabelSelector(ls));
    } catch {
      // An invalid selector selects nothing (validation keeps them out of storage anyway).
    }
  }
  return out;
}

/** The rules an aggregated ClusterRole should have, given every ClusterRole as it is now (one pass, as one controller sync). */
export function aggregatedRules(role: Obj, all: readonly Obj[]): PolicyRule[] {
  const sorted = [...all].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  const out: PolicyRule[] = [];
  const seen = new Set<string>();
  for (const sel of selectorsOf(role)) {
    for (const other of sorted) {
      if (other.metadata.name === role.metadata.name) continue;
      if (!sel.matches(other.metadata.labels ?? {})) continue;
      for (const r of (other.rules ?? []) as PolicyRule[]) {
        const k = ruleKey(r);
        if (seen.has(k)) continue;
        seen.add(k);
        out.push(r);
      }
    }
  }
  return out;
}

export function sameRules(a: readonly PolicyRule[] | undefined | null, b: readonly PolicyRule[] | undefined | null): boolean {
  const x = a ?? [];
  const y = b ?? [];
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (ruleKey(x[i]!) !== ruleKey(y[i]!)) return false;
  return true;
}

/**
 * Every ClusterRole with the rules aggregation settles on (roles aggregating aggregated roles —
 * admin ← edit ← view — are iterated to a fixed point). Roles without an aggregationRule are
 * returned as they are; changed ones are shallow copies.
 */
export function aggregateClusterRoles(clusterRoles: readonly Obj[]): Obj[] {
  let roles = [...clusterRoles];
  for (let pass = 0; pass <= roles.length; pass++) {
    let changed = false;
    const next = roles.map((r) => {
      if (!r.aggregationRule) return r;
      const rules = aggregatedRules(r, roles);
      if (sameRules(rules, r.rules)) return r;
      changed = true;
      return { ...r, rules };
    });
    roles = next;
    if (!changed) break;
  }
  return roles;
}
