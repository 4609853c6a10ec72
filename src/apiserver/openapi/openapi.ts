// The OpenAPI documents kube-apiserver serves: /openapi/v2 (JSON and gnostic protobuf) and
// /openapi/v3 (root + one document per group-version), built from definitions.gen.json.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ResourceInfo } from '../../api/resources.ts';
import { builtinResources } from '../../api/resources.ts';
import { encodeOpenAPIv2 } from './protobuf.ts';

type Schema = Record<string, any>;

/** Accept type under which kubectl 1.27/1.28 ask for the protobuf v2 document. */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
/**
 * Content-Type to answer it with: Go's mime parser rejects the `@` form, so the server labels
 * the body with the dotted spelling (also accepted in Accept).
 */
export const OPENAPI_V2_PROTOBUF_CONTENT_TYPE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/** True when an Accept header asks /openapi/v2 for protobuf. */
export function wantsOpenAPIv2Protobuf(accept: string | undefined): boolean {
  return !!accept && /com\.github\.proto-openapi\.spec\.v2(@|\.)v1\.0\+protobuf/.test(accept);
}
/** Content-Type of a v3 group-version document. */
export const OPENAPI_V3_JSON = 'application/json';

const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];
const PRODUCES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const WATCH_PRODUCES = [...PRODUCES, 'application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch'];

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';

let definitionsCache: Record<string, Schema> | undefined;

/** All generated definitions (swagger 2.0 form, `$ref: '#/definitions/…'`), loaded once. */
export function definitions(): Record<string, Schema> {
  if (!definitionsCache) {
    const text = readFileSync(new URL('./definitions.gen.json', import.meta.url), 'utf8');
    definitionsCache = (JSON.parse(text) as { definitions: Record<string, Schema> }).definitions;
  }
  return definitionsCache;
}

/** Definition name of a kind, found through its x-kubernetes-group-version-kind. */
function kindIndex(): Map<string, string> {
  const idx = new Map<string, string>();
  for (const [name, d] of Object.entries(definitions())) {
    for (const g of (d['x-kubernetes-group-version-kind'] ?? []) as { group: string; version: string; kind: string }[]) {
      const key = `${g.group}/${g.version}/${g.kind}`;
      if (!idx.has(key)) idx.set(key, name);
    }
  }
  return idx;
}
let kindIndexCache: Map<string, string> | undefined;

/** A resource that brings its own definitions (custom resources; see src/apiextensions/openapi.ts). */
export interface WithSchemas {
  schemas?: { definition: string; listDefinition: string; v2: Record<string, Schema>; v3: Record<string, Schema> };
}
function ownSchemas(r: ResourceInfo): WithSchemas['schemas'] {
  return (r as ResourceInfo & WithSchemas).schemas;
}
/** The built-in definitions plus those of the custom resources in `rs`. */
function allDefinitions(rs: readonly ResourceInfo[], which: 'v2' | 'v3'): Record<string, Schema> {
  const own = rs.map(ownSchemas).filter((x) => x !== undefined);
  if (own.length === 0) return definitions();
  const out = { ...definitions() };
  for (const o of own) Object.assign(out, o[which]);
  return out;
}
function definitionFor(group: string, version: string, kind: string): string | undefined {
  kindIndexCache ??= kindIndex();
  return kindIndexCache.get(`${group}/${version}/${kind}`);
}

// ---- paths -------------------------------------------------------------------------------

interface Param {
  name: string;
  in: 'query' | 'path' | 'body';
  description: string;
  type?: string;
  required?: boolean;
  uniqueItems?: boolean;
  schema?: Schema;
}

