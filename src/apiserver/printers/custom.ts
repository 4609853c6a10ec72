// Tables for custom resources as apiextensions-apiserver builds them: Name plus the version's
// additionalPrinterColumns (JSONPath cells typed string/integer/number/boolean/date), or Age.

import { humanDuration } from '../../machinery/duration.ts';
import { timeMs, type Obj } from './format.ts';
import { rowObject, type Table, type TableColumnDefinition, type TableOptions, type TableRow } from './table.ts';
import { fieldDoc } from './docs.ts';

export interface CustomColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

// ---- a small JSONPath subset: .a.b, ['a'], [N], [*], [?(@.x.y=="v")] / != ------------------------

type Step =
  | { k: 'field'; name: string }
  | { k: 'index'; i: number }
  | { k: 'all' }
  | { k: 'filter'; path: string[]; op: '==' | '!='; value: unknown };

const compiled = new Map<string, Step[] | null>();

const FILTER = /^\?\(@((?:\.[^.=!\s]+)*)\s*(==|!=)\s*(.+?)\s*\)$/;

function parseLiteral(s: string): unknown {
  if ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'"))) return s.slice(1, -1);
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (s === 'null') return null;
  const n = Number(s);
  return Number.isNaN(n) ? s : n;
}

/** Compiles a simple JSONPath (with or without the surrounding braces); null when unsupported. */
export function compilePath(path: string): Step[] | null {
  const hit = compiled.get(path);
  if (hit !== undefined) return hit;
  let p = path.trim();
  if (p.startsWith('{') && p.endsWith('}')) p = p.slice(1, -1).trim();
  if (p.startsWith('$')) p = p.slice(1);
  const steps: Step[] = [];
  let i = 0;
  let ok = true;
  while (i < p.length && ok) {
    const c = p[i];
    if (c === '.') {
      let j = i + 1;
      while (j < p.length && p[j] !== '.' && p[j] !== '[') j++;
      const name = p.slice(i + 1, j);
      if (name === '') ok = false;
      else steps.push(name === '*' ? { k: 'all' } : { k: 'field', name });
      i = j;
    } else if (c === '[') {
      // find the matching ']' outside quotes
      let j = i + 1;
      let quote = '';
      let depth = 0;
      for (; j < p.length; j++) {
        const ch = p[j];
        if (quote) {
          if (ch === quote) quote = '';
        } else if (ch === '"' || ch === "'") quote = ch;
        else if (ch === '(') depth++;
        else if (ch === ')') depth--;
        else if (ch === ']' && depth === 0) break;
      }
      if (j >= p.length) {
        ok = false;
        break;
      }
      const inner = p.slice(i + 1, j).trim();
      i = j + 1;
      if (inner === '*') steps.push({ k: 'all' });
      else if (/^-?\d+$/.test(inner)) steps.push({ k: 'index', i: Number(inner) });
      else if ((inner.startsWith("'") && inner.endsWith("'")) || (inner.startsWith('"') && inner.endsWith('"'))) {
        steps.push({ k: 'field', name: inner.slice(1, -1) });
      } else {
        const m = FILTER.exec(inner);
        if (!m) ok = false;
        else {
          const fpath = m[1] ? m[1].slice(1).split('.') : [];
          steps.push({ k: 'filter', path: fpath, op: m[2] as '==' | '!=', value: parseLiteral(m[3]!) });
        }
      }
    } else {
      ok = false;
    }
  }
  const result = ok ? steps : null;
  compiled.set(path, result);
  return result;
}

function walk(v: unknown, path: string[]): unknown {
  let cur = v;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Obj)[p];
  }
  return cur;
}

