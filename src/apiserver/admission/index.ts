// Admission plugins beyond NamespaceLifecycle: DefaultTolerationSeconds, ResourceQuota, Priority and the
// security set (PodSecurity, LimitRanger, ServiceAccount, NodeRestriction, DefaultStorageClass, DefaultIngressClass).
export { defaultTolerationSeconds, type DefaultTolerationSecondsOptions } from './defaulttolerationseconds.ts';
export { resourceQuota, type ResourceQuotaOptions } from './resourcequota.ts';
export { priority } from './priority.ts';
export { podSecurity, policyToEvaluate, type PodSecurityOptions, type PodSecurityDefaults } from './podsecurity.ts';
export { limitRanger, type LimitRangerOptions } from './limitranger.ts';
export { serviceAccount, tokenVolumeSource, type ServiceAccountOptions } from './serviceaccount.ts';
export { nodeRestriction, type NodeRestrictionOptions } from './noderestriction.ts';
export { defaultStorageClass } from './defaultstorageclass.ts';
export { defaultIngressClass } from './defaultingressclass.ts';
