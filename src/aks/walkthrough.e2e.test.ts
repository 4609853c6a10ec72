// The AKS newcomer walkthrough end to end, as a user types it: `skiff aks serve`, then the real
// `skiff group|aks` CLI and the real kubectl — create a 2-node cluster on the process runtime,
// get credentials, see nodes, the kubernetes Service and the reconciled add-ons; the cluster
// autoscaler adding and removing a simulated node; a surge upgrade that keeps a PDB-protected
// Deployment serving; and invalid requests failing with AKS's error codes, leaving nothing behind.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../cluster/e2e/harness.ts';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'skiff');
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: Record<string, string>, input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 180_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


/**
 * The app the upgrade must not interrupt. Kubernetes takes an evicted pod out of its Service's
 * endpoints and signals its containers at the same time, and agnhost netexec exits at once on
 * SIGTERM: a request the proxy had just handed to that pod would be reset (on real AKS too). The
 * preStop sleep is the usual remedy — the pod keeps serving until the proxies have dropped it.
 */
const APP = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: agnhost
        image: registry.k8s.io/e2e-test-images/agnhost:2.53
        args: [netexec, --http-port=8080]
        ports: [{containerPort: 8080}]
        readinessProbe:
          httpGet: {path: /, port: 8080}
          periodSeconds: 1
        lifecycle:
          preStop:
            sleep: {seconds: 2}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: web}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`;

/**
 * A pod that asks for more CPU than the first Standard_DS2_v2 node (1900m allocatable) has left
 * beside the system add-ons, but that fits on an empty one: exactly one node is needed.
 */
const BIG = `apiVersion: apps/v1
kind: Deployment
metadata: {name: big}
spec:
  replicas: 1
  selector: {matchLabels: {app: big}}
  template:
    metadata: {labels: {app: big}}
    spec:
      containers:
      - name: pause
        image: registry.k8s.io/pause:3.10
        resources: {requests: {cpu: 1200m}}
