// The REST verbs over the generic store, as upstream's endpoint handlers
// (k8s.io/apiserver/pkg/endpoints/handlers: get.go, create.go, update.go, patch.go, delete.go,
// watch.go) and the subresources that are plain registry operations: status, scale, binding,
// eviction, namespace finalize, CSR approval and pods/ephemeralcontainers.
import { StatusError, badRequest, conflict, invalidError, invalid, methodNotAllowed, notFound, tooManyRequests } from '../machinery/errors.ts';
import { parseSelector, selectorFromLabelSelector, formatLabelSelector, type Selector } from '../machinery/labels.ts';
import { parseFieldSelector } from '../machinery/fields.ts';
import { bodyText, decodeBody, PATCH_TYPES, parseMediaType, yamlDuplicateKeyError, type Body, type Negotiated } from './codec.ts';
import type { RequestInfo } from './requestinfo.ts';
import { encodedJSON, encodedJSONWithoutManagedFields, type Store, type DeleteOptions } from './registry/store.ts';
import type { CacheEvent, EventType, Filter } from './watchcache.ts';
import { rfc3339, type Obj, type RequestContext, type ResponseSink } from './types.ts';
import { applyPatch } from './patch.ts';
import { checkFieldValidation, checkPatchFieldValidation, parseFieldValidation, strictDecodingErrors } from './fieldvalidation.ts';
import { tableRowsForWatch, includeObjectError, type IncludeObject } from './printers/index.ts';
import { checkPatchOptions, managerFromUserAgent, serverSideApply } from './ssa/index.ts';

export interface Reply {
  code: number;
  body: unknown;
  headers?: Record<string, string>;
  /** A list result (for Table conversion). */
  list?: { items: Obj[]; resourceVersion: string; continue?: string; remainingItemCount?: number };
}

export interface HandlerRequest {
  method: string;
  info: RequestInfo;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Body;
  ctx: RequestContext;
  negotiated: Negotiated;
  /** Looks up another resource's store (PDBs for evictions). */
  storeFor(group: string, resource: string): Store | undefined;
  res: ResponseSink;
  warnings: string[];
}

const success = (details: Obj, code = 200): Obj => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details, code });

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`invalid ${name} value "${v}": must be an integer`);
  return Number(v);
}

function dryRun(q: URLSearchParams): boolean {
  const all = q.getAll('dryRun');
  for (const v of all) if (v !== 'All') throw badRequest(`Invalid dryRun value: Unsupported value: "${v}": supported values: "All"`);
  return all.length > 0;
}

/** Builds the list/watch filter from labelSelector and fieldSelector. */
export function buildFilter(store: Store, q: URLSearchParams): Filter | undefined {
  const ls = q.get('labelSelector');
  const fs = q.get('fieldSelector');
  let label: Selector | undefined;
  if (ls) {
    try {
      label = parseSelector(ls);
    } catch (e) {
      throw badRequest(`unable to parse requirement: ${(e as Error).message}`);
    }
  }
  let field: ReturnType<typeof parseFieldSelector> | undefined;
  if (fs) {
    try {
      field = parseFieldSelector(fs);
    } catch (e) {
      throw badRequest((e as Error).message);
    }
    if (field.empty()) field = undefined;
  }
  if (field) {
    const sample = store.fields({ metadata: {} });
    for (const r of field.requirements()) {
      if (!(r.field in sample)) throw badRequest(`field label not supported: ${r.field}`);
    }
  }
  if (label?.empty()) label = undefined;
  if (!label && !field) return undefined;
  return (o: Obj) => (!label || label.matches(o.metadata?.labels ?? {})) && (!field || field.matches(store.fields(o)));
}

function requireName(store: Store, info: RequestInfo) {
  if (!info.name) throw methodNotAllowed(`the server does not allow this method on the requested resource`);
  if (store.info.namespaced && !info.namespace) throw notFound(store.gr, info.name);
}

