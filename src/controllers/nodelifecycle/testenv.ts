// Test support for the control loops of this issue: an in-process API server on a MemoryBackend,
// a FakeClock shared by server and controllers, a ControllerContext, and polling helpers.
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../storage/memory/memory.ts';
import { ApiServer } from '../../apiserver/server.ts';
import { Admission, type AdmissionPlugin } from '../../apiserver/admission.ts';
import { FakeClock } from '../../machinery/clock.ts';
import { KubeClient } from '../../client/client.ts';
import { InProcessTransport } from '../../client/inprocess.ts';
import { InformerFactory } from '../../client/informer.ts';
import { EventRecorder } from '../../client/events.ts';
import { defaultControllerConfig, type ControllerConfig, type ControllerContext } from '../manager.ts';
import type { Obj } from '../../client/types.ts';

export interface TestEnv {
  api: ApiServer;
  client: KubeClient;
  clock: FakeClock;
  ctx: ControllerContext;
  close(): Promise<void>;
}

export async function startEnv(opts: { config?: Partial<ControllerConfig>; admission?: (api: () => ApiServer) => AdmissionPlugin[] } = {}): Promise<TestEnv> {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  let apiRef: ApiServer | undefined;
  const plugins = opts.admission ? opts.admission(() => apiRef!) : [];
  const api = new ApiServer({ storage: new MemoryBackend(), port: 0, clock, admission: new Admission(plugins), compactionIntervalMs: 0 });
  apiRef = api;
  await api.start();
  const client = new KubeClient(new InProcessTransport(api, { username: 'system:admin', groups: ['system:masters'] }));
  const recorders = new Map<string, EventRecorder>();
  const ctx: ControllerContext = {
    client,
    informers: new InformerFactory(client, { clock }),
    clock,
    config: { ...defaultControllerConfig, leaderElect: false, workers: 2, ...opts.config },
    recorder: (c) => recorders.get(c) ?? recorders.set(c, new EventRecorder(client, { component: c, clock })).get(c)!,
  };
  return {
    api,
    client,
    clock,
    ctx,
    async close() {
      ctx.informers.stop();
      client.close();
      await api.stop();
      await api.storage.close();
    },
  };
}

/** Polls (yielding to the event loop) until `cond` holds; fails after `ms` of real time. */
export async function until<T>(cond: () => T | Promise<T>, what: string, ms = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Lets pending promise chains and informer deliveries run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

export async function events(client: KubeClient, namespace: string, reason?: string): Promise<Obj[]> {
  const { items } = await client.events(namespace).list();
  return reason ? items.filter((e) => e.reason === reason) : items;
}

export function readyNode(name: string, now: number, labels: Record<string, string> = {}): Obj {
  const ts = new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    status: {
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: ts, lastTransitionTime: ts },
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', lastHeartbeatTime: ts, lastTransitionTime: ts },
      ],
    },
  };
}
