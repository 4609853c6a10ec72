// Sets of field paths as server-side apply tracks them (sigs.k8s.io/structured-merge-diff
// fieldpath.Set) and their FieldsV1 wire form: `f:<field>`, `k:<keys JSON>`, `v:<value JSON>`,
// `i:<index>` path elements, with `.` marking a node that is itself a member and has children.

/** One path element in its FieldsV1 spelling, e.g. `f:spec`, `k:{"name":"app"}`, `v:"x"`, `i:0`. */
export type PathElement = string;

/**
 * A trie of paths; a node is a member of the set when `member` is set. The root is never a member.
 * Sets are built (insert, member, child) and then only read: union and difference share the
 * subtrees they leave as they are instead of copying them.
 */
export class FieldSet {
  member = false;
  children: Map<PathElement, FieldSet> | undefined;

  /** The child node for `pe`, created when absent. */
  child(pe: PathElement): FieldSet {
    this.children ??= new Map();
    let c = this.children.get(pe);
    if (!c) {
      c = new FieldSet();
      this.children.set(pe, c);
    }
    return c;
  }

  get(pe: PathElement): FieldSet | undefined {
    return this.children?.get(pe);
  }

  /** Adds a path (a list of path elements) as a member. */
  insert(path: readonly PathElement[]): this {
    let n: FieldSet = this;
    for (const pe of path) n = n.child(pe);
    if (n !== this) n.member = true;
    return this;
  }

  has(path: readonly PathElement[]): boolean {
    let n: FieldSet | undefined = this;
    for (const pe of path) {
      n = n.get(pe);
      if (!n) return false;
    }
    return n !== this && n.member;
  }

  /** How many paths are members. */
  size(): number {
    let n = this.member ? 1 : 0;
    if (this.children) for (const c of this.children.values()) n += c.size();
    return n;
  }

  isEmpty(): boolean {
    if (this.member) return false;
    if (this.children) for (const c of this.children.values()) if (!c.isEmpty()) return false;
    return true;
  }

  /** Every member path of this set is one of `o` too. */
  isSubsetOf(o: FieldSet): boolean {
    if (this.member && !o.member) return false;
    if (this.children) {
      for (const [pe, c] of this.children) {
        const oc = o.get(pe);
        if (oc ? !c.isSubsetOf(oc) : !c.isEmpty()) return false;
      }
    }
    return true;
  }

  /** Paths in both sets. */
  union(o: FieldSet): FieldSet {
    if (o.isEmpty()) return this;
    if (this.isEmpty()) return o;
    const out = new FieldSet();
    out.member = this.member || o.member;
    if (this.children) for (const [pe, c] of this.children) out.#set(pe, o.get(pe) ? c.union(o.get(pe)!) : c);
    if (o.children) for (const [pe, c] of o.children) if (!this.get(pe)) out.#set(pe, c);
    return out;
  }

