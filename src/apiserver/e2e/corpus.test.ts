// The kubernetes/examples manifests through the real kubectl (`apply --dry-run=server -f`), as a
// kube-apiserver 1.32 answers them: every manifest of a served kind is accepted, except the few
// upstream rejects too (lower-case port protocols, misspelt volume fields); files with repeated
// YAML keys are refused under Strict field validation with upstream's strict decoding error.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { builtinResources } from '../../api/resources.ts';
import { SqliteBackend } from '../../storage/sqlite/sqlite.ts';
import { ApiServer } from '../server.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const CORPUS = resolve(REPO, '../shared/corpus/kubernetes-examples');
const present = existsSync(join(CORPUS, 'INDEX.tsv'));
const skip = present ? false : `the example corpus is not here (${CORPUS}: ../shared/corpus/kubernetes-examples beside the repository); skipping the corpus suite`;

/**
 * Accepted-class manifests that kube-apiserver 1.32 rejects as well, with the error kubectl prints
 * for them: core validation allows only "SCTP", "TCP" and "UDP" for a container port's protocol,
 * and kubectl's default `--validate=strict` makes the server refuse fields the volume sources do
 * not have (RBDVolumeSource has no imageformat/imagefeatures, ScaleIOVolumeSource's field is
 * protectionDomain, the StorageOS sources have secretRef and no pool/secretName).
 */
const UPSTREAM_REJECTS: Record<string, string> = {
  // `lun: <ADD LUN ID Here>` is a string where the Go type is an int32.
  '_archived/volumes/fibre_channel/fc.yaml':
    'Error from server (BadRequest): error when creating "_archived/volumes/fibre_channel/fc.yaml": Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field FCVolumeSource.spec.volumes.fc.lun of type int32',
  '_archived/volumes/aws_ebs/aws-ebs-web.yaml': 'The Pod "aws-web" is invalid: spec.containers[0].ports[0].protocol: Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP"',
  '_archived/volumes/cinder/cinder-web.yaml': 'The Pod "cinder-web" is invalid: spec.containers[0].ports[0].protocol: Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP"',
  '_archived/volumes/rbd/rbd.yaml':
    'Error from server (BadRequest): error when creating "_archived/volumes/rbd/rbd.yaml": Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.volumes[0].rbd.imagefeatures", unknown field "spec.volumes[0].rbd.imageformat"',
  '_archived/volumes/scaleio/pod.yaml': 'Error from server (BadRequest): error when creating "_archived/volumes/scaleio/pod.yaml": Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.volumes[0].scaleIO.protectionDoamin"',
  '_archived/volumes/storageos/storageos-pod.yaml':
    'Error from server (BadRequest): error when creating "_archived/volumes/storageos/storageos-pod.yaml": Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.volumes[0].storageos.pool"',
  '_archived/volumes/storageos/storageos-pv.yaml':
    'Error from server (BadRequest): error when creating "_archived/volumes/storageos/storageos-pv.yaml": PersistentVolume in version "v1" cannot be handled as a PersistentVolume: strict decoding error: unknown field "spec.storageos.secretName"',
};

/** The repeated key of each duplicate-key file, as go-yaml's strict decoder reports it. */
const DUPLICATES: Record<string, string> = {
  '_archived/openshift-origin/etcd-controller.yaml': 'line 13: key "selector" already set in map',
  '_archived/openshift-origin/etcd-discovery-controller.yaml': 'line 13: key "selector" already set in map',
  '_archived/openshift-origin/openshift-controller.yaml': 'line 13: key "selector" already set in map',
  '_archived/persistent-volume-provisioning/quobyte/quobyte-admin-secret.yaml': 'line 9: key "type" already set in map',
  '_archived/volumes/scaleio/sc-pvc.yaml': 'line 12: key "storageClassName" already set in map',
};

interface Entry {
  path: string;
  kinds: string[];
  flags: string[];
}

function readIndex(): Entry[] {
  const lines = readFileSync(join(CORPUS, 'INDEX.tsv'), 'utf8').split('\n').filter((l) => l.trim() !== '');
  const header = lines[0]!.split('\t');
  assert.deepEqual(header, ['path', 'kinds', 'documents', 'flags'], 'INDEX.tsv header');
  return lines.slice(1).map((l) => {
    const [path = '', kinds = '', , flags = ''] = l.split('\t');
    return { path, kinds: kinds.split(',').filter(Boolean), flags: flags.split(',').filter(Boolean) };
  });
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let api: ApiServer;
let dir: string;
let kubeconfig: string;

function kubectl(args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], { cwd: CORPUS, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      done({ code, stdout: String(stdout), stderr: String(stderr) + (err && code === -1 ? String(err.message) : '') });
    });
  });
}

async function call(method: string, path: string, body?: string, contentType = 'application/json') {
  const r = await fetch(api.url + path, { method, ...(body !== undefined ? { body, headers: { 'Content-Type': contentType } } : {}) });
  const text = await r.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, json, text, warning: r.headers.get('warning') ?? '' };
}

/** Runs `fn` over `items`, `width` at a time, in order of completion. */
async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: width }, worker));
}

function docsOf(path: string): any[] {
  const text = readFileSync(join(CORPUS, path), 'utf8');
  return YAML.parseAllDocuments(text, { uniqueKeys: false })
    .map((d) => d.toJS())
    .filter((d) => d && typeof d === 'object');
}

async function storedKeys(): Promise<string[]> {
  const { kvs } = await api.storage.list('/');
  return kvs.map((kv) => `${kv.key}@${kv.modRevision}`).sort();
}

