// Versioned defaulting of cluster-scoped API groups: storage.k8s.io/v1, rbac.authorization.k8s.io/v1,
// scheduling.k8s.io/v1, admissionregistration.k8s.io/v1, flowcontrol.apiserver.k8s.io/v1,
// apiextensions.k8s.io/v1 and resource.k8s.io/v1 (each group's defaults.go / `+default` markers).
import { defaultLegacyVolumeSources } from './pod.ts';
import type { Obj } from './pod.ts';
import { roundResourceList } from './quantities.ts';

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const RBAC_GROUP = 'rbac.authorization.k8s.io';

// ---- storage.k8s.io/v1

export function defaultStorageClass(obj: Obj): void {
  if (!obj.reclaimPolicy) obj.reclaimPolicy = 'Delete';
  if (!obj.volumeBindingMode) obj.volumeBindingMode = 'Immediate';
}

export function defaultCSIDriver(obj: Obj): void {
  if (!isObj(obj.spec)) obj.spec = {};
  const s = obj.spec;
  if (s.attachRequired == null) s.attachRequired = true;
  if (s.podInfoOnMount == null) s.podInfoOnMount = false;
  if (s.storageCapacity == null) s.storageCapacity = false;
  if (s.fsGroupPolicy == null) s.fsGroupPolicy = 'ReadWriteOnceWithFSType';
  if (!Array.isArray(s.volumeLifecycleModes) || s.volumeLifecycleModes.length === 0) s.volumeLifecycleModes = ['Persistent'];
  if (s.requiresRepublish == null) s.requiresRepublish = false;
  if (s.seLinuxMount == null) s.seLinuxMount = false;
}

export function defaultVolumeAttachment(obj: Obj): void {
  const inline = obj.spec?.source?.inlineVolumeSpec;
  if (!isObj(inline)) return;
  roundResourceList(inline.capacity);
  defaultLegacyVolumeSources(inline);
}

// ---- rbac.authorization.k8s.io/v1

export function defaultRoleBinding(obj: Obj): void {
  if (isObj(obj.roleRef) && !obj.roleRef.apiGroup) obj.roleRef.apiGroup = RBAC_GROUP;
  if (!Array.isArray(obj.subjects)) return;
  for (const sub of obj.subjects) {
    if (!isObj(sub) || sub.apiGroup) continue;
    if (sub.kind === 'User' || sub.kind === 'Group') sub.apiGroup = RBAC_GROUP;
  }
}

// ---- scheduling.k8s.io/v1

export function defaultPriorityClass(obj: Obj): void {
  if (obj.preemptionPolicy == null) obj.preemptionPolicy = 'PreemptLowerPriority';
}

// ---- admissionregistration.k8s.io/v1

function defaultRules(rules: unknown): void {
  if (!Array.isArray(rules)) return;
  for (const r of rules) if (isObj(r) && r.scope == null) r.scope = '*';
}

function defaultWebhook(w: unknown, mutating: boolean): void {
  if (!isObj(w)) return;
  if (w.failurePolicy == null) w.failurePolicy = 'Fail';
  if (w.matchPolicy == null) w.matchPolicy = 'Equivalent';
  if (w.namespaceSelector == null) w.namespaceSelector = {};
  if (w.objectSelector == null) w.objectSelector = {};
  if (w.timeoutSeconds == null) w.timeoutSeconds = 10;
  if (mutating && w.reinvocationPolicy == null) w.reinvocationPolicy = 'Never';
  defaultRules(w.rules);
  const svc = w.clientConfig?.service;
  if (isObj(svc) && svc.port == null) svc.port = 443;
}

export function defaultValidatingWebhookConfiguration(obj: Obj): void {
  if (Array.isArray(obj.webhooks)) for (const w of obj.webhooks) defaultWebhook(w, false);
}

export function defaultMutatingWebhookConfiguration(obj: Obj): void {
  if (Array.isArray(obj.webhooks)) for (const w of obj.webhooks) defaultWebhook(w, true);
}

function defaultMatchResources(m: unknown): void {
  if (!isObj(m)) return;
  if (m.matchPolicy == null) m.matchPolicy = 'Equivalent';
  if (m.namespaceSelector == null) m.namespaceSelector = {};
  if (m.objectSelector == null) m.objectSelector = {};
  defaultRules(m.resourceRules);
  defaultRules(m.excludeResourceRules);
}

