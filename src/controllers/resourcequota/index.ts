// The resource quota controller (pkg/controller/resourcequota): each ResourceQuota's status.hard
// mirrors spec.hard and status.used is recomputed from the objects in its namespace that its scopes
// cover (pods, services, claims, object counts), whenever a quota or a charged object changes and on
// a full resync every --resource-quota-sync-period (5 minutes). Informers for charged resources are
// started on demand, only for resources some quota names.
import type { Controller, ControllerContext, ControllerFactory } from '../manager.ts';
import type { Informer } from '../../client/informer.ts';
import { keyOf, splitKey } from '../../client/informer.ts';
import { WorkQueue, runWorkers } from '../../client/workqueue.ts';
import type { Obj } from '../../client/types.ts';
import type { Timer } from '../../machinery/clock.ts';
import { isNotFound } from '../../machinery/errors.ts';
import { Quantity } from '../../machinery/quantity.ts';
import { addLists, formatList, mask, quotaMatches, resourceOf, usageOf, type GR, type ResourceList } from '../../apiserver/admission/quotausage.ts';

export const RESOURCE_QUOTA_SYNC_PERIOD_MS = 5 * 60_000;

const grKey = (gr: GR) => `${gr.group}/${gr.resource}`;

export class ResourceQuotaController implements Controller {
  readonly name = 'resourcequota-controller';
  #ctx: ControllerContext;
  #quotas: Informer;
  #charged = new Map<string, Informer | null>();
  #queue: WorkQueue;
  #timer: Timer | undefined;
  #stopped = false;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.#quotas = ctx.informers.informer('', 'resourcequotas');
    this.#queue = new WorkQueue({ clock: ctx.clock });
  }

  start(): void {
    this.#quotas.addEventHandler({
      add: (q) => this.#onQuota(q),
      // Only spec changes matter: status.used is also written by admission, which the caches may not show yet.
      update: (o, q) => {
        if (JSON.stringify(o.spec) !== JSON.stringify(q.spec)) this.#onQuota(q);
      },
    });
    // Pods are always watched: they are what quotas are mostly about.
    this.#informerFor({ group: '', resource: 'pods' }, false);
    void runWorkers(this.#queue, this.#ctx.config.workers, (k) => this.sync(k));
    const resync = () => {
      if (this.#stopped) return;
      for (const q of this.#quotas.list()) this.#queue.add(keyOf(q));
      this.#timer = this.#ctx.clock.after(RESOURCE_QUOTA_SYNC_PERIOD_MS, resync);
    };
    this.#timer = this.#ctx.clock.after(RESOURCE_QUOTA_SYNC_PERIOD_MS, resync);
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#queue.shutDown();
  }

  #onQuota(q: Obj) {
    for (const name of Object.keys(q.spec?.hard ?? {})) {
      const gr = resourceOf(name);
      if (gr) this.#informerFor(gr, true);
    }
    this.#queue.add(keyOf(q));
  }

  /** The shared informer of a charged resource, created (and started, once running) on demand. */
  #informerFor(gr: GR, startNow: boolean): Informer | undefined {
    const k = grKey(gr);
    if (this.#charged.has(k)) return this.#charged.get(k) ?? undefined;
    let inf: Informer;
    try {
      inf = this.#ctx.informers.informer(gr.group, gr.resource);
    } catch {
      this.#charged.set(k, null); // a resource this server does not serve
      return undefined;
    }
    this.#charged.set(k, inf);
    const enqueueNs = (o: Obj) => {
      const ns = o.metadata?.namespace;
      if (ns) for (const q of this.#quotas.list(ns)) this.#queue.add(keyOf(q));
    };
    // Replenishment: admission charges creations, so only releases (deletions, pods that finish,
    // services that change type, claims that change size) call for a recount.
    inf.addEventHandler({
      update: (o, n) => {
        // Most namespaces have no quota: skip computing usage for them.
        if (this.#quotas.list(n.metadata?.namespace).length === 0) return;
        const now = this.#ctx.clock.now();
        if (JSON.stringify(formatList(usageOf(gr, o, now))) !== JSON.stringify(formatList(usageOf(gr, n, now)))) enqueueNs(n);
      },
      delete: enqueueNs,
    });
    if (startNow) inf.start();
    return inf;
  }

  /** Recomputes one quota's status (syncResourceQuota). */
  async sync(key: string): Promise<void> {
    const quota = this.#quotas.getByKey(key);
    if (!quota) return;
    const { namespace } = splitKey(key);
    const hard: Record<string, string> = quota.spec?.hard ?? {};
    const names = Object.keys(hard);
    const byGr = new Map<string, { gr: GR; names: string[] }>();
    for (const n of names) {
      const gr = resourceOf(n);
      if (!gr) continue;
      const e = byGr.get(grKey(gr)) ?? byGr.set(grKey(gr), { gr, names: [] }).get(grKey(gr))!;
      e.names.push(n);
    }
    const now = this.#ctx.clock.now();
    let used: ResourceList = {};
    for (const { gr, names: tracked } of byGr.values()) {
      const inf = this.#informerFor(gr, true);
      if (!inf) continue;
      await inf.synced();
      let sum: ResourceList = {};
      for (const n of tracked) sum[n] = Quantity.zero();
      const probe = { ...quota, status: { hard } };
      for (const obj of inf.list(namespace)) {
        if (!quotaMatches(probe, gr, obj)) continue;
        sum = addLists(sum, mask(usageOf(gr, obj, now), tracked));
      }
      used = { ...used, ...sum };
    }
    const status = { hard: { ...hard }, used: formatList(used) };
    if (JSON.stringify(normalize(quota.status)) === JSON.stringify(normalize(status))) return;
    try {
      await this.#ctx.client.resource('', 'resourcequotas', namespace).updateStatus({ ...quota, status });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

function normalize(s: Obj | undefined): Obj {
  const sort = (o: Record<string, string> | undefined) => Object.fromEntries(Object.entries(o ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { hard: sort(s?.hard), used: sort(s?.used) };
}

export const resourceQuotaController: ControllerFactory = (ctx) => new ResourceQuotaController(ctx);
