// Strategic merge patch (`application/strategic-merge-patch+json`) as kube-apiserver applies it
// (k8s.io/apimachinery/pkg/util/strategicpatch, server side): per-field patchStrategy and
// patchMergeKey from the built-in types, the `$patch`, `$retainKeys`, `$setElementOrder/<list>`
// and `$deleteFromPrimitiveList/<list>` directives, and upstream's list ordering and errors.
import { isKnownType, lookupField, typeForGVK, type FieldMeta, type TypeExpr, type TypeRef } from '../../api/mergemeta.ts';
import { StatusError, badRequest } from '../errors.ts';
import { deepClone, goFmt, goTypeOf, hasOwn, isObject, put, type JsonObject } from './json.ts';

export { typeForGVK };
export type { TypeRef };

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder';
const DELETE_FROM_PRIMITIVE = '$deleteFromPrimitiveList';

/** The schema of the value being merged; undefined is untyped (no metadata: lists replace, maps merge). */
type Schema = TypeExpr | undefined;

// ---- errors, as the apiserver reports them (interpretStrategicMergePatchError) ----

/** Errors upstream returns as plain Go errors: the apiserver answers 500 with the message as is. */
const plainError = (message: string) => new StatusError(500, '', message);
const badPatchPrimitiveList = () => badRequest('invalid patch format of primitive list');
const badPatchRetainKeys = () => badRequest('invalid patch format of retainKeys');
const badPatchSetOrder = () => badRequest('invalid patch format of setElementOrder list');
function listOfLists(): StatusError {
  const e = new StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
  e.cause = 'lists of lists are not supported';
  return e;
}
const noMergeKey = (m: unknown, key: string) => plainError(`map: ${goFmt(m)} does not contain declared merge key: ${key}`);
const badArgType = (expected: string, actual: unknown) => plainError(`expected a ${expected}, but received a ${goTypeOf(actual)}`);
const MAP = 'map[string]interface {}';
const SLICE = '[]interface {}';
function unknownPatchType(d: unknown, m: JsonObject): StatusError {
  return plainError(`unknown patch type: ${typeof d === 'string' ? d : `%!s(${goFmt(d)})`} in map: ${goFmt(m)}`);
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'object' ? 'object' : typeof v;
}

/**
 * Applies a strategic merge patch to a built-in object whose root type is `type` (see
 * typeForGVK). Neither input is mutated; the result shares unchanged subtrees with `doc`.
 * Errors are StatusErrors with upstream's codes and messages (400 for malformed directives,
 * 500 for the plain errors of the merge, e.g. a list element without its merge key).
 */
export function applyStrategicMergePatch(doc: unknown, patch: unknown, type: TypeRef): unknown {
  if (!isKnownType(type)) throw badRequest('strategic merge patch format is not supported');
  if (patch === null) return doc;
  if (!isObject(patch)) throw badRequest(`json: cannot unmarshal ${jsonKind(patch)} into Go value of type map[string]interface {}`);
  return mergeMap(isObject(doc) ? doc : undefined, patch, { kind: 'struct', name: type });
}

// ---- schema lookups ----

/** The non-retainKeys part of a patchStrategy tag (`merge,retainKeys` → `merge`). */
function otherStrategy(tag: string | undefined): string {
  if (!tag) return '';
  const parts = tag.split(',');
  if (parts.length === 1) return parts[0] === 'retainKeys' ? '' : parts[0]!;
  if (parts.length === 2 && (parts[0] === 'retainKeys' || parts[1] === 'retainKeys')) return parts[0] === 'retainKeys' ? parts[1]! : parts[0]!;
  throw plainError(`unexpected patch strategy: [${parts.join(' ')}]`);
}

function fieldOf(schema: Schema, key: string): FieldMeta | undefined {
  return schema?.kind === 'struct' ? lookupField(schema.name, key) : undefined;
}

