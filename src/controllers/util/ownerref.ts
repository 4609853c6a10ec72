// Controller references and adoption, as upstream's metav1 (GetControllerOf, NewControllerRef) and
// pkg/controller/controller_ref_manager.go: a controller claims the objects its selector matches —
// it adopts matching orphans (patching in a controller ownerReference) and releases objects it owns
// that no longer match — and an informer index finds an owner's objects without a list.
import { isConflict, isInvalid, isNotFound } from '../../machinery/errors.ts';
import type { Selector } from '../../machinery/labels.ts';
import type { Informer } from '../../client/informer.ts';
import type { ResourceClient } from '../../client/client.ts';
import type { Obj } from '../../client/types.ts';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** metav1.GetControllerOf: the ownerReference with controller: true. */
export function getControllerOf(obj: Obj): OwnerReference | undefined {
  const refs: OwnerReference[] | undefined = obj.metadata?.ownerReferences;
  if (!refs) return undefined;
  for (const r of refs) if (r.controller) return r;
  return undefined;
}

/** metav1.NewControllerRef: controller and blockOwnerDeletion both true. */
export function newControllerRef(owner: Obj, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true };
}

/** metav1.IsControlledBy. */
export function isControlledBy(obj: Obj, owner: Obj): boolean {
  const ref = getControllerOf(obj);
  return ref !== undefined && ref.uid === owner.metadata?.uid;
}

/** Name of the index that maps a controller's UID to the objects it controls (`orphan/<ns>` for orphans). */
export const CONTROLLER_INDEX = 'controller';

export function controllerIndexFunc(obj: Obj): string[] {
  const ref = getControllerOf(obj);
  return [ref ? ref.uid : `orphan/${obj.metadata?.namespace ?? ''}`];
}

/** Adds the controller index to an informer (idempotent; every workload controller uses the same one). */
export function addControllerIndex(informer: Informer<Obj>): void {
  informer.addIndex(CONTROLLER_INDEX, controllerIndexFunc);
}

/** Objects whose controller reference has this UID (needs addControllerIndex). */
export function controlledBy<T extends Obj>(informer: Informer<T>, uid: string): T[] {
  return informer.byIndex(CONTROLLER_INDEX, uid);
}

/** Objects in a namespace without a controller reference (needs addControllerIndex). */
export function orphansIn<T extends Obj>(informer: Informer<T>, namespace: string): T[] {
  return informer.byIndex(CONTROLLER_INDEX, `orphan/${namespace}`);
}

/**
 * controller.RecheckDeletionTimestamp: before the first adoption, read the owner afresh from the
 * API server (not the cache) and refuse when it is gone, replaced (another UID) or being deleted.
 */
export function recheckDeletionTimestamp(owner: Obj, getFresh: () => Promise<Obj>): () => Promise<void> {
  return async () => {
    const fresh = await getFresh();
    const m = owner.metadata;
    if (fresh.metadata?.uid !== m.uid) {
      throw new Error(`original ${owner.kind ?? ''} ${m.namespace}/${m.name} is gone: got uid ${fresh.metadata?.uid}, wanted ${m.uid}`);
    }
    if (fresh.metadata?.deletionTimestamp) {
      throw new Error(`${m.namespace}/${m.name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
    }
  };
}

export interface ClaimOptions {
  /** The owner (with metadata.uid, name, namespace, deletionTimestamp). */
  owner: Obj;
  ownerApiVersion: string;
  ownerKind: string;
  /** Client for the owned resource (pods, replicasets); namespaced or not. */
  client: ResourceClient<Obj>;
  /** Does the candidate belong to the owner? (selector match plus any extra filter) */
  match: (obj: Obj) => boolean;
  /** Called once before the first adoption; throws to forbid adopting. */
  canAdopt: () => Promise<void>;
}

/**
 * ControllerRefManager.ClaimObjects: of `candidates`, returns those the owner controls after
 * adopting orphans that match and releasing owned objects that do not. Candidates controlled by
 * someone else are skipped. Errors other than NotFound are collected and thrown after the pass.
 */
export async function claimObjects<T extends Obj>(opts: ClaimOptions, candidates: T[]): Promise<T[]> {
  const { owner } = opts;
  const uid = owner.metadata.uid;
  const ownerDeleting = !!owner.metadata.deletionTimestamp;
  const claimed: T[] = [];
  const errors: unknown[] = [];
  let adoptCheck: Promise<void> | undefined;
  const client = opts.client.inNamespace(owner.metadata.namespace ?? '');
  for (const obj of candidates) {
    const ref = getControllerOf(obj);
    if (ref) {
      if (ref.uid !== uid) continue;
      if (opts.match(obj)) {
        claimed.push(obj);
        continue;
      }
      if (ownerDeleting) continue;
      try {
        await client.patch(obj.metadata.name, 'strategic', { metadata: { ownerReferences: [{ $patch: 'delete', uid }], uid: obj.metadata.uid } });
      } catch (e) {
        // Gone, recreated (UID precondition) or no longer referencing us: nothing to release.
        if (!isNotFound(e) && !isInvalid(e) && !isConflict(e)) errors.push(e);
      }
      continue;
    }
    if (ownerDeleting || !opts.match(obj) || obj.metadata?.deletionTimestamp) continue;
    if (owner.metadata.namespace && owner.metadata.namespace !== obj.metadata?.namespace) continue;
    try {
      adoptCheck ??= opts.canAdopt();
      await adoptCheck;
      const ownerRef = newControllerRef(owner, opts.ownerApiVersion, opts.ownerKind);
      const adopted = await client.patch(obj.metadata.name, 'strategic', { metadata: { ownerReferences: [ownerRef], uid: obj.metadata.uid } });
      claimed.push(adopted as T);
    } catch (e) {
      if (!isNotFound(e)) errors.push(e);
    }
  }
  if (errors.length) throw errors[0];
  return claimed;
}
