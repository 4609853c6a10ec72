// The node agent against the in-process API server with a FakeClock and the fake runtime: Node
// registration and Lease, pods Running with conditions and IP, init containers in order, sidecars,
// restart policies, CrashLoopBackOff back-off doubling, liveness restarts, readiness, graceful
// deletion with preStop and the grace period, volumes and env (service variables included),
// image errors, static pods with mirror pods, logs, and ephemeral containers (kubectl debug).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBackend } from '../storage/memory/memory.ts';
import { ApiServer } from '../apiserver/server.ts';
import { FakeClock } from '../machinery/clock.ts';
import { isNotFound } from '../machinery/errors.ts';
import { KubeClient } from '../client/client.ts';
import { InProcessTransport } from '../client/inprocess.ts';
import { InformerFactory } from '../client/informer.ts';
import type { Obj } from '../client/types.ts';
import { NodeAgent, ISOLATION_ANNOTATION, MIRROR_ANNOTATION } from './agent.ts';
import { FakeRuntime } from './fakeruntime.ts';

let api: ApiServer;
let client: KubeClient;
let informers: InformerFactory;
let agent: NodeAgent;
let rt: FakeRuntime;
let dir: string;
const clock = new FakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
const admin = { username: 'system:admin', groups: ['system:masters'] };
const NODE = 'node-a';
const errors: string[] = [];

