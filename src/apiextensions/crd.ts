// CustomResourceDefinition validation and registry strategy (apiextensions-apiserver
// pkg/apis/apiextensions/validation and pkg/registry/customresourcedefinition): names, group,
// scope, versions with one storage version, structural schemas, subresources, printer columns,
// selectable fields; status reset on create, storedVersions, and the cleanup finalizer on delete.
import type { FieldError } from '../machinery/errors.ts';
import { forbiddenField, invalid, notSupported, required } from '../machinery/errors.ts';
import { isDNS1123Label, isDNS1123Subdomain } from '../machinery/validation.ts';
import type { Strategy } from '../apiserver/registry/strategy.ts';
import type { Obj } from '../apiserver/types.ts';
import { ruleCompileErrors } from './cel.ts';
import type { Schema } from './schema.ts';

export const CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const COLUMN_TYPES = ['integer', 'number', 'string', 'boolean', 'date'];
const COLUMN_FORMATS = ['int32', 'int64', 'float', 'double', 'byte', 'date', 'date-time', 'password'];

/** The version marked `storage: true` (undefined when there is not exactly one). */
export function storageVersion(crd: Obj): string | undefined {
  const vs = (crd.spec?.versions ?? []).filter((v: Obj) => v?.storage === true);
  return vs.length === 1 ? vs[0].name : undefined;
}

function labelErrs(v: string): string[] {
  return isDNS1123Label(v);
}

function validateNames(names: unknown, path: string, errs: FieldError[]) {
  if (!isObj(names)) {
    errs.push(required(`${path}.plural`), required(`${path}.kind`), required(`${path}.listKind`));
    return;
  }
  const plural = names.plural;
  if (!plural) errs.push(required(`${path}.plural`));
  else for (const m of labelErrs(plural)) errs.push(invalid(`${path}.plural`, plural, m));
  if (names.singular) for (const m of labelErrs(names.singular)) errs.push(invalid(`${path}.singular`, names.singular, m));
  const kindRe = /^[A-Za-z][-_A-Za-z0-9]*$/;
  const lowerKind = (k: string) => k.toLowerCase();
  if (!names.kind) errs.push(required(`${path}.kind`));
  else if (!kindRe.test(names.kind) || lowerKind(names.kind) !== lowerKind(names.kind).replace(/[^a-z0-9_-]/g, '')) {
    errs.push(invalid(`${path}.kind`, names.kind, 'may have mixed case, but should otherwise match: ' + lowerCaseDesc));
  }
  if (!names.listKind) errs.push(required(`${path}.listKind`));
  else if (names.listKind === names.kind) errs.push(invalid(`${path}.listKind`, names.listKind, 'kind and listKind may not be the same'));
  else if (!kindRe.test(names.listKind)) errs.push(invalid(`${path}.listKind`, names.listKind, 'may have mixed case, but should otherwise match: ' + lowerCaseDesc));
  (names.shortNames ?? []).forEach((s: string, i: number) => {
    for (const m of labelErrs(s)) errs.push(invalid(`${path}.shortNames[${i}]`, s, m));
  });
  (names.categories ?? []).forEach((s: string, i: number) => {
    for (const m of labelErrs(s)) errs.push(invalid(`${path}.categories[${i}]`, s, m));
  });
}
const lowerCaseDesc = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

// ---- structural schema -----------------------------------------------------------------------

/**
 * Structural schema checks (apiextensions-apiserver pkg/apiserver/schema: ValidateStructural):
 * types everywhere below the root, items for arrays, no additionalProperties beside properties,
 * metadata limited to name and generateName, int-or-string without a type.
 */
