// The kube-system objects AKS installs and keeps (its add-on manager's manifests): CoreDNS and its
// proportional autoscaler, kube-proxy, metrics-server, konnectivity-agent and cloud-node-manager,
// with AKS-like mcr.microsoft.com images per Kubernetes minor, resources, tolerations, priority
// classes and the `addonmanager.kubernetes.io/mode` / `kubernetes.azure.com/managedby` labels.
import type { Obj } from '../../client/types.ts';
import { DEFAULT_COREFILE } from '../../dns/corefile.ts';
import { KUBE_DNS_LABELS } from '../../dns/service.ts';

export const MODE_LABEL = 'addonmanager.kubernetes.io/mode';
export const MANAGED_BY_LABEL = 'kubernetes.azure.com/managedby';
export type AddonMode = 'Reconcile' | 'EnsureExists';

/** One object the manager keeps: which API resource, and the object as AKS would ship it. */
export interface AddonObject {
  group: string;
  resource: string;
  obj: Obj;
}

export interface ManifestOptions {
  kubernetesVersion: string;
  clusterDomain?: string;
  dnsServiceIP: string;
  /** Replicas for the coredns Deployment (from the DNS autoscaling formula). */
  corednsReplicas: number;
}

const REGISTRY = 'mcr.microsoft.com/oss/kubernetes';

/** Image tags AKS ships per Kubernetes minor (latest known tag for minors beyond the table). */
const TAGS: Record<string, { coredns: string; metricsServer: string; konnectivity: string; cnm: string }> = {
  '1.28': { coredns: 'v1.9.4-5', metricsServer: 'v0.6.3', konnectivity: 'v0.1.2', cnm: 'v1.28.13' },
  '1.29': { coredns: 'v1.9.4-5', metricsServer: 'v0.6.3', konnectivity: 'v0.1.2', cnm: 'v1.29.11' },
  '1.30': { coredns: 'v1.11.3-2', metricsServer: 'v0.7.2', konnectivity: 'v0.30.3-hotfix.20240819', cnm: 'v1.30.7' },
  '1.31': { coredns: 'v1.11.3-2', metricsServer: 'v0.7.2', konnectivity: 'v0.31.1', cnm: 'v1.31.1' },
  '1.32': { coredns: 'v1.11.3-8', metricsServer: 'v0.7.2', konnectivity: 'v0.31.4', cnm: 'v1.32.3' },
  '1.33': { coredns: 'v1.12.1-2', metricsServer: 'v0.7.2', konnectivity: 'v0.33.0', cnm: 'v1.33.0' },
  '1.34': { coredns: 'v1.12.1-2', metricsServer: 'v0.8.0', konnectivity: 'v0.33.0', cnm: 'v1.34.0' },
};

export function imagesFor(version: string): Record<string, string> {
  const v = version.replace(/^v/, '');
  const minor = v.split('.').slice(0, 2).join('.');
  const known = Object.keys(TAGS).sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
  const t = TAGS[minor] ?? TAGS[Number(minor.split('.')[1]) < Number(known[0]!.split('.')[1]) ? known[0]! : known[known.length - 1]!]!;
  return {
    coredns: `${REGISTRY}/coredns:${t.coredns}`,
    corednsAutoscaler: `${REGISTRY}/autoscaler/cluster-proportional-autoscaler:v1.8.11`,
    kubeProxy: `${REGISTRY}/kube-proxy:v${v}`,
    metricsServer: `${REGISTRY}/metrics-server:${t.metricsServer}`,
    konnectivityAgent: `${REGISTRY}/apiserver-network-proxy/agent:${t.konnectivity}`,
    cloudNodeManager: `${REGISTRY}/azure-cloud-node-manager:${t.cnm}`,
  };
}

/** The coredns-autoscaler ConfigMap's default linear parameters (cluster-proportional-autoscaler). */
export const DEFAULT_DNS_AUTOSCALER_PARAMS = { coresPerReplica: 256, nodesPerReplica: 16, min: 2, max: 0, preventSinglePointFailure: true };

const CRITICAL_ADDONS_ONLY = { key: 'CriticalAddonsOnly', operator: 'Exists' };
const TOLERATE_ALL = [{ operator: 'Exists', effect: 'NoSchedule' }, { operator: 'Exists', effect: 'NoExecute' }, CRITICAL_ADDONS_ONLY];
/** AKS puts cluster add-ons on System pool nodes when it can. */
const PREFER_SYSTEM_POOL = {
  nodeAffinity: {
    preferredDuringSchedulingIgnoredDuringExecution: [
      { weight: 100, preference: { matchExpressions: [{ key: 'kubernetes.azure.com/mode', operator: 'In', values: ['system'] }] } },
    ],
    requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }] }] },
  },
};

