// The built-in API catalog: the resources, kinds, short names, categories, verbs and subresources
// that kube-apiserver 1.32 advertises in discovery (`kubectl api-resources -o wide`).

export interface SubresourceInfo {
  /** The subresource name, e.g. `status`, `scale`, `log`. */
  name: string;
  kind: string;
  /** Set only when the subresource's kind lives in another group (pods/eviction → policy). */
  group?: string;
  version?: string;
  verbs: string[];
}

export interface ResourceInfo {
  group: string;
  version: string;
  resource: string;
  kind: string;
  listKind: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: string[];
  subresources?: SubresourceInfo[];
  /** false: known to the catalog but not yet served (left out of discovery). */
  served?: false;
}

const ALL = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
/** Namespaces, like upstream, have no deletecollection. */
const NO_COLLECTION = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
const CREATE = ['create'];
const GPU = ['get', 'patch', 'update'];
const PROXY = ['create', 'delete', 'get', 'patch', 'update'];

function status(kind: string): SubresourceInfo {
  return { name: 'status', kind, verbs: GPU };
}
const scale: SubresourceInfo = { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: GPU };

interface Spec {
  resource: string;
  kind: string;
  namespaced: boolean;
  verbs?: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: SubresourceInfo[];
  served?: false;
}

function gv(group: string, version: string, specs: Spec[]): ResourceInfo[] {
  return specs.map((s) => {
    const r: ResourceInfo = {
      group,
      version,
      resource: s.resource,
      kind: s.kind,
      listKind: s.kind + 'List',
      singular: s.kind.toLowerCase(),
      namespaced: s.namespaced,
      verbs: s.verbs ?? ALL,
    };
    if (s.shortNames) r.shortNames = s.shortNames;
    if (s.categories) r.categories = s.categories;
    if (s.subresources) r.subresources = s.subresources;
    if (s.served === false) r.served = false;
    return r;
  });
}

const hpa = (version: string): ResourceInfo[] =>
  gv('autoscaling', version, [
    {
      resource: 'horizontalpodautoscalers',
      kind: 'HorizontalPodAutoscaler',
      namespaced: true,
      shortNames: ['hpa'],
      categories: ['all'],
      subresources: [status('HorizontalPodAutoscaler')],
    },
  ]);

