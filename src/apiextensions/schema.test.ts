// Structural schema pruning, defaulting and validation, and CEL rules, with the field errors
// apiextensions-apiserver reports for them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorString, type FieldError } from '../machinery/errors.ts';
import { applyDefaults, prune, validateResource, type Schema } from './schema.ts';
import { validateRules } from './cel.ts';
import { structuralErrors } from './crd.ts';

const schema: Schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        replicas: { type: 'integer', default: 1, maximum: 5 },
        mode: { type: 'string', default: 'auto', nullable: false },
        items: { type: 'array', items: { type: 'object', properties: { name: { type: 'string', default: 'x' } } }, maxItems: 2 },
        labels: { type: 'object', additionalProperties: { type: 'string', minLength: 1 } },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        embedded: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object', properties: { a: { type: 'string' } } } } },
        when: { type: 'string', format: 'date-time' },
        ratio: { type: 'number', exclusiveMinimum: true, minimum: 0 },
      },
    },
  },
};

const msgs = (errs: FieldError[]) => errs.map(fieldErrorString);

describe('structural schemas', () => {
  it('prunes unknown fields, keeping preserved ones and embedded resources\' type and metadata', () => {
    const obj: any = {
      apiVersion: 'x/v1', kind: 'X', metadata: { name: 'a', junk: 1 },
      spec: { nope: 1, free: { any: { thing: true } }, labels: { a: 'b' }, embedded: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { a: 'b', z: 1 }, zz: 2 } },
      top: 1,
    };
    const removed = prune(obj, schema);
    assert.deepEqual(removed.sort(), ['metadata.junk', 'spec.embedded.spec.z', 'spec.embedded.zz', 'spec.nope', 'top']);
    assert.deepEqual(obj.spec.free, { any: { thing: true } });
    assert.deepEqual(obj.spec.embedded, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { a: 'b' } });
  });

  it('applies defaults, also in list items and over null non-nullable fields', () => {
    const obj: any = { spec: { mode: null, items: [{}, { name: 'y' }] } };
    applyDefaults(obj, schema);
    assert.deepEqual(obj.spec, { replicas: 1, mode: 'auto', items: [{ name: 'x' }, { name: 'y' }] });
  });

  it('reports values that break the schema with upstream wording', () => {
    const errs = validateResource({ spec: { replicas: 7, items: [{}, {}, {}], labels: { a: '' }, when: 'yesterday', ratio: 0 } }, schema);
    assert.deepEqual(msgs(errs), [
      'spec.replicas: Invalid value: 7: spec.replicas in body should be less than or equal to 5',
      'spec.items: Too many: 3: must have at most 2 items',
      'spec.labels.a: Invalid value: "": spec.labels.a in body should be at least 1 chars long',
      'spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"',
      'spec.ratio: Invalid value: 0: spec.ratio in body should be greater than 0',
    ]);
  });

  it('finds non-structural schemas', () => {
    const errs: FieldError[] = [];
    structuralErrors({ properties: { spec: { properties: { a: { type: 'array' } } }, metadata: { type: 'object', properties: { labels: { type: 'object' } } } } }, 'openAPIV3Schema', errs);
    assert.deepEqual(msgs(errs), [
      'openAPIV3Schema.type: Required value: must not be empty at the root',
      'openAPIV3Schema.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified',
      'openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields',
      'openAPIV3Schema.properties[spec].properties[a].items: Required value: must be specified',
    ]);
  });
});

describe('CEL validation rules', () => {
  const s: Schema = {
    type: 'object',
    'x-kubernetes-validations': [
      { rule: 'self.min <= self.max', messageExpression: "'min ' + string(self.min) + ' exceeds max ' + string(self.max)" },
      { rule: 'self.tags.all(t, t.matches("^[a-z]+$")) && self.tags.exists(t, t.startsWith("p"))', message: 'bad tags', fieldPath: '.tags' },
      { rule: 'self.max >= oldSelf.max', message: 'max may not shrink', reason: 'FieldValueForbidden' },
    ],
    properties: {
      min: { type: 'integer' },
      max: { type: 'integer' },
      tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-validations': [{ rule: 'size(self) <= 3' }] },
      name: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self.lowerAscii() == self && self.replace("-", "") != ""' }] },
    },
  };

  it('evaluates rules with messages, field paths and reasons; transition rules only on update', () => {
    const errs: FieldError[] = [];
    validateRules({ min: 5, max: 2, tags: ['Prod', 'a', 'b', 'c'], name: 'A' }, undefined, s, 'spec', errs);
    assert.deepEqual(msgs(errs), [
      'spec: Invalid value: "object": min 5 exceeds max 2',
      'spec.tags: Invalid value: "object": bad tags',
      'spec.tags: Invalid value: "array": failed rule: size(self) <= 3',
      'spec.name: Invalid value: "string": failed rule: self.lowerAscii() == self && self.replace("-", "") != ""',
    ]);
    const upd: FieldError[] = [];
    validateRules({ min: 1, max: 2, tags: ['p'] }, { min: 1, max: 3, tags: ['p'] }, s, 'spec', upd);
    assert.deepEqual(msgs(upd), ['spec: Forbidden: max may not shrink']);
  });
});
