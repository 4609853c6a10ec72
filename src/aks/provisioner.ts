// AKS's provisioning of a managed cluster: its own control plane (a LocalCluster with its own
// storage, port and certificates under the cluster's directory) and the VMs of its node pools,
// named as VM scale set instances (`aks-<pool>-<8 digits>-vmss<6 base-36 digits>`) and labelled
// as AKS labels its nodes. Nodes run in the process runtime (default) or are simulated (`sim`).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { LocalCluster } from '../cluster/cluster.ts';
import { versionInfo } from '../apiserver/server.ts';
import { realClock, type Clock } from '../machinery/clock.ts';
import { isNotFound } from '../machinery/errors.ts';
import { cordonNode, drainNode } from './drain.ts';
import { reservedCPUMillis, reservedMemoryMiB, vmSize } from './data/catalog.ts';
import type { PoolRecord } from './store.ts';

export const NODE_IMAGE_VERSION = 'AKSUbuntu-2204gen2containerd-202506.02.0';

/** VMSS instance ids in computer names are six base-36 digits: vmss000000, ..., vmss00000a. */
export function nodeName(pool: string, vmssId: string, instance: number): string {
  return `aks-${pool}-${vmssId}-vmss${instance.toString(36).padStart(6, '0')}`;
}

/** The 8-digit scale-set id AKS puts in node names (stable per cluster and pool). */
export function vmssId(clusterId: string, pool: string): string {
  const h = createHash('sha256').update(`${clusterId.toLowerCase()}/${pool}`).digest();
  return String(h.readUInt32BE(0) % 100_000_000).padStart(8, '0');
}

export interface NodeSpec {
  name: string;
  cpu: string;
  memory: string;
  pods: number;
  labels: Record<string, string>;
  taints: { key: string; value?: string; effect: string }[];
  kubeletVersion: string;
  runtime: 'process' | 'sim';
  instanceType: string;
}

/** Parses `key=value:Effect` (az's --node-taints form). */
export function parseTaint(t: string): { key: string; value?: string; effect: string } {
  const [kv, effect] = t.split(':');
  const [key, value] = (kv ?? '').split('=');
  return { key: key ?? '', ...(value !== undefined ? { value } : {}), effect: effect ?? 'NoSchedule' };
}

/** The Node a pool's VM registers: AKS's labels, the VM size's capacity, the pool's taints. */
export function poolNodeSpec(pool: PoolRecord, name: string, ctx: { location: string; nodeResourceGroup: string; version: string; nodeImageVersion?: string }): NodeSpec {
  const p = pool.properties;
  const size = vmSize(p.vmSize)!;
  const mode = String(p.mode ?? 'User').toLowerCase();
  const zones: string[] = p.availabilityZones ?? [];
  const instance = parseInt(name.slice(-6), 36);
  const zone = zones.length ? `${ctx.location}-${zones[instance % zones.length]}` : '0';
  const labels: Record<string, string> = {
    agentpool: pool.name,
    'kubernetes.azure.com/agentpool': pool.name,
    'kubernetes.azure.com/mode': mode,
    'kubernetes.azure.com/role': 'agent',
    'kubernetes.io/role': 'agent',
    'node-role.kubernetes.io/agent': '',
    'kubernetes.azure.com/cluster': ctx.nodeResourceGroup,
    'kubernetes.azure.com/node-image-version': ctx.nodeImageVersion ?? NODE_IMAGE_VERSION,
    'kubernetes.azure.com/os-sku': p.osSKU ?? 'Ubuntu',
    'kubernetes.azure.com/storageprofile': 'managed',
    'kubernetes.azure.com/storagetier': 'Premium_LRS',
    'node.kubernetes.io/instance-type': size.name,
    'beta.kubernetes.io/instance-type': size.name,
    'topology.kubernetes.io/region': ctx.location,
    'topology.kubernetes.io/zone': zone,
    'failure-domain.beta.kubernetes.io/region': ctx.location,
    'failure-domain.beta.kubernetes.io/zone': zone,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    ...(p.nodeLabels ?? {}),
  };
  const taints = ((p.nodeTaints ?? []) as string[]).map(parseTaint);
  if (p.mode === 'System' && p.onlyCriticalAddonsEnabled) taints.push({ key: 'CriticalAddonsOnly', value: 'true', effect: 'NoSchedule' });
  const maxPods = Number(p.maxPods ?? 110);
  // Allocatable with AKS's reservations would be cpu - reservedCPU, memory - reservedMemory; the
  // runtimes report capacity as allocatable, so the reservation is taken off the capacity here.
  const cpuMillis = size.vcpu * 1000 - reservedCPUMillis(size.vcpu);
  const memMiB = Math.floor(size.memoryGiB * 1024 - reservedMemoryMiB(maxPods));
  return {
    name,
    cpu: `${cpuMillis}m`,
    memory: `${memMiB}Mi`,
    pods: maxPods,
    labels,
    taints,
    kubeletVersion: `v${ctx.version}`,
    runtime: p.nodeRuntime === 'sim' ? 'sim' : 'process',
    instanceType: size.name,
  };
}

export interface RuntimeOptions {
  dataDir: string;
  version: string;
  port?: number;
  serviceCIDR: string;
  network: { nodeAddressCIDR: string; podCIDR?: string; dnsServiceIP: string };
  /** The tier's API inflight limits. */
  inflight?: { read: number; mutating: number };
  authorizedIPRanges?: string[];
  /** A VNet cluster: its network namespace, the ranges local in it and the `kubernetes` endpoint address. */
  vnet?: { netns: string; localCidrs: string[]; apiAddress: string };
  clock?: Clock;
}

