// `skiff aks create|show|list|delete|update|scale|upgrade|get-upgrades|get-versions|
// get-credentials|start|stop|rotate-certs|command invoke|serve` — az aks' managed-cluster commands
// with az's flag names, defaults (3 nodes in "nodepool1", dns prefix <name>-<rg>-<sub[0:6]>),
// read-modify-PUT updates, prompts and table layouts.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { UsageError } from '../command.ts';
import { kubeconfigPath } from '../kubeconfig.ts';
import { bool, commaList, int, keyValues, list, str, type OptSpec, type Values } from './args.ts';
import type { ArmClient } from './client.ts';
import { CliError } from './client.ts';
import type { AzCmd, Ctx } from './cmd.ts';
import { NO_WAIT, RG, YES } from './cmd.ts';
import { aksNames, mergeFile, MergeConflict, parseKubeconfig, renameAddition } from './kubeconfig.ts';
import { toAz } from './shape.ts';
import YAML from 'yaml';

const NAME: OptSpec = { names: ['--name', '-n'], kind: 'string', required: true, help: 'Name of the managed cluster.' };
const TAGS: OptSpec = { names: ['--tags'], kind: 'list', help: 'Space-separated tags: key[=value] [key[=value] ...]. Use "" to clear existing tags.' };
const CA_PROFILE: OptSpec = { names: ['--cluster-autoscaler-profile'], kind: 'list', help: 'Space-separated list of key=value pairs for configuring cluster autoscaler (scan-interval=10s ...).' };
const AUTH_RANGES: OptSpec = { names: ['--api-server-authorized-ip-ranges'], kind: 'string', help: 'Comma-separated list of authorized apiserver IP ranges. Set to "" to allow all traffic.' };
const UPGRADE_CHANNEL: OptSpec = {
  names: ['--auto-upgrade-channel'],
  kind: 'string',
  choices: ['rapid', 'stable', 'patch', 'node-image', 'none'],
  help: 'Specify the upgrade channel for autoupgrade.',
};
const TIER: OptSpec = { names: ['--tier'], kind: 'string', choices: ['free', 'standard', 'premium'], help: 'Specify SKU tier for managed clusters.' };
const MIN: OptSpec = { names: ['--min-count'], kind: 'string', help: 'Minimum nodes count used for autoscaler, when "--enable-cluster-autoscaler" specified.' };
const MAX: OptSpec = { names: ['--max-count'], kind: 'string', help: 'Maximum nodes count used for autoscaler, when "--enable-cluster-autoscaler" specified.' };
export const NODE_RUNTIME: OptSpec = { names: ['--node-runtime'], kind: 'string', choices: ['process', 'sim'], help: 'Skiff: what the pool\'s nodes run — host processes or simulated pods.', dflt: 'process' };

/** The cluster table (az's aks show/list -o table). */
export function clusterRow(mc: any): Record<string, unknown> {
  return {
    name: mc.name ?? null,
    location: mc.location ?? null,
    resourceGroup: mc.resourceGroup ?? null,
    kubernetesVersion: mc.kubernetesVersion ?? null,
    currentKubernetesVersion: mc.currentKubernetesVersion ?? null,
    provisioningState: mc.provisioningState ?? null,
    fqdn: mc.fqdn || mc.privateFqdn || null,
  };
}

/** The version order az sorts by (`1.30.2` → [1,30,2]). */
export function versionKey(v: string): number[] {
  return v.replace(/\(preview\)$/, '').split('.').map((x) => Number(x));
}

