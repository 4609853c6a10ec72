// ResourceQuota admission (plugin/pkg/admission/resourcequota + apiserver's quota controller):
// a create (or an update that costs more) is checked against every ResourceQuota of its namespace
// that covers it; the usage is charged to the quota's status.used in the same step (compare-and-swap
// on the quota, so concurrent creates cannot overshoot); what would exceed a limit is refused with
// 403 "exceeded quota: ..."; pods without requests under a cpu/memory quota with "failed quota: ...".
import { StatusError, forbidden, isConflict } from '../../machinery/errors.ts';
import type { AdmissionAttributes, AdmissionPlugin } from '../admission.ts';
import type { Store } from '../registry/store.ts';
import type { Obj } from '../types.ts';
import { addLists, mask, matchingResources, parseList, podConstraints, prettyPrint, quotaMatches, removeZeros, subtractLists, usageOf, formatList, type GR, type ResourceList } from './quotausage.ts';

/** Which operations an evaluator charges (evaluator.Handles). */
function handles(gr: GR, a: AdmissionAttributes): boolean {
  if (a.subresource) return false;
  if (a.operation === 'CREATE') return true;
  if (a.operation !== 'UPDATE' || gr.group !== '') return false;
  // Services can change type (node ports, load balancers); claims can grow.
  return gr.resource === 'services' || gr.resource === 'persistentvolumeclaims';
}

interface Charge {
  name: string;
  requested: ResourceList;
}

/**
 * Checks `a` against the quotas (as read) and returns what to charge to each; throws the
 * Forbidden error upstream's CheckRequest returns.
 */
function check(a: AdmissionAttributes, quotas: Obj[], now: number): Charge[] {
  const gr: GR = a.store.gr;
  const name = a.obj.metadata?.name ?? '';
  const fail = (why: string) => forbidden(gr, name, why);
  const interesting: Obj[] = [];
  for (const quota of quotas) {
    if (!quotaMatches(quota, gr, a.obj)) continue;
    const hard = Object.keys(quota.status?.hard ?? {});
    const restricted = matchingResources(gr, hard);
    if (!restricted.length) continue;
    if (gr.group === '' && gr.resource === 'pods') {
      const err = podConstraints(restricted, a.obj);
      if (err) throw fail(`failed quota: ${quota.metadata.name}: ${err}`);
    }
    const used = quota.status?.used ?? {};
    const missing = restricted.filter((r) => used[r] === undefined);
    if (missing.length) throw fail(`status unknown for quota: ${quota.metadata.name}, resources: ${restricted.sort().join(',')}`);
    interesting.push(quota);
  }
  if (!interesting.length) return [];
  let delta = usageOf(gr, a.obj, now);
  if (a.operation === 'UPDATE' && a.old) {
    // Only growth is charged on update (quota.Subtract then keep what increased).
    const prev = usageOf(gr, a.old, now);
    const diff = subtractLists(delta, prev);
    delta = {};
    for (const [k, v] of Object.entries(diff)) if (v.sign() > 0) delta[k] = v;
  }
  delta = removeZeros(delta);
  if (!Object.keys(delta).length) return [];
  const out: Charge[] = [];
  for (const quota of interesting) {
    const hard = parseList(quota.status?.hard);
    const used = parseList(quota.status?.used);
    const requested = mask(delta, Object.keys(hard));
    const names = Object.keys(requested);
    if (!names.length) continue;
    const newUsage = mask(addLists(used, requested), names);
    const exceeded = names.filter((n) => newUsage[n]!.cmp(hard[n]!) > 0);
    if (exceeded.length) {
      throw fail(`exceeded quota: ${quota.metadata.name}, requested: ${prettyPrint(mask(requested, exceeded))}, used: ${prettyPrint(mask(used, exceeded))}, limited: ${prettyPrint(mask(hard, exceeded))}`);
    }
    out.push({ name: quota.metadata.name, requested });
  }
  return out;
}

export interface ResourceQuotaOptions {
  now?: () => number;
}

/** The ResourceQuota admission plugin; `quotas` gives the resourcequotas store. */
export function resourceQuota(quotas: () => Store, opts: ResourceQuotaOptions = {}): AdmissionPlugin {
  return {
    name: 'ResourceQuota',
    async validate(a) {
      const gr = a.store.gr;
      if (!a.namespace || !a.store.info.namespaced || !handles(gr, a)) return;
      const qs = quotas();
      const listed = qs.cache.list(qs.scope(a.namespace)).items;
      if (!listed.length) return;
      const now = opts.now?.() ?? a.ctx.now;
      const charges = check(a, listed, now);
      if (!charges.length || a.ctx.dryRun) return;
      // Charge each quota against its current stored state; a concurrent writer makes us re-check.
      for (const c of charges) {
        for (let attempt = 0; ; attempt++) {
          try {
            await qs.guaranteedUpdate(
              { ...a.ctx, dryRun: false },
              a.namespace,
              c.name,
              (cur) => {
                const [again] = check(a, [cur!], now);
                if (again) cur!.status = { ...cur!.status, used: formatList(addLists(parseList(cur!.status?.used), again.requested)) };
                return cur!;
              },
              { subresource: 'status' },
            );
            break;
          } catch (e) {
            if (isConflict(e) && attempt < 5) continue;
            if (e instanceof StatusError && e.code === 404) break; // the quota went away meanwhile
            throw e;
          }
        }
      }
    },
  };
}
