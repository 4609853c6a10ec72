// ClusterRole aggregation: view ⊂ edit ⊂ admin through the aggregate-to-* labels, a CRD role
// joining view by label, name order and no duplicates, and an aggregated role's own rules replaced.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateClusterRoles, aggregatedRules } from './aggregation.ts';
import { bootstrapPolicy } from './bootstrap.ts';
import type { Obj } from '../types.ts';

const byName = (roles: Obj[], n: string) => roles.find((r) => r.metadata.name === n)!;
const key = (r: Obj) => JSON.stringify(r);

describe('ClusterRole aggregation', () => {
  it('builds view ⊂ edit ⊂ admin from the bootstrap roles', () => {
    const roles = bootstrapPolicy({ aggregated: true }).clusterRoles;
    const view = byName(roles, 'view').rules.map(key);
    const edit = byName(roles, 'edit').rules.map(key);
    const admin = byName(roles, 'admin').rules.map(key);
    assert.deepEqual(view, byName(roles, 'system:aggregate-to-view').rules.map(key));
    for (const r of view) assert.ok(edit.includes(r));
    for (const r of edit) assert.ok(admin.includes(r));
    assert.ok(admin.length > edit.length && edit.length > view.length);
  });

  it('adds a CRD role by label, in name order, once', () => {
    const mk = (name: string, label: string, rules: Obj[]) => ({ metadata: { name, labels: { [label]: 'true' } }, rules });
    const crd = mk('b-widgets', 'rbac.authorization.k8s.io/aggregate-to-view', [{ verbs: ['get'], apiGroups: ['example.com'], resources: ['widgets'] }]);
    const dup = mk('a-widgets', 'rbac.authorization.k8s.io/aggregate-to-view', [{ verbs: ['get'], apiGroups: ['example.com'], resources: ['widgets'] }, { verbs: ['list'], apiGroups: ['example.com'], resources: ['widgets'] }]);
    const view = { metadata: { name: 'view' }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }] }, rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }] };
    assert.deepEqual(aggregatedRules(view, [view, crd, dup]), [
      { verbs: ['get'], apiGroups: ['example.com'], resources: ['widgets'] },
      { verbs: ['list'], apiGroups: ['example.com'], resources: ['widgets'] },
    ]);
    const out = aggregateClusterRoles([view, crd]);
    assert.equal(out[1], crd, 'roles without an aggregationRule are returned as they are');
    assert.deepEqual(out[0]!.rules, crd.rules);
  });
});
