// az's output formats (knack's output producer): json with sorted keys and two-space indent,
// yaml (block style, sorted keys), tsv (values only, sorted keys unless a --query built the
// object), table (tabulate's "simple" layout, scalar fields only, id/type/etag skipped, headers
// with a capital first letter, or a command's own table transformer), none; and --query with
// JMESPath applied before formatting.
import jmespath from 'jmespath';
import YAML from 'yaml';
import { UsageError } from '../command.ts';
import type { OutputFormat } from './args.ts';

/** A command's own table layout (az's table_transformer): rows with their column order. */
export type TableTransformer = (result: any) => Record<string, unknown>[] | Record<string, unknown>;

export interface FormatOptions {
  output: OutputFormat;
  query?: string | undefined;
  table?: TableTransformer | undefined;
  color?: boolean;
}

/** Checks a --query expression's syntax before anything is sent (az: exit 2). */
export function checkQuery(q: string | undefined): void {
  if (q === undefined) return;
  try {
    jmespath.search({}, q);
  } catch (e) {
    const name = (e as Error).name;
    if (name === 'LexerError' || name === 'ParserError') throw new UsageError(`argument --query: invalid jmespath_type value: '${q}'`);
  }
}

function collectObjects(x: unknown, into: WeakSet<object>): void {
  if (x === null || typeof x !== 'object') return;
  into.add(x);
  if (Array.isArray(x)) for (const e of x) collectObjects(e, into);
  else for (const v of Object.values(x)) collectObjects(v, into);
}

/** Applies a query, returning the result and the set of objects that came from the input (sorted in tsv). */
export function applyQuery(result: unknown, q: string): { value: unknown; original: WeakSet<object> } {
  const original = new WeakSet<object>();
  collectObjects(result, original);
  return { value: jmespath.search(result as any, q), original };
}

function sortKeysDeep(x: unknown): unknown {
  if (x === null || typeof x !== 'object') return x;
  if (Array.isArray(x)) return x.map(sortKeysDeep);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(x).sort(pyCompare)) out[k] = sortKeysDeep((x as Record<string, unknown>)[k]);
  return out;
}

/** Python sorts strings by code point, not by locale. */
function pyCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function formatJson(x: unknown): string {
  return JSON.stringify(sortKeysDeep(x ?? null), null, 2) + '\n';
}

function colorJson(text: string): string {
  return text.replace(/("(?:[^"\\]|\\.)*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g, (m, s, colon, lit, num) => {
    if (s) return colon ? `\x1b[94m${s}\x1b[39m${colon}` : `\x1b[33m${s}\x1b[39m`;
    if (lit) return `\x1b[36m${lit}\x1b[39m`;
    if (num) return `\x1b[36m${num}\x1b[39m`;
    return m;
  });
}

export function formatYaml(x: unknown): string {
  return YAML.stringify(x ?? null, { sortMapEntries: true, indentSeq: false, lineWidth: 0 });
}

/** Python's str() of a scalar, as tabulate and tsv print it. */
function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  return String(v);
}

const SKIP_KEYS = new Set(['id', 'type', 'etag']);

function autoTableItem(item: unknown, sortKeys: boolean): Map<string, string> {
  const row = new Map<string, string>();
  if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
    const keys = Object.keys(item);
    if (sortKeys) keys.sort(pyCompare);
    for (const k of keys) {
      if (SKIP_KEYS.has(k)) continue;
      const v = (item as Record<string, unknown>)[k];
      if (v === null || v === undefined || typeof v === 'object') continue;
      row.set(k ? k[0]!.toUpperCase() + k.slice(1) : k, pyStr(v));
    }
  } else if (Array.isArray(item)) {
    item.forEach((v, i) => row.set(`Column${i + 1}`, pyStr(v)));
  } else {
    row.set('Result', pyStr(item));
  }
  return row;
}

/** tabulate(rows, headers="keys", tablefmt="simple", disable_numparse=True). */
export function tabulate(rows: Map<string, string>[]): string {
  const headers: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) for (const k of r.keys()) if (!seen.has(k)) (seen.add(k), headers.push(k));
  if (headers.length === 0) return '';
  const widths = headers.map((h) => Math.max(h.length + 2, ...rows.map((r) => (r.get(h) ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => line(headers.map((h) => r.get(h) ?? '')))].join('\n');
}

export function formatTable(result: unknown, table: TableTransformer | undefined, queryActive: boolean): string {
  let data = result;
  if (table && !queryActive && result !== null && result !== undefined) data = table(result);
  const items = Array.isArray(data) ? data : [data];
  const rows = items.map((i) => autoTableItem(i, !queryActive && !table));
  const text = rows.length ? tabulate(rows) : '';
  if (rows.length && text === '') throw new Error('Table output unavailable. Use the --query option to specify an appropriate query. Use --debug for more info.');
  return text + '\n';
}

function tsvCell(v: unknown): string {
  if (Array.isArray(v)) return String(v.length);
  if (v !== null && typeof v === 'object') return '';
  return pyStr(v);
}

export function formatTsv(result: unknown, original?: WeakSet<object>): string {
  const items = Array.isArray(result) ? result : [result];
  let out = '';
  for (const item of items) {
    if (Array.isArray(item)) out += item.map(tsvCell).join('\t');
    else if (item !== null && typeof item === 'object') {
      const keys = Object.keys(item);
      // Objects a query built keep the query's order; everything else is sorted, as knack does.
      if (!original || original.has(item)) keys.sort(pyCompare);
      out += keys.map((k) => tsvCell((item as Record<string, unknown>)[k])).join('\t');
    } else if (typeof item === 'boolean') out += String(item);
    else out += tsvCell(item);
    out += '\n';
  }
  return out;
}

/** Formats a command's result; undefined (a command that prints nothing) gives ''. */
export function formatResult(result: unknown, o: FormatOptions): string {
  if (result === undefined) return '';
  let value: unknown = result;
  let original: WeakSet<object> | undefined;
  if (o.query !== undefined) ({ value, original } = applyQuery(result, o.query));
  // knack prints nothing at all for a null result.
  if (value === null || value === undefined) return '';
  switch (o.output) {
    case 'none':
      return '';
    case 'json':
      return formatJson(value);
    case 'jsonc':
      return o.color ? colorJson(formatJson(value)) : formatJson(value);
    case 'yaml':
    case 'yamlc':
      return formatYaml(value);
    case 'table':
      return formatTable(value, o.table, o.query !== undefined);
    case 'tsv':
      return formatTsv(value, original);
  }
}
