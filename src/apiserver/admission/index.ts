// Admission plugins beyond NamespaceLifecycle: DefaultTolerationSeconds and ResourceQuota.
export { defaultTolerationSeconds, type DefaultTolerationSecondsOptions } from './defaulttolerationseconds.ts';
export { resourceQuota, type ResourceQuotaOptions } from './resourcequota.ts';
export { priority } from './priority.ts';
