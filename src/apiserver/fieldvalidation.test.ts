// Tests for server-side field validation (fieldValidation=Strict|Warn|Ignore), against the
// messages kube-apiserver sends for the same bodies.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { isStatusError } from '../machinery/errors.ts';
import {
  applyTypedPatchError,
  checkFieldValidation,
  checkPatchFieldValidation,
  findDuplicateFields,
  findUndeclaredApplyFields,
  findUnknownFields,
  goValueString,
  parseFieldValidation,
  pruneUnknownFields,
  strictDecodingErrors,
} from './fieldvalidation.ts';

function deployment(): Record<string, any> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'default',
      labels: { app: 'web', 'app.kubernetes.io/name': 'web' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"x":1}', 'deployment.kubernetes.io/revision': '1' },
    },
    spec: {
      replicas: 3,
      revisionHistoryLimit: 10,
      selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['frontend'] }] },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
      template: {
        metadata: { labels: { app: 'web', tier: 'frontend' }, annotations: { 'prometheus.io/scrape': 'true' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx:1.27',
              imagePullPolicy: 'IfNotPresent',
              args: ['--port', '8080'],
              ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
              env: [
                { name: 'MODE', value: 'prod' },
                { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password', optional: true } } },
              ],
              resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: 0.25, memory: '128Mi' } },
              readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 5, periodSeconds: 10 },
              livenessProbe: { tcpSocket: { port: 8080 }, failureThreshold: 3 },
              volumeMounts: [{ name: 'config', mountPath: '/etc/web', readOnly: true }],
            },
          ],
          volumes: [{ name: 'config', configMap: { name: 'web-config', items: [{ key: 'a', path: 'a.conf' }] } }],
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }],
        },
      },
    },
  };
}

const statusOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    assert.ok(isStatusError(e), String(e));
    return e.status;
  }
  assert.fail('expected a StatusError');
};

