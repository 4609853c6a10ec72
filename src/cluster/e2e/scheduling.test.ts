// The scheduler and the CronJob controller end to end on `skiff up --sim-nodes 20` with the real
// kubectl 1.32: taints and tolerations (NoSchedule and NoExecute), node affinity, pod anti-affinity
// and topology spread place pods as upstream does; a pod too big for any node stays Pending with
// upstream's FailedScheduling message and `skiff explain` says why, node by node; a high-priority
// pod preempts; a CronJob creates its Job when the minute comes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseTable } from '../../apiserver/e2e/harness.ts';
import { SkiffCluster, eventually, isReady } from './harness.ts';

let c: SkiffCluster;
let cronCreated = 0;

before(async () => {
  c = await SkiffCluster.up({ simNodes: 20, flags: ['--nodes', '0', '--disable', 'dns', '--disable', 'ingress'] });
  // The CronJob runs every minute: create it first so the minute passes while the scheduler tests run.
  await c.namespace('cron');
  await c.apply(
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'tick' },
      spec: { schedule: '*/1 * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'tick', image: 'busybox', command: ['date'] }] } } } } },
    },
    'cron',
  );
  cronCreated = Date.now();
});
after(async () => {
  await c?.down();
});

const pod = (name: string, spec: Record<string, unknown>, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, ...(Object.keys(labels).length ? { labels } : {}) },
  spec: { containers: [{ name: 'c', image: 'nginx' }], ...spec },
});

const deployment = (name: string, replicas: number, podSpec: Record<string, unknown>) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }], ...podSpec } },
  },
});

/** The newest FailedScheduling message of a pod, once there is one. */
async function failedScheduling(ns: string, name: string, expect?: string): Promise<string> {
  return eventually(`FailedScheduling for ${ns}/${name}`, async () => {
    const evs = (await c.events(ns, 'Pod', name)).filter((e) => e.reason === 'FailedScheduling');
    const last = evs.at(-1);
    if (!last) return undefined;
    assert.equal(last.type, 'Warning');
    assert.equal(last.source?.component ?? last.reportingComponent, 'default-scheduler');
    return expect === undefined || last.message === expect ? (last.message as string) : undefined;
  }).catch(async (e) => {
    const evs = (await c.events(ns, 'Pod', name)).filter((x) => x.reason === 'FailedScheduling').map((x) => x.message);
    throw new Error(`${(e as Error).message}; FailedScheduling messages: ${JSON.stringify(evs)}`);
  });
}

const podsOf = async (ns: string, selector: string): Promise<any[]> => (await c.get(['pods', '-n', ns, '-l', selector])).items;

async function runningPods(ns: string, selector: string, count: number): Promise<any[]> {
  return eventually(`${count} running pods ${selector} in ${ns}`, async () => {
    const pods = await podsOf(ns, selector);
    const running = pods.filter((p) => p.status?.phase === 'Running' && isReady(p));
    return running.length === count ? running : undefined;
  });
}

