// Informers, as client-go's: list, then watch from the list's resourceVersion, keeping a local
// cache with indexes; handlers hear adds, updates and deletes; a 410 Gone (or a dropped watch)
// re-lists and reconciles the cache; an optional resync replays updates for every object. A
// factory shares one informer per resource among all the controllers of a process. The objects
// it hands out are shared (in process, with the API server's watch cache too): read-only, as
// client-go's rule for informer caches — copy before changing one.
import { StatusError } from '../machinery/errors.ts';
import { realClock, type Clock } from '../machinery/clock.ts';
import { parseSelector } from '../machinery/labels.ts';
import type { ResourceClient, KubeClient } from './client.ts';
import type { Obj, WatchStream } from './types.ts';

export interface EventHandlers<T> {
  add?(obj: T): void;
  update?(oldObj: T, newObj: T): void;
  delete?(obj: T): void;
}

export type IndexFunc<T> = (obj: T) => string[];

/** `namespace/name`, or `name` for cluster-scoped objects (client-go's MetaNamespaceKeyFunc). */
export function keyOf(obj: Obj): string {
  const m = obj.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name}` : m.name;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Replays an update for every cached object this often (0 = never). */
  resyncMs?: number;
  clock?: Clock;
  /**
   * Changes each object before it is cached (client-go's TransformFunc), e.g. stripManagedFields.
   * Only for objects the informer owns (decoded from the wire): in process they are shared.
   */
  transform?: (obj: Obj) => void;
}

/** Drops metadata.managedFields, which no controller reads (as kube-scheduler and kube-controller-manager trim their caches). */
export function stripManagedFields(obj: Obj): void {
  // Set rather than deleted: a deleted key turns the object into a slower dictionary.
  if (obj.metadata?.managedFields !== undefined) obj.metadata.managedFields = undefined;
}

const NONE: readonly string[] = [];

export class Informer<T extends Obj = Obj> {
  readonly client: ResourceClient<T>;
  #opts: InformerOptions;
  #clock: Clock;
  #items = new Map<string, T>();
  #indexers = new Map<string, { fn: IndexFunc<T>; index: Map<string, Set<string>> }>();
  #handlers: EventHandlers<T>[] = [];
  #rv = '';
  #stopped = false;
  #watch: WatchStream<T> | undefined;
  #synced = false;
  #syncedWaiters: (() => void)[] = [];
  #running: Promise<void> | undefined;

  constructor(client: ResourceClient<T>, opts: InformerOptions = {}) {
    this.client = opts.namespace ? client.inNamespace(opts.namespace) : client;
    this.#opts = opts;
    this.#clock = opts.clock ?? realClock;
    this.addIndex('namespace', (o) => [o.metadata?.namespace ?? '']);
  }

  get hasSynced(): boolean {
    return this.#synced;
  }

  /** Resolves once the first list has been loaded into the cache. */
  synced(): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((r) => this.#syncedWaiters.push(r));
  }

  addEventHandler(h: EventHandlers<T>): void {
    this.#handlers.push(h);
    // A late handler hears about everything already cached, as client-go's does.
    if (this.#synced) for (const o of this.#items.values()) h.add?.(o);
  }

  addIndex(name: string, fn: IndexFunc<T>): void {
    const index = new Map<string, Set<string>>();
    for (const [k, o] of this.#items) for (const v of fn(o)) (index.get(v) ?? index.set(v, new Set()).get(v)!).add(k);
    this.#indexers.set(name, { fn, index });
  }

  // --- lister -------------------------------------------------------------------------------

  get(namespaceOrName: string, name?: string): T | undefined {
    return this.#items.get(name === undefined ? namespaceOrName : namespaceOrName ? `${namespaceOrName}/${name}` : name);
  }

  getByKey(key: string): T | undefined {
    return this.#items.get(key);
  }

  /** Every cached object, or a namespace's, optionally filtered by a label selector string. */
  list(namespace?: string, labelSelector?: string): T[] {
    const items = namespace ? this.byIndex('namespace', namespace) : [...this.#items.values()];
    if (!labelSelector) return items;
    const sel = parseSelector(labelSelector);
    return items.filter((o) => sel.matches(o.metadata?.labels ?? {}));
  }

  byIndex(name: string, value: string): T[] {
    const idx = this.#indexers.get(name);
    if (!idx) throw new Error(`informer has no index "${name}"`);
    const keys = idx.index.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const k of keys) {
      const o = this.#items.get(k);
      if (o) out.push(o);
    }
    return out;
  }

  get size(): number {
    return this.#items.size;
  }

  // --- cache maintenance ----------------------------------------------------------------------

  #index(key: string, obj: T | undefined, old: T | undefined) {
    for (const { fn, index } of this.#indexers.values()) {
      const before = old ? fn(old) : NONE;
      const after = obj ? fn(obj) : NONE;
      // Most updates keep their index values (namespace, node): nothing to move.
      if (before.length === 1 && after.length === 1 && before[0] === after[0]) continue;
      for (const v of before) index.get(v)?.delete(key);
      for (const v of after) (index.get(v) ?? index.set(v, new Set()).get(v)!).add(key);
    }
  }

  #set(obj: T) {
    this.#opts.transform?.(obj);
    const key = keyOf(obj);
    const old = this.#items.get(key);
    this.#items.set(key, obj);
    this.#index(key, obj, old);
    for (const h of this.#handlers) (old ? h.update?.(old, obj) : h.add?.(obj));
  }

  #remove(obj: T) {
    const key = keyOf(obj);
    const old = this.#items.get(key);
    if (!old) return;
    this.#items.delete(key);
    this.#index(key, undefined, old);
    for (const h of this.#handlers) h.delete?.(obj);
  }

  /** Replaces the cache with a fresh list, telling handlers what changed (client-go's Replace). */
  #replace(items: T[]) {
    const seen = new Set<string>();
    for (const o of items) {
      const key = keyOf(o);
      seen.add(key);
      const old = this.#items.get(key);
      if (old && old.metadata?.resourceVersion === o.metadata?.resourceVersion) continue;
      this.#set(o);
    }
    for (const [k, o] of [...this.#items]) if (!seen.has(k)) this.#remove(o);
  }

  // --- list and watch -------------------------------------------------------------------------

  /** Starts listing and watching; returns at once (use synced()). */
  start(): this {
    if (!this.#running) this.#running = this.#run();
    return this;
  }

  async #list() {
    const { labelSelector, fieldSelector } = this.#opts;
    const list = await this.client.list({ resourceVersion: '0', ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}) });
    this.#replace(list.items);
    this.#rv = list.metadata.resourceVersion ?? '';
    if (!this.#synced) {
      this.#synced = true;
      for (const w of this.#syncedWaiters.splice(0)) w();
    }
  }

  async #run(): Promise<void> {
    let backoff = 100;
    let needList = true;
    this.#scheduleResync();
    while (!this.#stopped) {
      try {
        if (needList) {
          await this.#list();
          needList = false;
        }
        const { labelSelector, fieldSelector } = this.#opts;
        this.#watch = await this.client.watch({
          resourceVersion: this.#rv,
          allowWatchBookmarks: true,
          ...(labelSelector ? { labelSelector } : {}),
          ...(fieldSelector ? { fieldSelector } : {}),
        });
        if (this.#stopped) {
          this.#watch.close();
          break;
        }
        backoff = 100;
        for await (const ev of this.#watch) {
          if (ev.type === 'ERROR') {
            const code = (ev.object as Obj).code;
            if (code === 410) needList = true;
            break;
          }
          if (ev.type === 'BOOKMARK') {
            this.#rv = ev.object.metadata?.resourceVersion ?? this.#rv;
            continue;
          }
          this.#rv = ev.object.metadata?.resourceVersion ?? this.#rv;
          if (ev.type === 'DELETED') this.#remove(ev.object);
          else this.#set(ev.object);
        }
      } catch (e) {
        if (this.#stopped) break;
        if (e instanceof StatusError && e.code === 410) needList = true;
        else {
          await new Promise<void>((r) => this.#clock.after(backoff, r));
          backoff = Math.min(backoff * 2, 30_000);
        }
      }
    }
  }

  #scheduleResync() {
    const ms = this.#opts.resyncMs ?? 0;
    if (ms <= 0 || this.#stopped) return;
    this.#clock.after(ms, () => {
      if (this.#stopped) return;
      for (const o of this.#items.values()) for (const h of this.#handlers) h.update?.(o, o);
      this.#scheduleResync();
    });
  }

  stop(): void {
    this.#stopped = true;
    this.#watch?.close();
  }
}

/** One informer per resource (and namespace/selector) for every controller in a process. */
export class InformerFactory {
  #client: KubeClient;
  #clock: Clock;
  #informers = new Map<string, Informer>();
  #resyncMs: number;

  #transform: ((obj: Obj) => void) | undefined;

  constructor(client: KubeClient, opts: { clock?: Clock; resyncMs?: number; transform?: (obj: Obj) => void } = {}) {
    this.#client = client;
    this.#clock = opts.clock ?? realClock;
    this.#resyncMs = opts.resyncMs ?? 0;
    this.#transform = opts.transform;
  }

  informer<T extends Obj = Obj>(group: string, resource: string, opts: Omit<InformerOptions, 'clock'> = {}): Informer<T> {
    const key = `${group}/${resource}/${opts.namespace ?? ''}/${opts.labelSelector ?? ''}/${opts.fieldSelector ?? ''}`;
    let inf = this.#informers.get(key);
    if (!inf) {
      inf = new Informer(this.#client.resource(group, resource), { resyncMs: this.#resyncMs, ...(this.#transform ? { transform: this.#transform } : {}), ...opts, clock: this.#clock });
      this.#informers.set(key, inf);
    }
    return inf as unknown as Informer<T>;
  }

  start(): void {
    for (const i of this.#informers.values()) i.start();
  }

  async synced(): Promise<void> {
    await Promise.all([...this.#informers.values()].map((i) => i.synced()));
  }

  stop(): void {
    for (const i of this.#informers.values()) i.stop();
  }
}
