// Usage of real nodes, for the metrics API, as the kubelet's resource metrics (cAdvisor-style):
// every few seconds each running container's cgroup (or /proc) counters are read through the
// runtime; CPU is the rate between two samples, memory the working set.
import { totalmem } from 'node:os';
import type { NodeAgent } from '../kubelet/agent.ts';
import type { Clock, Timer } from '../machinery/clock.ts';
import type { ContainerUsage, NodeUsage, PodUsage, StatsProvider } from './metrics.ts';

interface Sample {
  cpuNs: number;
  at: number;
  nanoCores: number;
  memory: number;
}

export class AgentStats implements StatsProvider {
  #agents: () => NodeAgent[];
  #clock: Clock;
  #samples = new Map<string, Sample>();
  #timer: Timer | undefined;
  #intervalMs: number;
  #stopped = false;

  constructor(agents: () => NodeAgent[], clock: Clock, intervalMs = 5_000) {
    this.#agents = agents;
    this.#clock = clock;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    void this.#sample().finally(() => this.#schedule());
  }

  #schedule() {
    if (this.#stopped) return;
    this.#timer = this.#clock.after(this.#intervalMs, () => void this.#sample().finally(() => this.#schedule()));
  }

  /** Reads every running container's counters once; CPU rates come from the previous reading. */
  async #sample(): Promise<void> {
    const seen = new Set<string>();
    for (const agent of this.#agents()) {
      for (const w of agent.workers()) {
        const pod = agent.podOf(w);
        for (const c of pod?.spec?.containers ?? []) {
          const id = w.containerId(c.name);
          if (!id || !w.isRunning(c.name)) continue;
          const st = await agent.runtime.stats(id).catch(() => undefined);
          if (!st) continue;
          seen.add(id);
          const now = this.#clock.now();
          const prev = this.#samples.get(id);
          const nanoCores = prev && now > prev.at ? ((st.cpuUsageNanoSeconds - prev.cpuNs) / (now - prev.at)) * 1e3 : (prev?.nanoCores ?? 0);
          this.#samples.set(id, { cpuNs: st.cpuUsageNanoSeconds, at: now, nanoCores: Math.max(0, nanoCores), memory: st.memoryWorkingSetBytes });
        }
      }
    }
    for (const id of [...this.#samples.keys()]) if (!seen.has(id)) this.#samples.delete(id);
  }

  pods(): PodUsage[] {
    const out: PodUsage[] = [];
    for (const agent of this.#agents()) {
      for (const w of agent.workers()) {
        const pod = agent.podOf(w);
        if (!pod) continue;
        const containers: ContainerUsage[] = [];
        for (const c of pod.spec?.containers ?? []) {
          const s = this.#samples.get(w.containerId(c.name) ?? '');
          if (s) containers.push({ name: c.name, cpuNanoCores: s.nanoCores, memoryBytes: s.memory });
        }
        if (containers.length) out.push({ namespace: pod.metadata.namespace, name: pod.metadata.name, labels: pod.metadata.labels ?? {}, containers });
      }
    }
    return out;
  }

  nodes(): NodeUsage[] {
    const pods = this.pods();
    return this.#agents().map((a) => {
      let cpu = 0;
      let mem = 0;
      for (const w of a.workers()) {
        const p = pods.find((x) => x.namespace === w.namespace && x.name === w.name);
        for (const c of p?.containers ?? []) {
          cpu += c.cpuNanoCores;
          mem += c.memoryBytes;
        }
      }
      // The node also counts what runs outside its pods: take the host's used memory as upstream's node working set does.
      return { name: a.nodeName, cpuNanoCores: cpu, memoryBytes: Math.min(mem, totalmem()) };
    });
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
  }
}
