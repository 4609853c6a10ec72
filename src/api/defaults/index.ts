// Server-side defaulting of built-in objects as kube-apiserver runs it on decode ([def] versioned
// defaulting functions + [decl] `+default` markers), dispatched on apiVersion + kind.
//
// Idempotent: the apiserver re-runs these on every read from storage, so applying twice equals once.
// Registry strategies, allocation and admission are not here (see helpers.ts for pure pieces of them).
import { defaultDaemonSet, defaultDeployment, defaultReplicaSet, defaultStatefulSet } from './apps.ts';
import { defaultHPAv1, defaultHPAv2 } from './autoscaling.ts';
import { defaultCronJob, defaultJob } from './batch.ts';
import {
  defaultAdmissionPolicy,
  defaultAdmissionPolicyBinding,
  defaultCSIDriver,
  defaultCustomResourceDefinition,
  defaultFlowSchema,
  defaultMutatingWebhookConfiguration,
  defaultPriorityClass,
  defaultPriorityLevelConfiguration,
  defaultResourceClaim,
  defaultResourceClaimTemplate,
  defaultRoleBinding,
  defaultStorageClass,
  defaultValidatingWebhookConfiguration,
  defaultVolumeAttachment,
} from './cluster.ts';
import {
  defaultEndpoints,
  defaultLimitRange,
  defaultNamespace,
  defaultNode,
  defaultPersistentVolume,
  defaultPersistentVolumeClaim,
  defaultPodTemplate,
  defaultReplicationController,
  defaultResourceQuota,
  defaultSecret,
  defaultService,
} from './core.ts';
import { defaultEndpointSlice, defaultIngressClass, defaultNetworkPolicy } from './networking.ts';
import { defaultPod } from './pod.ts';
import type { Obj } from './pod.ts';

export type Defaulter = (obj: Obj) => void;

// Kinds with no defaults at all (left untouched, listed so the coverage is explicit): v1 ConfigMap
// (data = {} is invisible), ServiceAccount, Event; events.k8s.io/v1 Event; policy/v1
// PodDisruptionBudget; networking.k8s.io/v1 Ingress (pathType is required, not defaulted),
// ServiceCIDR, IPAddress; coordination.k8s.io/v1 Lease; rbac Role/ClusterRole;
// certificates.k8s.io/v1 CertificateSigningRequest; node.k8s.io/v1 RuntimeClass; storage CSINode,
// CSIStorageCapacity, VolumeAttributesClass.
const DEFAULTERS = new Map<string, Defaulter>([
  ['v1/Pod', defaultPod],
  ['v1/PodTemplate', defaultPodTemplate],
  ['v1/ReplicationController', defaultReplicationController],
  ['v1/Service', defaultService],
  ['v1/Endpoints', defaultEndpoints],
  ['v1/Namespace', defaultNamespace],
  ['v1/Node', defaultNode],
  ['v1/PersistentVolume', defaultPersistentVolume],
  ['v1/PersistentVolumeClaim', defaultPersistentVolumeClaim],
  ['v1/Secret', defaultSecret],
  ['v1/LimitRange', defaultLimitRange],
  ['v1/ResourceQuota', defaultResourceQuota],
  ['apps/v1/Deployment', defaultDeployment],
  ['apps/v1/ReplicaSet', defaultReplicaSet],
  ['apps/v1/StatefulSet', defaultStatefulSet],
  ['apps/v1/DaemonSet', defaultDaemonSet],
  ['batch/v1/Job', defaultJob],
  ['batch/v1/CronJob', defaultCronJob],
  ['autoscaling/v2/HorizontalPodAutoscaler', defaultHPAv2],
  ['autoscaling/v1/HorizontalPodAutoscaler', defaultHPAv1],
  ['networking.k8s.io/v1/NetworkPolicy', defaultNetworkPolicy],
  ['networking.k8s.io/v1/IngressClass', defaultIngressClass],
  ['discovery.k8s.io/v1/EndpointSlice', defaultEndpointSlice],
  ['storage.k8s.io/v1/StorageClass', defaultStorageClass],
  ['storage.k8s.io/v1/CSIDriver', defaultCSIDriver],
  ['storage.k8s.io/v1/VolumeAttachment', defaultVolumeAttachment],
  ['rbac.authorization.k8s.io/v1/RoleBinding', defaultRoleBinding],
  ['rbac.authorization.k8s.io/v1/ClusterRoleBinding', defaultRoleBinding],
  ['scheduling.k8s.io/v1/PriorityClass', defaultPriorityClass],
  ['admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration', defaultValidatingWebhookConfiguration],
  ['admissionregistration.k8s.io/v1/MutatingWebhookConfiguration', defaultMutatingWebhookConfiguration],
  ['admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy', defaultAdmissionPolicy],
  ['admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding', defaultAdmissionPolicyBinding],
  ['admissionregistration.k8s.io/v1beta1/MutatingAdmissionPolicy', defaultAdmissionPolicy],
  ['admissionregistration.k8s.io/v1beta1/MutatingAdmissionPolicyBinding', defaultAdmissionPolicyBinding],
  ['flowcontrol.apiserver.k8s.io/v1/FlowSchema', defaultFlowSchema],
  ['flowcontrol.apiserver.k8s.io/v1/PriorityLevelConfiguration', defaultPriorityLevelConfiguration],
  ['apiextensions.k8s.io/v1/CustomResourceDefinition', defaultCustomResourceDefinition],
  ['resource.k8s.io/v1/ResourceClaim', defaultResourceClaim],
  ['resource.k8s.io/v1/ResourceClaimTemplate', defaultResourceClaimTemplate],
]);

/** `<apiVersion>/<kind>` of every kind that has defaults. */
export function defaultedKinds(): string[] {
  return [...DEFAULTERS.keys()];
}

/** The defaulting function for a group/version + kind, or undefined when the kind has no defaults. */
export function defaulterFor(apiVersion: string, kind: string): Defaulter | undefined {
  return DEFAULTERS.get(`${apiVersion}/${kind}`);
}

/** Defaults `obj` in place as the given apiVersion/kind (for bodies whose kind fields are absent, e.g. list items). */
export function applyDefaultsAs(obj: any, apiVersion: string, kind: string): void {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return;
  const fn = DEFAULTERS.get(`${apiVersion}/${kind}`);
  if (fn) {
    fn(obj);
    return;
  }
  // <Kind>List and v1 List: default each item (items of a typed list carry no kind on the wire).
  if (Array.isArray(obj.items) && kind.endsWith('List')) {
    const itemKind = kind.slice(0, -4);
    for (const item of obj.items) {
      if (item === null || typeof item !== 'object') continue;
      if (typeof item.apiVersion === 'string' && typeof item.kind === 'string') applyDefaultsAs(item, item.apiVersion, item.kind);
      else if (itemKind) applyDefaultsAs(item, apiVersion, itemKind);
    }
  }
}

/** Applies kube-apiserver's versioned defaults to a built-in object in place; unknown kinds are untouched. */
export function applyDefaults(obj: any): void {
  if (obj === null || typeof obj !== 'object') return;
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return;
  applyDefaultsAs(obj, apiVersion, kind);
}
