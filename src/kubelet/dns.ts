// A pod's /etc/resolv.conf as the kubelet's DNS configurer writes it (pkg/kubelet/network/dns):
// ClusterFirst → the cluster DNS server with `<ns>.svc.<domain> svc.<domain> <domain>` searches and
// ndots:5; Default → the host's resolv.conf; None → only spec.dnsConfig; dnsConfig merged on top.
import { readFileSync } from 'node:fs';
import type { Obj } from '../client/types.ts';

export interface ResolvConf {
  nameservers: string[];
  searches: string[];
  options: string[];
}

/** Parses resolv.conf text (nameserver, search/domain, options lines). */
export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { nameservers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) out.nameservers.push(rest[0]);
    else if (key === 'search') out.searches = rest;
    else if (key === 'domain' && rest[0]) out.searches = [rest[0]];
    else if (key === 'options') out.options.push(...rest);
  }
  return out;
}

export function formatResolvConf(c: ResolvConf): string {
  let s = '';
  if (c.searches.length) s += `search ${c.searches.join(' ')}\n`;
  for (const n of c.nameservers) s += `nameserver ${n}\n`;
  if (c.options.length) s += `options ${c.options.join(' ')}\n`;
  return s;
}

let hostConf: ResolvConf | undefined;
/** The host's resolver configuration (read once). */
export function hostResolvConf(path = '/etc/resolv.conf'): ResolvConf {
  if (path !== '/etc/resolv.conf') return readConf(path);
  hostConf ??= readConf(path);
  return hostConf;
}

function readConf(path: string): ResolvConf {
  try {
    return parseResolvConf(readFileSync(path, 'utf8'));
  } catch {
    return { nameservers: [], searches: [], options: [] };
  }
}

const MAX_SEARCHES = 32;
const MAX_NAMESERVERS = 3;

function uniq(a: string[]): string[] {
  return [...new Set(a)];
}

/** Merges options by name, later values winning (`ndots:5` then `ndots:2` → `ndots:2`). */
function mergeOptions(base: string[], extra: Obj[]): string[] {
  const m = new Map<string, string>();
  for (const o of base) m.set(o.split(':')[0]!, o);
  for (const o of extra) if (o?.name) m.set(o.name, o.value !== undefined && o.value !== null && o.value !== '' ? `${o.name}:${o.value}` : o.name);
  return [...m.values()];
}

/**
 * The resolver configuration of a pod. `clusterDNS` empty with ClusterFirst falls back to the
 * host's (the kubelet does so and records MissingClusterDNS).
 */
export function podResolvConf(pod: Obj, opts: { clusterDNS?: string; clusterDomain?: string; host?: ResolvConf }): ResolvConf & { missingClusterDNS?: boolean } {
  const spec = pod.spec ?? {};
  const host = opts.host ?? hostResolvConf();
  const domain = opts.clusterDomain ?? 'cluster.local';
  let policy: string = spec.dnsPolicy ?? 'ClusterFirst';
  if (policy === 'ClusterFirst' && spec.hostNetwork) policy = 'Default';
  if (policy === 'ClusterFirstWithHostNet') policy = 'ClusterFirst';
  let missingClusterDNS = false;
  if (policy === 'ClusterFirst' && !opts.clusterDNS) {
    policy = 'Default';
    missingClusterDNS = true;
  }
  let c: ResolvConf;
  if (policy === 'None') c = { nameservers: [], searches: [], options: [] };
  else if (policy === 'Default') c = { nameservers: [...host.nameservers], searches: [...host.searches], options: [...host.options] };
  else {
    const ns: string = pod.metadata?.namespace ?? 'default';
    c = {
      nameservers: [opts.clusterDNS!],
      searches: [`${ns}.svc.${domain}`, `svc.${domain}`, domain, ...host.searches],
      options: ['ndots:5'],
    };
  }
  const dc = spec.dnsConfig;
  if (dc) {
    c.nameservers.push(...(dc.nameservers ?? []));
    c.searches.push(...(dc.searches ?? []));
    c.options = mergeOptions(c.options, dc.options ?? []);
  }
  c.nameservers = uniq(c.nameservers).slice(0, MAX_NAMESERVERS);
  c.searches = uniq(c.searches).slice(0, MAX_SEARCHES);
  return missingClusterDNS ? { ...c, missingClusterDNS } : c;
}
