// get-credentials' kubeconfig merge as az does it: AKS names, "-admin" contexts, conflicts, 0600.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { aksNames, mergeFile, mergeInto, renameAddition, MergeConflict, type Kubeconfig } from './kubeconfig.ts';

const cred = (server = 'https://127.0.0.1:1'): Kubeconfig => ({
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [{ name: 'x', cluster: { server, 'certificate-authority-data': 'Q0E=' } }],
  users: [{ name: 'y', user: { 'client-certificate-data': 'Yw==', 'client-key-data': 'aw==' } }],
  contexts: [{ name: 'z', context: { cluster: 'x', user: 'y' } }],
  'current-context': 'z',
});

describe('kubeconfig merge', () => {
  it('names a user credential as AKS does', () => {
    const kc = aksNames(cred(), 'rg', 'c1', false);
    assert.equal(renameAddition(kc), 'c1');
    assert.equal(kc.clusters![0]!.name, 'c1');
    assert.equal(kc.users![0]!.name, 'clusterUser_rg_c1');
    assert.deepEqual(kc.contexts![0], { name: 'c1', context: { cluster: 'c1', user: 'clusterUser_rg_c1' } });
  });

  it('gives an admin context the -admin suffix, and --context renames first', () => {
    const kc = aksNames(cred(), 'rg', 'c1', true);
    assert.equal(renameAddition(kc, 'mine'), 'mine-admin');
    assert.equal(kc.users![0]!.name, 'clusterAdmin_rg_c1');
    assert.equal(kc.clusters![0]!.name, 'mine');
    assert.deepEqual(kc.contexts![0], { name: 'mine-admin', context: { cluster: 'mine', user: 'clusterAdmin_rg_c1' } });
  });

  it('keeps other entries, replaces identical ones, refuses different ones without overwrite', () => {
    const existing: Kubeconfig = { clusters: [{ name: 'other', cluster: { server: 'https://o' } }], users: [], contexts: [], 'current-context': 'other' };
    const a = aksNames(cred(), 'rg', 'c1', false);
    renameAddition(a);
    mergeInto(existing, a, false);
    assert.deepEqual(existing.clusters!.map((c) => c.name), ['other', 'c1']);
    assert.equal(existing['current-context'], 'c1');
    mergeInto(existing, structuredClone(a), false);
    assert.equal(existing.clusters!.length, 2);
    const b = aksNames(cred('https://127.0.0.1:2'), 'rg', 'c1', false);
    assert.throws(() => mergeInto(existing, b, false), (e: Error) => e instanceof MergeConflict && e.message === 'A different object named c1 already exists in clusters in your kubeconfig file.');
    mergeInto(existing, b, true);
    assert.equal(existing.clusters!.find((c) => c.name === 'c1')!.cluster.server, 'https://127.0.0.1:2');
  });

  it('writes the file with mode 0600, creating it if needed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-kc-'));
    const file = join(dir, 'sub', 'config');
    const a = aksNames(cred(), 'rg', 'c1', false);
    renameAddition(a);
    mergeFile(file, a, false);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const cfg = YAML.parse(readFileSync(file, 'utf8'));
    assert.equal(cfg['current-context'], 'c1');
    assert.equal(cfg.kind, 'Config');
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');
    mergeFile(empty, a, false);
    assert.equal(YAML.parse(readFileSync(empty, 'utf8')).contexts.length, 1);
  });
});