export async function handleResource(store: Store, r: HandlerRequest): Promise<Reply | undefined> {
  const { info, query: q, ctx } = r;
  // Admission warnings land in the reply's Warning header (copies of ctx share the array).
  ctx.warnings ??= r.warnings;
  const ns = store.info.namespaced ? info.namespace : '';
  const sub = info.subresource;
  const verbs = store.info.verbs;
  const allowed = (v: string) => {
    if (sub === '' && !verbs.includes(v)) throw methodNotAllowed(`the server does not allow this method on the requested resource`);
  };

  if (sub === 'scale') return scale(store, r, ns);
  if (sub === 'binding' && store.info.resource === 'pods') return bind(store, r, ns);
  if (sub === 'eviction' && store.info.resource === 'pods') return evict(store, r, ns);
  if (sub !== '' && !['status', 'finalize', 'approval', 'ephemeralcontainers'].includes(sub)) {
    const known = (store.info.subresources ?? []).some((s) => s.name === sub);
    if (!known) throw notFound({ group: '', resource: '' }, '');
    return undefined; // routed elsewhere (log, exec, ...)
  }
  if (sub && !(store.info.subresources ?? []).some((s) => s.name === sub)) throw notFound({ group: '', resource: '' }, '');

  switch (info.verb) {
    case 'get': {
      allowed('get');
      requireName(store, info);
      const obj = await store.get(ns, info.name, q.get('resourceVersion') ?? undefined);
      return { code: 200, body: obj };
    }
    case 'list': {
      allowed('list');
      const includeErr = includeObjectError(q.get('includeObject'));
      if (includeErr) throw badRequest(includeErr);
      const limit = intParam(q, 'limit');
      const result = await store.list(ns, {
        filter: buildFilter(store, q),
        ...(limit ? { limit } : {}),
        ...(q.get('continue') ? { continue: q.get('continue')! } : {}),
        resourceVersion: q.get('resourceVersion') ?? '',
        ...(q.get('resourceVersionMatch') ? { resourceVersionMatch: q.get('resourceVersionMatch')! } : {}),
      });
      const body = {
        kind: store.info.listKind,
        apiVersion: store.apiVersion,
        metadata: {
          resourceVersion: result.resourceVersion,
          ...(result.continue ? { continue: result.continue } : {}),
          ...(result.remainingItemCount !== undefined ? { remainingItemCount: result.remainingItemCount } : {}),
        },
        items: result.items,
      };
      return { code: 200, body, list: result };
    }
    case 'watch': {
      allowed('watch');
      await watch(store, r, ns);
      return undefined;
    }
    case 'create': {
      if (info.name && !sub) throw methodNotAllowed('the server does not allow this method on the requested resource');
      allowed('create');
      if (store.info.namespaced && !ns) throw notFound({ group: '', resource: '' }, '');
      ctx.fieldManager ??= managerFromUserAgent(r.headers['user-agent']);
      const obj = decodeObjectBody(store, r, 'create');
      const created = await store.create({ ...ctx, dryRun: dryRun(q) }, ns, obj);
      return { code: 201, body: created };
    }
    case 'update': {
      allowed('update');
      requireName(store, info);
      ctx.fieldManager ??= managerFromUserAgent(r.headers['user-agent']);
      const obj = decodeObjectBody(store, r, 'update');
      const { obj: out, created } = await store.update({ ...ctx, dryRun: dryRun(q) }, ns, info.name, obj, sub);
      return { code: created ? 201 : 200, body: out };
    }
    case 'patch': {
      allowed('patch');
      requireName(store, info);
      const type = parseMediaType((r.headers['content-type'] as string) ?? '').type;
      const patch = decodeBody(r.body, type, { patch: true });
      // Server-side apply and managedFields live in ./ssa (upstream's fieldmanager).
      if (type === PATCH_TYPES.apply) return serverSideApply(store, { ...ctx, dryRun: dryRun(q) }, q, ns, info.name, sub, patch);
      checkPatchOptions(q, false);
      ctx.fieldManager ??= managerFromUserAgent(r.headers['user-agent']);
      const mode = parseFieldValidation(q.get('fieldValidation'), 'patch');
      const readOnly = sub === 'status';
      const { obj } = await store.guaranteedUpdate(
        { ...ctx, dryRun: dryRun(q) },
        ns,
        info.name,
        (cur) => {
          const patched = applyPatch(type, cur!, patch, store);
          // A subresource write starts from a read-only `cur` (the store takes only its part from
          // what we return): the patched object shares what the patch left alone, so its top
          // level and metadata, which the store sets, are our own.
          const next = readOnly ? { ...patched, metadata: patched.metadata && typeof patched.metadata === 'object' ? { ...patched.metadata } : patched.metadata } : patched;
          // A patch may not rename the object or move it (upstream's checkName).
          const m = next.metadata;
          const nextName = m && typeof m === 'object' ? m.name : undefined;
          if (nextName !== info.name) throw badRequest(`the name of the object (${typeof nextName === 'string' ? nextName : ''}) does not match the name on the URL (${info.name})`);
          if (ns && m.namespace && m.namespace !== ns) throw badRequest(`the namespace of the object (${m.namespace}) does not match the namespace on the URL (${ns})`);
          const { warnings } = checkPatchFieldValidation(mode, type, store.apiVersion, store.info.kind, bodyText(r.body), next, patch);
          r.warnings.push(...warnings);
          // Custom resources: fields their schema does not declare are pruned (and reported).
          const pruned = store.strategy.pruneUnknown?.(next) ?? [];
          if (pruned.length && mode === 'Strict') throw invalidError('', '', '', [invalid('patch', JSON.stringify(next), `strict decoding error: ${pruned.map((p) => `unknown field ${JSON.stringify(p)}`).join(', ')}`)]);
          if (mode === 'Warn') r.warnings.push(...pruned.map((p) => `unknown field ${JSON.stringify(p)}`));
          // A resourceVersion in the patch is a precondition.
          const want = (patch as Obj)?.metadata?.resourceVersion;
          if (typeof want === 'string' && want !== cur!.metadata.resourceVersion) throw conflict(store.gr, info.name, 'the object has been modified; please apply your changes to the latest version and try again');
          return next;
        },
        { subresource: sub, readOnly },
      );
      return { code: 200, body: obj };
    }
    case 'delete': {
      allowed('delete');
      requireName(store, info);
      const opts = deleteOptions(r);
      const { obj, deleted } = await store.delete({ ...ctx, dryRun: dryRun(q) || (opts.dryRun?.length ?? 0) > 0 }, ns, info.name, opts);
      if (!deleted || store.strategy.returnDeletedObject) return { code: deleted ? 200 : 200, body: obj };
      return { code: 200, body: success({ name: info.name, ...(store.info.group ? { group: store.info.group } : {}), kind: store.info.resource, uid: obj.metadata?.uid }) };
    }
    case 'deletecollection': {
      allowed('deletecollection');
      const opts = deleteOptions(r);
      const filter = buildFilter(store, q);
      const { items } = await store.list(ns, { ...(filter ? { filter } : {}) });
      const out: Obj[] = [];
      for (const it of items) {
        try {
          out.push((await store.delete({ ...ctx, dryRun: dryRun(q) }, it.metadata.namespace ?? '', it.metadata.name, opts)).obj);
        } catch (e) {
          if (!(e instanceof StatusError && e.code === 404)) throw e;
        }
      }
      return { code: 200, body: { kind: store.info.listKind, apiVersion: store.apiVersion, metadata: {}, items: out } };
    }
    default:
      throw methodNotAllowed('the server does not allow this method on the requested resource');
  }
}

