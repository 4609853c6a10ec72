// Generator for the OpenAPI definitions kube-apiserver publishes (/openapi/v2, /openapi/v3):
// reads @kubernetes/client-node's models (attributeTypeMap + .d.ts doc comments) and the
// merge-metadata table, and writes definitions.gen.json beside this file.
// Run: node --import tsx src/apiserver/openapi/gen.ts [path/to/merge-metadata.tsv]
// (default: src/api/merge-metadata.tsv, else the shared api-facts copy)

import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { builtinResources, groupVersion } from '../../api/resources.ts';

type Schema = Record<string, any>;
interface Attr {
  name: string;
  baseName: string;
  type: string;
  format: string;
}
interface FieldDoc {
  doc?: string;
  optional: boolean;
}

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const modelsDir = join(root, 'node_modules', '@kubernetes', 'client-node', 'dist', 'gen', 'models');
const tsvPath =
  process.argv[2] ??
  [join(root, 'src', 'api', 'merge-metadata.tsv'), join(root, '..', 'shared', 'guide', 'api-facts', 'merge-metadata.tsv')].find(
    (p) => existsSync(p),
  ) ??
  'merge-metadata.tsv';
const outPath = join(here, 'definitions.gen.json');

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
const TIME = META + 'Time';
const MICROTIME = META + 'MicroTime';
const INTORSTRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const RAW = 'io.k8s.apimachinery.pkg.runtime.RawExtension';
const FIELDSV1 = META + 'FieldsV1';
const APIEXT = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.';

const metaTypes = new Set([
  'APIGroup', 'APIGroupList', 'APIResource', 'APIResourceList', 'APIVersions', 'Condition', 'DeleteOptions',
  'FieldSelectorRequirement', 'GroupVersionForDiscovery', 'LabelSelector', 'LabelSelectorRequirement', 'ListMeta',
  'ManagedFieldsEntry', 'ObjectMeta', 'OwnerReference', 'Preconditions', 'ServerAddressByClientCIDR', 'Status',
  'StatusCause', 'StatusDetails', 'WatchEvent',
]);

/** Scalar quantity fields (client-node types them as plain strings). */
const quantityFields = new Set([
  'V1EmptyDirVolumeSource.sizeLimit',
  'V1ResourceFieldSelector.divisor',
  'V2MetricTarget.averageValue',
  'V2MetricTarget.value',
  'V2MetricValueStatus.averageValue',
  'V2MetricValueStatus.value',
  'V1CSIStorageCapacity.capacity',
  'V1CSIStorageCapacity.maximumVolumeSize',
]);

/** Package of each named group as upstream names definitions. */
function groupPackage(group: string): string {
  if (group === '') return 'io.k8s.api.core';
  if (group === 'apiextensions.k8s.io') return 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions';
  if (group === 'apiregistration.k8s.io') return 'io.k8s.kube-aggregator.pkg.apis.apiregistration';
  if (group === 'rbac.authorization.k8s.io') return 'io.k8s.api.rbac';
  return 'io.k8s.api.' + group.split('.')[0];
}

function shortToPackage(short: string): string {
  if (short === 'meta') return 'io.k8s.apimachinery.pkg.apis.meta';
  if (short === 'apiextensions') return groupPackage('apiextensions.k8s.io');
  if (short === 'apiregistration') return groupPackage('apiregistration.k8s.io');
  return 'io.k8s.api.' + short;
}

// ---- merge metadata ----------------------------------------------------------------------

interface MergeRow {
  jsonType: string;
  patchStrategy: string;
  mergeKey: string;
  listType: string;
  listMapKeys: string;
  mapType: string;
  goFieldType: string;
  notes: string;
}
/** "core/v1.PodSpec" → json field → row */
const merge = new Map<string, Map<string, MergeRow>>();
/** type packages known from the table: "PodSpec" → ["core/v1"] */
const tsvPackages = new Map<string, Set<string>>();
/** definitions that carry +structType=atomic: "meta/v1.LabelSelector" */
const atomicStructs = new Set<string>();

