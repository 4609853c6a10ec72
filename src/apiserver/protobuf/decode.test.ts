// Tests for decoding the protobuf request bodies kubectl 1.32+ sends (create, auth can-i, drain).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeKubernetesProtobuf } from './decode.ts';
import { encodeKubernetesProtobuf } from './encode.ts';
import { captureKubectl, findKubectl } from './kubectl-capture.ts';
import { Writer } from './wire.ts';
import { StatusError } from '../../machinery/errors.ts';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (name: string) => readFileSync(join(here, 'testdata', `${name}.pb`));
const decode = (body: Uint8Array) => decodeKubernetesProtobuf(body).object;

/** Asserts that decoding fails with a StatusError of the given code, and returns its message. */
function rejects(body: Uint8Array, code = 400): string {
  try {
    decodeKubernetesProtobuf(body);
  } catch (e) {
    assert.ok(e instanceof StatusError, `expected a StatusError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e.message;
  }
  assert.fail('expected the body to be rejected');
}

// Bodies recorded from kubectl 1.32 (kubectl-capture.ts) -------------------------------------------

const RECORDED: Record<string, Record<string, unknown>> = {
  // kubectl create deployment web --image=nginx --replicas=3 --port=80
  deployment: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80 }] }] } },
    },
  },
  namespace: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } },
  // --from-literal=color=blue --from-literal=empty=  (an empty map value is kept)
  configmap: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { color: 'blue', empty: '' } },
  secret: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, data: { password: Buffer.from('s3cr3t').toString('base64') }, type: 'Opaque' },
  // kubectl create service nodeport web --tcp=80:8080
  service: {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: { ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }], selector: { app: 'web' }, type: 'NodePort' },
  },
  job: {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'once' },
    spec: { template: { spec: { containers: [{ name: 'once', image: 'busybox', command: ['echo', 'hi'] }], restartPolicy: 'Never' } } },
  },
  cronjob: {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'tick' },
    spec: {
      schedule: '*/5 * * * *',
      jobTemplate: { metadata: { name: 'tick' }, spec: { template: { spec: { containers: [{ name: 'tick', image: 'busybox', command: ['date'] }], restartPolicy: 'OnFailure' } } } },
    },
  },
  'can-i': {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes: { namespace: 'default', verb: 'create', resource: 'pods' } },
  },
  'can-i-list': { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'default' } },
  // kubectl drain --disable-eviction --grace-period=5: the DELETE body
  drain: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 5 },
  role: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'reader' }, rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }] },
  rolebinding: {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'rb' },
    subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
  },
  clusterrole: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'cr' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }] },
  serviceaccount: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'bot' } },
  priorityclass: { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000, preemptionPolicy: 'Never' },
  // --min-available=0: a pointer IntOrString, so the 0 stays
  pdb: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'pdb' }, spec: { minAvailable: 0, selector: { matchLabels: { app: 'web' } } } },
  ingress: {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web' },
    spec: { rules: [{ host: 'example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
  },
  quota: { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { cpu: '1', pods: '10' } } },
  token: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  whoami: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
  // kubectl debug node/n1 --profile=sysadmin: VolumeSource is inlined into the volume
  'debug-node': {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'node-debugger-n1-8fmxq' },
    spec: {
      volumes: [{ name: 'host-root', hostPath: { path: '/' } }],
      containers: [
        {
          name: 'debugger',
          image: 'busybox',
          volumeMounts: [{ name: 'host-root', mountPath: '/host' }],
          terminationMessagePolicy: 'File',
          securityContext: { privileged: true },
        },
      ],
      restartPolicy: 'Never',
      nodeName: 'n1',
      hostNetwork: true,
      hostPID: true,
      hostIPC: true,
      tolerations: [{ operator: 'Exists' }],
    },
  },
};

for (const [name, expected] of Object.entries(RECORDED)) {
  test(`recorded kubectl 1.32 body: ${name}`, () => {
    const got = decodeKubernetesProtobuf(fixture(name));
    assert.equal(got.apiVersion, expected.apiVersion);
    assert.equal(got.kind, expected.kind);
    assert.deepEqual(got.object, expected);
  });
}

test('recorded bodies decode the same after re-encoding the Go way', () => {
  for (const name of Object.keys(RECORDED)) {
    const obj = decode(fixture(name));
    assert.deepEqual(decode(encodeKubernetesProtobuf(obj)), obj, name);
  }
});

test('our encoder writes the same bytes as client-go for a Namespace', () => {
  assert.deepEqual(encodeKubernetesProtobuf({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } }), fixture('namespace'));
});

const kubectl = findKubectl(32);
test('live: kubectl 1.32 create deployment sends protobuf we decode', { skip: kubectl ? false : 'kubectl.1.32 not installed' }, async () => {
  const { requests, code, stderr } = await captureKubectl(kubectl!, ['create', 'deployment', 'api', '--image=registry.k8s.io/pause:3.10', '--replicas=0', '-n', 'apps']);
  assert.equal(code, 0, stderr);
  const post = requests.find((r) => r.method === 'POST')!;
  assert.equal(post.path, '/apis/apps/v1/namespaces/apps/deployments?fieldManager=kubectl-create&fieldValidation=Strict');
  assert.equal(post.contentType, 'application/vnd.kubernetes.protobuf');
  const obj = decode(post.body) as any;
  assert.equal(obj.kind, 'Deployment');
  assert.equal(obj.metadata.name, 'api');
  assert.equal(obj.metadata.namespace, 'apps');
  assert.equal(obj.spec.replicas, 0, 'an explicit --replicas=0 must survive');
  assert.deepEqual(obj.spec.template.spec.containers, [{ name: 'pause', image: 'registry.k8s.io/pause:3.10' }]);
  assert.equal(obj.spec.strategy, undefined, 'the empty strategy message is unset');
});

// Hand-encoded bodies ------------------------------------------------------------------------------

test('Deployment: non-pointer zero values are dropped, pointer zeros kept', () => {
  const obj = decode(
    encodeKubernetesProtobuf({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default', creationTimestamp: '2026-01-02T03:04:05Z' },
      spec: {
        replicas: 0,
        revisionHistoryLimit: 0,
        selector: { matchLabels: { app: 'web' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
      },
    }),
  ) as any;
  assert.equal(obj.metadata.creationTimestamp, '2026-01-02T03:04:05Z');
  assert.equal(obj.metadata.generation, undefined);
  assert.equal(obj.metadata.uid, undefined);
  assert.equal(obj.spec.replicas, 0);
  assert.equal(obj.spec.revisionHistoryLimit, 0);
  assert.equal(obj.spec.minReadySeconds, undefined);
  assert.equal(obj.spec.paused, undefined);
  assert.equal(obj.spec.progressDeadlineSeconds, undefined);
  assert.deepEqual(obj.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } });
  assert.equal(obj.status, undefined);
  assert.deepEqual(obj.spec.template.spec.containers, [{ name: 'web', image: 'nginx' }]);
  // Keys come out in Go struct order, as the API prints them.
  assert.deepEqual(Object.keys(obj), ['apiVersion', 'kind', 'metadata', 'spec']);
  assert.deepEqual(Object.keys(obj.spec), ['replicas', 'selector', 'template', 'strategy', 'revisionHistoryLimit']);
});

test('Secret: binary data values come out as base64; stringData and immutable', () => {
  const bin = Buffer.from([0x00, 0xff, 0x10, 0x80, 0x7f]);
  const obj = decode(
    encodeKubernetesProtobuf({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { 'key.bin': bin.toString('base64'), empty: '' },
      stringData: { user: 'admin' },
      immutable: false,
      type: 'kubernetes.io/tls',
    }),
  ) as any;
  assert.deepEqual(obj.data, { empty: '', 'key.bin': 'AP8QgH8=' });
  assert.deepEqual(Buffer.from(obj.data['key.bin'], 'base64'), bin);
  assert.deepEqual(obj.stringData, { user: 'admin' });
  assert.equal(obj.immutable, false, 'a *bool false is a choice');
  assert.equal(obj.type, 'kubernetes.io/tls');
});

test('ConfigMap: data and binaryData', () => {
  const obj = decode(
    encodeKubernetesProtobuf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { a: '1' } }, data: { 'app.properties': 'x=1\ny=2\n' }, binaryData: { logo: 'iVBORw==' } }),
  );
  assert.deepEqual(decode(encodeKubernetesProtobuf(obj)), obj);
  assert.deepEqual(obj, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c', labels: { a: '1' } },
    data: { 'app.properties': 'x=1\ny=2\n' },
    binaryData: { logo: 'iVBORw==' },
  });
});

test('a "__proto__" data key is an ordinary key', () => {
  const obj = decode(encodeKubernetesProtobuf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: JSON.parse('{"__proto__":"x","a":"b"}') })) as any;
  assert.deepEqual(Object.keys(obj.data), ['__proto__', 'a']);
  assert.equal(Object.getPrototypeOf(obj.data), Object.prototype);
  assert.equal(JSON.stringify(obj.data), '{"__proto__":"x","a":"b"}');
});

test('Service: IntOrString targetPort as number or name; unset targetPort is left to defaulting', () => {
  const obj = decode(
    encodeKubernetesProtobuf({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: {
        ports: [
          { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
          { name: 'metrics', port: 9090, targetPort: 'metrics' },
          { name: 'plain', port: 443 },
        ],
        selector: { app: 'web' },
        type: 'ClusterIP',
        ipFamilyPolicy: 'SingleStack',
      },
    }),
  ) as any;
  assert.deepEqual(obj.spec.ports, [
    { name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 },
    { name: 'metrics', port: 9090, targetPort: 'metrics' },
    { name: 'plain', port: 443 },
  ]);
  assert.equal(obj.spec.ipFamilyPolicy, 'SingleStack');
  assert.equal(obj.spec.clusterIP, undefined);
  assert.equal(obj.spec.sessionAffinity, undefined);
});

test('Job and CronJob: pointer numbers and bools keep explicit zeros', () => {
  const job = decode(
    encodeKubernetesProtobuf({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j' },
      spec: { parallelism: 2, completions: 4, backoffLimit: 0, suspend: false, ttlSecondsAfterFinished: 0, template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Never' } } },
    }),
  ) as any;
  assert.equal(job.spec.parallelism, 2);
  assert.equal(job.spec.completions, 4);
  assert.equal(job.spec.backoffLimit, 0);
  assert.equal(job.spec.suspend, false);
  assert.equal(job.spec.ttlSecondsAfterFinished, 0);
  assert.equal(job.spec.manualSelector, undefined);
  assert.equal(job.spec.activeDeadlineSeconds, undefined);

  const cj = decode(
    encodeKubernetesProtobuf({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'cj' },
      spec: {
        schedule: '0 * * * *',
        timeZone: 'Etc/UTC',
        concurrencyPolicy: 'Forbid',
        successfulJobsHistoryLimit: 0,
        jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'OnFailure' } } } },
      },
    }),
  ) as any;
  assert.equal(cj.spec.timeZone, 'Etc/UTC');
  assert.equal(cj.spec.successfulJobsHistoryLimit, 0);
  assert.equal(cj.spec.failedJobsHistoryLimit, undefined);
  assert.equal(cj.spec.suspend, undefined);
  assert.equal(cj.spec.jobTemplate.metadata, undefined);
  assert.equal(cj.spec.jobTemplate.spec.template.spec.restartPolicy, 'OnFailure');
});

test('SelfSubjectAccessReview for `auth can-i get pods/log --subresource`', () => {
  const obj = decode(
    encodeKubernetesProtobuf({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { namespace: 'dev', verb: 'get', group: '', resource: 'pods', subresource: 'log', name: 'web-1' } },
    }),
  );
  assert.deepEqual(obj, {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes: { namespace: 'dev', verb: 'get', resource: 'pods', subresource: 'log', name: 'web-1' } },
  });
  const nonResource = decode(
    encodeKubernetesProtobuf({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { nonResourceAttributes: { path: '/healthz', verb: 'get' } } }),
  ) as any;
  assert.deepEqual(nonResource.spec, { nonResourceAttributes: { path: '/healthz', verb: 'get' } });
});

test('DeleteOptions: propagationPolicy, gracePeriodSeconds 0 and preconditions; any apiVersion', () => {
  const obj = decode(
    encodeKubernetesProtobuf({ apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, propagationPolicy: 'Foreground', preconditions: { uid: 'abc' }, dryRun: ['All'] }),
  );
  assert.deepEqual(obj, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid: 'abc' }, propagationPolicy: 'Foreground', dryRun: ['All'] });
  // Negative numbers travel as 10-byte varints.
  assert.equal((decode(encodeKubernetesProtobuf({ apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: -1 })) as any).gracePeriodSeconds, -1);
  const meta = decodeKubernetesProtobuf(encodeKubernetesProtobuf({ apiVersion: 'meta.k8s.io/v1', kind: 'DeleteOptions', orphanDependents: false }));
  assert.equal(meta.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(meta.object, { apiVersion: 'meta.k8s.io/v1', kind: 'DeleteOptions', orphanDependents: false });
});

test('Pod: inlined VolumeSource and ProbeHandler, empty pointer structs kept, quantities, negative int32', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'p',
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true, blockOwnerDeletion: false }],
      managedFields: [{ manager: 'kubectl', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:containers': {} } } }],
    },
    spec: {
      volumes: [{ name: 'scratch', emptyDir: {} }, { name: 'cfg', configMap: { name: 'settings', defaultMode: 420, optional: false } }],
      containers: [
        {
          name: 'app',
          image: 'nginx',
          resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '0' } },
          livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10 },
          readinessProbe: { exec: { command: ['true'] } },
          env: [{ name: 'EMPTY', value: '' }, { name: 'FROM', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
          securityContext: {},
        },
      ],
      priority: -5,
      securityContext: {},
      automountServiceAccountToken: false,
      enableServiceLinks: false,
    },
  };
  const obj = decode(encodeKubernetesProtobuf(pod)) as any;
  assert.deepEqual(obj.spec.volumes, [{ name: 'scratch', emptyDir: {} }, { name: 'cfg', configMap: { name: 'settings', defaultMode: 420, optional: false } }]);
  const c = obj.spec.containers[0];
  assert.deepEqual(c.resources, { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '0' } });
  assert.deepEqual(c.livenessProbe, { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10 });
  assert.deepEqual(c.readinessProbe, { exec: { command: ['true'] } });
  assert.deepEqual(c.env, [{ name: 'EMPTY' }, { name: 'FROM', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }]);
  assert.deepEqual(c.securityContext, {});
  assert.equal(obj.spec.priority, -5);
  assert.deepEqual(obj.spec.securityContext, {});
  assert.equal(obj.spec.automountServiceAccountToken, false);
  assert.equal(obj.spec.enableServiceLinks, false);
  assert.deepEqual(obj.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true, blockOwnerDeletion: false }]);
  assert.deepEqual(obj.metadata.managedFields, pod.metadata.managedFields);
});

test('named-slice map values (ExtraValue) come out as arrays', () => {
  const obj = decode(
    encodeKubernetesProtobuf({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: 'alice', groups: ['dev'], extra: { scopes: ['read', 'write'], none: [] }, resourceAttributes: { verb: 'list', resource: 'pods' } },
    }),
  ) as any;
  assert.deepEqual(obj.spec, { resourceAttributes: { verb: 'list', resource: 'pods' }, user: 'alice', groups: ['dev'], extra: { none: [], scopes: ['read', 'write'] } });
});

test('Time drops nanos like upstream; MicroTime keeps microseconds', () => {
  const w = new Writer();
  w.tag(1, 0);
  w.varint(1767323045); // 2026-01-02T03:04:05Z
  w.tag(2, 0);
  w.varint(123456789);
  const time = w.finish();
  const meta = new Writer();
  meta.bytes(1, Buffer.from('n'));
  meta.bytes(8, time); // creationTimestamp
  meta.bytes(9, time); // deletionTimestamp
  const ns = new Writer();
  ns.bytes(1, meta.finish());
  const obj = decode(envelope('v1', 'Namespace', ns.finish())) as any;
  assert.equal(obj.metadata.creationTimestamp, '2026-01-02T03:04:05Z');
  assert.equal(obj.metadata.deletionTimestamp, '2026-01-02T03:04:05Z');

  const lease = decode(
    encodeKubernetesProtobuf({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l' }, spec: { holderIdentity: 'me', renewTime: '2026-01-02T03:04:05.123456Z', leaseDurationSeconds: 15 } }),
  ) as any;
  assert.deepEqual(lease.spec, { holderIdentity: 'me', leaseDurationSeconds: 15, renewTime: '2026-01-02T03:04:05.123456Z' });
});

test('unknown field numbers of every wire type are skipped', () => {
  const meta = new Writer();
  meta.bytes(1, Buffer.from('c'));
  meta.tag(99, 0); // varint
  meta.varint(2 ** 40);
  const entry = new Writer();
  entry.bytes(1, Buffer.from('k'));
  entry.bytes(2, Buffer.from('v'));
  entry.tag(7, 0);
  entry.varint(1);
  const cm = new Writer();
  cm.bytes(1, meta.finish());
  cm.double(51, 1.5); // fixed64
  cm.tag(52, 5); // fixed32
  for (let i = 0; i < 4; i++) cm.varint(1);
  cm.bytes(60, Buffer.from([1, 2, 3])); // length-delimited
  cm.bytes(2, entry.finish());
  assert.deepEqual(decode(envelope('v1', 'ConfigMap', cm.finish())), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'v' } });
});

test('missing typeMeta fields are filled from the request defaults, like upstream', () => {
  const ns = new Writer();
  const meta = new Writer();
  meta.bytes(1, Buffer.from('x'));
  ns.bytes(1, meta.finish());
  const body = envelope('', '', ns.finish());
  assert.match(rejects(body), /Object 'Kind' is missing/);
  const got = decodeKubernetesProtobuf(body, { apiVersion: 'v1', kind: 'Namespace' });
  assert.deepEqual(got.object, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } });
});

// Bad bodies ---------------------------------------------------------------------------------------

/** k8s\0 + runtime.Unknown{typeMeta, raw}. */
function envelope(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
  const tm = new Writer();
  if (apiVersion) tm.bytes(1, Buffer.from(apiVersion));
  if (kind) tm.bytes(2, Buffer.from(kind));
  const u = new Writer();
  u.bytes(1, tm.finish());
  u.bytes(2, raw);
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), u.finish()]);
}

test('empty, non-protobuf and magic-only bodies are 400s with upstream wording', () => {
  assert.match(rejects(Buffer.alloc(0)), /empty data/);
  assert.match(rejects(Buffer.from('{"kind":"Namespace"}')), /provided data does not appear to be a protobuf message, expected prefix \[107 56 115 0\]/);
  assert.match(rejects(Buffer.from('k8s\0', 'latin1')), /empty body/);
});

test('an unknown kind is 415 UnsupportedMediaType', () => {
  const msg = rejects(envelope('example.com/v1', 'Widget', Buffer.alloc(0)), 415);
  assert.equal(msg, 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml');
  const err = (() => {
    try {
      decodeKubernetesProtobuf(envelope('example.com/v1', 'Widget', Buffer.alloc(0)));
    } catch (e) {
      return e as StatusError;
    }
  })()!;
  assert.equal(err.reason, 'UnsupportedMediaType');
  assert.deepEqual(err.status.details, { group: 'example.com', kind: 'Widget' });
});

test('every truncation of a real body is rejected with a 400, never a crash', () => {
  for (const name of ['deployment', 'service', 'cronjob', 'debug-node']) {
    const body = fixture(name);
    for (let n = 5; n < body.length; n++) {
      const cut = body.subarray(0, n);
      try {
        decodeKubernetesProtobuf(cut);
      } catch (e) {
        assert.ok(e instanceof StatusError && e.code === 400, `${name}[0:${n}]: ${String(e)}`);
      }
    }
  }
});

test('a truncated raw object reports unexpected EOF for its kind', () => {
  const raw = new Writer();
  raw.bytes(1, Buffer.from([0x0a, 0x10, 0x77])); // metadata{name: length 16, 1 byte present}
  assert.equal(rejects(envelope('apps/v1', 'Deployment', raw.finish())), 'Deployment in version "v1" cannot be handled as a Deployment: unexpected EOF');
});

test('wrong wire types, bad tags and overlong varints are 400s', () => {
  const wrong = new Writer();
  wrong.tag(1, 0); // metadata as a varint
  wrong.varint(5);
  assert.match(rejects(envelope('v1', 'Namespace', wrong.finish())), /wrong wireType = 0 for field metadata/);
  assert.match(rejects(envelope('v1', 'Namespace', Buffer.from([0x00, 0x01]))), /illegal tag 0/);
  assert.match(rejects(envelope('v1', 'Namespace', Buffer.from([0x2b]))), /illegal wireType 3/);
  const long = Buffer.concat([Buffer.from([0x28]), Buffer.alloc(11, 0xff)]);
  assert.match(rejects(envelope('v1', 'Namespace', long)), /integer overflow/);
  // A length far larger than the body.
  assert.match(rejects(Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from([0x12, 0xff, 0xff, 0xff, 0xff, 0x0f])])), /unexpected EOF/);
});

test('random bytes after the magic never throw anything but a StatusError', () => {
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  const kinds = [fixture('deployment'), fixture('service'), fixture('debug-node')];
  for (let i = 0; i < 3000; i++) {
    let body: Buffer;
    if (i % 2 === 0) {
      body = Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from(Array.from({ length: rand() % 64 }, rand))]);
    } else {
      // Flip a few bytes of a real body.
      body = Buffer.from(kinds[i % 3]!);
      for (let k = 0; k < 3; k++) body[4 + (rand() * 7 + rand()) % (body.length - 4)] = rand();
    }
    try {
      decodeKubernetesProtobuf(body);
    } catch (e) {
      assert.ok(e instanceof StatusError && (e.code === 400 || e.code === 415), String(e));
    }
  }
});