describe('findUnknownFields', () => {
  it('accepts a realistic Deployment (labels, annotations, IntOrString, Quantity, probes)', () => {
    assert.deepEqual(findUnknownFields('apps/v1', 'Deployment', deployment()), []);
  });

  it('reports the classic kubectl typos with upstream paths', () => {
    const d = deployment();
    d.spec.template.spec.containers[0].imagePullpolicy = 'Always';
    d.spec.template.spec.contianers = [];
    d.spec.template.spec.containers[0].env[2].valueFrom.secretKeyRef.nmae = 'x';
    d.metadata.lables = { a: 'b' };
    assert.deepEqual(findUnknownFields('apps/v1', 'Deployment', d), [
      'metadata.lables',
      'spec.template.spec.containers[0].env[2].valueFrom.secretKeyRef.nmae',
      'spec.template.spec.containers[0].imagePullpolicy',
      'spec.template.spec.contianers',
    ]);
  });

  it('is case-sensitive, as the decoder is', () => {
    const d = deployment();
    d.spec.Replicas = 2;
    assert.deepEqual(findUnknownFields('apps/v1', 'Deployment', d), ['spec.Replicas']);
  });

  it('accepts a Pod with all common fields', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'p', generateName: 'p-', namespace: 'ns', uid: 'u', resourceVersion: '1', generation: 1,
        creationTimestamp: '2024-01-01T00:00:00Z', deletionTimestamp: null, deletionGracePeriodSeconds: 30,
        labels: { a: 'b' }, annotations: { c: 'd' }, finalizers: ['x/y'],
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u2', controller: true, blockOwnerDeletion: true }],
        managedFields: [{ manager: 'kubectl', operation: 'Apply', apiVersion: 'v1', time: '2024-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:containers': {} } } }],
      },
      spec: {
        initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'true'], restartPolicy: 'Always' }],
        containers: [{
          name: 'c', image: 'nginx', workingDir: '/', stdin: true, tty: true,
          securityContext: { runAsUser: 1000, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] }, seccompProfile: { type: 'RuntimeDefault' }, readOnlyRootFilesystem: true },
          envFrom: [{ configMapRef: { name: 'cm' }, prefix: 'X_' }, { secretRef: { name: 's', optional: true } }],
          lifecycle: { preStop: { exec: { command: ['sleep', '5'] } }, postStart: { httpGet: { port: 80, path: '/', scheme: 'HTTP', httpHeaders: [{ name: 'h', value: 'v' }] } } },
          startupProbe: { grpc: { port: 9000 }, timeoutSeconds: 1 },
          resources: { limits: { 'nvidia.com/gpu': 1 }, claims: [{ name: 'gpu' }] },
          terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File',
          volumeDevices: [{ name: 'raw', devicePath: '/dev/xvda' }],
        }],
        volumes: [
          { name: 'e', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } },
          { name: 's', secret: { secretName: 's', defaultMode: 420 } },
          { name: 'pvc', persistentVolumeClaim: { claimName: 'data' } },
          { name: 'h', hostPath: { path: '/tmp', type: 'Directory' } },
          { name: 'proj', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }, { downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } }] } },
          { name: 'eph', ephemeral: { volumeClaimTemplate: { metadata: { labels: { a: 'b' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } } },
        ],
        affinity: {
          nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'k', operator: 'In', values: ['v'] }] }] } },
          podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { a: 'b' } }, topologyKey: 'kubernetes.io/hostname' } }] },
        },
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { a: 'b' } } }],
        securityContext: { fsGroup: 2000, sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] },
        serviceAccountName: 'sa', automountServiceAccountToken: false, restartPolicy: 'Always', dnsPolicy: 'ClusterFirst',
        dnsConfig: { nameservers: ['1.1.1.1'], options: [{ name: 'ndots', value: '2' }] }, hostAliases: [{ ip: '127.0.0.1', hostnames: ['x'] }],
        imagePullSecrets: [{ name: 'reg' }], priorityClassName: 'high', terminationGracePeriodSeconds: 30, enableServiceLinks: true,
        overhead: { cpu: '10m' }, readinessGates: [{ conditionType: 'x/y' }], schedulerName: 'default-scheduler', nodeName: 'n1',
      },
      status: { phase: 'Running', podIP: '127.244.0.5', podIPs: [{ ip: '127.244.0.5' }], conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }], containerStatuses: [{ name: 'c', ready: true, restartCount: 0, image: 'nginx', imageID: '', state: { running: { startedAt: '2024-01-01T00:00:00Z' } } }] },
    };
    assert.deepEqual(findUnknownFields('v1', 'Pod', pod), []);
  });

  it('looks into maps of structs and checks empty structs, but not opaque JSON', () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        names: { kind: 'Widget', plural: 'widgets' },
        scope: 'Namespaced',
        versions: [{
          name: 'v1', served: true, storage: true,
          subresources: { status: { extra: true }, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              'x-kubernetes-preserve-unknown-fields': true,
              properties: {
                spec: { type: 'object', default: { any: { thing: 1 } }, properties: { size: { type: 'integer', maximun: 3 } } },
                list: { type: 'array', items: { type: 'string', whatever: 1 } },
              },
            },
          },
        }],
      },
    };
    assert.deepEqual(findUnknownFields('apiextensions.k8s.io/v1', 'CustomResourceDefinition', crd), [
      'spec.versions[0].subresources.status.extra',
      'spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.size.maximun',
    ]);
    const rev = { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'r' }, revision: 1, data: { spec: { anything: true } } };
    assert.deepEqual(findUnknownFields('apps/v1', 'ControllerRevision', rev), []);
  });

  it('does not look into values of the wrong JSON type, and knows nothing of custom resources', () => {
    const d = deployment();
    d.spec.template.spec.containers[0].image = { foo: 1 };
    d.spec.selector = [{ foo: 1 }];
    assert.deepEqual(findUnknownFields('apps/v1', 'Deployment', d), []);
    assert.deepEqual(findUnknownFields('example.com/v1', 'Widget', { spec: { foo: 1 } }), []);
    assert.deepEqual(findUnknownFields('apps/v1', 'Deployment', null), []);
  });
});

