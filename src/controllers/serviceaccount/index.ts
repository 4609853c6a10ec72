// The service account controller, as kube-controller-manager's (pkg/controller/serviceaccount,
// serviceaccounts_controller.go): every Active namespace has a `default` ServiceAccount, made again
// if it is deleted. (The `kube-root-ca.crt` ConfigMap is the root-ca-cert-publisher's job, not done here.)
import type { Informer } from '../../client/informer.ts';
import { WorkQueue, runWorkers } from '../../client/workqueue.ts';
import type { Obj } from '../../client/types.ts';
import { isAlreadyExists, isNotFound, isStatusError } from '../../machinery/errors.ts';
import type { KubeClient } from '../../client/client.ts';
import type { Controller, ControllerContext, ControllerFactory } from '../manager.ts';

/** The accounts every namespace gets (upstream's --service-account default list). */
export const DEFAULT_SERVICE_ACCOUNTS = ['default'];

/** Upstream's --concurrent-serviceaccount-token-syncs default for this loop. */
const WORKERS = 1;

export class ServiceAccountController implements Controller {
  readonly name = 'serviceaccount-controller';
  #client: KubeClient;
  #queue: WorkQueue;
  #namespaces: Informer;
  #accounts: Informer;

  constructor(ctx: ControllerContext) {
    this.#client = ctx.client;
    this.#queue = new WorkQueue({ clock: ctx.clock });
    this.#namespaces = ctx.informers.informer('', 'namespaces');
    this.#accounts = ctx.informers.informer('', 'serviceaccounts');
  }

  start(): void {
    const ns = (o: Obj) => this.#queue.add(o.metadata.name);
    this.#namespaces.addEventHandler({ add: ns, update: (_o, n) => ns(n) });
    this.#accounts.addEventHandler({
      delete: (sa) => {
        if (DEFAULT_SERVICE_ACCOUNTS.includes(sa.metadata?.name)) this.#queue.add(sa.metadata.namespace);
      },
    });
    void Promise.all([this.#namespaces.synced(), this.#accounts.synced()]).then(() => runWorkers(this.#queue, WORKERS, (n) => this.sync(n)));
  }

  stop(): void {
    this.#queue.shutDown();
  }

  async sync(namespace: string): Promise<void> {
    const ns = this.#namespaces.get(namespace);
    if (!ns || ns.status?.phase !== 'Active' || ns.metadata.deletionTimestamp) return;
    for (const name of DEFAULT_SERVICE_ACCOUNTS) {
      if (this.#accounts.get(namespace, name)) continue;
      try {
        await this.#client.resource('', 'serviceaccounts', namespace).create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } });
      } catch (e) {
        if (isAlreadyExists(e)) continue;
        // The namespace went away or started terminating meanwhile.
        if (isNotFound(e)) return;
        if (isStatusError(e) && e.status.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')) return;
        throw e;
      }
    }
  }
}

export const serviceAccountController: ControllerFactory = (ctx) => new ServiceAccountController(ctx);
