// The typed REST client (client-go's dynamic client in shape): one ResourceClient per resource,
// optionally bound to a namespace, over any Transport. Non-2xx answers become the same
// StatusError the server raised, so callers branch on isNotFound / isConflict.
import { StatusError, type Status } from '../machinery/errors.ts';
import type { DeleteOptions, GroupVersionResource, ListOptions, Obj, ObjectList, PatchType, RawResponse, Transport, WatchOptions, WatchStream, WriteOptions } from './types.ts';
import { findResource, builtinResources } from '../api/resources.ts';

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '' && v !== false) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Turns a non-2xx response into the server's StatusError. */
export function toError(res: RawResponse): StatusError {
  let status: Partial<Status> | undefined;
  try {
    status = JSON.parse(res.body.toString('utf8')) as Partial<Status>;
  } catch {
    // not a Status
  }
  if (status && status.kind === 'Status') {
    return new StatusError(status.code ?? res.status, status.reason ?? '', status.message ?? '', status.details);
  }
  return new StatusError(res.status, '', res.body.toString('utf8').slice(0, 500) || `HTTP ${res.status}`);
}

function parse<T>(res: RawResponse): T {
  if (res.status < 200 || res.status > 299) throw toError(res);
  return JSON.parse(res.body.toString('utf8')) as T;
}

export class ResourceClient<T extends Obj = Obj> {
  readonly gvr: GroupVersionResource;
  readonly namespace: string;
  #transport: Transport;

  constructor(transport: Transport, gvr: GroupVersionResource, namespace = '') {
    this.#transport = transport;
    this.gvr = gvr;
    this.namespace = gvr.namespaced ? namespace : '';
  }

  /** The same resource in a namespace ('' = all namespaces for lists and watches). */
  inNamespace(namespace: string): ResourceClient<T> {
    return new ResourceClient<T>(this.#transport, this.gvr, namespace);
  }

  #base(namespace = this.namespace): string {
    const { group, version, resource } = this.gvr;
    const prefix = group ? `/apis/${group}/${version}` : `/api/${version}`;
    return this.gvr.namespaced && namespace ? `${prefix}/namespaces/${encodeURIComponent(namespace)}/${resource}` : `${prefix}/${resource}`;
  }