`;

/** GETs http://ip/hostname in a loop (one connection per request) until stopped; counts failures. */
function clientLoop(ip: string): { stop(): Promise<{ ok: number; failed: number; errors: Record<string, number> }> } {
  let stopped = false;
  const res = { ok: 0, failed: 0, errors: {} as Record<string, number> };
  const fail = (why: string) => {
    res.failed++;
    res.errors[why] = (res.errors[why] ?? 0) + 1;
  };
  const agent = new http.Agent({ keepAlive: false });
  const loop = (async () => {
    while (!stopped) {
      await new Promise<void>((resolve) => {
        const req = http.get({ host: ip, port: 80, path: '/hostname', agent, timeout: 3000 }, (r) => {
          r.resume();
          r.on('end', () => {
            if (r.statusCode === 200) res.ok++;
            else fail(`HTTP ${r.statusCode}`);
            resolve();
          });
          r.on('error', (e: NodeJS.ErrnoException) => (fail(e.code ?? e.message), resolve()));
        });
        req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
        req.on('error', (e: NodeJS.ErrnoException) => (fail(e.code ?? e.message), resolve()));
      });
      await sleep(20);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      agent.destroy();
      return res;
    },
  };
}

describe('the AKS walkthrough: skiff CLI and kubectl against skiff aks serve', { skip: hasKubectl ? false : 'kubectl is not installed', timeout: 240_000 }, () => {
  let dir = '';
  let serve: ChildProcess | undefined;
  let log = '';
  let env: Record<string, string> = {};
  const skiff = (...args: string[]) => run(bin, args, env);
  const kubectl = (...args: string[]) => run('kubectl', args, env);
  const kubectlIn = (input: string, ...args: string[]) => run('kubectl', args, env, input);
  const json = (r: Run) => {
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-aks-walk-'));
    env = { SKIFF_HOME: dir, KUBECONFIG: join(dir, 'kubeconfig') };
    serve = spawn(bin, ['aks', 'serve', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    serve.stdout!.on('data', (b) => (log += b));
    serve.stderr!.on('data', (b) => (log += b));
    await eventually('the management service to write its endpoint file', async () => {
      if (serve!.exitCode !== null) throw new Error(`skiff aks serve exited: ${log}`);
      return existsSync(join(dir, 'aks', 'endpoint.json')) || undefined;
    }, 60_000);
  });

  after(async () => {
    if (serve && serve.exitCode === null) {
      const t0 = Date.now();
      const done = new Promise((r) => serve!.once('exit', r));
      serve.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([done, new Promise((r) => (timer = setTimeout(r, 30_000)))]);
      clearTimeout(timer);
      if (serve.exitCode === null) {
        serve.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
        assert.fail(`skiff aks serve did not stop within ${(Date.now() - t0) / 1000}s of SIGTERM: ${log.slice(-2000)}`);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a group and a 2-node cluster, merges credentials; kubectl sees Ready nodes, the kubernetes Service and the add-ons', { timeout: 120_000 }, async () => {
    const g = json(await skiff('group', 'create', '-l', 'eastus', '-n', 'aks-rg'));
    assert.equal(g.properties.provisioningState, 'Succeeded');

    const mc = json(await skiff('aks', 'create', '-g', 'aks-rg', '-n', 'aks-demo', '--node-count', '2', '--generate-ssh-keys'));
    assert.equal(mc.provisioningState, 'Succeeded');
    assert.equal(mc.agentPoolProfiles[0].count, 2);
    assert.equal(mc.agentPoolProfiles[0].mode, 'System');

    const cred = await skiff('aks', 'get-credentials', '-g', 'aks-rg', '-n', 'aks-demo', '--overwrite-existing');
    assert.equal(cred.code, 0, cred.stderr);
    assert.equal(cred.stdout, `Merged "aks-demo" as current context in ${env.KUBECONFIG}\n`);

    const nodes = await kubectl('get', 'nodes', '-o', 'wide');
    assert.equal(nodes.code, 0, nodes.stderr);
    const lines = nodes.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME$/);
    assert.equal(lines.length, 3, nodes.stdout);
    for (const l of lines.slice(1)) assert.match(l, new RegExp(`^aks-nodepool1-\\d{8}-vmss00000\\d\\s+Ready\\s+agent\\s+\\S+\\s+v${mc.currentKubernetesVersion.replace(/\./g, '\\.')}\\s+127\\.\\d+\\.\\d+\\.\\d+\\s`));

    const svc = await kubectl('get', 'svc');
    assert.equal(svc.code, 0, svc.stderr);
    assert.match(svc.stdout, /^kubernetes\s+ClusterIP\s+127\.\d+\.0\.1\s+<none>\s+443\/TCP\s/m);

    // The add-ons run as built-in stand-ins on the process runtime, so every one becomes Ready.
    const addons = ['coredns', 'coredns-autoscaler', 'konnectivity-agent', 'metrics-server'];
    const ready = (d: any) => d.status?.replicas > 0 && d.status?.readyReplicas === d.spec.replicas;
    await eventually('the add-on Deployments to be Ready', async () => {
      const list = json(await kubectl('get', 'deploy', '-n', 'kube-system', '-o', 'json')).items;
      return addons.every((n) => list.some((d: any) => d.metadata.name === n && ready(d))) || undefined;
    }, 60_000);
    const table = await kubectl('get', 'deploy', '-n', 'kube-system');
    for (const n of addons) assert.match(table.stdout, new RegExp(`^${n}\\s+(\\d+)/\\1\\s`, 'm'));
    const ds = json(await kubectl('get', 'ds', '-n', 'kube-system', '-o', 'json')).items.map((d: any) => d.metadata.name);
    assert.ok(ds.includes('kube-proxy'), ds.join(' '));

    // The add-on manager reconciles: a deleted coredns comes back, and Ready, within seconds.
    const del = await kubectl('delete', 'deploy', 'coredns', '-n', 'kube-system');
    assert.equal(del.code, 0, del.stderr);
    const t0 = Date.now();
    await eventually('coredns to come back Ready', async () => {
      const r = await kubectl('get', 'deploy', 'coredns', '-n', 'kube-system', '-o', 'json');
      return r.code === 0 && ready(JSON.parse(r.stdout)) ? true : undefined;
    }, 15_000);
    assert.ok(Date.now() - t0 < 15_000);
  });

  it('the cluster autoscaler adds a node for pending pods and removes it once they are gone (sim nodes)', { timeout: 90_000 }, async () => {
    const mc = json(
      await skiff(
        'aks', 'create', '-g', 'aks-rg', '-n', 'aks-scale', '-k', '1.31.10', '--node-count', '1', '--node-runtime', 'sim',
        '--enable-cluster-autoscaler', '--min-count', '1', '--max-count', '3',
        '--cluster-autoscaler-profile', 'scan-interval=1s', 'scale-down-unneeded-time=3s', 'scale-down-delay-after-add=2s',
      ),
    );
    assert.equal(mc.provisioningState, 'Succeeded');
    assert.equal(mc.agentPoolProfiles[0].enableAutoScaling, true);
    assert.equal(mc.agentPoolProfiles[0].minCount, 1);
    assert.equal(mc.agentPoolProfiles[0].maxCount, 3);

    const kc = join(dir, 'scale.kubeconfig');
    const cred = await skiff('aks', 'get-credentials', '-g', 'aks-rg', '-n', 'aks-scale', '--file', kc);
    assert.equal(cred.code, 0, cred.stderr);
    const k = (...args: string[]) => kubectl('--kubeconfig', kc, ...args);
    const nodeCount = async () => json(await k('get', 'nodes', '-o', 'json')).items.length as number;
    assert.equal(await nodeCount(), 1);

    const apply = await kubectlIn(BIG, '--kubeconfig', kc, 'apply', '-f', '-');
    assert.equal(apply.code, 0, apply.stderr);
    await eventually('a second node and the big pod Running on it', async () => {
      const pods = json(await k('get', 'pods', '-l', 'app=big', '-o', 'json')).items;
      const running = pods.filter((p: any) => p.status.phase === 'Running' && !p.spec.nodeName.endsWith('vmss000000')).length;
      return running === 1 ? true : undefined;
    }, 30_000);
    assert.equal(await nodeCount(), 2);
    const events = json(await k('get', 'events', '--field-selector', 'reason=TriggeredScaleUp', '-o', 'json')).items;
    assert.ok(events.some((e: any) => /pod triggered scale-up: \[\{nodepool1 1->2 \(max: 3\)\}\]/.test(e.message)), JSON.stringify(events.map((e: any) => e.message)));
    const up = json(await skiff('aks', 'show', '-g', 'aks-rg', '-n', 'aks-scale'));
    assert.equal(up.agentPoolProfiles[0].count, 2);

    assert.equal((await k('delete', 'deploy', 'big')).code, 0);
    await eventually('the extra node to be removed', async () => ((await nodeCount()) === 1 ? true : undefined), 30_000);
    const down = json(await skiff('aks', 'show', '-g', 'aks-rg', '-n', 'aks-scale'));
    assert.equal(down.agentPoolProfiles[0].count, 1);
    assert.equal(down.provisioningState, 'Succeeded');
  });

  it('an upgrade with surge keeps a PDB-protected Deployment serving, then every node and the API server report the new version', { timeout: 150_000 }, async () => {
    const apply = await kubectlIn(APP, 'apply', '-f', '-');
    assert.equal(apply.code, 0, apply.stderr);
    const rollout = await kubectl('rollout', 'status', 'deploy/web', '--timeout=60s');
    assert.equal(rollout.code, 0, rollout.stderr);
    const ip = (await kubectl('get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}')).stdout;
    assert.match(ip, /^127\./);

    const from = json(await skiff('aks', 'show', '-g', 'aks-rg', '-n', 'aks-demo')).currentKubernetesVersion as string;
    const upgrades = json(await skiff('aks', 'get-upgrades', '-g', 'aks-rg', '-n', 'aks-demo'));
    const nextMinor = `${from.split('.')[0]}.${Number(from.split('.')[1]) + 1}`;
    const target = (upgrades.controlPlaneProfile.upgrades as { kubernetesVersion: string }[]).map((u) => u.kubernetesVersion).filter((v) => v.startsWith(`${nextMinor}.`)).pop();
    assert.ok(target, `no ${nextMinor}.x upgrade offered: ${JSON.stringify(upgrades.controlPlaneProfile.upgrades)}`);
    const before = json(await kubectl('get', 'nodes', '-o', 'json')).items.map((n: any) => n.metadata.name as string);

    const loop = clientLoop(ip);
    await sleep(500);
    const up = await skiff('aks', 'upgrade', '-g', 'aks-rg', '-n', 'aks-demo', '--kubernetes-version', nextMinor, '--yes');
    await sleep(500);
    const traffic = await loop.stop();
    assert.equal(up.code, 0, up.stderr);
    const mc = JSON.parse(up.stdout);
    assert.equal(mc.provisioningState, 'Succeeded');
    assert.equal(mc.currentKubernetesVersion, target);
    assert.ok(traffic.ok > 50, `only ${traffic.ok} requests went through`);
    assert.deepEqual({ failed: traffic.failed, errors: traffic.errors }, { failed: 0, errors: {} }, `${traffic.ok} requests succeeded`);

    const nodes = json(await kubectl('get', 'nodes', '-o', 'json')).items;
    assert.equal(nodes.length, 2);
    for (const n of nodes) {
      assert.equal(n.status.nodeInfo.kubeletVersion, `v${target}`);
      assert.ok(!before.includes(n.metadata.name), `${n.metadata.name} was not replaced`);
      assert.ok(!n.spec.unschedulable);
    }
    const version = json(await kubectl('version', '-o', 'json'));
    assert.equal(version.serverVersion.gitVersion, `v${target}`);
    const pods = json(await kubectl('get', 'pods', '-l', 'app=web', '-o', 'json')).items;
    assert.equal(pods.filter((p: any) => p.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length, 3);
  });

  it('invalid requests fail with AKS\'s error codes and leave nothing half-made', { timeout: 90_000 }, async () => {
    const fails = async (code: string, message: RegExp, ...args: string[]) => {
      const r = await skiff(...args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(`^ERROR: \\(${code}\\) `));
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    };
    const create = ['aks', 'create', '-g', 'aks-rg', '--node-count', '1', '--node-runtime', 'sim', '--generate-ssh-keys'];
    await fails('InvalidParameter', /pod CIDR 127\.200\.0\.0\/16 overlaps the service CIDR/, ...create, '-n', 'bad-cidr', '--pod-cidr', '127.200.0.0/16', '--service-cidr', '127.200.0.0/16', '--dns-service-ip', '127.200.0.10');
    await fails('InvalidParameter', /DNS service IP 127\.202\.0\.10 must be within the service CIDR 127\.201\.0\.0\/16/, ...create, '-n', 'bad-dns', '--service-cidr', '127.201.0.0/16', '--dns-service-ip', '127.202.0.10');
    await fails('InvalidParameter', /maxPods 5 is out of range/, ...create, '-n', 'bad-pods', '--max-pods', '5');
    await fails('InvalidParameter', /maxPods 251 is out of range/, ...create, '-n', 'bad-pods', '--max-pods', '251');
    await fails('InvalidParameter', /VM size 'Standard_Bogus' is not supported/, ...create, '-n', 'bad-size', '--node-vm-size', 'Standard_Bogus');
    // aks-scale runs 1.31: going straight to 1.33 skips a minor version.
    await fails('OperationNotAllowed', /Upgrading Kubernetes version 1\.31\.10 to 1\.33\.\d+ is not allowed/, 'aks', 'upgrade', '-g', 'aks-rg', '-n', 'aks-scale', '--kubernetes-version', '1.33', '--yes');
    await fails('OperationNotAllowed', /last System node pool/, 'aks', 'nodepool', 'delete', '-g', 'aks-rg', '--cluster-name', 'aks-scale', '-n', 'nodepool1');

    // Nothing was made, nothing was changed.
    const list = json(await skiff('aks', 'list', '--query', '[].{name:name, state:provisioningState, version:currentKubernetesVersion, pools:length(agentPoolProfiles)}'));
    assert.deepEqual(list.sort((a: any, b: any) => a.name.localeCompare(b.name)), [
      { name: 'aks-demo', state: 'Succeeded', version: list.find((c: any) => c.name === 'aks-demo').version, pools: 1 },
      { name: 'aks-scale', state: 'Succeeded', version: '1.31.10', pools: 1 },
    ]);
    const groups = json(await skiff('group', 'list', '--query', '[].name')).map((n: string) => n.toLowerCase()).sort();
    assert.deepEqual(groups, ['aks-rg', 'mc_aks-rg_aks-demo_eastus', 'mc_aks-rg_aks-scale_eastus']);
    const sub = JSON.parse(readFileSync(join(dir, 'aks', 'endpoint.json'), 'utf8')).subscriptionId;
    assert.deepEqual(readdirSync(join(dir, 'aks', 'clusters', sub, 'aks-rg')).sort(), ['aks-demo', 'aks-scale']);
    const nodes = json(await kubectl('--kubeconfig', join(dir, 'scale.kubeconfig'), 'get', 'nodes', '-o', 'json')).items;
    assert.equal(nodes.length, 1);
    assert.equal(nodes[0].status.nodeInfo.kubeletVersion, 'v1.31.10');
  });
});
