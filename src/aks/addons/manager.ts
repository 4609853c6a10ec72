// AKS's add-on manager (kube-addon-manager semantics): keeps the managed kube-system objects in
// place. `addonmanager.kubernetes.io/mode: Reconcile` objects are recreated when deleted and have
// edits to the fields AKS sets reverted, within moments (watch-driven, plus a periodic resync);
// `EnsureExists` objects are only created when absent. Also does coredns-autoscaler's job: scales
// the coredns Deployment from the coredns-autoscaler ConfigMap as nodes come and go.
import type { KubeClient } from '../../client/client.ts';
import type { Obj } from '../../client/types.ts';
import { InformerFactory, type Informer } from '../../client/informer.ts';
import { WorkQueue, runWorkers } from '../../client/workqueue.ts';
import { realClock, type Clock, type Timer } from '../../machinery/clock.ts';
import { isAlreadyExists, isNotFound } from '../../machinery/errors.ts';
import { addonKey, addonObjects, MODE_LABEL, type AddonObject } from './manifests.ts';
import { corednsReplicas } from './dnsscale.ts';

export interface AddonManagerOptions {
  kubernetesVersion: string;
  clusterDomain?: string;
  dnsServiceIP: string;
  clock?: Clock;
  /** Full re-check of every object this often (default 60 s; watches do the quick work). */
  resyncMs?: number;
  onError?: (key: string, e: unknown) => void;
}

const NS = 'kube-system';
const DNS_SCALE_KEY = '@coredns-scale';

/** Whether `cur` already carries every value `want` sets (server-defaulted extras are fine). */
export function containsFields(cur: unknown, want: unknown): boolean {
  if (want === null || typeof want !== 'object') {
    if (typeof want === 'number' && typeof cur === 'string') return String(want) === cur;
    return cur === want;
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(cur) || cur.length !== want.length) return false;
    for (let i = 0; i < want.length; i++) if (!containsFields(cur[i], want[i])) return false;
    return true;
  }
  if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return false;
  const c = cur as Record<string, unknown>;
  for (const [k, v] of Object.entries(want as Record<string, unknown>)) {
    if (v === undefined) continue;
    // An empty map in the manifest (data: {}) is satisfied by an absent one.
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0 && c[k] === undefined) continue;
    if (!containsFields(c[k], v)) return false;
  }
  return true;
}

/** The parts of an add-on object the manager owns: labels, annotations, and everything but metadata/status. */
function managedPart(obj: Obj): Obj {
  const { apiVersion: _a, kind: _k, metadata, status: _s, ...rest } = obj;
  return { metadata: { labels: metadata.labels ?? {}, ...(metadata.annotations ? { annotations: metadata.annotations } : {}) }, ...rest };
}

export class AddonManager {
  #client: KubeClient;
  #o: AddonManagerOptions;
  #clock: Clock;
  #factory: InformerFactory;
  #informers = new Map<string, Informer>();
  #nodes: Informer;
  #queue: WorkQueue;
  #desired = new Map<string, AddonObject>();
  /** key → resourceVersion we patched to but could not make match (avoids patch loops). */
  #settled = new Map<string, string>();
  #replicas = 2;
  #timer: Timer | undefined;
  #stopped = false;

  constructor(client: KubeClient, opts: AddonManagerOptions) {
    this.#client = client;
    this.#o = opts;
    this.#clock = opts.clock ?? realClock;
    this.#factory = new InformerFactory(client, { clock: this.#clock });
    this.#queue = new WorkQueue({ clock: this.#clock });
    this.#rebuild();
    for (const a of this.#desired.values()) {
      if (this.#informers.has(a.resource)) continue;
      const inf = this.#factory.informer(a.group, a.resource, { namespace: NS });
      const onChange = (o: Obj) => {
        const key = `${a.resource}/${o.metadata?.name}`;
        if (this.#desired.has(key)) this.#queue.add(key);
        if (a.resource === 'configmaps' && o.metadata?.name === 'coredns-autoscaler') this.#queue.add(DNS_SCALE_KEY);
      };
      inf.addEventHandler({ add: onChange, update: (_old, o) => onChange(o), delete: onChange });
      this.#informers.set(a.resource, inf);
    }
    this.#nodes = this.#factory.informer('', 'nodes');
    const nodeChanged = () => this.#queue.add(DNS_SCALE_KEY);
    this.#nodes.addEventHandler({
      add: nodeChanged,
      delete: nodeChanged,
      update: (a, b) => {
        if (!!a.spec?.unschedulable !== !!b.spec?.unschedulable || a.status?.allocatable?.cpu !== b.status?.allocatable?.cpu) nodeChanged();
      },
    });
  }

