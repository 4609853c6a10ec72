// `skiff aks nodepool add|list|show|scale|update|upgrade|delete|get-upgrades` and
// `skiff aks maintenanceconfiguration add|list|show|update|delete` — az aks' agent pool and
// maintenance window commands on the ARM child resources of a managed cluster.
import { readFileSync } from 'node:fs';
import { UsageError } from '../command.ts';
import { bool, commaList, int, keyValues, list, str, type OptSpec, type Values } from './args.ts';
import type { ArmClient } from './client.ts';
import { CliError } from './client.ts';
import type { AzCmd, Ctx } from './cmd.ts';
import { NO_WAIT, RG, YES } from './cmd.ts';
import { autoscalerFlags, minMax, NODE_RUNTIME } from './aks.ts';
import { toAz } from './shape.ts';

const CLUSTER: OptSpec = { names: ['--cluster-name'], kind: 'string', required: true, help: 'The cluster name.' };
const POOL: OptSpec = { names: ['--name', '--nodepool-name', '-n'], dest: 'name', kind: 'string', required: true, help: 'The node pool name.' };
const MIN: OptSpec = { names: ['--min-count'], kind: 'string', help: 'Minimum nodes count used for autoscaler.' };
const MAX: OptSpec = { names: ['--max-count'], kind: 'string', help: 'Maximum nodes count used for autoscaler.' };
const TAINTS: OptSpec = { names: ['--node-taints'], kind: 'string', help: 'The node taints for the node pool: key=value:NoSchedule,key2=value2:NoSchedule. "" clears them.' };
const LABELS: OptSpec = { names: ['--labels'], kind: 'list', help: 'The node labels for the node pool: key[=value] [key[=value] ...].' };
const TAGS: OptSpec = { names: ['--tags'], kind: 'list', help: 'Space-separated tags: key[=value] [key[=value] ...].' };
const MODE: OptSpec = { names: ['--mode'], kind: 'string', choices: ['system', 'user'], help: 'The mode for a node pool which defines a node pool\'s primary function.' };
const MAX_SURGE: OptSpec = { names: ['--max-surge'], kind: 'string', help: 'Extra nodes used to speed upgrade (e.g. 1 or 33%).' };

/** az's node pool table (aks nodepool list/show -o table). */
export function poolRow(p: any): Record<string, unknown> {
  return {
    name: p.name ?? null,
    osType: p.osType ?? null,
    kubernetesVersion: p.orchestratorVersion ?? null,
    vmSize: p.vmSize ?? null,
    osDiskSizeGB: p.osDiskSizeGB ?? null,
    count: p.count ?? null,
    maxPods: p.maxPods ?? null,
    provisioningState: p.provisioningState ?? null,
    mode: p.mode ?? null,
  };
}

function poolsPath(ctx: Ctx, c: ArmClient, pool?: string): string {
  const base = `${c.clusterPath(str(ctx.values, 'resource-group')!, str(ctx.values, 'cluster-name')!)}/agentPools`;
  return pool === undefined ? base : `${base}/${encodeURIComponent(pool)}`;
}

const modeName = (m: string) => (m === 'system' ? 'System' : 'User');

function forPut(pool: any): any {
  const { id: _i, name: _n, type: _t, ...rest } = pool;
  const p = { ...(rest.properties ?? {}) };
  for (const k of ['provisioningState', 'powerState', 'currentOrchestratorVersion', 'nodeImageVersion']) delete p[k];
  return { properties: p };
}

async function putPool(ctx: Ctx, c: ArmClient, path: string, body: any): Promise<unknown> {
  const r = await ctx.progress(c.lro('PUT', path, body, ctx.lro()));
  return r === undefined ? undefined : toAz(r);
}

