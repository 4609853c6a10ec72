// Helpers for tests of components that run on threads of their own (client/thread.ts): an API
// server on a memory backend with an admin client, and a wait on real time (another thread's
// work cannot be driven by a fake clock).
import assert from 'node:assert/strict';
import { MemoryBackend } from '../storage/memory/memory.ts';
import { ApiServer } from '../apiserver/server.ts';
import { KubeClient } from './client.ts';
import { InProcessTransport } from './inprocess.ts';

export const admin = { username: 'system:admin', groups: ['system:masters'] };

/** A started API server on a memory backend, an admin client, and how to stop both. */
export async function memoryApi(): Promise<{ api: ApiServer; client: KubeClient; stop: () => Promise<void> }> {
  const api = new ApiServer({ storage: new MemoryBackend(), port: 0 });
  await api.start();
  return {
    api,
    client: new KubeClient(new InProcessTransport(api, admin)),
    stop: async () => {
      await api.stop();
      await api.storage.close();
    },
  };
}

/** Polls `f` until it answers something other than undefined; fails after `ms`. */
export async function until<T>(f: () => Promise<T | undefined>, what: string, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
