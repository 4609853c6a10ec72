// Server-side field validation (?fieldValidation=Strict|Warn|Ignore), as kube-apiserver's
// create/update/patch handlers do it: strict decoding errors for unknown and duplicate fields
// become a 400 (create/update) or 422 (patch) under Strict, `Warning` headers under Warn (the
// default), nothing under Ignore; unknown fields are never stored. JSON types that do not decode
// into the Go types (fieldvalidation-types.ts) fail the request in every mode.

import { badRequest, invalid, invalidError, notSupported, StatusError } from '../machinery/errors.ts';
import type { ShapeNode } from './fieldvalidation-schema.ts';
import { ANY_NODE, ARRAY, MAP, SKIP, SKIP_NODE, STRUCT, shapeFor } from './fieldvalidation-schema.ts';
import type { StrictFinding } from './fieldvalidation-scan.ts';
import { MAX_STRICT_ERRORS, scanStrict } from './fieldvalidation-scan.ts';
import { findTypeErrors, findUnstructuredTypeError } from './fieldvalidation-types.ts';

export { findTypeErrors, findUnstructuredTypeError };

export type FieldValidationMode = 'Strict' | 'Warn' | 'Ignore';
export type WriteOperation = 'create' | 'update' | 'patch';

const OPTIONS_KIND: Record<WriteOperation, string> = { create: 'CreateOptions', update: 'UpdateOptions', patch: 'PatchOptions' };
const SUPPORTED = ['', 'Ignore', 'Strict', 'Warn'];

/**
 * The directive of a `fieldValidation` query value: absent or empty means Warn (upstream's
 * default since the feature went GA). Anything else is refused before the body is read, as
 * ValidateCreateOptions/UpdateOptions/PatchOptions do: 422 `CreateOptions.meta.k8s.io "" is
 * invalid: fieldValidation: Unsupported value: "x": supported values: "", "Ignore", "Strict", "Warn"`.
 */
export function parseFieldValidation(value: string | null | undefined, operation: WriteOperation = 'create'): FieldValidationMode {
  if (value === undefined || value === null || value === '') return 'Warn';
  if (value === 'Strict' || value === 'Warn' || value === 'Ignore') return value;
  const kind = OPTIONS_KIND[operation];
  const err = invalidError(`${kind}.meta.k8s.io`, 'meta.k8s.io', '', [notSupported('fieldValidation', value, SUPPORTED)]);
  if (err.status.details) err.status.details.kind = kind;
  throw err;
}

// ---- walking a decoded object ----------------------------------------------------------------

interface Pending {
  value: unknown;
  node: ShapeNode;
  path: string;
  /** set when this entry reports an unknown key of `value` rather than visiting it */
  unknownKey?: string;
}

/**
 * Walks `obj` by shape, iteratively. `onUnknown(container, key, path)` is called for each key a
 * struct does not declare; values of the wrong JSON type are not looked into (Go fails to decode
 * them and reports nothing inside).
 */
function walkUnknown(obj: unknown, root: ShapeNode, onUnknown: (container: Record<string, unknown>, key: string, path: string) => void, sortKeys = false): void {
  // Frames know their parent and key: the dotted path is spelled out only for an unknown key.
  const stack: Frame[] = [{ value: obj, node: root, up: undefined, key: '' }];
  while (stack.length) {
    const f = stack.pop()!;
    const { value, node } = f;
    if (f.unknownKey !== undefined) {
      onUnknown(value as Record<string, unknown>, f.unknownKey, childPath(f.up!, f.unknownKey));
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (node.kind === ARRAY) {
      if (!Array.isArray(value)) continue;
      const elem = node.elem!;
      for (let i = value.length - 1; i >= 0; i--) {
        const v = value[i];
        if (v !== null && typeof v === 'object') stack.push({ value: v, node: elem, up: f, key: i });
      }
      continue;
    }
    if (Array.isArray(value)) continue;
    const rec = value as Record<string, unknown>;
    if (node.kind === STRUCT) {
      const fields = node.fields!;
      const keys = sortKeys ? Object.keys(rec).sort() : Object.keys(rec);
      // Pushed in reverse so that findings come out in document (key) order.
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        const child = fields.get(key);
        if (child === undefined) {
          stack.push({ value: rec, node, up: f, key: '', unknownKey: key });
          continue;
        }
        if (child.kind === SKIP) continue;
        const v = rec[key];
        if (v !== null && typeof v === 'object') stack.push({ value: v, node: child, up: f, key });
      }
    } else if (node.kind === MAP) {
      const elem = node.elem!;
      if (elem.kind === SKIP) continue;
      const keys = sortKeys ? Object.keys(rec).sort() : Object.keys(rec);
      for (let i = keys.length - 1; i >= 0; i--) {
        const v = rec[keys[i]!];
        if (v !== null && typeof v === 'object') stack.push({ value: v, node: elem, up: f, key: keys[i]! });
      }
    }
  }
}

