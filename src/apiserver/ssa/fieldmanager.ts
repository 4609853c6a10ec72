// kube-apiserver's field manager: managedFields bookkeeping on every create, update and patch
// (Update operations), and server-side apply (Apply operations: merge, prune of fields the applier
// dropped, conflicts, force), with the client-side-apply interop of manager "kubectl"
// (lastAppliedManager / lastAppliedUpdater) and "before-first-apply" for untracked objects.
import { StatusError, badRequest } from '../../machinery/errors.ts';
import type { Obj } from '../types.ts';
import { FieldSet, pathString } from './fieldset.ts';
import { capUpdateManagers, decodeManaged, decodeManagedOrEmpty, encodeManaged, entryTime, isResetManagedFields, managerId, stripMeta, type Managed } from './managed.ts';
import { schemaFor, type SNode } from './schema.ts';
import { SchemaError, compare, createdFieldsV1, equalJSON, merge, removeItems, toFieldSet } from './typed.ts';
import { typeFields, typeForGVK, type TypeRef } from '../../api/mergemeta.ts';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
export const BEFORE_FIRST_APPLY = 'before-first-apply';

/** What the field manager needs to know about the resource being written. */
export interface Target {
  group: string;
  version: string;
  kind: string;
  /** Resources with a status subresource: status is reset on the main resource and not tracked there. */
  hasStatus: boolean;
}

const apiVersionOf = (t: Target) => (t.group ? `${t.group}/${t.version}` : t.version);

/** Top-level fields a write through this (sub)resource cannot change, so never owns. */
function skipFor(t: Target, subresource: string): ((key: string) => boolean) | undefined {
  if (subresource === 'status') return (k) => k !== 'status' && k !== 'metadata' && k !== 'apiVersion' && k !== 'kind';
  if (subresource === '' && t.hasStatus) return (k) => k === 'status';
  return undefined;
}

/** A shallow copy without metadata.managedFields (RemoveObjectManagedFields). */
function withoutManaged(o: Obj): Obj {
  const m = o.metadata;
  if (!m || typeof m !== 'object' || m.managedFields === undefined) return o;
  const { managedFields: _mf, ...rest } = m;
  return { ...o, metadata: rest };
}

function setManaged(o: Obj, m: Managed) {
  const list = encodeManaged(m);
  o.metadata ??= {};
  if (list.length) o.metadata.managedFields = list;
  else delete o.metadata.managedFields;
}

// --- the empty object a create starts from ----------------------------------------------------

/** Go struct fields that are not pointers: an empty object of the kind has them as `{}`. */
const VALUE_STRUCTS = new Set(['metadata', 'spec', 'status', 'template', 'jobTemplate', 'strategy', 'updateStrategy']);
const zeroCache = new Map<string, Obj>();

function zeroOf(type: TypeRef, depth: number): Obj {
  const out: Obj = {};
  const fields = typeFields(type);
  if (!fields || depth > 6) return out;
  for (const name of VALUE_STRUCTS) {
    const f = fields.get(name);
    if (f?.type.kind === 'struct' && f.fieldType) out[name] = zeroOf(f.fieldType, depth + 1);
  }
  // PodSpec.containers has no omitempty: an empty PodSpec has `containers: null`.
  if (type === 'V1PodSpec') out.containers = null;
  return out;
}

/** What upstream's `scope.Creater.New(kind)` serializes to, for the fields the comparison looks at. */
function emptyObject(t: Target): Obj {
  const id = `${t.group}/${t.version}/${t.kind}`;
  let z = zeroCache.get(id);
  if (!z) {
    const type = typeForGVK(t.group, t.version, t.kind);
    z = type ? zeroOf(type, 0) : { metadata: {} };
    z.metadata ??= {};
    zeroCache.set(id, z);
  }
  return z;
}

function schemaError(e: unknown, what: string, t: Target, obj: Obj): never {
  if (e instanceof SchemaError) {
    const m = obj?.metadata ?? {};
    const nn = m.namespace ? `${m.namespace}/${m.name ?? ''}` : `${m.name ?? ''}`;
    // Upstream answers a 500 with this text; the fault is in the request, so it is a 400 here.
    throw badRequest(`failed to create typed ${what} object (${nn}; ${apiVersionOf(t)}, Kind=${t.kind}): ${e.message}`);
  }
  throw e;
}

