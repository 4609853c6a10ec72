// Hostile request bodies and names against every served resource path, as kube-apiserver refuses
// them: malformed, truncated, oversized (413), deeply nested, alias-bombed and undecodable bodies,
// unknown media types (415), invalid names and %2F path tricks, wrong kinds, writes to missing
// names and garbage patches and delete options all get a 4xx metav1 Status — never a 5xx, never a
// crash — and nothing is stored.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { MemoryBackend } from '../../storage/memory/memory.ts';
import { builtinResources, type ResourceInfo } from '../../api/resources.ts';
import { ApiServer } from '../server.ts';

interface Answer {
  status: number;
  text: string;
  json: any;
}

let api: ApiServer;
let base: URL;

before(async () => {
  api = new ApiServer({ storage: new MemoryBackend(), port: 0 });
  base = new URL(await api.start());
});
after(async () => {
  await api.stop();
  await api.storage.close();
});

/** One request with a raw path (no URL normalization, so `..` and `%2F` reach the server as sent). */
function send(method: string, path: string, body?: string | Buffer, contentType?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Length'] = Buffer.byteLength(body);
    if (contentType !== undefined) headers['Content-Type'] = contentType;
    const req = request({ host: base.hostname, port: base.port, method, path, headers, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: any;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, text, json });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 30s`)));
    // The server may answer (413) and stop reading before a large body is fully written.
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e)));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const served = builtinResources.filter((r) => r.served !== false);

function collectionPath(r: ResourceInfo, ns = 'default'): string {
  const gv = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  return r.namespaced ? `${gv}/namespaces/${ns}/${r.resource}` : `${gv}/${r.resource}`;
}

function allPath(r: ResourceInfo): string {
  const gv = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  return `${gv}/${r.resource}`;
}

const apiVersionOf = (r: ResourceInfo) => (r.group ? `${r.group}/${r.version}` : r.version);

/** Every listable object (resource, namespace, name, uid, resourceVersion), and every stored key with its revision. */
async function snapshot(): Promise<{ objects: string[]; keys: string[] }> {
  const objects: string[] = [];
  for (const r of served) {
    if (!r.verbs.includes('list')) continue;
    const a = await send('GET', allPath(r));
    assert.equal(a.status, 200, `list ${r.resource}: ${a.text}`);
    for (const o of a.json.items) objects.push(`${apiVersionOf(r)}/${r.resource} ${o.metadata.namespace ?? ''}/${o.metadata.name} ${o.metadata.uid} rv=${o.metadata.resourceVersion}`);
  }
  const { kvs } = await api.storage.list('/');
  const keys = kvs.map((kv) => `${kv.key}@${kv.modRevision}`);
  return { objects: objects.sort(), keys: keys.sort() };
}

function billionLaughs(): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  const names = 'abcdefghi';
  for (let i = 1; i < names.length; i++) {
    const prev = names[i - 1]!;
    lines.push(`${names[i]}: &${names[i]} [${Array(9).fill('*' + prev).join(',')}]`);
  }
  return lines.join('\n') + '\n';
}

/** `depth` levels of nested objects inside a field of an otherwise ordinary object. */
function deeplyNested(r: ResourceInfo, depth: number): string {
  return `{"apiVersion":"${apiVersionOf(r)}","kind":"${r.kind}","metadata":{"name":"deep"},"spec":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
}

interface Case {
  name: string;
  method: string;
  path: string;
  body?: string | Buffer;
  contentType?: string;
}

/**
 * Kinds whose names need only be valid path segments (no `/`, `%`, `.` or `..`), as upstream's
 * RBAC validation: `UPPER` and long names are fine there, so those cases are for other kinds.
 */
const PATH_SEGMENT_NAMED = new Set(['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings']);

/** A SelfSubjectReview is answered from the requester alone; upstream ignores the body's metadata. */
const NAME_IGNORED = new Set(['selfsubjectreviews']);

const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];
const BIG = Buffer.alloc(3 * 1024 * 1024 + 1024, 0x20);
BIG.write('{"metadata":{"name":"big"},"data":{"x":"', 0);
const BOMB = billionLaughs();
const DEEP_LEVELS = 100_000;

function objectWith(r: ResourceInfo, name: string): string {
  return JSON.stringify({ apiVersion: apiVersionOf(r), kind: r.kind, metadata: { name } });
}