export const builtinResources: ResourceInfo[] = [
  ...gv('', 'v1', [
    { resource: 'bindings', kind: 'Binding', namespaced: true, verbs: CREATE },
    { resource: 'configmaps', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] },
    { resource: 'endpoints', kind: 'Endpoints', namespaced: true, shortNames: ['ep'] },
    { resource: 'events', kind: 'Event', namespaced: true, shortNames: ['ev'] },
    { resource: 'limitranges', kind: 'LimitRange', namespaced: true, shortNames: ['limits'] },
    {
      resource: 'namespaces',
      kind: 'Namespace',
      namespaced: false,
      verbs: NO_COLLECTION,
      shortNames: ['ns'],
      subresources: [status('Namespace'), { name: 'finalize', kind: 'Namespace', verbs: ['update'] }],
    },
    {
      resource: 'nodes',
      kind: 'Node',
      namespaced: false,
      shortNames: ['no'],
      subresources: [{ name: 'proxy', kind: 'NodeProxyOptions', verbs: PROXY }, status('Node')],
    },
    {
      resource: 'persistentvolumeclaims',
      kind: 'PersistentVolumeClaim',
      namespaced: true,
      shortNames: ['pvc'],
      subresources: [status('PersistentVolumeClaim')],
    },
    {
      resource: 'persistentvolumes',
      kind: 'PersistentVolume',
      namespaced: false,
      shortNames: ['pv'],
      subresources: [status('PersistentVolume')],
    },
    {
      resource: 'pods',
      kind: 'Pod',
      namespaced: true,
      shortNames: ['po'],
      categories: ['all'],
      subresources: [
        { name: 'attach', kind: 'PodAttachOptions', verbs: ['create', 'get'] },
        { name: 'binding', kind: 'Binding', verbs: CREATE },
        { name: 'ephemeralcontainers', kind: 'Pod', verbs: GPU },
        { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: CREATE },
        { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
        { name: 'log', kind: 'Pod', verbs: ['get'] },
        { name: 'portforward', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
        status('Pod'),
      ],
    },
    { resource: 'podtemplates', kind: 'PodTemplate', namespaced: true },
    {
      resource: 'replicationcontrollers',
      kind: 'ReplicationController',
      namespaced: true,
      shortNames: ['rc'],
      categories: ['all'],
      subresources: [scale, status('ReplicationController')],
    },
    {
      resource: 'resourcequotas',
      kind: 'ResourceQuota',
      namespaced: true,
      shortNames: ['quota'],
      subresources: [status('ResourceQuota')],
    },
    { resource: 'secrets', kind: 'Secret', namespaced: true },
    {
      resource: 'serviceaccounts',
      kind: 'ServiceAccount',
      namespaced: true,
      shortNames: ['sa'],
      subresources: [
        { name: 'token', kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: CREATE },
      ],
    },
    {
      resource: 'services',
      kind: 'Service',
      namespaced: true,
      shortNames: ['svc'],
      categories: ['all'],
      subresources: [{ name: 'proxy', kind: 'ServiceProxyOptions', verbs: PROXY }, status('Service')],
    },
  ]),
  ...gv('apiregistration.k8s.io', 'v1', [
    {
      resource: 'apiservices',
      kind: 'APIService',
      namespaced: false,
      categories: ['api-extensions'],
      subresources: [status('APIService')],
    },
  ]),
  ...gv('apps', 'v1', [
    { resource: 'controllerrevisions', kind: 'ControllerRevision', namespaced: true },
    {
      resource: 'daemonsets',
      kind: 'DaemonSet',
      namespaced: true,
      shortNames: ['ds'],
      categories: ['all'],
      subresources: [status('DaemonSet')],
    },
    {
      resource: 'deployments',
      kind: 'Deployment',
      namespaced: true,
      shortNames: ['deploy'],
      categories: ['all'],
      subresources: [scale, status('Deployment')],
    },
    {
      resource: 'replicasets',
      kind: 'ReplicaSet',
      namespaced: true,
      shortNames: ['rs'],
      categories: ['all'],
      subresources: [scale, status('ReplicaSet')],
    },
    {
      resource: 'statefulsets',
      kind: 'StatefulSet',
      namespaced: true,
      shortNames: ['sts'],
      categories: ['all'],
      subresources: [scale, status('StatefulSet')],
    },
  ]),
  ...gv('events.k8s.io', 'v1', [{ resource: 'events', kind: 'Event', namespaced: true, shortNames: ['ev'] }]),
  ...gv('authentication.k8s.io', 'v1', [
    { resource: 'selfsubjectreviews', kind: 'SelfSubjectReview', namespaced: false, verbs: CREATE },
    { resource: 'tokenreviews', kind: 'TokenReview', namespaced: false, verbs: CREATE },
  ]),
  ...gv('authorization.k8s.io', 'v1', [
    { resource: 'localsubjectaccessreviews', kind: 'LocalSubjectAccessReview', namespaced: true, verbs: CREATE },
    { resource: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', namespaced: false, verbs: CREATE },
    { resource: 'selfsubjectrulesreviews', kind: 'SelfSubjectRulesReview', namespaced: false, verbs: CREATE },
    { resource: 'subjectaccessreviews', kind: 'SubjectAccessReview', namespaced: false, verbs: CREATE },
  ]),
  ...hpa('v2'),
  ...hpa('v1'),
  ...gv('batch', 'v1', [
    {
      resource: 'cronjobs',
      kind: 'CronJob',
      namespaced: true,
      shortNames: ['cj'],
      categories: ['all'],
      subresources: [status('CronJob')],
    },
    { resource: 'jobs', kind: 'Job', namespaced: true, categories: ['all'], subresources: [status('Job')] },
  ]),
  ...gv('certificates.k8s.io', 'v1', [
    {
      resource: 'certificatesigningrequests',
      kind: 'CertificateSigningRequest',
      namespaced: false,
      shortNames: ['csr'],
      subresources: [
        { name: 'approval', kind: 'CertificateSigningRequest', verbs: GPU },
        status('CertificateSigningRequest'),
      ],
    },
  ]),
  ...gv('networking.k8s.io', 'v1', [
    { resource: 'ingressclasses', kind: 'IngressClass', namespaced: false },
    {
      resource: 'ingresses',
      kind: 'Ingress',
      namespaced: true,
      shortNames: ['ing'],
      subresources: [status('Ingress')],
    },
    { resource: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true, shortNames: ['netpol'] },
  ]),
  ...gv('policy', 'v1', [
    {
      resource: 'poddisruptionbudgets',
      kind: 'PodDisruptionBudget',
      namespaced: true,
      shortNames: ['pdb'],
      subresources: [status('PodDisruptionBudget')],
    },
  ]),
  ...gv('rbac.authorization.k8s.io', 'v1', [
    { resource: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false },
    { resource: 'clusterroles', kind: 'ClusterRole', namespaced: false },
    { resource: 'rolebindings', kind: 'RoleBinding', namespaced: true },
    { resource: 'roles', kind: 'Role', namespaced: true },
  ]),
  ...gv('storage.k8s.io', 'v1', [
    { resource: 'csidrivers', kind: 'CSIDriver', namespaced: false },
    { resource: 'csinodes', kind: 'CSINode', namespaced: false },
    { resource: 'storageclasses', kind: 'StorageClass', namespaced: false, shortNames: ['sc'] },
    {
      resource: 'volumeattachments',
      kind: 'VolumeAttachment',
      namespaced: false,
      subresources: [status('VolumeAttachment')],
    },
  ]),
  ...gv('admissionregistration.k8s.io', 'v1', [
    {
      resource: 'mutatingwebhookconfigurations',
      kind: 'MutatingWebhookConfiguration',
      namespaced: false,
      categories: ['api-extensions'],
    },
    {
      resource: 'validatingadmissionpolicies',
      kind: 'ValidatingAdmissionPolicy',
      namespaced: false,
      categories: ['api-extensions'],
      subresources: [status('ValidatingAdmissionPolicy')],
    },
    {
      resource: 'validatingadmissionpolicybindings',
      kind: 'ValidatingAdmissionPolicyBinding',
      namespaced: false,
      categories: ['api-extensions'],
    },
    {
      resource: 'validatingwebhookconfigurations',
      kind: 'ValidatingWebhookConfiguration',
      namespaced: false,
      categories: ['api-extensions'],
    },
  ]),
  ...gv('apiextensions.k8s.io', 'v1', [
    {
      resource: 'customresourcedefinitions',
      kind: 'CustomResourceDefinition',
      namespaced: false,
      shortNames: ['crd', 'crds'],
      categories: ['api-extensions'],
      subresources: [status('CustomResourceDefinition')],
      served: false,
    },
  ]),
  ...gv('scheduling.k8s.io', 'v1', [
    { resource: 'priorityclasses', kind: 'PriorityClass', namespaced: false, shortNames: ['pc'] },
  ]),
  ...gv('coordination.k8s.io', 'v1', [{ resource: 'leases', kind: 'Lease', namespaced: true }]),
  ...gv('discovery.k8s.io', 'v1', [{ resource: 'endpointslices', kind: 'EndpointSlice', namespaced: true }]),
];

/**
 * Group order as kube-apiserver lists it in /apis (its group priority order), and the preferred
 * version of each group. Groups not listed here (CRDs) follow, alphabetically.
 */
export const groupOrder: string[] = [
  'apiregistration.k8s.io',
  'apps',
  'events.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'networking.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'scheduling.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
];

/** Preferred version per group (`''` is the core group); autoscaling prefers v2. */
export const preferredVersions: Record<string, string> = {
  '': 'v1',
  autoscaling: 'v2',
};
for (const r of builtinResources) preferredVersions[r.group] ??= r.version;

/** Versions of a group in upstream priority order (preferred first). */
export function groupVersionsOrder(group: string, versions: string[]): string[] {
  const pref = preferredVersions[group];
  return [...versions].sort((a, b) => (a === pref ? -1 : b === pref ? 1 : compareVersions(a, b)));
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first (v2 > v1 > v1beta2 > v1beta1). */
export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (!pa || !pb) return pa ? -1 : pb ? 1 : a < b ? -1 : a > b ? 1 : 0;
  if (pa.level !== pb.level) return pb.level - pa.level;
  if (pa.major !== pb.major) return pb.major - pa.major;
  return pb.minor - pa.minor;
}

function parseVersion(v: string): { major: number; level: number; minor: number } | undefined {
  const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
  if (!m) return undefined;
  return { major: Number(m[1]), level: m[2] === undefined ? 2 : m[2] === 'beta' ? 1 : 0, minor: Number(m[3] ?? 0) };
}

/** "v1" for the core group, "apps/v1" otherwise. */
export function groupVersion(r: { group: string; version: string }): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

const byResource = new Map<string, ResourceInfo>();
const byKind = new Map<string, ResourceInfo>();
for (const r of builtinResources) {
  byResource.set(`${r.group}/${r.version}/${r.resource}`, r);
  byKind.set(`${groupVersion(r)}/${r.kind}`, r);
}

export function findResource(group: string, version: string, resource: string): ResourceInfo | undefined {
  return byResource.get(`${group}/${version}/${resource}`);
}

/** Looks a kind up by apiVersion ("v1", "apps/v1") and kind. */
export function findKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  return byKind.get(`${apiVersion}/${kind}`);
}
