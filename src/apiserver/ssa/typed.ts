// Walks of plain JSON objects along a merge schema, as structured-merge-diff's typed package:
// the field set an applied configuration names (ToFieldSet), the added/modified/removed paths
// between two objects (Compare), the merge of a configuration into a live object (Merge, with
// its list ordering), and the removal of a set of paths (RemoveItems).
import { FieldSet, fieldPE, indexPE, keyPE, pathString, stableJSON, valuePE, type PathElement } from './fieldset.ts';
import { UNTYPED, type ListNode, type MapNode, type SNode } from './schema.ts';

type Json = unknown;
type JObj = Record<string, unknown>;

/** A problem with a value against its schema; `path` is where, as upstream prints it. */
export class SchemaError extends Error {
  constructor(readonly path: string, readonly detail: string) {
    super(path ? `${path}: ${detail}` : detail);
  }
}

const isObj = (v: unknown): v is JObj => v !== null && typeof v === 'object' && !Array.isArray(v);

function isEmptyObj(v: JObj): boolean {
  for (const _ in v) return false;
  return true;
}

/** Deep equality of JSON values (key order ignored). */
export function equalJSON(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equalJSON(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as JObj;
  const bo = b as JObj;
  let n = 0;
  for (const k in ao) {
    if (ao[k] === undefined) continue;
    n++;
    if (!equalJSON(ao[k], bo[k])) return false;
  }
  for (const k in bo) if (bo[k] !== undefined) n--;
  return n === 0;
}

/** The effective node of a value: untyped objects are granular maps of untyped values. */
const UNTYPED_MAP: MapNode = { t: 'map', atomic: false, elem: UNTYPED, field: () => undefined };

function mapFor(node: SNode, v: Json): MapNode | undefined {
  if (node.t === 'map') return node.atomic ? undefined : node;
  if (node.t === 'untyped' && isObj(v)) return UNTYPED_MAP;
  return undefined;
}

function childNode(m: MapNode, key: string, strict: boolean, at: () => string): { node: SNode; declared: boolean } {
  const f = m.field(key);
  if (f) return { node: f, declared: true };
  if (m.elem) return { node: m.elem, declared: false };
  if (strict) throw new SchemaError(`${at()}.${key}`, 'field not declared in schema');
  return { node: UNTYPED, declared: false };
}

/** The path element of a list item; undefined when a strict walk cannot key it. */
function itemPE(list: ListNode, item: Json, i: number, strict: boolean, at: () => string): PathElement {
  if (list.listType === 'set') return valuePE(item);
  if (list.listType === 'map' && list.keys.length > 0) {
    if (!isObj(item)) {
      if (strict) throw new SchemaError(at(), `element ${i}: associative list with keys may not have non-map elements`);
      return indexPE(i);
    }
    if (list.keys.length === 1) {
      // One key (a container's name, a condition's type): no pairs to sort.
      const k = list.keys[0]!;
      let v = item[k];
      if (v === undefined || v === null) v = list.keyDefaults?.[k];
      if (v === undefined || v === null) {
        if (strict) throw new SchemaError(at(), `element ${i}: associative list with keys has an element that omits key field ${JSON.stringify(k)} (and doesn't have default value)`);
        return indexPE(i);
      }
      return `k:{${JSON.stringify(k)}:${stableJSON(v)}}`;
    }
    const pairs: [string, unknown][] = [];
    for (const k of list.keys) {
      let v = item[k];
      if (v === undefined || v === null) v = list.keyDefaults?.[k];
      if (v === undefined || v === null) {
        if (strict) throw new SchemaError(at(), `element ${i}: associative list with keys has an element that omits key field ${JSON.stringify(k)} (and doesn't have default value)`);
        return indexPE(i);
      }
      pairs.push([k, v]);
    }
    return keyPE(pairs);
  }
  return indexPE(i);
}

function pathOf(stack: PathElement[]): () => string {
  return () => pathString(stack);
}

// --- ToFieldSet ---------------------------------------------------------------------------------

/**
 * The set of fields a configuration sets (for an applier's ownership). `skipRoot` names top-level
 * fields to leave out (reset fields such as status). Throws SchemaError on undeclared fields,
 * unkeyable or duplicate list items.
 */
export function toFieldSet(v: Json, node: SNode, skipRoot?: (key: string) => boolean): FieldSet {
  const root = new FieldSet();
  const stack: PathElement[] = [];
  fsValue(v, node, root, stack, skipRoot);
  return root;
}

function fsValue(v: Json, node: SNode, set: FieldSet, stack: PathElement[], skip?: (key: string) => boolean) {
  if (node.t === 'scalar') {
    set.member = true;
    return;
  }
  if (node.t === 'list') {
    if (node.listType === 'atomic') {
      set.member = true;
      return;
    }
    if (!Array.isArray(v)) return;
    const seen = new Set<PathElement>();
    for (let i = 0; i < v.length; i++) {
      const pe = itemPE(node, v[i], i, true, pathOf(stack));
      if (seen.has(pe)) {
        const p = pathString([...stack, pe]);
        throw new SchemaError(pathString(stack), `duplicate entries for key ${p.slice(pathString(stack).length)}`);
      }
      seen.add(pe);
      const c = set.child(pe);
      stack.push(pe);
      fsValue(v[i], node.elem, c, stack);
      stack.pop();
      c.member = true;
    }
    return;
  }
  const m = mapFor(node, v);
  if (!m) {
    if (node.t === 'untyped' || node.atomic) set.member = true;
    return;
  }
  if (!isObj(v)) return;
  for (const k in v) {
    const cv = v[k];
    if (cv === undefined || (skip && skip(k))) continue;
    const { node: cn, declared } = childNode(m, k, true, pathOf(stack));
    const pe = fieldPE(k);
    const c = set.child(pe);
    stack.push(pe);
    fsValue(cv, cn, c, stack);
    stack.pop();
    if (cv === null || (isObj(cv) && isEmptyObj(cv)) || !declared) c.member = true;
  }
}

// --- Compare ------------------------------------------------------------------------------------

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** The paths added, modified and removed going from `lhs` to `rhs` (either may be absent). */
export function compare(lhs: Json, rhs: Json, node: SNode, skipRoot?: (key: string) => boolean): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  const stack: PathElement[] = [];
  // One path closure for the whole walk (the stack it reads is the walk's own): only errors call it.
  cmp(lhs, rhs, node, stack, c, pathOf(stack), skipRoot);
  return c;
}

