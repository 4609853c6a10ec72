// The generic registry store (upstream k8s.io/apiserver/pkg/registry/generic/registry/store.go):
// one implementation of create, get, list, update, delete and watch for every resource, over the
// storage backend and the resource's watch cache, with per-resource policy in its Strategy.
// resourceVersion is the storage revision; optimistic concurrency becomes 409 Conflict.
import { randomUUID } from 'node:crypto';
import type { Backend, KeyValue } from '../../storage/backend.ts';
import { StorageError, encodeContinue } from '../../storage/backend.ts';
import { StatusError, alreadyExists, badRequest, conflict, gone, internalError, invalidError, notFound, OBJECT_MODIFIED, type GroupResource } from '../../machinery/errors.ts';
import type { ResourceInfo } from '../../api/resources.ts';
import { groupVersion } from '../../api/resources.ts';
import { applyDefaults } from '../../api/defaults/index.ts';
import { validateEphemeralContainersUpdate } from '../../api/validation/pod.ts';
import { validateObjectMetaUpdate } from '../../machinery/validation.ts';
import { convert, storageVersionOf } from '../../api/conversion/index.ts';
import { WatchCache, decodeObject, type CacheWatcher, type Filter } from '../watchcache.ts';
import { rfc3339, type Obj, type RequestContext } from '../types.ts';
import { objectFields, type Strategy } from './strategy.ts';
import type { Admission } from '../admission.ts';
import { carryApplied, recordWrite } from '../ssa/index.ts';
import type { ValueTransformer } from '../encryption/transformer.ts';

/** Storage key prefix of a resource, following kube-apiserver's layout. */
export function storagePrefix(r: ResourceInfo): string {
  const special: Record<string, string> = {
    '/services': '/registry/services/specs',
    '/endpoints': '/registry/services/endpoints',
    '/nodes': '/registry/minions',
    'networking.k8s.io/ingresses': '/registry/ingress',
    'events.k8s.io/events': '/registry/events',
    'autoscaling/horizontalpodautoscalers': '/registry/horizontalpodautoscalers',
  };
  const id = `${r.group}/${r.resource}`;
  if (special[id]) return special[id];
  // Custom resources (and other non-built-in groups) are stored under their group.
  return r.group && !builtinGroups.has(r.group) ? `/registry/${r.group}/${r.resource}` : `/registry/${r.resource}`;
}

const builtinGroups = new Set([
  'apps', 'batch', 'autoscaling', 'policy', 'networking.k8s.io', 'discovery.k8s.io', 'coordination.k8s.io',
  'rbac.authorization.k8s.io', 'storage.k8s.io', 'scheduling.k8s.io', 'certificates.k8s.io', 'events.k8s.io',
  'apiextensions.k8s.io', 'admissionregistration.k8s.io', 'apiregistration.k8s.io', 'node.k8s.io', 'flowcontrol.apiserver.k8s.io',
]);

