// Tests for label selector parsing, matching and formatting against upstream examples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LabelSelectorError,
  formatLabelSelector,
  formatLabels,
  newRequirement,
  parseSelector,
  selectorFromLabelSelector,
  selectorFromSet,
  validateLabelSelector,
} from './labels.ts';

test('parse: good strings round-trip to the canonical form', () => {
  for (const s of ['x=a,y=b,z=c', '', 'x!=a,y=b', 'x=', 'x= ', 'x=,z= ', 'x= ,z= ', '!x', 'x>1', 'x>1,z<5']) {
    assert.equal(parseSelector(s).toString(), s.replaceAll(' ', ''), s);
  }
  assert.equal(parseSelector('x=a,a=x').toString(), parseSelector('a=x,x=a').toString());
  assert.equal(parseSelector('  env in ( prod , qa ) , tier notin (front), !canary, app ').toString(), 'app,!canary,env in (prod,qa),tier notin (front)');
  assert.equal(parseSelector('a==b').toString(), 'a==b');
  assert.equal(parseSelector('k in (b,a,b)').toString(), 'k in (a,b)');
  assert.equal(parseSelector('x in ()').toString(), 'x in ()');
  assert.equal(parseSelector('x in (a,,b)').toString(), 'x in (,a,b)');
  assert.equal(parseSelector('x in (a,)').toString(), 'x in (,a)');
  assert.equal(parseSelector('notin=in').toString(), 'notin=in');
  assert.equal(parseSelector('example.com/app=web').toString(), 'example.com/app=web');
  assert.ok(parseSelector('').empty());
  assert.ok(!parseSelector('a').empty());
});

test('parse: bad strings fail with upstream messages', () => {
  const cases: [string, string][] = [
    ['a=b=c', "found '=', expected: ',' or 'end of string'"],
    ['x==a==b', "found '==', expected: ',' or 'end of string'"],
    ['!x=a', "found '=', expected: ',' or 'end of string'"],
    ['x<a', `unable to parse requirement: values[0]: Invalid value: "a": for 'Gt', 'Lt' operators, the value must be an integer`],
    ['x in (a', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['x in a', "unable to parse requirement: found 'a' expected: '('"],
    ['a,', "found '', expected: identifier after ','"],
    [',a', "found ',', expected: !, identifier, or 'end of string'"],
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    ['a=(', "unable to parse requirement: found '(', expected: identifier"],
    ['a!', "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt"],
  ];
  for (const [s, msg] of cases) {
    assert.throws(() => parseSelector(s), (e: unknown) => e instanceof LabelSelectorError && e.message === msg, s);
  }
  assert.throws(
    () => parseSelector('a/b/c=x'),
    (e: unknown) => (e as Error).message.startsWith('unable to parse requirement: <nil>: Invalid value: "a/b/c": a qualified name must consist of'),
  );
  // '|' is an identifier character, so this fails on the value, not on the operator.
  assert.throws(
    () => parseSelector('x=a||y=b'),
    (e: unknown) => (e as Error).message.startsWith('unable to parse requirement: values[0][x]: Invalid value: "a||y": a valid label'),
  );
  assert.throws(
    () => parseSelector('app=-bad'),
    (e: unknown) => (e as Error).message.startsWith('unable to parse requirement: values[0][app]: Invalid value: "-bad": a valid label must be an empty string'),
  );
});

test('matches (TestSelectorMatches)', () => {
  const yes: [string, Record<string, string>][] = [
    ['', { x: 'y' }],
    ['x=y', { x: 'y' }],
    ['x=y,z=w', { x: 'y', z: 'w' }],
    ['x!=y,z!=w', { x: 'z', z: 'a' }],
    ['notin=in', { notin: 'in' }],
    ['x', { x: 'z' }],
    ['!x', { y: 'z' }],
    ['x>1', { x: '2' }],
    ['x<1', { x: '0' }],
    ['x<1', { x: '-5' }],
    ['x in (a,b)', { x: 'b' }],
    ['x notin (a,b)', { y: 'a' }],
    ['x=', { x: '' }],
    ['foo=bar,baz=blah', { foo: 'bar', baz: 'blah' }],
  ];
  const no: [string, Record<string, string>][] = [
    ['x=z', {}],
    ['x=y', { x: 'z' }],
    ['x=y,z=w', { x: 'w', z: 'w' }],
    ['x!=y,z!=w', { x: 'z', z: 'w' }],
    ['x', { y: 'z' }],
    ['!x', { x: 'z' }],
    ['x>1', { x: '0' }],
    ['x<1', { x: '2' }],
    ['x>1', { x: 'abc' }],
    ['x>1', {}],
    ['x in (a,b)', {}],
    ['x notin (a,b)', { x: 'a' }],
    ['foo=bar,foobar=bar,baz=blah', { foo: 'bar', baz: 'blah' }],
  ];
  for (const [s, l] of yes) assert.ok(parseSelector(s).matches(l), `${s} should match ${JSON.stringify(l)}`);
  for (const [s, l] of no) assert.ok(!parseSelector(s).matches(l), `${s} should not match ${JSON.stringify(l)}`);
  assert.ok(parseSelector('!x').matches(undefined));
  assert.ok(!parseSelector('x').matches(undefined));
  // Keys inherited from Object.prototype are not labels.
  assert.ok(!parseSelector('toString').matches({}));
});

test('selectorFromLabelSelector (LabelSelectorAsSelector)', () => {
  const nothing = selectorFromLabelSelector(null);
  assert.ok(!nothing.matches({}));
  assert.ok(!nothing.empty());
  assert.equal(nothing.toString(), '');
  assert.equal(nothing.selectable, false);
  const all = selectorFromLabelSelector({});
  assert.ok(all.matches({ a: 'b' }));
  assert.ok(all.empty());
  assert.ok(selectorFromLabelSelector({ matchLabels: {}, matchExpressions: [] }).empty());

  const s = selectorFromLabelSelector({
    matchLabels: { tier: 'frontend', app: 'web' },
    matchExpressions: [
      { key: 'env', operator: 'In', values: ['qa', 'prod'] },
      { key: 'canary', operator: 'DoesNotExist' },
      { key: 'zone', operator: 'NotIn', values: ['b'] },
      { key: 'gpu', operator: 'Exists' },
    ],
  });
  assert.equal(s.toString(), 'app=web,!canary,env in (prod,qa),gpu,tier=frontend,zone notin (b)');
  assert.ok(s.matches({ app: 'web', tier: 'frontend', env: 'qa', gpu: '' }));
  assert.ok(!s.matches({ app: 'web', tier: 'frontend', env: 'qa', gpu: '', canary: 'x' }));
  assert.equal(s.requiresExactMatch('app'), 'web');
  assert.equal(s.requiresExactMatch('env'), undefined);
  assert.deepEqual(s.requirements().map((r) => r.key), ['app', 'canary', 'env', 'gpu', 'tier', 'zone']);

  assert.throws(() => selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Foo' }] }), { message: '"Foo" is not a valid label selector operator' });
  assert.throws(() => selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }), {
    message: "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
  });
  assert.throws(() => selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }), {
    message: 'values: Invalid value: []string{"x"}: values set must be empty for exists and does not exist',
  });
  assert.throws(() => selectorFromLabelSelector({ matchLabels: { 'a b': 'c' } }), (e: unknown) => (e as Error).message.startsWith('key: Invalid value: "a b": name part must consist'));
  assert.throws(
    () => selectorFromLabelSelector({ matchExpressions: [{ key: 'a b', operator: 'In', values: [] }] }),
    (e: unknown) => /^\[key: Invalid value: "a b": .*, values: Invalid value: \[\]string\(nil\): .*\]$/.test((e as Error).message),
  );
});

