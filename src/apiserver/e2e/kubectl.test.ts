// The real kubectl 1.32 (the dispatcher on the PATH, which picks 1.32 from the server's /version)
// against a freshly started API server on sqlite: every command of the wire contract that needs
// no running node, checked by exit code, the text a user sees, and the object stored.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { TestCluster, parseTable, parseTables, type RunResult } from './harness.ts';

let c: TestCluster;

before(async () => {
  c = await TestCluster.start();
});
after(async () => {
  await c?.stop();
});

/** Asserts a kubectl run exited with `code` and returns its stdout. */
async function expectExit(args: string[], code: number, opts: Parameters<TestCluster['kubectl']>[1] = {}): Promise<RunResult> {
  const r = await c.kubectl(args, opts);
  assert.equal(r.code, code, `kubectl ${args.join(' ')} exited ${r.code}, expected ${code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

const configMapYAML = (name: string, data: Record<string, string>, labels: Record<string, string> = {}) =>
  YAML.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(Object.keys(labels).length ? { labels } : {}) }, data });

describe('kubectl 1.32: version and discovery', () => {
  it('version reports the server version', async () => {
    const out = await c.ok(['version']);
    assert.match(out, /^Server Version: v1\.32\.4$/m);
    const v = JSON.parse(await c.ok(['version', '-o', 'json']));
    assert.equal(v.serverVersion.major, '1');
    assert.equal(v.serverVersion.minor, '32');
    assert.equal(v.serverVersion.gitVersion, 'v1.32.4');
  });

  it('api-resources lists the built-in resources with short names, versions and kinds', async () => {
    const t = parseTable(await c.ok(['api-resources']));
    assert.deepEqual(t.header, ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
    const row = (name: string, version: string) => t.rows.find((r) => r.NAME === name && r.APIVERSION === version);
    assert.deepEqual(row('deployments', 'apps/v1'), { NAME: 'deployments', SHORTNAMES: 'deploy', APIVERSION: 'apps/v1', NAMESPACED: 'true', KIND: 'Deployment' });
    assert.deepEqual(row('pods', 'v1'), { NAME: 'pods', SHORTNAMES: 'po', APIVERSION: 'v1', NAMESPACED: 'true', KIND: 'Pod' });
    assert.deepEqual(row('nodes', 'v1'), { NAME: 'nodes', SHORTNAMES: 'no', APIVERSION: 'v1', NAMESPACED: 'false', KIND: 'Node' });
    const apps = (await c.ok(['api-resources', '--api-group=apps', '-o', 'name'])).trim().split('\n');
    assert.deepEqual(apps.sort(), ['controllerrevisions.apps', 'daemonsets.apps', 'deployments.apps', 'replicasets.apps', 'statefulsets.apps']);
    const cluster = parseTable(await c.ok(['api-resources', '--namespaced=false']));
    assert.ok(cluster.rows.some((r) => r.NAME === 'namespaces'));
    assert.ok(!cluster.rows.some((r) => r.NAME === 'pods'));
  });
});

describe('kubectl 1.32: create', () => {
  it('create namespace / deployment / serviceaccount print what they created and store it', async () => {
    assert.equal((await expectExit(['create', 'namespace', 'team-a'], 0)).stdout, 'namespace/team-a created\n');
    const ns = await c.getJSON(['namespace', 'team-a']);
    assert.equal(ns.status.phase, 'Active');
    assert.deepEqual(ns.spec.finalizers, ['kubernetes']);

    assert.equal((await expectExit(['create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=2', '-n', 'team-a'], 0)).stdout, 'deployment.apps/web created\n');
    const d = await c.getJSON(['deployment', 'web', '-n', 'team-a']);
    assert.equal(d.spec.replicas, 2);
    assert.deepEqual(d.spec.selector, { matchLabels: { app: 'web' } });
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.25');
    assert.equal(d.spec.template.spec.containers[0].name, 'nginx');
    // Server-side defaults are visible.
    assert.equal(d.spec.strategy.type, 'RollingUpdate');
    assert.equal(d.spec.revisionHistoryLimit, 10);
    assert.equal(d.metadata.generation, 1);

    assert.equal((await expectExit(['create', 'serviceaccount', 'robot'], 0)).stdout, 'serviceaccount/robot created\n');
    assert.equal((await c.getJSON(['serviceaccount', 'robot'])).metadata.name, 'robot');

    const dup = await expectExit(['create', 'namespace', 'team-a'], 1);
    assert.equal(dup.stderr, 'Error from server (AlreadyExists): namespaces "team-a" already exists\n');
  });

  it('create configmap --from-literal and --from-file', async () => {
    assert.equal((await expectExit(['create', 'configmap', 'lit', '--from-literal=a=1', '--from-literal=b=two words'], 0)).stdout, 'configmap/lit created\n');
    assert.deepEqual((await c.getJSON(['configmap', 'lit'])).data, { a: '1', b: 'two words' });
    const f = c.file('settings.conf', 'x=1\ny=2\n');
    assert.equal((await expectExit(['create', 'configmap', 'fromfile', `--from-file=${f}`, `--from-file=renamed=${f}`], 0)).stdout, 'configmap/fromfile created\n');
    assert.deepEqual((await c.getJSON(['configmap', 'fromfile'])).data, { 'settings.conf': 'x=1\ny=2\n', renamed: 'x=1\ny=2\n' });
  });

  it('create secret generic stores base64 data of type Opaque', async () => {
    assert.equal((await expectExit(['create', 'secret', 'generic', 'creds', '--from-literal=user=admin', '--from-literal=password=s3cr3t!'], 0)).stdout, 'secret/creds created\n');
    const s = await c.getJSON(['secret', 'creds']);
    assert.equal(s.type, 'Opaque');
    assert.equal(Buffer.from(s.data.user, 'base64').toString(), 'admin');
    assert.equal(Buffer.from(s.data.password, 'base64').toString(), 's3cr3t!');
    assert.equal(await c.ok(['get', 'secret', 'creds', '-o', 'jsonpath={.data.user}']), Buffer.from('admin').toString('base64'));
  });

  it('create service clusterip / nodeport allocate an address and a node port', async () => {
    assert.equal((await expectExit(['create', 'service', 'clusterip', 'api', '--tcp=80:8080'], 0)).stdout, 'service/api created\n');
    const svc = await c.getJSON(['service', 'api']);
    assert.equal(svc.spec.type, 'ClusterIP');
    assert.match(svc.spec.clusterIP, /^127\.96\.\d+\.\d+$/);
    assert.deepEqual(svc.spec.ports, [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }]);
    assert.deepEqual(svc.spec.selector, { app: 'api' });

    assert.equal((await expectExit(['create', 'service', 'nodeport', 'edge', '--tcp=443:8443', '--node-port=30443'], 0)).stdout, 'service/edge created\n');
    const np = await c.getJSON(['service', 'edge']);
    assert.equal(np.spec.type, 'NodePort');
    assert.equal(np.spec.ports[0].nodePort, 30443);
    assert.equal(np.spec.externalTrafficPolicy, 'Cluster');

    const t = parseTable(await c.ok(['get', 'services', 'api', 'edge']));
    assert.deepEqual(t.header, ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    assert.deepEqual(
      t.rows.map((r) => [r.NAME, r.TYPE, r['CLUSTER-IP'], r['EXTERNAL-IP'], r['PORT(S)']]),
      [
        ['api', 'ClusterIP', svc.spec.clusterIP, '<none>', '80/TCP'],
        ['edge', 'NodePort', np.spec.clusterIP, '<none>', '443:30443/TCP'],
      ],
    );

    const taken = await expectExit(['create', 'service', 'nodeport', 'edge2', '--tcp=443:8443', '--node-port=30443'], 1);
    assert.equal(taken.stderr, 'error: failed to create NodePort service: Service "edge2" is invalid: spec.ports[0].nodePort: Invalid value: 30443: provided port is already allocated\n');
  });

  it('create job and cronjob', async () => {
    assert.equal((await expectExit(['create', 'job', 'once', '--image=busybox', '--', 'echo', 'hi'], 0)).stdout, 'job.batch/once created\n');
    const job = await c.getJSON(['job', 'once']);
    assert.deepEqual(job.spec.template.spec.containers[0].command, ['echo', 'hi']);
    assert.equal(job.spec.template.spec.restartPolicy, 'Never');
    assert.equal(job.spec.backoffLimit, 6);
    // The job's selector and the template's labels are generated by the server.
    assert.equal(job.spec.selector.matchLabels['batch.kubernetes.io/controller-uid'], job.metadata.uid);
    assert.equal(job.spec.template.metadata.labels['job-name'], 'once');

    assert.equal((await expectExit(['create', 'cronjob', 'nightly', '--image=busybox', '--schedule=0 3 * * *', '--', 'date'], 0)).stdout, 'cronjob.batch/nightly created\n');
    const cj = await c.getJSON(['cronjob', 'nightly']);
    assert.equal(cj.spec.schedule, '0 3 * * *');
    assert.equal(cj.spec.concurrencyPolicy, 'Allow');
    const t = parseTable(await c.ok(['get', 'cronjob', 'nightly']));
    assert.deepEqual(t.header, ['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE']);
    assert.deepEqual({ ...t.rows[0], AGE: '' }, { NAME: 'nightly', SCHEDULE: '0 3 * * *', TIMEZONE: '<none>', SUSPEND: 'False', ACTIVE: '0', 'LAST SCHEDULE': '<none>', AGE: '' });
  });

  it('create role, rolebinding and priorityclass', async () => {
    assert.equal((await expectExit(['create', 'role', 'pod-reader', '--verb=get,list,watch', '--resource=pods,deployments.apps'], 0)).stdout, 'role.rbac.authorization.k8s.io/pod-reader created\n');
    const role = await c.getJSON(['role', 'pod-reader']);
    assert.deepEqual(role.rules, [
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch'] },
    ]);
    assert.equal((await expectExit(['create', 'rolebinding', 'read-pods', '--role=pod-reader', '--user=jane', '--serviceaccount=default:robot'], 0)).stdout, 'rolebinding.rbac.authorization.k8s.io/read-pods created\n');
    const rb = await c.getJSON(['rolebinding', 'read-pods']);
    assert.deepEqual(rb.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' });
    assert.deepEqual(rb.subjects, [
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'jane' },
      { kind: 'ServiceAccount', name: 'robot', namespace: 'default' },
    ]);
    assert.equal((await expectExit(['create', 'priorityclass', 'high', '--value=1000', '--description=important'], 0)).stdout, 'priorityclass.scheduling.k8s.io/high created\n');
    const pc = await c.getJSON(['priorityclass', 'high']);
    assert.equal(pc.value, 1000);
    assert.equal(pc.description, 'important');
    assert.equal(pc.preemptionPolicy, 'PreemptLowerPriority');
    const t = parseTable(await c.ok(['get', 'priorityclasses']));
    assert.deepEqual(t.header, ['NAME', 'VALUE', 'GLOBAL-DEFAULT', 'AGE', 'PREEMPTIONPOLICY']);
    assert.deepEqual(
      t.rows.map((r) => r.NAME).sort(),
      ['high', 'system-cluster-critical', 'system-node-critical'],
    );
  });

  it('create -f creates every object of a multi-document file and refuses duplicates', async () => {
    const f = c.file(
      'multi.yaml',
      [
        configMapYAML('multi-a', { k: 'a' }),
        '---\n',
        YAML.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'multi-pod', labels: { app: 'multi' } }, spec: { containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 80 }] }] } }),
      ].join(''),
    );
    const r = await expectExit(['create', '-f', f], 0);
    assert.equal(r.stdout, 'configmap/multi-a created\npod/multi-pod created\n');
    const pod = await c.getJSON(['pod', 'multi-pod']);
    assert.equal(pod.status.phase, 'Pending');
    assert.equal(pod.spec.containers[0].ports[0].protocol, 'TCP');
    assert.equal(pod.spec.restartPolicy, 'Always');
    const again = await expectExit(['create', '-f', f], 1);
    assert.match(again.stderr, /Error from server \(AlreadyExists\): error when creating ".*multi\.yaml": configmaps "multi-a" already exists/);
    assert.match(again.stderr, /Error from server \(AlreadyExists\): error when creating ".*multi\.yaml": pods "multi-pod" already exists/);

    const bad = await expectExit(['create', '-f', '-'], 1, { stdin: YAML.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } }) });
    assert.match(bad.stderr, /The ConfigMap "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
  });
});

describe('kubectl 1.32: get', () => {
  before(async () => {
    await c.ok(['create', 'namespace', 'lists']);
    for (let i = 1; i <= 5; i++) {
      await c.ok(['create', '-f', '-', '-n', 'lists'], { stdin: configMapYAML(`cm-${i}`, Object.fromEntries(Array.from({ length: i }, (_, j) => [`k${j}`, 'v'])), { tier: i % 2 ? 'odd' : 'even' }) });
    }
  });

  it('prints the server-side table, and -o wide adds the priority columns', async () => {
    const t = parseTable(await c.ok(['get', 'configmaps', '-n', 'lists']));
    assert.deepEqual(t.header, ['NAME', 'DATA', 'AGE']);
    assert.deepEqual(t.rows.map((r) => [r.NAME, r.DATA]), [['cm-1', '1'], ['cm-2', '2'], ['cm-3', '3'], ['cm-4', '4'], ['cm-5', '5']]);
    assert.ok(t.rows.every((r) => /^\d+s$/.test(r.AGE!)));

    const d = parseTable(await c.ok(['get', 'deployments', '-n', 'team-a']));
    assert.deepEqual(d.header, ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    assert.deepEqual({ ...d.rows[0], AGE: '' }, { NAME: 'web', READY: '0/2', 'UP-TO-DATE': '0', AVAILABLE: '0', AGE: '' });
    const w = parseTable(await c.ok(['get', 'deployments', '-n', 'team-a', '-o', 'wide']));
    assert.deepEqual(w.header, ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    assert.deepEqual([w.rows[0]!.CONTAINERS, w.rows[0]!.IMAGES, w.rows[0]!.SELECTOR], ['nginx', 'nginx:1.25', 'app=web']);

    const none = await expectExit(['get', 'pods', '-n', 'team-a'], 0);
    assert.equal(none.stdout, '');
    assert.equal(none.stderr, 'No resources found in team-a namespace.\n');
    const missing = await expectExit(['get', 'configmap', 'nope'], 1);
    assert.equal(missing.stderr, 'Error from server (NotFound): configmaps "nope" not found\n');
  });

  it('-o yaml / json / jsonpath / custom-columns / name', async () => {
    const y = YAML.parse(await c.ok(['get', 'configmap', 'cm-2', '-n', 'lists', '-o', 'yaml']));
    assert.equal(y.kind, 'ConfigMap');
    assert.equal(y.apiVersion, 'v1');
    assert.deepEqual(y.data, { k0: 'v', k1: 'v' });
    assert.match(y.metadata.resourceVersion, /^\d+$/);
    assert.match(y.metadata.uid, /^[0-9a-f-]{36}$/);

    const list = await c.getJSON(['configmaps', '-n', 'lists']);
    assert.equal(list.kind, 'List');
    assert.deepEqual(list.items.map((i: any) => i.metadata.name), ['cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-5']);
    assert.ok(list.items.every((i: any) => i.kind === 'ConfigMap' && i.apiVersion === 'v1'));

    assert.equal(await c.ok(['get', 'configmaps', '-n', 'lists', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.metadata.labels.tier}{"\\n"}{end}']), 'cm-1=odd\ncm-2=even\ncm-3=odd\ncm-4=even\ncm-5=odd\n');
    assert.equal(await c.ok(['get', 'configmap', 'cm-3', '-n', 'lists', '-o', 'jsonpath={.data.k2}']), 'v');

    const cc = parseTable(await c.ok(['get', 'configmaps', '-n', 'lists', '-o', 'custom-columns=NAME:.metadata.name,TIER:.metadata.labels.tier,NS:.metadata.namespace']));
    assert.deepEqual(cc.header, ['NAME', 'TIER', 'NS']);
    assert.deepEqual(cc.rows[1], { NAME: 'cm-2', TIER: 'even', NS: 'lists' });

    assert.equal(await c.ok(['get', 'configmaps', '-n', 'lists', '-o', 'name']), 'configmap/cm-1\nconfigmap/cm-2\nconfigmap/cm-3\nconfigmap/cm-4\nconfigmap/cm-5\n');
  });

  it('-A adds the NAMESPACE column; -l and --field-selector filter on the server', async () => {
    const all = parseTable(await c.ok(['get', 'services', '-A']));
    assert.deepEqual(all.header, ['NAMESPACE', 'NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    assert.deepEqual({ ...all.rows.find((r) => r.NAME === 'kubernetes'), AGE: '' }, { NAMESPACE: 'default', NAME: 'kubernetes', TYPE: 'ClusterIP', 'CLUSTER-IP': '127.96.0.1', 'EXTERNAL-IP': '<none>', 'PORT(S)': '443/TCP', AGE: '' });
    const namespaces = parseTable(await c.ok(['get', 'configmaps', '-A'])).rows.map((r) => r.NAMESPACE);
    assert.ok(namespaces.includes('lists') && namespaces.includes('default'));

    const odd = parseTable(await c.ok(['get', 'configmaps', '-n', 'lists', '-l', 'tier=odd']));
    assert.deepEqual(odd.rows.map((r) => r.NAME), ['cm-1', 'cm-3', 'cm-5']);
    const notOdd = parseTable(await c.ok(['get', 'configmaps', '-n', 'lists', '-l', 'tier!=odd,tier']));
    assert.deepEqual(notOdd.rows.map((r) => r.NAME), ['cm-2', 'cm-4']);
    const withLabels = parseTable(await c.ok(['get', 'configmaps', '-n', 'lists', '-l', 'tier in (even)', '--show-labels']));
    assert.deepEqual(withLabels.rows.map((r) => [r.NAME, r.LABELS]), [['cm-2', 'tier=even'], ['cm-4', 'tier=even']]);

    const byName = parseTable(await c.ok(['get', 'configmaps', '-n', 'lists', '--field-selector', 'metadata.name=cm-4']));
    assert.deepEqual(byName.rows.map((r) => r.NAME), ['cm-4']);
    const notName = parseTable(await c.ok(['get', 'configmaps', '-A', '--field-selector', 'metadata.namespace=lists,metadata.name!=cm-1']));
    assert.deepEqual(notName.rows.map((r) => r.NAME), ['cm-2', 'cm-3', 'cm-4', 'cm-5']);
    const secrets = parseTable(await c.ok(['get', 'secrets', '--field-selector', 'type=Opaque']));
    assert.deepEqual(secrets.rows.map((r) => [r.NAME, r.TYPE]), [['creds', 'Opaque']]);
    const badField = await expectExit(['get', 'configmaps', '--field-selector', 'data.k0=v'], 1);
    assert.equal(badField.stderr, 'Error from server (BadRequest): Unable to find "/v1, Resource=configmaps" that match label selector "", field selector "data.k0=v": field label not supported: data.k0\n');
  });

  it('--chunk-size pages through the list with continue tokens', async () => {
    for (const size of ['1', '2', '3']) {
      const t = parseTable(await c.ok(['get', 'configmaps', '-n', 'lists', `--chunk-size=${size}`]));
      assert.deepEqual(t.rows.map((r) => r.NAME), ['cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-5'], `chunk size ${size}`);
      const names = await c.ok(['get', 'configmaps', '-n', 'lists', `--chunk-size=${size}`, '-o', 'name']);
      assert.equal(names.trim().split('\n').length, 5);
    }
    // kubectl follows the server's continue tokens: one request per page.
    const logged = await c.kubectl(['get', 'configmaps', '-n', 'lists', '--chunk-size=2', '-v=6']);
    assert.equal(logged.code, 0);
    const gets = logged.stderr.split('\n').filter((l) => /GET http:\/\/[^ ]+\/api\/v1\/namespaces\/lists\/configmaps\?/.test(l));
    assert.equal(gets.length, 3, gets.join('\n'));
    assert.match(gets[0]!, /[?&]limit=2(&|\s)/);
    assert.ok(gets.slice(1).every((l) => /[?&]continue=/.test(l)));
  });

  it('get all prints one table per resource of the "all" category', async () => {
    const tables = parseTables(await c.ok(['get', 'all', '-n', 'team-a']));
    assert.deepEqual(tables.map((t) => t.rows.map((r) => r.NAME)), [['deployment.apps/web']]);
    const def = parseTables(await c.ok(['get', 'all']));
    const names = def.flatMap((t) => t.rows.map((r) => r.NAME));
    for (const n of ['pod/multi-pod', 'service/kubernetes', 'service/api', 'job.batch/once', 'cronjob.batch/nightly']) assert.ok(names.includes(n), `${n} in ${names}`);
  });

  it('--watch prints the list, then a row for every change', async () => {
    await c.ok(['create', 'namespace', 'watched']);
    await c.ok(['create', 'configmap', 'first', '-n', 'watched', '--from-literal=a=1']);
    const w = c.spawnKubectl(['get', 'configmaps', '-n', 'watched', '--watch']);
    try {
      await w.waitFor((out) => /^first\s+1\s+\d+s$/m.test(out));
      assert.match(w.lines[0]!, /^NAME\s+DATA\s+AGE$/);
      await c.ok(['create', 'configmap', 'second', '-n', 'watched', '--from-literal=a=1', '--from-literal=b=2']);
      await w.waitFor((out) => /^second\s+2\s+\d+s$/m.test(out));
      await c.ok(['patch', 'configmap', 'first', '-n', 'watched', '--type=merge', '-p', '{"data":{"b":"2","c":"3"}}']);
      await w.waitFor((out) => /^first\s+3\s+\d+s$/m.test(out));
      await c.ok(['delete', 'configmap', 'second', '-n', 'watched']);
      await w.waitFor((out) => out.split('\n').filter((l) => l.startsWith('second ')).length === 2);
    } finally {
      await w.stop();
    }
    assert.equal(w.stderr, '');

    const events = c.spawnKubectl(['get', 'configmaps', '-n', 'watched', '--watch-only', '--output-watch-events']);
    try {
      // The watch starts at some point after the spawn: change until a change shows.
      let n = 0;
      await waitUntil(async () => {
        await c.ok(['label', 'configmap', 'first', '-n', 'watched', `step=${++n}`, '--overwrite']);
        return /^MODIFIED\s+first\s+3\s+\d+s$/m.test(events.stdout);
      });
      assert.match(events.lines[0]!, /^EVENT\s+NAME\s+DATA\s+AGE$/);
    } finally {
      await events.stop();
    }
  });
});

/** Polls `check` until it returns true, with a deadline. */
async function waitUntil(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('kubectl 1.32: describe', () => {
  it('describes a deployment, a configmap and a pod', async () => {
    const d = await c.ok(['describe', 'deployment', 'web', '-n', 'team-a']);
    assert.match(d, /^Name:\s+web$/m);
    assert.match(d, /^Namespace:\s+team-a$/m);
    assert.match(d, /^Selector:\s+app=web$/m);
    assert.match(d, /^Replicas:\s+2 desired \| 0 updated \| 0 total \| 0 available \| 0 unavailable$/m);
    assert.match(d, /^StrategyType:\s+RollingUpdate$/m);
    assert.match(d, /^RollingUpdateStrategy:\s+25% max unavailable, 25% max surge$/m);
    assert.match(d, /^\s+Image:\s+nginx:1\.25$/m);
    assert.match(d, /^Events:\s+<none>$/m);

    const cm = await c.ok(['describe', 'configmap', 'lit']);
    assert.match(cm, /^Name:\s+lit\nNamespace:\s+default\nLabels:\s+<none>\nAnnotations:\s+<none>\n\nData\n====\n/m);
    // kubectl prints the keys in Go map order, which varies from run to run.
    assert.match(cm, /^a:\n----\n1\n/m);
    assert.match(cm, /^b:\n----\ntwo words\n/m);

    const pod = await c.ok(['describe', 'pod', 'multi-pod']);
    assert.match(pod, /^Status:\s+Pending$/m);
    assert.match(pod, /^\s+Port:\s+80\/TCP$/m);
    assert.match(pod, /^QoS Class:\s+BestEffort$/m);

    const missing = await expectExit(['describe', 'deployment', 'nope'], 1);
    assert.equal(missing.stderr, 'Error from server (NotFound): deployments.apps "nope" not found\n');
  });

  it('describe shows the events of the object (field selector on involvedObject)', async () => {
    const pod = await c.getJSON(['pod', 'multi-pod']);
    const event = (name: string, uid: string, reason: string) =>
      YAML.stringify({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name },
        involvedObject: { kind: 'Pod', namespace: 'default', name: 'multi-pod', uid },
        reason,
        message: `${reason} happened`,
        type: 'Normal',
        source: { component: 'e2e' },
        count: 1,
        firstTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        lastTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      });
    await c.ok(['create', '-f', '-'], { stdin: event('multi-pod.1', pod.metadata.uid, 'Scheduled') });
    await c.ok(['create', '-f', '-'], { stdin: event('multi-pod.2', 'another-uid', 'Ignored') });
    const out = await c.ok(['describe', 'pod', 'multi-pod']);
    const events = out.slice(out.indexOf('Events:'));
    assert.match(events, /Type\s+Reason\s+Age\s+From\s+Message/);
    assert.match(events, /Normal\s+Scheduled\s+\S+\s+e2e\s+Scheduled happened/);
    assert.doesNotMatch(events, /Ignored/);
  });
});

describe('kubectl 1.32: apply, edit, patch, replace', () => {
  it('apply -f creates, reports unchanged, then configures with a three-way merge', async () => {
    const f = join(c.dir, 'app.yaml');
    writeFileSync(f, configMapYAML('app', { a: '1', b: '1' }, { tier: 'web' }));
    assert.equal((await expectExit(['apply', '-f', f], 0)).stdout, 'configmap/app created\n');
    const created = await c.getJSON(['configmap', 'app']);
    const last = JSON.parse(created.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
    assert.deepEqual(last.data, { a: '1', b: '1' });
    assert.equal((await expectExit(['apply', '-f', f], 0)).stdout, 'configmap/app unchanged\n');

    // A field someone else added survives; a field removed from the file is removed.
    await c.ok(['patch', 'configmap', 'app', '--type=merge', '-p', '{"data":{"other":"kept"}}']);
    writeFileSync(f, configMapYAML('app', { a: '2' }, { tier: 'web' }));
    assert.equal((await expectExit(['apply', '-f', f], 0)).stdout, 'configmap/app configured\n');
    const after = await c.getJSON(['configmap', 'app']);
    assert.deepEqual(after.data, { a: '2', other: 'kept' });
    assert.deepEqual(JSON.parse(after.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).data, { a: '2' });
    assert.notEqual(after.metadata.resourceVersion, created.metadata.resourceVersion);
  });

  it('apply -f on a deployment merges containers by name (strategic merge patch)', async () => {
    const dep = (image: string, replicas: number) =>
      YAML.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'applied' },
        spec: { replicas, selector: { matchLabels: { app: 'applied' } }, template: { metadata: { labels: { app: 'applied' } }, spec: { containers: [{ name: 'main', image, ports: [{ containerPort: 8080 }] }] } } },
      });
    const f = c.file('applied.yaml', dep('nginx:1.25', 1));
    assert.equal((await expectExit(['apply', '-f', f], 0)).stdout, 'deployment.apps/applied created\n');
    await c.ok(['set', 'env', 'deployment/applied', 'FROM_ELSEWHERE=1']);
    writeFileSync(f, dep('nginx:1.26', 3));
    assert.equal((await expectExit(['apply', '-f', f], 0)).stdout, 'deployment.apps/applied configured\n');
    const d = await c.getJSON(['deployment', 'applied']);
    assert.equal(d.spec.replicas, 3);
    assert.equal(d.spec.template.spec.containers.length, 1);
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.26');
    assert.deepEqual(d.spec.template.spec.containers[0].env, [{ name: 'FROM_ELSEWHERE', value: '1' }]);
    assert.equal(d.metadata.generation, 3);
  });

  it('apply -f with an unknown field fails strict validation', async () => {
    const r = await expectExit(['apply', '-f', '-'], 1, { stdin: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: strict\ndata:\n  a: "1"\nbogus: true\n' });
    assert.match(r.stderr, /Error from server \(BadRequest\): error when creating "STDIN": ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "bogus"/);
    assert.equal((await expectExit(['get', 'configmap', 'strict'], 1)).stderr, 'Error from server (NotFound): configmaps "strict" not found\n');
  });

  it('edit saves what the editor wrote', async () => {
    const editor = join(c.dir, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nsed -i \'s/a: "2"/a: "edited"/\' "$1"\n');
    chmodSync(editor, 0o755);
    const r = await expectExit(['edit', 'configmap', 'app'], 0, { env: { KUBE_EDITOR: editor } });
    assert.equal(r.stdout, 'configmap/app edited\n');
    assert.equal(await c.ok(['get', 'configmap', 'app', '-o', 'jsonpath={.data.a}']), 'edited');
    const same = await expectExit(['edit', 'configmap', 'app'], 0, { env: { KUBE_EDITOR: 'true' } });
    assert.equal(same.stderr, 'Edit cancelled, no changes made.\n');
    const inline = await expectExit(['edit', 'configmap', 'app'], 0, { env: { KUBE_EDITOR: `sed -i 's/a: edited/a: "3"/'` } });
    assert.equal(inline.stdout, 'configmap/app edited\n');
    assert.equal(await c.ok(['get', 'configmap', 'app', '-o', 'jsonpath={.data.a}']), '3');
  });

  it('patch --type json / merge / strategic', async () => {
    await c.ok(['create', 'configmap', 'patched', '--from-literal=a=1', '--from-literal=b=2']);
    assert.equal((await expectExit(['patch', 'configmap', 'patched', '--type=merge', '-p', '{"data":{"a":"10","b":null}}'], 0)).stdout, 'configmap/patched patched\n');
    assert.deepEqual((await c.getJSON(['configmap', 'patched'])).data, { a: '10' });
    assert.equal((await expectExit(['patch', 'configmap', 'patched', '--type=json', '-p', '[{"op":"add","path":"/data/c","value":"3"},{"op":"replace","path":"/data/a","value":"11"}]'], 0)).stdout, 'configmap/patched patched\n');
    assert.deepEqual((await c.getJSON(['configmap', 'patched'])).data, { a: '11', c: '3' });
    const noop = await expectExit(['patch', 'configmap', 'patched', '--type=merge', '-p', '{"data":{"a":"11"}}'], 0);
    assert.equal(noop.stdout, 'configmap/patched patched (no change)\n');
    const failedTest = await expectExit(['patch', 'configmap', 'patched', '--type=json', '-p', '[{"op":"test","path":"/data/a","value":"nope"}]'], 1);
    assert.equal(failedTest.stderr, 'The request is invalid: the server rejected our request due to an error in our request\n');
    assert.deepEqual((await c.getJSON(['configmap', 'patched'])).data, { a: '11', c: '3' });

    // Strategic merge: containers merge by name instead of replacing the list.
    assert.equal(
      (await expectExit(['patch', 'deployment', 'web', '-n', 'team-a', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox"}]}}}}'], 0)).stdout,
      'deployment.apps/web patched\n',
    );
    let d = await c.getJSON(['deployment', 'web', '-n', 'team-a']);
    assert.deepEqual(d.spec.template.spec.containers.map((x: any) => [x.name, x.image]), [['sidecar', 'busybox'], ['nginx', 'nginx:1.25']]);
    await c.ok(['patch', 'deployment', 'web', '-n', 'team-a', '--type=strategic', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}}}']);
    d = await c.getJSON(['deployment', 'web', '-n', 'team-a']);
    assert.deepEqual(d.spec.template.spec.containers.map((x: any) => x.name), ['nginx']);
    // A merge patch replaces the list.
    await c.ok(['patch', 'deployment', 'web', '-n', 'team-a', '--type=merge', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"only","image":"busybox"}]}}}}']);
    d = await c.getJSON(['deployment', 'web', '-n', 'team-a']);
    assert.deepEqual(d.spec.template.spec.containers.map((x: any) => x.name), ['only']);
    assert.equal(d.spec.template.spec.containers[0].imagePullPolicy, 'Always');
    await c.ok(['patch', 'deployment', 'web', '-n', 'team-a', '--type=json', '-p', '[{"op":"replace","path":"/spec/template/spec/containers/0","value":{"name":"nginx","image":"nginx:1.25"}}]']);

    const invalid = await expectExit(['patch', 'deployment', 'web', '-n', 'team-a', '--type=merge', '-p', '{"spec":{"replicas":-1}}'], 1);
    assert.equal(invalid.stderr, 'The Deployment "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0\n');
  });

  it('replace -f writes the whole object, with a conflict on a stale resourceVersion', async () => {
    const cur = await c.getJSON(['configmap', 'patched']);
    const stale = structuredClone(cur);
    cur.data = { replaced: 'yes' };
    const f = c.file('replace.json', JSON.stringify(cur));
    assert.equal((await expectExit(['replace', '-f', f], 0)).stdout, 'configmap/patched replaced\n');
    assert.deepEqual((await c.getJSON(['configmap', 'patched'])).data, { replaced: 'yes' });
    stale.data = { stale: 'yes' };
    const conflict = await expectExit(['replace', '-f', c.file('stale.json', JSON.stringify(stale))], 1);
    assert.match(conflict.stderr, /Error from server \(Conflict\): error when replacing ".*stale\.json": Operation cannot be fulfilled on configmaps "patched": the object has been modified; please apply your changes to the latest version and try again/);
    // Without a resourceVersion, replace is unconditional.
    delete stale.metadata.resourceVersion;
    assert.equal((await expectExit(['replace', '-f', c.file('uncond.json', JSON.stringify(stale))], 0)).stdout, 'configmap/patched replaced\n');
    assert.deepEqual((await c.getJSON(['configmap', 'patched'])).data, { stale: 'yes' });
  });

  it('diff exits 0 without differences and 1 with them, changing nothing', async () => {
    const f = c.file('diff.yaml', configMapYAML('app', { a: '3', other: 'kept' }, { tier: 'web' }));
    const same = await expectExit(['diff', '-f', f], 0);
    assert.equal(same.stdout, '');
    writeFileSync(f, configMapYAML('app', { a: '4', other: 'kept' }, { tier: 'web' }));
    const changed = await expectExit(['diff', '-f', f], 1);
    assert.match(changed.stdout, /^-  a: "3"$/m);
    assert.match(changed.stdout, /^\+  a: "4"$/m);
    assert.equal(await c.ok(['get', 'configmap', 'app', '-o', 'jsonpath={.data.a}']), '3');
    const fresh = await expectExit(['diff', '-f', c.file('diff-new.yaml', configMapYAML('not-there', { x: '1' }))], 1);
    assert.match(fresh.stdout, /^\+  name: not-there$/m);
    assert.equal((await expectExit(['get', 'configmap', 'not-there'], 1)).code, 1);
  });
});

describe('kubectl 1.32: label, annotate, scale, set image, rollout', () => {
  it('label and annotate add, overwrite and remove', async () => {
    assert.equal((await expectExit(['label', 'configmap', 'lit', 'env=prod', 'team=a'], 0)).stdout, 'configmap/lit labeled\n');
    const clash = await expectExit(['label', 'configmap', 'lit', 'env=dev'], 1);
    assert.equal(clash.stderr, "error: 'env' already has a value (prod), and --overwrite is false\n");
    await c.ok(['label', 'configmap', 'lit', 'env=dev', '--overwrite']);
    assert.equal((await expectExit(['label', 'configmap', 'lit', 'team-'], 0)).stdout, 'configmap/lit unlabeled\n');
    assert.deepEqual((await c.getJSON(['configmap', 'lit'])).metadata.labels, { env: 'dev' });
    const byLabel = parseTable(await c.ok(['get', 'configmaps', '-l', 'env=dev']));
    assert.deepEqual(byLabel.rows.map((r) => r.NAME), ['lit']);

    assert.equal((await expectExit(['annotate', 'configmap', 'lit', 'owner=jane', 'note=hello world'], 0)).stdout, 'configmap/lit annotated\n');
    await c.ok(['annotate', 'configmap', 'lit', 'owner-']);
    assert.deepEqual((await c.getJSON(['configmap', 'lit'])).metadata.annotations, { note: 'hello world' });
    assert.equal((await expectExit(['label', 'configmaps', '--all', '-n', 'lists', 'batch=1'], 0)).stdout.split('\n').filter(Boolean).length, 5);
  });

  it('scale through the scale subresource, with --current-replicas as a precondition', async () => {
    assert.equal((await expectExit(['scale', 'deployment', 'web', '-n', 'team-a', '--replicas=4'], 0)).stdout, 'deployment.apps/web scaled\n');
    assert.equal(await c.ok(['get', 'deployment', 'web', '-n', 'team-a', '-o', 'jsonpath={.spec.replicas}']), '4');
    await c.ok(['scale', 'deployment', 'web', '-n', 'team-a', '--current-replicas=4', '--replicas=1']);
    assert.equal(await c.ok(['get', 'deployment', 'web', '-n', 'team-a', '-o', 'jsonpath={.spec.replicas}']), '1');
    const wrong = await expectExit(['scale', 'deployment', 'web', '-n', 'team-a', '--current-replicas=9', '--replicas=2'], 1);
    assert.equal(wrong.stderr, 'error: Expected replicas to be 9, was 1\n');
    const bad = await expectExit(['patch', 'deployment', 'web', '-n', 'team-a', '--subresource=scale', '--type=merge', '-p', '{"spec":{"replicas":-2}}'], 1);
    assert.equal(bad.stderr, 'The Scale "web" is invalid: spec.replicas: Invalid value: -2: must be greater than or equal to 0\n');
    assert.equal(await c.ok(['get', 'deployment', 'web', '-n', 'team-a', '-o', 'jsonpath={.spec.replicas}']), '1');
  });

  it('set image changes the container image and the generation', async () => {
    const before = await c.getJSON(['deployment', 'web', '-n', 'team-a']);
    assert.equal((await expectExit(['set', 'image', 'deployment/web', '-n', 'team-a', 'nginx=nginx:1.27'], 0)).stdout, 'deployment.apps/web image updated\n');
    const after = await c.getJSON(['deployment', 'web', '-n', 'team-a']);
    assert.equal(after.spec.template.spec.containers[0].image, 'nginx:1.27');
    assert.equal(after.metadata.generation, before.metadata.generation + 1);
    const unknown = await expectExit(['set', 'image', 'deployment/web', '-n', 'team-a', 'nosuch=busybox'], 1);
    assert.equal(unknown.stderr, 'error: unable to find container named "nosuch"\n');
  });

  it('rollout pause and resume set spec.paused', async () => {
    assert.equal((await expectExit(['rollout', 'pause', 'deployment/web', '-n', 'team-a'], 0)).stdout, 'deployment.apps/web paused\n');
    assert.equal(await c.ok(['get', 'deployment', 'web', '-n', 'team-a', '-o', 'jsonpath={.spec.paused}']), 'true');
    const again = await expectExit(['rollout', 'pause', 'deployment/web', '-n', 'team-a'], 1);
    assert.equal(again.stderr, 'error: deployments.apps "web" is already paused\n');
    assert.equal((await expectExit(['rollout', 'resume', 'deployment/web', '-n', 'team-a'], 0)).stdout, 'deployment.apps/web resumed\n');
    assert.equal(await c.ok(['get', 'deployment', 'web', '-n', 'team-a', '-o', 'jsonpath={.spec.paused}']), '');
  });

  it('rollout history and undo read the deployment\'s ReplicaSets', async () => {
    await c.ok(['create', 'deployment', 'hist', '--image=nginx:1.2']);
    const none = await expectExit(['rollout', 'history', 'deployment/hist'], 0);
    assert.equal(none.stdout, 'deployment.apps/hist \nNo rollout history found.\n');
    const undoNone = await expectExit(['rollout', 'undo', 'deployment/hist'], 1);
    assert.equal(undoNone.stderr, 'error: no rollout history found for deployment "hist"\n');

    // No controller manager yet: the ReplicaSets a deployment controller would make, by hand.
    const uid = (await c.getJSON(['deployment', 'hist'])).metadata.uid;
    for (const rev of [1, 2]) {
      const labels = { app: 'hist', 'pod-template-hash': `h${rev}` };
      await c.ok(['create', '-f', '-'], {
        stdin: YAML.stringify({
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: {
            name: `hist-h${rev}`,
            labels,
            annotations: { 'deployment.kubernetes.io/revision': String(rev), 'kubernetes.io/change-cause': `release ${rev}` },
            ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'hist', uid, controller: true, blockOwnerDeletion: true }],
          },
          spec: { replicas: 0, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'nginx', image: `nginx:1.${rev}` }] } } },
        }),
      });
    }
    const history = await expectExit(['rollout', 'history', 'deployment/hist'], 0);
    assert.equal(history.stdout, 'deployment.apps/hist \nREVISION  CHANGE-CAUSE\n1         release 1\n2         release 2\n\n');
    const rev1 = await c.ok(['rollout', 'history', 'deployment/hist', '--revision=1']);
    assert.match(rev1, /^deployment\.apps\/hist with revision #1\nPod Template:\n/);
    assert.match(rev1, /^\s+Image:\s+nginx:1\.1$/m);
    const missingRev = await expectExit(['rollout', 'history', 'deployment/hist', '--revision=7'], 1);
    assert.equal(missingRev.stderr, 'error: unable to find the specified revision\n');

    assert.equal((await expectExit(['rollout', 'undo', 'deployment/hist'], 0)).stdout, 'deployment.apps/hist rolled back\n');
    const d = await c.getJSON(['deployment', 'hist']);
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.1');
    // The pod-template-hash label of the ReplicaSet is not copied back.
    assert.deepEqual(d.spec.template.metadata.labels, { app: 'hist' });
    assert.equal(d.metadata.annotations['kubernetes.io/change-cause'], 'release 1');
    assert.equal((await expectExit(['rollout', 'undo', 'deployment/hist', '--to-revision=2'], 0)).stdout, 'deployment.apps/hist rolled back\n');
    assert.equal(await c.ok(['get', 'deployment', 'hist', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']), 'nginx:1.2');
  });
});

describe('kubectl 1.32: nodes', () => {
  before(async () => {
    await c.ok(['create', '-f', '-'], { stdin: YAML.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', labels: { 'kubernetes.io/hostname': 'node-1' } } }) });
  });

  it('taint adds and removes taints', async () => {
    assert.equal((await expectExit(['taint', 'nodes', 'node-1', 'dedicated=gpu:NoSchedule'], 0)).stdout, 'node/node-1 tainted\n');
    await c.ok(['taint', 'nodes', 'node-1', 'spot:PreferNoSchedule']);
    let n = await c.getJSON(['node', 'node-1']);
    // kubectl puts the new taints first.
    assert.deepEqual(n.spec.taints, [
      { key: 'spot', effect: 'PreferNoSchedule' },
      { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
    ]);
    const dup = await expectExit(['taint', 'nodes', 'node-1', 'dedicated=cpu:NoSchedule'], 1);
    assert.equal(dup.stderr, 'error: node node-1 already has dedicated taint(s) with same effect(s) and --overwrite is false\n');
    // describe sorts them.
    assert.match(await c.ok(['describe', 'node', 'node-1']), /^Taints:\s+dedicated=gpu:NoSchedule\n\s+spot:PreferNoSchedule$/m);
    assert.equal((await expectExit(['taint', 'nodes', 'node-1', 'dedicated-', 'spot:PreferNoSchedule-'], 0)).stdout, 'node/node-1 untainted\n');
    n = await c.getJSON(['node', 'node-1']);
    assert.equal(n.spec.taints, undefined);
  });

  it('cordon and uncordon toggle spec.unschedulable', async () => {
    assert.equal((await expectExit(['cordon', 'node-1'], 0)).stdout, 'node/node-1 cordoned\n');
    const t = parseTable(await c.ok(['get', 'nodes']));
    assert.deepEqual(t.header, ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
    assert.equal(t.rows[0]!.STATUS, 'Unknown,SchedulingDisabled');
    assert.equal(await c.ok(['get', 'node', 'node-1', '-o', 'jsonpath={.spec.unschedulable}']), 'true');
    assert.deepEqual(parseTable(await c.ok(['get', 'nodes', '--field-selector', 'spec.unschedulable=true'])).rows.map((r) => r.NAME), ['node-1']);
    assert.equal((await expectExit(['cordon', 'node-1'], 0)).stdout, 'node/node-1 already cordoned\n');
    assert.equal((await expectExit(['uncordon', 'node-1'], 0)).stdout, 'node/node-1 uncordoned\n');
    assert.equal(await c.ok(['get', 'node', 'node-1', '-o', 'jsonpath={.spec.unschedulable}']), '');
  });
});

describe('kubectl 1.32: delete', () => {
  it('deletes by name, by label and from a file, waiting until the object is gone', async () => {
    await c.ok(['create', 'configmap', 'gone-1', '--from-literal=a=1']);
    assert.equal((await expectExit(['delete', 'configmap', 'gone-1'], 0)).stdout, 'configmap "gone-1" deleted\n');
    assert.equal((await expectExit(['get', 'configmap', 'gone-1'], 1)).stderr, 'Error from server (NotFound): configmaps "gone-1" not found\n');
    const missing = await expectExit(['delete', 'configmap', 'gone-1'], 1);
    assert.equal(missing.stderr, 'Error from server (NotFound): configmaps "gone-1" not found\n');
    assert.equal((await expectExit(['delete', 'configmap', 'gone-1', '--ignore-not-found'], 0)).stdout, '');

    const out = await expectExit(['delete', 'configmaps', '-n', 'lists', '-l', 'tier=even'], 0);
    assert.equal(out.stdout, 'configmap "cm-2" deleted\nconfigmap "cm-4" deleted\n');
    assert.deepEqual(parseTable(await c.ok(['get', 'configmaps', '-n', 'lists'])).rows.map((r) => r.NAME), ['cm-1', 'cm-3', 'cm-5']);
    const f = c.file('del.yaml', configMapYAML('from-file', { a: '1' }));
    await c.ok(['create', '-f', f]);
    assert.equal((await expectExit(['delete', '-f', f], 0)).stdout, 'configmap "from-file" deleted\n');
  });

  it('--cascade=orphan / foreground record the finalizer; background deletes now', async () => {
    for (const name of ['orphaned', 'fg', 'bg']) await c.ok(['create', 'deployment', name, '--image=nginx']);
    assert.equal((await expectExit(['delete', 'deployment', 'orphaned', '--cascade=orphan', '--wait=false'], 0)).stdout, 'deployment.apps "orphaned" deleted\n');
    const o = await c.getJSON(['deployment', 'orphaned']);
    assert.deepEqual(o.metadata.finalizers, ['orphan']);
    assert.match(o.metadata.deletionTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(o.metadata.deletionGracePeriodSeconds, 0);

    await c.ok(['delete', 'deployment', 'fg', '--cascade=foreground', '--wait=false']);
    const fg = await c.getJSON(['deployment', 'fg']);
    assert.deepEqual(fg.metadata.finalizers, ['foregroundDeletion']);
    assert.ok(fg.metadata.deletionTimestamp);

    assert.equal((await expectExit(['delete', 'deployment', 'bg', '--cascade=background'], 0)).stdout, 'deployment.apps "bg" deleted\n');
    assert.equal((await expectExit(['get', 'deployment', 'bg'], 1)).code, 1);

    // Removing the finalizer (as the garbage collector will) lets the object go.
    await c.ok(['patch', 'deployment', 'orphaned', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
    assert.equal((await expectExit(['get', 'deployment', 'orphaned'], 1)).stderr, 'Error from server (NotFound): deployments.apps "orphaned" not found\n');
  });

  it('--grace-period keeps a pod on a node Terminating; --grace-period=0 --force removes it', async () => {
    const pod = (name: string, nodeName?: string) =>
      YAML.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'busybox' }] } });
    await c.ok(['create', '-f', '-'], { stdin: pod('bound', 'node-1') });
    assert.equal((await expectExit(['delete', 'pod', 'bound', '--grace-period=45', '--wait=false'], 0)).stdout, 'pod "bound" deleted\n');
    const p = await c.getJSON(['pod', 'bound']);
    assert.equal(p.metadata.deletionGracePeriodSeconds, 45);
    const t = parseTable(await c.ok(['get', 'pod', 'bound']));
    assert.equal(t.rows[0]!.STATUS, 'Terminating');
    // A shorter grace period shortens it.
    await c.ok(['delete', 'pod', 'bound', '--grace-period=10', '--wait=false']);
    assert.equal((await c.getJSON(['pod', 'bound'])).metadata.deletionGracePeriodSeconds, 10);

    const forced = await expectExit(['delete', 'pod', 'bound', '--grace-period=0', '--force'], 0);
    assert.equal(forced.stdout, 'pod "bound" force deleted\n');
    assert.match(forced.stderr, /^Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated/);
    assert.equal((await expectExit(['get', 'pod', 'bound'], 1)).stderr, 'Error from server (NotFound): pods "bound" not found\n');

    // A pod no node has picked up goes at once, whatever the grace period.
    await c.ok(['create', '-f', '-'], { stdin: pod('unbound') });
    assert.equal((await expectExit(['delete', 'pod', 'unbound', '--grace-period=30'], 0)).stdout, 'pod "unbound" deleted\n');
    assert.equal((await expectExit(['get', 'pod', 'unbound'], 1)).code, 1);
  });

  it('deleting a namespace leaves it Terminating until its finalizer is done', async () => {
    await c.ok(['create', 'namespace', 'doomed']);
    assert.equal((await expectExit(['delete', 'namespace', 'doomed', '--wait=false'], 0)).stdout, 'namespace "doomed" deleted\n');
    const t = parseTable(await c.ok(['get', 'namespace', 'doomed']));
    assert.equal(t.rows[0]!.STATUS, 'Terminating');
    const refused = await expectExit(['create', 'configmap', 'late', '-n', 'doomed'], 1);
    assert.match(refused.stderr, /^error: failed to create configmap: configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated\n$/);
  });
});

describe('kubectl 1.32: explain and auth', () => {
  it('explain prints the field description from OpenAPI v3', async () => {
    const out = await c.ok(['explain', 'pods.spec.containers']);
    assert.match(out, /^KIND:\s+Pod\nVERSION:\s+v1\n\nFIELD: containers <\[\]Container>\n/);
    assert.match(out, /DESCRIPTION:\n\s+List of containers belonging to the pod\./);
    assert.match(out, /^\s+image\t<string>$/m);
    const dep = await c.ok(['explain', 'deployment.spec.strategy']);
    assert.match(dep, /^GROUP:\s+apps\nKIND:\s+Deployment\nVERSION:\s+v1\n/);
    const missing = await expectExit(['explain', 'pods.spec.nosuchfield'], 1);
    assert.match(missing.stderr, /field "nosuchfield" does not exist/);
  });

  it('auth can-i is answered by the allow-all authorizer; whoami names the user', async () => {
    const yes = await expectExit(['auth', 'can-i', 'create', 'pods'], 0);
    assert.equal(yes.stdout, 'yes\n');
    assert.equal((await expectExit(['auth', 'can-i', 'delete', 'deployments.apps', '-n', 'team-a'], 0)).stdout, 'yes\n');
    assert.equal((await expectExit(['auth', 'can-i', 'get', '/healthz'], 0)).stdout, 'yes\n');
    const list = parseTable(await c.ok(['auth', 'can-i', '--list']));
    assert.deepEqual(list.header, ['Resources', 'Non-Resource URLs', 'Resource Names', 'Verbs']);
    assert.ok(list.rows.some((r) => r.Resources === '*.*' && r.Verbs === '[*]'));
    const who = parseTable(await c.ok(['auth', 'whoami']));
    assert.deepEqual(who.rows.map((r) => [r.ATTRIBUTE, r.VALUE]), [['Username', 'system:admin'], ['Groups', '[system:masters system:authenticated]']]);
  });
});
