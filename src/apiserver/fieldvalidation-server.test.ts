// The API server refuses bodies whose JSON types do not fit the Go types, as kube-apiserver's
// decoder does: 400 on create/update and 422 on patch in every fieldValidation mode, nothing stored.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testServer } from './testing.ts';

const { call } = testServer();

const STS = '/apis/apps/v1/namespaces/default/statefulsets';

function statefulSet(name: string): Record<string, any> {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 1,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'db', image: 'postgres:16', resources: { requests: { cpu: 0.5, memory: '1Gi' } }, readinessProbe: { tcpSocket: { port: 5432 } } }] },
      },
    },
  };
}

describe('JSON type errors through the API server', () => {
  it('create: a YAML 1.1 boolean as a container name is a 400 in every mode, and nothing is stored', async () => {
    for (const mode of ['', '?fieldValidation=Strict', '?fieldValidation=Warn', '?fieldValidation=Ignore']) {
      const body = statefulSet('web');
      body.spec.template.spec.containers[0].name = false;
      const r = await call('POST', STS + mode, body);
      assert.equal(r.status, 400, mode);
      assert.equal(r.body.kind, 'Status');
      assert.equal(r.body.reason, 'BadRequest');
      assert.equal(
        r.body.message,
        'StatefulSet in version "v1" cannot be handled as a StatefulSet: json: cannot unmarshal bool into Go struct field Container.spec.template.spec.containers.name of type string',
      );
      assert.equal((await call('GET', STS + '/web')).status, 404);
    }
  });

  it('create: a number as a label value, an object for a list; a YAML body too', async () => {
    const label = await call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', labels: { v: 1 } } });
    assert.equal(label.status, 400);
    assert.equal(label.body.message, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string');
    const list = statefulSet('list');
    list.spec.template.spec.containers = { name: 'db', image: 'x' };
    assert.match((await call('POST', STS, list)).body.message, /cannot unmarshal object into Go struct field PodSpec\.spec\.template\.spec\.containers of type \[\]v1\.Container$/);
    const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yaml-cm\ndata:\n  ratio: 1.5\n';
    const y = await call('POST', '/api/v1/namespaces/default/configmaps', yaml, 'application/yaml');
    assert.equal(y.status, 400);
    assert.equal(y.body.message, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string');
    assert.equal((await call('GET', '/api/v1/namespaces/default/configmaps/yaml-cm')).status, 404);
  });

  it('accepts IntOrString and Quantity in both forms, and null', async () => {
    const ok = statefulSet('ok');
    ok.spec.replicas = null;
    ok.spec.template.spec.containers[0].readinessProbe.tcpSocket.port = 'pg';
    ok.spec.template.spec.containers[0].resources.limits = { cpu: '1', memory: 2147483648 };
    const r = await call('POST', STS + '?fieldValidation=Strict', ok);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.spec.replicas, 1);
  });

  it('update: `replicas: "3"` is a 400 and the stored object is unchanged', async () => {
    const created = await call('POST', STS, statefulSet('upd'));
    assert.equal(created.status, 201);
    const next = structuredClone(created.body);
    next.spec.replicas = '3';
    const r = await call('PUT', STS + '/upd', next);
    assert.equal(r.status, 400);
    assert.equal(r.body.message, 'StatefulSet in version "v1" cannot be handled as a StatefulSet: json: cannot unmarshal string into Go struct field StatefulSetSpec.spec.replicas of type int32');
    const now = await call('GET', STS + '/upd');
    assert.equal(now.body.spec.replicas, 1);
    assert.equal(now.body.metadata.resourceVersion, created.body.metadata.resourceVersion);
  });

  it('patch: a float replicas is a 422 in every mode, and nothing changes', async () => {
    const created = await call('POST', STS, statefulSet('pat'));
    assert.equal(created.status, 201);
    for (const [type, mode] of [
      ['application/merge-patch+json', '?fieldValidation=Ignore'],
      ['application/strategic-merge-patch+json', ''],
      ['application/json-patch+json', '?fieldValidation=Strict'],
    ] as const) {
      const patch = type === 'application/json-patch+json' ? [{ op: 'replace', path: '/spec/replicas', value: 1.5 }] : { spec: { replicas: 1.5 } };
      const r = await call('PATCH', STS + '/pat' + mode, patch, type);
      assert.equal(r.status, 422, type);
      assert.equal(r.body.reason, 'Invalid');
      if (type === 'application/strategic-merge-patch+json') assert.equal(r.body.message, ' "" is invalid: patch: Invalid value: "map[spec:map[replicas:1.5]]": cannot convert float64 to int32');
      else assert.match(r.body.message, /^ "" is invalid: patch: Invalid value: "\{.*\}": json: cannot unmarshal number 1\.5 into Go struct field StatefulSetSpec\.spec\.replicas of type int32$/);
    }
    const now = await call('GET', STS + '/pat');
    assert.equal(now.body.spec.replicas, 1);
    assert.equal(now.body.metadata.resourceVersion, created.body.metadata.resourceVersion);
  });

  it('patch: unknown fields where the patch reached (a container in a list too) are pruned, warned or refused by mode', async () => {
    const created = await call('POST', STS, statefulSet('unk'));
    assert.equal(created.status, 201);
    const containers = [{ name: 'db', image: 'postgres:17', imagePullpolicy: 'Always' }];
    // Strict: 422 and nothing changes.
    let r = await call('PATCH', STS + '/unk?fieldValidation=Strict', { spec: { template: { spec: { containers } } } }, 'application/merge-patch+json');
    assert.equal(r.status, 422);
    assert.match(r.body.message, /strict decoding error: unknown field "spec\.template\.spec\.containers\[0\]\.imagePullpolicy"/);
    // Warn: written without the field, with a warning.
    r = await call('PATCH', STS + '/unk?fieldValidation=Warn', { spec: { replicas: 2, bogus: 1, template: { spec: { containers } } } }, 'application/strategic-merge-patch+json');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('warning') ?? '', /unknown field \\"spec\.bogus\\"/);
    assert.match(r.headers.get('warning') ?? '', /unknown field \\"spec\.template\.spec\.containers\[0\]\.imagePullpolicy\\"/);
    assert.equal(r.body.spec.replicas, 2);
    assert.equal(r.body.spec.bogus, undefined);
    assert.equal(r.body.spec.template.spec.containers[0].image, 'postgres:17');
    assert.equal(r.body.spec.template.spec.containers[0].imagePullpolicy, undefined);
    // Ignore: pruned silently, also in a status patch.
    r = await call('PATCH', STS + '/unk/status?fieldValidation=Ignore', { status: { replicas: 1, madeUp: true } }, 'application/merge-patch+json');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('warning'), null);
    assert.equal(r.body.status.madeUp, undefined);
    const now = await call('GET', STS + '/unk');
    assert.equal(now.body.status.madeUp, undefined);
    assert.equal(now.body.spec.bogus, undefined);
  });
});
