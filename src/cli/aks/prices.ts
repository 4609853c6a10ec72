// AKS list prices for `skiff aks cost`, taken from the service's catalogue (src/aks/data): the
// control plane per cluster-hour by tier and each VM size per node-hour (estimates, not a bill).
import { PRICES_AS_OF, TIERS, vmSize, type Tier } from '../../aks/data/catalog.ts';

export { PRICES_AS_OF };
export const CURRENCY = 'USD';
/** Hours Azure's pricing calculator counts in a month. */
export const HOURS_PER_MONTH = 730;

/** USD per cluster-hour of a tier (Free, Standard, Premium; any casing). */
export function tierPrice(tier: string): number {
  const t = (tier[0]?.toUpperCase() ?? '') + tier.slice(1).toLowerCase();
  return TIERS[t as Tier]?.pricePerHour ?? 0;
}

/** The hourly price of a VM size, or undefined when the catalogue does not know it. */
export function vmPrice(size: string | undefined): number | undefined {
  return size ? vmSize(size)?.pricePerHour : undefined;
}