const q = (name: string, type: string, description: string): Param => ({ name, in: 'query', type, uniqueItems: true, description });
const P = {
  pretty: q('pretty', 'string', "If 'true', the output is pretty printed."),
  dryRun: q('dryRun', 'string', 'When present, the change is validated and admitted but not persisted. The only valid value is All.'),
  fieldManager: q('fieldManager', 'string', 'The name of the actor making the change, recorded in managedFields.'),
  fieldValidation: q(
    'fieldValidation',
    'string',
    'How the server treats unknown or duplicate fields in the body: Ignore, Warn (the default) or Strict.',
  ),
  force: q('force', 'boolean', 'Apply requests only: take ownership of conflicting fields from other managers.'),
  gracePeriodSeconds: q('gracePeriodSeconds', 'integer', 'Seconds to wait before the object is deleted; zero deletes at once.'),
  orphanDependents: q('orphanDependents', 'boolean', 'Deprecated: use propagationPolicy.'),
  propagationPolicy: q('propagationPolicy', 'string', 'Garbage collection of dependents: Orphan, Background or Foreground.'),
  allowWatchBookmarks: q('allowWatchBookmarks', 'boolean', 'Watch only: ask for BOOKMARK events.'),
  continue: q('continue', 'string', 'The continue token of the previous page of a paginated list.'),
  fieldSelector: q('fieldSelector', 'string', 'Restricts the list by object fields.'),
  labelSelector: q('labelSelector', 'string', 'Restricts the list by object labels.'),
  limit: q('limit', 'integer', 'The maximum number of items in one page of a list.'),
  resourceVersion: q('resourceVersion', 'string', 'The resource version the list or watch starts from.'),
  resourceVersionMatch: q('resourceVersionMatch', 'string', 'How resourceVersion is applied to a list: Exact or NotOlderThan.'),
  sendInitialEvents: q('sendInitialEvents', 'boolean', 'Watch only: start the stream with synthetic ADDED events for existing objects.'),
  timeoutSeconds: q('timeoutSeconds', 'integer', 'Timeout of the list or watch call.'),
  watch: q('watch', 'boolean', 'Watch for changes instead of listing.'),
  name: { name: 'name', in: 'path', type: 'string', required: true, uniqueItems: true, description: 'name of the object' } as Param,
  namespace: {
    name: 'namespace', in: 'path', type: 'string', required: true, uniqueItems: true,
    description: 'object name and auth scope, such as for teams and projects',
  } as Param,
};
const LIST_PARAMS = [
  P.allowWatchBookmarks, P.continue, P.fieldSelector, P.labelSelector, P.limit,
  P.resourceVersion, P.resourceVersionMatch, P.sendInitialEvents, P.timeoutSeconds, P.watch,
];
const DELETE_PARAMS = [P.dryRun, P.gracePeriodSeconds, P.orphanDependents, P.propagationPolicy];
const WRITE_PARAMS = [P.dryRun, P.fieldManager, P.fieldValidation];

function body(ref: string, required = true): Param {
  return { name: 'body', in: 'body', required, description: '', schema: { $ref: '#/definitions/' + ref } };
}

interface Operation {
  method: 'get' | 'put' | 'post' | 'delete' | 'patch';
  action: string;
  id: string;
  description: string;
  params: Param[];
  consumes?: string[];
  produces: string[];
  response: string | undefined;
  /** extra response codes (201 on create, 202 on delete) */
  codes: string[];
  gvk?: { group: string; version: string; kind: string };
}

interface PathSpec {
  path: string;
  params: Param[];
  ops: Operation[];
  tag: string;
}

/** "rbac.authorization.k8s.io" → "RbacAuthorization", "" → "Core". */
function groupWord(group: string): string {
  if (group === '') return 'Core';
  return group
    .replace(/\.k8s\.io$/, '')
    .split('.')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}
function tagOf(r: { group: string; version: string }): string {
  const w = groupWord(r.group);
  return `${w[0]!.toLowerCase()}${w.slice(1)}_${r.version}`;
}