describe('scheduling', () => {
  it('taints and tolerations: NoSchedule keeps intolerant pods off, NoExecute evicts them', async () => {
    const ns = await c.namespace('taints');
    await c.ok(['taint', 'node', 'skiff-sim-0', 'dedicated=gpu:NoSchedule']);
    await c.ok(['label', 'node', 'skiff-sim-0', 'pool=gpu']);
    try {
      const toleratesGpu = { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' };
      await c.apply(
        [
          pod('plain', { nodeSelector: { pool: 'gpu' } }),
          pod('tolerant', { nodeSelector: { pool: 'gpu' }, tolerations: [toleratesGpu] }),
          pod('stayer', { nodeSelector: { pool: 'gpu' }, tolerations: [toleratesGpu, { key: 'evict', operator: 'Exists', effect: 'NoExecute' }] }),
        ],
        ns,
      );
      await c.ok(['wait', '--for=condition=Ready', 'pod/tolerant', 'pod/stayer', '-n', ns, '--timeout=30s'], { timeoutMs: 40_000 });
      for (const name of ['tolerant', 'stayer']) assert.equal((await c.get(['pod', name, '-n', ns])).spec.nodeName, 'skiff-sim-0');
      await failedScheduling(
        ns,
        'plain',
        "0/20 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 19 node(s) didn't match Pod's node affinity/selector. preemption: 0/20 nodes are available: 20 Preemption is not helpful for scheduling..",
      );
      const plain = await c.get(['pod', 'plain', '-n', ns]);
      assert.equal(plain.status.phase, 'Pending');
      const scheduled = plain.status.conditions.find((x: any) => x.type === 'PodScheduled');
      assert.deepEqual([scheduled.status, scheduled.reason], ['False', 'Unschedulable']);

      // A NoExecute taint evicts the pod that does not tolerate it, and only that one.
      await c.ok(['taint', 'node', 'skiff-sim-0', 'evict=now:NoExecute']);
      await eventually('pod tolerant to be evicted', async () => (await c.kubectl(['get', 'pod', 'tolerant', '-n', ns])).code === 1);
      const evictions = (await c.events(ns, 'Pod', 'tolerant')).filter((e) => e.reason === 'TaintManagerEviction');
      assert.ok(evictions.some((e) => e.message === `Marking for deletion Pod ${ns}/tolerant`), JSON.stringify(evictions.map((e) => e.message)));
      const stayer = await c.get(['pod', 'stayer', '-n', ns]);
      assert.ok(!stayer.metadata.deletionTimestamp && stayer.status.phase === 'Running');
    } finally {
      await c.ok(['taint', 'node', 'skiff-sim-0', 'dedicated-', 'evict-']);
      await c.ok(['label', 'node', 'skiff-sim-0', 'pool-']);
      await c.ok(['delete', 'pods', '--all', '-n', ns, '--wait=false']);
    }
  });

  it('node affinity: required terms restrict the nodes, preferred terms win the score', async () => {
    const ns = await c.namespace('affinity');
    await c.ok(['label', 'node', 'skiff-sim-1', 'skiff-sim-2', 'disktype=ssd']);
    await c.ok(['label', 'node', 'skiff-sim-4', 'disktype=hdd']);
    try {
      await c.apply(
        [
          deployment('fast', 6, {
            affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disktype', operator: 'In', values: ['ssd'] }] }] } } },
          }),
          pod('picky', {
            affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: 'disktype', operator: 'In', values: ['hdd'] }] } }] } },
          }),
        ],
        ns,
      );
      const fast = await runningPods(ns, 'app=fast', 6);
      assert.deepEqual([...new Set(fast.map((p) => p.spec.nodeName))].sort(), ['skiff-sim-1', 'skiff-sim-2']);
      await c.ok(['wait', '--for=condition=Ready', 'pod/picky', '-n', ns, '--timeout=30s'], { timeoutMs: 40_000 });
      assert.equal((await c.get(['pod', 'picky', '-n', ns])).spec.nodeName, 'skiff-sim-4');
    } finally {
      await c.ok(['label', 'node', 'skiff-sim-1', 'skiff-sim-2', 'skiff-sim-4', 'disktype-']);
      await c.ok(['delete', 'deployment,pods', '--all', '-n', ns, '--wait=false']);
    }
  });

  it('pod anti-affinity: one replica per node, the extra one Pending with the upstream message', async () => {
    const ns = await c.namespace('anti');
    await c.ok(['label', 'node', 'skiff-sim-5', 'skiff-sim-6', 'skiff-sim-7', 'rack=r1']);
    try {
      await c.apply(
        deployment('solo', 4, {
          nodeSelector: { rack: 'r1' },
          affinity: {
            podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'solo' } }, topologyKey: 'kubernetes.io/hostname' }] },
          },
        }),
        ns,
      );
      const running = await runningPods(ns, 'app=solo', 3);
      assert.deepEqual(running.map((p) => p.spec.nodeName).sort(), ['skiff-sim-5', 'skiff-sim-6', 'skiff-sim-7']);
      const pending = (await podsOf(ns, 'app=solo')).filter((p) => p.status.phase === 'Pending');
      assert.equal(pending.length, 1);
      await failedScheduling(
        ns,
        pending[0].metadata.name,
        "0/20 nodes are available: 17 node(s) didn't match Pod's node affinity/selector, 3 node(s) didn't match pod anti-affinity rules. preemption: 0/20 nodes are available: 17 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod..",
      );
    } finally {
      await c.ok(['label', 'node', 'skiff-sim-5', 'skiff-sim-6', 'skiff-sim-7', 'rack-']);
      await c.ok(['delete', 'deployment', '--all', '-n', ns, '--wait=false']);
    }
  });

  it('topology spread: replicas split evenly across zones and nodes', async () => {
    const ns = await c.namespace('spread');
    const zones: Record<string, string> = { 'skiff-sim-10': 'zone-a', 'skiff-sim-11': 'zone-a', 'skiff-sim-12': 'zone-b', 'skiff-sim-13': 'zone-b' };
    for (const [node, zone] of Object.entries(zones)) await c.ok(['label', 'node', node, `topology.kubernetes.io/zone=${zone}`]);
    try {
      const spread = (key: string) => ({ maxSkew: 1, topologyKey: key, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'even' } } });
      await c.apply(
        deployment('even', 6, {
          affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'Exists' }] }] } } },
          topologySpreadConstraints: [spread('topology.kubernetes.io/zone'), spread('kubernetes.io/hostname')],
        }),
        ns,
      );
      const pods = await runningPods(ns, 'app=even', 6);
      const perZone: Record<string, number> = {};
      const perNode: Record<string, number> = {};
      for (const p of pods) {
        const node = p.spec.nodeName as string;
        assert.ok(zones[node], `pod on ${node}, outside the zoned nodes`);
        perZone[zones[node]!] = (perZone[zones[node]!] ?? 0) + 1;
        perNode[node] = (perNode[node] ?? 0) + 1;
      }
      assert.deepEqual(perZone, { 'zone-a': 3, 'zone-b': 3 });
      const counts = Object.keys(zones).map((n) => perNode[n] ?? 0);
      assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `per-node counts ${JSON.stringify(perNode)}`);
    } finally {
      await c.ok(['label', 'node', ...Object.keys(zones), 'topology.kubernetes.io/zone-']);
      await c.ok(['delete', 'deployment', '--all', '-n', ns, '--wait=false']);
    }
  });

  it('a pod too big for any node stays Pending with the FailedScheduling message, and skiff explain shows why', async () => {
    const ns = await c.namespace('toobig');
    await c.apply([pod('huge', { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '64' } } }] }), pod('small', {})], ns);
    const message = '0/20 nodes are available: 20 Insufficient cpu. preemption: 0/20 nodes are available: 20 Preemption is not helpful for scheduling..';
    await failedScheduling(ns, 'huge', message);
    const huge = await c.get(['pod', 'huge', '-n', ns]);
    assert.equal(huge.status.phase, 'Pending');
    assert.ok(!huge.spec.nodeName);
    const cond = huge.status.conditions.find((x: any) => x.type === 'PodScheduled');
    assert.deepEqual([cond.status, cond.reason, cond.message], ['False', 'Unschedulable', message]);
    const describe = await c.ok(['describe', 'pod', 'huge', '-n', ns]);
    assert.match(describe, /Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+0\/20 nodes are available: 20 Insufficient cpu\./);

    const text = await c.skiff(['explain', 'pod', 'huge', '-n', ns]);
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.split('\n');
    assert.equal(lines[0], `Pod:        ${ns}/huge`);
    assert.equal(lines[1], 'Scheduler:  default-scheduler');
    assert.match(lines[2]!, /^Status: {5}Pending/);
    assert.ok(lines.includes('Reason:     0/20 nodes are available: 20 Insufficient cpu.'), text.stdout);
    for (let i = 0; i < 20; i++) assert.ok(lines.includes(`skiff-sim-${i}  filtered out`), `node skiff-sim-${i} in:\n${text.stdout}`);
    assert.equal(lines.filter((l) => /^ {4}filter NodeResourcesFit: \w+ \(Insufficient cpu\)$/.test(l)).length, 20, text.stdout);

    const json = await c.skiff(['explain', 'pod', 'huge', '-n', ns, '-o', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const e = JSON.parse(json.stdout);
    assert.equal(e.pod, `${ns}/huge`);
    assert.equal(e.nodes.length, 20);
    for (const n of e.nodes) {
      assert.equal(n.feasible, false);
      const fit = n.filters.find((f: any) => f.plugin === 'NodeResourcesFit');
      assert.deepEqual(fit.reasons, ['Insufficient cpu']);
    }

    // A placed pod: where it is, and every node's scores.
    await c.ok(['wait', '--for=condition=Ready', 'pod/small', '-n', ns, '--timeout=30s'], { timeoutMs: 40_000 });
    const node = (await c.get(['pod', 'small', '-n', ns])).spec.nodeName;
    const placed = await c.skiff(['explain', 'pod', 'small', '-n', ns]);
    assert.equal(placed.code, 0, placed.stderr);
    assert.ok(placed.stdout.split('\n').includes(`Node:       ${node}`), placed.stdout);
    assert.match(placed.stdout, new RegExp(`^${node}  feasible, score \\d+  \\(bound here\\)$`, 'm'));
    assert.match(placed.stdout, /^ {4}score {2}NodeResourcesFit: raw \d+, normalized \d+ × \d+ = \d+$/m);

    const missing = await c.skiff(['explain', 'pod', 'nope', '-n', ns]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, `skiff explain: pods "nope" not found in namespace "${ns}"\n`);
    await c.ok(['delete', 'pods', '--all', '-n', ns, '--wait=false']);
  });

  it('a high-priority pod preempts a lower-priority one', async () => {
    const ns = await c.namespace('preempt');
    await c.apply([
      { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'e2e-high' }, value: 1000 },
      { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'e2e-low' }, value: 10 },
    ]);
    const big = (name: string, priorityClassName: string) =>
      pod(name, { priorityClassName, nodeSelector: { 'kubernetes.io/hostname': 'skiff-sim-8' }, containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '30' } } }] });
    await c.apply(big('victim', 'e2e-low'), ns);
    await c.ok(['wait', '--for=condition=Ready', 'pod/victim', '-n', ns, '--timeout=30s'], { timeoutMs: 40_000 });
    assert.equal((await c.get(['pod', 'victim', '-n', ns])).spec.priority, 10);

    await c.apply(big('vip', 'e2e-high'), ns);
    await c.ok(['wait', '--for=condition=Ready', 'pod/vip', '-n', ns, '--timeout=30s'], { timeoutMs: 40_000 });
    const vip = await c.get(['pod', 'vip', '-n', ns]);
    assert.equal(vip.spec.nodeName, 'skiff-sim-8');
    assert.equal(vip.spec.priority, 1000);
    assert.equal(vip.status.nominatedNodeName, 'skiff-sim-8');
    await eventually('the victim to be gone', async () => (await c.kubectl(['get', 'pod', 'victim', '-n', ns])).code === 1);
    const preempted = (await c.events(ns, 'Pod', 'victim')).filter((e) => e.reason === 'Preempted');
    assert.deepEqual(
      preempted.map((e) => e.message),
      [`Preempted by pod ${vip.metadata.uid} on node skiff-sim-8`],
    );
    await failedScheduling(ns, 'vip', "0/20 nodes are available: 1 Insufficient cpu, 19 node(s) didn't match Pod's node affinity/selector.");
  });
});

