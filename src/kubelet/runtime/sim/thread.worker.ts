// The simulated nodes' thread (SimNodeThread): a SimNodePool with its own informers, talking to
// the API server of the owning process through a MessagePort.
import { parentPort } from 'node:worker_threads';
import { componentSide } from '../../../client/thread.ts';
import { serveCalls } from '../../../machinery/thread.ts';
import { SimNodePool, type SimNodeSpec } from './pool.ts';
import type { SimNodeThreadOptions } from './thread.ts';

const { client, informers, data, exit } = componentSide<{ options: SimNodeThreadOptions }>();
const pool = new SimNodePool(client, informers, data.options);

serveCalls(parentPort!, {
  start: () => pool.start(),
  addNode: (spec: SimNodeSpec) => pool.addNode(spec),
  removeNode: (name: string) => pool.removeNode(name),
  fail: (name: string) => pool.fail(name),
  recover: (name: string) => pool.recover(name),
  stop: () => {
    pool.stop();
    exit();
  },
});
