// Node-agent usage: CPU is the rate between two readings of the container's counters, memory
// the working set; containers that stop running drop out.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../machinery/clock.ts';
import { AgentStats } from './agent.ts';
import type { NodeAgent } from '../kubelet/agent.ts';

function fakeAgent(counters: Map<string, number>) {
  const pod = { metadata: { namespace: 'default', name: 'busy', labels: { app: 'busy' } }, spec: { containers: [{ name: 'c' }] } };
  const worker = { namespace: 'default', name: 'busy', containerId: () => 'c1', isRunning: () => counters.has('c1') };
  return {
    nodeName: 'skiff-node-0',
    workers: () => [worker],
    podOf: () => pod,
    runtime: { stats: async (id: string) => (counters.has(id) ? { cpuUsageNanoSeconds: counters.get(id)!, memoryWorkingSetBytes: 64 * 1024 * 1024 } : undefined) },
  } as unknown as NodeAgent;
}

describe('AgentStats', () => {
  it('reports CPU as the rate between samples and memory as the working set', async () => {
    const clock = new FakeClock();
    const counters = new Map([['c1', 0]]);
    const stats = new AgentStats(() => [fakeAgent(counters)], clock, 5_000);
    stats.start();
    await new Promise((r) => setImmediate(r));
    counters.set('c1', 2.5e9); // 2.5 s of CPU in 5 s: half a core
    clock.advance(5_000);
    await new Promise((r) => setImmediate(r));
    const [pod] = stats.pods();
    assert.equal(pod!.name, 'busy');
    assert.equal(pod!.containers[0]!.cpuNanoCores, 5e8);
    assert.equal(pod!.containers[0]!.memoryBytes, 64 * 1024 * 1024);
    assert.equal(stats.nodes()[0]!.cpuNanoCores, 5e8);
    counters.delete('c1');
    clock.advance(5_000);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(stats.pods(), []);
    stats.stop();
  });
});
