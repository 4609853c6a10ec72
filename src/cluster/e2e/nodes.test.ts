// Real workloads on a real node end to end, as a user meets them: `skiff up` (one process-runtime
// node, cluster DNS, the service proxy) and the real kubectl — Services answering from every pod,
// /dial through cluster DNS, exec, logs -f, port-forward, restarts, CrashLoopBackOff, pod
// replacement, a lossless rolling update, OOMKilled, a Job, and the metrics of process pods.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { SkiffCluster, eventually, isReady, isTerminating } from './harness.ts';

const AGNHOST = 'registry.k8s.io/e2e-test-images/agnhost:2.53';
const ns = 'default';

let c: SkiffCluster;

before(async () => {
  c = await SkiffCluster.up({ simNodes: 0, flags: ['--ingress-http-port', '0', '--ingress-https-port', '0', '--horizontal-pod-autoscaler-sync-period', '1s'] });
  await eventually('serviceaccount default', async () => (await c.kubectl(['get', 'serviceaccount', 'default'])).code === 0);
});
after(async () => {
  await c?.down();
});

/** One GET with a fresh connection; rejects on a socket error, a timeout or no answer. */
function get(url: string, timeoutMs = 3000, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

/** GETs `url` until `want` distinct answers were seen (each answer a pod name). */
async function collect(url: string, want: number, tries = 200): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < tries && seen.size < want; i++) {
    const r = await get(url);
    assert.equal(r.status, 200, r.body);
    seen.add(r.body);
  }
  return seen;
}

const webDeployment = (env: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          {
            name: 'agnhost',
            image: AGNHOST,
            args: ['netexec', '--http-port=8080', '--delay-shutdown=3'],
            env: [{ name: 'VERSION', value: env }],
            ports: [{ containerPort: 8080 }],
            readinessProbe: { httpGet: { path: '/readyz', port: 8080 }, periodSeconds: 1, failureThreshold: 1 },
          },
        ],
      },
    },
  },
});

const services = [
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-np' }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
];

const webPods = async (): Promise<any[]> => (await c.get(['pods', '-l', 'app=web'])).items.filter((p: any) => !isTerminating(p));

/** Waits until the Service has `n` ready endpoints (the proxy follows EndpointSlices). */
async function readyEndpoints(svc: string, n: number): Promise<void> {
  await eventually(`${n} ready endpoints of ${svc}`, async () => {
    const slices = await c.get(['endpointslices', '-l', `kubernetes.io/service-name=${svc}`]);
    const ready = slices.items.flatMap((s: any) => s.endpoints ?? []).filter((e: any) => e.conditions?.ready && !e.conditions?.terminating);
    return ready.length === n;
  }, 30_000);
}

const podNames = async () => new Set((await webPods()).map((p) => p.metadata.name as string));

let clusterIP = '';
let nodeURL = '';