// --- Update -------------------------------------------------------------------------------------

/**
 * Records an Update operation by `manager` in `obj.metadata.managedFields` (obj is the object to
 * be written, `live` the stored one or undefined on create). Never fails: on a problem the
 * managedFields are dropped, as UpdateNoErrors does.
 */
export function recordUpdate(t: Target, obj: Obj, live: Obj | undefined, manager: string, subresource: string, now: number): void {
  try {
    updateManaged(t, obj, live, manager, subresource, now);
  } catch {
    if (obj.metadata) delete obj.metadata.managedFields;
  }
}

const STRIP_ROOT = new Set(['f:apiVersion', 'f:kind']);
const STRIP_META = new Set(['.', 'f:name', 'f:namespace', 'f:creationTimestamp', 'f:selfLink', 'f:uid', 'f:clusterName', 'f:generation', 'f:managedFields', 'f:resourceVersion']);

/**
 * `o` without the keys in `drop`, as a new object: deleting keys from the middle of an object
 * turns it into a slow dictionary (JSON.stringify of every write pays for that).
 */
function without(o: Record<string, unknown>, drop: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in o) if (!drop.has(k)) out[k] = o[k];
  return out;
}

/** The create path (no stored object, no managedFields in the request): one walk, no set algebra. */
function recordCreate(t: Target, obj: Obj, manager: string, subresource: string, now: number): void {
  const built = createdFieldsV1(emptyObject(t), obj, schemaFor(t.group, t.version, t.kind), skipFor(t, subresource));
  const meta = built['f:metadata'] as Record<string, unknown> | undefined;
  const keptMeta = meta ? without(meta, STRIP_META) : undefined;
  const f: Record<string, unknown> = {};
  for (const k in built) {
    if (STRIP_ROOT.has(k)) continue;
    if (k !== 'f:metadata') f[k] = built[k];
    else if (keptMeta && Object.keys(keptMeta).length) f[k] = keptMeta;
  }
  if (Object.keys(f).length === 0) return;
  const e: Obj = { manager, operation: 'Update', apiVersion: apiVersionOf(t), time: entryTime(now), fieldsType: 'FieldsV1', fieldsV1: f };
  if (subresource) e.subresource = subresource;
  obj.metadata ??= {};
  obj.metadata.managedFields = [e];
}

function updateManaged(t: Target, obj: Obj, live: Obj | undefined, manager: string, subresource: string, now: number): void {
  let managed: Managed;
  const requested = obj.metadata?.managedFields;
  if (!live && requested === undefined) return recordCreate(t, obj, manager, subresource, now);
  if (subresource !== '') managed = decodeManagedOrEmpty(live?.metadata?.managedFields);
  else if (isResetManagedFields(requested)) managed = new Map();
  else {
    let m: Managed | undefined;
    try {
      m = decodeManaged(requested);
    } catch {
      m = undefined;
    }
    managed = m && m.size > 0 ? m : decodeManagedOrEmpty(live?.metadata?.managedFields);
  }
  const schema = schemaFor(t.group, t.version, t.kind);
  const before = live ? withoutManaged(live) : emptyObject(t);
  const after = withoutManaged(obj);
  const changed = updateSets(managed, before, after, schema, skipFor(t, subresource), undefined);
  if (!changed.isEmpty()) {
    const id = managerId(manager, 'Update', apiVersionOf(t), subresource);
    const prev = managed.get(id);
    const time = entryTime(now);
    if (prev && changed.isSubsetOf(prev.set)) {
      // The manager changed only fields it owns already (a kubelet's status, a lease renewal):
      // the same set, a new time; its FieldsV1 is reused as it is.
      managed.set(id, { ...prev, time, raw: prev.raw && prev.raw.time !== time ? { ...prev.raw, time } : prev.raw });
    } else {
      managed.set(id, { manager, operation: 'Update', apiVersion: apiVersionOf(t), subresource, time, set: prev ? changed.union(prev.set) : changed });
    }
  }
  capUpdateManagers(managed);
  setManaged(obj, managed);
}

/**
 * The Updater's bookkeeping for a change from `before` to `after`: every entry but `except`
 * loses the fields that changed or went away; returns the stripped set of changed fields.
 */