export interface ListOptions {
  filter?: Filter;
  limit?: number;
  continue?: string;
  /** "" = consistent (latest), "0" = any (cache), else a revision. */
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ListResult {
  items: Obj[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: string[];
}

export interface StoreHooks {
  /** Runs before a create is written (e.g. ClusterIP/NodePort allocation); may throw a StatusError. */
  beforeCreate?(obj: Obj, ctx: RequestContext): Promise<void> | void;
  beforeUpdate?(obj: Obj, old: Obj, ctx: RequestContext): Promise<void> | void;
  afterDelete?(obj: Obj): void;
}

const GENERATE_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += GENERATE_CHARS[Math.floor(Math.random() * GENERATE_CHARS.length)];
  return s;
}

const clone = (o: Obj): Obj => structuredClone(o);

/** A stored JSON text and where its metadata object ends (-1: not the API's shape, e.g. converted). */
interface Encoded {
  text: string;
  metaEnd: number;
  metaEmpty: boolean;
  /** Where `,"managedFields":[…]` starts (the encoding puts them last in metadata, so they end at metaEnd - 1); -1 without them. */
  managedStart: number;
}

/**
 * The API's JSON of objects the store just wrote (see Store.#withEncoding), and where their
 * managedFields sit in it ([start, end), or start -1); the objects are never mutated after.
 */
const encodings = new WeakMap<object, { json: string; managedStart: number; managedEnd: number }>();

/** The JSON of `obj` when the store wrote it and knows it already (undefined otherwise). */
export function encodedJSON(obj: object): string | undefined {
  return encodings.get(obj)?.json;
}

/**
 * The same JSON without metadata.managedFields (for watchers that never read them: the
 * components on threads), cut out of the known encoding; undefined when there is none to cut from.
 */
export function encodedJSONWithoutManagedFields(obj: Obj): string | undefined {
  const e = encodings.get(obj);
  if (!e) return undefined;
  if (e.managedStart >= 0) return e.json.slice(0, e.managedStart) + e.json.slice(e.managedEnd);
  return obj.metadata?.managedFields === undefined ? e.json : undefined;
}

function sameJSON(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class Store {
  readonly info: ResourceInfo;
  readonly strategy: Strategy;
  readonly prefix: string;
  readonly gr: GroupResource;
  readonly cache: WatchCache;
  #backend: Backend;
  #admission: Admission;
  /** Set when another version is the one stored (autoscaling/v2 for v1 HPAs, v1 for events.k8s.io Events). */
  #storageVersion: string | undefined;
  hooks: StoreHooks = {};
  /** Encryption at rest (--encryption-provider-config): applied to the bytes as they are stored and read. */
  #transformer: ValueTransformer | undefined;

  constructor(info: ResourceInfo, strategy: Strategy, backend: Backend, admission: Admission, transformer?: ValueTransformer) {
    this.info = info;
    this.strategy = strategy;
    this.prefix = storagePrefix(info);
    this.gr = { group: info.group, resource: info.resource };
    this.#backend = backend;
    this.#admission = admission;
    this.#transformer = transformer;
    const sv = storageVersionOf(info.group, info.resource);
    this.#storageVersion = sv && sv !== groupVersion(info) ? sv : undefined;
    // Stored in another version (events.k8s.io Events, autoscaling/v1 HPAs): the other resource
    // writes under the same prefix; decode (and convert) only what someone reads.
    this.cache = new WatchCache(backend, this.prefix + '/', { decode: (kv, rv) => this.#decode(kv, rv), lazy: this.#storageVersion !== undefined });
  }

  get apiVersion(): string {
    return groupVersion(this.info);
  }

  /** Custom resources: the version objects are written in (conversion None relabels them). */
  setStorageVersion(apiVersion: string): void {
    this.#storageVersion = apiVersion !== this.apiVersion ? apiVersion : undefined;
  }

  key(namespace: string, name: string): string {
    return this.info.namespaced ? `${this.prefix}/${namespace}/${name}` : `${this.prefix}/${name}`;
  }

  /** The key prefix of a namespace's objects, or of all objects. */
  scope(namespace: string): string {
    return this.info.namespaced && namespace ? `${this.prefix}/${namespace}/` : `${this.prefix}/`;
  }

  /**
   * Objects this store just wrote, by key and revision, so that the watch cache can take them
   * instead of parsing the same bytes again (bounded; misses just parse).
   */
  #written = new Map<string, Obj>();

  #remember(obj: Obj, key: string, rev: number): Obj {
    obj.metadata.resourceVersion = String(rev);
    // Backends that publish before acknowledging (memory) have fed the cache already.
    if (this.cache.resourceVersion >= rev) return obj;
    this.#written.set(`${rev}\0${key}`, obj);
    if (this.#written.size > 4096) this.#written.delete(this.#written.keys().next().value!);
    return obj;
  }

  /** A private copy from the bytes, never the object handed to the watch cache. */
  #decodeFresh(kv: KeyValue, rv?: number): Obj {
    let obj = decodeObject(this.#transformer ? { ...kv, value: this.#fromStorage(kv).data } : kv, rv);
    if (obj.apiVersion !== this.apiVersion && obj.apiVersion !== undefined && this.#storageVersion) obj = convert(obj, this.apiVersion);
    obj.apiVersion = this.apiVersion;
    obj.kind = this.info.kind;
    return obj;
  }

  #decode(kv: KeyValue, rv?: number): Obj {
    if (rv === undefined || rv === kv.modRevision) {
      const id = `${kv.modRevision}\0${kv.key}`;
      const mine = this.#written.get(id);
      if (mine) {
        this.#written.delete(id);
        return mine;
      }
    }
    return this.#decodeFresh(kv, rv);
  }

  /**
   * The object stored at kv's revision, read-only: the watch cache's own when it has that
   * revision (no parse), else decoded. An update starts from it and never changes it.
   */
  #stored(kv: KeyValue): Obj {
    const it = this.cache.get(kv.key);
    if (it && it.rv === kv.modRevision && it.obj.apiVersion === this.apiVersion && it.obj.kind === this.info.kind) return it.obj;
    return this.#decode(kv);
  }

  #encode(obj: Obj, key: string): Buffer {
    const plain = this.#encodePlain(obj);
    return this.#transformer ? this.#transformer.toStorage(plain, key) : plain;
  }

  #encodePlain(obj: Obj): Buffer {
    return Buffer.from(this.#encodeText(obj).text);
  }

  /**
   * The stored JSON of `obj` (without resourceVersion), as JSON.stringify would write
   * `{ ...obj, apiVersion, kind, metadata }`, built key by key so that the API's JSON of the
   * written object can be had from it by adding the resourceVersion (see #withEncoding).
   */
  #encodeText(obj: Obj): Encoded {
    // managedFields go last in metadata, as ObjectMeta's Go field order puts them.
    const { resourceVersion: _rv, managedFields, ...meta } = obj.metadata ?? {};
    if (managedFields !== undefined) meta.managedFields = managedFields;
    if (this.#storageVersion) {
      const own = { ...obj, apiVersion: this.apiVersion, kind: this.info.kind, metadata: meta };
      return { text: JSON.stringify(convert(own, this.#storageVersion)), metaEnd: -1, metaEmpty: false, managedStart: -1 };
    }
    let text = '{';
    let metaEnd = -1;
    let metaEmpty = false;
    let managedStart = -1;
    const metaPart = (part: string) => {
      metaEnd = text.length;
      metaEmpty = part === '{}';
      // managedFields are last: the last `,"managedFields":[` of the metadata's JSON is that field
      // (no other text can have it unescaped: labels and annotations are strings, FieldsV1 keys are prefixed).
      if (Array.isArray(managedFields)) {
        const at = part.lastIndexOf(',"managedFields":[');
        if (at > 0) managedStart = metaEnd - part.length + at;
      }
    };
    let hasApiVersion = false;
    let hasKind = false;
    let hasMeta = false;
    for (const k of Object.keys(obj)) {
      let v: unknown;
      if (k === 'apiVersion') {
        hasApiVersion = true;
        v = this.apiVersion;
      } else if (k === 'kind') {
        hasKind = true;
        v = this.info.kind;
      } else if (k === 'metadata') {
        hasMeta = true;
        v = meta;
      } else v = obj[k];
      const part = JSON.stringify(v) as string | undefined;
      if (part === undefined) continue;
      text += (text.length > 1 ? ',' : '') + JSON.stringify(k) + ':' + part;
      if (k === 'metadata') metaPart(part);
    }
    // Missing type and metadata go last, where an object spread would put them.
    if (!hasApiVersion) text += (text.length > 1 ? ',' : '') + '"apiVersion":' + JSON.stringify(this.apiVersion);
    if (!hasKind) text += (text.length > 1 ? ',' : '') + '"kind":' + JSON.stringify(this.info.kind);
    if (!hasMeta) {
      const part = JSON.stringify(meta);
      text += (text.length > 1 ? ',' : '') + '"metadata":' + part;
      metaPart(part);
    }
    return { text: text + '}', metaEnd, metaEmpty, managedStart };
  }

  /**
   * Records the JSON the API answers with for an object just written at `rv` (obj carries the
   * resourceVersion already): the stored text with the resourceVersion put back where it sits in
   * obj.metadata — when that is last (always on create) — so neither the response nor any
   * watcher needs to encode the object again.
   */
  #withEncoding(obj: Obj, enc: Encoded): Obj {
    if (enc.metaEnd < 0 || obj.apiVersion !== this.apiVersion || obj.kind !== this.info.kind) return obj;
    let last: string | undefined;
    for (const k in obj.metadata) last = k;
    if (last !== 'resourceVersion') return obj;
    const rv = `"resourceVersion":${JSON.stringify(obj.metadata.resourceVersion)}`;
    const json = enc.text.slice(0, enc.metaEnd - 1) + (enc.metaEmpty ? rv : ',' + rv) + enc.text.slice(enc.metaEnd - 1);
    encodings.set(obj, { json, managedStart: enc.managedStart, managedEnd: enc.metaEnd - 1 });
    return obj;
  }

  /** Decrypts a stored value; one no provider can read is a 500 naming it, and stays as it is. */
  #fromStorage(kv: KeyValue): { data: Buffer; stale: boolean } {
    try {
      return this.#transformer!.fromStorage(kv.value, kv.key);
    } catch (e) {
      throw internalError(`unable to transform key "${kv.key}" of ${this.gr.group ? `${this.gr.resource}.${this.gr.group}` : this.gr.resource}: ${(e as Error).message}`);
    }
  }

  #mapStorageError(e: unknown, name: string): never {
    if (e instanceof StorageError) {
      if (e.code === 'KeyExists') throw alreadyExists(this.gr, name);
      if (e.code === 'NotFound') throw notFound(this.gr, name);
      if (e.code === 'Conflict') throw conflict(this.gr, name, OBJECT_MODIFIED);
      if (e.code === 'Compacted') throw gone(`The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.`);
      if (e.code === 'InvalidContinue') throw badRequest(`continue key is not valid: ${e.message}`);
      if (e.code === 'FutureRevision') throw new StatusError(504, 'Timeout', `Too large resource version: ${e.message}`);
    }
    throw e;
  }

  /** Checks the object's apiVersion/kind against this resource and fills them in. */
  #checkTypeMeta(obj: Obj) {
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw badRequest(`the body of the request must be a ${this.info.kind} object`);
    if (obj.kind !== undefined && obj.kind !== '' && obj.kind !== this.info.kind) {
      throw badRequest(`the kind in the body (${obj.kind}) does not match the expected kind (${this.info.kind})`);
    }
    if (obj.apiVersion !== undefined && obj.apiVersion !== '' && obj.apiVersion !== this.apiVersion) {
      const sameGroup = (obj.apiVersion as string).split('/').length === this.apiVersion.split('/').length && (this.info.group === '' || (obj.apiVersion as string).startsWith(this.info.group + '/'));
      if (!sameGroup) throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${this.apiVersion})`);
    }
    obj.apiVersion = this.apiVersion;
    obj.kind = this.info.kind;
    if (obj.metadata !== undefined && (obj.metadata === null || typeof obj.metadata !== 'object' || Array.isArray(obj.metadata))) throw badRequest('metadata must be an object');
    obj.metadata ??= {};
  }

  #checkNamespace(obj: Obj, namespace: string) {
    if (!this.info.namespaced) {
      delete obj.metadata.namespace;
      return;
    }
    const ns = obj.metadata.namespace;
    if (ns && namespace && ns !== namespace) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    obj.metadata.namespace = ns || namespace;
  }

  #invalid(obj: Obj, errs: ReturnType<Strategy['validate']>): never {
    throw invalidError(this.info.kind, this.info.group, obj.metadata?.name ?? '', errs);
  }

  async create(ctx: RequestContext, namespace: string, input: Obj): Promise<Obj> {
    const obj = input;
    this.#checkTypeMeta(obj);
    this.#checkNamespace(obj, namespace);
    const meta = obj.metadata;
    if (meta.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomSuffix()}`;
    applyDefaults(obj);
    // managedFields: the request's fields, defaulted, before the strategy and admission (upstream's create handler).
    recordWrite(this, obj, undefined, ctx, '');
    meta.uid = randomUUID();
    meta.creationTimestamp = rfc3339(ctx.now);
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (this.strategy.hasGeneration) meta.generation = 1;
    else delete meta.generation;
    this.strategy.prepareForCreate(obj, ctx);
    await this.#admission.admit({ operation: 'CREATE', store: this, obj, ctx, namespace: meta.namespace ?? '' });
    const errs = this.strategy.validate(obj, ctx);
    if (errs.length) this.#invalid(obj, errs);
    await this.#admission.validate({ operation: 'CREATE', store: this, obj, ctx, namespace: meta.namespace ?? '' });
    // An object that exists is reported as such before allocation hooks run (storage has the last word).
    if (this.cache.get(this.key(meta.namespace ?? '', meta.name))) throw alreadyExists(this.gr, meta.name);
    await this.hooks.beforeCreate?.(obj, ctx);
    if (ctx.dryRun) {
      if ((await this.#backend.get(this.key(meta.namespace ?? '', meta.name))).kv) throw alreadyExists(this.gr, meta.name);
      return obj;
    }
    try {
      const key = this.key(meta.namespace ?? '', meta.name);
      const enc = this.#encodeText(obj);
      const plain = Buffer.from(enc.text);
      const r = await this.#backend.create(key, this.#transformer ? this.#transformer.toStorage(plain, key) : plain, this.#ttl(obj));
      return this.#withEncoding(this.#remember(obj, key, r.kv.modRevision), enc);
    } catch (e) {
      this.#mapStorageError(e, meta.name);
    }
  }

  /** Events expire after an hour, as kube-apiserver's --event-ttl. */
  #ttl(_obj: Obj) {
    return this.info.kind === 'Event' ? { ttlSeconds: 3600 } : {};
  }

  async get(namespace: string, name: string, resourceVersion?: string): Promise<Obj> {
    if (resourceVersion && resourceVersion !== '') {
      await this.cache.waitFor(resourceVersion === '0' ? 0 : Number(resourceVersion));
      const it = this.cache.get(this.key(namespace, name));
      if (!it) throw notFound(this.gr, name);
      return this.#withType(it.obj);
    }
    const r = await this.#backend.get(this.key(namespace, name));
    if (!r.kv) throw notFound(this.gr, name);
    return this.#decode(r.kv);
  }

  #withType(obj: Obj): Obj {
    if (obj.apiVersion === this.apiVersion && obj.kind === this.info.kind) return obj;
    return { ...obj, apiVersion: this.apiVersion, kind: this.info.kind };
  }

