// ARM behaviour of the management service that clients see: bearer auth, api-version checks,
// AKS's error codes for invalid clusters and pools, and that a refused request makes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagementService, inMaintenanceWindow } from './service.ts';

let svc: ManagementService;
let dataDir: string;
let ca: string;
const V = '2026-04-01';

function call(method: string, path: string, body?: unknown, token: string | null = svc.token): Promise<{ status: number; body: any; headers: Record<string, unknown> }> {
  const u = new URL(path, svc.url);
  return new Promise((resolve, reject) => {
    const req = request(u, { method, ca, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : undefined, headers: res.headers });
      });
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const mc = (rg: string, name: string) => `/subscriptions/${svc.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`;
const pool = (over: Record<string, unknown> = {}) => ({ name: 'nodepool1', count: 1, vmSize: 'Standard_DS2_v2', mode: 'System', nodeRuntime: 'sim', ...over });
const create = (name: string, props: Record<string, unknown>) => call('PUT', `${mc('rg', name)}?api-version=${V}`, { location: 'eastus', properties: { agentPoolProfiles: [pool()], ...props } });

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'skiff-aks-svc-'));
  svc = new ManagementService({ dataDir, drainTimeoutMs: 5_000, isRoot: () => false });
  await svc.start();
  ca = readFileSync(svc.caFile, 'utf8');
  assert.equal((await call('PUT', `/subscriptions/${svc.subscriptionId}/resourcegroups/rg?api-version=2025-04-01`, { location: 'eastus' })).status, 201);
});

