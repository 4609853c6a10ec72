// metadata.managedFields as kube-apiserver's field manager keeps them
// (k8s.io/apimachinery/pkg/util/managedfields/internal): decoding and encoding the entries,
// manager identity (manager + operation + apiVersion for Update + subresource), the fields
// every write never records (StripMeta), the cap of 10 Update entries merged into
// "ancient-changes", and the manager name taken from the User-Agent.
import { FieldSet } from './fieldset.ts';
import { rfc3339, type Obj } from '../types.ts';

export interface ManagedEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string | undefined;
  subresource: string;
  set: FieldSet;
  /** The entry as it came from storage, reused when nothing about it changed. */
  raw?: Obj;
}

/** Entries by manager identity. */
export type Managed = Map<string, ManagedEntry>;

export function managerId(manager: string, operation: 'Apply' | 'Update', apiVersion: string, subresource: string): string {
  return `${manager}\u0000${operation}\u0000${operation === 'Update' ? apiVersion : ''}\u0000${subresource}`;
}

/**
 * The entries of managedFields lists the field manager wrote (see encodeManaged), by list: the
 * written objects are never changed after (the watch cache keeps them read-only), so the next
 * write of the same object starts from these instead of decoding every entry's FieldsV1 again.
 */
const decodedLists = new WeakMap<object, Managed>();

/** Decodes metadata.managedFields; throws on a malformed entry (as DecodeManagedFields). */
export function decodeManaged(entries: unknown): Managed {
  if (Array.isArray(entries)) {
    const known = decodedLists.get(entries);
    if (known) return new Map(known);
  }
  const out: Managed = new Map();
  if (entries === undefined || entries === null) return out;
  if (!Array.isArray(entries)) throw new Error('managedFields must be a list');
  entries.forEach((e, i) => {
    if (e === null || typeof e !== 'object' || Array.isArray(e)) throw new Error(`managed fields entry ${i} must be an object`);
    const r = e as Obj;
    if (r.operation !== 'Apply' && r.operation !== 'Update') throw new Error('operation must be `Apply` or `Update`');
    if (typeof r.apiVersion !== 'string' || r.apiVersion === '') throw new Error('apiVersion must not be empty');
    if (r.fieldsType === undefined || r.fieldsType === '') throw new Error(`missing fieldsType in managed fields entry ${i}`);
    if (r.fieldsType !== 'FieldsV1') throw new Error(`invalid fieldsType ${JSON.stringify(r.fieldsType)} in managed fields entry ${i}`);
    const manager = typeof r.manager === 'string' ? r.manager : '';
    const subresource = typeof r.subresource === 'string' ? r.subresource : '';
    const set = FieldSet.fromJSON(r.fieldsV1 ?? {});
    out.set(managerId(manager, r.operation, r.apiVersion, subresource), {
      manager,
      operation: r.operation,
      apiVersion: r.apiVersion,
      time: typeof r.time === 'string' ? r.time : undefined,
      subresource,
      set,
      raw: r,
    });
  });
  return out;
}

/** Decodes, or gives an empty set of entries when the stored ones do not decode. */
export function decodeManagedOrEmpty(entries: unknown): Managed {
  try {
    return decodeManaged(entries);
  } catch {
    return new Map();
  }
}

/** `[]` and `[{}]` in a request clear managedFields (isResetManagedFields). */
export function isResetManagedFields(entries: unknown): boolean {
  if (!Array.isArray(entries)) return false;
  if (entries.length === 0) return true;
  if (entries.length !== 1) return false;
  const e = entries[0];
  if (e === null || typeof e !== 'object') return false;
  for (const k in e as Obj) if ((e as Obj)[k] !== undefined && (e as Obj)[k] !== null && (e as Obj)[k] !== '') return false;
  return true;
}

