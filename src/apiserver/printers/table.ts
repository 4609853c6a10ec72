// meta.k8s.io/v1 Table responses as kube-apiserver builds them for `kubectl get` (server-side
// printing): built-in printers, the default Name/Created At convertor, includeObject, watch rows.

import { fieldDoc } from './docs.ts';
import { printers, type ColumnSpec, type Printer } from './handlers.ts';
import type { Obj } from './format.ts';
import { tableForCustomColumns, type CustomColumn } from './custom.ts';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface TableRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
  object?: unknown;
}

export interface TableListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1' | 'meta.k8s.io/v1beta1';
  metadata: TableListMeta;
  /** null when headers were not asked for (every watch event after the first). */
  columnDefinitions: TableColumnDefinition[] | null;
  /** null only from the default convertor on an empty list, as upstream. */
  rows: TableRow[] | null;
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableOptions {
  includeObject?: IncludeObject;
  noHeaders?: boolean;
  /** Server time at the request, ms since the epoch (AGE cells are relative to it). */
  now: number;
  /** List metadata to copy; for a single object pass its metadata.resourceVersion. */
  listMeta?: TableListMeta;
  /** `meta.k8s.io/v1beta1` when the Accept header asked for it. */
  apiVersion?: 'meta.k8s.io/v1' | 'meta.k8s.io/v1beta1';
  /** Custom resources: the CRD version's additionalPrinterColumns (Name and Age when empty). */
  customColumns?: readonly CustomColumn[] | undefined;
}

export interface GroupResource {
  group: string;
  resource: string;
}

const INCLUDE_OBJECT = new Set(['None', 'Metadata', 'Object']);

/**
 * Validates the includeObject query parameter; returns the message of the 400 BadRequest upstream
 * sends for an unknown value, or null when valid (absent means Metadata).
 */
export function includeObjectError(v: string | null | undefined): string | null {
  if (v === null || v === undefined || v === '' || INCLUDE_OBJECT.has(v)) return null;
  return `unrecognized includeObject value: ${JSON.stringify(v)}`;
}

/** Resolves '@Model.field' descriptions once per column. */
export function columnDefinitions(specs: readonly ColumnSpec[]): TableColumnDefinition[] {
  return specs.map(([name, type, description, priority = 0, format = '']) => {
    let desc = description;
    if (desc.startsWith('@')) {
      const dot = desc.indexOf('.');
      desc = fieldDoc(desc.slice(1, dot), desc.slice(dot + 1));
    }
    return { name, type, format, description: desc, priority };
  });
}

const DEFAULT_COLUMNS: readonly ColumnSpec[] = [
  ['Name', 'string', '@V1ObjectMeta.name', 0, 'name'],
  ['Created At', 'date', '@V1ObjectMeta.creationTimestamp'],
];

const columnCache = new Map<string, TableColumnDefinition[]>();

function cachedColumns(key: string, specs: readonly ColumnSpec[]): TableColumnDefinition[] {
  let cols = columnCache.get(key);
  if (!cols) {
    cols = columnDefinitions(specs);
    columnCache.set(key, cols);
  }
  return cols;
}

function printerKey(gr: GroupResource): string {
  return gr.group ? gr.group + '/' + gr.resource : gr.resource;
}

/** The built-in printer for a resource, or undefined when the default convertor applies. */
export function printerFor(gr: GroupResource): Printer | undefined {
  return printers[printerKey(gr)];
}

/** The column definitions a Table for this resource carries (shared; do not mutate). */
export function columnsFor(gr: GroupResource): TableColumnDefinition[] {
  const p = printerFor(gr);
  return p ? cachedColumns(printerKey(gr), p.columns) : cachedColumns('', DEFAULT_COLUMNS);
}

/** The object of a row: PartialObjectMetadata (default), the full object, or nothing. */
export function rowObject(obj: Obj, includeObject: IncludeObject | undefined, apiVersion: string): unknown {
  switch (includeObject) {
    case 'None':
      return undefined;
    case 'Object':
      return obj;
    default:
      return { kind: 'PartialObjectMetadata', apiVersion, metadata: obj.metadata ?? {} };
  }
}

