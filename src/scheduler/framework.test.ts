// The framework's host selection (selectHost): the highest total wins, ties are broken uniformly
// at random, as kube-scheduler's selectHost.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { selectHost } from './framework.ts';

describe('selectHost', () => {
  it('picks the highest total', () => {
    assert.equal(selectHost(Float64Array.from([10, 30, 20])), 1);
    assert.equal(selectHost(Float64Array.from([0])), 0);
    assert.equal(selectHost(Float64Array.from([-5, -1, -3])), 1);
  });

  it('breaks ties uniformly at random and never picks a lower total', () => {
    const totals = Float64Array.from([50, 90, 10, 90, 90, 80]);
    const hits = new Map<number, number>();
    const draws = 6000;
    for (let i = 0; i < draws; i++) {
      const h = selectHost(totals);
      hits.set(h, (hits.get(h) ?? 0) + 1);
    }
    assert.deepEqual([...hits.keys()].sort(), [1, 3, 4]);
    for (const n of hits.values()) assert.ok(n > draws / 3 - 300 && n < draws / 3 + 300, `ties picked unevenly: ${[...hits]}`);
  });
});
