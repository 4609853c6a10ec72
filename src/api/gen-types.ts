// Generates src/api/types.generated.ts: the field → type graph of the built-in kinds (read from
// @kubernetes/client-node's model classes) joined with the strategic-merge-patch and
// server-side-apply metadata of merge-metadata.tsv (patchStrategy/patchMergeKey struct tags,
// +listType/+listMapKey/+mapType/+structType markers of k8s.io/api).
//   node --import tsx src/api/gen-types.ts
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const modelsDir = fileURLToPath(new URL('../../node_modules/@kubernetes/client-node/dist/gen/models/', import.meta.url));

/** Built-in GA kinds: [group, version, kind]. The model is found by client-node's naming rule. */
const KINDS: [string, string, string][] = [
  ...['Binding', 'ComponentStatus', 'ConfigMap', 'Endpoints', 'Event', 'LimitRange', 'Namespace', 'Node', 'PersistentVolume',
    'PersistentVolumeClaim', 'Pod', 'PodTemplate', 'ReplicationController', 'ResourceQuota', 'Secret', 'Service', 'ServiceAccount',
  ].map((k): [string, string, string] => ['', 'v1', k]),
  ...['ControllerRevision', 'DaemonSet', 'Deployment', 'ReplicaSet', 'StatefulSet'].map((k): [string, string, string] => ['apps', 'v1', k]),
  ['batch', 'v1', 'Job'],
  ['batch', 'v1', 'CronJob'],
  ['autoscaling', 'v1', 'HorizontalPodAutoscaler'],
  ['autoscaling', 'v1', 'Scale'],
  ['autoscaling', 'v2', 'HorizontalPodAutoscaler'],
  ['policy', 'v1', 'PodDisruptionBudget'],
  ['policy', 'v1', 'Eviction'],
  ...['Ingress', 'IngressClass', 'NetworkPolicy', 'IPAddress', 'ServiceCIDR'].map((k): [string, string, string] => ['networking.k8s.io', 'v1', k]),
  ...['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'].map((k): [string, string, string] => ['rbac.authorization.k8s.io', 'v1', k]),
  ...['StorageClass', 'VolumeAttachment', 'CSIDriver', 'CSINode', 'CSIStorageCapacity', 'VolumeAttributesClass'].map(
    (k): [string, string, string] => ['storage.k8s.io', 'v1', k],
  ),
  ['coordination.k8s.io', 'v1', 'Lease'],
  ['discovery.k8s.io', 'v1', 'EndpointSlice'],
  ['scheduling.k8s.io', 'v1', 'PriorityClass'],
  ['certificates.k8s.io', 'v1', 'CertificateSigningRequest'],
  ['events.k8s.io', 'v1', 'Event'],
  ['node.k8s.io', 'v1', 'RuntimeClass'],
  ...['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding',
    'MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding',
  ].map((k): [string, string, string] => ['admissionregistration.k8s.io', 'v1', k]),
  ['apiextensions.k8s.io', 'v1', 'CustomResourceDefinition'],
  ['apiregistration.k8s.io', 'v1', 'APIService'],
  ['flowcontrol.apiserver.k8s.io', 'v1', 'FlowSchema'],
  ['flowcontrol.apiserver.k8s.io', 'v1', 'PriorityLevelConfiguration'],
  ...['DeviceClass', 'ResourceClaim', 'ResourceClaimTemplate', 'ResourceSlice'].map((k): [string, string, string] => ['resource.k8s.io', 'v1', k]),
  ['authentication.k8s.io', 'v1', 'TokenReview'],
  ['authentication.k8s.io', 'v1', 'TokenRequest'],
  ['authentication.k8s.io', 'v1', 'SelfSubjectReview'],
  ...['SubjectAccessReview', 'LocalSubjectAccessReview', 'SelfSubjectAccessReview', 'SelfSubjectRulesReview'].map(
    (k): [string, string, string] => ['authorization.k8s.io', 'v1', k],
  ),
];

/** Inline-embedded Go structs: their rows also apply to the embedding types. */
const EMBEDDED: Record<string, string[]> = {
  'core/v1.EphemeralContainerCommon': ['EphemeralContainer'],
  'core/v1.VolumeSource': ['Volume'],
  'core/v1.PersistentVolumeSource': ['PersistentVolumeSpec'],
  'admissionregistration/v1.Rule': ['RuleWithOperations', 'NamedRuleWithOperations'],
  'admissionregistration/v1.RuleWithOperations': ['NamedRuleWithOperations'],
};

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