/** The hostile requests for one resource; `existing` is a stored object of it, when there is one. */
function casesFor(r: ResourceInfo, existing?: { ns: string; name: string }): Case[] {
  const coll = collectionPath(r);
  const missing = `${coll}/skiff-badinput-missing`;
  const json = 'application/json';
  const cases: Case[] = [
    { name: 'malformed JSON', method: 'POST', path: coll, body: '{"apiVersion": "v1", "kind": ', contentType: json },
    { name: 'truncated JSON', method: 'POST', path: coll, body: objectWith(r, 'trunc').slice(0, -7), contentType: json },
    { name: 'JSON array', method: 'POST', path: coll, body: `[${objectWith(r, 'arr')}]`, contentType: json },
    { name: 'JSON string', method: 'POST', path: coll, body: '"a string"', contentType: json },
    { name: 'JSON number', method: 'POST', path: coll, body: '42', contentType: json },
    { name: 'null', method: 'POST', path: coll, body: 'null', contentType: json },
    { name: 'empty body', method: 'POST', path: coll, body: '', contentType: json },
    { name: 'no body, no content type', method: 'POST', path: coll },
    { name: 'invalid YAML', method: 'POST', path: coll, body: 'apiVersion: v1\nkind: [unclosed\n  metadata: {name: x\n\t- tab', contentType: 'application/yaml' },
    { name: 'two YAML documents', method: 'POST', path: coll, body: 'a: 1\n---\nb: 2\n', contentType: 'application/yaml' },
    { name: 'YAML alias bomb', method: 'POST', path: coll, body: BOMB, contentType: 'application/yaml' },
    { name: 'protobuf garbage', method: 'POST', path: coll, body: Buffer.from('k8s\u0000\u0012\u00ff\u00ff\u00ff\u00ff\u000fgarbage\u0000\u0001', 'latin1'), contentType: 'application/vnd.kubernetes.protobuf' },
    { name: 'protobuf without envelope', method: 'POST', path: coll, body: Buffer.from([0x0a, 0xff, 0x01, 0x02]), contentType: 'application/vnd.kubernetes.protobuf' },
    { name: 'unknown content type', method: 'POST', path: coll, body: objectWith(r, 'xml'), contentType: 'application/xml' },
    { name: 'body over 3 MiB', method: 'POST', path: coll, body: BIG, contentType: json },
    { name: `JSON nested ${DEEP_LEVELS} levels`, method: 'POST', path: coll, body: deeplyNested(r, DEEP_LEVELS), contentType: json },
    { name: 'JSON arrays nested deeply', method: 'POST', path: coll, body: `{"metadata":{"name":"deeparr"},"spec":${'['.repeat(DEEP_LEVELS)}${']'.repeat(DEEP_LEVELS)}}`, contentType: json },
    { name: 'wrong kind', method: 'POST', path: coll, body: JSON.stringify({ apiVersion: apiVersionOf(r), kind: r.kind === 'Secret' ? 'ConfigMap' : 'Secret', metadata: { name: 'wrong-kind' } }), contentType: json },
    { name: 'wrong apiVersion', method: 'POST', path: coll, body: JSON.stringify({ apiVersion: 'nope.example.com/v9', kind: r.kind, metadata: { name: 'wrong-version' } }), contentType: json },
    { name: 'kind of a number', method: 'POST', path: coll, body: JSON.stringify({ apiVersion: 7, kind: { a: 1 }, metadata: { name: 'typed' } }), contentType: json },
    { name: 'metadata of the wrong type', method: 'POST', path: coll, body: JSON.stringify({ apiVersion: apiVersionOf(r), kind: r.kind, metadata: 'nope' }), contentType: json },
    { name: 'name in URL on POST', method: 'POST', path: `${coll}/named`, body: objectWith(r, 'named'), contentType: json },
    { name: 'PUT to a missing name', method: 'PUT', path: missing, body: '{"metadata":{"name":"other"}', contentType: json },
    { name: 'PUT a body whose name differs', method: 'PUT', path: missing, body: objectWith(r, 'another-name'), contentType: json },
    { name: 'PUT to %2F in the name', method: 'PUT', path: `${coll}/a%2Fb`, body: objectWith(r, 'a/b'), contentType: json },
    { name: 'PUT to .. as the name', method: 'PUT', path: `${coll}/..`, body: objectWith(r, '..'), contentType: json },
    { name: 'PUT to %2E%2E as the name', method: 'PUT', path: `${coll}/%2E%2E`, body: objectWith(r, '..'), contentType: json },
    { name: 'GET %2F in the name', method: 'GET', path: `${coll}/a%2Fb` },
    { name: 'DELETE %2F in the name', method: 'DELETE', path: `${coll}/a%2Fb` },
    { name: 'DELETE a missing name', method: 'DELETE', path: missing },
    { name: 'DELETE with a garbage body', method: 'DELETE', path: missing, body: '{"propagationPolicy": ', contentType: json },
    { name: 'PATCH with an unknown patch type', method: 'PATCH', path: missing, body: '{}', contentType: 'application/xml' },
    { name: 'PATCH without a content type', method: 'PATCH', path: missing, body: '{}' },
  ];
  if (!NAME_IGNORED.has(r.resource)) {
    cases.push(
      { name: 'name a/b', method: 'POST', path: coll, body: objectWith(r, 'a/b'), contentType: json },
      { name: 'name ..', method: 'POST', path: coll, body: objectWith(r, '..'), contentType: json },
      { name: 'name .', method: 'POST', path: coll, body: objectWith(r, '.'), contentType: json },
      { name: 'name with %', method: 'POST', path: coll, body: objectWith(r, 'a%2Fb'), contentType: json },
    );
  }
  if (!PATH_SEGMENT_NAMED.has(r.resource) && !NAME_IGNORED.has(r.resource)) {
    cases.push(
      { name: 'name UPPER', method: 'POST', path: coll, body: objectWith(r, 'UPPER'), contentType: json },
      { name: 'name x*300', method: 'POST', path: coll, body: objectWith(r, 'x'.repeat(300)), contentType: json },
      { name: 'name with a space', method: 'POST', path: coll, body: objectWith(r, 'a b'), contentType: json },
      { name: 'PUT with an invalid name in the URL', method: 'PUT', path: `${coll}/UPPER`, body: objectWith(r, 'UPPER'), contentType: json },
    );
  }
  if (r.namespaced) {
    cases.push(
      { name: 'namespace with %2F', method: 'POST', path: collectionPath(r, 'default%2Fx'), body: objectWith(r, 'ns-slash'), contentType: json },
      { name: 'namespace ..', method: 'POST', path: collectionPath(r, '..'), body: objectWith(r, 'ns-dots'), contentType: json },
      { name: 'namespace UPPER', method: 'POST', path: collectionPath(r, 'UPPER'), body: objectWith(r, 'ns-upper'), contentType: json },
      { name: 'namespace missing', method: 'POST', path: collectionPath(r, 'skiff-no-such-ns'), body: objectWith(r, 'ns-missing'), contentType: json },
      { name: 'body namespace differs from the URL', method: 'POST', path: coll, body: JSON.stringify({ apiVersion: apiVersionOf(r), kind: r.kind, metadata: { name: 'ns-mismatch', namespace: 'kube-system' } }), contentType: json },
    );
  }
  for (const t of PATCH_TYPES) {
    cases.push({ name: `PATCH ${t} garbage to a missing name`, method: 'PATCH', path: missing, body: '{"spec": [garbage', contentType: t });
  }
  if (existing) {
    const item = `${collectionPath(r, existing.ns)}/${existing.name}`;
    for (const t of PATCH_TYPES) {
      cases.push({ name: `PATCH ${t} garbage to an existing object`, method: 'PATCH', path: item, body: '{"spec": [garbage', contentType: t });
      cases.push({ name: `PATCH ${t} nested ${DEEP_LEVELS} levels`, method: 'PATCH', path: item, body: `{"metadata":{"annotations":${'{"a":'.repeat(DEEP_LEVELS)}1${'}'.repeat(DEEP_LEVELS)}}}`, contentType: t });
    }
    cases.push(
      { name: 'PATCH a JSON patch that is an object', method: 'PATCH', path: item, body: '{"op":"remove","path":"/metadata"}', contentType: 'application/json-patch+json' },
      { name: 'PATCH a JSON patch removing metadata', method: 'PATCH', path: item, body: '[{"op":"remove","path":"/metadata"}]', contentType: 'application/json-patch+json' },
      { name: 'PATCH a JSON patch with a bad op', method: 'PATCH', path: item, body: '[{"op":"explode","path":"/spec"}]', contentType: 'application/json-patch+json' },
      { name: 'PATCH a merge patch that renames', method: 'PATCH', path: item, body: '{"metadata":{"name":"UPPER"}}', contentType: 'application/merge-patch+json' },
      { name: 'PATCH a merge patch that is an array', method: 'PATCH', path: item, body: '[1,2]', contentType: 'application/merge-patch+json' },
      { name: 'PATCH a strategic patch that is a string', method: 'PATCH', path: item, body: '"x"', contentType: 'application/strategic-merge-patch+json' },
      { name: 'PATCH a strategic patch with a bad directive', method: 'PATCH', path: item, body: '{"metadata":{"$patch":"explode"}}', contentType: 'application/strategic-merge-patch+json' },
      { name: 'PATCH over 3 MiB', method: 'PATCH', path: item, body: BIG, contentType: 'application/merge-patch+json' },
      { name: 'PUT garbage to an existing object', method: 'PUT', path: item, body: '{"metadata": {', contentType: json },
      { name: 'PUT an array to an existing object', method: 'PUT', path: item, body: '[]', contentType: json },
      { name: 'PUT null to an existing object', method: 'PUT', path: item, body: 'null', contentType: json },
      { name: 'PUT a wrong kind to an existing object', method: 'PUT', path: item, body: JSON.stringify({ apiVersion: 'v1', kind: r.kind === 'Secret' ? 'ConfigMap' : 'Secret', metadata: { name: existing.name, namespace: existing.ns || undefined } }), contentType: json },
      { name: 'DELETE an existing object with a garbage body', method: 'DELETE', path: item, body: '{"gracePeriodSeconds": ', contentType: json },
      { name: 'DELETE an existing object with an array body', method: 'DELETE', path: item, body: '[1]', contentType: json },
      { name: 'DELETE an existing object with a string body', method: 'DELETE', path: item, body: '"x"', contentType: json },
      { name: 'DELETE an existing object with a bad propagationPolicy', method: 'DELETE', path: item, body: '{"propagationPolicy":"Explode"}', contentType: json },
      { name: 'DELETE an existing object with a string gracePeriodSeconds', method: 'DELETE', path: item, body: '{"gracePeriodSeconds":"soon"}', contentType: json },
      { name: 'DELETE an existing object with a wrong uid precondition', method: 'DELETE', path: item, body: '{"preconditions":{"uid":"not-the-uid"}}', contentType: json },
      { name: 'DELETE an existing object with an unknown content type', method: 'DELETE', path: item, body: '<DeleteOptions/>', contentType: 'application/xml' },
    );
  }
  return cases;
}

