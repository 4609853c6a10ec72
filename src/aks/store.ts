// The management service's state, kept as ARM keeps it: resource groups, managed clusters with
// their agent pools and maintenance configurations, the nodes each pool's scale set holds, and
// long-running operations. One JSON file in <dataDir>/aks/, written atomically on every change,
// so the service comes back with the same clusters after a restart.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';

export interface ResourceGroup {
  name: string;
  location: string;
  tags: Record<string, string>;
  managedBy?: string;
  /** Infrastructure records of a managed resource group (VMSS, load balancer, VNet...). */
  resources: { name: string; type: string }[];
  provisioningState: 'Succeeded' | 'Deleting';
}

export interface NodeRecord {
  name: string;
  version: string;
  nodeImageVersion: string;
}

export interface PoolRecord {
  name: string;
  /** The ARM properties as the user set them, completed with defaults. */
  properties: Record<string, any>;
  /** The scale set's 8-digit id in node names (aks-<pool>-<id>-vmss...). */
  vmssId: string;
  nextInstance: number;
  nodes: NodeRecord[];
}

export interface ClusterRecord {
  name: string;
  resourceGroup: string;
  location: string;
  tags: Record<string, string>;
  sku: { name: 'Base'; tier: 'Free' | 'Standard' | 'Premium' };
  /** ARM properties except agentPoolProfiles (kept in pools). */
  properties: Record<string, any>;
  pools: PoolRecord[];
  maintenance: Record<string, Record<string, any>>;
  /** Loopback slot of the data plane (node/pod/service ranges). */
  slot: number;
  createdAt: string;
}

export interface OperationRecord {
  id: string;
  name: string;
  location: string;
  resourceId: string;
  status: 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';
  startTime: string;
  endTime?: string;
  error?: { code: string; message: string };
  /** A result a Location poll returns (runCommand's). */
  result?: unknown;
}

export interface State {
  subscriptionId: string;
  tenantId: string;
  groups: Record<string, ResourceGroup>;
  clusters: Record<string, ClusterRecord>;
  operations: Record<string, OperationRecord>;
}

export const clusterKey = (rg: string, name: string): string => `${rg.toLowerCase()}/${name.toLowerCase()}`;

export class Store {
  readonly file: string;
  readonly state: State;
  #pending = false;

  constructor(file: string) {
    this.file = file;
    if (existsSync(file)) {
      this.state = JSON.parse(readFileSync(file, 'utf8')) as State;
    } else {
      this.state = { subscriptionId: randomUUID(), tenantId: randomUUID(), groups: {}, clusters: {}, operations: {} };
      this.flush();
    }
  }

  /** Writes the state now (tmp file + rename: a crash leaves the old or the new file, never half). */
  flush(): void {
    this.#pending = false;
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state), { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  /** Coalesces the writes of one tick into one. */
  save(): void {
    if (this.#pending) return;
    this.#pending = true;
    queueMicrotask(() => {
      if (this.#pending) this.flush();
    });
  }

  group(name: string): ResourceGroup | undefined {
    return this.state.groups[name.toLowerCase()];
  }

  cluster(rg: string, name: string): ClusterRecord | undefined {
    return this.state.clusters[clusterKey(rg, name)];
  }

  /** Old finished operations are dropped (ARM keeps them for a while; an hour is enough here). */
  pruneOperations(now: number): void {
    for (const [id, op] of Object.entries(this.state.operations)) {
      if (op.endTime && now - Date.parse(op.endTime) > 3_600_000) delete this.state.operations[id];
    }
  }
}
