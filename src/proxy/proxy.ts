// The service proxy, kube-proxy's job for the local loopback cluster: from Services and their
// EndpointSlices it listens on every ClusterIP:port, on every node address at each NodePort and on
// each LoadBalancer ingress IP, for TCP and UDP, and forwards to the ready endpoints (serving
// terminating ones when none is ready), with sessionAffinity ClientIP. Headless and ExternalName
// Services get nothing. Endpoint changes swap the endpoint list in place; listeners of unchanged
// ports stay open, listeners of removed ports stop accepting and let their connections drain.
// Addresses that cannot be bound become Warning events on the Service, never a crash.
import type { Socket } from 'node:net';
import type { KubeClient } from '../client/client.ts';
import { EventRecorder } from '../client/events.ts';
import { keyOf, type Informer, type InformerFactory } from '../client/informer.ts';
import type { Obj } from '../client/types.ts';
import { WorkQueue, runWorkers } from '../client/workqueue.ts';
import { realClock, type Clock } from '../machinery/clock.ts';
import { DEFAULT_AFFINITY_TIMEOUT_SECONDS, PortBalancer, endpointsForPort, type Backend } from './balancer.ts';
import { TcpListener, UdpListener, DEFAULT_UDP_IDLE_MS, type ProxyListener } from './listeners.ts';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const SLICE_INDEX = 'proxy:service';
/** The reason of the Warning event recorded when an address cannot be bound. */
export const BIND_FAILED_REASON = 'FailedToListen';

export interface ServiceProxyOptions {
  /** Every node's InternalIP: NodePorts are opened on each of them. Read at every sync. */
  nodeAddresses: () => string[];
  clock?: Clock;
  /** Idle time after which a UDP flow is forgotten (default 120 s, conntrack's UDP stream timeout). */
  udpIdleTimeoutMs?: number;
  /** Where Warning events go (default: a recorder with component "kube-proxy"). */
  recorder?: EventRecorder;
  /** Diagnostics (default: stderr). */
  log?: (line: string) => void;
}

/** Some addresses could not be bound: retried with back-off (already logged and recorded). */
class BindFailed extends Error {}

interface Bound {
  listener: ProxyListener;
  service: string;
}

/** Whether kube-proxy programs anything for the Service. */
/** A Service whose ClusterIP is served by the component itself (cluster DNS binds 127.96.0.10:53). */
export const SERVED_DIRECTLY_ANNOTATION = 'skiff.io/served-directly';

export function isProxied(svc: Obj): boolean {
  const spec = svc.spec ?? {};
  if (spec.type === 'ExternalName') return false;
  if (svc.metadata?.annotations?.[SERVED_DIRECTLY_ANNOTATION] === 'true') return false;
  return !!spec.clusterIP && spec.clusterIP !== 'None';
}

const isIPv4 = (s: unknown): s is string => typeof s === 'string' && /^\d{1,3}(\.\d{1,3}){3}$/.test(s);

/** The addresses (`PROTO/ip:port`) a Service port is served on, given the node addresses. */
export function addressesFor(svc: Obj, port: Obj, nodeAddresses: string[]): { ip: string; port: number }[] {
  const spec = svc.spec ?? {};
  const out: { ip: string; port: number }[] = [];
  const clusterIPs: string[] = spec.clusterIPs?.length ? spec.clusterIPs : [spec.clusterIP];
  for (const ip of clusterIPs) if (isIPv4(ip)) out.push({ ip, port: port.port });
  const type = spec.type ?? 'ClusterIP';
  if ((type === 'NodePort' || type === 'LoadBalancer') && port.nodePort) {
    for (const ip of nodeAddresses) if (isIPv4(ip)) out.push({ ip, port: port.nodePort });
  }
  if (type === 'LoadBalancer') {
    for (const ing of svc.status?.loadBalancer?.ingress ?? []) if (isIPv4(ing.ip) && ing.ipMode !== 'Proxy') out.push({ ip: ing.ip, port: port.port });
  }
  return out;
}

export class ServiceProxy {
  #services: Informer;
  #slices: Informer;
  #nodes: Informer;
  #o: ServiceProxyOptions;
  #clock: Clock;
  #recorder: EventRecorder;
  #log: (line: string) => void;
  #queue: WorkQueue;
  #started = false;
  #stopped = false;
  /** Service key → its ports' balancers, by `port-name/PROTOCOL`. */
  #balancers = new Map<string, Map<string, PortBalancer>>();
  /** `PROTO/ip:port` → listener. */
  #listeners = new Map<string, Bound>();
  #byService = new Map<string, Set<string>>();
  /** The last bind error per address, so that a retry does not record the same event again. */
  #bindErrors = new Map<string, string>();
  /** Every proxied TCP socket (both sides), destroyed on stop. */
  #conns = new Set<Socket>();
  #nodeKey = '';
  #busy = 0;

