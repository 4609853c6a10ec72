// Custom resource values against a CRD version's structural OpenAPI v3 schema, as
// apiextensions-apiserver does it: pruning of unknown fields, defaulting, and schema validation
// (kube-openapi's validator, its errors converted to field errors with upstream's wording).
import type { FieldError } from '../machinery/errors.ts';
import { duplicate, invalid, notSupported, required } from '../machinery/errors.ts';

/** JSONSchemaProps as CRDs carry it (apiextensions.k8s.io/v1). */
export interface Schema {
  type?: string;
  format?: string;
  description?: string;
  nullable?: boolean;
  default?: unknown;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  pattern?: string;
  maximum?: number;
  minimum?: number;
  exclusiveMaximum?: boolean;
  exclusiveMinimum?: boolean;
  multipleOf?: number;
  maxLength?: number;
  minLength?: number;
  maxItems?: number;
  minItems?: number;
  uniqueItems?: boolean;
  maxProperties?: number;
  minProperties?: number;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  not?: Schema;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: string;
  'x-kubernetes-validations'?: ValidationRule[];
  [k: string]: unknown;
}

export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The JSON type name of a value as kube-openapi prints it. */
export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'string') return 'string';
  return 'object';
}

const child = (path: string, k: string) => (path ? `${path}.${k}` : k);

/** The property schema of a field: a declared property or additionalProperties. */
function propSchema(s: Schema, k: string): Schema | undefined {
  const p = s.properties?.[k];
  if (p) return p;
  if (isObj(s.additionalProperties)) return s.additionalProperties as Schema;
  return undefined;
}

// ---- pruning -------------------------------------------------------------------------------

/** ObjectMeta fields kept at the root and in embedded resources (the rest is pruned). */
const META_FIELDS = new Set([
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
]);

/**
 * Removes, in place, every field the schema does not declare (x-kubernetes-preserve-unknown-fields
 * keeps them); returns the removed paths (`spec.foo`) for strict field validation. At the root and
 * in embedded resources apiVersion, kind and metadata are kept (metadata pruned to ObjectMeta).
 */
export function prune(obj: Json, schema: Schema | undefined): string[] {
  const out: string[] = [];
  pruneObject(obj, schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, '', true, out);
  return out;
}

function pruneMeta(meta: unknown, path: string, out: string[]) {
  if (!isObj(meta)) return;
  for (const k of Object.keys(meta)) {
    if (!META_FIELDS.has(k)) {
      out.push(child(path, k));
      delete meta[k];
    }
  }
}

function pruneObject(v: Json, s: Schema, path: string, resource: boolean, out: string[]) {
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  for (const k of Object.keys(v)) {
    if (resource && (k === 'apiVersion' || k === 'kind')) continue;
    if (resource && k === 'metadata') {
      pruneMeta(v[k], child(path, k), out);
      continue;
    }
    const ps = propSchema(s, k);
    if (!ps) {
      if (preserve || s.additionalProperties === true) continue;
      out.push(child(path, k));
      delete v[k];
      continue;
    }
    pruneValue(v[k], ps, child(path, k), out);
  }
}

function pruneValue(v: unknown, s: Schema, path: string, out: string[]) {
  if (Array.isArray(v)) {
    if (s.items) for (let i = 0; i < v.length; i++) pruneValue(v[i], s.items, `${path}[${i}]`, out);
    return;
  }
  if (isObj(v)) {
    if (!s.properties && !isObj(s.additionalProperties) && s['x-kubernetes-embedded-resource'] !== true) {
      // An object without structure keeps everything only when it says so.
      if (s['x-kubernetes-preserve-unknown-fields'] === true || s.additionalProperties === true) return;
    }
    pruneObject(v, s, path, s['x-kubernetes-embedded-resource'] === true, out);
  }
}

// ---- defaulting ----------------------------------------------------------------------------

/** Applies `default`s in place, top-down, as structural defaulting does (a null non-nullable field is defaulted too). */
export function applyDefaults(v: unknown, s: Schema | undefined): void {
  if (!s) return;
  if (Array.isArray(v)) {
    if (s.items) for (const it of v) applyDefaults(it, s.items);
    return;
  }
  if (!isObj(v)) return;
  if (s.properties) {
    for (const [k, ps] of Object.entries(s.properties)) {
      if (ps.default !== undefined && (!(k in v) || (v[k] === null && !ps.nullable))) v[k] = structuredClone(ps.default);
      if (k in v) applyDefaults(v[k], ps);
    }
  } else if (isObj(s.additionalProperties)) {
    for (const k of Object.keys(v)) applyDefaults(v[k], s.additionalProperties as Schema);
  }
}