/** One managed cluster's running parts: its LocalCluster and the pool VMs in it. */
export class ClusterRuntime {
  readonly opts: RuntimeOptions;
  cluster: LocalCluster | undefined;
  #clock: Clock;

  constructor(opts: RuntimeOptions) {
    this.opts = opts;
    this.#clock = opts.clock ?? realClock;
  }

  get running(): boolean {
    return this.cluster !== undefined;
  }

  async start(): Promise<LocalCluster> {
    const o = this.opts;
    const c = new LocalCluster({
      dataDir: o.dataDir,
      host: '127.0.0.1',
      port: o.port ?? 0,
      version: `v${o.version}`,
      serviceCIDR: o.serviceCIDR,
      network: o.network,
      ...(o.vnet ? { vnet: o.vnet } : {}),
      dns: true,
      proxy: true,
      ...(o.inflight ? { maxRequestsInflight: o.inflight.read, maxMutatingRequestsInflight: o.inflight.mutating } : {}),
      ...(o.authorizedIPRanges ? { authorizedIPRanges: o.authorizedIPRanges } : {}),
      ...(o.clock ? { clock: o.clock } : {}),
    });
    await c.start();
    this.cluster = c;
    return c;
  }

  async stop(): Promise<void> {
    const c = this.cluster;
    this.cluster = undefined;
    await c?.stop();
  }

  get port(): number {
    return Number(new URL(this.cluster!.url).port);
  }

  /** The control plane reports `version` from now on (GET /version, kubectl version). */
  setVersion(version: string): void {
    if (this.cluster) Object.assign(this.cluster.api.version, versionInfo(`v${version}`));
    this.opts.version = version;
  }

  async addNode(spec: NodeSpec): Promise<void> {
    const c = this.#must();
    if (spec.runtime === 'sim') {
      if (c.sim.node(spec.name)) return;
      await c.sim.addNode({ name: spec.name, cpu: spec.cpu, memory: spec.memory, pods: spec.pods, labels: spec.labels, taints: spec.taints, instanceType: spec.instanceType, kubeletVersion: spec.kubeletVersion });
    } else {
      if (c.agents.has(spec.name)) return;
      await c.addNodeAgent({ name: spec.name, cpu: spec.cpu, memory: spec.memory, pods: spec.pods, labels: spec.labels, taints: spec.taints, kubeletVersion: spec.kubeletVersion });
    }
  }

  /** Cordons and drains the node (PDBs respected), then deletes the VM and its Node. */
  async removeNode(name: string, drain: { timeoutMs: number } | undefined): Promise<void> {
    const c = this.#must();
    if (drain) {
      try {
        await drainNode(c.client, name, { timeoutMs: drain.timeoutMs, clock: this.#clock });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    if (c.sim.node(name)) await c.sim.removeNode(name);
    else await c.removeNodeAgent(name);
    try {
      await c.client.nodes().delete(name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  async cordon(name: string): Promise<void> {
    await cordonNode(this.#must().client, name);
  }

  /** Waits until every named Node reports Ready=True. */
  async waitReady(names: string[], timeoutMs = 120_000): Promise<void> {
    const c = this.#must();
    const deadline = Date.now() + timeoutMs;
    const pending = new Set(names);
    while (pending.size) {
      const list = await c.client.nodes().list();
      for (const n of list.items) {
        const ready = (n.status?.conditions ?? []).some((x: { type: string; status: string }) => x.type === 'Ready' && x.status === 'True');
        if (ready) pending.delete(n.metadata?.name);
      }
      if (!pending.size) return;
      if (Date.now() > deadline) throw new Error(`nodes ${[...pending].join(', ')} did not become Ready within ${timeoutMs / 1000}s`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** A kubeconfig (YAML) for `kind`'s credentials, as AKS's listClusterAdmin/UserCredential returns. */
  async kubeconfig(kind: 'admin' | 'user', names: { cluster: string; resourceGroup: string }): Promise<string> {
    const c = this.#must();
    const creds = await c.credentials(kind);
    const user = `${kind === 'admin' ? 'clusterAdmin' : 'clusterUser'}_${names.resourceGroup}_${names.cluster}`;
    const context = kind === 'admin' ? `${names.cluster}-admin` : names.cluster;
    const lines = [
      'apiVersion: v1',
      'clusters:',
      '- cluster:',
      ...(creds.caData ? [`    certificate-authority-data: ${creds.caData}`] : []),
      `    server: ${creds.server}`,
      `  name: ${names.cluster}`,
      'contexts:',
      '- context:',
      `    cluster: ${names.cluster}`,
      `    user: ${user}`,
      `  name: ${context}`,
      `current-context: ${context}`,
      'kind: Config',
      'preferences: {}',
      'users:',
      `- name: ${user}`,
      '  user:',
      ...(creds.certData ? [`    client-certificate-data: ${creds.certData}`, `    client-key-data: ${creds.keyData}`] : ['    {}']),
      '',
    ];
    return lines.join('\n');
  }

  /** `az aks command invoke`: runs the command line with the admin kubeconfig, as AKS's command pod does. */
  async runCommand(command: string, names: { cluster: string; resourceGroup: string }, timeoutMs = 300_000): Promise<{ exitCode: number; logs: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-cmd-'));
    try {
      const file = join(dir, 'kubeconfig');
      writeFileSync(file, await this.kubeconfig('admin', names), { mode: 0o600 });
      return await new Promise((resolve) => {
        execFile('/bin/sh', ['-c', command], { env: { ...process.env, KUBECONFIG: file }, timeout: timeoutMs, maxBuffer: 16 << 20, cwd: dir }, (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          resolve({ exitCode: code, logs: `${stdout}${stderr}` });
        });
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  #must(): LocalCluster {
    if (!this.cluster) throw new Error('the cluster is not running');
    return this.cluster;
  }
}
