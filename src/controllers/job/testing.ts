// Test harness for the batch controllers (Job, CronJob, TTL-after-finished, PodGC): an
// in-process API server on a MemoryBackend and a controller manager sharing one FakeClock.
import { MemoryBackend } from '../../storage/memory/memory.ts';
import { ApiServer } from '../../apiserver/server.ts';
import { FakeClock } from '../../machinery/clock.ts';
import { KubeClient } from '../../client/client.ts';
import { InProcessTransport } from '../../client/inprocess.ts';
import { ControllerManager, type ControllerConfig, type ControllerFactory } from '../manager.ts';
import type { Obj } from '../../client/types.ts';

export interface TestEnv {
  clock: FakeClock;
  api: ApiServer;
  client: KubeClient;
  mgr: ControllerManager;
  /** Waits (in real time, yielding to the event loop) until `cond` holds. */
  until(cond: () => boolean | Promise<boolean>, what: string, ms?: number): Promise<void>;
  /** Lets pending async work run without moving the clock. */
  settle(rounds?: number): Promise<void>;
  /** Moves the fake clock in steps, letting work run between them. */
  advance(ms: number, stepMs?: number): Promise<void>;
  events(namespace: string, involvedName?: string): Promise<Obj[]>;
  stop(): Promise<void>;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

export async function startEnv(factories: ControllerFactory[], config: Partial<ControllerConfig> = {}, start = Date.UTC(2026, 0, 1)): Promise<TestEnv> {
  const clock = new FakeClock(start);
  const api = new ApiServer({ storage: new MemoryBackend(), port: 0, host: '127.0.0.1', clock, compactionIntervalMs: 1e12 });
  await api.start();
  const client = new KubeClient(new InProcessTransport(api, { username: 'system:admin', groups: ['system:masters'] }));
  const mgr = new ControllerManager(client, factories, { clock, config: { leaderElect: false, workers: 2, ...config } });
  await mgr.start();
  await mgr.ctx.informers.synced();
  const env: TestEnv = {
    clock,
    api,
    client,
    mgr,
    async until(cond, what, ms = 10_000) {
      const deadline = Date.now() + ms;
      for (let i = 1; !(await cond()); i++) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await tick();
        // Failed syncs retry after a rate-limited delay on the fake clock: let a little time pass.
        if (i % 200 === 0) clock.advance(5);
      }
    },
    async settle(rounds = 50) {
      for (let i = 0; i < rounds; i++) await tick();
    },
    async advance(ms, stepMs = 1000) {
      for (let done = 0; done < ms; ) {
        const step = Math.min(stepMs, ms - done);
        clock.advance(step);
        done += step;
        await env.settle(20);
      }
    },
    async events(namespace, involvedName) {
      const list = await client.events(namespace).list();
      return list.items.filter((e) => !involvedName || e.involvedObject?.name === involvedName);
    },
    async stop() {
      mgr.stop();
      client.close();
      await api.stop();
      await api.storage.close();
    },
  };
  return env;
}