  /** The objects the manager keeps (current desired state). */
  get objects(): AddonObject[] {
    return [...this.#desired.values()];
  }

  /** The coredns replica count last computed from the coredns-autoscaler parameters. */
  get corednsReplicas(): number {
    return this.#replicas;
  }

  #rebuild(): void {
    this.#desired.clear();
    for (const a of addonObjects({ kubernetesVersion: this.#o.kubernetesVersion, clusterDomain: this.#o.clusterDomain, dnsServiceIP: this.#o.dnsServiceIP, corednsReplicas: this.#replicas })) {
      this.#desired.set(addonKey(a), a);
    }
  }

  /** Changes the cluster's version (after an upgrade): images move to the new version's tags. */
  setKubernetesVersion(version: string): void {
    this.#o = { ...this.#o, kubernetesVersion: version };
    this.#rebuild();
    this.#settled.clear();
    for (const k of this.#desired.keys()) this.#queue.add(k);
  }

  async start(): Promise<void> {
    this.#factory.start();
    await this.#factory.synced();
    this.#replicas = this.#computeReplicas();
    this.#rebuild();
    for (const k of this.#desired.keys()) this.#queue.add(k);
    void runWorkers(this.#queue, 1, (key) => this.#sync(key), this.#o.onError);
    this.#scheduleResync();
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#queue.shutDown();
    this.#factory.stop();
  }

  #scheduleResync(): void {
    if (this.#stopped) return;
    this.#timer = this.#clock.after(this.#o.resyncMs ?? 60_000, () => {
      for (const k of this.#desired.keys()) this.#queue.add(k);
      this.#queue.add(DNS_SCALE_KEY);
      this.#scheduleResync();
    });
  }

  #computeReplicas(): number {
    const cm = this.#informers.get('configmaps')?.get(NS, 'coredns-autoscaler');
    return corednsReplicas(cm?.data, this.#nodes.list());
  }

  /** Objects whose managed fields the server keeps changing back (patched, still different). */
  get unmatched(): string[] {
    return [...this.#settled.keys()];
  }

  /** Whether every managed object exists and (for Reconcile) matches; for tests and readiness. */
  inSync(): boolean {
    for (const [key, a] of this.#desired) {
      const cur = this.#informers.get(a.resource)?.get(NS, a.obj.metadata.name);
      if (!cur) return false;
      if (a.obj.metadata.labels?.[MODE_LABEL] !== 'EnsureExists' && !this.#settled.has(key) && !containsFields(cur, managedPart(a.obj))) return false;
    }
    return true;
  }

  async #sync(key: string): Promise<void> {
    if (key === DNS_SCALE_KEY) {
      const n = this.#computeReplicas();
      if (n !== this.#replicas) {
        this.#replicas = n;
        this.#rebuild();
        this.#queue.add('deployments/coredns');
      }
      return;
    }
    const a = this.#desired.get(key);
    if (!a) return;
    const name = a.obj.metadata.name;
    const rc = this.#client.resource(a.group, a.resource, NS);
    const cur = this.#informers.get(a.resource)?.get(NS, name);
    if (!cur) {
      try {
        await rc.create(a.obj);
      } catch (e) {
        // The cache may lag a just-made object; the watch brings it and we look again.
        if (!isAlreadyExists(e)) throw e;
      }
      return;
    }
    if (a.obj.metadata.labels?.[MODE_LABEL] === 'EnsureExists') return;
    if (cur.metadata.deletionTimestamp) return; // recreated once gone
    if (this.#settled.get(key) === cur.metadata.resourceVersion) return;
    const want = managedPart(a.obj);
    if (containsFields(cur, want)) return;
    let after: Obj;
    try {
      after = await rc.patch(name, 'merge', want);
    } catch (e) {
      if (isNotFound(e)) return; // deleted meanwhile: the delete event recreates it
      throw e;
    }
    if (!containsFields(after, want)) this.#settled.set(key, after.metadata.resourceVersion);
    else this.#settled.delete(key);
  }
}
