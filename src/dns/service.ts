// The kube-dns Service in kube-system as AKS has it (ClusterIP at the DNS service address, dns
// 53/UDP, dns-tcp 53/TCP, metrics 9153/TCP), and the `coredns` / `coredns-custom` ConfigMaps that
// configure the server (AKS manages the first; users edit the second).
import type { KubeClient } from '../client/client.ts';
import type { Obj } from '../client/types.ts';
import { isAlreadyExists } from '../machinery/errors.ts';
import { DEFAULT_COREFILE } from './corefile.ts';

export const KUBE_DNS_LABELS = {
  'k8s-app': 'kube-dns',
  'kubernetes.io/cluster-service': 'true',
  'kubernetes.io/name': 'CoreDNS',
  'addonmanager.kubernetes.io/mode': 'Reconcile',
} as const;

/** Creates the kube-dns Service unless it exists; returns the Service in the store. */
export async function ensureKubeDNSService(client: KubeClient, ip = '127.96.0.10'): Promise<Obj> {
  const services = client.resource('', 'services', 'kube-system');
  const svc: Obj = {
    apiVersion: 'v1',
    kind: 'Service',
    // The DNS server binds the ClusterIP itself, so the service proxy leaves it alone.
    metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { ...KUBE_DNS_LABELS }, annotations: { 'skiff.io/served-directly': 'true' } },
    spec: {
      type: 'ClusterIP',
      clusterIP: ip,
      clusterIPs: [ip],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      selector: { 'k8s-app': 'kube-dns' },
      sessionAffinity: 'None',
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
      ],
    },
  };
  try {
    return await services.create(svc);
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
    return services.get('kube-dns');
  }
}

/** Creates the `coredns` ConfigMap (AKS's Corefile) and an empty `coredns-custom` unless they exist. */
export async function ensureCoreDNSConfigMaps(client: KubeClient, opts: { domain?: string } = {}): Promise<void> {
  const cms = client.resource('', 'configmaps', 'kube-system');
  const corefile = opts.domain && opts.domain !== 'cluster.local' ? DEFAULT_COREFILE.replace('cluster.local', opts.domain) : DEFAULT_COREFILE;
  const labels = { 'k8s-app': 'kube-dns', 'addonmanager.kubernetes.io/mode': 'Reconcile' };
  for (const cm of [
    { metadata: { name: 'coredns', namespace: 'kube-system', labels }, data: { Corefile: corefile } },
    { metadata: { name: 'coredns-custom', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns', 'addonmanager.kubernetes.io/mode': 'EnsureExists' } }, data: {} },
  ]) {
    try {
      await cms.create(cm);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  }
}