describe('CronJob', () => {
  it('creates a Job when its schedule comes', async () => {
    const ns = 'cron';
    // "*/1 * * * *" fires at the next minute boundary: at most 60 s after the CronJob was created.
    const left = Math.max(5_000, cronCreated + 75_000 - Date.now());
    const job = await eventually(
      'the CronJob to create a Job',
      async () => {
        const jobs = (await c.get(['jobs', '-n', ns])).items as any[];
        return jobs[0];
      },
      left,
      500,
    );
    const cj = await eventually('lastScheduleTime', async () => {
      const x = await c.get(['cronjob', 'tick', '-n', ns]);
      return x.status?.lastScheduleTime ? x : undefined;
    });
    const scheduled = Date.parse(cj.status.lastScheduleTime);
    assert.equal(scheduled % 60_000, 0, `scheduled on a minute boundary: ${cj.status.lastScheduleTime}`);
    assert.ok(scheduled >= cronCreated - 1000 && scheduled <= cronCreated + 61_000, `scheduled within the minute after creation: ${cj.status.lastScheduleTime}`);
    // The Job is named after the scheduled time in minutes, owned by the CronJob, stamped with its time.
    assert.equal(job.metadata.name, `tick-${scheduled / 60_000}`);
    assert.equal(job.metadata.ownerReferences[0].kind, 'CronJob');
    assert.equal(job.metadata.ownerReferences[0].uid, cj.metadata.uid);
    assert.equal(job.metadata.ownerReferences[0].controller, true);
    assert.equal(job.metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp'], cj.status.lastScheduleTime);
    const created = (await c.events(ns, 'CronJob', 'tick')).filter((e) => e.reason === 'SuccessfulCreate').map((e) => e.message);
    assert.ok(created.includes(`Created job ${job.metadata.name}`), JSON.stringify(created));

    await c.ok(['wait', '--for=condition=complete', `job/${job.metadata.name}`, '-n', ns, '--timeout=30s'], { timeoutMs: 40_000 });
    const done = await eventually('lastSuccessfulTime', async () => {
      const x = await c.get(['cronjob', 'tick', '-n', ns]);
      return x.status?.lastSuccessfulTime ? x : undefined;
    });
    assert.ok(Date.parse(done.status.lastSuccessfulTime) >= scheduled);
    const row = parseTable(await c.ok(['get', 'cronjob', 'tick', '-n', ns])).rows[0]!;
    assert.equal(row.SCHEDULE, '*/1 * * * *');
    assert.notEqual(row['LAST SCHEDULE'], '<none>');
  });
});
