// A managed cluster on explicit kubenet ranges outside loopback (AKS's 10.244.0.0/16 pods,
// 10.0.0.0/16 services) runs in its own network namespace: its node gets a VNet address, a
// Service answers by DNS name from another pod, pods reach the API with their token, the host's
// addresses are untouched, and deleting the cluster leaves no namespace behind. Root only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { ResourceManagementClient } from '@azure/arm-resources';
import { ManagementService } from './service.ts';
import { isRoot, listNetns, NETNS_PREFIX } from '../cluster/netns.ts';

const run = async (cmd: string, ...args: string[]): Promise<string> => (await promisify(execFile)(cmd, args, { encoding: 'utf8', timeout: 60_000 })).stdout;
const hostAddrs = () => execFileSync('ip', ['-o', 'addr'], { encoding: 'utf8' }).split('\n').map((l) => l.replace(/valid_lft.*$/, '')).sort().join('\n');
const ours = () => listNetns().filter((n) => n.startsWith(NETNS_PREFIX));

function bindable(ip: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(0, ip, () => s.close(() => resolve(true)));
  });
}

const manifests = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
      - name: netexec
        image: registry.k8s.io/e2e-test-images/agnhost:2.53
        args: [netexec, --http-port=8080]
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  selector: { app: web }
  ports: [{ port: 80, targetPort: 8080 }]
---
apiVersion: v1
kind: Pod
metadata: { name: client }
spec:
  containers:
  - name: c
    image: busybox
    command: [sleep, '3600']
`;

test('a kubenet cluster on 10.x ranges runs in its own network namespace', { skip: !isRoot() && 'needs root', timeout: 240_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-vnet-'));
  const before = hostAddrs();
  const nsBefore = ours();
  const svc = new ManagementService({ dataDir, drainTimeoutMs: 10_000 });
  try {
    const url = await svc.start();
    const endpoint = JSON.parse(readFileSync(join(dataDir, 'aks', 'endpoint.json'), 'utf8'));
    const token = readFileSync(endpoint.tokenFile, 'utf8').trim();
    const credential = { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
    const opts = { endpoint: url, tlsOptions: { ca: readFileSync(endpoint.caFile, 'utf8') }, retryOptions: { maxRetries: 0 } } as never;
    const rm = new ResourceManagementClient(credential, endpoint.subscriptionId, opts);
    const aks = new ContainerServiceClient(credential, endpoint.subscriptionId, opts);
    await rm.resourceGroups.createOrUpdate('rg', { location: 'eastus' });
    const mc = await aks.managedClusters.beginCreateOrUpdateAndWait('rg', 'vnet1', {
      location: 'eastus',
      networkProfile: { networkPlugin: 'kubenet', podCidr: '10.244.0.0/16', serviceCidr: '10.0.0.0/16', dnsServiceIP: '10.0.0.10' },
      agentPoolProfiles: [{ name: 'nodepool1', count: 1, vmSize: 'Standard_DS2_v2', mode: 'System' }],
    }, { updateIntervalInMs: 50 });
    assert.equal(mc.provisioningState, 'Succeeded');
    assert.equal(mc.networkProfile?.podCidr, '10.244.0.0/16');
    assert.equal(mc.networkProfile?.serviceCidr, '10.0.0.0/16');
    assert.equal(mc.networkProfile?.dnsServiceIP, '10.0.0.10');
    const netns = ours().filter((n) => !nsBefore.includes(n));
    assert.equal(netns.length, 1, `one new skiff- namespace: ${ours().join(', ')}`);

    const creds = await aks.managedClusters.listClusterAdminCredentials('rg', 'vnet1');
    const kc = join(dataDir, 'kubeconfig');
    writeFileSync(kc, Buffer.from(creds.kubeconfigs![0]!.value!));
    const kubectl = (...args: string[]) => run('kubectl', '--kubeconfig', kc, ...args);

    const nodes = JSON.parse(await kubectl('get', 'nodes', '-o', 'json')).items;
    assert.equal(nodes.length, 1);
    const nodeIP = nodes[0].status.addresses.find((a: { type: string }) => a.type === 'InternalIP').address;
    assert.match(nodeIP, /^10\.224\./);
    assert.match(nodes[0].spec.podCIDR, /^10\.244\.\d+\.0\/24$/);
    const ep = JSON.parse(await kubectl('get', 'endpoints', 'kubernetes', '-o', 'json'));
    assert.match(ep.subsets[0].addresses[0].ip, /^10\.224\./);

    const file = join(dataDir, 'app.yaml');
    writeFileSync(file, manifests);
    await kubectl('apply', '-f', file);
    await kubectl('wait', '--for=condition=Ready', 'pod', '-l', 'app=web', '--timeout=90s');
    await kubectl('wait', '--for=condition=Ready', 'pod/client', '--timeout=90s');
    const web = JSON.parse(await kubectl('get', 'pods', '-l', 'app=web', '-o', 'json')).items[0];
    assert.match(web.status.podIP, /^10\.244\./);
    const clusterIP = (await kubectl('get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}')).trim();
    assert.match(clusterIP, /^10\.0\./);

    // By the Service's DNS name, from another pod (cluster DNS and the proxy run in the namespace).
    let got = '';
    for (let i = 0; i < 40 && got !== web.metadata.name; i++) {
      got = await kubectl('exec', 'client', '--', 'curl', '-s', '--max-time', '3', 'http://web.default.svc.cluster.local/hostname').catch(() => '');
      if (got !== web.metadata.name) await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(got, web.metadata.name);
    const short = await kubectl('exec', 'client', '--', 'curl', '-s', '--max-time', '3', 'http://web/hostname');
    assert.equal(short, web.metadata.name);

    // The API through the kubernetes Service, with the pod's service account token.
    const api = await kubectl('exec', 'client', '--', 'sh', '-c',
      'curl -s --max-time 5 --cacert /var/run/secrets/kubernetes.io/serviceaccount/ca.crt -H "Authorization: Bearer $(cat /var/run/secrets/kubernetes.io/serviceaccount/token)" https://kubernetes.default.svc/api');
    assert.equal(JSON.parse(api).kind, 'APIVersions');

    // kubectl port-forward reaches the pod through the namespace's data plane.
    const pf = spawn('kubectl', ['--kubeconfig', kc, 'port-forward', `pod/${web.metadata.name}`, ':8080'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const local = await new Promise<number>((resolve, reject) => {
        let out = '';
        pf.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        pf.once('exit', (code) => reject(new Error(`kubectl port-forward exited ${code}: ${out}`)));
      });
      const res = await fetch(`http://127.0.0.1:${local}/hostname`);
      assert.equal(await res.text(), web.metadata.name);
    } finally {
      pf.kill();
    }

    // Nothing on the host: same interfaces and addresses, the VNet's addresses are not local here.
    assert.equal(hostAddrs(), before);
    for (const ip of [nodeIP, web.status.podIP, clusterIP, '10.0.0.10']) assert.equal(await bindable(ip), false, `${ip} must not be bindable on the host`);

    await aks.managedClusters.beginDeleteAndWait('rg', 'vnet1', { updateIntervalInMs: 50 });
    assert.deepEqual(ours().filter((n) => !nsBefore.includes(n)), []);
  } finally {
    await svc.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  assert.deepEqual(ours().filter((n) => !nsBefore.includes(n)), [], 'no skiff- namespace left');
  assert.equal(hostAddrs(), before);
});