describe('a Deployment behind Services on a process node', () => {
  it('answers on the ClusterIP and the NodePort from all three pods', async () => {
    await c.apply([webDeployment('1'), ...services]);
    const status = await c.kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s'], { timeoutMs: 70_000 });
    assert.equal(status.code, 0, status.stderr);
    const pods = await webPods();
    assert.equal(pods.length, 3);
    for (const p of pods) assert.equal(p.spec.nodeName, 'skiff-node-0');
    await readyEndpoints('web', 3);
    await readyEndpoints('web-np', 3);

    const svc = await c.get(['service', 'web']);
    clusterIP = svc.spec.clusterIP;
    assert.match(clusterIP, /^127\.96\./);
    const np = await c.get(['service', 'web-np']);
    const nodePort = np.spec.ports[0].nodePort as number;
    const node = await c.get(['node', 'skiff-node-0']);
    const nodeIP = node.status.addresses.find((a: any) => a.type === 'InternalIP').address as string;
    nodeURL = `http://${nodeIP}:${nodePort}`;

    const names = await podNames();
    assert.deepEqual(await collect(`http://${clusterIP}/hostname`, 3), names);
    assert.deepEqual(await collect(`${nodeURL}/hostname`, 3), names);
  });

  it('/dial from one pod reaches the Service by its cluster DNS name', async () => {
    const log = readFileSync(join(c.dir, 'skiff.log'), 'utf8');
    assert.match(log, /DNS\s+127\.96\.0\.10:53/, `this cluster serves no DNS (is another cluster holding 127.96.0.10:53?):\n${log}`);
    const [pod] = await webPods();
    const names = await podNames();
    const url = `http://${pod.status.podIP}:8080/dial?request=hostname&host=web.default.svc.cluster.local&port=80&protocol=http&tries=3`;
    const r = await get(url, 10_000);
    assert.equal(r.status, 200, r.body);
    const body = JSON.parse(r.body);
    assert.equal(body.responses?.length, 3, r.body);
    for (const name of body.responses) assert.ok(names.has(name), `${name} is not one of ${[...names]}`);
  });

  it('kubectl exec runs a command in the pod', async () => {
    const [pod] = await webPods();
    const out = await c.ok(['exec', pod.metadata.name, '--', 'sh', '-c', 'echo "$(hostname) $((6*7))"']);
    assert.equal(out, `${pod.metadata.name} 42\n`);
    const failed = await c.kubectl(['exec', pod.metadata.name, '--', 'sh', '-c', 'exit 3']);
    assert.equal(failed.code, 3, failed.stderr);
  });

  it('kubectl logs -f streams new lines', async () => {
    const [pod] = await webPods();
    const logs = c.spawnKubectl(['logs', '-f', pod.metadata.name]);
    try {
      for (const msg of ['first-line', 'second-line']) {
        assert.equal((await get(`http://${pod.status.podIP}:8080/echo?msg=${msg}`)).body, msg);
        await logs.until(`${msg} in the log stream`, () => logs.stdout.includes(`GET /echo?msg=${msg}`), 15_000);
      }
      assert.equal(logs.child.exitCode, null, 'logs -f keeps following');
    } finally {
      await logs.stop();
    }
  });

  it('kubectl port-forward forwards a local port to the pod', async () => {
    const [pod] = await webPods();
    const pf = c.spawnKubectl(['port-forward', `pod/${pod.metadata.name}`, ':8080']);
    try {
      await pf.until('Forwarding from', () => /Forwarding from 127\.0\.0\.1:\d+ -> 8080/.test(pf.stdout), 15_000);
      const port = Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(pf.stdout)![1]);
      for (let i = 0; i < 3; i++) assert.deepEqual(await get(`http://127.0.0.1:${port}/hostname`), { status: 200, body: pod.metadata.name });
    } finally {
      await pf.stop();
    }
  });

  it('a container whose process exits is restarted (restartCount 1)', async () => {
    const [pod] = await webPods();
    const name = pod.metadata.name as string;
    await get(`http://${pod.status.podIP}:8080/exit?code=1`).catch(() => undefined);
    const restarted = await eventually('restartCount 1 and Ready again', async () => {
      const p = await c.get(['pod', name]);
      const cs = p.status.containerStatuses?.[0];
      return cs?.restartCount === 1 && isReady(p) ? p : undefined;
    }, 30_000);
    const cs = restarted.status.containerStatuses[0];
    assert.equal(cs.lastState.terminated.exitCode, 1);
    assert.equal(cs.lastState.terminated.reason, 'Error');
    assert.ok(cs.state.running);
    assert.equal((await get(`http://${restarted.status.podIP}:8080/hostname`)).body, name);
  });

  it('a deleted pod is replaced', async () => {
    const before = await podNames();
    const victim = [...before][0]!;
    await c.ok(['delete', 'pod', victim, '--wait=false']);
    const after = await eventually('3 ready pods without the deleted one', async () => {
      const pods = await webPods();
      return pods.length === 3 && pods.every(isReady) && !pods.some((p) => p.metadata.name === victim) ? new Set(pods.map((p) => p.metadata.name as string)) : undefined;
    }, 30_000);
    assert.equal([...after].filter((n) => !before.has(n)).length, 1);
    await readyEndpoints('web', 3);
    assert.deepEqual(await collect(`http://${clusterIP}/hostname`, 3), after);
  });

  it('a rolling update with a readiness probe loses no request through the ClusterIP', async () => {
    await readyEndpoints('web', 3);
    const old = await podNames();
    let stop = false;
    let ok = 0;
    const failures: string[] = [];
    const loop = async () => {
      while (!stop) {
        try {
          const r = await get(`http://${clusterIP}/hostname`, 5000);
          if (r.status === 200) ok++;
          else failures.push(`HTTP ${r.status}: ${r.body}`);
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
    };
    const clients = [loop(), loop()];
    try {
      await c.ok(['set', 'env', 'deployment/web', 'VERSION=2']);
      const rolled = await c.kubectl(['rollout', 'status', 'deployment/web', '--timeout=90s'], { timeoutMs: 100_000 });
      assert.equal(rolled.code, 0, rolled.stderr);
      // The old pods' grace: they keep serving until they are gone from the endpoints.
      await eventually('only new pods left', async () => {
        const all = (await c.get(['pods', '-l', 'app=web'])).items;
        return all.length === 3 && all.every((p: any) => !old.has(p.metadata.name));
      }, 30_000);
    } finally {
      stop = true;
      await Promise.all(clients);
    }
    assert.deepEqual(failures, []);
    assert.ok(ok > 20, `only ${ok} requests went through`);
    const fresh = await podNames();
    for (const n of fresh) assert.ok(!old.has(n));
    assert.deepEqual(await collect(`http://${clusterIP}/hostname`, 3), fresh);
  });
});

const shellPod = (name: string, script: string, extra: Record<string, any> = {}, container: Record<string, any> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'main', image: 'busybox:1.36', command: ['sh', '-c', script], ...container }], terminationGracePeriodSeconds: 1, ...extra },
});

