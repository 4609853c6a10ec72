// A pod's /etc/resolv.conf as the kubelet forms it (pkg/kubelet/network/dns): dnsPolicy
// ClusterFirst (cluster DNS, the namespace search path, ndots:5), ClusterFirstWithHostNet,
// Default (the node's resolv.conf) and None, each merged with the pod's dnsConfig and cut to the
// limits (3 nameservers, 32 search domains, 2048 characters).
import { readFileSync } from 'node:fs';

export interface HostResolvConf {
  nameservers: string[];
  searches: string[];
  options: string[];
}

/** Parses resolv.conf text as the kubelet does: nameservers accumulate, the last search and options lines win. */
export function parseResolvConf(text: string): HostResolvConf {
  const out: HostResolvConf = { nameservers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || line.startsWith(';')) continue;
    const f = line.split(/\s+/).filter(Boolean);
    if (f.length === 0) continue;
    if (f[0] === 'nameserver' && f[1]) out.nameservers.push(f[1]);
    else if (f[0] === 'search') out.searches = f.slice(1).map((s) => (s.endsWith('.') ? s.slice(0, -1) : s));
    else if (f[0] === 'options') out.options = f.slice(1);
  }
  return out;
}

/** The host's resolver configuration (empty when the file cannot be read). */
export function readHostResolvConf(path = '/etc/resolv.conf'): HostResolvConf {
  try {
    return parseResolvConf(readFileSync(path, 'utf8'));
  } catch {
    return { nameservers: [], searches: [], options: [] };
  }
}

export interface PodDNSConfig {
  nameservers?: string[];
  searches?: string[];
  options?: { name?: string; value?: string }[];
}

export interface ResolvConfOptions {
  /** The pod's spec.dnsPolicy (default ClusterFirst). */
  dnsPolicy?: 'ClusterFirst' | 'ClusterFirstWithHostNet' | 'Default' | 'None' | string;
  dnsConfig?: PodDNSConfig;
  hostNetwork?: boolean;
  /** The kubelet's --cluster-dns (default 127.96.0.10). */
  clusterDNS?: string[];
  /** The kubelet's --cluster-domain (default cluster.local). */
  clusterDomain?: string;
  /** The node's resolver configuration (default: read /etc/resolv.conf). */
  host?: HostResolvConf;
  /** Hears the kubelet's DNSConfigForming warnings (limits exceeded). */
  warn?: (message: string) => void;
}

export interface PodDNS {
  nameservers: string[];
  searches: string[];
  options: string[];
  /** The file's content. */
  text: string;
}

const MAX_NAMESERVERS = 3;
const MAX_SEARCH_PATHS = 32;
const MAX_SEARCH_CHARS = 2048;

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

function mergeOptions(existing: string[], extra: { name?: string; value?: string }[]): string[] {
  const m = new Map<string, string>();
  for (const op of existing) {
    const i = op.indexOf(':');
    if (i >= 0) m.set(op.slice(0, i), op.slice(i + 1));
    else m.set(op, '');
  }
  for (const op of extra) if (op.name) m.set(op.name, op.value ?? '');
  return [...m].map(([k, v]) => (v ? `${k}:${v}` : k));
}

/** The resolver settings the kubelet gives a pod in `namespace`, and the resolv.conf text. */
export function podDNS(namespace: string, opts: ResolvConfOptions = {}): PodDNS {
  const host = opts.host ?? readHostResolvConf();
  const domain = opts.clusterDomain ?? 'cluster.local';
  const clusterDNS = opts.clusterDNS ?? ['127.96.0.10'];
  let policy = opts.dnsPolicy || 'ClusterFirst';
  if (policy === 'ClusterFirst' && opts.hostNetwork) policy = 'Default';
  if (policy === 'ClusterFirst' && clusterDNS.length === 0) {
    opts.warn?.(`kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.`);
    policy = 'Default';
  }
  let nameservers: string[];
  let searches: string[];
  let options: string[];
  if (policy === 'None') {
    nameservers = [];
    searches = [];
    options = [];
  } else if (policy === 'ClusterFirst' || policy === 'ClusterFirstWithHostNet') {
    nameservers = [...clusterDNS];
    searches = domain ? unique([`${namespace}.svc.${domain}`, `svc.${domain}`, domain, ...host.searches]) : [...host.searches];
    options = ['ndots:5'];
  } else {
    nameservers = [...host.nameservers];
    searches = [...host.searches];
    options = [...host.options];
  }
  const c = opts.dnsConfig;
  if (c) {
    nameservers = unique([...nameservers, ...(c.nameservers ?? [])]);
    searches = unique([...searches, ...(c.searches ?? [])]);
    options = mergeOptions(options, c.options ?? []);
  }
  if (nameservers.length > MAX_NAMESERVERS) {
    nameservers = nameservers.slice(0, MAX_NAMESERVERS);
    opts.warn?.(`Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${nameservers.join(' ')}`);
  }
  let cut = false;
  if (searches.length > MAX_SEARCH_PATHS) {
    searches = searches.slice(0, MAX_SEARCH_PATHS);
    cut = true;
  }
  const fit = searches.filter((s) => s.length <= 253);
  if (fit.length !== searches.length) cut = true;
  searches = fit;
  while (searches.join(' ').length > MAX_SEARCH_CHARS) {
    searches = searches.slice(0, -1);
    cut = true;
  }
  if (cut) opts.warn?.(`Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${searches.join(' ')}`);
  // The layout containerd writes for a sandbox.
  let text = '';
  if (searches.length) text += `search ${searches.join(' ')}\n`;
  for (const ns of nameservers) text += `nameserver ${ns}\n`;
  if (options.length) text += `options ${options.join(' ')}\n`;
  return { nameservers, searches, options, text };
}

/** A pod's resolv.conf content (see podDNS). */
export function resolvConf(namespace: string, opts: ResolvConfOptions = {}): string {
  return podDNS(namespace, opts).text;
}
