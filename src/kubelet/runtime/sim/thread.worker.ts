// The simulated nodes' thread (SimNodeThread): a SimNodePool with its own informers, talking to
// the API server of the owning process through a MessagePort.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { KubeClient } from '../../../client/client.ts';
import { InformerFactory, stripManagedFields } from '../../../client/informer.ts';
import { PortTransport } from '../../../client/port.ts';
import { serveCalls } from '../../../machinery/thread.ts';
import { SimNodePool, type SimNodeSpec } from './pool.ts';
import type { SimNodeThreadOptions } from './thread.ts';

const { port, options } = workerData.data as { port: MessagePort; options: SimNodeThreadOptions };
const transport = new PortTransport(port);
const client = new KubeClient(transport);
// Its caches own what they decode: managedFields, which it never reads, are dropped.
const informers = new InformerFactory(client, { transform: stripManagedFields });
const pool = new SimNodePool(client, informers, options);

serveCalls(parentPort!, {
  start: () => pool.start(),
  addNode: (spec: SimNodeSpec) => pool.addNode(spec),
  removeNode: (name: string) => pool.removeNode(name),
  fail: (name: string) => pool.fail(name),
  recover: (name: string) => pool.recover(name),
  stop: () => {
    pool.stop();
    informers.stop();
    transport.close();
    setImmediate(() => process.exit(0));
  },
});
