// Tests for IntOrString scaling (GetScaledValueFromIntOrPercent) and the int-or-percent check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getScaledValueFromIntOrPercent, intValue, isIntOrPercent } from './intorstr.ts';

test('getScaledValueFromIntOrPercent', () => {
  const cases: [number | string, number, boolean, number][] = [
    [0, 0, false, 0],
    [5, 100, true, 5],
    ['10%', 100, true, 10],
    ['25%', 5, true, 2],
    ['25%', 5, false, 1],
    ['25%', 4, true, 1],
    ['25%', 3, false, 0],
    ['25%', 3, true, 1],
    ['100%', 7, false, 7],
    ['0%', 10, true, 0],
    ['33%', 10, true, 4],
    ['33%', 10, false, 3],
  ];
  for (const [v, total, up, want] of cases) assert.equal(getScaledValueFromIntOrPercent(v, total, up), want, `${v} of ${total} ${up}`);
});

test('getScaledValueFromIntOrPercent errors', () => {
  assert.throws(() => getScaledValueFromIntOrPercent(undefined, 10, true), { message: 'nil value for IntOrString' });
  assert.throws(() => getScaledValueFromIntOrPercent('10', 10, true), { message: 'invalid value for IntOrString: invalid type: string is not a percentage' });
  assert.throws(() => getScaledValueFromIntOrPercent('a%', 10, true), {
    message: 'invalid value for IntOrString: invalid value "a%": strconv.Atoi: parsing "a": invalid syntax',
  });
  assert.throws(() => getScaledValueFromIntOrPercent('%', 10, true), {
    message: 'invalid value for IntOrString: invalid value "%": strconv.Atoi: parsing "": invalid syntax',
  });
});

test('isIntOrPercent and intValue', () => {
  assert.ok(isIntOrPercent(3));
  assert.ok(isIntOrPercent('25%'));
  assert.ok(!isIntOrPercent('25'));
  assert.ok(!isIntOrPercent('-5%'));
  assert.ok(!isIntOrPercent(1.5));
  assert.ok(!isIntOrPercent(undefined));
  assert.equal(intValue('8080'), 8080);
  assert.equal(intValue('http'), 0);
  assert.equal(intValue(3), 3);
});