function checkAnswer(r: ResourceInfo, c: Case, a: Answer): string | undefined {
  const what = `${r.group || 'core'}/${r.resource}: ${c.name} (${c.method} ${c.path.length > 120 ? c.path.slice(0, 120) + '…' : c.path}) → ${a.status} ${a.text.slice(0, 300)}`;
  if (a.status < 400 || a.status >= 500) return what;
  const s = a.json;
  if (!s || s.kind !== 'Status' || s.apiVersion !== 'v1' || s.status !== 'Failure' || s.code !== a.status || typeof s.message !== 'string' || !s.reason) return `not a matching metav1 Status: ${what}`;
  return undefined;
}

describe('bad input to every resource path', () => {
  it('answers every hostile request with a 4xx Status, stays up, and stores nothing', { timeout: 300_000 }, async () => {
    const start = await snapshot();
    const problems: string[] = [];
    let sent = 0;
    for (const r of served) {
      let existing: { ns: string; name: string } | undefined;
      if (r.verbs.includes('list')) {
        const l = await send('GET', allPath(r));
        const first = l.json?.items?.[0];
        if (first) existing = { ns: first.metadata.namespace ?? '', name: first.metadata.name };
      }
      for (const c of casesFor(r, existing)) {
        let a: Answer;
        try {
          a = await send(c.method, c.path, c.body, c.contentType);
        } catch (e) {
          problems.push(`${r.resource}: ${c.name}: request failed: ${(e as Error).message}`);
          continue;
        }
        sent++;
        const p = checkAnswer(r, c, a);
        if (p) problems.push(p);
      }
      const ready = await send('GET', '/readyz');
      assert.equal(ready.status, 200, `/readyz after ${r.resource}: ${ready.text}`);
    }
    assert.deepEqual(problems, [], `${problems.length} of ${sent} hostile requests were not refused with a 4xx Status`);
    const end = await snapshot();
    assert.deepEqual(end.objects, start.objects, 'the objects listed before and after differ');
    assert.deepEqual(end.keys, start.keys, 'the stored keys before and after differ');
    assert.ok(sent > 1000, `sent ${sent} requests`);
  });

  it('refuses each kind of bad body with the status upstream gives it', async () => {
    const cm = builtinResources.find((r) => r.resource === 'configmaps' && r.group === '')!;
    const coll = collectionPath(cm);
    const by = async (body: string | Buffer, contentType?: string, method = 'POST', path = coll) => (await send(method, path, body, contentType)).status;
    assert.equal(await by('{"a":', 'application/json'), 400);
    assert.equal(await by(BOMB, 'application/yaml'), 400);
    assert.equal(await by(objectWith(cm, 'x'), 'application/xml'), 415);
    assert.equal(await by(BIG, 'application/json'), 413);
    assert.equal(await by(objectWith(cm, 'UPPER'), 'application/json'), 422);
    assert.equal(await by(objectWith(cm, 'x'.repeat(300)), 'application/json'), 422);
    assert.equal(await by('{}', 'application/merge-patch+json', 'PATCH', `${coll}/skiff-badinput-missing`), 404);
    const deep = await send('POST', coll, deeplyNested(cm, DEEP_LEVELS), 'application/json');
    assert.ok(deep.status === 400 || deep.status === 422, `${deep.status} ${deep.text.slice(0, 200)}`);
    assert.equal((await send('GET', '/readyz')).status, 200);
  });
});
