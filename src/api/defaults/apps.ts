// Versioned defaulting of apps/v1 Deployment, ReplicaSet, StatefulSet and DaemonSet
// (pkg/apis/apps/v1/defaults.go); their pod templates get the PodSpec defaults.
import { defaultPodTemplateSpec, defaultPVCSpec } from './pod.ts';
import type { Obj } from './pod.ts';
import { roundResourceList } from './quantities.ts';

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Gate MaxUnavailableStatefulSet (beta, on by default since 1.35). */
export const MAX_UNAVAILABLE_STATEFULSET = true;

export function defaultDeployment(obj: Obj): void {
  const s = obj.spec;
  if (!isObj(s)) return;
  if (s.replicas == null) s.replicas = 1;
  if (!isObj(s.strategy)) s.strategy = {};
  const st = s.strategy;
  if (!st.type) st.type = 'RollingUpdate';
  if (st.type === 'RollingUpdate') {
    if (!isObj(st.rollingUpdate)) st.rollingUpdate = {};
    if (st.rollingUpdate.maxUnavailable == null) st.rollingUpdate.maxUnavailable = '25%';
    if (st.rollingUpdate.maxSurge == null) st.rollingUpdate.maxSurge = '25%';
  }
  if (s.revisionHistoryLimit == null) s.revisionHistoryLimit = 10;
  if (s.progressDeadlineSeconds == null) s.progressDeadlineSeconds = 600;
  defaultPodTemplateSpec(s.template);
}

export function defaultReplicaSet(obj: Obj): void {
  const s = obj.spec;
  if (!isObj(s)) return;
  if (s.replicas == null) s.replicas = 1;
  defaultPodTemplateSpec(s.template);
}

export function defaultStatefulSet(obj: Obj): void {
  const s = obj.spec;
  if (!isObj(s)) return;
  if (!s.podManagementPolicy) s.podManagementPolicy = 'OrderedReady';
  if (!isObj(s.updateStrategy)) s.updateStrategy = {};
  const us = s.updateStrategy;
  if (!us.type) {
    us.type = 'RollingUpdate';
    if (!isObj(us.rollingUpdate)) us.rollingUpdate = {};
  }
  if (us.type === 'RollingUpdate' && isObj(us.rollingUpdate)) {
    if (us.rollingUpdate.partition == null) us.rollingUpdate.partition = 0;
    if (MAX_UNAVAILABLE_STATEFULSET && us.rollingUpdate.maxUnavailable == null) us.rollingUpdate.maxUnavailable = 1;
  }
  if (!isObj(s.persistentVolumeClaimRetentionPolicy)) s.persistentVolumeClaimRetentionPolicy = {};
  const rp = s.persistentVolumeClaimRetentionPolicy;
  if (!rp.whenDeleted) rp.whenDeleted = 'Retain';
  if (!rp.whenScaled) rp.whenScaled = 'Retain';
  if (s.replicas == null) s.replicas = 1;
  if (s.revisionHistoryLimit == null) s.revisionHistoryLimit = 10;
  defaultPodTemplateSpec(s.template);
  if (Array.isArray(s.volumeClaimTemplates)) {
    for (const pvc of s.volumeClaimTemplates) {
      if (!isObj(pvc)) continue;
      defaultPVCSpec(pvc.spec);
      if (!isObj(pvc.status)) pvc.status = {};
      if (!pvc.status.phase) pvc.status.phase = 'Pending';
      roundResourceList(pvc.status.capacity);
      roundResourceList(pvc.status.allocatedResources);
    }
  }
}

export function defaultDaemonSet(obj: Obj): void {
  const s = obj.spec;
  if (!isObj(s)) return;
  if (!isObj(s.updateStrategy)) s.updateStrategy = {};
  const us = s.updateStrategy;
  if (!us.type) us.type = 'RollingUpdate';
  if (us.type === 'RollingUpdate') {
    if (!isObj(us.rollingUpdate)) us.rollingUpdate = {};
    if (us.rollingUpdate.maxUnavailable == null) us.rollingUpdate.maxUnavailable = 1;
    if (us.rollingUpdate.maxSurge == null) us.rollingUpdate.maxSurge = 0;
  }
  if (s.revisionHistoryLimit == null) s.revisionHistoryLimit = 10;
  defaultPodTemplateSpec(s.template);
}