interface Frame {
  value: unknown;
  node: ShapeNode;
  up: Frame | undefined;
  /** The key (or list index) of `value` in the parent's value. */
  key: string | number;
  /** Set when this frame reports an unknown key of `value` (the frame `up`'s) rather than visiting it. */
  unknownKey?: string;
}

/** The dotted path of a frame's value (`spec.containers[0]`). */
function framePath(f: Frame): string {
  if (!f.up) return '';
  return childPath(f.up, f.key);
}

/** The dotted path of `key` in a frame's value. */
function childPath(f: Frame, key: string | number): string {
  const base = framePath(f);
  if (typeof key === 'number') return `${base}[${key}]`;
  return base ? `${base}.${key}` : key;
}

/**
 * Paths of the fields of `obj` that its kind's schema does not declare, as the strict decoder
 * prints them (`spec.template.spec.containers[0].imagePullpolicy`). [] for kinds without a
 * built-in schema (custom resources).
 */
export function findUnknownFields(apiVersion: string, kind: string, obj: unknown): string[] {
  const root = shapeFor(apiVersion, kind);
  if (!root) return [];
  const out: string[] = [];
  walkUnknown(obj, root, (_c, _k, path) => out.push(path));
  return out;
}

/** Removes, in place, every field the kind's schema does not declare (Go drops them on decode). */
export function pruneUnknownFields(apiVersion: string, kind: string, obj: unknown): void {
  const root = shapeFor(apiVersion, kind);
  if (!root) return;
  walkUnknown(obj, root, (container, key) => {
    delete container[key];
  });
}

/**
 * Duplicate keys in raw JSON text, with their paths (`metadata.labels.app`, `spec.replicas`),
 * in document order, deduplicated. Linear and iterative; malformed JSON yields [].
 */
export function findDuplicateFields(json: string): string[] {
  const found = scanStrict(json, ANY_NODE, false);
  return found ? found.map((f) => f.path) : [];
}

// ---- the strict decoding error list ----------------------------------------------------------

function findingText(f: StrictFinding): string {
  return `${f.type === 'unknown' ? 'unknown field' : 'duplicate field'} ${JSON.stringify(f.path)}`;
}

/**
 * The strict decoding errors of a create/update body (`unknown field "spec.foo"`,
 * `duplicate field "spec.replicas"`), in the order upstream lists them. With the raw JSON text
 * the scan is exact (document order, duplicates included); without it only unknown fields of
 * the decoded object are found.
 */
export function strictDecodingErrors(apiVersion: string, kind: string, obj: unknown, rawJson?: string): string[] {
  const root = shapeFor(apiVersion, kind);
  if (rawJson !== undefined) {
    const found = scanStrict(rawJson, root ?? ANY_NODE);
    if (found) return found.map(findingText);
  }
  if (!root) return [];
  const out: string[] = [];
  walkUnknown(obj, root, (_c, _k, path) => {
    if (out.length < MAX_STRICT_ERRORS) out.push(findingText({ type: 'unknown', path }));
  });
  return out;
}

function groupVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/**
 * Field validation of a create or update body. Under Strict, unknown or duplicate fields throw
 * 400 `Deployment in version "v1" cannot be handled as a Deployment: strict decoding error:
 * unknown field "spec.foo", duplicate field "spec.replicas"`. Under Warn (also when the
 * parameter is absent) they come back as warnings, one per error, as the `Warning` header text
 * without its `299 - ` prefix. Under Warn and Ignore, unknown fields are removed from `obj`.
 * An unsupported mode throws the 422 of parseFieldValidation.
 */
export function checkFieldValidation(
  mode: FieldValidationMode | string | undefined,
  apiVersion: string,
  kind: string,
  obj: unknown,
  rawJson?: string,
  operation: WriteOperation = 'create',
): { warnings: string[] } {
  const directive = parseFieldValidation(mode, operation);
  // A JSON type that does not fit the Go type fails the decoding itself, before (and instead of)
  // any strict decoding error, whatever the directive. Bodies that were not JSON came from YAML,
  // whose conversion to JSON sorts the keys.
  const typeError = findTypeErrors(apiVersion, kind, obj, rawJson === undefined)[0];
  if (typeError !== undefined) {
    throw badRequest(`${kind} in version ${JSON.stringify(groupVersion(apiVersion).version)} cannot be handled as a ${kind}: ${typeError}`);
  }
  if (directive === 'Ignore') {
    pruneUnknownFields(apiVersion, kind, obj);
    return { warnings: [] };
  }
  const errs = strictDecodingErrors(apiVersion, kind, obj, rawJson);
  if (errs.length === 0) return { warnings: [] };
  if (directive === 'Strict') {
    const { version } = groupVersion(apiVersion);
    throw badRequest(`${kind} in version ${JSON.stringify(version)} cannot be handled as a ${kind}: strict decoding error: ${errs.join(', ')}`);
  }
  pruneUnknownFields(apiVersion, kind, obj);
  return { warnings: errs };
}

// ---- patches ---------------------------------------------------------------------------------

export type PatchKind = 'json' | 'merge' | 'strategic';

const PATCH_KINDS: Record<string, PatchKind> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  json: 'json',
  merge: 'merge',
  strategic: 'strategic',
};

/** The operations of a JSON patch decode into a struct {op, path, from, value interface{}}. */
const JSON_PATCH_SHAPE: ShapeNode = {
  kind: ARRAY,
  elem: { kind: STRUCT, fields: new Map([['op', SKIP_NODE], ['path', SKIP_NODE], ['from', SKIP_NODE], ['value', ANY_NODE]]) },
};

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The part of `patched` a merge-style patch reached: at each object level the keys the patch
 * names (directives and deletions name none); a value the patch replaced or merged as a list is
 * taken whole. `owner` maps each new level to the object of `patched` it stands for. Without a
 * decoded patch, all of `patched`.
 */
function reached(patched: unknown, patch: unknown, owner: Map<object, Record<string, unknown>>): unknown {
  if (!isRecord(patch) || !isRecord(patched)) return patched;
  const out: Record<string, unknown> = {};
  owner.set(out, patched);
  for (const k in patched) if (k in patch) out[k] = reached(patched[k], patch[k], owner);
  return out;
}

/**
 * Field validation of a JSON, merge or strategic merge patch, after it was applied: `patch` is
 * the request body, `patched` the resulting object (kind and apiVersion of the resource).
 * Upstream collects the strict errors of the patch body itself (duplicate fields; for JSON
 * patches also unknown fields of the operations, prefixed `json patch `) and then the unknown
 * fields of the patched object. Under Strict they throw 422 `"" is invalid: patch: Invalid
 * value: "<patched object or patch map>": strict decoding error: …`; under Warn they are
 * returned as warnings; unknown fields are removed from `patched` under Warn and Ignore.
 * `decoded` (the patch as decoded, when the caller has it) lets a merge or strategic merge patch
 * be checked where it reached only: the rest of `patched` is the stored object, which decoded
 * and was pruned when it was written (built-in kinds' schemas do not change).
 */