function cmpLeaf(l: Json, r: Json, stack: PathElement[], c: Comparison) {
  if (l === undefined) c.added.insert(stack);
  else if (r === undefined) c.removed.insert(stack);
  else if (!equalJSON(l, r)) c.modified.insert(stack);
}

function cmpItem(l: Json, r: Json, node: SNode, stack: PathElement[], c: Comparison, at: () => string) {
  cmp(l, r, node, stack, c, at);
  if (l === undefined) c.added.insert(stack);
  else if (r === undefined) c.removed.insert(stack);
}

function cmp(l: Json, r: Json, node: SNode, stack: PathElement[], c: Comparison, at: () => string, skip?: (key: string) => boolean) {
  // The very same value on both sides (a subresource write shares what it did not replace).
  if (l === r && l !== undefined) return;
  if (node.t === 'scalar') return cmpLeaf(l, r, stack, c);
  if (node.t === 'list') {
    if (node.listType === 'atomic') return cmpLeaf(l, r, stack, c);
    const la = Array.isArray(l) ? l : undefined;
    const ra = Array.isArray(r) ? r : undefined;
    if ((!la || la.length === 0) && (!ra || ra.length === 0)) return cmpLeaf(l, r, stack, c);
    const li = new Map<PathElement, Json>();
    if (la) for (let i = 0; i < la.length; i++) {
      const pe = itemPE(node, la[i], i, false, at);
      if (!li.has(pe)) li.set(pe, la[i]);
    }
    const ri = new Map<PathElement, Json>();
    if (ra) for (let i = 0; i < ra.length; i++) {
      const pe = itemPE(node, ra[i], i, false, at);
      if (!ri.has(pe)) ri.set(pe, ra[i]);
    }
    for (const [pe, lv] of li) {
      stack.push(pe);
      cmpItem(lv, ri.get(pe), node.elem, stack, c, at);
      stack.pop();
    }
    for (const [pe, rv] of ri) {
      if (li.has(pe)) continue;
      stack.push(pe);
      cmpItem(undefined, rv, node.elem, stack, c, at);
      stack.pop();
    }
    return;
  }
  // Maps: untyped values that are not objects on both sides are leaves.
  if (node.t === 'untyped' && !((l === undefined || isObj(l)) && (r === undefined || isObj(r)))) return cmpLeaf(l, r, stack, c);
  const m = node.t === 'untyped' ? UNTYPED_MAP : node;
  if (m.atomic) return cmpLeaf(l, r, stack, c);
  const lm = isObj(l) ? l : undefined;
  const rm = isObj(r) ? r : undefined;
  if ((!lm || isEmptyObj(lm)) && (!rm || isEmptyObj(rm))) return cmpLeaf(l, r, stack, c);
  if (lm) {
    for (const k in lm) {
      const lv = lm[k];
      if (lv === undefined || (skip && skip(k))) continue;
      const { node: cn } = childNode(m, k, false, at);
      stack.push(fieldPE(k));
      cmpItem(lv, rm ? rm[k] : undefined, cn, stack, c, at);
      stack.pop();
    }
  }
  if (rm) {
    for (const k in rm) {
      const rv = rm[k];
      if (rv === undefined || (lm && lm[k] !== undefined) || (skip && skip(k))) continue;
      const { node: cn } = childNode(m, k, false, at);
      stack.push(fieldPE(k));
      cmpItem(undefined, rv, cn, stack, c, at);
      stack.pop();
    }
  }
}

