// The service load-balancer controller, the cloud-controller-manager's service controller with an
// AKS-like "Azure load balancer" behind it: every Service of type LoadBalancer (without a
// loadBalancerClass) gets an address from a local pool (127.20.0.0/16 by default), or its
// spec.loadBalancerIP when that is free, written to status.loadBalancer.ingress with ipMode VIP,
// guarded by the service.kubernetes.io/load-balancer-cleanup finalizer; the address is released
// when the Service stops being a LoadBalancer or is deleted. Allocations survive restarts because
// they are read back from the Services' status. Events as upstream's: EnsuringLoadBalancer,
// EnsuredLoadBalancer, DeletingLoadBalancer, DeletedLoadBalancer, SyncLoadBalancerFailed.
import type { KubeClient } from '../../client/client.ts';
import type { EventRecorder } from '../../client/events.ts';
import { keyOf, splitKey, type Informer } from '../../client/informer.ts';
import type { Obj } from '../../client/types.ts';
import { WorkQueue, runWorkers } from '../../client/workqueue.ts';
import { isConflict, isNotFound } from '../../machinery/errors.ts';
import type { Controller, ControllerContext, ControllerFactory } from '../manager.ts';
import { formatIPv4, parseIPv4 } from '../../machinery/ipv4.ts';

export const LB_FINALIZER = 'service.kubernetes.io/load-balancer-cleanup';
export const DEFAULT_LB_POOL = '127.20.0.0/16';

/** An IPv4 pool without its network and broadcast addresses. */
export class AddressPool {
  readonly text: string;
  readonly first: number;
  readonly last: number;
  #owner = new Map<number, string>();
  #cursor: number;

  constructor(cidr: string) {
    const [ip, bitsText] = cidr.split('/');
    const base = parseIPv4(ip);
    const bits = Number(bitsText);
    if (base === undefined || !Number.isInteger(bits) || bits < 8 || bits > 30) throw new Error(`invalid load balancer pool "${cidr}" (an IPv4 CIDR between /8 and /30)`);
    const mask = (~0 << (32 - bits)) >>> 0;
    const net = (base & mask) >>> 0;
    this.text = cidr;
    this.first = net + 1;
    this.last = net + 2 ** (32 - bits) - 2;
    this.#cursor = this.first;
  }

  contains(ip: string): boolean {
    const n = parseIPv4(ip);
    return n !== undefined && n >= this.first && n <= this.last;
  }

  ownerOf(ip: string): string | undefined {
    const n = parseIPv4(ip);
    return n === undefined ? undefined : this.#owner.get(n);
  }

  /** Takes `ip` for `owner`; false when someone else holds it. */
  take(ip: string, owner: string): boolean {
    const n = parseIPv4(ip);
    if (n === undefined) return false;
    const cur = this.#owner.get(n);
    if (cur !== undefined && cur !== owner) return false;
    this.#owner.set(n, owner);
    return true;
  }