export function compareVersions(a: string, b: string): number {
  const x = versionKey(a);
  const y = versionKey(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

export function upgradesRow(r: any): Record<string, unknown> {
  const cp = r.controlPlaneProfile ?? {};
  const preview = new Set<string>((cp.upgrades ?? []).filter((u: any) => u.isPreview).map((u: any) => u.kubernetesVersion));
  const ups: string[] = (cp.upgrades ?? []).map((u: any) => u.kubernetesVersion);
  const shown = ups.length ? ups.sort(compareVersions).map((v) => (preview.has(v) ? `${v}(preview)` : v)) : ['None available'];
  return { name: r.name ?? null, resourceGroup: r.resourceGroup ?? null, masterVersion: cp.kubernetesVersion ?? 'unknown', upgrades: shown.join(', ') };
}

export function versionsRows(r: any): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const rel of r.values ?? []) {
    for (const [v, p] of Object.entries<any>(rel.patchVersions ?? {})) {
      const ups: string[] = [...(p?.upgrades ?? [])];
      rows.push({
        kubernetesVersion: v,
        isPreview: rel.isPreview ?? false,
        upgrades: ups.length ? ups.sort(compareVersions).join(', ') : 'None available',
        supportPlan: (rel.capabilities?.supportPlan ?? []).join(', '),
      });
    }
  }
  return rows.sort((a, b) => compareVersions(String(b.kubernetesVersion), String(a.kubernetesVersion)));
}

/** az's default DNS prefix: name[0:10]-rg[0:16]-sub[0:6], letters, digits and dashes only. */
export function defaultDnsPrefix(name: string, rg: string, sub: string): string {
  let n = name.replace(/[^A-Za-z0-9-]/g, '').slice(0, 10);
  if (!/^[A-Za-z]/.test(n)) n = ('a' + n).slice(0, 10);
  return `${n}-${rg.replace(/[^A-Za-z0-9-]/g, '').slice(0, 16)}-${sub.slice(0, 6)}`;
}

/** `scan_interval=30s` or `scan-interval=30s` words → the ARM autoScalerProfile (kebab-case keys). */
export function autoscalerProfile(words: string[] | undefined): Record<string, string> | undefined {
  const kv = keyValues(words, '--cluster-autoscaler-profile');
  if (!kv) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(kv)) {
    if (v === '') throw new UsageError(`argument --cluster-autoscaler-profile: invalid value '${k}': expected KEY=VALUE`);
    out[k.replace(/_/g, '-')] = v;
  }
  return out;
}

function readSshKey(v: string): string {
  const path = v.startsWith('~/') ? homedir() + v.slice(1) : v;
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  if (!/^(ssh-|ecdsa-)/.test(v)) throw new UsageError(`Provided ssh key (${v}) is invalid or non-existent`);
  return v;
}

/** Checks --min-count/--max-count as az does and returns them. */
/** `--enable/--disable/--update-cluster-autoscaler` (one at most) with their min and max counts. */
export function autoscalerFlags(v: Values): { e: boolean; d: boolean; u: boolean; mm: { min?: number; max?: number } } {
  const e = bool(v, 'enable-cluster-autoscaler');
  const d = bool(v, 'disable-cluster-autoscaler');
  const u = bool(v, 'update-cluster-autoscaler');
  if (Number(e) + Number(d) + Number(u) > 1) {
    throw new UsageError('Cannot specify more than one of "--enable-cluster-autoscaler", "--disable-cluster-autoscaler" and "--update-cluster-autoscaler" at the same time.');
  }
  return { e, d, u, mm: minMax(v, e || u) };
}