  /** Paths of this set that are not in `o`. */
  difference(o: FieldSet): FieldSet {
    if (!this.#overlaps(o)) return this;
    const out = new FieldSet();
    out.member = this.member && !o.member;
    if (this.children) {
      for (const [pe, c] of this.children) {
        const oc = o.get(pe);
        out.#set(pe, oc ? c.difference(oc) : c);
      }
    }
    return out;
  }

  /** Some member path of this set is one of `o`. */
  #overlaps(o: FieldSet): boolean {
    if (this.member && o.member) return true;
    if (!this.children || !o.children) return false;
    const [small, big] = this.children.size <= o.children.size ? [this.children, o.children] : [o.children, this.children];
    for (const [pe, c] of small) {
      const oc = big.get(pe);
      if (oc && (small === this.children ? c.#overlaps(oc) : oc.#overlaps(c))) return true;
    }
    return false;
  }

  intersection(o: FieldSet): FieldSet {
    const out = new FieldSet();
    out.member = this.member && o.member;
    if (this.children) {
      for (const [pe, c] of this.children) {
        const oc = o.get(pe);
        if (oc) out.#set(pe, c.intersection(oc));
      }
    }
    return out;
  }

  /** Every node that has a member below it becomes a member too (upstream's named-field closure, widened). */
  withAncestors(): FieldSet {
    const out = new FieldSet();
    out.member = this.member;
    if (this.children) {
      for (const [pe, c] of this.children) {
        const cc = c.withAncestors();
        if (!cc.isEmpty()) {
          cc.member = true;
          out.#set(pe, cc);
        }
      }
    }
    return out;
  }

  copy(): FieldSet {
    const out = new FieldSet();
    out.member = this.member;
    if (this.children) for (const [pe, c] of this.children) out.#set(pe, c.copy());
    return out;
  }

  #set(pe: PathElement, c: FieldSet) {
    if (c.isEmpty()) return;
    this.children ??= new Map();
    this.children.set(pe, c);
  }

  /** Member paths in sorted order. */
  paths(): PathElement[][] {
    const out: PathElement[][] = [];
    const walk = (n: FieldSet, prefix: PathElement[]) => {
      if (n !== this && n.member) out.push(prefix);
      if (!n.children) return;
      for (const pe of [...n.children.keys()].sort(comparePE)) walk(n.children.get(pe)!, [...prefix, pe]);
    };
    walk(this, []);
    return out;
  }

  /** The FieldsV1 JSON object, keys sorted as upstream serializes them. */
  toJSON(): Record<string, unknown> {
    return encodeNode(this, false);
  }

  /** Parses a FieldsV1 object; throws on a malformed one. */
  static fromJSON(v: unknown): FieldSet {
    const root = new FieldSet();
    decodeInto(root, v, true);
    return root;
  }
}

function encodeNode(n: FieldSet, includeSelf: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys = n.children ? [...n.children.keys()] : [];
  sortPEs(keys);
  if (includeSelf && n.member && keys.length) out['.'] = {};
  for (const k of keys) {
    const c = n.children!.get(k)!;
    out[k] = c.children && c.children.size ? encodeNode(c, true) : {};
  }
  return out;
}

function decodeInto(n: FieldSet, v: unknown, root: boolean) {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('FieldsV1 must be an object');
  const keys = Object.keys(v);
  if (!root && keys.length === 0) {
    n.member = true;
    return;
  }
  for (const k of keys) {
    if (k === '.') {
      if (!root) n.member = true;
      continue;
    }
    const t = k.slice(0, 2);
    if (t !== 'f:' && t !== 'k:' && t !== 'v:' && t !== 'i:') throw new Error(`parsing JSON: unknown path element type: ${JSON.stringify(k)}`);
    decodeInto(n.child(k), (v as Record<string, unknown>)[k], false);
  }
}

/** f: 0, k: 1, v: 2, i: 3, anything else 4 (from the first two characters, without slicing). */
function typeOrder(pe: PathElement): number {
  if (pe.charCodeAt(1) !== 58 /* : */) return 4;
  switch (pe.charCodeAt(0)) {
    case 102 /* f */:
      return 0;
    case 107 /* k */:
      return 1;
    case 118 /* v */:
      return 2;
    case 105 /* i */:
      return 3;
    default:
      return 4;
  }
}

/**
 * Sorts path elements in place (comparePE). Most nodes have a handful of children: an insertion
 * sort of those allocates nothing, where Array.prototype.sort sets up its work arrays every call.
 */
function sortPEs(a: PathElement[]): void {
  if (a.length > 16) {
    a.sort(comparePE);
    return;
  }
  for (let i = 1; i < a.length; i++) {
    const v = a[i]!;
    let j = i - 1;
    while (j >= 0 && comparePE(a[j]!, v) > 0) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
  }
}

/** Orders path elements as upstream does: fields, then keys, then values, then indexes. */
export function comparePE(a: PathElement, b: PathElement): number {
  const ta = typeOrder(a);
  const tb = typeOrder(b);
  if (ta !== tb) return ta - tb;
  if (ta === 3) return Number(a.slice(2)) - Number(b.slice(2));
  return a < b ? -1 : a > b ? 1 : 0;
}

// --- path elements ----------------------------------------------------------------------------

/** JSON with object keys sorted, as the path-element serializer writes values. */
export function stableJSON(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableJSON).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJSON(o[k])}`)
    .join(',')}}`;
}

export const fieldPE = (name: string): PathElement => `f:${name}`;
export const valuePE = (v: unknown): PathElement => `v:${stableJSON(v)}`;
export const indexPE = (i: number): PathElement => `i:${i}`;
/** A key path element from [name, value] pairs (sorted by name here). */
export function keyPE(pairs: [string, unknown][]): PathElement {
  if (pairs.length > 1) pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return `k:{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${stableJSON(v)}`).join(',')}}`;
}

/** A value as upstream's value.ToString prints it in paths: strings quoted, the rest plain. */
function valueString(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(valueString).join(',')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${k}=${valueString(o[k])}`)
      .join(',')}}`;
  }
  return String(v);
}

/** A path as upstream prints it in conflicts: `.spec.containers[name="app"].image`. */
export function pathString(path: readonly PathElement[]): string {
  let s = '';
  for (const pe of path) {
    const t = pe.slice(0, 2);
    const rest = pe.slice(2);
    if (t === 'f:') s += `.${rest}`;
    else if (t === 'i:') s += `[${rest}]`;
    else if (t === 'v:') s += `[=${valueString(JSON.parse(rest))}]`;
    else if (t === 'k:') {
      const o = JSON.parse(rest) as Record<string, unknown>;
      s += `[${Object.keys(o)
        .map((k) => `${k}=${valueString(o[k])}`)
        .join(',')}]`;
    } else s += pe;
  }
  return s;
}
