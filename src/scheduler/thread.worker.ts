// The scheduler's thread (SchedulerThread): a Scheduler with its own informers, talking to the
// API server of the owning process through a MessagePort.
import { parentPort } from 'node:worker_threads';
import { componentSide } from '../client/thread.ts';
import { serveCalls } from '../machinery/thread.ts';
import { explainPod } from './explain.ts';
import { Scheduler } from './scheduler.ts';
import type { SchedulerThreadOptions, SchedulerThreadStats } from './thread.ts';

const { client, informers, data, exit } = componentSide<{ options: SchedulerThreadOptions }>();
const scheduler = new Scheduler(client, informers, data.options);
scheduler.start();

serveCalls(parentPort!, {
  synced: () => informers.synced(),
  explain: (namespace: string, name: string) => (scheduler.getPod(namespace, name) ? explainPod(scheduler, namespace, name) : undefined),
  stats: (): SchedulerThreadStats => ({ nodes: scheduler.cache.nodes.size, scheduled: scheduler.scheduledCount, failed: scheduler.failedCount }),
  stop: async () => {
    scheduler.stop();
    await scheduler.stopped();
    exit();
  },
});
