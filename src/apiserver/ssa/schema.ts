// The merge schema server-side apply walks objects with (structured-merge-diff's schema.Schema):
// maps (structs and string-keyed maps, granular or atomic), lists (atomic, set or map with keys)
// and scalars, built from the built-in types' markers (src/api/mergemeta.ts) or from an
// OpenAPI v3 schema with x-kubernetes-list-type / -list-map-keys / -map-type (custom resources).
// Values with no schema are "deduced": objects merge key by key, lists are atomic.
import { isAtomicType, typeFields, typeForGVK, type FieldMeta, type TypeExpr, type TypeRef } from '../../api/mergemeta.ts';

export type SNode = ScalarNode | MapNode | ListNode | UntypedNode;

/** A leaf: scalars, and values SSA treats as one unit (RawExtension, JSON). */
export interface ScalarNode {
  t: 'scalar';
}

/** Anything: objects are granular maps of deduced values, everything else a leaf. */
export interface UntypedNode {
  t: 'untyped';
}

export interface MapNode {
  t: 'map';
  atomic: boolean;
  /** The schema of a declared field (structs). */
  field(name: string): SNode | undefined;
  /** The schema of keys that are not declared fields (maps, preserve-unknown-fields). */
  elem: SNode | undefined;
}

export interface ListNode {
  t: 'list';
  listType: 'atomic' | 'set' | 'map';
  keys: readonly string[];
  /** Values SSA uses for an omitted key field (`+default`). */
  keyDefaults: Readonly<Record<string, unknown>> | undefined;
  elem: SNode;
}

export const SCALAR: ScalarNode = { t: 'scalar' };
export const UNTYPED: UntypedNode = { t: 'untyped' };
const ATOMIC_ANY: ScalarNode = { t: 'scalar' };

/** An OpenAPI v3 (structural) schema, as CRDs carry them. */
export interface TypeSchema {
  type?: string;
  properties?: Record<string, TypeSchema>;
  additionalProperties?: TypeSchema | boolean;
  items?: TypeSchema;
  default?: unknown;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  [k: string]: unknown;
}

/** Gives the schema of a custom resource kind, or undefined when it has none. */
export type SchemaProvider = (group: string, version: string, kind: string) => TypeSchema | undefined;

const providers: SchemaProvider[] = [];

/** Registers a source of custom-resource schemas (the CRD registry); returns an unregister function. */
export function registerSchemaProvider(p: SchemaProvider): () => void {
  providers.push(p);
  return () => {
    const i = providers.indexOf(p);
    if (i >= 0) providers.splice(i, 1);
  };
}

// --- built-in types -----------------------------------------------------------------------------

const structNodes = new Map<string, MapNode>();

function structNode(type: TypeRef, atomic: boolean): MapNode {
  const id = `${type}\0${atomic}`;
  let n = structNodes.get(id);
  if (n) return n;
  const cache = new Map<string, SNode | undefined>();
  n = {
    t: 'map',
    atomic,
    elem: undefined,
    field(name) {
      if (cache.has(name)) return cache.get(name);
      const meta = typeFields(type)?.get(name);
      const node = meta ? fieldNode(meta.type, meta) : undefined;
      cache.set(name, node);
      return node;
    },
  };
  structNodes.set(id, n);
  return n;
}

function exprNode(e: TypeExpr, meta: FieldMeta | undefined): SNode {
  switch (e.kind) {
    case 'scalar':
      return SCALAR;
    case 'any':
      return ATOMIC_ANY;
    case 'struct':
      return structNode(e.name, meta?.mapType ? meta.mapType === 'atomic' : isAtomicType(e.name));
    case 'map':
      return { t: 'map', atomic: meta?.mapType === 'atomic', elem: exprNode(e.elem, undefined), field: () => undefined };
    case 'list':
      return {
        t: 'list',
        listType: meta?.listType ?? 'atomic',
        keys: meta?.listMapKeys ?? [],
        keyDefaults: meta?.listMapKeyDefaults,
        elem: exprNode(e.elem, undefined),
      };
  }
}

