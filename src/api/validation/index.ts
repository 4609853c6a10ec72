// Server-side validation of built-in objects, as kube-apiserver's registry strategies run it on create and
// update (Validate / ValidateUpdate): ObjectMeta, then the kind's own rules; errors are field errors that
// the caller turns into a 422 Invalid Status with invalidError(). Objects are expected to be defaulted.
import type { FieldError } from '../../machinery/errors.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../machinery/validation.ts';
import {
  type Obj, type NameValidator, isObj, nameIsDNSSubdomain, nameIsDNSLabel, nameIsDNS1035Label, nameIsPathSegment, nameAnything,
} from './common.ts';
import { validatePodCreateSpec, validatePodUpdateSpec } from './pod.ts';
import * as core from './core.ts';
import * as apps from './apps.ts';
import * as batch from './batch.ts';
import * as o from './others.ts';

interface KindRules {
  namespaced: boolean;
  name: NameValidator;
  create?: (obj: Obj, errs: FieldError[]) => void;
  /** Extra checks on update (immutability); `create` runs on the new object as well unless `updateOnly`. */
  update?: (obj: Obj, old: Obj, errs: FieldError[]) => void;
  /** Upstream does not re-run the create rules on update for this kind (it validates the new spec separately). */
  updateReplacesCreate?: boolean;
}

const sub = nameIsDNSSubdomain;

const RULES: Record<string, KindRules> = {
  // core/v1
  'v1/Pod': { namespaced: true, name: sub, create: validatePodCreateSpec, update: validatePodUpdateSpec, updateReplacesCreate: true },
  'v1/PodTemplate': { namespaced: true, name: sub, create: core.validatePodTemplate },
  'v1/ReplicationController': { namespaced: true, name: sub, create: core.validateRCSpec },
  'v1/Service': { namespaced: true, name: nameIsDNS1035Label, create: core.validateServiceSpec, update: core.validateServiceUpdate },
  'v1/ConfigMap': { namespaced: true, name: sub, create: core.validateConfigMapData, update: core.validateConfigMapUpdate },
  'v1/Secret': { namespaced: true, name: sub, create: core.validateSecretData, update: core.validateSecretUpdate },
  'v1/Namespace': { namespaced: false, name: nameIsDNSLabel, create: core.validateNamespaceSpec, update: () => {}, updateReplacesCreate: true },
  'v1/Node': { namespaced: false, name: sub, create: core.validateNodeSpec, update: core.validateNodeUpdate },
  'v1/Endpoints': { namespaced: true, name: sub, create: core.validateEndpoints },
  'v1/PersistentVolume': { namespaced: false, name: sub, create: core.validatePVSpec, update: core.validatePVUpdate },
  'v1/PersistentVolumeClaim': { namespaced: true, name: sub, create: (pvc, errs) => core.validatePVCSpec(pvc.spec, 'spec', errs), update: core.validatePVCUpdate },
  'v1/ResourceQuota': { namespaced: true, name: sub, create: core.validateResourceQuotaSpec, update: core.validateResourceQuotaUpdate },
  'v1/LimitRange': { namespaced: true, name: sub, create: core.validateLimitRangeSpec },
  'v1/ServiceAccount': { namespaced: true, name: sub },
  'v1/Event': { namespaced: true, name: sub, create: core.validateEventV1 },
  // apps/v1
  'apps/v1/Deployment': { namespaced: true, name: sub, create: apps.validateDeploymentSpec, update: apps.validateSelectorUpdate },
  'apps/v1/ReplicaSet': { namespaced: true, name: sub, create: apps.validateReplicaSetSpec, update: apps.validateSelectorUpdate },
  'apps/v1/StatefulSet': { namespaced: true, name: nameIsDNSLabel, create: apps.validateStatefulSetSpec, update: apps.validateStatefulSetUpdate },
  'apps/v1/DaemonSet': { namespaced: true, name: sub, create: apps.validateDaemonSetSpec, update: apps.validateSelectorUpdate },
  'apps/v1/ControllerRevision': { namespaced: true, name: sub, create: apps.validateControllerRevision, update: apps.validateControllerRevisionUpdate },
  // batch/v1
  'batch/v1/Job': { namespaced: true, name: sub, create: batch.validateJobSpec, update: batch.validateJobUpdate },
  'batch/v1/CronJob': {
    namespaced: true,
    name: sub,
    create: (cj, errs) => batch.validateCronJobSpec(cj, undefined, errs),
    update: (cj, old, errs) => batch.validateCronJobSpec(cj, old, errs),
    updateReplacesCreate: true,
  },
  // autoscaling
  'autoscaling/v1/HorizontalPodAutoscaler': { namespaced: true, name: sub, create: (h, errs) => o.validateHPA(h, 'autoscaling/v1', errs) },
  'autoscaling/v2/HorizontalPodAutoscaler': { namespaced: true, name: sub, create: (h, errs) => o.validateHPA(h, 'autoscaling/v2', errs) },
  // policy
  'policy/v1/PodDisruptionBudget': { namespaced: true, name: sub, create: o.validatePDBSpec },
  // networking
  'networking.k8s.io/v1/Ingress': { namespaced: true, name: sub, create: o.validateIngressSpec },
  'networking.k8s.io/v1/IngressClass': { namespaced: false, name: sub, create: o.validateIngressClassSpec, update: o.validateIngressClassUpdate },
  'networking.k8s.io/v1/NetworkPolicy': { namespaced: true, name: sub, create: o.validateNetworkPolicySpec },
  'discovery.k8s.io/v1/EndpointSlice': { namespaced: true, name: sub, create: o.validateEndpointSlice, update: o.validateEndpointSliceUpdate },
  'coordination.k8s.io/v1/Lease': { namespaced: true, name: sub, create: o.validateLeaseSpec },
  'events.k8s.io/v1/Event': { namespaced: true, name: sub },
  // rbac
  'rbac.authorization.k8s.io/v1/Role': { namespaced: true, name: nameIsPathSegment, create: (r, errs) => o.validateRoleRules(r, true, errs) },
  'rbac.authorization.k8s.io/v1/ClusterRole': { namespaced: false, name: nameIsPathSegment, create: (r, errs) => o.validateRoleRules(r, false, errs) },
  'rbac.authorization.k8s.io/v1/RoleBinding': {
    namespaced: true,
    name: nameIsPathSegment,
    create: (rb, errs) => o.validateRoleBinding(rb, true, errs),
    update: o.validateRoleBindingUpdate,
  },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': {
    namespaced: false,
    name: nameIsPathSegment,
    create: (rb, errs) => o.validateRoleBinding(rb, false, errs),
    update: o.validateRoleBindingUpdate,
  },
  // storage
  'storage.k8s.io/v1/StorageClass': { namespaced: false, name: sub, create: o.validateStorageClass, update: o.validateStorageClassUpdate },
  'storage.k8s.io/v1/CSIDriver': { namespaced: false, name: sub, create: o.validateCSIDriver, update: o.validateCSIDriverUpdate },
  'storage.k8s.io/v1/VolumeAttachment': { namespaced: false, name: sub, create: o.validateVolumeAttachment, update: o.validateVolumeAttachmentUpdate },
  'scheduling.k8s.io/v1/PriorityClass': { namespaced: false, name: sub, create: o.validatePriorityClass, update: o.validatePriorityClassUpdate },
  'certificates.k8s.io/v1/CertificateSigningRequest': { namespaced: false, name: nameAnything, create: o.validateCSR, update: o.validateCSRUpdate },
};

