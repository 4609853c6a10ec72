// StatefulSet identities, as upstream's stateful_set_utils.go: pods `<set>-<ordinal>` with the
// pod-name and pod-index labels, hostname and subdomain; claims `<template>-<set>-<ordinal>` from
// volumeClaimTemplates; the owner references persistentVolumeClaimRetentionPolicy asks for; the
// revision a new pod gets under RollingUpdate with a partition, or OnDelete.
import type { Obj } from '../../client/types.ts';
import { isPodAvailable, isPodReady } from '../history/pods.ts';
import { REVISION_LABEL, templateFromRevision } from '../history/history.ts';
import { newControllerRef, type OwnerReference } from '../history/owner.ts';

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
export { REVISION_LABEL };

const ORDINAL_RE = /^(.*)-([0-9]+)$/;
const MAX_INT32 = 2 ** 31 - 1;

/** getParentNameAndOrdinal: the set name and ordinal from a pod name (ordinal -1 if none). */
export function parentAndOrdinal(name: string): { parent: string; ordinal: number } {
  const m = ORDINAL_RE.exec(name);
  if (!m) return { parent: '', ordinal: -1 };
  const n = Number(m[2]);
  return { parent: m[1]!, ordinal: Number.isSafeInteger(n) && n <= MAX_INT32 ? n : -1 };
}

export function getOrdinal(pod: Obj): number {
  return parentAndOrdinal(pod.metadata?.name ?? '').ordinal;
}

export function isMemberOf(set: Obj, pod: Obj): boolean {
  return parentAndOrdinal(pod.metadata?.name ?? '').parent === set.metadata.name;
}

export function getStartOrdinal(set: Obj): number {
  return Number(set.spec?.ordinals?.start ?? 0);
}

export function replicasOf(set: Obj): number {
  return Number(set.spec?.replicas ?? 1);
}

export function getEndOrdinal(set: Obj): number {
  return getStartOrdinal(set) + replicasOf(set) - 1;
}

export function podInOrdinalRange(pod: Obj, set: Obj): boolean {
  const o = getOrdinal(pod);
  return o >= getStartOrdinal(set) && o <= getEndOrdinal(set);
}

export function podName(set: Obj, ordinal: number): string {
  return `${set.metadata.name}-${ordinal}`;
}

export function claimName(set: Obj, templateName: string, ordinal: number): string {
  return `${templateName}-${set.metadata.name}-${ordinal}`;
}

export function identityMatches(set: Obj, pod: Obj): boolean {
  const { parent, ordinal } = parentAndOrdinal(pod.metadata?.name ?? '');
  return (
    ordinal >= 0 &&
    parent === set.metadata.name &&
    pod.metadata.name === podName(set, ordinal) &&
    pod.metadata.namespace === set.metadata.namespace &&
    pod.metadata.labels?.[POD_NAME_LABEL] === pod.metadata.name
  );
}

function claimTemplates(set: Obj): Obj[] {
  return (set.spec?.volumeClaimTemplates as Obj[] | undefined) ?? [];
}

/** storageMatches: every claim template is mounted from the pod's own claim. */
export function storageMatches(set: Obj, pod: Obj): boolean {
  const ordinal = getOrdinal(pod);
  if (ordinal < 0) return false;
  const templates = claimTemplates(set);
  if (!templates.length) return true;
  const volumes = new Map<string, Obj>();
  for (const v of (pod.spec?.volumes as Obj[] | undefined) ?? []) volumes.set(v.name, v);
  for (const t of templates) {
    const v = volumes.get(t.metadata?.name);
    if (v?.persistentVolumeClaim?.claimName !== claimName(set, t.metadata?.name, ordinal)) return false;
  }
  return true;
}

/** getPersistentVolumeClaims: the claims the pod with this ordinal uses, by template name. */
export function claimsFor(set: Obj, ordinal: number): { template: string; claim: Obj }[] {
  const matchLabels = (set.spec?.selector?.matchLabels as Record<string, string> | undefined) ?? {};
  return claimTemplates(set).map((t) => {
    const tm = t.metadata ?? {};
    const metadata: Obj = {
      name: claimName(set, tm.name, ordinal),
      namespace: set.metadata.namespace,
      labels: { ...(tm.labels ?? {}), ...matchLabels },
    };
    if (tm.annotations) metadata.annotations = { ...tm.annotations };
    if (tm.finalizers) metadata.finalizers = [...tm.finalizers];
    return { template: tm.name, claim: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata, spec: structuredClone(t.spec ?? {}) } };
  });
}

