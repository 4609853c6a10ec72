// JSON patch (RFC 6902, `application/json-patch+json`) as kube-apiserver applies it with
// evanphx/json-patch v4: add/remove/replace/move/copy/test over RFC 6901 pointers (~0, ~1, `-`),
// including v4's leniencies (negative array indices, replace of a missing object key adds it).
// A patch that cannot be applied is 422 Invalid with upstream's generic message.
import { StatusError, badRequest } from '../errors.ts';
import { deepClone, deepEqual, hasOwn, isObject, put, type JsonObject } from './json.ts';

/** kube-apiserver's limit on operations in one JSON patch. */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

type Container = JsonObject | unknown[];

/** Thrown inside this module; becomes the 422 the apiserver returns. */
class OpError extends Error {}

const MISSING = 'missing value';

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'object' ? 'object' : typeof v;
}

/**
 * Applies a JSON patch (an array of operations) to a decoded document and returns the result.
 * The input is not mutated; the result shares unchanged subtrees with `doc`.
 * Errors: 400 when `ops` is not a list of operation objects, 413 past 10000 operations, 422
 * (`the server rejected our request due to an error in our request`) when an operation fails;
 * the failing operation's own message is the error's `cause`.
 */
export function applyJsonPatch(doc: unknown, ops: unknown): unknown {
  if (ops === null) return doc;
  if (!Array.isArray(ops)) throw badRequest(`json: cannot unmarshal ${jsonKind(ops)} into Go value of type jsonpatch.Patch`);
  for (const op of ops) {
    if (op !== null && !isObject(op)) throw badRequest(`json: cannot unmarshal ${jsonKind(op)} into Go value of type jsonpatch.Operation`);
  }
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new StatusError(
      413,
      'RequestEntityTooLarge',
      `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`,
    );
  }
  const p = new Patcher(doc);
  try {
    for (const op of ops as (JsonObject | null)[]) p.apply(op ?? {});
  } catch (e) {
    if (!(e instanceof OpError)) throw e;
    const err = new StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
    err.cause = e.message;
    throw err;
  }
  return p.root;
}

/** Decodes one RFC 6901 reference token. */
const decodeToken = (t: string): string => (t.includes('~') ? t.replace(/~1/g, '/').replace(/~0/g, '~') : t);

