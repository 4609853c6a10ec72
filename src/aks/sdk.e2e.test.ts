// End to end through Azure's own SDKs: @azure/arm-resources and @azure/arm-containerservice talk
// to the management service (custom endpoint, a TokenCredential with the service token, TLS
// trusting the service CA) and drive every long-running operation through their pollers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { ResourceManagementClient } from '@azure/arm-resources';
import { ManagementService } from './service.ts';

// The clusters' API servers run in this process: kubectl must not block the event loop.
const kubectl = async (...args: string[]): Promise<string> => (await promisify(execFile)('kubectl', args, { encoding: 'utf8' })).stdout;

test('the Azure SDKs create, scale, upgrade, stop, start and delete a managed cluster', { timeout: 240_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-aks-e2e-'));
  const svc = new ManagementService({ dataDir, defaultNodeRuntime: 'sim', drainTimeoutMs: 20_000 });
  try {
    const url = await svc.start();
    const endpoint = JSON.parse(readFileSync(join(dataDir, 'aks', 'endpoint.json'), 'utf8'));
    assert.equal(endpoint.url, url);
    const token = readFileSync(endpoint.tokenFile, 'utf8').trim();
    const credential = { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
    const tlsOptions = { ca: readFileSync(endpoint.caFile, 'utf8') };
    const fast = { updateIntervalInMs: 50 };
    const rm = new ResourceManagementClient(credential, endpoint.subscriptionId, { endpoint: url, tlsOptions, retryOptions: { maxRetries: 0 } } as never);
    const aks = new ContainerServiceClient(credential, endpoint.subscriptionId, { endpoint: url, tlsOptions, retryOptions: { maxRetries: 0 } } as never);

    await rm.resourceGroups.createOrUpdate('rg1', { location: 'eastus' });
    assert.equal((await rm.resourceGroups.checkExistence('rg1')).body, true);

    const versions = await aks.managedClusters.listKubernetesVersions('eastus');
    const def = versions.values!.find((v) => v.isDefault)!;
    const patches = Object.keys(def.patchVersions!);
    const start = patches[patches.length - 1]!;

    const mc = await aks.managedClusters.beginCreateOrUpdateAndWait('rg1', 'c1', {
      location: 'eastus',
      dnsPrefix: 'c1',
      kubernetesVersion: start,
      agentPoolProfiles: [{ name: 'nodepool1', count: 2, vmSize: 'Standard_DS2_v2', mode: 'System' }],
    }, fast);
    assert.equal(mc.provisioningState, 'Succeeded');
    assert.equal(mc.powerState?.code, 'Running');
    assert.equal(mc.nodeResourceGroup, 'MC_rg1_c1_eastus');
    const mcResources = [];
    for await (const r of rm.resources.listByResourceGroup('MC_rg1_c1_eastus')) mcResources.push(r.type);
    assert.ok(mcResources.includes('Microsoft.Compute/virtualMachineScaleSets'));

    await aks.agentPools.beginCreateOrUpdateAndWait('rg1', 'c1', 'user1', { count: 1, vmSize: 'Standard_D4s_v5', mode: 'User' }, fast);
    const scaled = await aks.agentPools.beginCreateOrUpdateAndWait('rg1', 'c1', 'user1', { count: 3, vmSize: 'Standard_D4s_v5', mode: 'User' }, fast);
    assert.equal(scaled.count, 3);
    const pools = [];
    for await (const p of aks.agentPools.list('rg1', 'c1')) pools.push(p.name);
    assert.deepEqual(pools.sort(), ['nodepool1', 'user1']);

    const dir = mkdtempSync(join(tmpdir(), 'skiff-kc-'));
    for (const [kind, creds] of [['admin', await aks.managedClusters.listClusterAdminCredentials('rg1', 'c1')], ['user', await aks.managedClusters.listClusterUserCredentials('rg1', 'c1')]] as const) {
      const file = join(dir, kind);
      writeFileSync(file, Buffer.from(creds.kubeconfigs![0]!.value!));
      const out = await kubectl('--kubeconfig', file, 'get', 'nodes', '-o', 'name');
      const names = out.trim().split('\n').sort();
      assert.equal(names.length, 5, out);
      assert.match(names[0]!, /^node\/aks-nodepool1-\d{8}-vmss000000$/);
    }

    const profile = await aks.managedClusters.getUpgradeProfile('rg1', 'c1');
    const next = profile.controlPlaneProfile.upgrades!.map((u) => u.kubernetesVersion!).filter((v) => v.split('.')[1] !== start.split('.')[1]).pop()!;
    assert.ok(next, JSON.stringify(profile));
    const current = await aks.managedClusters.get('rg1', 'c1');
    current.kubernetesVersion = next;
    for (const p of current.agentPoolProfiles!) p.orchestratorVersion = next;
    const upgraded = await aks.managedClusters.beginCreateOrUpdateAndWait('rg1', 'c1', current, fast);
    assert.equal(upgraded.currentKubernetesVersion, next);
    const kc = join(dir, 'admin');
    const nodes = JSON.parse(await kubectl('--kubeconfig', kc, 'get', 'nodes', '-o', 'json'));
    assert.equal(nodes.items.length, 5);
    for (const n of nodes.items) assert.equal(n.status.nodeInfo.kubeletVersion, `v${next}`);
    const ver = JSON.parse(await kubectl('--kubeconfig', kc, 'version', '-o', 'json'));
    assert.equal(ver.serverVersion.gitVersion, `v${next}`);

    const run = await aks.managedClusters.beginRunCommandAndWait('rg1', 'c1', { command: 'kubectl get ns default -o name' }, fast);
    assert.equal(run.exitCode, 0);
    assert.match(run.logs ?? '', /namespace\/default/);

    await aks.managedClusters.beginStopAndWait('rg1', 'c1', fast);
    assert.equal((await aks.managedClusters.get('rg1', 'c1')).powerState?.code, 'Stopped');
    await aks.managedClusters.beginStartAndWait('rg1', 'c1', fast);
    assert.equal((await aks.managedClusters.get('rg1', 'c1')).powerState?.code, 'Running');
    const after = JSON.parse(await kubectl('--kubeconfig', kc, 'get', 'nodes', '-o', 'json'));
    assert.equal(after.items.length, 5);

    await aks.managedClusters.beginDeleteAndWait('rg1', 'c1', fast);
    await assert.rejects(aks.managedClusters.get('rg1', 'c1'), (e: { statusCode?: number; code?: string }) => e.statusCode === 404 && e.code === 'ResourceNotFound');
    assert.equal((await rm.resourceGroups.checkExistence('MC_rg1_c1_eastus')).body, false);
    await (await rm.resourceGroups.beginDelete('rg1', fast)).pollUntilDone();
    assert.equal((await rm.resourceGroups.checkExistence('rg1')).body, false);
    rmSync(dir, { recursive: true, force: true });
  } finally {
    await svc.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
