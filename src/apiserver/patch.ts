// Applies a PATCH body to the current object by its content type, as upstream's patch handler:
// JSON patch, JSON merge patch, and strategic merge patch (built-in kinds only; custom resources
// answer 415 as upstream does).
import { StatusError } from '../machinery/errors.ts';
import { applyJsonPatch } from '../machinery/patch/jsonpatch.ts';
import { applyMergePatch } from '../machinery/patch/mergepatch.ts';
import { applyStrategicMergePatch, typeForGVK } from '../machinery/patch/strategic.ts';
import { PATCH_TYPES } from './codec.ts';
import type { Obj } from './types.ts';
import type { Store } from './registry/store.ts';

/** Returns the patched copy of `current` (never mutates it). `store` undefined means no type info (subresource bodies). */
export function applyPatch(type: string, current: Obj, patch: unknown, store: Store | undefined): Obj {
  let out: unknown;
  switch (type) {
    case PATCH_TYPES.json:
      out = applyJsonPatch(current, patch);
      break;
    case PATCH_TYPES.merge:
      out = applyMergePatch(current, patch);
      break;
    case PATCH_TYPES.strategic: {
      const t = store ? typeForGVK(store.info.group, store.info.version, store.info.kind) : undefined;
      if (!t) {
        throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.json}, ${PATCH_TYPES.merge}, ${PATCH_TYPES.apply}`);
      }
      try {
        out = applyStrategicMergePatch(current, patch, t);
      } catch (e) {
        // Upstream answers the merge's plain errors (an unknown $patch directive, a list element
        // without its merge key) with 500; they are the client's mistake, so we answer 400 with
        // the same message and never report a server error for a bad patch.
        if (e instanceof StatusError && e.code === 500) throw new StatusError(400, 'BadRequest', e.message);
        throw e;
      }
      break;
    }
    default:
      throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${Object.values(PATCH_TYPES).join(', ')}`);
  }
  if (out === null || typeof out !== 'object' || Array.isArray(out)) throw new StatusError(400, 'BadRequest', 'the patched object is not an object');
  // Merge and strategic patches copy what they take from the patch and share the rest with
  // `current`, the caller's private copy (the store's read-modify-write hands each attempt a fresh
  // parse), so their result is private already. A JSON patch may share values with its
  // operations, which a retry applies again: the store edits the result, so take a copy.
  return type === PATCH_TYPES.json ? structuredClone(out as Obj) : (out as Obj);
}