/** Go's strconv.Atoi: optional sign, decimal digits only. */
function atoi(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new OpError(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new OpError(`strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`);
  return n;
}

const invalidIndex = (i: number) => new OpError(`Unable to access invalid index: ${i}: invalid index referenced`);

/** Resolves an index for get/set/remove: negatives count from the end, must land inside. */
function existingIndex(a: unknown[], key: string): number {
  let i = atoi(key);
  if (i < 0) {
    if (i < -a.length) throw invalidIndex(i);
    i += a.length;
  }
  if (i >= a.length) throw invalidIndex(i);
  return i;
}

class Patcher {
  root: unknown;
  /** Containers copied during this patch: safe to change in place. */
  readonly #owned = new Set<object>();

  constructor(doc: unknown) {
    this.root = doc;
  }

  #own<T extends Container>(c: T): T {
    if (this.#owned.has(c)) return c;
    const copy = (Array.isArray(c) ? c.slice() : { ...c }) as T;
    this.#owned.add(copy);
    return copy;
  }

  /**
   * v4's findObject: the container holding the path's last token, or undefined. Tokens before
   * the first `/` are ignored; a path without `/` has no container. With `write`, containers on
   * the way are copied so the caller may change the returned one.
   */
  #find(path: string, write: boolean): { con: Container; key: string } | undefined {
    const split = path.split('/');
    if (split.length < 2) return undefined;
    let con = this.root;
    if (!Array.isArray(con) && !isObject(con)) return undefined;
    if (write) this.root = con = this.#own(con);
    for (let i = 1; i < split.length - 1; i++) {
      const part = decodeToken(split[i]!);
      let next: unknown;
      let setKey: string | number;
      if (Array.isArray(con)) {
        try {
          setKey = existingIndex(con, part);
        } catch {
          return undefined;
        }
        next = con[setKey];
      } else {
        setKey = part;
        next = hasOwn(con as JsonObject, part) ? (con as JsonObject)[part] : undefined;
      }
      if (!Array.isArray(next) && !isObject(next)) return undefined;
      if (write) {
        next = this.#own(next);
        if (Array.isArray(con)) con[setKey as number] = next;
        else put(con as JsonObject, setKey as string, next);
      }
      con = next;
    }
    return { con: con as Container, key: decodeToken(split[split.length - 1]!) };
  }

  #get(con: Container, key: string): unknown {
    if (Array.isArray(con)) return con[existingIndex(con, key)];
    return hasOwn(con, key) ? con[key] : undefined;
  }

  #add(con: Container, key: string, val: unknown, path: string, what = `error in add for path: '${path}'`) {
    if (!Array.isArray(con)) {
      put(con, key, val);
      return;
    }
    if (key === '-') {
      con.push(val);
      return;
    }
    let i: number;
    try {
      i = atoi(key);
    } catch (e) {
      throw new OpError(`${what}: value was not a proper array index: '${key}': ${(e as Error).message}`);
    }
    const size = con.length + 1;
    if (i >= size || i < -size) throw new OpError(`${what}: ${invalidIndex(i).message}`);
    if (i < 0) i += size;
    con.splice(i, 0, val);
  }

  #remove(con: Container, key: string, what: string) {
    if (!Array.isArray(con)) {
      if (!hasOwn(con, key)) throw new OpError(`${what}: Unable to remove nonexistent key: ${key}: ${MISSING}`);
      delete con[key];
      return;
    }
    try {
      con.splice(existingIndex(con, key), 1);
    } catch (e) {
      throw new OpError(`${what}: ${(e as Error).message}`);
    }
  }

  #str(op: JsonObject, field: 'path' | 'from', kind: string): string {
    const v = op[field];
    if (v === undefined || v === null) throw new OpError(`${kind} operation failed to decode ${field}: ${MISSING}`);
    if (typeof v !== 'string') throw new OpError(`${kind} operation failed to decode ${field}: json: cannot unmarshal ${jsonKind(v)} into Go value of type string`);
    return v;
  }

  /** The operation's value, copied so the result never aliases the patch; absent is null. */
  #value(op: JsonObject): unknown {
    if (!hasOwn(op, 'value')) return null;
    const v = deepClone(op.value);
    if (typeof v === 'object' && v !== null) this.#owned.add(v);
    return v;
  }

  apply(op: JsonObject) {
    const kind = typeof op.op === 'string' ? op.op : 'unknown';
    switch (kind) {
      case 'add': {
        const path = this.#str(op, 'path', 'add');
        const t = this.#find(path, true);
        if (!t) throw new OpError(`add operation does not apply: doc is missing path: "${path}": ${MISSING}`);
        this.#add(t.con, t.key, this.#value(op), path);
        return;
      }
      case 'remove': {
        const path = this.#str(op, 'path', 'remove');
        const t = this.#find(path, true);
        if (!t) throw new OpError(`remove operation does not apply: doc is missing path: "${path}": ${MISSING}`);
        this.#remove(t.con, t.key, `error in remove for path: '${path}'`);
        return;
      }
      case 'replace': {
        const path = this.#str(op, 'path', 'replace');
        if (path === '') {
          const v = this.#value(op);
          if (!Array.isArray(v) && !isObject(v)) throw new OpError('replace operation value must be object or array');
          this.root = v;
          return;
        }
        const t = this.#find(path, true);
        if (!t) throw new OpError(`replace operation does not apply: doc is missing path: ${path}: ${MISSING}`);
        if (Array.isArray(t.con)) {
          let i: number;
          try {
            i = existingIndex(t.con, t.key);
          } catch {
            throw new OpError(`replace operation does not apply: doc is missing key: ${path}: ${MISSING}`);
          }
          t.con[i] = this.#value(op);
        } else {
          // v4 does not check that an object key exists: replacing a missing key adds it.
          put(t.con, t.key, this.#value(op));
        }
        return;
      }
      case 'move': {
        const from = this.#str(op, 'from', 'move');
        const f = this.#find(from, true);
        if (!f) throw new OpError(`move operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
        let val: unknown;
        try {
          val = this.#get(f.con, f.key);
        } catch (e) {
          throw new OpError(`error in move for path: '${f.key}': ${(e as Error).message}`);
        }
        this.#remove(f.con, f.key, `error in move for path: '${f.key}'`);
        const path = this.#str(op, 'path', 'move');
        const t = this.#find(path, true);
        if (!t) throw new OpError(`move operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
        this.#add(t.con, t.key, val === undefined ? null : val, path, `error in move for path: '${path}'`);
        return;
      }
      case 'copy': {
        const from = this.#str(op, 'from', 'copy');
        const f = this.#find(from, false);
        if (!f) throw new OpError(`copy operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
        let val: unknown;
        try {
          val = this.#get(f.con, f.key);
        } catch (e) {
          throw new OpError(`error in copy for from: '${from}': ${(e as Error).message}`);
        }
        const path = this.#str(op, 'path', 'copy');
        const t = this.#find(path, true);
        if (!t) throw new OpError(`copy operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
        // A missing source key copies as null, as v4 does.
        this.#add(t.con, t.key, val === undefined ? null : deepClone(val), path, 'error while adding value during copy');
        return;
      }
      case 'test': {
        const path = this.#str(op, 'path', 'test');
        const failed = () => new OpError(`testing value ${path} failed: test failed`);
        if (path === '') {
          if (!deepEqual(this.root, op.value)) throw failed();
          return;
        }
        const t = this.#find(path, false);
        if (!t) throw new OpError(`test operation does not apply: is missing path: ${path}: ${MISSING}`);
        let val: unknown;
        try {
          val = this.#get(t.con, t.key);
        } catch (e) {
          throw new OpError(`error in test for path: '${path}': ${(e as Error).message}`);
        }
        const want = op.value;
        if (val === undefined || val === null) {
          if (want === undefined || want === null) return;
          throw failed();
        }
        if (want === undefined || !deepEqual(val, want)) throw failed();
        return;
      }
      default:
        throw new OpError(`Unexpected kind: ${kind}`);
    }
  }
}