// ---- client-node models ----
interface Attr {
  baseName: string;
  type: string;
  format: string;
}
const models = new Map<string, Attr[]>();
for (const f of readdirSync(modelsDir)) {
  if (!f.endsWith('.js') || f === 'all.js' || f === 'ObjectSerializer.js') continue;
  const name = f.slice(0, -3);
  const mod = (await import(pathToFileURL(modelsDir + f).href)) as Record<string, { attributeTypeMap?: Attr[] }>;
  const cls = mod[name];
  if (cls?.attributeTypeMap) models.set(name, cls.attributeTypeMap);
}

/** client-node names a type `<Version><Name>`, or `<Group><Version><Name>` when the short name is ambiguous. */
function modelFor(pkg: string, goType: string): string | undefined {
  const [grp, ver] = pkg.split('/') as [string, string];
  const prefixed = `${grp === 'meta' ? '' : cap(grp)}${cap(ver)}${goType}`;
  if (models.has(prefixed)) return prefixed;
  const plain = `${cap(ver)}${goType}`;
  return models.has(plain) ? plain : undefined;
}

function modelForGVK(group: string, version: string, kind: string): string | undefined {
  const g = group === '' ? 'Core' : cap(group.split('.')[0]!);
  for (const n of [`${g}${cap(version)}${kind}`, `${cap(version)}${kind}`]) if (models.has(n)) return n;
  return undefined;
}

/** A client-node attribute type as a compact type expression: Model, scalar, []T, {}T. */
function typeExpr(type: string, format: string): string {
  if (type.startsWith('Array<')) return '[]' + typeExpr(type.slice(6, -1), format);
  const m = /^\{ \[key: string\]: (.*); \}$/.exec(type);
  if (m) return '{}' + typeExpr(m[1]!, format);
  switch (type) {
    case 'string':
      return format === 'byte' ? 'bytes' : format === 'date-time' ? 'time' : format === 'date-time-micro' ? 'microtime' : 'string';
    case 'number':
      return format === 'int32' ? 'int32' : format === 'int64' ? 'int64' : 'float64';
    case 'boolean':
      return 'bool';
    case 'Date':
      return format === 'date-time-micro' ? 'microtime' : 'time';
    case 'V1MicroTime':
      return 'microtime';
    case 'IntOrString':
      return 'intstr';
    case 'any':
      return 'any';
  }
  if (!models.has(type)) throw new Error(`unknown client-node type ${type}`);
  return type;
}

/** A Go field type from the TSV (for fields newer than client-node) as a type expression. */
function goTypeExpr(goType: string, pkg: string): string {
  let t = goType.replace(/^\*/, '');
  if (t.startsWith('[]')) return '[]' + goTypeExpr(t.slice(2), pkg);
  const m = /^map\[[^\]]+\](.*)$/.exec(t);
  if (m) return '{}' + goTypeExpr(m[1]!, pkg);
  if (['string', 'int32', 'int64', 'bool', 'float64'].includes(t)) return t;
  if (t === 'metav1.Time') return 'time';
  let p = pkg;
  const dot = /^(\w+)\.(\w+)$/.exec(t);
  if (dot) {
    p = dot[1] === 'metav1' ? 'meta/v1' : dot[1] === 'corev1' || dot[1] === 'v1' ? 'core/v1' : pkg;
    t = dot[2]!;
  }
  return modelFor(p, t) ?? 'any';
}

// ---- merge metadata table ----
const tsv = readFileSync(here + 'merge-metadata.tsv', 'utf8').trim().split('\n');
const header = tsv[0]!.split('\t');
const col = (n: string) => header.indexOf(n);
interface Row {
  field: string;
  jsonType: string;
  strategy: string;
  mergeKey: string;
  listType: string;
  listMapKeys: string;
  mapType: string;
  pkg: string;
  goFieldType: string;
  notes: string;
}
const rowsByModel = new Map<string, Map<string, Row>>();
const atomicTypes = new Set<string>();
const unmatched: string[] = [];
for (const line of tsv.slice(1)) {
  const c = line.split('\t');
  const goType = c[col('go_type')]!;
  const pkg = c[col('go_package')]!;
  const row: Row = {
    field: c[col('json_field')]!,
    jsonType: c[col('json_type')]!,
    strategy: c[col('patch_strategy')]!,
    mergeKey: c[col('patch_merge_key')]!,
    listType: c[col('list_type')]!,
    listMapKeys: c[col('list_map_keys')]!,
    mapType: c[col('map_type')]!,
    pkg,
    goFieldType: c[col('go_field_type')]!,
    notes: c[col('notes')] ?? '',
  };
  const targets: string[] = [];
  const own = modelFor(pkg, goType);
  if (own) targets.push(own);
  for (const e of EMBEDDED[`${pkg}.${goType}`] ?? []) {
    const m = modelFor(pkg, e);
    if (m) targets.push(m);
  }
  if (targets.length === 0) unmatched.push(`${pkg}.${goType}`);
  for (const t of targets) {
    let m = rowsByModel.get(t);
    if (!m) rowsByModel.set(t, (m = new Map()));
    m.set(row.field, row);
  }
  for (const re of [/on type ([\w/]+)\.(\w+)/, /element type ([\w/]+)\.(\w+) is \+structType=atomic/]) {
    const m = re.exec(row.notes);
    if (m && (re.source.includes('element') || row.notes.includes('+structType=atomic'))) {
      const model = modelFor(m[1]!, m[2]!);
      if (model) atomicTypes.add(model);
    }
  }
}