export function checkPatchFieldValidation(
  mode: FieldValidationMode | string | undefined,
  patchType: string,
  apiVersion: string,
  kind: string,
  patch: string,
  patched: unknown,
  decoded?: unknown,
): { warnings: string[] } {
  const directive = parseFieldValidation(mode, 'patch');
  const pk = PATCH_KINDS[patchType.split(';')[0]!.trim()];
  const owner = new Map<object, Record<string, unknown>>();
  const view = pk === 'merge' || pk === 'strategic' ? reached(patched, decoded, owner) : patched;
  const prune = () => {
    const root = shapeFor(apiVersion, kind);
    if (root) walkUnknown(view, root, (container, key) => void delete (owner.get(container) ?? container)[key]);
  };
  // The patched object must decode into the Go type whatever the directive; that error wins over
  // strict decoding errors. JSON and merge patches decode the patched JSON (keys sorted, as Go
  // re-encodes them); strategic merge patches convert the patched map (FromUnstructured).
  if (pk === 'strategic') {
    const err = findUnstructuredTypeError(apiVersion, kind, view);
    if (err !== undefined) throw invalidError('', '', '', [invalid('patch', goValueString(parsePatchMap(patch)), err)]);
  } else if (pk) {
    const err = findTypeErrors(apiVersion, kind, view, true)[0];
    if (err !== undefined) throw invalidError('', '', '', [invalid('patch', goJSON(patched), err)]);
  }
  if (directive === 'Ignore' || !pk) {
    prune();
    return { warnings: [] };
  }
  const errs: string[] = [];
  const patchFindings = scanStrict(patch, pk === 'json' ? JSON_PATCH_SHAPE : ANY_NODE) ?? [];
  for (const f of patchFindings) errs.push(pk === 'json' ? 'json patch ' + findingText(f) : findingText(f));
  const root = shapeFor(apiVersion, kind);
  if (root) {
    // JSON and merge patches re-encode the result from a Go map, so its keys come out sorted.
    walkUnknown(view, root, (_c, _k, path) => errs.push(findingText({ type: 'unknown', path })), pk !== 'strategic');
  }
  if (errs.length === 0) return { warnings: [] };
  if (directive === 'Strict') {
    let shown: string;
    if (pk === 'strategic') shown = goValueString(parsePatchMap(patch));
    else shown = goJSON(patched);
    throw invalidError('', '', '', [invalid('patch', shown, `strict decoding error: ${errs.join(', ')}`)]);
  }
  prune();
  return { warnings: errs };
}

function parsePatchMap(patch: string): unknown {
  try {
    return JSON.parse(patch);
  } catch {
    return {};
  }
}

// ---- server-side apply ------------------------------------------------------------------------

/** structured-merge-diff's rendering of a key value in a path element (`"web"`, `80`). */
function smdValue(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : v === null || v === undefined ? 'null' : String(v);
}

/**
 * The undeclared fields server-side apply finds when it types the applied configuration,
 * whatever the fieldValidation directive: `.spec.foo: field not declared in schema`, with
 * structured-merge-diff paths (`.spec.template.spec.containers[name="web"].foo`,
 * `.ports[containerPort=80,protocol="TCP"]`). Like structured-merge-diff, it stops at the
 * first undeclared field of each object. [] for kinds without a built-in schema.
 */
