// Simulated nodes against the in-process API server with a FakeClock: registration with the
// kubelet's Node status and Lease, lease renewal, pods going Running with upstream conditions,
// run-to-completion pods succeeding, crash loops with the kubelet's back-off, graceful deletion,
// ephemeral containers, node failure and recovery.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../../storage/memory/memory.ts';
import { ApiServer } from '../../../apiserver/server.ts';
import { FakeClock } from '../../../machinery/clock.ts';
import { isNotFound } from '../../../machinery/errors.ts';
import { KubeClient } from '../../../client/client.ts';
import { InProcessTransport } from '../../../client/inprocess.ts';
import { InformerFactory } from '../../../client/informer.ts';
import type { Obj } from '../../../client/types.ts';
import { SimNodePool } from './pool.ts';
import { crashLoopStage } from './stages.ts';
import { PodIPAllocator } from './ipam.ts';

let api: ApiServer;
let client: KubeClient;
let informers: InformerFactory;
let pool: SimNodePool;
const clock = new FakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
const admin = { username: 'system:admin', groups: ['system:masters'] };

async function until<T>(get: () => Promise<T | undefined> | T | undefined, what: string, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await get();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const pods = () => client.pods('default');
function pod(name: string, node: string, extra: Obj = {}): Obj {
  return { metadata: { name, labels: extra.labels ?? {} }, spec: { nodeName: node, containers: [{ name: 'app', image: 'nginx:1.27' }], ...(extra.spec ?? {}) } };
}
async function podWhere(name: string, pred: (p: Obj) => boolean, what: string): Promise<Obj> {
  return until(async () => {
    const p = await pods().get(name);
    return pred(p) ? p : undefined;
  }, `${name}: ${what}`);
}
const cond = (p: Obj, type: string) => (p.status?.conditions ?? []).find((c: Obj) => c.type === type);
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

before(async () => {
  api = new ApiServer({ storage: new MemoryBackend(), port: 0 });
  await api.start();
  client = new KubeClient(new InProcessTransport(api, admin));
  informers = new InformerFactory(client, { clock });
  pool = new SimNodePool(client, informers, {
    clock,
    stages: [
      crashLoopStage('crash', { labelSelector: 'sim=crash' }, 2, 1000),
      { name: 'flaky', kind: 'complete', selector: { labelSelector: 'sim=flaky' }, delayMs: 1000, exitCode: 3, times: 1 },
    ],
    stageTimes: { completeAfterMs: 5000 },
    random: () => 0,
  });
  await pool.addNode({ name: 'sim-0', cpu: '8', memory: '32Gi', labels: { pool: 'a' }, taints: [{ key: 'dedicated', value: 'sim', effect: 'NoSchedule' }], instanceType: 'Standard_D8s_v5' });
  await pool.start();
  await pool.addNode({ name: 'sim-1', cpu: 4, memory: '16Gi', pods: 30 });
});
after(async () => {
  pool.stop();
  informers.stop();
  await api.stop();
  await api.storage.close();
});

describe('simulated node registration', () => {
  it('registers a Node with the kubelet status, labels, taints and pod CIDR', async () => {
    const n = await client.nodes().get('sim-0');
    assert.equal(n.metadata.labels['kubernetes.io/hostname'], 'sim-0');
    assert.equal(n.metadata.labels['kubernetes.io/os'], 'linux');
    assert.equal(n.metadata.labels['kubernetes.io/arch'], 'amd64');
    assert.equal(n.metadata.labels['node.kubernetes.io/instance-type'], 'Standard_D8s_v5');
    assert.equal(n.metadata.labels.pool, 'a');
    assert.deepEqual(n.spec.taints, [{ key: 'dedicated', value: 'sim', effect: 'NoSchedule' }]);
    assert.match(n.spec.podCIDR, /^127\.244\.\d+\.0\/24$/);
    assert.deepEqual(n.spec.podCIDRs, [n.spec.podCIDR]);
    assert.equal(n.status.capacity.cpu, '8');
    assert.equal(n.status.capacity.memory, '32Gi');
    assert.equal(n.status.capacity.pods, '110');
    assert.deepEqual(n.status.allocatable, n.status.capacity);
    const ready = n.status.conditions.find((c: Obj) => c.type === 'Ready');
    assert.deepEqual(
      { status: ready.status, reason: ready.reason, message: ready.message },
      { status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
    );
    assert.deepEqual(
      n.status.conditions.map((c: Obj) => `${c.type}=${c.status}:${c.reason}`),
      ['MemoryPressure=False:KubeletHasSufficientMemory', 'DiskPressure=False:KubeletHasNoDiskPressure', 'PIDPressure=False:KubeletHasSufficientPID', 'Ready=True:KubeletReady'],
    );
    assert.equal(n.status.addresses[0].type, 'InternalIP');
    assert.match(n.status.addresses[0].address, /^127\.10\.\d+\.\d+$/);
    assert.deepEqual(n.status.addresses[1], { type: 'Hostname', address: 'sim-0' });
    assert.equal(n.status.nodeInfo.kubeletVersion, api.version.gitVersion);
    assert.equal(n.status.nodeInfo.containerRuntimeVersion, 'sim://0.1.0');
    assert.equal(n.status.nodeInfo.operatingSystem, 'linux');
    assert.equal(n.status.nodeInfo.architecture, 'amd64');
    assert.deepEqual(n.status.daemonEndpoints, { kubeletEndpoint: { Port: 10250 } });
    const other = await client.nodes().get('sim-1');
    assert.equal(other.status.capacity.pods, '30');
    assert.notEqual(other.spec.podCIDR, n.spec.podCIDR);
    assert.notEqual(other.status.addresses[0].address, n.status.addresses[0].address);
  });

  it('holds a Lease in kube-node-lease and renews it every 10 s', async () => {
    const node = await client.nodes().get('sim-1');
    const lease = await client.leases('kube-node-lease').get('sim-1');
    assert.equal(lease.spec.holderIdentity, 'sim-1');
    assert.equal(lease.spec.leaseDurationSeconds, 40);
    assert.deepEqual(lease.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'sim-1', uid: node.metadata.uid }]);
    const before = Date.parse(lease.spec.renewTime);
    clock.advance(10_000);
    const renewed = await until(async () => {
      const l = await client.leases('kube-node-lease').get('sim-1');
      return Date.parse(l.spec.renewTime) > before ? l : undefined;
    }, 'the lease to be renewed');
    assert.equal(Date.parse(renewed.spec.renewTime), before + 10_000);
  });
});

