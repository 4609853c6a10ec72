// `skiff aks cost`: what a managed cluster would cost on AKS at list prices — the tier's
// cluster-hour fee plus each node billed as its VM, and that node cost split over namespaces by
// their pods' requests (a pod's share of a node is the larger of its CPU and memory share of the
// node's allocatable; what no pod requested is "idle"). The cluster is read with its admin credential.
import { request } from 'node:https';
import { tryParseQuantity } from '../../machinery/quantity.ts';
import { str } from './args.ts';
import { CliError } from './client.ts';
import type { AzCmd } from './cmd.ts';
import { RG } from './cmd.ts';
import { parseKubeconfig, type Kubeconfig } from './kubeconfig.ts';
import { CURRENCY, HOURS_PER_MONTH, PRICES_AS_OF, tierPrice, vmPrice } from './prices.ts';

interface Creds {
  server: string;
  ca?: string;
  cert?: string;
  key?: string;
  token?: string;
}

function credsFrom(kc: Kubeconfig): Creds {
  const ctxName = kc['current-context'];
  const ctx = kc.contexts?.find((c) => c.name === ctxName) ?? kc.contexts?.[0];
  const cluster = kc.clusters?.find((c) => c.name === ctx?.context?.cluster)?.cluster ?? kc.clusters?.[0]?.cluster;
  const user = kc.users?.find((u) => u.name === ctx?.context?.user)?.user ?? kc.users?.[0]?.user ?? {};
  if (!cluster?.server) throw new CliError('The admin credential names no API server.');
  const b64 = (s: unknown) => (typeof s === 'string' ? Buffer.from(s, 'base64').toString('utf8') : undefined);
  const out: Creds = { server: cluster.server };
  const ca = b64(cluster['certificate-authority-data']);
  if (ca) out.ca = ca;
  const cert = b64(user['client-certificate-data']);
  if (cert) out.cert = cert;
  const key = b64(user['client-key-data']);
  if (key) out.key = key;
  if (typeof user.token === 'string') out.token = user.token;
  return out;
}

function kubeGet(c: Creds, path: string): Promise<any> {
  const url = new URL(path, c.server);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        headers: { accept: 'application/json', ...(c.token ? { authorization: `Bearer ${c.token}` } : {}) },
        ...(c.ca ? { ca: c.ca } : {}),
        ...(c.cert ? { cert: c.cert } : {}),
        ...(c.key ? { key: c.key } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (b: Buffer) => chunks.push(b));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 0) >= 400) return reject(new CliError(`the cluster's API server answered ${res.statusCode} for ${path}: ${text.slice(0, 200)}`));
          try {
            resolve(JSON.parse(text));
          } catch (e) {
            reject(e);
          }
        });
      },
    );
    req.on('error', (e) => reject(new CliError(`cannot reach the cluster's API server at ${c.server}: ${e.message}`)));
    req.end();
  });
}

const num = (q: unknown): number => (typeof q === 'string' ? (tryParseQuantity(q)?.asApproximateFloat64() ?? 0) : 0);
const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

/** A pod's effective requests: the larger of its containers' sum and any one init container. */
export function podRequests(pod: any): { cpu: number; memory: number } {
  let cpu = 0;
  let memory = 0;
  for (const c of pod.spec?.containers ?? []) {
    cpu += num(c.resources?.requests?.cpu);
    memory += num(c.resources?.requests?.memory);
  }
  for (const c of pod.spec?.initContainers ?? []) {
    cpu = Math.max(cpu, num(c.resources?.requests?.cpu));
    memory = Math.max(memory, num(c.resources?.requests?.memory));
  }
  for (const [k, v] of Object.entries<string>(pod.spec?.overhead ?? {})) {
    if (k === 'cpu') cpu += num(v);
    if (k === 'memory') memory += num(v);
  }
  return { cpu, memory };
}

export interface NodeInfo {
  name: string;
  pool: string;
  vmSize: string;
  price: number;
  cpu: number;
  memory: number;
}

/** Splits node prices over namespaces by requests; returns hourly cost per namespace and idle. */
export function splitByNamespace(nodes: NodeInfo[], pods: any[]): { namespaces: Map<string, { cpu: number; memory: number; hourly: number }>; idle: number } {
  const byNode = new Map(nodes.map((n) => [n.name, n]));
  const used = new Map<string, number>();
  const namespaces = new Map<string, { cpu: number; memory: number; hourly: number }>();
  for (const pod of pods) {
    const node = byNode.get(pod.spec?.nodeName);
    const phase = pod.status?.phase;
    if (!node || phase === 'Succeeded' || phase === 'Failed') continue;
    const r = podRequests(pod);
    const share = Math.max(node.cpu > 0 ? r.cpu / node.cpu : 0, node.memory > 0 ? r.memory / node.memory : 0);
    const already = used.get(node.name) ?? 0;
    const take = Math.min(share, Math.max(0, 1 - already));
    used.set(node.name, already + take);
    const ns = pod.metadata?.namespace ?? 'default';
    const e = namespaces.get(ns) ?? { cpu: 0, memory: 0, hourly: 0 };
    e.cpu += r.cpu;
    e.memory += r.memory;
    e.hourly += take * node.price;
    namespaces.set(ns, e);
  }
  let idle = 0;
  for (const n of nodes) idle += (1 - (used.get(n.name) ?? 0)) * n.price;
  return { namespaces, idle };
}

