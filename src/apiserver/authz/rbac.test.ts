// RBAC as a user of kubectl sees it: the default roles (view, edit, admin, cluster-admin,
// system:basic-user, system:discovery), aggregation of a CRD's role into view, resourceNames,
// nonResourceURLs, service-account subjects, the rules `kubectl auth can-i --list` shows, and the
// 403 text.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rbacAuthorizer } from './rbac.ts';
import { forbiddenMessage } from './chain.ts';
import { bootstrapPolicy } from './bootstrap.ts';
import { crb, groupSubject, memoryLister, path, rb, res, user, userSubject } from './testing.ts';

const jane = user('jane');
const viewJane = rb('default', 'jane-view', { kind: 'ClusterRole', name: 'view' }, [userSubject('jane')]);

describe('RBAC authorizer', () => {
  it('lets a view user list pods but not delete them, with the upstream 403 text', () => {
    const authz = rbacAuthorizer(memoryLister({ roleBindings: [viewJane] }));
    assert.equal(authz.authorize(jane, res('list', 'pods', { namespace: 'default' })).allowed, true);
    assert.equal(authz.authorize(jane, res('get', 'pods', { namespace: 'default', name: 'x' })).reason, 'RBAC: allowed by RoleBinding "jane-view/default" of ClusterRole "view" to User "jane"');
    assert.equal(authz.authorize(jane, res('watch', 'deployments', { namespace: 'default', group: 'apps' })).allowed, true);
    const del = res('delete', 'pods', { namespace: 'default', name: 'x' });
    const d = authz.authorize(jane, del);
    assert.deepEqual(d, { allowed: false });
    assert.equal(forbiddenMessage(jane, del, d.reason), 'pods "x" is forbidden: User "jane" cannot delete resource "pods" in API group "" in the namespace "default"');
    // Only in the bound namespace, and never the escalating resources.
    assert.equal(authz.authorize(jane, res('list', 'pods', { namespace: 'kube-system' })).allowed, false);
    assert.equal(authz.authorize(jane, res('get', 'secrets', { namespace: 'default', name: 's' })).allowed, false);
    assert.equal(authz.authorize(jane, res('create', 'pods/exec', { namespace: 'default', name: 'x' })).allowed, false);
  });

  it('gives admin what edit lacks (roles and bindings), and edit what view lacks', () => {
    const authz = rbacAuthorizer(
      memoryLister({
        roleBindings: [rb('dev', 'e', { kind: 'ClusterRole', name: 'edit' }, [userSubject('ed')]), rb('dev', 'a', { kind: 'ClusterRole', name: 'admin' }, [userSubject('ann')])],
      }),
    );
    const ed = user('ed');
    const ann = user('ann');
    const createRB = res('create', 'rolebindings', { namespace: 'dev', group: 'rbac.authorization.k8s.io' });
    assert.equal(authz.authorize(ann, createRB).allowed, true);
    assert.equal(authz.authorize(ed, createRB).allowed, false);
    for (const u of [ed, ann]) {
      assert.equal(authz.authorize(u, res('get', 'secrets', { namespace: 'dev', name: 's' })).allowed, true);
      assert.equal(authz.authorize(u, res('create', 'pods/exec', { namespace: 'dev', name: 'p' })).allowed, true);
      assert.equal(authz.authorize(u, res('update', 'deployments/scale', { namespace: 'dev', name: 'd', group: 'apps' })).allowed, true);
      assert.equal(authz.authorize(u, res('get', 'pods/log', { namespace: 'dev', name: 'p' })).allowed, true);
      // Nobody in the namespace roles edits quota or nodes.
      assert.equal(authz.authorize(u, res('update', 'resourcequotas', { namespace: 'dev', name: 'q' })).allowed, false);
      assert.equal(authz.authorize(u, res('list', 'nodes')).allowed, false);
    }
  });

  it('aggregates a CRD role labelled aggregate-to-view into view (and so edit and admin)', () => {
    const widgetsView = {
      kind: 'ClusterRole',
      metadata: { name: 'widgets-view', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } },
      rules: [{ verbs: ['get', 'list', 'watch'], apiGroups: ['example.com'], resources: ['widgets'] }],
    };
    const lister = memoryLister({
      roleBindings: [viewJane, rb('default', 'ann-admin', { kind: 'ClusterRole', name: 'admin' }, [userSubject('ann')])],
    });
    const authz = rbacAuthorizer(lister);
    const listWidgets = res('list', 'widgets', { namespace: 'default', group: 'example.com' });
    assert.equal(authz.authorize(jane, listWidgets).allowed, false);
    lister.add('clusterRoles', widgetsView);
    assert.equal(authz.authorize(jane, listWidgets).allowed, true);
    assert.equal(authz.authorize(user('ann'), listWidgets).allowed, true);
    assert.equal(authz.authorize(jane, res('delete', 'widgets', { namespace: 'default', group: 'example.com', name: 'w' })).allowed, false);
  });

  it('limits a rule with resourceNames to those names (so not to list or create)', () => {
    const authz = rbacAuthorizer(
      memoryLister({
        roles: [{ kind: 'Role', metadata: { name: 'one-cm', namespace: 'default' }, rules: [{ verbs: ['get', 'list', 'update', 'create'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['cm1'] }] }],
        roleBindings: [rb('default', 'one', { kind: 'Role', name: 'one-cm' }, [userSubject('jane')])],
      }),
    );
    assert.equal(authz.authorize(jane, res('get', 'configmaps', { namespace: 'default', name: 'cm1' })).allowed, true);
    assert.equal(authz.authorize(jane, res('update', 'configmaps', { namespace: 'default', name: 'cm1' })).allowed, true);
    assert.equal(authz.authorize(jane, res('get', 'configmaps', { namespace: 'default', name: 'cm2' })).allowed, false);
    assert.equal(authz.authorize(jane, res('list', 'configmaps', { namespace: 'default' })).allowed, false);
    assert.equal(authz.authorize(jane, res('create', 'configmaps', { namespace: 'default' })).allowed, false);
    // A list that names one object (metadata.name field selector) carries the name.
    assert.equal(authz.authorize(jane, res('list', 'configmaps', { namespace: 'default', name: 'cm1' })).allowed, true);
  });

  it('matches nonResourceURLs exactly or by a trailing *', () => {
    const authz = rbacAuthorizer(memoryLister());
    const anon = { username: 'system:anonymous', groups: ['system:unauthenticated'] };
    assert.equal(authz.authorize(anon, path('get', '/healthz')).allowed, true);
    assert.equal(authz.authorize(anon, path('get', '/version')).allowed, true);
    assert.equal(authz.authorize(anon, path('get', '/api/v1')).allowed, false);
    assert.equal(authz.authorize(jane, path('get', '/api/v1')).allowed, true);
    assert.equal(authz.authorize(jane, path('get', '/apis/apps/v1')).allowed, true);
    assert.equal(authz.authorize(jane, path('get', '/openapi/v3')).allowed, true);
    assert.equal(authz.authorize(jane, path('get', '/metrics')).allowed, false);
    assert.equal(authz.authorize(jane, path('post', '/api')).allowed, false);
    assert.equal(forbiddenMessage(jane, path('get', '/metrics')), 'forbidden: User "jane" cannot get path "/metrics"');
    const admin = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };
    assert.equal(authz.authorize(admin, path('get', '/metrics')).allowed, true);
    assert.equal(authz.authorize(admin, res('delete', 'nodes', { name: 'n1' })).reason, 'RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to Group "system:masters"');
  });

  it('binds service accounts by name, defaulting the namespace to the binding\'s, and by their groups', () => {
    const authz = rbacAuthorizer(
      memoryLister({
        roles: [{ kind: 'Role', metadata: { name: 'cm-reader', namespace: 'default' }, rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['configmaps'] }] }],
        roleBindings: [rb('default', 'robot-cm', { kind: 'Role', name: 'cm-reader' }, [{ kind: 'ServiceAccount', name: 'robot' }])],
        clusterRoleBindings: [crb('sa-view', 'view', [groupSubject('system:serviceaccounts:ci')])],
      }),
    );
    const robot = { username: 'system:serviceaccount:default:robot', groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'] };
    const d = authz.authorize(robot, res('list', 'configmaps', { namespace: 'default' }));
    assert.equal(d.reason, 'RBAC: allowed by RoleBinding "robot-cm/default" of Role "cm-reader" to ServiceAccount "robot/default"');
    assert.equal(authz.authorize(robot, res('list', 'secrets', { namespace: 'default' })).allowed, false);
    const other = { ...robot, username: 'system:serviceaccount:other:robot' };
    assert.equal(authz.authorize(other, res('list', 'configmaps', { namespace: 'default' })).allowed, false);
    const ci = { username: 'system:serviceaccount:ci:builder', groups: ['system:serviceaccounts', 'system:serviceaccounts:ci', 'system:authenticated'] };
    assert.equal(authz.authorize(ci, res('list', 'pods', { namespace: 'anywhere' })).allowed, true);
  });

  it('gives controllers their roles, including */scale wildcards', () => {
    const authz = rbacAuthorizer(memoryLister());
    const hpa = { username: 'system:serviceaccount:kube-system:horizontal-pod-autoscaler', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'] };
    assert.equal(authz.authorize(hpa, res('update', 'deployments/scale', { namespace: 'a', name: 'd', group: 'apps' })).allowed, true);
    assert.equal(authz.authorize(hpa, res('get', 'widgets/scale', { namespace: 'a', name: 'w', group: 'example.com' })).allowed, true);
    assert.equal(authz.authorize(hpa, res('update', 'deployments', { namespace: 'a', name: 'd', group: 'apps' })).allowed, false);
    const rs = { ...hpa, username: 'system:serviceaccount:kube-system:replicaset-controller' };
    assert.equal(authz.authorize(rs, res('create', 'pods', { namespace: 'a' })).allowed, true);
    assert.equal(authz.authorize(rs, res('update', 'replicasets/status', { namespace: 'a', name: 'r', group: 'apps' })).allowed, true);
    const sched = user('system:kube-scheduler');
    assert.equal(authz.authorize(sched, res('create', 'pods/binding', { namespace: 'a', name: 'p' })).allowed, true);
    assert.equal(authz.authorize(sched, res('update', 'leases', { namespace: 'kube-system', name: 'kube-scheduler', group: 'coordination.k8s.io' })).allowed, true);
    assert.equal(authz.authorize(sched, res('update', 'leases', { namespace: 'kube-system', name: 'kube-controller-manager', group: 'coordination.k8s.io' })).allowed, false);
  });

  it('reports a binding to a missing role as the reason, and rules as incomplete', () => {
    const authz = rbacAuthorizer(memoryLister({ roleBindings: [rb('default', 'dangling', { kind: 'ClusterRole', name: 'nope' }, [userSubject('jane')])] }));
    const d = authz.authorize(jane, res('get', 'pods', { namespace: 'default', name: 'x' }));
    assert.deepEqual(d, { allowed: false, reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "nope" not found' });
    assert.equal(authz.rules(jane, 'default').incomplete, true);
  });

  it('lists the rules a user has in a namespace (can-i --list)', () => {
    const authz = rbacAuthorizer(memoryLister({ roleBindings: [viewJane] }));
    const r = authz.rules(jane, 'default');
    assert.equal(r.incomplete, false);
    assert.deepEqual(r.resourceRules[0], { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] });
    assert.ok(r.resourceRules.some((x) => x.resources.includes('pods') && x.verbs.join() === 'get,list,watch'));
    assert.ok(r.nonResourceRules.some((x) => x.nonResourceURLs.includes('/api/*')));
    // In another namespace only the cluster-wide basics remain.
    assert.ok(!authz.rules(jane, 'kube-system').resourceRules.some((x) => x.resources.includes('pods')));
  });

  it('re-indexes only when the revision changes', () => {
    const lister = memoryLister();
    let reads = 0;
    const counting = { ...lister, clusterRoleBindings: () => (reads++, lister.clusterRoleBindings()) };
    const authz = rbacAuthorizer(counting);
    for (let i = 0; i < 5; i++) authz.authorize(jane, res('list', 'pods', { namespace: 'default' }));
    assert.equal(reads, 1);
    lister.add('roleBindings', viewJane);
    assert.equal(authz.authorize(jane, res('list', 'pods', { namespace: 'default' })).allowed, true);
    assert.equal(reads, 2);
  });

  it('ships the default roles labelled and annotated as upstream', () => {
    const p = bootstrapPolicy({ aggregated: true });
    const names = p.clusterRoles.map((r) => r.metadata.name);
    for (const n of ['cluster-admin', 'admin', 'edit', 'view', 'system:basic-user', 'system:discovery', 'system:public-info-viewer', 'system:node', 'system:node-proxier', 'system:kube-scheduler', 'system:kube-controller-manager', 'system:volume-scheduler', 'system:auth-delegator', 'system:aggregate-to-view', 'system:controller:replicaset-controller', 'system:controller:deployment-controller', 'system:certificates.k8s.io:kube-apiserver-client-approver']) {
      assert.ok(names.includes(n), n);
    }
    for (const o of [...p.clusterRoles, ...p.clusterRoleBindings, ...p.roles, ...p.roleBindings]) {
      assert.equal(o.metadata.labels['kubernetes.io/bootstrapping'], 'rbac-defaults');
      assert.equal(o.metadata.annotations['rbac.authorization.kubernetes.io/autoupdate'], 'true');
    }
    const piv = p.clusterRoleBindings.find((b) => b.metadata.name === 'system:public-info-viewer')!;
    assert.deepEqual(piv.subjects.map((s: { name: string }) => s.name), ['system:authenticated', 'system:unauthenticated']);
    const rsb = p.clusterRoleBindings.find((b) => b.metadata.name === 'system:controller:replicaset-controller')!;
    assert.deepEqual(rsb.subjects, [{ kind: 'ServiceAccount', name: 'replicaset-controller', namespace: 'kube-system' }]);
    const view = p.clusterRoles.find((r) => r.metadata.name === 'view')!;
    assert.deepEqual(view.aggregationRule, { clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }] });
    assert.ok(view.rules.length > 5);
    assert.equal(bootstrapPolicy().clusterRoles.find((r) => r.metadata.name === 'view')!.rules, undefined);
  });
});
