// The endpoints controller, as kube-controller-manager's (pkg/controller/endpoint): for every
// Service with a selector, an Endpoints object of the same name whose subsets group the selected
// pods' addresses (ready in `addresses`, not ready in `notReadyAddresses`) by the ports they serve
// (named targetPorts resolved in each pod), with the last-change-trigger-time annotation. Services
// without a selector (the `kubernetes` Service among them) keep whatever Endpoints others write.
import { isDeepStrictEqual } from 'node:util';
import type { KubeClient } from '../../client/client.ts';
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
} from './podutil.ts';

export * from './podutil.ts';

/** Upstream's maxCapacity: Endpoints beyond this many addresses are truncated and annotated. */
export const MAX_ENDPOINTS_CAPACITY = 1000;
export const OVER_CAPACITY = 'endpoints.kubernetes.io/over-capacity';
/** Leader-election Endpoints (old style) are never treated as leftovers. */
const LEADER_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';

interface Address {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: { kind: string; namespace: string; name: string; uid: string };
}
interface Port {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}
export interface Subset {
  addresses?: Address[];
  notReadyAddresses?: Address[];
  ports?: Port[];
}

const addrKey = (a: Address) => `${a.ip}/${a.targetRef?.uid ?? ''}`;
const portKey = (p: Port) => `${p.name ?? ''}/${p.port}/${p.protocol}/${p.appProtocol ?? ''}`;
function cmpAddr(a: Address, b: Address): number {
  return a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : (a.targetRef?.uid ?? '') < (b.targetRef?.uid ?? '') ? -1 : (a.targetRef?.uid ?? '') > (b.targetRef?.uid ?? '') ? 1 : 0;
}

/**
 * RepackSubsets: one subset per set of addresses serving the same ports (an address ready for a
 * port wins over the same address not ready), addresses sorted by IP, in a stable order.
 */
export function repackSubsets(entries: { addr: Address; ready: boolean; port: Port | undefined }[]): Subset[] {
  const byPort = new Map<string, { port: Port | undefined; addrs: Map<string, { addr: Address; ready: boolean }> }>();
  for (const e of entries) {
    const pk = e.port ? portKey(e.port) : '-';
    let g = byPort.get(pk);
    if (!g) byPort.set(pk, (g = { port: e.port, addrs: new Map() }));
    const ak = addrKey(e.addr);
    const cur = g.addrs.get(ak);
    if (!cur || (!cur.ready && e.ready)) g.addrs.set(ak, { addr: e.addr, ready: e.ready });
  }
  const bySet = new Map<string, { addrs: { addr: Address; ready: boolean }[]; ports: Port[] }>();
  for (const g of byPort.values()) {
    const addrs = [...g.addrs.values()].sort((a, b) => cmpAddr(a.addr, b.addr));
    const sk = addrs.map((a) => `${addrKey(a.addr)}:${a.ready ? 1 : 0}`).join(',');
    let s = bySet.get(sk);
    if (!s) bySet.set(sk, (s = { addrs, ports: [] }));
    if (g.port) s.ports.push(g.port);
  }
  const out: Subset[] = [];
  for (const s of bySet.values()) {
    const subset: Subset = {};
    const ready = s.addrs.filter((a) => a.ready).map((a) => a.addr);
    const notReady = s.addrs.filter((a) => !a.ready).map((a) => a.addr);
    if (ready.length) subset.addresses = ready;
    if (notReady.length) subset.notReadyAddresses = notReady;
    if (s.ports.length) subset.ports = s.ports.sort((a, b) => (portKey(a) < portKey(b) ? -1 : portKey(a) > portKey(b) ? 1 : 0));
    out.push(subset);
  }
  const first = (s: Subset) => (s.addresses ?? s.notReadyAddresses ?? [])[0];
  return out.sort((a, b) => {
    const x = first(a);
    const y = first(b);
    const c = x && y ? cmpAddr(x, y) : 0;
    if (c) return c;
    const px = (a.ports ?? []).map(portKey).join(',');
    const py = (b.ports ?? []).map(portKey).join(',');
    return px < py ? -1 : px > py ? 1 : 0;
  });
}

/** The subsets a Service's Endpoints should have for these pods. */
export function desiredSubsets(svc: Obj, pods: Obj[]): Subset[] {
  const tolerateUnready = svc.spec?.publishNotReadyAddresses === true;
  const ports: Obj[] = svc.spec?.ports ?? [];
  const entries: { addr: Address; ready: boolean; port: Port | undefined }[] = [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const ip = podIPv4(pod);
    if (!ip) continue;
    const addr: Address = { ip };
    if (shouldSetHostname(pod, svc)) addr.hostname = pod.spec.hostname;
    if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
    addr.targetRef = { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
    const ready = tolerateUnready || isPodReady(pod);
    if (ports.length === 0) {
      // Headless Services without ports still list their pods.
      if (svc.spec?.clusterIP === 'None') entries.push({ addr, ready, port: undefined });
      continue;
    }
    for (const sp of ports) {
      const n = findPort(pod, sp);
      if (n === undefined) continue;
      const port: Port = { ...(sp.name ? { name: sp.name } : {}), port: n, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) };
      entries.push({ addr, ready, port });
    }
  }
  return repackSubsets(entries);
}

