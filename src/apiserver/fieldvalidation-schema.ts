// Compiled decoding shapes for server-side field validation: which JSON keys each built-in Go
// struct accepts (what sigs.k8s.io/json's strict decoder checks), built lazily from the OpenAPI
// definitions in openapi/definitions.gen.json.

import { definitions } from './openapi/openapi.ts';

/** Leaf, or a type with its own JSON decoding (Time, Quantity, IntOrString, RawExtension, …): never looked into. */
export const SKIP = 0;
/** A Go struct: only its declared fields are known; duplicate fields are reported. */
export const STRUCT = 1;
/** A Go map: keys are free-form (duplicates are reported); values decode as `elem`. */
export const MAP = 2;
/** A Go slice of `elem`. */
export const ARRAY = 3;
/** interface{} (map[string]interface{} and below): any key; duplicates reported at every level. */
export const ANY = 4;

export interface ShapeNode {
  kind: typeof SKIP | typeof STRUCT | typeof MAP | typeof ARRAY | typeof ANY;
  /** STRUCT: declared JSON field names. */
  fields?: Map<string, ShapeNode>;
  /** MAP values, ARRAY items. */
  elem?: ShapeNode;
  /**
   * ARRAY: the key fields of an associative list, as server-side apply identifies items
   * (x-kubernetes-list-map-keys, else the patch merge key); absent for atomic lists.
   */
  listKeys?: string[];
}

type Schema = Record<string, any>;

export const SKIP_NODE: ShapeNode = { kind: SKIP };
export const ANY_NODE: ShapeNode = { kind: ANY };

/**
 * Definitions of `type: object` without properties that hold arbitrary JSON (custom decoding in
 * Go). Any other property-less object definition is an empty Go struct, so every key in it is
 * unknown (apiextensions CustomResourceSubresourceStatus is one).
 */
const OPAQUE_OBJECTS = new Set([
  'io.k8s.apimachinery.pkg.runtime.RawExtension',
  'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1',
  'io.k8s.apimachinery.pkg.apis.meta.v1.Patch',
]);

const REF_PREFIX = '#/definitions/';

const compiled = new Map<string, ShapeNode>();

function compileDefinition(name: string): ShapeNode {
  const done = compiled.get(name);
  if (done) return done;
  const def = definitions()[name];
  if (!def) return SKIP_NODE;
  if (def['x-kubernetes-preserve-unknown-fields'] === true || OPAQUE_OBJECTS.has(name)) {
    compiled.set(name, SKIP_NODE);
    return SKIP_NODE;
  }
  if (def.properties || (def.type === 'object' && !def.additionalProperties)) {
    // Register before filling in the fields: definitions are recursive (JSONSchemaProps).
    const node: ShapeNode = { kind: STRUCT, fields: new Map() };
    compiled.set(name, node);
    for (const [key, prop] of Object.entries(def.properties ?? {})) node.fields!.set(key, compileSchema(prop as Schema));
    return node;
  }
  const node = compileSchema(def);
  compiled.set(name, node);
  return node;
}

function compileSchema(s: Schema): ShapeNode {
  if (typeof s.$ref === 'string') {
    return s.$ref.startsWith(REF_PREFIX) ? compileDefinition(s.$ref.slice(REF_PREFIX.length)) : SKIP_NODE;
  }
  if (s['x-kubernetes-preserve-unknown-fields'] === true) return SKIP_NODE;
  if (s.type === 'array') {
    const elem = s.items ? compileSchema(s.items) : SKIP_NODE;
    // A slice of scalars holds no keys: nothing to check inside.
    if (elem === SKIP_NODE) return SKIP_NODE;
    const node: ShapeNode = { kind: ARRAY, elem };
    const listType = s['x-kubernetes-list-type'];
    if (listType === 'map' && Array.isArray(s['x-kubernetes-list-map-keys'])) node.listKeys = [...s['x-kubernetes-list-map-keys']].sort();
    else if (listType === undefined && s['x-kubernetes-patch-strategy'] && typeof s['x-kubernetes-patch-merge-key'] === 'string') {
      node.listKeys = [s['x-kubernetes-patch-merge-key']];
    }
    return node;
  }
  if (s.type === 'object') {
    if (s.properties) {
      const fields = new Map<string, ShapeNode>();
      for (const [key, prop] of Object.entries(s.properties)) fields.set(key, compileSchema(prop as Schema));
      return { kind: STRUCT, fields };
    }
    const ap = s.additionalProperties;
    if (ap && typeof ap === 'object') return { kind: MAP, elem: compileSchema(ap) };
    if (ap === true) return { kind: MAP, elem: SKIP_NODE };
  }
  return SKIP_NODE;
}

let kindIndex: Map<string, string> | undefined;

function buildKindIndex(): Map<string, string> {
  const idx = new Map<string, string>();
  for (const [name, d] of Object.entries(definitions())) {
    for (const g of (d['x-kubernetes-group-version-kind'] ?? []) as { group: string; version: string; kind: string }[]) {
      const key = g.group ? `${g.group}/${g.version}/${g.kind}` : `${g.version}/${g.kind}`;
      if (!idx.has(key)) idx.set(key, name);
    }
  }
  return idx;
}

/** The OpenAPI definition name of a built-in kind (`apps/v1`, `Deployment`), or undefined. */
export function definitionFor(apiVersion: string, kind: string): string | undefined {
  kindIndex ??= buildKindIndex();
  return kindIndex.get(`${apiVersion}/${kind}`);
}

const rootCache = new Map<string, ShapeNode | null>();

/** The decoding shape of a built-in kind (`apps/v1`, `Deployment`), or undefined when it has no schema. */
export function shapeFor(apiVersion: string, kind: string): ShapeNode | undefined {
  const key = `${apiVersion}/${kind}`;
  let node = rootCache.get(key);
  if (node === undefined) {
    const name = definitionFor(apiVersion, kind);
    node = name ? compileDefinition(name) : null;
    if (node && node.kind !== STRUCT) node = null;
    rootCache.set(key, node);
  }
  return node ?? undefined;
}
