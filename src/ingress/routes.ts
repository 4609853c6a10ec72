// The Ingress routing table (networking.k8s.io/v1 Ingress rules): host matching (exact, then a
// `*.domain` wildcard covering exactly one label, then rules without a host), path types Exact
// and Prefix (element-wise: `/foo` matches `/foo` and `/foo/bar`, not `/foobar`; trailing slashes
// ignored), the longest matching path winning with Exact before Prefix on a tie, then the older
// Ingress; defaultBackend for requests no rule matches. ImplementationSpecific is matched as
// Prefix here (the API leaves it to the IngressClass).
import type { Obj } from '../client/types.ts';

export type BackendRef =
  | { kind: 'service'; namespace: string; name: string; port: number | string; ingress: string }
  | { kind: 'resource'; namespace: string; apiGroup: string; resourceKind: string; name: string; ingress: string };

interface Route {
  path: string;
  exact: boolean;
  /** Path elements of a Prefix route (`/a/b/` → ['a', 'b']). */
  elements: string[];
  /** The length that decides "longest match" (a Prefix route's trailing slash does not count). */
  length: number;
  /** Age rank of the Ingress the route comes from (older first). */
  rank: number;
  backend: BackendRef;
}

interface HostEntry {
  routes: Route[];
  /** defaultBackend of the oldest Ingress with rules for this host and a defaultBackend. */
  defaultBackend?: BackendRef;
}

export interface Match {
  backend: BackendRef;
  /** Which rule matched: `host path (type)`, or `default backend`. */
  rule: string;
}

/** Whether an Ingress-spec backend refers to a Service or to another resource. */
export function backendRef(b: Obj | undefined, namespace: string, ingress: string): BackendRef | undefined {
  if (!b) return undefined;
  if (b.service?.name) {
    const p = b.service.port ?? {};
    const port = typeof p.number === 'number' && p.number > 0 ? p.number : typeof p.name === 'string' && p.name ? p.name : undefined;
    if (port === undefined) return undefined;
    return { kind: 'service', namespace, name: b.service.name, port, ingress };
  }
  if (b.resource?.name) return { kind: 'resource', namespace, apiGroup: b.resource.apiGroup ?? '', resourceKind: b.resource.kind ?? '', name: b.resource.name, ingress };
  return undefined;
}

function elementsOf(path: string): string[] {
  return path.split('/').filter((e) => e !== '');
}

/** Prefix matching as the Ingress API defines it: element by element. */
export function prefixMatches(elements: string[], requestElements: string[]): boolean {
  if (elements.length > requestElements.length) return false;
  for (let i = 0; i < elements.length; i++) if (elements[i] !== requestElements[i]) return false;
  return true;
}

function byPrecedence(a: Route, b: Route): number {
  return b.length - a.length || (a.exact === b.exact ? 0 : a.exact ? -1 : 1) || a.rank - b.rank;
}

/** Older first (creationTimestamp, then namespace/name), the order conflicts are settled in. */
export function compareAge(a: Obj, b: Obj): number {
  const ta = a.metadata?.creationTimestamp ?? '';
  const tb = b.metadata?.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata?.namespace}/${a.metadata?.name}`;
  const kb = `${b.metadata?.namespace}/${b.metadata?.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Lower-cases a Host header and drops its port (`Foo.example:8080` → `foo.example`, `[::1]:80` → `::1`). */
export function normalizeHost(host: string | undefined): string {
  if (!host) return '';
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end > 0 ? h.slice(1, end) : h;
  }
  const colon = h.indexOf(':');
  if (colon >= 0) h = h.slice(0, colon);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/** An immutable routing table built from the Ingresses one controller serves. */
export class RouteTable {
  #exact = new Map<string, HostEntry>();
  /** `*.example.com` rules by `example.com`. */
  #wildcard = new Map<string, HostEntry>();
  #any: HostEntry = { routes: [] };
  #default: BackendRef | undefined;
  readonly hosts: string[];

  constructor(ingresses: Obj[]) {
    const sorted = [...ingresses].sort(compareAge);
    const hosts = new Set<string>();
    sorted.forEach((ing, rank) => {
      const ns = ing.metadata?.namespace ?? '';
      const key = `${ns}/${ing.metadata?.name}`;
      const spec = ing.spec ?? {};
      const def = backendRef(spec.defaultBackend, ns, key);
      if (def && !this.#default) this.#default = def;
      for (const rule of spec.rules ?? []) {
        const host = typeof rule.host === 'string' ? rule.host.toLowerCase() : '';
        let entry: HostEntry;
        if (!host) entry = this.#any;
        else if (host.startsWith('*.')) entry = getOr(this.#wildcard, host.slice(2));
        else entry = getOr(this.#exact, host);
        if (host) hosts.add(host);
        if (host && def && !entry.defaultBackend) entry.defaultBackend = def;
        for (const p of rule.http?.paths ?? []) {
          const backend = backendRef(p.backend, ns, key);
          if (!backend) continue;
          const path = typeof p.path === 'string' && p.path ? p.path : '/';
          const exact = p.pathType === 'Exact';
          const elements = exact ? [] : elementsOf(path);
          const length = exact ? path.length : elements.length ? path.replace(/\/+$/, '').length : 0;
          entry.routes.push({ path, exact, elements, length, rank, backend });
        }
      }
    });
    for (const e of [this.#any, ...this.#exact.values(), ...this.#wildcard.values()]) e.routes.sort(byPrecedence);
    this.hosts = [...hosts].sort();
  }

  get defaultBackend(): BackendRef | undefined {
    return this.#default;
  }

  /**
   * The backend for a request: rules for the exact host, then for its one-label wildcard, then
   * rules without a host; then the host's Ingress defaultBackend, then any Ingress's (the oldest).
   */
  match(hostHeader: string | undefined, path: string): Match | undefined {
    const host = normalizeHost(hostHeader);
    const exact = host ? this.#exact.get(host) : undefined;
    const dot = host.indexOf('.');
    const wild = dot > 0 ? this.#wildcard.get(host.slice(dot + 1)) : undefined;
    let reqElements: string[] | undefined;
    for (const [entry, label] of [
      [exact, host],
      [wild, dot > 0 ? `*${host.slice(dot)}` : ''],
      [this.#any, '*'],
    ] as const) {
      if (!entry) continue;
      for (const r of entry.routes) {
        if (r.exact) {
          if (r.path !== path) continue;
        } else if (r.elements.length) {
          reqElements ??= elementsOf(path);
          if (!prefixMatches(r.elements, reqElements)) continue;
        }
        return { backend: r.backend, rule: `${label}${r.path} (${r.exact ? 'Exact' : 'Prefix'})` };
      }
    }
    const def = exact?.defaultBackend ?? wild?.defaultBackend ?? this.#default;
    return def ? { backend: def, rule: 'default backend' } : undefined;
  }
}

function getOr(m: Map<string, HostEntry>, k: string): HostEntry {
  let e = m.get(k);
  if (!e) m.set(k, (e = { routes: [] }));
  return e;
}