// Upstream fails on keys unknown to the Go struct and on map values that are objects or lists
// ("merging an object in json but data type is not struct"); here they merge untyped or by the
// map's value type instead, which only differs where upstream would have errored.
function structMeta(schema: Schema, key: string): { strategy: string; sub: Schema } {
  if (schema?.kind === 'map') return { strategy: '', sub: schema.elem };
  const f = fieldOf(schema, key);
  return f ? { strategy: otherStrategy(f.patchStrategy), sub: f.type } : { strategy: '', sub: undefined };
}

function sliceMeta(schema: Schema, key: string): { strategy: string; mergeKey: string; elem: Schema } {
  if (schema?.kind === 'map') return { strategy: '', mergeKey: '', elem: schema.elem.kind === 'list' ? schema.elem.elem : undefined };
  const f = fieldOf(schema, key);
  if (!f || f.type.kind !== 'list') return { strategy: '', mergeKey: '', elem: undefined };
  return { strategy: otherStrategy(f.patchStrategy), mergeKey: f.patchMergeKey ?? '', elem: f.type.elem };
}

/** The Go reflect.Kind of a list element type, as `cannot merge lists without merge key for %s` prints it. */
function kindName(s: Schema): string {
  if (!s || s.kind === 'struct' || s.kind === 'any') return 'struct';
  if (s.kind === 'list') return 'slice';
  if (s.kind === 'map') return 'map';
  switch (s.name) {
    case 'time':
    case 'microtime':
    case 'intstr':
      return 'struct';
    case 'bytes':
      return 'slice';
    default:
      return s.name;
  }
}

// ---- helpers over decoded values ----

/** The Go dynamic type of a decoded value (encoding/json with int preservation). */
function goKind(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (Array.isArray(v)) return 'slice';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(v) ? 'int64' : 'float64';
    default:
      return 'map';
  }
}

/** Go `==` on two interface{} scalars; absent and null are both nil. */
const same = (a: unknown, b: unknown) => (a ?? null) === (b ?? null);

/** `prefix/name` → name; anything else is a malformed directive key. */
function directiveTarget(key: string, prefix: string, bad: () => StatusError): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) throw bad();
  return key.slice(slash + 1);
}

const DROP = Symbol('drop');

/**
 * A patch value that lands where the original has nothing (or a different type): directives are
 * dropped (a map carrying `$patch` disappears), and with `discardNulls` null map values too.
 */
function cleanNew(v: unknown, discardNulls: boolean): unknown {
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v) {
      const c = cleanNew(x, discardNulls);
      if (c !== DROP) out.push(c);
    }
    return out;
  }
  if (!isObject(v)) return v;
  if (hasOwn(v, DIRECTIVE) && !(discardNulls && v[DIRECTIVE] === null)) return DROP;
  const out: JsonObject = {};
  for (const k of Object.keys(v)) {
    const x = v[k];
    if (x === null) {
      if (!discardNulls) put(out, k, null);
      continue;
    }
    const c = cleanNew(x, discardNulls);
    if (c !== DROP) put(out, k, c);
  }
  return out;
}

/** The common element kind of lists; lists of lists and mixed lists are rejected as upstream. */
function sliceElementKind(...lists: unknown[][]): string {
  let prev: string | undefined;
  for (const l of lists) {
    for (const v of l) {
      const k = goKind(v);
      if (prev === undefined) {
        prev = k;
        if (k === 'slice') throw listOfLists();
      } else if (prev !== k) {
        throw plainError(`list element types are not identical: ${goFmt(lists)}`);
      }
    }
  }
  if (prev === undefined) throw plainError('no elements in any of the given slices');
  return prev;
}

/** Position lookup by merge key value (maps) or by value (scalars): upstream's index(). */
function indexer(list: unknown[], mergeKey: string, kind: string): (item: unknown) => number {
  const val = kind === 'map' ? (x: unknown) => (isObject(x) ? (x[mergeKey] ?? null) : null) : (x: unknown) => x ?? null;
  const pos = new Map<unknown, number>();
  for (let i = 0; i < list.length; i++) {
    const v = val(list[i]);
    if (!pos.has(v)) pos.set(v, i);
  }
  return (item) => pos.get(val(item)) ?? -1;
}