/** Decodes a create/update body and applies field validation (Strict, Warn — the default — or Ignore). */
function decodeObjectBody(store: Store, r: HandlerRequest, operation: 'create' | 'update'): Obj {
  const obj = decodeBody(r.body, r.headers['content-type'] as string | undefined);
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw badRequest(`the body of the request must be a ${store.info.kind} object`);
  const ct = parseMediaType((r.headers['content-type'] as string) ?? 'application/json').type;
  const mode = parseFieldValidation(r.query.get('fieldValidation'), operation);
  // Repeated keys in a YAML body are a strict decoding error that comes before the others.
  const yamlDup = ct === 'application/yaml' && mode !== 'Ignore' ? yamlDuplicateKeyError(r.body) : undefined;
  if (yamlDup && mode === 'Strict') {
    const kind = store.info.kind;
    const errs = [yamlDup, ...strictDecodingErrors(store.apiVersion, kind, obj)];
    throw badRequest(`${kind} in version ${JSON.stringify(store.info.version)} cannot be handled as a ${kind}: strict decoding error: ${errs.join(', ')}`);
  }
  if (yamlDup) r.warnings.push(yamlDup);
  const { warnings } = checkFieldValidation(mode, store.apiVersion, store.info.kind, obj, ct === 'application/json' || ct === '' ? bodyText(r.body) : undefined, operation);
  r.warnings.push(...warnings);
  // Custom resources: fields their schema does not declare are pruned (and reported).
  const pruned = store.strategy.pruneUnknown?.(obj as Obj) ?? [];
  if (pruned.length && mode === 'Strict') {
    const kind = store.info.kind;
    throw badRequest(`${kind} in version ${JSON.stringify(store.info.version)} cannot be handled as a ${kind}: strict decoding error: ${pruned.map((p) => `unknown field ${JSON.stringify(p)}`).join(', ')}`);
  }
  if (mode === 'Warn') r.warnings.push(...pruned.map((p) => `unknown field ${JSON.stringify(p)}`));
  return obj as Obj;
}

