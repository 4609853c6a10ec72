// CustomResourceDefinitions over HTTP, as a client of kube-apiserver sees them: CRD validation
// and status, the resource served in discovery and OpenAPI, CRUD with schema validation, pruning,
// defaulting and CEL rules, status and scale subresources, selectors, several versions, Tables,
// deletion with the cleanup finalizer, and CRDs served again after a restart.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../storage/memory/memory.ts';
import { ApiServer } from '../apiserver/server.ts';
import { customResourceSchema } from './index.ts';
import { jsonClient } from '../apiserver/testing.ts';

let api: ApiServer;
let base: string;
const storage = new MemoryBackend();

before(async () => {
  api = new ApiServer({ storage, port: 0 });
  base = await api.start();
});
after(async () => {
  await api.stop();
  await storage.close();
});

const call = jsonClient(() => base);

async function until<T>(f: () => Promise<T | undefined | false>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const CRD = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

function widgetCRD(): any {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', kind: 'Widget', shortNames: ['wd'], categories: ['all'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } },
          additionalPrinterColumns: [
            { name: 'Size', type: 'string', jsonPath: '.spec.size' },
            { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas', priority: 1 },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          selectableFields: [{ jsonPath: '.spec.size' }],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  required: ['size'],
                  'x-kubernetes-validations': [
                    { rule: 'self.replicas <= 10', message: 'at most 10 replicas' },
                    { rule: 'self.size == oldSelf.size', message: 'size is immutable', reason: 'FieldValueForbidden' },
                  ],
                  properties: {
                    size: { type: 'string', enum: ['small', 'large'] },
                    replicas: { type: 'integer', minimum: 0, default: 1 },
                    name: { type: 'string', pattern: '^[a-z]+$', maxLength: 8 },
                    ports: {
                      type: 'array',
                      'x-kubernetes-list-type': 'map',
                      'x-kubernetes-list-map-keys': ['port'],
                      items: { type: 'object', required: ['port'], properties: { port: { type: 'integer' }, name: { type: 'string' } } },
                    },
                    tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
                    extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                    port: { 'x-kubernetes-int-or-string': true },
                  },
                },
                status: { type: 'object', properties: { replicas: { type: 'integer' }, selector: { type: 'string' }, ready: { type: 'boolean' } } },
              },
            },
          },
        },
        {
          name: 'v1beta1',
          served: true,
          storage: false,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  };
}

const W = '/apis/example.com/v1/namespaces/default/widgets';

