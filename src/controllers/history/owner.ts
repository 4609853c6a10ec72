// Controller references for the StatefulSet and DaemonSet controllers, as upstream's
// ControllerRefManager: one controller owner per object, an index from controller uid (or
// "orphan" per namespace) to objects, adoption of matching orphans and release of owned objects
// that no longer match, both by strategic-merge patch of metadata.ownerReferences.
import type { ResourceClient } from '../../client/client.ts';
import type { Obj } from '../../client/types.ts';
import { isInvalid, isNotFound } from '../../machinery/errors.ts';
import type { Selector } from '../../machinery/labels.ts';
import { CONTROLLER_INDEX, controllerIndexFunc } from '../util/ownerref.ts';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/**
 * Index on an informer: the controller's uid, or `orphan/<namespace>` for objects with none. The
 * same index (name and function) the ReplicaSet/Deployment helpers in ../util use, so a shared pods
 * informer keeps one copy.
 */
export const OWNER_INDEX = CONTROLLER_INDEX;
export const ownerIndexFunc = controllerIndexFunc;

export function ownerIndexValueForOrphans(namespace: string): string {
  return `orphan/${namespace}`;
}

export function getControllerOf(o: Obj): OwnerReference | undefined {
  const refs = o.metadata?.ownerReferences as OwnerReference[] | undefined;
  if (!refs) return undefined;
  for (const r of refs) if (r.controller) return r;
  return undefined;
}

/** metav1.NewControllerRef for an object carrying apiVersion, kind, name and uid. */
export function newControllerRef(owner: Obj): OwnerReference {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

export interface ClaimOptions {
  /** The owner, with apiVersion and kind set. */
  owner: Obj;
  selector: Selector;
  /** Objects whose controller is the owner. */
  owned: Obj[];
  /** Objects with no controller in the owner's namespace. */
  orphans: Obj[];
  client: ResourceClient;
  /** Extra condition to own an object (StatefulSet: the pod's name is `<set>-<ordinal>`). */
  filter?: (o: Obj) => boolean;
}

/**
 * ClaimObjects: keeps owned objects that still match, releases the ones that don't, adopts
 * matching orphans (not while the owner is being deleted). Returns the objects now owned.
 */
export async function claimObjects(o: ClaimOptions): Promise<Obj[]> {
  const uid = o.owner.metadata.uid ?? '';
  const match = (x: Obj) => o.selector.matches(x.metadata?.labels) && (!o.filter || o.filter(x));
  const deleting = !!o.owner.metadata.deletionTimestamp;
  const out: Obj[] = [];
  const writes: Promise<void>[] = [];
  for (const x of o.owned) {
    if (match(x)) {
      out.push(x);
      continue;
    }
    if (deleting) continue;
    const patch = { metadata: { ownerReferences: [{ $patch: 'delete', uid }], uid: x.metadata.uid } };
    writes.push(
      o.client.patch(x.metadata.name, 'strategic', patch).then(
        () => undefined,
        (e) => {
          if (!isNotFound(e) && !isInvalid(e)) throw e;
        },
      ),
    );
  }
  if (!deleting) {
    for (const x of o.orphans) {
      if (x.metadata?.deletionTimestamp || !match(x)) continue;
      const patch = { metadata: { ownerReferences: [newControllerRef(o.owner)], uid: x.metadata.uid } };
      writes.push(
        o.client.patch(x.metadata.name, 'strategic', patch).then(
          (adopted) => void out.push(adopted),
          (e) => {
            if (!isNotFound(e)) throw e;
          },
        ),
      );
    }
  }
  await Promise.all(writes);
  return out;
}

/** Adds to the creations and deletions a controller waits to observe (fresh if none are pending). */
export function raiseExpectations(exp: { satisfied(key: string): boolean; expect(key: string, add: number, del: number): void; lowerExpectations(key: string, add: number, del: number): void }, key: string, add: number, del: number): void {
  if (exp.satisfied(key)) exp.expect(key, add, del);
  else exp.lowerExpectations(key, -add, -del);
}