function pathsOf(r: ResourceInfo): PathSpec[] {
  const prefix = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  const ns = r.namespaced ? '/namespaces/{namespace}' : '';
  const nsParams = r.namespaced ? [P.namespace] : [];
  const idBase = `${groupWord(r.group)}${r.version[0]!.toUpperCase()}${r.version.slice(1)}`;
  const scoped = `${r.namespaced ? 'Namespaced' : ''}${r.kind}`;
  const gvk = { group: r.group, version: r.version, kind: r.kind };
  const own = ownSchemas(r);
  const def = own ? own.definition : definitionFor(r.group, r.version, r.kind);
  const listDef = own ? own.listDefinition : definitionFor(r.group, r.version, r.listKind);
  const tag = tagOf(r);
  const has = (v: string): boolean => r.verbs.includes(v);
  const out: PathSpec[] = [];

  const collection: Operation[] = [];
  if (has('list')) {
    collection.push({
      method: 'get', action: 'list', id: `list${idBase}${scoped}`, description: `list or watch objects of kind ${r.kind}`,
      params: LIST_PARAMS, produces: WATCH_PRODUCES, response: listDef, codes: [], gvk,
    });
  }
  if (has('create')) {
    collection.push({
      method: 'post', action: 'post', id: `create${idBase}${scoped}`, description: `create a ${r.kind}`,
      params: [body(def ?? META + 'Status'), ...WRITE_PARAMS], produces: PRODUCES, response: def, codes: ['201', '202'], gvk,
    });
  }
  if (has('deletecollection')) {
    collection.push({
      method: 'delete', action: 'deletecollection', id: `delete${idBase}Collection${scoped}`,
      description: `delete collection of ${r.kind}`,
      params: [body(META + 'DeleteOptions', false), P.continue, ...DELETE_PARAMS, P.fieldSelector, P.labelSelector, P.limit,
        P.resourceVersion, P.resourceVersionMatch, P.sendInitialEvents, P.timeoutSeconds],
      produces: PRODUCES, response: META + 'Status', codes: [], gvk,
    });
  }
  if (collection.length) out.push({ path: `${prefix}${ns}/${r.resource}`, params: [...nsParams, P.pretty], ops: collection, tag });

  const item: Operation[] = [];
  if (has('get')) {
    item.push({ method: 'get', action: 'get', id: `read${idBase}${scoped}`, description: `read the specified ${r.kind}`,
      params: [], produces: PRODUCES, response: def, codes: [], gvk });
  }
  if (has('update')) {
    item.push({ method: 'put', action: 'put', id: `replace${idBase}${scoped}`, description: `replace the specified ${r.kind}`,
      params: [body(def ?? META + 'Status'), ...WRITE_PARAMS], produces: PRODUCES, response: def, codes: ['201'], gvk });
  }
  if (has('delete')) {
    item.push({ method: 'delete', action: 'delete', id: `delete${idBase}${scoped}`, description: `delete a ${r.kind}`,
      params: [body(META + 'DeleteOptions', false), ...DELETE_PARAMS], produces: PRODUCES, response: META + 'Status',
      codes: ['202'], gvk });
  }
  if (has('patch')) item.push(patchOp(`patch${idBase}${scoped}`, r.kind, def, gvk));
  if (item.length) out.push({ path: `${prefix}${ns}/${r.resource}/{name}`, params: [P.name, ...nsParams, P.pretty], ops: item, tag });

  if (r.namespaced && has('list')) {
    out.push({
      path: `${prefix}/${r.resource}`,
      params: [P.pretty],
      ops: [{ method: 'get', action: 'list', id: `list${idBase}${r.kind}ForAllNamespaces`,
        description: `list or watch objects of kind ${r.kind}`, params: LIST_PARAMS, produces: WATCH_PRODUCES,
        response: listDef, codes: [], gvk }],
      tag,
    });
  }

  for (const s of r.subresources ?? []) {
    const sg = s.group ?? r.group;
    const sv = s.version ?? r.version;
    const sdef = own && s.group === undefined ? own.definition : definitionFor(sg, sv, s.kind);
    if (!sdef) continue; // connect subresources (exec, attach, portforward, proxy, log) carry no schema here
    const sgvk = { group: sg, version: sv, kind: s.kind };
    const sub = s.name[0]!.toUpperCase() + s.name.slice(1);
    const ops: Operation[] = [];
    if (s.verbs.includes('get')) {
      ops.push({ method: 'get', action: 'get', id: `read${idBase}${scoped}${sub}`, description: `read ${s.name} of the specified ${r.kind}`,
        params: [], produces: PRODUCES, response: sdef, codes: [], gvk: sgvk });
    }
    if (s.verbs.includes('create')) {
      ops.push({ method: 'post', action: 'post', id: `create${idBase}${scoped}${sub}`, description: `create ${s.name} of a ${r.kind}`,
        params: [body(sdef), ...WRITE_PARAMS], produces: PRODUCES, response: sdef, codes: ['201', '202'], gvk: sgvk });
    }
    if (s.verbs.includes('update')) {
      ops.push({ method: 'put', action: 'put', id: `replace${idBase}${scoped}${sub}`, description: `replace ${s.name} of the specified ${r.kind}`,
        params: [body(sdef), ...WRITE_PARAMS], produces: PRODUCES, response: sdef, codes: ['201'], gvk: sgvk });
    }
    if (s.verbs.includes('patch')) ops.push(patchOp(`patch${idBase}${scoped}${sub}`, `${s.name} of the specified ${r.kind}`, sdef, sgvk));
    if (ops.length) {
      out.push({ path: `${prefix}${ns}/${r.resource}/{name}/${s.name}`, params: [P.name, ...nsParams, P.pretty], ops, tag });
    }
  }
  // Custom resources take no strategic merge patch (kubectl's apply reads this to choose its patch type).
  if (own) for (const p of out) for (const op of p.ops) if (op.method === 'patch') op.consumes = PATCH_TYPES.filter((t) => t !== 'application/strategic-merge-patch+json');
  return out;
}

