// The scheduler on a thread of its own (client/thread.ts), as kube-scheduler is a process of its
// own: its filtering and scoring, informers and queue run beside the API server's event loop. A
// local cluster on the real clock runs it this way; tests that drive time with a fake clock keep
// the Scheduler on the API server's thread.
import type { ApiServer } from '../apiserver/server.ts';
import type { UserInfo } from '../apiserver/types.ts';
import { ComponentThread } from '../client/thread.ts';
import type { Explanation } from './explain.ts';
import type { SchedulerOptions } from './scheduler.ts';

/** What crosses to the thread: the scheduler's options that are data (no clock, no recorder). */
export type SchedulerThreadOptions = Pick<SchedulerOptions, 'profiles' | 'percentageOfNodesToScore' | 'maxInFlightBindings'>;

export interface SchedulerThreadStats {
  /** Nodes in the scheduler's cache. */
  nodes: number;
  scheduled: number;
  failed: number;
}

export class SchedulerThread extends ComponentThread {
  constructor(api: ApiServer, user: UserInfo, options: SchedulerThreadOptions = {}, restartMs?: number) {
    super(api, user, { name: 'scheduler', entry: new URL('./thread.worker.ts', import.meta.url), data: { options }, ...(restartMs !== undefined ? { restartMs } : {}) });
  }

  /** Resolves once the scheduler's informers have listed everything. */
  synced(): Promise<void> {
    return this.call('synced');
  }

  /** `skiff explain pod`: undefined when the scheduler has not seen the pod. */
  explain(namespace: string, name: string): Promise<Explanation | undefined> {
    return this.call('explain', namespace, name);
  }

  stats(): Promise<SchedulerThreadStats> {
    return this.call('stats');
  }
}