function rulesFor(apiVersion: unknown, kind: unknown): KindRules | undefined {
  return RULES[`${String(apiVersion ?? '')}/${String(kind ?? '')}`];
}

/** The ObjectMeta name validator upstream uses for the kind (NameIsDNSSubdomain when the kind is unknown). */
export function nameValidatorFor(apiVersion: string, kind: string): NameValidator {
  return rulesFor(apiVersion, kind)?.name ?? nameIsDNSSubdomain;
}

/** Whether validation rules exist for the kind (others only get ObjectMeta checks). */
export function hasKindValidation(apiVersion: string, kind: string): boolean {
  return rulesFor(apiVersion, kind) !== undefined;
}

/** Validation on create: ObjectMeta plus the kind's rules. Unknown kinds get ObjectMeta checks only. */
export function validateCreate(obj: any): FieldError[] {
  const o: Obj = isObj(obj) ? obj : {};
  const rules = rulesFor(o.apiVersion, o.kind);
  const errs = validateObjectMeta(o.metadata, { namespaced: rules?.namespaced ?? (isObj(o.metadata) && !!o.metadata.namespace), nameValidator: rules?.name ?? nameIsDNSSubdomain });
  rules?.create?.(o, errs);
  return errs;
}

/** Validation on update: ObjectMeta update rules, the kind's rules on the new object, then its immutability rules. */
export function validateUpdate(obj: any, old: any): FieldError[] {
  const o: Obj = isObj(obj) ? obj : {};
  const prev: Obj = isObj(old) ? old : {};
  const rules = rulesFor(o.apiVersion, o.kind);
  const errs = validateObjectMetaUpdate(o.metadata, prev.metadata);
  if (rules?.updateReplacesCreate) {
    rules.update?.(o, prev, errs);
    return errs;
  }
  rules?.create?.(o, errs);
  rules?.update?.(o, prev, errs);
  return errs;
}