test('newRequirement operator checks', () => {
  assert.throws(() => newRequirement('a', '=', ['x', 'y']), { message: 'values: Invalid value: []string{"x", "y"}: exact-match compatibility requires one single value' });
  assert.throws(() => newRequirement('a', 'gt', ['1', '2']), (e: unknown) => (e as Error).message.startsWith(`values: Invalid value: []string{"1", "2"}: for 'Gt', 'Lt' operators, exactly one value is required`));
  assert.throws(() => newRequirement('a', 'bogus', []), {
    message: 'operator: Unsupported value: "bogus": supported values: "in", "notin", "=", "==", "!=", "gt", "lt", "exists", "!"',
  });
  assert.equal(newRequirement('a', 'in', ['z', 'y']).toString(), 'a in (y,z)');
});

test('formatLabelSelector and formatLabels (printer cells)', () => {
  assert.equal(formatLabelSelector(null), '<none>');
  assert.equal(formatLabelSelector(undefined), '<none>');
  assert.equal(formatLabelSelector({}), '<none>');
  assert.equal(formatLabelSelector({ matchLabels: { app: 'nginx' } }), 'app=nginx');
  assert.equal(
    formatLabelSelector({ matchLabels: { b: '1' }, matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['y', 'x'] }, { key: 'c', operator: 'DoesNotExist' }] }),
    'a notin (x,y),b=1,!c',
  );
  assert.equal(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bad' }] }), '<error>');
  assert.equal(formatLabels(undefined), '<none>');
  assert.equal(formatLabels({}), '<none>');
  assert.equal(formatLabels({ tier: 'web', app: 'nginx' }), 'app=nginx,tier=web');
  // Sorted as whole `k=v` strings, like labels.Set.String(): '-' sorts before '='.
  assert.equal(formatLabels({ a: '2', 'a-b': '1' }), 'a-b=1,a=2');
});

test('selectorFromSet', () => {
  const s = selectorFromSet({ b: '2', a: '1' });
  assert.equal(s.toString(), 'a=1,b=2');
  assert.ok(s.matches({ a: '1', b: '2', c: '3' }));
  assert.ok(selectorFromSet(undefined).empty());
});

test('validateLabelSelector field errors', () => {
  const errs = validateLabelSelector(
    { matchLabels: { ok: 'v' }, matchExpressions: [{ key: 'a', operator: 'In', values: [] }, { key: 'b', operator: 'Exists', values: ['x'] }, { key: 'c', operator: 'Nope' }] },
    'spec.selector',
  );
  assert.deepEqual(
    errs.map((e) => [e.type, e.field]),
    [
      ['FieldValueRequired', 'spec.selector.matchExpressions[0].values'],
      ['FieldValueForbidden', 'spec.selector.matchExpressions[1].values'],
      ['FieldValueInvalid', 'spec.selector.matchExpressions[2].operator'],
    ],
  );
});