/** ValidatingAdmissionPolicy and MutatingAdmissionPolicy. */
export function defaultAdmissionPolicy(obj: Obj): void {
  const s = obj.spec;
  if (!isObj(s)) return;
  if (s.failurePolicy == null) s.failurePolicy = 'Fail';
  defaultMatchResources(s.matchConstraints);
}

/** ValidatingAdmissionPolicyBinding and MutatingAdmissionPolicyBinding. */
export function defaultAdmissionPolicyBinding(obj: Obj): void {
  defaultMatchResources(obj.spec?.matchResources);
}

// ---- flowcontrol.apiserver.k8s.io/v1

export function defaultFlowSchema(obj: Obj): void {
  const s = obj.spec;
  if (isObj(s) && !s.matchingPrecedence) s.matchingPrecedence = 1000;
}

export function defaultPriorityLevelConfiguration(obj: Obj): void {
  const s = obj.spec;
  if (!isObj(s)) return;
  if (isObj(s.limited)) {
    const l = s.limited;
    if (l.nominalConcurrencyShares == null) l.nominalConcurrencyShares = 30;
    if (l.lendablePercent == null) l.lendablePercent = 0;
    const lr = l.limitResponse;
    if (isObj(lr) && isObj(lr.queuing)) {
      if (!lr.queuing.handSize) lr.queuing.handSize = 8;
      if (!lr.queuing.queues) lr.queuing.queues = 64;
      if (!lr.queuing.queueLengthLimit) lr.queuing.queueLengthLimit = 50;
    }
  }
  if (isObj(s.exempt)) {
    if (s.exempt.nominalConcurrencyShares == null) s.exempt.nominalConcurrencyShares = 0;
    if (s.exempt.lendablePercent == null) s.exempt.lendablePercent = 0;
  }
}

// ---- apiextensions.k8s.io/v1

export function defaultCustomResourceDefinition(obj: Obj): void {
  const s = obj.spec;
  if (!isObj(s)) return;
  if (isObj(s.names) && typeof s.names.kind === 'string') {
    if (!s.names.singular) s.names.singular = s.names.kind.toLowerCase();
    if (!s.names.listKind) s.names.listKind = `${s.names.kind}List`;
  }
  if (!isObj(s.conversion)) s.conversion = { strategy: 'None' };
  else {
    const svc = s.conversion.webhook?.clientConfig?.service;
    if (isObj(svc) && svc.port == null) svc.port = 443;
  }
  if (Array.isArray(s.versions)) {
    const storage = s.versions.find((v: any) => v?.storage === true);
    if (storage && typeof storage.name === 'string') {
      if (!isObj(obj.status)) obj.status = {};
      if (!Array.isArray(obj.status.storedVersions) || obj.status.storedVersions.length === 0) {
        obj.status.storedVersions = [storage.name];
      }
    }
  }
}

// ---- resource.k8s.io/v1 (DRA)

function defaultExactRequest(r: unknown): void {
  if (!isObj(r)) return;
  if (!r.allocationMode) r.allocationMode = 'ExactCount';
  if (r.allocationMode === 'ExactCount' && !r.count) r.count = 1;
  defaultTolerations(r.tolerations);
}

function defaultTolerations(ts: unknown): void {
  if (!Array.isArray(ts)) return;
  for (const t of ts) if (isObj(t) && !t.operator) t.operator = 'Equal';
}

function defaultDeviceClaim(devices: unknown): void {
  if (!isObj(devices) || !Array.isArray(devices.requests)) return;
  for (const req of devices.requests) {
    if (!isObj(req)) continue;
    defaultExactRequest(req.exactly);
    if (Array.isArray(req.firstAvailable)) for (const sub of req.firstAvailable) defaultExactRequest(sub);
  }
}

/** ResourceClaim (`spec.devices`) and ResourceClaimTemplate (`spec.spec.devices`). */
export function defaultResourceClaim(obj: Obj): void {
  defaultDeviceClaim(obj.spec?.devices);
}

export function defaultResourceClaimTemplate(obj: Obj): void {
  defaultDeviceClaim(obj.spec?.spec?.devices);
}