describe('container failures on a process node', () => {
  it('a container that keeps crashing reaches CrashLoopBackOff', async () => {
    await c.apply(shellPod('crash', 'exit 1', { restartPolicy: 'Always' }));
    const p = await eventually('CrashLoopBackOff', async () => {
      const p = await c.get(['pod', 'crash']);
      return p.status.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff' ? p : undefined;
    }, 30_000);
    const cs = p.status.containerStatuses[0];
    assert.match(cs.state.waiting.message, /^back-off \d+s restarting failed container=main pod=crash_default\(/);
    assert.equal(cs.lastState.terminated.exitCode, 1);
    assert.ok(cs.restartCount >= 1);
    assert.equal(isReady(p), false);
    await c.ok(['delete', 'pod', 'crash', '--wait=false']);
  });

  it('a memory-limited container that allocates too much is OOMKilled', async () => {
    await c.apply(shellPod('hog', 'head -c 300m /dev/zero | tail', { restartPolicy: 'Never' }, { resources: { limits: { memory: '64Mi' } } }));
    const p = await eventually('the container terminated', async () => {
      const p = await c.get(['pod', 'hog']);
      return p.status.containerStatuses?.[0]?.state?.terminated ? p : undefined;
    }, 30_000);
    const t = p.status.containerStatuses[0].state.terminated;
    assert.equal(t.reason, 'OOMKilled', JSON.stringify(t));
    assert.equal(t.exitCode, 137);
    assert.equal(p.status.phase, 'Failed');
    await c.ok(['delete', 'pod', 'hog', '--wait=false']);
  });

  it('a Job runs to completion', async () => {
    await c.apply({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'count' },
      spec: { completions: 2, backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'count', image: 'busybox:1.36', command: ['sh', '-c', 'echo counted $((40+2))'] }] } } },
    });
    const waited = await c.kubectl(['wait', '--for=condition=complete', 'job/count', '--timeout=60s'], { timeoutMs: 70_000 });
    assert.equal(waited.code, 0, waited.stderr);
    assert.equal(waited.stdout, 'job.batch/count condition met\n');
    const job = await c.get(['job', 'count']);
    assert.equal(job.status.succeeded, 2);
    assert.equal(await c.ok(['logs', 'job/count']), 'counted 42\n');
  });
});

