// ValidatingAdmissionPolicy as a client sees it: a policy and binding refuse a Deployment with too
// many replicas (upstream's message, reason and code), messageExpression, variables, Warn actions,
// failurePolicy on evaluation errors, binding matchResources, and validation of the two kinds.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testServer } from '../testing.ts';
import { toCel, validateAdmissionPolicy } from './policy.ts';
import { fieldErrorString } from '../../machinery/errors.ts';

const { call: request } = testServer();
const call = (method: string, path: string, body?: unknown) => request(method, path, body, method === 'PATCH' ? 'application/merge-patch+json' : 'application/json');

const AR = '/apis/admissionregistration.k8s.io/v1';
const policy = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name }, spec });
const binding = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name }, spec });
const deployRules = { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] }] };
const deployment = (name: string, replicas: number, labels: Record<string, string> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, labels },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
});

describe('ValidatingAdmissionPolicy', () => {
  it('converts whole JSON numbers to CEL ints', () => {
    assert.deepEqual(toCel({ a: 3, b: 1.5, c: [2] }), { a: 3n, b: 1.5, c: [2n] });
  });

  it('validates policies: failurePolicy defaulted, matchConstraints and compilable expressions required', () => {
    const errs = validateAdmissionPolicy(policy('p', { failurePolicy: 'Fail', validations: [{ expression: 'object.spec.replicas <=' }] })).map(fieldErrorString);
    assert.equal(errs[0], 'spec.matchConstraints: Required value');
    assert.match(errs[1]!, /^spec\.validations\[0\]\.expression: Invalid value: "object\.spec\.replicas <=": compilation failed: /);
  });

  it('refuses a Deployment with more than 5 replicas with its message', async () => {
    const p = await call('POST', `${AR}/validatingadmissionpolicies`, policy('max-replicas', {
      matchConstraints: deployRules,
      validations: [{ expression: 'object.spec.replicas <= 5', message: 'replicas must be no greater than 5' }],
    }));
    assert.equal(p.status, 201, JSON.stringify(p.body));
    assert.equal(p.body.spec.failurePolicy, 'Fail');
    const b = await call('POST', `${AR}/validatingadmissionpolicybindings`, binding('max-replicas-binding', { policyName: 'max-replicas', validationActions: ['Deny'] }));
    assert.equal(b.status, 201, JSON.stringify(b.body));
    const denied = await call('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('big', 6));
    assert.equal(denied.status, 422);
    assert.equal(denied.body.reason, 'Invalid');
    assert.equal(denied.body.message, `deployments.apps "big" is forbidden: ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-binding' denied request: replicas must be no greater than 5`);
    assert.equal((await call('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('small', 3))).status, 201);
    // Updates are checked too.
    const up = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/small', { spec: { replicas: 9 } });
    assert.equal(up.status, 422);
    assert.match(up.body.message, /deployments.apps "small" is forbidden: .*denied request: replicas must be no greater than 5/);
  });

  it('uses messageExpression, variables and reason; Warn adds a warning instead of refusing', async () => {
    await call('POST', `${AR}/validatingadmissionpolicies`, policy('named', {
      matchConstraints: deployRules,
      variables: [{ name: 'prefix', expression: "'team-'" }],
      validations: [{ expression: 'object.metadata.name.startsWith(variables.prefix)', messageExpression: "'name ' + object.metadata.name + ' must start with ' + variables.prefix", reason: 'Forbidden' }],
    }));
    await call('POST', `${AR}/validatingadmissionpolicybindings`, binding('named-deny', { policyName: 'named', validationActions: ['Deny'], matchResources: { objectSelector: { matchLabels: { enforce: 'yes' } } } }));
    await call('POST', `${AR}/validatingadmissionpolicybindings`, binding('named-warn', { policyName: 'named', validationActions: ['Warn'] }));
    const warned = await call('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('plain', 1));
    assert.equal(warned.status, 201);
    assert.match(warned.headers.get('warning') ?? '', /Validation failed for ValidatingAdmissionPolicy 'named' with binding 'named-warn': name plain must start with team-/);
    const denied = await call('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('enforced', 1, { enforce: 'yes' }));
    assert.equal(denied.status, 403);
    assert.equal(denied.body.reason, 'Forbidden');
    assert.equal(denied.body.message, `deployments.apps "enforced" is forbidden: ValidatingAdmissionPolicy 'named' with binding 'named-deny' denied request: name enforced must start with team-`);
    for (const n of ['named-deny', 'named-warn']) await call('DELETE', `${AR}/validatingadmissionpolicybindings/${n}`);
  });

  it('an evaluation error refuses under failurePolicy Fail and is ignored under Ignore', async () => {
    await call('POST', `${AR}/validatingadmissionpolicies`, policy('broken', {
      matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }] },
      validations: [{ expression: "object.data.missing == 'x'" }],
    }));
    await call('POST', `${AR}/validatingadmissionpolicybindings`, binding('broken', { policyName: 'broken', validationActions: ['Deny'] }));
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1' }, data: { a: '1' } };
    const denied = await call('POST', '/api/v1/namespaces/default/configmaps', cm);
    assert.equal(denied.status, 422);
    assert.equal(denied.body.message, `configmaps "c1" is forbidden: ValidatingAdmissionPolicy 'broken' with binding 'broken' denied request: expression 'object.data.missing == 'x'' resulted in error: no such key: missing`);
    const p = await call('GET', `${AR}/validatingadmissionpolicies/broken`);
    await call('PUT', `${AR}/validatingadmissionpolicies/broken`, { ...p.body, spec: { ...p.body.spec, failurePolicy: 'Ignore' } });
    assert.equal((await call('POST', '/api/v1/namespaces/default/configmaps', cm)).status, 201);
  });
});

describe('admission of evictions', () => {
  it('sends pods/eviction through admission as a CREATE of a policy/v1 Eviction', async () => {
    const p = await call('POST', `${AR}/validatingadmissionpolicies`, policy('no-evicting-protected', {
      matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods/eviction'] }] },
      validations: [{
        expression: "object.kind == 'Eviction' && object.apiVersion == 'policy/v1' && request.subResource == 'eviction' && !object.metadata.name.startsWith('protected-')",
        message: 'protected pods stay',
      }],
    }));
    assert.equal(p.status, 201, JSON.stringify(p.body));
    assert.equal((await call('POST', `${AR}/validatingadmissionpolicybindings`, binding('no-evicting-protected', { policyName: 'no-evicting-protected', validationActions: ['Deny'] }))).status, 201);
    for (const name of ['protected-a', 'free-a']) {
      const c = await call('POST', '/api/v1/namespaces/default/pods', { metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
      assert.equal(c.status, 201, JSON.stringify(c.body));
    }
    const evict = (name: string) => call('POST', `/api/v1/namespaces/default/pods/${name}/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name } });
    const denied = await evict('protected-a');
    assert.equal(denied.status, 422, JSON.stringify(denied.body));
    assert.match(denied.body.message, /ValidatingAdmissionPolicy 'no-evicting-protected' .*denied request: protected pods stay/);
    assert.equal((await call('GET', '/api/v1/namespaces/default/pods/protected-a')).status, 200);
    const allowed = await evict('free-a');
    assert.equal(allowed.status, 201, JSON.stringify(allowed.body));
    // No grace period on a pod no node runs: it is gone.
    assert.equal((await call('GET', '/api/v1/namespaces/default/pods/free-a')).status, 404);
  });
});