export function addPoolBody(v: Values): any {
  const count = int(v, 'node-count', '--node-count/-c') ?? 3;
  const autoscale = bool(v, 'enable-cluster-autoscaler');
  const mm = minMax(v, autoscale, count);
  const p: Record<string, unknown> = {
    count,
    vmSize: str(v, 'node-vm-size') ?? 'Standard_DS2_v2',
    osType: str(v, 'os-type') ?? 'Linux',
    mode: modeName(str(v, 'mode') ?? 'user'),
    type: 'VirtualMachineScaleSets',
  };
  const maxPods = int(v, 'max-pods', '--max-pods/-m');
  if (maxPods !== undefined) p.maxPods = maxPods;
  const disk = int(v, 'node-osdisk-size', '--node-osdisk-size');
  if (disk !== undefined) p.osDiskSizeGB = disk;
  if (autoscale) Object.assign(p, { enableAutoScaling: true, minCount: mm.min, maxCount: mm.max });
  const taints = commaList(str(v, 'node-taints'));
  if (taints) p.nodeTaints = taints;
  const labels = keyValues(list(v, 'labels'), '--labels');
  if (labels) p.nodeLabels = labels;
  const version = str(v, 'kubernetes-version');
  if (version) p.orchestratorVersion = version;
  const runtime = str(v, 'node-runtime');
  if (runtime) p.nodeRuntime = runtime;
  const surge = str(v, 'max-surge');
  if (surge) p.upgradeSettings = { maxSurge: surge };
  const tags = keyValues(list(v, 'tags'), '--tags');
  if (tags) p.tags = tags;
  return { properties: p };
}

const POOL_TABLE = (r: any) => [poolRow(r)];

