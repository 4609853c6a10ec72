// The EndpointSlice controller, as kube-controller-manager's (pkg/controller/endpointslice and
// staging endpointslice/reconciler.go): for every Service with a selector, EndpointSlices named
// `<service>-<random>` (owned by the Service, labelled with its name and
// `endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io`), at most 100
// endpoints each, one group of slices per distinct port set, each endpoint with ready / serving /
// terminating conditions, node name, zone and a reference to its pod; a placeholder slice when there
// are no endpoints. Existing slices are updated in place to keep churn low.
import { isDeepStrictEqual } from 'node:util';
import type { KubeClient, ResourceClient } from '../../client/client.ts';
import { keyOf, splitKey, type Informer } from '../../client/informer.ts';
import { WorkQueue, runWorkers } from '../../client/workqueue.ts';
import type { Obj } from '../../client/types.ts';
import { isNotFound } from '../../machinery/errors.ts';
import type { Controller, ControllerContext, ControllerFactory } from '../manager.ts';
import {
  HEADLESS_LABEL,
  LAST_CHANGE_TRIGGER_TIME,
  TriggerTimeTracker,
  findPort,
  hasSelector,
  isNamespaceTerminating,
  isPodReady,
  podChangedForEndpoints,
  podIPv4,
  rfc3339Nano,
  selectedPods,
  servicesForLabels,
  shouldPodBeInEndpoints,
  shouldSetHostname,
} from '../endpoints/podutil.ts';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
/** Upstream's --max-endpoints-per-slice default. */
export const MAX_ENDPOINTS_PER_SLICE = 100;

interface SlicePort {
  name: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface SliceEndpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  hostname?: string;
  targetRef: { kind: 'Pod'; namespace: string; name: string; uid: string };
  nodeName?: string;
  zone?: string;
}

/** Thrown to look at a Service again once the slice informer has caught up with our own writes. */
class StaleCache extends Error {}

const portsKey = (ports: SlicePort[]) =>
  ports
    .map((p) => `${p.name}/${p.port}/${p.protocol}/${p.appProtocol ?? ''}`)
    .sort()
    .join(',');
const endpointKey = (e: SliceEndpoint) => e.targetRef?.uid ?? e.addresses.join(',');

/** Deep equality that ignores key order (the server may write keys in another order). */
const same = (a: unknown, b: unknown): boolean => isDeepStrictEqual(a, b);

/** podToEndpoint: `ready` is never true for a terminating pod unless the Service publishes not-ready addresses. */
export function podToEndpoint(pod: Obj, svc: Obj, node: Obj | undefined): SliceEndpoint | undefined {
  const ip = podIPv4(pod);
  if (!ip) return undefined;
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata?.deletionTimestamp;
  const ready = svc.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const ep: SliceEndpoint = {
    addresses: [ip],
    conditions: { ready, serving, terminating },
    targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
  };
  if (shouldSetHostname(pod, svc)) ep.hostname = pod.spec.hostname;
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  const zone = node?.metadata?.labels?.[ZONE_LABEL];
  if (zone) ep.zone = zone;
  return ep;
}

/** The endpoints a Service should have, grouped by the port set each pod serves. */
export function desiredEndpoints(svc: Obj, pods: Obj[], nodeOf: (name: string) => Obj | undefined): Map<string, { ports: SlicePort[]; endpoints: Map<string, SliceEndpoint> }> {
  const groups = new Map<string, { ports: SlicePort[]; endpoints: Map<string, SliceEndpoint> }>();
  for (const pod of pods) {
    // Terminating pods stay, with their conditions saying so.
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ports: SlicePort[] = [];
    for (const sp of svc.spec?.ports ?? []) {
      const n = findPort(pod, sp);
      if (n === undefined) continue;
      ports.push({ name: sp.name ?? '', port: n, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
    }
    const ep = podToEndpoint(pod, svc, pod.spec?.nodeName ? nodeOf(pod.spec.nodeName) : undefined);
    if (!ep) continue;
    const k = portsKey(ports);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { ports, endpoints: new Map() }));
    g.endpoints.set(endpointKey(ep), ep);
  }
  return groups;
}

export class EndpointSliceController implements Controller {
  readonly name = 'endpointslice-controller';
  #client: KubeClient;
  #workers: number;
  #maxPerSlice: number;
  #queue: WorkQueue;
  #services: Informer;
  #pods: Informer;
  #slices: Informer;
  #nodes: Informer;
  #triggers = new TriggerTimeTracker();
  /** Our own writes per Service not yet seen by the slice informer: slice name → resourceVersion, or 0 for a delete. */
  #written = new Map<string, Map<string, number>>();