function deleteOptions(r: HandlerRequest): DeleteOptions {
  let opts: Obj = {};
  if (r.body.length > 0) {
    const b = decodeBody(r.body, r.headers['content-type'] as string | undefined);
    if (b !== null && (typeof b !== 'object' || Array.isArray(b))) throw badRequest('the body of the request must be a DeleteOptions object');
    if (b) opts = b as Obj;
  }
  const q = r.query;
  const grace = intParam(q, 'gracePeriodSeconds');
  if (grace !== undefined) opts.gracePeriodSeconds = grace;
  const pp = q.get('propagationPolicy');
  if (pp) opts.propagationPolicy = pp;
  if (q.get('orphanDependents')) opts.orphanDependents = q.get('orphanDependents') === 'true';
  if (opts.propagationPolicy !== undefined && !['Foreground', 'Background', 'Orphan'].includes(opts.propagationPolicy)) {
    throw invalidError('DeleteOptions', 'meta.k8s.io', '', [
      { type: 'FieldValueNotSupported', field: 'propagationPolicy', value: opts.propagationPolicy, detail: 'supported values: "Foreground", "Background", "Orphan"' },
    ]);
  }
  if (opts.gracePeriodSeconds !== undefined && (typeof opts.gracePeriodSeconds !== 'number' || opts.gracePeriodSeconds < 0)) {
    if (typeof opts.gracePeriodSeconds !== 'number') throw badRequest('gracePeriodSeconds must be an integer');
  }
  if (opts.orphanDependents !== undefined && opts.propagationPolicy !== undefined) {
    throw invalidError('DeleteOptions', 'meta.k8s.io', '', [
      { type: 'FieldValueInvalid', field: 'propagationPolicy', value: opts.propagationPolicy, detail: 'orphanDependents and deletionPropagation cannot be both set' },
    ]);
  }
  return opts as DeleteOptions;
}

// --- watch ---------------------------------------------------------------------------------