export const nodepoolCommands: AzCmd[] = [
  {
    path: 'aks nodepool add',
    summary: 'Add a node pool to the managed Kubernetes cluster.',
    opts: [
      RG,
      CLUSTER,
      POOL,
      { names: ['--node-count', '-c'], kind: 'string', help: 'Number of nodes in the Kubernetes node pool.', dflt: '3' },
      { names: ['--node-vm-size', '-s'], kind: 'string', help: 'Size of Virtual Machines to create as Kubernetes nodes.', dflt: 'Standard_DS2_v2' },
      { names: ['--kubernetes-version', '-k'], kind: 'string', help: 'Version of Kubernetes to use for the node pool.' },
      { names: ['--max-pods', '-m'], kind: 'string', help: 'The maximum number of pods deployable to a node.' },
      { names: ['--node-osdisk-size'], kind: 'string', help: 'Size in GiB of the OS disk for each node.' },
      { names: ['--os-type'], kind: 'string', help: 'The OS Type (only Linux on Skiff).', dflt: 'Linux' },
      { ...MODE, dflt: 'User' },
      { names: ['--enable-cluster-autoscaler', '-e'], kind: 'bool', help: 'Enable cluster autoscaler.' },
      MIN,
      MAX,
      TAINTS,
      LABELS,
      TAGS,
      MAX_SURGE,
      NODE_RUNTIME,
      NO_WAIT,
    ],
    table: POOL_TABLE,
    async run(ctx) {
      const body = addPoolBody(ctx.values);
      const c = ctx.client();
      return putPool(ctx, c, poolsPath(ctx, c, str(ctx.values, 'name')!), body);
    },
  },
  {
    path: 'aks nodepool list',
    summary: 'List node pools in the managed Kubernetes cluster.',
    opts: [RG, CLUSTER],
    table: (rows: any[]) => rows.map(poolRow),
    async run(ctx) {
      const c = ctx.client();
      return toAz(await c.list(poolsPath(ctx, c)));
    },
  },
  {
    path: 'aks nodepool show',
    summary: 'Show the details for a node pool in the managed Kubernetes cluster.',
    opts: [RG, CLUSTER, POOL],
    table: POOL_TABLE,
    async run(ctx) {
      const c = ctx.client();
      return toAz(await c.get(poolsPath(ctx, c, str(ctx.values, 'name')!)));
    },
  },
  {
    path: 'aks nodepool scale',
    summary: 'Scale the node pool in a managed Kubernetes cluster.',
    opts: [RG, CLUSTER, POOL, { names: ['--node-count', '-c'], kind: 'string', help: 'Number of nodes in the Kubernetes node pool.', dflt: '3' }, NO_WAIT],
    table: POOL_TABLE,
    async run(ctx) {
      const count = int(ctx.values, 'node-count', '--node-count/-c') ?? 3;
      const c = ctx.client();
      const path = poolsPath(ctx, c, str(ctx.values, 'name')!);
      const pool = await c.get(path);
      if (pool.properties?.enableAutoScaling) throw new CliError('Cannot scale cluster autoscaler enabled node pool.');
      if (pool.properties?.count === count) throw new CliError('The new node count is the same as the current node count.');
      pool.properties.count = count;
      return putPool(ctx, c, path, forPut(pool));
    },
  },
  {
    path: 'aks nodepool update',
    summary: 'Update a node pool properties.',
    opts: [
      RG,
      CLUSTER,
      POOL,
      { names: ['--enable-cluster-autoscaler', '-e'], kind: 'bool', help: 'Enable cluster autoscaler.' },
      { names: ['--disable-cluster-autoscaler', '-d'], kind: 'bool', help: 'Disable cluster autoscaler.' },
      { names: ['--update-cluster-autoscaler', '-u'], kind: 'bool', help: 'Update min-count or max-count for cluster autoscaler.' },
      MIN,
      MAX,
      MODE,
      TAINTS,
      LABELS,
      TAGS,
      MAX_SURGE,
      NO_WAIT,
    ],
    table: POOL_TABLE,
    async run(ctx) {
      const v = ctx.values;
      const { e, d, u, mm } = autoscalerFlags(v);
      if (!e && !d && !u && ['mode', 'node-taints', 'labels', 'tags', 'max-surge'].every((k) => v[k] === undefined)) {
        throw new UsageError(
          'Please specify one or more of "--enable-cluster-autoscaler" or "--disable-cluster-autoscaler" or "--update-cluster-autoscaler" or "--mode" or "--node-taints" or "--labels" or "--tags" or "--max-surge"',
        );
      }
      const c = ctx.client();
      const path = poolsPath(ctx, c, str(v, 'name')!);
      const pool = await c.get(path);
      const p = (pool.properties ??= {});
      if (e && p.enableAutoScaling) {
        ctx.warn('Autoscaler is already enabled for this node pool.\nPlease run "skiff aks nodepool update --update-cluster-autoscaler" if you want to update min-count or max-count.');
        return undefined;
      }
      if (u && !p.enableAutoScaling) throw new CliError('Autoscaler is not enabled for this node pool.\nRun "skiff aks nodepool update --enable-cluster-autoscaler" to enable cluster with min-count and max-count.');
      if (d && !p.enableAutoScaling) {
        ctx.warn('Autoscaler is already disabled for this node pool.');
        return undefined;
      }
      if (d) Object.assign(p, { enableAutoScaling: false, minCount: null, maxCount: null });
      if (e || u) {
        Object.assign(p, { enableAutoScaling: true, minCount: mm.min, maxCount: mm.max });
        if (p.count < mm.min! || p.count > mm.max!) p.count = Math.min(Math.max(p.count, mm.min!), mm.max!);
      }
      const mode = str(v, 'mode');
      if (mode) p.mode = modeName(mode);
      const taints = commaList(str(v, 'node-taints'));
      if (taints) p.nodeTaints = taints;
      const labels = keyValues(list(v, 'labels'), '--labels');
      if (labels) p.nodeLabels = labels;
      const tags = keyValues(list(v, 'tags'), '--tags');
      if (tags) p.tags = tags;
      const surge = str(v, 'max-surge');
      if (surge) p.upgradeSettings = { ...(p.upgradeSettings ?? {}), maxSurge: surge };
      return putPool(ctx, c, path, forPut(pool));
    },
  },
  {
    path: 'aks nodepool upgrade',
    summary: 'Upgrade the node pool in a managed Kubernetes cluster.',
    opts: [
      RG,
      CLUSTER,
      POOL,
      { names: ['--kubernetes-version', '-k'], kind: 'string', help: 'Version of Kubernetes to upgrade the node pool to. Default: the control plane\'s.' },
      { names: ['--node-image-only'], kind: 'bool', help: 'Only upgrade agent pool\'s node image.' },
      MAX_SURGE,
      NO_WAIT,
      YES,
    ],
    table: POOL_TABLE,
    async run(ctx) {
      const v = ctx.values;
      const c = ctx.client();
      const path = poolsPath(ctx, c, str(v, 'name')!);
      let version = str(v, 'kubernetes-version');
      if (bool(v, 'node-image-only')) {
        if (version) throw new UsageError('Conflicting flags. Upgrading the Kubernetes version will also upgrade node image version. If you only want to upgrade node version please use the "--node-image-only" option only.');
        const r = await ctx.progress(c.lro('POST', `${path}/upgradeNodeImageVersion`, undefined, ctx.lro()));
        return r === undefined ? (bool(v, 'no-wait') ? undefined : toAz(await c.get(path))) : toAz(r);
      }
      if (!version) {
        const mc = await c.get(c.clusterPath(str(v, 'resource-group')!, str(v, 'cluster-name')!));
        version = mc.properties?.currentKubernetesVersion ?? mc.properties?.kubernetesVersion;
      }
      const pool = await c.get(path);
      pool.properties.orchestratorVersion = version;
      const surge = str(v, 'max-surge');
      if (surge) pool.properties.upgradeSettings = { ...(pool.properties.upgradeSettings ?? {}), maxSurge: surge };
      return putPool(ctx, c, path, forPut(pool));
    },
  },
  {
    path: 'aks nodepool delete',
    summary: 'Delete the agent pool in the managed Kubernetes cluster.',
    opts: [RG, CLUSTER, POOL, { names: ['--ignore-pod-disruption-budget'], kind: 'bool', help: 'Delete the pool\'s nodes without honoring PodDisruptionBudgets.' }, NO_WAIT],
    async run(ctx) {
      const c = ctx.client();
      let path = poolsPath(ctx, c, str(ctx.values, 'name')!);
      if (bool(ctx.values, 'ignore-pod-disruption-budget')) path += '?ignore-pod-disruption-budget=true';
      await ctx.progress(c.lro('DELETE', path, undefined, ctx.lro()));
      return undefined;
    },
  },
  {
    path: 'aks nodepool get-upgrades',
    summary: 'Get the available upgrade versions for an agent pool of the managed Kubernetes cluster.',
    opts: [RG, CLUSTER, { ...POOL, names: ['--nodepool-name', '--name', '-n'] }],
    async run(ctx) {
      const c = ctx.client();
      return toAz(await c.get(`${poolsPath(ctx, c, str(ctx.values, 'name')!)}/upgradeProfiles/default`));
    },
  },
];

