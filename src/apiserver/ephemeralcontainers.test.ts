// The pods/ephemeralcontainers subresource as kubectl debug uses it: a strategic merge PATCH adds a
// debug container, only spec.ephemeralContainers changes, upstream's validation (422 with causes),
// and main pod updates may not touch ephemeral containers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testServer } from './testing.ts';
import { validateEphemeralContainersUpdate } from '../api/validation/pod.ts';

const { call } = testServer();

const SMP = 'application/strategic-merge-patch+json';
const PODS = '/api/v1/namespaces/default/pods';

async function makePod(name: string): Promise<any> {
  const r = await call('POST', PODS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }] },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

const debugContainer = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  image: 'busybox',
  command: ['sh', '-c', 'echo hi'],
  resources: {},
  terminationMessagePolicy: 'File',
  stdin: false,
  tty: false,
  ...extra,
});

describe('pods/ephemeralcontainers', () => {
  it('adds an ephemeral container with a strategic merge patch, as kubectl debug does', async () => {
    const pod = await makePod('p1');
    const r = await call('PATCH', `${PODS}/p1/ephemeralcontainers`, { spec: { ephemeralContainers: [debugContainer('dbg', { targetContainerName: 'app' })] } }, SMP);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.kind, 'Pod');
    const eph = r.body.spec.ephemeralContainers;
    assert.equal(eph.length, 1);
    assert.equal(eph[0].name, 'dbg');
    assert.equal(eph[0].targetContainerName, 'app');
    // Defaulted like any container.
    assert.equal(eph[0].terminationMessagePath, '/dev/termination-log');
    assert.equal(eph[0].imagePullPolicy, 'Always');
    assert.notEqual(r.body.metadata.resourceVersion, pod.metadata.resourceVersion);
    // GET on the subresource answers the pod.
    const g = await call('GET', `${PODS}/p1/ephemeralcontainers`);
    assert.equal(g.status, 200);
    assert.equal(g.body.spec.ephemeralContainers[0].name, 'dbg');
    // A second debug container merges by name (kubectl's two-way patch carries the order).
    const patch = { spec: { $setElementOrder$ephemeralContainers: [{ name: 'dbg' }, { name: 'dbg2' }], ephemeralContainers: [debugContainer('dbg2')] } };
    const r2 = await call('PATCH', `${PODS}/p1/ephemeralcontainers`, JSON.parse(JSON.stringify(patch).replace('$setElementOrder$', '$setElementOrder/')), SMP);
    assert.equal(r2.status, 200, JSON.stringify(r2.body));
    assert.deepEqual(r2.body.spec.ephemeralContainers.map((c: any) => c.name), ['dbg', 'dbg2']);
  });

  it('changes nothing but spec.ephemeralContainers', async () => {
    await makePod('p2');
    const r = await call(
      'PATCH',
      `${PODS}/p2/ephemeralcontainers`,
      { metadata: { labels: { sneaky: 'yes' } }, spec: { activeDeadlineSeconds: 5, ephemeralContainers: [debugContainer('dbg')] }, status: { phase: 'Failed' } },
      SMP,
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.metadata.labels?.sneaky, undefined);
    assert.equal(r.body.spec.activeDeadlineSeconds, undefined);
    assert.equal(r.body.status.phase, 'Pending');
    assert.equal(r.body.spec.ephemeralContainers.length, 1);
  });

  it('updates with PUT too, and refuses removing or changing an existing one', async () => {
    await makePod('p3');
    const added = await call('PATCH', `${PODS}/p3/ephemeralcontainers`, { spec: { ephemeralContainers: [debugContainer('dbg')] } }, SMP);
    const pod = added.body;
    const changed = structuredClone(pod);
    changed.spec.ephemeralContainers[0].image = 'alpine';
    let r = await call('PUT', `${PODS}/p3/ephemeralcontainers`, changed);
    assert.equal(r.status, 422);
    assert.equal(r.body.reason, 'Invalid');
    assert.equal(r.body.details.causes[0].field, 'spec.ephemeralContainers');
    assert.match(r.body.message, /Forbidden: existing ephemeral containers "dbg" may not be changed/);
    const removed = structuredClone(pod);
    removed.spec.ephemeralContainers = [];
    r = await call('PUT', `${PODS}/p3/ephemeralcontainers`, removed);
    assert.equal(r.status, 422);
    assert.match(r.body.message, /existing ephemeral containers "dbg" may not be removed/);
    const more = structuredClone(pod);
    more.spec.ephemeralContainers.push(debugContainer('dbg2'));
    r = await call('PUT', `${PODS}/p3/ephemeralcontainers`, more);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.spec.ephemeralContainers.length, 2);
  });

  it('validates new ephemeral containers as upstream (422 with field causes)', async () => {
    await makePod('p4');
    const bad = [
      debugContainer('app'),
      { name: 'noimage' },
      debugContainer('ports', { ports: [{ containerPort: 80 }] }),
      debugContainer('probe', { readinessProbe: { exec: { command: ['true'] } }, lifecycle: { postStart: { exec: { command: ['true'] } } } }),
      debugContainer('res', { resources: { limits: { cpu: '1' } } }),
      debugContainer('tgt', { targetContainerName: 'nope' }),
    ];
    const r = await call('PATCH', `${PODS}/p4/ephemeralcontainers`, { spec: { ephemeralContainers: bad } }, SMP);
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.equal(r.body.details.kind, 'Pod');
    assert.equal(r.body.details.name, 'p4');
    const causes = r.body.details.causes.map((c: any) => `${c.reason} ${c.field}`);
    assert.ok(causes.includes('FieldValueDuplicate spec.ephemeralContainers[0].name'), causes.join('\n'));
    assert.ok(causes.includes('FieldValueRequired spec.ephemeralContainers[1].image'), causes.join('\n'));
    assert.ok(causes.includes('FieldValueForbidden spec.ephemeralContainers[2].ports'), causes.join('\n'));
    assert.ok(causes.includes('FieldValueForbidden spec.ephemeralContainers[3].readinessProbe'), causes.join('\n'));
    assert.ok(causes.includes('FieldValueForbidden spec.ephemeralContainers[3].lifecycle'), causes.join('\n'));
    assert.ok(causes.includes('FieldValueForbidden spec.ephemeralContainers[4].resources'), causes.join('\n'));
    assert.ok(causes.includes('FieldValueNotFound spec.ephemeralContainers[5].targetContainerName'), causes.join('\n'));
    assert.match(r.body.message, /^Pod "p4" is invalid: \[/);
    assert.match(r.body.message, /spec\.ephemeralContainers\[2\]\.ports: Forbidden: cannot be set for an Ephemeral Container/);
    assert.match(r.body.message, /spec\.ephemeralContainers\[5\]\.targetContainerName: Not found: "nope"/);
    // Nothing was written.
    const g = await call('GET', `${PODS}/p4`);
    assert.equal(g.body.spec.ephemeralContainers, undefined);
  });

  it('main pod updates may not change ephemeral containers, and create may not set them', async () => {
    const pod = await makePod('p5');
    pod.spec.ephemeralContainers = [debugContainer('dbg')];
    const r = await call('PUT', `${PODS}/p5`, pod);
    assert.equal(r.status, 422);
    assert.match(r.body.message, /spec: Forbidden: pod updates may not change fields other than/);
    const c = await call('POST', PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p6' }, spec: { containers: [{ name: 'a', image: 'busybox' }], ephemeralContainers: [debugContainer('dbg')] } });
    assert.equal(c.status, 422);
    assert.match(c.body.message, /spec\.ephemeralContainers: Forbidden: cannot be set on create/);
  });

  it('is 404 for a missing pod', async () => {
    const r = await call('PATCH', `${PODS}/nope/ephemeralcontainers`, { spec: { ephemeralContainers: [debugContainer('dbg')] } }, SMP);
    assert.equal(r.status, 404);
    assert.equal(r.body.details.name, 'nope');
  });
});