async function watch(store: Store, r: HandlerRequest, ns: string): Promise<void> {
  const { query: q, res, negotiated } = r;
  const filter = buildFilter(store, q);
  const name = r.info.name;
  const named: Filter | undefined = name ? (o) => o.metadata?.name === name && (!filter || filter(o)) : filter;
  const timeout = intParam(q, 'timeoutSeconds');
  const bookmarks = q.get('allowWatchBookmarks') === 'true';
  const includeObject = (q.get('includeObject') as IncludeObject | null) ?? undefined;
  const toTable = negotiated.shape === 'table' ? tableRowsForWatch(store.gr, { now: () => Date.now(), ...(includeObject ? { includeObject } : {}), customColumns: store.strategy.printerColumns }) : undefined;
  const partial = negotiated.shape === 'partial';

  let closed = false;
  let stop: () => void = () => {};
  const timers: NodeJS.Timeout[] = [];
  const finish = () => {
    if (closed) return;
    closed = true;
    stop();
    for (const t of timers) clearTimeout(t);
    res.end();
  };
  const write = (line: string) => {
    if (closed) return;
    res.write(line);
    // A watcher that cannot keep up is dropped, as upstream drops slow watchers.
    if (res.writableLength > 16 * 1024 * 1024) finish();
  };
  const lineFor = (type: EventType | 'BOOKMARK' | 'ERROR', ev: CacheEvent | undefined, object?: unknown): string => {
    if (object !== undefined) return `{"type":"${type}","object":${JSON.stringify(object)}}\n`;
    const e = ev!;
    if (toTable) return `{"type":"${type}","object":${JSON.stringify(toTable(e.obj))}}\n`;
    if (partial) return `{"type":"${type}","object":${JSON.stringify(partialObject(e.obj, store))}}\n`;
    if (res.withoutManagedFields) {
      e.jsonWithoutManagedFields ??= jsonWithoutManagedFields(withTypeMeta(e.obj, store));
      return `{"type":"${type}","object":${e.jsonWithoutManagedFields}}\n`;
    }
    e.json ??= jsonOf(withTypeMeta(e.obj, store));
    return `{"type":"${type}","object":${e.json}}\n`;
  };

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  res.on('close', finish);
  try {
    stop = await store.watch(ns, q.get('resourceVersion') ?? undefined, named, {
      send: (type, ev) => {
        if (res.writeEvent && !toTable && !partial) {
          // In-process watchers (informers) get the watch cache's own object, no copy: like
          // client-go's informer caches, what they get is read-only.
          if (closed) return;
          res.writeEvent(type, withTypeMeta(ev.obj, store));
        } else write(lineFor(type, ev));
      },
      fail: (err) => {
        write(lineFor('ERROR', undefined, err.status));
        finish();
      },
    });
  } catch (e) {
    const status = e instanceof StatusError ? e.status : new StatusError(500, 'InternalError', (e as Error).message).status;
    write(lineFor('ERROR', undefined, status));
    finish();
    return;
  }
  if (closed) stop();
  // Upstream closes a watch after timeoutSeconds, or a random 30-60 minutes.
  const ms = (timeout ?? 1800 * (1 + Math.random())) * 1000;
  timers.push(setTimeout(finish, ms));
  if (bookmarks) {
    const bookmark = () => {
      write(lineFor('BOOKMARK', undefined, { kind: store.info.kind, apiVersion: store.apiVersion, metadata: { resourceVersion: String(store.cache.resourceVersion) } }));
    };
    const every = Math.min(60_000, Math.max(1000, ms - 2000));
    const tick = () => {
      bookmark();
      if (!closed) timers.push(setTimeout(tick, every));
    };
    timers.push(setTimeout(tick, every));
  }
}

/** JSON of an object, reusing the store's encoding of objects it wrote. */
function jsonOf(obj: Obj): string {
  return encodedJSON(obj) ?? JSON.stringify(obj);
}

/** The same without metadata.managedFields. */
function jsonWithoutManagedFields(obj: Obj): string {
  const known = encodedJSONWithoutManagedFields(obj);
  if (known !== undefined) return known;
  if (obj.metadata?.managedFields === undefined) return jsonOf(obj);
  const { managedFields: _mf, ...metadata } = obj.metadata;
  return JSON.stringify({ ...obj, metadata });
}

export function withTypeMeta(obj: Obj, store: Store): Obj {
  return obj.kind === store.info.kind && obj.apiVersion === store.apiVersion ? obj : { ...obj, apiVersion: store.apiVersion, kind: store.info.kind };
}

export function partialObject(obj: Obj, _store: Store): Obj {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

// --- scale ---------------------------------------------------------------------------------

function scaleSelector(obj: Obj): string {
  const sel = obj.spec?.selector;
  if (!sel) return '';
  if (obj.kind === 'ReplicationController') {
    return Object.keys(sel)
      .sort()
      .map((k) => `${k}=${sel[k]}`)
      .join(',');
  }
  try {
    return selectorFromLabelSelector(sel).toString();
  } catch {
    return formatLabelSelector(sel);
  }
}

/** A dotted path (`.spec.replicas`) of a custom resource's scale subresource. */
function atPath(obj: Obj, path: string): unknown {
  let cur: unknown = obj;
  for (const p of path.replace(/^\./, '').split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Obj)[p];
  }
  return cur;
}