/** updateStorage: the pod's volumes with one volume per claim template (replacing same-named ones). */
export function updateStorage(set: Obj, pod: Obj): void {
  const ordinal = getOrdinal(pod);
  const templates = claimTemplates(set);
  if (!templates.length) return;
  const names = new Set(templates.map((t) => t.metadata?.name));
  const volumes: Obj[] = templates.map((t) => ({ name: t.metadata?.name, persistentVolumeClaim: { claimName: claimName(set, t.metadata?.name, ordinal) } }));
  for (const v of (pod.spec.volumes as Obj[] | undefined) ?? []) if (!names.has(v.name)) volumes.push(v);
  pod.spec.volumes = volumes;
}

/** updateIdentity: name, namespace and the pod-name / pod-index labels. */
export function updateIdentity(set: Obj, pod: Obj): void {
  const ordinal = getOrdinal(pod);
  pod.metadata.name = podName(set, ordinal);
  pod.metadata.namespace = set.metadata.namespace;
  pod.metadata.labels = { ...(pod.metadata.labels ?? {}), [POD_NAME_LABEL]: pod.metadata.name, [POD_INDEX_LABEL]: String(ordinal) };
}

export function setRef(set: Obj): OwnerReference {
  return newControllerRef({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: set.metadata });
}

/** newStatefulSetPod: the template's pod with the ordinal's identity and storage. */
export function newStatefulSetPod(set: Obj, template: Obj, ordinal: number): Obj {
  const tm = template.metadata ?? {};
  const name = podName(set, ordinal);
  const metadata: Obj = { name, namespace: set.metadata.namespace, labels: { ...(tm.labels ?? {}) }, ownerReferences: [setRef(set)] };
  if (tm.annotations) metadata.annotations = { ...tm.annotations };
  if (tm.finalizers) metadata.finalizers = [...tm.finalizers];
  const pod: Obj = { apiVersion: 'v1', kind: 'Pod', metadata, spec: structuredClone(template.spec ?? {}) };
  updateIdentity(set, pod);
  pod.spec.hostname = name;
  if (set.spec?.serviceName) pod.spec.subdomain = set.spec.serviceName;
  updateStorage(set, pod);
  return pod;
}

/**
 * newVersionedStatefulSetPod: ordinals below the partition (or, with no rollingUpdate, below the
 * count of current replicas) are created at the current revision, the rest at the update revision.
 */
export function newVersionedPod(set: Obj, currentRev: Obj, updateRev: Obj, ordinal: number): Obj {
  const us = set.spec?.updateStrategy ?? {};
  const start = getStartOrdinal(set);
  const ru = us.rollingUpdate;
  const atCurrent =
    (us.type === 'RollingUpdate' && !ru && ordinal < start + Number(set.status?.currentReplicas ?? 0)) || (!!ru && ordinal < start + Number(ru.partition ?? 0));
  const rev = atCurrent ? currentRev : updateRev;
  const pod = newStatefulSetPod(set, templateFromRevision(rev), ordinal);
  pod.metadata.labels[REVISION_LABEL] = rev.metadata.name;
  return pod;
}

export function getPodRevision(pod: Obj): string {
  return pod.metadata?.labels?.[REVISION_LABEL] ?? '';
}

export const isCreated = (pod: Obj) => !!pod.status?.phase;
export const isPending = (pod: Obj) => pod.status?.phase === 'Pending';
export const isFailed = (pod: Obj) => pod.status?.phase === 'Failed';
export const isSucceeded = (pod: Obj) => pod.status?.phase === 'Succeeded';
export const isTerminating = (pod: Obj) => !!pod.metadata?.deletionTimestamp;
export const isRunningAndReady = (pod: Obj) => pod.status?.phase === 'Running' && isPodReady(pod);
export const isRunningAndAvailable = (pod: Obj, minReadySeconds: number, now: number) => pod.status?.phase === 'Running' && isPodAvailable(pod, minReadySeconds, now);
/** Not created, terminating, or not yet available (isUnavailable). */
export const isUnavailable = (pod: Obj, minReadySeconds: number, now: number) => !isCreated(pod) || isTerminating(pod) || !isPodAvailable(pod, minReadySeconds, now);

// --- PVC retention policy (StatefulSetAutoDeletePVC) ---------------------------------------

export function retentionPolicy(set: Obj): { whenDeleted: string; whenScaled: string } {
  const p = set.spec?.persistentVolumeClaimRetentionPolicy ?? {};
  return { whenDeleted: p.whenDeleted ?? 'Retain', whenScaled: p.whenScaled ?? 'Retain' };
}

