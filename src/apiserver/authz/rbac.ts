// The RBAC authorizer (plugin/pkg/auth/authorizer/rbac + pkg/registry/rbac/validation's rule
// resolver): ClusterRoleBindings, then the RoleBindings of the request's namespace, are matched to
// the user by subject (User, Group, ServiceAccount), their roles' rules checked in order; the first
// rule that allows decides. Never denies: a miss is "no opinion" (with the resolution errors, such
// as a binding to a missing role, as the reason). Also the rules a user has in a namespace
// (SelfSubjectRulesReview, `kubectl auth can-i --list`).
import type { Attributes, Decision } from '../reviews.ts';
import type { Obj, UserInfo } from '../types.ts';
import type { Authorizer, RuleSet } from './chain.ts';
import { ruleAllows, type PolicyRule } from './rules.ts';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** Where the authorizer reads RBAC objects: the API server's watch caches, or plain arrays in tests. */
export interface RbacLister {
  roles(namespace: string): Obj[];
  clusterRoles(): Obj[];
  roleBindings(namespace: string): Obj[];
  clusterRoleBindings(): Obj[];
  /**
   * A stamp that changes whenever any of the four may have changed; the authorizer re-indexes only
   * then. Without it every request re-reads (correct, but slow).
   */
  revision?(): string | number;
}

interface Bound {
  binding: Obj;
  /** Position in the lister's order, so that matches are visited as upstream visits them. */
  order: number;
}

interface Scope {
  bySubject: Map<string, Bound[]>;
  roles: Map<string, Obj>;
}

/** The key a subject is indexed under; service accounts are indexed by the username they authenticate as. */
function subjectKey(s: Obj, bindingNamespace: string): string | undefined {
  switch (s?.kind) {
    case 'User':
      return `u:${s.name}`;
    case 'Group':
      return `g:${s.name}`;
    case 'ServiceAccount': {
      const ns = s.namespace || bindingNamespace;
      return ns ? `u:system:serviceaccount:${ns}:${s.name}` : undefined;
    }
  }
  return undefined;
}

function userKeys(user: UserInfo): string[] {
  const keys = [`u:${user.username}`];
  for (const g of user.groups ?? []) keys.push(`g:${g}`);
  return keys;
}

function indexBindings(bindings: Obj[], namespace: string): Map<string, Bound[]> {
  const by = new Map<string, Bound[]>();
  bindings.forEach((binding, order) => {
    const seen = new Set<string>();
    for (const s of binding.subjects ?? []) {
      const k = subjectKey(s, namespace);
      if (!k || seen.has(k)) continue;
      seen.add(k);
      (by.get(k) ?? by.set(k, []).get(k)!).push({ binding, order });
    }
  });
  return by;
}

function byName(objs: Obj[]): Map<string, Obj> {
  const m = new Map<string, Obj>();
  for (const o of objs) if (o?.metadata?.name) m.set(o.metadata.name, o);
  return m;
}

/** The first subject of a binding that applies to the user (appliesTo upstream). */
function matchingSubject(binding: Obj, user: UserInfo, bindingNamespace: string): Obj | undefined {
  for (const s of binding.subjects ?? []) {
    switch (s?.kind) {
      case 'User':
        if (s.name === user.username) return s;
        break;
      case 'Group':
        if ((user.groups ?? []).includes(s.name)) return s;
        break;
      case 'ServiceAccount': {
        const ns = s.namespace || bindingNamespace;
        if (ns && user.username === `system:serviceaccount:${ns}:${s.name}`) return s;
        break;
      }
    }
  }
  return undefined;
}

function describeSubject(s: Obj, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') return `${s.kind} ${JSON.stringify(`${s.name}/${s.namespace || bindingNamespace}`)}`;
  return `${s.kind} ${JSON.stringify(s.name)}`;
}

/** utilerrors.NewAggregate(...).Error(): one message as is, several in brackets. */
function aggregate(errs: string[]): string {
  const uniq = [...new Set(errs)];
  return uniq.length === 1 ? uniq[0]! : `[${uniq.join(', ')}]`;
}

export class RbacAuthorizer implements Authorizer {
  #lister: RbacLister;
  #stamp: unknown = Symbol('never');
  #cluster: Scope | undefined;
  #namespaces = new Map<string, Scope>();

  constructor(lister: RbacLister) {
    this.#lister = lister;
  }

  #fresh(): void {
    const r = this.#lister.revision?.();
    if (r !== undefined && r === this.#stamp) return;
    this.#stamp = r ?? Symbol('unversioned');
    this.#cluster = undefined;
    this.#namespaces.clear();
  }