// --- Merge --------------------------------------------------------------------------------------

/** Merges `rhs` (an applied configuration) into `lhs` (the live object); rhs wins on leaves. */
export function merge(lhs: Json, rhs: Json, node: SNode): Json {
  return mergeValue(lhs, rhs, node, []);
}

function mergeValue(l: Json, r: Json, node: SNode, stack: PathElement[]): Json {
  if (r === undefined) return l;
  if (l === undefined) return r;
  if (node.t === 'scalar') return r;
  if (node.t === 'list') {
    if (node.listType === 'atomic') return r;
    const la = Array.isArray(l) ? l : undefined;
    const ra = Array.isArray(r) ? r : undefined;
    if ((!la || la.length === 0) && (!ra || ra.length === 0)) return r;
    if (!ra) return l;
    if (!la) return r;
    return mergeList(la, ra, node, stack);
  }
  if (node.t === 'untyped' && !(isObj(l) && isObj(r))) return r;
  const m = node.t === 'untyped' ? UNTYPED_MAP : node;
  if (m.atomic) return r;
  const lm = isObj(l) ? l : undefined;
  const rm = isObj(r) ? r : undefined;
  if ((!lm || isEmptyObj(lm)) && (!rm || isEmptyObj(rm))) return r;
  if (!rm) return l;
  if (!lm) return r;
  const out: JObj = {};
  const at = pathOf(stack);
  for (const k in lm) {
    if (lm[k] === undefined) continue;
    const rv = rm[k];
    if (rv === undefined) out[k] = lm[k];
    else {
      stack.push(fieldPE(k));
      out[k] = mergeValue(lm[k], rv, childNode(m, k, false, at).node, stack);
      stack.pop();
    }
  }
  for (const k in rm) if (rm[k] !== undefined && lm[k] === undefined) out[k] = rm[k];
  return out;
}

/** Live-only items keep their place; items in the configuration come in its order. */
function mergeList(la: Json[], ra: Json[], node: ListNode, stack: PathElement[]): Json[] {
  const at = pathOf(stack);
  const lPE = la.map((v, i) => itemPE(node, v, i, false, at));
  const rPE = ra.map((v, i) => itemPE(node, v, i, true, at));
  const obsL = new Map<PathElement, Json>();
  lPE.forEach((pe, i) => {
    if (!obsL.has(pe)) obsL.set(pe, la[i]);
  });
  const obsR = new Map<PathElement, Json>();
  rPE.forEach((pe, i) => {
    if (obsR.has(pe)) throw new SchemaError(at(), `duplicate entries for key ${pathString([pe])}`);
    obsR.set(pe, ra[i]);
  });
  const shared = rPE.filter((pe) => obsL.has(pe));
  let si = 0;
  let nextShared: PathElement | undefined = shared[si++];
  const mergedR = new Set<PathElement>();
  const out: Json[] = [];
  const mergeItem = (pe: PathElement) => {
    stack.push(pe);
    out.push(mergeValue(obsL.get(pe), obsR.get(pe), node.elem, stack));
    stack.pop();
  };
  let lI = 0;
  let rI = 0;
  while (lI < la.length || rI < ra.length) {
    if (lI < la.length && rI < ra.length) {
      const pe = lPE[lI]!;
      if (pe === rPE[rI]) {
        mergedR.add(pe);
        mergeItem(pe);
        lI++;
        rI++;
        nextShared = shared[si++];
        continue;
      }
      if (obsR.has(pe) && nextShared !== undefined && nextShared !== pe) {
        lI++;
        continue;
      }
    }
    if (lI < la.length) {
      const pe = lPE[lI]!;
      if (!obsR.has(pe)) {
        out.push(la[lI]);
        lI++;
        continue;
      }
      if (mergedR.has(pe)) {
        lI++;
        continue;
      }
    }
    if (rI < ra.length) {
      const pe = rPE[rI]!;
      mergedR.add(pe);
      mergeItem(pe);
      rI++;
      if (nextShared === pe) nextShared = shared[si++];
    }
  }
  return out;
}

