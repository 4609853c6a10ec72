// The real kubectl 1.27 against a fresh API server that reports v1.27.16: the paths where the old
// client differs from 1.32 (apply and validation through protobuf OpenAPI v2, create generators
// sending JSON instead of protobuf) and the everyday get/describe/patch/delete.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { TestCluster, parseTable, run, kubectlBinary, type RunResult } from './harness.ts';

let c: TestCluster;

before(async () => {
  c = await TestCluster.start({ version: 'v1.27.16', kubectlVersion: '1.27' });
});
after(async () => {
  await c?.stop();
});

async function expectExit(args: string[], code: number, opts: Parameters<TestCluster['kubectl']>[1] = {}): Promise<RunResult> {
  const r = await c.kubectl(args, opts);
  assert.equal(r.code, code, `kubectl ${args.join(' ')} exited ${r.code}, expected ${code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

const configMapYAML = (name: string, data: Record<string, string>) => YAML.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });

describe('kubectl 1.27', () => {
  it('is what the kubectl dispatcher runs against a 1.27 server', async () => {
    const r = await run(kubectlBinary(), ['--kubeconfig', c.kubeconfig, '--cache-dir', c.cacheDir, 'version', '-o', 'json'], { env: { PATH: process.env.PATH ?? '', HOME: c.dir }, timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    const v = JSON.parse(r.stdout);
    assert.equal(v.clientVersion.gitVersion, 'v1.27.16');
    assert.equal(v.serverVersion.gitVersion, 'v1.27.16');
    const own = JSON.parse(await c.ok(['version', '-o', 'json']));
    assert.equal(own.clientVersion.minor, '27');
  });

  it('create generators send JSON and store what they describe', async () => {
    const created = async (args: string[], line: string) => assert.equal((await expectExit(['create', ...args], 0)).stdout, `${line} created\n`);
    await created(['namespace', 'old'], 'namespace/old');
    await created(['deployment', 'web', '--image=nginx:1.25', '--replicas=2', '--port=80'], 'deployment.apps/web');
    await created(['configmap', 'lit', '--from-literal=a=1', '--from-literal=b=2'], 'configmap/lit');
    const f = c.file('app.properties', 'k=v\n');
    await created(['configmap', 'files', `--from-file=${f}`], 'configmap/files');
    await created(['secret', 'generic', 'creds', '--from-literal=password=hunter2'], 'secret/creds');
    await created(['service', 'clusterip', 'api', '--tcp=80:8080'], 'service/api');
    await created(['service', 'nodeport', 'edge', '--tcp=443:8443'], 'service/edge');
    await created(['job', 'once', '--image=busybox', '--', 'echo', 'hi'], 'job.batch/once');
    await created(['cronjob', 'nightly', '--image=busybox', '--schedule=0 3 * * *', '--', 'date'], 'cronjob.batch/nightly');
    await created(['role', 'reader', '--verb=get', '--resource=pods'], 'role.rbac.authorization.k8s.io/reader');
    await created(['rolebinding', 'read', '--role=reader', '--user=jane'], 'rolebinding.rbac.authorization.k8s.io/read');
    await created(['serviceaccount', 'robot'], 'serviceaccount/robot');
    await created(['priorityclass', 'high', '--value=1000'], 'priorityclass.scheduling.k8s.io/high');

    const d = await c.getJSON(['deployment', 'web']);
    assert.equal(d.spec.replicas, 2);
    assert.deepEqual(d.spec.template.spec.containers[0].ports, [{ containerPort: 80, protocol: 'TCP' }]);
    assert.deepEqual((await c.getJSON(['configmap', 'lit'])).data, { a: '1', b: '2' });
    assert.deepEqual((await c.getJSON(['configmap', 'files'])).data, { 'app.properties': 'k=v\n' });
    assert.equal(Buffer.from((await c.getJSON(['secret', 'creds'])).data.password, 'base64').toString(), 'hunter2');
    const svc = await c.getJSON(['service', 'api']);
    assert.match(svc.spec.clusterIP, /^127\.96\.\d+\.\d+$/);
    const np = await c.getJSON(['service', 'edge']);
    assert.ok(np.spec.ports[0].nodePort >= 30000 && np.spec.ports[0].nodePort <= 32767);
    const job = await c.getJSON(['job', 'once']);
    assert.deepEqual(job.spec.template.spec.containers[0].command, ['echo', 'hi']);
    assert.equal(job.spec.selector.matchLabels['batch.kubernetes.io/controller-uid'], job.metadata.uid);
    assert.equal((await c.getJSON(['cronjob', 'nightly'])).spec.schedule, '0 3 * * *');
    assert.deepEqual((await c.getJSON(['rolebinding', 'read'])).roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' });
    assert.equal((await c.getJSON(['priorityclass', 'high'])).value, 1000);
    assert.equal((await c.getJSON(['namespace', 'old'])).status.phase, 'Active');

    const dup = await expectExit(['create', 'configmap', 'lit'], 1);
    assert.equal(dup.stderr, 'error: failed to create configmap: configmaps "lit" already exists\n');
  });

  it('apply -f validates through OpenAPI v2 and merges on the second apply', async () => {
    const f = join(c.dir, 'applied.yaml');
    writeFileSync(f, configMapYAML('applied', { a: '1', b: '1' }));
    assert.equal((await expectExit(['apply', '-f', f], 0)).stdout, 'configmap/applied created\n');
    assert.equal((await expectExit(['apply', '-f', f], 0)).stdout, 'configmap/applied unchanged\n');
    writeFileSync(f, configMapYAML('applied', { a: '2' }));
    assert.equal((await expectExit(['apply', '-f', f], 0)).stdout, 'configmap/applied configured\n');
    const cm = await c.getJSON(['configmap', 'applied']);
    assert.deepEqual(cm.data, { a: '2' });
    assert.deepEqual(JSON.parse(cm.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).data, { a: '2' });

    const dep = (image: string) =>
      YAML.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'applied' },
        spec: { selector: { matchLabels: { app: 'applied' } }, template: { metadata: { labels: { app: 'applied' } }, spec: { containers: [{ name: 'main', image }] } } },
      });
    const df = c.file('dep.yaml', dep('nginx:1.25'));
    assert.equal((await expectExit(['apply', '-f', df], 0)).stdout, 'deployment.apps/applied created\n');
    await c.ok(['set', 'env', 'deployment/applied', 'KEEP=1']);
    writeFileSync(df, dep('nginx:1.26'));
    assert.equal((await expectExit(['apply', '-f', df], 0)).stdout, 'deployment.apps/applied configured\n');
    const d = await c.getJSON(['deployment', 'applied']);
    assert.deepEqual(d.spec.template.spec.containers.map((x: any) => [x.name, x.image, x.env]), [['main', 'nginx:1.26', [{ name: 'KEEP', value: '1' }]]]);

    const bad = await expectExit(['apply', '-f', '-'], 1, { stdin: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: strict\nbogus: true\n' });
    assert.equal(bad.stderr, 'Error from server (BadRequest): error when creating "STDIN": ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "bogus"\n');
    assert.equal((await expectExit(['get', 'configmap', 'strict'], 1)).stderr, 'Error from server (NotFound): configmaps "strict" not found\n');
  });

  it('get: tables, -o wide / json / jsonpath, -A, -l, --field-selector, --chunk-size', async () => {
    for (let i = 1; i <= 3; i++) await c.ok(['create', '-f', '-'], { stdin: YAML.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `n${i}`, namespace: 'old', labels: { num: String(i) } }, data: { k: 'v' } }) });
    const t = parseTable(await c.ok(['get', 'deployments']));
    assert.deepEqual(t.header, ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    assert.deepEqual(t.rows.map((r) => [r.NAME, r.READY]), [['applied', '0/1'], ['web', '0/2']]);
    const w = parseTable(await c.ok(['get', 'deployment', 'web', '-o', 'wide']));
    assert.deepEqual([w.rows[0]!.IMAGES, w.rows[0]!.SELECTOR], ['nginx:1.25', 'app=web']);
    assert.equal((await c.getJSON(['configmaps', '-n', 'old'])).items.length, 3);
    assert.equal(await c.ok(['get', 'configmaps', '-n', 'old', '-o', 'jsonpath={.items[*].metadata.name}']), 'n1 n2 n3');
    const all = parseTable(await c.ok(['get', 'configmaps', '-A']));
    assert.equal(all.header[0], 'NAMESPACE');
    assert.ok(all.rows.some((r) => r.NAMESPACE === 'old' && r.NAME === 'n2'));
    assert.deepEqual(parseTable(await c.ok(['get', 'configmaps', '-n', 'old', '-l', 'num in (1,3)'])).rows.map((r) => r.NAME), ['n1', 'n3']);
    assert.deepEqual(parseTable(await c.ok(['get', 'configmaps', '-n', 'old', '--field-selector', 'metadata.name=n2'])).rows.map((r) => r.NAME), ['n2']);
    assert.deepEqual(parseTable(await c.ok(['get', 'configmaps', '-n', 'old', '--chunk-size=1'])).rows.map((r) => r.NAME), ['n1', 'n2', 'n3']);
    const svc = parseTable(await c.ok(['get', 'service', 'kubernetes']));
    assert.deepEqual({ ...svc.rows[0], AGE: '' }, { NAME: 'kubernetes', TYPE: 'ClusterIP', 'CLUSTER-IP': '127.96.0.1', 'EXTERNAL-IP': '<none>', 'PORT(S)': '443/TCP', AGE: '' });
  });

  it('get --watch prints a row for each change', async () => {
    const w = c.spawnKubectl(['get', 'configmaps', '-n', 'old', '--watch']);
    try {
      await w.waitFor((out) => /^n3\s+1\s+\d+s$/m.test(out));
      await c.ok(['create', 'configmap', 'n4', '-n', 'old', '--from-literal=a=1', '--from-literal=b=2']);
      await w.waitFor((out) => /^n4\s+2\s+\d+s$/m.test(out));
    } finally {
      await w.stop();
    }
  });

  it('describe shows the object and its events', async () => {
    const out = await c.ok(['describe', 'deployment', 'web']);
    assert.match(out, /^Name:\s+web$/m);
    assert.match(out, /^Replicas:\s+2 desired \| 0 updated \| 0 total \| 0 available \| 0 unavailable$/m);
    assert.match(out, /^\s+Port:\s+80\/TCP$/m);
    const uid = (await c.getJSON(['deployment', 'web'])).metadata.uid;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await c.ok(['create', '-f', '-'], {
      stdin: YAML.stringify({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'web.1' },
        involvedObject: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'web', uid },
        reason: 'ScalingReplicaSet',
        message: 'Scaled up replica set web-1 to 2',
        type: 'Normal',
        source: { component: 'deployment-controller' },
        count: 1,
        firstTimestamp: now,
        lastTimestamp: now,
      }),
    });
    assert.match(await c.ok(['describe', 'deployment', 'web']), /Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set web-1 to 2/);
    assert.equal((await expectExit(['describe', 'pod', 'nope'], 1)).stderr, 'Error from server (NotFound): pods "nope" not found\n');
  });

  it('patch --type strategic / merge / json, edit, scale and label', async () => {
    assert.equal((await expectExit(['patch', 'deployment', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox"}]}}}}'], 0)).stdout, 'deployment.apps/web patched\n');
    assert.deepEqual((await c.getJSON(['deployment', 'web'])).spec.template.spec.containers.map((x: any) => x.name), ['sidecar', 'nginx']);
    await c.ok(['patch', 'deployment', 'web', '--type=json', '-p', '[{"op":"remove","path":"/spec/template/spec/containers/0"}]']);
    assert.deepEqual((await c.getJSON(['deployment', 'web'])).spec.template.spec.containers.map((x: any) => x.name), ['nginx']);
    await c.ok(['patch', 'configmap', 'lit', '--type=merge', '-p', '{"data":{"b":null,"c":"3"}}']);
    assert.deepEqual((await c.getJSON(['configmap', 'lit'])).data, { a: '1', c: '3' });

    const editor = join(c.dir, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nsed -i \'s/a: "1"/a: "edited"/\' "$1"\n');
    chmodSync(editor, 0o755);
    assert.equal((await expectExit(['edit', 'configmap', 'lit'], 0, { env: { KUBE_EDITOR: editor } })).stdout, 'configmap/lit edited\n');
    assert.equal(await c.ok(['get', 'configmap', 'lit', '-o', 'jsonpath={.data.a}']), 'edited');

    assert.equal((await expectExit(['scale', 'deployment', 'web', '--replicas=5'], 0)).stdout, 'deployment.apps/web scaled\n');
    assert.equal(await c.ok(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}']), '5');
    assert.equal((await expectExit(['label', 'deployment', 'web', 'tier=front'], 0)).stdout, 'deployment.apps/web labeled\n');
    assert.equal((await c.getJSON(['deployment', 'web'])).metadata.labels.tier, 'front');
  });

  it('delete: plain, --cascade=orphan, and --grace-period on a pod bound to a node', async () => {
    assert.equal((await expectExit(['delete', 'configmap', 'lit'], 0)).stdout, 'configmap "lit" deleted\n');
    assert.equal((await expectExit(['get', 'configmap', 'lit'], 1)).stderr, 'Error from server (NotFound): configmaps "lit" not found\n');
    await c.ok(['delete', 'deployment', 'applied', '--cascade=orphan', '--wait=false']);
    assert.deepEqual((await c.getJSON(['deployment', 'applied'])).metadata.finalizers, ['orphan']);

    await c.ok(['create', '-f', '-'], { stdin: YAML.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bound' }, spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'busybox' }] } }) });
    assert.equal((await expectExit(['delete', 'pod', 'bound', '--grace-period=20', '--wait=false'], 0)).stdout, 'pod "bound" deleted\n');
    assert.equal((await c.getJSON(['pod', 'bound'])).metadata.deletionGracePeriodSeconds, 20);
    assert.equal((await expectExit(['delete', 'pod', 'bound', '--grace-period=0', '--force'], 0)).stdout, 'pod "bound" force deleted\n');
    assert.equal((await expectExit(['get', 'pod', 'bound'], 1)).stderr, 'Error from server (NotFound): pods "bound" not found\n');
  });

  it('explain, diff and auth can-i', async () => {
    const ex = await c.ok(['explain', 'pods.spec.containers']);
    assert.match(ex, /^KIND:\s+Pod\nVERSION:\s+v1\n\nFIELD: containers <\[\]Container>\n/);
    assert.match(ex, /List of containers belonging to the pod\./);

    const f = c.file('diff.yaml', configMapYAML('applied', { a: '2' }));
    assert.equal((await expectExit(['diff', '-f', f], 0)).stdout, '');
    writeFileSync(f, configMapYAML('applied', { a: '9' }));
    const changed = await expectExit(['diff', '-f', f], 1);
    assert.match(changed.stdout, /^-  a: "2"$/m);
    assert.match(changed.stdout, /^\+  a: "9"$/m);
    assert.equal(await c.ok(['get', 'configmap', 'applied', '-o', 'jsonpath={.data.a}']), '2');

    assert.equal((await expectExit(['auth', 'can-i', 'create', 'pods'], 0)).stdout, 'yes\n');
  });
});
