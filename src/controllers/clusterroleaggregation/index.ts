// The ClusterRole aggregation controller (pkg/controller/clusterroleaggregation): any change to a
// ClusterRole re-queues every ClusterRole with an aggregationRule; a sync sets that role's rules to
// the union of the rules of the ClusterRoles its selectors match (by name order, no duplicates).
import type { Controller, ControllerContext, ControllerFactory } from '../manager.ts';
import type { Informer } from '../../client/informer.ts';
import type { Obj } from '../../client/types.ts';
import { WorkQueue, runWorkers } from '../../client/workqueue.ts';
import { isConflict, isNotFound } from '../../machinery/errors.ts';
import { aggregatedRules, sameRules } from '../../apiserver/authz/aggregation.ts';

export class ClusterRoleAggregationController implements Controller {
  readonly name = 'clusterrole-aggregation-controller';
  #ctx: ControllerContext;
  #roles: Informer;
  #queue: WorkQueue;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.#roles = ctx.informers.informer('rbac.authorization.k8s.io', 'clusterroles');
    this.#queue = new WorkQueue({ clock: ctx.clock });
  }

  start(): void {
    const enqueueAll = () => {
      for (const r of this.#roles.list()) if (r.aggregationRule) this.#queue.add(r.metadata.name);
    };
    this.#roles.addEventHandler({ add: enqueueAll, update: enqueueAll, delete: enqueueAll });
    void runWorkers(this.#queue, 1, (k) => this.sync(k));
  }

  stop(): void {
    this.#queue.shutDown();
  }

  async sync(name: string): Promise<void> {
    const role = this.#roles.get(name);
    if (!role?.aggregationRule) return;
    const rules = aggregatedRules(role, this.#roles.list());
    if (sameRules(rules, role.rules)) return;
    const updated: Obj = { ...role, rules };
    try {
      await this.#ctx.client.resource('rbac.authorization.k8s.io', 'clusterroles').update(updated);
    } catch (e) {
      if (isNotFound(e)) return;
      // The cache will bring the newer version, and with it another sync.
      if (isConflict(e)) return this.#queue.addRateLimited(name);
      throw e;
    }
  }
}

export const clusterRoleAggregationController: ControllerFactory = (ctx) => new ClusterRoleAggregationController(ctx);