function patchOp(id: string, what: string, def: string | undefined, gvk: Operation['gvk']): Operation {
  return {
    method: 'patch', action: 'patch', id, description: `partially update the specified ${what}`,
    params: [body(META + 'Patch'), ...WRITE_PARAMS, P.force], consumes: PATCH_TYPES, produces: PRODUCES,
    response: def, codes: ['201'], gvk,
  };
}

// ---- v2 ----------------------------------------------------------------------------------

function v2Param(p: Param): Schema {
  const o: Schema = { name: p.name, in: p.in, description: p.description };
  if (p.in === 'body') {
    if (p.required) o.required = true;
    o.schema = p.schema;
    return o;
  }
  o.type = p.type;
  if (p.required) o.required = true;
  if (p.uniqueItems) o.uniqueItems = true;
  return o;
}

function v2Responses(op: Operation): Schema {
  const res: Schema = {};
  const schema = op.response ? { $ref: '#/definitions/' + op.response } : undefined;
  for (const code of ['200', ...op.codes]) {
    res[code] = { description: code === '200' ? 'OK' : code === '201' ? 'Created' : 'Accepted' };
    if (schema) res[code].schema = schema;
  }
  res['401'] = { description: 'Unauthorized' };
  return res;
}

function servedDefault(): ResourceInfo[] {
  return builtinResources.filter((r) => r.served !== false);
}

const v2Cache = new WeakMap<readonly ResourceInfo[], { doc: Schema; json?: string; proto?: Buffer }>();
let defaultResources: ResourceInfo[] | undefined;
function resolve(resources?: readonly ResourceInfo[]): readonly ResourceInfo[] {
  return resources ?? (defaultResources ??= servedDefault());
}