function meta(name: string, mode: AddonMode, extra: Record<string, string> = {}): Obj {
  return { name, namespace: 'kube-system', labels: { ...extra, [MODE_LABEL]: mode, [MANAGED_BY_LABEL]: 'aks' } };
}

function sa(name: string): AddonObject {
  return { group: '', resource: 'serviceaccounts', obj: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(name, 'Reconcile') } };
}

function res(cpu: string, memory: string, limitMemory?: string): Obj {
  return { requests: { cpu, memory }, ...(limitMemory ? { limits: { memory: limitMemory } } : {}) };
}

function deployment(name: string, labels: Record<string, string>, replicas: number, pod: Obj, strategy?: Obj): AddonObject {
  return {
    group: 'apps',
    resource: 'deployments',
    obj: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(name, 'Reconcile', labels),
      spec: {
        replicas,
        selector: { matchLabels: labels },
        ...(strategy ? { strategy } : {}),
        template: { metadata: { labels }, spec: pod },
      },
    },
  };
}

function daemonset(name: string, labels: Record<string, string>, pod: Obj): AddonObject {
  return {
    group: 'apps',
    resource: 'daemonsets',
    obj: {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: meta(name, 'Reconcile', labels),
      spec: {
        selector: { matchLabels: labels },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } },
        template: { metadata: { labels }, spec: pod },
      },
    },
  };
}

