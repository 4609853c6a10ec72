// The CRD controllers of apiextensions-apiserver, in-process: naming (acceptedNames and the
// NamesAccepted condition), establishing (Established), serving each served version as a REST
// resource with discovery and OpenAPI, and the finalizer that deletes every custom resource of a
// CRD being deleted (Terminating) before the CRD goes and its resource stops being served.
import { StatusError, isConflict, isNotFound } from '../machinery/errors.ts';
import type { ResourceInfo, SubresourceInfo } from '../api/resources.ts';
import { builtinResources } from '../api/resources.ts';
import type { Store } from '../apiserver/registry/store.ts';
import type { Strategy } from '../apiserver/registry/strategy.ts';
import { strategyFor } from '../apiserver/registry/strategies.ts';
import { rfc3339, type Obj, type RequestContext } from '../apiserver/types.ts';
import { CLEANUP_FINALIZER, crdStrategy, storageVersion, validateCRD, validateCRDUpdate } from './crd.ts';
import { customResourceStrategy, invalidFor, versionState, type VersionState } from './customresource.ts';
import { customDefinitions } from './openapi.ts';
import type { Schema } from './schema.ts';

/** What the controller needs from the API server (ApiServer implements it). */
export interface CrdHost {
  readonly stores: Map<string, Store>;
  serveResource(info: ResourceInfo, strategy: Strategy): Store;
  unserveResource(group: string, version: string, resource: string): void;
  systemContext(): RequestContext;
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const GPU = ['get', 'patch', 'update'];

interface ServedVersion {
  key: string;
  signature: string;
  holder: { state: VersionState };
  store: Store;
}

interface Served {
  versions: Map<string, ServedVersion>;
  terminating: boolean;
}

/** The CRD resource (apiextensions.k8s.io/v1), served with its own strategy. */
function crdResource(): ResourceInfo {
  const r = builtinResources.find((x) => x.group === 'apiextensions.k8s.io' && x.resource === 'customresourcedefinitions')!;
  const { served: _s, ...info } = r;
  return info;
}

function crdStoreStrategy(info: ResourceInfo): Strategy {
  const base = strategyFor(info);
  return {
    ...base,
    prepareForCreate(obj, ctx) {
      base.prepareForCreate(obj, ctx);
      crdStrategy.prepareForCreate!(obj, ctx);
    },
    prepareForUpdate(obj, old, ctx) {
      base.prepareForUpdate(obj, old, ctx);
      crdStrategy.prepareForUpdate!(obj, old, ctx);
    },
    validate: (obj, ctx) => invalidFor(obj, [...base.validate(obj, ctx), ...validateCRD(obj)]),
    validateUpdate: (obj, old, ctx) => invalidFor(obj, [...base.validateUpdate(obj, old, ctx), ...validateCRDUpdate(obj, old)]),
    prepareForDelete: crdStrategy.prepareForDelete!,
  };
}

/** The ResourceInfo of one served version of a CRD, with its OpenAPI definitions. */
export function resourceInfoFor(crd: Obj, version: Obj): ResourceInfo {
  const spec = crd.spec;
  const names = spec.names;
  const subresources: SubresourceInfo[] = [];
  if (version.subresources?.scale) subresources.push({ name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: GPU });
  if (version.subresources?.status) subresources.push({ name: 'status', kind: names.kind, verbs: GPU });
  const info: ResourceInfo & { schemas?: unknown } = {
    group: spec.group,
    version: version.name,
    resource: names.plural,
    kind: names.kind,
    listKind: names.listKind ?? `${names.kind}List`,
    singular: names.singular ?? names.kind.toLowerCase(),
    namespaced: spec.scope === 'Namespaced',
    verbs: ALL_VERBS,
  };
  if (names.shortNames?.length) info.shortNames = names.shortNames;
  if (names.categories?.length) info.categories = names.categories;
  if (subresources.length) info.subresources = subresources;
  const schema = version.schema?.openAPIV3Schema as Schema | undefined;
  const v3 = customDefinitions(spec.group, version.name, info.kind, info.listKind, schema);
  const v2 = customDefinitions(spec.group, version.name, info.kind, info.listKind, schema, true);
  info.schemas = { definition: v3.definition, listDefinition: v3.listDefinition, v2: v2.definitions, v3: v3.definitions };
  return info;
}

function condition(type: string, status: string, reason: string, message: string, now: number, old: Obj[] | undefined): Obj {
  const prev = (old ?? []).find((c) => c.type === type);
  const lastTransitionTime = prev && prev.status === status ? prev.lastTransitionTime : rfc3339(now);
  return { type, status, lastTransitionTime, reason, message };
}

export class CustomResources {
  #host: CrdHost;
  readonly crds: Store;
  #served = new Map<string, Served>();
  #queue = new Set<string>();
  #busy: Promise<void> | undefined;
  #stopWatch: (() => void) | undefined;
  #timers = new Set<NodeJS.Timeout>();
  #stopped = false;

