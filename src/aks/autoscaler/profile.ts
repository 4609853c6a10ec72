// AKS's cluster autoscaler profile (managedCluster properties.autoScalerProfile, kebab-case keys
// in ARM, string values): AKS's defaults, parsing and validation of what a user sends, and the
// typed settings the autoscaler runs with (durations in milliseconds).

/** The ARM object, as AKS returns it (every value a string except the three booleans). */
export type ArmAutoscalerProfile = Record<string, string | boolean | undefined>;

export type Expander = 'random' | 'least-waste' | 'most-pods' | 'priority';
export const EXPANDERS: readonly Expander[] = ['random', 'least-waste', 'most-pods', 'priority'];

export interface AutoscalerProfile {
  balanceSimilarNodeGroups: boolean;
  daemonsetEvictionForEmptyNodes: boolean;
  daemonsetEvictionForOccupiedNodes: boolean;
  ignoreDaemonsetsUtilization: boolean;
  expander: Expander;
  maxEmptyBulkDelete: number;
  maxGracefulTerminationSec: number;
  maxNodeProvisionTimeMs: number;
  maxTotalUnreadyPercentage: number;
  newPodScaleUpDelayMs: number;
  okTotalUnreadyCount: number;
  scanIntervalMs: number;
  scaleDownDelayAfterAddMs: number;
  scaleDownDelayAfterDeleteMs: number;
  scaleDownDelayAfterFailureMs: number;
  scaleDownUnneededTimeMs: number;
  scaleDownUnreadyTimeMs: number;
  scaleDownUtilizationThreshold: number;
  skipNodesWithLocalStorage: boolean;
  skipNodesWithSystemPods: boolean;
}

/** The profile a new AKS cluster reports (`az aks show --query autoScalerProfile`). */
export const DEFAULT_ARM_AUTOSCALER_PROFILE: Readonly<Record<string, string | boolean>> = Object.freeze({
  'balance-similar-node-groups': 'false',
  'daemonset-eviction-for-empty-nodes': false,
  'daemonset-eviction-for-occupied-nodes': true,
  expander: 'random',
  'ignore-daemonsets-utilization': false,
  'max-empty-bulk-delete': '10',
  'max-graceful-termination-sec': '600',
  'max-node-provision-time': '15m',
  'max-total-unready-percentage': '45',
  'new-pod-scale-up-delay': '0s',
  'ok-total-unready-count': '3',
  'scale-down-delay-after-add': '10m',
  'scale-down-delay-after-delete': '10s',
  'scale-down-delay-after-failure': '3m',
  'scale-down-unneeded-time': '10m',
  'scale-down-unready-time': '20m',
  'scale-down-utilization-threshold': '0.5',
  'scan-interval': '10s',
  'skip-nodes-with-local-storage': 'false',
  'skip-nodes-with-system-pods': 'true',
});

/** A profile setting AKS would reject; `field` is the kebab-case key. */
export class AutoscalerProfileError extends Error {
  readonly code = 'InvalidParameter';
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'AutoscalerProfileError';
    this.field = field;
  }
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go-style duration ("10m", "1h30m", "45s"); a bare number counts as seconds (scan-interval "10"). */
export function parseDuration(field: string, v: string): number {
  const s = v.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== s.length) throw new AutoscalerProfileError(field, `Invalid value for ${field}: '${v}' is not a valid duration (for example '10m' or '30s').`);
  return total;
}

function parseBool(field: string, v: string | boolean): boolean {
  if (typeof v === 'boolean') return v;
  const s = v.trim().toLowerCase();
  if (s === 'true') return true;
  if (s === 'false') return false;
  throw new AutoscalerProfileError(field, `Invalid value for ${field}: '${v}'. Valid values are 'true' and 'false'.`);
}

function parseInt10(field: string, v: string | boolean, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const s = String(v).trim();
  if (!/^\d+$/.test(s)) throw new AutoscalerProfileError(field, `Invalid value for ${field}: '${v}' must be an integer.`);
  const n = Number(s);
  if (n < min || n > max) throw new AutoscalerProfileError(field, `Invalid value for ${field}: ${n} must be between ${min} and ${max}.`);
  return n;
}