describe('pruneUnknownFields', () => {
  it('removes unknown fields in place and keeps everything else', () => {
    const d = deployment();
    const clean = deployment();
    d.spec.foo = 1;
    d.spec.template.spec.containers[0].imagePullpolicy = 'Always';
    d.metadata.labels.free = 'form';
    clean.metadata.labels.free = 'form';
    pruneUnknownFields('apps/v1', 'Deployment', d);
    assert.deepEqual(d, clean);
  });
});

describe('findDuplicateFields', () => {
  it('reports duplicate keys with their paths, in document order', () => {
    const json = '{"metadata":{"name":"a","labels":{"app":"x","app":"y"}},"spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"a"},{"name":"b","image":"i","image":"j"}]}},"replicas":2}}';
    assert.deepEqual(findDuplicateFields(json), ['metadata.labels.app', 'spec.template.spec.containers[1].image', 'spec.replicas']);
  });

  it('reports a path once, at the top level without a dot, and decodes escaped keys', () => {
    assert.deepEqual(findDuplicateFields('{"a":1,"a":2,"a":3,"b\\u0061":1,"ba":2}'), ['a', 'ba']);
    assert.deepEqual(findDuplicateFields('[{"x":1,"x":2}]'), ['[0].x']);
  });

  it('tolerates anything: malformed JSON yields []', () => {
    for (const bad of ['', '{', '{"a":1,"a":2', '{"a":1,"a":2,}', '[1,]', '{"a" 1}', 'nul', '{"a":1}}', '"\u0001"', '{"a":01}', '{"a":1,"a":-}']) {
      assert.deepEqual(findDuplicateFields(bad), [], bad);
    }
    assert.deepEqual(findDuplicateFields('  {"a" : [1, 2.5e-3, true, false, null, "x\\"y"] , "a" : {}}  '), ['a']);
  });

  it('handles very deep nesting without recursion', () => {
    const depth = 200_000;
    const deep = '['.repeat(depth) + '{"k":1,"k":2}' + ']'.repeat(depth);
    const found = findDuplicateFields(deep);
    assert.equal(found.length, 1);
    assert.ok(found[0]!.endsWith('[0][0].k'));
    assert.deepEqual(findDuplicateFields('{"a":'.repeat(depth)), []);
  });
});

describe('strictDecodingErrors', () => {
  it('lists unknown and duplicate fields in document order, as the strict decoder does', () => {
    const raw = '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"app":"web","app":"web"}},"spec":{"replicas":1,"foo":{"a":1,"a":2},"replicas":2,"template":{"spec":{"containers":[{"name":"web","image":"nginx","imagePullpolicy":"Always"}]}}}}';
    assert.deepEqual(strictDecodingErrors('apps/v1', 'Deployment', JSON.parse(raw), raw), [
      'duplicate field "metadata.labels.app"',
      'unknown field "spec.foo"',
      'duplicate field "spec.replicas"',
      'unknown field "spec.template.spec.containers[0].imagePullpolicy"',
    ]);
  });

  it('does not look for duplicates inside opaque values (RawExtension), unlike free-form maps', () => {
    const raw = '{"apiVersion":"apps/v1","kind":"ControllerRevision","metadata":{"name":"r"},"revision":1,"data":{"a":1,"a":2}}';
    assert.deepEqual(strictDecodingErrors('apps/v1', 'ControllerRevision', JSON.parse(raw), raw), []);
  });

  it('reports only duplicates for kinds without a schema (custom resources decode into maps)', () => {
    const raw = '{"apiVersion":"example.com/v1","kind":"Widget","spec":{"x":1,"x":2,"typo":3}}';
    assert.deepEqual(strictDecodingErrors('example.com/v1', 'Widget', JSON.parse(raw), raw), ['duplicate field "spec.x"']);
  });

  it('stops at 100 errors, as sigs.k8s.io/json does', () => {
    const spec: Record<string, number> = {};
    for (let i = 0; i < 150; i++) spec['f' + i] = i;
    const obj = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec };
    assert.equal(strictDecodingErrors('v1', 'Service', obj, JSON.stringify(obj)).length, 100);
    assert.equal(strictDecodingErrors('v1', 'Service', obj).length, 100);
  });
});