  #item(name: string, namespace?: string, subresource?: string): string {
    return `${this.#base(namespace)}/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}`;
  }

  #ns(obj: Obj): string {
    return obj.metadata?.namespace ?? this.namespace;
  }

  async get(name: string, opts: { resourceVersion?: string } = {}): Promise<T> {
    return parse<T>(await this.#transport.request({ method: 'GET', path: this.#item(name) + query({ resourceVersion: opts.resourceVersion }) }));
  }

  async list(opts: ListOptions = {}): Promise<ObjectList<T>> {
    return parse<ObjectList<T>>(await this.#transport.request({ method: 'GET', path: this.#base() + query({ ...opts }) }));
  }

  async create(obj: T, opts: WriteOptions = {}): Promise<T> {
    const path = this.#base(this.#ns(obj)) + query({ dryRun: opts.dryRun ? 'All' : undefined, fieldManager: opts.fieldManager });
    return parse<T>(await this.#transport.request({ method: 'POST', path, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(obj) }));
  }

  async update(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.#put(obj, '', opts);
  }

  async updateStatus(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.#put(obj, 'status', opts);
  }

  async #put(obj: T, subresource: string, opts: WriteOptions): Promise<T> {
    const path = this.#item(obj.metadata.name, this.#ns(obj), subresource) + query({ dryRun: opts.dryRun ? 'All' : undefined, fieldManager: opts.fieldManager });
    return parse<T>(await this.#transport.request({ method: 'PUT', path, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(obj) }));
  }

  async patch(name: string, type: PatchType, patch: unknown, opts: WriteOptions & { subresource?: string } = {}): Promise<T> {
    const path = this.#item(name, undefined, opts.subresource) + query({ dryRun: opts.dryRun ? 'All' : undefined, fieldManager: opts.fieldManager });
    return parse<T>(await this.#transport.request({ method: 'PATCH', path, headers: { 'Content-Type': PATCH_CONTENT_TYPES[type] }, body: JSON.stringify(patch) }));
  }

  /** DELETE; returns the object (or Status) the server answers with. */
  async delete(name: string, opts: DeleteOptions = {}): Promise<Obj> {
    const { dryRun, ...rest } = opts;
    const body = JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', ...rest, ...(dryRun ? { dryRun: ['All'] } : {}) });
    return parse<Obj>(await this.#transport.request({ method: 'DELETE', path: this.#item(name), headers: { 'Content-Type': 'application/json' }, body }));
  }

  async deleteCollection(opts: ListOptions & DeleteOptions = {}): Promise<Obj> {
    const { labelSelector, fieldSelector, gracePeriodSeconds, propagationPolicy } = opts;
    const body = JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds, propagationPolicy });
    return parse<Obj>(await this.#transport.request({ method: 'DELETE', path: this.#base() + query({ labelSelector, fieldSelector }), headers: { 'Content-Type': 'application/json' }, body }));
  }

  /** POST to a subresource (pods/binding, pods/eviction, serviceaccounts/token). */
  async createSubresource(name: string, subresource: string, body: Obj): Promise<Obj> {
    return parse<Obj>(await this.#transport.request({ method: 'POST', path: this.#item(name, undefined, subresource), headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }));
  }

  async getSubresource(name: string, subresource: string): Promise<Obj> {
    return parse<Obj>(await this.#transport.request({ method: 'GET', path: this.#item(name, undefined, subresource) }));
  }

  async updateSubresource(name: string, subresource: string, body: Obj): Promise<Obj> {
    return parse<Obj>(await this.#transport.request({ method: 'PUT', path: this.#item(name, undefined, subresource), headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }));
  }

  watch(opts: WatchOptions = {}): Promise<WatchStream<T>> {
    const path = this.#base() + query({ watch: 'true', ...opts });
    return this.#transport.watch({ method: 'GET', path }) as Promise<WatchStream<T>>;
  }
}

/** A client for every built-in resource, by group and resource name. */
export class KubeClient {
  readonly transport: Transport;
  #cache = new Map<string, ResourceClient>();

  constructor(transport: Transport) {
    this.transport = transport;
  }

  /** `resource('apps', 'deployments')`, `resource('', 'pods', 'kube-system')`; the preferred version. */
  resource<T extends Obj = Obj>(group: string, resource: string, namespace = '', version?: string): ResourceClient<T> {
    const key = `${group}/${version ?? ''}/${resource}`;
    let rc = this.#cache.get(key);
    if (!rc) {
      const info = version ? findResource(group, version, resource) : builtinResources.find((r) => r.group === group && r.resource === resource && r.served !== false);
      if (!info) throw new Error(`unknown resource ${resource}${group ? `.${group}` : ''}`);
      rc = new ResourceClient(this.transport, { group, version: info.version, resource, namespaced: info.namespaced });
      this.#cache.set(key, rc);
    }
    return (namespace ? rc.inNamespace(namespace) : rc) as ResourceClient<T>;
  }

  /** A client for a resource the catalog does not know (custom resources). */
  custom<T extends Obj = Obj>(gvr: GroupVersionResource, namespace = ''): ResourceClient<T> {
    return new ResourceClient<T>(this.transport, gvr, namespace);
  }

  // Shorthands for the resources components use most.
  pods(namespace = '') {
    return this.resource('', 'pods', namespace);
  }
  nodes() {
    return this.resource('', 'nodes');
  }
  events(namespace = '') {
    return this.resource('', 'events', namespace);
  }
  leases(namespace = '') {
    return this.resource('coordination.k8s.io', 'leases', namespace);
  }

  close(): void {
    this.transport.close?.();
  }
}