function setPath(obj: Obj, path: string, v: unknown): void {
  const parts = path.replace(/^\./, '').split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) cur = cur[p] !== null && typeof cur[p] === 'object' ? cur[p] : (cur[p] = {});
  cur[parts[parts.length - 1]!] = v;
}

function toScale(obj: Obj, store?: Store): Obj {
  const m = obj.metadata;
  const sp = store?.strategy.scalePaths;
  if (sp) {
    const sel = sp.labelSelectorPath ? atPath(obj, sp.labelSelectorPath) : undefined;
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
      spec: { replicas: Number(atPath(obj, sp.specReplicasPath) ?? 0) },
      status: { replicas: Number(atPath(obj, sp.statusReplicasPath) ?? 0), ...(typeof sel === 'string' && sel ? { selector: sel } : {}) },
    };
  }
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: obj.spec?.replicas ?? 0 },
    status: { replicas: obj.status?.replicas ?? 0, selector: scaleSelector(obj) },
  };
}

async function scale(store: Store, r: HandlerRequest, ns: string): Promise<Reply> {
  const { info, ctx, query: q } = r;
  requireName(store, info);
  if (info.verb === 'get') return { code: 200, body: toScale(await store.get(ns, info.name), store) };
  if (info.verb !== 'update' && info.verb !== 'patch') throw methodNotAllowed('the server does not allow this method on the requested resource');
  const type = info.verb === 'patch' ? parseMediaType((r.headers['content-type'] as string) ?? '').type : '';
  const body = info.verb === 'patch' ? decodeBody(r.body, type, { patch: true }) : decodeBody(r.body, r.headers['content-type'] as string | undefined);
  const scaleGr = { group: 'autoscaling', resource: 'scale' };
  const { obj } = await store.guaranteedUpdate({ ...ctx, dryRun: dryRun(q) }, ns, info.name, (cur) => {
    const current = toScale(cur!, store);
    const next = info.verb === 'patch' ? (applyPatch(type === PATCH_TYPES.strategic ? PATCH_TYPES.merge : type, current, body, undefined) as Obj) : (body as Obj);
    if (!next || typeof next !== 'object') throw badRequest('the body of the request must be a Scale object');
    const want = next.metadata?.resourceVersion;
    if (want && want !== cur!.metadata.resourceVersion) throw conflict(scaleGr, info.name, 'the object has been modified; please apply your changes to the latest version and try again');
    const replicas = next.spec?.replicas;
    if (replicas !== undefined && (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)) {
      throw invalidError('Scale', 'autoscaling', info.name, [invalid('spec.replicas', replicas, 'must be greater than or equal to 0')]);
    }
    const sp = store.strategy.scalePaths;
    if (sp) setPath(cur!, sp.specReplicasPath, replicas ?? 0);
    else cur!.spec = { ...(cur!.spec ?? {}), replicas: replicas ?? 0 };
    return cur!;
  });
  return { code: 200, body: toScale(obj, store) };
}

// --- pods/binding and pods/eviction -------------------------------------------------------------

async function bind(store: Store, r: HandlerRequest, ns: string): Promise<Reply> {
  const { info, ctx } = r;
  if (info.verb !== 'create') throw methodNotAllowed('the server does not allow this method on the requested resource');
  const b = decodeBody(r.body, r.headers['content-type'] as string | undefined) as Obj;
  const target = b?.target;
  const name = b?.metadata?.name || info.name;
  if (!target?.name) throw invalidError('Binding', '', name, [{ type: 'FieldValueRequired', field: 'target.name', detail: '' }]);
  if (target.kind && target.kind !== 'Node') throw invalidError('Binding', '', name, [invalid('to.kind', target.kind, 'must be empty or \'Node\'')]);
  await store.guaranteedUpdate(
    { ...ctx, dryRun: dryRun(r.query) },
    ns,
    name,
    (pod) => {
      if (pod!.metadata.deletionTimestamp) throw conflict(store.gr, name, `pod ${name} is being deleted, cannot be assigned to a host`);
      if (pod!.spec?.nodeName) throw conflict(store.gr, name, `pod ${name} is already assigned to node "${pod!.spec.nodeName}"`);
      const conds: Obj[] = (pod!.status?.conditions ?? []).filter((c: Obj) => c.type !== 'PodScheduled');
      conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339(ctx.now) });
      // The store takes only the node and the status from a binding (`pod` is read-only).
      return { metadata: {}, spec: { nodeName: target.name }, status: { ...(pod!.status ?? {}), conditions: conds } };
    },
    { subresource: 'binding', readOnly: true },
  );
  return { code: 201, body: success({}, 201) };
}

