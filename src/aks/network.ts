// AKS's network profile rules: plugins kubenet/azure/none, podCidr/serviceCidr/dnsServiceIP
// (the DNS IP lies inside the service CIDR and is not its first address, the CIDRs do not overlap),
// max-pods ranges per plugin, and the loopback ranges Skiff gives each managed cluster's data plane;
// explicit ranges outside loopback are served in the cluster's own network namespace (its VNet).
import { ERROR_CODES, MAX_PODS } from './data/catalog.ts';
import { ArmError } from './arm/errors.ts';
import { isRoot } from '../cluster/netns.ts';
import { formatIPv4, parseIPv4 } from '../machinery/ipv4.ts';

export interface Cidr {
  base: number;
  bits: number;
}

export function parseCidr(s: string): Cidr | undefined {
  const [ip, len] = s.split('/');
  const base = ip === undefined ? undefined : parseIPv4(ip);
  const bits = Number(len);
  if (base === undefined || len === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return undefined;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (base & mask) >>> 0, bits };
}

function size(c: Cidr): number {
  return 2 ** (32 - c.bits);
}

export function contains(c: Cidr, ip: number): boolean {
  return ip >= c.base && ip < c.base + size(c);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

function isLoopback(c: Cidr): boolean {
  return c.bits >= 8 && c.base >>> 24 === 127;
}

export interface NetworkProfile {
  networkPlugin: 'kubenet' | 'azure' | 'none';
  networkPluginMode?: string;
  podCidr?: string;
  serviceCidr: string;
  dnsServiceIP: string;
  [k: string]: unknown;
}

function invalid(param: string, why: string): ArmError {
  return new ArmError(400, ERROR_CODES.invalidParameter, `The value of parameter ${param} is invalid. ${why}`, param);
}

/** Loopback ranges for the managed cluster in `slot` (0..23), disjoint from the default cluster's. */
export function loopbackRanges(slot: number): { nodeCidr: string; podCidr: string; serviceCidr: string; dnsServiceIP: string } {
  if (slot < 0 || slot > 23) throw new ArmError(409, ERROR_CODES.quota, 'This service hosts at most 24 managed clusters on loopback addresses; delete one first.');
  return {
    nodeCidr: `127.${32 + slot}.0.0/16`,
    podCidr: `127.${128 + slot * 4}.0.0/14`,
    serviceCidr: `127.${64 + slot}.0.0/16`,
    dnsServiceIP: `127.${64 + slot}.0.10`,
  };
}

/** Whether a stored network profile puts the cluster in its own network namespace (any range outside 127.0.0.0/8). */
export function isVNetProfile(np: { podCidr?: string; serviceCidr?: string }): boolean {
  return [np.podCidr, np.serviceCidr].some((c) => {
    const p = c ? parseCidr(c) : undefined;
    return p !== undefined && !isLoopback(p);
  });
}

/** AKS's node subnet for kubenet clusters (10.224.0.0/16 of the 10.224.0.0/12 VNet), else the first free candidate. */
const VNET_NODE_CANDIDATES = ['10.224.0.0/16', '10.225.0.0/16', '172.16.0.0/16', '192.168.0.0/16', '100.64.0.0/16'];

/**
 * A VNet cluster's node range and the `kubernetes` endpoint address in it: AKS's node subnet
 * unless the pod or service CIDR overlaps it. The endpoint is the range's last usable address
 * but one (nodes are numbered from the bottom).
 */
export function vnetRanges(np: { podCidr?: string; serviceCidr: string }): { nodeCidr: string; apiAddress: string } {
  const taken = [np.podCidr, np.serviceCidr].map((c) => (c ? parseCidr(c) : undefined)).filter((c): c is Cidr => !!c);
  for (const cand of VNET_NODE_CANDIDATES) {
    const c = parseCidr(cand)!;
    if (!taken.some((t) => overlaps(t, c))) return { nodeCidr: cand, apiAddress: formatIPv4(c.base + size(c) - 2) };
  }
  throw invalid('networkProfile', 'The pod and service CIDRs leave no room for the node subnet (tried 10.224.0.0/16, 10.225.0.0/16, 172.16.0.0/16, 192.168.0.0/16, 100.64.0.0/16).');
}

/** The cluster's node range: its loopback slot's, or its VNet's. */
export function nodeCidrOf(np: { podCidr?: string; serviceCidr: string }, slot: number): string {
  return isVNetProfile(np) ? vnetRanges(np).nodeCidr : loopbackRanges(slot).nodeCidr;
}

export interface ResolveOptions {
  /** Whether this service may create network namespaces (default: effective uid 0). */
  isRoot?: () => boolean;
}

/**
 * Validates and completes a network profile for a new cluster; with no explicit ranges the
 * cluster's loopback ranges are used; explicit ranges outside 127.0.0.0/8 get a VNet (a network
 * namespace, root only). Throws ArmError (nothing has been made yet).
 */
export function resolveNetworkProfile(input: Record<string, any> | undefined, slot: number, opts: ResolveOptions = {}): NetworkProfile & { nodeCidr: string } {
  const p = { ...(input ?? {}) };
  const plugin = (p.networkPlugin ?? 'kubenet') as string;
  if (!['kubenet', 'azure', 'none'].includes(plugin)) {
    throw invalid('networkProfile.networkPlugin', `Supported values are 'kubenet', 'azure' and 'none', got '${plugin}'.`);
  }
  const overlay = plugin === 'azure' && String(p.networkPluginMode ?? '').toLowerCase() === 'overlay';
  const loop = loopbackRanges(slot);
  const explicit = p.serviceCidr !== undefined || p.dnsServiceIP !== undefined || p.podCidr !== undefined;
  const serviceCidr = (p.serviceCidr ?? (explicit ? '10.0.0.0/16' : loop.serviceCidr)) as string;
  const dnsServiceIP = (p.dnsServiceIP ?? (p.serviceCidr === undefined ? (explicit ? '10.0.0.10' : loop.dnsServiceIP) : undefined)) as string | undefined;
  const usesPodCidr = plugin === 'kubenet' || overlay || plugin === 'none';
  const podCidr = usesPodCidr ? ((p.podCidr ?? (explicit ? '10.244.0.0/16' : loop.podCidr)) as string) : undefined;
  if (!usesPodCidr && p.podCidr !== undefined) throw invalid('networkProfile.podCidr', `podCidr can not be set with networkPlugin 'azure' unless networkPluginMode is 'overlay'.`);
  const svc = parseCidr(serviceCidr);
  if (!svc) throw invalid('networkProfile.serviceCidr', `'${serviceCidr}' is not a valid CIDR.`);
  if (svc.bits > 28) throw invalid('networkProfile.serviceCidr', `The service CIDR ${serviceCidr} is too small; use a prefix of /28 or larger.`);
  if (dnsServiceIP === undefined) throw invalid('networkProfile.dnsServiceIP', 'dnsServiceIP is required when serviceCidr is set.');
  const dns = parseIPv4(dnsServiceIP);
  if (dns === undefined) throw invalid('networkProfile.dnsServiceIP', `'${dnsServiceIP}' is not a valid IPv4 address.`);
  if (!contains(svc, dns)) throw invalid('networkProfile.dnsServiceIP', `The DNS service IP ${dnsServiceIP} must be within the service CIDR ${serviceCidr}.`);
  if (dns === svc.base || dns === svc.base + 1) {
    throw invalid('networkProfile.dnsServiceIP', `The DNS service IP ${dnsServiceIP} must not be the network address or the first address of the service CIDR ${serviceCidr} (that one is the kubernetes Service's).`);
  }
  if (dns === svc.base + size(svc) - 1) throw invalid('networkProfile.dnsServiceIP', `The DNS service IP ${dnsServiceIP} must not be the broadcast address of ${serviceCidr}.`);
  let pod: Cidr | undefined;
  if (podCidr !== undefined) {
    pod = parseCidr(podCidr);
    if (!pod) throw invalid('networkProfile.podCidr', `'${podCidr}' is not a valid CIDR.`);
    if (overlaps(pod, svc)) throw invalid('networkProfile.podCidr', `The pod CIDR ${podCidr} overlaps the service CIDR ${serviceCidr}; they must not overlap.`);
  }
  const allLoopback = isLoopback(svc) && (!pod || isLoopback(pod));
  let nodeCidrText = loop.nodeCidr;
  if (allLoopback) {
    const nodeCidr = parseCidr(loop.nodeCidr)!;
    for (const [name, c] of [['serviceCidr', svc], ['podCidr', pod]] as const) {
      if (c && overlaps(c, nodeCidr)) throw invalid(`networkProfile.${name}`, `The ${name} overlaps the cluster's node address range ${loop.nodeCidr}.`);
      if (c && overlaps(c, DEFAULT_CLUSTER_RANGE)) throw invalid(`networkProfile.${name}`, `The ${name} overlaps the address ranges of the default Skiff cluster (127.0.0.0/9 is taken by it, below 127.32.0.0).`);
    }
  } else {
    const root = opts.isRoot ?? isRoot;
    if (!root()) {
      const uid = typeof process.geteuid === 'function' ? process.geteuid() : undefined;
      throw new ArmError(
        400,
        ERROR_CODES.unsupportedNetwork,
        `The ranges ${[podCidr, serviceCidr].filter(Boolean).join(', ')} lie outside loopback (127.0.0.0/8): Skiff serves such a cluster inside its own network namespace (its VNet), which it creates on this machine, and that needs root; this management service runs ${uid === undefined ? 'without root' : `as uid ${uid}`}. Run it as root (sudo skiff up), or leave podCidr/serviceCidr/dnsServiceIP unset (Skiff picks free 127.x ranges) or choose ranges inside 127.0.0.0/8.`,
        'networkProfile',
      );
    }
    nodeCidrText = vnetRanges({ ...(podCidr ? { podCidr } : {}), serviceCidr }).nodeCidr;
  }
  const out: NetworkProfile & { nodeCidr: string } = {
    ...p,
    networkPlugin: plugin as NetworkProfile['networkPlugin'],
    serviceCidr,
    dnsServiceIP,
    serviceCidrs: [serviceCidr],
    outboundType: p.outboundType ?? 'loadBalancer',
    loadBalancerSku: p.loadBalancerSku ?? 'standard',
    ipFamilies: ['IPv4'],
    nodeCidr: nodeCidrText,
  };
  if (podCidr !== undefined) Object.assign(out, { podCidr, podCidrs: [podCidr] });
  return out;
}

/** 127.0.0.0/11 holds the default cluster's nodes (127.10/16) and LoadBalancer addresses (127.20/16). */
const DEFAULT_CLUSTER_RANGE: Cidr = { base: parseIPv4('127.0.0.0')!, bits: 11 };

/** The network profile cannot change after creation (AKS refuses any change of the CIDRs or plugin). */
export function checkNetworkUnchanged(old: Record<string, any>, next: Record<string, any> | undefined): void {
  if (!next) return;
  for (const k of ['networkPlugin', 'podCidr', 'serviceCidr', 'dnsServiceIP']) {
    if (next[k] !== undefined && next[k] !== old[k]) {
      throw new ArmError(400, ERROR_CODES.operationNotAllowed, `Changing property 'networkProfile.${k}' is not allowed: the network profile of a cluster can not change after creation.`, `networkProfile.${k}`);
    }
  }
}

export function maxPodsDefault(plugin: string, mode?: string): number {
  if (plugin === 'azure') return String(mode ?? '').toLowerCase() === 'overlay' ? MAX_PODS.defaults.overlay : MAX_PODS.defaults.azure;
  return plugin === 'none' ? MAX_PODS.defaults.none : MAX_PODS.defaults.kubenet;
}

/** kubenet allows 10–250 pods per node (110 default), Azure CNI 10–250 (30), overlay 10–250 (250). */
export function checkMaxPods(maxPods: number, pool: string, plugin: string): void {
  const max = plugin === 'kubenet' ? 250 : MAX_PODS.max;
  if (!Number.isInteger(maxPods) || maxPods < MAX_PODS.min || maxPods > max) {
    throw new ArmError(
      400,
      ERROR_CODES.invalidParameter,
      `The value of parameter agentPoolProfile.maxPods is invalid. Agent pool '${pool}': maxPods ${maxPods} is out of range; with network plugin ${plugin} it must be between ${MAX_PODS.min} and ${max}.`,
      'agentPoolProfile.maxPods',
    );
  }
}
