// The strict-decoding pass of kube-apiserver (sigs.k8s.io/json UnmarshalStrict) over raw JSON
// text: reports `unknown field "p"` and `duplicate field "p"` in document order, in one linear,
// iterative pass that builds no tree.

import type { ShapeNode } from './fieldvalidation-schema.ts';
import { ANY, ARRAY, MAP, SKIP, SKIP_NODE, STRUCT } from './fieldvalidation-schema.ts';

/** sigs.k8s.io/json stops collecting strict errors after this many. */
export const MAX_STRICT_ERRORS = 100;

export interface StrictFinding {
  type: 'unknown' | 'duplicate';
  path: string;
}

interface Frame {
  isObject: boolean;
  node: ShapeNode;
  /** path.length when the container opened */
  pathLen: number;
  /** elements (array) or keys (object) read so far */
  count: number;
  /** keys seen, for duplicate detection (small objects: array; large: set) */
  keys: string[] | null;
  keySet: Set<string> | null;
}

const WS_SP = 0x20, WS_TAB = 0x09, WS_LF = 0x0a, WS_CR = 0x0d;
const QUOTE = 0x22, BACKSLASH = 0x5c, COMMA = 0x2c, COLON = 0x3a;
const LBRACE = 0x7b, RBRACE = 0x7d, LBRACKET = 0x5b, RBRACKET = 0x5d;

function skipWs(s: string, i: number): number {
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c !== WS_SP && c !== WS_LF && c !== WS_CR && c !== WS_TAB) break;
    i++;
  }
  return i;
}

const PLAIN = /[^"\\\u0000-\u001f]*/y;

/** End index (after the closing quote) of the string starting at i, or -1. Sets lastHadEscape. */
let lastHadEscape = false;
function scanString(s: string, i: number): number {
  const n = s.length;
  lastHadEscape = false;
  i++;
  while (i < n) {
    // Jump over the plain run of characters at once.
    PLAIN.lastIndex = i;
    PLAIN.test(s);
    i = PLAIN.lastIndex;
    if (i >= n) break;
    const c = s.charCodeAt(i);
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) {
      lastHadEscape = true;
      i += 2;
      continue;
    }
    if (c < 0x20) return -1;
    i++;
  }
  return -1;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** End index of the number/true/false/null at i, or -1. */
function scanLiteral(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 0x74) return s.startsWith('true', i) ? i + 4 : -1;
  if (c === 0x66) return s.startsWith('false', i) ? i + 5 : -1;
  if (c === 0x6e) return s.startsWith('null', i) ? i + 4 : -1;
  const n = s.length;
  let j = i;
  if (s.charCodeAt(j) === 0x2d) j++;
  if (j >= n) return -1;
  if (s.charCodeAt(j) === 0x30) j++;
  else if (isDigit(s.charCodeAt(j))) while (j < n && isDigit(s.charCodeAt(j))) j++;
  else return -1;
  if (j < n && s.charCodeAt(j) === 0x2e) {
    j++;
    if (j >= n || !isDigit(s.charCodeAt(j))) return -1;
    while (j < n && isDigit(s.charCodeAt(j))) j++;
  }
  if (j < n && (s.charCodeAt(j) === 0x65 || s.charCodeAt(j) === 0x45)) {
    j++;
    if (j < n && (s.charCodeAt(j) === 0x2b || s.charCodeAt(j) === 0x2d)) j++;
    if (j >= n || !isDigit(s.charCodeAt(j))) return -1;
    while (j < n && isDigit(s.charCodeAt(j))) j++;
  }
  return j;
}

/** True when the key was seen before in this object; records it otherwise. */
function seenBefore(f: Frame, key: string): boolean {
  if (f.keySet) {
    if (f.keySet.has(key)) return true;
    f.keySet.add(key);
    return false;
  }
  if (!f.keys) {
    f.keys = [key];
    return false;
  }
  if (f.keys.includes(key)) return true;
  if (f.keys.length >= 16) {
    f.keySet = new Set(f.keys);
    f.keySet.add(key);
    f.keys = null;
  } else f.keys.push(key);
  return false;
}

