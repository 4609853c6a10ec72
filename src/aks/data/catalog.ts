// AKS's catalogue as data: VM sizes (vCPU, memory, list price), the supported Kubernetes versions
// (three GA minors N, N-2..N with patches; new clusters default to N-1's latest patch), tiers and
// their limits, and the error codes AKS answers with.

export interface VmSize {
  name: string;
  vcpu: number;
  memoryGiB: number;
  /** Pay-as-you-go Linux list price per hour, USD (see PRICES_AS_OF). */
  pricePerHour: number;
}

/** The date the list prices were read (East US, pay-as-you-go, Linux). Approximate. */
export const PRICES_AS_OF = '2025-06-01';

const SIZES: [string, number, number, number][] = [
  ['Standard_B2s', 2, 4, 0.0416],
  ['Standard_B2ms', 2, 8, 0.0832],
  ['Standard_B4ms', 4, 16, 0.166],
  ['Standard_DS2_v2', 2, 7, 0.146],
  ['Standard_DS3_v2', 4, 14, 0.293],
  ['Standard_D2s_v3', 2, 8, 0.096],
  ['Standard_D4s_v3', 4, 16, 0.192],
  ['Standard_D8s_v3', 8, 32, 0.384],
  ['Standard_D16s_v3', 16, 64, 0.768],
  ['Standard_D2s_v5', 2, 8, 0.096],
  ['Standard_D4s_v5', 4, 16, 0.192],
  ['Standard_D8s_v5', 8, 32, 0.384],
  ['Standard_D16s_v5', 16, 64, 0.768],
  ['Standard_D2ds_v5', 2, 8, 0.113],
  ['Standard_D4ds_v5', 4, 16, 0.226],
  ['Standard_D8ds_v5', 8, 32, 0.452],
  ['Standard_E4s_v5', 4, 32, 0.252],
  ['Standard_F4s_v2', 4, 8, 0.169],
  ['Standard_NC6s_v3', 6, 112, 3.06],
];

export const VM_SIZES: ReadonlyMap<string, VmSize> = new Map(
  SIZES.map(([name, vcpu, memoryGiB, pricePerHour]) => [name.toLowerCase(), { name, vcpu, memoryGiB, pricePerHour }]),
);

export const DEFAULT_VM_SIZE = 'Standard_DS2_v2';

export function vmSize(name: string): VmSize | undefined {
  return VM_SIZES.get(name.toLowerCase());
}

/** AKS's kube-reserved CPU by core count (regressive: 6 % of the first core, 1 % of the next...). */
export function reservedCPUMillis(cores: number): number {
  if (cores <= 1) return 60;
  if (cores <= 2) return 100;
  if (cores <= 4) return 140;
  if (cores <= 8) return 180;
  if (cores <= 16) return 260;
  if (cores <= 32) return 420;
  return 740;
}

/** AKS (1.29+) reserves 20 MiB per max pod + 50 MiB for the kubelet, plus the 100 Mi hard eviction threshold. */
export function reservedMemoryMiB(maxPods: number): number {
  return 20 * maxPods + 50 + 100;
}

/** Supported versions, newest minor first, each with its patches (newest last). */
export const SUPPORTED_VERSIONS: { minor: string; patches: string[] }[] = [
  { minor: '1.33', patches: ['1.33.1', '1.33.2'] },
  { minor: '1.32', patches: ['1.32.4', '1.32.5', '1.32.6'] },
  { minor: '1.31', patches: ['1.31.9', '1.31.10'] },
];

export function allVersions(): string[] {
  return SUPPORTED_VERSIONS.flatMap((m) => m.patches);
}

/** N-1's latest patch. */
export function defaultVersion(): string {
  const m = SUPPORTED_VERSIONS[1]!;
  return m.patches[m.patches.length - 1]!;
}

export function minorOf(v: string): string {
  const [a, b] = v.split('.');
  return `${a}.${b}`;
}

export function minorNumber(v: string): number {
  return Number(v.split('.')[1]);
}

/** A requested version ("1.32" or "1.32.5") → the full supported patch, or undefined. */
export function resolveVersion(v: string): string | undefined {
  const s = v.replace(/^v/, '');
  if (/^\d+\.\d+$/.test(s)) {
    const m = SUPPORTED_VERSIONS.find((x) => x.minor === s);
    return m ? m.patches[m.patches.length - 1] : undefined;
  }
  return allVersions().includes(s) ? s : undefined;
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** Versions a cluster at `from` may upgrade to: later patches of its minor and any patch of the next minor. */
export function upgradesFrom(from: string): string[] {
  const next = minorNumber(from) + 1;
  return allVersions()
    .filter((v) => compareVersions(v, from) > 0 && (minorOf(v) === minorOf(from) || minorNumber(v) === next))
    .sort(compareVersions);
}

export type Tier = 'Free' | 'Standard' | 'Premium';

export const TIERS: Record<Tier, { maxNodes: number; pricePerHour: number; sla: string; maxRequestsInflight: number; maxMutatingRequestsInflight: number }> = {
  Free: { maxNodes: 1000, pricePerHour: 0, sla: 'none', maxRequestsInflight: 400, maxMutatingRequestsInflight: 200 },
  Standard: { maxNodes: 5000, pricePerHour: 0.1, sla: '99.95% with availability zones, 99.9% without', maxRequestsInflight: 3000, maxMutatingRequestsInflight: 1000 },
  Premium: { maxNodes: 5000, pricePerHour: 0.6, sla: '99.95% with availability zones, 99.9% without; long-term support', maxRequestsInflight: 3000, maxMutatingRequestsInflight: 1000 },
};

export const LIMITS = { poolsPerCluster: 100, nodesPerPool: 1000, nodesPerCluster: 5000 } as const;

/** Max pods per node: allowed range and the default per network plugin. */
export const MAX_PODS = { min: 10, max: 250, defaults: { kubenet: 110, azure: 30, overlay: 250, none: 110 } } as const;

/** The error codes this service answers with (AKS's and ARM's names). */
export const ERROR_CODES = {
  invalidParameter: 'InvalidParameter',
  operationNotAllowed: 'OperationNotAllowed',
  versionNotSupported: 'K8sVersionNotSupported',
  notFound: 'ResourceNotFound',
  groupNotFound: 'ResourceGroupNotFound',
  missingApiVersion: 'MissingApiVersionParameter',
  noRegisteredProvider: 'NoRegisteredProviderFound',
  invalidApiVersion: 'InvalidApiVersionParameter',
  authenticationFailed: 'AuthenticationFailed',
  invalidToken: 'InvalidAuthenticationToken',
  throttled: 'TooManyRequests',
  conflict: 'OperationNotAllowed',
  inProgress: 'AnotherOperationInProgress',
  quota: 'QuotaExceeded',
  notRoutable: 'InvalidResourceType',
  badBody: 'InvalidRequestContent',
  unsupportedNetwork: 'NotSupported',
} as const;