test('stopping the service or the cluster removes the namespace and its data plane; starting brings them back', { skip: !isRoot() && 'needs root', timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-vnet-'));
  const nsBefore = ours();
  const fresh = () => ours().filter((n) => !nsBefore.includes(n));
  const alive = (pid: number | undefined) => {
    if (!pid) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const body = {
    location: 'eastus',
    properties: {
      networkProfile: { networkPlugin: 'kubenet', podCidr: '10.244.0.0/16', serviceCidr: '10.0.0.0/16', dnsServiceIP: '10.0.0.10' },
      agentPoolProfiles: [{ name: 'nodepool1', count: 1, vmSize: 'Standard_DS2_v2', mode: 'System', nodeRuntime: 'sim' }],
    },
  };
  let svc = new ManagementService({ dataDir });
  try {
    await svc.start();
    const endpoint = JSON.parse(readFileSync(join(dataDir, 'aks', 'endpoint.json'), 'utf8'));
    const credential = { getToken: async () => ({ token: svc.token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
    const opts = { endpoint: svc.url, tlsOptions: { ca: readFileSync(endpoint.caFile, 'utf8') }, retryOptions: { maxRetries: 0 } } as never;
    await new ResourceManagementClient(credential, endpoint.subscriptionId, opts).resourceGroups.createOrUpdate('rg', { location: 'eastus' });
    let aks = new ContainerServiceClient(credential, endpoint.subscriptionId, opts);
    await aks.managedClusters.beginCreateOrUpdateAndWait('rg', 'v2', { location: 'eastus', ...body.properties } as never, { updateIntervalInMs: 50 });
    // A second VNet cluster may reuse the same ranges: each has its own namespace.
    await aks.managedClusters.beginCreateOrUpdateAndWait('rg', 'v3', { location: 'eastus', ...body.properties } as never, { updateIntervalInMs: 50 });
    assert.equal(fresh().length, 2);
    const pid = svc.runtime('rg', 'v2')!.cluster!.dataPlane!.pid;
    assert.ok(alive(pid));

    await aks.managedClusters.beginStopAndWait('rg', 'v3', { updateIntervalInMs: 50 });
    assert.equal(fresh().length, 1);

    await svc.stop();
    assert.deepEqual(fresh(), []);
    assert.equal(alive(pid), false, 'the data-plane child is gone');

    svc = new ManagementService({ dataDir });
    await svc.start();
    await svc.idle();
    const c = svc.runtime('rg', 'v2')!.cluster!;
    assert.equal(fresh().length, 1);
    assert.ok(alive(c.dataPlane!.pid));
    const nodes = (await c.client.nodes().list()).items;
    assert.match(nodes[0]!.status!.addresses!.find((a: { type: string }) => a.type === 'InternalIP')!.address, /^10\.224\./);
    aks = new ContainerServiceClient(credential, endpoint.subscriptionId, { endpoint: svc.url, tlsOptions: { ca: readFileSync(endpoint.caFile, 'utf8') }, retryOptions: { maxRetries: 0 } } as never);
    await aks.managedClusters.beginStartAndWait('rg', 'v3', { updateIntervalInMs: 50 });
    assert.equal(fresh().length, 2);
    await aks.managedClusters.beginDeleteAndWait('rg', 'v3', { updateIntervalInMs: 50 });
    assert.equal(fresh().length, 1);
  } finally {
    await svc.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  assert.deepEqual(fresh(), []);
});
