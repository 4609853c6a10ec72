// End to end as a user runs it: `skiff aks serve` in the background, then `skiff group create`,
// `skiff aks create --node-count 2 --node-runtime sim`, `skiff aks get-credentials`, and the real
// kubectl reading the nodes with that kubeconfig. Skipped when the service module is absent.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';

const root = join(import.meta.dirname, '..', '..', '..');
const bin = join(root, 'bin', 'skiff');
const hasService = existsSync(join(root, 'src', 'aks', 'service.ts'));
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

function skiff(dir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, { env: { ...process.env, SKIFF_HOME: dir, KUBECONFIG: join(dir, 'kubeconfig') }, encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('skiff aks end to end', { skip: hasService ? false : 'src/aks/service.ts is not there yet' }, () => {
  let dir = '';
  let serve: ChildProcess | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-aks-cli-'));
    serve = spawn(bin, ['aks', 'serve', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    serve.stdout!.on('data', (b) => (log += b));
    serve.stderr!.on('data', (b) => (log += b));
    const deadline = Date.now() + 60_000;
    while (!existsSync(join(dir, 'aks', 'endpoint.json'))) {
      if (Date.now() > deadline || serve.exitCode !== null) throw new Error(`the service did not start: ${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  after(async () => {
    if (serve && serve.exitCode === null) {
      const done = new Promise((r) => serve!.once('exit', r));
      serve.kill('SIGTERM');
      await Promise.race([done, new Promise((r) => setTimeout(r, 20_000))]);
      if (serve.exitCode === null) serve.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the account and cloud from the endpoint file', async () => {
    const ep = JSON.parse(readFileSync(join(dir, 'aks', 'endpoint.json'), 'utf8'));
    const acct = await skiff(dir, 'account', 'show');
    assert.equal(acct.code, 0, acct.stderr);
    const a = JSON.parse(acct.stdout);
    assert.equal(a.id, ep.subscriptionId);
    assert.equal(a.state, 'Enabled');
    const cloud = JSON.parse((await skiff(dir, 'cloud', 'show')).stdout);
    assert.equal(cloud.endpoints.resourceManager, ep.url.endsWith('/') ? ep.url : `${ep.url}/`);
    assert.equal(cloud.skiff.caFile, ep.caFile);
    const tok = await skiff(dir, 'account', 'get-access-token', '--query', 'tokenType', '-o', 'tsv');
    assert.equal(tok.stdout, 'Bearer\n');
  });

  it('creates a group and a 2-node simulated cluster, merges credentials, and kubectl sees the nodes', { timeout: 240_000 }, async () => {
    const g = await skiff(dir, 'group', 'create', '-n', 'rg1', '-l', 'eastus');
    assert.equal(g.code, 0, g.stderr);
    assert.equal(JSON.parse(g.stdout).properties.provisioningState, 'Succeeded');
    assert.equal((await skiff(dir, 'group', 'exists', '-n', 'rg1')).stdout, 'true\n');

    const c = await skiff(dir, 'aks', 'create', '-g', 'rg1', '-n', 'c1', '--node-count', '2', '--node-runtime', 'sim', '--generate-ssh-keys');
    assert.equal(c.code, 0, c.stderr);
    const mc = JSON.parse(c.stdout);
    assert.equal(mc.provisioningState, 'Succeeded');
    assert.equal(mc.resourceGroup, 'rg1');
    assert.equal(mc.agentPoolProfiles[0].count, 2);

    const table = await skiff(dir, 'aks', 'list', '-o', 'table');
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^Name\s+Location\s+ResourceGroup\s+KubernetesVersion\s+CurrentKubernetesVersion\s+ProvisioningState\s+Fqdn$/);
    assert.match(lines[2]!, /^c1\s+eastus\s+rg1\s+/);

    const pools = await skiff(dir, 'aks', 'nodepool', 'list', '-g', 'rg1', '--cluster-name', 'c1', '--query', '[].[name, count, mode]', '-o', 'tsv');
    assert.equal(pools.stdout, 'nodepool1\t2\tSystem\n');

    const kc = join(dir, 'c1.kubeconfig');
    const cred = await skiff(dir, 'aks', 'get-credentials', '-g', 'rg1', '-n', 'c1', '--overwrite-existing', '--file', kc);
    assert.equal(cred.code, 0, cred.stderr);
    assert.equal(cred.stdout, `Merged "c1" as current context in ${kc}\n`);
    const cfg = YAML.parse(readFileSync(kc, 'utf8'));
    assert.deepEqual(cfg.users.map((u: any) => u.name), ['clusterUser_rg1_c1']);

    const admin = await skiff(dir, 'aks', 'get-credentials', '-g', 'rg1', '-n', 'c1', '--admin', '--file', kc);
    assert.equal(admin.stdout, `Merged "c1-admin" as current context in ${kc}\n`);

    if (!hasKubectl) return;
    const k = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile('kubectl', ['--kubeconfig', kc, 'get', 'nodes', '-o', 'wide'], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr })),
    );
    assert.equal(k.code, 0, k.stderr);
    const nodes = k.stdout.trim().split('\n').slice(1);
    assert.equal(nodes.length, 2, k.stdout);
    for (const n of nodes) assert.match(n, /^aks-nodepool1-\d{8}-vmss\w{6}\s+Ready/);
  });

  it('prints ARM errors on one line with az\'s exit codes', async () => {
    const missing = await skiff(dir, 'aks', 'show', '-g', 'rg1', '-n', 'nope');
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /^ERROR: \(ResourceNotFound\) /);
    assert.equal(missing.stderr.trim().split('\n').length, 1);
    const bad = await skiff(dir, 'aks', 'show', '-g', 'rg1', '-n', 'c1', '--bogus');
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, 'ERROR: unrecognized arguments: --bogus\n');
    const noTty = await skiff(dir, 'aks', 'delete', '-g', 'rg1', '-n', 'c1');
    assert.equal(noTty.code, 1);
    assert.match(noTty.stderr, /Use --yes/);
  });

  it('deletes the cluster with --yes', { timeout: 120_000 }, async () => {
    const d = await skiff(dir, 'aks', 'delete', '-g', 'rg1', '-n', 'c1', '--yes');
    assert.equal(d.code, 0, d.stderr);
    assert.equal(d.stdout, '');
    assert.equal((await skiff(dir, 'aks', 'list', '-g', 'rg1')).stdout, '[]\n');
  });
});
