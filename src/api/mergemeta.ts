// Per-field merge metadata of the built-in types, as the apiserver reads it from Go struct tags
// and markers: patchStrategy/patchMergeKey (strategic merge patch), +listType/+listMapKey/
// +mapType/+structType (server-side apply), plus the field → type graph to walk nested objects.
import { ATOMIC_TYPES, KINDS, TYPES } from './types.generated.ts';

/** A named object type: the @kubernetes/client-node model name, e.g. `V1PodSpec`, `AppsV1...`. */
export type TypeRef = string;

export type ScalarName = 'string' | 'bytes' | 'int32' | 'int64' | 'float64' | 'bool' | 'time' | 'microtime' | 'intstr';

/** The JSON shape of a field. `any` is an untyped value (runtime.RawExtension, JSON, FieldsV1). */
export type TypeExpr =
  | { kind: 'struct'; name: TypeRef }
  | { kind: 'list'; elem: TypeExpr }
  | { kind: 'map'; elem: TypeExpr }
  | { kind: 'scalar'; name: ScalarName }
  | { kind: 'any' };

export interface FieldMeta {
  /** JSON field name. */
  name: string;
  type: TypeExpr;
  /** The struct type reached through this field: itself, or its list element / map value. */
  fieldType?: TypeRef;
  /** SMP `patchStrategy` tag: `merge`, `replace`, `retainKeys` or `merge,retainKeys`. */
  patchStrategy?: string;
  patchMergeKey?: string;
  /** SSA `+listType`; absent means atomic for SSA. */
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
  /** SSA `+mapType`/`+structType` on the field (field marker or inherited from the type). */
  mapType?: 'atomic' | 'granular';
  /** SSA fills omitted list-map keys with these `+default`s (ports: protocol=TCP). */
  listMapKeyDefaults?: Record<string, string>;
}

export interface BuiltinKind {
  group: string;
  version: string;
  kind: string;
  type: TypeRef;
}

/** Every built-in GA kind with its root type. */
export const builtinKinds: readonly BuiltinKind[] = KINDS.map(([group, version, kind, type]) => ({ group, version, kind, type }));

const byGVK = new Map<string, TypeRef>(builtinKinds.map((k) => [`${k.group}/${k.version}/${k.kind}`, k.type]));

/** The root type of a built-in kind; undefined for custom resources (use JSON merge patch there). */
export function typeForGVK(group: string, version: string, kind: string): TypeRef | undefined {
  return byGVK.get(`${group}/${version}/${kind}`);
}

/** The root type for an object's apiVersion (`apps/v1`, `v1`) and kind. */
export function typeForObject(apiVersion: string, kind: string): TypeRef | undefined {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? typeForGVK('', apiVersion, kind) : typeForGVK(apiVersion.slice(0, slash), apiVersion.slice(slash + 1), kind);
}

const atomicTypes = new Set(ATOMIC_TYPES);

/** True for struct types marked `+structType=atomic` (LabelSelector, ObjectReference, ...). */
export function isAtomicType(type: TypeRef): boolean {
  return atomicTypes.has(type);
}

const exprCache = new Map<string, TypeExpr>();

function parseExpr(s: string): TypeExpr {
  let e = exprCache.get(s);
  if (e) return e;
  if (s.startsWith('[]')) e = { kind: 'list', elem: parseExpr(s.slice(2)) };
  else if (s.startsWith('{}')) e = { kind: 'map', elem: parseExpr(s.slice(2)) };
  else if (s === 'any') e = { kind: 'any' };
  else if (/^[A-Z]/.test(s)) e = { kind: 'struct', name: s };
  else e = { kind: 'scalar', name: s as ScalarName };
  exprCache.set(s, e);
  return e;
}

function structOf(e: TypeExpr): TypeRef | undefined {
  while (e.kind === 'list' || e.kind === 'map') e = e.elem;
  return e.kind === 'struct' ? e.name : undefined;
}

const parsed = new Map<TypeRef, ReadonlyMap<string, FieldMeta>>();

function parseType(type: TypeRef): ReadonlyMap<string, FieldMeta> | undefined {
  const spec = TYPES[type];
  if (spec === undefined) return undefined;
  const fields = new Map<string, FieldMeta>();
  for (const f of spec.split(' ')) {
    const colon = f.indexOf(':');
    const name = f.slice(0, colon);
    const [expr, strategy, mergeKey, listType, listMapKeys, mapType, defaults] = f.slice(colon + 1).split(';');
    const type = parseExpr(expr!);
    const meta: FieldMeta = { name, type };
    const ft = structOf(type);
    if (ft) meta.fieldType = ft;
    if (strategy) meta.patchStrategy = strategy;
    if (mergeKey) meta.patchMergeKey = mergeKey;
    if (listType) meta.listType = listType as FieldMeta['listType'];
    if (listMapKeys) meta.listMapKeys = listMapKeys.split(',');
    if (mapType) meta.mapType = mapType as FieldMeta['mapType'];
    if (defaults) meta.listMapKeyDefaults = Object.fromEntries(defaults.split(',').map((kv) => kv.split('=', 2) as [string, string]));
    fields.set(name, meta);
  }
  return fields;
}

/** All fields of a type, by JSON name; undefined for unknown types. Parsed once, then cached. */
export function typeFields(type: TypeRef): ReadonlyMap<string, FieldMeta> | undefined {
  let f = parsed.get(type);
  if (f === undefined) {
    f = parseType(type);
    if (f) parsed.set(type, f);
  }
  return f;
}

/** The metadata of one field of a type, or undefined when the type has no such field. */
export function lookupField(type: TypeRef, field: string): FieldMeta | undefined {
  return typeFields(type)?.get(field);
}

/** True when the type is known to the generated graph. */
export function isKnownType(type: TypeRef): boolean {
  return TYPES[type] !== undefined;
}

/** The Go type name behind a model name, as upstream error messages print it (`V1PodSpec` → `PodSpec`). */
export function goTypeName(type: TypeRef): string {
  const m = /^(?:[A-Z][a-z]+)?V\d+(?:(?:alpha|beta)\d+)?([A-Z].*)$/.exec(type);
  return m ? m[1]! : type;
}
