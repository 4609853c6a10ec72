// Compaction keeps one interval of history: a watch from before the previous interval gets 410,
// one from within it still replays.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../storage/memory/memory.ts';
import { FakeClock } from '../machinery/clock.ts';
import { Compactor } from './compactor.ts';

describe('compactor', () => {
  it('compacts to the revision seen one interval earlier', async () => {
    const clock = new FakeClock();
    const s = new MemoryBackend({ clock });
    const c = new Compactor(s, clock, 60_000);
    const r1 = await s.create('/a', Buffer.from('1'));
    await c.tick(); // remembers r1
    const r2 = await s.update('/a', Buffer.from('2'), r1.revision);
    assert.equal((await s.revision()).compacted, 0);
    await c.tick(); // compacts to r1, remembers r2
    assert.equal((await s.revision()).compacted, r1.revision);
    await assert.rejects(s.watch('/', 0)[Symbol.asyncIterator]().next(), { code: 'Compacted' });
    const w = s.watch('/', r1.revision);
    const ev = await w[Symbol.asyncIterator]().next();
    assert.equal(ev.value?.revision, r2.revision);
    w.close();
    c.start();
    assert.equal(clock.pending > 0, true, 'the next tick is scheduled on the clock');
    c.stop();
    await s.close();
  });
});
