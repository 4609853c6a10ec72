// The registry strategy of custom resources (apiextensions-apiserver pkg/registry/customresource):
// pruning, structural defaulting, schema and CEL validation, status and scale subresources,
// generation bumps on anything but metadata and status, selectable fields and printer columns —
// all read from the live CRD version, so a CRD update takes effect without re-serving.
import type { FieldError } from '../machinery/errors.ts';
import { invalid, invalidError } from '../machinery/errors.ts';
import { validateCreate, validateUpdate } from '../api/validation/index.ts';
import type { Strategy } from '../apiserver/registry/strategy.ts';
import { baseStrategy } from '../apiserver/registry/strategy.ts';
import type { CustomColumn } from '../apiserver/printers/custom.ts';
import type { Obj } from '../apiserver/types.ts';
import { applyDefaults, prune, validateResource, type Schema } from './schema.ts';
import { hasRules, validateRules } from './cel.ts';

/** What a served custom resource version's strategy reads; replaced as the CRD changes. */
export interface VersionState {
  crd: Obj;
  /** The spec.versions[] entry. */
  version: Obj;
  schema: Schema | undefined;
  rules: boolean;
  columns: CustomColumn[];
}

export function versionState(crd: Obj, version: Obj): VersionState {
  const schema = version.schema?.openAPIV3Schema as Schema | undefined;
  const columns: CustomColumn[] = (version.additionalPrinterColumns ?? []).map((c: Obj) => ({
    name: c.name,
    type: c.type,
    jsonPath: c.jsonPath,
    ...(c.description ? { description: c.description } : {}),
    ...(c.priority !== undefined ? { priority: c.priority } : {}),
    ...(c.format ? { format: c.format } : {}),
  }));
  return { crd, version, schema, rules: hasRules(schema), columns };
}

/** A dotted JSONPath (`.spec.replicas`) read from an object. */
export function getPath(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const p of path.replace(/^\./, '').split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Obj)[p];
  }
  return cur;
}

function fieldValue(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function sansMetaStatusSpec(o: Obj): string {
  const { metadata: _m, status: _s, spec: _p, ...rest } = o;
  return JSON.stringify(rest);
}

/**
 * Throws the 422 with the group-qualified kind in its message (`Widget.example.com "x" is
 * invalid: …`, errors.NewInvalid with a GroupKind); details.kind stays the plain kind.
 */
export function invalidFor(obj: Obj, errs: FieldError[]): FieldError[] {
  if (errs.length === 0) return errs;
  const [group] = String(obj.apiVersion ?? '').split('/');
  const kind = String(obj.kind ?? '');
  const e = invalidError(group && String(obj.apiVersion).includes('/') ? `${kind}.${group}` : kind, group ?? '', obj.metadata?.name ?? '', errs);
  if (e.status.details) e.status.details.kind = kind;
  throw e;
}

/** The strategy of one custom resource version; `state()` gives the live CRD version. */
export function customResourceStrategy(state: () => VersionState): Strategy {
  const s = () => state();
  const hasStatus = () => !!s().version.subresources?.status;
  const validateSchema = (obj: Obj, old: Obj | undefined, errs: FieldError[]) => {
    const st = s();
    const schemaErrs = validateResource(obj, st.schema);
    errs.push(...schemaErrs);
    // Rules see only values of the declared types (upstream skips CEL after blocking schema errors).
    if (schemaErrs.length) return;
    if (st.rules) validateRules(obj, old, st.schema, '', errs);
    const scale = st.version.subresources?.scale;
    if (scale?.specReplicasPath) {
      const r = getPath(obj, scale.specReplicasPath);
      if (r !== undefined && (typeof r !== 'number' || !Number.isInteger(r) || r < 0)) {
        errs.push(invalid(scale.specReplicasPath.slice(1), r, 'should be a non-negative integer'));
      }
    }
  };
  const strategy: Strategy = {
    ...baseStrategy,
    get hasStatus() {
      return hasStatus();
    },
    hasGeneration: true,
    prepareForCreate(obj) {
      if (hasStatus()) delete obj.status;
      const st = s();
      prune(obj, st.schema);
      applyDefaults(obj, st.schema);
    },
    prepareForUpdate(obj, old) {
      const st = s();
      prune(obj, st.schema);
      applyDefaults(obj, st.schema);
      // Any change outside metadata and status bumps the generation (the store covers spec).
      if (sansMetaStatusSpec(obj) !== sansMetaStatusSpec(old) && JSON.stringify(obj.spec) === JSON.stringify(old.spec)) {
        obj.metadata.generation = (old.metadata?.generation ?? 0) + 1;
      }
    },
    validate(obj) {
      const errs = validateCreate(obj);
      validateSchema(obj, undefined, errs);
      return invalidFor(obj, errs);
    },
    validateUpdate(obj, old) {
      const errs = validateUpdate(obj, old);
      validateSchema(obj, old, errs);
      return invalidFor(obj, errs);
    },
    selectableFields(obj) {
      const out: Record<string, string> = {};
      for (const f of s().version.selectableFields ?? []) {
        if (typeof f?.jsonPath === 'string') out[f.jsonPath.slice(1)] = fieldValue(getPath(obj, f.jsonPath));
      }
      return out;
    },
    get printerColumns() {
      return s().columns;
    },
    get scalePaths() {
      const sc = s().version.subresources?.scale;
      return sc ? { specReplicasPath: sc.specReplicasPath, statusReplicasPath: sc.statusReplicasPath, ...(sc.labelSelectorPath ? { labelSelectorPath: sc.labelSelectorPath } : {}) } : undefined;
    },
    pruneUnknown(obj) {
      return prune(obj, s().schema);
    },
  };
  return strategy;
}
