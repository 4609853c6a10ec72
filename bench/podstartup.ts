// Pod startup latency (issue: nodes): 100 pods of the built-in pause image on one process-runtime
// node, each timed from its create request to the moment a watch sees it Running — the
// sig-scalability pod-startup SLI. The reference is that SLO (p99 ≤ 5 s). Target: p99 ≤ 300 ms.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster } from '../src/cluster/cluster.ts';
import { fmt, pct, type Row } from './harness.ts';

export async function podStartupBench(opts: { quick?: boolean } = {}): Promise<{ rows: Row[]; ok: boolean }> {
  const n = opts.quick ? 30 : 100;
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-startup-'));
  const cluster = new LocalCluster({ dataDir: dir, port: 0, nodes: 1 });
  await cluster.start();
  try {
    const pods = cluster.client.pods('default');
    const created = new Map<string, number>();
    const running = new Map<string, number>();
    const watch = await pods.watch({ resourceVersion: '0' });
    const seen = (async () => {
      for await (const ev of watch) {
        const name = ev.object.metadata?.name as string;
        if (ev.object.status?.phase === 'Running' && created.has(name) && !running.has(name)) running.set(name, performance.now());
        if (running.size === n) return;
      }
    })();
    const body = (i: number) => ({
      metadata: { name: `start-${i}` },
      spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10' }] },
    });
    // Pods arrive at 10 per second, as the SLI's load is steady rather than a burst.
    for (let i = 0; i < n; i++) {
      created.set(`start-${i}`, performance.now());
      await pods.create(body(i));
      await new Promise((r) => setTimeout(r, 100));
    }
    await Promise.race([seen, new Promise((r) => setTimeout(r, 60_000))]);
    watch.close();
    const lat = [...running].map(([name, t]) => t - created.get(name)!).sort((a, b) => a - b);
    if (lat.length < n) throw new Error(`bench: only ${lat.length} of ${n} pods reached Running`);
    const ok = pct(lat, 0.99) <= 300;
    return {
      ok,
      rows: [
        { what: 'reference: Kubernetes pod startup SLO (stateless pods, create → Running seen by a watch)', value: 'p99 ≤ 5 s', ratio: '1.0×' },
        {
          what: `pod startup on a process-runtime node (${cluster.runtime?.isolation ?? 'none'}), ${n} pause pods at 10/s`,
          value: `p50 ${fmt(pct(lat, 0.5))} ms, p99 ${fmt(pct(lat, 0.99))} ms`,
          ratio: `${fmt(5000 / pct(lat, 0.99), 1)}× under the SLO`,
          target: 'p99 ≤ 300 ms',
          ok,
        },
      ],
    };
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
