// The resource metrics API (metrics.k8s.io/v1beta1), as metrics-server serves it: NodeMetrics and
// PodMetrics built from the nodes' stats (kubelet stats for real nodes, stage-driven usage for
// simulated ones). `kubectl top` and the HPA read it. Served by the API server itself until API
// aggregation lets it move out, as upstream has it.
import { badRequest, notFound } from '../machinery/errors.ts';
import { parseSelector } from '../machinery/labels.ts';
import type { ResourceInfo } from '../api/resources.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

export interface ContainerUsage {
  name: string;
  /** CPU in nanocores averaged over the window. */
  cpuNanoCores: number;
  memoryBytes: number;
}

export interface PodUsage {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  containers: ContainerUsage[];
}

export interface NodeUsage {
  name: string;
  labels?: Record<string, string>;
  cpuNanoCores: number;
  memoryBytes: number;
}

/** Anything that knows what its nodes and pods use (a node agent, the simulated node pool). */
export interface StatsProvider {
  nodes(): NodeUsage[];
  pods(): PodUsage[];
}

export const metricsResources: ResourceInfo[] = [
  { group: 'metrics.k8s.io', version: 'v1beta1', resource: 'nodes', kind: 'NodeMetrics', listKind: 'NodeMetricsList', singular: '', namespaced: false, verbs: ['get', 'list'] },
  { group: 'metrics.k8s.io', version: 'v1beta1', resource: 'pods', kind: 'PodMetrics', listKind: 'PodMetricsList', singular: '', namespaced: true, verbs: ['get', 'list'] },
];

const WINDOW = '10s';

/** metrics-server's formats: CPU in nanocores ("123456n"), memory in Ki. */
export function cpuQuantity(nano: number): string {
  return `${Math.max(0, Math.round(nano))}n`;
}

export function memoryQuantity(bytes: number): string {
  return `${Math.max(0, Math.round(bytes / 1024))}Ki`;
}

function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export class MetricsAPI {
  #providers: () => StatsProvider[];
  #now: () => number;

  constructor(providers: () => StatsProvider[], now: () => number = Date.now) {
    this.#providers = providers;
    this.#now = now;
  }

  #nodeMetrics(n: NodeUsage): Obj {
    const ts = rfc3339(this.#now());
    return {
      metadata: { name: n.name, creationTimestamp: ts, labels: n.labels ?? {} },
      timestamp: ts,
      window: WINDOW,
      usage: { cpu: cpuQuantity(n.cpuNanoCores), memory: memoryQuantity(n.memoryBytes) },
    };
  }

  #podMetrics(p: PodUsage): Obj {
    const ts = rfc3339(this.#now());
    return {
      metadata: { name: p.name, namespace: p.namespace, creationTimestamp: ts, labels: p.labels ?? {} },
      timestamp: ts,
      window: WINDOW,
      containers: p.containers.map((c) => ({ name: c.name, usage: { cpu: cpuQuantity(c.cpuNanoCores), memory: memoryQuantity(c.memoryBytes) } })),
    };
  }

  /** Answers GET /apis/metrics.k8s.io/v1beta1/{nodes|namespaces/NS/pods}[/NAME]. */
  handle(resource: string, namespace: string, name: string, query: URLSearchParams): Obj {
    const labelSelector = query.get('labelSelector');
    let matches = (_l: Record<string, string> | undefined) => true;
    if (labelSelector) {
      try {
        const sel = parseSelector(labelSelector);
        matches = (l) => sel.matches(l ?? {});
      } catch (e) {
        throw badRequest(`unable to parse requirement: ${(e as Error).message}`);
      }
    }
    const providers = this.#providers();
    if (resource === 'nodes') {
      const nodes = providers.flatMap((p) => p.nodes());
      if (name) {
        const n = nodes.find((x) => x.name === name);
        if (!n) throw notFound({ group: 'metrics.k8s.io', resource: 'nodes' }, name);
        return { kind: 'NodeMetrics', apiVersion: 'metrics.k8s.io/v1beta1', ...this.#nodeMetrics(n) };
      }
      return {
        kind: 'NodeMetricsList',
        apiVersion: 'metrics.k8s.io/v1beta1',
        metadata: {},
        items: nodes.filter((n) => matches(n.labels)).sort((a, b) => (a.name < b.name ? -1 : 1)).map((n) => this.#nodeMetrics(n)),
      };
    }
    const pods = providers.flatMap((p) => p.pods()).filter((p) => !namespace || p.namespace === namespace);
    if (name) {
      const p = pods.find((x) => x.name === name);
      if (!p) throw notFound({ group: 'metrics.k8s.io', resource: 'pods' }, name);
      return { kind: 'PodMetrics', apiVersion: 'metrics.k8s.io/v1beta1', ...this.#podMetrics(p) };
    }
    return {
      kind: 'PodMetricsList',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: {},
      items: pods
        .filter((p) => matches(p.labels))
        .sort((a, b) => (a.namespace + '/' + a.name < b.namespace + '/' + b.name ? -1 : 1))
        .map((p) => this.#podMetrics(p)),
    };
  }
}
