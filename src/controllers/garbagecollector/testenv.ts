// Test harness for controller tests: an in-process API server on a MemoryBackend, an admin client,
// and a controller manager (no leader election) on a FakeClock, with a helper that waits for the
// API server's asynchronous work while moving the fake clock.
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../storage/memory/memory.ts';
import { ApiServer } from '../../apiserver/server.ts';
import { FakeClock } from '../../machinery/clock.ts';
import { KubeClient } from '../../client/client.ts';
import { InProcessTransport } from '../../client/inprocess.ts';
import { ControllerManager, type ControllerFactory } from '../manager.ts';

export interface TestEnv {
  api: ApiServer;
  client: KubeClient;
  clock: FakeClock;
  manager: ControllerManager;
  /** Polls `cond` (moving the fake clock by `stepMs` each turn) until it holds or 5 s of real time pass. */
  until(cond: () => boolean | Promise<boolean>, what: string, stepMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startEnv(factories: ControllerFactory[]): Promise<TestEnv> {
  const api = new ApiServer({ storage: new MemoryBackend(), port: 0, compactionIntervalMs: 0 });
  await api.start();
  const client = new KubeClient(new InProcessTransport(api, { username: 'system:admin', groups: ['system:masters'] }));
  const clock = new FakeClock(Date.now());
  const manager = new ControllerManager(client, factories, { clock, config: { leaderElect: false } });
  await manager.start();
  await manager.ctx.informers.synced();
  return {
    api,
    client,
    clock,
    manager,
    async until(cond, what, stepMs = 10) {
      const deadline = Date.now() + 5000;
      for (;;) {
        if (await cond()) return;
        if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 1));
        clock.advance(stepMs);
      }
    },
    async close() {
      manager.stop();
      client.close();
      await api.stop();
      await api.storage.close();
    },
  };
}

/** Resolves `p` to true when it rejects with NotFound (the object is gone). */
export async function gone(p: Promise<unknown>): Promise<boolean> {
  try {
    await p;
    return false;
  } catch (e) {
    if ((e as { reason?: string }).reason === 'NotFound') return true;
    throw e;
  }
}