/** Stable insertion sort with Go's comparator (items missing from `order` sort as "less"). */
function sortByOrder(items: unknown[], order: unknown[], mergeKey: string, kind: string): unknown[] {
  const idx = indexer(order, mergeKey, kind);
  const a = items.slice();
  const less = (x: unknown, y: unknown) => {
    const ix = idx(x);
    if (ix >= 0) {
      const iy = idx(y);
      if (iy >= 0) return ix < iy;
    }
    return true;
  };
  for (let i = 1; i < a.length; i++) {
    for (let j = i; j > 0 && less(a[j], a[j - 1]); j--) {
      const t = a[j];
      a[j] = a[j - 1];
      a[j - 1] = t;
    }
  }
  return a;
}

function validateMergeKeys(mergeKey: string, ...lists: unknown[][]) {
  for (const l of lists) {
    for (const item of l) {
      if (!isObject(item)) throw badArgType(MAP, item);
      if (!hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
    }
  }
}

function normalizeSliceOrder(toSort: unknown[], order: unknown[], mergeKey: string, kind: string): unknown[] {
  let toDelete: unknown[] = [];
  if (kind === 'map') {
    validateMergeKeys(mergeKey, toSort, order);
    const keep: unknown[] = [];
    toDelete = [];
    for (const v of toSort) ((v as JsonObject)[DIRECTIVE] === 'delete' ? toDelete : keep).push(v);
    toSort = keep;
  }
  const sorted = sortByOrder(toSort, order, mergeKey, kind);
  return toDelete.length ? sorted.concat(toDelete) : sorted;
}

/**
 * Interleaves server-only items (left) with patch items (right), keeping each side's order: a
 * server item goes first only when both are in the live list and it came earlier there. So items
 * new to the list come before the remaining server-only items, as upstream does.
 */
function mergeSortedSlice(left: unknown[], right: unknown[], serverOrder: unknown[], mergeKey: string, kind: string): unknown[] {
  const idx = indexer(serverOrder, mergeKey, kind);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = idx(left[i]);
      const ri = idx(right[j]);
      out.push(li >= 0 && ri >= 0 && li < ri ? left[i++] : right[j++]);
    }
  }
  return out;
}

function normalizeElementOrder(
  patchItems: unknown[],
  serverOnly: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  mergeKey: string,
  kind: string,
): unknown[] {
  const p = normalizeSliceOrder(patchItems, patchOrder, mergeKey, kind);
  const s = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
  return mergeSortedSlice(s, p, serverOrder, mergeKey, kind);
}

function partitionPrimitives(list: unknown[], by: unknown[]): [unknown[], unknown[]] {
  const set = new Set(by.map((x) => x ?? null));
  const inPatch: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const v of list) (set.has(v ?? null) ? inPatch : serverOnly).push(v);
  return [inPatch, serverOnly];
}

/** upstream findMapInSliceBasedOnKeyValue: index of the first map whose key equals value. */
function findByKey(list: unknown[], key: string, value: unknown): number {
  for (let i = 0; i < list.length; i++) {
    const m = list[i];
    if (!isObject(m)) throw plainError(`value for key ${i} is not a map`);
    if (same(m[key], value)) return i;
  }
  return -1;
}

function partitionMaps(list: unknown[], by: unknown[], mergeKey: string): [unknown[], unknown[]] {
  const inPatch: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const v of list) {
    if (!isObject(v)) throw badArgType(MAP, v);
    if (!hasOwn(v, mergeKey)) throw noMergeKey(v, mergeKey);
    (findByKey(by, mergeKey, v[mergeKey]) >= 0 ? inPatch : serverOnly).push(v);
  }
  return [inPatch, serverOnly];
}

function mergeKeyValueEqual(left: unknown, right: unknown, mergeKey: string): boolean {
  if (!mergeKey) return same(left, right);
  if (!isObject(left)) throw badArgType(MAP, left);
  if (!isObject(right)) throw badArgType(MAP, right);
  if (!hasOwn(left, mergeKey)) throw noMergeKey(left, mergeKey);
  if (!hasOwn(right, mergeKey)) throw noMergeKey(right, mergeKey);
  return same(left[mergeKey], right[mergeKey]);
}

