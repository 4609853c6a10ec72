// Conversion between API versions that share one stored object, as kube-apiserver's scheme does it:
// autoscaling/v1 <-> autoscaling/v2 HorizontalPodAutoscaler (stored as v2) and core/v1 <-> events.k8s.io/v1
// Event (stored as core v1). Everything else is served in its only version and just re-labelled.
//
// The result is a new top-level object with a copied metadata; deeper values that need no change are
// shared with the input, so treat both as read-only below metadata.
import { hpaV1ToV2, hpaV2ToV1 } from './autoscaling.ts';
import { coreEventToEventsV1, eventsV1ToCoreEvent } from './events.ts';
import type { Obj } from './shared.ts';

export {
  BEHAVIOR_SPECS_ANNOTATION,
  CONDITIONS_ANNOTATION,
  DEFAULT_CPU_UTILIZATION,
  METRIC_SPECS_ANNOTATION,
  METRIC_STATUSES_ANNOTATION,
  hpaV1ToV2,
  hpaV2ToV1,
} from './autoscaling.ts';
export { coreEventToEventsV1, eventsV1ToCoreEvent } from './events.ts';

type Converter = (obj: Obj) => Obj;

/** `from>to>kind` → converter. */
const CONVERTERS = new Map<string, Converter>([
  ['autoscaling/v2>autoscaling/v1>HorizontalPodAutoscaler', hpaV2ToV1],
  ['autoscaling/v1>autoscaling/v2>HorizontalPodAutoscaler', hpaV1ToV2],
  ['v1>events.k8s.io/v1>Event', coreEventToEventsV1],
  ['events.k8s.io/v1>v1>Event', eventsV1ToCoreEvent],
]);

/** `group/resource` (core group as '') → the apiVersion objects are stored in. */
const STORAGE_VERSIONS = new Map<string, string>([
  ['autoscaling/horizontalpodautoscalers', 'autoscaling/v2'],
  ['events.k8s.io/events', 'v1'],
  ['/events', 'v1'],
]);

/**
 * The apiVersion kube-apiserver stores a resource in when it is served in versions that share storage,
 * e.g. ('autoscaling', 'horizontalpodautoscalers') → 'autoscaling/v2', ('events.k8s.io', 'events') → 'v1'
 * (core). undefined for resources served in one version only: they are stored as served.
 */
export function storageVersionOf(group: string, resource: string): string | undefined {
  return STORAGE_VERSIONS.get(group + '/' + resource);
}

/** Whether converting `kind` between the two apiVersions changes more than the label. */
export function hasConversion(fromApiVersion: string, toApiVersion: string, kind: string): boolean {
  return CONVERTERS.has(fromApiVersion + '>' + toApiVersion + '>' + kind);
}

/**
 * `obj` in `toApiVersion` (same kind). A list (`<Kind>List` with `items`) has each item converted; items
 * without their own apiVersion/kind (as Go serializes typed lists) stay without them. Where no conversion
 * is known, or the versions are equal, the copy is only re-labelled. Never mutates `obj`.
 */
export function convert(obj: Record<string, any>, toApiVersion: string): Record<string, any> {
  const from = obj.apiVersion;
  const kind = obj.kind;
  if (from === toApiVersion || typeof from !== 'string' || typeof kind !== 'string') {
    return { ...obj, apiVersion: toApiVersion };
  }
  const fn = CONVERTERS.get(from + '>' + toApiVersion + '>' + kind);
  if (fn) return fn(obj);
  if (kind.endsWith('List') && Array.isArray(obj.items)) {
    const itemFn = CONVERTERS.get(from + '>' + toApiVersion + '>' + kind.slice(0, -4));
    if (itemFn) {
      const itemKind = kind.slice(0, -4);
      return { ...obj, apiVersion: toApiVersion, items: obj.items.map((it: Obj) => convertItem(it, from, itemKind, itemFn)) };
    }
  }
  return { ...obj, apiVersion: toApiVersion };
}

function convertItem(item: Obj, from: string, kind: string, fn: Converter): Obj {
  if (item.apiVersion === from && item.kind === kind) return fn(item);
  const out = fn({ ...item, apiVersion: from, kind });
  if (!('apiVersion' in item)) delete out.apiVersion;
  if (!('kind' in item)) delete out.kind;
  return out;
}