export function structuralErrors(s: unknown, path: string, errs: FieldError[], root = true): void {
  if (!isObj(s)) return;
  const sc = s as Schema;
  const preserve = sc['x-kubernetes-preserve-unknown-fields'] === true;
  const intOrString = sc['x-kubernetes-int-or-string'] === true;
  if (intOrString) {
    if (sc.type) errs.push(invalid(`${path}.type`, sc.type, 'must be empty if x-kubernetes-int-or-string is true'));
  } else if (!sc.type) {
    if (root) errs.push(required(`${path}.type`, 'must not be empty at the root'));
    else if (!preserve) errs.push(required(`${path}.type`, 'must not be empty for specified object fields'));
  } else if (!['object', 'array', 'string', 'integer', 'number', 'boolean'].includes(sc.type)) {
    errs.push(notSupported(`${path}.type`, sc.type, ['array', 'boolean', 'integer', 'number', 'object', 'string']));
  }
  if (root && sc.type && sc.type !== 'object') errs.push(invalid(`${path}.type`, sc.type, 'must be object at the root'));
  if (sc.type === 'array' && !sc.items) errs.push(required(`${path}.items`, 'must be specified'));
  if (sc.properties && sc.additionalProperties !== undefined && sc.additionalProperties !== false) {
    errs.push(forbiddenField(`${path}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'));
  }
  if (sc.uniqueItems === true) errs.push(forbiddenField(`${path}.uniqueItems`, 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic'));
  const lt = sc['x-kubernetes-list-type'];
  if (lt !== undefined) {
    if (!['atomic', 'set', 'map'].includes(lt)) errs.push(notSupported(`${path}.x-kubernetes-list-type`, lt, ['atomic', 'set', 'map']));
    if (sc.type !== 'array') errs.push(invalid(`${path}.type`, sc.type ?? '', 'must be array if x-kubernetes-list-type is specified'));
    if (lt === 'map') {
      const keys = sc['x-kubernetes-list-map-keys'];
      if (!Array.isArray(keys) || keys.length === 0) errs.push(required(`${path}.x-kubernetes-list-map-keys`, 'must not be empty if x-kubernetes-list-type is map'));
      else if (sc.items?.type !== 'object') errs.push(invalid(`${path}.items.type`, sc.items?.type ?? '', 'must be object if parent array\'s x-kubernetes-list-type is map'));
      else {
        keys.forEach((k, i) => {
          const ks = sc.items?.properties?.[k];
          if (!ks) errs.push(invalid(`${path}.x-kubernetes-list-map-keys[${i}]`, k, 'entries must all be names of item properties'));
          else if (!(sc.items?.required ?? []).includes(k) && ks.default === undefined) {
            errs.push(required(`${path}.items.properties[${k}].default`, 'this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property'));
          }
        });
      }
    } else if (sc['x-kubernetes-list-map-keys'] !== undefined) {
      errs.push(forbiddenField(`${path}.x-kubernetes-list-map-keys`, 'must be empty if x-kubernetes-list-type is not map'));
    }
  }
  if (root && sc.properties?.metadata) {
    const m = sc.properties.metadata;
    const extra = Object.keys(m).filter((k) => !['type', 'properties', 'description'].includes(k));
    const props = Object.keys(m.properties ?? {}).filter((k) => k !== 'name' && k !== 'generateName');
    if (m.type && m.type !== 'object') errs.push(invalid(`${path}.properties[metadata].type`, m.type, 'must be object'));
    if (extra.length || props.length) {
      errs.push(forbiddenField(`${path}.properties[metadata]`, 'must not specify anything other than name and generateName, but metadata is implicitly specified'));
    }
  }
  for (const [k, p] of Object.entries(sc.properties ?? {})) {
    if (root && k === 'metadata') continue;
    structuralErrors(p, `${path}.properties[${k}]`, errs, false);
  }
  if (sc.items) structuralErrors(sc.items, `${path}.items`, errs, false);
  if (isObj(sc.additionalProperties)) structuralErrors(sc.additionalProperties, `${path}.additionalProperties`, errs, false);
  // Value validations under the logical junctors may not carry structure (a simplified check).
  for (const j of ['allOf', 'anyOf', 'oneOf'] as const) {
    (sc[j] ?? []).forEach((x, i) => {
      if (isObj(x) && ((x as Schema).type !== undefined || (x as Schema).default !== undefined || (x as Schema).description !== undefined)) {
        const what = (x as Schema).type !== undefined ? 'type' : (x as Schema).default !== undefined ? 'default' : 'description';
        errs.push(forbiddenField(`${path}.${j}[${i}].${what}`, `must be empty to be structural`));
      }
    });
  }
}

// ---- the whole CRD ---------------------------------------------------------------------------

/** A JSONPath to a field of the schema (`.spec.replicas`), or undefined when it names no field. */
export function schemaAt(s: Schema | undefined, jsonPath: string): Schema | undefined {
  if (!jsonPath.startsWith('.')) return undefined;
  let cur = s;
  for (const part of jsonPath.slice(1).split('.')) {
    if (!cur || !part) return undefined;
    cur = cur.properties?.[part] ?? (isObj(cur.additionalProperties) ? (cur.additionalProperties as Schema) : undefined);
  }
  return cur;
}

function validateSpec(crd: Obj, errs: FieldError[]) {
  const spec = crd.spec;
  if (!isObj(spec)) {
    errs.push(required('spec'));
    return;
  }
  const group: unknown = spec.group;
  if (!group) errs.push(required('spec.group'));
  else if (typeof group === 'string') {
    for (const m of isDNS1123Subdomain(group)) errs.push(invalid('spec.group', group, m));
    if (!group.includes('.')) errs.push(invalid('spec.group', group, 'should be a domain with at least one dot'));
  }
  const name = crd.metadata?.name;
  if (spec.names?.plural && group && name !== `${spec.names.plural}.${group}`) {
    errs.push(invalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'));
  }
  if (!spec.scope) errs.push(required('spec.scope'));
  else if (!['Cluster', 'Namespaced'].includes(spec.scope)) errs.push(notSupported('spec.scope', spec.scope, ['Cluster', 'Namespaced']));
  validateNames(spec.names, 'spec.names', errs);
  const versions: Obj[] = Array.isArray(spec.versions) ? spec.versions : [];
  if (versions.length === 0) errs.push(invalid('spec.versions', versions, 'must have exactly one version marked as storage version'));
  const storage = versions.filter((v) => v?.storage === true).length;
  if (versions.length && storage !== 1) errs.push(invalid('spec.versions', versions, 'must have exactly one version marked as storage version'));
  if (versions.length && !versions.some((v) => v?.served === true)) errs.push(invalid('spec.versions', versions, 'must have at least one version marked as served'));
  const seen = new Set<string>();
  versions.forEach((v, i) => {
    const p = `spec.versions[${i}]`;
    if (!v?.name) errs.push(required(`${p}.name`));
    else {
      for (const m of labelErrs(v.name)) errs.push(invalid(`${p}.name`, v.name, m));
      if (seen.has(v.name)) errs.push(invalid('spec.versions', versions, 'must contain unique version names'));
      seen.add(v.name);
    }
    const schema = v?.schema?.openAPIV3Schema;
    const sp = `${p}.schema.openAPIV3Schema`;
    if (!isObj(schema)) errs.push(required(sp, 'schemas are required'));
    else {
      structuralErrors(schema, sp, errs);
      ruleCompileErrors(schema as Schema, sp, errs);
    }
    const sub = v?.subresources;
    if (isObj(sub?.scale)) {
      const sc = sub.scale;
      const sp2 = `${p}.subresources.scale`;
      if (!sc.specReplicasPath) errs.push(required(`${sp2}.specReplicasPath`));
      else if (!String(sc.specReplicasPath).startsWith('.spec.')) errs.push(invalid(`${sp2}.specReplicasPath`, sc.specReplicasPath, 'should start with .spec'));
      else if (isObj(schema) && !schemaAt(schema as Schema, sc.specReplicasPath) && !(schema as Schema).properties?.spec?.['x-kubernetes-preserve-unknown-fields']) {
        errs.push(invalid(`${sp2}.specReplicasPath`, sc.specReplicasPath, 'should be a valid path in the schema'));
      }
      if (!sc.statusReplicasPath) errs.push(required(`${sp2}.statusReplicasPath`));
      else if (!String(sc.statusReplicasPath).startsWith('.status.')) errs.push(invalid(`${sp2}.statusReplicasPath`, sc.statusReplicasPath, 'should start with .status'));
      if (sc.labelSelectorPath && !/^\.(spec|status)\./.test(sc.labelSelectorPath)) {
        errs.push(invalid(`${sp2}.labelSelectorPath`, sc.labelSelectorPath, 'should start with .spec or .status'));
      }
    }
    (v?.additionalPrinterColumns ?? []).forEach((c: Obj, j: number) => {
      const cp = `${p}.additionalPrinterColumns[${j}]`;
      if (!c?.name) errs.push(required(`${cp}.name`));
      if (!c?.type) errs.push(required(`${cp}.type`));
      else if (!COLUMN_TYPES.includes(c.type)) errs.push(notSupported(`${cp}.type`, c.type, COLUMN_TYPES));
      if (c?.format && !COLUMN_FORMATS.includes(c.format)) errs.push(notSupported(`${cp}.format`, c.format, COLUMN_FORMATS));
      if (!c?.jsonPath) errs.push(required(`${cp}.jsonPath`));
      if (c?.priority !== undefined && c.priority < 0) errs.push(invalid(`${cp}.priority`, c.priority, 'must be greater than or equal to 0'));
    });
    const sel: Obj[] = v?.selectableFields ?? [];
    if (sel.length > 8) errs.push({ type: 'FieldValueTooMany', field: `${p}.selectableFields`, detail: `${sel.length}: must have at most 8 items` });
    sel.forEach((f, j) => {
      const fp = `${p}.selectableFields[${j}].jsonPath`;
      if (!f?.jsonPath) return void errs.push(required(fp));
      const at = isObj(schema) ? schemaAt(schema as Schema, f.jsonPath) : undefined;
      if (!at) errs.push(invalid(fp, f.jsonPath, 'is an invalid path: does not refer to a valid field'));
      else if (!['string', 'integer', 'boolean'].includes(at.type ?? '')) {
        errs.push(invalid(fp, f.jsonPath, 'selectable field type must be one of: string, integer, boolean'));
      }
    });
  });
  const conv = spec.conversion?.strategy;
  if (conv !== undefined && !['None', 'Webhook'].includes(conv)) errs.push(notSupported('spec.conversion.strategy', conv, ['None', 'Webhook']));
}

export function validateCRD(crd: Obj): FieldError[] {
  const errs: FieldError[] = [];
  validateSpec(crd, errs);
  return errs;
}

export function validateCRDUpdate(crd: Obj, old: Obj): FieldError[] {
  const errs = validateCRD(crd);
  if (old.spec?.scope && crd.spec?.scope !== old.spec.scope && (old.status?.storedVersions ?? []).length) {
    // Upstream allows a scope change only before anything is stored; conservatively: never.
    errs.push(invalid('spec.scope', crd.spec?.scope, 'field is immutable'));
  }
  if (crd.spec?.group !== old.spec?.group) errs.push(invalid('spec.group', crd.spec?.group, 'field is immutable'));
  const names = new Set((crd.spec?.versions ?? []).map((v: Obj) => v?.name));
  (crd.status?.storedVersions ?? []).forEach((v: string, i: number) => {
    if (!names.has(v)) errs.push(invalid(`status.storedVersions[${i}]`, v, 'must appear in spec.versions'));
  });
  return errs;
}

/** The CRD's strategy additions: status reset, storedVersions, cleanup finalizer on delete. */
export const crdStrategy: Partial<Strategy> = {
  prepareForCreate(crd) {
    const sv = storageVersion(crd);
    crd.status = { conditions: [], acceptedNames: { plural: '', kind: '' }, storedVersions: sv ? [sv] : [] };
  },
  prepareForUpdate(crd, old) {
    // storedVersions gains the new storage version (as upstream's strategy does).
    const sv = storageVersion(crd);
    const stored: string[] = [...(old.status?.storedVersions ?? [])];
    if (sv && !stored.includes(sv)) stored.push(sv);
    crd.status = { ...(crd.status ?? {}), storedVersions: stored };
  },
  validate: (crd) => validateCRD(crd),
  validateUpdate: (crd, old) => validateCRDUpdate(crd, old),
  prepareForDelete(crd) {
    // The first delete adds the cleanup finalizer and marks the CRD as terminating; the
    // controller removes the custom resources, then the finalizer.
    if (crd.metadata.deletionTimestamp) return false;
    const fins: string[] = crd.metadata.finalizers ?? [];
    if (!fins.includes(CLEANUP_FINALIZER)) crd.metadata.finalizers = [...fins, CLEANUP_FINALIZER];
    return true;
  },
};