async function until<T>(get: () => Promise<T | undefined | false> | T | undefined | false, what: string, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await get();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const pods = (ns = 'default') => client.pods(ns);
function pod(name: string, spec: Obj, meta: Obj = {}): Obj {
  return { metadata: { name, ...meta }, spec: { nodeName: NODE, ...spec } };
}
async function podWhere(name: string, pred: (p: Obj) => boolean, what: string, ns = 'default'): Promise<Obj> {
  return until(async () => {
    const p = await pods(ns).get(name);
    return pred(p) ? p : undefined;
  }, `${name}: ${what}`);
}
const cond = (p: Obj, type: string) => (p.status?.conditions ?? []).find((c: Obj) => c.type === type);
const cs = (p: Obj, name = 'app') => (p.status?.containerStatuses ?? []).find((c: Obj) => c.name === name);
const ics = (p: Obj, name: string) => (p.status?.initContainerStatuses ?? []).find((c: Obj) => c.name === name);
async function events(name: string): Promise<Obj[]> {
  const list = await client.events('default').list();
  return list.items.filter((e) => e.involvedObject?.name === name);
}
async function hasEvent(name: string, reason: string, message: string | RegExp): Promise<Obj> {
  return until(async () => (await events(name)).find((e) => e.reason === reason && (typeof message === 'string' ? e.message === message : message.test(e.message))), `${name} event ${reason} ${message}`);
}
/** Advances the clock in steps, letting async work settle in between. */
async function advance(ms: number, step = ms) {
  let t = 0;
  do {
    clock.advance(Math.min(step, ms - t));
    t += step;
    await new Promise((r) => setTimeout(r, 5));
    // A worker may be waiting on this very clock (a grace period): do not wait for it forever.
    await Promise.race([agent.idle(), new Promise((r) => setTimeout(r, 50))]);
  } while (t < ms);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-agent-'));
  mkdirSync(join(dir, 'manifests'));
  writeFileSync(
    join(dir, 'manifests', 'web.yaml'),
    'apiVersion: v1\nkind: Pod\nmetadata:\n  name: static-web\n  namespace: default\n  labels:\n    tier: control\nspec:\n  containers:\n  - name: web\n    image: registry.k8s.io/pause:3.10\n',
  );
  api = new ApiServer({ storage: new MemoryBackend(), port: 0 });
  await api.start();
  client = new KubeClient(new InProcessTransport(api, admin));
  informers = new InformerFactory(client, { clock });
  rt = new FakeRuntime({ clock });
  agent = new NodeAgent(client, informers, rt, {
    nodeName: NODE,
    address: '127.10.0.5',
    podCIDR: '127.244.5.0/24',
    dataDir: join(dir, 'data'),
    capacity: { cpu: 4, memory: '8Gi', pods: 50 },
    systemReserved: { cpu: '500m', memory: '1Gi' },
    labels: { pool: 'real' },
    clock,
    clusterDNS: '127.96.0.10',
    staticPodDir: join(dir, 'manifests'),
    kubeletVersion: 'v1.36.0',
    onError: (what, e) => errors.push(`${what}: ${String(e)}`),
  });
  await agent.start();
});
after(async () => {
  agent.stop();
  informers.stop();
  await rt.close();
  await api.stop();
  await api.storage.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('node registration', () => {
  it('registers the Node with capacity, allocatable, labels, nodeInfo and isolation', async () => {
    const n = await client.nodes().get(NODE);
    assert.equal(n.status.capacity.cpu, '4');
    assert.equal(n.status.capacity.memory, '8Gi'); // the API server canonicalizes 8388608Ki
    assert.equal(n.status.capacity.pods, '50');
    assert.equal(n.status.allocatable.cpu, '3500m');
    // 8Gi − 1Gi systemReserved − 100Mi hard eviction threshold
    assert.equal(n.status.allocatable.memory, `${8 * 1024 - 1024 - 100}Mi`);
    assert.equal(n.metadata.labels['kubernetes.io/hostname'], NODE);
    assert.equal(n.metadata.labels['kubernetes.io/os'], 'linux');
    assert.ok(n.metadata.labels['kubernetes.io/arch']);
    assert.equal(n.metadata.labels.pool, 'real');
    assert.equal(n.spec.podCIDR, '127.244.5.0/24');
    assert.deepEqual(n.status.addresses, [
      { type: 'InternalIP', address: '127.10.0.5' },
      { type: 'Hostname', address: NODE },
    ]);
    assert.equal(n.status.nodeInfo.kubeletVersion, 'v1.36.0');
    assert.equal(n.status.nodeInfo.containerRuntimeVersion, 'fake://0.1.0');
    assert.equal(n.metadata.annotations[ISOLATION_ANNOTATION], rt.isolation);
    const ready = n.status.conditions.find((c: Obj) => c.type === 'Ready');
    assert.equal(ready.status, 'True');
    assert.equal(ready.reason, 'KubeletReady');
    assert.match(ready.message, /isolation: none \(fake runtime for tests\)/);
    for (const t of ['MemoryPressure', 'DiskPressure', 'PIDPressure']) assert.ok(n.status.conditions.find((c: Obj) => c.type === t));
  });

  it('renews its Lease, stops on fail() and resumes on recover()', async () => {
    const leases = client.leases('kube-node-lease');
    const l0 = await leases.get(NODE);
    assert.equal(l0.spec.holderIdentity, NODE);
    assert.equal(l0.metadata.ownerReferences[0].kind, 'Node');
    await advance(10_000);
    const l1 = await until(async () => {
      const l = await leases.get(NODE);
      return l.spec.renewTime !== l0.spec.renewTime ? l : undefined;
    }, 'lease renewed');
    agent.fail();
    await advance(30_000, 10_000);
    assert.equal((await leases.get(NODE)).spec.renewTime, l1.spec.renewTime);
    agent.recover();
    await until(async () => (await leases.get(NODE)).spec.renewTime !== l1.spec.renewTime, 'lease renewed after recover');
  });
});

describe('pods', () => {
  it('runs a pod: Running with conditions, pod IP from the node CIDR, events', async () => {
    await pods().create(pod('web', { containers: [{ name: 'app', image: 'nginx:1.27', command: ['nginx'] }] }));
    const p = await podWhere('web', (p) => p.status?.phase === 'Running' && cond(p, 'Ready')?.status === 'True', 'Running and Ready');
    assert.match(p.status.podIP, /^127\.244\.5\.\d+$/);
    assert.deepEqual(p.status.podIPs, [{ ip: p.status.podIP }]);
    assert.equal(p.status.hostIP, '127.10.0.5');
    for (const t of ['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'PodScheduled']) assert.equal(cond(p, t)?.status, 'True', t);
    const c = cs(p);
    assert.ok(c.state.running.startedAt);
    assert.equal(c.ready, true);
    assert.equal(c.started, true);
    assert.equal(c.restartCount, 0);
    assert.match(c.containerID, /^fake:\/\//);
    assert.match(c.imageID, /^nginx@sha256:/);
    const f = rt.find('web', 'app')!;
    assert.equal(f.cfg.env.SKIFF_POD_IP, p.status.podIP);
    const sb = [...rt.sandboxes.values()].find((s) => s.cfg.name === 'web')!;
    assert.equal(sb.cfg.ip, p.status.podIP);
    assert.deepEqual(sb.cfg.dns, { nameservers: ['127.96.0.10'], searches: sb.cfg.dns!.searches, options: ['ndots:5'] });
    assert.deepEqual(sb.cfg.dns!.searches.slice(0, 3), ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local']);
    assert.match(readFileSync(join(sb.cfg.dir, 'resolv.conf'), 'utf8'), /nameserver 127\.96\.0\.10\n/);
    await hasEvent('web', 'Pulled', 'Container image "nginx:1.27" already present on machine');
    await hasEvent('web', 'Created', 'Created container: app');
    await hasEvent('web', 'Started', 'Started container app');
  });

  it('runs init containers in order, keeps the sidecar running', async () => {
    await pods().create(
      pod('inits', {
        initContainers: [
          { name: 'side', image: 'busybox', command: ['sleep', 'inf'], restartPolicy: 'Always' },
          { name: 'one', image: 'busybox', command: ['fake-exit', '0'] },
          { name: 'two', image: 'busybox', command: ['fake-exit', '0'] },
        ],
        containers: [{ name: 'app', image: 'busybox', command: ['sleep', 'inf'] }],
      }),
    );
    const p = await podWhere('inits', (p) => p.status?.phase === 'Running' && cond(p, 'Ready')?.status === 'True', 'Running');
    assert.deepEqual(rt.started('inits'), ['side', 'one', 'two', 'app']);
    assert.ok(ics(p, 'side').state.running);
    assert.equal(ics(p, 'side').started, true);
    assert.equal(ics(p, 'one').state.terminated.reason, 'Completed');
    assert.equal(ics(p, 'two').state.terminated.exitCode, 0);
    assert.equal(cond(p, 'Initialized').status, 'True');
  });

  it('shows a pod waiting on a failing init container as Pending with Initialized False', async () => {
    await pods().create(
      pod('initfail', {
        restartPolicy: 'Never',
        initContainers: [{ name: 'bad', image: 'busybox', command: ['fake-exit', '2'] }],
        containers: [{ name: 'app', image: 'busybox', command: ['sleep', 'inf'] }],
      }),
    );
    const p = await podWhere('initfail', (p) => p.status?.phase === 'Failed', 'Failed');
    assert.equal(ics(p, 'bad').state.terminated.exitCode, 2);
    assert.equal(cond(p, 'Initialized').status, 'False');
    assert.equal(cond(p, 'Initialized').message, 'containers with incomplete status: [bad]');
    assert.equal(cs(p).state.waiting.reason, 'PodInitializing');
    assert.deepEqual(rt.started('initfail'), ['bad']);
  });

  it('follows restartPolicy Never, OnFailure and Always', async () => {
    await pods().create(pod('never', { restartPolicy: 'Never', containers: [{ name: 'app', image: 'busybox', command: ['fake-exit', '1'] }] }));
    await pods().create(pod('onfail', { restartPolicy: 'OnFailure', containers: [{ name: 'app', image: 'busybox', command: ['fake-exit', '0'] }] }));
    await pods().create(pod('always', { restartPolicy: 'Always', containers: [{ name: 'app', image: 'busybox', command: ['sleep', 'inf'] }] }));
    const never = await podWhere('never', (p) => p.status?.phase === 'Failed', 'Failed');
    assert.equal(cs(never).state.terminated.reason, 'Error');
    assert.equal(cs(never).state.terminated.exitCode, 1);
    assert.equal(cond(never, 'Ready').reason, 'PodFailed');
    const onfail = await podWhere('onfail', (p) => p.status?.phase === 'Succeeded', 'Succeeded');
    assert.equal(cs(onfail).state.terminated.reason, 'Completed');
    assert.equal(cond(onfail, 'Ready').reason, 'PodCompleted');
    await podWhere('always', (p) => p.status?.phase === 'Running', 'Running');
    rt.exit('always', 'app', 0);
    const always = await podWhere('always', (p) => cs(p)?.restartCount === 1 && !!cs(p)?.state.running, 'restarted');
    assert.equal(always.status.phase, 'Running');
    assert.equal(cs(always).lastState.terminated.reason, 'Completed');
    // an OOM kill keeps its reason
    rt.exit('always', 'app', 137, 'OOMKilled');
    const oom = await podWhere('always', (p) => cs(p)?.state.waiting?.reason === 'CrashLoopBackOff', 'back-off after OOM');
    assert.equal(cs(oom).lastState.terminated.reason, 'OOMKilled');
    assert.equal(cs(oom).lastState.terminated.exitCode, 137);
  });

  it('backs off crash loops 10s, 20s, 40s … 5m', async () => {
    const created = await pods().create(pod('crash', { containers: [{ name: 'app', image: 'busybox', command: ['fake-exit', '1'] }] }));
    const uid = created.metadata.uid;
    const msg = (d: string) => `back-off ${d} restarting failed container=app pod=crash_default(${uid})`;
    // The first exit restarts at once; the second waits 10 s.
    let p = await podWhere('crash', (p) => cs(p)?.state.waiting?.message === msg('10s'), 'back-off 10s');
    assert.equal(cs(p).state.waiting.reason, 'CrashLoopBackOff');
    assert.equal(cs(p).restartCount, 1);
    assert.equal(cs(p).lastState.terminated.exitCode, 1);
    assert.equal(p.status.phase, 'Running');
    assert.equal(cond(p, 'Ready').message, 'containers with unready status: [app]');
    await hasEvent('crash', 'BackOff', `Back-off restarting failed container app in pod crash_default(${uid})`);
    let restarts = 1;
    for (const [wait, next] of [
      [10_000, '20s'],
      [20_000, '40s'],
      [40_000, '1m20s'],
      [80_000, '2m40s'],
      [160_000, '5m0s'],
      [300_000, '5m0s'],
    ] as const) {
      await advance(wait - 1000);
      assert.equal(cs(await pods().get('crash')).restartCount, restarts, `still backing off before ${wait} ms`);
      await advance(1000);
      restarts++;
      p = await podWhere('crash', (p) => cs(p)?.restartCount === restarts && cs(p)?.state.waiting?.message === msg(next), `back-off ${next}`);
    }
  });

  it('restarts a container that fails its liveness probe', async () => {
    rt.execAnswers.set('live/app', { exitCode: 1, output: 'not healthy' });
    await pods().create(
      pod('live', { containers: [{ name: 'app', image: 'busybox', command: ['sleep', 'inf'], livenessProbe: { exec: { command: ['check'] }, periodSeconds: 10, failureThreshold: 3 } }] }),
    );
    await podWhere('live', (p) => !!cs(p)?.state.running, 'running');
    await advance(30_000, 10_000);
    await hasEvent('live', 'Unhealthy', 'Liveness probe failed: not healthy');
    await hasEvent('live', 'Killing', 'Container app failed liveness probe, will be restarted');
    rt.execAnswers.set('live/app', 0);
    const p = await podWhere('live', (p) => cs(p)?.restartCount === 1 && !!cs(p)?.state.running, 'restarted');
    assert.equal(cs(p).lastState.terminated.exitCode, 143);
    assert.ok(rt.calls.includes('exec live/app check'));
  });

  it('flips Ready with the readiness probe', async () => {
    rt.execAnswers.set('ready/app', 0);
    await pods().create(
      pod('ready', { containers: [{ name: 'app', image: 'busybox', command: ['sleep', 'inf'], readinessProbe: { exec: { command: ['ready'] }, periodSeconds: 5, failureThreshold: 2 } }] }),
    );
    let p = await podWhere('ready', (p) => !!cs(p)?.state.running, 'running');
    assert.equal(cs(p).ready, false);
    assert.equal(cond(p, 'Ready').status, 'False');
    await advance(0);
    p = await podWhere('ready', (p) => cond(p, 'Ready')?.status === 'True', 'Ready');
    assert.equal(cs(p).ready, true);
    rt.execAnswers.set('ready/app', 1);
    await advance(10_000, 5_000);
    p = await podWhere('ready', (p) => cond(p, 'Ready')?.status === 'False', 'not Ready');
    assert.equal(cond(p, 'ContainersReady').reason, 'ContainersNotReady');
    assert.equal(cs(p).restartCount, 0);
    await hasEvent('ready', 'Unhealthy', 'Readiness probe failed: ');
  });

  it('deletes gracefully: preStop, SIGTERM, SIGKILL after the grace period, then the pod goes', async () => {
    rt.ignoreSigterm.add('slow/app');
    await pods().create(
      pod('slow', { terminationGracePeriodSeconds: 30, containers: [{ name: 'app', image: 'busybox', command: ['httpd'], lifecycle: { preStop: { exec: { command: ['pre-stop'] } } } }] }),
    );
    await podWhere('slow', (p) => p.status?.phase === 'Running', 'Running');
    await pods().delete('slow');
    await until(() => rt.calls.includes('stop slow/app 30s'), 'stop with the grace period');
    assert.ok(rt.calls.indexOf('exec slow/app pre-stop') < rt.calls.indexOf('stop slow/app 30s'));
    await hasEvent('slow', 'Killing', 'Stopping container app');
    const c = rt.find('slow', 'app')!;
    assert.deepEqual(c.signals, ['SIGTERM']);
    assert.ok((await pods().get('slow')).metadata.deletionTimestamp);
    await advance(29_000);
    assert.deepEqual(c.signals, ['SIGTERM']);
    await advance(1_000);
    assert.deepEqual(c.signals, ['SIGTERM', 'SIGKILL']);
    await until(async () => {
      try {
        await pods().get('slow');
        return false;
      } catch (e) {
        return isNotFound(e);
      }
    }, 'pod deleted');
    await until(() => rt.calls.includes('removePodSandbox slow'), 'sandbox removed');
  });

  it('reports image errors with the runtime reason', async () => {
    rt.imageErrors.set('example.com/private:1', { reason: 'ErrImageNeverPull', message: 'image "example.com/private:1" cannot run on the fake runtime; use the cri runtime' });
    await pods().create(pod('badimg', { containers: [{ name: 'app', image: 'example.com/private:1' }] }));
    const p = await podWhere('badimg', (p) => cs(p)?.state.waiting?.reason === 'ErrImageNeverPull', 'ErrImageNeverPull');
    assert.match(cs(p).state.waiting.message, /use the cri runtime/);
    assert.equal(p.status.phase, 'Pending');
    await hasEvent('badimg', 'Failed', 'Error: ErrImageNeverPull');
  });

  it('reports a missing ConfigMap key as CreateContainerConfigError', async () => {
    await pods().create(pod('badenv', { containers: [{ name: 'app', image: 'busybox', command: ['x'], env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }] }] }));
    const p = await podWhere('badenv', (p) => cs(p)?.state.waiting?.reason === 'CreateContainerConfigError', 'CreateContainerConfigError');
    assert.equal(cs(p).state.waiting.message, 'configmap "nope" not found');
  });
});

describe('volumes and environment', () => {
  it('materializes configMap, secret and downwardAPI volumes and builds the env', async () => {
    await client.resource('', 'configmaps', 'default').create({ metadata: { name: 'cfg' }, data: { a: 'alpha', b: 'beta' } });
    await client.resource('', 'secrets', 'default').create({ metadata: { name: 'sec' }, data: { pw: Buffer.from('hunter2').toString('base64') } });
    await client.resource('', 'services', 'default').create({ metadata: { name: 'redis-master' }, spec: { clusterIP: '127.96.0.50', ports: [{ name: 'redis', port: 6379, targetPort: 6379 }] } });
    await client.resource('', 'services', 'other').create({ metadata: { name: 'elsewhere' }, spec: { ports: [{ port: 80 }] } }).catch(() => {});
    await until(() => agent.idle().then(() => true), 'idle');
    await pods().create(
      pod(
        'vols',
        {
          volumes: [
            { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'a', path: 'dir/a.txt', mode: 0o400 }] } },
            { name: 'sec', secret: { secretName: 'sec', defaultMode: 0o600 } },
            {
              name: 'info',
              downwardAPI: {
                items: [
                  { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
                  { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
                  { path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } },
                ],
              },
            },
            { name: 'scratch', emptyDir: {} },
          ],
          containers: [
            {
              name: 'app',
              image: 'busybox',
              command: ['sh', '-c', 'echo $(GREETING) $(MISSING)'],
              args: ['$$(ESCAPED)', '$(POD_NAME)'],
              workingDir: '/work',
              resources: { limits: { memory: '64Mi', cpu: '250m' } },
              volumeMounts: [
                { name: 'cfg', mountPath: '/etc/cfg' },
                { name: 'sec', mountPath: '/etc/sec' },
                { name: 'info', mountPath: '/etc/info' },
                { name: 'scratch', mountPath: '/scratch', subPath: 'sub' },
              ],
              envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CM_' }],
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                { name: 'PW', valueFrom: { secretKeyRef: { name: 'sec', key: 'pw' } } },
                { name: 'OPT', valueFrom: { secretKeyRef: { name: 'sec', key: 'none', optional: true } } },
                { name: 'A', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'a' } } },
                { name: 'GREETING', value: 'hello-$(A)-$(POD_NAME)' },
                { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
              ],
            },
          ],
        },
        { labels: { app: 'vols', tier: 'x' } },
      ),
    );
    const p = await podWhere('vols', (p) => p.status?.phase === 'Running', 'Running');
    const c = rt.find('vols', 'app')!;
    const env = c.cfg.env;
    assert.equal(env.POD_NAME, 'vols');
    assert.equal(env.POD_IP, p.status.podIP);
    assert.equal(env.NODE, NODE);
    assert.equal(env.PW, 'hunter2');
    assert.equal('OPT' in env, false);
    assert.equal(env.CM_a, 'alpha');
    assert.equal(env.CM_b, 'beta');
    assert.equal(env.GREETING, 'hello-alpha-vols');
    assert.equal(env.CPU, '250');
    assert.equal(env.REDIS_MASTER_SERVICE_HOST, '127.96.0.50');
    assert.equal(env.REDIS_MASTER_SERVICE_PORT, '6379');
    assert.equal(env.REDIS_MASTER_SERVICE_PORT_REDIS, '6379');
    assert.equal(env.REDIS_MASTER_PORT, 'tcp://127.96.0.50:6379');
    assert.equal(env.REDIS_MASTER_PORT_6379_TCP_ADDR, '127.96.0.50');
    assert.equal(env.REDIS_MASTER_PORT_6379_TCP_PROTO, 'tcp');
    assert.ok(env.KUBERNETES_SERVICE_HOST);
    assert.equal(env.KUBERNETES_SERVICE_PORT, '443');
    assert.equal(Object.keys(env).some((k) => k.startsWith('ELSEWHERE_')), false);
    assert.deepEqual(c.cfg.command, ['sh', '-c', 'echo hello-alpha-vols $(MISSING)']);
    assert.deepEqual(c.cfg.args, ['$(ESCAPED)', 'vols']);
    assert.equal(c.cfg.workingDir, '/work');
    assert.equal(c.cfg.memoryLimit, 64 * 1024 * 1024);
    assert.equal(c.cfg.cpuLimitMilli, 250);
    const mount = (path: string) => c.cfg.mounts.find((m) => m.containerPath === path)!;
    assert.equal(readFileSync(join(mount('/etc/cfg').hostPath, 'dir/a.txt'), 'utf8'), 'alpha');
    assert.equal(statSync(join(mount('/etc/cfg').hostPath, 'dir/a.txt')).mode & 0o777, 0o400);
    assert.equal(mount('/etc/cfg').readOnly, true);
    assert.equal(readFileSync(join(mount('/etc/sec').hostPath, 'pw'), 'utf8'), 'hunter2');
    assert.equal(statSync(join(mount('/etc/sec').hostPath, 'pw')).mode & 0o777, 0o600);
    assert.equal(readFileSync(join(mount('/etc/info').hostPath, 'labels'), 'utf8'), 'app="vols"\ntier="x"');
    assert.equal(readFileSync(join(mount('/etc/info').hostPath, 'name'), 'utf8'), 'vols');
    assert.equal(readFileSync(join(mount('/etc/info').hostPath, 'mem'), 'utf8'), '64');
    assert.match(mount('/scratch').hostPath, /kubernetes\.io~empty-dir\/scratch\/sub$/);
    assert.match(readFileSync(mount('/etc/hosts').hostPath, 'utf8'), new RegExp(`${p.status.podIP.replace(/\./g, '\\.')}\\tvols\\n`));

    // An update of the ConfigMap reaches the volume.
    await client.resource('', 'configmaps', 'default').update({ metadata: { name: 'cfg' }, data: { a: 'ALPHA2', b: 'beta' } });
    await until(() => readFileSync(join(mount('/etc/cfg').hostPath, 'dir/a.txt'), 'utf8') === 'ALPHA2', 'configmap update in the volume');
  });
});

