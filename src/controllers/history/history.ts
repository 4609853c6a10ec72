// ControllerRevision history shared by the StatefulSet and DaemonSet controllers, as upstream's
// pkg/controller/history: revisions named `<parent>-<hash>` (FNV hash of the data, plus the
// collision count, safe-encoded), numbered 1, 2, 3…, labelled `controller.kubernetes.io/hash`,
// created with a bump of the collision count on a name clash, and trimmed to the history limit.
import type { KubeClient, ResourceClient } from '../../client/client.ts';
import type { Informer } from '../../client/informer.ts';
import type { Obj } from '../../client/types.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../../machinery/errors.ts';
import type { Selector } from '../../machinery/labels.ts';
import { OWNER_INDEX, ownerIndexValueForOrphans, getControllerOf, newControllerRef } from './owner.ts';

/** Label with the hash of a ControllerRevision's data. */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller.kubernetes.io/hash';
/** Label on StatefulSet pods (the revision's name) and DaemonSet pods and revisions (the hash). */
export const REVISION_LABEL = 'controller-revision-hash';

const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** k8s.io/apimachinery rand.SafeEncodeString: maps each character onto a vowel-free alphabet. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHANUMS[s.charCodeAt(i) % SAFE_ALPHANUMS.length];
  return out;
}

/** 32-bit FNV-1 (Go's fnv.New32) or FNV-1a (fnv.New32a) over the UTF-8 bytes of the strings. */
export function fnv32(parts: string[], variant: '1' | '1a' = '1'): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    const bytes = Buffer.from(p, 'utf8');
    for (let i = 0; i < bytes.length; i++) {
      if (variant === '1') h = Math.imul(h, 0x01000193) ^ bytes[i]!;
      else h = Math.imul(h ^ bytes[i]!, 0x01000193);
    }
  }
  return h >>> 0;
}

/** JSON with object keys sorted at every level (what Go's json.Marshal of a map produces). */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

const dataKeys = new WeakMap<object, string>();

/** The canonical JSON of a revision's data, computed once per cached object. */
export function revisionDataKey(rev: Obj): string {
  let k = dataKeys.get(rev);
  if (k === undefined) {
    k = canonicalJson(rev.data ?? null);
    dataKeys.set(rev, k);
  }
  return k;
}

/** HashControllerRevision: FNV-1 of the data, then the collision count in decimal, safe-encoded. */
export function hashRevisionData(dataKey: string, collisionCount?: number): string {
  const parts = [dataKey];
  if (collisionCount !== undefined && collisionCount !== null) parts.push(String(collisionCount));
  return safeEncodeString(String(fnv32(parts, '1')));
}

/** ControllerRevisionName: `prefix-hash`, the prefix cut to 223 bytes so the name fits in 253. */
export function controllerRevisionName(prefix: string, hash: string): string {
  return `${prefix.length > 223 ? prefix.slice(0, 223) : prefix}-${hash}`;
}

/**
 * The patch a StatefulSet or DaemonSet revision stores: its pod template, replacing the whole
 * template when applied (`{"spec":{"template":{..., "$patch":"replace"}}}`).
 */
export function templatePatch(template: Obj | undefined): Obj {
  return { spec: { template: { ...(template ?? {}), $patch: 'replace' } } };
}

/** The pod template a revision restores (ApplyRevision for a template-only patch). */
export function templateFromRevision(rev: Obj): Obj {
  const t = rev.data?.spec?.template ?? {};
  const { $patch: _drop, ...rest } = t as Record<string, unknown>;
  return rest as Obj;
}

/** The owning object, with apiVersion and kind set. */
export type ParentRef = Obj;

/**
 * NewControllerRevision: a revision owned by parent (controller ref), carrying the template labels
 * plus the hash label, named from the data's hash and the collision count.
 */
export function newControllerRevision(parent: ParentRef, templateLabels: Record<string, string> | undefined, data: Obj, revision: number, collisionCount?: number): Obj {
  const hash = hashRevisionData(canonicalJson(data), collisionCount);
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: controllerRevisionName(parent.metadata.name, hash),
      namespace: parent.metadata.namespace,
      labels: { ...(templateLabels ?? {}), [CONTROLLER_REVISION_HASH_LABEL]: hash },
      ownerReferences: [newControllerRef(parent)],
    },
    data,
    revision,
  };
}