  constructor(host: CrdHost) {
    this.#host = host;
    const info = crdResource();
    this.crds = host.serveResource(info, crdStoreStrategy(info));
  }

  /** Serves the CRDs in storage, then follows changes. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.crds.cache.ready;
    const { items, resourceVersion } = await this.crds.list('');
    for (const crd of items) await this.#sync(crd.metadata.name);
    this.#stopWatch = await this.crds.watch('', resourceVersion, undefined, {
      send: (_type, ev) => this.#enqueue(ev.obj.metadata?.name),
      fail: () => {
        // The cache could not follow (compaction): start over from a fresh list.
        this.#stopWatch?.();
        if (!this.#stopped) void this.start();
      },
    });
  }

  stop(): void {
    this.#stopped = true;
    this.#stopWatch?.();
    this.#stopWatch = undefined;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  /** Resolves when no CRD change is waiting to be handled (for tests). */
  async idle(): Promise<void> {
    while (this.#busy) await this.#busy;
  }

  /** The schema of a served custom resource kind (for server-side apply's list types), or undefined. */
  schemaFor(group: string, version: string, kind: string): Schema | undefined {
    for (const s of this.#served.values()) {
      const v = s.versions.get(version);
      if (v && v.holder.state.crd.spec.group === group && v.store.info.kind === kind) return v.holder.state.schema;
    }
    return undefined;
  }

  #enqueue(name: string | undefined): void {
    if (!name || this.#stopped) return;
    this.#queue.add(name);
    if (!this.#busy) this.#busy = this.#drain();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.size) {
        const name = this.#queue.values().next().value!;
        this.#queue.delete(name);
        try {
          await this.#sync(name);
        } catch (e) {
          if (this.#stopped) return;
          // Conflicts are the normal race with other writers; anything else is retried with a delay.
          if (!isConflict(e)) process.stderr.write(`apiextensions: syncing CRD ${name}: ${(e as Error).message}\n`);
          this.#later(name, isConflict(e) ? 10 : 1000);
        }
      }
    } finally {
      this.#busy = undefined;
    }
  }

  #later(name: string, ms: number): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      this.#enqueue(name);
    }, ms);
    this.#timers.add(t);
  }

  async #sync(name: string): Promise<void> {
    if (this.#stopped) return;
    let crd: Obj;
    try {
      crd = await this.crds.get('', name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      this.#unserveAll(name);
      return;
    }
    if (crd.metadata.deletionTimestamp) {
      await this.#finalize(crd);
      return;
    }
    const accepted = this.#namesConflict(crd);
    if (!accepted.conflict) await this.#serve(crd);
    await this.#updateStatus(crd, accepted);
  }

  /** Another CRD of the group that already uses this kind (upstream's naming controller). */
  #namesConflict(crd: Obj): { conflict: boolean; reason: string; message: string } {
    const { group, names } = crd.spec;
    for (const other of this.crds.cache.list('/').items) {
      if (other.metadata.name === crd.metadata.name || other.spec?.group !== group) continue;
      const an = other.status?.acceptedNames;
      if (an?.kind && an.kind === names.kind) return { conflict: true, reason: 'KindConflict', message: `"${names.kind}" is already in use` };
      if (an?.listKind && an.listKind === names.listKind) return { conflict: true, reason: 'ListKindConflict', message: `"${names.listKind}" is already in use` };
    }
    return { conflict: false, reason: 'NoConflicts', message: 'no conflicts found' };
  }

  async #serve(crd: Obj): Promise<void> {
    const name = crd.metadata.name;
    let served = this.#served.get(name);
    if (!served) this.#served.set(name, (served = { versions: new Map(), terminating: false }));
    const sv = storageVersion(crd);
    const wanted = new Set<string>();
    for (const v of crd.spec.versions ?? []) {
      if (!v.served) continue;
      wanted.add(v.name);
      const info = resourceInfoFor(crd, v);
      const signature = JSON.stringify([info, sv]);
      const state = versionState(crd, v);
      const cur = served.versions.get(v.name);
      if (cur && cur.signature === signature) {
        cur.holder.state = state;
        continue;
      }
      if (cur && cur.key !== `${info.group}/${info.version}/${info.resource}`) this.#host.unserveResource(...(cur.key.split('/') as [string, string, string]));
      const holder = { state };
      const store = this.#host.serveResource(info, customResourceStrategy(() => holder.state));
      if (sv) store.setStorageVersion(`${info.group}/${sv}`);
      const s = served;
      store.hooks = {
        beforeCreate: () => {
          if (s.terminating) throw new StatusError(405, 'MethodNotAllowed', 'create not allowed while custom resource definition is terminating');
        },
      };
      served.versions.set(v.name, { key: `${info.group}/${info.version}/${info.resource}`, signature, holder, store });
      await store.cache.ready;
    }
    for (const [v, entry] of served.versions) {
      if (wanted.has(v)) continue;
      this.#host.unserveResource(...(entry.key.split('/') as [string, string, string]));
      served.versions.delete(v);
    }
  }

  #unserveAll(name: string): void {
    const served = this.#served.get(name);
    if (!served) return;
    for (const entry of served.versions.values()) this.#host.unserveResource(...(entry.key.split('/') as [string, string, string]));
    this.#served.delete(name);
  }

  async #updateStatus(crd: Obj, names: { conflict: boolean; reason: string; message: string }): Promise<void> {
    const ctx = this.#host.systemContext();
    const old = crd.status ?? {};
    const conds: Obj[] = old.conditions ?? [];
    const n = crd.spec.names;
    const status: Obj = { ...old };
    if (!names.conflict) {
      status.acceptedNames = {
        plural: n.plural,
        singular: n.singular ?? n.kind.toLowerCase(),
        ...(n.shortNames?.length ? { shortNames: n.shortNames } : {}),
        kind: n.kind,
        listKind: n.listKind ?? `${n.kind}List`,
        ...(n.categories?.length ? { categories: n.categories } : {}),
      };
    }
    const next: Obj[] = [condition('NamesAccepted', names.conflict ? 'False' : 'True', names.reason, names.message, ctx.now, conds)];
    const established = conds.find((c) => c.type === 'Established')?.status === 'True';
    if (!names.conflict || established) {
      next.push(condition('Established', 'True', 'InitialNamesAccepted', 'the initial names have been accepted', ctx.now, conds));
    } else {
      next.push(condition('Established', 'False', 'NotAccepted', 'not all names are accepted', ctx.now, conds));
    }
    for (const c of conds) if (c.type !== 'NamesAccepted' && c.type !== 'Established') next.push(c);
    status.conditions = next;
    const sv = storageVersion(crd);
    const stored: string[] = [...(old.storedVersions ?? [])];
    if (sv && !stored.includes(sv)) stored.push(sv);
    status.storedVersions = stored;
    if (JSON.stringify(status) === JSON.stringify(old)) return;
    await this.crds.guaranteedUpdate(ctx, '', crd.metadata.name, (cur) => {
      cur!.status = status;
      if (cur!.metadata.resourceVersion !== crd.metadata.resourceVersion) throw new StatusError(409, 'Conflict', 'the CRD changed');
      return cur!;
    }, { subresource: 'status', retries: 0 });
  }

  /** Deletes the CRD's custom resources, then drops the cleanup finalizer (upstream's finalizer controller). */
  async #finalize(crd: Obj): Promise<void> {
    const name = crd.metadata.name;
    const served = this.#served.get(name);
    if (!(crd.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER)) return;
    const ctx = this.#host.systemContext();
    const setTerminating = async (reason: string, message: string) => {
      const conds: Obj[] = crd.status?.conditions ?? [];
      const prev = conds.find((c) => c.type === 'Terminating');
      if (prev?.reason === reason) return;
      const cond = condition('Terminating', 'True', reason, message, ctx.now, conds);
      const { obj } = await this.crds.guaranteedUpdate(ctx, '', name, (cur) => {
        const cs: Obj[] = (cur!.status?.conditions ?? []).filter((c: Obj) => c.type !== 'Terminating');
        cur!.status = { ...(cur!.status ?? {}), conditions: [...cs, cond] };
        return cur!;
      }, { subresource: 'status' });
      crd = obj;
    };
    if (served) {
      served.terminating = true;
      const store = [...served.versions.values()][0]?.store;
      if (store) {
        await setTerminating('InstanceDeletionInProgress', 'CustomResource deletion is in progress');
        const { items } = await store.list('');
        for (const it of items) {
          if (it.metadata.deletionTimestamp) continue;
          try {
            await store.delete(ctx, it.metadata.namespace ?? '', it.metadata.name);
          } catch (e) {
            if (!isNotFound(e)) throw e;
          }
        }
        const left = (await store.list('')).items.length;
        if (left > 0) {
          await setTerminating('InstanceDeletionCheck', `could not confirm zero CustomResources remaining: timed out waiting for the condition`);
          this.#later(name, 1000);
          return;
        }
      }
    }
    await this.crds.guaranteedUpdate(ctx, '', name, (cur) => {
      cur!.metadata.finalizers = (cur!.metadata.finalizers ?? []).filter((f: string) => f !== CLEANUP_FINALIZER);
      if (cur!.metadata.finalizers.length === 0) delete cur!.metadata.finalizers;
      return cur!;
    });
    // Other finalizers may keep the CRD a while longer; its resource is no longer served either way.
    this.#unserveAll(name);
  }
}