export function findUndeclaredApplyFields(apiVersion: string, kind: string, obj: unknown): string[] {
  const root = shapeFor(apiVersion, kind);
  if (!root) return [];
  const out: string[] = [];
  const stack: Pending[] = [{ value: obj, node: root, path: '' }];
  while (stack.length) {
    const { value, node, path } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (node.kind === ARRAY) {
      if (!Array.isArray(value)) continue;
      const later: Pending[] = [];
      value.forEach((item, i) => {
        if (item === null || typeof item !== 'object') return;
        let pe = `[${i}]`;
        const keys = node.listKeys;
        if (keys && !Array.isArray(item)) {
          const rec = item as Record<string, unknown>;
          const parts: string[] = [];
          for (const k of keys) {
            // The schema defaults a port's protocol to TCP; other missing keys fall back to the index.
            const v = rec[k] ?? (k === 'protocol' ? 'TCP' : undefined);
            if (v === undefined) break;
            parts.push(`${k}=${smdValue(v)}`);
          }
          if (parts.length === keys.length) pe = `[${parts.join(',')}]`;
        }
        later.push({ value: item, node: node.elem!, path: path + pe });
      });
      for (let i = later.length - 1; i >= 0; i--) stack.push(later[i]!);
      continue;
    }
    if (Array.isArray(value)) continue;
    const rec = value as Record<string, unknown>;
    const later: Pending[] = [];
    if (node.kind === STRUCT) {
      for (const key of Object.keys(rec)) {
        const child = node.fields!.get(key);
        if (child === undefined) {
          out.push(`${path}.${key}: field not declared in schema`);
          break;
        }
        if (child.kind !== SKIP) later.push({ value: rec[key], node: child, path: `${path}.${key}` });
      }
    } else if (node.kind === MAP && node.elem!.kind !== SKIP) {
      for (const key of Object.keys(rec)) later.push({ value: rec[key], node: node.elem!, path: `${path}.${key}` });
    }
    for (let i = later.length - 1; i >= 0; i--) stack.push(later[i]!);
  }
  return out;
}

/**
 * The error kube-apiserver answers a server-side apply whose configuration has undeclared
 * fields with (a plain error upstream, so 500 with no reason): `failed to create typed patch
 * object (default/web; apps/v1, Kind=Deployment): .spec.foo: field not declared in schema`.
 * Undefined when the configuration types cleanly.
 */
export function applyTypedPatchError(apiVersion: string, kind: string, obj: unknown): StatusError | undefined {
  const errs = findUndeclaredApplyFields(apiVersion, kind, obj);
  if (errs.length === 0) return undefined;
  const meta = ((obj as Record<string, any> | null)?.metadata ?? {}) as Record<string, unknown>;
  const { group, version } = groupVersion(apiVersion);
  const where = `${typeof meta.namespace === 'string' ? meta.namespace : ''}/${typeof meta.name === 'string' ? meta.name : ''}; ${group}/${version}, Kind=${kind}`;
  const detail = errs.length === 1 ? errs[0]! : ['errors:', ...errs.map((e) => '  ' + e)].join('\n');
  return new StatusError(500, '', `failed to create typed patch object (${where}): ${detail}`);
}

// ---- Go renderings used in upstream messages -------------------------------------------------

/** `fmt.Sprintf("%+v", v)` of a decoded JSON value (map[string]interface{} and friends). */
export function goValueString(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return goNumber(v);
  if (Array.isArray(v)) return '[' + v.map(goValueString).join(' ') + ']';
  if (typeof v === 'object') {
    const rec = v as Record<string, unknown>;
    return 'map[' + Object.keys(rec).sort().map((k) => `${k}:${goValueString(rec[k])}`).join(' ') + ']';
  }
  return String(v);
}

/** int64 for whole numbers (the decoder keeps integers), otherwise Go's %v of a float64. */
function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 63) return BigInt(n).toString();
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 6) {
    const [mant, e] = n.toExponential().split('e') as [string, string];
    const sign = e.startsWith('-') ? '-' : '+';
    const digits = e.replace(/^[+-]/, '');
    return `${mant}e${sign}${digits.length < 2 ? '0' + digits : digits}`;
  }
  return String(n);
}

/** encoding/json's Marshal of a map: keys sorted, <, > and & escaped. */
export function goJSON(v: unknown): string {
  const text = JSON.stringify(v, (_k, val: unknown) => {
    if (val && typeof val === 'object' && !Array.isArray(val)) {
      const rec = val as Record<string, unknown>;
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(rec).sort()) sorted[k] = rec[k];
      return sorted;
    }
    return val;
  });
  return (text ?? 'null').replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

