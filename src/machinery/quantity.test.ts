// Tests for resource.Quantity parsing, canonical strings and arithmetic, against upstream examples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Quantity, QuantityError, ERR_FORMAT_WRONG, ERR_SUFFIX, ERR_NUMERIC, canonicalQuantity, quantityFromJSON, tryParseQuantity } from './quantity.ts';
import type { QuantityFormat } from './quantity.ts';

const q = (s: string) => Quantity.parse(s);
const dec = (v: number | bigint, scale: number, format: QuantityFormat) => Quantity.fromInt(v, format, scale);

test('parse: value and format of upstream examples', () => {
  const table: [string, Quantity][] = [
    ['0', dec(0, 0, 'DecimalSI')],
    ['0n', dec(0, 0, 'DecimalSI')],
    ['0Ki', dec(0, 0, 'BinarySI')],
    ['0T', dec(0, 0, 'DecimalSI')],
    ['1', dec(1, 0, 'DecimalSI')],
    ['1Ki', dec(1024, 0, 'BinarySI')],
    ['7Mi', dec(7 * 1024 * 1024, 0, 'BinarySI')],
    ['5Ti', dec(5 * 1024 ** 4, 0, 'BinarySI')],
    ['4Pi', dec(4n * 1024n ** 5n, 0, 'BinarySI')],
    ['3Ei', dec(3n * 1024n ** 6n, 0, 'BinarySI')],
    ['5n', dec(5, -9, 'DecimalSI')],
    ['4u', dec(4, -6, 'DecimalSI')],
    ['3m', dec(3, -3, 'DecimalSI')],
    ['50k', dec(5, 4, 'DecimalSI')],
    ['40T', dec(4, 13, 'DecimalSI')],
    ['2P', dec(2, 15, 'DecimalSI')],
    ['1E', dec(1, 18, 'DecimalSI')],
    ['1E-3', dec(1, -3, 'DecimalExponent')],
    ['1e3', dec(1, 3, 'DecimalExponent')],
    ['1e14', dec(1, 14, 'DecimalExponent')],
    ['100.035k', dec(100035, 0, 'DecimalSI')],
    ['0.001', dec(1, -3, 'DecimalSI')],
    ['0.0005k', dec(5, -1, 'DecimalSI')],
    ['0.50000', dec(5, -1, 'DecimalSI')],
    ['0.5e-2', dec(5, -3, 'DecimalExponent')],
    ['10.035M', dec(10035, 3, 'DecimalSI')],
    ['1.3E+6', dec(13, 5, 'DecimalExponent')],
    ['1.7E18', dec(17, 17, 'DecimalExponent')],
    ['6.987654321G', dec(6987654321, 0, 'DecimalSI')],
    ['1.01E', dec(101, 16, 'DecimalSI')],
    // Rounded up to the next nano unit.
    ['3.001n', dec(4, -9, 'DecimalSI')],
    ['1.1E-9', dec(2, -9, 'DecimalExponent')],
    ['0.0000000005', dec(1, -9, 'DecimalSI')],
    ['0.00000012354', dec(124, -9, 'DecimalSI')],
    // BinarySI is capped at the largest int64.
    ['9Ei', dec(9223372036854775807n, 0, 'BinarySI')],
    ['9223372036854775807Ki', dec(9223372036854775807n, 0, 'BinarySI')],
    ['12E', dec(12, 18, 'DecimalSI')],
    ['100.035Ki', dec(10243584, -2, 'BinarySI')],
    ['0.5Mi', dec(512 * 1024, 0, 'BinarySI')],
    ['0.025Ti', dec(274877906944, -1, 'BinarySI')],
    // Below one, a binary quantity becomes decimal.
    ['0.000000000001Ki', dec(2, -9, 'DecimalSI')],
    ['.001', dec(1, -3, 'DecimalSI')],
    ['.0001k', dec(100, -3, 'DecimalSI')],
    ['1.', dec(1, 0, 'DecimalSI')],
    ['1.G', dec(1, 9, 'DecimalSI')],
  ];
  for (const [input, want] of table) {
    for (const [prefix, sign] of [['', 1], ['+', 1], ['-', -1]] as const) {
      const got = q(prefix + input);
      const expected = sign < 0 ? want.neg() : want;
      assert.equal(got.cmp(expected), 0, `${prefix}${input}: got ${got.canonical()}, want ${expected.canonical()}`);
      assert.equal(got.format, want.format, `${prefix}${input} format`);
    }
  }
});

