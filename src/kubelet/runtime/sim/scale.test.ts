// Simulated nodes at scale (smoke, not timed): 500 nodes register Ready and 2,000 pods bound across
// them go Running with distinct IPs from their nodes' CIDRs, then all of them are deleted.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../../storage/memory/memory.ts';
import { ApiServer } from '../../../apiserver/server.ts';
import { KubeClient } from '../../../client/client.ts';
import { InProcessTransport } from '../../../client/inprocess.ts';
import { InformerFactory } from '../../../client/informer.ts';
import type { Obj } from '../../../client/types.ts';
import { SimNodePool } from './pool.ts';
import { parseCidr, ipToInt } from './ipam.ts';

async function until(cond: () => boolean, what: string, ms = 120_000) {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function inParallel(count: number, limit: number, fn: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < count) await fn(next++);
  }));
}

it('runs 500 simulated nodes and 2,000 pods', { timeout: 180_000 }, async () => {
  const api = new ApiServer({ storage: new MemoryBackend(), port: 0 });
  await api.start();
  const client = new KubeClient(new InProcessTransport(api, { username: 'system:admin', groups: ['system:masters'] }));
  const informers = new InformerFactory(client);
  const pool = new SimNodePool(client, informers);
  try {
    await pool.start();
    await inParallel(500, 32, (i) => pool.addNode({ name: `n-${i}`, cpu: 16, memory: '64Gi' }));
    const nodes = informers.informer('', 'nodes');
    const pods = informers.informer('', 'pods').start();
    const ready = (n: Obj) => n.status?.conditions?.some((c: Obj) => c.type === 'Ready' && c.status === 'True');
    await until(() => nodes.list().filter(ready).length === 500, '500 nodes Ready');
    const cidrs = new Set(nodes.list().map((n) => n.spec.podCIDR));
    assert.equal(cidrs.size, 500, 'every node has its own pod CIDR');
    assert.equal([...cidrs].filter((c) => c.startsWith('127.244.')).length, 256, 'the default pod CIDR first, then the overflow range');

    await inParallel(2000, 32, (i) =>
      client.pods('default').create({ metadata: { name: `p-${i}` }, spec: { nodeName: `n-${i % 500}`, containers: [{ name: 'c', image: 'pause' }] } }),
    );
    const running = () => pods.list().filter((p) => p.status?.phase === 'Running');
    await until(() => running().length === 2000, '2,000 pods Running');
    const ips = new Set<string>();
    for (const p of running()) {
      ips.add(p.status.podIP);
      const c = parseCidr(nodes.get(p.spec.nodeName)!.spec.podCIDR);
      const ip = ipToInt(p.status.podIP);
      assert.ok(ip > c.base && ip < c.base + c.size - 1, `${p.status.podIP} in ${p.spec.nodeName}'s CIDR`);
    }
    assert.equal(ips.size, 2000, 'pod IPs are distinct');
    assert.equal(pool.nodes().reduce((s, n) => s + n.pods, 0), 2000);

    await inParallel(2000, 32, (i) => client.pods('default').delete(`p-${i}`));
    await until(() => pods.size === 0, 'every pod deleted');
    assert.equal(pool.podIPs('n-0')!.used, 0, 'IPs released');
  } finally {
    pool.stop();
    informers.stop();
    await api.stop();
    await api.storage.close();
  }
});
