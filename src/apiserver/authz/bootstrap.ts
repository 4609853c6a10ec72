// The default RBAC policy kube-apiserver reconciles at start (plugin/pkg/auth/authorizer/rbac/
// bootstrappolicy): the user-facing roles (cluster-admin, admin/edit/view built by aggregation),
// system:basic-user, system:discovery, system:public-info-viewer, the component roles
// (system:node, system:kube-scheduler, system:kube-controller-manager, ...), one
// system:controller:* role per controller with its binding to that controller's service account,
// the CSR approver roles, and the leader-locking roles in kube-system. Every object carries the
// `kubernetes.io/bootstrapping: rbac-defaults` label and the autoupdate annotation.
import type { Obj } from '../types.ts';
import { aggregateClusterRoles } from './aggregation.ts';
import { rule, urlRule, type PolicyRule } from './rules.ts';
import { RBAC_GROUP } from './rbac.ts';

const Read = ['get', 'list', 'watch'];
const Write = ['create', 'update', 'patch', 'delete', 'deletecollection'];
const ReadWrite = [...Read, ...Write];
const ReadUpdate = ['get', 'list', 'watch', 'update', 'patch'];

const core = '';
const apps = 'apps';
const authn = 'authentication.k8s.io';
const authz = 'authorization.k8s.io';
const autoscaling = 'autoscaling';
const batch = 'batch';
const certificates = 'certificates.k8s.io';
const coordination = 'coordination.k8s.io';
const discovery = 'discovery.k8s.io';
const extensions = 'extensions';
const policy = 'policy';
const rbac = RBAC_GROUP;
const storage = 'storage.k8s.io';
const networking = 'networking.k8s.io';
const events = 'events.k8s.io';
const resourceGroup = 'resource.k8s.io';

export const BOOTSTRAP_LABEL = { 'kubernetes.io/bootstrapping': 'rbac-defaults' } as const;
export const AUTOUPDATE_ANNOTATION = 'rbac.authorization.kubernetes.io/autoupdate';
const AGG_ADMIN = 'rbac.authorization.k8s.io/aggregate-to-admin';
const AGG_EDIT = 'rbac.authorization.k8s.io/aggregate-to-edit';
const AGG_VIEW = 'rbac.authorization.k8s.io/aggregate-to-view';

const eventsRule = () => rule(['create', 'update', 'patch'], [core, events], ['events']);

function meta(name: string, namespace?: string, labels: Record<string, string> = {}): Obj {
  return {
    name,
    ...(namespace ? { namespace } : {}),
    labels: { ...BOOTSTRAP_LABEL, ...labels },
    annotations: { [AUTOUPDATE_ANNOTATION]: 'true' },
  };
}

function clusterRole(name: string, rules: PolicyRule[], opts: { labels?: Record<string, string>; aggregateFrom?: string } = {}): Obj {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: meta(name, undefined, opts.labels),
    ...(opts.aggregateFrom ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [opts.aggregateFrom]: 'true' } }] } } : { rules }),
  };
}

function role(namespace: string, name: string, rules: PolicyRule[]): Obj {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta(name, namespace), rules };
}

type Subject = Obj;
const users = (...names: string[]): Subject[] => names.map((name) => ({ apiGroup: RBAC_GROUP, kind: 'User', name }));
const groups = (...names: string[]): Subject[] => names.map((name) => ({ apiGroup: RBAC_GROUP, kind: 'Group', name }));
const sa = (namespace: string, name: string): Subject => ({ kind: 'ServiceAccount', name, namespace });

function clusterBinding(roleName: string, subjects: Subject[], name = roleName): Obj {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: meta(name),
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: roleName },
    ...(subjects.length ? { subjects } : {}),
  };
}

function roleBinding(namespace: string, roleName: string, subjects: Subject[], name = roleName): Obj {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta(name, namespace),
    roleRef: { apiGroup: RBAC_GROUP, kind: 'Role', name: roleName },
    subjects,
  };
}

