// Stopping a simulated node pool: lease renewals that were due but still waiting for one of the
// pool's API slots are dropped, not sent after stop() (as a stopped kubelet renews nothing).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../../storage/memory/memory.ts';
import { ApiServer } from '../../../apiserver/server.ts';
import { FakeClock } from '../../../machinery/clock.ts';
import { KubeClient } from '../../../client/client.ts';
import { InProcessTransport } from '../../../client/inprocess.ts';
import { InformerFactory } from '../../../client/informer.ts';
import type { RawRequest, Transport } from '../../../client/types.ts';
import { SimNodePool } from './pool.ts';

describe('SimNodePool.stop', () => {
  it('sends no lease renewal queued before it stopped', async () => {
    const api = new ApiServer({ storage: new MemoryBackend(), port: 0 });
    await api.start();
    const inner = new InProcessTransport(api, { username: 'system:admin', groups: ['system:masters'] });
    let renewals = 0;
    const counting: Transport = {
      request: (req: RawRequest) => {
        if (req.method === 'PUT' && req.path.includes('/leases/')) renewals++;
        return inner.request(req);
      },
      watch: (req: RawRequest) => inner.watch(req),
    };
    const client = new KubeClient(counting);
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    const informers = new InformerFactory(client, { clock });
    // One API call at a time for node work, so renewals that fall due together wait in line.
    const pool = new SimNodePool(client, informers, { clock, nodeConcurrency: 1, leaseRenewMs: 10_000, kubeletVersion: 'v1.36.0' });
    try {
      await pool.start();
      await Promise.all(Array.from({ length: 20 }, (_, i) => pool.addNode({ name: `stop-${i}`, cpu: '4', memory: '8Gi', pods: 110 })));
      renewals = 0;
      clock.advance(11_000);
      // All twenty are due; at most the first is already on its way when the pool stops.
      pool.stop();
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(renewals <= 1, `${renewals} lease renewals were sent after stop()`);
      clock.advance(60_000);
      await new Promise((r) => setTimeout(r, 50));
      assert.ok(renewals <= 1, `${renewals} lease renewals were sent after stop()`);
    } finally {
      pool.stop();
      informers.stop();
      await api.stop();
      await api.storage.close();
    }
  });
});