describe('checkFieldValidation', () => {
  const typo = () => {
    const raw = JSON.stringify(deployment()).replace('"imagePullPolicy"', '"imagePullpolicy"').replace('"replicas":3', '"replicas":3,"foo":1,"replicas":2');
    return { raw, obj: JSON.parse(raw) };
  };

  it('Strict: 400 BadRequest with the upstream message', () => {
    const { raw, obj } = typo();
    const st = statusOf(() => checkFieldValidation('Strict', 'apps/v1', 'Deployment', obj, raw));
    assert.equal(st.code, 400);
    assert.equal(st.reason, 'BadRequest');
    assert.equal(
      st.message,
      'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo", duplicate field "spec.replicas", unknown field "spec.template.spec.containers[0].imagePullpolicy"',
    );
  });

  it('Strict: a clean body passes untouched', () => {
    const d = deployment();
    const raw = JSON.stringify(d);
    assert.deepEqual(checkFieldValidation('Strict', 'apps/v1', 'Deployment', d, raw), { warnings: [] });
    assert.deepEqual(d, deployment());
  });

  it('Warn (and the default): warnings, and unknown fields are not stored', () => {
    for (const mode of ['Warn', undefined, '']) {
      const { raw, obj } = typo();
      const { warnings } = checkFieldValidation(mode, 'apps/v1', 'Deployment', obj, raw);
      assert.deepEqual(warnings, ['unknown field "spec.foo"', 'duplicate field "spec.replicas"', 'unknown field "spec.template.spec.containers[0].imagePullpolicy"']);
      assert.equal(obj.spec.foo, undefined);
      assert.equal(obj.spec.replicas, 2);
      assert.equal(obj.spec.template.spec.containers[0].imagePullpolicy, undefined);
    }
  });

  it('Warn without the raw body still finds unknown fields', () => {
    const d = deployment();
    d.spec.template.spec.contianers = [];
    assert.deepEqual(checkFieldValidation('Warn', 'apps/v1', 'Deployment', d).warnings, ['unknown field "spec.template.spec.contianers"']);
    assert.equal('contianers' in d.spec.template.spec, false);
  });

  it('Ignore: silently drops unknown fields', () => {
    const { raw, obj } = typo();
    assert.deepEqual(checkFieldValidation('Ignore', 'apps/v1', 'Deployment', obj, raw), { warnings: [] });
    assert.equal(obj.spec.foo, undefined);
  });

  it('an unsupported value is a 422 on the options kind of the verb', () => {
    const d = deployment();
    const st = statusOf(() => checkFieldValidation('strict', 'apps/v1', 'Deployment', d));
    assert.equal(st.code, 422);
    assert.equal(st.reason, 'Invalid');
    assert.equal(st.message, 'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn"');
    assert.deepEqual(st.details?.causes, [{ reason: 'FieldValueNotSupported', message: 'Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn"', field: 'fieldValidation' }]);
    assert.equal(st.details?.kind, 'CreateOptions');
    assert.equal(st.details?.group, 'meta.k8s.io');
    assert.match(statusOf(() => parseFieldValidation('x', 'update')).message ?? '', /^UpdateOptions\.meta\.k8s\.io "" is invalid/);
    assert.equal(parseFieldValidation(null), 'Warn');
  });
});