/** The static rules of system:node; the Node authorizer applies them to resources it does not subdivide. */
export function nodeRules(): PolicyRule[] {
  return [
    rule(['create'], [authn], ['tokenreviews']),
    rule(['create'], [authz], ['subjectaccessreviews', 'localsubjectaccessreviews']),
    rule(Read, [core], ['services']),
    rule(['create', 'get', 'list', 'watch'], [core], ['nodes']),
    rule(['update', 'patch'], [core], ['nodes/status']),
    rule(['update', 'patch'], [core], ['nodes']),
    eventsRule(),
    rule(Read, [core], ['pods']),
    rule(['create', 'delete'], [core], ['pods']),
    rule(['update', 'patch'], [core], ['pods/status']),
    rule(['create'], [core], ['pods/eviction']),
    rule(['get', 'list', 'watch'], [core], ['secrets', 'configmaps']),
    rule(['get'], [core], ['persistentvolumeclaims', 'persistentvolumes']),
    rule(['get'], [core], ['endpoints']),
    rule(['create', 'get', 'list', 'watch'], [certificates], ['certificatesigningrequests']),
    rule(['get', 'create', 'update', 'patch', 'delete'], [coordination], ['leases']),
    rule(['get'], [storage], ['volumeattachments']),
    rule(['create'], [core], ['serviceaccounts/token']),
    rule(['get', 'update', 'patch'], [core], ['persistentvolumeclaims/status']),
    rule(['get', 'watch', 'list'], [storage], ['csidrivers']),
    rule(['get', 'create', 'update', 'patch', 'delete'], [storage], ['csinodes']),
    rule(['get', 'list', 'watch'], ['node.k8s.io'], ['runtimeclasses']),
    rule(['get'], [resourceGroup], ['resourceclaims']),
    rule(['deletecollection'], [resourceGroup], ['resourceslices']),
    rule(['get'], [core], ['serviceaccounts']),
  ];
}