function loadMergeTable(): void {
  const lines = readFileSync(tsvPath, 'utf8').split('\n');
  for (const line of lines.slice(1)) {
    if (!line.trim()) continue;
    const c = line.split('\t');
    const [goType, field, jsonType, patchStrategy, mergeKey, listType, listMapKeys, mapType, pkg, goFieldType, , notes] = c;
    const key = `${pkg}.${goType}`;
    let m = merge.get(key);
    if (!m) merge.set(key, (m = new Map()));
    m.set(field!, {
      jsonType: jsonType!, patchStrategy: patchStrategy!, mergeKey: mergeKey!, listType: listType!,
      listMapKeys: listMapKeys!, mapType: mapType!, goFieldType: goFieldType!, notes: notes ?? '',
    });
    let s = tsvPackages.get(goType!);
    if (!s) tsvPackages.set(goType!, (s = new Set()));
    s.add(pkg!);
    for (const mm of (notes ?? '').matchAll(/(?:on type|element type) ([a-z0-9]+\/v[a-z0-9]+\.[A-Za-z0-9]+)(?: is)? \+structType=atomic|\+structType=atomic on type ([a-z0-9]+\/v[a-z0-9]+\.[A-Za-z0-9]+)/g)) {
      atomicStructs.add((mm[1] ?? mm[2])!);
    }
    for (const mm of (notes ?? '').matchAll(/element type ([a-z0-9]+\/v[a-z0-9]+\.[A-Za-z0-9]+) is \+structType=atomic/g)) {
      atomicStructs.add(mm[1]!);
    }
  }
}

/** Types whose fields are inlined into others (Go embedding). */
const embeddedIn: Record<string, string[]> = {
  EphemeralContainer: ['EphemeralContainerCommon'],
  Volume: ['VolumeSource'],
  RuleWithOperations: ['Rule'],
  NamedRuleWithOperations: ['RuleWithOperations', 'Rule'],
};

function mergeRow(pkgShortVersion: string, typeName: string, field: string): MergeRow | undefined {
  for (const t of [typeName, ...(embeddedIn[typeName] ?? [])]) {
    const r = merge.get(`${pkgShortVersion}.${t}`)?.get(field);
    if (r) return r;
  }
  return undefined;
}

// ---- client-node models ------------------------------------------------------------------

const classFiles = new Set(
  readdirSync(modelsDir)
    .filter((f) => f.endsWith('.js') && f !== 'ObjectSerializer.js' && f !== 'all.js')
    .map((f) => f.slice(0, -3)),
);

async function attrs(cls: string): Promise<Attr[]> {
  const mod = await import(pathToFileURL(join(modelsDir, cls + '.js')).href);
  return (mod[cls]?.attributeTypeMap ?? []) as Attr[];
}

function unescapeDoc(lines: string[]): string {
  return lines
    .join('\n')
    .replace(/\\(['"\\])/g, '$1')
    .trim();
}

function docs(cls: string): { classDoc?: string; fields: Map<string, FieldDoc> } {
  const text = readFileSync(join(modelsDir, cls + '.d.ts'), 'utf8');
  const fields = new Map<string, FieldDoc>();
  let classDoc: string | undefined;
  let pending: string[] | undefined;
  let inDoc = false;
  let depth = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('/**')) {
      inDoc = true;
      pending = [];
      continue;
    }
    if (inDoc) {
      if (line.startsWith('*/')) inDoc = false;
      else pending!.push(line.replace(/^\* ?/, ''));
      continue;
    }
    if (line.startsWith('export declare class')) {
      classDoc = pending && pending.length ? unescapeDoc(pending) : undefined;
      pending = undefined;
      depth = 1;
      continue;
    }
    if (depth === 1) {
      const m = /^'([^']+)'(\?)?:/.exec(line);
      if (m) {
        const d: FieldDoc = { optional: m[2] === '?' };
        if (pending && pending.length) d.doc = unescapeDoc(pending);
        fields.set(m[1]!, d);
        pending = undefined;
      }
    }
  }
  if (classDoc?.startsWith('Kubernetes\nNo description provided')) classDoc = undefined;
  return { classDoc, fields };
}

// ---- naming ------------------------------------------------------------------------------

interface ClassName {
  prefix?: string;
  version: string;
  type: string;
}