async function evict(store: Store, r: HandlerRequest, ns: string): Promise<Reply> {
  const { info, ctx } = r;
  if (info.verb !== 'create') throw methodNotAllowed('the server does not allow this method on the requested resource');
  const ev = decodeBody(r.body, r.headers['content-type'] as string | undefined) as Obj;
  if (ev?.metadata?.name && ev.metadata.name !== info.name) throw badRequest(`name in URL does not match name in Eviction object`);
  // Admission sees the Eviction (policy/v1) as a CREATE of pods/eviction, before the pod is looked at.
  const eviction: Obj = { ...(ev ?? {}), apiVersion: ev?.apiVersion || 'policy/v1', kind: 'Eviction', metadata: { ...(ev?.metadata ?? {}), name: info.name, namespace: ns } };
  const target = await store.get(ns, info.name).catch(() => undefined);
  await store.admitSubresource({ ...ctx, dryRun: dryRun(r.query) }, ns, 'eviction', eviction, { group: 'policy', version: 'v1', kind: 'Eviction' }, target);
  const pod = target ?? (await store.get(ns, info.name));
  const phase = pod.status?.phase;
  // Finished, pending and already-terminating pods can always go (upstream's eviction REST).
  const budgeted = phase === 'Running' && !pod.metadata.deletionTimestamp;
  const pdbs = budgeted ? r.storeFor('policy', 'poddisruptionbudgets') : undefined;
  if (pdbs) {
    const { items } = await pdbs.list(ns, { resourceVersion: '0' });
    const labels = pod.metadata.labels ?? {};
    // In policy/v1 an empty selector matches every pod of the namespace.
    const matching = items.filter((p) => {
      try {
        return selectorFromLabelSelector(p.spec?.selector ?? {}).matches(labels);
      } catch {
        return false;
      }
    });
    if (matching.length > 1) {
      throw new StatusError(500, 'InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    }
    const pdb = matching[0];
    const ready = (pod.status?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');
    const unhealthyMayGo =
      !ready &&
      (pdb?.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow' ||
        ((pdb?.status?.currentHealthy ?? 0) >= (pdb?.status?.desiredHealthy ?? 0) && (pdb?.status?.desiredHealthy ?? 0) > 0));
    if (pdb && !unhealthyMayGo) {
      // Take one disruption from the budget, recording the pod, in the same request (checkAndDecrement).
      await pdbs.guaranteedUpdate(
        { ...ctx, dryRun: dryRun(r.query) },
        ns,
        pdb.metadata.name,
        (cur) => {
          const st = cur!.status ?? {};
          const stale = (st.observedGeneration ?? 0) < (cur!.metadata.generation ?? 0);
          if (stale || (st.disruptionsAllowed ?? 0) < 1) {
            const e = tooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 10);
            e.status.details = {
              causes: [
                {
                  reason: 'DisruptionBudget',
                  message: stale
                    ? `The disruption budget ${cur!.metadata.name} is still being processed by the server.`
                    : `The disruption budget ${cur!.metadata.name} needs ${st.desiredHealthy ?? 0} healthy pods and has ${st.currentHealthy ?? 0} currently`,
                },
              ],
            };
            throw e;
          }
          cur!.status = { ...st, disruptionsAllowed: st.disruptionsAllowed - 1, disruptedPods: { ...(st.disruptedPods ?? {}), [pod.metadata.name]: rfc3339(ctx.now) } };
          return cur!;
        },
        { subresource: 'status' },
      );
    }
  }
  await store.delete({ ...ctx, dryRun: dryRun(r.query) }, ns, info.name, (eviction.deleteOptions ?? {}) as DeleteOptions);
  return { code: 201, body: success({}, 201) };
}