describe('checkPatchFieldValidation', () => {
  it('merge patch under Strict: 422 naming the patched object (keys sorted, as Go re-encodes it)', () => {
    const patch = '{"spec":{"replicas":2,"replicas":3,"paused":true,"foo":"<x>"}}';
    const patched = { kind: 'Deployment', apiVersion: 'apps/v1', metadata: { name: 'web' }, spec: { replicas: 3, foo: '<x>', paused: true } };
    const st = statusOf(() => checkPatchFieldValidation('Strict', 'application/merge-patch+json', 'apps/v1', 'Deployment', patch, patched));
    assert.equal(st.code, 422);
    assert.equal(st.reason, 'Invalid');
    assert.equal(
      st.message,
      ' "" is invalid: patch: Invalid value: "{\\"apiVersion\\":\\"apps/v1\\",\\"kind\\":\\"Deployment\\",\\"metadata\\":{\\"name\\":\\"web\\"},\\"spec\\":{\\"foo\\":\\"\\\\u003cx\\\\u003e\\",\\"paused\\":true,\\"replicas\\":3}}": strict decoding error: duplicate field "spec.replicas", unknown field "spec.foo"',
    );
    assert.equal(st.details?.causes?.[0]?.field, 'patch');
  });

  it('strategic merge patch under Strict: the patch map printed the Go way', () => {
    const patch = '{"spec":{"template":{"spec":{"containers":[{"name":"web","imagePullpolicy":"Always"}]}}}}';
    const patched = deployment();
    patched.spec.template.spec.containers[0].imagePullpolicy = 'Always';
    const st = statusOf(() => checkPatchFieldValidation('Strict', 'application/strategic-merge-patch+json', 'apps/v1', 'Deployment', patch, patched));
    assert.equal(
      st.message,
      ' "" is invalid: patch: Invalid value: "map[spec:map[template:map[spec:map[containers:[map[imagePullpolicy:Always name:web]]]]]]": strict decoding error: unknown field "spec.template.spec.containers[0].imagePullpolicy"',
    );
  });

  it('JSON patch: unknown fields of the operations are prefixed `json patch`; Warn returns them all and prunes', () => {
    const patch = '[{"op":"add","path":"/spec/foo","value":{"a":1,"a":2}},{"op":"replace","path":"/spec/replicas","valeu":3}]';
    const patched: Record<string, any> = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { foo: { a: 2 }, replicas: 1 } };
    const { warnings } = checkPatchFieldValidation('Warn', 'application/json-patch+json', 'apps/v1', 'Deployment', patch, patched);
    assert.deepEqual(warnings, ['json patch duplicate field "[0].value.a"', 'json patch unknown field "[1].valeu"', 'unknown field "spec.foo"']);
    assert.deepEqual(patched.spec, { replicas: 1 });
  });

  it('Ignore prunes quietly; a clean patch gives nothing', () => {
    const patched: Record<string, any> = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, spec: { unschedulable: true, taints: [{ key: 'k', effect: 'NoSchedule', valeu: 'x' }] } };
    assert.deepEqual(checkPatchFieldValidation('Ignore', 'application/strategic-merge-patch+json', 'v1', 'Node', '{}', patched), { warnings: [] });
    assert.deepEqual(patched.spec.taints, [{ key: 'k', effect: 'NoSchedule' }]);
    assert.deepEqual(checkPatchFieldValidation('Strict', 'application/strategic-merge-patch+json', 'v1', 'Node', '{"spec":{"unschedulable":true}}', patched), { warnings: [] });
  });

  it('renders Go %+v values', () => {
    assert.equal(goValueString({ b: [1, 'x', null, true], a: 1.5, c: 1234567.5, d: 0.00001 }), 'map[a:1.5 b:[1 x <nil> true] c:1.2345675e+06 d:1e-05]');
  });
});

