// The TTL-after-finished controller, as upstream's pkg/controller/ttlafterfinished: a finished Job
// (Complete or Failed) with spec.ttlSecondsAfterFinished is deleted, with background propagation,
// that many seconds after it finished; before deleting, a fresh read confirms the TTL still holds
// and the delete is conditional on that read's resourceVersion.
import type { Controller, ControllerContext, ControllerFactory } from '../manager.ts';
import type { Informer } from '../../client/informer.ts';
import type { Obj } from '../../client/types.ts';
import { keyOf, splitKey } from '../../client/informer.ts';
import { WorkQueue, runWorkers } from '../../client/workqueue.ts';
import { isConflict, isNotFound } from '../../machinery/errors.ts';
import type { Clock } from '../../machinery/clock.ts';
import { finishedCondition, parseTime } from '../job/util.ts';

function needsCleanup(job: Obj): boolean {
  return typeof job.spec?.ttlSecondsAfterFinished === 'number' && finishedCondition(job) !== undefined && !job.metadata.deletionTimestamp;
}

/** Milliseconds until the Job expires (<= 0: expired), or undefined when it does not need cleanup. */
export function timeLeft(job: Obj, now: number): number | undefined {
  if (!needsCleanup(job)) return undefined;
  const finishedAt = parseTime(finishedCondition(job)!.lastTransitionTime);
  if (finishedAt === undefined) return undefined;
  return finishedAt + job.spec.ttlSecondsAfterFinished * 1000 - now;
}

export class TTLAfterFinishedController implements Controller {
  readonly name = 'ttl-after-finished-controller';
  #ctx: ControllerContext;
  #clock: Clock;
  #jobs: Informer;
  #queue: WorkQueue;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.#clock = ctx.clock;
    this.#jobs = ctx.informers.informer('batch', 'jobs');
    this.#queue = new WorkQueue({ clock: ctx.clock });
  }

  start(): void {
    const enqueue = (j: Obj) => {
      if (needsCleanup(j)) this.#queue.add(keyOf(j));
    };
    this.#jobs.addEventHandler({ add: enqueue, update: (_o, j) => enqueue(j) });
    void runWorkers(this.#queue, this.#ctx.config.workers, (k) => this.sync(k));
  }

  stop(): void {
    this.#queue.shutDown();
  }

  async sync(key: string): Promise<void> {
    const job = this.#jobs.getByKey(key);
    if (!job) return;
    const left = timeLeft(job, this.#clock.now());
    if (left === undefined) return;
    if (left > 0) return this.#queue.addAfter(key, left);
    // The cache may be stale (the TTL may have changed): check the live object first.
    const { namespace, name } = splitKey(key);
    const jobs = this.#ctx.client.resource('batch', 'jobs', namespace);
    let fresh: Obj;
    try {
      fresh = await jobs.get(name);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    const freshLeft = timeLeft(fresh, this.#clock.now());
    if (freshLeft === undefined) return;
    if (freshLeft > 0) return this.#queue.addAfter(key, freshLeft);
    try {
      await jobs.delete(name, { propagationPolicy: 'Background', preconditions: { resourceVersion: fresh.metadata.resourceVersion } });
    } catch (e) {
      if (isNotFound(e)) return;
      if (isConflict(e)) return this.#queue.add(key);
      throw e;
    }
  }
}

export const ttlAfterFinishedController: ControllerFactory = (ctx) => new TTLAfterFinishedController(ctx);
