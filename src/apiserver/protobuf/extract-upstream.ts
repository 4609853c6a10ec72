// Dev tool: derives the Kubernetes protobuf field table (fields.tsv, kinds.tsv) from the Go struct
// tags of k8s.io/api and k8s.io/apimachinery checkouts, so the wire schema we decode follows upstream.
//
// Usage: node --import tsx src/apiserver/protobuf/extract-upstream.ts <k8s.io/api dir> <k8s.io/apimachinery dir> [shared protobuf-fields.tsv]
// (both at the release the server targets, e.g. `git archive v0.32.5` of each). Then run generate-schema.ts.
//
// Only facts are taken from upstream: message and field names, field numbers, wire rules, Go
// pointer-ness (which decides whether a zero value on the wire means "unset"), and JSON inlining.
// When a third argument is given, every row of the hand-written shared table is checked against
// the extraction and differences are printed.

import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

interface GoField {
  goName: string;
  goType: string;
  json: string; // '' when inline
  inline: boolean;
  wire: string;
  number: number;
  rep: boolean;
  protoName: string;
}

interface GoPackage {
  path: string; // Go import path
  proto: string; // proto package as the shared table names it, e.g. api.core.v1
  structs: Map<string, GoField[]>;
  named: Map<string, string>; // type X <underlying>
  imports: Map<string, string>; // alias -> import path (merged across files; aliases agree upstream)
}

const API_PACKAGES = [
  'core/v1', 'apps/v1', 'batch/v1', 'authorization/v1', 'authentication/v1', 'rbac/v1', 'scheduling/v1',
  'policy/v1', 'networking/v1', 'certificates/v1', 'autoscaling/v1', 'autoscaling/v2', 'coordination/v1',
];
const MACHINERY_PACKAGES = ['pkg/apis/meta/v1', 'pkg/runtime', 'pkg/util/intstr', 'pkg/api/resource'];