export function minMax(v: Values, enabling: boolean, count?: number): { min?: number; max?: number } {
  const min = int(v, 'min-count', '--min-count');
  const max = int(v, 'max-count', '--max-count');
  if (enabling) {
    if (min === undefined || max === undefined) throw new UsageError('Please specify both min-count and max-count when cluster autoscaler is enabled');
    if (min > max) throw new UsageError('Value of min-count should be less than or equal to value of max-count');
    if (count !== undefined && (count < min || count > max)) throw new UsageError('node-count is not in the range of min-count and max-count');
  } else if (min !== undefined || max !== undefined) {
    throw new UsageError('min-count and max-count are required for --enable-cluster-autoscaler or --update-cluster-autoscaler, please use the flag');
  }
  return { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
}

/** Read-only fields a GET returns and a PUT must not send back. */
function forPut(mc: any): any {
  const { id: _i, name: _n, type: _t, systemData: _s, ...rest } = mc;
  const p = { ...(rest.properties ?? {}) };
  for (const k of ['provisioningState', 'powerState', 'fqdn', 'privateFQDN', 'azurePortalFQDN', 'currentKubernetesVersion', 'maxAgentPools', 'resourceUID']) delete p[k];
  if (Array.isArray(p.agentPoolProfiles)) {
    p.agentPoolProfiles = p.agentPoolProfiles.map((ap: any) => {
      const { provisioningState: _p, powerState: _w, currentOrchestratorVersion: _c, nodeImageVersion: _v, ...keep } = ap;
      return keep;
    });
  }
  return { ...rest, properties: p };
}

export async function getCluster(ctx: Ctx): Promise<{ c: ArmClient; path: string; mc: any }> {
  const c = ctx.client();
  const path = c.clusterPath(str(ctx.values, 'resource-group')!, str(ctx.values, 'name')!);
  return { c, path, mc: await c.get(path) };
}

async function putCluster(ctx: Ctx, c: ArmClient, path: string, mc: any): Promise<unknown> {
  const r = await ctx.progress(c.lro('PUT', path, forPut(mc), ctx.lro()));
  return r === undefined ? undefined : toAz(r);
}

/** The pool `aks update`/`aks scale` act on: the only one, or the named one. */
function onePool(mc: any, poolName: string | undefined, many: string): any {
  const pools: any[] = mc.properties?.agentPoolProfiles ?? [];
  if (poolName !== undefined) {
    const p = pools.find((x) => x.name === poolName);
    if (!p) throw new CliError(`The nodepool "${poolName}" was not found.`);
    return p;
  }
  if (pools.length > 1) throw new CliError(many);
  if (!pools[0]) throw new CliError('The cluster has no node pool.');
  return pools[0];
}

const createOpts: OptSpec[] = [
  RG,
  NAME,
  { names: ['--location', '-l'], kind: 'string', help: 'Location. Default: the resource group\'s.' },
  { names: ['--node-count', '-c'], kind: 'string', help: 'Number of nodes in the Kubernetes node pool.', dflt: '3' },
  { names: ['--node-vm-size', '-s'], kind: 'string', help: 'Size of Virtual Machines to create as Kubernetes nodes.', dflt: 'Standard_DS2_v2' },
  { names: ['--kubernetes-version', '-k'], kind: 'string', help: 'Version of Kubernetes to use for creating the cluster. Default: the service\'s default version.' },
  TIER,
  { names: ['--network-plugin'], kind: 'string', choices: ['kubenet', 'azure', 'none'], help: 'The Kubernetes network plugin to use.' },
  { names: ['--network-plugin-mode'], kind: 'string', choices: ['overlay'], help: 'The network plugin mode to use.' },
  { names: ['--pod-cidr'], kind: 'string', help: 'A CIDR notation IP range from which to assign pod IPs when kubenet is used.' },
  { names: ['--service-cidr'], kind: 'string', help: 'A CIDR notation IP range from which to assign service cluster IPs.' },
  { names: ['--dns-service-ip'], kind: 'string', help: 'An IP address assigned to the Kubernetes DNS service.' },
  { names: ['--max-pods', '-m'], kind: 'string', help: 'The maximum number of pods deployable to a node.' },
  { names: ['--enable-cluster-autoscaler'], kind: 'bool', help: 'Enable cluster autoscaler, default value is false.' },
  MIN,
  MAX,
  AUTH_RANGES,
  { names: ['--nodepool-name'], kind: 'string', help: 'Node pool name, up to 12 alphanumeric characters.', dflt: 'nodepool1' },
  { names: ['--nodepool-taints'], kind: 'string', help: 'The node taints for all node pool: key=value:NoSchedule,key2=value2:NoSchedule.' },
  { names: ['--nodepool-labels'], kind: 'list', help: 'Space-separated labels: key[=value] [key[=value] ...].' },
  { names: ['--generate-ssh-keys'], kind: 'bool', help: 'Accepted for compatibility (Skiff nodes take no SSH).' },
  { names: ['--ssh-key-value'], kind: 'string', help: 'Public key path or key contents to install on node VMs for SSH access.' },
  { names: ['--admin-username', '-u'], kind: 'string', help: 'User account to create on node VMs for SSH access.', dflt: 'azureuser' },
  { names: ['--dns-name-prefix', '-p'], kind: 'string', help: 'Prefix for hostnames that are created.' },
  { names: ['--node-osdisk-size'], kind: 'string', help: 'Size in GiB of the OS disk for each node in the node pool.' },
  TAGS,
  NODE_RUNTIME,
  CA_PROFILE,
  UPGRADE_CHANNEL,
  { names: ['--enable-managed-identity'], kind: 'bool', help: 'Accepted for compatibility (the default).' },
  { names: ['--load-balancer-sku'], kind: 'string', choices: ['basic', 'standard'], help: 'Azure Load Balancer SKU.' },
  NO_WAIT,
  YES,
];

export function createBody(v: Values, sub: string, location: string): any {
  const rg = str(v, 'resource-group')!;
  const name = str(v, 'name')!;
  const count = int(v, 'node-count', '--node-count/-c') ?? 3;
  const autoscale = bool(v, 'enable-cluster-autoscaler');
  const mm = minMax(v, autoscale, count);
  const maxPods = int(v, 'max-pods', '--max-pods/-m');
  const osDisk = int(v, 'node-osdisk-size', '--node-osdisk-size');
  const pool: Record<string, unknown> = {
    name: str(v, 'nodepool-name') ?? 'nodepool1',
    count,
    vmSize: str(v, 'node-vm-size') ?? 'Standard_DS2_v2',
    osType: 'Linux',
    mode: 'System',
    type: 'VirtualMachineScaleSets',
  };
  if (maxPods !== undefined) pool.maxPods = maxPods;
  if (osDisk !== undefined) pool.osDiskSizeGB = osDisk;
  if (autoscale) Object.assign(pool, { enableAutoScaling: true, minCount: mm.min, maxCount: mm.max });
  const taints = commaList(str(v, 'nodepool-taints'));
  if (taints) pool.nodeTaints = taints;
  const labels = keyValues(list(v, 'nodepool-labels'), '--nodepool-labels');
  if (labels) pool.nodeLabels = labels;
  const version = str(v, 'kubernetes-version');
  if (version) pool.orchestratorVersion = version;
  const runtime = str(v, 'node-runtime');
  if (runtime) pool.nodeRuntime = runtime;
  const props: Record<string, any> = {
    dnsPrefix: str(v, 'dns-name-prefix') ?? defaultDnsPrefix(name, rg, sub),
    agentPoolProfiles: [pool],
    enableRBAC: true,
  };
  if (version) props.kubernetesVersion = version;
  const ssh = str(v, 'ssh-key-value');
  if (ssh) props.linuxProfile = { adminUsername: str(v, 'admin-username') ?? 'azureuser', ssh: { publicKeys: [{ keyData: readSshKey(ssh) }] } };
  const net: Record<string, unknown> = {};
  const plugin = str(v, 'network-plugin');
  if (plugin) net.networkPlugin = plugin;
  const mode = str(v, 'network-plugin-mode');
  if (mode) net.networkPluginMode = mode;
  for (const [flag, field] of [['pod-cidr', 'podCidr'], ['service-cidr', 'serviceCidr'], ['dns-service-ip', 'dnsServiceIP']] as const) {
    const x = str(v, flag);
    if (x) net[field] = x;
  }
  const lb = str(v, 'load-balancer-sku');
  if (lb) net.loadBalancerSku = lb;
  if (Object.keys(net).length) props.networkProfile = net;
  const ranges = commaList(str(v, 'api-server-authorized-ip-ranges'));
  if (ranges?.length) props.apiServerAccessProfile = { authorizedIPRanges: ranges };
  const profile = autoscalerProfile(list(v, 'cluster-autoscaler-profile'));
  if (profile) props.autoScalerProfile = profile;
  const channel = str(v, 'auto-upgrade-channel');
  if (channel) props.autoUpgradeProfile = { upgradeChannel: channel };
  const tier = str(v, 'tier') ?? 'free';
  const body: Record<string, unknown> = {
    location,
    sku: { name: 'Base', tier: tier[0]!.toUpperCase() + tier.slice(1) },
    identity: { type: 'SystemAssigned' },
    properties: props,
  };
  const tags = keyValues(list(v, 'tags'), '--tags');
  if (tags) body.tags = tags;
  return body;
}

const CLUSTER_TABLE = (r: any) => [clusterRow(r)];

export const aksCommands: AzCmd[] = [
  {
    path: 'aks create',
    summary: 'Create a new managed Kubernetes cluster.',
    opts: createOpts,
    examples: ['skiff aks create -g MyResourceGroup -n MyManagedCluster --node-count 2 --node-runtime sim'],
    table: CLUSTER_TABLE,
    async run(ctx) {
      const c = ctx.client();
      const rg = str(ctx.values, 'resource-group')!;
      let location = str(ctx.values, 'location');
      if (!location) location = (await c.get(c.groupPath(rg), '2022-09-01')).location as string;
      if (bool(ctx.values, 'generate-ssh-keys') && !str(ctx.values, 'ssh-key-value')) {
        // az would write ~/.ssh/id_rsa(.pub); Skiff's nodes take no SSH, so nothing is made.
      }
      const body = createBody(ctx.values, c.subscriptionId, location);
      const r = await ctx.progress(c.lro('PUT', c.clusterPath(rg, str(ctx.values, 'name')!), body, ctx.lro()));
      return r === undefined ? undefined : toAz(r);
    },
  },
  {
    path: 'aks show',
    summary: 'Show the details for a managed Kubernetes cluster.',
    opts: [RG, NAME],
    table: CLUSTER_TABLE,
    async run(ctx) {
      return toAz((await getCluster(ctx)).mc);
    },
  },
  {
    path: 'aks list',
    summary: 'List managed Kubernetes clusters.',
    opts: [{ ...RG, required: false }],
    table: (rows: any[]) => rows.map(clusterRow),
    async run(ctx) {
      const c = ctx.client();
      return toAz(await c.list(c.clusterPath(str(ctx.values, 'resource-group'))));
    },
  },
  {
    path: 'aks delete',
    summary: 'Delete a managed Kubernetes cluster.',
    opts: [RG, NAME, NO_WAIT, YES],
    async run(ctx) {
      await ctx.confirm('Are you sure you want to perform this operation?');
      const c = ctx.client();
      await ctx.progress(c.lro('DELETE', c.clusterPath(str(ctx.values, 'resource-group')!, str(ctx.values, 'name')!), undefined, ctx.lro()));
      return undefined;
    },
  },
  {
    path: 'aks update',
    summary: 'Update a managed Kubernetes cluster.',
    opts: [
      RG,
      NAME,
      TIER,
      { names: ['--enable-cluster-autoscaler', '-e'], kind: 'bool', help: 'Enable cluster autoscaler.' },
      { names: ['--disable-cluster-autoscaler', '-d'], kind: 'bool', help: 'Disable cluster autoscaler.' },
      { names: ['--update-cluster-autoscaler', '-u'], kind: 'bool', help: 'Update min-count or max-count for cluster autoscaler.' },
      MIN,
      MAX,
      CA_PROFILE,
      AUTH_RANGES,
      UPGRADE_CHANNEL,
      TAGS,
      NO_WAIT,
      YES,
    ],
    table: CLUSTER_TABLE,
    async run(ctx) {
      const v = ctx.values;
      const { e, d, u, mm } = autoscalerFlags(v);
      const changes = ['tier', 'cluster-autoscaler-profile', 'api-server-authorized-ip-ranges', 'auto-upgrade-channel', 'tags'].some((k) => v[k] !== undefined);
      if (!e && !d && !u && !changes) {
        throw new UsageError(
          'Please specify one or more of "--enable-cluster-autoscaler" or "--disable-cluster-autoscaler" or "--update-cluster-autoscaler" or "--cluster-autoscaler-profile" or "--api-server-authorized-ip-ranges" or "--tier" or "--auto-upgrade-channel" or "--tags"',
        );
      }
      const { c, path, mc } = await getCluster(ctx);
      const p = (mc.properties ??= {});
      if (e || d || u) {
        const pool = onePool(mc, undefined, 'There are more than one node pool in the cluster. Please use "skiff aks nodepool" command to update per node pool auto scaler settings');
        if (e && pool.enableAutoScaling) {
          ctx.warn('Cluster autoscaler is already enabled for this node pool.\nPlease run "skiff aks --update-cluster-autoscaler" if you want to update min-count or max-count.');
          return undefined;
        }
        if (u && !pool.enableAutoScaling) throw new CliError('Cluster autoscaler is not enabled for this node pool.\nRun "skiff aks nodepool update --enable-cluster-autoscaler" to enable cluster with min-count and max-count.');
        if (d && !pool.enableAutoScaling) {
          ctx.warn('Cluster autoscaler is already disabled for this node pool.');
          return undefined;
        }
        if (d) Object.assign(pool, { enableAutoScaling: false, minCount: null, maxCount: null });
        else {
          Object.assign(pool, { enableAutoScaling: true, minCount: mm.min, maxCount: mm.max });
          if (pool.count < mm.min! || pool.count > mm.max!) pool.count = Math.min(Math.max(pool.count, mm.min!), mm.max!);
        }
      }
      const tier = str(v, 'tier');
      if (tier) mc.sku = { name: 'Base', tier: tier[0]!.toUpperCase() + tier.slice(1) };
      const profile = autoscalerProfile(list(v, 'cluster-autoscaler-profile'));
      if (profile) p.autoScalerProfile = { ...(p.autoScalerProfile ?? {}), ...profile };
      const ranges = commaList(str(v, 'api-server-authorized-ip-ranges'));
      if (ranges) p.apiServerAccessProfile = { ...(p.apiServerAccessProfile ?? {}), authorizedIPRanges: ranges };
      const channel = str(v, 'auto-upgrade-channel');
      if (channel) p.autoUpgradeProfile = { ...(p.autoUpgradeProfile ?? {}), upgradeChannel: channel };
      const tags = keyValues(list(v, 'tags'), '--tags');
      if (tags) mc.tags = tags;
      return putCluster(ctx, c, path, mc);
    },
  },
  {
    path: 'aks scale',
    summary: 'Scale the node pool in a managed Kubernetes cluster.',
    opts: [RG, NAME, { names: ['--node-count', '-c'], kind: 'string', required: true, help: 'Number of nodes in the Kubernetes node pool.' }, { names: ['--nodepool-name'], kind: 'string', help: 'Node pool name, up to 12 alphanumeric characters.' }, NO_WAIT],
    table: CLUSTER_TABLE,
    async run(ctx) {
      const count = int(ctx.values, 'node-count', '--node-count/-c')!;
      const { c, path, mc } = await getCluster(ctx);
      const pool = onePool(mc, str(ctx.values, 'nodepool-name'), 'There are more than one node pool in the cluster. Please specify nodepool name or use skiff aks nodepool command to scale node pool');
      if (pool.enableAutoScaling) throw new CliError('Cannot scale cluster autoscaler enabled node pool.');
      pool.count = count;
      return putCluster(ctx, c, path, mc);
    },
  },
  {
    path: 'aks upgrade',
    summary: 'Upgrade a managed Kubernetes cluster to a newer version.',
    opts: [
      RG,
      NAME,
      { names: ['--kubernetes-version', '-k'], kind: 'string', help: 'Version of Kubernetes to upgrade the cluster to.' },
      { names: ['--control-plane-only'], kind: 'bool', help: 'Upgrade the cluster control plane only.' },
      { names: ['--node-image-only'], kind: 'bool', help: 'Only upgrade node image for agent pools.' },
      NO_WAIT,
      YES,
    ],
    table: CLUSTER_TABLE,
    async run(ctx) {
      const v = ctx.values;
      const version = str(v, 'kubernetes-version');
      const cpOnly = bool(v, 'control-plane-only');
      if (bool(v, 'node-image-only')) {
        if (cpOnly) throw new UsageError('Conflicting flags. Upgrading the control plane is not supported with --node-image-only.');
        if (version) throw new UsageError('Conflicting flags. Upgrading the Kubernetes version will also upgrade node image version. If you only want to upgrade node version please use the "--node-image-only" option only.');
        await ctx.confirm('This node image upgrade operation will run across every node pool in the cluster and might take a while. Do you wish to continue?');
        const { c, path, mc } = await getCluster(ctx);
        for (const pool of mc.properties?.agentPoolProfiles ?? []) {
          await ctx.progress(c.lro('POST', `${path}/agentPools/${encodeURIComponent(pool.name)}/upgradeNodeImageVersion`, undefined, ctx.lro()));
        }
        return bool(v, 'no-wait') ? undefined : toAz(await c.get(path));
      }
      if (!version) throw new UsageError('the following arguments are required: --kubernetes-version/-k (or use --node-image-only)');
      const { c, path, mc } = await getCluster(ctx);
      const p = (mc.properties ??= {});
      const current = p.currentKubernetesVersion ?? p.kubernetesVersion;
      if (current === version && cpOnly) ctx.warn(`The cluster is already on version ${version}`);
      const msg = cpOnly
        ? `Since control-plane-only argument is specified, this will upgrade only the control plane to ${version}. Node pool will not change. Continue?`
        : `Since control-plane-only argument is not specified, this will upgrade the control plane AND all nodepools to version ${version}. Continue?`;
      await ctx.confirm('Kubernetes may be unavailable during cluster upgrades.\n Are you sure you want to perform this operation?');
      await ctx.confirm(msg);
      p.kubernetesVersion = version;
      if (!cpOnly) for (const pool of p.agentPoolProfiles ?? []) pool.orchestratorVersion = version;
      return putCluster(ctx, c, path, mc);
    },
  },
  {
    path: 'aks get-upgrades',
    summary: 'Get the upgrade versions available for a managed Kubernetes cluster.',
    opts: [RG, NAME],
    table: (r: any) => [upgradesRow(r)],
    async run(ctx) {
      const c = ctx.client();
      return toAz(await c.get(`${c.clusterPath(str(ctx.values, 'resource-group')!, str(ctx.values, 'name')!)}/upgradeProfiles/default`));
    },
  },
  {
    path: 'aks get-versions',
    summary: 'Get the versions available for creating a managed Kubernetes cluster.',
    opts: [{ names: ['--location', '-l'], kind: 'string', required: true, help: 'Location.' }],
    table: versionsRows,
    async run(ctx) {
      const c = ctx.client();
      return toAz(await c.get(`/subscriptions/${c.subscriptionId}/providers/Microsoft.ContainerService/locations/${encodeURIComponent(str(ctx.values, 'location')!)}/kubernetesVersions`));
    },
  },
  {
    path: 'aks get-credentials',
    summary: 'Get access credentials for a managed Kubernetes cluster.',
    opts: [
      RG,
      NAME,
      { names: ['--admin', '-a'], kind: 'bool', help: 'Get cluster administrator credentials.' },
      { names: ['--file', '-f'], kind: 'string', help: 'Kubernetes configuration file to update. Use "-" to print YAML to stdout instead.', dflt: '$KUBECONFIG, else ~/.kube/config' },
      { names: ['--overwrite-existing'], kind: 'bool', help: 'Overwrite any existing cluster entry with the same name.' },
      { names: ['--context'], kind: 'string', help: 'If specified, overwrite the default context name.' },
      { names: ['--format'], kind: 'string', choices: ['azure', 'exec'], help: 'Accepted for compatibility (client certificates either way).' },
      { names: ['--public-fqdn'], kind: 'bool', help: 'Accepted for compatibility.' },
    ],
    async run(ctx) {
      const admin = bool(ctx.values, 'admin');
      const rg = str(ctx.values, 'resource-group')!;
      const name = str(ctx.values, 'name')!;
      const c = ctx.client();
      const r = await c.call('POST', `${c.clusterPath(rg, name)}/${admin ? 'listClusterAdminCredential' : 'listClusterUserCredential'}`);
      const value = r.body?.kubeconfigs?.[0]?.value;
      if (typeof value !== 'string') throw new CliError('No Kubernetes credentials found.');
      const kc = aksNames(parseKubeconfig(Buffer.from(value, 'base64').toString('utf8')), rg, name, admin);
      const current = renameAddition(kc, str(ctx.values, 'context'));
      const file = str(ctx.values, 'file') ?? kubeconfigPath(undefined, ctx.io.env);
      if (file === '-') {
        ctx.io.out(YAML.stringify(kc));
        return undefined;
      }
      try {
        mergeFile(file, kc, bool(ctx.values, 'overwrite-existing'));
      } catch (e) {
        if (e instanceof MergeConflict) throw new CliError(e.message);
        throw e;
      }
      ctx.io.out(`Merged "${current}" as current context in ${file}\n`);
      return undefined;
    },
  },
  {
    path: 'aks start',
    summary: 'Starts a previously stopped Managed Cluster.',
    opts: [RG, NAME, NO_WAIT],
    async run(ctx) {
      const c = ctx.client();
      await ctx.progress(c.lro('POST', `${c.clusterPath(str(ctx.values, 'resource-group')!, str(ctx.values, 'name')!)}/start`, undefined, ctx.lro()));
      return undefined;
    },
  },
  {
    path: 'aks stop',
    summary: 'Stop a managed cluster.',
    opts: [RG, NAME, NO_WAIT],
    async run(ctx) {
      const c = ctx.client();
      await ctx.progress(c.lro('POST', `${c.clusterPath(str(ctx.values, 'resource-group')!, str(ctx.values, 'name')!)}/stop`, undefined, ctx.lro()));
      return undefined;
    },
  },
  {
    path: 'aks rotate-certs',
    summary: 'Rotate certificates and keys on a managed Kubernetes cluster.',
    opts: [RG, NAME, NO_WAIT, YES],
    async run(ctx) {
      await ctx.confirm('Kubernetes will be unavailable during certificate rotation process.\nAre you sure you want to perform this operation?');
      const c = ctx.client();
      await ctx.progress(c.lro('POST', `${c.clusterPath(str(ctx.values, 'resource-group')!, str(ctx.values, 'name')!)}/rotateClusterCertificates`, undefined, ctx.lro()));
      return undefined;
    },
  },
  {
    path: 'aks command invoke',
    summary: 'Run a shell command (with kubectl, helm) on your AKS cluster.',
    opts: [
      RG,
      NAME,
      { names: ['--command', '-c'], kind: 'string', required: true, help: 'The command to run.' },
      { names: ['--file', '-f'], kind: 'list', help: 'Accepted for compatibility; files are not attached.' },
    ],
    async run(ctx) {
      const c = ctx.client();
      const path = c.clusterPath(str(ctx.values, 'resource-group')!, str(ctx.values, 'name')!);
      const raw = await ctx.progress(c.lro('POST', `${path}/runCommand`, { command: str(ctx.values, 'command'), context: '', clusterToken: '' }, {}));
      const r = toAz(raw ?? {});
      // az prints the result itself unless an output format was asked for.
      if (ctx.outputGiven) return r;
      if (r.provisioningState === 'Succeeded') {
        ctx.io.out(`command started at ${r.startedAt}, finished at ${r.finishedAt} with exitcode=${r.exitCode}\n${r.logs ?? ''}\n`);
      } else if (r.provisioningState === 'Failed') {
        ctx.io.out(`command failed with reason: ${r.reason}\n`);
      } else {
        ctx.io.out(`command is in ${r.provisioningState} state\n`);
      }
      return undefined;
    },
  },
  {
    path: 'aks serve',
    summary: 'Skiff: run the AKS-style management service in the foreground.',
    opts: [
      { names: ['--port'], kind: 'string', help: 'HTTPS port on 127.0.0.1 (0 picks a free one).', dflt: '0' },
      { names: ['--host'], kind: 'string', help: 'Address to listen on.', dflt: '127.0.0.1' },
    ],
    async run(ctx) {
      const port = int(ctx.values, 'port', '--port') ?? 0;
      const host = str(ctx.values, 'host');
      const mod = await import(serviceModule);
      const s = new mod.ManagementService({ dataDir: ctx.dataDir, port, ...(host ? { host } : {}) });
      const url: string = await s.start();
      ctx.io.out(`skiff: AKS management service listening on ${url ?? ''} (data dir ${ctx.dataDir}); stop with Ctrl-C\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await s.stop();
      ctx.io.out('skiff: management service stopped\n');
      return undefined;
    },
  },
];

/** Loaded on demand (the service is heavy; other commands start faster without it). */
const serviceModule = new URL('../../aks/service.ts', import.meta.url).href;
