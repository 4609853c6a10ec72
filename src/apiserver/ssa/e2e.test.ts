// Server-side apply with the real kubectl 1.32: apply --server-side creates and updates objects,
// conflicts between managers and --force-conflicts, pruning of dropped fields, the migration
// from client-side apply, managedFields as `get --show-managed-fields` prints them, and diff.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { TestCluster, type RunResult } from '../e2e/harness.ts';

let c: TestCluster;

before(async () => {
  c = await TestCluster.start();
});
after(async () => {
  await c?.stop();
});

async function expectExit(args: string[], code: number): Promise<RunResult> {
  const r = await c.kubectl(args);
  assert.equal(r.code, code, `kubectl ${args.join(' ')} exited ${r.code}, expected ${code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

function file(name: string, obj: unknown): string {
  const p = join(c.dir, name);
  writeFileSync(p, YAML.stringify(obj));
  return p;
}

const deployment = (name: string, replicas: number, image: string, extraLabels: Record<string, string> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, labels: { app: name, ...extraLabels } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image, ports: [{ containerPort: 80 }] }] } },
  },
});

async function getJSON(args: string[]): Promise<any> {
  return JSON.parse((await expectExit(['get', ...args, '-o', 'json'], 0)).stdout);
}

describe('kubectl 1.32: apply --server-side', () => {
  it('creates and updates a Deployment and a ConfigMap', async () => {
    const d = file('web.yaml', deployment('web', 2, 'nginx:1.25'));
    assert.equal((await expectExit(['apply', '--server-side', '-f', d], 0)).stdout, 'deployment.apps/web serverside-applied\n');
    const cm = file('cfg.yaml', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: '1', b: '2' } });
    assert.equal((await expectExit(['apply', '--server-side', '-f', cm], 0)).stdout, 'configmap/cfg serverside-applied\n');

    let dep = await getJSON(['deployment', 'web']);
    assert.equal(dep.spec.replicas, 2);
    assert.equal(dep.spec.template.spec.containers[0].image, 'nginx:1.25');
    // Defaults still apply to what the configuration left out.
    assert.equal(dep.spec.strategy.type, 'RollingUpdate');

    writeFileSync(d, YAML.stringify(deployment('web', 2, 'nginx:1.27')));
    assert.equal((await expectExit(['apply', '--server-side', '-f', d], 0)).stdout, 'deployment.apps/web serverside-applied\n');
    dep = await getJSON(['deployment', 'web']);
    assert.equal(dep.spec.template.spec.containers[0].image, 'nginx:1.27');
    assert.equal(dep.metadata.generation, 2);

    const cmObj = await getJSON(['configmap', 'cfg']);
    assert.deepEqual(cmObj.data, { a: '1', b: '2' });
  });

  it('shows managedFields entries with --show-managed-fields and hides them otherwise', async () => {
    const plain = (await expectExit(['get', 'deployment', 'web', '-o', 'yaml'], 0)).stdout;
    assert.ok(!plain.includes('managedFields'));
    const y = YAML.parse((await expectExit(['get', 'deployment', 'web', '-o', 'yaml', '--show-managed-fields'], 0)).stdout);
    const mf = y.metadata.managedFields;
    assert.equal(mf.length, 1);
    assert.equal(mf[0].manager, 'kubectl');
    assert.equal(mf[0].operation, 'Apply');
    assert.equal(mf[0].apiVersion, 'apps/v1');
    assert.equal(mf[0].fieldsType, 'FieldsV1');
    assert.match(mf[0].time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(mf[0].fieldsV1, {
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:containers': {
              'k:{"name":"app"}': {
                '.': {},
                'f:image': {},
                'f:name': {},
                'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
              },
            },
          },
        },
      },
    });
  });

  it('a second manager changing the same field conflicts; --force-conflicts takes it over', async () => {
    const d = file('web-other.yaml', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 5 } });
    const r = await expectExit(['apply', '--server-side', '--field-manager=other', '-f', d], 1);
    assert.match(r.stderr, /Apply failed with 1 conflict: conflict with "kubectl": \.spec\.replicas/);
    assert.match(r.stderr, /--force-conflicts/);
    assert.equal((await getJSON(['deployment', 'web'])).spec.replicas, 2);

    assert.equal((await expectExit(['apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', d], 0)).stdout, 'deployment.apps/web serverside-applied\n');
    const dep = await getJSON(['deployment', 'web', '--show-managed-fields']);
    assert.equal(dep.spec.replicas, 5);
    const byManager = Object.fromEntries(dep.metadata.managedFields.map((e: any) => [e.manager, e]));
    assert.deepEqual(byManager.other.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
    assert.equal(byManager.other.operation, 'Apply');
    assert.equal(byManager.kubectl.fieldsV1['f:spec']['f:replicas'], undefined);

    // The first manager now conflicts with "other" when it sets replicas back.
    const back = await expectExit(['apply', '--server-side', '-f', join(c.dir, 'web.yaml')], 1);
    assert.match(back.stderr, /Apply failed with 1 conflict: conflict with "other": \.spec\.replicas/);
  });

  it('removing a field from the applied file removes it from the object', async () => {
    const cm = file('cfg.yaml', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', labels: { tier: 'x' } }, data: { a: '1' } });
    await expectExit(['apply', '--server-side', '-f', cm], 0);
    let obj = await getJSON(['configmap', 'cfg']);
    assert.deepEqual(obj.data, { a: '1' });
    assert.deepEqual(obj.metadata.labels, { tier: 'x' });
    writeFileSync(cm, YAML.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: '1' } }));
    await expectExit(['apply', '--server-side', '-f', cm], 0);
    obj = await getJSON(['configmap', 'cfg']);
    assert.equal(obj.metadata.labels, undefined);
  });

  it('client-side apply, then apply --server-side, migrates without conflicts', async () => {
    const d = file('csa.yaml', deployment('csa', 1, 'nginx:1.25'));
    assert.equal((await expectExit(['apply', '-f', d], 0)).stdout, 'deployment.apps/csa created\n');
    let dep = await getJSON(['deployment', 'csa', '--show-managed-fields']);
    assert.deepEqual(
      dep.metadata.managedFields.map((e: any) => [e.manager, e.operation]),
      [['kubectl-client-side-apply', 'Update']],
    );
    // Change what client-side apply set (replicas, image) and drop a label it had set.
    writeFileSync(d, YAML.stringify(deployment('csa', 3, 'nginx:1.27')));
    assert.equal((await expectExit(['apply', '--server-side', '-f', d], 0)).stdout, 'deployment.apps/csa serverside-applied\n');
    dep = await getJSON(['deployment', 'csa', '--show-managed-fields']);
    assert.equal(dep.spec.replicas, 3);
    assert.equal(dep.spec.template.spec.containers[0].image, 'nginx:1.27');
    const managers = dep.metadata.managedFields.map((e: any) => `${e.manager}/${e.operation}`);
    assert.ok(managers.includes('kubectl/Apply'), managers.join(','));
    assert.ok(!managers.includes('kubectl-client-side-apply/Update'), managers.join(','));
  });

  it('diff --server-side shows the change without making it', async () => {
    const d = file('web-diff.yaml', deployment('web', 5, 'nginx:1.28'));
    const r = await c.kubectl(['diff', '--server-side', '--force-conflicts', '-f', d]);
    assert.equal(r.code, 1, `diff exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.match(r.stdout, /^-\s+- image: nginx:1\.27$/m);
    assert.match(r.stdout, /^\+\s+- image: nginx:1\.28$/m);
    assert.equal((await getJSON(['deployment', 'web'])).spec.template.spec.containers[0].image, 'nginx:1.27');
  });

  it('apply --server-side --dry-run=server changes nothing', async () => {
    const d = file('dry.yaml', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' }, data: { a: '1' } });
    const r = await expectExit(['apply', '--server-side', '--dry-run=server', '-f', d], 0);
    assert.equal(r.stdout, 'configmap/dry serverside-applied (server dry run)\n');
    await expectExit(['get', 'configmap', 'dry'], 1);
  });
});