export const costCommand: AzCmd = {
  path: 'aks cost',
  summary: 'Skiff: estimated cost of a managed cluster at AKS list prices, per node pool and per namespace.',
  opts: [RG, { names: ['--name', '-n'], kind: 'string', required: true, help: 'Name of the managed cluster.' }],
  table: (r: any) => [
    { item: `control plane (${r.tier})`, hourly: r.controlPlane.hourly.toFixed(4), monthly: r.controlPlane.monthly.toFixed(2) },
    ...r.nodePools.map((p: any) => ({ item: `pool ${p.name} (${p.count} x ${p.vmSize})`, hourly: p.hourly.toFixed(4), monthly: p.monthly.toFixed(2) })),
    ...r.namespaces.map((n: any) => ({ item: `namespace ${n.namespace}`, hourly: n.hourly.toFixed(4), monthly: n.monthly.toFixed(2) })),
    { item: 'idle (unrequested)', hourly: r.idle.hourly.toFixed(4), monthly: r.idle.monthly.toFixed(2) },
    { item: 'total', hourly: r.total.hourly.toFixed(4), monthly: r.total.monthly.toFixed(2) },
  ],
  async run(ctx) {
    const c = ctx.client();
    const rg = str(ctx.values, 'resource-group')!;
    const name = str(ctx.values, 'name')!;
    const path = c.clusterPath(rg, name);
    const mc = await c.get(path);
    const tier = String(mc.sku?.tier ?? 'Free');
    const cpHourly = tierPrice(tier);
    const poolSize = new Map<string, string>();
    for (const p of mc.properties?.agentPoolProfiles ?? []) poolSize.set(p.name, p.vmSize);
    const unknown = new Set<string>();
    const price = (size: string) => {
      const p = vmPrice(size);
      if (p === undefined) unknown.add(size);
      return p ?? 0;
    };
    const stopped = mc.properties?.powerState?.code === 'Stopped';
    let nodes: NodeInfo[] = [];
    let pods: any[] = [];
    if (!stopped) {
      const cred = await c.call('POST', `${path}/listClusterAdminCredential`);
      const value = cred.body?.kubeconfigs?.[0]?.value;
      if (typeof value !== 'string') throw new CliError('No Kubernetes credentials found.');
      const creds = credsFrom(parseKubeconfig(Buffer.from(value, 'base64').toString('utf8')));
      const [nl, pl] = await Promise.all([kubeGet(creds, '/api/v1/nodes'), kubeGet(creds, '/api/v1/pods')]);
      pods = pl.items ?? [];
      nodes = (nl.items ?? []).map((n: any) => {
        const labels = n.metadata?.labels ?? {};
        const pool = labels['kubernetes.azure.com/agentpool'] ?? labels.agentpool ?? '';
        const vmSize = labels['node.kubernetes.io/instance-type'] ?? labels['beta.kubernetes.io/instance-type'] ?? poolSize.get(pool) ?? '';
        return { name: n.metadata?.name, pool, vmSize, price: price(vmSize), cpu: num(n.status?.allocatable?.cpu), memory: num(n.status?.allocatable?.memory) };
      });
    }
    for (const s of unknown) ctx.warn(`no list price for VM size "${s}"; counted as 0`);
    const pools = (mc.properties?.agentPoolProfiles ?? []).map((p: any) => {
      const mine = nodes.filter((n) => n.pool === p.name);
      const count = stopped ? 0 : mine.length || p.count || 0;
      const each = price(p.vmSize);
      const hourly = mine.length ? mine.reduce((s, n) => s + n.price, 0) : count * each;
      return { name: p.name, vmSize: p.vmSize, count, pricePerNodeHour: each, hourly: round(hourly), monthly: round(hourly * HOURS_PER_MONTH, 2) };
    });
    const { namespaces, idle } = splitByNamespace(nodes, pods);
    const nodesHourly = pools.reduce((s: number, p: any) => s + p.hourly, 0);
    const total = cpHourly + nodesHourly;
    return {
      name,
      resourceGroup: rg,
      tier,
      currency: CURRENCY,
      pricesAsOf: PRICES_AS_OF,
      hoursPerMonth: HOURS_PER_MONTH,
      controlPlane: { hourly: cpHourly, monthly: round(cpHourly * HOURS_PER_MONTH, 2) },
      nodePools: pools,
      namespaces: [...namespaces.entries()]
        .sort((a, b) => b[1].hourly - a[1].hourly || a[0].localeCompare(b[0]))
        .map(([ns, e]) => ({ namespace: ns, cpuRequests: round(e.cpu, 3), memoryRequestsBytes: Math.round(e.memory), hourly: round(e.hourly), monthly: round(e.hourly * HOURS_PER_MONTH, 2) })),
      idle: { hourly: round(idle), monthly: round(idle * HOURS_PER_MONTH, 2) },
      total: { hourly: round(total), monthly: round(total * HOURS_PER_MONTH, 2) },
    };
  },
};