describe('validateEphemeralContainersUpdate', () => {
  const pod = (eph: any[], annotations?: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'u', resourceVersion: '1', creationTimestamp: '2024-01-01T00:00:00Z', ...(annotations ? { annotations } : {}) },
    spec: { containers: [{ name: 'app', image: 'busybox', imagePullPolicy: 'Always', terminationMessagePolicy: 'File' }], initContainers: [{ name: 'init', image: 'busybox' }], ephemeralContainers: eph },
  });

  it('accepts an added container, and empty resources as kubectl sends them', () => {
    assert.deepEqual(validateEphemeralContainersUpdate(pod([debugContainer('d', { targetContainerName: 'app' })]), pod([])), []);
  });

  it('refuses a name already taken by an init container, subPath mounts and restartPolicy', () => {
    const errs = validateEphemeralContainersUpdate(
      pod([debugContainer('init'), debugContainer('d', { restartPolicy: 'Always', volumeMounts: [{ name: 'v', mountPath: '/v', subPath: 'x' }] })]),
      pod([]),
    );
    const got = errs.map((e) => `${e.type} ${e.field}`);
    assert.ok(got.includes('FieldValueDuplicate spec.ephemeralContainers[0].name'), got.join('\n'));
    assert.ok(got.includes('FieldValueForbidden spec.ephemeralContainers[1].restartPolicy'), got.join('\n'));
    assert.ok(got.includes('FieldValueForbidden spec.ephemeralContainers[1].volumeMounts[0].subPath'), got.join('\n'));
  });

  it('refuses static pods', () => {
    const m = { 'kubernetes.io/config.mirror': 'abc' };
    const errs = validateEphemeralContainersUpdate(pod([debugContainer('d')], m), pod([], m));
    assert.deepEqual(errs, [{ type: 'FieldValueForbidden', field: '', detail: 'static pods do not support ephemeral containers' }]);
  });
});
