// The scheduler's thread (SchedulerThread): a Scheduler with its own informers, talking to the
// API server of the owning process through a MessagePort.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { KubeClient } from '../client/client.ts';
import { InformerFactory, stripManagedFields } from '../client/informer.ts';
import { PortTransport } from '../client/port.ts';
import { serveCalls } from '../machinery/thread.ts';
import { explainPod } from './explain.ts';
import { Scheduler } from './scheduler.ts';
import type { SchedulerThreadOptions, SchedulerThreadStats } from './thread.ts';

const { port, options } = workerData.data as { port: MessagePort; options: SchedulerThreadOptions };
const transport = new PortTransport(port);
const client = new KubeClient(transport);
// Its caches own what they decode: managedFields, which it never reads, are dropped.
const informers = new InformerFactory(client, { transform: stripManagedFields });
const scheduler = new Scheduler(client, informers, options);
scheduler.start();

serveCalls(parentPort!, {
  synced: () => informers.synced(),
  explain: (namespace: string, name: string) => (scheduler.getPod(namespace, name) ? explainPod(scheduler, namespace, name) : undefined),
  stats: (): SchedulerThreadStats => ({ nodes: scheduler.cache.nodes.size, scheduled: scheduler.scheduledCount, failed: scheduler.failedCount }),
  stop: async () => {
    scheduler.stop();
    await scheduler.stopped();
    informers.stop();
    transport.close();
    // Whatever else is pending (a back-off timer, a binding in flight) goes with the thread.
    setImmediate(() => process.exit(0));
  },
});