const fieldNodes = new WeakMap<FieldMeta, SNode>();

function fieldNode(e: TypeExpr, meta: FieldMeta): SNode {
  let n = fieldNodes.get(meta);
  if (!n) {
    n = exprNode(e, meta);
    fieldNodes.set(meta, n);
  }
  return n;
}

/** The schema of a built-in type by model name (`V1Deployment`). */
export function builtinSchema(type: TypeRef): SNode {
  return structNode(type, false);
}

// --- OpenAPI v3 -------------------------------------------------------------------------------

const compiled = new WeakMap<TypeSchema, SNode>();

/** Turns an OpenAPI v3 schema into a merge schema (cached per schema object). */
export function fromOpenAPI(s: TypeSchema | undefined): SNode {
  if (!s || typeof s !== 'object') return UNTYPED;
  let n = compiled.get(s);
  if (n) return n;
  n = compile(s);
  compiled.set(s, n);
  return n;
}

function compile(s: TypeSchema): SNode {
  if (s['x-kubernetes-int-or-string']) return SCALAR;
  const type = s.type;
  if (type === 'array') {
    const lt = s['x-kubernetes-list-type'] ?? 'atomic';
    const keys = s['x-kubernetes-list-map-keys'] ?? [];
    let keyDefaults: Record<string, unknown> | undefined;
    const props = s.items?.properties;
    if (lt === 'map' && props) {
      for (const k of keys) if (props[k]?.default !== undefined) (keyDefaults ??= {})[k] = props[k]!.default;
    }
    return { t: 'list', listType: lt, keys, keyDefaults, elem: fromOpenAPI(s.items) };
  }
  if (type === 'object' || s.properties || s.additionalProperties) {
    const props = s.properties;
    const ap = s.additionalProperties;
    const preserve = s['x-kubernetes-preserve-unknown-fields'] === true || s['x-kubernetes-embedded-resource'] === true;
    if (!props && !ap && (preserve || type !== 'object')) return UNTYPED;
    const elem = ap && typeof ap === 'object' ? fromOpenAPI(ap) : ap === true || preserve ? UNTYPED : undefined;
    const fields = new Map<string, TypeSchema>(props ? Object.entries(props) : []);
    return {
      t: 'map',
      atomic: s['x-kubernetes-map-type'] === 'atomic',
      elem: props || elem ? elem : UNTYPED,
      field: (name) => (fields.has(name) ? fromOpenAPI(fields.get(name)) : undefined),
    };
  }
  if (type === undefined) return UNTYPED;
  return SCALAR;
}

/** A custom resource's root: its schema, with metadata typed as ObjectMeta as upstream does. */
function crRoot(s: TypeSchema): SNode {
  const inner = fromOpenAPI(s);
  const meta = structNode('V1ObjectMeta', false);
  return {
    t: 'map',
    atomic: false,
    elem: inner.t === 'map' ? inner.elem : UNTYPED,
    field(name) {
      if (name === 'metadata') return meta;
      if (name === 'apiVersion' || name === 'kind') return SCALAR;
      return inner.t === 'map' ? inner.field(name) : undefined;
    },
  };
}

const crRoots = new WeakMap<TypeSchema, SNode>();

/** A schema for any object with ObjectMeta and deduced content (kinds we know nothing about). */
const DEDUCED_ROOT: MapNode = {
  t: 'map',
  atomic: false,
  elem: UNTYPED,
  field: (name) => (name === 'metadata' ? structNode('V1ObjectMeta', false) : undefined),
};

/** The merge schema of a kind: built-in, from a registered provider, or deduced. */
export function schemaFor(group: string, version: string, kind: string): SNode {
  const t = typeForGVK(group, version, kind);
  if (t) return builtinSchema(t);
  for (const p of providers) {
    const s = p(group, version, kind);
    if (s) {
      let n = crRoots.get(s);
      if (!n) {
        n = crRoot(s);
        crRoots.set(s, n);
      }
      return n;
    }
  }
  return DEDUCED_ROOT;
}