  #clusterScope(): Scope {
    this.#cluster ??= { bySubject: indexBindings(this.#lister.clusterRoleBindings(), ''), roles: byName(this.#lister.clusterRoles()) };
    return this.#cluster;
  }

  #namespaceScope(ns: string): Scope {
    let s = this.#namespaces.get(ns);
    if (!s) {
      s = { bySubject: indexBindings(this.#lister.roleBindings(ns), ns), roles: byName(this.#lister.roles(ns)) };
      this.#namespaces.set(ns, s);
    }
    return s;
  }

  /** The bindings of a scope that name one of the user's subjects, in the lister's order. */
  #bindingsFor(scope: Scope, user: UserInfo): Obj[] {
    const found: Bound[] = [];
    const seen = new Set<Obj>();
    for (const k of userKeys(user)) {
      for (const b of scope.bySubject.get(k) ?? []) {
        if (seen.has(b.binding)) continue;
        seen.add(b.binding);
        found.push(b);
      }
    }
    if (found.length > 1) found.sort((a, b) => a.order - b.order);
    return found.map((b) => b.binding);
  }

  /** A binding's rules, or the error upstream's GetRoleReferenceRules reports. */
  #roleRules(binding: Obj, bindingNamespace: string): PolicyRule[] | string {
    const ref = binding.roleRef ?? {};
    if (ref.kind === 'ClusterRole') {
      const role = this.#clusterScope().roles.get(ref.name);
      return role ? (role.rules ?? []) : `clusterrole.rbac.authorization.k8s.io ${JSON.stringify(ref.name ?? '')} not found`;
    }
    if (ref.kind === 'Role' && bindingNamespace) {
      const role = this.#namespaceScope(bindingNamespace).roles.get(ref.name);
      return role ? (role.rules ?? []) : `role.rbac.authorization.k8s.io ${JSON.stringify(ref.name ?? '')} not found`;
    }
    return `unsupported role reference kind: ${JSON.stringify(ref.kind ?? '')}`;
  }

  /** Visits every (binding, rules) pair that applies to the user, as upstream's VisitRulesFor; stops when `visit` returns true. */
  #visit(user: UserInfo, namespace: string, visit: (rules: PolicyRule[], describe: () => string) => boolean, errors: string[]): void {
    this.#fresh();
    for (const b of this.#bindingsFor(this.#clusterScope(), user)) {
      const subject = matchingSubject(b, user, '');
      if (!subject) continue;
      const rules = this.#roleRules(b, '');
      if (typeof rules === 'string') {
        errors.push(rules);
        continue;
      }
      const d = () => `ClusterRoleBinding ${JSON.stringify(b.metadata?.name ?? '')} of ${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)} to ${describeSubject(subject, '')}`;
      if (visit(rules, d)) return;
    }
    if (!namespace) return;
    for (const b of this.#bindingsFor(this.#namespaceScope(namespace), user)) {
      const subject = matchingSubject(b, user, namespace);
      if (!subject) continue;
      const rules = this.#roleRules(b, namespace);
      if (typeof rules === 'string') {
        errors.push(rules);
        continue;
      }
      const d = () => `RoleBinding ${JSON.stringify(`${b.metadata?.name ?? ''}/${namespace}`)} of ${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)} to ${describeSubject(subject, namespace)}`;
      if (visit(rules, d)) return;
    }
  }

  authorize(user: UserInfo, attrs: Attributes): Decision {
    const errors: string[] = [];
    let allowedBy: string | undefined;
    this.#visit(
      user,
      attrs.isResourceRequest ? attrs.namespace : '',
      (rules, describe) => {
        for (const r of rules) {
          if (ruleAllows(attrs, r)) {
            allowedBy = describe();
            return true;
          }
        }
        return false;
      },
      errors,
    );
    if (allowedBy !== undefined) return { allowed: true, reason: `RBAC: allowed by ${allowedBy}` };
    return errors.length ? { allowed: false, reason: `RBAC: ${aggregate(errors)}` } : { allowed: false };
  }

  rules(user: UserInfo, namespace: string): RuleSet {
    const out: RuleSet = { resourceRules: [], nonResourceRules: [], incomplete: false };
    const errors: string[] = [];
    this.#visit(
      user,
      namespace,
      (rules) => {
        for (const r of rules) {
          if (r.resources?.length) {
            out.resourceRules.push({
              verbs: r.verbs ?? [],
              ...(r.apiGroups?.length ? { apiGroups: r.apiGroups } : {}),
              resources: r.resources,
              ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}),
            });
          }
          if (r.nonResourceURLs?.length) out.nonResourceRules.push({ verbs: r.verbs ?? [], nonResourceURLs: r.nonResourceURLs });
        }
        return false;
      },
      errors,
    );
    out.incomplete = errors.length > 0;
    return out;
  }
}

export function rbacAuthorizer(lister: RbacLister): RbacAuthorizer {
  return new RbacAuthorizer(lister);
}

/** The part of the API server the store-backed lister needs (ApiServer satisfies it). */
export interface StoreSource {
  store(group: string, resource: string): { scope(namespace: string): string; cache: { list(prefix: string): { items: Obj[] }; resourceVersion: number } } | undefined;
}

/**
 * A lister over the API server's watch caches; its revision is the caches' revisions, so the index
 * is rebuilt only after an RBAC write. The stores are looked up on first use, so the lister (and an
 * authorizer over it) can be made before the server it reads.
 */
export function storeLister(api: StoreSource): RbacLister {
  type S = NonNullable<ReturnType<StoreSource['store']>>;
  let stores: { roles: S; clusterRoles: S; roleBindings: S; clusterRoleBindings: S } | undefined;
  const get = (resource: string): S => {
    const s = api.store(RBAC_GROUP, resource);
    if (!s) throw new Error(`the API server does not serve ${resource}.${RBAC_GROUP}`);
    return s;
  };
  const st = () => (stores ??= { roles: get('roles'), clusterRoles: get('clusterroles'), roleBindings: get('rolebindings'), clusterRoleBindings: get('clusterrolebindings') });
  return {
    roles: (ns) => st().roles.cache.list(st().roles.scope(ns)).items,
    clusterRoles: () => st().clusterRoles.cache.list(st().clusterRoles.scope('')).items,
    roleBindings: (ns) => st().roleBindings.cache.list(st().roleBindings.scope(ns)).items,
    clusterRoleBindings: () => st().clusterRoleBindings.cache.list(st().clusterRoleBindings.scope('')).items,
    revision: () => {
      const s = st();
      return `${s.roles.cache.resourceVersion}/${s.clusterRoles.cache.resourceVersion}/${s.roleBindings.cache.resourceVersion}/${s.clusterRoleBindings.cache.resourceVersion}`;
    },
  };
}
