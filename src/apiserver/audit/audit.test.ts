// Audit logging: policy rule matching, events as kube-apiserver writes them, and the rotated log file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_POLICY, evaluatePolicy, parsePolicy, type AuditAttributes } from './policy.ts';
import { AuditLogWriter, backupTimestamp, type AuditSink } from './log.ts';
import { Auditor } from './audit.ts';
import { requestInfo } from '../requestinfo.ts';
import type { ResponseSink } from '../types.ts';

const alice = { username: 'alice', groups: ['devs', 'system:authenticated'] };
const attrs = (over: Partial<AuditAttributes>): AuditAttributes => ({
  user: alice, verb: 'get', isResourceRequest: true, path: '/api/v1/namespaces/default/pods/p', apiGroup: '', resource: 'pods', subresource: '', namespace: 'default', name: 'p', ...over,
});

const policy = parsePolicy(`
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    users: ["system:kube-proxy"]
    verbs: [watch]
    resources: [{group: "", resources: [endpoints, services]}]
  - level: None
    nonResourceURLs: ["/healthz*", /version]
  - level: RequestResponse
    userGroups: [devs]
    resources: [{group: apps, resources: ["deployments/*"]}, {group: "", resources: ["*/status"]}]
  - level: Request
    resources: [{group: "", resources: [configmaps], resourceNames: [controller-leader]}]
    namespaces: [kube-system]
    omitStages: [ResponseStarted]
  - level: Metadata
    resources: [{group: ""}]
  - level: Request
    omitManagedFields: true
`);

test('policy: the first matching rule decides, with users, groups, verbs, resources, namespaces and URLs', () => {
  const lvl = (a: Partial<AuditAttributes>) => evaluatePolicy(policy, attrs(a)).level;
  assert.equal(lvl({ user: { username: 'system:kube-proxy', groups: [] }, verb: 'watch', resource: 'endpoints' }), 'None');
  assert.equal(lvl({ user: { username: 'system:kube-proxy', groups: [] }, verb: 'list', resource: 'endpoints' }), 'Metadata');
  assert.equal(lvl({ isResourceRequest: false, path: '/healthz/etcd', resource: '' }), 'None');
  assert.equal(lvl({ isResourceRequest: false, path: '/versions', resource: '' }), 'Request');
  // "deployments/*" matches deployments and their subresources (as upstream), "*/status" every status subresource.
  assert.equal(lvl({ apiGroup: 'apps', resource: 'deployments', subresource: 'scale' }), 'RequestResponse');
  assert.equal(lvl({ apiGroup: 'apps', resource: 'deployments' }), 'RequestResponse');
  assert.equal(lvl({ apiGroup: 'apps', resource: 'replicasets' }), 'Request');
  assert.equal(lvl({ resource: 'pods', subresource: 'status' }), 'RequestResponse');
  assert.equal(lvl({ resource: 'pods', subresource: 'status', user: { username: 'bob', groups: [] } }), 'Metadata');
  assert.equal(lvl({ resource: 'configmaps', namespace: 'kube-system', name: 'controller-leader' }), 'Request');
  assert.equal(lvl({ resource: 'configmaps', namespace: 'kube-system', name: 'other' }), 'Metadata');
  // Policy-level omitStages join the rule's; omitManagedFields comes from the rule.
  const cfg = evaluatePolicy(policy, attrs({ resource: 'configmaps', namespace: 'kube-system', name: 'controller-leader' }));
  assert.deepEqual(cfg.omitStages, ['RequestReceived', 'ResponseStarted']);
  assert.equal(evaluatePolicy(policy, attrs({ apiGroup: 'batch', resource: 'jobs' })).omitManagedFields, true);
  // No rule: None.
  assert.equal(evaluatePolicy({ rules: [] }, attrs({})).level, 'None');
});

test('policy: invalid policies are refused with field paths', () => {
  assert.throws(
    () => parsePolicy('apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Everything\n  - level: None\n    omitStages: [Sometime]\n  - level: None\n    nonResourceURLs: ["healthz"]\n'),
    (e: Error) => {
      assert.match(e.message, /rules\[0\]\.level: Unsupported value: "Everything"/);
      assert.match(e.message, /rules\[1\]\.omitStages\[0\]: Unsupported value: "Sometime"/);
      assert.match(e.message, /rules\[2\]\.nonResourceURLs\[0\]: Invalid value: "healthz": non-resource URL rules must begin with a '\/' character/);
      return true;
    },
  );
});