describe('CustomResourceDefinitions', () => {
  before(async () => {
    const r = await call('POST', CRD, widgetCRD());
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.spec.names.listKind, 'WidgetList');
    assert.equal(r.body.spec.names.singular, 'widget');
    await until(async () => (await call('GET', '/apis/example.com/v1')).status === 200);
  });

  it('refuses invalid and non-structural CRDs with upstream messages', async () => {
    const bad = widgetCRD();
    bad.metadata.name = 'gadgets.example.com';
    bad.spec.names = { plural: 'gadgets', kind: 'Gadget' };
    bad.spec.versions[1].storage = true;
    bad.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.size = { enum: ['a'] };
    const r = await call('POST', CRD, bad);
    assert.equal(r.status, 422);
    assert.match(r.body.message, /^CustomResourceDefinition.apiextensions.k8s.io "gadgets.example.com" is invalid: \[/);
    assert.match(r.body.message, /spec.versions: Invalid value: .*must have exactly one version marked as storage version/);
    assert.match(r.body.message, /spec.versions\[0\].schema.openAPIV3Schema.properties\[spec\].properties\[size\].type: Required value: must not be empty for specified object fields/);
    const name = widgetCRD();
    name.metadata.name = 'wrong.example.com';
    const r2 = await call('POST', CRD, name);
    assert.match(r2.body.message, /metadata.name: Invalid value: "wrong.example.com": must be spec.names.plural\+"."\+spec.group/);
    const rule = widgetCRD();
    rule.metadata.name = 'things.example.com';
    rule.spec.names = { plural: 'things', kind: 'Thing' };
    rule.spec.versions[0].schema.openAPIV3Schema.properties.spec['x-kubernetes-validations'] = [{ rule: 'self.size ==' }];
    const r3 = await call('POST', CRD, rule);
    assert.equal(r3.status, 422);
    assert.match(r3.body.message, /x-kubernetes-validations\[0\].rule: Invalid value: "self.size ==": compilation failed/);
  });

  it('sets NamesAccepted, Established and storedVersions', async () => {
    const crd = await until(async () => {
      const r = await call('GET', `${CRD}/widgets.example.com`);
      return r.body.status?.conditions?.some((c: any) => c.type === 'Established' && c.status === 'True') && r.body;
    });
    assert.deepEqual(crd.status.storedVersions, ['v1']);
    assert.equal(crd.status.acceptedNames.kind, 'Widget');
    assert.deepEqual(crd.status.acceptedNames.shortNames, ['wd']);
    const names = crd.status.conditions.find((c: any) => c.type === 'NamesAccepted');
    assert.equal(names.reason, 'NoConflicts');
    assert.equal(crd.metadata.generation, 1);
  });

  it('serves the resource in discovery and OpenAPI', async () => {
    const list = await call('GET', '/apis/example.com/v1');
    const w = list.body.resources.find((r: any) => r.name === 'widgets');
    assert.deepEqual(w.shortNames, ['wd']);
    assert.deepEqual(w.categories, ['all']);
    assert.equal(w.namespaced, true);
    assert.ok(list.body.resources.some((r: any) => r.name === 'widgets/status'));
    assert.ok(list.body.resources.some((r: any) => r.name === 'widgets/scale' && r.group === 'autoscaling'));
    const agg = await call('GET', '/apis', undefined, { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' });
    const g = agg.body.items.find((i: any) => i.metadata.name === 'example.com');
    assert.deepEqual(g.versions.map((v: any) => v.version), ['v1', 'v1beta1']);
    const v3 = await call('GET', '/openapi/v3/apis/example.com/v1');
    const def = v3.body.components.schemas['com.example.v1.Widget'];
    assert.equal(def.properties.spec.properties.size.type, 'string');
    assert.deepEqual(def['x-kubernetes-group-version-kind'], [{ group: 'example.com', kind: 'Widget', version: 'v1' }]);
    assert.ok(v3.body.paths['/apis/example.com/v1/namespaces/{namespace}/widgets/{name}']);
    const root = await call('GET', '/openapi/v3');
    assert.ok(root.body.paths['apis/example.com/v1']);
    const v2 = await call('GET', '/openapi/v2');
    assert.ok(v2.body.definitions['com.example.v1.Widget']);
    assert.ok(customResourceSchema(api, 'example.com', 'v1', 'Widget')?.properties?.spec);
  });

  it('creates with defaults and pruning, and validates against the schema', async () => {
    const r = await call('POST', W, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'a', labels: { app: 'x' } }, spec: { size: 'small', bogus: 1, extra: { anything: [1] } }, status: { ready: true } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.spec.replicas, 1);
    assert.equal(r.body.spec.bogus, undefined);
    assert.deepEqual(r.body.spec.extra, { anything: [1] });
    assert.equal(r.body.status, undefined, 'status is reset on create');
    assert.equal(r.body.metadata.generation, 1);
    assert.match(r.headers.get('warning') ?? '', /unknown field \\"spec.bogus\\"/);
    const strict = await call('POST', W + '?fieldValidation=Strict', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'b' }, spec: { size: 'small', bogus: 1 } });
    assert.equal(strict.status, 400);
    assert.equal(strict.body.message, 'Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec.bogus"');

    const bad = await call('POST', W, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'c' }, spec: { size: 'huge', replicas: 'x', name: 'ABC', ports: [{ port: 1 }, { port: 1 }], tags: ['a', 'a'], port: true } });
    assert.equal(bad.status, 422);
    const fields = bad.body.details.causes.map((c: any) => `${c.field}: ${c.message}`);
    assert.ok(fields.includes('spec.size: Unsupported value: "huge": supported values: "small", "large"'), fields.join('\n'));
    assert.ok(fields.includes('spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"'), fields.join('\n'));
    assert.ok(fields.includes("spec.name: Invalid value: \"ABC\": spec.name in body should match '^[a-z]+$'"), fields.join('\n'));
    assert.ok(fields.includes('spec.ports[1]: Duplicate value: {"port":1}'), fields.join('\n'));
    assert.ok(fields.includes('spec.tags[1]: Duplicate value: "a"'), fields.join('\n'));
    assert.ok(fields.some((f: string) => f.startsWith('spec.port: Invalid value: "boolean"')), fields.join('\n'));
    assert.match(bad.body.message, /^Widget.example.com "c" is invalid: \[/);

    const req = await call('POST', W, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'd' }, spec: {} });
    assert.equal(req.body.message, 'Widget.example.com "d" is invalid: spec.size: Required value');
  });

  it('evaluates CEL rules, transition rules included', async () => {
    const r = await call('POST', W, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'cel' }, spec: { size: 'small', replicas: 11 } });
    assert.equal(r.status, 422);
    assert.equal(r.body.message, 'Widget.example.com "cel" is invalid: spec: Invalid value: "object": at most 10 replicas');
    const ok = await call('POST', W, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'cel' }, spec: { size: 'small', replicas: 2 } });
    assert.equal(ok.status, 201);
    const change = await call('PATCH', `${W}/cel`, { spec: { size: 'large' } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(change.status, 422);
    assert.equal(change.body.message, 'Widget.example.com "cel" is invalid: spec: Forbidden: size is immutable');
    assert.equal(change.body.details.causes[0].reason, 'FieldValueForbidden');
  });

  it('keeps status and spec apart and bumps generation on spec changes', async () => {
    const p = await call('PATCH', `${W}/a`, { spec: { replicas: 3 }, status: { replicas: 9 } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(p.status, 200, JSON.stringify(p.body));
    assert.equal(p.body.spec.replicas, 3);
    assert.equal(p.body.status, undefined);
    assert.equal(p.body.metadata.generation, 2);
    const s = await call('PATCH', `${W}/a/status`, { spec: { replicas: 5 }, status: { replicas: 3, selector: 'app=x' } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(s.status, 200, JSON.stringify(s.body));
    assert.equal(s.body.spec.replicas, 3);
    assert.equal(s.body.status.replicas, 3);
    assert.equal(s.body.metadata.generation, 2);
    const smp = await call('PATCH', `${W}/a`, { spec: { replicas: 3 } }, { 'Content-Type': 'application/strategic-merge-patch+json' });
    assert.equal(smp.status, 415);
  });

  it('serves the scale subresource from the CRD paths', async () => {
    const s = await call('GET', `${W}/a/scale`);
    assert.deepEqual(s.body.spec, { replicas: 3 });
    assert.deepEqual(s.body.status, { replicas: 3, selector: 'app=x' });
    const u = await call('PATCH', `${W}/a/scale`, { spec: { replicas: 4 } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(u.status, 200, JSON.stringify(u.body));
    assert.equal((await call('GET', `${W}/a`)).body.spec.replicas, 4);
  });

  it('lists with label and field selectors, and prints Tables from the printer columns', async () => {
    await call('POST', W, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'big' }, spec: { size: 'large' } });
    const bySize = await call('GET', `${W}?fieldSelector=spec.size%3Dlarge`);
    assert.deepEqual(bySize.body.items.map((i: any) => i.metadata.name), ['big']);
    const byName = await call('GET', `${W}?fieldSelector=metadata.name%3Da`);
    assert.deepEqual(byName.body.items.map((i: any) => i.metadata.name), ['a']);
    const bad = await call('GET', `${W}?fieldSelector=spec.replicas%3D1`);
    assert.equal(bad.status, 400);
    const byLabel = await call('GET', `${W}?labelSelector=app%3Dx`);
    assert.deepEqual(byLabel.body.items.map((i: any) => i.metadata.name), ['a']);
    const t = await call('GET', `${W}/a`, undefined, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    assert.deepEqual(t.body.columnDefinitions.map((c: any) => [c.name, c.type, c.priority]), [['Name', 'string', 0], ['Size', 'string', 0], ['Replicas', 'integer', 1], ['Age', 'date', 0]]);
    assert.equal(t.body.rows[0].cells[0], 'a');
    assert.equal(t.body.rows[0].cells[1], 'small');
    assert.equal(t.body.rows[0].cells[2], 4);
  });

  it('watches custom resources', async () => {
    const rv = (await call('GET', W)).body.metadata.resourceVersion;
    const ac = new AbortController();
    const res = await fetch(`${base}${W}?watch=1&resourceVersion=${rv}&labelSelector=w%3D1`, { signal: ac.signal });
    const reader = res.body!.getReader();
    await call('POST', W, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'watched', labels: { w: '1' } }, spec: { size: 'small' } });
    let text = '';
    while (!text.includes('\n')) text += Buffer.from((await reader.read()).value!).toString();
    ac.abort();
    const ev = JSON.parse(text.split('\n')[0]!);
    assert.equal(ev.type, 'ADDED');
    assert.equal(ev.object.kind, 'Widget');
    assert.equal(ev.object.metadata.name, 'watched');
  });

  it('serves every served version over the same objects (conversion None)', async () => {
    const r = await call('GET', '/apis/example.com/v1beta1/namespaces/default/widgets/a');
    assert.equal(r.status, 200);
    assert.equal(r.body.apiVersion, 'example.com/v1beta1');
    assert.equal(r.body.spec.size, 'small');
    const list = await call('GET', '/apis/example.com/v1beta1/widgets');
    assert.ok(list.body.items.length >= 2);
  });

  it('deletes the custom resources with the CRD, then stops serving it', async () => {
    const d = await call('DELETE', `${CRD}/widgets.example.com`);
    assert.equal(d.status, 200);
    await until(async () => (await call('GET', `${CRD}/widgets.example.com`)).status === 404);
    await until(async () => (await call('GET', '/apis/example.com/v1')).status === 404);
    assert.equal((await call('GET', W)).status, 404);
    // Recreated: no old objects come back.
    const again = await call('POST', CRD, widgetCRD());
    assert.equal(again.status, 201);
    const list = await until(async () => {
      const r = await call('GET', W);
      return r.status === 200 && r.body;
    });
    assert.deepEqual(list.items, []);
  });

  it('serves the CRDs in storage again after a restart', async () => {
    await call('POST', W, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'kept' }, spec: { size: 'small' } });
    await api.stop();
    api = new ApiServer({ storage, port: 0 });
    base = await api.start();
    const r = await call('GET', `${W}/kept`);
    assert.equal(r.status, 200);
    assert.equal(r.body.spec.replicas, 1);
  });
});