function updateSets(managed: Managed, before: Obj, after: Obj, schema: SNode, skip: ((k: string) => boolean) | undefined, except: string | undefined): FieldSet {
  const c = compare(before, after, schema, skip);
  const changed = c.modified.union(c.added);
  const gone = changed.union(c.removed);
  if (!gone.isEmpty()) {
    for (const [id, e] of managed) {
      if (id === except) continue;
      const next = e.set.difference(gone);
      if (next.isEmpty()) managed.delete(id);
      else if (!sameSet(next, e.set)) managed.set(id, { ...e, set: next, raw: undefined });
    }
  }
  return stripMeta(changed);
}

/** `sub` (a difference taken from `of`) is still all of `of`: nothing was taken away. */
function sameSet(sub: FieldSet, of: FieldSet): boolean {
  return sub.size() === of.size();
}

// --- Apply --------------------------------------------------------------------------------------

export interface ApplyResult {
  /** The object to write (managedFields set). */
  obj: Obj;
}

interface Conflict {
  id: string;
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  subresource: string;
  path: string[];
}

function printManager(c: Conflict): string {
  let s = JSON.stringify(c.manager);
  if (c.subresource) s += ` with subresource ${JSON.stringify(c.subresource)}`;
  if (c.operation === 'Update') s += ` using ${c.apiVersion}`;
  return s;
}