/** The patch list must list its items in the $setElementOrder's relative order. */
function validatePatchWithSetOrderList(patchList: unknown[], order: unknown[], mergeKey: string) {
  if (order.length === 0 || patchList.length === 0) return;
  let items = patchList;
  if (mergeKey) {
    items = [];
    for (const v of patchList) {
      if (!isObject(v)) throw badArgType(MAP, v);
      if (v[DIRECTIVE] !== 'delete') items.push(v);
    }
  }
  let p = 0;
  let s = 0;
  while (p < items.length && s < order.length) {
    const item = items[p];
    if (isObject(item) && hasOwn(item, DIRECTIVE)) {
      p++;
      continue;
    }
    if (mergeKeyValueEqual(item, order[s], mergeKey)) p++;
    s++;
  }
  if (p < items.length && s >= order.length) {
    throw plainError(`The order in patch list:\n${goFmt(patchList)}\n doesn't match ${SET_ORDER} list:\n${goFmt(order)}\n`);
  }
}

// ---- the merge ----

function mergeMap(original: JsonObject | undefined, patch: JsonObject, schema: Schema): JsonObject {
  if (hasOwn(patch, DIRECTIVE)) {
    const d = patch[DIRECTIVE];
    if (d === 'replace') {
      const out: JsonObject = {};
      for (const k of Object.keys(patch)) if (k !== DIRECTIVE) put(out, k, deepClone(patch[k]));
      return out;
    }
    if (d === 'delete') return {};
    throw unknownPatchType(d, patch);
  }
  const out: JsonObject = original ? { ...original } : {};

  if (hasOwn(patch, RETAIN_KEYS)) {
    const list = patch[RETAIN_KEYS];
    if (!Array.isArray(list)) throw badPatchRetainKeys();
    const keep = new Set(list);
    for (const k of Object.keys(patch)) {
      if (k === RETAIN_KEYS || patch[k] === null || k.startsWith(DELETE_FROM_PRIMITIVE) || k.startsWith(SET_ORDER)) continue;
      if (!keep.has(k)) throw badPatchRetainKeys();
    }
    for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k];
  }

  const done = new Set<string>([RETAIN_KEYS]);
  for (const key of Object.keys(patch)) {
    if (key.startsWith(SET_ORDER)) mergeWithElementOrder(out, patch, key, schema, done);
  }

  for (const rawKey of Object.keys(patch)) {
    if (done.has(rawKey)) continue;
    let k = rawKey;
    let isDeleteList = false;
    if (rawKey.startsWith(DELETE_FROM_PRIMITIVE)) {
      k = directiveTarget(rawKey, DELETE_FROM_PRIMITIVE, badPatchPrimitiveList);
      isDeleteList = true;
    }
    const patchV = patch[rawKey];
    if (patchV === null) {
      delete out[k];
      continue;
    }
    const origV = out[k];
    if (!hasOwn(out, k) || goKind(origV) !== goKind(patchV)) {
      if (!isDeleteList) {
        const v = cleanNew(patchV, true);
        if (v === DROP) delete out[k];
        else put(out, k, v);
      }
      continue;
    }
    if (isObject(origV)) {
      const { strategy, sub } = structMeta(schema, k);
      put(out, k, strategy === 'replace' ? deepClone(patchV) : mergeMap(origV, patchV as JsonObject, sub));
    } else if (Array.isArray(origV)) {
      const { strategy, mergeKey, elem } = sliceMeta(schema, k);
      put(out, k, mergeSliceHandler(origV, patchV as unknown[], elem, strategy, mergeKey, isDeleteList));
    } else {
      put(out, k, patchV);
    }
  }
  return out;
}

