// The storage contract every backend implements: a revisioned key-value store shaped like kine
// (k3s's etcd shim) and etcd itself. Every call reports the store revision; updates and deletes
// are compare-and-swap on a key's mod revision; watches replay history from a revision.

/** One stored key at one revision. */
export interface KeyValue {
  key: string;
  value: Buffer;
  /** Revision at which the key was (last) created. */
  createRevision: number;
  /** Revision of the last write to the key. */
  modRevision: number;
  /** Seconds to live given at the last write, if any. */
  ttlSeconds?: number;
}

export interface WriteOptions {
  /** The key expires this many seconds after the write (Kubernetes Events use this). */
  ttlSeconds?: number;
}

export interface GetResult {
  revision: number;
  kv?: KeyValue;
}

export interface WriteResult {
  revision: number;
  kv: KeyValue;
}

export interface DeleteResult {
  revision: number;
  /** The value the key had when it was deleted. */
  kv: KeyValue;
}

export interface ListOptions {
  /** At most this many keys; 0 or unset means all. */
  limit?: number;
  /** A token from a previous page: the list resumes after its last key, at its revision. */
  continue?: string;
  /** Read as of this revision (must not be compacted); unset means the current revision. */
  revision?: number;
}

export interface ListResult {
  /** The revision the list was read at. */
  revision: number;
  kvs: KeyValue[];
  /** Set when more keys follow; pass it back as `continue`. */
  continue?: string;
  /** How many keys remain after this page (only when `continue` is set). */
  remaining?: number;
}

export type WatchEventType = 'create' | 'update' | 'delete';

export interface WatchEvent {
  type: WatchEventType;
  /** For create/update the new value; for delete the value the key had before. */
  kv: KeyValue;
  /** The previous value on update (and delete), when known. */
  prevKv?: KeyValue;
  /** Revision of this event (equals kv.modRevision for create/update). */
  revision: number;
}

/** A live watch: an async iterable of events, ended by `close()` or by an error. */
export interface Watch extends AsyncIterable<WatchEvent> {
  close(): void;
}

export interface Backend {
  /** Which driver this is ("memory", "sqlite", "etcd"). */
  readonly driver: string;
  /** Fails with KeyExists when the key exists. */
  create(key: string, value: Buffer, opts?: WriteOptions): Promise<WriteResult>;
  get(key: string): Promise<GetResult>;
  /** Compare-and-swap: fails with Conflict (carrying the current kv) unless the key's modRevision is `expectedModRevision`; NotFound if it does not exist. */
  update(key: string, value: Buffer, expectedModRevision: number, opts?: WriteOptions): Promise<WriteResult>;
  /** Fails with NotFound, or Conflict when `expectedModRevision` is given and differs. */
  delete(key: string, expectedModRevision?: number): Promise<DeleteResult>;
  /** Keys starting with `prefix`, in key order. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Number of keys starting with `prefix` at the current revision. */
  count(prefix: string): Promise<{ revision: number; count: number }>;
  /**
   * Events for keys starting with `prefix` with revision > `afterRevision`, in order: history
   * first, then live. Fails (on first iteration) with Compacted when that history is gone.
   */
  watch(prefix: string, afterRevision: number): Watch;
  /** Drops history at and below `revision` (the latest value of every key is kept). */
  compact(revision: number): Promise<void>;
  /** The current store revision and the compacted revision. */
  revision(): Promise<{ revision: number; compacted: number }>;
  close(): Promise<void>;
}

export type StorageErrorCode = 'KeyExists' | 'NotFound' | 'Conflict' | 'Compacted' | 'FutureRevision' | 'InvalidContinue' | 'Closed' | 'Unavailable';

/** The single error type of the storage layer; callers branch on `code`. */
export class StorageError extends Error {
  readonly code: StorageErrorCode;
  /** For Conflict: the key's current value. For Compacted: the compacted revision in `revision`. */
  readonly current?: KeyValue;
  readonly revision?: number;
  constructor(code: StorageErrorCode, message: string, extra: { current?: KeyValue; revision?: number; cause?: unknown } = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'StorageError';
    this.code = code;
    this.current = extra.current;
    this.revision = extra.revision;
  }
}

export const isKeyExists = (e: unknown): e is StorageError => e instanceof StorageError && e.code === 'KeyExists';
export const isNotFound = (e: unknown): e is StorageError => e instanceof StorageError && e.code === 'NotFound';
export const isConflict = (e: unknown): e is StorageError => e instanceof StorageError && e.code === 'Conflict';
export const isCompacted = (e: unknown): e is StorageError => e instanceof StorageError && e.code === 'Compacted';

/** The end of the key range that starts with `prefix` (exclusive), as etcd's range_end. */
export function prefixEnd(prefix: string): string {
  if (prefix === '') return '\u{10FFFF}';
  const last = prefix.charCodeAt(prefix.length - 1);
  return prefix.slice(0, -1) + String.fromCharCode(last + 1);
}

/** Continue tokens: the key to resume after and the revision the first page was read at. */
export function encodeContinue(lastKey: string, revision: number): string {
  return Buffer.from(JSON.stringify({ k: lastKey, r: revision })).toString('base64url');
}

export function decodeContinue(token: string): { lastKey: string; revision: number } {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { k?: unknown; r?: unknown };
    if (typeof v.k === 'string' && typeof v.r === 'number' && Number.isInteger(v.r) && v.r > 0) return { lastKey: v.k, revision: v.r };
  } catch {
    // fall through
  }
  throw new StorageError('InvalidContinue', 'continue key is not valid');
}
