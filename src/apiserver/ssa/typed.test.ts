// Field sets, comparisons, merges and removals over the built-in schema and OpenAPI schemas.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { builtinSchema, fromOpenAPI } from './schema.ts';
import { compare, merge, removeItems, toFieldSet } from './typed.ts';
import { FieldSet } from './fieldset.ts';

const deploy = builtinSchema('V1Deployment');
const podSpec = builtinSchema('V1PodSpec');

describe('toFieldSet', () => {
  it('keys container and port lists, defaults the port protocol, and marks map keys', () => {
    const s = toFieldSet(
      { metadata: { labels: { app: 'x' } }, spec: { template: { spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80 }] }] } }, selector: { matchLabels: { app: 'x' } } } },
      deploy,
    );
    assert.deepEqual(s.toJSON(), {
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:selector': {},
        'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } } } } } },
      },
    });
  });

  it('treats atomic lists and maps as leaves, sets by value, and empty objects as members', () => {
    const s = toFieldSet({ nodeSelector: { a: 'b' }, tolerations: [{ key: 'k' }], securityContext: {}, containers: [{ name: 'c', args: ['x'] }] }, podSpec);
    assert.deepEqual(s.toJSON(), {
      'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:args': {}, 'f:name': {} } },
      'f:nodeSelector': {},
      'f:securityContext': {},
      'f:tolerations': {},
    });
    const fin = toFieldSet({ metadata: { finalizers: ['a', 'b'] } }, deploy);
    assert.deepEqual(fin.toJSON(), { 'f:metadata': { 'f:finalizers': { 'v:"a"': {}, 'v:"b"': {} } } });
  });

  it('rejects undeclared fields, duplicate keys and items without their key, as upstream', () => {
    assert.throws(() => toFieldSet({ spec: { bogus: 1 } }, deploy), /^Error: \.spec\.bogus: field not declared in schema$|\.spec\.bogus: field not declared in schema/);
    assert.throws(() => toFieldSet({ containers: [{ name: 'a', env: [{ name: 'X' }, { name: 'X' }] }] }, podSpec), /\.containers\[name="a"\]\.env: duplicate entries for key \[name="X"\]/);
    assert.throws(() => toFieldSet({ containers: [{ image: 'x' }] }, podSpec), /omits key field "name"/);
  });
});

describe('compare', () => {
  it('reports added (with new parents), modified and removed paths', () => {
    const c = compare({ spec: { replicas: 1, paused: true } }, { spec: { replicas: 2, strategy: { rollingUpdate: { maxSurge: 1 } } } }, deploy);
    assert.deepEqual(c.modified.toJSON(), { 'f:spec': { 'f:replicas': {} } });
    assert.deepEqual(c.removed.toJSON(), { 'f:spec': { 'f:paused': {} } });
    assert.deepEqual(c.added.toJSON(), { 'f:spec': { 'f:strategy': { '.': {}, 'f:rollingUpdate': { '.': {}, 'f:maxSurge': {} } } } });
  });
});

describe('merge', () => {
  it('merges keyed lists by key: live-only items keep their place, applied items their order', () => {
    const live = { containers: [{ name: 'a', image: '1' }, { name: 'side', image: 's' }, { name: 'b', image: '2' }] };
    const cfg = { containers: [{ name: 'b', image: '3' }, { name: 'a', image: '4' }, { name: 'new', image: 'n' }] };
    const out = merge(live, cfg, podSpec) as any;
    assert.deepEqual(out.containers.map((c: any) => `${c.name}=${c.image}`), ['side=s', 'b=3', 'a=4', 'new=n']);
  });

  it('replaces atomic values and merges granular maps key by key', () => {
    const out = merge({ nodeSelector: { a: '1' }, tolerations: [{ key: 'x' }], hostname: 'h' }, { nodeSelector: { b: '2' }, tolerations: [{ key: 'y' }] }, podSpec) as any;
    assert.deepEqual(out, { nodeSelector: { b: '2' }, tolerations: [{ key: 'y' }], hostname: 'h' });
    const m = merge({ metadata: { labels: { a: '1' } } }, { metadata: { labels: { b: '2' } } }, deploy) as any;
    assert.deepEqual(m.metadata.labels, { a: '1', b: '2' });
  });
});

describe('removeItems', () => {
  it('removes members with everything under them, without touching the input', () => {
    const live = { metadata: { labels: { a: '1', b: '2' } }, spec: { template: { spec: { containers: [{ name: 'x' }, { name: 'y' }] } } } };
    const drop = new FieldSet().insert(['f:metadata', 'f:labels', 'f:a']).insert(['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"y"}']);
    const out = removeItems(live, drop, deploy) as any;
    assert.deepEqual(out.metadata.labels, { b: '2' });
    assert.deepEqual(out.spec.template.spec.containers, [{ name: 'x' }]);
    assert.deepEqual(live.metadata.labels, { a: '1', b: '2' });
  });
});

describe('OpenAPI schemas (custom resources)', () => {
  const schema = fromOpenAPI({
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          ports: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['port'], items: { type: 'object', properties: { port: { type: 'integer' }, name: { type: 'string' } } } },
          tags: { type: 'array', items: { type: 'string' } },
          selector: { type: 'object', 'x-kubernetes-map-type': 'atomic', additionalProperties: { type: 'string' } },
          extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        },
      },
    },
  });

  it('uses list types, map keys and map types from the schema; unknown content is deduced', () => {
    const s = toFieldSet({ spec: { ports: [{ port: 80, name: 'http' }], tags: ['a'], selector: { a: 'b' }, extra: { x: { y: 1 }, l: [1] } } }, schema);
    assert.deepEqual(s.toJSON(), {
      'f:spec': {
        'f:extra': { 'f:l': {}, 'f:x': { '.': {}, 'f:y': {} } },
        'f:ports': { 'k:{"port":80}': { '.': {}, 'f:name': {}, 'f:port': {} } },
        'f:selector': {},
        'f:tags': {},
      },
    });
    const out = merge({ spec: { ports: [{ port: 80, name: 'a' }], tags: ['x'] } }, { spec: { ports: [{ port: 81 }], tags: ['y'] } }, schema) as any;
    assert.deepEqual(out.spec, { ports: [{ port: 80, name: 'a' }, { port: 81 }], tags: ['y'] });
  });
});