// ---- validation ----------------------------------------------------------------------------

const patternCache = new Map<string, RegExp | null>();
function regex(p: string): RegExp | null {
  let r = patternCache.get(p);
  if (r === undefined) {
    try {
      r = new RegExp(p, 'u');
    } catch {
      r = null;
    }
    patternCache.set(p, r);
  }
  return r;
}

const FORMATS: Record<string, (s: string) => boolean> = {
  'date-time': (s) => /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(s),
  date: (s) => /^\d{4}-\d{2}-\d{2}$/.test(s),
  uuid: (s) => /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/.test(s),
  ipv4: (s) => /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(s),
  email: (s) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(s),
  hostname: (s) => s.length <= 255 && /^[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$/.test(s),
  byte: (s) => /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0,
  duration: (s) => /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(s) || s === '0',
};

function typeError(path: string, v: unknown, want: string): FieldError {
  return invalid(path, typeName(v), `${path} in body must be of type ${want}: "${typeName(v)}"`);
}

/** kube-openapi's validation of one value; appends field errors. */
export function validateValue(v: unknown, s: Schema, path: string, errs: FieldError[]): void {
  if (v === null) {
    if (!s.nullable && s.type) errs.push(typeError(path, v, s.type));
    return;
  }
  if (s['x-kubernetes-int-or-string'] === true) {
    if (!(typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v)))) errs.push(typeError(path, v, 'integer,string'));
  } else {
    switch (s.type) {
      case 'object':
        if (!isObj(v)) return void errs.push(typeError(path, v, 'object'));
        break;
      case 'array':
        if (!Array.isArray(v)) return void errs.push(typeError(path, v, 'array'));
        break;
      case 'string':
        if (typeof v !== 'string') return void errs.push(typeError(path, v, 'string'));
        break;
      case 'integer':
        if (typeof v !== 'number' || !Number.isInteger(v)) return void errs.push(typeError(path, v, 'integer'));
        break;
      case 'number':
        if (typeof v !== 'number') return void errs.push(typeError(path, v, 'number'));
        break;
      case 'boolean':
        if (typeof v !== 'boolean') return void errs.push(typeError(path, v, 'boolean'));
        break;
    }
  }
  if (s.enum && s.enum.length && !s.enum.some((e) => sameValue(e, v))) {
    errs.push(notSupported(path, v, s.enum.map((e) => (typeof e === 'string' ? e : JSON.stringify(e)))));
    if (s.enum.some((e) => typeof e !== 'string')) errs[errs.length - 1]!.detail = `supported values: ${s.enum.map((e) => JSON.stringify(e)).join(', ')}`;
  }
  if (typeof v === 'string') validateString(v, s, path, errs);
  else if (typeof v === 'number') validateNumber(v, s, path, errs);
  else if (Array.isArray(v)) validateArray(v, s, path, errs);
  else if (isObj(v)) validateObject(v, s, path, errs);
  validateCombinators(v, s, path, errs);
}

function validateString(v: string, s: Schema, path: string, errs: FieldError[]) {
  const len = [...v].length;
  if (s.maxLength !== undefined && len > s.maxLength) errs.push({ type: 'FieldValueTooLong', field: path, detail: `may not be more than ${s.maxLength} bytes` });
  if (s.minLength !== undefined && len < s.minLength) errs.push(invalid(path, v, `${path} in body should be at least ${s.minLength} chars long`));
  if (s.pattern !== undefined) {
    const r = regex(s.pattern);
    if (r && !r.test(v)) errs.push(invalid(path, v, `${path} in body should match '${s.pattern}'`));
  }
  if (s.format && FORMATS[s.format] && !FORMATS[s.format]!(v)) errs.push(invalid(path, v, `${path} in body must be of type ${s.format}: ${JSON.stringify(v)}`));
}

function validateNumber(v: number, s: Schema, path: string, errs: FieldError[]) {
  if (s.maximum !== undefined) {
    if (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum) {
      errs.push(invalid(path, v, `${path} in body should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${s.maximum}`));
    }
  }
  if (s.minimum !== undefined) {
    if (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum) {
      errs.push(invalid(path, v, `${path} in body should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${s.minimum}`));
    }
  }
  if (s.multipleOf !== undefined && s.multipleOf !== 0 && !Number.isInteger(v / s.multipleOf)) {
    errs.push(invalid(path, v, `${path} in body should be a multiple of ${s.multipleOf}`));
  }
  if (s.format === 'int32' && (v > 2147483647 || v < -2147483648)) errs.push(invalid(path, v, `${path} in body must be of type int32: "${v}"`));
}