function parseFraction(field: string, v: string | boolean): number {
  const n = Number(String(v).trim());
  if (String(v).trim() === '' || Number.isNaN(n) || n < 0 || n > 1) throw new AutoscalerProfileError(field, `Invalid value for ${field}: '${v}' must be a number between 0 and 1.`);
  return n;
}

/** Fills in AKS's defaults for missing keys and rejects unknown keys (returns the ARM view). */
export function normalizeArmProfile(arm: ArmAutoscalerProfile | null | undefined): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = { ...DEFAULT_ARM_AUTOSCALER_PROFILE };
  for (const [k, v] of Object.entries(arm ?? {})) {
    if (!(k in DEFAULT_ARM_AUTOSCALER_PROFILE)) throw new AutoscalerProfileError(k, `Unknown cluster autoscaler profile setting '${k}'.`);
    if (v !== undefined && v !== null && v !== '') out[k] = v;
  }
  parseAutoscalerProfile(out); // validate
  return out;
}

/** The typed profile from ARM's autoScalerProfile object (defaults for missing keys). */
export function parseAutoscalerProfile(arm: ArmAutoscalerProfile | null | undefined): AutoscalerProfile {
  const a: Record<string, string | boolean> = { ...DEFAULT_ARM_AUTOSCALER_PROFILE };
  for (const [k, v] of Object.entries(arm ?? {})) if (v !== undefined && v !== null && v !== '') a[k] = v;
  const str = (k: string) => String(a[k]);
  const expander = str('expander') as Expander;
  if (!EXPANDERS.includes(expander)) throw new AutoscalerProfileError('expander', `Invalid value for expander: '${expander}'. Valid values are ${EXPANDERS.map((e) => `'${e}'`).join(', ')}.`);
  const dur = (k: string) => parseDuration(k, str(k));
  return {
    balanceSimilarNodeGroups: parseBool('balance-similar-node-groups', a['balance-similar-node-groups']!),
    daemonsetEvictionForEmptyNodes: parseBool('daemonset-eviction-for-empty-nodes', a['daemonset-eviction-for-empty-nodes']!),
    daemonsetEvictionForOccupiedNodes: parseBool('daemonset-eviction-for-occupied-nodes', a['daemonset-eviction-for-occupied-nodes']!),
    ignoreDaemonsetsUtilization: parseBool('ignore-daemonsets-utilization', a['ignore-daemonsets-utilization']!),
    expander,
    maxEmptyBulkDelete: parseInt10('max-empty-bulk-delete', a['max-empty-bulk-delete']!, 1),
    maxGracefulTerminationSec: parseInt10('max-graceful-termination-sec', a['max-graceful-termination-sec']!, 0),
    maxNodeProvisionTimeMs: dur('max-node-provision-time'),
    maxTotalUnreadyPercentage: parseInt10('max-total-unready-percentage', a['max-total-unready-percentage']!, 0, 100),
    newPodScaleUpDelayMs: dur('new-pod-scale-up-delay'),
    okTotalUnreadyCount: parseInt10('ok-total-unready-count', a['ok-total-unready-count']!, 0),
    scanIntervalMs: dur('scan-interval'),
    scaleDownDelayAfterAddMs: dur('scale-down-delay-after-add'),
    scaleDownDelayAfterDeleteMs: dur('scale-down-delay-after-delete'),
    scaleDownDelayAfterFailureMs: dur('scale-down-delay-after-failure'),
    scaleDownUnneededTimeMs: dur('scale-down-unneeded-time'),
    scaleDownUnreadyTimeMs: dur('scale-down-unready-time'),
    scaleDownUtilizationThreshold: parseFraction('scale-down-utilization-threshold', a['scale-down-utilization-threshold']!),
    skipNodesWithLocalStorage: parseBool('skip-nodes-with-local-storage', a['skip-nodes-with-local-storage']!),
    skipNodesWithSystemPods: parseBool('skip-nodes-with-system-pods', a['skip-nodes-with-system-pods']!),
  };
}

export const defaultAutoscalerProfile: Readonly<AutoscalerProfile> = Object.freeze(parseAutoscalerProfile({}));