/** Truncates to the capacity (ready addresses kept first), as upstream's truncateEndpoints. */
function truncate(subsets: Subset[]): boolean {
  let total = 0;
  for (const s of subsets) total += (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0);
  if (total <= MAX_ENDPOINTS_CAPACITY) return false;
  let room = MAX_ENDPOINTS_CAPACITY;
  for (const s of subsets) {
    const keep = Math.min(room, s.addresses?.length ?? 0);
    if (s.addresses) s.addresses = s.addresses.slice(0, keep);
    room -= keep;
  }
  for (const s of subsets) {
    const keep = Math.min(room, s.notReadyAddresses?.length ?? 0);
    if (s.notReadyAddresses) s.notReadyAddresses = s.notReadyAddresses.slice(0, keep);
    room -= keep;
  }
  return true;
}

/** Deep equality that ignores key order (the server may write keys in another order). */
const same = (a: unknown, b: unknown): boolean => isDeepStrictEqual(a, b);

function withoutKey(o: Record<string, string> | undefined, k: string): Record<string, string> {
  const { [k]: _drop, ...rest } = o ?? {};
  return rest;
}

export class EndpointsController implements Controller {
  readonly name = 'endpoints-controller';
  #client: KubeClient;
  #workers: number;
  #queue: WorkQueue;
  #services: Informer;
  #pods: Informer;
  #endpoints: Informer;
  #triggers = new TriggerTimeTracker();

  constructor(ctx: ControllerContext) {
    this.#client = ctx.client;
    this.#workers = ctx.config.workers;
    this.#queue = new WorkQueue({ clock: ctx.clock });
    this.#services = ctx.informers.informer('', 'services');
    this.#pods = ctx.informers.informer('', 'pods');
    this.#endpoints = ctx.informers.informer('', 'endpoints');
  }

  start(): void {
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
    // Endpoints deleted by someone else come back.
    this.#endpoints.addEventHandler({ delete: (e) => this.#queue.add(keyOf(e)) });
    void Promise.all([this.#services.synced(), this.#pods.synced(), this.#endpoints.synced()]).then(() => {
      // Leftovers: Endpoints whose Service went while nobody was watching.
      for (const e of this.#endpoints.list()) {
        if (e.metadata.annotations?.[LEADER_ANNOTATION]) continue;
        if (!this.#services.getByKey(keyOf(e))) this.#queue.add(keyOf(e));
      }
      return runWorkers(this.#queue, this.#workers, (k) => this.sync(k));
    });
  }

  stop(): void {
    this.#queue.shutDown();
  }

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const rc = this.#client.resource('', 'endpoints', namespace);
    const svc = this.#services.getByKey(key);
    if (!svc) {
      this.#triggers.delete(key);
      const cur = this.#endpoints.getByKey(key);
      if (cur?.metadata.annotations?.[LEADER_ANNOTATION]) return;
      try {
        await rc.delete(name);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      return;
    }
    if (!hasSelector(svc) || svc.spec?.type === 'ExternalName') return;

    const pods = selectedPods(this.#pods, svc);
    const trigger = this.#triggers.compute(key, svc, pods);
    const subsets = desiredSubsets(svc, pods);
    const overCapacity = truncate(subsets);

    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
    if (svc.spec?.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
    else delete labels[HEADLESS_LABEL];

    const cur = this.#endpoints.getByKey(key);
    if (cur) {
      const curOver = cur.metadata.annotations?.[OVER_CAPACITY] === 'truncated';
      if (same(cur.subsets ?? [], subsets) && same(withoutKey(cur.metadata.labels, HEADLESS_LABEL), withoutKey(labels, HEADLESS_LABEL)) && curOver === overCapacity) return;
    }
    const annotations: Record<string, string> = { ...(cur?.metadata.annotations ?? {}) };
    if (trigger !== undefined) annotations[LAST_CHANGE_TRIGGER_TIME] = rfc3339Nano(trigger);
    else delete annotations[LAST_CHANGE_TRIGGER_TIME];
    if (overCapacity) annotations[OVER_CAPACITY] = 'truncated';
    else delete annotations[OVER_CAPACITY];
    const body: Obj = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: {
        ...(cur ? cur.metadata : {}),
        name,
        namespace,
        labels,
        annotations,
      },
      subsets,
    };
    if (!Object.keys(annotations).length) delete body.metadata.annotations;
    try {
      if (cur) await rc.update(body);
      else await rc.create(body);
    } catch (e) {
      if (isNamespaceTerminating(e)) return;
      throw e;
    }
  }
}

export const endpointsController: ControllerFactory = (ctx) => new EndpointsController(ctx);
