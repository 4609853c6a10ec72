// Tests of the Table envelope kube-apiserver returns for `kubectl get` (includeObject, headers, watch).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { includeObjectError, tableRowsForWatch, toTable, watchEventTable } from './table.ts';

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const POD = {
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', uid: 'u1', resourceVersion: '17', creationTimestamp: '2025-01-15T11:55:00Z', labels: { app: 'web' }, managedFields: [{ manager: 'kubectl' }] },
  spec: { containers: [{ name: 'app', image: 'nginx' }] },
  status: { phase: 'Succeeded', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] },
};
const pods = { group: '', resource: 'pods' };

test('list Table envelope with PartialObjectMetadata rows by default', () => {
  const t = toTable(pods, [POD], { now: NOW, listMeta: { resourceVersion: '99', continue: 'abc', remainingItemCount: 3 } });
  assert.equal(t.kind, 'Table');
  assert.equal(t.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(t.metadata, { resourceVersion: '99', continue: 'abc', remainingItemCount: 3 });
  assert.equal(t.columnDefinitions!.length, 9);
  const first = t.columnDefinitions![0]!;
  assert.deepEqual(Object.keys(first), ['name', 'type', 'format', 'description', 'priority']);
  assert.equal(first.format, 'name');
  assert.match(first.description, /^Name must be unique within a namespace/);
  assert.match(t.columnDefinitions![5]!.description, /podIP address allocated to the pod/);
  assert.equal(t.columnDefinitions![5]!.priority, 1);
  const row = t.rows![0]!;
  assert.deepEqual(row.cells, ['web', '0/1', 'Completed', '0', '5m', '<none>', '<none>', '<none>', '<none>']);
  assert.deepEqual(row.conditions, [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }]);
  assert.deepEqual(row.object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: POD.metadata });
  // The serialised form kubectl reads.
  const json = JSON.parse(JSON.stringify(t));
  assert.equal(json.rows[0].object.metadata.namespace, 'default');
  assert.deepEqual(Object.keys(json), ['kind', 'apiVersion', 'metadata', 'columnDefinitions', 'rows']);
});

test('includeObject Object and None; v1beta1 tables', () => {
  assert.equal(toTable(pods, [POD], { now: NOW, includeObject: 'Object' }).rows![0]!.object, POD);
  const none = toTable(pods, [POD], { now: NOW, includeObject: 'None' }).rows![0]!;
  assert.equal('object' in none, false);
  const beta = toTable(pods, [POD], { now: NOW, apiVersion: 'meta.k8s.io/v1beta1' });
  assert.equal(beta.apiVersion, 'meta.k8s.io/v1beta1');
  assert.equal((beta.rows![0]!.object as any).apiVersion, 'meta.k8s.io/v1beta1');
  assert.equal(includeObjectError('Metadata'), null);
  assert.equal(includeObjectError(undefined), null);
  assert.equal(includeObjectError('Everything'), 'unrecognized includeObject value: "Everything"');
});

test('noHeaders gives null columnDefinitions; empty lists', () => {
  const t = toTable(pods, [], { now: NOW, noHeaders: true });
  assert.equal(t.columnDefinitions, null);
  assert.deepEqual(t.rows, []);
  assert.deepEqual(t.metadata, {});
  const d = toTable({ group: 'example.com', resource: 'widgets' }, [], { now: NOW });
  assert.equal(d.rows, null);
  assert.deepEqual(JSON.parse(JSON.stringify(d)).rows, null);
});

test('default convertor for unknown resources: Name and Created At in RFC 3339', () => {
  const t = toTable({ group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions' }, [
    { metadata: { name: 'widgets.example.com', creationTimestamp: '2024-12-11T10:20:30.000Z' } },
    { metadata: { name: 'x' } },
  ], { now: NOW });
  assert.deepEqual(t.columnDefinitions!.map((c) => [c.name, c.type, c.format, c.priority]), [['Name', 'string', 'name', 0], ['Created At', 'date', '', 0]]);
  assert.match(t.columnDefinitions![1]!.description, /^CreationTimestamp is a timestamp/);
  assert.deepEqual(t.rows!.map((r) => r.cells), [['widgets.example.com', '2024-12-11T10:20:30Z'], ['x', '0001-01-01T00:00:00Z']]);
  assert.equal((t.rows![0]!.object as any).kind, 'PartialObjectMetadata');
});

test('watch: one row per event, column definitions only in the first', () => {
  const next = tableRowsForWatch(pods, { now: () => NOW });
  const a = next(POD);
  const b = next({ ...POD, metadata: { ...POD.metadata, resourceVersion: '18' } });
  assert.equal(a.columnDefinitions!.length, 9);
  assert.equal(b.columnDefinitions, null);
  assert.equal(a.rows!.length, 1);
  assert.deepEqual(a.metadata, { resourceVersion: '17' });
  assert.deepEqual(b.metadata, { resourceVersion: '18' });
  const single = watchEventTable(pods, POD, { first: false, now: NOW, includeObject: 'None' });
  assert.equal(single.columnDefinitions, null);
  assert.equal('object' in single.rows![0]!, false);
});

test('printing 10,000 pods is fast', () => {
  const list: any[] = [];
  for (let i = 0; i < 10_000; i++) {
    list.push({
      ...POD,
      metadata: { ...POD.metadata, name: 'web-' + i },
      spec: { nodeName: 'node-' + (i % 50), initContainers: [{ name: 'proxy', restartPolicy: 'Always' }], containers: [{ name: 'app' }, { name: 'b' }] },
      status: {
        phase: 'Running', podIPs: [{ ip: '10.0.0.' + (i % 250) }],
        conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }],
        initContainerStatuses: [{ name: 'proxy', started: true, ready: true, restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 1, finishedAt: '2025-01-15T11:50:00Z' } } }],
        containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: { running: {} } }, { name: 'b', ready: true, restartCount: 0, state: { running: {} } }],
      },
    });
  }
  const t = toTable(pods, list, { now: NOW, listMeta: { resourceVersion: '1' } });
  assert.equal(t.rows!.length, 10_000);
  assert.deepEqual(t.rows![9999]!.cells.slice(0, 4), ['web-9999', '3/3', 'Running', '1 (10m ago)']);
});
