// The AKS add-on manager's public surface: the manager, its manifests and the CoreDNS scaling rule.
export { AddonManager, containsFields, type AddonManagerOptions } from './manager.ts';
export { addonObjects, imagesFor, MODE_LABEL, MANAGED_BY_LABEL, DEFAULT_DNS_AUTOSCALER_PARAMS, type AddonObject, type AddonMode } from './manifests.ts';
export { corednsReplicas, linearReplicas, ladderReplicas } from './dnsscale.ts';
