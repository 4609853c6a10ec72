// API discovery as kube-apiserver serves it: legacy /api, /apis, /api/v1, /apis/{g}/{v}
// documents and aggregated discovery (apidiscovery.k8s.io/v2 APIGroupDiscoveryList).

import { createHash } from 'node:crypto';
import type { ResourceInfo } from '../../api/resources.ts';
import { groupOrder, groupVersion, groupVersionsOrder } from '../../api/resources.ts';

/** Content-Type of an aggregated discovery body; kubectl misreads it under any other type. */
export const AGGREGATED_DISCOVERY_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
/** The beta media type that kubectl 1.26–1.29 ask for (same shape, apiVersion v2beta1). */
export const AGGREGATED_DISCOVERY_V2BETA1 =
  'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

export type AggregatedVersion = 'v2' | 'v2beta1';

interface GroupVersionEntry {
  groupVersion: string;
  version: string;
}

/** Only the resources discovery should show (CRDs etc. may be known but not served yet). */
export function servedResources(resources: readonly ResourceInfo[]): ResourceInfo[] {
  return resources.filter((r) => r.served !== false);
}

/** `GET /api`: the legacy core group's versions. */
export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** Named groups with their versions, in kube-apiserver's order (preferred version first). */
function groupsOf(resources: readonly ResourceInfo[]): { name: string; versions: string[] }[] {
  const versions = new Map<string, Set<string>>();
  for (const r of resources) {
    if (r.group === '' || r.served === false) continue;
    let s = versions.get(r.group);
    if (!s) versions.set(r.group, (s = new Set()));
    s.add(r.version);
  }
  const rank = (g: string): number => {
    const i = groupOrder.indexOf(g);
    return i < 0 ? groupOrder.length : i;
  };
  return [...versions.keys()]
    .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => ({ name, versions: groupVersionsOrder(name, [...versions.get(name)!]) }));
}

/** `GET /apis`: every named group, its versions and its preferred version. */
export function apiGroupList(resources: readonly ResourceInfo[]): Record<string, unknown> {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groupsOf(resources).map((g) => {
      const versions: GroupVersionEntry[] = g.versions.map((version) => ({
        groupVersion: `${g.name}/${version}`,
        version,
      }));
      return { name: g.name, versions, preferredVersion: versions[0] };
    }),
  };
}

/** `GET /apis/{group}`: one APIGroup, or undefined when the group is not served. */
export function apiGroup(resources: readonly ResourceInfo[], group: string): Record<string, unknown> | undefined {
  const list = apiGroupList(resources).groups as Record<string, unknown>[];
  const g = list.find((x) => x.name === group);
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...g } : undefined;
}

/**
 * `GET /api/v1` or `/apis/{g}/{v}`: an APIResourceList with subresources as their own entries
 * (`pods/status`), sorted by name as upstream. Undefined when the group-version is not served.
 */
export function apiResourceList(
  resources: readonly ResourceInfo[],
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const entries: Record<string, unknown>[] = [];
  for (const r of resources) {
    if (r.group !== group || r.version !== version || r.served === false) continue;
    const e: Record<string, unknown> = {
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
    };
    if (r.shortNames?.length) e.shortNames = r.shortNames;
    if (r.categories?.length) e.categories = r.categories;
    entries.push(e);
    for (const s of r.subresources ?? []) {
      const se: Record<string, unknown> = { name: `${r.resource}/${s.name}`, singularName: '', namespaced: r.namespaced };
      if (s.group !== undefined) se.group = s.group;
      if (s.version !== undefined) se.version = s.version;
      se.kind = s.kind;
      se.verbs = s.verbs;
      entries.push(se);
    }
  }
  if (entries.length === 0) return undefined;
  entries.sort((a, b) => ((a.name as string) < (b.name as string) ? -1 : 1));
  const gv = groupVersion({ group, version });
  // The core list carries no apiVersion, exactly as kube-apiserver writes it.
  return group === ''
    ? { kind: 'APIResourceList', groupVersion: gv, resources: entries }
    : { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources: entries };
}

function resourceDiscovery(r: ResourceInfo): Record<string, unknown> {
  const e: Record<string, unknown> = {
    resource: r.resource,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: r.verbs,
  };
  if (r.shortNames?.length) e.shortNames = r.shortNames;
  if (r.categories?.length) e.categories = r.categories;
  if (r.subresources?.length) {
    e.subresources = r.subresources.map((s) => ({
      subresource: s.name,
      responseKind: { group: s.group ?? r.group, version: s.version ?? r.version, kind: s.kind },
      verbs: s.verbs,
    }));
  }
  return e;
}