describe('simulated pods', () => {
  it('runs a bound pod with the upstream conditions, container statuses and an IP from the node CIDR', async () => {
    await pods().create(pod('web', 'sim-0'));
    const p = await podWhere('web', (p) => p.status?.phase === 'Running', 'Running');
    assert.deepEqual(
      p.status.conditions.map((c: Obj) => `${c.type}=${c.status}`),
      ['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True'],
    );
    for (const c of p.status.conditions) {
      assert.equal(c.reason, undefined, `${c.type} has no reason`);
      assert.ok(c.lastTransitionTime);
    }
    const node = await client.nodes().get('sim-0');
    const cidr = node.spec.podCIDR.split('.').slice(0, 3).join('.');
    assert.ok(p.status.podIP.startsWith(`${cidr}.`), `${p.status.podIP} in ${node.spec.podCIDR}`);
    assert.deepEqual(p.status.podIPs, [{ ip: p.status.podIP }]);
    assert.equal(p.status.hostIP, node.status.addresses[0].address);
    assert.deepEqual(p.status.hostIPs, [{ ip: p.status.hostIP }]);
    assert.equal(p.status.qosClass, 'BestEffort');
    assert.equal(p.status.startTime, iso(clock.now()));
    const cs = p.status.containerStatuses[0];
    assert.equal(cs.name, 'app');
    assert.equal(cs.image, 'nginx:1.27');
    assert.match(cs.imageID, /^nginx@sha256:[0-9a-f]{64}$/);
    assert.match(cs.containerID, /^sim:\/\/[0-9a-f]{64}$/);
    assert.equal(cs.ready, true);
    assert.equal(cs.started, true);
    assert.equal(cs.restartCount, 0);
    assert.equal(cs.state.running.startedAt, iso(clock.now()));
    assert.equal(pool.node('sim-0')!.pods, 1);
  });

  it('reports init containers as completed and sidecars as running', async () => {
    await pods().create(
      pod('init', 'sim-1', {
        spec: {
          initContainers: [
            { name: 'setup', image: 'busybox' },
            { name: 'proxy', image: 'envoy', restartPolicy: 'Always' },
          ],
        },
      }),
    );
    const p = await podWhere('init', (p) => p.status?.phase === 'Running', 'Running');
    const [setup, proxy] = p.status.initContainerStatuses;
    assert.equal(setup.state.terminated.reason, 'Completed');
    assert.equal(setup.state.terminated.exitCode, 0);
    assert.ok(proxy.state.running);
  });

  it('succeeds a run-to-completion pod (restartPolicy Never) after the complete stage', async () => {
    await pods().create(pod('job-1', 'sim-1', { spec: { restartPolicy: 'Never' } }));
    const running = await podWhere('job-1', (p) => p.status?.phase === 'Running', 'Running');
    const ip = running.status.podIP;
    clock.advance(5000);
    const p = await podWhere('job-1', (p) => p.status?.phase === 'Succeeded', 'Succeeded');
    const t = p.status.containerStatuses[0].state.terminated;
    assert.equal(t.exitCode, 0);
    assert.equal(t.reason, 'Completed');
    assert.equal(p.status.containerStatuses[0].ready, false);
    assert.deepEqual(
      p.status.conditions.map((c: Obj) => `${c.type}=${c.status}${c.reason ? `:${c.reason}` : ''}`),
      ['PodReadyToStartContainers=False', 'Initialized=True:PodCompleted', 'Ready=False:PodCompleted', 'ContainersReady=False:PodCompleted', 'PodScheduled=True'],
    );
    assert.equal(p.status.podIP, ip, 'a finished pod keeps its IP in status');
  });

  it('crash-loops a failing stage with restarts and the kubelet back-off (10 s doubling)', async () => {
    await pods().create(pod('crash', 'sim-0', { labels: { sim: 'crash' } }));
    await podWhere('crash', (p) => p.status?.phase === 'Running', 'Running');
    // The first exit restarts at once.
    clock.advance(1000);
    let p = await podWhere('crash', (p) => p.status.containerStatuses[0].restartCount === 1, 'first restart');
    let cs = p.status.containerStatuses[0];
    assert.ok(cs.state.running);
    assert.equal(cs.lastState.terminated.exitCode, 2);
    assert.equal(cs.lastState.terminated.reason, 'Error');
    // The second exit backs off 10 s.
    clock.advance(1000);
    p = await podWhere('crash', (p) => p.status.containerStatuses[0].state.waiting?.reason === 'CrashLoopBackOff', 'CrashLoopBackOff');
    cs = p.status.containerStatuses[0];
    assert.equal(cs.restartCount, 1);
    assert.equal(cs.ready, false);
    assert.equal(cs.state.waiting.message, `back-off 10s restarting failed container=app pod=crash_default(${p.metadata.uid})`);
    assert.equal(p.status.phase, 'Running');
    const ready = cond(p, 'Ready');
    assert.deepEqual([ready.status, ready.reason, ready.message], ['False', 'ContainersNotReady', 'containers with unready status: [app]']);
    clock.advance(9000);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await pods().get('crash')).status.containerStatuses[0].restartCount, 1, 'still backing off');
    clock.advance(1000);
    p = await podWhere('crash', (p) => p.status.containerStatuses[0].restartCount === 2 && !!p.status.containerStatuses[0].state.running, 'restart after 10 s');
    assert.equal(cond(p, 'Ready').status, 'True');
    assert.equal(cond(p, 'Ready').reason, undefined, 'the old reason is gone once Ready again');
    // The next back-off is 20 s.
    clock.advance(1000);
    p = await podWhere('crash', (p) => p.status.containerStatuses[0].state.waiting?.reason === 'CrashLoopBackOff', 'second back-off');
    assert.match(p.status.containerStatuses[0].state.waiting.message, /^back-off 20s /);
    clock.advance(20_000);
    await podWhere('crash', (p) => p.status.containerStatuses[0].restartCount === 3, 'restart after 20 s');
  });

  it('fails a restartPolicy Never pod whose stage exits non-zero', async () => {
    await pods().create(pod('crash-once', 'sim-0', { labels: { sim: 'crash' }, spec: { restartPolicy: 'Never' } }));
    await podWhere('crash-once', (p) => p.status?.phase === 'Running', 'Running');
    clock.advance(1000);
    const p = await podWhere('crash-once', (p) => p.status?.phase === 'Failed', 'Failed');
    assert.equal(p.status.containerStatuses[0].state.terminated.exitCode, 2);
    assert.equal(cond(p, 'Ready').reason, 'PodFailed');
  });

  it('deletes a pod gracefully: containers stop, then the pod goes with grace period 0', async () => {
    const seen: Obj[] = [];
    const watched = informers.informer('', 'pods').start();
    await watched.synced();
    watched.addEventHandler({ update: (_o, p) => void (p.metadata.name === 'doomed' && seen.push(p)) });
    await pods().create(pod('doomed', 'sim-1'));
    const running = await podWhere('doomed', (p) => p.status?.phase === 'Running', 'Running');
    const ip = running.status.podIP;
    const out = await pods().delete('doomed');
    assert.ok(out.metadata.deletionTimestamp, 'the API server only marks it');
    await until(async () => {
      try {
        await pods().get('doomed');
        return undefined;
      } catch (e) {
        return isNotFound(e) ? true : undefined;
      }
    }, 'the pod to be deleted');
    assert.equal(pool.podIPs('sim-1')!.contains(ip), true);
    await until(() => !pool.podIPs('sim-1')!.has(ip), 'the pod IP to be released');
    const last = seen.at(-1)!;
    assert.ok(last.metadata.deletionTimestamp);
    assert.equal(last.status.containerStatuses[0].state.terminated.reason, 'Completed', 'containers reported stopped before the pod went');
    assert.equal(last.status.phase, 'Succeeded');
  });

  it('restarts an OnFailure pod once after a failing run, then completes it', async () => {
    await pods().create(pod('flaky', 'sim-0', { labels: { sim: 'flaky' }, spec: { restartPolicy: 'OnFailure' } }));
    await podWhere('flaky', (p) => p.status?.phase === 'Running', 'Running');
    clock.advance(1000);
    const p = await podWhere('flaky', (p) => p.status.containerStatuses[0].restartCount === 1, 'restarted');
    assert.equal(p.status.containerStatuses[0].lastState.terminated.exitCode, 3);
    clock.advance(5000);
    await podWhere('flaky', (p) => p.status?.phase === 'Succeeded', 'Succeeded after the retry');
  });

  it('keeps conditions other components own and honours readiness gates', async () => {
    await pods().create(pod('gated', 'sim-0', { spec: { readinessGates: [{ conditionType: 'example.com/lb' }] } }));
    let p = await podWhere('gated', (p) => p.status?.phase === 'Running', 'Running');
    assert.equal(cond(p, 'ContainersReady').status, 'True');
    assert.deepEqual([cond(p, 'Ready').status, cond(p, 'Ready').reason, cond(p, 'Ready').message], ['False', 'ReadinessGatesNotReady', 'corresponding condition of pod readiness gate "example.com/lb" does not exist.']);
    await pods().patch('gated', 'strategic', { status: { conditions: [{ type: 'example.com/lb', status: 'True' }, { type: 'DisruptionTarget', status: 'True', reason: 'Test' }] } }, { subresource: 'status' });
    p = await podWhere('gated', (p) => cond(p, 'Ready').status === 'True', 'Ready once the gate is True');
    assert.equal(cond(p, 'example.com/lb').status, 'True');
    assert.equal(cond(p, 'DisruptionTarget').reason, 'Test');
  });

  it('gives hostNetwork pods the node address', async () => {
    await pods().create(pod('host', 'sim-1', { spec: { hostNetwork: true } }));
    const p = await podWhere('host', (p) => p.status?.phase === 'Running', 'Running');
    assert.equal(p.status.podIP, p.status.hostIP);
  });

  it('reports an ephemeral container (kubectl debug) Running beside the app containers', async () => {
    await pods().create(pod('sim-debug', 'sim-1'));
    await podWhere('sim-debug', (p) => p.status?.phase === 'Running', 'Running');
    const cur = await pods().get('sim-debug');
    const next = { ...cur, spec: { ...cur.spec, ephemeralContainers: [{ name: 'dbg', image: 'busybox', command: ['sh'], targetContainerName: 'app' }] } };
    await api.store('', 'pods')!.update({ user: admin, now: clock.now(), dryRun: false }, 'default', 'sim-debug', next, 'ephemeralcontainers');
    const ecs = (p: Obj) => (p.status?.ephemeralContainerStatuses ?? [])[0];
    const p = await podWhere('sim-debug', (p) => !!ecs(p)?.state?.running, 'ephemeral Running');
    const e = ecs(p);
    assert.equal(e.name, 'dbg');
    assert.equal(e.ready, false);
    assert.equal(e.restartCount, 0);
    assert.equal(e.image, 'busybox');
    assert.ok(e.containerID);
    assert.equal(e.state.running.startedAt, iso(clock.now()));
    assert.equal(p.status.phase, 'Running');
    assert.equal(cond(p, 'Ready')?.status, 'True');
    await pods().delete('sim-debug');
    await until(async () => {
      try {
        await pods().get('sim-debug');
        clock.advance(1000);
        return undefined;
      } catch (err) {
        return isNotFound(err) ? true : undefined;
      }
    }, 'sim-debug deleted');
  });

  it('shows ContainerCreating while a delayed ready stage waits', async () => {
    const p2 = new SimNodePool(client, informers, { clock, stages: [{ name: 'slow', kind: 'ready', delayMs: 3000 }], podCIDRBase: '127.245.0.0/16', leaseRenewMs: 10_000 });
    await p2.start();
    await p2.addNode({ name: 'slow-0', cpu: 2, memory: '4Gi' });
    try {
      await pods().create(pod('slow', 'slow-0'));
      const p = await podWhere('slow', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ContainerCreating', 'ContainerCreating');
      assert.equal(p.status.phase, 'Pending');
      assert.equal(cond(p, 'ContainersReady').reason, 'ContainersNotReady');
      assert.equal(cond(p, 'PodReadyToStartContainers').status, 'False');
      clock.advance(3000);
      await podWhere('slow', (p) => p.status?.phase === 'Running', 'Running');
    } finally {
      p2.stop();
    }
  });
});

