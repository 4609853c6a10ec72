// FieldsV1 encoding and field-set algebra, checked against upstream's wire form.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FieldSet, keyPE, pathString, valuePE } from './fieldset.ts';

describe('FieldSet', () => {
  it('round-trips FieldsV1 with "." for members that have children, keys sorted', () => {
    const v1 = {
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': {
        'f:containers': { 'k:{"name":"a"}': { '.': {}, 'f:image': {}, 'f:name': {} } },
        'f:finalizers': { 'v:"x"': {} },
        'f:replicas': {},
      },
    };
    const s = FieldSet.fromJSON(v1);
    assert.deepEqual(s.toJSON(), v1);
    assert.deepEqual(Object.keys(FieldSet.fromJSON({ 'f:b': {}, 'f:a': {} }).toJSON()), ['f:a', 'f:b']);
    assert.ok(s.has(['f:metadata', 'f:labels']));
    assert.ok(!s.has(['f:metadata']));
    assert.ok(s.has(['f:spec', 'f:containers', 'k:{"name":"a"}', 'f:image']));
  });

  it('rejects malformed FieldsV1', () => {
    assert.throws(() => FieldSet.fromJSON({ 'x:bad': {} }), /unknown path element/);
    assert.throws(() => FieldSet.fromJSON([]), /must be an object/);
  });

  it('union, difference and intersection work path by path', () => {
    const a = new FieldSet().insert(['f:spec', 'f:replicas']).insert(['f:spec', 'f:paused']);
    const b = new FieldSet().insert(['f:spec', 'f:replicas']).insert(['f:data', 'f:x']);
    assert.deepEqual(a.union(b).toJSON(), { 'f:data': { 'f:x': {} }, 'f:spec': { 'f:paused': {}, 'f:replicas': {} } });
    assert.deepEqual(a.difference(b).toJSON(), { 'f:spec': { 'f:paused': {} } });
    assert.deepEqual(a.intersection(b).toJSON(), { 'f:spec': { 'f:replicas': {} } });
    assert.ok(a.difference(a).isEmpty());
  });

  it('prints paths as upstream conflict messages do', () => {
    assert.equal(pathString(['f:spec', 'f:replicas']), '.spec.replicas');
    assert.equal(pathString(['f:spec', 'f:containers', keyPE([['name', 'nginx']]), 'f:image']), '.spec.containers[name="nginx"].image');
    assert.equal(pathString(['f:ports', keyPE([['protocol', 'TCP'], ['containerPort', 80]])]), '.ports[containerPort=80,protocol="TCP"]');
    assert.equal(pathString(['f:metadata', 'f:finalizers', valuePE('a')]), '.metadata.finalizers[="a"]');
    assert.equal(keyPE([['protocol', 'TCP'], ['containerPort', 80]]), 'k:{"containerPort":80,"protocol":"TCP"}');
  });
});