/** `$setElementOrder/<list>`: merges the list (if patched) and puts it in the given order. */
function mergeWithElementOrder(out: JsonObject, patch: JsonObject, key: string, schema: Schema, done: Set<string>) {
  done.add(key);
  const order = patch[key];
  if (!Array.isArray(order)) throw badArgType(SLICE, order);
  const listKey = directiveTarget(key, SET_ORDER, badPatchSetOrder);
  const foundOrig = hasOwn(out, listKey);
  const foundPatch = hasOwn(patch, listKey);
  let origList: unknown[] = [];
  let patchList: unknown[] = [];
  if (foundOrig) {
    const v = out[listKey];
    if (!Array.isArray(v)) throw badArgType(SLICE, v);
    origList = v;
  }
  if (foundPatch) {
    const v = patch[listKey];
    if (!Array.isArray(v)) throw badArgType(SLICE, v);
    patchList = v;
  }
  const { strategy, mergeKey, elem } = sliceMeta(schema, listKey);
  validatePatchWithSetOrderList(patchList, order, mergeKey);
  let merged: unknown[];
  if (foundOrig && foundPatch) merged = mergeSliceHandler(origList, patchList, elem, strategy, mergeKey, false);
  else if (foundOrig) merged = origList;
  else if (foundPatch) merged = cleanNew(patchList, false) as unknown[];
  else return;
  const [patchItems, serverOnly] = mergeKey ? partitionMaps(merged, order, mergeKey) : partitionPrimitives(merged, order);
  const kind = sliceElementKind(origList, patchList);
  put(out, listKey, normalizeElementOrder(patchItems, serverOnly, order, origList, mergeKey, kind));
  done.add(listKey);
}

function mergeSliceHandler(original: unknown[], patch: unknown[], elem: Schema, strategy: string, mergeKey: string, isDeleteList: boolean): unknown[] {
  if (strategy === 'merge' || isDeleteList) return mergeSlice(original, patch, elem, mergeKey, isDeleteList);
  return deepClone(patch);
}

function mergeSlice(original: unknown[], patch: unknown[], elem: Schema, mergeKey: string, isDeleteList: boolean): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = sliceElementKind(original, patch);

  if (kind !== 'map') {
    if (isDeleteList) {
      const del = new Set(patch.map((x) => x ?? null));
      return original.filter((x) => !del.has(x ?? null));
    }
    // A set union; the order is restored below, so only membership matters here.
    const merged: unknown[] = [];
    const seen = new Set<unknown>();
    for (const v of original.concat(patch)) {
      const key = v ?? null;
      if (!seen.has(key)) {
        seen.add(key);
        merged.push(v);
      }
    }
    const [patchItems, serverOnly] = partitionPrimitives(merged, patch);
    return normalizeElementOrder(patchItems, serverOnly, patch, original, '', kind);
  }

  if (!mergeKey) throw plainError(`cannot merge lists without merge key for ${kindName(elem)}`);

  // Elements carrying $patch: delete removes every match, replace drops the live list.
  let orig = original;
  const plain: JsonObject[] = [];
  let replace = false;
  for (const v of patch as JsonObject[]) {
    if (!hasOwn(v, DIRECTIVE)) {
      plain.push(v);
      continue;
    }
    const d = v[DIRECTIVE];
    if (d === 'delete') {
      if (!hasOwn(v, mergeKey)) throw noMergeKey(v, mergeKey);
      const val = v[mergeKey];
      orig = orig.filter((o) => !same((o as JsonObject)[mergeKey], val));
    } else if (d === 'replace') {
      replace = true;
    } else if (d === 'merge') {
      throw plainError('merging lists cannot yet be specified in the patch');
    } else {
      throw unknownPatchType(d, v);
    }
  }
  if (replace) {
    for (const v of plain) if (!hasOwn(v, mergeKey)) throw noMergeKey(v, mergeKey);
    return plain.map(deepClone);
  }

  const merged = orig.slice();
  for (const v of plain) {
    if (!hasOwn(v, mergeKey)) throw noMergeKey(v, mergeKey);
    const i = findByKey(merged, mergeKey, v[mergeKey]);
    if (i >= 0) merged[i] = mergeMap(merged[i] as JsonObject, v, elem);
    else merged.push(deepClone(v));
  }
  const [patchItems, serverOnly] = partitionMaps(merged, plain, mergeKey);
  return normalizeElementOrder(patchItems, serverOnly, plain, orig, mergeKey, kind);
}
