// Cell-formatting helpers shared by kube-apiserver's built-in printers (pkg/printers/internalversion):
// ages, label maps, label selectors, container lists, access modes, "+ N more..." lists.

import { formatLabelSelector, formatLabels as machineryFormatLabels, selectorFromLabelSelector, type LabelSelector } from '../../machinery/labels.ts';
import { quantityFromJSON } from '../../machinery/quantity.ts';
import { humanDuration } from '../../machinery/duration.ts';

export type Obj = Record<string, any>;

/** Go's zero time, which metav1.Time treats as unset. */
const ZERO_TIME_MS = -62135596800000; // 0001-01-01T00:00:00Z

/** Milliseconds since the epoch of an RFC 3339 timestamp, or null when absent/zero/unparsable. */
export function timeMs(ts: unknown): number | null {
  if (typeof ts !== 'string' || ts === '') return null;
  const t = ts.length === 20 ? fastRFC3339(ts) : Date.parse(ts);
  if (Number.isNaN(t) || t <= ZERO_TIME_MS) return null;
  return t;
}

const d2 = (s: string, i: number): number => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;

/** `YYYY-MM-DDTHH:MM:SSZ` (how metav1.Time serialises) without Date.parse; NaN when it is not that. */
function fastRFC3339(s: string): number {
  if (s.charCodeAt(19) !== 90 /* Z */ || s.charCodeAt(10) !== 84 /* T */ || s.charCodeAt(4) !== 45 || s.charCodeAt(13) !== 58) return Date.parse(s);
  const year = d2(s, 0) * 100 + d2(s, 2);
  if (year < 1970) return Date.parse(s); // Date.UTC maps years 0-99 to 1900-1999
  const t = Date.UTC(year, d2(s, 5) - 1, d2(s, 8), d2(s, 11), d2(s, 14), d2(s, 17));
  return Number.isNaN(t) ? Date.parse(s) : t;
}

/** "Time since" cell (translateTimestampSince): `<unknown>` for an unset time. */
export function since(ts: unknown, now: number): string {
  const t = timeMs(ts);
  return t === null ? '<unknown>' : humanDuration(now - t);
}

/** AGE cell of an object. */
export function age(obj: Obj, now: number): string {
  return since(obj.metadata?.creationTimestamp, now);
}

/** labels.FormatLabels: sorted `k=v` pairs joined by `,`; empty → `<none>`. */
export const formatLabels = machineryFormatLabels;

/** metav1.FormatLabelSelector: nil/empty → `<none>`, invalid → `<error>`. */
export const formatSelector = (sel: Obj | undefined | null): string => formatLabelSelector(sel as LabelSelector | undefined);

/**
 * The labels.Selector string of metav1.LabelSelectorAsSelector (Deployment SELECTOR):
 * "" for nil/empty, null when invalid.
 */
export function selectorString(sel: Obj | undefined | null): string | null {
  try {
    return selectorFromLabelSelector(sel as LabelSelector | undefined).toString();
  } catch {
    return null;
  }
}

/** Names of the template's regular containers joined by `,`. */
export function containerNames(podSpec: Obj | undefined): string {
  const cs = podSpec?.containers as Obj[] | undefined;
  if (!cs) return '';
  let out = '';
  for (let i = 0; i < cs.length; i++) out += (i > 0 ? ',' : '') + (cs[i]!.name ?? '');
  return out;
}

/** Images of the template's regular containers joined by `,`. */
export function containerImages(podSpec: Obj | undefined): string {
  const cs = podSpec?.containers as Obj[] | undefined;
  if (!cs) return '';
  let out = '';
  for (let i = 0; i < cs.length; i++) out += (i > 0 ? ',' : '') + (cs[i]!.image ?? '');
  return out;
}

/** A resource.Quantity cell in canonical form (`1024Mi` → `1Gi`); absent → `0`. */
export function quantity(q: unknown): string {
  if (q === undefined || q === null || q === '') return '0';
  try {
    return quantityFromJSON(q).toString();
  } catch {
    return String(q);
  }
}

/** IntOrString as text. */
export function intOrString(v: unknown): string {
  return typeof v === 'number' ? String(Math.trunc(v)) : String(v);
}

const ACCESS_MODES: [string, string][] = [
  ['ReadWriteOnce', 'RWO'],
  ['ReadOnlyMany', 'ROX'],
  ['ReadWriteMany', 'RWX'],
  ['ReadWriteOncePod', 'RWOP'],
];

/** Access modes as RWO,ROX,RWX,RWOP in that fixed order, de-duplicated. */
export function accessModes(modes: string[] | undefined): string {
  if (!modes || modes.length === 0) return '';
  let out = '';
  for (const [mode, short] of ACCESS_MODES) {
    if (modes.includes(mode)) out += (out ? ',' : '') + short;
  }
  return out;
}

/** "a,b,c + K more..." (listWithMoreString); an empty list gives `empty`. */
export function listWithMore(list: string[], total: number, max: number, empty: string): string {
  const ret = list.join(',');
  if (total > max) return `${ret} + ${total - max} more...`;
  return ret === '' ? empty : ret;
}

/** Integer cell from an optional number (missing → 0). */
export function int(v: unknown): number {
  return typeof v === 'number' ? Math.trunc(v) : 0;
}

/** The first condition of `type` in a conditions list. */
export function condition(conds: Obj[] | undefined, type: string): Obj | undefined {
  if (!conds) return undefined;
  for (const c of conds) if (c.type === type) return c;
  return undefined;
}