/** `key protocol has +default="TCP"` → protocol=TCP (SSA fills omitted list-map keys with it). */
function keyDefaults(notes: string): string {
  const out: string[] = [];
  for (const m of notes.matchAll(/key (\w+) has \+default="([^"]*)"/g)) out.push(`${m[1]}=${m[2]}`);
  return out.join(',');
}

// ---- walk the graph from the root kinds ----
const kinds: [string, string, string, string][] = [];
const queue: string[] = ['V1ObjectMeta', 'V1Status', 'V1DeleteOptions'];
for (const [g, v, k] of KINDS) {
  const m = modelForGVK(g, v, k);
  if (!m) throw new Error(`no client-node model for ${g}/${v} ${k}`);
  kinds.push([g, v, k, m]);
  queue.push(m);
}
const types = new Map<string, string>();
const referenced = (expr: string): string | undefined => {
  const t = expr.replace(/^(\[\]|\{\})+/, '');
  return /^[A-Z]/.test(t) ? t : undefined;
};
while (queue.length) {
  const name = queue.pop()!;
  if (types.has(name)) continue;
  const attrs = models.get(name);
  if (!attrs) throw new Error(`missing model ${name}`);
  const rows = rowsByModel.get(name);
  const fields: string[] = [];
  const seen = new Set<string>();
  const emit = (field: string, expr: string, row: Row | undefined) => {
    seen.add(field);
    const ref = referenced(expr);
    if (ref) queue.push(ref);
    const segs = [expr];
    if (row) segs.push(row.strategy, row.mergeKey, row.listType, row.listMapKeys, row.mapType, keyDefaults(row.notes));
    while (segs.length > 1 && segs[segs.length - 1] === '') segs.pop();
    fields.push(`${field}:${segs.join(';')}`);
  };
  for (const a of attrs) emit(a.baseName, typeExpr(a.type, a.format), rows?.get(a.baseName));
  // Fields newer than the client-node release: typed from the table's Go type.
  for (const [f, row] of rows ?? []) if (!seen.has(f)) emit(f, goTypeExpr(row.goFieldType, row.pkg), row);
  types.set(name, fields.join(' '));
}

const sorted = [...types.keys()].sort();
let out = '// GENERATED by src/api/gen-types.ts from @kubernetes/client-node models and merge-metadata.tsv; do not edit.\n';
out += '// Field spec: `json:type;patchStrategy;patchMergeKey;listType;listMapKeys;mapType;keyDefaults` (empty tail trimmed).\n';
out += '// Types: Model, []T (list), {}T (map with string keys), string, bytes, int32, int64, float64, bool, time, microtime, intstr, any.\n\n';
out += `export const KINDS: readonly (readonly [group: string, version: string, kind: string, model: string])[] = ${JSON.stringify(kinds)};\n\n`;
out += `export const ATOMIC_TYPES: readonly string[] = ${JSON.stringify([...atomicTypes].filter((t) => types.has(t)).sort())};\n\n`;
out += 'export const TYPES: Record<string, string> = {\n';
for (const n of sorted) out += `  ${n}: ${JSON.stringify(types.get(n))},\n`;
out += '};\n';
writeFileSync(here + 'types.generated.ts', out);
const reachableUnmatched = unmatched.filter((u) => !u.startsWith('meta/v1') && !/List$/.test(u));
process.stdout.write(`types.generated.ts: ${types.size} types, ${kinds.length} kinds, ${out.length} bytes\n`);
if (reachableUnmatched.length) process.stdout.write(`table types without a client-node model: ${[...new Set(reachableUnmatched)].join(', ')}\n`);