function creationMs(o: Obj): number {
  const t = o.metadata?.creationTimestamp;
  return t ? Date.parse(t) : 0;
}

/** SortControllerRevisions: by revision number, then creation time, then name. Sorts in place. */
export function sortRevisions(revs: Obj[]): Obj[] {
  return revs.sort((a, b) => {
    const ra = Number(a.revision ?? 0);
    const rb = Number(b.revision ?? 0);
    if (ra !== rb) return ra - rb;
    const ca = creationMs(a);
    const cb = creationMs(b);
    if (ca !== cb) return ca - cb;
    const na = a.metadata?.name ?? '';
    const nb = b.metadata?.name ?? '';
    return na < nb ? -1 : na > nb ? 1 : 0;
  });
}

/** One more than the largest revision number of sorted revisions (1 for none). */
export function nextRevision(sorted: Obj[]): number {
  return sorted.length ? Number(sorted[sorted.length - 1]!.revision ?? 0) + 1 : 1;
}

/** EqualRevision: both carry semantically equal data. */
export function equalRevision(a: Obj | undefined, b: Obj | undefined): boolean {
  if (!a || !b) return a === b;
  return revisionDataKey(a) === revisionDataKey(b);
}

/** The indexed revisions of `namespace` owned by uid, plus orphans matching the selector. */
export function listRevisions(informer: Informer, namespace: string, uid: string, selector: Selector): { owned: Obj[]; orphans: Obj[] } {
  const owned = informer.byIndex(OWNER_INDEX, uid).filter((r) => selector.matches(r.metadata?.labels));
  const orphans = informer.byIndex(OWNER_INDEX, ownerIndexValueForOrphans(namespace)).filter((r) => selector.matches(r.metadata?.labels));
  return { owned, orphans };
}

function revisions(client: KubeClient, namespace: string): ResourceClient {
  return client.resource('apps', 'controllerrevisions', namespace);
}

/**
 * CreateControllerRevision: creates the revision, renaming it with a higher collision count each
 * time a different revision already holds the name. Returns the stored revision and the count.
 */
export async function createRevision(client: KubeClient, parent: ParentRef, rev: Obj, collisionCount: number): Promise<{ revision: Obj; collisionCount: number }> {
  const rc = revisions(client, parent.metadata.namespace ?? '');
  const key = canonicalJson(rev.data);
  for (let attempt = 0; attempt < 100; attempt++) {
    const hash = hashRevisionData(key, collisionCount);
    const body = { ...rev, metadata: { ...rev.metadata, name: controllerRevisionName(parent.metadata.name, hash) } };
    try {
      return { revision: await rc.create(body), collisionCount };
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      const existing = await rc.get(body.metadata.name);
      if (revisionDataKey(existing) === key) return { revision: existing, collisionCount };
      collisionCount++;
    }
  }
  throw new Error(`could not find a free revision name for ${parent.metadata.name}`);
}

/** UpdateControllerRevision: sets the revision number, retrying on conflicts. */
export async function setRevisionNumber(client: KubeClient, rev: Obj, revision: number): Promise<Obj> {
  const rc = revisions(client, rev.metadata.namespace ?? '');
  let cur = rev;
  for (let attempt = 0; ; attempt++) {
    if (Number(cur.revision) === revision) return cur;
    try {
      return await rc.update({ ...cur, revision });
    } catch (e) {
      if (!isConflict(e) || attempt >= 5) throw e;
      cur = await rc.get(rev.metadata.name);
    }
  }
}

export async function deleteRevision(client: KubeClient, rev: Obj): Promise<void> {
  try {
    await revisions(client, rev.metadata.namespace ?? '').delete(rev.metadata.name);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

/**
 * Which non-live revisions to delete so that at most `limit` remain, oldest first (the StatefulSet's
 * truncateHistory). `sorted` must be sorted by revision; a negative limit keeps everything.
 */
export function revisionsToTruncate(sorted: Obj[], live: Set<string>, limit: number): Obj[] {
  const history = sorted.filter((r) => !live.has(r.metadata?.name));
  if (limit < 0 || history.length <= limit) return [];
  return history.slice(0, history.length - limit);
}

/** True when the revision's controller is the given uid (or it has none). */
export function ownedOrOrphan(rev: Obj, uid: string): boolean {
  const ref = getControllerOf(rev);
  return !ref || ref.uid === uid;
}
