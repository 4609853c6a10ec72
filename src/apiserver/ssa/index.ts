// Where the API server's write paths meet the field manager: the registry store records every
// create/update/patch as an Update operation (upstream's fieldmanager transformers in the
// create/update/patch handlers), and PATCH with application/apply-patch+yaml is server-side apply
// (upstream's applyPatcher: PatchOptions checks, create on absent, force, dry-run).
import { badRequest, invalidError, required, tooLong } from '../../machinery/errors.ts';
import type { Obj, RequestContext } from '../types.ts';
import type { Store } from '../registry/store.ts';
import { applyConfig, recordUpdate, type Target } from './fieldmanager.ts';

export { registerSchemaProvider, type SchemaProvider, type TypeSchema } from './schema.ts';
export { managerFromUserAgent } from './managed.ts';

/** Objects an apply produced, with the managedFields it computed (a status reset must keep them). */
const applied = new WeakMap<object, unknown>();

/** The registry store writes `to` in place of `from` (a subresource write): it was applied the same way. */
export function carryApplied(from: object, to: object): void {
  if (applied.has(from)) applied.set(to, applied.get(from));
}

function targetOf(store: Store): Target {
  const i = store.info;
  return { group: i.group, version: i.version, kind: i.kind, hasStatus: store.strategy.hasStatus };
}

/**
 * Called by the registry store with the object about to be written (defaulted) and the stored
 * one (undefined on create). Records an Update by ctx.fieldManager; writes without a manager
 * (the server's own) are not tracked.
 */
export function recordWrite(store: Store, obj: Obj, old: Obj | undefined, ctx: RequestContext, subresource: string): void {
  if (applied.has(obj)) {
    const mf = applied.get(obj);
    if (obj.metadata) {
      if (mf === undefined) delete obj.metadata.managedFields;
      else obj.metadata.managedFields = mf;
    }
    return;
  }
  const manager = ctx.fieldManager;
  if (manager === undefined || subresource === 'binding') return;
  recordUpdate(targetOf(store), obj, old, manager, subresource, ctx.now);
}

function parseBool(v: string | null): boolean {
  if (v === null || v === '') return false;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw badRequest(`invalid force value "${v}": must be a boolean`);
}

/** PatchOptions validation of upstream's patch handler, for every patch type. */
export function checkPatchOptions(q: URLSearchParams, apply: boolean): void {
  const manager = q.get('fieldManager') ?? '';
  const errs = [];
  if (!apply && q.get('force') !== null) errs.push({ type: 'FieldValueForbidden' as const, field: 'force', detail: 'may not be specified for non-apply patch' });
  if (apply && manager === '') errs.push(required('fieldManager', 'is required for apply patch'));
  if (Buffer.byteLength(manager) > 128) errs.push(tooLong('fieldManager', 128));
  if (errs.length) {
    const e = invalidError('PatchOptions', 'meta.k8s.io', '', errs);
    // Upstream names the kind with its group here: `PatchOptions.meta.k8s.io "" is invalid: ...`.
    e.status.message = e.message = e.message.replace(/^PatchOptions /, 'PatchOptions.meta.k8s.io ');
    throw e;
  }
}

/**
 * Server-side apply: `patch` is the decoded configuration. `ctx` carries dryRun. Answers 201 when
 * the apply created the object.
 */
export async function serverSideApply(store: Store, ctx: RequestContext, q: URLSearchParams, ns: string, name: string, subresource: string, patch: unknown): Promise<{ code: number; body: Obj }> {
  checkPatchOptions(q, true);
  const manager = q.get('fieldManager')!;
  const force = parseBool(q.get('force'));
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) throw badRequest('error decoding YAML: the apply configuration must be an object');
  const target = targetOf(store);
  const { obj, created } = await store.guaranteedUpdate(
    ctx,
    ns,
    name,
    (cur) => {
      const { obj: next } = applyConfig(target, cur, structuredClone(patch) as Obj, manager, force, subresource, ctx.now);
      const m = next.metadata;
      const nextName = m && typeof m === 'object' ? m.name : undefined;
      if (nextName !== name) throw badRequest(`the name of the object (${typeof nextName === 'string' ? nextName : ''}) does not match the name on the URL (${name})`);
      if (ns && m.namespace && m.namespace !== ns) throw badRequest(`the namespace of the object (${m.namespace}) does not match the namespace on the URL (${ns})`);
      applied.set(next, m.managedFields);
      return next;
    },
    { subresource, allowCreate: subresource === '' },
  );
  return { code: created ? 201 : 200, body: obj };
}