function report(out: StrictFinding[], type: 'unknown' | 'duplicate', path: string[], depth: number, key: string): void {
  if (out.length >= MAX_STRICT_ERRORS) return;
  const p = depth ? path.slice(0, depth).join('') + '.' + key : key;
  for (const f of out) if (f.type === type && f.path === p) return;
  out.push({ type, path: p });
}

/**
 * Scans `text` as a value of shape `root`. Returns the findings in document order, deduplicated
 * and capped as upstream does, or null when the text is not well-formed JSON.
 * `reportUnknown` false only looks for duplicates.
 */
export function scanStrict(text: string, root: ShapeNode, reportUnknown = true): StrictFinding[] | null {
  const out: StrictFinding[] = [];
  // path segments [0, depth) of the value being read; `depth` moves, the array only grows
  const path: string[] = [];
  let depth = 0;
  const stack: Frame[] = [];
  const n = text.length;
  let i = 0;
  let node = root;

  for (;;) {
    // ---- a value of shape `node` starts at i
    i = skipWs(text, i);
    if (i >= n) return null;
    const c = text.charCodeAt(i);
    if (c === LBRACE || c === LBRACKET) {
      const isObject = c === LBRACE;
      // A value of the wrong JSON type fails to decode in Go; nothing inside it is checked.
      let k = node.kind;
      if (k !== SKIP && k !== ANY && (isObject ? k === ARRAY : k !== ARRAY)) k = SKIP;
      stack.push({ isObject, node: k === node.kind ? node : SKIP_NODE, pathLen: depth, count: 0, keys: null, keySet: null });
      i++;
    } else if (c === QUOTE) {
      i = scanString(text, i);
      if (i < 0) return null;
    } else {
      i = scanLiteral(text, i);
      if (i < 0) return null;
    }

    // ---- after a value (or an opening bracket): close containers until the next value starts
    for (;;) {
      const f = stack[stack.length - 1];
      if (!f) {
        i = skipWs(text, i);
        return i === n ? out : null;
      }
      i = skipWs(text, i);
      if (i >= n) return null;
      const ch = text.charCodeAt(i);
      const close = f.isObject ? RBRACE : RBRACKET;
      if (ch === close) {
        i++;
        stack.pop();
        depth = f.pathLen;
        continue;
      }
      if (f.count > 0) {
        if (ch !== COMMA) return null;
        i = skipWs(text, i + 1);
        if (i >= n) return null;
      }
      depth = f.pathLen;
      if (!f.isObject) {
        const fk = f.node.kind;
        node = fk === ARRAY ? f.node.elem! : fk === ANY ? f.node : SKIP_NODE;
        if (node.kind !== SKIP) path[depth++] = '[' + f.count + ']';
        f.count++;
        break;
      }
      // object member: "key" : value
      if (text.charCodeAt(i) !== QUOTE) return null;
      const start = i;
      i = scanString(text, i);
      if (i < 0) return null;
      const end = i;
      const escaped = lastHadEscape;
      f.count++;
      i = skipWs(text, i);
      if (text.charCodeAt(i) !== COLON) return null;
      i++;
      const fk = f.node.kind;
      if (fk === SKIP) {
        node = SKIP_NODE;
        break;
      }
      let key: string;
      if (escaped) {
        try {
          key = JSON.parse(text.slice(start, end)) as string;
        } catch {
          return null;
        }
      } else key = text.slice(start + 1, end - 1);
      if (fk === STRUCT) {
        const child = f.node.fields!.get(key);
        if (child === undefined) {
          if (reportUnknown) report(out, 'unknown', path, depth, key);
          node = SKIP_NODE;
          break;
        }
        if (seenBefore(f, key)) report(out, 'duplicate', path, depth, key);
        node = child;
      } else {
        if (seenBefore(f, key)) report(out, 'duplicate', path, depth, key);
        node = fk === MAP ? f.node.elem! : f.node;
      }
      if (node.kind !== SKIP) {
        path[depth] = depth === 0 ? key : '.' + key;
        depth++;
      }
      break;
    }
  }
}
