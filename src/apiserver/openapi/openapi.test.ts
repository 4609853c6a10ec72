// Checks the OpenAPI v2/v3 documents for what kubectl reads: explain data, the fieldValidation
// patch parameter that hands validation to the server, merge keys, and the gnostic protobuf form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { builtinResources } from '../../api/resources.ts';
import { DiscoveryDocuments } from '../discovery/discovery.ts';
import {
  OPENAPI_V2_PROTOBUF_CONTENT_TYPE,
  wantsOpenAPIv2Protobuf,
  definitions,
  openapiV2,
  openapiV2JSON,
  openapiV2Protobuf,
  openapiV3GroupVersion,
  openapiV3GroupVersionJSON,
  openapiV3Root,
} from './openapi.ts';

test('explain data: PodSpec.containers has a description, merge key and list type', () => {
  const defs = definitions();
  const containers = defs['io.k8s.api.core.v1.PodSpec']!.properties.containers;
  assert.match(containers.description, /List of containers belonging to the pod/);
  assert.equal(containers.items.$ref, '#/definitions/io.k8s.api.core.v1.Container');
  assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
  assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
  assert.deepEqual(containers['x-kubernetes-list-map-keys'], ['name']);
  assert.deepEqual(defs['io.k8s.api.core.v1.PodSpec']!.required, ['containers']);
  assert.deepEqual(defs['io.k8s.api.core.v1.Container']!.required, ['name']);
  const ports = defs['io.k8s.api.core.v1.Container']!.properties.ports;
  assert.equal(ports['x-kubernetes-patch-merge-key'], 'containerPort');
  assert.deepEqual(ports['x-kubernetes-list-map-keys'], ['containerPort', 'protocol']);
  assert.equal(defs['io.k8s.api.core.v1.PodSpec']!.properties.volumes['x-kubernetes-patch-strategy'], 'merge,retainKeys');
  assert.equal(defs['io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector']!['x-kubernetes-map-type'], 'atomic');
});

test('upstream definition names, types and group-version-kinds', () => {
  const defs = definitions();
  assert.deepEqual(defs['io.k8s.api.apps.v1.Deployment']!['x-kubernetes-group-version-kind'], [
    { group: 'apps', version: 'v1', kind: 'Deployment' },
  ]);
  assert.deepEqual(defs['io.k8s.api.core.v1.PodList']!['x-kubernetes-group-version-kind'], [{ group: '', version: 'v1', kind: 'PodList' }]);
  assert.ok(defs['io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler']);
  assert.ok(defs['io.k8s.api.events.v1.Event']);
  assert.ok(defs['io.k8s.api.core.v1.Event']);
  assert.ok(defs['io.k8s.api.core.v1.TopologySelectorTerm']);
  assert.ok(defs['io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition']);
  assert.deepEqual(defs['io.k8s.apimachinery.pkg.util.intstr.IntOrString'], {
    description: defs['io.k8s.apimachinery.pkg.util.intstr.IntOrString']!.description,
    type: 'string',
    format: 'int-or-string',
  });
  const meta = defs['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']!.properties;
  assert.equal(meta.creationTimestamp.$ref, '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Time');
  assert.match(meta.creationTimestamp.description, /timestamp representing the server time/);
  assert.equal(meta.ownerReferences['x-kubernetes-patch-merge-key'], 'uid');
  const limits = defs['io.k8s.api.core.v1.ResourceRequirements']!.properties.limits;
  assert.equal(limits.additionalProperties.$ref, '#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity');
  const port = defs['io.k8s.api.core.v1.ServicePort']!.properties.targetPort;
  assert.equal(port.$ref, '#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString');
  assert.equal(defs['io.k8s.api.core.v1.ServiceSpec']!.properties.clusterIP.type, 'string');
  assert.equal(defs['io.k8s.api.apps.v1.DeploymentSpec']!.properties.replicas.format, 'int32');
  assert.equal(defs['io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta']!.properties.continue.type, 'string');
});