after(async () => {
  await svc.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('no token, a wrong token, no api-version and an unknown api-version are refused as ARM does', async () => {
  const path = `/subscriptions/${svc.subscriptionId}/resourcegroups?api-version=2025-04-01`;
  const none = await call('GET', path, undefined, null);
  assert.equal(none.status, 401);
  assert.equal(none.body.error.code, 'AuthenticationFailed');
  const wrong = await call('GET', path, undefined, 'nope');
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.error.code, 'InvalidAuthenticationToken');
  const missing = await call('GET', mc('rg', 'x'));
  assert.equal(missing.status, 400);
  assert.equal(missing.body.error.code, 'MissingApiVersionParameter');
  const unknown = await call('GET', `${mc('rg', 'x')}?api-version=2001-01-01`);
  assert.equal(unknown.status, 400);
  assert.equal(unknown.body.error.code, 'NoRegisteredProviderFound');
  const rgBad = await call('GET', `/subscriptions/${svc.subscriptionId}/resourcegroups/rg?api-version=2001-01-01`);
  assert.equal(rgBad.body.error.code, 'InvalidApiVersionParameter');
  const nf = await call('GET', `${mc('rg', 'absent')}?api-version=${V}`);
  assert.equal(nf.status, 404);
  assert.equal(nf.body.error.code, 'ResourceNotFound');
  const nogroup = await call('GET', `${mc('nogroup', 'x')}?api-version=${V}`);
  assert.equal(nogroup.body.error.code, 'ResourceGroupNotFound');
});

test('invalid clusters get AKS error codes and nothing is made', async () => {
  const cases: [string, Record<string, unknown>, number, string, RegExp][] = [
    ['overlap', { networkProfile: { networkPlugin: 'kubenet', podCidr: '127.200.0.0/16', serviceCidr: '127.200.0.0/20', dnsServiceIP: '127.200.0.10' } }, 400, 'InvalidParameter', /overlaps the service CIDR/],
    ['dnsout', { networkProfile: { serviceCidr: '127.201.0.0/16', dnsServiceIP: '127.202.0.10', podCidr: '127.204.0.0/16' } }, 400, 'InvalidParameter', /must be within the service CIDR/],
    ['dnsfirst', { networkProfile: { serviceCidr: '127.201.0.0/16', dnsServiceIP: '127.201.0.1', podCidr: '127.204.0.0/16' } }, 400, 'InvalidParameter', /first address/],
    ['maxpods', { agentPoolProfiles: [pool({ maxPods: 300 })] }, 400, 'InvalidParameter', /maxPods 300 is out of range/],
    ['vmsize', { agentPoolProfiles: [pool({ vmSize: 'Standard_Nope_v9' })] }, 400, 'InvalidParameter', /VM size 'Standard_Nope_v9'/],
    ['version', { kubernetesVersion: '1.20.1' }, 400, 'K8sVersionNotSupported', /not supported/],
    ['plugin', { networkProfile: { networkPlugin: 'weave' } }, 400, 'InvalidParameter', /networkPlugin/],
    ['nonloop', { networkProfile: { serviceCidr: '10.0.0.0/16', dnsServiceIP: '10.0.0.10', podCidr: '10.244.0.0/16' } }, 400, 'NotSupported', /loopback/],
  ];
  for (const [name, props, status, code, msg] of cases) {
    const r = await create(name, props);
    assert.equal(r.status, status, `${name}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, code, name);
    assert.match(r.body.error.message, msg, name);
    assert.equal((await call('GET', `${mc('rg', name)}?api-version=${V}`)).status, 404, name);
    assert.equal((await call('HEAD', `/subscriptions/${svc.subscriptionId}/resourcegroups/MC_rg_${name}_eastus?api-version=2025-04-01`)).status, 404, name);
  }
});

test('skipping a minor version and deleting the last System pool are refused', async () => {
  const r = await create('ok', { kubernetesVersion: '1.31' });
  assert.equal(r.status, 201);
  assert.match(String(r.headers['azure-asyncoperation']), /\/operations\//);
  await svc.idle();
  const got = await call('GET', `${mc('rg', 'ok')}?api-version=${V}`);
  assert.equal(got.body.properties.provisioningState, 'Succeeded', JSON.stringify(got.body.properties.status));
  const skip = await call('PUT', `${mc('rg', 'ok')}?api-version=${V}`, { location: 'eastus', properties: { kubernetesVersion: '1.33.2' } });
  assert.equal(skip.status, 400);
  assert.equal(skip.body.error.code, 'OperationNotAllowed');
  assert.match(skip.body.error.message, /^Upgrading Kubernetes version 1\.31\.\d+ to 1\.33\.2 is not allowed\. Available upgrades: \[1\.32/);
  const del = await call('DELETE', `${mc('rg', 'ok')}/agentPools/nodepool1?api-version=${V}`);
  assert.equal(del.status, 400);
  assert.equal(del.body.error.code, 'OperationNotAllowed');
  assert.equal((await call('GET', `${mc('rg', 'ok')}/agentPools/nodepool1?api-version=${V}`)).body.properties.count, 1);
  const cidr = await create('ok2', { networkProfile: { serviceCidr: got.body.properties.networkProfile.serviceCidr, dnsServiceIP: got.body.properties.networkProfile.dnsServiceIP, podCidr: '127.208.0.0/16' } });
  assert.equal(cidr.body.error.code, 'InvalidParameter');
  const nodes = (await svc.runtime('rg', 'ok')!.cluster!.client.nodes().list()).items;
  assert.equal(nodes.length, 1);
  const labels = nodes[0]!.metadata!.labels!;
  assert.match(nodes[0]!.metadata!.name!, /^aks-nodepool1-\d{8}-vmss000000$/);
  assert.equal(labels['kubernetes.azure.com/mode'], 'system');
  assert.equal(labels['agentpool'], 'nodepool1');
  assert.equal(labels['node.kubernetes.io/instance-type'], 'Standard_DS2_v2');
  assert.match(r.headers['warning'] as string, /at least 2/);
});

test('PUT managedCluster is throttled after a burst of 20', async () => {
  let last;
  for (let i = 0; i < 21; i++) last = await create('throttled', { agentPoolProfiles: [pool({ vmSize: 'bad' })] });
  assert.equal(last!.status, 429);
  assert.ok(Number(last!.headers['retry-after']) > 0);
});

test('maintenance windows', () => {
  const monday3 = new Date(Date.UTC(2026, 0, 5, 3, 30));
  assert.equal(inMaintenanceWindow({}, monday3), true);
  const weekly = { aksManagedAutoUpgradeSchedule: { maintenanceWindow: { schedule: { weekly: { dayOfWeek: 'Monday', intervalWeeks: 1 } }, durationHours: 4, startTime: '02:00', utcOffset: '+00:00' } } };
  assert.equal(inMaintenanceWindow(weekly, monday3), true);
  assert.equal(inMaintenanceWindow(weekly, new Date(Date.UTC(2026, 0, 6, 3, 30))), false);
  assert.equal(inMaintenanceWindow({ default: { timeInWeek: [{ day: 'Monday', hourSlots: [3] }] } }, monday3), true);
  assert.equal(inMaintenanceWindow({ default: { timeInWeek: [{ day: 'Monday', hourSlots: [4] }] } }, monday3), false);
});