/** Every add-on object, in creation order (service accounts and config before workloads). */
export function addonObjects(o: ManifestOptions): AddonObject[] {
  const img = imagesFor(o.kubernetesVersion);
  const domain = o.clusterDomain ?? 'cluster.local';
  const corefile = domain !== 'cluster.local' ? DEFAULT_COREFILE.replace('cluster.local', domain) : DEFAULT_COREFILE;
  const dnsLabels = { 'k8s-app': 'kube-dns', version: 'v20', 'kubernetes.io/cluster-service': 'true' };
  const out: AddonObject[] = [
    sa('coredns'),
    sa('coredns-autoscaler'),
    sa('kube-proxy'),
    sa('metrics-server'),
    sa('konnectivity-agent'),
    sa('cloud-node-manager'),
    // The local cluster's DNS (src/dns/) may have made these already; same names, so never twice.
    {
      group: '',
      resource: 'configmaps',
      obj: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'coredns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns', [MODE_LABEL]: 'Reconcile', [MANAGED_BY_LABEL]: 'aks' } }, data: { Corefile: corefile } },
    },
    {
      group: '',
      resource: 'configmaps',
      obj: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'coredns-custom', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns', [MODE_LABEL]: 'EnsureExists', [MANAGED_BY_LABEL]: 'aks' } }, data: {} },
    },
    {
      group: '',
      resource: 'configmaps',
      obj: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: meta('coredns-autoscaler', 'EnsureExists', { 'k8s-app': 'coredns-autoscaler' }),
        data: { linear: JSON.stringify(DEFAULT_DNS_AUTOSCALER_PARAMS) },
      },
    },
    {
      group: '',
      resource: 'services',
      obj: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { ...KUBE_DNS_LABELS, [MANAGED_BY_LABEL]: 'aks' }, annotations: { 'skiff.io/served-directly': 'true' } },
        spec: {
          type: 'ClusterIP',
          clusterIP: o.dnsServiceIP,
          selector: { 'k8s-app': 'kube-dns' },
          ports: [
            { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
            { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
            { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
          ],
        },
      },
    },
    deployment(
      'coredns',
      dnsLabels,
      o.corednsReplicas,
      {
        serviceAccountName: 'coredns',
        priorityClassName: 'system-node-critical',
        dnsPolicy: 'Default',
        affinity: PREFER_SYSTEM_POOL,
        tolerations: [CRITICAL_ADDONS_ONLY],
        containers: [
          {
            name: 'coredns',
            image: img.coredns,
            args: ['-conf', '/etc/coredns/Corefile'],
            ports: [
              { name: 'dns', containerPort: 53, protocol: 'UDP' },
              { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
              { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
            ],
            resources: res('100m', '70Mi', '500Mi'),
            volumeMounts: [
              { name: 'config-volume', mountPath: '/etc/coredns', readOnly: true },
              { name: 'custom-config-volume', mountPath: '/etc/coredns/custom', readOnly: true },
            ],
          },
        ],
        volumes: [
          { name: 'config-volume', configMap: { name: 'coredns', items: [{ key: 'Corefile', path: 'Corefile' }] } },
          { name: 'custom-config-volume', configMap: { name: 'coredns-custom', optional: true } },
        ],
      },
      { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: '10%' } },
    ),
    deployment('coredns-autoscaler', { 'k8s-app': 'coredns-autoscaler' }, 1, {
      serviceAccountName: 'coredns-autoscaler',
      priorityClassName: 'system-cluster-critical',
      affinity: PREFER_SYSTEM_POOL,
      tolerations: [CRITICAL_ADDONS_ONLY],
      containers: [
        {
          name: 'autoscaler',
          image: img.corednsAutoscaler,
          command: ['/cluster-proportional-autoscaler', '--namespace=kube-system', '--configmap=coredns-autoscaler', '--target=deployment/coredns', '--default-params={"linear":{"coresPerReplica":256,"nodesPerReplica":16,"min":2,"preventSinglePointFailure":true}}', '--logtostderr=true', '--v=2'],
          resources: res('20m', '10Mi', '500Mi'),
        },
      ],
    }),
    daemonset('kube-proxy', { component: 'kube-proxy', tier: 'node' }, {
      serviceAccountName: 'kube-proxy',
      priorityClassName: 'system-node-critical',
      hostNetwork: true,
      tolerations: TOLERATE_ALL,
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      containers: [
        {
          name: 'kube-proxy',
          image: img.kubeProxy,
          command: ['kube-proxy', '--conntrack-max-per-core=0', '--metrics-bind-address=0.0.0.0:10249', '--cluster-cidr=10.244.0.0/16', '--detect-local-mode=ClusterCIDR', '--v=3'],
          resources: res('100m', '0'),
          securityContext: { privileged: true },
        },
      ],
    }),
    deployment('metrics-server', { 'k8s-app': 'metrics-server' }, 2, {
      serviceAccountName: 'metrics-server',
      priorityClassName: 'system-cluster-critical',
      affinity: PREFER_SYSTEM_POOL,
      tolerations: [CRITICAL_ADDONS_ONLY],
      containers: [
        {
          name: 'metrics-server',
          image: img.metricsServer,
          command: ['/metrics-server', '--kubelet-insecure-tls', '--kubelet-preferred-address-types=InternalIP', '--cert-dir=/tmp', '--secure-port=4443'],
          ports: [{ name: 'https', containerPort: 4443, protocol: 'TCP' }],
          resources: res('150m', '100Mi', '400Mi'),
        },
      ],
    }),
    {
      // The Service only: metrics.k8s.io is served in-process, so no APIService points here.
      group: '',
      resource: 'services',
      obj: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: meta('metrics-server', 'Reconcile', { 'k8s-app': 'metrics-server', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'Metrics-server' }),
        spec: { selector: { 'k8s-app': 'metrics-server' }, ports: [{ port: 443, protocol: 'TCP', targetPort: 'https' }] },
      },
    },
    deployment('konnectivity-agent', { app: 'konnectivity-agent' }, 2, {
      serviceAccountName: 'konnectivity-agent',
      priorityClassName: 'system-cluster-critical',
      affinity: PREFER_SYSTEM_POOL,
      tolerations: [CRITICAL_ADDONS_ONLY],
      containers: [
        {
          name: 'konnectivity-agent',
          image: img.konnectivityAgent,
          command: ['/proxy-agent', '--proxy-server-port=443', '--health-server-port=8082', '--agent-identifiers=default-route=true', '--keepalive-time=30s'],
          resources: res('20m', '20Mi', '1Gi'),
        },
      ],
    }),
    daemonset('cloud-node-manager', { 'k8s-app': 'cloud-node-manager' }, {
      serviceAccountName: 'cloud-node-manager',
      priorityClassName: 'system-node-critical',
      hostNetwork: true,
      tolerations: TOLERATE_ALL,
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      containers: [
        {
          name: 'cloud-node-manager',
          image: img.cloudNodeManager,
          command: ['cloud-node-manager', '--node-name=$(NODE_NAME)', '--wait-routes=false'],
          env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
          resources: res('50m', '50Mi', '512Mi'),
        },
      ],
    }),
  ];
  return out;
}

/** `resource/name`, the manager's key for an add-on object. */
export const addonKey = (a: { resource: string; obj: Obj }) => `${a.resource}/${a.obj.metadata.name}`;