// --- maintenance configurations ---------------------------------------------------------------

const MC_NAME: OptSpec = { names: ['--name', '-n'], kind: 'string', required: true, help: 'The config name: default, aksManagedAutoUpgradeSchedule or aksManagedNodeOSUpgradeSchedule.' };
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const maintOpts: OptSpec[] = [
  RG,
  CLUSTER,
  MC_NAME,
  { names: ['--config-file'], kind: 'string', help: 'The maintenance configuration json file.' },
  { names: ['--weekday'], kind: 'string', help: 'Weekday on which maintenance can happen (default configuration). e.g. Monday' },
  { names: ['--start-hour'], kind: 'string', help: 'Start time of the 1 hour window which maintenance can happen (default configuration), 0-23.' },
  { names: ['--schedule-type'], kind: 'string', choices: ['daily', 'weekly', 'absolutemonthly', 'relativemonthly'], help: 'Schedule type for aksManaged* configurations.' },
  { names: ['--interval-days'], kind: 'string', help: 'Days between each recurrence (Daily).' },
  { names: ['--interval-weeks'], kind: 'string', help: 'Weeks between each recurrence (Weekly).' },
  { names: ['--interval-months'], kind: 'string', help: 'Months between each recurrence (monthly schedules).' },
  { names: ['--day-of-week'], kind: 'string', help: 'Day of week (Weekly, RelativeMonthly).' },
  { names: ['--day-of-month'], kind: 'string', help: 'Day of month (AbsoluteMonthly).' },
  { names: ['--week-index'], kind: 'string', choices: ['first', 'second', 'third', 'fourth', 'last'], help: 'Week of the month (RelativeMonthly).' },
  { names: ['--duration'], kind: 'string', help: 'Length of the window in hours, at least 4.' },
  { names: ['--utc-offset'], kind: 'string', help: 'Offset from UTC, e.g. +05:30.' },
  { names: ['--start-date'], kind: 'string', help: 'Date the window takes effect, yyyy-mm-dd.' },
  { names: ['--start-time'], kind: 'string', help: 'Start time of the window, HH:mm.' },
];