describe('server-side apply', () => {
  it('reports undeclared fields with structured-merge-diff paths, whatever fieldValidation says', () => {
    const d = deployment();
    d.spec.template.spec.containers[0].imagePullpolicy = 'Always';
    d.spec.template.spec.containers[0].ports[0].hostPorrt = 1;
    d.spec.template.spec.containers[0].ports.push({ containerPort: 9090, foo: 1 });
    d.spec.strategy.foo = 1;
    assert.deepEqual(findUndeclaredApplyFields('apps/v1', 'Deployment', d), [
      '.spec.strategy.foo: field not declared in schema',
      '.spec.template.spec.containers[name="web"].imagePullpolicy: field not declared in schema',
      '.spec.template.spec.containers[name="web"].ports[containerPort=8080,protocol="TCP"].hostPorrt: field not declared in schema',
      '.spec.template.spec.containers[name="web"].ports[containerPort=9090,protocol="TCP"].foo: field not declared in schema',
    ]);
  });

  it('answers 500 with the upstream message', () => {
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'admin-api', namespace: 'general' }, spec: { topologyKeys: ['x'] } };
    const err = applyTypedPatchError('v1', 'Service', svc);
    assert.ok(err);
    assert.equal(err.code, 500);
    assert.equal(err.status.message, 'failed to create typed patch object (general/admin-api; /v1, Kind=Service): .spec.topologyKeys: field not declared in schema');
    // structured-merge-diff stops at the first undeclared field of an object, but goes on elsewhere
    const one = applyTypedPatchError('v1', 'Service', { foo: 1, ...svc, status: { bar: 1 } });
    assert.equal(one?.status.message, 'failed to create typed patch object (general/admin-api; /v1, Kind=Service): .foo: field not declared in schema');
    const two = applyTypedPatchError('v1', 'Service', { ...svc, status: { bar: 1 } });
    assert.equal(
      two?.status.message,
      'failed to create typed patch object (general/admin-api; /v1, Kind=Service): errors:\n  .spec.topologyKeys: field not declared in schema\n  .status.bar: field not declared in schema',
    );
    assert.equal(applyTypedPatchError('apps/v1', 'Deployment', deployment()), undefined);
  });
});

describe('kubernetes/examples corpus', () => {
  const dir = new URL('../../../shared/corpus/kubernetes-examples/', import.meta.url);
  const present = existsSync(new URL('INDEX.tsv', dir));
  // Archived examples that really carry fields the API does not have: kube-apiserver refuses
  // them under Strict too (StorageClass parameters put on a volume, a typo, removed fields).
  const realErrors: Record<string, string[]> = {
    '_archived/volumes/rbd/rbd.yaml': ['spec.volumes[0].rbd.imageformat', 'spec.volumes[0].rbd.imagefeatures'],
    '_archived/volumes/scaleio/pod.yaml': ['spec.volumes[0].scaleIO.protectionDoamin'],
    '_archived/volumes/storageos/storageos-pod.yaml': ['spec.volumes[0].storageos.pool'],
    '_archived/volumes/storageos/storageos-pv.yaml': ['spec.storageos.secretName'],
  };
  it('finds no unknown fields in the runnable manifests', { skip: present ? false : 'the example corpus is not here (../shared/corpus/kubernetes-examples beside the repository)' }, () => {
    const rows = readFileSync(new URL('INDEX.tsv', dir), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
    let checked = 0;
    for (const [path, , , flags] of rows) {
      if (!path || (flags && flags !== 'needs-image')) continue;
      const found: string[] = [];
      for (const doc of parseAllDocuments(readFileSync(new URL(path, dir), 'utf8'))) {
        const o = doc.toJS() as Record<string, any> | null;
        if (!o || typeof o !== 'object') continue;
        const items = typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items) ? o.items : [o];
        for (const it of items) {
          checked++;
          found.push(...findUnknownFields(it.apiVersion, it.kind, it));
          assert.deepEqual(strictDecodingErrors(it.apiVersion, it.kind, it, JSON.stringify(it)).length, findUnknownFields(it.apiVersion, it.kind, it).length);
        }
      }
      assert.deepEqual(found, realErrors[path] ?? [], path);
    }
    assert.ok(checked > 100, `only ${checked} objects checked`);
  });
});