describe('node failure', () => {
  it('fail() stops lease renewals and pod progress; recover() resumes them', async () => {
    pool.fail('sim-1');
    assert.equal(pool.node('sim-1')!.failed, true);
    const frozen = (await client.leases('kube-node-lease').get('sim-1')).spec.renewTime;
    clock.advance(30_000);
    await pods().create(pod('stuck', 'sim-1'));
    await new Promise((r) => setTimeout(r, 30));
    assert.equal((await client.leases('kube-node-lease').get('sim-1')).spec.renewTime, frozen, 'renewTime stops moving');
    assert.equal((await pods().get('stuck')).status.phase, 'Pending', 'its pods do not progress');
    pool.recover('sim-1');
    const now = clock.now();
    await until(async () => Date.parse((await client.leases('kube-node-lease').get('sim-1')).spec.renewTime) === now || undefined, 'renewal on recovery');
    await podWhere('stuck', (p) => p.status?.phase === 'Running', 'Running after recovery');
    clock.advance(10_000);
    await until(async () => Date.parse((await client.leases('kube-node-lease').get('sim-1')).spec.renewTime) === now + 10_000 || undefined, 'renewals resume');
  });

  it('re-posts Ready conditions that the node lifecycle controller changed while the node was away', async () => {
    await pods().create(pod('marked', 'sim-0'));
    await podWhere('marked', (p) => p.status?.phase === 'Running', 'Running');
    pool.fail('sim-0');
    await pods().patch('marked', 'strategic', { status: { conditions: [{ type: 'Ready', status: 'False', reason: 'NodeNotReady' }] } }, { subresource: 'status' });
    await client.nodes().patch('sim-0', 'strategic', { status: { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' }] } }, { subresource: 'status' });
    pool.recover('sim-0');
    await podWhere('marked', (p) => cond(p, 'Ready').status === 'True' && cond(p, 'Ready').reason === undefined, 'Ready again');
    const n = await until(async () => {
      const n = await client.nodes().get('sim-0');
      return n.status.conditions.find((c: Obj) => c.type === 'Ready').status === 'True' ? n : undefined;
    }, 'node Ready again');
    assert.equal(n.status.conditions.find((c: Obj) => c.type === 'Ready').reason, 'KubeletReady');
  });

  it('removeNode deletes the Node and its Lease', async () => {
    await pool.addNode({ name: 'sim-gone', cpu: 1, memory: '1Gi' });
    await client.nodes().get('sim-gone');
    await pool.removeNode('sim-gone');
    await assert.rejects(client.nodes().get('sim-gone'), (e) => isNotFound(e));
    await assert.rejects(client.leases('kube-node-lease').get('sim-gone'), (e) => isNotFound(e));
    assert.equal(pool.node('sim-gone'), undefined);
  });
});

describe('restart', () => {
  it('a new pool re-registers existing nodes with their pod CIDR and adopts running pods', async () => {
    await pods().create(pod('survivor', 'sim-1'));
    const before = await podWhere('survivor', (p) => p.status?.phase === 'Running', 'Running');
    const node = await client.nodes().get('sim-1');
    const f2 = new InformerFactory(client, { clock });
    const p2 = new SimNodePool(client, f2, { clock });
    pool.fail('sim-1'); // the old process is gone
    try {
      await p2.start();
      await p2.addNode({ name: 'sim-1', cpu: 4, memory: '16Gi', pods: 30 });
      const again = await client.nodes().get('sim-1');
      assert.equal(again.metadata.uid, node.metadata.uid);
      assert.equal(again.spec.podCIDR, node.spec.podCIDR);
      assert.equal(again.status.addresses[0].address, node.status.addresses[0].address);
      await until(() => p2.podIPs('sim-1')!.has(before.status.podIP), 'the running pod to be adopted with its IP');
      assert.ok(p2.node('sim-1')!.pods >= 1);
      await pods().create(pod('newcomer', 'sim-1'));
      const n = await podWhere('newcomer', (p) => p.status?.phase === 'Running', 'Running');
      assert.notEqual(n.status.podIP, before.status.podIP);
      assert.equal((await pods().get('survivor')).status.podIP, before.status.podIP);
    } finally {
      p2.stop();
      f2.stop();
    }
  });
});

describe('pod IP allocator', () => {
  it('hands out .2 upwards round-robin and reuses released addresses', () => {
    const a = new PodIPAllocator('127.244.7.0/24');
    assert.equal(a.capacity, 253);
    const first = a.allocate();
    assert.equal(first, '127.244.7.2');
    assert.equal(a.allocate(), '127.244.7.3');
    a.release('127.244.7.2');
    const got = new Set<string>();
    for (let i = 0; i < 252; i++) got.add(a.allocate()!);
    assert.equal(got.size, 252);
    assert.ok(got.has('127.244.7.2'), 'released address handed out again');
    assert.ok(!got.has('127.244.7.255') && !got.has('127.244.7.1') && !got.has('127.244.7.0'));
    assert.equal(a.allocate(), undefined, 'range full');
    assert.equal(a.used, 253);
  });
});
