// The Corefile subset the cluster DNS honours (CoreDNS's configuration language, as the `coredns`
// ConfigMap in kube-system holds it), with AKS's `coredns-custom` ConfigMap: its `*.override` keys
// are imported into the main server block and its `*.server` keys add server blocks.
//
// Honoured: server blocks by zone (port absent or 53); `kubernetes [ZONES] { pods
// insecure|verified|disabled; fallthrough [ZONES]; ttl N; endpoint_pod_names; namespaces NS... }`;
// `forward FROM TO... { except NAMES...; policy random|round_robin|sequential; force_tcp }` with TO
// an IP[:port], dns://IP[:port] or a resolv.conf path; `cache [TTL]`; `hosts [FILE] [ZONES] {
// IP NAME...; ttl N; no_reverse; fallthrough [ZONES] }`; `rewrite [continue|stop] name
// [exact|prefix|suffix|substring|regex] FROM TO [answer auto | answer name FROM TO]` and its block
// form; `import`. Accepted and ignored: errors, log, health, ready, prometheus, loop, reload,
// loadbalance, bufsize, debug, whoami, any. Anything else is reported as unsupported and skipped.
import { readFileSync } from 'node:fs';
import { parseResolvConf } from './resolvconf.ts';

export interface Directive {
  name: string;
  args: string[];
  block: Directive[];
  line: number;
}

export interface ServerBlockSource {
  keys: string[];
  directives: Directive[];
}

export class CorefileError extends Error {
  readonly code = 'ECOREFILE';
}

// --- syntax -----------------------------------------------------------------------------------

interface Token {
  text: string;
  line: number;
  quoted: boolean;
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      out.push({ text: '\n', line, quoted: false });
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') i++;
    else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '"') {
      let s = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && text[i + 1] === '"') i++;
        if (text[i] === '\n') line++;
        s += text[i++];
      }
      i++;
      out.push({ text: s, line, quoted: true });
    } else if ((c === '{' || c === '}') && (i + 1 >= text.length || /\s/.test(text[i + 1]!))) {
      out.push({ text: c, line, quoted: false });
      i++;
    } else {
      let s = '';
      while (i < text.length && !/\s/.test(text[i]!)) s += text[i++];
      out.push({ text: s, line, quoted: false });
    }
  }
  return out;
}

function isOpen(t: Token | undefined) {
  return !!t && !t.quoted && t.text === '{';
}
function isClose(t: Token | undefined) {
  return !!t && !t.quoted && t.text === '}';
}

/** Reads directives until the closing brace (or the end, at top level). */
function parseDirectives(tokens: Token[], pos: { i: number }, nested: boolean): Directive[] {
  const out: Directive[] = [];
  while (pos.i < tokens.length) {
    const t = tokens[pos.i]!;
    if (t.text === '\n' && !t.quoted) {
      pos.i++;
      continue;
    }
    if (isClose(t)) {
      if (!nested) throw new CorefileError(`line ${t.line}: unexpected '}'`);
      pos.i++;
      return out;
    }
    const d: Directive = { name: t.text, args: [], block: [], line: t.line };
    pos.i++;
    while (pos.i < tokens.length && !(tokens[pos.i]!.text === '\n' && !tokens[pos.i]!.quoted)) {
      const a = tokens[pos.i]!;
      if (isOpen(a)) {
        pos.i++;
        d.block = parseDirectives(tokens, pos, true);
        break;
      }
      if (isClose(a)) break;
      d.args.push(a.text);
      pos.i++;
    }
    out.push(d);
  }
  if (nested) throw new CorefileError('missing closing brace');
  return out;
}

