// Address management for simulated nodes: node addresses (127.10.x.y), a pod CIDR per node carved
// from the cluster CIDR (as the node IPAM controller's range allocator, a /24 each), and per-node
// pod IPs handed out as CNI host-local does (round-robin from .2, .1 is the bridge, freed IPs reused).

export function ipToInt(ip: string): number {
  const p = ip.split('.');
  if (p.length !== 4) throw new Error(`invalid IPv4 address "${ip}"`);
  let n = 0;
  for (const s of p) {
    const v = Number(s);
    if (!/^\d{1,3}$/.test(s) || v > 255) throw new Error(`invalid IPv4 address "${ip}"`);
    n = n * 256 + v;
  }
  return n;
}

export function intToIp(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export interface Cidr {
  base: number;
  bits: number;
  size: number;
}

export function parseCidr(cidr: string): Cidr {
  const [ip, len] = cidr.split('/');
  const bits = Number(len);
  if (!ip || !/^\d{1,2}$/.test(len ?? '') || bits > 32) throw new Error(`invalid CIDR "${cidr}"`);
  const size = 2 ** (32 - bits);
  const base = ipToInt(ip) - (ipToInt(ip) % size);
  return { base, bits, size };
}

export function formatCidr(c: Cidr): string {
  return `${intToIp(c.base)}/${c.bits}`;
}

/** Pod IPs of one node's pod CIDR. */
export class PodIPAllocator {
  readonly cidr: string;
  #c: Cidr;
  #used: Uint8Array;
  #count = 0;
  #cursor = 1;

  constructor(cidr: string) {
    this.cidr = cidr;
    this.#c = parseCidr(cidr);
    if (this.#c.size < 4) throw new Error(`pod CIDR ${cidr} is too small`);
    this.#used = new Uint8Array(this.#c.size);
    // network address, the bridge's .1 and the broadcast address are never handed out
    this.#used[0] = 1;
    this.#used[1] = 1;
    this.#used[this.#c.size - 1] = 1;
  }

  /** How many pod IPs are in use. */
  get used(): number {
    return this.#count;
  }

  get capacity(): number {
    return this.#c.size - 3;
  }

  /** The next free IP after the last one handed out, or undefined when the range is full. */
  allocate(): string | undefined {
    const n = this.#c.size;
    for (let i = 1; i <= n; i++) {
      const off = (this.#cursor + i) % n;
      if (!this.#used[off]) {
        this.#used[off] = 1;
        this.#count++;
        this.#cursor = off;
        return intToIp(this.#c.base + off);
      }
    }
    return undefined;
  }

  /** Marks an IP as used (a pod found running after a restart); false if outside the range or taken. */
  claim(ip: string): boolean {
    const off = this.#offset(ip);
    if (off === undefined || this.#used[off]) return false;
    this.#used[off] = 1;
    this.#count++;
    return true;
  }

  release(ip: string): void {
    const off = this.#offset(ip);
    if (off === undefined || off <= 1 || off === this.#c.size - 1 || !this.#used[off]) return;
    this.#used[off] = 0;
    this.#count--;
  }

  /** Whether the IP is handed out. */
  has(ip: string): boolean {
    const off = this.#offset(ip);
    return off !== undefined && off > 1 && off < this.#c.size - 1 && this.#used[off] === 1;
  }

  contains(ip: string): boolean {
    return this.#offset(ip) !== undefined;
  }

  #offset(ip: string): number | undefined {
    let n: number;
    try {
      n = ipToInt(ip);
    } catch {
      return undefined;
    }
    const off = n - this.#c.base;
    return off >= 0 && off < this.#c.size ? off : undefined;
  }
}

/** The default cluster pod CIDR, and where simulated nodes overflow to past its 256 node ranges. */
export const DEFAULT_POD_CIDRS = ['127.244.0.0/16', '127.224.0.0/11'];

/** Node addresses and pod CIDRs; skips what existing Nodes already use. */
export class NodeNetworkAllocator {
  #ranges: { cidr: Cidr; next: number; full: boolean }[];
  #nodeBits: number;
  #nodeBase: number;
  #nodeSize: number;
  #usedCidrs = new Set<string>();
  #usedAddrs = new Set<string>();
  #nextAddr = 1;

  /**
   * @param clusterCidrs pod networks to carve, in order (default 127.244.0.0/16, then 127.224.0.0/11)
   * @param nodeMaskSize prefix length of each node's pod CIDR (default 24)
   * @param nodeAddressCidr where node addresses come from (default 127.10.0.0/16)
   */
  constructor(clusterCidrs: string | string[] = DEFAULT_POD_CIDRS, nodeMaskSize = 24, nodeAddressCidr = '127.10.0.0/16') {
    const list = typeof clusterCidrs === 'string' ? [clusterCidrs] : clusterCidrs;
    this.#ranges = list.map((c) => ({ cidr: parseCidr(c), next: 0, full: false }));
    for (const r of this.#ranges) {
      if (nodeMaskSize < r.cidr.bits || nodeMaskSize > 30) throw new Error(`node CIDR mask size ${nodeMaskSize} does not fit in ${formatCidr(r.cidr)}`);
    }
    this.#nodeBits = nodeMaskSize;
    const a = parseCidr(nodeAddressCidr);
    this.#nodeBase = a.base;
    this.#nodeSize = a.size;
  }

  /** Records what an existing Node uses. */
  remember(address: string | undefined, podCIDR: string | undefined): void {
    if (address) this.#usedAddrs.add(address);
    if (podCIDR) this.#usedCidrs.add(podCIDR);
  }

  forget(address: string | undefined, podCIDR: string | undefined): void {
    if (address) this.#usedAddrs.delete(address);
    if (podCIDR && this.#usedCidrs.delete(podCIDR)) for (const r of this.#ranges) r.full = false;
  }

  allocateCidr(): string {
    const step = 2 ** (32 - this.#nodeBits);
    for (const r of this.#ranges) {
      const count = 2 ** (this.#nodeBits - r.cidr.bits);
      // A range known to be full is skipped rather than rescanned (forget() clears the mark).
      if (r.full) continue;
      for (let i = 0; i < count; i++) {
        const idx = (r.next + i) % count;
        const cidr = `${intToIp(r.cidr.base + idx * step)}/${this.#nodeBits}`;
        if (!this.#usedCidrs.has(cidr)) {
          this.#usedCidrs.add(cidr);
          r.next = idx + 1;
          return cidr;
        }
      }
      r.full = true;
    }
    throw new Error(`no pod CIDR left in ${this.#ranges.map((r) => formatCidr(r.cidr)).join(', ')} for another /${this.#nodeBits}`);
  }

  allocateAddress(): string {
    for (let i = 0; i < this.#nodeSize; i++) {
      const off = (this.#nextAddr + i) % this.#nodeSize;
      const last = off & 255;
      if (last === 0 || last === 255) continue;
      const ip = intToIp(this.#nodeBase + off);
      if (!this.#usedAddrs.has(ip)) {
        this.#usedAddrs.add(ip);
        this.#nextAddr = off + 1;
        return ip;
      }
    }
    throw new Error('no node address left');
  }
}
