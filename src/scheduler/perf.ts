// A quick throughput check (not a test), in the spirit of scheduler_perf's SchedulingBasic and
// TopologySpreading: N simulated nodes, M pending pods, then time the scheduler binding them all.
// Usage: node --import tsx src/scheduler/perf.ts [nodes=1000] [pods=2000] [basic|spread]
import { MemoryBackend } from '../storage/memory/memory.ts';
import { ApiServer } from '../apiserver/server.ts';
import { KubeClient } from '../client/client.ts';
import { InProcessTransport } from '../client/inprocess.ts';
import { InformerFactory } from '../client/informer.ts';
import type { EventRecorder } from '../client/events.ts';
import { Scheduler } from './scheduler.ts';

const nodes = Number(process.argv[2] ?? 1000);
const pods = Number(process.argv[3] ?? 2000);
const mode = process.argv[4] ?? 'basic';
const noEvents = process.argv.includes('--no-events');

const api = new ApiServer({ storage: new MemoryBackend(), port: 0 });
await api.start();
const client = new KubeClient(new InProcessTransport(api, { username: 'system:admin', groups: ['system:masters'] }));

async function parallel(n: number, f: (i: number) => Promise<unknown>, conc = 64) {
  let next = 0;
  await Promise.all(Array.from({ length: conc }, async () => {
    for (let i = next++; i < n; i = next++) await f(i);
  }));
}

let t = performance.now();
await parallel(nodes, (i) => {
  const res = { cpu: '32', memory: '128Gi', pods: '110' };
  return client.nodes().create({
    metadata: { name: `node-${i}`, labels: { 'kubernetes.io/hostname': `node-${i}`, 'topology.kubernetes.io/zone': `zone-${i % 3}` } },
    status: { capacity: res, allocatable: res, conditions: [{ type: 'Ready', status: 'True' }] },
  });
});
await parallel(pods, (i) => client.pods('default').create({
  metadata: { name: `pod-${i}`, namespace: 'default', labels: { app: 'perf' } },
  spec: {
    containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m', memory: '500Mi' } } }],
    ...(mode === 'spread'
      ? { topologySpreadConstraints: [{ maxSkew: 5, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'perf' } } }] }
      : {}),
  },
}));
process.stderr.write(`created ${nodes} nodes and ${pods} pods in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);

const informers = new InformerFactory(client);
const recorder = noEvents ? ({ event() {} } as unknown as EventRecorder) : undefined;
const sched = new Scheduler(client, informers, recorder ? { recorder } : {});
let inCycle = 0;
for (const f of sched.profiles.values()) {
  const orig = f.schedule.bind(f);
  f.schedule = (pi) => {
    const s0 = performance.now();
    try {
      return orig(pi);
    } finally {
      inCycle += performance.now() - s0;
    }
  };
}
sched.start();
await informers.synced();
t = performance.now();
while (sched.scheduledCount < pods) await new Promise((r) => setTimeout(r, 10));
const s = (performance.now() - t) / 1000;
process.stdout.write(`${mode}: ${nodes} nodes × ${pods} pods: ${s.toFixed(2)} s, ${(pods / s).toFixed(0)} pods/s${noEvents ? ' (no events)' : ''}; scheduling cycles ${((inCycle / pods) * 1000).toFixed(0)} µs/pod\n`);
sched.stop();
informers.stop();
await api.stop();
process.exit(0);