/** Parses a Corefile into server blocks (keys and directives) and top-level imports. */
export function parseCorefile(text: string): { blocks: ServerBlockSource[]; imports: string[] } {
  const tokens = tokenize(text);
  const pos = { i: 0 };
  const blocks: ServerBlockSource[] = [];
  const imports: string[] = [];
  while (pos.i < tokens.length) {
    const t = tokens[pos.i]!;
    if (t.text === '\n' && !t.quoted) {
      pos.i++;
      continue;
    }
    const keys: string[] = [];
    while (pos.i < tokens.length && !isOpen(tokens[pos.i]) && !(tokens[pos.i]!.text === '\n' && !tokens[pos.i]!.quoted)) keys.push(tokens[pos.i++]!.text);
    if (keys[0] === 'import') {
      imports.push(...keys.slice(1));
      continue;
    }
    while (pos.i < tokens.length && tokens[pos.i]!.text === '\n') pos.i++;
    if (!isOpen(tokens[pos.i])) throw new CorefileError(`line ${t.line}: server block "${keys.join(' ')}" has no '{'`);
    pos.i++;
    blocks.push({ keys: keys.map((k) => k.replace(/,$/, '')), directives: parseDirectives(tokens, pos, true) });
  }
  return { blocks, imports };
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

/** The coredns-custom keys an import pattern such as `custom/*.override` names, sorted as a glob would be. */
function importedKeys(pattern: string, custom: Record<string, string>): string[] {
  const base = pattern.slice(pattern.lastIndexOf('/') + 1);
  if (!pattern.startsWith('custom/') && pattern.includes('/')) return [];
  const re = globToRegExp(base);
  return Object.keys(custom).filter((k) => re.test(k)).sort();
}

// --- meaning ----------------------------------------------------------------------------------

export interface KubernetesConfig {
  zones: string[];
  pods: 'disabled' | 'insecure' | 'verified';
  /** null: no fallthrough; []: for every zone. */
  fallthrough: string[] | null;
  ttl: number;
  endpointPodNames: boolean;
  namespaces: string[];
}

export interface Upstream {
  host: string;
  port: number;
}

export interface ForwardConfig {
  from: string;
  /** Upstreams; `resolv` marks the host's resolvers (forward . /etc/resolv.conf). */
  to: (Upstream | 'resolv')[];
  except: string[];
  policy: 'random' | 'round_robin' | 'sequential';
  forceTcp: boolean;
}

export interface HostsConfig {
  zones: string[];
  byName: Map<string, string[]>;
  byAddr: Map<string, string[]>;
  ttl: number;
  fallthrough: string[] | null;
}

export interface RewriteRule {
  stop: boolean;
  match: 'exact' | 'prefix' | 'suffix' | 'substring' | 'regex';
  from: string;
  to: string;
  regex?: RegExp;
  /** How answer names go back: auto (the reverse of the rule) or a regex rule. */
  answer?: { auto: true } | { regex: RegExp; to: string };
}

export interface CacheConfig {
  ttl: number;
  zones: string[];
}

export interface ServerConfig {
  zones: string[];
  kubernetes?: KubernetesConfig;
  forward?: ForwardConfig;
  hosts?: HostsConfig;
  cache?: CacheConfig;
  rewrites: RewriteRule[];
}

export interface DNSConfig {
  servers: ServerConfig[];
  warnings: string[];
}

/** Lower-case, without the trailing dot; the root is ''. */
export function normalizeName(name: string): string {
  let n = name.toLowerCase();
  if (n.endsWith('.')) n = n.slice(0, -1);
  return n;
}

/** Whether `name` is `zone` or below it ('' is the root and holds every name). */
export function inZone(name: string, zone: string): boolean {
  return zone === '' || name === zone || (name.length > zone.length && name.endsWith(zone) && name[name.length - zone.length - 1] === '.');
}

function parseKey(key: string): { zone: string; port: number | undefined } {
  let k = key.replace(/^dns:\/\//, '');
  let port: number | undefined;
  const i = k.lastIndexOf(':');
  if (i >= 0) {
    port = Number(k.slice(i + 1));
    k = k.slice(0, i);
  }
  return { zone: normalizeName(k === '.' ? '' : k), port };
}

function zoneArgs(args: string[]): string[] {
  return args.map((a) => normalizeName(a === '.' ? '' : a));
}

function parseUpstream(s: string): Upstream | 'resolv' | undefined {
  if (s.startsWith('/')) return 'resolv';
  const v = s.replace(/^dns:\/\//, '');
  const m = /^\[?([0-9a-fA-F:.]+?)\]?(?::(\d+))?$/.exec(v);
  if (!m || !/^\d+\.\d+\.\d+\.\d+$/.test(m[1]!)) return undefined;
  return { host: m[1]!, port: m[2] ? Number(m[2]) : 53 };
}

const IGNORED = new Set(['errors', 'log', 'health', 'ready', 'prometheus', 'loop', 'reload', 'loadbalance', 'bufsize', 'debug', 'whoami', 'any', 'cancel', 'nsid', 'minimal']);

function compileRewrite(d: Directive, warn: (m: string) => void): RewriteRule[] {
  let args = [...d.args];
  let stop = true;
  if (args[0] === 'continue' || args[0] === 'stop') {
    stop = args[0] === 'stop';
    args = args.slice(1);
  }
  const lines: string[][] = args.length ? [args] : d.block.map((b) => [b.name, ...b.args]);
  const rules: RewriteRule[] = [];
  let answer: RewriteRule['answer'];
  for (const l of lines) {
    if (l[0] === 'answer') {
      answer = l[1] === 'auto' ? { auto: true } : l[1] === 'name' ? { regex: new RegExp(l[l.length - 2]!, 'i'), to: l[l.length - 1]! } : undefined;
      continue;
    }
    if (l[0] !== 'name') {
      warn(`line ${d.line}: rewrite ${l[0]} is not supported; skipped`);
      continue;
    }
    let rest = l.slice(1);
    let match: RewriteRule['match'] = 'exact';
    if (['exact', 'prefix', 'suffix', 'substring', 'regex'].includes(rest[0]!) && rest.length >= 3) {
      match = rest[0] as RewriteRule['match'];
      rest = rest.slice(1);
    }
    const [from, to, ...opts] = rest;
    if (!from || !to) {
      warn(`line ${d.line}: rewrite name needs FROM and TO; skipped`);
      continue;
    }
    const rule: RewriteRule = { stop, match, from: match === 'regex' ? from : normalizeName(from), to: match === 'regex' ? to : normalizeName(to) };
    if (match === 'suffix' || match === 'prefix' || match === 'substring') {
      // Suffixes such as `.example.org.` keep their leading dot.
      rule.from = from.toLowerCase().replace(/\.$/, '');
      rule.to = to.toLowerCase().replace(/\.$/, '');
    }
    if (match === 'regex') rule.regex = new RegExp(from, 'i');
    if (opts[0] === 'answer') rule.answer = opts[1] === 'auto' ? { auto: true } : opts[1] === 'name' && opts[3] ? { regex: new RegExp(opts[2]!, 'i'), to: opts[3] } : undefined;
    rules.push(rule);
  }
  if (answer) for (const r of rules) r.answer ??= answer;
  return rules;
}

function compileHosts(d: Directive, blockZones: string[], warn: (m: string) => void): HostsConfig {
  const h: HostsConfig = { zones: blockZones, byName: new Map(), byAddr: new Map(), ttl: 3600, fallthrough: null };
  let reverse = true;
  const add = (ip: string, names: string[]) => {
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip) && !ip.includes(':')) return;
    for (const n of names) {
      const name = normalizeName(n);
      const list = h.byName.get(name) ?? [];
      if (!list.includes(ip)) list.push(ip);
      h.byName.set(name, list);
      const back = h.byAddr.get(ip) ?? [];
      if (!back.includes(name)) back.push(name);
      h.byAddr.set(ip, back);
    }
  };
  const [file, ...zones] = d.args;
  if (zones.length) h.zones = zoneArgs(zones);
  if (file) {
    // Without a FILE CoreDNS reads its container's /etc/hosts, which holds only localhost entries.
    try {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const f = line.replace(/#.*/, '').trim().split(/\s+/).filter(Boolean);
        if (f.length >= 2) add(f[0]!, f.slice(1));
      }
    } catch (e) {
      warn(`line ${d.line}: hosts file ${file}: ${(e as Error).message}`);
    }
  }
  for (const b of d.block) {
    if (b.name === 'ttl') h.ttl = Number(b.args[0]) || 3600;
    else if (b.name === 'fallthrough') h.fallthrough = zoneArgs(b.args);
    else if (b.name === 'no_reverse') reverse = false;
    else if (b.name === 'reload' || b.name === 'fallthrough_unsupported') continue;
    else add(b.name, b.args);
  }
  if (!reverse) h.byAddr.clear();
  return h;
}

function compileServer(src: ServerBlockSource, warn: (m: string) => void): ServerConfig | undefined {
  const keys = src.keys.map(parseKey);
  if (keys.some((k) => k.port !== undefined && k.port !== 53)) {
    warn(`server block ${src.keys.join(' ')}: only port 53 (the kube-dns Service's target) is served; skipped`);
    return undefined;
  }
  const s: ServerConfig = { zones: keys.map((k) => k.zone), rewrites: [] };
  for (const d of src.directives) {
    switch (d.name) {
      case 'kubernetes': {
        const k: KubernetesConfig = { zones: d.args.length ? zoneArgs(d.args) : s.zones, pods: 'disabled', fallthrough: null, ttl: 5, endpointPodNames: false, namespaces: [] };
        for (const b of d.block) {
          if (b.name === 'pods' && ['disabled', 'insecure', 'verified'].includes(b.args[0] ?? '')) k.pods = b.args[0] as KubernetesConfig['pods'];
          else if (b.name === 'fallthrough') k.fallthrough = zoneArgs(b.args);
          else if (b.name === 'ttl') {
            const t = Number(b.args[0]);
            if (!Number.isInteger(t) || t < 0 || t > 3600) throw new CorefileError(`line ${b.line}: ttl must be in range [0, 3600]: ${b.args[0]}`);
            k.ttl = t;
          } else if (b.name === 'endpoint_pod_names') k.endpointPodNames = true;
          else if (b.name === 'namespaces') k.namespaces = b.args;
          else if (!['kubeconfig', 'endpoint', 'tls', 'noendpoints', 'ignore', 'namespace_labels', 'labels', 'startup_timeout', 'apiserver_qps', 'apiserver_burst', 'apiserver_max_inflight', 'multicluster'].includes(b.name)) {
            warn(`line ${b.line}: kubernetes option ${b.name} is not supported; ignored`);
          }
        }
        s.kubernetes = k;
        break;
      }
      case 'forward': {
        const [from, ...to] = d.args;
        if (!from || to.length === 0) throw new CorefileError(`line ${d.line}: forward needs FROM and at least one TO`);
        const f: ForwardConfig = { from: normalizeName(from === '.' ? '' : from), to: [], except: [], policy: 'random', forceTcp: false };
        for (const t of to) {
          const u = parseUpstream(t);
          if (u === 'resolv' && t !== '/etc/resolv.conf') {
            try {
              for (const ns of parseResolvConf(readFileSync(t, 'utf8')).nameservers) {
                const v = parseUpstream(ns);
                if (v && v !== 'resolv') f.to.push(v);
              }
            } catch (e) {
              warn(`line ${d.line}: forward ${t}: ${(e as Error).message}`);
            }
          } else if (u) f.to.push(u);
          else warn(`line ${d.line}: forward to ${t} is not supported (plain IPv4 DNS only); skipped`);
        }
        for (const b of d.block) {
          if (b.name === 'except') f.except.push(...b.args.map(normalizeName));
          else if (b.name === 'policy' && ['random', 'round_robin', 'sequential'].includes(b.args[0] ?? '')) f.policy = b.args[0] as ForwardConfig['policy'];
          else if (b.name === 'force_tcp') f.forceTcp = true;
        }
        if (s.forward) warn(`line ${d.line}: a second forward in one server block is not supported; ignored`);
        else s.forward = f;
        break;
      }
      case 'cache': {
        const ttl = d.args[0] && /^\d+$/.test(d.args[0]) ? Number(d.args[0]) : 3600;
        const zones = d.args[0] && /^\d+$/.test(d.args[0]) ? d.args.slice(1) : d.args;
        s.cache = { ttl, zones: zones.length ? zoneArgs(zones) : s.zones };
        break;
      }
      case 'hosts':
        s.hosts = compileHosts(d, s.zones, warn);
        break;
      case 'rewrite':
        s.rewrites.push(...compileRewrite(d, warn));
        break;
      default:
        if (!IGNORED.has(d.name)) warn(`line ${d.line}: plugin ${d.name} is not supported; skipped`);
    }
  }
  return s;
}

/** AKS's default `coredns` ConfigMap Corefile. */
export const DEFAULT_COREFILE = `.:53 {
    errors
    ready
    health {
      lameduck 5s
    }
    kubernetes cluster.local in-addr.arpa ip6.arpa {
      pods insecure
      fallthrough in-addr.arpa ip6.arpa
      ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf
    cache 30
    loop
    reload
    loadbalance
    import custom/*.override
}
import custom/*.server
`;

/**
 * The configuration from a Corefile and the coredns-custom data: `import` directives inside a
 * block pull in matching keys as directives, top-level imports add their keys' server blocks.
 */
export function loadConfig(corefile: string, custom: Record<string, string> = {}): DNSConfig {
  const warnings: string[] = [];
  const warn = (m: string) => warnings.push(m);
  const main = parseCorefile(corefile);
  const expand = (dirs: Directive[]): Directive[] => {
    const out: Directive[] = [];
    for (const d of dirs) {
      if (d.name !== 'import') {
        out.push(d);
        continue;
      }
      for (const pattern of d.args) {
        for (const key of importedKeys(pattern, custom)) {
          try {
            out.push(...parseDirectives(tokenize(custom[key]!), { i: 0 }, false));
          } catch (e) {
            warn(`coredns-custom ${key}: ${(e as Error).message}`);
          }
        }
      }
    }
    return out;
  };
  const sources: ServerBlockSource[] = main.blocks.map((b) => ({ keys: b.keys, directives: expand(b.directives) }));
  for (const pattern of main.imports) {
    for (const key of importedKeys(pattern, custom)) {
      try {
        const extra = parseCorefile(custom[key]!);
        sources.push(...extra.blocks.map((b) => ({ keys: b.keys, directives: expand(b.directives) })));
      } catch (e) {
        warn(`coredns-custom ${key}: ${(e as Error).message}`);
      }
    }
  }
  const servers: ServerConfig[] = [];
  for (const src of sources) {
    const s = compileServer(src, warn);
    if (!s) continue;
    for (const z of s.zones) {
      if (servers.some((o) => o.zones.includes(z))) throw new CorefileError(`zone ${z || '.'} is served by two server blocks`);
    }
    servers.push(s);
  }
  return { servers, warnings };
}