/** RFC 3339 in UTC without fractional seconds, as Go's time.RFC3339 prints a metav1.Time. */
function rfc3339(ts: unknown): string {
  if (typeof ts === 'string' && ts !== '') {
    const t = Date.parse(ts);
    if (!Number.isNaN(t)) {
      const iso = new Date(t).toISOString();
      return iso.slice(0, 19) + 'Z';
    }
  }
  return '0001-01-01T00:00:00Z';
}

function tableMeta(m: TableListMeta | undefined): TableListMeta {
  const out: TableListMeta = {};
  if (!m) return out;
  if (m.resourceVersion) out.resourceVersion = m.resourceVersion;
  if (m.continue) out.continue = m.continue;
  if (typeof m.remainingItemCount === 'number') out.remainingItemCount = m.remainingItemCount;
  return out;
}

/** Builds the Table kube-apiserver returns for a list (or a single object) of a resource. */
export function toTable(gr: GroupResource, objects: readonly Obj[], opts: TableOptions): Table {
  if (opts.customColumns) return tableForCustomColumns(opts.customColumns, objects, opts);
  const apiVersion = opts.apiVersion ?? 'meta.k8s.io/v1';
  const printer = printerFor(gr);
  const include = opts.includeObject;
  const now = opts.now;
  let rows: TableRow[] | null;
  if (printer) {
    rows = new Array<TableRow>(objects.length);
    for (let i = 0; i < objects.length; i++) {
      const obj = objects[i]!;
      const row: TableRow = { cells: printer.cells(obj, now) };
      const conds = printer.conditions?.(obj);
      if (conds) row.conditions = conds as TableRowCondition[];
      const o = rowObject(obj, include, apiVersion);
      if (o !== undefined) row.object = o;
      rows[i] = row;
    }
  } else {
    rows = objects.length === 0 ? null : new Array<TableRow>(objects.length);
    for (let i = 0; i < objects.length; i++) {
      const obj = objects[i]!;
      const row: TableRow = { cells: [obj.metadata?.name ?? '', rfc3339(obj.metadata?.creationTimestamp)] };
      const o = rowObject(obj, include, apiVersion);
      if (o !== undefined) row.object = o;
      rows![i] = row;
    }
  }
  return {
    kind: 'Table',
    apiVersion,
    metadata: tableMeta(opts.listMeta),
    columnDefinitions: opts.noHeaders ? null : columnsFor(gr),
    rows,
  };
}

/**
 * The `object` of one watch event when the client asked for `as=Table` (kubectl get -w): a Table
 * with the single row of that object. As kube-apiserver does, pass `first: true` only for the
 * first event of the stream; later events carry `columnDefinitions: null`. The Table's
 * resourceVersion is the object's. BOOKMARK and ERROR events are not converted.
 */
export function watchEventTable(
  gr: GroupResource,
  obj: Obj,
  opts: { first: boolean; now: number; includeObject?: IncludeObject; apiVersion?: 'meta.k8s.io/v1' | 'meta.k8s.io/v1beta1'; customColumns?: readonly CustomColumn[] | undefined },
): Table {
  const rv: string | undefined = obj.metadata?.resourceVersion;
  return toTable(gr, [obj], {
    now: opts.now,
    noHeaders: !opts.first,
    ...(opts.customColumns ? { customColumns: opts.customColumns } : {}),
    ...(opts.includeObject ? { includeObject: opts.includeObject } : {}),
    ...(opts.apiVersion ? { apiVersion: opts.apiVersion } : {}),
    ...(rv ? { listMeta: { resourceVersion: rv } } : {}),
  });
}

/**
 * A stateful converter for one watch stream: call it per event object; only the first Table
 * carries the column definitions.
 */
export function tableRowsForWatch(
  gr: GroupResource,
  opts: { now: () => number; includeObject?: IncludeObject; apiVersion?: 'meta.k8s.io/v1' | 'meta.k8s.io/v1beta1'; customColumns?: readonly CustomColumn[] | undefined },
): (obj: Obj) => Table {
  let first = true;
  return (obj) => {
    const t = watchEventTable(gr, obj, {
      first,
      now: opts.now(),
      ...(opts.customColumns ? { customColumns: opts.customColumns } : {}),
      ...(opts.includeObject ? { includeObject: opts.includeObject } : {}),
      ...(opts.apiVersion ? { apiVersion: opts.apiVersion } : {}),
    });
    first = false;
    return t;
  };
}