test('default policy: Metadata for users and secrets, None for health, events, leases and system reads', () => {
  const lvl = (a: Partial<AuditAttributes>) => evaluatePolicy(DEFAULT_POLICY, attrs(a)).level;
  assert.equal(lvl({ resource: 'secrets', verb: 'get' }), 'Metadata');
  assert.equal(lvl({ resource: 'secrets', verb: 'list', user: { username: 'system:kube-controller-manager', groups: ['system:masters'] } }), 'None');
  assert.equal(lvl({ resource: 'secrets', verb: 'update', user: { username: 'system:kube-controller-manager', groups: ['system:masters'] } }), 'Metadata');
  assert.equal(lvl({ resource: 'events', verb: 'create' }), 'None');
  assert.equal(lvl({ apiGroup: 'coordination.k8s.io', resource: 'leases', verb: 'update' }), 'None');
  assert.equal(lvl({ isResourceRequest: false, path: '/readyz', resource: '' }), 'None');
  assert.equal(lvl({ resource: 'nodes', subresource: 'status', verb: 'patch', user: { username: 'system:node:n1', groups: ['system:nodes'] } }), 'None');
  assert.equal(lvl({ resource: 'pods', verb: 'delete' }), 'Metadata');
  assert.deepEqual(evaluatePolicy(DEFAULT_POLICY, attrs({})).omitStages, ['RequestReceived']);
});

/** A response sink that keeps what is written. */
function sink(): ResponseSink & { headers: Record<string, string>; code: number; body: string } {
  const s = {
    headers: {} as Record<string, string>, code: 0, body: '', headersSent: false, writableEnded: false, writableLength: 0,
    setHeader(n: string, v: string) { s.headers[n] = v; },
    writeHead(c: number, h?: Record<string, string>) { s.code = c; Object.assign(s.headers, h ?? {}); s.headersSent = true; },
    flushHeaders() {},
    write(c: string | Buffer) { s.body += c.toString(); return true; },
    end(c?: string | Buffer) { if (c) s.body += c.toString(); s.writableEnded = true; },
    on() {},
  };
  return s;
}

function memorySink(): AuditSink & { lines: string[] } {
  const lines: string[] = [];
  return { lines, write: (l) => void lines.push(l), flush: async () => {}, close: async () => {} };
}

test('events: Metadata for a delete, with the Audit-ID header, user, source IPs, objectRef, status and decision', () => {
  const out = memorySink();
  let now = Date.UTC(2026, 10, 22, 5, 0, 0, 123);
  const a = new Auditor({ policy: parsePolicy('apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: Metadata}]\n'), sink: out, now: () => now });
  const url = '/api/v1/namespaces/default/secrets/db';
  const info = requestInfo('DELETE', url, new URLSearchParams());
  const res = sink();
  const r = a.begin({ method: 'DELETE', url, headers: { 'user-agent': 'kubectl/v1.36.0', 'x-forwarded-for': '10.0.0.7' }, remoteAddress: '::ffff:127.0.0.1' }, info, res, false);
  assert.equal(res.headers['Audit-ID'], r.id);
  r.authenticated(alice);
  const w = r.wrap(res);
  r.authorized(true, 'RBAC: allowed by ClusterRoleBinding "admins" of ClusterRole "cluster-admin" to Group "devs"');
  r.requestBody(Buffer.from('{"kind":"DeleteOptions","apiVersion":"v1"}'), 'application/json');
  now += 5;
  w.writeHead(200, { 'Content-Type': 'application/json' });
  w.end(JSON.stringify({ kind: 'Secret', apiVersion: 'v1', metadata: { name: 'db' }, data: { password: 'aHVudGVyMg==' } }));
  r.finish(200);
  assert.equal(out.lines.length, 2);
  const [received, complete] = out.lines.map((l) => JSON.parse(l));
  assert.equal(received.stage, 'RequestReceived');
  assert.equal(received.responseStatus, undefined);
  assert.deepEqual(complete, {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: r.id,
    stage: 'ResponseComplete',
    requestURI: url,
    verb: 'delete',
    user: { username: 'alice', groups: ['devs', 'system:authenticated'] },
    sourceIPs: ['10.0.0.7', '127.0.0.1'],
    userAgent: 'kubectl/v1.36.0',
    objectRef: { resource: 'secrets', namespace: 'default', name: 'db', apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 200 },
    requestReceivedTimestamp: '2026-11-22T05:00:00.123000Z',
    stageTimestamp: '2026-11-22T05:00:00.128000Z',
    annotations: {
      'authorization.k8s.io/decision': 'allow',
      'authorization.k8s.io/reason': 'RBAC: allowed by ClusterRoleBinding "admins" of ClusterRole "cluster-admin" to Group "devs"',
    },
  });
  // The secret's value is nowhere at Metadata level.
  assert.ok(!out.lines.join('\n').includes('aHVudGVyMg'));
});