/** The swagger 2.0 document of /openapi/v2 (cached per resource list). */
export function openapiV2(resources?: readonly ResourceInfo[]): Schema {
  const rs = resolve(resources);
  let hit = v2Cache.get(rs);
  if (!hit) {
    const paths: Schema = {};
    for (const r of rs) {
      for (const p of pathsOf(r)) {
        const item: Schema = { parameters: p.params.map(v2Param) };
        for (const op of p.ops) {
          const o: Schema = {
            description: op.description,
            consumes: op.consumes ?? ['*/*'],
            produces: op.produces,
            schemes: ['https'],
            tags: [p.tag],
            operationId: op.id,
            parameters: op.params.map(v2Param),
            responses: v2Responses(op),
            'x-kubernetes-action': op.action,
          };
          if (op.gvk) o['x-kubernetes-group-version-kind'] = op.gvk;
          item[op.method] = o;
        }
        paths[p.path] = item;
      }
    }
    const doc: Schema = {
      swagger: '2.0',
      info: { title: 'Kubernetes', version: 'v1.32.0' },
      paths: sortKeys(paths),
      definitions: allDefinitions(rs, 'v2'),
      securityDefinitions: { BearerToken: { description: 'Bearer Token authentication', type: 'apiKey', name: 'authorization', in: 'header' } },
      security: [{ BearerToken: [] }],
    };
    hit = { doc };
    v2Cache.set(rs, hit);
  }
  return hit.doc;
}

/** /openapi/v2 as JSON text, serialized once. */
export function openapiV2JSON(resources?: readonly ResourceInfo[]): string {
  const doc = openapiV2(resources);
  const hit = v2Cache.get(resolve(resources))!;
  return (hit.json ??= JSON.stringify(doc));
}

/** /openapi/v2 as a gnostic openapi.v2.Document protobuf message, encoded once. */
export function openapiV2Protobuf(resources?: readonly ResourceInfo[]): Buffer {
  const doc = openapiV2(resources);
  const hit = v2Cache.get(resolve(resources))!;
  return (hit.proto ??= encodeOpenAPIv2(doc));
}

// ---- v3 ----------------------------------------------------------------------------------

function gvPathOf(r: { group: string; version: string }): string {
  return r.group === '' ? `api/${r.version}` : `apis/${r.group}/${r.version}`;
}

/** Converts a swagger 2.0 schema to OpenAPI 3: new $ref prefix, siblings of $ref under allOf. */
function v3Schema(s: any, refs: Set<string>): any {
  if (Array.isArray(s)) return s.map((x) => v3Schema(x, refs));
  if (!s || typeof s !== 'object') return s;
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === '$ref') {
      const name = (v as string).slice('#/definitions/'.length);
      refs.add(name);
      out.$ref = '#/components/schemas/' + name;
    } else if (k === 'properties' || k === 'x-kubernetes-group-version-kind') {
      if (k === 'properties') {
        const props: Schema = {};
        for (const [pk, pv] of Object.entries(v as Schema)) props[pk] = v3Schema(pv, refs);
        out.properties = props;
      } else out[k] = v;
    } else if (typeof v === 'object' && v !== null && !k.startsWith('x-')) out[k] = v3Schema(v, refs);
    else out[k] = v;
  }
  if (out.$ref && Object.keys(out).length > 1) {
    const { $ref, ...rest } = out;
    return { allOf: [{ $ref }], ...rest };
  }
  return out;
}

function v3Param(p: Param): Schema {
  const o: Schema = { name: p.name, in: p.in, description: p.description };
  if (p.required) o.required = true;
  o.schema = { type: p.type, uniqueItems: true };
  return o;
}

function v3Content(types: string[], schema: Schema): Schema {
  const c: Schema = {};
  for (const t of types) c[t] = { schema };
  return c;
}

interface V3Entry {
  doc: Schema;
  json: string;
  hash: string;
}
const v3Cache = new WeakMap<readonly ResourceInfo[], Map<string, V3Entry | null>>();