function timeSeconds(t: string | undefined): number {
  if (!t) return 0;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

/** Entries in upstream's order: Apply before Update, then by time, manager, apiVersion, subresource. */
export function encodeManaged(m: Managed): Obj[] {
  const list = [...m.values()].filter((e) => !e.set.isEmpty());
  // Each entry's time parsed once, not once per comparison.
  const seconds = new Map<ManagedEntry, number>();
  for (const e of list) seconds.set(e, timeSeconds(e.time));
  list.sort((p, q) => {
    if (p.operation !== q.operation) return p.operation < q.operation ? -1 : 1;
    const ps = seconds.get(p)!;
    const qs = seconds.get(q)!;
    if (ps !== qs) return ps - qs;
    if (p.manager !== q.manager) return p.manager < q.manager ? -1 : 1;
    if (p.apiVersion !== q.apiVersion) return p.apiVersion < q.apiVersion ? -1 : 1;
    return p.subresource < q.subresource ? -1 : p.subresource > q.subresource ? 1 : 0;
  });
  const out = list.map((e) => {
    if (e.raw) return e.raw;
    const r: Obj = { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion };
    if (e.time) r.time = e.time;
    r.fieldsType = 'FieldsV1';
    r.fieldsV1 = e.set.toJSON();
    if (e.subresource) r.subresource = e.subresource;
    // Entries are replaced, never changed, once encoded (a new set or time makes a new entry).
    e.raw = r;
    return r;
  });
  decodedLists.set(out, new Map(list.map((e) => [managerId(e.manager, e.operation, e.apiVersion, e.subresource), e])));
  return out;
}

/** The metadata fields no manager ever owns (NewStripMetaManager). */
const STRIP = new FieldSet()
  .insert(['f:apiVersion'])
  .insert(['f:kind'])
  .insert(['f:metadata'])
  .insert(['f:metadata', 'f:name'])
  .insert(['f:metadata', 'f:namespace'])
  .insert(['f:metadata', 'f:creationTimestamp'])
  .insert(['f:metadata', 'f:selfLink'])
  .insert(['f:metadata', 'f:uid'])
  .insert(['f:metadata', 'f:clusterName'])
  .insert(['f:metadata', 'f:generation'])
  .insert(['f:metadata', 'f:managedFields'])
  .insert(['f:metadata', 'f:resourceVersion']);

export function stripMeta(s: FieldSet): FieldSet {
  return s.difference(STRIP);
}

export const MAX_UPDATE_MANAGERS = 10;
export const ANCIENT_CHANGES = 'ancient-changes';

/** Keeps at most 10 Update entries: the oldest merge into one "ancient-changes" entry per apiVersion. */
export function capUpdateManagers(m: Managed, max = MAX_UPDATE_MANAGERS): void {
  const updaters = [...m.entries()].filter(([, e]) => e.operation === 'Update');
  if (updaters.length <= max) return;
  updaters.sort(([ia, a], [ib, b]) => {
    const d = timeSeconds(a.time) - timeSeconds(b.time);
    return d !== 0 ? d : ia < ib ? -1 : ia > ib ? 1 : 0;
  });
  const firstOfVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > max; i++) {
    const [id, e] = updaters[i]!;
    const bucket = managerId(ANCIENT_CHANGES, 'Update', e.apiVersion, '');
    const first = firstOfVersion.get(e.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(e.apiVersion, id);
      continue;
    }
    if (!m.has(bucket)) {
      const f = m.get(first)!;
      m.delete(first);
      m.set(bucket, { ...f, manager: ANCIENT_CHANGES, subresource: '', raw: undefined });
    }
    const b = m.get(bucket)!;
    m.set(bucket, { manager: ANCIENT_CHANGES, operation: 'Update', apiVersion: e.apiVersion, subresource: '', set: e.set.union(b.set), time: e.time });
    m.delete(id);
    length--;
  }
}

/** The time stamp of a managedFields entry (metav1.Time, seconds). */
export function entryTime(now: number): string {
  return rfc3339(now);
}

let lastUserAgent = '';
let lastManager = '';

/** The manager name from a User-Agent: up to the first '/', printable characters only, at most 128 bytes. */
export function managerFromUserAgent(ua: string | string[] | undefined): string {
  const s = (Array.isArray(ua) ? ua[0] : ua) ?? '';
  // Clients send the same User-Agent on every request.
  if (s === lastUserAgent) return lastManager;
  lastManager = managerFromString(s);
  lastUserAgent = s;
  return lastManager;
}

function managerFromString(s: string): string {
  const head = s.split('/')[0]!;
  let out = '';
  let bytes = 0;
  for (const ch of head) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) continue;
    const n = Buffer.byteLength(ch);
    if (bytes + n > 128) break;
    out += ch;
    bytes += n;
  }
  return out;
}
