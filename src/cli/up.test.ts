// `skiff up --detach` / `skiff down` as a user runs them: the cluster comes up, kubectl works with
// the context it writes, and a restart on the same data dir keeps what was stored.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'skiff');
const dir = mkdtempSync(join(tmpdir(), 'skiff-up-'));
const kubeconfig = join(dir, 'kubeconfig');
const env = { ...process.env, SKIFF_HOME: join(dir, 'home'), KUBECONFIG: kubeconfig };
// Only the control plane: DNS (127.96.0.10:53) and ingress ports belong to the node suite.
const light = ['--nodes', '0', '--disable', 'dns', '--disable', 'ingress', '--disable', 'proxy'];
const skiff = (...args: string[]) => spawnSync(bin, args, { encoding: 'utf8', env, timeout: 90_000 });
const kubectl = (...args: string[]) =>
  spawnSync('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], { encoding: 'utf8', timeout: 60_000 });

after(() => {
  skiff('down');
  rmSync(dir, { recursive: true, force: true });
});

describe('skiff up / down', () => {
  it('starts a cluster kubectl can use, and keeps its state across a restart', () => {
    const up = skiff('up', '--port', '0', '--detach', ...light);
    assert.equal(up.status, 0, up.stderr);
    assert.match(up.stdout, /running in the background/);
    const cfg = YAML.parse(readFileSync(kubeconfig, 'utf8'));
    assert.equal(cfg['current-context'], 'skiff');
    // Secure by default: HTTPS, the cluster CA in the context, a client certificate as the user.
    assert.match(cfg.clusters[0].cluster.server, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(Buffer.from(cfg.clusters[0].cluster['certificate-authority-data'], 'base64').toString(), /BEGIN CERTIFICATE/);
    assert.ok(cfg.users[0].user['client-certificate-data'] && cfg.users[0].user['client-key-data']);

    const ns = kubectl('get', 'namespaces');
    assert.equal(ns.status, 0, ns.stderr);
    assert.match(ns.stdout, /kube-system\s+Active/);
    const cm = kubectl('create', 'configmap', 'keep-me', '--from-literal=a=1');
    assert.equal(cm.status, 0, cm.stderr);

    const again = skiff('up', '--port', '0', '--detach', ...light);
    assert.equal(again.status, 1, 'a second up on the same data dir is refused');
    assert.match(again.stderr, /already running/);

    const down = skiff('down');
    assert.equal(down.status, 0, down.stderr);
    assert.notEqual(kubectl('get', 'namespaces', '--request-timeout=2s').status, 0, 'the API server is gone');

    const up2 = skiff('up', '--port', '0', '--detach', ...light);
    assert.equal(up2.status, 0, up2.stderr);
    const got = kubectl('get', 'configmap', 'keep-me', '-o', 'jsonpath={.data.a}');
    assert.equal(got.status, 0, got.stderr);
    assert.equal(got.stdout, '1');
    assert.equal(skiff('down').status, 0);
  });
});
