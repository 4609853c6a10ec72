// Tests of the shared cell helpers (timestamps, labels, selectors, quantities, access modes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessModes, formatLabels, formatSelector, listWithMore, quantity, selectorString, since, timeMs } from './format.ts';

test('timestamps: zero and absent are <unknown>; fast path agrees with Date.parse', () => {
  const now = Date.UTC(2025, 0, 1);
  assert.equal(since(undefined, now), '<unknown>');
  assert.equal(since('0001-01-01T00:00:00Z', now), '<unknown>');
  assert.equal(since('2024-12-31T23:59:00Z', now), '60s');
  for (const s of ['2024-12-11T10:20:30Z', '2024-02-29T23:59:59Z', '1999-12-31T00:00:00Z', '2024-12-11T10:20:30+01:00', '2024-12-11T10:20:30.123456Z']) {
    assert.equal(timeMs(s), Date.parse(s), s);
  }
  assert.equal(timeMs('not a time'), null);
});

test('labels, selectors, quantities, access modes, more-lists', () => {
  assert.equal(formatLabels({ b: '1', a: '2' }), 'a=2,b=1');
  assert.equal(formatLabels({}), '<none>');
  assert.equal(formatSelector(undefined), '<none>');
  assert.equal(formatSelector({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] }), '<error>');
  assert.equal(formatSelector({ matchLabels: { app: 'x' }, matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['b', 'a'] }] }), 'app=x,env notin (a,b)');
  assert.equal(selectorString(undefined), '');
  assert.equal(quantity(undefined), '0');
  assert.equal(quantity('1024Mi'), '1Gi');
  assert.equal(quantity('0.5'), '500m');
  assert.equal(accessModes(['ReadWriteOncePod', 'ReadOnlyMany', 'ReadWriteOnce']), 'RWO,ROX,RWOP');
  assert.equal(accessModes([]), '');
  assert.equal(listWithMore(['a', 'b', 'c'], 5, 3, '<unset>'), 'a,b,c + 2 more...');
  assert.equal(listWithMore([], 0, 3, '<unset>'), '<unset>');
});