  /** The next free address after the last one handed out (so a released address is not reused at once). */
  next(owner: string): string | undefined {
    const size = this.last - this.first + 1;
    for (let i = 0; i < size; i++) {
      const n = this.first + ((this.#cursor - this.first + i) % size);
      if (!this.#owner.has(n)) {
        this.#owner.set(n, owner);
        this.#cursor = n + 1 > this.last ? this.first : n + 1;
        return formatIPv4(n);
      }
    }
    return undefined;
  }

  release(ip: string, owner: string): void {
    const n = parseIPv4(ip);
    if (n !== undefined && this.#owner.get(n) === owner) this.#owner.delete(n);
  }
}

/** Upstream's wantsLoadBalancer, for the default class. */
const wantsLB = (svc: Obj) => svc.spec?.type === 'LoadBalancer' && !svc.spec?.loadBalancerClass;
const hasFinalizer = (svc: Obj) => (svc.metadata?.finalizers ?? []).includes(LB_FINALIZER);
const ingressIPs = (svc: Obj): string[] => (svc.status?.loadBalancer?.ingress ?? []).map((i: Obj) => i.ip).filter((ip: unknown) => typeof ip === 'string');

export interface ServiceLBOptions {
  /** The address pool (default 127.20.0.0/16). */
  pool?: string;
}

export class ServiceLBController implements Controller {
  readonly name = 'service-lb-controller';
  #client: KubeClient;
  #recorder: EventRecorder;
  #services: Informer;
  #queue: WorkQueue;
  #pool: AddressPool;
  /** Service key → the address it holds. */
  #held = new Map<string, string>();

  constructor(ctx: ControllerContext, opts: ServiceLBOptions = {}) {
    this.#client = ctx.client;
    this.#recorder = ctx.recorder('service-controller');
    this.#services = ctx.informers.informer('', 'services');
    this.#queue = new WorkQueue({ clock: ctx.clock });
    this.#pool = new AddressPool(opts.pool ?? DEFAULT_LB_POOL);
  }

  start(): void {
    const enqueue = (s: Obj) => {
      if (wantsLB(s) || hasFinalizer(s) || this.#held.has(keyOf(s))) this.#queue.add(keyOf(s));
    };
    this.#services.addEventHandler({
      add: enqueue,
      update: (o, n) => {
        if (wantsLB(o) || this.#held.has(keyOf(n))) this.#queue.add(keyOf(n));
        else enqueue(n);
      },
      delete: (s) => this.#queue.add(keyOf(s)),
    });
    void this.#run();
  }

  async #run() {
    await this.#services.synced();
    if (this.#queue.shuttingDown) return;
    // Read back what earlier runs handed out before handing out anything new.
    for (const s of this.#services.list()) {
      if (!wantsLB(s)) continue;
      for (const ip of ingressIPs(s)) {
        if (this.#pool.contains(ip) && !this.#held.has(keyOf(s)) && this.#pool.take(ip, keyOf(s))) this.#held.set(keyOf(s), ip);
      }
    }
    await runWorkers(this.#queue, 1, (key) => this.#sync(key));
  }

  stop(): void {
    this.#queue.shutDown();
  }

  /** The address a Service holds (for tests and diagnostics). */
  addressOf(namespace: string, name: string): string | undefined {
    return this.#held.get(`${namespace}/${name}`);
  }

  #release(key: string) {
    const ip = this.#held.get(key);
    if (ip) this.#pool.release(ip, key);
    this.#held.delete(key);
  }

  async #sync(key: string): Promise<void> {
    const svc = this.#services.getByKey(key);
    if (!svc) {
      this.#release(key);
      return;
    }
    const ref = { ...svc, kind: 'Service', apiVersion: 'v1' };
    try {
      if (!wantsLB(svc) || svc.metadata?.deletionTimestamp) await this.#delete(key, svc, ref);
      else await this.#ensure(key, svc, ref);
    } catch (e) {
      if (isNotFound(e)) return;
      if (isConflict(e)) throw e; // a newer version is on its way: retried quietly
      this.#recorder.event(ref, 'Warning', 'SyncLoadBalancerFailed', `Error syncing load balancer: ${(e as Error).message}`);
      throw e;
    }
  }

  async #delete(key: string, svc: Obj, ref: Obj) {
    const ours = hasFinalizer(svc) || this.#held.has(key);
    if (!ours) return;
    const { namespace, name } = splitKey(key);
    const services = this.#client.resource('', 'services', namespace);
    this.#recorder.event(ref, 'Normal', 'DeletingLoadBalancer', 'Deleting load balancer');
    this.#release(key);
    if (hasFinalizer(svc)) {
      const finalizers = (svc.metadata.finalizers as string[]).filter((f) => f !== LB_FINALIZER);
      await services.patch(name, 'merge', { metadata: { finalizers: finalizers.length ? finalizers : null, resourceVersion: svc.metadata.resourceVersion } });
    }
    // A Service on its way out keeps its status; one that changed type loses the address.
    if (!svc.metadata?.deletionTimestamp && ingressIPs(svc).length) await services.patch(name, 'merge', { status: { loadBalancer: { ingress: null } } }, { subresource: 'status' });
    this.#recorder.event(ref, 'Normal', 'DeletedLoadBalancer', 'Deleted load balancer');
  }

  /** The address the Service should hold now; throws when the requested one cannot be had. */
  #address(key: string, svc: Obj): string {
    const held = this.#held.get(key);
    const requested: string | undefined = svc.spec?.loadBalancerIP || undefined;
    if (requested) {
      if (held === requested) return held;
      if (!this.#pool.contains(requested)) throw new Error(`failed to ensure load balancer: requested loadBalancerIP ${requested} is not in the load balancer pool ${this.#pool.text}`);
      const owner = this.#pool.ownerOf(requested);
      if (owner && owner !== key) throw new Error(`failed to ensure load balancer: requested loadBalancerIP ${requested} is already used by service ${owner}`);
      this.#release(key);
      this.#pool.take(requested, key);
      this.#held.set(key, requested);
      return requested;
    }
    if (held) return held;
    // A status written before a restart (or by an earlier version of this Service) is kept when free.
    for (const ip of ingressIPs(svc)) {
      if (this.#pool.contains(ip) && this.#pool.take(ip, key)) {
        this.#held.set(key, ip);
        return ip;
      }
    }
    const ip = this.#pool.next(key);
    if (!ip) throw new Error(`failed to ensure load balancer: no free address left in the load balancer pool ${this.#pool.text}`);
    this.#held.set(key, ip);
    return ip;
  }

  async #ensure(key: string, svc: Obj, ref: Obj) {
    const ip = this.#address(key, svc);
    const ingress = svc.status?.loadBalancer?.ingress ?? [];
    const statusOK = ingress.length === 1 && ingress[0].ip === ip && ingress[0].ipMode === 'VIP' && Object.keys(ingress[0]).length === 2;
    if (statusOK && hasFinalizer(svc)) return;
    const { namespace, name } = splitKey(key);
    const services = this.#client.resource('', 'services', namespace);
    this.#recorder.event(ref, 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer');
    if (!hasFinalizer(svc)) {
      await services.patch(name, 'merge', { metadata: { finalizers: [...(svc.metadata.finalizers ?? []), LB_FINALIZER], resourceVersion: svc.metadata.resourceVersion } });
    }
    if (!statusOK) await services.patch(name, 'merge', { status: { loadBalancer: { ingress: [{ ip, ipMode: 'VIP' }] } } }, { subresource: 'status' });
    this.#recorder.event(ref, 'Normal', 'EnsuredLoadBalancer', 'Ensured load balancer');
  }
}

/** The controller with a chosen address pool. */
export function serviceLBControllerWith(opts: ServiceLBOptions): ControllerFactory {
  return (ctx) => new ServiceLBController(ctx, opts);
}

export const serviceLBController: ControllerFactory = serviceLBControllerWith({});
