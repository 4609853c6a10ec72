// Parsed label selectors of workload objects, cached per object version: informers replace an
// object on every update, so a WeakMap keyed by the cached object parses each selector once.
import { nothing, selectorFromLabelSelector, selectorFromSet, type Selector } from '../../machinery/labels.ts';
import type { Obj } from '../../client/types.ts';

const cache = new WeakMap<Obj, Selector>();

/** spec.selector as a metav1.LabelSelector (apps/v1 kinds); an invalid selector matches nothing. */
export function labelSelectorOf(obj: Obj): Selector {
  let s = cache.get(obj);
  if (!s) {
    try {
      s = selectorFromLabelSelector(obj.spec?.selector);
    } catch {
      s = nothing();
    }
    cache.set(obj, s);
  }
  return s;
}

const setCache = new WeakMap<Obj, Selector>();

/**
 * spec.selector as a plain label map (ReplicationController). An empty map would select everything;
 * upstream's RC selector is never empty after defaulting, so treat it as matching nothing.
 */
export function setSelectorOf(obj: Obj): Selector {
  let s = setCache.get(obj);
  if (!s) {
    const set = obj.spec?.selector;
    s = set && Object.keys(set).length ? selectorFromSet(set) : nothing();
    setCache.set(obj, s);
  }
  return s;
}