function buildV3(rs: readonly ResourceInfo[], gvPath: string): Schema | undefined {
  const mine = rs.filter((r) => gvPathOf(r) === gvPath);
  if (mine.length === 0) return undefined;
  const refs = new Set<string>();
  const paths: Schema = {};
  for (const r of mine) {
    for (const p of pathsOf(r)) {
      const item: Schema = { parameters: p.params.map(v3Param) };
      for (const op of p.ops) {
        const o: Schema = { tags: [p.tag], description: op.description, operationId: op.id };
        const params = op.params.filter((x) => x.in !== 'body');
        if (params.length) o.parameters = params.map(v3Param);
        const b = op.params.find((x) => x.in === 'body');
        if (b) {
          const schema = v3Schema(b.schema, refs);
          o.requestBody = { content: v3Content(op.consumes ?? ['*/*'], schema) };
          if (b.required) o.requestBody.required = true;
        }
        const responses: Schema = {};
        for (const code of ['200', ...op.codes]) {
          const r3: Schema = { description: code === '200' ? 'OK' : code === '201' ? 'Created' : 'Accepted' };
          if (op.response) r3.content = v3Content(op.produces, v3Schema({ $ref: '#/definitions/' + op.response }, refs));
          responses[code] = r3;
        }
        responses['401'] = { description: 'Unauthorized' };
        o.responses = responses;
        o['x-kubernetes-action'] = op.action;
        if (op.gvk) o['x-kubernetes-group-version-kind'] = op.gvk;
        item[op.method] = o;
      }
      paths[p.path] = item;
    }
  }
  // components.schemas: the closure of everything referenced
  const defs = allDefinitions(rs, 'v3');
  const schemas: Schema = {};
  const pending = [...refs];
  while (pending.length) {
    const name = pending.pop()!;
    if (schemas[name] || !defs[name]) continue;
    const more = new Set<string>();
    schemas[name] = v3Schema(defs[name], more);
    for (const m of more) if (!schemas[m]) pending.push(m);
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths: sortKeys(paths),
    components: {
      schemas: sortKeys(schemas),
      securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } },
    },
  };
}

function v3Entry(gvPath: string, resources?: readonly ResourceInfo[]): V3Entry | undefined {
  const rs = resolve(resources);
  let m = v3Cache.get(rs);
  if (!m) v3Cache.set(rs, (m = new Map()));
  let hit = m.get(gvPath);
  if (hit === undefined) {
    const doc = buildV3(rs, gvPath);
    if (!doc) hit = null;
    else {
      const json = JSON.stringify(doc);
      hit = { doc, json, hash: createHash('sha512').update(json).digest('hex').toUpperCase() };
    }
    m.set(gvPath, hit);
  }
  return hit ?? undefined;
}

/** `GET /openapi/v3`: one entry per served group-version, each with a content hash. */
export function openapiV3Root(resources?: readonly ResourceInfo[]): { paths: Record<string, { serverRelativeURL: string }> } {
  const rs = resolve(resources);
  const gvs = [...new Set(rs.map(gvPathOf))].sort();
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of gvs) paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${v3Entry(gv, rs)!.hash}` };
  return { paths };
}

/** `GET /openapi/v3/{gvPath}` (`api/v1`, `apis/apps/v1`); undefined → 404. */
export function openapiV3GroupVersion(gvPath: string, resources?: readonly ResourceInfo[]): Schema | undefined {
  return v3Entry(gvPath.replace(/^\/+|\/+$/g, ''), resources)?.doc;
}

/** The same document serialized once, with its hash (serve `Cache-Control` immutable when ?hash matches). */
export function openapiV3GroupVersionJSON(
  gvPath: string,
  resources?: readonly ResourceInfo[],
): { json: string; hash: string } | undefined {
  const e = v3Entry(gvPath.replace(/^\/+|\/+$/g, ''), resources);
  return e ? { json: e.json, hash: e.hash } : undefined;
}

/** "apps/v1" → "apis/apps/v1", "v1" → "api/v1". */
export function gvPathFor(apiVersion: string): string {
  return apiVersion.includes('/') ? `apis/${apiVersion}` : `api/${apiVersion}`;
}

function sortKeys(o: Schema): Schema {
  const out: Schema = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k];
  return out;
}