  constructor(client: KubeClient, informers: InformerFactory, opts: ServiceProxyOptions) {
    this.#o = opts;
    this.#clock = opts.clock ?? realClock;
    this.#recorder = opts.recorder ?? new EventRecorder(client, { component: 'kube-proxy', clock: this.#clock });
    this.#log = opts.log ?? ((l) => process.stderr.write(`proxy: ${l}\n`));
    // Bind failures retry with back-off from 100 ms up to a minute; everything else is immediate.
    this.#queue = new WorkQueue({ clock: this.#clock });
    this.#services = informers.informer('', 'services');
    this.#slices = informers.informer('discovery.k8s.io', 'endpointslices');
    this.#nodes = informers.informer('', 'nodes');
  }

  /** Adds the event handlers, starts the informers it uses (shared ones are started once) and the worker. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#slices.addIndex(SLICE_INDEX, (s) => {
      const name = s.metadata?.labels?.[SERVICE_NAME_LABEL];
      return name ? [`${s.metadata.namespace}/${name}`] : [];
    });
    const svc = (s: Obj) => !this.#stopped && this.#queue.add(keyOf(s));
    this.#services.addEventHandler({ add: svc, update: (_o, n) => svc(n), delete: svc });
    const slice = (s: Obj) => {
      const name = s.metadata?.labels?.[SERVICE_NAME_LABEL];
      if (name && !this.#stopped) this.#queue.add(`${s.metadata.namespace}/${name}`);
    };
    this.#slices.addEventHandler({ add: slice, update: (o, n) => (slice(o), slice(n)), delete: slice });
    const node = () => this.#nodesChanged();
    this.#nodes.addEventHandler({ add: node, update: node, delete: node });
    this.#services.start();
    this.#slices.start();
    this.#nodes.start();
    const sync = async (key: string) => {
      this.#busy++;
      try {
        await this.#sync(key);
      } finally {
        this.#busy--;
      }
    };
    void runWorkers(this.#queue, 1, sync, (key, e) => {
      if (!(e instanceof BindFailed)) this.#log(`${key}: ${(e as Error).message}`);
    });
  }

  /** Resolves once the first lists are in and every Service seen so far has been applied. */
  async synced(): Promise<void> {
    await Promise.all([this.#services.synced(), this.#slices.synced()]);
    const deadline = Date.now() + 10_000;
    while ((this.#queue.length > 0 || this.#busy > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
  }

  /** Looks at every Service again (the node addresses may have changed). */
  resync(): void {
    for (const s of this.#services.list()) this.#queue.add(keyOf(s));
  }

  #nodesChanged() {
    if (this.#stopped) return;
    const key = this.#o.nodeAddresses().join(',');
    if (key === this.#nodeKey) return;
    this.#nodeKey = key;
    for (const s of this.#services.list()) if (s.spec?.type === 'NodePort' || s.spec?.type === 'LoadBalancer') this.#queue.add(keyOf(s));
  }

  /** The endpoints a Service port forwards to now (port name '' for an unnamed port). */
  endpointsFor(namespace: string, name: string, portName = '', protocol = 'TCP'): readonly Backend[] {
    return this.#balancers.get(`${namespace}/${name}`)?.get(`${portName}/${protocol}`)?.endpoints ?? [];
  }

  /** The addresses listened on now, as `PROTO/ip:port`, for one Service or all. */
  listening(namespace?: string, name?: string): string[] {
    if (namespace !== undefined && name !== undefined) return [...(this.#byService.get(`${namespace}/${name}`) ?? [])].sort();
    return [...this.#listeners.keys()].sort();
  }

  async #sync(key: string): Promise<void> {
    if (this.#stopped) return;
    const svc = this.#services.getByKey(key);
    if (!svc || !isProxied(svc)) {
      this.#remove(key);
      return;
    }
    const nodeAddresses = this.#o.nodeAddresses();
    this.#nodeKey = nodeAddresses.join(',');
    const slices = this.#slices.byIndex(SLICE_INDEX, key);
    const spec = svc.spec ?? {};
    const affinity = spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT_SECONDS) : undefined;
    const old = this.#balancers.get(key);
    const balancers = new Map<string, PortBalancer>();
    const want = new Map<string, { ip: string; port: number; balancer: PortBalancer }>();
    const removed: { balancer: PortBalancer; gone: Set<string> }[] = [];
    for (const p of spec.ports ?? []) {
      const protocol = p.protocol ?? 'TCP';
      if (protocol !== 'TCP' && protocol !== 'UDP') continue; // SCTP is not proxied here
      const portName: string = p.name ?? '';
      const bkey = `${portName}/${protocol}`;
      const balancer = old?.get(bkey) ?? new PortBalancer(`${key}:${portName || p.port}/${protocol}`, protocol, this.#clock);
      balancer.setAffinity(affinity);
      const gone = balancer.setEndpoints(endpointsForPort(slices, portName, protocol));
      if (gone?.size) removed.push({ balancer, gone });
      balancers.set(bkey, balancer);
      for (const a of addressesFor(svc, p, nodeAddresses)) want.set(`${protocol}/${a.ip}:${a.port}`, { ...a, balancer });
    }
    this.#balancers.set(key, balancers);

    let mine = this.#byService.get(key);
    if (!mine) this.#byService.set(key, (mine = new Set()));
    for (const lk of [...mine]) {
      if (want.has(lk)) continue;
      this.#listeners.get(lk)?.listener.close();
      this.#listeners.delete(lk);
      this.#bindErrors.delete(lk);
      mine.delete(lk);
    }
    const binds: Promise<string | undefined>[] = [];
    for (const [lk, w] of want) {
      const cur = this.#listeners.get(lk);
      if (cur && cur.service === key) {
        cur.listener.balancer = w.balancer;
        continue;
      }
      if (cur) {
        binds.push(Promise.resolve(this.#bindFailed(svc, lk, `can't listen on ${lk.replace('/', ' ').toLowerCase()}: already used by service ${cur.service}`)));
        continue;
      }
      binds.push(this.#bind(svc, key, lk, w.ip, w.port, w.balancer));
    }
    for (const { balancer, gone } of removed) {
      for (const lk of mine) {
        const b = this.#listeners.get(lk);
        if (b && b.listener.balancer === balancer) b.listener.endpointsRemoved(gone);
      }
    }
    const failed = (await Promise.all(binds)).filter((x): x is string => !!x);
    if (failed.length) throw new BindFailed(failed.join('; '));
  }

  async #bind(svc: Obj, key: string, lk: string, ip: string, port: number, balancer: PortBalancer): Promise<string | undefined> {
    try {
      const listener = balancer.protocol === 'TCP' ? await TcpListener.listen(ip, port, balancer, this.#conns) : await UdpListener.listen(ip, port, balancer, this.#clock, this.#o.udpIdleTimeoutMs ?? DEFAULT_UDP_IDLE_MS);
      // The Service may have gone (or the proxy stopped) while binding.
      const mine = this.#byService.get(key);
      if (this.#stopped || !mine || this.#listeners.has(lk)) {
        listener.close();
        return undefined;
      }
      this.#listeners.set(lk, { listener, service: key });
      mine.add(lk);
      this.#bindErrors.delete(lk);
      return undefined;
    } catch (e) {
      return this.#bindFailed(svc, lk, (e as Error).message);
    }
  }

  #bindFailed(svc: Obj, lk: string, message: string): string {
    if (this.#bindErrors.get(lk) !== message) {
      this.#bindErrors.set(lk, message);
      this.#log(`${keyOf(svc)}: ${message}`);
      this.#recorder.event({ ...svc, kind: 'Service', apiVersion: 'v1' }, 'Warning', BIND_FAILED_REASON, message);
    }
    return message;
  }

  #remove(key: string) {
    this.#balancers.delete(key);
    const mine = this.#byService.get(key);
    if (!mine) return;
    for (const lk of mine) {
      this.#listeners.get(lk)?.listener.close();
      this.#listeners.delete(lk);
      this.#bindErrors.delete(lk);
    }
    this.#byService.delete(key);
  }

  /** Closes every listener and every proxied connection. The shared informers are left to their owner. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#queue.shutDown();
    for (const { listener } of this.#listeners.values()) listener.close();
    this.#listeners.clear();
    this.#byService.clear();
    this.#balancers.clear();
    for (const c of this.#conns) c.destroy();
    this.#conns.clear();
  }
}
