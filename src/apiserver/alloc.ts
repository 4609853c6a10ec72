// Service ClusterIP and NodePort allocation (upstream pkg/registry/core/service/ipallocator and
// portallocator): ClusterIPs come from the service CIDR (the first address is the `kubernetes`
// Service's), NodePorts from 30000-32767; a requested address or port that is taken or out of range
// is refused with the upstream field error. The allocated sets are rebuilt from the stored
// Services at start, so they need no storage of their own.
import { invalid, type FieldError } from '../machinery/errors.ts';
import type { Obj } from './types.ts';
import { formatIPv4, parseIPv4 } from '../machinery/ipv4.ts';

export class CIDR {
  readonly base: number;
  readonly bits: number;
  constructor(readonly text: string) {
    const [ip, bits] = text.split('/');
    const b = Number(bits);
    const base = parseIPv4(ip ?? '');
    if (base === undefined || !Number.isInteger(b) || b < 8 || b > 30) throw new Error(`invalid IPv4 CIDR "${text}" (a prefix between /8 and /30 is supported)`);
    this.bits = b;
    this.base = (base & (b === 0 ? 0 : (~0 << (32 - b)) >>> 0)) >>> 0;
  }
  get size(): number {
    return 2 ** (32 - this.bits);
  }
  contains(ip: number): boolean {
    return ip >= this.base && ip < this.base + this.size;
  }
  /** The n-th address of the range. */
  at(n: number): string {
    return formatIPv4(this.base + n);
  }
}

export class IPAllocator {
  readonly cidr: CIDR;
  #used = new Set<number>();
  constructor(cidr: string) {
    this.cidr = new CIDR(cidr);
  }
  /** Marks an address as taken (at start, from stored Services). */
  mark(ip: string): void {
    const n = parseIPv4(ip);
    if (n !== undefined) this.#used.add(n);
  }
  release(ip: string): void {
    const n = parseIPv4(ip);
    if (n !== undefined) this.#used.delete(n);
  }
  /** Takes a specific address, or returns the field error upstream gives. */
  allocate(ip: string, field: string, dryRun = false): FieldError | undefined {
    const n = parseIPv4(ip);
    if (n === undefined) return invalid(field, [ip], `failed to allocate IP ${ip}: invalid IP address`);
    // Network and broadcast addresses are not usable.
    if (!this.cidr.contains(n) || n === this.cidr.base || n === this.cidr.base + this.cidr.size - 1) {
      return invalid(field, [ip], `failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.cidr.text}`);
    }
    if (this.#used.has(n)) return invalid(field, [ip], `failed to allocate IP ${ip}: provided IP is already allocated`);
    if (!dryRun) this.#used.add(n);
    return undefined;
  }
  /** Takes a free address, starting from a random point (upstream picks at random). */
  next(dryRun = false): string | undefined {
    const size = this.cidr.size;
    const start = 2 + Math.floor(Math.random() * Math.max(1, size - 3));
    for (let i = 0; i < size; i++) {
      const off = ((start - 1 + i) % (size - 2)) + 1;
      const n = this.cidr.base + off;
      if (!this.#used.has(n)) {
        if (!dryRun) this.#used.add(n);
        return formatIPv4(n);
      }
    }
    return undefined;
  }
}

export class PortAllocator {
  readonly min: number;
  readonly max: number;
  #used = new Set<number>();
  constructor(range = '30000-32767') {
    const m = /^(\d+)-(\d+)$/.exec(range);
    if (!m || Number(m[1]) > Number(m[2])) throw new Error(`invalid port range "${range}"`);
    this.min = Number(m[1]);
    this.max = Number(m[2]);
  }
  mark(port: number): void {
    this.#used.add(port);
  }
  release(port: number): void {
    this.#used.delete(port);
  }
  allocate(port: number, field: string, dryRun = false): FieldError | undefined {
    if (port < this.min || port > this.max) {
      return invalid(field, port, `provided port is not in the valid range. The range of valid ports is ${this.min}-${this.max}`);
    }
    if (this.#used.has(port)) return invalid(field, port, 'provided port is already allocated');
    if (!dryRun) this.#used.add(port);
    return undefined;
  }
  next(dryRun = false): number | undefined {
    const size = this.max - this.min + 1;
    const start = Math.floor(Math.random() * size);
    for (let i = 0; i < size; i++) {
      const p = this.min + ((start + i) % size);
      if (!this.#used.has(p)) {
        if (!dryRun) this.#used.add(p);
        return p;
      }
    }
    return undefined;
  }
}

const wantsNodePorts = (svc: Obj) => svc.spec?.type === 'NodePort' || svc.spec?.type === 'LoadBalancer';

/** The Service allocation hooks: ClusterIP(s) and NodePorts on create and on type changes. */
export class ServiceAllocator {
  readonly ips: IPAllocator;
  readonly ports: PortAllocator;
  constructor(serviceCIDR: string, nodePortRange?: string) {
    this.ips = new IPAllocator(serviceCIDR);
    this.ports = new PortAllocator(nodePortRange);
  }

