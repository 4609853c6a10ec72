// Versioned defaulting of batch/v1 Job and CronJob (pkg/apis/batch/v1/defaults.go).
import { defaultPodTemplateSpec } from './pod.ts';
import type { Obj } from './pod.ts';

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const hasKeys = (v: unknown): v is Obj => isObj(v) && Object.keys(v).length > 0;

function defaultPodFailurePolicy(pfp: unknown): void {
  if (!isObj(pfp) || !Array.isArray(pfp.rules)) return;
  for (const rule of pfp.rules) {
    if (!isObj(rule) || !Array.isArray(rule.onPodConditions)) continue;
    for (const c of rule.onPodConditions) if (isObj(c) && !c.status) c.status = 'True';
  }
}

export function defaultJob(obj: Obj): void {
  const s = obj.spec;
  if (!isObj(s)) return;
  if (s.completions == null && s.parallelism == null) {
    s.completions = 1;
    s.parallelism = 1;
  }
  if (s.parallelism == null) s.parallelism = 1;
  if (s.backoffLimit == null) s.backoffLimit = s.backoffLimitPerIndex != null ? 2147483647 : 6;
  const labels = s.template?.metadata?.labels;
  if (hasKeys(labels)) {
    if (!isObj(obj.metadata)) obj.metadata = {};
    if (!hasKeys(obj.metadata.labels)) obj.metadata.labels = { ...labels };
  }
  if (s.completionMode == null) s.completionMode = 'NonIndexed';
  if (s.suspend == null) s.suspend = false;
  defaultPodFailurePolicy(s.podFailurePolicy);
  if (s.podReplacementPolicy == null) s.podReplacementPolicy = s.podFailurePolicy != null ? 'Failed' : 'TerminatingOrFailed';
  if (s.manualSelector == null) s.manualSelector = false;
  defaultPodTemplateSpec(s.template);
}

export function defaultCronJob(obj: Obj): void {
  const s = obj.spec;
  if (!isObj(s)) return;
  if (!s.concurrencyPolicy) s.concurrencyPolicy = 'Allow';
  if (s.suspend == null) s.suspend = false;
  if (s.successfulJobsHistoryLimit == null) s.successfulJobsHistoryLimit = 3;
  if (s.failedJobsHistoryLimit == null) s.failedJobsHistoryLimit = 1;
  const js = s.jobTemplate?.spec;
  if (isObj(js)) {
    defaultPodFailurePolicy(js.podFailurePolicy);
    defaultPodTemplateSpec(js.template);
  }
}
