// Tests for field selector parsing, escaping, matching, transforms and the unsupported-field 400.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from './errors.ts';
import {
  FieldSelectorError,
  escapeValue,
  fieldLabelConversion,
  fieldLabelError,
  fieldSelectorFromSet,
  oneTermEqualSelector,
  parseFieldSelector,
  unescapeValue,
  unknownFieldSelectorError,
} from './fields.ts';

test('parse and canonical string', () => {
  const cases: [string, string][] = [
    ['', ''],
    ['a=b', 'a=b'],
    ['a==b', 'a=b'],
    ['a!=b', 'a!=b'],
    ['metadata.name=x,status.phase!=Running', 'metadata.name=x,status.phase!=Running'],
    ['b=2,a=1', 'a=1,b=2'],
    ['x=a\\,b', 'x=a\\,b'],
    ['x=a\\=b', 'x=a\\=b'],
    ['x=a\\\\b', 'x=a\\\\b'],
    ['a=,b=c', 'a=,b=c'],
    [',a=b,', 'a=b'],
    ['a=!b', 'a=!b'],
  ];
  for (const [input, want] of cases) assert.equal(parseFieldSelector(input).toString(), want, input);
  assert.ok(parseFieldSelector('').empty());
  assert.ok(!parseFieldSelector('a=b').empty());
  assert.deepEqual(parseFieldSelector('x=a\\,b').requirements(), [{ field: 'x', operator: '=', value: 'a,b' }]);
  assert.deepEqual(parseFieldSelector('spec.nodeName==n1,status.phase!=Failed').requirements(), [
    { field: 'spec.nodeName', operator: '=', value: 'n1' },
    { field: 'status.phase', operator: '!=', value: 'Failed' },
  ]);
});

test('parse errors with upstream messages', () => {
  const cases: [string, string][] = [
    ['a', "invalid selector: 'a'; can't understand 'a'"],
    ['a=b,c', "invalid selector: 'a=b,c'; can't understand 'c'"],
    ['a=b=c', 'invalid field selector: unescaped character in value: 61'],
    ['a=b\\c', 'invalid field selector: invalid escape sequence: \\c'],
    ['a=b\\', 'invalid field selector: invalid escape sequence: \\'],
  ];
  for (const [input, msg] of cases) {
    assert.throws(() => parseFieldSelector(input), (e: unknown) => e instanceof FieldSelectorError && e.message === msg, input);
  }
});

test('matches: absent fields read as empty', () => {
  const fields = { 'metadata.name': 'web', 'status.phase': 'Running', 'spec.nodeName': '' };
  assert.ok(parseFieldSelector('metadata.name=web').matches(fields));
  assert.ok(!parseFieldSelector('metadata.name=db').matches(fields));
  assert.ok(parseFieldSelector('status.phase!=Failed,metadata.name=web').matches(fields));
  assert.ok(!parseFieldSelector('status.phase!=Running').matches(fields));
  assert.ok(parseFieldSelector('spec.nodeName=').matches(fields));
  assert.ok(parseFieldSelector('spec.unknown=').matches(fields));
  assert.ok(parseFieldSelector('spec.unknown!=x').matches(fields));
  assert.ok(parseFieldSelector('').matches(fields));
  assert.ok(parseFieldSelector('x=a\\,b').matches({ x: 'a,b' }));
});

test('escaping', () => {
  assert.equal(escapeValue('a,b=c\\d'), 'a\\,b\\=c\\\\d');
  assert.equal(unescapeValue('a\\,b\\=c\\\\d'), 'a,b=c\\d');
  assert.equal(unescapeValue('plain'), 'plain');
  assert.throws(() => unescapeValue('a,b'), { message: 'invalid field selector: unescaped character in value: 44' });
});

test('requiresExactMatch, from set, one term', () => {
  const s = parseFieldSelector('metadata.namespace!=kube-system,metadata.name=web');
  assert.equal(s.requiresExactMatch('metadata.name'), 'web');
  assert.equal(s.requiresExactMatch('metadata.namespace'), undefined);
  assert.equal(oneTermEqualSelector('spec.nodeName', 'n1').toString(), 'spec.nodeName=n1');
  assert.ok(fieldSelectorFromSet({ a: '1', b: '2' }).matches({ a: '1', b: '2' }));
  assert.ok(fieldSelectorFromSet(undefined).empty());
});

test('field label conversion and the 400 for unsupported fields', () => {
  const podFields = fieldLabelConversion('Pod', ['spec.nodeName', 'status.phase'], { 'spec.host': 'spec.nodeName' });
  assert.equal(parseFieldSelector('spec.host=n1', podFields).toString(), 'spec.nodeName=n1');
  assert.equal(parseFieldSelector('metadata.name=a,status.phase=Running', podFields).toString(), 'metadata.name=a,status.phase=Running');
  let err: unknown;
  try {
    parseFieldSelector('x=y', podFields);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof StatusError);
  assert.equal(err.code, 400);
  assert.equal(err.reason, 'BadRequest');
  assert.equal(err.message, 'field label not supported: x');
  assert.deepEqual(err.status, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'field label not supported: x', reason: 'BadRequest', code: 400 });
  assert.equal(fieldLabelError('Node', 'spec.foo').message, 'field label not supported: spec.foo');
  assert.equal(unknownFieldSelectorError('spec.replicas').message, '"spec.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"');
  // A transform may drop a term by returning empty strings.
  assert.ok(parseFieldSelector('drop=me', () => ['', '']).empty());
});