function parseClass(cls: string): ClassName | undefined {
  let m = /^(V\d+(?:alpha\d+|beta\d+)?)([A-Z].*)$/.exec(cls);
  if (m) return { version: m[1]!.toLowerCase(), type: m[2]! };
  m = /^([A-Z][a-z]+)(V\d+(?:alpha\d+|beta\d+)?)([A-Z].*)$/.exec(cls);
  if (m) return { prefix: m[1]!.toLowerCase(), version: m[2]!.toLowerCase(), type: m[3]! };
  return undefined;
}

/** class → "core/v1" style short package, decided once. */
const classPkg = new Map<string, string>();

function packageOf(cls: string, referrerPkg: string | undefined): string {
  const known = classPkg.get(cls);
  if (known) return known;
  const p = parseClass(cls);
  if (!p) throw new Error(`cannot parse model class name ${cls}`);
  let pkg: string | undefined;
  if (p.prefix) pkg = `${p.prefix}/${p.version}`;
  else if (metaTypes.has(p.type) && p.version === 'v1') pkg = 'meta/v1';
  else {
    const cands = [...(tsvPackages.get(p.type) ?? [])].filter((x) => x.endsWith('/' + p.version));
    if (cands.length === 1) pkg = cands[0];
    else if (referrerPkg) pkg = `${referrerPkg.split('/')[0]}/${p.version}`;
  }
  if (!pkg) throw new Error(`no package for ${cls}`);
  classPkg.set(cls, pkg);
  return pkg;
}

function defName(cls: string): string {
  const pkg = classPkg.get(cls)!;
  const [short, version] = pkg.split('/');
  return `${shortToPackage(short!)}.${version}.${parseClass(cls)!.type}`;
}

function ref(name: string): Schema {
  return { $ref: '#/definitions/' + name };
}

// ---- schema building ---------------------------------------------------------------------

const definitions: Record<string, Schema> = {};
const queue: { cls: string; pkg: string }[] = [];

function enqueue(cls: string, referrerPkg: string | undefined): string {
  const had = classPkg.has(cls);
  const pkg = packageOf(cls, referrerPkg);
  if (!had) queue.push({ cls, pkg });
  return defName(cls);
}

function typeSchema(t: string, format: string, ownerPkg: string, quantity: boolean): Schema {
  if (t.startsWith('Array<') && t.endsWith('>')) {
    return { type: 'array', items: typeSchema(t.slice(6, -1), format, ownerPkg, quantity) };
  }
  const mm = /^\{ \[key: string\]: (.*); \}$/.exec(t);
  if (mm) return { type: 'object', additionalProperties: typeSchema(mm[1]!, format, ownerPkg, quantity) };
  switch (t) {
    case 'string':
      if (quantity) return ref(QUANTITY);
      return format ? { type: 'string', format } : { type: 'string' };
    case 'number':
      return format === 'double' ? { type: 'number', format: 'double' } : { type: 'integer', format: format || 'int32' };
    case 'boolean':
      return { type: 'boolean' };
    case 'Date':
      return ref(TIME);
    case 'V1MicroTime':
      return ref(MICROTIME);
    case 'IntOrString':
      return ref(INTORSTRING);
    case 'any':
      return ref(RAW);
  }
  if (classFiles.has(t)) return ref(enqueue(t, ownerPkg));
  throw new Error(`unknown attribute type ${t}`);
}

/** `any`-typed fields whose upstream type is a named definition. */
const anyFields: Record<string, Schema> = {
  'V1ManagedFieldsEntry.fieldsV1': ref(FIELDSV1),
  'V1CustomResourceSubresources.status': ref(APIEXT + 'CustomResourceSubresourceStatus'),
  'V1JSONSchemaProps.additionalItems': ref(APIEXT + 'JSONSchemaPropsOrBool'),
  'V1JSONSchemaProps.additionalProperties': ref(APIEXT + 'JSONSchemaPropsOrBool'),
  'V1JSONSchemaProps.default': ref(APIEXT + 'JSON'),
  'V1JSONSchemaProps.example': ref(APIEXT + 'JSON'),
  'V1JSONSchemaProps.items': ref(APIEXT + 'JSONSchemaPropsOrArray'),
  'V1JSONSchemaProps.dependencies': { type: 'object', additionalProperties: ref(APIEXT + 'JSONSchemaPropsOrStringArray') },
  'V1JSONSchemaProps.enum': { type: 'array', items: ref(APIEXT + 'JSON') },
};