test('events: RequestResponse bodies without managedFields, error Status, client Audit-ID, None writes nothing', () => {
  const out = memorySink();
  const a = new Auditor({
    policy: parsePolicy('apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nomitManagedFields: true\nrules: [{level: None, resources: [{group: "", resources: [events]}]}, {level: RequestResponse}]\n'),
    sink: out,
  });
  const url = '/api/v1/namespaces/default/configmaps';
  const res = sink();
  const r = a.begin({ method: 'POST', url, headers: { 'audit-id': 'my-id' } }, requestInfo('POST', url, new URLSearchParams()), res);
  assert.equal(res.headers['Audit-ID'], 'my-id');
  r.authenticated(alice);
  const w = r.wrap(res);
  r.requestBody(Buffer.from(JSON.stringify({ kind: 'ConfigMap', metadata: { name: 'c', managedFields: [{ manager: 'kubectl' }] }, data: { a: '1' } })), 'application/json');
  w.writeHead(201, { 'Content-Type': 'application/json' });
  w.end(JSON.stringify({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'c', managedFields: [{ manager: 'kubectl' }] }, data: { a: '1' } }));
  r.finish(201);
  const ev = JSON.parse(out.lines[0]!);
  assert.equal(ev.stage, 'ResponseComplete');
  assert.equal(ev.objectRef.name, 'c');
  assert.deepEqual(ev.requestObject, { kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } });
  assert.deepEqual(ev.responseObject.metadata, { name: 'c' });
  assert.deepEqual(ev.responseStatus, { metadata: {}, code: 201 });

  // A 404 records the Status fields.
  const getUrl = '/api/v1/namespaces/default/configmaps/nope';
  const r2 = a.begin({ method: 'GET', url: getUrl, headers: {} }, requestInfo('GET', getUrl, new URLSearchParams()), sink());
  r2.authenticated(alice);
  const w2 = r2.wrap(sink());
  w2.writeHead(404, { 'Content-Type': 'application/json' });
  w2.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'configmaps "nope" not found', reason: 'NotFound', details: { name: 'nope', kind: 'configmaps' }, code: 404 }));
  r2.finish(404);
  assert.deepEqual(JSON.parse(out.lines[1]!).responseStatus, { metadata: {}, status: 'Failure', message: 'configmaps "nope" not found', reason: 'NotFound', details: { name: 'nope', kind: 'configmaps' }, code: 404 });

  // A watch gets ResponseStarted and ResponseComplete; events are at None.
  const wUrl = '/api/v1/namespaces/default/pods?watch=true';
  const r3 = a.begin({ method: 'GET', url: wUrl, headers: {} }, requestInfo('GET', '/api/v1/namespaces/default/pods', new URLSearchParams('watch=true')), sink(), true);
  r3.authenticated(alice);
  const w3 = r3.wrap(sink());
  w3.writeHead(200, { 'Content-Type': 'application/json' });
  w3.write('{"type":"ADDED"}\n');
  r3.finish(200);
  assert.deepEqual(out.lines.slice(2).map((l) => JSON.parse(l).stage), ['ResponseStarted', 'ResponseComplete']);
  const evUrl = '/api/v1/namespaces/default/events';
  const r4 = a.begin({ method: 'POST', url: evUrl, headers: {} }, requestInfo('POST', evUrl, new URLSearchParams()), sink());
  r4.authenticated(alice);
  r4.finish(201);
  assert.equal(out.lines.length, 4);
});

test('log writer: buffered lines, rotated by size with lumberjack names, maxbackup kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-audit-'));
  const path = join(dir, 'audit', 'audit.log');
  let now = Date.UTC(2026, 10, 22, 5, 0, 0, 0);
  const w = new AuditLogWriter({ path, maxBytes: 100, maxBackups: 2, now: () => now });
  const line = (i: number) => JSON.stringify({ i, pad: 'x'.repeat(30) }); // 45 bytes + newline
  w.write(line(1));
  w.write(line(2));
  await w.flush();
  assert.equal(readFileSync(path, 'utf8'), `${line(1)}\n${line(2)}\n`);
  for (let i = 3; i <= 8; i++) {
    now += 1000;
    w.write(line(i));
    await w.flush();
  }
  await w.close();
  assert.equal(backupTimestamp(Date.UTC(2026, 10, 22, 5, 0, 3, 0)), '2026-11-22T05-00-03.000');
  const files = readdirSync(join(dir, 'audit')).sort();
  // Rotations at lines 3, 5 and 7; the oldest backup is gone (maxbackup 2).
  assert.deepEqual(files, ['audit-2026-11-22T05-00-03.000.log', 'audit-2026-11-22T05-00-05.000.log', 'audit.log']);
  assert.equal(readFileSync(join(dir, 'audit', 'audit-2026-11-22T05-00-05.000.log'), 'utf8'), `${line(5)}\n${line(6)}\n`);
  assert.equal(readFileSync(path, 'utf8'), `${line(7)}\n${line(8)}\n`);
});

test('log writer: maxage removes old backups; an existing file is appended to', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-audit-'));
  const path = join(dir, 'audit.log');
  writeFileSync(join(dir, 'audit-2026-01-01T00-00-00.000.log'), 'old\n');
  writeFileSync(path, 'x'.repeat(60) + '\n');
  const w = new AuditLogWriter({ path, maxBytes: 100, maxAgeDays: 30, now: () => Date.UTC(2026, 10, 22) });
  w.write('y'.repeat(60));
  await w.close();
  assert.deepEqual(readdirSync(dir).sort(), ['audit-2026-11-22T00-00-00.000.log', 'audit.log']);
  assert.equal(readFileSync(path, 'utf8'), 'y'.repeat(60) + '\n');
});