/** The 409 upstream answers an apply with conflicts (NewConflictError). */
export function conflictError(conflicts: Conflict[]): StatusError {
  const causes = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c)}`, field: pathString(c.path) }));
  let message: string;
  if (conflicts.length === 1) message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0]!)}: ${pathString(conflicts[0]!.path)}`;
  else {
    const byManager = new Map<string, Conflict[]>();
    for (const c of conflicts) {
      const k = printManager(c);
      byManager.set(k, [...(byManager.get(k) ?? []), c]);
    }
    const lines: string[] = [];
    for (const k of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${k}:`);
      for (const c of byManager.get(k)!) lines.push(`- ${pathString(c.path)}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError(409, 'Conflict', message, { causes });
}

/**
 * Server-side apply of `config` by `manager` over `live` (undefined: the object does not exist
 * yet). Returns the object to write, with managedFields; throws the 409 on conflicts unless
 * `force`, and 400s for a bad configuration.
 */
export function applyConfig(t: Target, live: Obj | undefined, config: Obj, manager: string, force: boolean, subresource: string, now: number): ApplyResult {
  const apiVersion = apiVersionOf(t);
  if (config.apiVersion !== apiVersion) {
    throw badRequest(`Incorrect version specified in apply patch. Specified patch version: ${config.apiVersion ?? ''}, expected: ${apiVersion}`);
  }
  if (config.metadata?.managedFields !== undefined && config.metadata?.managedFields !== null) throw badRequest('metadata.managedFields must be nil');
  const schema = schemaFor(t.group, t.version, t.kind);
  const skip = skipFor(t, subresource);
  let managed: Managed;
  try {
    managed = decodeManaged(live?.metadata?.managedFields);
  } catch (e) {
    throw new StatusError(500, 'InternalError', `failed to decode managed fields: ${(e as Error).message}`);
  }
  const liveObj = live ? withoutManaged(live) : {};
  // An object no one has tracked yet: what it has is owned by "before-first-apply" (skipNonAppliedManager).
  if (managed.size === 0 && live) {
    const owned = updateSets(managed, emptyObject(t), liveObj, schema, skip, undefined);
    if (!owned.isEmpty()) {
      managed.set(managerId(BEFORE_FIRST_APPLY, 'Update', apiVersion, ''), { manager: BEFORE_FIRST_APPLY, operation: 'Update', apiVersion, subresource: '', time: entryTime(now), set: owned });
    }
  }
  let applied: FieldSet;
  try {
    applied = toFieldSet(config, schema, skip);
  } catch (e) {
    schemaError(e, 'patch', t, config);
  }
  let merged: Obj;
  try {
    merged = merge(liveObj, config, schema) as Obj;
  } catch (e) {
    schemaError(e, 'patch', t, config);
  }
  const id = managerId(manager, 'Apply', apiVersion, subresource);
  const last = managed.get(id);
  managed.set(id, { manager, operation: 'Apply', apiVersion, subresource, time: last?.time, set: applied });
  // Prune: what this applier owned last time and no one owns now goes away.
  if (last && !last.set.isEmpty()) {
    let owned = new FieldSet();
    for (const e of managed.values()) owned = owned.union(e.set);
    const drop = last.set.withAncestors().difference(owned.withAncestors());
    if (!drop.isEmpty()) merged = removeItems(merged, drop, schema) as Obj;
  }
  // Conflicts: fields this apply changes that another manager owns.
  const c = compare(liveObj, merged, schema, skip);
  const changed = c.modified.union(c.added);
  const conflicts: Conflict[] = [];
  for (const [oid, e] of managed) {
    if (oid === id) continue;
    const both = e.set.intersection(changed);
    if (both.isEmpty()) continue;
    for (const path of both.paths()) conflicts.push({ id: oid, manager: e.manager, operation: e.operation, apiVersion: e.apiVersion, subresource: e.subresource, path });
  }
  if (conflicts.length && !force) {
    let remaining = conflicts;
    // kubectl's server-side apply may take over what its client-side apply set (lastAppliedManager).
    if (manager === 'kubectl' && live) {
      const allowed = allowedFromLastApplied(live, liveObj, apiVersion, schema);
      if (allowed) remaining = conflicts.filter((x) => !allowed.has(x.path));
    }
    if (remaining.length) throw conflictError(sortConflicts(remaining));
  }
  const gone = changed.union(c.removed);
  for (const [oid, e] of managed) {
    if (oid === id) continue;
    const next = e.set.difference(gone);
    if (next.isEmpty()) managed.delete(oid);
    else if (!sameSet(next, e.set)) managed.set(oid, { ...e, set: next, raw: undefined });
  }
  const noop = live !== undefined && c.added.isEmpty() && c.modified.isEmpty() && c.removed.isEmpty() && equalJSON(merged, liveObj);
  const mine = managed.get(id)!;
  const stripped = stripMeta(mine.set);
  if (stripped.isEmpty()) managed.delete(id);
  else managed.set(id, { ...mine, set: stripped, time: noop ? mine.time : entryTime(now) });
  capUpdateManagers(managed);
  const out: Obj = noop ? { ...liveObj, metadata: { ...liveObj.metadata } } : { ...merged, metadata: { ...(merged.metadata ?? {}) } };
  if (manager === 'kubectl' && typeof out.metadata.annotations?.[LAST_APPLIED] === 'string') {
    const { [LAST_APPLIED]: _drop, ...annotations } = config.metadata?.annotations ?? {};
    const cfg = { ...config, metadata: { ...(config.metadata ?? {}) } };
    if (Object.keys(annotations).length) cfg.metadata.annotations = annotations;
    else delete cfg.metadata.annotations;
    out.metadata.annotations = { ...out.metadata.annotations, [LAST_APPLIED]: sortedJSON(cfg) + '\n' };
  }
  setManaged(out, managed);
  return { obj: out };
}

function sortConflicts(cs: Conflict[]): Conflict[] {
  return [...cs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : pathString(a.path) < pathString(b.path) ? -1 : 1));
}

/** JSON with sorted keys, as Go encodes an unstructured object. */
function sortedJSON(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(sortedJSON).join(',')}]`;
  const o = v as Obj;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${sortedJSON(o[k])}`)
    .join(',')}}`;
}

/**
 * Fields the last-applied-configuration annotation sets to the value they still have: a
 * client-side applier's fields that kubectl's server-side apply may take without a conflict.
 */
function allowedFromLastApplied(live: Obj, liveObj: Obj, apiVersion: string, schema: SNode): FieldSet | undefined {
  const text = live.metadata?.annotations?.[LAST_APPLIED];
  if (typeof text !== 'string' || text === '') return undefined;
  let last: unknown;
  try {
    last = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (last === null || typeof last !== 'object' || (last as Obj).apiVersion !== apiVersion) return undefined;
  try {
    const set = toFieldSet(last, schema);
    const c = compare(last, liveObj, schema);
    return set.difference(c.modified).difference(c.added).difference(c.removed);
  } catch {
    return undefined;
  }
}