function clusterRoles(): Obj[] {
  return [
    clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), urlRule(['*'], ['*'])]),
    clusterRole('system:discovery', [urlRule(['get'], ['/livez', '/readyz', '/healthz', '/version', '/version/', '/openapi', '/openapi/*', '/api', '/api/*', '/apis', '/apis/*'])]),
    clusterRole('system:monitoring', [
      urlRule(['get'], ['/healthz', '/healthz/*', '/livez', '/livez/*', '/metrics', '/metrics/slis', '/readyz', '/readyz/*', '/statusz']),
      rule(['get'], [core], ['nodes/metrics']),
    ]),
    clusterRole('system:basic-user', [rule(['create'], [authz], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']), rule(['create'], [authn], ['selfsubjectreviews'])]),
    clusterRole('system:public-info-viewer', [urlRule(['get'], ['/livez', '/readyz', '/healthz', '/version', '/version/'])]),
    clusterRole('admin', [], { aggregateFrom: AGG_ADMIN }),
    clusterRole('edit', [], { labels: { [AGG_ADMIN]: 'true' }, aggregateFrom: AGG_EDIT }),
    clusterRole('view', [], { labels: { [AGG_EDIT]: 'true' }, aggregateFrom: AGG_VIEW }),
    clusterRole('system:aggregate-to-admin', [rule(['create'], [authz], ['localsubjectaccessreviews']), rule(ReadWrite, [rbac], ['roles', 'rolebindings'])], { labels: { [AGG_ADMIN]: 'true' } }),
    clusterRole(
      'system:aggregate-to-edit',
      [
        // Read on escalating resources (view leaves them out).
        rule(Read, [core], ['pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward', 'secrets', 'services/proxy']),
        rule(['impersonate'], [core], ['serviceaccounts']),
        rule(Write, [core], ['pods', 'pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward']),
        rule(['create'], [core], ['pods/eviction']),
        rule(Write, [core], ['replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/proxy', 'persistentvolumeclaims', 'configmaps', 'secrets']),
        rule(['create'], [core], ['serviceaccounts/token']),
        rule(Write, [core, events], ['events']),
        rule(Write, [apps], ['statefulsets', 'statefulsets/scale', 'daemonsets', 'deployments', 'deployments/scale', 'deployments/rollback', 'replicasets', 'replicasets/scale']),
        rule(Write, [autoscaling], ['horizontalpodautoscalers']),
        rule(Write, [batch], ['jobs', 'cronjobs']),
        rule(Write, [extensions], ['daemonsets', 'deployments', 'deployments/scale', 'deployments/rollback', 'ingresses', 'replicasets', 'replicasets/scale', 'replicationcontrollers/scale', 'networkpolicies']),
        rule(Write, [policy], ['poddisruptionbudgets']),
        rule(Write, [networking], ['networkpolicies', 'ingresses']),
        rule(ReadWrite, [coordination], ['leases']),
        rule(Write, [resourceGroup], ['resourceclaims', 'resourceclaimtemplates']),
      ],
      { labels: { [AGG_EDIT]: 'true' } },
    ),
    clusterRole(
      'system:aggregate-to-view',
      [
        rule(Read, [core], ['pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'configmaps']),
        rule(Read, [core], ['limitranges', 'resourcequotas', 'bindings', 'pods/status', 'resourcequotas/status', 'namespaces/status', 'replicationcontrollers/status', 'pods/log']),
        // Reading namespaces at namespace scope tells a user which namespaces they can use.
        rule(Read, [core], ['namespaces']),
        rule(Read, [core, events], ['events']),
        rule(Read, [discovery], ['endpointslices']),
        rule(Read, [apps], ['controllerrevisions', 'statefulsets', 'statefulsets/status', 'statefulsets/scale', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/status', 'deployments/scale', 'replicasets', 'replicasets/status', 'replicasets/scale']),
        rule(Read, [autoscaling], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
        rule(Read, [batch], ['jobs', 'cronjobs', 'cronjobs/status', 'jobs/status']),
        rule(Read, [extensions], ['daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'ingresses', 'ingresses/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'replicationcontrollers/scale', 'networkpolicies']),
        rule(Read, [policy], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
        rule(Read, [networking], ['ingresses', 'ingresses/status', 'networkpolicies']),
        rule(Read, [resourceGroup], ['resourceclaims', 'resourceclaims/status', 'resourceclaimtemplates']),
      ],
      { labels: { [AGG_VIEW]: 'true' } },
    ),
    clusterRole('system:heapster', [rule(Read, [core], ['events', 'pods', 'nodes', 'namespaces']), rule(Read, [extensions], ['deployments'])]),
    clusterRole('system:node', nodeRules()),
    clusterRole('system:node-problem-detector', [rule(['get'], [core], ['nodes']), rule(['patch'], [core], ['nodes/status']), eventsRule()]),
    clusterRole('system:kubelet-api-admin', [
      rule(['get', 'list', 'watch'], [core], ['nodes']),
      rule(['proxy'], [core], ['nodes']),
      rule(['*'], [core], ['nodes/proxy', 'nodes/metrics', 'nodes/stats', 'nodes/log']),
      rule(['*'], [core], ['nodes/pods', 'nodes/healthz', 'nodes/configz']),
    ]),
    clusterRole('system:node-bootstrapper', [rule(['create', 'get', 'list', 'watch'], [certificates], ['certificatesigningrequests'])]),
    clusterRole('system:auth-delegator', [rule(['create'], [authn], ['tokenreviews']), rule(['create'], [authz], ['subjectaccessreviews'])]),
    clusterRole('system:kube-aggregator', [rule(Read, [core], ['services', 'endpoints'])]),
    clusterRole('system:kube-controller-manager', [
      eventsRule(),
      rule(['create'], [coordination], ['leases']),
      rule(['get', 'update'], [coordination], ['leases'], ['kube-controller-manager']),
      rule(['create'], [core], ['secrets', 'serviceaccounts']),
      rule(['delete'], [core], ['secrets']),
      rule(['get'], [core], ['namespaces', 'secrets', 'serviceaccounts', 'configmaps']),
      rule(['update'], [core], ['secrets', 'serviceaccounts']),
      rule(['create'], [authn], ['tokenreviews']),
      rule(['create'], [authz], ['subjectaccessreviews']),
      // The shared informers list and watch everything.
      rule(['list', 'watch'], ['*'], ['*']),
      rule(['create'], [core], ['serviceaccounts/token']),
    ]),
    clusterRole('system:kube-dns', [rule(['list', 'watch'], [core], ['endpoints', 'services'])]),
    clusterRole('system:persistent-volume-provisioner', [
      rule(['get', 'list', 'watch', 'create', 'delete'], [core], ['persistentvolumes']),
      rule(['get', 'list', 'watch', 'update'], [core], ['persistentvolumeclaims']),
      rule(Read, [storage], ['storageclasses']),
      rule(['watch'], [core], ['events']),
      eventsRule(),
    ]),
    clusterRole('system:certificates.k8s.io:certificatesigningrequests:nodeclient', [rule(['create'], [certificates], ['certificatesigningrequests/nodeclient'])]),
    clusterRole('system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', [rule(['create'], [certificates], ['certificatesigningrequests/selfnodeclient'])]),
    clusterRole('system:volume-scheduler', [rule(ReadUpdate, [core], ['persistentvolumes']), rule(Read, [storage], ['storageclasses']), rule(ReadUpdate, [core], ['persistentvolumeclaims'])]),
    clusterRole('system:certificates.k8s.io:legacy-unknown-approver', [rule(['approve'], [certificates], ['signers'], ['kubernetes.io/legacy-unknown'])]),
    clusterRole('system:certificates.k8s.io:kubelet-serving-approver', [rule(['approve'], [certificates], ['signers'], ['kubernetes.io/kubelet-serving'])]),
    clusterRole('system:certificates.k8s.io:kube-apiserver-client-approver', [rule(['approve'], [certificates], ['signers'], ['kubernetes.io/kube-apiserver-client'])]),
    clusterRole('system:certificates.k8s.io:kube-apiserver-client-kubelet-approver', [rule(['approve'], [certificates], ['signers'], ['kubernetes.io/kube-apiserver-client-kubelet'])]),
    clusterRole('system:service-account-issuer-discovery', [urlRule(['get'], ['/.well-known/openid-configuration', '/.well-known/openid-configuration/', '/openid/v1/jwks', '/openid/v1/jwks/'])]),
    clusterRole('system:node-proxier', [
      rule(['list', 'watch'], [core], ['services', 'endpoints']),
      rule(Read, [core], ['nodes']),
      eventsRule(),
      rule(['list', 'watch'], [networking], ['servicecidrs']),
      rule(['list', 'watch'], [discovery], ['endpointslices']),
    ]),
    clusterRole('system:kube-scheduler', [
      eventsRule(),
      rule(['create'], [coordination], ['leases']),
      rule(['get', 'list', 'update', 'watch'], [coordination], ['leases'], ['kube-scheduler']),
      rule(ReadWrite, [coordination], ['leasecandidates']),
      rule(Read, [core], ['nodes']),
      rule(['get', 'list', 'watch', 'delete'], [core], ['pods']),
      rule(['create'], [core], ['pods/binding', 'bindings']),
      rule(['patch', 'update'], [core], ['pods/status']),
      rule(Read, [core], ['services', 'replicationcontrollers']),
      rule(Read, [apps, extensions], ['replicasets']),
      rule(Read, [apps], ['statefulsets']),
      rule(Read, [policy], ['poddisruptionbudgets']),
      rule(Read, [core], ['persistentvolumeclaims', 'persistentvolumes']),
      rule(['create'], [authn], ['tokenreviews']),
      rule(['create'], [authz], ['subjectaccessreviews']),
      rule(Read, [storage], ['csinodes']),
      rule(Read, [core], ['namespaces']),
      rule(Read, [storage], ['csidrivers']),
      rule(Read, [storage], ['csistoragecapacities']),
      rule(Read, [storage], ['volumeattachments']),
      rule(Read, [resourceGroup], ['deviceclasses', 'resourceslices']),
      rule(ReadUpdate, [resourceGroup], ['resourceclaims', 'resourceclaims/status']),
      rule(['create', 'delete'], [resourceGroup], ['resourceclaims']),
      rule(['update'], [core], ['pods/finalizers']),
    ]),
  ];
}

/** The system:controller:<name> roles, each bound to the service account kube-system/<name>. */
function controllerRoles(): Obj[] {
  const c = (name: string, rules: PolicyRule[]) => clusterRole(`system:controller:${name}`, rules);
  return [
    c('attachdetach-controller', [
      rule(['list', 'watch'], [core], ['persistentvolumes', 'persistentvolumeclaims']),
      rule(Read, [core], ['nodes']),
      rule(['patch', 'update'], [core], ['nodes/status']),
      rule(['list', 'watch'], [core], ['pods']),
      eventsRule(),
      rule(['get', 'create', 'delete', 'list', 'watch'], [storage], ['volumeattachments']),
      rule(Read, [storage], ['csidrivers']),
      rule(Read, [storage], ['csinodes']),
    ]),
    c('clusterrole-aggregation-controller', [rule(['escalate', 'get', 'list', 'watch', 'update', 'patch'], [rbac], ['clusterroles'])]),
    c('cronjob-controller', [
      rule(['get', 'list', 'watch', 'update'], [batch], ['cronjobs']),
      rule(['get', 'list', 'watch', 'create', 'update', 'delete', 'patch'], [batch], ['jobs']),
      rule(['update'], [batch], ['cronjobs/status']),
      rule(['update'], [batch], ['cronjobs/finalizers']),
      rule(['list', 'delete'], [core], ['pods']),
      eventsRule(),
    ]),
    c('daemon-set-controller', [
      rule(Read, [extensions, apps], ['daemonsets']),
      rule(['update'], [extensions, apps], ['daemonsets/status']),
      rule(['update'], [extensions, apps], ['daemonsets/finalizers']),
      rule(['list', 'watch'], [core], ['nodes']),
      rule(['list', 'watch', 'create', 'delete', 'patch'], [core], ['pods']),
      rule(['create'], [core], ['pods/binding']),
      rule(['get', 'list', 'watch', 'create', 'delete', 'update', 'patch'], [apps], ['controllerrevisions']),
      eventsRule(),
    ]),
    c('deployment-controller', [
      rule(['get', 'list', 'watch', 'update'], [extensions, apps], ['deployments']),
      rule(['update'], [extensions, apps], ['deployments/status']),
      rule(['update'], [extensions, apps], ['deployments/finalizers']),
      rule(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'], [apps, extensions], ['replicasets']),
      rule(['get', 'list', 'watch', 'update'], [core], ['pods']),
      eventsRule(),
    ]),
    c('disruption-controller', [
      rule(Read, [extensions, apps], ['deployments']),
      rule(Read, [apps, extensions], ['replicasets']),
      rule(Read, [core], ['replicationcontrollers']),
      rule(Read, [policy], ['poddisruptionbudgets']),
      rule(Read, [apps], ['statefulsets']),
      rule(['update'], [policy], ['poddisruptionbudgets/status']),
      rule(['get'], ['*'], ['*/scale']),
      eventsRule(),
    ]),
    c('endpoint-controller', [
      rule(Read, [core], ['services', 'pods']),
      rule(['get', 'list', 'create', 'update', 'delete'], [core], ['endpoints']),
      rule(['create'], [core], ['endpoints/restricted']),
      eventsRule(),
    ]),
    c('endpointslice-controller', [
      rule(Read, [core], ['services', 'pods', 'nodes']),
      rule(['update'], [core], ['services/finalizers']),
      rule(['get', 'list', 'create', 'update', 'delete'], [discovery], ['endpointslices']),
      eventsRule(),
    ]),
    c('endpointslicemirroring-controller', [
      rule(Read, [core], ['services', 'endpoints']),
      rule(['update'], [core], ['services/finalizers']),
      rule(['update'], [core], ['endpoints/finalizers']),
      rule(['get', 'list', 'create', 'update', 'delete'], [discovery], ['endpointslices']),
      eventsRule(),
    ]),
    c('ephemeral-volume-controller', [
      rule(Read, [core], ['pods']),
      rule(['update'], [core], ['pods/finalizers']),
      rule(['get', 'list', 'watch', 'create'], [core], ['persistentvolumeclaims']),
      eventsRule(),
    ]),
    c('expand-controller', [
      rule(ReadUpdate, [core], ['persistentvolumes']),
      rule(['update', 'patch'], [core], ['persistentvolumeclaims/status']),
      rule(Read, [core], ['persistentvolumeclaims']),
      rule(Read, [storage], ['storageclasses']),
      rule(['get'], [core], ['services', 'endpoints']),
      rule(['get'], [core], ['secrets']),
      eventsRule(),
    ]),
    c('generic-garbage-collector', [rule(['get', 'list', 'watch', 'patch', 'update', 'delete'], ['*'], ['*']), eventsRule()]),
    c('horizontal-pod-autoscaler', [
      rule(Read, [autoscaling], ['horizontalpodautoscalers']),
      rule(['update'], [autoscaling], ['horizontalpodautoscalers/status']),
      rule(['get', 'update'], ['*'], ['*/scale']),
      rule(['list'], [core], ['pods']),
      rule(['list'], ['metrics.k8s.io'], ['pods']),
      rule(['get', 'list'], ['custom.metrics.k8s.io'], ['*']),
      rule(['get', 'list'], ['external.metrics.k8s.io'], ['*']),
      eventsRule(),
    ]),
    c('job-controller', [
      rule(['get', 'list', 'watch', 'update', 'patch'], [batch], ['jobs']),
      rule(['update'], [batch], ['jobs/status']),
      rule(['update'], [batch], ['jobs/finalizers']),
      rule(['list', 'watch', 'create', 'delete', 'patch'], [core], ['pods']),
      eventsRule(),
    ]),
    c('namespace-controller', [
      rule(['get', 'list', 'watch', 'delete'], [core], ['namespaces']),
      rule(['update'], [core], ['namespaces/finalize', 'namespaces/status']),
      rule(['get', 'list', 'delete', 'deletecollection'], ['*'], ['*']),
    ]),
    c('node-controller', [
      rule(['get', 'list', 'update', 'delete', 'patch'], [core], ['nodes']),
      rule(['patch', 'update'], [core], ['nodes/status']),
      rule(['update'], [core], ['pods/status']),
      rule(['list', 'delete'], [core], ['pods']),
      eventsRule(),
      rule(['get'], [core], ['pods']),
      rule(['patch'], [core], ['pods/status']),
    ]),
    c('persistent-volume-binder', [
      rule(['get', 'list', 'watch', 'update', 'create', 'delete'], [core], ['persistentvolumes']),
      rule(['update'], [core], ['persistentvolumes/status']),
      rule(['get', 'list', 'watch', 'update'], [core], ['persistentvolumeclaims']),
      rule(['update'], [core], ['persistentvolumeclaims/status']),
      rule(['list', 'watch', 'get', 'create', 'delete'], [core], ['pods']),
      rule(Read, [storage], ['storageclasses']),
      rule(['get', 'create', 'update', 'delete'], [core], ['endpoints']),
      rule(['get', 'create', 'delete'], [core], ['services']),
      rule(['get'], [core], ['secrets']),
      rule(['get', 'list'], [core], ['nodes']),
      rule(['watch'], [core], ['events']),
      eventsRule(),
    ]),
    c('pod-garbage-collector', [rule(['list', 'watch', 'delete'], [core], ['pods']), rule(['get', 'list'], [core], ['nodes']), rule(['patch'], [core], ['pods/status'])]),
    c('replicaset-controller', [
      rule(['get', 'list', 'watch', 'update'], [apps, extensions], ['replicasets']),
      rule(['update'], [apps, extensions], ['replicasets/status']),
      rule(['update'], [apps, extensions], ['replicasets/finalizers']),
      rule(['list', 'watch', 'patch', 'create', 'delete'], [core], ['pods']),
      eventsRule(),
    ]),
    c('replication-controller', [
      rule(['get', 'list', 'watch', 'update'], [core], ['replicationcontrollers']),
      rule(['update'], [core], ['replicationcontrollers/status']),
      rule(['update'], [core], ['replicationcontrollers/finalizers']),
      rule(['list', 'watch', 'patch', 'create', 'delete'], [core], ['pods']),
      eventsRule(),
    ]),
    c('resourcequota-controller', [rule(['list', 'watch'], ['*'], ['*']), rule(['update'], [core], ['resourcequotas/status']), eventsRule()]),
    c('route-controller', [rule(['list', 'watch'], [core], ['nodes']), rule(['patch'], [core], ['nodes/status']), eventsRule()]),
    c('service-account-controller', [rule(['create'], [core], ['serviceaccounts']), eventsRule()]),
    c('service-controller', [rule(Read, [core], ['services']), rule(['patch', 'update'], [core], ['services/status']), rule(['list', 'watch'], [core], ['nodes']), eventsRule()]),
    c('statefulset-controller', [
      rule(['list', 'watch'], [core], ['pods']),
      rule(Read, [apps], ['statefulsets']),
      rule(['update'], [apps], ['statefulsets/status']),
      rule(['update'], [apps], ['statefulsets/finalizers']),
      rule(['get', 'create', 'delete', 'update', 'patch'], [core], ['pods']),
      rule(['get', 'create', 'delete', 'update', 'patch', 'list', 'watch'], [apps], ['controllerrevisions']),
      rule(['get', 'create'], [core], ['persistentvolumeclaims']),
      eventsRule(),
      rule(['update', 'delete'], [core], ['persistentvolumeclaims']),
    ]),
    c('ttl-controller', [rule(['update', 'patch', 'list', 'watch'], [core], ['nodes']), eventsRule()]),
    c('certificate-controller', [
      rule(['get', 'list', 'watch', 'delete'], [certificates], ['certificatesigningrequests']),
      rule(['update'], [certificates], ['certificatesigningrequests/status', 'certificatesigningrequests/approval']),
      rule(['approve'], [certificates], ['signers'], ['kubernetes.io/kube-apiserver-client-kubelet']),
      rule(['sign'], [certificates], ['signers'], ['kubernetes.io/legacy-unknown', 'kubernetes.io/kube-apiserver-client', 'kubernetes.io/kube-apiserver-client-kubelet', 'kubernetes.io/kubelet-serving']),
      rule(['create'], [authz], ['subjectaccessreviews']),
      eventsRule(),
    ]),
    c('pvc-protection-controller', [rule(['get', 'list', 'watch', 'update'], [core], ['persistentvolumeclaims']), rule(['list', 'watch', 'get'], [core], ['pods']), eventsRule()]),
    c('pv-protection-controller', [rule(['get', 'list', 'watch', 'update'], [core], ['persistentvolumes']), eventsRule()]),
    c('ttl-after-finished-controller', [rule(['get', 'list', 'watch', 'delete'], [batch], ['jobs']), eventsRule()]),
    c('root-ca-cert-publisher', [rule(['create', 'update'], [core], ['configmaps']), eventsRule()]),
  ];
}

function clusterRoleBindings(controllers: Obj[]): Obj[] {
  return [
    clusterBinding('cluster-admin', groups('system:masters')),
    clusterBinding('system:monitoring', groups('system:monitoring')),
    clusterBinding('system:discovery', groups('system:authenticated')),
    clusterBinding('system:basic-user', groups('system:authenticated')),
    clusterBinding('system:public-info-viewer', groups('system:authenticated', 'system:unauthenticated')),
    clusterBinding('system:node-proxier', users('system:kube-proxy')),
    clusterBinding('system:kube-controller-manager', users('system:kube-controller-manager')),
    clusterBinding('system:kube-dns', [sa('kube-system', 'kube-dns')]),
    clusterBinding('system:kube-scheduler', users('system:kube-scheduler')),
    clusterBinding('system:volume-scheduler', users('system:kube-scheduler')),
    // Bound to no one since the Node authorizer (1.7): nodes get these rules through it.
    clusterBinding('system:node', []),
    clusterBinding('system:service-account-issuer-discovery', groups('system:serviceaccounts')),
    ...controllers.map((r) => clusterBinding(r.metadata.name, [sa('kube-system', r.metadata.name.slice('system:controller:'.length))])),
  ];
}

function namespaceRoles(): Obj[] {
  return [
    role('kube-system', 'extension-apiserver-authentication-reader', [rule(['get', 'list', 'watch'], [core], ['configmaps'], ['extension-apiserver-authentication'])]),
    role('kube-system', 'system::leader-locking-kube-controller-manager', [rule(['watch'], [core], ['configmaps']), rule(['get', 'update'], [core], ['configmaps'], ['kube-controller-manager'])]),
    role('kube-system', 'system::leader-locking-kube-scheduler', [rule(['watch'], [core], ['configmaps']), rule(['get', 'update'], [core], ['configmaps'], ['kube-scheduler'])]),
    role('kube-system', 'system:controller:bootstrap-signer', [rule(Read, [core], ['secrets'])]),
    role('kube-system', 'system:controller:cloud-provider', [rule(['create', 'get', 'list', 'watch'], [core], ['configmaps'])]),
    role('kube-system', 'system:controller:token-cleaner', [rule(['delete', 'get', 'list', 'watch'], [core], ['secrets']), eventsRule()]),
    role('kube-public', 'system:controller:bootstrap-signer', [rule(Read, [core], ['configmaps']), rule(['update', 'patch'], [core], ['configmaps'], ['cluster-info']), eventsRule()]),
  ];
}

function namespaceRoleBindings(): Obj[] {
  return [
    roleBinding('kube-system', 'extension-apiserver-authentication-reader', users('system:kube-controller-manager', 'system:kube-scheduler'), 'system::extension-apiserver-authentication-reader'),
    roleBinding('kube-system', 'system::leader-locking-kube-controller-manager', [...users('system:kube-controller-manager'), sa('kube-system', 'kube-controller-manager')]),
    roleBinding('kube-system', 'system::leader-locking-kube-scheduler', [...users('system:kube-scheduler'), sa('kube-system', 'kube-scheduler')]),
    roleBinding('kube-system', 'system:controller:bootstrap-signer', [sa('kube-system', 'bootstrap-signer')]),
    roleBinding('kube-system', 'system:controller:cloud-provider', [sa('kube-system', 'cloud-provider')]),
    roleBinding('kube-system', 'system:controller:token-cleaner', [sa('kube-system', 'token-cleaner')]),
    roleBinding('kube-public', 'system:controller:bootstrap-signer', [sa('kube-system', 'bootstrap-signer')]),
  ];
}

export interface BootstrapPolicy {
  clusterRoles: Obj[];
  clusterRoleBindings: Obj[];
  roles: Obj[];
  roleBindings: Obj[];
}

/**
 * Fresh copies of the default policy, as upstream stores it: aggregated roles (admin, edit, view)
 * with no rules of their own (the API rejects rules on creating an aggregated role), for the
 * aggregation controller to fill. `{ aggregated: true }` fills them already (what the controller
 * settles on), e.g. for an in-memory lister.
 */
export function bootstrapPolicy(opts: { aggregated?: boolean } = {}): BootstrapPolicy {
  const controllers = controllerRoles();
  const roles = [...clusterRoles(), ...controllers];
  return {
    clusterRoles: opts.aggregated ? aggregateClusterRoles(roles) : roles,
    clusterRoleBindings: clusterRoleBindings(controllers),
    roles: namespaceRoles(),
    roleBindings: namespaceRoleBindings(),
  };
}