/**
 * Aggregated discovery: `GET /api` (scope 'core') or `GET /apis` (scope 'apis') with the
 * aggregated Accept type. Serve with AGGREGATED_DISCOVERY_V2 (or _V2BETA1) as Content-Type.
 */
export function apiGroupDiscoveryList(
  resources: readonly ResourceInfo[],
  scope: 'core' | 'apis',
  version: AggregatedVersion = 'v2',
): Record<string, unknown> {
  const groups: { name: string; versions: string[] }[] =
    scope === 'core' ? [{ name: '', versions: ['v1'] }] : groupsOf(resources);
  const items = groups.map((g) => ({
    metadata: { name: g.name, creationTimestamp: null },
    versions: g.versions.map((v) => ({
      version: v,
      resources: resources
        .filter((r) => r.group === g.name && r.version === v && r.served !== false)
        .sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0))
        .map(resourceDiscovery),
      freshness: 'Current',
    })),
  }));
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items,
  };
}

/** A stable ETag for a discovery body: quoted uppercase hex SHA-512 of its JSON, as upstream. */
export function discoveryETag(body: string | object): string {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return `"${createHash('sha512').update(text).digest('hex').toUpperCase()}"`;
}

/**
 * Chooses how to answer `GET /api` / `GET /apis` from the Accept header: the first aggregated
 * media type the client lists wins, otherwise the legacy documents as application/json.
 */
export function negotiateDiscovery(
  accept: string | undefined,
): { aggregated: true; version: AggregatedVersion; contentType: string } | { aggregated: false } {
  if (!accept) return { aggregated: false };
  for (const part of accept.split(',')) {
    const params = part.split(';').map((p) => p.trim());
    if (params[0] !== 'application/json') continue;
    let g = '';
    let v = '';
    let as = '';
    for (const p of params.slice(1)) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const k = p.slice(0, eq).trim();
      const val = p.slice(eq + 1).trim();
      if (k === 'g') g = val;
      else if (k === 'v') v = val;
      else if (k === 'as') as = val;
    }
    if (g === 'apidiscovery.k8s.io' && as === 'APIGroupDiscoveryList') {
      if (v === 'v2') return { aggregated: true, version: 'v2', contentType: AGGREGATED_DISCOVERY_V2 };
      if (v === 'v2beta1') return { aggregated: true, version: 'v2beta1', contentType: AGGREGATED_DISCOVERY_V2BETA1 };
    }
  }
  return { aggregated: false };
}

export interface DiscoveryBody {
  body: string;
  contentType: string;
  etag: string;
}

/**
 * Serialized discovery documents for one resource set, built on first use and kept until the
 * set changes (call `setResources` when CRDs come and go).
 */
export class DiscoveryDocuments {
  #resources: ResourceInfo[];
  #serverAddress: string;
  #cache = new Map<string, DiscoveryBody | null>();

  constructor(resources: readonly ResourceInfo[], serverAddress: string) {
    this.#resources = servedResources(resources);
    this.#serverAddress = serverAddress;
  }

  setResources(resources: readonly ResourceInfo[]): void {
    this.#resources = servedResources(resources);
    this.#cache.clear();
  }

  get resources(): readonly ResourceInfo[] {
    return this.#resources;
  }

  #memo(key: string, contentType: string, build: () => object | undefined): DiscoveryBody | undefined {
    let hit = this.#cache.get(key);
    if (hit === undefined) {
      const doc = build();
      if (doc === undefined) hit = null;
      else {
        const body = JSON.stringify(doc);
        hit = { body, contentType, etag: discoveryETag(body) };
      }
      this.#cache.set(key, hit);
    }
    return hit ?? undefined;
  }

  /** `GET /api` or `GET /apis`, negotiated by the Accept header. */
  root(scope: 'core' | 'apis', accept: string | undefined): DiscoveryBody {
    const n = negotiateDiscovery(accept);
    if (n.aggregated) {
      return this.#memo(`agg:${scope}:${n.version}`, n.contentType, () =>
        apiGroupDiscoveryList(this.#resources, scope, n.version),
      )!;
    }
    return scope === 'core'
      ? this.#memo('api', 'application/json', () => apiVersions(this.#serverAddress))!
      : this.#memo('apis', 'application/json', () => apiGroupList(this.#resources))!;
  }

  /** `GET /apis/{group}`; undefined → 404. */
  group(group: string): DiscoveryBody | undefined {
    return this.#memo(`g:${group}`, 'application/json', () => apiGroup(this.#resources, group));
  }

  /** `GET /api/v1` or `GET /apis/{group}/{version}`; undefined → 404. */
  resourceList(group: string, version: string): DiscoveryBody | undefined {
    return this.#memo(`gv:${group}/${version}`, 'application/json', () =>
      apiResourceList(this.#resources, group, version),
    );
  }
}
