// Test support for the authorizers: attributes like the API server's RequestInfo, users, and an
// in-memory RBAC lister seeded with the bootstrap policy (aggregated) plus a test's own objects.
import type { Attributes } from '../reviews.ts';
import type { Obj, UserInfo } from '../types.ts';
import { aggregateClusterRoles } from './aggregation.ts';
import { bootstrapPolicy } from './bootstrap.ts';
import type { RbacLister } from './rbac.ts';

export function res(verb: string, resource: string, opts: { namespace?: string; name?: string; group?: string; subresource?: string } = {}): Attributes {
  const [r, sub] = resource.split('/');
  return { isResourceRequest: true, verb, resource: r!, subresource: opts.subresource ?? sub ?? '', namespace: opts.namespace ?? '', name: opts.name ?? '', apiGroup: opts.group ?? '', apiVersion: 'v1', path: '' };
}

export function path(verb: string, p: string): Attributes {
  return { isResourceRequest: false, verb, path: p, resource: '', subresource: '', namespace: '', name: '', apiGroup: '', apiVersion: '' };
}

export function user(username: string, ...groups: string[]): UserInfo {
  return { username, groups: [...groups, 'system:authenticated'] };
}

export const crb = (name: string, role: string, subjects: Obj[]): Obj => ({ kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects });
export const rb = (namespace: string, name: string, roleRef: { kind: 'Role' | 'ClusterRole'; name: string }, subjects: Obj[]): Obj => ({
  kind: 'RoleBinding',
  metadata: { name, namespace },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef },
  subjects,
});
export const userSubject = (name: string): Obj => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name });
export const groupSubject = (name: string): Obj => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name });

/** A lister over arrays; `revision` bumps on every `add`. */
export function memoryLister(extra: { clusterRoles?: Obj[]; clusterRoleBindings?: Obj[]; roles?: Obj[]; roleBindings?: Obj[] } = {}): RbacLister & { add(kind: 'clusterRoles' | 'clusterRoleBindings' | 'roles' | 'roleBindings', o: Obj): void } {
  const p = bootstrapPolicy();
  const data = {
    clusterRoles: aggregateClusterRoles([...p.clusterRoles, ...(extra.clusterRoles ?? [])]),
    clusterRoleBindings: [...p.clusterRoleBindings, ...(extra.clusterRoleBindings ?? [])],
    roles: [...p.roles, ...(extra.roles ?? [])],
    roleBindings: [...p.roleBindings, ...(extra.roleBindings ?? [])],
  };
  let rev = 1;
  return {
    roles: (ns) => data.roles.filter((r) => r.metadata.namespace === ns),
    clusterRoles: () => data.clusterRoles,
    roleBindings: (ns) => data.roleBindings.filter((r) => r.metadata.namespace === ns),
    clusterRoleBindings: () => data.clusterRoleBindings,
    revision: () => rev,
    add(kind, o) {
      data[kind] = kind === 'clusterRoles' ? aggregateClusterRoles([...data.clusterRoles, o]) : [...data[kind], o];
      rev++;
    },
  };
}
