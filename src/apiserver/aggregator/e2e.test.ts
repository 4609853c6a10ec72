// The real kubectl against API extension points served by test processes on loopback: admission
// webhooks (refusal, mutation, failurePolicy), a ValidatingAdmissionPolicy, and an aggregated API
// (APIService → Service → Endpoints → an HTTPS backend) with its Available condition.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import { TestCluster, parseTable } from '../e2e/harness.ts';
import { admissionHandler, jsonPatch, startHTTPSServer, type TestHTTPSServer } from '../admission/webhooktesting.ts';

let c: TestCluster;
let hooks: TestHTTPSServer;
let wardle: TestHTTPSServer;
const remoteUsers: string[] = [];

const GV = 'wardle.example.com/v1alpha1';

before(async () => {
  hooks = await startHTTPSServer(
    admissionHandler((request, path) => {
      const name: string = request.object?.metadata?.name ?? '';
      if (path.startsWith('/validate')) return name.startsWith('forbidden') ? { allowed: false, status: { message: 'this name is not allowed here' } } : { allowed: true };
      if (path.startsWith('/mutate')) {
        const has = request.object?.metadata?.labels;
        return { allowed: true, ...jsonPatch([has ? { op: 'add', path: '/metadata/labels/stamped', value: 'by-webhook' } : { op: 'add', path: '/metadata/labels', value: { stamped: 'by-webhook' } }]) };
      }
      return { allowed: true };
    }),
    ['hooks.default.svc'],
  );
  wardle = await startHTTPSServer((req, res) => {
    remoteUsers.push(String(req.headers['x-remote-user'] ?? ''));
    const path = (req.url ?? '').split('?')[0];
    res.setHeader('Content-Type', 'application/json');
    if (path === `/apis/${GV}`) {
      res.end(JSON.stringify({ kind: 'APIResourceList', apiVersion: 'v1', groupVersion: GV, resources: [{ name: 'flunders', singularName: 'flunder', namespaced: true, kind: 'Flunder', verbs: ['get', 'list'] }] }));
    } else if (path === `/apis/${GV}/namespaces/default/flunders`) {
      res.end(JSON.stringify({ kind: 'FlunderList', apiVersion: GV, metadata: { resourceVersion: '1' }, items: [{ apiVersion: GV, kind: 'Flunder', metadata: { name: 'first-flunder', namespace: 'default', creationTimestamp: new Date().toISOString() } }] }));
    } else {
      res.statusCode = 404;
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' }));
    }
  }, ['wardle.default.svc']);
  c = await TestCluster.start();
});
after(async () => {
  await c?.stop();
  await hooks?.close();
  await wardle?.close();
});

async function apply(obj: unknown) {
  const r = await c.kubectl(['apply', '-f', '-'], { stdin: YAML.stringify(obj) });
  assert.equal(r.code, 0, `apply failed: ${r.stderr}`);
}

const cmRules = [{ operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }];

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('admission webhooks with kubectl', () => {
  it('a validating webhook behind a Service refuses with its message', async () => {
    await apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'hooks', namespace: 'default' }, spec: { ports: [{ port: 443, targetPort: hooks.port }] } });
    await apply({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'hooks', namespace: 'default' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ port: hooks.port }] }] });
    await apply({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'names' },
      webhooks: [{ name: 'names.example.com', clientConfig: { service: { namespace: 'default', name: 'hooks', path: '/validate' }, caBundle: hooks.caBundle }, rules: cmRules, sideEffects: 'None', admissionReviewVersions: ['v1'] }],
    });
    const r = await c.kubectl(['create', 'configmap', 'forbidden-one', '--from-literal=a=1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /admission webhook "names.example.com" denied the request: this name is not allowed here/);
    assert.equal((await c.kubectl(['create', 'configmap', 'allowed-one', '--from-literal=a=1'])).code, 0);
  });

  it('a mutating webhook adds a label that kubectl get shows', async () => {
    await apply({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'stamp' },
      webhooks: [{ name: 'stamp.example.com', clientConfig: { url: `${hooks.url}/mutate`, caBundle: hooks.caBundle }, rules: cmRules, sideEffects: 'None', admissionReviewVersions: ['v1'] }],
    });
    await c.ok(['create', 'configmap', 'stamped', '--from-literal=a=1']);
    const t = parseTable(await c.ok(['get', 'configmap', 'stamped', '--show-labels']));
    assert.equal(t.rows[0]!.LABELS, 'stamped=by-webhook');
    await c.ok(['delete', 'mutatingwebhookconfiguration', 'stamp']);
  });

  it('failurePolicy Ignore lets requests through when the webhook is down, Fail refuses them', async () => {
    const down = (name: string, policy: string) => ({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name },
      webhooks: [{ name: `${name}.example.com`, failurePolicy: policy, clientConfig: { url: 'https://127.0.0.1:1/validate', caBundle: hooks.caBundle }, rules: cmRules, sideEffects: 'None', admissionReviewVersions: ['v1'] }],
    });
    await apply(down('down-ignore', 'Ignore'));
    assert.equal((await c.kubectl(['create', 'configmap', 'ignored', '--from-literal=a=1'])).code, 0);
    await apply(down('down-fail', 'Fail'));
    const r = await c.kubectl(['create', 'configmap', 'failed', '--from-literal=a=1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Internal error occurred: failed calling webhook "down-fail.example.com": failed to call webhook: Post "https:\/\/127.0.0.1:1\/validate\?timeout=10s": dial tcp 127.0.0.1:1: connect: connection refused/);
    await c.ok(['delete', 'validatingwebhookconfiguration', 'down-fail', 'down-ignore', 'names']);
  });

  it('a ValidatingAdmissionPolicy refuses a Deployment with more than 5 replicas', async () => {
    await apply({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: 'replica-limit' },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] }] },
        validations: [{ expression: 'object.spec.replicas <= 5', message: 'replicas must be 5 or fewer' }],
      },
    });
    await apply({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'replica-limit' }, spec: { policyName: 'replica-limit', validationActions: ['Deny'] } });
    const r = await c.kubectl(['create', 'deployment', 'wide', '--image=busybox', '--replicas=6']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /deployments.apps "wide" is forbidden: ValidatingAdmissionPolicy 'replica-limit' with binding 'replica-limit' denied request: replicas must be 5 or fewer/);
    assert.equal((await c.kubectl(['create', 'deployment', 'narrow', '--image=busybox', '--replicas=2'])).code, 0);
  });
});