test('parse: rejects what upstream rejects, with its messages', () => {
  const cases: [string, string][] = [
    ['', ERR_FORMAT_WRONG],
    ['1.1.M', ERR_FORMAT_WRONG],
    ['1+1.0M', ERR_FORMAT_WRONG],
    ['0.1mi', ERR_SUFFIX],
    ['0.1am', ERR_FORMAT_WRONG],
    ['aoeu', ERR_FORMAT_WRONG],
    ['.5i', ERR_SUFFIX],
    ['1i', ERR_SUFFIX],
    ['-3.01i', ERR_SUFFIX],
    ['-3.01e-', ERR_SUFFIX],
    [' 1', ERR_FORMAT_WRONG],
    ['1 ', ERR_FORMAT_WRONG],
    ['Non-Numeric', ERR_FORMAT_WRONG],
    ['Ei', ERR_NUMERIC],
  ];
  for (const [input, msg] of cases) {
    assert.throws(() => q(input), (e: unknown) => e instanceof QuantityError && e.message === msg, JSON.stringify(input));
  }
  assert.equal(ERR_FORMAT_WRONG, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  assert.equal(tryParseQuantity('1x'), undefined);
});

test('canonical strings (TestQuantityString)', () => {
  const table: [Quantity, string, string][] = [
    [dec(1024 * 1024 * 1024, 0, 'BinarySI'), '1Gi', '1024Mi'],
    [dec(300 * 1024 * 1024, 0, 'BinarySI'), '300Mi', '307200Ki'],
    [dec(6 * 1024, 0, 'BinarySI'), '6Ki', ''],
    [dec(1001 * 1024 * 1024 * 1024, 0, 'BinarySI'), '1001Gi', '1025024Mi'],
    [dec(1024 ** 4, 0, 'BinarySI'), '1Ti', '1024Gi'],
    [dec(5, 0, 'BinarySI'), '5', '5000m'],
    [dec(500, -3, 'BinarySI'), '500m', '0.5'],
    [dec(1, 9, 'DecimalSI'), '1G', '1000M'],
    [dec(1000, 6, 'DecimalSI'), '1G', '0.001T'],
    [dec(1, -3, 'DecimalSI'), '1m', '1000u'],
    [dec(1080, -3, 'DecimalSI'), '1080m', '1.08'],
    [dec(108, -2, 'DecimalSI'), '1080m', '1080000000n'],
    [dec(10800, -4, 'DecimalSI'), '1080m', ''],
    [dec(300, 6, 'DecimalSI'), '300M', ''],
    [dec(1234567, 6, 'DecimalSI'), '1234567M', ''],
    [dec(1234567, -3, 'BinarySI'), '1234567m', ''],
    [dec(3, 3, 'DecimalSI'), '3k', ''],
    [dec(1025, 0, 'BinarySI'), '1025', ''],
    [dec(0, 0, 'DecimalSI'), '0', ''],
    [dec(0, 0, 'BinarySI'), '0', ''],
    [dec(1, 9, 'DecimalExponent'), '1e9', '.001e12'],
    [dec(1, -3, 'DecimalExponent'), '1e-3', '0.001e0'],
    [dec(1, -9, 'DecimalExponent'), '1e-9', '1000e-12'],
    [dec(80, -3, 'DecimalExponent'), '80e-3', ''],
    [dec(300, 6, 'DecimalExponent'), '300e6', ''],
    [dec(0, 0, 'DecimalExponent'), '0', '00'],
    [dec(108, -8, 'DecimalSI'), '1080n', ''],
    [dec(10800, -10, 'DecimalSI'), '1080n', ''],
    [dec(1080, -6, 'DecimalSI'), '1080u', ''],
  ];
  for (const [value, want, alternate] of table) {
    assert.equal(value.toString(), want);
    assert.equal(q(want).toString(), want, `${want} reparsed`);
    if (alternate) assert.equal(q(alternate).toString(), want, `${alternate} → ${want}`);
    if (!value.isZero()) assert.equal(value.neg().toString(), `-${want}`);
  }
});

test('canonical strings the API server returns for common inputs', () => {
  const table: [string, string][] = [
    ['1000m', '1'],
    ['1536Mi', '1536Mi'],
    ['0.5', '500m'],
    ['1e3', '1e3'],
    ['1024Ki', '1Mi'],
    ['100M', '100M'],
    ['129e6', '129e6'],
    ['1.5Gi', '1536Mi'],
    ['1.5', '1500m'],
    ['2000Mi', '2000Mi'],
    ['1024Mi', '1Gi'],
    ['1000M', '1G'],
    ['.001Ki', '1024m'],
    ['.000001Ki', '1024u'],
    ['.000000001Ki', '1024n'],
    ['.000000000001Ki', '2n'],
    ['1.2e3', '1200'],
    ['0.5e0', '500e-3'],
    ['1.3E+6', '1300e3'],
    ['9.01', '9010m'],
    ['8.1k', '8100'],
    ['3.001n', '4n'],
    ['1.5Ki', '1536'],
    ['-0.5Ki', '-512'],
    ['9Ei', '9223372036854775807'],
    ['250m', '250m'],
    ['64Mi', '64Mi'],
    ['128974848', '128974848'],
    ['0.1', '100m'],
    ['-1.5', '-1500m'],
  ];
  for (const [input, want] of table) assert.equal(canonicalQuantity(input), want, input);
});

test('the input string is kept where upstream keeps it', () => {
  // Upstream only re-renders when the int64 fast path cannot vouch for the input; these survive as typed.
  for (const s of ['+1k', '01k', '1.500', '100.035k', '1E-3', '1.', '1.G', '10.035M']) assert.equal(q(s).toString(), s);
  assert.equal(q('+1k').canonical(), '1k');
  assert.equal(q('1.500').canonical(), '1500m');
  // Exponents beyond E have no suffix upstream, so the mantissa prints alone.
  assert.equal(q('1000E').toString(), '1');
  // Things upstream accepts as zero.
  for (const s of ['Ki', 'm', '-', '.', '-0', '0.0', '00']) assert.equal(q(s).toString(), '0', s);
});

test('value() and milliValue() round up', () => {
  assert.equal(q('100m').milliValue(), 100);
  assert.equal(q('1').milliValue(), 1000);
  assert.equal(q('1.5').value(), 2);
  assert.equal(q('9.01').value(), 10);
  assert.equal(q('-1.5').value(), -2);
  assert.equal(q('1n').milliValue(), 1);
  assert.equal(q('1Gi').value(), 1073741824);
  assert.equal(q('128974848').value(), 128974848);
  assert.equal(q('129e6').value(), 129000000);
  assert.equal(q('1536Mi').value(), 1610612736);
  assert.equal(q('3Ei').scaledValueBig(0), 3n * 1024n ** 6n);
  // ScaledValue between scales (TestScaledValue).
  const scales: [number, number, number][] = [
    [-9, -9, 1], [-9, -6, 1], [-9, -3, 1], [-9, 0, 1], [-6, -9, 1000], [-3, -9, 1000000], [-3, -6, 1000], [0, -9, 1000000000], [0, -3, 1000], [2, -2, 10000],
  ];
  for (const [from, to, want] of scales) assert.equal(Quantity.fromInt(1, 'DecimalSI', from).scaledValue(to), want, `${from}→${to}`);
  // Saturates instead of overflowing.
  assert.equal(q('12E').scaledValueBig(0), 9223372036854775807n);
});

test('cmp and equal', () => {
  assert.equal(q('1').cmp(q('1000m')), 0);
  assert.ok(q('1Gi').equal(q('1024Mi')));
  assert.equal(q('900m').cmp(q('1')), -1);
  assert.equal(q('1Ki').cmp(q('1k')), 1);
  assert.equal(q('-1').cmp(q('1n')), -1);
  assert.equal(q('-2').cmp(q('-1')), -1);
  assert.equal(q('0').cmp(q('0Mi')), 0);
  assert.equal(dec(901, -2, 'DecimalSI').cmp(dec(90, -1, 'DecimalSI')), 1);
  assert.equal(dec(9223372036854775807n, 0, 'DecimalSI').cmp(dec(1, -1, 'DecimalSI')), 1);
  assert.equal(dec(10n ** 18n + 1n, -17, 'DecimalSI').cmp(dec(1, 1, 'DecimalSI')), 1);
  assert.equal(dec(10n ** 18n - 1n, -17, 'DecimalSI').cmp(dec(1, 1, 'DecimalSI')), -1);
  assert.equal(q('1e999999999').cmp(q('1e999999998')), 1);
  assert.equal(q('1').cmpInt(1), 0);
});

test('add, sub, mul, neg keep the format rules of upstream', () => {
  assert.equal(q('100m').add(q('0')).toString(), '100m');
  assert.equal(q('0').add(q('100m')).toString(), '100m');
  assert.equal(q('0').add(q('1Gi')).toString(), '1Gi');
  assert.equal(q('1Gi').sub(q('0')).toString(), '1Gi');
  assert.equal(q('0').sub(q('1Gi')).toString(), '-1Gi');
  assert.equal(dec(10, 0, 'BinarySI').add(dec(1, 0, 'DecimalSI')).format, 'BinarySI');
  assert.equal(dec(10, 0, 'DecimalSI').sub(dec(1, 1, 'DecimalSI')).toString(), '0');
  assert.equal(q('1Gi').add(q('512Mi')).toString(), '1536Mi');
  assert.equal(q('100m').add(q('1')).toString(), '1100m');
  assert.equal(q('500m').add(q('500m')).toString(), '1');
  assert.equal(dec(9223372036854775807n, 0, 'DecimalSI').mul(10).cmp(dec(9223372036854775807n, 1, 'DecimalSI')), 0);
  assert.equal(dec(901, -2, 'DecimalSI').neg().toString(), '-9010m');
  // Exact across many additions (TestAddSubRoundTrip).
  let acc = Quantity.zero();
  const parts = Array.from({ length: 50 }, (_, i) => Quantity.fromInt(BigInt(i) * 1234567890123n, 'DecimalSI', (i % 7) - 3));
  for (const p of parts) acc = acc.add(p);
  for (const p of parts) acc = acc.sub(p);
  assert.ok(acc.isZero());
});

test('roundUp (TestQuantityRoundUp)', () => {
  const table: [string, number, Quantity, boolean][] = [
    ['9.01', -3, dec(901, -2, 'DecimalSI'), true],
    ['9.01', -2, dec(901, -2, 'DecimalSI'), true],
    ['9.01', -1, dec(91, -1, 'DecimalSI'), false],
    ['9.01', 0, dec(10, 0, 'DecimalSI'), false],
    ['9.01', 1, dec(10, 0, 'DecimalSI'), false],
    ['9.01', 2, dec(100, 0, 'DecimalSI'), false],
    ['-9.01', -1, dec(-91, -1, 'DecimalSI'), false],
    ['-9.01', 2, dec(-100, 0, 'DecimalSI'), false],
  ];
  for (const [input, scale, want, exact] of table) {
    const r = q(input).roundUp(scale);
    assert.equal(r.exact, exact, `${input}@${scale}`);
    assert.equal(r.quantity.cmp(want), 0, `${input}@${scale}: ${r.quantity.toString()}`);
  }
});

test('JSON: strings are trimmed, numbers accepted, output is the string form', () => {
  assert.equal(quantityFromJSON(' 1Gi ').toString(), '1Gi');
  assert.equal(quantityFromJSON(0.5).toString(), '500m');
  assert.equal(quantityFromJSON(2).toString(), '2');
  assert.equal(JSON.stringify({ cpu: q('1000m') }), '{"cpu":"1"}');
  assert.throws(() => quantityFromJSON(true), QuantityError);
});

test('float approximation', () => {
  assert.equal(q('1.5Gi').asApproximateFloat64(), 1610612736);
  assert.equal(q('100m').asApproximateFloat64(), 0.1);
  assert.equal(q('1.5').asInt64(), undefined);
  assert.equal(q('2k').asInt64(), 2000n);
});