/** Doc comments client-node copies from a referenced type rather than the field. */
const typeDocPrefixes = ['IntOrString is a type', 'MicroTime is version of Time'];

async function buildClass(cls: string, pkg: string): Promise<void> {
  const name = defName(cls);
  const { classDoc, fields } = docs(cls);
  const d: Schema = {};
  if (classDoc) d.description = classDoc;
  const props: Record<string, Schema> = {};
  const required: string[] = [];
  const typeName = parseClass(cls)!.type;
  for (const a of await attrs(cls)) {
    const field = a.baseName;
    const fd = fields.get(a.name) ?? fields.get(a.baseName);
    const row = mergeRow(pkg, typeName, field);
    const isQuantity =
      quantityFields.has(`${cls}.${field}`) ||
      !!(row && /ResourceList|resource\.Quantity/.test(row.goFieldType) && a.type.includes('string'));
    let s: Schema = anyFields[`${cls}.${field}`] ?? typeSchema(a.type, a.format, pkg, isQuantity);
    s = { ...s };
    if (fd?.doc && !typeDocPrefixes.some((p) => fd.doc!.startsWith(p))) s.description = fd.doc;
    if (row) {
      if (row.patchStrategy) s['x-kubernetes-patch-strategy'] = row.patchStrategy;
      if (row.mergeKey) s['x-kubernetes-patch-merge-key'] = row.mergeKey;
      if (row.listType) s['x-kubernetes-list-type'] = row.listType;
      if (row.listMapKeys) s['x-kubernetes-list-map-keys'] = row.listMapKeys.split(',');
      if (row.mapType && !/inherited/.test(row.notes)) s['x-kubernetes-map-type'] = row.mapType;
    }
    props[field] = s;
    if (fd && !fd.optional) required.push(field);
  }
  if (required.length) d.required = required.sort();
  d.type = 'object';
  if (Object.keys(props).length) d.properties = props;
  if (atomicStructs.has(`${pkg}.${typeName}`)) d['x-kubernetes-map-type'] = 'atomic';
  definitions[name] = d;
}

// Types client-node flattens into primitives; descriptions are our own words.
const special: Record<string, Schema> = {
  [TIME]: { description: 'An RFC 3339 timestamp with second precision, in UTC.', type: 'string', format: 'date-time' },
  [MICROTIME]: { description: 'An RFC 3339 timestamp with microsecond precision, in UTC.', type: 'string', format: 'date-time' },
  [INTORSTRING]: { description: 'A value that is either a 32-bit integer or a string.', type: 'string', format: 'int-or-string' },
  [QUANTITY]: {
    description:
      'A fixed-point number with an optional suffix: binary SI (Ki, Mi, Gi, Ti, Pi, Ei), decimal SI (m, k, M, G, T, P, E) or a decimal exponent (e3, E6). Examples: 100m, 1.5, 128Mi, 1e3.',
    type: 'string',
  },
  [RAW]: { description: 'An embedded object in its JSON form.', type: 'object' },
  [FIELDSV1]: { description: 'The set of fields a manager owns, in the structured-merge-diff FieldsV1 format.', type: 'object' },
  [META + 'Patch']: { description: 'The body of a PATCH request, in the format named by its Content-Type.', type: 'object' },
  [APIEXT + 'JSON']: { description: 'Any JSON value.' },
  [APIEXT + 'JSONSchemaPropsOrArray']: { description: 'A JSON schema, or an array of JSON schemas.' },
  [APIEXT + 'JSONSchemaPropsOrBool']: { description: 'A JSON schema, or a boolean (false forbids additional values).' },
  [APIEXT + 'JSONSchemaPropsOrStringArray']: { description: 'A JSON schema, or an array of property names.' },
  [APIEXT + 'CustomResourceSubresourceStatus']: {
    description: 'Enables the /status subresource of a custom resource; its body is empty.',
    type: 'object',
  },
};

// ---- roots -------------------------------------------------------------------------------

function classFor(group: string, version: string, kind: string): string | undefined {
  const v = version[0]!.toUpperCase() + version.slice(1);
  const pkg = groupPackage(group).split('.').pop()!;
  const prefixed = pkg[0]!.toUpperCase() + pkg.slice(1) + v + kind;
  if (classFiles.has(prefixed)) return prefixed;
  if (classFiles.has(v + kind)) return v + kind;
  return undefined;
}