describe('aggregated APIs with kubectl', () => {
  // Polled in-process (a kubectl per poll is slow); kubectl reads the same object below.
  const condition = async () => {
    const store = c.api.store('apiregistration.k8s.io', 'apiservices')!;
    const a = store.cache.get(store.key('', 'v1alpha1.wardle.example.com'))?.obj;
    return (a?.status?.conditions ?? []).find((x: any) => x.type === 'Available');
  };
  const waitReason = (reason: string) => waitFor(`Available reason ${reason}`, async () => {
    const cond = await condition();
    return cond?.reason === reason ? cond : undefined;
  });

  it('reports ServiceNotFound, MissingEndpoints, then Passed; proxies kubectl get to the backend', async () => {
    await apply({
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: 'v1alpha1.wardle.example.com' },
      spec: { group: 'wardle.example.com', version: 'v1alpha1', service: { namespace: 'default', name: 'wardle', port: 443 }, caBundle: wardle.caBundle, groupPriorityMinimum: 1000, versionPriority: 15 },
    });
    const notFound = await waitReason('ServiceNotFound');
    assert.equal(notFound.status, 'False');
    assert.equal(notFound.message, 'service/wardle in "default" is not present');
    const unavailable = await c.kubectl(['get', '--raw', `/apis/${GV}/namespaces/default/flunders`]);
    assert.notEqual(unavailable.code, 0);
    assert.match(unavailable.stderr, /ServiceUnavailable|service unavailable/);

    await apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'wardle', namespace: 'default' }, spec: { ports: [{ port: 443, targetPort: wardle.port }] } });
    const missing = await waitReason('MissingEndpoints');
    assert.equal(missing.status, 'False');

    await apply({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'wardle', namespace: 'default' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ port: wardle.port }] }] });
    const passed = await waitReason('Passed');
    assert.equal(passed.status, 'True');
    assert.equal(passed.message, 'all checks passed');
    const seen = await c.getJSON(['apiservice', 'v1alpha1.wardle.example.com']);
    assert.deepEqual(seen.status.conditions.map((x: any) => [x.type, x.status, x.reason]), [['Available', 'True', 'Passed']]);

    const resources = await c.ok(['api-resources', '--api-group=wardle.example.com']);
    assert.match(resources, /flunders\s+wardle\.example\.com\/v1alpha1\s+true\s+Flunder/);
    const t = parseTable(await c.ok(['get', 'flunders']));
    assert.equal(t.rows[0]!.NAME, 'first-flunder');
    assert.ok(remoteUsers.includes('system:admin'), `the backend saw users ${remoteUsers.join(', ')}`);
  });

  it('reports FailedDiscoveryCheck when the backend stops answering', async () => {
    await apply({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'wardle', namespace: 'default' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ port: 1 }] }] });
    const failed = await waitReason('FailedDiscoveryCheck');
    assert.equal(failed.status, 'False');
    assert.match(failed.message, /^failing or missing response from https:\/\/127.0.0.1:1\/apis\/wardle.example.com\/v1alpha1: /);
    const r = await c.kubectl(['get', 'flunders']);
    assert.notEqual(r.code, 0);
  });
});
