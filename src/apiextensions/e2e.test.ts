// CustomResourceDefinitions with the real kubectl, as against kube-apiserver: a cert-manager-like
// Certificate CRD applied, custom resources applied twice (client-side apply), printer columns in
// `kubectl get`, schema errors with field paths, merge patches (strategic merge refused with
// 415), `kubectl explain`, delete, the CRD's deletion removing its objects; and the corpus
// manifests that need Prometheus Operator CRDs accepted by `apply --dry-run=server`.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestCluster } from '../apiserver/e2e/harness.ts';

const CERT_CRD = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: certificates.cert-manager.io
  labels:
    app.kubernetes.io/name: cert-manager
spec:
  group: cert-manager.io
  names:
    kind: Certificate
    listKind: CertificateList
    plural: certificates
    singular: certificate
    shortNames: [cert, certs]
    categories: [cert-manager]
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
    additionalPrinterColumns:
    - jsonPath: .status.conditions[?(@.type=="Ready")].status
      name: Ready
      type: string
    - jsonPath: .spec.secretName
      name: Secret
      type: string
    - jsonPath: .spec.issuerRef.name
      name: Issuer
      type: string
      priority: 1
    - jsonPath: .status.conditions[?(@.type=="Ready")].message
      name: Status
      type: string
      priority: 1
    - jsonPath: .metadata.creationTimestamp
      name: Age
      type: date
      description: CreationTimestamp is a timestamp representing the server time when this object was created.
    schema:
      openAPIV3Schema:
        description: A Certificate resource should be created to ensure an up to date and signed X.509 certificate is stored in the Kubernetes Secret resource named in spec.secretName.
        type: object
        properties:
          apiVersion:
            type: string
          kind:
            type: string
          metadata:
            type: object
          spec:
            description: Specification of the desired state of the Certificate resource.
            type: object
            required: [issuerRef, secretName]
            x-kubernetes-validations:
            - rule: has(self.commonName) || (has(self.dnsNames) && size(self.dnsNames) > 0)
              message: at least one of commonName or dnsNames must be set
            properties:
              commonName:
                type: string
                maxLength: 64
              dnsNames:
                description: Requested DNS subject alternative names.
                type: array
                items:
                  type: string
              duration:
                type: string
              renewBefore:
                type: string
              secretName:
                description: Name of the Secret resource that will be automatically created and managed by this Certificate resource.
                type: string
              isCA:
                type: boolean
              issuerRef:
                description: Reference to the issuer responsible for issuing the certificate.
                type: object
                required: [name]
                properties:
                  group:
                    type: string
                  kind:
                    type: string
                  name:
                    type: string
              privateKey:
                type: object
                properties:
                  algorithm:
                    type: string
                    enum: [RSA, ECDSA, Ed25519]
                  size:
                    type: integer
                  rotationPolicy:
                    type: string
                    enum: [Never, Always]
              usages:
                type: array
                items:
                  type: string
                  enum: [signing, digital signature, key encipherment, server auth, client auth]
          status:
            type: object
            properties:
              conditions:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [type]
                items:
                  type: object
                  required: [status, type]
                  properties:
                    lastTransitionTime:
                      type: string
                      format: date-time
                    message:
                      type: string
                    reason:
                      type: string
                    status:
                      type: string
                      enum: ["True", "False", "Unknown"]
                    type:
                      type: string
              notAfter:
                type: string
                format: date-time
`;

const cert = (secret: string, extra = '') => `
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: web
spec:
  secretName: ${secret}
  dnsNames: [example.com, www.example.com]
  issuerRef:
    name: letsencrypt
    kind: ClusterIssuer
  privateKey:
    algorithm: ECDSA
    size: 256
${extra}`;

/** Minimal but realistic Prometheus Operator CRDs for the corpus manifests. */
function monitoringCRD(plural: string, kind: string, short: string, spec: string): string {
  return `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${plural}.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  names:
    kind: ${kind}
    listKind: ${kind}List
    plural: ${plural}
    singular: ${kind.toLowerCase()}
    shortNames: [${short}]
    categories: [prometheus-operator]
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        required: [spec]
        properties:
          apiVersion: {type: string}
          kind: {type: string}
          metadata: {type: object}
          spec:
${spec.replace(/^/gm, '            ')}
`;
}

const SELECTOR = `
type: object
properties:
  matchExpressions:
    type: array
    items:
      type: object
      required: [key, operator]
      properties:
        key: {type: string}
        operator: {type: string}
        values: {type: array, items: {type: string}}
  matchLabels:
    type: object
    additionalProperties: {type: string}