function refs(o: Obj): OwnerReference[] {
  return (o.metadata?.ownerReferences as OwnerReference[] | undefined) ?? [];
}

function matchesRef(ref: OwnerReference, name: string, apiVersion: string, kind: string): boolean {
  return ref.apiVersion === apiVersion && ref.kind === kind && ref.name === name;
}

const isSetRef = (ref: OwnerReference, set: Obj) => matchesRef(ref, set.metadata.name, 'apps/v1', 'StatefulSet');
const isPodRef = (ref: OwnerReference, pod: Obj) => matchesRef(ref, pod.metadata.name, 'v1', 'Pod');

function hasOwnerRef(claim: Obj, uid: string | undefined): boolean {
  return !!uid && refs(claim).some((r) => r.uid === uid);
}

/** A reference to the pod's name whose uid is not the pod's: the claim belonged to an older pod. */
export function hasStalePodRef(claim: Obj, pod: Obj): boolean {
  for (const r of refs(claim)) if (isPodRef(r, pod)) return r.uid !== pod.metadata?.uid;
  return false;
}

function hasStaleSetRef(claim: Obj, set: Obj): boolean {
  for (const r of refs(claim)) if (isSetRef(r, set)) return r.uid !== set.metadata.uid;
  return false;
}

function hasUnexpectedController(claim: Obj, set: Obj, pod: Obj): boolean {
  const p = retentionPolicy(set);
  if (p.whenScaled === 'Retain' && p.whenDeleted === 'Retain') return false;
  for (const r of refs(claim)) {
    if (isSetRef(r, set)) {
      if (r.uid !== set.metadata.uid) return true;
      continue;
    }
    if (isPodRef(r, pod)) {
      if (r.uid !== pod.metadata?.uid) return true;
      continue;
    }
    if (r.controller) return true;
  }
  return false;
}

function hasNonControllerOwner(claim: Obj, set: Obj, pod: Obj): boolean {
  return refs(claim).some((r) => (r.uid === set.metadata.uid || (!!pod.metadata?.uid && r.uid === pod.metadata.uid)) && !r.controller);
}

/**
 * isClaimOwnerUpToDate. Retain/Retain: no refs; whenDeleted Delete: a ref to the set; whenScaled
 * Delete: a ref to the pod once it is scaled away (and then none to the set).
 */
export function claimOwnerUpToDate(claim: Obj, set: Obj, pod: Obj): boolean {
  if (hasStaleSetRef(claim, set) || hasStalePodRef(claim, pod)) return true;
  const setUid = set.metadata.uid;
  const podUid = pod.metadata?.uid;
  if (hasUnexpectedController(claim, set, pod)) return !(hasOwnerRef(claim, setUid) || hasOwnerRef(claim, podUid));
  if (hasNonControllerOwner(claim, set, pod)) return false;
  const p = retentionPolicy(set);
  const scaledDown = !podInOrdinalRange(pod, set);
  if (p.whenScaled === 'Delete' && p.whenDeleted === 'Delete') {
    return scaledDown !== hasOwnerRef(claim, setUid) && scaledDown === hasOwnerRef(claim, podUid);
  }
  if (p.whenScaled === 'Delete') return !hasOwnerRef(claim, setUid) && scaledDown === hasOwnerRef(claim, podUid);
  if (p.whenDeleted === 'Delete') return hasOwnerRef(claim, setUid) && !hasOwnerRef(claim, podUid);
  return !hasOwnerRef(claim, setUid) && !hasOwnerRef(claim, podUid);
}

/** updateClaimOwnerRefForSetAndPod: the claim's owner references for the policy. */
export function claimOwnerRefs(claim: Obj, set: Obj, pod: Obj): OwnerReference[] {
  const unexpected = hasUnexpectedController(claim, set, pod);
  let out = refs(claim).filter((r) => !isSetRef(r, set) && !isPodRef(r, pod));
  if (unexpected) return out;
  const add = (ref: OwnerReference) => {
    if (ref.uid && !out.some((r) => r.uid === ref.uid)) out = [...out, ref];
  };
  const p = retentionPolicy(set);
  const scaledDown = !podInOrdinalRange(pod, set);
  const podRef = () => newControllerRef({ apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata });
  if (p.whenScaled === 'Delete' && scaledDown) add(podRef());
  if (p.whenDeleted === 'Delete' && (p.whenScaled !== 'Delete' || !scaledDown)) add(setRef(set));
  return out;
}