test('v3 root lists every served group-version with a hash', () => {
  const root = openapiV3Root();
  assert.match(root.paths['api/v1']!.serverRelativeURL, /^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}$/);
  assert.ok(root.paths['apis/apps/v1']);
  assert.ok(root.paths['apis/autoscaling/v2']);
  assert.equal(root.paths['apis/apiextensions.k8s.io/v1'], undefined);
  assert.equal(openapiV3Root().paths['api/v1']!.serverRelativeURL, root.paths['api/v1']!.serverRelativeURL);
});

test('every v3 patch operation carries fieldValidation, the patch types and a GVK', () => {
  for (const gv of Object.keys(openapiV3Root().paths)) {
    const doc = openapiV3GroupVersion(gv)!;
    assert.equal(doc.openapi, '3.0.0');
    let patches = 0;
    for (const [path, item] of Object.entries(doc.paths as Record<string, any>)) {
      const op = item.patch;
      if (!op) continue;
      patches++;
      assert.ok(op.parameters.some((p: any) => p.name === 'fieldValidation' && p.in === 'query'), `${path}`);
      assert.deepEqual(Object.keys(op.requestBody.content), [
        'application/json-patch+json',
        'application/merge-patch+json',
        'application/strategic-merge-patch+json',
        'application/apply-patch+yaml',
      ]);
      assert.ok(op['x-kubernetes-group-version-kind'].kind, path);
    }
    if (gv !== 'apis/authentication.k8s.io/v1' && gv !== 'apis/authorization.k8s.io/v1') assert.ok(patches > 0, gv);
    // all refs resolve inside components.schemas
    const text = openapiV3GroupVersionJSON(gv)!.json;
    for (const m of text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)) assert.ok(doc.components.schemas[m[1]!], `${gv}: ${m[1]}`);
  }
  const apps = openapiV3GroupVersion('apis/apps/v1')!;
  const patch = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
  assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: 'apps', version: 'v1', kind: 'Deployment' });
  const scale = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'].patch;
  assert.deepEqual(scale['x-kubernetes-group-version-kind'], { group: 'autoscaling', version: 'v1', kind: 'Scale' });
  const dep = apps.components.schemas['io.k8s.api.apps.v1.Deployment'];
  assert.deepEqual(dep['x-kubernetes-group-version-kind'], [{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
  assert.equal(dep.properties.spec.$ref, '#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec');
  // a $ref with a description of its own is wrapped in allOf, as upstream's v3 documents do
  const created = apps.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties.creationTimestamp;
  assert.deepEqual(created.allOf, [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Time' }]);
  assert.match(created.description, /CreationTimestamp/);
  assert.ok(apps.components.schemas['io.k8s.api.core.v1.PodSpec']);
  assert.equal(openapiV3GroupVersion('apis/nope/v1'), undefined);
});

test('v2 document: swagger 2.0 with paths and definitions', () => {
  const v2 = openapiV2() as any;
  assert.equal(v2.swagger, '2.0');
  const op = v2.paths['/api/v1/namespaces/{namespace}/pods/{name}'].patch;
  assert.equal(op.operationId, 'patchCoreV1NamespacedPod');
  assert.ok(op.parameters.some((p: any) => p.name === 'fieldValidation' && p.in === 'query'));
  assert.ok(v2.paths['/api/v1/pods'].get);
  assert.ok(v2.paths['/api/v1/nodes/{name}/status'].patch);
  assert.ok(v2.paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction'].post);
  assert.equal(JSON.parse(openapiV2JSON()).swagger, '2.0');
});

// ---- a minimal protobuf reader for the test ----

type Fields = Map<number, (Buffer | number)[]>;
function decode(buf: Buffer): Fields {
  const out: Fields = new Map();
  let i = 0;
  const varint = (): number => {
    let n = 0;
    let mul = 1;
    for (;;) {
      const b = buf[i++]!;
      n += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) return n;
    }
  };
  while (i < buf.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    let v: Buffer | number;
    if (wire === 0) v = varint();
    else if (wire === 2) {
      const len = varint();
      v = buf.subarray(i, i + len);
      i += len;
    } else throw new Error(`unexpected wire type ${wire}`);
    if (!out.has(field)) out.set(field, []);
    out.get(field)!.push(v);
  }
  return out;
}
const str = (f: Fields, n: number): string => (f.get(n)?.[0] as Buffer | undefined)?.toString('utf8') ?? '';
const msgs = (f: Fields, n: number): Fields[] => (f.get(n) ?? []).map((b) => decode(b as Buffer));

test('protobuf v2 decodes back to the same document', () => {
  const doc = decode(openapiV2Protobuf());
  assert.equal(str(doc, 1), '2.0');
  assert.equal(str(msgs(doc, 2)[0]!, 1), 'Kubernetes');
  // definitions → NamedSchema{name, Schema}
  const defs = msgs(msgs(doc, 9)[0]!, 1);
  assert.equal(defs.length, Object.keys(definitions()).length);
  const podSpec = defs.find((d) => str(d, 1) === 'io.k8s.api.core.v1.PodSpec')!;
  const schema = msgs(podSpec, 2)[0]!;
  assert.deepEqual(msgs(schema, 22)[0]!.get(1)!.map((b) => b.toString()), ['object']);
  assert.deepEqual((schema.get(19) ?? []).map((b) => b.toString()), ['containers']);
  const props = msgs(msgs(schema, 25)[0]!, 1);
  const containers = msgs(props.find((p) => str(p, 1) === 'containers')!, 2)[0]!;
  assert.match(str(containers, 4), /List of containers/);
  const items = msgs(msgs(containers, 23)[0]!, 1)[0]!;
  assert.equal(str(items, 1), '#/definitions/io.k8s.api.core.v1.Container');
  const ext = msgs(containers, 31).map((e) => [str(e, 1), str(msgs(e, 2)[0]!, 2)]);
  assert.deepEqual(ext.find(([k]) => k === 'x-kubernetes-patch-merge-key'), ['x-kubernetes-patch-merge-key', '"name"\n']);
  // paths → the deployment patch operation with the GVK extension and fieldValidation query parameter
  const paths = msgs(msgs(doc, 8)[0]!, 2);
  const dep = paths.find((p) => str(p, 1) === '/apis/apps/v1/namespaces/{namespace}/deployments/{name}')!;
  const patch = msgs(msgs(dep, 2)[0]!, 8)[0]!;
  assert.equal(str(patch, 5), 'patchAppsV1NamespacedDeployment');
  const gvk = msgs(patch, 13).find((e) => str(e, 1) === 'x-kubernetes-group-version-kind')!;
  assert.deepEqual(JSON.parse(str(msgs(gvk, 2)[0]!, 2)), { group: 'apps', version: 'v1', kind: 'Deployment' });
  const names = msgs(patch, 8).map((pi) => {
    const param = msgs(pi, 1)[0]!;
    const nonBody = msgs(param, 2)[0];
    if (!nonBody) return 'body';
    const query = msgs(nonBody, 3)[0];
    return query ? `query:${str(query, 4)}` : 'other';
  });
  assert.ok(names.includes('query:fieldValidation'), names.join());
  assert.ok(names.includes('body'));
});

// ---- end to end with a real kubectl, when this machine has one ----

const KUBECTL_DIR = '/usr/lib/google-cloud-sdk/bin';
function kubectl(bin: string, args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  return new Promise((res) => {
    execFile(join(KUBECTL_DIR, bin), args, { env: { ...process.env, ...env }, timeout: 60_000 }, (e, out, err) =>
      res({ code: e ? ((e as any).code ?? 1) : 0, out, err }),
    );
  });
}

async function withServer<T>(minor: string, fn: (url: string, seen: string[]) => Promise<T>): Promise<T> {
  const disco = new DiscoveryDocuments(builtinResources, '127.0.0.1:0');
  const seen: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    const p = url.pathname;
    seen.push(`${req.method} ${req.url}`);
    const send = (code: number, type: string, body: string | Buffer): void => {
      res.writeHead(code, { 'Content-Type': type });
      res.end(body);
    };
    if (p === '/version') return send(200, 'application/json', JSON.stringify({ major: '1', minor, gitVersion: `v1.${minor}.0` }));
    if (p === '/api' || p === '/apis') {
      const b = disco.root(p === '/api' ? 'core' : 'apis', req.headers.accept);
      return send(200, b.contentType, b.body);
    }
    let m = /^\/api\/(v1)$/.exec(p) ?? /^\/apis\/([^/]+)\/([^/]+)$/.exec(p);
    if (m) {
      const b = m.length === 2 ? disco.resourceList('', m[1]!) : disco.resourceList(m[1]!, m[2]!);
      if (b) return send(200, b.contentType, b.body);
    }
    if (p === '/openapi/v2') {
      if (wantsOpenAPIv2Protobuf(req.headers.accept)) return send(200, OPENAPI_V2_PROTOBUF_CONTENT_TYPE, openapiV2Protobuf());
      return send(200, 'application/json', openapiV2JSON());
    }
    if (p === '/openapi/v3') return send(200, 'application/json', JSON.stringify(openapiV3Root()));
    m = /^\/openapi\/v3\/(.+)$/.exec(p);
    if (m) {
      const d = openapiV3GroupVersionJSON(m[1]!);
      if (d) return send(200, 'application/json', d.json);
    }
    if (req.method === 'POST' && url.searchParams.get('dryRun') === 'All') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const o = JSON.parse(body);
        o.metadata.uid = 'u1';
        o.metadata.resourceVersion = '1';
        send(201, 'application/json', JSON.stringify(o));
      });
      return;
    }
    send(404, 'application/json', JSON.stringify({
      kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `${p} not found`,
      details: { name: p.split('/').pop() },
    }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    return await fn(`http://127.0.0.1:${port}`, seen);
  } finally {
    server.close();
  }
}

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx
        ports:
        - containerPort: 80
        resources:
          limits: {cpu: 1, memory: 128Mi}
`;

for (const minor of ['27', '32']) {
  const bin = `kubectl.1.${minor}`;
  test(`${bin} explain and apply accept our discovery and OpenAPI`, { skip: !existsSync(join(KUBECTL_DIR, bin)) }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-openapi-'));
    try {
      await withServer(minor, async (url, seen) => {
        writeFileSync(join(dir, 'deploy.yaml'), DEPLOYMENT);
        const env = { KUBECONFIG: '/dev/null', HOME: dir };
        const common = ['--server', url, '--cache-dir', join(dir, 'cache')];
        const ex = await kubectl(bin, [...common, 'explain', 'pods.spec.containers'], env);
        assert.equal(ex.code, 0, ex.err);
        assert.match(ex.out, /List of containers belonging to the pod/);
        assert.match(ex.out, /image\s+<string>/);
        const ex2 = await kubectl(bin, [...common, 'explain', 'deployment.spec.replicas'], env);
        assert.equal(ex2.code, 0, ex2.err);
        assert.match(ex2.out, /integer/);
        const ap = await kubectl(bin, [...common, 'apply', '--dry-run=client', '-f', join(dir, 'deploy.yaml')], env);
        assert.equal(ap.code, 0, ap.err);
        assert.match(ap.out, /deployment.apps\/web created \(dry run\)/);
        const bad = await kubectl(bin, [...common, 'apply', '--dry-run=server', '-f', join(dir, 'deploy.yaml')], env);
        assert.equal(bad.code, 0, bad.err);
        // validation is left to the server: the create carries fieldValidation=Strict
        assert.ok(seen.some((s) => s.startsWith('POST /apis/apps/v1/namespaces/default/deployments') && s.includes('fieldValidation=Strict')), seen.join('\n'));
        const gets = await kubectl(bin, [...common, 'api-resources', '--api-group=apps', '-o', 'name'], env);
        assert.equal(gets.code, 0, gets.err);
        assert.match(gets.out, /deployments\.apps/);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
