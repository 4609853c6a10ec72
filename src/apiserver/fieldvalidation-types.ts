// The JSON type errors kube-apiserver's decoder refuses a body with, whatever fieldValidation says:
// sigs.k8s.io/json (encoding/json) `json: cannot unmarshal bool into Go struct field
// Container.spec.template.spec.containers.name of type string`, and for strategic merge patches
// the unstructured converter's `cannot convert int64 to string` / `unrecognized type: int32`.

import { ERR_FORMAT_WRONG, Quantity } from '../machinery/quantity.ts';
import { definitionFor } from './fieldvalidation-schema.ts';
import { GO_FIELD_TYPES } from './fieldvalidation-gotypes.ts';
import { definitions } from './openapi/openapi.ts';

// ---- compiled Go types -------------------------------------------------------------------------

const STRING = 0, BYTES = 1, BOOL = 2, INT = 3, FLOAT = 4, STRUCT = 5, MAP = 6, SLICE = 7, ANY = 8;
/** Types with their own UnmarshalJSON: errors inside them end the decoding at once. */
const INTSTR = 9, QUANTITY = 10, TIME = 11, SCHEMA_OR_BOOL = 12, SCHEMA_OR_ARRAY = 13, SCHEMA_OR_STRINGS = 14;

interface TypeNode {
  k: number;
  /** The Go type as reflect prints it (`string`, `v1.Protocol`, `[]v1.Container`, `v1.ResourceList`). */
  go: string;
  /** INT: the reflect kind (`int32`, `int64`, `uint8`) and its range. */
  kind?: string;
  min?: number;
  max?: number;
  /** STRUCT: the Go struct name (`Container`) and its fields by JSON name. */
  name?: string;
  fields?: Map<string, TypeNode>;
  /** MAP values, SLICE items, the JSONSchemaProps of SCHEMA_OR_*. */
  elem?: TypeNode;
}

const REF = '#/definitions/';
const APIEXT = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.';
const ANY_NODE: TypeNode = { k: ANY, go: 'interface {}' };

/** Definitions whose Go type decodes itself. */
const CUSTOM: Record<string, (name: string) => TypeNode> = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': () => ({ k: INTSTR, go: 'intstr.IntOrString' }),
  'io.k8s.apimachinery.pkg.api.resource.Quantity': () => ({ k: QUANTITY, go: 'resource.Quantity' }),
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': () => ({ k: TIME, go: 'v1.Time' }),
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': () => ({ k: TIME, go: 'v1.MicroTime' }),
  'io.k8s.apimachinery.pkg.runtime.RawExtension': () => ANY_NODE,
  'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1': () => ANY_NODE,
  'io.k8s.apimachinery.pkg.apis.meta.v1.Patch': () => ANY_NODE,
  [APIEXT + 'JSON']: () => ANY_NODE,
  [APIEXT + 'JSONSchemaPropsOrBool']: () => ({ k: SCHEMA_OR_BOOL, go: 'v1.JSONSchemaPropsOrBool', elem: compileDefinition(APIEXT + 'JSONSchemaProps') }),
  [APIEXT + 'JSONSchemaPropsOrArray']: () => ({ k: SCHEMA_OR_ARRAY, go: 'v1.JSONSchemaPropsOrArray', elem: compileDefinition(APIEXT + 'JSONSchemaProps') }),
  [APIEXT + 'JSONSchemaPropsOrStringArray']: () => ({ k: SCHEMA_OR_STRINGS, go: 'v1.JSONSchemaPropsOrStringArray', elem: compileDefinition(APIEXT + 'JSONSchemaProps') }),
};

const compiled = new Map<string, TypeNode>();

/** `io.k8s.api.core.v1.Container` → `v1.Container` (reflect names a type by its package's name). */
function goName(def: string): string {
  const parts = def.split('.');
  return parts.length < 2 ? def : `${parts[parts.length - 2]}.${parts[parts.length - 1]}`;
}

