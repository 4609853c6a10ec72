// Admission webhooks as a client sees them: configuration validation and defaulting, rule matching,
// a validating webhook's refusal, a mutating webhook's JSONPatch, failurePolicy, dry run, warnings,
// service references resolved through Endpoints, and the exemption of the configurations themselves.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../storage/memory/memory.ts';
import { ApiServer } from '../server.ts';
import { jsonClient } from '../testing.ts';
import { validateWebhookConfiguration } from './webhook.ts';
import { ruleMatches, type MatchRequest } from './matching.ts';
import { fieldErrorString } from '../../machinery/errors.ts';
import { admissionHandler, jsonPatch, startHTTPSServer, type TestHTTPSServer } from './webhooktesting.ts';

const hook = (extra: Record<string, unknown> = {}) => ({
  name: 'deny.example.com',
  clientConfig: { url: 'https://127.0.0.1:1/validate' },
  rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
  sideEffects: 'None',
  admissionReviewVersions: ['v1'],
  ...extra,
});

describe('webhook configuration validation', () => {
  const errs = (webhooks: unknown[]) => validateWebhookConfiguration({ kind: 'ValidatingWebhookConfiguration', webhooks }).map(fieldErrorString);

  it('accepts a complete webhook', () => {
    assert.deepEqual(errs([hook()]), []);
  });

  it('requires sideEffects and admissionReviewVersions, as upstream words it', () => {
    const { sideEffects: _s, admissionReviewVersions: _a, ...h } = hook();
    assert.deepEqual(errs([h]), ['webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun', 'webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1']);
    assert.deepEqual(errs([hook({ sideEffects: 'Some' })]), ['webhooks[0].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"']);
  });

  it('checks the name, the timeout, the client config and duplicate names', () => {
    assert.deepEqual(errs([hook({ name: 'deny' })]), ['webhooks[0].name: Invalid value: "deny": should be a domain with at least three segments separated by dots']);
    assert.deepEqual(errs([hook({ timeoutSeconds: 31 })]), ['webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds']);
    assert.deepEqual(errs([hook({ clientConfig: {} })]), ['webhooks[0].clientConfig: Required value: exactly one of url or service is required']);
    assert.deepEqual(errs([hook({ clientConfig: { url: 'http://x.example.com/' } })]), ["webhooks[0].clientConfig.url: Invalid value: \"http\": 'https' is the only allowed URL scheme; desired format: https://host[/path]"]);
    assert.deepEqual(errs([hook({ clientConfig: { service: { name: 's', namespace: 'n', path: 'v', port: 0 } } })]), [
      'webhooks[0].clientConfig.service.port: Invalid value: 0: port is not valid: must be between 1 and 65535, inclusive',
      'webhooks[0].clientConfig.service.path: Invalid value: "v": must start with a \'/\'',
      // Upstream checks the segments after dropping the first character, whatever it was.
      'webhooks[0].clientConfig.service.path: Invalid value: "v": segment[0] may not be empty',
    ]);
    assert.deepEqual(errs([hook(), hook()]), ['webhooks[1].name: Duplicate value: "deny.example.com"']);
  });

  it('checks rules', () => {
    assert.deepEqual(errs([hook({ rules: [{ operations: ['GET'], apiGroups: [], apiVersions: ['v1'], resources: ['*', 'pods'] }] })]), [
      'webhooks[0].rules[0].operations[0]: Unsupported value: "GET": supported values: "*", "CONNECT", "CREATE", "DELETE", "UPDATE"',
      'webhooks[0].rules[0].apiGroups: Required value',
      'webhooks[0].rules[0].resources: Invalid value: ["*","pods"]: if \'*\' is present, must not specify other resources without subresources',
    ]);
  });
});

describe('rule matching', () => {
  const req = (over: Partial<MatchRequest> = {}): MatchRequest => ({
    operation: 'CREATE', group: '', version: 'v1', resource: 'pods', subresource: '', kind: 'Pod', namespaced: true, namespace: 'default', name: 'p', obj: {}, old: undefined, ...over,
  });
  const rule = (resources: string[], extra: Record<string, unknown> = {}) => ({ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources, ...extra });

  it('matches `*` on resources but not subresources, `pods/*` on pods and its subresources, `*/*` on everything', () => {
    assert.equal(ruleMatches(rule(['*']), req()), true);
    assert.equal(ruleMatches(rule(['*']), req({ subresource: 'status' })), false);
    assert.equal(ruleMatches(rule(['pods/*']), req({ subresource: 'status' })), true);
    assert.equal(ruleMatches(rule(['pods/*']), req()), true);
    assert.equal(ruleMatches(rule(['pods/status']), req()), false);
    assert.equal(ruleMatches(rule(['*/*']), req({ subresource: 'eviction' })), true);
    assert.equal(ruleMatches(rule(['pods/status']), req({ subresource: 'status' })), true);
  });

  it('honours operations and scope', () => {
    assert.equal(ruleMatches(rule(['pods'], { operations: ['UPDATE'] }), req()), false);
    assert.equal(ruleMatches(rule(['pods'], { scope: 'Cluster' }), req()), false);
    assert.equal(ruleMatches(rule(['nodes'], { scope: 'Cluster' }), req({ resource: 'nodes', namespaced: false, namespace: '' })), true);
  });
});