  /** The `kubernetes` Service's address: the first of the range. */
  get apiServerIP(): string {
    return this.ips.cidr.at(1);
  }

  /** Records what a stored Service holds. */
  remember(svc: Obj): void {
    for (const ip of svc.spec?.clusterIPs ?? (svc.spec?.clusterIP ? [svc.spec.clusterIP] : [])) if (ip && ip !== 'None') this.ips.mark(ip);
    for (const p of svc.spec?.ports ?? []) if (p.nodePort) this.ports.mark(p.nodePort);
    if (svc.spec?.healthCheckNodePort) this.ports.mark(svc.spec.healthCheckNodePort);
  }

  forget(svc: Obj): void {
    for (const ip of svc.spec?.clusterIPs ?? (svc.spec?.clusterIP ? [svc.spec.clusterIP] : [])) if (ip && ip !== 'None') this.ips.release(ip);
    for (const p of svc.spec?.ports ?? []) if (p.nodePort) this.ports.release(p.nodePort);
  }

  /** Allocates for a new Service; returns field errors (nothing is kept when there are any). */
  allocate(svc: Obj, dryRun: boolean, old?: Obj): FieldError[] {
    const spec = (svc.spec ??= {});
    const errs: FieldError[] = [];
    const taken: (() => void)[] = [];
    if (spec.type !== 'ExternalName') {
      const oldIP = old?.spec?.clusterIP;
      if (oldIP && oldIP !== 'None' && old?.spec?.type !== 'ExternalName') {
        spec.clusterIP ??= oldIP;
      } else if (spec.clusterIP === 'None') {
        spec.clusterIPs = ['None'];
      } else if (spec.clusterIP) {
        const e = this.ips.allocate(spec.clusterIP, 'spec.clusterIPs', dryRun);
        if (e) errs.push(e);
        else taken.push(() => this.ips.release(spec.clusterIP));
      } else {
        const ip = this.ips.next(dryRun);
        if (!ip) errs.push(invalid('spec.clusterIPs', [], 'failed to allocate IP: range is full'));
        else {
          spec.clusterIP = ip;
          taken.push(() => this.ips.release(ip));
        }
      }
      if (spec.clusterIP && spec.clusterIP !== 'None') {
        spec.clusterIPs = [spec.clusterIP];
        spec.ipFamilies ??= ['IPv4'];
        spec.ipFamilyPolicy ??= 'SingleStack';
      } else if (spec.clusterIP === 'None') {
        spec.ipFamilies ??= ['IPv4'];
        spec.ipFamilyPolicy ??= 'SingleStack';
      }
    }
    if (wantsNodePorts(svc)) {
      const oldPorts = new Map<string, number>();
      for (const p of old?.spec?.ports ?? []) if (p.nodePort) oldPorts.set(`${p.port}/${p.protocol ?? 'TCP'}`, p.nodePort);
      (spec.ports ?? []).forEach((p: Obj, i: number) => {
        const field = `spec.ports[${i}].nodePort`;
        const prev = oldPorts.get(`${p.port}/${p.protocol ?? 'TCP'}`);
        if (p.nodePort && p.nodePort === prev) return;
        if (p.nodePort) {
          const e = this.ports.allocate(p.nodePort, field, dryRun);
          if (e) errs.push(e);
          else taken.push(() => this.ports.release(p.nodePort));
        } else if (prev) {
          p.nodePort = prev;
        } else {
          const n = this.ports.next(dryRun);
          if (n === undefined) errs.push(invalid(field, 0, 'range is full'));
          else {
            p.nodePort = n;
            taken.push(() => this.ports.release(n));
          }
        }
      });
    } else {
      for (const p of spec.ports ?? []) {
        if (p.nodePort && old) delete p.nodePort;
      }
    }
    if (errs.length && !dryRun) for (const undo of taken) undo();
    return errs;
  }
}