function validateArray(v: unknown[], s: Schema, path: string, errs: FieldError[]) {
  if (s.maxItems !== undefined && v.length > s.maxItems) errs.push({ type: 'FieldValueTooMany', field: path, detail: `${v.length}: must have at most ${s.maxItems} items` });
  if (s.minItems !== undefined && v.length < s.minItems) errs.push(invalid(path, v.length, `${path} in body should have at least ${s.minItems} items`));
  if (s.items) for (let i = 0; i < v.length; i++) validateValue(v[i], s.items, `${path}[${i}]`, errs);
  const lt = s['x-kubernetes-list-type'];
  if (lt === 'set') {
    const seen = new Set<string>();
    for (let i = 0; i < v.length; i++) {
      const k = JSON.stringify(v[i]);
      if (seen.has(k)) errs.push(duplicate(`${path}[${i}]`, v[i]));
      seen.add(k);
    }
  } else if (lt === 'map') {
    const keys = s['x-kubernetes-list-map-keys'] ?? [];
    const seen = new Set<string>();
    for (let i = 0; i < v.length; i++) {
      const it = v[i];
      if (!isObj(it)) continue;
      const keyObj: Json = {};
      for (const k of keys) {
        let kv = it[k];
        if (kv === undefined) kv = s.items?.properties?.[k]?.default;
        if (kv !== undefined) keyObj[k] = kv;
      }
      const id = JSON.stringify(keyObj);
      if (seen.has(id)) errs.push(duplicate(`${path}[${i}]`, keyObj));
      seen.add(id);
    }
  }
}

function validateObject(v: Json, s: Schema, path: string, errs: FieldError[]) {
  for (const r of s.required ?? []) {
    if (!(r in v) || v[r] === undefined) errs.push(required(child(path, r)));
  }
  const n = Object.keys(v).length;
  if (s.maxProperties !== undefined && n > s.maxProperties) errs.push({ type: 'FieldValueTooMany', field: path, detail: `${n}: must have at most ${s.maxProperties} items` });
  if (s.minProperties !== undefined && n < s.minProperties) errs.push(invalid(path, n, `${path} in body should have at least ${s.minProperties} properties`));
  for (const [k, val] of Object.entries(v)) {
    if (val === undefined) continue;
    const ps = s.properties?.[k] ?? (isObj(s.additionalProperties) ? (s.additionalProperties as Schema) : undefined);
    if (ps) validateValue(val, ps, child(path, k), errs);
  }
}

function validateCombinators(v: unknown, s: Schema, path: string, errs: FieldError[]) {
  const passes = (sub: Schema) => {
    const e: FieldError[] = [];
    validateValue(v, { ...sub, type: sub.type ?? undefined }, path, e);
    return e;
  };
  for (const sub of s.allOf ?? []) errs.push(...passes(sub));
  if (s.anyOf?.length) {
    const results = s.anyOf.map(passes);
    if (!results.some((e) => e.length === 0)) {
      errs.push(invalid(path, v, `${path} in body must validate at least one schema (anyOf)`));
      errs.push(...results[0]!);
    }
  }
  if (s.oneOf?.length) {
    const ok = s.oneOf.map(passes).filter((e) => e.length === 0).length;
    if (ok !== 1) errs.push(invalid(path, v, `${path} in body must validate one and only one schema (oneOf)`));
  }
  if (s.not && passes(s.not).length === 0) errs.push(invalid(path, v, `${path} in body should not be valid against schema (not)`));
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Validates a custom resource against its version's schema. The root's apiVersion, kind and
 * metadata are left to ObjectMeta validation, as upstream does.
 */
export function validateResource(obj: Json, schema: Schema | undefined): FieldError[] {
  const errs: FieldError[] = [];
  if (!schema) return errs;
  const props = schema.properties ?? {};
  for (const r of schema.required ?? []) {
    if (r === 'metadata' || r === 'apiVersion' || r === 'kind') continue;
    if (obj[r] === undefined) errs.push(required(r));
  }
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'metadata' || v === undefined) continue;
    const ps = props[k] ?? (isObj(schema.additionalProperties) ? (schema.additionalProperties as Schema) : undefined);
    if (ps) validateValue(v, ps, k, errs);
  }
  // metadata.name / generateName may carry a schema (string constraints only).
  const ms = props.metadata?.properties;
  const meta = obj.metadata as Json | undefined;
  if (ms && isObj(meta)) {
    for (const k of ['name', 'generateName']) if (ms[k] && typeof meta[k] === 'string') validateValue(meta[k], ms[k]!, `metadata.${k}`, errs);
  }
  return errs;
}
