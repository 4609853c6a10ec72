// Test doubles for the AKS in-cluster parts: an in-process API server on a memory store, and a
// node group (a fake VM scale set) that registers and removes Node objects the way an AKS node
// pool's VMSS does when the cluster autoscaler changes its size.
import { KubeClient } from '../../client/client.ts';
import { InProcessTransport } from '../../client/inprocess.ts';
import { ApiServer } from '../../apiserver/server.ts';
import { MemoryBackend } from '../../storage/memory/memory.ts';
import type { Clock } from '../../machinery/clock.ts';
import type { Obj } from '../../client/types.ts';
import type { NodeGroup, NodeTemplate } from './types.ts';

export interface TestApi {
  api: ApiServer;
  client: KubeClient;
  stop(): Promise<void>;
}

export async function startTestApi(clock?: Clock): Promise<TestApi> {
  const api = new ApiServer({ storage: new MemoryBackend(), port: 0, ...(clock ? { clock } : {}) });
  await api.start();
  const client = new KubeClient(new InProcessTransport(api, { username: 'system:admin', groups: ['system:masters'] }));
  return {
    api,
    client,
    async stop() {
      client.close();
      await api.stop();
      await api.storage.close();
    },
  };
}

/** A Ready node object with the given capacity and labels. */
export function makeNode(name: string, t: NodeTemplate): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...t.labels } },
    spec: t.taints.length ? { taints: t.taints } : {},
    status: {
      capacity: t.capacity,
      allocatable: t.capacity,
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }],
    },
  };
}

/** A node pool whose nodes are plain Node objects named `aks-<pool>-12345678-vmss00000N`. */
export class FakeNodeGroup implements NodeGroup {
  readonly name: string;
  #client: KubeClient;
  #min: number;
  #max: number;
  #template: NodeTemplate;
  #nodes: string[] = [];
  #seq = 0;
  /** Every resize, for assertions. */
  readonly calls: string[] = [];

  constructor(client: KubeClient, name: string, opts: { min: number; max: number; template: NodeTemplate }) {
    this.#client = client;
    this.name = name;
    this.#min = opts.min;
    this.#max = opts.max;
    this.#template = opts.template;
  }

  minSize(): number {
    return this.#min;
  }
  maxSize(): number {
    return this.#max;
  }
  targetSize(): number {
    return this.#nodes.length;
  }
  nodeTemplate(): NodeTemplate {
    return this.#template;
  }
  nodeNames(): string[] {
    return this.#nodes.slice();
  }

  async increaseSize(delta: number): Promise<void> {
    this.calls.push(`+${delta}`);
    for (let i = 0; i < delta; i++) {
      const name = `aks-${this.name}-12345678-vmss${String(this.#seq++).padStart(6, '0')}`;
      await this.#client.nodes().create(makeNode(name, { ...this.#template, labels: { agentpool: this.name, ...this.#template.labels } }));
      this.#nodes.push(name);
    }
  }

  async deleteNodes(names: string[]): Promise<void> {
    this.calls.push(`-${names.join(',')}`);
    for (const n of names) {
      await this.#client.nodes().delete(n);
      this.#nodes = this.#nodes.filter((x) => x !== n);
    }
  }
}