function compileDefinition(name: string): TypeNode {
  const done = compiled.get(name);
  if (done) return done;
  const custom = CUSTOM[name];
  if (custom) {
    // Registered first: JSONSchemaPropsOrBool refers back to JSONSchemaProps.
    const node: TypeNode = { k: ANY, go: '' };
    compiled.set(name, node);
    return Object.assign(node, custom(name));
  }
  const def = definitions()[name];
  if (!def || def['x-kubernetes-preserve-unknown-fields'] === true) {
    compiled.set(name, ANY_NODE);
    return ANY_NODE;
  }
  if (def.properties || (def.type === 'object' && !def.additionalProperties)) {
    const node: TypeNode = { k: STRUCT, go: goName(name), name: name.slice(name.lastIndexOf('.') + 1), fields: new Map() };
    compiled.set(name, node);
    const goTypes = GO_FIELD_TYPES[name];
    for (const [key, prop] of Object.entries(def.properties ?? {})) node.fields!.set(key, compileSchema(prop as Record<string, any>, goTypes?.[key]));
    return node;
  }
  const node = compileSchema(def);
  compiled.set(name, node);
  return node;
}

/** The element type named by a Go slice or map type (`[]v1.Capability` → `v1.Capability`). */
function elemGo(go: string | undefined): string | undefined {
  if (!go) return undefined;
  if (go.startsWith('[]')) return go.slice(2);
  if (go.startsWith('map[')) {
    let depth = 0;
    for (let i = 3; i < go.length; i++) {
      if (go[i] === '[') depth++;
      else if (go[i] === ']' && --depth === 0) return go.slice(i + 1);
    }
  }
  return undefined;
}

const INT_RANGES: Record<string, [number, number]> = {
  int32: [-2147483648, 2147483647],
  int64: [-9223372036854775808, 9223372036854775807],
  uint8: [0, 255],
};

function intNode(kind: string, go = kind): TypeNode {
  const [min, max] = INT_RANGES[kind]!;
  return { k: INT, go, kind, min, max };
}

/** A field's type from its schema; `go` is its Go type when the schema cannot tell (GO_FIELD_TYPES). */
function compileSchema(s: Record<string, any>, go?: string): TypeNode {
  if (go === 'resource.Quantity') return compileDefinition('io.k8s.apimachinery.pkg.api.resource.Quantity');
  if (typeof s.$ref === 'string') return s.$ref.startsWith(REF) ? compileDefinition(s.$ref.slice(REF.length)) : ANY_NODE;
  if (s['x-kubernetes-preserve-unknown-fields'] === true) return ANY_NODE;
  switch (s.type) {
    case 'string':
      return s.format === 'byte' ? { k: BYTES, go: go ?? '[]uint8' } : { k: STRING, go: go ?? 'string' };
    case 'boolean':
      return { k: BOOL, go: go ?? 'bool' };
    case 'integer':
      return intNode(s.format === 'int32' ? 'int32' : 'int64', go);
    case 'number':
      return { k: FLOAT, go: go ?? 'float64' };
    case 'array': {
      const elem = s.items ? compileSchema(s.items, elemGo(go)) : ANY_NODE;
      return { k: SLICE, go: go ?? '[]' + elem.go, elem };
    }
    case 'object': {
      const ap = s.additionalProperties;
      if (ap && typeof ap === 'object') {
        const elem = compileSchema(ap, elemGo(go));
        return { k: MAP, go: go ?? 'map[string]' + elem.go, elem };
      }
      return ANY_NODE;
    }
  }
  return ANY_NODE;
}

const rootCache = new Map<string, TypeNode | null>();

function typeFor(apiVersion: string, kind: string): TypeNode | undefined {
  const key = `${apiVersion}/${kind}`;
  let node = rootCache.get(key);
  if (node === undefined) {
    const name = definitionFor(apiVersion, kind);
    node = name ? compileDefinition(name) : null;
    if (node && node.k !== STRUCT) node = null;
    rootCache.set(key, node);
  }
  return node ?? undefined;
}

// ---- Go renderings ----------------------------------------------------------------------------

/** How encoding/json names a JSON value in a type error; numbers into numeric types carry their text. */
function jsonWhat(v: unknown, withNumber: boolean): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return withNumber ? 'number ' + numberText(v) : 'number';
  return Array.isArray(v) ? 'array' : 'object';
}

/** The JSON text of a number as Go's encoder writes a float64 (same exponent thresholds as JS). */
function numberText(n: number): string {
  return String(n);
}

/** The reflect kind of a decoded unstructured value (ints decode as int64, other numbers float64). */
function unstructuredKind(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  return Array.isArray(v) ? 'slice' : 'map';
}

