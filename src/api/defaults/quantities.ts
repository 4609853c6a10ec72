// ResourceList defaulting as kube-apiserver does it (SetDefaults_ResourceList): every quantity rounded up
// to milli precision and re-emitted in canonical form (`0.5` -> `500m`, `1024Mi` -> `1Gi`, `0.0001` -> `1m`);
// plus the small sums/comparisons pod-level resources and QoS need. Unparseable values are left for validation.
import { Scale, quantityFromJSON } from '../../machinery/quantity.ts';
import type { Quantity } from '../../machinery/quantity.ts';

function parse(v: unknown): Quantity | undefined {
  try {
    return quantityFromJSON(v);
  } catch {
    return undefined;
  }
}

/** Canonical string of a quantity rounded up to milli precision; undefined when it does not parse. */
export function roundedQuantity(v: unknown): string | undefined {
  const q = parse(v);
  return q ? q.roundUp(Scale.Milli).quantity.toString() : undefined;
}

/** Rounds every quantity of a ResourceList (map of name -> quantity) in place. */
export function roundResourceList(list: unknown): void {
  if (typeof list !== 'object' || list === null || Array.isArray(list)) return;
  const l = list as Record<string, unknown>;
  for (const k of Object.keys(l)) {
    const r = roundedQuantity(l[k]);
    if (r !== undefined && r !== l[k]) l[k] = r;
  }
}

/** a + b as a canonical string (a is returned unchanged if b does not parse, and vice versa). */
export function addQuantities(a: unknown, b: unknown): string {
  const x = parse(a);
  const y = parse(b);
  if (!x) return String(b);
  if (!y) return String(a);
  return x.add(y).toString();
}

/** -1, 0 or 1; an unparseable quantity compares as zero. */
export function cmpQuantities(a: unknown, b: unknown): number {
  const x = parse(a) ?? parse('0');
  const y = parse(b) ?? parse('0');
  return x!.cmp(y!);
}
