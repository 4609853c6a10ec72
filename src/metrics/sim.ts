// Usage of simulated nodes and their pods, for the metrics API: a simulated container uses what
// its pod's annotations say (`sim.skiff.io/cpu-usage`, `sim.skiff.io/memory-usage`, per container),
// else it idles at 1m CPU and 1Mi memory — so tests and demos can drive `kubectl top` and the HPA.
import { Quantity } from '../machinery/quantity.ts';
import type { Informer } from '../client/informer.ts';
import type { Obj } from '../client/types.ts';
import type { NodeUsage, PodUsage, StatsProvider } from './metrics.ts';

export const CPU_USAGE_ANNOTATION = 'sim.skiff.io/cpu-usage';
export const MEMORY_USAGE_ANNOTATION = 'sim.skiff.io/memory-usage';

function quantity(v: unknown, fallback: number, scale: 'nano' | 'bytes'): number {
  if (typeof v !== 'string') return fallback;
  try {
    const q = Quantity.parse(v);
    return scale === 'nano' ? q.milliValue() * 1e6 : q.value();
  } catch {
    return fallback;
  }
}

export function simStats(pods: Informer, nodes: Informer, isSimNode: (name: string) => boolean): StatsProvider {
  const podUsage = (p: Obj): PodUsage => {
    const a = p.metadata?.annotations ?? {};
    const cpu = quantity(a[CPU_USAGE_ANNOTATION], 1e6, 'nano');
    const mem = quantity(a[MEMORY_USAGE_ANNOTATION], 1024 * 1024, 'bytes');
    return {
      namespace: p.metadata.namespace,
      name: p.metadata.name,
      labels: p.metadata.labels ?? {},
      containers: (p.spec?.containers ?? []).map((c: Obj) => ({ name: c.name, cpuNanoCores: cpu, memoryBytes: mem })),
    };
  };
  const running = () => pods.list().filter((p) => p.status?.phase === 'Running' && p.spec?.nodeName && isSimNode(p.spec.nodeName));
  return {
    pods: () => running().map(podUsage),
    nodes: (): NodeUsage[] => {
      const byNode = new Map<string, { cpu: number; mem: number }>();
      for (const p of running()) {
        const u = podUsage(p);
        const t = byNode.get(p.spec.nodeName) ?? { cpu: 0, mem: 0 };
        for (const c of u.containers) {
          t.cpu += c.cpuNanoCores;
          t.mem += c.memoryBytes;
        }
        byNode.set(p.spec.nodeName, t);
      }
      return nodes
        .list()
        .filter((n) => isSimNode(n.metadata.name))
        .map((n) => ({ name: n.metadata.name, labels: n.metadata.labels ?? {}, cpuNanoCores: byNode.get(n.metadata.name)?.cpu ?? 0, memoryBytes: byNode.get(n.metadata.name)?.mem ?? 0 }));
    },
  };
}
