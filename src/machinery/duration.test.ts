// Tests for HumanDuration / ShortHumanDuration (the AGE column) with upstream examples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, shortHumanDuration, translateTimestampSince } from './duration.ts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

test('humanDuration', () => {
  const cases: [number, string][] = [
    [-3 * S, '<invalid>'],
    [-2 * S, '<invalid>'],
    [-1.5 * S, '0s'],
    [-1 * S, '0s'],
    [-0.5 * S, '0s'],
    [0, '0s'],
    [S, '1s'],
    [59 * S, '59s'],
    [119.9 * S, '119s'],
    [120 * S, '2m'],
    [121 * S, '2m1s'],
    [310 * S, '5m10s'],
    [599 * S, '9m59s'],
    [600 * S, '10m'],
    [10799 * S, '179m'],
    [3 * H, '3h'],
    [3 * H + M, '3h1m'],
    [7 * H + 59 * M, '7h59m'],
    [8 * H, '8h'],
    [8 * H + 59 * M, '8h'],
    [47 * H, '47h'],
    [48 * H, '2d'],
    [49 * H, '2d1h'],
    [191 * H, '7d23h'],
    [8 * D, '8d'],
    [729 * D, '729d'],
    [730 * D, '2y'],
    [735 * D, '2y5d'],
    [2919 * D, '7y364d'],
    [2920 * D, '8y'],
    [3000 * D, '8y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms}ms`);
});

test('shortHumanDuration', () => {
  const cases: [number, string][] = [
    [-2 * S, '<invalid>'],
    [-1 * S, '0s'],
    [0, '0s'],
    [59 * S, '59s'],
    [60 * S, '1m'],
    [59 * M, '59m'],
    [60 * M, '1h'],
    [23 * H, '23h'],
    [24 * H, '1d'],
    [364 * D, '364d'],
    [365 * D, '1y'],
    [800 * D, '2y'],
  ];
  for (const [ms, want] of cases) assert.equal(shortHumanDuration(ms), want, `${ms}ms`);
});

test('translateTimestampSince', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');
  assert.equal(translateTimestampSince('2024-05-01T11:55:00Z', now), '5m');
  assert.equal(translateTimestampSince('2024-04-29T12:00:00Z', now), '2d');
  assert.equal(translateTimestampSince(undefined, now), '<unknown>');
  assert.equal(translateTimestampSince('', now), '<unknown>');
});