describe('static pods', () => {
  it('runs a static pod and mirrors it to the API', async () => {
    const m = await podWhere(`static-web-${NODE}`, (p) => p.status?.phase === 'Running', 'mirror pod Running');
    assert.ok(m.metadata.annotations[MIRROR_ANNOTATION]);
    assert.equal(m.metadata.annotations['kubernetes.io/config.source'], 'file');
    assert.equal(m.metadata.ownerReferences[0].kind, 'Node');
    assert.equal(m.metadata.ownerReferences[0].name, NODE);
    assert.equal(m.metadata.labels.tier, 'control');
    assert.ok(cs(m, 'web').state.running);
    // Deleting the mirror pod does not stop the static pod; the mirror comes back.
    const started = rt.started(`static-web-${NODE}`).length;
    await pods().delete(`static-web-${NODE}`);
    await until(async () => {
      try {
        const again = await pods().get(`static-web-${NODE}`);
        return again.metadata.uid !== m.metadata.uid && !again.metadata.deletionTimestamp ? again : undefined;
      } catch {
        return undefined;
      }
    }, 'mirror pod recreated');
    assert.equal(rt.started(`static-web-${NODE}`).length, started);
    await podWhere(`static-web-${NODE}`, (p) => p.status?.phase === 'Running', 'new mirror pod Running');
  });
});

