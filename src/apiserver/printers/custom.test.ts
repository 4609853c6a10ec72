// Tests of custom-resource Tables (CRD additionalPrinterColumns) as apiextensions-apiserver prints them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellFor, compilePath, findFirst, tableForCustomColumns } from './custom.ts';

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const CR = {
  apiVersion: 'example.com/v1', kind: 'Widget',
  metadata: { name: 'w1', namespace: 'default', creationTimestamp: '2025-01-15T10:00:00Z' },
  spec: { replicas: 3, size: 'large', ratio: 0.75, enabled: true, tags: ['a', 'b'], selector: { b: '2', a: '1' } },
  status: { conditions: [{ type: 'Synced', status: 'True' }, { type: 'Ready', status: 'False' }], lastSync: '2025-01-15T11:58:00Z' },
};

test('Name plus additionalPrinterColumns with typed cells', () => {
  const t = tableForCustomColumns([
    { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
    { name: 'Size', type: 'string', jsonPath: '.spec.size', description: 'The size' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Ratio', type: 'number', jsonPath: '.spec.ratio', priority: 1 },
    { name: 'Enabled', type: 'boolean', jsonPath: '.spec.enabled' },
    { name: 'Last Sync', type: 'date', jsonPath: '.status.lastSync' },
    { name: 'Missing', type: 'string', jsonPath: '.spec.nothing.here' },
    { name: 'Tags', type: 'string', jsonPath: '.spec.tags' },
    { name: 'First', type: 'string', jsonPath: '.spec.tags[0]' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ], [CR], { now: NOW, listMeta: { resourceVersion: '5' } });
  assert.deepEqual(t.rows![0]!.cells, ['w1', 3, 'large', 'False', 0.75, true, '2m', null, '["a","b"]', 'a', '120m']);
  const defs = t.columnDefinitions!;
  assert.deepEqual(defs[0], { name: 'Name', type: 'string', format: 'name', description: defs[0]!.description, priority: 0 });
  assert.equal(defs[2]!.description, 'The size');
  assert.equal(defs[1]!.description, 'Custom resource definition column (in JSONPath format): .spec.replicas');
  assert.equal(defs[4]!.priority, 1);
  assert.deepEqual(t.metadata, { resourceVersion: '5' });
  assert.equal((t.rows![0]!.object as any).kind, 'PartialObjectMetadata');
});

test('no additionalPrinterColumns → default Age (date) column', () => {
  const t = tableForCustomColumns([], [CR], { now: NOW });
  assert.deepEqual(t.columnDefinitions!.map((c) => [c.name, c.type]), [['Name', 'string'], ['Age', 'date']]);
  assert.match(t.columnDefinitions![1]!.description, /^CreationTimestamp/);
  assert.deepEqual(t.rows![0]!.cells, ['w1', '120m']);
  assert.equal(tableForCustomColumns([], [], { now: NOW, noHeaders: true }).columnDefinitions, null);
});

test('type mismatches give null; bad dates <invalid>; objects as sorted JSON', () => {
  assert.equal(cellFor('integer', 'x', NOW), null);
  assert.equal(cellFor('integer', 2.9, NOW), 2);
  assert.equal(cellFor('boolean', 'true', NOW), null);
  assert.equal(cellFor('date', 'yesterday', NOW), '<invalid>');
  assert.equal(cellFor('date', 5, NOW), null);
  assert.equal(cellFor('string', { b: 2, a: [1, { d: 1, c: 2 }] }, NOW), '{"a":[1,{"c":2,"d":1}],"b":2}');
  assert.equal(cellFor('string', 12, NOW), '12');
  assert.equal(cellFor('string', false, NOW), 'false');
});

test('JSONPath subset', () => {
  assert.equal(findFirst(CR, compilePath("{.metadata['name']}")!), 'w1');
  assert.equal(findFirst(CR, compilePath('.status.conditions[*].type')!), 'Synced');
  assert.equal(findFirst(CR, compilePath('.status.conditions[-1].type')!), 'Ready');
  assert.equal(findFirst(CR, compilePath('.status.conditions[?(@.status!="True")].type')!), 'Ready');
  assert.equal(findFirst(CR, compilePath('.spec.tags[5]')!), undefined);
  assert.equal(compilePath('spec..x'), null);
});
