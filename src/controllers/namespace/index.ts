// The namespace controller, as kube-controller-manager's (pkg/controller/namespace): a namespace
// being deleted has every namespaced object of every served resource deleted (discovered from the
// API server, pods first), waits for them to go (graceful pods, finalizers), reports progress in
// status.conditions, then removes the `kubernetes` finalizer through namespaces/finalize so the
// API server can delete the namespace.
import type { KubeClient } from '../../client/client.ts';
import type { Informer } from '../../client/informer.ts';
import { WorkQueue, runWorkers } from '../../client/workqueue.ts';
import type { Obj } from '../../client/types.ts';
import type { Clock } from '../../machinery/clock.ts';
import { StatusError, isNotFound } from '../../machinery/errors.ts';
import type { Controller, ControllerContext, ControllerFactory } from '../manager.ts';

/** Upstream's finalizerEstimateSeconds: how long to wait before looking again at objects with finalizers. */
const FINALIZER_ESTIMATE_SECONDS = 5;
/** Upstream's --concurrent-namespace-syncs. */
const NAMESPACE_WORKERS = 10;

export interface DiscoveredResource {
  group: string;
  version: string;
  resource: string;
  verbs: string[];
}

/** The served namespaced resources in their preferred versions, as ServerPreferredNamespacedResources. */
export async function discoverNamespacedResources(client: KubeClient): Promise<{ resources: DiscoveredResource[]; failed: string[] }> {
  const get = async (path: string): Promise<Obj> => {
    const res = await client.transport.request({ method: 'GET', path, headers: { accept: 'application/json' } });
    if (res.status !== 200) throw new StatusError(res.status, '', `the server could not find the requested resource (get ${path})`);
    return JSON.parse(res.body.toString('utf8')) as Obj;
  };
  const resources: DiscoveredResource[] = [];
  const failed: string[] = [];
  const add = (group: string, version: string, list: Obj) => {
    for (const r of list.resources ?? []) {
      if (String(r.name).includes('/') || !r.namespaced) continue;
      resources.push({ group, version, resource: r.name, verbs: r.verbs ?? [] });
    }
  };
  const gvs: { group: string; version: string; path: string }[] = [{ group: '', version: 'v1', path: '/api/v1' }];
  try {
    const groups = await get('/apis');
    for (const g of groups.groups ?? []) {
      const v = g.preferredVersion?.version ?? g.versions?.[0]?.version;
      if (v) gvs.push({ group: g.name, version: v, path: `/apis/${g.name}/${v}` });
    }
  } catch (e) {
    failed.push(`/apis: ${(e as Error).message}`);
  }
  await Promise.all(
    gvs.map(async ({ group, version, path }) => {
      try {
        add(group, version, await get(path));
      } catch (e) {
        failed.push(`${group ? `${group}/` : ''}${version}: ${(e as Error).message}`);
      }
    }),
  );
  // Pods first, so workloads stop before the objects they use go (upstream's ordered namespace deletion).
  resources.sort((a, b) => rank(a) - rank(b) || (a.group < b.group ? -1 : a.group > b.group ? 1 : a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
  return { resources, failed: failed.sort() };
}

function rank(r: DiscoveredResource): number {
  return r.group === '' && r.resource === 'pods' ? 0 : 1;
}

// --- status conditions ------------------------------------------------------------------------

const CONDITION_TYPES = [
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGroupVersionParsingFailure',
  'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining',
  'NamespaceFinalizersRemaining',
] as const;
type ConditionType = (typeof CONDITION_TYPES)[number];

const OK: Record<ConditionType, { reason: string; message: string }> = {
  NamespaceDeletionDiscoveryFailure: { reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
  NamespaceDeletionGroupVersionParsingFailure: { reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
  NamespaceDeletionContentFailure: { reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
  NamespaceContentRemaining: { reason: 'ContentRemoved', message: 'All content successfully removed' },
  NamespaceFinalizersRemaining: { reason: 'ContentRemoved', message: 'All content successfully removed' },
};

interface Condition {
  type: string;
  status: 'True' | 'False';
  lastTransitionTime?: string;
  reason: string;
  message: string;
}

function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Merges the failing conditions into the namespace's (success variants for the rest); true when anything changed. */
export function updateConditions(status: Obj, failing: Partial<Record<ConditionType, { reason: string; message: string }>>, now: number): boolean {
  const conditions: Condition[] = (status.conditions ??= []);
  let changed = false;
  for (const type of CONDITION_TYPES) {
    const f = failing[type];
    const want = f ? { status: 'True' as const, ...f } : { status: 'False' as const, ...OK[type] };
    const cur = conditions.find((c) => c.type === type);
    if (!cur) {
      conditions.push({ type, status: want.status, lastTransitionTime: rfc3339(now), reason: want.reason, message: want.message });
      changed = true;
    } else if (cur.status !== want.status || cur.reason !== want.reason || cur.message !== want.message) {
      if (cur.status !== want.status) cur.lastTransitionTime = rfc3339(now);
      cur.status = want.status;
      cur.reason = want.reason;
      cur.message = want.message;
      changed = true;
    }
  }
  return changed;
}

/** How a GroupVersionResource prints in Go (`/v1, Resource=pods`, `apps/v1, Resource=deployments`). */
function gvrString(r: DiscoveredResource): string {
  return `${r.group}/${r.version}, Resource=${r.resource}`;
}

// --- the deleter --------------------------------------------------------------------------------

interface ContentResult {
  /** Seconds until it is worth looking again (0: nothing to wait for). */
  estimate: number;
  errors: string[];
  remaining: Map<string, number>;
  finalizers: Map<string, number>;
}

export class NamespaceController implements Controller {
  readonly name = 'namespace-controller';
  #client: KubeClient;
  #clock: Clock;
  #queue: WorkQueue;
  #informer: Informer;

  constructor(ctx: ControllerContext) {
    this.#client = ctx.client;
    this.#clock = ctx.clock;
    this.#queue = new WorkQueue({ clock: ctx.clock });
    this.#informer = ctx.informers.informer('', 'namespaces');
  }

  start(): void {
    const enqueue = (ns: Obj) => {
      if (ns.metadata?.deletionTimestamp) this.#queue.add(ns.metadata.name);
    };
    this.#informer.addEventHandler({ add: enqueue, update: (_o, n) => enqueue(n) });
    void this.#informer.synced().then(() => runWorkers(this.#queue, NAMESPACE_WORKERS, (name) => this.sync(name)));
  }

  stop(): void {
    this.#queue.shutDown();
  }

  /** One pass over a namespace being deleted. */
  async sync(name: string): Promise<void> {
    const namespaces = this.#client.resource('', 'namespaces');
    let ns: Obj;
    try {
      ns = await namespaces.get(name);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    if (!ns.metadata.deletionTimestamp) return;
    if (ns.status?.phase !== 'Terminating') {
      ns = await namespaces.updateStatus({ ...ns, status: { ...(ns.status ?? {}), phase: 'Terminating' } });
    }
    if (!(ns.spec?.finalizers ?? []).includes('kubernetes')) return;

    const { resources, failed } = await discoverNamespacedResources(this.#client);
    const deletedAt = Date.parse(ns.metadata.deletionTimestamp);
    const result: ContentResult = { estimate: 0, errors: [], remaining: new Map(), finalizers: new Map() };
    for (const r of resources) {
      if (!r.verbs.includes('delete')) continue;
      await this.#deleteContent(name, r, deletedAt, result);
    }

    const failing: Partial<Record<ConditionType, { reason: string; message: string }>> = {};
    if (failed.length) failing.NamespaceDeletionDiscoveryFailure = { reason: 'DiscoveryFailed', message: `Discovery failed for some groups, ${failed.length} failing: ${failed.join(', ')}` };
    if (result.errors.length) {
      const msgs = [...result.errors].sort();
      failing.NamespaceDeletionContentFailure = { reason: 'ContentDeletionFailed', message: `Failed to delete all resource types, ${msgs.length} remaining: ${msgs.join(', ')}` };
    }
    if (result.remaining.size) {
      const parts = [...result.remaining].map(([gr, n]) => `${gr} has ${n} resource instances`).sort();
      failing.NamespaceContentRemaining = { reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${parts.join(', ')}` };
    }
    if (result.finalizers.size) {
      const parts = [...result.finalizers].map(([f, n]) => `${f} in ${n} resource instances`).sort();
      failing.NamespaceFinalizersRemaining = { reason: 'SomeFinalizerRemain', message: `Some finalizers are remaining: ${parts.join(', ')}` };
    }
    const status = structuredClone(ns.status ?? {});
    if (updateConditions(status, failing, this.#clock.now())) {
      try {
        ns = await namespaces.updateStatus({ ...ns, status });
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
    }
    if (failed.length || result.errors.length) throw new Error(`namespace ${name}: ${[...failed, ...result.errors].join('; ')}`);
    if (result.estimate > 0) {
      // Upstream's ResourcesRemainingError: look again after half the estimate.
      this.#queue.addAfter(name, (Math.floor(result.estimate / 2) + 1) * 1000);
      return;
    }
    // Everything is gone: release the namespace.
    const finalizers = (ns.spec?.finalizers ?? []).filter((f: string) => f !== 'kubernetes');
    try {
      await namespaces.updateSubresource(name, 'finalize', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, resourceVersion: ns.metadata.resourceVersion }, spec: { finalizers } });
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
  }

  async #deleteContent(namespace: string, r: DiscoveredResource, deletedAt: number, out: ContentResult): Promise<void> {
    const rc = this.#client.custom({ group: r.group, version: r.version, resource: r.resource, namespaced: true }, namespace);
    try {
      if (r.verbs.includes('deletecollection')) {
        await rc.deleteCollection({ propagationPolicy: 'Background' });
      } else if (r.verbs.includes('list')) {
        for (const item of (await rc.list()).items) {
          try {
            await rc.delete(item.metadata.name, { propagationPolicy: 'Background' });
          } catch (e) {
            if (!isNotFound(e) && !(e instanceof StatusError && e.code === 405)) throw e;
          }
        }
      }
      if (!r.verbs.includes('list')) return;
      const items = (await rc.list()).items;
      if (items.length === 0) return;
      const finalizers = new Map<string, number>();
      for (const it of items) for (const f of it.metadata.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
      for (const [f, n] of finalizers) out.finalizers.set(f, (out.finalizers.get(f) ?? 0) + n);
      out.remaining.set(`${r.resource}.${r.group}`, items.length);
      let estimate = 0;
      if (r.group === '' && r.resource === 'pods') {
        // Running pods get their termination grace period, counted from the namespace's deletion.
        for (const p of items) {
          if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
          estimate = Math.max(estimate, p.spec?.terminationGracePeriodSeconds ?? 0);
        }
        if (this.#clock.now() - deletedAt >= estimate * 1000) estimate = 0;
      }
      if (estimate === 0 && finalizers.size > 0) estimate = FINALIZER_ESTIMATE_SECONDS;
      if (estimate === 0) throw new Error(`unexpected items still remain in namespace: ${namespace} for gvr: ${gvrString(r)}`);
      out.estimate = Math.max(out.estimate, estimate);
    } catch (e) {
      out.errors.push((e as Error).message);
    }
  }
}

export const namespaceController: ControllerFactory = (ctx) => new NamespaceController(ctx);