/** The first value a compiled path finds in `obj`, or undefined. */
export function findFirst(obj: unknown, steps: Step[]): unknown {
  let cur: unknown[] = [obj];
  for (const s of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      if (v === null || v === undefined) continue;
      switch (s.k) {
        case 'field':
          if (typeof v === 'object' && !Array.isArray(v) && s.name in (v as Obj)) next.push((v as Obj)[s.name]);
          break;
        case 'index':
          if (Array.isArray(v)) {
            const idx = s.i < 0 ? v.length + s.i : s.i;
            if (idx >= 0 && idx < v.length) next.push(v[idx]);
          }
          break;
        case 'all':
          if (Array.isArray(v)) next.push(...v);
          else if (typeof v === 'object') next.push(...Object.values(v as Obj));
          break;
        case 'filter':
          if (Array.isArray(v)) {
            for (const item of v) {
              const got = walk(item, s.path);
              if (got === undefined) continue;
              if ((got === s.value) === (s.op === '==')) next.push(item);
            }
          }
          break;
      }
    }
    if (next.length === 0) return undefined;
    cur = next;
  }
  return cur[0];
}

// ---- cells -------------------------------------------------------------------------------------

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Go's json.Marshal of a decoded JSON value (object keys sorted). */
function goJSON(v: unknown): string {
  if (Array.isArray(v)) return '[' + v.map(goJSON).join(',') + ']';
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return '{' + keys.map((k) => JSON.stringify(k) + ':' + goJSON((v as Obj)[k])).join(',') + '}';
  }
  return JSON.stringify(v) ?? 'null';
}

/** A cell for a JSONPath result, typed as the column says (mismatches → null). */
export function cellFor(type: string, value: unknown, now: number): unknown {
  if (value === undefined || value === null) return null;
  switch (type) {
    case 'string':
      if (typeof value === 'object') return goJSON(value);
      return String(value);
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date': {
      if (typeof value !== 'string') return null;
      if (!RFC3339.test(value)) return '<invalid>';
      const t = timeMs(value);
      if (t === null) return Number.isNaN(Date.parse(value)) ? '<invalid>' : '<unknown>';
      return humanDuration(now - t);
    }
  }
  return null;
}

const DEFAULT_AGE: CustomColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

/**
 * The Table of custom resources with the CRD version's additionalPrinterColumns (an empty list
 * gives the default Age column). Unsupported JSONPath expressions give null cells.
 */
export function tableForCustomColumns(columns: readonly CustomColumn[], objects: readonly Obj[], opts: TableOptions): Table {
  const apiVersion = opts.apiVersion ?? 'meta.k8s.io/v1';
  const cols = columns.length > 0 ? columns : [DEFAULT_AGE];
  const paths = cols.map((c) => compilePath(c.jsonPath));
  const now = opts.now;
  const rows: TableRow[] = new Array(objects.length);
  for (let r = 0; r < objects.length; r++) {
    const obj = objects[r]!;
    const cells: unknown[] = new Array(cols.length + 1);
    cells[0] = obj.metadata?.name ?? '';
    for (let c = 0; c < cols.length; c++) {
      const steps = paths[c];
      cells[c + 1] = steps ? cellFor(cols[c]!.type, findFirst(obj, steps), now) : null;
    }
    const row: TableRow = { cells };
    const o = rowObject(obj, opts.includeObject, apiVersion);
    if (o !== undefined) row.object = o;
    rows[r] = row;
  }
  let defs: TableColumnDefinition[] | null = null;
  if (!opts.noHeaders) {
    defs = [{ name: 'Name', type: 'string', format: 'name', description: fieldDoc('V1ObjectMeta', 'name'), priority: 0 }];
    for (const c of cols) {
      const description = c === DEFAULT_AGE
        ? fieldDoc('V1ObjectMeta', 'creationTimestamp')
        : c.description || `Custom resource definition column (in JSONPath format): ${c.jsonPath}`;
      defs.push({ name: c.name, type: c.type, format: c.format ?? '', description, priority: c.priority ?? 0 });
    }
  }
  const meta: Table['metadata'] = {};
  const lm = opts.listMeta;
  if (lm?.resourceVersion) meta.resourceVersion = lm.resourceVersion;
  if (lm?.continue) meta.continue = lm.continue;
  if (typeof lm?.remainingItemCount === 'number') meta.remainingItemCount = lm.remainingItemCount;
  return { kind: 'Table', apiVersion, metadata: meta, columnDefinitions: defs, rows };
}
