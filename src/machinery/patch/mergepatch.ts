// JSON merge patch (RFC 7386, `application/merge-patch+json`) as kube-apiserver applies it with
// evanphx/json-patch v4 MergePatch: objects merge key by key, `null` deletes, anything else
// replaces; nulls inside newly added objects are dropped, nulls inside arrays are kept.
import { badRequest } from '../errors.ts';
import { deepClone, isObject, put, type JsonObject } from './json.ts';

/**
 * Applies a JSON merge patch to a decoded document and returns the result. Neither input is
 * mutated; the result shares unchanged subtrees with `doc` (treat it as read-only or clone it).
 * A patch that is not an object or array is rejected as upstream does (400 `Invalid JSON Patch`).
 */
export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object') throw badRequest('Invalid JSON Patch');
  if (Array.isArray(patch)) return prune(patch);
  if (!isObject(doc)) return prune(patch);
  return mergeObjects(doc, patch as JsonObject);
}

function mergeObjects(doc: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...doc };
  for (const k of Object.keys(patch)) {
    const v = patch[k];
    if (v === null) {
      delete out[k];
      continue;
    }
    const cur = out[k];
    if (cur === undefined || cur === null || !isObject(cur)) put(out, k, prune(v));
    else if (!isObject(v)) put(out, k, deepClone(v)); // an object replaced by an array keeps its nulls
    else put(out, k, mergeObjects(cur, v));
  }
  return out;
}

/** A copy of a patch value with null-valued object keys removed at every depth (array nulls stay). */
function prune(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(prune);
  const out: JsonObject = {};
  for (const k of Object.keys(v)) {
    const x = (v as JsonObject)[k];
    if (x !== null) put(out, k, prune(x));
  }
  return out;
}