async function main(): Promise<void> {
  loadMergeTable();
  const gvks = new Map<string, { group: string; version: string; kind: string }[]>();
  const addGVK = (name: string, g: { group: string; version: string; kind: string }): void => {
    let l = gvks.get(name);
    if (!l) gvks.set(name, (l = []));
    if (!l.some((x) => x.group === g.group && x.version === g.version && x.kind === g.kind)) l.push(g);
  };
  // Roots in group order, core first, so shared types land in the package that declares them.
  const roots: { group: string; version: string; kind: string }[] = [];
  for (const r of builtinResources) {
    roots.push({ group: r.group, version: r.version, kind: r.kind }, { group: r.group, version: r.version, kind: r.listKind });
    for (const s of r.subresources ?? []) roots.push({ group: s.group ?? r.group, version: s.version ?? r.version, kind: s.kind });
  }
  roots.sort((a, b) => (a.group === '' ? 0 : 1) - (b.group === '' ? 0 : 1));
  for (const g of roots) {
    const cls = classFor(g.group, g.version, g.kind);
    if (!cls) continue; // connect options (PodExecOptions …) have no schema
    if (!classPkg.has(cls)) {
      const short = groupPackage(g.group).split('.').pop()!;
      classPkg.set(cls, `${short}/${g.version}`);
      queue.push({ cls, pkg: `${short}/${g.version}` });
    }
    addGVK(defName(cls), g);
    while (queue.length) {
      const q = queue.shift()!;
      await buildClass(q.cls, q.pkg);
    }
  }
  const allGVs = [...new Set(builtinResources.map((r) => groupVersion(r)))];
  for (const cls of ['V1Status', 'V1DeleteOptions', 'V1WatchEvent', 'V1APIResourceList', 'V1APIGroupList', 'V1APIGroup', 'V1APIVersions']) {
    enqueue(cls, 'meta/v1');
    while (queue.length) {
      const q = queue.shift()!;
      await buildClass(q.cls, q.pkg);
    }
  }
  addGVK(META + 'Status', { group: '', version: 'v1', kind: 'Status' });
  addGVK(META + 'APIResourceList', { group: '', version: 'v1', kind: 'APIResourceList' });
  addGVK(META + 'APIGroupList', { group: '', version: 'v1', kind: 'APIGroupList' });
  addGVK(META + 'APIGroup', { group: '', version: 'v1', kind: 'APIGroup' });
  addGVK(META + 'APIVersions', { group: '', version: 'v1', kind: 'APIVersions' });
  for (const gv of allGVs) {
    const [group, version] = gv.includes('/') ? gv.split('/') : ['', gv];
    addGVK(META + 'DeleteOptions', { group: group!, version: version!, kind: 'DeleteOptions' });
    addGVK(META + 'WatchEvent', { group: group!, version: version!, kind: 'WatchEvent' });
  }
  Object.assign(definitions, special);
  for (const [name, list] of gvks) {
    if (definitions[name]) definitions[name]['x-kubernetes-group-version-kind'] = list;
  }
  // Every $ref must resolve, or kubectl's OpenAPI parser rejects the whole document.
  const missing = new Set<string>();
  const walk = (s: any): void => {
    if (!s || typeof s !== 'object') return;
    if (typeof s.$ref === 'string' && !definitions[s.$ref.slice('#/definitions/'.length)]) missing.add(s.$ref);
    for (const v of Object.values(s)) walk(v);
  };
  walk(definitions);
  if (missing.size) throw new Error('unresolved refs: ' + [...missing].join(', '));
  const sorted: Record<string, Schema> = {};
  for (const k of Object.keys(definitions).sort()) sorted[k] = definitions[k]!;
  const text = JSON.stringify({ definitions: sorted });
  writeFileSync(outPath, text + '\n');
  console.log(`wrote ${Object.keys(sorted).length} definitions, ${(text.length / 1024 / 1024).toFixed(2)} MiB to ${outPath}`);
  if (process.env.SHOW_PACKAGES) for (const [c, p] of classPkg) console.log(p, c);
}

if (!existsSync(tsvPath)) throw new Error(`merge metadata table not found: ${tsvPath}`);
await main();