  constructor(ctx: ControllerContext, opts: { maxEndpointsPerSlice?: number } = {}) {
    this.#client = ctx.client;
    this.#workers = ctx.config.workers;
    this.#maxPerSlice = opts.maxEndpointsPerSlice ?? MAX_ENDPOINTS_PER_SLICE;
    this.#queue = new WorkQueue({ clock: ctx.clock });
    this.#services = ctx.informers.informer('', 'services');
    this.#pods = ctx.informers.informer('', 'pods');
    this.#slices = ctx.informers.informer('discovery.k8s.io', 'endpointslices');
    this.#nodes = ctx.informers.informer('', 'nodes');
  }

  start(): void {
    this.#slices.addIndex('managed-service', (s) => {
      const l = s.metadata?.labels ?? {};
      return l[MANAGED_BY_LABEL] === CONTROLLER_NAME && l[SERVICE_NAME_LABEL] ? [`${s.metadata.namespace}/${l[SERVICE_NAME_LABEL]}`] : [];
    });
    const svc = (s: Obj) => this.#queue.add(keyOf(s));
    this.#services.addEventHandler({ add: svc, update: (_o, n) => svc(n), delete: svc });
    const pod = (p: Obj) => {
      for (const s of servicesForLabels(this.#services, p.metadata.namespace, p.metadata.labels)) this.#queue.add(keyOf(s));
    };
    this.#pods.addEventHandler({
      add: pod,
      update: (o, n) => {
        if (!podChangedForEndpoints(o, n)) return;
        pod(n);
        if (!same(o.metadata?.labels ?? {}, n.metadata?.labels ?? {})) pod(o);
      },
      delete: pod,
    });
    const slice = (s: Obj) => {
      const l = s.metadata?.labels ?? {};
      if (l[MANAGED_BY_LABEL] === CONTROLLER_NAME && l[SERVICE_NAME_LABEL]) this.#queue.add(`${s.metadata.namespace}/${l[SERVICE_NAME_LABEL]}`);
    };
    this.#slices.addEventHandler({ add: slice, update: (o, n) => (slice(o), slice(n)), delete: slice });
    void Promise.all([this.#services.synced(), this.#pods.synced(), this.#slices.synced(), this.#nodes.synced()]).then(() => runWorkers(this.#queue, this.#workers, (k) => this.sync(k)));
  }

  stop(): void {
    this.#queue.shutDown();
  }

  /** True while the slice informer has not yet shown a write this controller made for the Service. */
  #stale(key: string, namespace: string): boolean {
    const w = this.#written.get(key);
    if (!w) return false;
    for (const [name, rv] of w) {
      const s = this.#slices.get(namespace, name);
      const seen = rv === 0 ? !s : !!s && Number(s.metadata.resourceVersion) >= rv;
      if (seen) w.delete(name);
    }
    if (w.size === 0) this.#written.delete(key);
    return w.size > 0;
  }

  #record(key: string, name: string, rv: number) {
    let w = this.#written.get(key);
    if (!w) this.#written.set(key, (w = new Map()));
    w.set(name, rv);
  }

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const rc = this.#client.resource('discovery.k8s.io', 'endpointslices', namespace);
    const existing = this.#slices.byIndex('managed-service', key);
    const svc = this.#services.getByKey(key);
    if (!svc || !hasSelector(svc) || svc.spec?.type === 'ExternalName') {
      this.#triggers.delete(key);
      // Slices of a Service that is gone (the garbage collector would also take them, by owner).
      if (!svc) for (const s of existing) await this.#delete(rc, key, s);
      return;
    }
    if (this.#stale(key, namespace)) throw new StaleCache(`endpoint slices of ${key} not yet observed`);

    const pods = selectedPods(this.#pods, svc);
    const trigger = this.#triggers.compute(key, svc, pods);
    const desired = desiredEndpoints(svc, pods, (n) => this.#nodes.get(n));
    const labels = this.#labels(svc);
    const owner = { apiVersion: 'v1', kind: 'Service', name, uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true };

    // Slices that are not ours any more (another Service with the same name came) go.
    const mine = existing.filter((s) => (s.metadata.ownerReferences ?? []).some((r: Obj) => r.uid === svc.metadata.uid));
    for (const s of existing) if (!mine.includes(s)) await this.#delete(rc, key, s);

    const byPorts = new Map<string, Obj[]>();
    for (const s of mine) {
      const k = portsKey(s.ports ?? []);
      (byPorts.get(k) ?? byPorts.set(k, []).get(k)!).push(s);
    }

    const toCreate: { ports: SlicePort[]; endpoints: SliceEndpoint[] }[] = [];
    const toUpdate: { slice: Obj; endpoints: SliceEndpoint[] }[] = [];
    const toDelete: Obj[] = [];

    for (const [pk, group] of desired) {
      const remaining = new Map(group.endpoints);
      const slices = byPorts.get(pk) ?? [];
      byPorts.delete(pk);
      const updating: { slice: Obj; endpoints: SliceEndpoint[] }[] = [];
      for (const s of slices) {
        const kept: SliceEndpoint[] = [];
        let changed = false;
        for (const ep of (s.endpoints ?? []) as SliceEndpoint[]) {
          const want = remaining.get(endpointKey(ep));
          if (!want) {
            changed = true;
            continue;
          }
          remaining.delete(endpointKey(ep));
          if (!same(ep, want)) changed = true;
          kept.push(want);
        }
        if (kept.length === 0) toDelete.push(s);
        else if (changed || !this.#labelsMatch(s, labels)) updating.push({ slice: s, endpoints: kept });
      }
      // New endpoints fill slices we are writing anyway, then new slices.
      const rest = [...remaining.values()];
      for (const u of updating) {
        while (rest.length && u.endpoints.length < this.#maxPerSlice) u.endpoints.push(rest.shift()!);
      }
      toUpdate.push(...updating);
      for (let i = 0; i < rest.length; i += this.#maxPerSlice) toCreate.push({ ports: group.ports, endpoints: rest.slice(i, i + this.#maxPerSlice) });
    }
    // Port sets nobody serves any more.
    for (const slices of byPorts.values()) toDelete.push(...slices);

    // With no endpoints at all, one empty placeholder slice stays.
    if (desired.size === 0) {
      const placeholder = toDelete.find((s) => (s.endpoints ?? []).length === 0 && (s.ports ?? []).length === 0);
      if (placeholder) {
        toDelete.splice(toDelete.indexOf(placeholder), 1);
        if (!this.#labelsMatch(placeholder, labels)) toUpdate.push({ slice: placeholder, endpoints: [] });
      } else toCreate.push({ ports: [], endpoints: [] });
    }

    const annotations = (cur: Obj | undefined): Record<string, string> => {
      const a: Record<string, string> = { ...(cur?.metadata.annotations ?? {}) };
      if (trigger !== undefined) a[LAST_CHANGE_TRIGGER_TIME] = rfc3339Nano(trigger);
      else delete a[LAST_CHANGE_TRIGGER_TIME];
      return a;
    };

    for (const c of toCreate) {
      let made: Obj;
      try {
        made = await rc.create({
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: { generateName: `${name}-`, namespace, labels, annotations: annotations(undefined), ownerReferences: [owner] },
          addressType: 'IPv4',
          endpoints: c.endpoints,
          ports: c.ports,
        });
      } catch (e) {
        if (isNamespaceTerminating(e)) return;
        throw e;
      }
      this.#record(key, made.metadata.name, Number(made.metadata.resourceVersion));
    }
    for (const u of toUpdate) {
      const s = u.slice;
      const updated = await rc.update({ ...s, metadata: { ...s.metadata, labels, annotations: annotations(s) }, endpoints: u.endpoints });
      this.#record(key, updated.metadata.name, Number(updated.metadata.resourceVersion));
    }
    for (const s of toDelete) await this.#delete(rc, key, s);
  }

  async #delete(rc: ResourceClient, key: string, s: Obj): Promise<void> {
    try {
      await rc.delete(s.metadata.name, { preconditions: { uid: s.metadata.uid } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    this.#record(key, s.metadata.name, 0);
  }

  /** The Service's labels plus ours (the controller's two labels win; headless Services are marked). */
  #labels(svc: Obj): Record<string, string> {
    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
    delete labels[HEADLESS_LABEL];
    if (svc.spec?.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
    labels[SERVICE_NAME_LABEL] = svc.metadata.name;
    labels[MANAGED_BY_LABEL] = CONTROLLER_NAME;
    return labels;
  }

  #labelsMatch(s: Obj, labels: Record<string, string>): boolean {
    const cur = s.metadata.labels ?? {};
    const a = Object.keys(cur);
    if (a.length !== Object.keys(labels).length) return false;
    for (const k of a) if (cur[k] !== labels[k]) return false;
    return true;
  }
}

export const endpointSliceController: ControllerFactory = (ctx) => new EndpointSliceController(ctx);