const B64 = new Int8Array(256).fill(-1);
for (let i = 0; i < 64; i++) B64['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i;

function isNl(c: number | undefined): boolean {
  return c === 0x0a || c === 0x0d;
}

/** base64.StdEncoding.Decode's CorruptInputError offset for `s`, or -1 when it decodes. */
export function base64ErrorOffset(s: string): number {
  const src = Buffer.from(s, 'utf8');
  const n = src.length;
  let si = 0;
  while (si < n) {
    for (let j = 0; j < 4; j++) {
      if (si === n) {
        if (j === 0) return -1;
        return si - j;
      }
      const c = src[si++]!;
      if (B64[c]! >= 0) continue;
      if (isNl(c)) {
        j--;
        continue;
      }
      if (c !== 0x3d) return si - 1;
      // padding
      if (j < 2) return si - 1;
      if (j === 2) {
        while (si < n && isNl(src[si])) si++;
        if (si === n) return n;
        if (src[si] !== 0x3d) return si - 1;
        si++;
      }
      while (si < n && isNl(src[si])) si++;
      return si < n ? si : -1;
    }
    while (si < n && isNl(src[si])) si++;
  }
  return -1;
}

/** The common quantity spellings, which always parse: spared the full parser on the hot path. */
const PLAIN_QUANTITY = /^[0-9]{1,15}(?:\.[0-9]{1,9})?(?:[mkMGTPE]|[KMGTPE]i)?$/;

function quantityError(text: string): string | undefined {
  if (PLAIN_QUANTITY.test(text)) return undefined;
  try {
    Quantity.parse(text.trim());
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : ERR_FORMAT_WRONG;
  }
}

// ---- the walk ----------------------------------------------------------------------------------

/**
 * encoding/json's error context, as a chain built only for containers: the field `key` entered in
 * struct `st`, under `up`. Map values and slice items keep their container's context.
 */
interface Ctx {
  st: string;
  key: string;
  up: Ctx | null;
}

interface Frame {
  v: any;
  n: TypeNode;
  /** object keys (struct, map) or null (slice) */
  keys: string[] | null;
  i: number;
  ctx: Ctx | null;
  /** set inside a type with its own UnmarshalJSON: every error is reported with this context and ends the decoding */
  frozen: Ctx | null;
}

function typeError(what: string, go: string, ctx: Ctx | null): string {
  if (ctx === null) return `json: cannot unmarshal ${what} into Go value of type ${go}`;
  let path = ctx.key;
  for (let c = ctx.up; c !== null; c = c.up) path = c.key + '.' + path;
  return `json: cannot unmarshal ${what} into Go struct field ${ctx.st}.${path} of type ${go}`;
}

const JSON_MODE = 0, UNSTRUCTURED_MODE = 1;

/**
 * Decodes `root` as `rootNode` the way Go would, without building anything, and returns the error
 * Go returns: in JSON mode the first saved type error, unless a self-decoding type (IntOrString,
 * Quantity, Time, JSONSchemaProps…) fails first, which ends the decoding; in unstructured mode
 * (runtime.DefaultUnstructuredConverter.FromUnstructured) the first error.
 */
function walk(root: unknown, rootNode: TypeNode, mode: number, sortKeys: boolean): string | undefined {
  return new Walk(mode, sortKeys).run(root, rootNode);
}

class Walk {
  saved: string | undefined;
  fatal: string | undefined;
  stack: Frame[] = [];
  mode: number;
  sortKeys: boolean;

  constructor(mode: number, sortKeys: boolean) {
    this.mode = mode;
    this.sortKeys = sortKeys;
  }

  fail(msg: string, fatalNow: boolean): void {
    if (fatalNow || this.mode === UNSTRUCTURED_MODE) this.fatal = msg;
    else this.saved ??= msg;
  }

  push(v: any, n: TypeNode, keys: string[] | null, ctx: Ctx | null, frozen: Ctx | null): void {
    this.stack.push({ v, n, keys, i: 0, ctx, frozen });
  }

  objectKeys(o: object): string[] {
    return this.sortKeys ? Object.keys(o).sort() : Object.keys(o);
  }

  /** The error of a value of the wrong JSON type for `n`, at `key` of struct `st` under `up`. */
  mismatch(v: unknown, n: TypeNode, up: Ctx | null, st: string, key: string | null, frozen: Ctx | null, go = n.go, withNumber = false, fatalNow = false): void {
    this.fail(typeError(jsonWhat(v, withNumber), go, frozen ?? ctxOf(up, st, key)), fatalNow || frozen !== null);
  }

  /** Checks one value; containers of the right JSON type are pushed to be walked next. */
  check(v: unknown, n: TypeNode, up: Ctx | null, st: string, key: string | null, frozen: Ctx | null): void {
    if (v === null || v === undefined) return;
    const isObj = typeof v === 'object';
    const isArr = isObj && Array.isArray(v);
    if (this.mode === UNSTRUCTURED_MODE) {
      this.checkUnstructured(v, n, isObj ? ctxOf(up, st, key) : null);
      return;
    }
    switch (n.k) {
      case STRING:
        if (typeof v !== 'string') this.mismatch(v, n, up, st, key, frozen);
        return;
      case BOOL:
        if (typeof v !== 'boolean') this.mismatch(v, n, up, st, key, frozen);
        return;
      case INT:
        if (typeof v !== 'number') this.mismatch(v, n, up, st, key, frozen);
        else if (!Number.isInteger(v) || v < n.min! || v > n.max!) this.mismatch(v, n, up, st, key, frozen, n.go, true);
        return;
      case FLOAT:
        if (typeof v !== 'number') this.mismatch(v, n, up, st, key, frozen);
        return;
      case BYTES:
        if (typeof v === 'string') {
          const at = base64ErrorOffset(v);
          if (at >= 0) this.fail(`illegal base64 data at input byte ${at}`, frozen !== null);
        } else if (isArr) this.push(v, BYTE_SLICE, null, ctxOf(up, st, key), frozen);
        else this.mismatch(v, n, up, st, key, frozen);
        return;
      case STRUCT:
        if (isObj && !isArr) this.push(v, n, this.objectKeys(v as object), ctxOf(up, st, key), frozen);
        else this.mismatch(v, n, up, st, key, frozen);
        return;
      case MAP:
        if (!isObj || isArr) this.mismatch(v, n, up, st, key, frozen);
        else if (n.elem!.k !== ANY) this.push(v, n, this.objectKeys(v as object), ctxOf(up, st, key), frozen);
        return;
      case SLICE:
        if (!isArr) this.mismatch(v, n, up, st, key, frozen);
        else if (n.elem!.k !== ANY) this.push(v, n, null, ctxOf(up, st, key), frozen);
        return;
      case INTSTR:
        // IntOrString.UnmarshalJSON: a JSON string, else json.Unmarshal into its int32
        if (typeof v === 'string') return;
        if (typeof v !== 'number' || !Number.isInteger(v) || v < -2147483648 || v > 2147483647) this.mismatch(v, n, up, st, key, frozen, 'int32', true, true);
        return;
      case QUANTITY: {
        const err = typeof v === 'string' ? quantityError(v) : typeof v === 'number' ? quantityError(numberText(v)) : ERR_FORMAT_WRONG;
        if (err) this.fail(err, true);
        return;
      }
      case TIME:
        // Time.UnmarshalJSON: json.Unmarshal into a string, then time.Parse (not checked here)
        if (typeof v !== 'string') this.mismatch(v, n, up, st, key, frozen, 'string', false, true);
        return;
      case SCHEMA_OR_BOOL:
      case SCHEMA_OR_ARRAY:
      case SCHEMA_OR_STRINGS: {
        // JSONSchemaProps' wrappers decode their content with a nested json.Unmarshal, whose
        // errors the outer decoder reports at the wrapper's field.
        const inner = frozen ?? ctxOf(up, st, key);
        if (isObj && !isArr) this.check(v, n.elem!, inner, '', null, inner);
        else if (isArr && n.k === SCHEMA_OR_ARRAY) this.push(v, { k: SLICE, go: '[]v1.JSONSchemaProps', elem: n.elem! }, null, inner, inner);
        else if (isArr && n.k === SCHEMA_OR_STRINGS) this.push(v, STRING_SLICE, null, inner, inner);
        else if (n.k === SCHEMA_OR_BOOL && typeof v !== 'boolean') this.fail('boolean or JSON schema expected', true);
        return;
      }
    }
  }

  checkUnstructured(v: unknown, n: TypeNode, ctx: Ctx | null): void {
    const st = unstructuredKind(v);
    switch (n.k) {
      case STRING:
        if (st === 'string') return;
        this.fail(st === 'int64' ? `cannot convert int64 to ${n.go}` : 'unrecognized type: string', true);
        return;
      case BOOL:
        if (st !== 'bool') this.fail('unrecognized type: bool', true);
        return;
      case INT:
        // Go converts int64 into any integer kind without a range check; whole floats are truncated.
        if (st === 'int64') return;
        this.fail(st === 'float64' ? `cannot convert float64 to ${n.go}` : `unrecognized type: ${n.kind}`, true);
        return;
      case FLOAT:
        if (st !== 'int64' && st !== 'float64') this.fail('unrecognized type: float64', true);
        return;
      case BYTES:
        if (st === 'string') {
          const at = base64ErrorOffset(v as string);
          if (at >= 0) this.fail(`error decoding from json: illegal base64 data at input byte ${at}`, true);
        } else if (st !== 'slice') this.fail(`cannot restore slice from ${st}`, true);
        return;
      case STRUCT:
        if (st === 'map') this.push(v, n, Object.keys(v as object), ctx, null);
        else this.fail(`cannot restore struct from: ${st}`, true);
        return;
      case MAP:
        if (st === 'map') {
          if (n.elem!.k !== ANY) this.push(v, n, Object.keys(v as object), ctx, null);
        } else this.fail(`cannot restore map from ${st}`, true);
        return;
      case SLICE:
        if (st === 'slice') {
          if (n.elem!.k !== ANY) this.push(v, n, null, ctx, null);
        } else this.fail(`cannot restore slice from ${st}`, true);
        return;
      case INTSTR:
      case QUANTITY:
      case TIME:
      case SCHEMA_OR_BOOL:
      case SCHEMA_OR_ARRAY:
      case SCHEMA_OR_STRINGS: {
        // The value is re-encoded to JSON and handed to the type's own UnmarshalJSON.
        const err = walk(v, n, JSON_MODE, false);
        if (err) this.fail(err, true);
        return;
      }
    }
  }

  run(root: unknown, rootNode: TypeNode): string | undefined {
    const stack = this.stack;
    this.check(root, rootNode, null, '', null, null);
    while (stack.length > 0 && this.fatal === undefined) {
      const f = stack[stack.length - 1]!;
      const n = f.n;
      if (f.keys === null) {
        const arr = f.v as unknown[];
        if (f.i >= arr.length) {
          stack.pop();
          continue;
        }
        this.check(arr[f.i++], n.elem!, f.ctx, '', null, f.frozen);
        continue;
      }
      if (f.i >= f.keys.length) {
        stack.pop();
        continue;
      }
      const key = f.keys[f.i++]!;
      if (n.k === STRUCT) {
        const child = n.fields!.get(key);
        // Unknown fields are the strict decoder's business (fieldvalidation-scan.ts).
        if (child === undefined || child.k === ANY) continue;
        this.check(f.v[key], child, f.ctx, n.name!, key, f.frozen);
      } else this.check(f.v[key], n.elem!, f.ctx, '', null, f.frozen);
    }
    return this.fatal ?? this.saved;
  }
}

function ctxOf(up: Ctx | null, st: string, key: string | null): Ctx | null {
  return key === null ? up : { st, key, up };
}

const BYTE_SLICE: TypeNode = { k: SLICE, go: '[]uint8', elem: intNode('uint8') };
const STRING_SLICE: TypeNode = { k: SLICE, go: '[]string', elem: { k: STRING, go: 'string' } };

// ---- API ---------------------------------------------------------------------------------------

/**
 * The decoding error kube-apiserver's JSON decoder gives a body of this built-in kind whose JSON
 * types do not fit the Go types: `json: cannot unmarshal bool into Go struct field
 * Container.spec.template.spec.containers.name of type string`, `json: cannot unmarshal number
 * 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32`, a Quantity's parse error,
 * `illegal base64 data at input byte 4`. Go reports one error: the list holds at most one. null
 * fits every field; unknown fields are not looked at; custom resources give []. `sortKeys` walks
 * objects in sorted key order, as a body converted from YAML (or re-encoded from a Go map) is.
 */
export function findTypeErrors(apiVersion: string, kind: string, obj: unknown, sortKeys = false): string[] {
  const root = typeFor(apiVersion, kind);
  if (!root) return [];
  // Whether there is an error does not depend on the order: the sorted walk (which sorts every
  // object's keys) only runs to tell which error comes first.
  let err = walk(obj, root, JSON_MODE, false);
  if (err !== undefined && sortKeys) err = walk(obj, root, JSON_MODE, true);
  return err === undefined ? [] : [err];
}

/**
 * The error runtime.DefaultUnstructuredConverter.FromUnstructured gives when the result of a
 * strategic merge patch is converted to the Go type (`cannot convert int64 to string`,
 * `unrecognized type: int32`, `cannot restore slice from map`), or undefined.
 */
export function findUnstructuredTypeError(apiVersion: string, kind: string, obj: unknown): string | undefined {
  const root = typeFor(apiVersion, kind);
  return root ? walk(obj, root, UNSTRUCTURED_MODE, false) : undefined;
}