x-kubernetes-map-type: atomic`;

const ENDPOINT = `
type: object
properties:
  port: {type: string}
  targetPort: {x-kubernetes-int-or-string: true}
  path: {type: string}
  scheme: {type: string, enum: [http, https]}
  interval: {type: string, pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$'}
  scrapeTimeout: {type: string}
  honorLabels: {type: boolean}
  relabelings: {type: array, items: {type: object, x-kubernetes-preserve-unknown-fields: true}}`;

const indent = (s: string, n: number) => s.trim().replace(/^/gm, ' '.repeat(n));

const SERVICE_MONITOR_SPEC = `type: object
required: [selector]
properties:
  jobLabel: {type: string}
  selector:
${indent(SELECTOR, 4)}
  namespaceSelector:
    type: object
    properties:
      any: {type: boolean}
      matchNames: {type: array, items: {type: string}}
  endpoints:
    type: array
    items:
${indent(ENDPOINT, 6)}`;

const POD_MONITOR_SPEC = `type: object
properties:
  jobLabel: {type: string}
  selector:
${indent(SELECTOR, 4)}
  namespaceSelector:
    type: object
    properties:
      any: {type: boolean}
      matchNames: {type: array, items: {type: string}}
  podMetricsEndpoints:
    type: array
    items:
${indent(ENDPOINT, 6)}`;

const PROMETHEUS_RULE_SPEC = `type: object
properties:
  groups:
    type: array
    x-kubernetes-list-type: map
    x-kubernetes-list-map-keys: [name]
    items:
      type: object
      required: [name]
      properties:
        name: {type: string, minLength: 1}
        interval: {type: string}
        rules:
          type: array
          items:
            type: object
            required: [expr]
            properties:
              record: {type: string}
              alert: {type: string}
              expr: {x-kubernetes-int-or-string: true}
              for: {type: string}
              labels: {type: object, additionalProperties: {type: string}}
              annotations: {type: object, additionalProperties: {type: string}}`;

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CORPUS = resolve(REPO, '../shared/corpus/kubernetes-examples');

let c: TestCluster;

before(async () => {
  c = await TestCluster.start();
});
after(async () => {
  await c?.stop();
});

async function waitFor(f: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('CRDs with kubectl', () => {
  it('applies a cert-manager-like CRD and serves Certificates', async () => {
    const out = await c.ok(['apply', '-f', '-'], { stdin: CERT_CRD });
    assert.equal(out.trim(), 'customresourcedefinition.apiextensions.k8s.io/certificates.cert-manager.io created');
    const est = await c.ok(['wait', '--for=condition=Established', '--timeout=10s', 'crd/certificates.cert-manager.io']);
    assert.equal(est.trim(), 'customresourcedefinition.apiextensions.k8s.io/certificates.cert-manager.io condition met');

    assert.equal((await c.ok(['apply', '-f', '-'], { stdin: cert('web-tls') })).trim(), 'certificate.cert-manager.io/web created');
    assert.equal((await c.ok(['apply', '-f', '-'], { stdin: cert('web-tls-2') })).trim(), 'certificate.cert-manager.io/web configured');
    const got = await c.getJSON(['certificate', 'web']);
    assert.equal(got.spec.secretName, 'web-tls-2');
    assert.equal(got.metadata.generation, 2);
    assert.ok(got.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'].includes('web-tls-2'));
  });

  it('prints the printer columns, by name and short name', async () => {
    await c.ok(['patch', 'certificate', 'web', '--subresource=status', '--type=merge', '-p',
      '{"status":{"conditions":[{"type":"Ready","status":"True","reason":"Ready","message":"Certificate is up to date and has not expired"}]}}']);
    const out = await c.ok(['get', 'certificates']);
    const [head, row] = out.trim().split('\n');
    assert.deepEqual(head!.split(/\s+/), ['NAME', 'READY', 'SECRET', 'AGE']);
    assert.deepEqual(row!.split(/\s+/).slice(0, 3), ['web', 'True', 'web-tls-2']);
    const wide = await c.ok(['get', 'cert', '-o', 'wide']);
    assert.deepEqual(wide.trim().split('\n')[0]!.split(/\s{2,}/), ['NAME', 'READY', 'SECRET', 'ISSUER', 'STATUS', 'AGE']);
    assert.match(wide, /letsencrypt\s+Certificate is up to date and has not expired/);
    const cat = await c.ok(['get', 'cert-manager']);
    // A category naming a single kind prints like `get certificates` (no kind prefix).
    assert.match(cat, /^web\s+True\s+web-tls-2/m);
  });

  it('refuses an invalid Certificate with the schema field path', async () => {
    const r = await c.kubectl(['apply', '-f', '-'], { stdin: `
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: bad
spec:
  commonName: bad.example.com
  issuerRef: {name: x}
  privateKey: {algorithm: DSA}
` });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /The Certificate "bad" is invalid: \n\* spec.secretName: Required value\n\* spec.privateKey.algorithm: Unsupported value: "DSA": supported values: "RSA", "ECDSA", "Ed25519"/);
    const rule = await c.kubectl(['apply', '-f', '-'], { stdin: `
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: bad
spec:
  secretName: s
  issuerRef: {name: x}
` });
    assert.equal(rule.code, 1);
    assert.match(rule.stderr, /The Certificate "bad" is invalid: spec: Invalid value: "object": at least one of commonName or dnsNames must be set/);
    const unknown = await c.kubectl(['apply', '-f', '-'], { stdin: cert('s').replace('name: web', 'name: other').replace('secretName: s', 'secretName: s\n  secretNmae: typo') });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown field "spec.secretNmae"/);
  });

  it('patches with merge patches and refuses strategic merge patches', async () => {
    await c.ok(['patch', 'certificate', 'web', '--type=merge', '-p', '{"spec":{"duration":"2160h"}}']);
    assert.equal((await c.getJSON(['certificate', 'web'])).spec.duration, '2160h');
    const smp = await c.kubectl(['patch', 'certificate', 'web', '-p', '{"spec":{"duration":"1h"}}']);
    assert.equal(smp.code, 1);
    assert.match(smp.stderr, /the body of the request was in an unknown format - accepted media types include: application\/json-patch\+json, application\/merge-patch\+json, application\/apply-patch\+yaml/);
  });

  it('explains the Certificate schema', async () => {
    const out = await c.ok(['explain', 'certificate.spec']);
    assert.match(out, /KIND:\s+Certificate/);
    assert.match(out, /GROUP:\s+cert-manager.io/);
    assert.match(out, /secretName\s+<string> -required-/);
    assert.match(out, /Specification of the desired state of the Certificate resource./);
  });

  it('deletes Certificates, and deleting the CRD removes the rest', async () => {
    assert.equal((await c.ok(['delete', 'certificate', 'web'])).trim(), 'certificate.cert-manager.io "web" deleted');
    await c.ok(['apply', '-f', '-'], { stdin: cert('a').replace('name: web', 'name: one') });
    await c.ok(['apply', '-n', 'kube-system', '-f', '-'], { stdin: cert('b').replace('name: web', 'name: two') });
    assert.equal((await c.ok(['delete', 'crd', 'certificates.cert-manager.io'])).trim(), 'customresourcedefinition.apiextensions.k8s.io "certificates.cert-manager.io" deleted');
    const left = await c.api.storage.list('/registry/cert-manager.io/');
    assert.equal(left.kvs.length, 0);
    const r = await c.kubectl(['get', 'certificates']);
    assert.equal(r.code, 1);
    // (kubectl's discovery cache may still name the resource: then the list is a 404.)
    assert.match(r.stderr, /the server doesn't have a resource type "certificates"|Unable to list "cert-manager.io\/v1, Resource=certificates": the server could not find the requested resource/);
  });
});

const corpusSkip = existsSync(join(CORPUS, 'INDEX.tsv')) ? false : `the example corpus is not here (${CORPUS}); skipping`;

describe('corpus manifests that need Prometheus Operator CRDs', { skip: corpusSkip }, () => {
  it('are accepted by apply --dry-run=server once the CRDs exist', async () => {
    const crds = [
      monitoringCRD('servicemonitors', 'ServiceMonitor', 'smon', SERVICE_MONITOR_SPEC),
      monitoringCRD('podmonitors', 'PodMonitor', 'pmon', POD_MONITOR_SPEC),
      monitoringCRD('prometheusrules', 'PrometheusRule', 'promrule', PROMETHEUS_RULE_SPEC),
    ];
    await c.ok(['apply', '-f', '-'], { stdin: crds.join('\n---\n') });
    await c.ok(['wait', '--for=condition=Established', '--timeout=10s', 'crd/servicemonitors.monitoring.coreos.com', 'crd/podmonitors.monitoring.coreos.com', 'crd/prometheusrules.monitoring.coreos.com']);
    await c.ok(['create', 'namespace', 'monitoring']);
    const index = readFileSync(join(CORPUS, 'INDEX.tsv'), 'utf8').split('\n').slice(1).filter(Boolean).map((l) => l.split('\t'));
    const files = index.filter(([, kinds = '', , flags = '']) => flags.split(',').includes('needs-crd') && kinds.split(',').every((k) => k.startsWith('monitoring.coreos.com/')));
    assert.ok(files.length >= 4, `${files.length} monitoring.coreos.com manifests`);
    for (const [path] of files) {
      const r = await c.kubectl(['apply', '--dry-run=server', '-f', join(CORPUS, path!)]);
      assert.equal(r.code, 0, `${path}: ${r.stderr}`);
      assert.match(r.stdout, /created \(server dry run\)/, path);
    }
    await waitFor(async () => (await c.api.storage.list('/registry/monitoring.coreos.com/')).kvs.length === 0, 1000);
  });
});
