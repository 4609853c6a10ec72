// API server authorized IP ranges (AKS `--api-server-authorized-ip-ranges`): when ranges are set,
// connections from other addresses are dropped as they are accepted, before any TLS handshake or
// HTTP byte; an empty list means no restriction. Up to 200 ranges, IPv4 CIDRs or single addresses
// (AKS does not take IPv6 ranges). `set()` takes effect for the next connection: no restart.
//
// Loopback gets no exception (AKS gives none either): 127.0.0.1 connects only when a range covers
// it. Components Skiff hosts in-process do not use sockets and are unaffected; addresses that must
// always get in (AKS adds the cluster's own outbound IP, Skiff's joined nodes) go in `alwaysAllow`,
// which does not count toward the limit.
import { BlockList, isIPv4, type Server, type Socket } from 'node:net';

export const MAX_AUTHORIZED_IP_RANGES = 200;

export class InvalidIPRangeError extends Error {
  override name = 'InvalidIPRangeError';
  readonly code = 'InvalidParameter';
}

interface Compiled {
  list: BlockList;
  cidrs: string[];
}

export class AuthorizedIPRanges {
  #ranges: Compiled | undefined;
  #always: Compiled | undefined;
  #dropped = 0;

  constructor(cidrs: string[] = [], opts: { alwaysAllow?: string[] } = {}) {
    this.set(cidrs);
    if (opts.alwaysAllow?.length) this.#always = compile(opts.alwaysAllow, Infinity);
  }

  /** Replaces the ranges (validated first; on error nothing changes). Empty: everyone may connect. */
  set(cidrs: string[]): void {
    this.#ranges = cidrs.length ? compile(cidrs, MAX_AUTHORIZED_IP_RANGES) : undefined;
  }

  /** Replaces the addresses let in regardless of the ranges. */
  setAlwaysAllow(cidrs: string[]): void {
    this.#always = cidrs.length ? compile(cidrs, Infinity) : undefined;
  }

  /** The ranges as given, normalized to CIDR form. */
  get ranges(): string[] {
    return this.#ranges ? [...this.#ranges.cidrs] : [];
  }

  /** Connections dropped so far. */
  get dropped(): number {
    return this.#dropped;
  }

  allows(remoteAddress: string | undefined): boolean {
    const r = this.#ranges;
    if (!r) return true;
    if (!remoteAddress) return false;
    const v4 = toIPv4(remoteAddress);
    if (!v4) return false;
    return r.list.check(v4, 'ipv4') || (this.#always?.list.check(v4, 'ipv4') ?? false);
  }

  /**
   * Drops disallowed connections of a net, http, https or tls server as they are accepted. The
   * listener runs before the server's own, so a TLS server never starts a handshake with them.
   */
  attach(server: Server): () => void {
    const onConnection = (socket: Socket) => {
      if (this.allows(socket.remoteAddress)) return;
      this.#dropped++;
      socket.destroy();
    };
    server.prependListener('connection', onConnection);
    return () => void server.removeListener('connection', onConnection);
  }
}

/** An IPv4 address, or the IPv4 inside an IPv4-mapped IPv6 address; undefined for other IPv6. */
function toIPv4(addr: string): string | undefined {
  if (isIPv4(addr)) return addr;
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  return m && isIPv4(m[1]!) ? m[1] : undefined;
}

function compile(cidrs: string[], max: number): Compiled {
  if (cidrs.length > max) throw new InvalidIPRangeError(`the number of authorized IP ranges (${cidrs.length}) exceeds the maximum of ${max}`);
  const list = new BlockList();
  const out: string[] = [];
  for (const raw of cidrs) {
    const c = raw.trim();
    const m = /^([^/]+)(?:\/(\d{1,2}))?$/.exec(c);
    const ip = m?.[1] ?? '';
    if (!m || !isIPv4(ip) || ip.split('.').some((o) => o.length > 1 && o.startsWith('0'))) {
      throw new InvalidIPRangeError(`invalid authorized IP range "${raw}": expected an IPv4 address or CIDR such as 203.0.113.0/24`);
    }
    const prefix = m[2] === undefined ? 32 : Number(m[2]);
    if (prefix > 32) throw new InvalidIPRangeError(`invalid authorized IP range "${raw}": prefix length must be 0-32`);
    const network = maskIPv4(ip, prefix);
    list.addSubnet(network, prefix, 'ipv4');
    out.push(`${network}/${prefix}`);
  }
  return { list, cidrs: out };
}

function maskIPv4(ip: string, prefix: number): string {
  const n = ip.split('.').reduce((a, o) => (a << 8) | Number(o), 0) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const v = (n & mask) >>> 0;
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}