  async list(namespace: string, opts: ListOptions = {}): Promise<ListResult> {
    const rv = opts.resourceVersion ?? '';
    const filter = opts.filter;
    const scope = this.scope(namespace);
    const rvNum = rv === '' ? 0 : Number(rv);
    if (rv !== '' && (!Number.isInteger(rvNum) || rvNum < 0)) throw badRequest(`invalid resource version: ${rv}`);
    const exact = opts.resourceVersionMatch === 'Exact';
    if (opts.resourceVersionMatch && !['Exact', 'NotOlderThan'].includes(opts.resourceVersionMatch)) {
      throw badRequest(`resourceVersionMatch: Unsupported value: "${opts.resourceVersionMatch}"`);
    }
    // From the cache: "any" (0) and "not older than" lists without a continue token.
    if (!opts.continue && rv !== '' && !exact) {
      await this.cache.waitFor(rvNum);
      const { items, rv: at } = this.cache.list(scope, filter);
      // The cache keeps no snapshots to page through, so a limit is ignored here, as upstream does for RV=0.
      return { items: items.map((o) => this.#withType(o)), resourceVersion: String(at) };
    }
    // From storage: consistent (latest), exact, and paginated lists.
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    let cont = opts.continue;
    let revision = exact ? rvNum : undefined;
    const items: Obj[] = [];
    try {
      for (;;) {
        const want = limit ? Math.max(limit - items.length, 1) : 0;
        const page = await this.#backend.list(scope, { ...(want ? { limit: filter ? Math.max(want * 2, 64) : want } : {}), ...(cont ? { continue: cont } : {}), ...(revision ? { revision } : {}) });
        revision = page.revision;
        let lastKey: string | undefined;
        for (const kv of page.kvs) {
          lastKey = kv.key;
          const obj = this.#decode(kv);
          if (!filter || filter(obj)) items.push(obj);
          if (limit && items.length >= limit) break;
        }
        const more = page.continue !== undefined || (lastKey !== undefined && page.kvs[page.kvs.length - 1]!.key !== lastKey);
        if (limit && items.length >= limit) {
          if (!more) return { items, resourceVersion: String(revision) };
          const token = encodeContinue(lastKey!, revision);
          const remaining = filter ? undefined : (page.remaining ?? 0) + (page.kvs.length - page.kvs.findIndex((k) => k.key === lastKey) - 1);
          return { items, resourceVersion: String(revision), continue: token, ...(remaining !== undefined ? { remainingItemCount: remaining } : {}) };
        }
        if (!page.continue) return { items, resourceVersion: String(revision) };
        cont = page.continue;
      }
    } catch (e) {
      this.#mapStorageError(e, '');
    }
  }

  /**
   * Read-modify-write with retries on conflict (upstream GuaranteedUpdate). `tryUpdate` gets a
   * private copy of the current object and returns the desired one; a missing object is passed as
   * undefined when `allowCreate` is set.
   */
  async guaranteedUpdate(
    ctx: RequestContext,
    namespace: string,
    name: string,
    tryUpdate: (current: Obj | undefined) => Obj | Promise<Obj>,
    opts: {
      subresource?: string;
      allowCreate?: boolean;
      retries?: number;
      /** tryUpdate only reads `current` (and returns an object of its own): no private copy is made. */
      readOnly?: boolean;
    } = {},
  ): Promise<{ obj: Obj; created: boolean }> {
    const key = this.key(namespace, name);
    const retries = opts.retries ?? 8;
    for (let attempt = 0; ; attempt++) {
      const cur = await this.#backend.get(key);
      if (!cur.kv) {
        if (!opts.allowCreate) throw notFound(this.gr, name);
        const desired = await tryUpdate(undefined);
        return { obj: await this.create(ctx, namespace, desired), created: true };
      }
      const old = this.#stored(cur.kv);
      // A decode is the caller's private copy (cheaper than a deep clone).
      const desired = await tryUpdate(opts.readOnly ? old : this.#decodeFresh(cur.kv));
      try {
        const obj = await this.#update(ctx, namespace, name, desired, old, cur.kv, opts.subresource ?? '');
        return { obj, created: false };
      } catch (e) {
        if (e instanceof StorageError && e.code === 'Conflict' && attempt < retries) continue;
        if (e instanceof StorageError) this.#mapStorageError(e, name);
        throw e;
      }
    }
  }

  /** PUT: the object must carry the current resourceVersion, or none for an unconditional update. */
  async update(ctx: RequestContext, namespace: string, name: string, input: Obj, subresource = ''): Promise<{ obj: Obj; created: boolean }> {
    this.#checkTypeMeta(input);
    if (input.metadata.name && input.metadata.name !== name) throw badRequest('the name of the object (' + input.metadata.name + ') does not match the name on the URL (' + name + ')');
    input.metadata.name = name;
    this.#checkNamespace(input, namespace);
    const wantRv = input.metadata.resourceVersion;
    return this.guaranteedUpdate(
      ctx,
      namespace,
      name,
      (cur) => {
        if (cur && wantRv && wantRv !== cur.metadata.resourceVersion) throw conflict(this.gr, name, OBJECT_MODIFIED);
        if (!cur && wantRv) throw notFound(this.gr, name);
        // The store edits what it writes; with a resourceVersion there is no second attempt that
        // would need the request's object as it came, so the first (and only) one may take it.
        return wantRv ? input : structuredClone(input);
      },
      { subresource, allowCreate: this.strategy.allowCreateOnUpdate && subresource === '', retries: wantRv ? 0 : 8, readOnly: true },
    );
  }

  async #update(ctx: RequestContext, namespace: string, name: string, obj: Obj, old: Obj, kv: KeyValue, subresource: string): Promise<Obj> {
    this.#checkTypeMeta(obj);
    obj.metadata.name = name;
    this.#checkNamespace(obj, namespace);
    const meta = obj.metadata;
    const om = old.metadata;
    if (meta.uid && meta.uid !== om.uid) {
      throw conflict(this.gr, name, `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${om.uid}`);
    }
    if (meta.resourceVersion && meta.resourceVersion !== om.resourceVersion) throw conflict(this.gr, name, OBJECT_MODIFIED);
    // Request bodies are defaulted as they are decoded; the server's own subresource writes start from the stored object.
    if (subresource !== 'binding' && subresource !== 'finalize' && subresource !== 'approval') applyDefaults(obj);
    if (subresource !== '') {
      // Subresource writes change only their part (status strategy + ResetObjectMetaForStatus;
      // namespaces/finalize: spec.finalizers; certificatesigningrequests/approval: status.conditions).
      // The rest is the stored object's, shared with `old` (read-only, maybe the watch cache's
      // own): nothing edits a part of what it writes that it did not replace.
      const next: Obj = { ...old, metadata: { ...old.metadata } };
      if (subresource === 'finalize') next.spec = { ...(next.spec ?? {}), finalizers: obj.spec?.finalizers ?? [] };
      else if (subresource === 'binding') {
        // pods/binding sets the node and the PodScheduled condition in one write, as upstream's BindingREST.
        next.spec = { ...(next.spec ?? {}), nodeName: obj.spec?.nodeName };
        next.status = obj.status;
      }
      else if (subresource === 'approval') next.status = { ...(next.status ?? {}), conditions: obj.status?.conditions };
      else if (subresource === 'ephemeralcontainers') {
        // pods/ephemeralcontainers: spec.ephemeralContainers only (upstream's podEphemeralContainersStrategy).
        const eph = obj.spec?.ephemeralContainers;
        next.spec = { ...(next.spec ?? {}) };
        if (eph === undefined || eph === null) delete next.spec.ephemeralContainers;
        else next.spec.ephemeralContainers = eph;
      }
      else if (obj.status === undefined) delete next.status;
      else next.status = obj.status;
      // `next` is written instead of the request's object (emptying that one and filling it
      // again would leave it a slow dictionary for every later encoding).
      carryApplied(obj, next);
      obj = next;
    } else {
      // Fields the server owns.
      meta.uid = om.uid;
      meta.creationTimestamp = om.creationTimestamp;
      if (om.deletionTimestamp) meta.deletionTimestamp = om.deletionTimestamp;
      else delete meta.deletionTimestamp;
      if (om.deletionGracePeriodSeconds !== undefined) meta.deletionGracePeriodSeconds = om.deletionGracePeriodSeconds;
      else delete meta.deletionGracePeriodSeconds;
      if (om.generation !== undefined) meta.generation = om.generation;
      else delete meta.generation;
      if (this.strategy.hasStatus) {
        if (old.status === undefined) delete obj.status;
        else obj.status = old.status;
      }
      this.strategy.prepareForUpdate(obj, old, ctx);
      if (this.strategy.hasGeneration && !sameJSON(obj.spec, old.spec)) meta.generation = (om.generation ?? 0) + 1;
    }
    recordWrite(this, obj, old, ctx, subresource);
    obj.metadata.resourceVersion = om.resourceVersion;
    await this.#admission.admit({ operation: 'UPDATE', store: this, obj, old, ctx, namespace, subresource });
    // A binding only sets the node (checked by its handler); pod update validation forbids that change.
    // pods/status keeps the stored spec (the very object, validated when it was written): only
    // the metadata update is checked, as upstream's status strategy does not look at the spec.
    const podStatus = subresource === 'status' && obj.spec === old.spec && this.info.kind === 'Pod' && this.info.group === '';
    const errs =
      subresource === 'binding'
        ? []
        : subresource === 'ephemeralcontainers'
          ? validateEphemeralContainersUpdate(obj, old)
          : podStatus
            ? validateObjectMetaUpdate(obj.metadata, old.metadata)
            : this.strategy.validateUpdate(obj, old, ctx);
    if (errs.length) this.#invalid(obj, errs);
    await this.#admission.validate({ operation: 'UPDATE', store: this, obj, old, ctx, namespace, subresource });
    await this.hooks.beforeUpdate?.(obj, old, ctx);
    // An object being deleted whose last finalizer this update removes goes away now (ShouldDeleteDuringUpdate).
    // (Also when the update ends what the strategy waited for: namespaces/finalize emptying spec.finalizers.)
    // (obj.metadata, not meta: a subresource write replaced obj above.)
    const nm = obj.metadata;
    const finishing = () =>
      ((om.finalizers ?? []).length > 0 || this.strategy.prepareForDelete(clone(old))) && !this.strategy.prepareForDelete(clone(obj));
    if (nm.deletionTimestamp && (nm.finalizers ?? []).length === 0 && (nm.deletionGracePeriodSeconds ?? 0) === 0 && !ctx.dryRun && finishing()) {
      const d = await this.#backend.delete(this.key(namespace, name), kv.modRevision);
      this.hooks.afterDelete?.(obj);
      return { ...obj, metadata: { ...nm, resourceVersion: String(d.revision) } };
    }
    // A write that changes nothing is not written (its resourceVersion stays), as upstream.
    // (Encrypted: compare plaintexts, and write a value a rotated-out key still reads, as upstream's stale.)
    const key = this.key(namespace, name);
    const enc = this.#encodeText(obj);
    const plain = Buffer.from(enc.text);
    if (this.#transformer) {
      const stored = this.#fromStorage(kv);
      if (!stored.stale && plain.equals(stored.data)) return old;
    } else if (plain.equals(kv.value)) return old;
    if (ctx.dryRun) return obj;
    const bytes = this.#transformer ? this.#transformer.toStorage(plain, key) : plain;
    const r = await this.#backend.update(key, bytes, kv.modRevision, this.#ttl(obj));
    return this.#withEncoding(this.#remember(obj, key, r.kv.modRevision), enc);
  }

  /**
   * Admission for a subresource that takes an object of another kind and stores nothing itself
   * (pods/eviction): the mutating plugins, then the validating ones, on `obj`. `target` is the
   * object the subresource acts on, for plugins that look at it (NodeRestriction); webhooks and
   * policies see no old object on a CREATE.
   */
  async admitSubresource(ctx: RequestContext, namespace: string, subresource: string, obj: Obj, kind: { group: string; version: string; kind: string }, target: Obj | undefined): Promise<void> {
    const a = { operation: 'CREATE' as const, store: this, obj, ...(target ? { old: target } : {}), ctx, namespace, subresource, kind };
    await this.#admission.admit(a);
    await this.#admission.validate(a);
  }

  /**
   * DELETE. Returns the object and whether it is gone now (false while finalizers or a grace
   * period keep it).
   */
  async delete(ctx: RequestContext, namespace: string, name: string, opts: DeleteOptions = {}): Promise<{ obj: Obj; deleted: boolean }> {
    const key = this.key(namespace, name);
    for (let attempt = 0; ; attempt++) {
      const cur = await this.#backend.get(key);
      if (!cur.kv) throw notFound(this.gr, name);
      const obj = this.#decode(cur.kv);
      const meta = obj.metadata;
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== meta.uid) throw conflict(this.gr, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${meta.uid}`);
      if (pre?.resourceVersion && pre.resourceVersion !== meta.resourceVersion) {
        throw conflict(this.gr, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion}`);
      }
      await this.#admission.validate({ operation: 'DELETE', store: this, obj, old: obj, ctx, namespace });
      try {
        const finalizers: string[] = [...(meta.finalizers ?? [])];
        const policy = opts.propagationPolicy ?? (opts.orphanDependents === true ? 'Orphan' : opts.orphanDependents === false ? 'Background' : undefined);
        let changed = false;
        // Recorded for the garbage collector, which finishes the job.
        if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion')) {
          finalizers.push('foregroundDeletion');
          changed = true;
        }
        if (policy === 'Orphan' && !finalizers.includes('orphan')) {
          finalizers.push('orphan');
          changed = true;
        }
        if (policy && policy !== 'Orphan' && finalizers.includes('orphan')) {
          finalizers.splice(finalizers.indexOf('orphan'), 1);
          changed = true;
        }
        const grace = this.strategy.gracePeriod(obj, opts.gracePeriodSeconds);
        const next = clone(obj);
        const m = next.metadata;
        if (finalizers.length) m.finalizers = finalizers;
        const waits = this.strategy.prepareForDelete(next);
        if (finalizers.length > 0 || grace > 0 || waits) {
          // Not gone yet: mark it as being deleted; finalizers, the grace period or a controller finish the job.
          if (!m.deletionTimestamp || (m.deletionGracePeriodSeconds !== undefined && grace < m.deletionGracePeriodSeconds)) {
            m.deletionTimestamp = rfc3339(ctx.now + grace * 1000);
            m.deletionGracePeriodSeconds = grace;
            changed = true;
          }
          if (!changed && sameJSON(next, obj)) return { obj, deleted: false };
          if (ctx.dryRun) return { obj: next, deleted: false };
          const r = await this.#backend.update(key, this.#encode(next, key), cur.kv.modRevision);
          return { obj: this.#decode(r.kv), deleted: false };
        }
        return await this.#deleteNow(ctx, key, obj, cur.kv.modRevision);
      } catch (e) {
        if (e instanceof StorageError && e.code === 'Conflict' && attempt < 8) continue;
        if (e instanceof StorageError) this.#mapStorageError(e, name);
        throw e;
      }
    }
  }

  async #deleteNow(ctx: RequestContext, key: string, obj: Obj, modRevision: number): Promise<{ obj: Obj; deleted: boolean }> {
    if (ctx.dryRun) return { obj, deleted: true };
    const d = await this.#backend.delete(key, modRevision);
    this.hooks.afterDelete?.(obj);
    return { obj: { ...obj, metadata: { ...obj.metadata, resourceVersion: String(d.revision) } }, deleted: true };
  }

  /** Watches through the cache; `resourceVersion` "" or "0" starts with the current state. */
  async watch(namespace: string, resourceVersion: string | undefined, filter: Filter | undefined, w: CacheWatcher): Promise<() => void> {
    const inScope: Filter = (o) => {
      if (this.info.namespaced && namespace && o.metadata?.namespace !== namespace) return false;
      return !filter || filter(o);
    };
    const rv = resourceVersion ?? '';
    if (rv !== '' && rv !== '0' && (!/^\d+$/.test(rv))) throw badRequest(`invalid resource version: ${rv}`);
    return this.cache.watch(rv === '' || rv === '0' ? undefined : Number(rv), inScope, w);
  }

  /** Field-selector fields of an object. */
  fields(obj: Obj): Record<string, string> {
    return objectFields(this.strategy, obj);
  }
}