function weekday(v: string, opt: string): string {
  const d = WEEKDAYS.find((w) => w.toLowerCase() === v.toLowerCase());
  if (!d) throw new UsageError(`argument ${opt}: invalid choice: '${v}' (choose from ${WEEKDAYS.map((w) => `'${w}'`).join(', ')})`);
  return d;
}

export function maintenanceBody(v: Values): any {
  const file = str(v, 'config-file');
  if (file) {
    const json = JSON.parse(readFileSync(file, 'utf8'));
    return json.properties ? json : { properties: json };
  }
  const type = str(v, 'schedule-type');
  if (type) {
    const n = (k: string) => int(v, k, `--${k}`);
    const schedule: Record<string, unknown> = {};
    if (type === 'daily') schedule.daily = { intervalDays: n('interval-days') ?? 1 };
    else if (type === 'weekly') schedule.weekly = { intervalWeeks: n('interval-weeks') ?? 1, dayOfWeek: weekday(str(v, 'day-of-week') ?? '', '--day-of-week') };
    else if (type === 'absolutemonthly') schedule.absoluteMonthly = { intervalMonths: n('interval-months') ?? 1, dayOfMonth: n('day-of-month') ?? 1 };
    else {
      const wi = str(v, 'week-index') ?? 'first';
      schedule.relativeMonthly = { intervalMonths: n('interval-months') ?? 1, weekIndex: wi[0]!.toUpperCase() + wi.slice(1), dayOfWeek: weekday(str(v, 'day-of-week') ?? '', '--day-of-week') };
    }
    const w: Record<string, unknown> = { schedule, durationHours: n('duration') ?? 24, startTime: str(v, 'start-time') ?? '00:00' };
    const off = str(v, 'utc-offset');
    if (off) w.utcOffset = off;
    const sd = str(v, 'start-date');
    if (sd) w.startDate = sd;
    return { properties: { maintenanceWindow: w } };
  }
  const day = str(v, 'weekday');
  const hour = int(v, 'start-hour', '--start-hour');
  if (!day) throw new UsageError('Please specify --weekday and --start-hour for the default configuration, or --schedule-type, or --config-file.');
  if (hour !== undefined && (hour < 0 || hour > 23)) throw new UsageError('--start-hour must be between 0 and 23');
  return { properties: { timeInWeek: [{ day: weekday(day, '--weekday'), hourSlots: [hour ?? 0] }], notAllowedTime: [] } };
}

function maintPath(ctx: Ctx, c: ArmClient, name?: string): string {
  const base = `${c.clusterPath(str(ctx.values, 'resource-group')!, str(ctx.values, 'cluster-name')!)}/maintenanceConfigurations`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

async function putMaint(ctx: Ctx): Promise<unknown> {
  const body = maintenanceBody(ctx.values);
  const c = ctx.client();
  return toAz((await c.call('PUT', maintPath(ctx, c, str(ctx.values, 'name')!), body)).body);
}

export const maintenanceCommands: AzCmd[] = [
  { path: 'aks maintenanceconfiguration add', summary: 'Add a maintenance configuration in managed Kubernetes cluster.', opts: maintOpts, run: putMaint },
  { path: 'aks maintenanceconfiguration update', summary: 'Update a maintenance configuration of a managed Kubernetes cluster.', opts: maintOpts, run: putMaint },
  {
    path: 'aks maintenanceconfiguration list',
    summary: 'List maintenance configurations in managed Kubernetes cluster.',
    opts: [RG, CLUSTER],
    async run(ctx) {
      const c = ctx.client();
      return toAz(await c.list(maintPath(ctx, c)));
    },
  },
  {
    path: 'aks maintenanceconfiguration show',
    summary: 'Show the details of a maintenance configuration in managed Kubernetes cluster.',
    opts: [RG, CLUSTER, MC_NAME],
    async run(ctx) {
      const c = ctx.client();
      return toAz(await c.get(maintPath(ctx, c, str(ctx.values, 'name')!)));
    },
  },
  {
    path: 'aks maintenanceconfiguration delete',
    summary: 'Delete a maintenance configuration in managed Kubernetes cluster.',
    opts: [RG, CLUSTER, MC_NAME, YES],
    async run(ctx) {
      const c = ctx.client();
      await c.call('DELETE', maintPath(ctx, c, str(ctx.values, 'name')!));
      return undefined;
    },
  },
];