// --- RemoveItems --------------------------------------------------------------------------------

/** A copy of `v` without the members of `set` (each removed with everything under it). */
export function removeItems(v: Json, set: FieldSet, node: SNode): Json {
  if (!set.children) return v;
  if (Array.isArray(v)) {
    if (node.t !== 'list' || node.listType === 'atomic') return v;
    let out: Json[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const pe = itemPE(node, v[i], i, false, () => '');
      const cs = set.get(pe);
      let nv = v[i];
      if (cs?.member) nv = undefined;
      else if (cs?.children) nv = removeItems(v[i], cs, node.elem);
      if (nv !== v[i] && !out) out = v.slice(0, i);
      if (out && nv !== undefined) out.push(nv);
    }
    return out ?? v;
  }
  if (!isObj(v)) return v;
  const m = mapFor(node, v);
  if (!m) return v;
  let out: JObj | undefined;
  for (const [pe, cs] of set.children) {
    if (!pe.startsWith('f:')) continue;
    const k = pe.slice(2);
    const cur = v[k];
    if (cur === undefined) continue;
    if (cs.member) {
      out ??= { ...v };
      delete out[k];
    } else if (cs.children) {
      const nv = removeItems(cur, cs, childNode(m, k, false, () => '').node);
      if (nv !== cur) {
        out ??= { ...v };
        out[k] = nv;
      }
    }
  }
  return out ?? v;
}

// --- the fields a create sets -------------------------------------------------------------------

const NO_PATH = () => '';

/**
 * The FieldsV1 of everything `rhs` adds or changes over `lhs` (the empty object a create starts
 * from): compare(lhs, rhs).added ∪ modified, encoded directly in one walk for the hot create
 * path (keys in object order, not sorted). Root keys for which `skip` is true are left out.
 */
export function createdFieldsV1(lhs: Json, rhs: Json, node: SNode, skip?: (key: string) => boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isCreatedLeaf(lhs, rhs, node)) createdInto(lhs, rhs, node, out, skip);
  return out;
}

function encodeChild(parent: Record<string, unknown>, pe: string, l: Json, r: Json, node: SNode) {
  const leaf = isCreatedLeaf(l, r, node);
  if (l === undefined) {
    if (leaf) {
      parent[pe] = {};
      return;
    }
    const o: Record<string, unknown> = { '.': {} };
    parent[pe] = createdInto(l, r, node, o, undefined) ? o : {};
    return;
  }
  if (leaf) {
    if (!equalJSON(l, r)) parent[pe] = {};
    return;
  }
  const o: Record<string, unknown> = {};
  if (createdInto(l, r, node, o, undefined)) parent[pe] = o;
}

/** True when the pair is compared as one value (scalars, atomic and empty containers). */
function isCreatedLeaf(l: Json, r: Json, node: SNode): boolean {
  if (node.t === 'scalar') return true;
  if (node.t === 'list') {
    if (node.listType === 'atomic') return true;
    return (!Array.isArray(l) || l.length === 0) && (!Array.isArray(r) || r.length === 0);
  }
  if (node.t === 'untyped' && !((l === undefined || isObj(l)) && (r === undefined || isObj(r)))) return true;
  if (node.t === 'map' && node.atomic) return true;
  return (!isObj(l) || isEmptyObj(l)) && (!isObj(r) || isEmptyObj(r));
}

/** Adds the entries of r's children to `out`; returns whether it added any. */
function createdInto(l: Json, r: Json, node: SNode, out: Record<string, unknown>, skip: ((key: string) => boolean) | undefined): boolean {
  let any = false;
  if (node.t === 'list') {
    if (!Array.isArray(r)) return false;
    let li: Map<PathElement, Json> | undefined;
    if (Array.isArray(l) && l.length) {
      li = new Map();
      for (let i = 0; i < l.length; i++) li.set(itemPE(node, l[i], i, false, NO_PATH), l[i]);
    }
    for (let i = 0; i < r.length; i++) {
      const pe = itemPE(node, r[i], i, false, NO_PATH);
      if (pe in out) continue;
      encodeChild(out, pe, li?.get(pe), r[i], node.elem);
      any ||= pe in out;
    }
    return any;
  }
  if (!isObj(r)) return false;
  const m = node.t === 'untyped' ? UNTYPED_MAP : (node as MapNode);
  const lm = isObj(l) ? l : undefined;
  for (const k in r) {
    const rv = r[k];
    if (rv === undefined || (skip && skip(k))) continue;
    const pe = `f:${k}`;
    encodeChild(out, pe, lm ? lm[k] : undefined, rv, m.field(k) ?? m.elem ?? UNTYPED);
    any ||= pe in out;
  }
  return any;
}