describe('Ingress on a process node', () => {
  it('routes two hosts to two Services', async () => {
    const log = readFileSync(join(c.dir, 'skiff.log'), 'utf8');
    const m = /ingress\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
    assert.ok(m, `skiff up printed no ingress address:\n${log}`);
    const port = Number(m[1]);
    await c.apply([
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'other' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'other' } },
          template: { metadata: { labels: { app: 'other' } }, spec: { containers: [{ name: 'agnhost', image: AGNHOST, args: ['netexec', '--http-port=8080'] }] } },
        },
      },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'other' }, spec: { selector: { app: 'other' }, ports: [{ port: 80, targetPort: 8080 }] } },
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'two-hosts' },
        spec: {
          rules: [
            { host: 'web.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } },
            { host: 'other.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'other', port: { number: 80 } } } }] } },
          ],
        },
      },
    ]);
    const rolled = await c.kubectl(['rollout', 'status', 'deployment/other', '--timeout=60s'], { timeoutMs: 70_000 });
    assert.equal(rolled.code, 0, rolled.stderr);
    await readyEndpoints('other', 1);
    const other = (await c.get(['pods', '-l', 'app=other'])).items[0].metadata.name as string;
    const web = await podNames();
    const viaIngress = (host: string) => get(`http://127.0.0.1:${port}/hostname`, 3000, { Host: host });
    await eventually('other.example.com routed', async () => (await viaIngress('other.example.com')).body === other, 15_000);
    const seen = new Set<string>();
    for (let i = 0; i < 60 && seen.size < 3; i++) {
      const r = await viaIngress('web.example.com');
      assert.equal(r.status, 200, r.body);
      seen.add(r.body);
    }
    assert.deepEqual(seen, web);
    assert.equal((await viaIngress('unknown.example.com')).status, 404);
  });
});

describe('metrics of process pods', () => {
  it('kubectl top pod shows the web pods', async () => {
    const out = await eventually('kubectl top pod', async () => {
      const r = await c.kubectl(['top', 'pod', '-l', 'app=web']);
      return r.code === 0 && r.stdout.split('\n').filter((l) => /^web-/.test(l)).length === 3 ? r.stdout : undefined;
    }, 30_000, 1000);
    for (const line of out.split('\n').filter((l) => /^web-/.test(l))) assert.match(line, /^web-\S+\s+\d+m\s+\d+Mi\s*$/);
    const node = await c.ok(['top', 'node', 'skiff-node-0']);
    assert.match(node.split('\n')[1]!, /^skiff-node-0\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%\s*$/);
  });
});

describe('autoscaling process pods', () => {
  it('an HPA scales a CPU-busy Deployment up', async () => {
    await c.apply([
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'busy' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'busy' } },
          template: {
            metadata: { labels: { app: 'busy' } },
            spec: {
              terminationGracePeriodSeconds: 1,
              containers: [{ name: 'spin', image: 'busybox:1.36', command: ['sh', '-c', 'while :; do :; done'], resources: { requests: { cpu: '100m' }, limits: { cpu: '200m' } } }],
            },
          },
        },
      },
      {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'busy' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'busy' },
          minReplicas: 1,
          maxReplicas: 3,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
        },
      },
    ]);
    try {
      const hpa = await eventually('the HPA to scale busy up', async () => {
        const h = await c.get(['hpa', 'busy']);
        return (h.status?.desiredReplicas ?? 0) > 1 ? h : undefined;
      }, 45_000, 1000);
      assert.ok(hpa.status.currentMetrics[0].resource.current.averageUtilization > 50, JSON.stringify(hpa.status));
      await eventually('busy scaled', async () => ((await c.get(['deployment', 'busy'])).spec.replicas > 1 ? true : undefined), 15_000);
    } finally {
      await c.ok(['delete', 'hpa/busy', 'deployment/busy', '--wait=false']);
    }
  });
});