describe('logs, exec, port-forward', () => {
  it('reads container logs in the CRI format, with timestamps and previous', async () => {
    await pods().create(pod('logger', { containers: [{ name: 'app', image: 'busybox', command: ['sleep', 'inf'] }] }));
    await podWhere('logger', (p) => p.status?.phase === 'Running', 'Running');
    const read = async (s: NodeJS.ReadableStream) => {
      let out = '';
      for await (const ch of s) out += ch.toString();
      return out;
    };
    assert.equal(await read(await agent.logs({ namespace: 'default', pod: 'logger' })), 'started app\n');
    assert.match(await read(await agent.logs({ namespace: 'default', pod: 'logger', timestamps: true })), /^2026-01-01T12:\d\d:\d\d\.\d{9}Z started app\n$/);
    await assert.rejects(agent.logs({ namespace: 'default', pod: 'logger', previous: true }), /previous terminated container "app" in pod "logger" not found/);
    rt.exit('logger', 'app', 3);
    await podWhere('logger', (p) => cs(p)?.restartCount === 1 && !!cs(p)?.state.running, 'restarted');
    assert.equal(await read(await agent.logs({ namespace: 'default', pod: 'logger', previous: true })), 'started app\nexited 3\n');
    assert.equal(await read(await agent.logs({ namespace: 'default', pod: 'logger', tailLines: 1 })), 'started app\n');
  });

  it('execs through the runtime', async () => {
    let out = '';
    const { Writable } = await import('node:stream');
    const stdout = new Writable({
      write(ch, _e, cb) {
        out += ch.toString();
        cb();
      },
    });
    const r = await agent.exec({ namespace: 'default', pod: 'logger', container: 'app', command: ['echo', 'hi'], stdout });
    assert.equal(r.exitCode, 0);
    assert.equal(out, 'hi\n');
    await assert.rejects(agent.exec({ namespace: 'default', pod: 'logger', container: 'nope', command: ['x'] }), /container nope is not valid for pod logger/);
  });

  it('forwards a port to the pod IP', async () => {
    const { createServer } = await import('node:net');
    const w = agent.worker('default', 'logger')!;
    const srv = createServer((s) => s.end('pong'));
    await new Promise<void>((r) => srv.listen(18080, w.ip, r));
    try {
      const sock = await agent.portForward({ namespace: 'default', pod: 'logger', port: 18080 });
      let got = '';
      for await (const ch of sock) got += ch.toString();
      assert.equal(got, 'pong');
    } finally {
      srv.close();
    }
  });

  it('starts ephemeral containers once (kubectl debug): status, logs, target, never restarted', async () => {
    await pods().create(pod('dbgme', { containers: [{ name: 'app', image: 'busybox', command: ['sleep', 'inf'] }] }));
    const p0 = await podWhere('dbgme', (p) => p.status?.phase === 'Running', 'Running');
    const ecs = (p: Obj, name: string) => (p.status?.ephemeralContainerStatuses ?? []).find((c: Obj) => c.name === name);
    const add = async (c: Obj) => {
      const cur = await pods().get('dbgme');
      const next = { ...cur, spec: { ...cur.spec, ephemeralContainers: [...(cur.spec.ephemeralContainers ?? []), c] } };
      return api.store('', 'pods')!.update({ user: admin, now: clock.now(), dryRun: false }, 'default', 'dbgme', next, 'ephemeralcontainers');
    };
    await add({ name: 'dbg', image: 'busybox', command: ['sh'], targetContainerName: 'app', stdin: true, tty: true });
    const p = await podWhere('dbgme', (p) => !!ecs(p, 'dbg')?.state.running, 'ephemeral running');
    const e = ecs(p, 'dbg');
    assert.equal(e.ready, false);
    assert.equal(e.restartCount, 0);
    assert.equal(e.started, undefined);
    assert.deepEqual(e.lastState, {});
    assert.equal(e.image, 'busybox');
    assert.match(e.containerID, /^fake:\/\//);
    // Phase and readiness are the regular containers' business.
    assert.equal(p.status.phase, 'Running');
    assert.equal(cond(p, 'Ready')?.status, 'True');
    assert.equal(p.status.containerStatuses.length, 1);
    const f = rt.find('dbgme', 'dbg')!;
    assert.equal(f.cfg.targetContainerId, rt.find('dbgme', 'app')!.id);
    assert.equal(f.cfg.tty, true);
    await hasEvent('dbgme', 'Started', 'Started container dbg');
    // logs -c and exec reach it; when it exits it stays Terminated (never restarted).
    const read = async (s: NodeJS.ReadableStream) => {
      let out = '';
      for await (const ch of s) out += ch.toString();
      return out;
    };
    assert.equal(await read(await agent.logs({ namespace: 'default', pod: 'dbgme', container: 'dbg' })), 'started dbg\n');
    rt.exit('dbgme', 'dbg', 0);
    const done = await podWhere('dbgme', (p) => !!ecs(p, 'dbg')?.state.terminated, 'ephemeral terminated');
    assert.equal(ecs(done, 'dbg').state.terminated.reason, 'Completed');
    await advance(30_000, 10_000);
    assert.equal(rt.calls.filter((c) => c === 'start dbgme/dbg').length, 1, rt.calls.join('\n'));
    assert.equal(ecs(await pods().get('dbgme'), 'dbg').state.terminated.exitCode, 0);
    assert.equal((await pods().get('dbgme')).metadata.uid, p0.metadata.uid);
    // An image the runtime cannot run shows its reason in the ephemeral status.
    rt.imageErrors.set('example.com/debug:1', { reason: 'ErrImageNeverPull', message: 'image "example.com/debug:1" cannot run on the fake runtime; use the cri runtime' });
    await add({ name: 'dbg2', image: 'example.com/debug:1' });
    const bad = await podWhere('dbgme', (p) => ecs(p, 'dbg2')?.state.waiting?.reason === 'ErrImageNeverPull', 'ephemeral image error');
    assert.match(ecs(bad, 'dbg2').state.waiting.message, /use the cri runtime/);
  });

  it('reported no unexpected errors', () => {
    assert.deepEqual(
      errors.filter((e) => !/lease|version/.test(e)),
      [],
    );
  });
});
