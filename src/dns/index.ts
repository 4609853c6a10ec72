// Cluster DNS (CoreDNS with the kubernetes plugin, as AKS runs it): the server, the kube-dns
// Service and ConfigMaps it is configured by, and the pod resolv.conf the kubelet writes.
export { ClusterDNS, DNSBindError, DEFAULT_DNS_ADDRESS, type ClusterDNSOptions } from './server.ts';
export { resolvConf, podDNS, parseResolvConf, readHostResolvConf, type ResolvConfOptions, type PodDNS, type PodDNSConfig, type HostResolvConf } from './resolvconf.ts';
export { ensureKubeDNSService, ensureCoreDNSConfigMaps, KUBE_DNS_LABELS } from './service.ts';
export { DEFAULT_COREFILE, loadConfig, CorefileError, type DNSConfig } from './corefile.ts';
