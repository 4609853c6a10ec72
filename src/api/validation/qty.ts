// Resource quantity checks used by validation (resource.Quantity Cmp/Sign, ValidateResourceQuantityValue).
import type { FieldError } from '../../machinery/errors.ts';
import { invalid } from '../../machinery/errors.ts';

const SUFFIX: Record<string, number> = {
  '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};
const RE = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?[0-9]+))?$/;

/** The numeric value of a quantity (a float, enough for comparisons), or undefined when it does not parse. */
export function quantityValue(q: unknown): number | undefined {
  if (typeof q === 'number') return q;
  if (typeof q !== 'string') return undefined;
  const m = RE.exec(q.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[3] !== undefined) return base * 10 ** Number(m[3]);
  return base * SUFFIX[m[2] ?? '']!;
}

/** The quantity as upstream prints it in messages; inputs are kept as written. */
export function quantityString(q: unknown): string {
  return typeof q === 'number' ? String(q) : String(q ?? '');
}

export function cmpQuantity(a: unknown, b: unknown): number {
  const x = quantityValue(a) ?? 0;
  const y = quantityValue(b) ?? 0;
  // Compare at milli precision so that float noise does not decide.
  const dx = Math.round(x * 1000);
  const dy = Math.round(y * 1000);
  return dx === dy ? 0 : dx < dy ? -1 : 1;
}

/** ValidateNonnegativeQuantity. */
export function nonNegativeQuantity(q: unknown, path: string, errs: FieldError[]): void {
  const v = quantityValue(q);
  if (v !== undefined && v < 0) errs.push(invalid(path, quantityString(q), 'must be greater than or equal to 0'));
}

/** ValidatePositiveQuantityValue. */
export function positiveQuantity(q: unknown, path: string, errs: FieldError[]): void {
  const v = quantityValue(q);
  if (v !== undefined && v <= 0) errs.push(invalid(path, quantityString(q), 'must be greater than zero'));
}

const INTEGER_RESOURCES = new Set(['pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps', 'persistentvolumeclaims', 'services.nodeports', 'services.loadbalancers']);

function isIntegerResource(name: string): boolean {
  if (INTEGER_RESOURCES.has(name) || name.startsWith('count/')) return true;
  // extended resources (domain-prefixed, outside kubernetes.io) are integers
  const bare = name.startsWith('requests.') ? name.slice('requests.'.length) : name;
  return bare.includes('/') && !bare.split('/')[0]!.endsWith('kubernetes.io');
}

/** ValidateResourceQuantityValue: not negative, integral for integer resources. */
export function resourceQuantityValue(resource: string, q: unknown, path: string, errs: FieldError[]): void {
  nonNegativeQuantity(q, path, errs);
  if (isIntegerResource(resource)) {
    const v = quantityValue(q);
    if (v !== undefined && Math.round(v * 1000) % 1000 !== 0) errs.push(invalid(path, quantityString(q), 'must be an integer'));
  }
}