describe('kubernetes/examples corpus through kubectl apply --dry-run=server', { skip }, () => {
  let entries: Entry[] = [];
  let acceptedClass: Entry[] = [];
  let duplicateKey: Entry[] = [];
  let accepted = 0;
  let duplicatesRejected = 0;

  before(async () => {
    entries = readIndex();
    acceptedClass = entries.filter((e) => e.flags.every((f) => f === 'needs-image'));
    duplicateKey = entries.filter((e) => e.flags.includes('duplicate-key'));
    dir = mkdtempSync(join(tmpdir(), 'skiff-corpus-'));
    api = new ApiServer({ storage: new SqliteBackend({ path: join(dir, 'state.db') }), port: 0 });
    const url = await api.start();
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: skiff\n  cluster:\n    server: ${url}\ncontexts:\n- name: skiff\n  context:\n    cluster: skiff\n    user: skiff\ncurrent-context: skiff\nusers:\n- name: skiff\n  user: {}\n`,
    );
    // A dry run creates nothing, not even a Namespace in the same file: create the ones used.
    const namespaces = new Set<string>();
    for (const e of [...acceptedClass, ...duplicateKey]) {
      for (const d of docsOf(e.path)) if (typeof d.metadata?.namespace === 'string') namespaces.add(d.metadata.namespace);
    }
    for (const ns of namespaces) {
      const r = await call('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }));
      assert.ok(r.status === 201 || r.status === 409, `namespace ${ns}: ${r.text}`);
    }
  });

  after(async () => {
    if (!api) return;
    console.log(`corpus: ${accepted} accepted, ${duplicatesRejected} duplicate-key rejected (of ${acceptedClass.length + duplicateKey.length})`);
    console.log(`corpus: ${Object.keys(UPSTREAM_REJECTS).length} accepted-class manifests rejected as kube-apiserver 1.32 rejects them`);
    await api.stop();
    await api.storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts every manifest flagged only needs-image (or nothing), as upstream does', { timeout: 600_000 }, async () => {
    assert.ok(acceptedClass.length > 200, `${acceptedClass.length} accepted-class manifests`);
    const before = await storedKeys();
    const failures: string[] = [];
    await pool(acceptedClass, 4, async (e) => {
      const r = await kubectl(['apply', '--dry-run=server', '-f', e.path]);
      const expected = UPSTREAM_REJECTS[e.path];
      if (expected !== undefined) {
        if (r.code === 0 || !r.stderr.includes(expected)) failures.push(`${e.path}: expected upstream's rejection "${expected}", got exit ${r.code}: ${r.stderr.trim()}`);
        return;
      }
      const created = r.stdout.split('\n').filter((l) => / (created|configured|unchanged) \(server dry run\)$/.test(l)).length;
      if (r.code !== 0 || created === 0) failures.push(`${e.path}: exit ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
      else accepted++;
    });
    assert.deepEqual(failures, []);
    assert.equal(accepted, acceptedClass.length - Object.keys(UPSTREAM_REJECTS).length);
    assert.deepEqual(await storedKeys(), before, 'a server-side dry run stored something');
  });

  it('refuses the duplicate-key manifests under Strict field validation with the upstream error', { timeout: 120_000 }, async () => {
    assert.deepEqual(duplicateKey.map((e) => e.path).sort(), Object.keys(DUPLICATES).sort());
    const before = await storedKeys();
    for (const e of duplicateKey) {
      const [obj] = docsOf(e.path);
      const info = builtinResources.find((r) => (r.group ? `${r.group}/${r.version}` : r.version) === obj.apiVersion && r.kind === obj.kind && r.served !== false);
      assert.ok(info, `${e.path}: ${obj.apiVersion} ${obj.kind} is served`);
      const gv = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
      const collection = `${gv}/namespaces/default/${info.resource}`;
      const raw = readFileSync(join(CORPUS, e.path), 'utf8');

      // The file's own bytes, as kube-apiserver's YAML decoding sees them.
      const strict = await call('POST', `${collection}?fieldValidation=Strict`, raw, 'application/yaml');
      assert.equal(strict.status, 400, `${e.path}: ${strict.text}`);
      assert.equal(strict.json.reason, 'BadRequest');
      assert.equal(
        strict.json.message,
        `${obj.kind} in version "${info.version}" cannot be handled as a ${obj.kind}: strict decoding error: error converting YAML to JSON: yaml: unmarshal errors:\n  ${DUPLICATES[e.path]}`,
      );
      assert.equal((await call('GET', `${collection}/${obj.metadata.name}`)).status, 404, `${e.path}: nothing stored`);
      duplicatesRejected++;

      // Warn (the default for other clients) keeps the last value and says so in a warning.
      const warn = await call('POST', `${collection}?dryRun=All`, raw, 'application/yaml');
      assert.equal(warn.status, 201, `${e.path}: ${warn.text}`);
      assert.match(warn.warning, /already set in map/);

      // kubectl itself decodes the YAML before sending it: repeated keys collapse to the last one
      // client-side and the JSON it sends has none left, so `apply -f` goes through, as with
      // upstream kubectl (every minor from 1.27 to 1.33 behaves the same).
      const viaKubectl = await kubectl(['apply', '--dry-run=server', '-f', e.path]);
      assert.equal(viaKubectl.code, 0, `${e.path}: ${viaKubectl.stderr}`);
      assert.match(viaKubectl.stdout, /created \(server dry run\)/);
    }
    assert.equal(duplicatesRejected, duplicateKey.length);
    assert.deepEqual(await storedKeys(), before, 'a refused or dry-run request stored something');
  });
});