/** Top-level kinds kubectl's typed clients may send, by apiVersion. */
const KINDS: Array<[string, string[]]> = [
  ['v1', ['Pod', 'Namespace', 'ConfigMap', 'Secret', 'Service', 'ServiceAccount', 'ResourceQuota', 'Binding', 'Endpoints', 'Event', 'Node', 'PersistentVolumeClaim', 'ReplicationController', 'LimitRange']],
  ['apps/v1', ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet']],
  ['batch/v1', ['Job', 'CronJob']],
  ['authorization.k8s.io/v1', ['SelfSubjectAccessReview', 'SelfSubjectRulesReview', 'SubjectAccessReview', 'LocalSubjectAccessReview']],
  ['authentication.k8s.io/v1', ['SelfSubjectReview', 'TokenRequest', 'TokenReview']],
  ['rbac.authorization.k8s.io/v1', ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']],
  ['scheduling.k8s.io/v1', ['PriorityClass']],
  ['policy/v1', ['PodDisruptionBudget', 'Eviction']],
  ['networking.k8s.io/v1', ['Ingress', 'IngressClass', 'NetworkPolicy']],
  ['certificates.k8s.io/v1', ['CertificateSigningRequest']],
  ['autoscaling/v1', ['HorizontalPodAutoscaler', 'Scale']],
  ['autoscaling/v2', ['HorizontalPodAutoscaler']],
  ['coordination.k8s.io/v1', ['Lease']],
];

/** Messages whose Go type has custom (un)marshalling; their wire fields are written here by hand. */
const SPECIAL: Record<string, Array<[string, number, string]>> = {
  'apimachinery.pkg.apis.meta.v1.Time': [['seconds', 1, 'int64'], ['nanos', 2, 'int32']],
  'apimachinery.pkg.apis.meta.v1.MicroTime': [['seconds', 1, 'int64'], ['nanos', 2, 'int32']],
  'apimachinery.pkg.apis.meta.v1.Duration': [['duration', 1, 'int64']],
  'apimachinery.pkg.apis.meta.v1.FieldsV1': [['Raw', 1, 'bytes']],
  'apimachinery.pkg.api.resource.Quantity': [['string', 1, 'string']],
  'apimachinery.pkg.util.intstr.IntOrString': [['type', 1, 'int64'], ['intVal', 2, 'int32'], ['strVal', 3, 'string']],
  'apimachinery.pkg.runtime.RawExtension': [['raw', 1, 'bytes']],
};
const SPECIAL_GO: Record<string, string> = {
  'k8s.io/apimachinery/pkg/apis/meta/v1.Time': 'apimachinery.pkg.apis.meta.v1.Time',
  'k8s.io/apimachinery/pkg/apis/meta/v1.MicroTime': 'apimachinery.pkg.apis.meta.v1.MicroTime',
  'k8s.io/apimachinery/pkg/apis/meta/v1.Duration': 'apimachinery.pkg.apis.meta.v1.Duration',
  'k8s.io/apimachinery/pkg/apis/meta/v1.FieldsV1': 'apimachinery.pkg.apis.meta.v1.FieldsV1',
  'k8s.io/apimachinery/pkg/api/resource.Quantity': 'apimachinery.pkg.api.resource.Quantity',
  'k8s.io/apimachinery/pkg/util/intstr.IntOrString': 'apimachinery.pkg.util.intstr.IntOrString',
  'k8s.io/apimachinery/pkg/runtime.RawExtension': 'apimachinery.pkg.runtime.RawExtension',
};
const BASIC: Record<string, string> = { string: 'string', bool: 'bool', int32: 'int32', int64: 'int64', float64: 'double', '[]byte': 'bytes', 'k8s.io/apimachinery/pkg/types.UID': 'string', 'k8s.io/apimachinery/pkg/types.NodeName': 'string' };

function parsePackage(dir: string, path: string, proto: string): GoPackage {
  const pkg: GoPackage = { path, proto, structs: new Map(), named: new Map(), imports: new Map() };
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.go') || file.endsWith('_test.go') || file.startsWith('zz_generated') || file.endsWith('.pb.go')) continue;
    const text = readFileSync(join(dir, file), 'utf8');
    for (const m of text.matchAll(/^\s*(?:import\s+)?(?:([A-Za-z0-9_]+)\s+)?"(k8s\.io\/[^"]+)"\s*$/gm)) {
      const alias = m[1] ?? m[2]!.split('/').pop()!;
      pkg.imports.set(alias, m[2]!);
    }
    for (const m of text.matchAll(/^type ([A-Z][A-Za-z0-9]*) (string|bool|int32|int64|float64|\[\][A-Za-z0-9.]+|map\[[^\]]+\][*A-Za-z0-9.\[\]]+)\s*$/gm)) {
      pkg.named.set(m[1]!, m[2]!);
    }
    for (const m of text.matchAll(/^type ([A-Z][A-Za-z0-9]*) struct \{\n([\s\S]*?)\n\}/gm)) {
      const fields: GoField[] = [];
      for (const raw of m[2]!.split('\n')) {
        const line = raw.trim();
        if (line.startsWith('//') || !line.includes('protobuf:"')) continue;
        const f = /^(?:([A-Za-z0-9_]+)\s+)?([*A-Za-z0-9_.\[\]]+)\s+`([^`]*)`/.exec(line);
        if (!f) {
          console.error(`unparsed field in ${path}.${m[1]}: ${line}`);
          continue;
        }
        const tags = f[3]!;
        const pb = /protobuf:"([^"]*)"/.exec(tags)![1]!;
        if (pb === '-') continue;
        const parts = pb.split(',');
        const goName = f[1] ?? f[2]!.replace(/^\*/, '').split('.').pop()!;
        const protoName = parts.find((p) => p.startsWith('name='))?.slice(5) ?? goName[0]!.toLowerCase() + goName.slice(1);
        const jsonTag = /json:"([^"]*)"/.exec(tags)?.[1];
        const jsonName = jsonTag === undefined ? protoName : jsonTag.split(',')[0]!;
        const inline = jsonTag !== undefined && jsonTag.split(',').includes('inline');
        fields.push({
          goName,
          goType: f[2]!,
          // json:"-" fields (runtime.Unknown.raw) keep their protobuf name.
          json: inline ? '' : jsonName === '-' ? protoName : jsonName,
          inline,
          wire: parts[0]!,
          number: Number(parts[1]),
          rep: parts[2] === 'rep',
          protoName,
        });
      }
      pkg.structs.set(m[1]!, fields);
    }
  }
  return pkg;
}

function main(): void {
  const [apiDir, machineryDir, sharedTsv] = process.argv.slice(2);
  if (!apiDir || !machineryDir) {
    console.error('usage: extract-upstream.ts <k8s.io/api dir> <k8s.io/apimachinery dir> [protobuf-fields.tsv]');
    process.exit(2);
  }
  const packages = new Map<string, GoPackage>();
  for (const p of API_PACKAGES) packages.set(`k8s.io/api/${p}`, parsePackage(join(apiDir, p), `k8s.io/api/${p}`, `api.${p.replace(/\//g, '.')}`));
  for (const p of MACHINERY_PACKAGES) {
    packages.set(`k8s.io/apimachinery/${p}`, parsePackage(join(machineryDir, p), `k8s.io/apimachinery/${p}`, `apimachinery.${p.replace(/\//g, '.')}`));
  }

  const rows: string[] = [];
  const done = new Set<string>();
  const queue: Array<[GoPackage, string]> = [];

  // Resolves a Go type expression in a package to [rule-or-'', schema type] for one value.
  const resolve = (pkg: GoPackage, t: string, where: string): { type: string; ptr: boolean; rep?: string; map?: string } => {
    let ptr = false;
    if (t.startsWith('*')) {
      ptr = true;
      t = t.slice(1);
    }
    if (t === '[]byte') return { type: 'bytes', ptr };
    const mapM = /^map\[([^\]]+)\](.+)$/.exec(t);
    if (mapM) {
      const key = resolve(pkg, mapM[1]!, where);
      const val = resolve(pkg, mapM[2]!, where);
      return { type: val.type, ptr, map: key.type };
    }
    if (t.startsWith('[]')) {
      const el = resolve(pkg, t.slice(2), where);
      return { type: el.type, ptr, rep: 'repeated' };
    }
    let target = pkg;
    let name = t;
    if (t.includes('.')) {
      const [alias, n] = t.split('.') as [string, string];
      const path = pkg.imports.get(alias);
      if (!path) throw new Error(`${where}: unknown import alias ${alias}`);
      const full = `${path}.${n}`;
      if (SPECIAL_GO[full]) return { type: SPECIAL_GO[full], ptr };
      if (BASIC[full]) return { type: BASIC[full], ptr };
      const other = packages.get(path);
      if (!other) throw new Error(`${where}: package ${path} not loaded`);
      target = other;
      name = n;
    } else if (BASIC[t]) {
      return { type: BASIC[t], ptr };
    }
    const special = SPECIAL_GO[`${target.path}.${name}`];
    if (special) return { type: special, ptr };
    if (target.structs.has(name)) {
      const full = `${target.proto}.${name}`;
      if (!done.has(full)) {
        done.add(full);
        queue.push([target, name]);
      }
      return { type: full, ptr };
    }
    const under = target.named.get(name);
    if (under) {
      const r = resolve(target, under, where);
      if (r.rep) {
        // A named slice type (ExtraValue) is its own proto message `{ repeated items = 1 }`.
        const full = `${target.proto}.${name}`;
        if (!done.has(full)) {
          done.add(full);
          rows.push([full, 'items', '1', 'repeated', r.type, 'list'].join('\t'));
        }
        return { type: full, ptr };
      }
      return { ...r, ptr: ptr || r.ptr };
    }
    throw new Error(`${where}: cannot resolve type ${t} in ${pkg.path}`);
  };

  const kindRows: string[] = [];
  const core = packages.get('k8s.io/api/core/v1')!;
  const groupPkg = (apiVersion: string): GoPackage => {
    if (apiVersion === 'v1') return core;
    const [group, version] = apiVersion.split('/') as [string, string];
    const short = group.replace(/\.k8s\.io$/, '').replace(/^rbac\.authorization$/, 'rbac');
    const p = packages.get(`k8s.io/api/${short}/${version}`);
    if (!p) throw new Error(`no package for ${apiVersion}`);
    return p;
  };
  for (const [apiVersion, kinds] of KINDS) {
    const p = groupPkg(apiVersion);
    for (const k of kinds) {
      const r = resolve(p, k, apiVersion);
      kindRows.push([apiVersion, k, r.type].join('\t'));
    }
  }
  const meta = packages.get('k8s.io/apimachinery/pkg/apis/meta/v1')!;
  kindRows.push(['*', 'DeleteOptions', resolve(meta, 'DeleteOptions', 'meta').type].join('\t'));
  const runtime = packages.get('k8s.io/apimachinery/pkg/runtime')!;
  resolve(runtime, 'Unknown', 'runtime');

  while (queue.length) {
    const [pkg, name] = queue.shift()!;
    const full = `${pkg.proto}.${name}`;
    for (const f of pkg.structs.get(name)!) {
      const r = resolve(pkg, f.goType, full);
      // The Go type decides, not the tag: SubjectRulesReviewStatus.incomplete is a bool tagged `rep` upstream.
      const rule = r.map ? `map<${r.map}>` : r.rep ? 'repeated' : 'optional';
      const flags = [r.ptr ? 'ptr' : '', f.inline ? 'inline' : ''].filter(Boolean).join(',');
      rows.push([full, f.inline ? f.protoName : f.json, String(f.number), rule, r.type, flags].join('\t'));
    }
  }
  for (const [full, fields] of Object.entries(SPECIAL)) {
    for (const [n, num, t] of fields) rows.push([full, n, String(num), 'optional', t, ''].join('\t'));
  }

  const here = dirname(fileURLToPath(import.meta.url));
  const header = '# Generated by extract-upstream.ts from k8s.io/api and k8s.io/apimachinery Go struct tags. Columns: message, field (JSON name; the proto name when inline), number, rule, type (fully qualified), flags (ptr: Go pointer, a zero value on the wire is meaningful; inline: JSON-inlined into the parent; list: named-slice wrapper).';
  writeFileSync(join(here, 'fields.tsv'), [header, 'message\tfield\tnumber\trule\ttype\tflags', ...rows].join('\n') + '\n');
  writeFileSync(join(here, 'kinds.tsv'), ['# apiVersion (* = any), kind, message', 'apiVersion\tkind\tmessage', ...kindRows].join('\n') + '\n');
  console.log(`${rows.length} fields, ${kindRows.length} kinds`);

  if (sharedTsv) {
    const mine = new Map<string, string[]>();
    for (const r of rows) {
      const c = r.split('\t');
      mine.set(`${c[0]}#${c[2]}`, c);
    }
    let bad = 0;
    for (const line of readFileSync(sharedTsv, 'utf8').split('\n').slice(1)) {
      if (!line.trim()) continue;
      const [msg, field, num, rule, type] = line.split('\t') as [string, string, string, string, string];
      const m = mine.get(`${msg}#${num}`);
      const pkgPrefix = msg.slice(0, msg.lastIndexOf('.') + 1);
      const fullType = /^[a-z0-9]+$/.test(type) || type.includes('.') ? type : pkgPrefix + type;
      if (!m) {
        console.log(`MISSING ${msg} ${field} ${num}`);
        bad++;
      } else if (m[1] !== field || m[3] !== rule || (m[4] !== fullType && !(m[4] === 'apimachinery.pkg.runtime.TypeMeta' && type === 'TypeMeta'))) {
        console.log(`DIFF shared=${[msg, field, num, rule, fullType].join(' ')} upstream=${m.slice(0, 5).join(' ')}`);
        bad++;
      }
    }
    console.log(`shared table check: ${bad} differences`);
  }
}

main();