describe('webhooks against a running server', () => {
  let api: ApiServer;
  let base: string;
  let backend: TestHTTPSServer;
  const seen: Record<string, any>[] = [];

  before(async () => {
    backend = await startHTTPSServer(
      admissionHandler((request, path) => {
        seen.push(request);
        const name = request.object?.metadata?.name ?? request.oldObject?.metadata?.name ?? '';
        if (path.startsWith('/validate')) {
          if (name.startsWith('bad')) return { allowed: false, status: { code: 403, message: 'names starting with bad are not allowed' } };
          return { allowed: true, warnings: ['looked at by the validator'] };
        }
        if (path.startsWith('/mutate')) {
          const labels = request.object?.metadata?.labels;
          return { allowed: true, ...jsonPatch(labels ? [{ op: 'add', path: '/metadata/labels/mutated', value: 'yes' }] : [{ op: 'add', path: '/metadata/labels', value: { mutated: 'yes' } }]) };
        }
        return { allowed: true };
      }),
      ['hooks.default.svc'],
    );
    api = new ApiServer({ storage: new MemoryBackend(), port: 0 });
    base = await api.start();
  });
  after(async () => {
    await api.stop();
    await api.storage.close();
    await backend.close();
  });

  const call = jsonClient(() => base);

  const cfg = (kind: 'Validating' | 'Mutating', name: string, webhooks: unknown[]) => ({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: `${kind}WebhookConfiguration`,
    metadata: { name },
    webhooks,
  });
  const cmRule = [{ operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }];
  const cm = (name: string, ns = 'default') => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data: { a: '1' } });

  it('defaults a configuration and refuses an invalid one', async () => {
    const created = await call('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', cfg('Validating', 'defaults', [
      { name: 'noop.example.com', clientConfig: { url: `${backend.url}/noop`, caBundle: backend.caBundle }, rules: [{ operations: ['DELETE'], apiGroups: ['nothing.example.com'], apiVersions: ['v1'], resources: ['things'] }], sideEffects: 'None', admissionReviewVersions: ['v1'] },
    ]));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const w = created.body.webhooks[0];
    assert.equal(w.failurePolicy, 'Fail');
    assert.equal(w.matchPolicy, 'Equivalent');
    assert.deepEqual(w.namespaceSelector, {});
    assert.deepEqual(w.objectSelector, {});
    assert.equal(w.timeoutSeconds, 10);
    assert.equal(w.rules[0].scope, '*');
    const bad = await call('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', cfg('Validating', 'bad', [{ name: 'x.example.com', clientConfig: { url: `${backend.url}/x` }, rules: cmRule }]));
    assert.equal(bad.status, 422);
    assert.match(bad.body.message, /webhooks\[0\]\.sideEffects: Required value: must specify one of None, NoneOnDryRun/);
  });

  it('a validating webhook refuses with its message, and its warnings reach the client', async () => {
    const r = await call('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', cfg('Validating', 'deny-bad', [
      { name: 'deny.example.com', clientConfig: { url: `${backend.url}/validate`, caBundle: backend.caBundle }, rules: cmRule, sideEffects: 'None', admissionReviewVersions: ['v1'] },
    ]));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const denied = await call('POST', '/api/v1/namespaces/default/configmaps', cm('bad-one'));
    assert.equal(denied.status, 403);
    assert.equal(denied.body.message, 'admission webhook "deny.example.com" denied the request: names starting with bad are not allowed');
    const ok = await call('POST', '/api/v1/namespaces/default/configmaps', cm('good-one'));
    assert.equal(ok.status, 201);
    assert.match(ok.headers.get('warning') ?? '', /looked at by the validator/);
    const req = seen.find((s) => s.object?.metadata?.name === 'good-one')!;
    assert.equal(req.operation, 'CREATE');
    assert.deepEqual(req.kind, { group: '', version: 'v1', kind: 'ConfigMap' });
    assert.deepEqual(req.resource, { group: '', version: 'v1', resource: 'configmaps' });
    assert.equal(req.namespace, 'default');
    assert.equal(req.userInfo.username, 'system:admin');
    assert.equal(req.oldObject, null);
    assert.equal(req.options.kind, 'CreateOptions');
    await call('DELETE', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/deny-bad');
  });

  it('an eviction reaches a webhook as a CREATE of pods/eviction with the policy/v1 Eviction', async () => {
    const r = await call('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', cfg('Validating', 'evictions', [
      { name: 'evict.example.com', clientConfig: { url: `${backend.url}/noop`, caBundle: backend.caBundle }, rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/eviction'] }], sideEffects: 'None', admissionReviewVersions: ['v1'] },
    ]));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal((await call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'to-evict' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } })).status, 201);
    const ev = await call('POST', '/api/v1/namespaces/default/pods/to-evict/eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'to-evict' } });
    assert.equal(ev.status, 201, JSON.stringify(ev.body));
    const req = seen.find((s) => s.subResource === 'eviction')!;
    assert.ok(req, 'the webhook saw no eviction');
    assert.equal(req.operation, 'CREATE');
    assert.deepEqual(req.kind, { group: 'policy', version: 'v1', kind: 'Eviction' });
    assert.deepEqual(req.resource, { group: '', version: 'v1', resource: 'pods' });
    assert.equal(req.name, 'to-evict');
    assert.equal(req.object.kind, 'Eviction');
    assert.equal(req.oldObject, null);
    await call('DELETE', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/evictions');
  });

  it('a mutating webhook patches the object', async () => {
    const r = await call('POST', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', cfg('Mutating', 'label', [
      { name: 'label.example.com', clientConfig: { url: `${backend.url}/mutate`, caBundle: backend.caBundle }, rules: cmRule, sideEffects: 'None', admissionReviewVersions: ['v1'] },
    ]));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.webhooks[0].reinvocationPolicy, 'Never');
    const made = await call('POST', '/api/v1/namespaces/default/configmaps', cm('to-mutate'));
    assert.equal(made.status, 201);
    assert.deepEqual(made.body.metadata.labels, { mutated: 'yes' });
    const got = await call('GET', '/api/v1/namespaces/default/configmaps/to-mutate');
    assert.deepEqual(got.body.metadata.labels, { mutated: 'yes' });
    await call('DELETE', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/label');
  });

  it('failurePolicy Ignore lets requests through when the webhook is down; Fail refuses them', async () => {
    const down = 'https://127.0.0.1:1/validate';
    await call('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', cfg('Validating', 'down-ignore', [
      { name: 'ignore.example.com', clientConfig: { url: down, caBundle: backend.caBundle }, rules: cmRule, sideEffects: 'None', admissionReviewVersions: ['v1'], failurePolicy: 'Ignore' },
    ]));
    assert.equal((await call('POST', '/api/v1/namespaces/default/configmaps', cm('through'))).status, 201);
    await call('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', cfg('Validating', 'down-fail', [
      { name: 'fail.example.com', clientConfig: { url: down, caBundle: backend.caBundle }, rules: cmRule, sideEffects: 'None', admissionReviewVersions: ['v1'] },
    ]));
    const refused = await call('POST', '/api/v1/namespaces/default/configmaps', cm('blocked'));
    assert.equal(refused.status, 500);
    assert.equal(refused.body.reason, 'InternalError');
    assert.equal(refused.body.message, 'Internal error occurred: failed calling webhook "fail.example.com": failed to call webhook: Post "https://127.0.0.1:1/validate?timeout=10s": dial tcp 127.0.0.1:1: connect: connection refused');
    // The configurations themselves are never sent to webhooks: the broken one can be removed.
    assert.equal((await call('DELETE', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/down-fail')).status, 200);
    await call('DELETE', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/down-ignore');
  });

  it('a NoneOnDryRun webhook is called on dry run; a certificate from an unknown CA fails the call', async () => {
    await call('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', cfg('Validating', 'untrusted', [
      { name: 'untrusted.example.com', clientConfig: { url: `${backend.url}/validate` }, rules: cmRule, sideEffects: 'NoneOnDryRun', admissionReviewVersions: ['v1'] },
    ]));
    const r = await call('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', cm('dry'));
    assert.equal(r.status, 500);
    assert.match(r.body.message, /failed calling webhook "untrusted.example.com": failed to call webhook: Post ".*": tls: failed to verify certificate: x509: certificate signed by unknown authority/);
    await call('DELETE', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/untrusted');
  });

  it('resolves a service reference through the Service and its Endpoints', async () => {
    const svc = await call('POST', '/api/v1/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'hooks' }, spec: { ports: [{ name: 'https', port: 443, targetPort: backend.port }] } });
    assert.equal(svc.status, 201, JSON.stringify(svc.body));
    const ep = await call('POST', '/api/v1/namespaces/default/endpoints', {
      apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'hooks' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: backend.port }] }],
    });
    assert.equal(ep.status, 201, JSON.stringify(ep.body));
    await call('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', cfg('Validating', 'by-service', [
      { name: 'svc.example.com', clientConfig: { service: { namespace: 'default', name: 'hooks', path: '/validate' }, caBundle: backend.caBundle }, rules: cmRule, sideEffects: 'None', admissionReviewVersions: ['v1'], objectSelector: { matchLabels: { check: 'me' } } },
    ]));
    const skipped = await call('POST', '/api/v1/namespaces/default/configmaps', cm('bad-but-unlabelled'));
    assert.equal(skipped.status, 201, 'the object selector does not match');
    const denied = await call('POST', '/api/v1/namespaces/default/configmaps', { ...cm('bad-labelled'), metadata: { name: 'bad-labelled', labels: { check: 'me' } } });
    assert.equal(denied.status, 403, JSON.stringify(denied.body));
    assert.match(denied.body.message, /admission webhook "svc.example.com" denied the request/);
    await call('DELETE', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/by-service');
  });
});
