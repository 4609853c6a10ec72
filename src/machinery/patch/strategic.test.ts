// Tests for strategic merge patch as kube-apiserver applies it: realistic kubectl patches on
// built-in kinds, plus upstream strategicpatch raw test cases mapped onto real fields.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { StatusError } from '../errors.ts';
import { applyStrategicMergePatch, typeForGVK } from './strategic.ts';

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

const y = (s: string) => deepFreeze(parse(s));
const DEPLOYMENT = typeForGVK('apps', 'v1', 'Deployment')!;
const POD = typeForGVK('', 'v1', 'Pod')!;
const NODE = typeForGVK('', 'v1', 'Node')!;

/** Applies on frozen inputs: the patch code must never write into them. */
const smp = (doc: unknown, patch: unknown, type: string) => applyStrategicMergePatch(deepFreeze(doc), deepFreeze(patch), type) as any;

function rejects(fn: () => unknown, code: number, message: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof StatusError, String(e));
    assert.equal(e.message, message);
    assert.equal(e.code, code);
    return true;
  });
}

const deployment = () =>
  y(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations: {team: a}
  finalizers: [example.com/a, example.com/b]
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 25%, maxUnavailable: 25%}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: istio-proxy
        image: istio/proxyv2
      - name: web
        image: nginx:1.24
        ports:
        - {containerPort: 80, name: http, protocol: TCP}
        - {containerPort: 443, name: https, protocol: TCP}
        env:
        - {name: A, value: "1"}
        - {name: B, value: "2"}
      volumes:
      - name: cache
        emptyDir: {}
      - name: config
        configMap: {name: web-config}
      tolerations:
      - {key: a, operator: Exists}
`);

test('kubectl apply three-way patch: $setElementOrder keeps server-only containers in place', () => {
  const patch = {
    metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"kind":"Deployment"}' } },
    spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'web' }], containers: [{ image: 'nginx:1.25', name: 'web' }] } } },
  };
  const out = smp(deployment(), patch, DEPLOYMENT);
  assert.deepEqual(out.metadata.annotations, { team: 'a', 'kubectl.kubernetes.io/last-applied-configuration': '{"kind":"Deployment"}' });
  const cs = out.spec.template.spec.containers;
  assert.deepEqual(cs.map((c: any) => c.name), ['istio-proxy', 'web']);
  assert.equal(cs[1].image, 'nginx:1.25');
  assert.equal(cs[1].ports.length, 2);
  assert.deepEqual(out.spec.template.spec.volumes, deployment().spec.template.spec.volumes);
});

test('a new container without $setElementOrder goes first (upstream order)', () => {
  const out = smp(deployment(), { spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'busybox' }] } } } }, DEPLOYMENT);
  assert.deepEqual(
    out.spec.template.spec.containers.map((c: any) => c.name),
    ['sidecar', 'istio-proxy', 'web'],
  );
});

test('env merges by name, ports by containerPort', () => {
  const patch = {
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: 'web',
              env: [{ name: 'B', value: '20' }, { name: 'C', value: '3' }],
              ports: [{ containerPort: 80, name: 'web' }, { containerPort: 8080, name: 'alt' }],
            },
          ],
        },
      },
    },
  };
  const web = smp(deployment(), patch, DEPLOYMENT).spec.template.spec.containers[1];
  assert.deepEqual(web.env, [
    { name: 'A', value: '1' },
    { name: 'B', value: '20' },
    { name: 'C', value: '3' },
  ]);
  assert.deepEqual(web.ports, [
    { containerPort: 80, name: 'web', protocol: 'TCP' },
    { containerPort: 8080, name: 'alt' },
    { containerPort: 443, name: 'https', protocol: 'TCP' },
  ]);
  // deleting one env var and one port by key
  const del = {
    spec: { template: { spec: { containers: [{ name: 'web', env: [{ name: 'A', $patch: 'delete' }], ports: [{ containerPort: 443, $patch: 'delete' }] }] } } },
  };
  const web2 = smp(deployment(), del, DEPLOYMENT).spec.template.spec.containers[1];
  assert.deepEqual(web2.env, [{ name: 'B', value: '2' }]);
  assert.deepEqual(web2.ports, [{ containerPort: 80, name: 'http', protocol: 'TCP' }]);
});

test('volumes: $patch delete removes by name; a new volume keeps its $retainKeys-free shape', () => {
  const out = smp(
    deployment(),
    { spec: { template: { spec: { volumes: [{ name: 'cache', $patch: 'delete' }, { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: null } }] } } } },
    DEPLOYMENT,
  );
  assert.deepEqual(out.spec.template.spec.volumes, [
    { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: null } },
    { name: 'config', configMap: { name: 'web-config' } },
  ]);
});

test('volumes: kubectl switches a volume source with $retainKeys', () => {
  const patch = {
    spec: {
      template: {
        spec: {
          '$setElementOrder/volumes': [{ name: 'cache' }, { name: 'config' }],
          volumes: [{ $retainKeys: ['name', 'secret'], name: 'config', configMap: null, secret: { secretName: 's' } }],
        },
      },
    },
  };
  const out = smp(deployment(), patch, DEPLOYMENT);
  assert.deepEqual(out.spec.template.spec.volumes, [
    { name: 'cache', emptyDir: {} },
    { name: 'config', secret: { secretName: 's' } },
  ]);
});

test('$retainKeys on a Deployment strategy switch from RollingUpdate to Recreate', () => {
  const out = smp(deployment(), { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' } } }, DEPLOYMENT);
  assert.deepEqual(out.spec.strategy, { type: 'Recreate' });
  const out2 = smp(deployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, DEPLOYMENT);
  assert.deepEqual(out2.spec.strategy, { type: 'Recreate' });
  // without the directive the struct merges and rollingUpdate stays (validation rejects it later)
  const out3 = smp(deployment(), { spec: { strategy: { type: 'Recreate' } } }, DEPLOYMENT);
  assert.deepEqual(out3.spec.strategy, { type: 'Recreate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
  // every non-null key of the patch must be listed
  rejects(() => smp(deployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: {} } } }, DEPLOYMENT), 400, 'invalid patch format of retainKeys');
  rejects(() => smp(deployment(), { spec: { strategy: { $retainKeys: 'type' } } }, DEPLOYMENT), 400, 'invalid patch format of retainKeys');
});

test('finalizers: set union, $deleteFromPrimitiveList and $setElementOrder', () => {
  const fin = (patch: unknown) => smp(deployment(), { metadata: patch }, DEPLOYMENT).metadata.finalizers;
  assert.deepEqual(fin({ finalizers: ['example.com/b', 'example.com/c'] }), ['example.com/a', 'example.com/b', 'example.com/c']);
  assert.deepEqual(fin({ finalizers: ['example.com/c'] }), ['example.com/c', 'example.com/a', 'example.com/b']);
  assert.deepEqual(fin({ '$deleteFromPrimitiveList/finalizers': ['example.com/a', 'example.com/x'] }), ['example.com/b']);
  // kubectl apply removing a and adding c
  assert.deepEqual(
    fin({
      '$setElementOrder/finalizers': ['example.com/b', 'example.com/c'],
      '$deleteFromPrimitiveList/finalizers': ['example.com/a'],
      finalizers: ['example.com/c'],
    }),
    ['example.com/b', 'example.com/c'],
  );
  // a delete list on a missing list adds nothing; a null delete list drops the field (upstream quirk)
  assert.deepEqual(smp({ metadata: {} }, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, DEPLOYMENT).metadata, {});
  assert.equal(fin({ '$deleteFromPrimitiveList/finalizers': null }), undefined);
  rejects(() => fin({ '$deleteFromPrimitiveListfinalizers': ['a'] }), 400, 'invalid patch format of primitive list');
});

test('tolerations and taints are atomic: replaced whole, null removes', () => {
  const out = smp(deployment(), { spec: { template: { spec: { tolerations: [{ key: 'b', operator: 'Exists', effect: 'NoSchedule' }] } } } }, DEPLOYMENT);
  assert.deepEqual(out.spec.template.spec.tolerations, [{ key: 'b', operator: 'Exists', effect: 'NoSchedule' }]);
  const node = y(`
apiVersion: v1
kind: Node
metadata: {name: n1, labels: {a: "1"}}
spec:
  podCIDR: 10.244.1.0/24
  taints:
  - {key: node.kubernetes.io/not-ready, effect: NoSchedule}
`);
  const added = smp(node, { spec: { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }, { key: 'dedicated', value: 'gpu', effect: 'NoExecute' }] } }, NODE);
  assert.equal(added.spec.taints.length, 2);
  const removed = smp(node, { spec: { taints: null } }, NODE);
  assert.deepEqual(removed.spec, { podCIDR: '10.244.1.0/24' });
  // spec.unschedulable set by kubectl cordon
  assert.equal(smp(node, { spec: { unschedulable: true } }, NODE).spec.unschedulable, true);
});

test('maps: $patch replace and delete, null deletes a key, nested nulls in new subtrees are dropped', () => {
  const out = smp(deployment(), { metadata: { annotations: { $patch: 'replace', only: 'me' } } }, DEPLOYMENT);
  assert.deepEqual(out.metadata.annotations, { only: 'me' });
  assert.deepEqual(smp(deployment(), { metadata: { annotations: { $patch: 'delete' } } }, DEPLOYMENT).metadata.annotations, {});
  assert.deepEqual(smp(deployment(), { metadata: { annotations: { team: null } } }, DEPLOYMENT).metadata.annotations, {});
  const added = smp(deployment(), { spec: { template: { spec: { securityContext: { runAsUser: 1000, fsGroup: null } } } } }, DEPLOYMENT);
  assert.deepEqual(added.spec.template.spec.securityContext, { runAsUser: 1000 });
  // a nested map with a directive disappears when it lands on nothing
  const dropped = smp(deployment(), { spec: { template: { spec: { dnsConfig: { $patch: 'delete' } } } } }, DEPLOYMENT);
  assert.equal('dnsConfig' in dropped.spec.template.spec, false);
  rejects(
    () => smp(deployment(), { metadata: { annotations: { $patch: 'merge', a: '1' } } }, DEPLOYMENT),
    500,
    'unknown patch type: merge in map: map[$patch:merge a:1]',
  );
});

test('lists: $patch replace in a merging list', () => {
  const patch = { spec: { template: { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'x' }] } } } };
  assert.deepEqual(smp(deployment(), patch, DEPLOYMENT).spec.template.spec.containers, [{ name: 'only', image: 'x' }]);
  rejects(
    () => smp(deployment(), { spec: { template: { spec: { containers: [{ $patch: 'merge', name: 'web' }] } } } }, DEPLOYMENT),
    500,
    'merging lists cannot yet be specified in the patch',
  );
});

test('PodDisruptionBudget selector has patchStrategy replace', () => {
  const pdb = y(`
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: p}
spec:
  minAvailable: 1
  selector:
    matchLabels: {app: web}
    matchExpressions: [{key: tier, operator: In, values: [front]}]
`);
  const out = smp(pdb, { spec: { selector: { matchLabels: { app: 'api' } } } }, typeForGVK('policy', 'v1', 'PodDisruptionBudget')!);
  assert.deepEqual(out.spec.selector, { matchLabels: { app: 'api' } });
  // a Deployment selector (no strategy) merges
  const d = smp(deployment(), { spec: { selector: { matchLabels: { tier: 'x' } } } }, DEPLOYMENT);
  assert.deepEqual(d.spec.selector, { matchLabels: { app: 'web', tier: 'x' } });
});

test('Service ports merge by port, ownerReferences by uid', () => {
  const svc = y(`
apiVersion: v1
kind: Service
metadata:
  name: s
  ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: c, uid: u1}]
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080, protocol: TCP}
`);
  const out = smp(
    svc,
    {
      metadata: { ownerReferences: [{ uid: 'u1', controller: true }] },
      spec: { ports: [{ port: 80, targetPort: 9090 }], selector: { tier: 'x' } },
    },
    typeForGVK('', 'v1', 'Service')!,
  );
  assert.deepEqual(out.spec.ports, [{ name: 'http', port: 80, targetPort: 9090, protocol: 'TCP' }]);
  assert.deepEqual(out.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'c', uid: 'u1', controller: true }]);
  // SMP merges maps key by key even where SSA treats them atomic (selector)
  assert.deepEqual(out.spec.selector, { app: 'web', tier: 'x' });
});

test('errors as the apiserver reports them', () => {
  rejects(
    () => smp(deployment(), { spec: { template: { spec: { containers: [{ image: 'nginx' }] } } } }, DEPLOYMENT),
    500,
    'map: map[image:nginx] does not contain declared merge key: name',
  );
  rejects(
    () =>
      smp(
        deployment(),
        { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'web' }, { name: 'istio-proxy' }], containers: [{ name: 'istio-proxy' }, { name: 'web' }] } } } },
        DEPLOYMENT,
      ),
    500,
    "The order in patch list:\n[map[name:istio-proxy] map[name:web]]\n doesn't match $setElementOrder list:\n[map[name:web] map[name:istio-proxy]]\n",
  );
  rejects(() => smp(deployment(), { spec: { template: { spec: { '$setElementOrder/containers': { name: 'web' } } } } }, DEPLOYMENT), 500, 'expected a []interface {}, but received a map[string]interface {}');
  rejects(() => smp(deployment(), { spec: { template: { spec: { $setElementOrderX: [] } } } }, DEPLOYMENT), 400, 'invalid patch format of setElementOrder list');
  rejects(() => smp(deployment(), { metadata: { finalizers: [{ a: 1 }] } }, DEPLOYMENT), 500, 'list element types are not identical: [[example.com/a example.com/b] [map[a:1]]]');
  rejects(() => smp({ metadata: { finalizers: [] } }, { metadata: { finalizers: [{ a: 1 }] } }, DEPLOYMENT), 500, 'cannot merge lists without merge key for string');
  assert.throws(
    () => smp({ metadata: { finalizers: [] } }, { metadata: { finalizers: [['a']] } }, DEPLOYMENT),
    (e: unknown) => e instanceof StatusError && e.code === 422 && e.reason === 'Invalid' && e.cause === 'lists of lists are not supported',
  );
  rejects(() => smp(deployment(), [1], DEPLOYMENT), 400, 'json: cannot unmarshal array into Go value of type map[string]interface {}');
  rejects(() => smp({}, {}, 'V1NoSuchKind'), 400, 'strategic merge patch format is not supported');
});

test('inputs are not mutated and unchanged subtrees are shared', () => {
  const d = deployment();
  const out = smp(d, { spec: { replicas: 3 } }, DEPLOYMENT);
  assert.equal(out.spec.replicas, 3);
  assert.equal(d.spec.replicas, 2);
  assert.equal(out.spec.template, d.spec.template);
  assert.equal(smp(d, null, DEPLOYMENT), d);
});

// Upstream pkg/util/strategicpatch raw test cases (current + three-way patch → result), with
// upstream's mergingList played by PodSpec.containers and mergingIntList by ObjectMeta.finalizers.
const upstream: { name: string; type: string; current: string; patch: string; result: string }[] = [
  {
    name: 'nested patch merge with empty list',
    type: 'V1PodSpec',
    current: 'containers: [{name: hello2}]',
    patch: '{$setElementOrder/containers: [{name: hello}, {name: doesntexist}], containers: [{name: hello}]}',
    result: 'containers: [{name: hello}, {name: hello2}]',
  },
  {
    name: 'add and delete items in lists of scalars',
    type: 'V1ObjectMeta',
    current: 'finalizers: [1, 2, 3, 4]',
    patch: '{$setElementOrder/finalizers: [1, 2, 4], $deleteFromPrimitiveList/finalizers: [3]}',
    result: 'finalizers: [1, 2, 4]',
  },
  {
    name: 'add and delete an item in a list and preserve order',
    type: 'V1PodSpec',
    current: 'containers: [{name: "1", other: a}, {name: "2", value: "2", other: b}, {name: "3", value: "3"}]',
    patch: '{$setElementOrder/containers: [{name: "4"}, {name: "2"}, {name: "1"}], containers: [{name: "4", value: "4"}, {name: "3", $patch: delete}]}',
    result: 'containers: [{name: "4", value: "4"}, {name: "2", value: "2", other: b}, {name: "1", other: a}]',
  },
  {
    name: 'set elements order in a list with server-only items',
    type: 'V1PodSpec',
    current: 'containers: [{name: "1", other: a}, {name: "3", value: "3"}, {name: "4", value: "4"}, {name: "2", value: "2"}, {name: "9"}]',
    patch: '{$setElementOrder/containers: [{name: "4"}, {name: "2"}, {name: "3"}, {name: "1"}]}',
    result: 'containers: [{name: "4", value: "4"}, {name: "2", value: "2"}, {name: "3", value: "3"}, {name: "1", other: a}, {name: "9"}]',
  },
  {
    name: 'set elements order in a list with server-only items 3',
    type: 'V1PodSpec',
    current: 'containers: [{name: "1", other: a}, {name: "2", value: "2"}, {name: "7"}, {name: "9"}, {name: "8"}, {name: "3", value: "3"}, {name: "4", value: "4"}]',
    patch: '{$setElementOrder/containers: [{name: "2"}, {name: "1"}, {name: "4"}, {name: "3"}]}',
    result: 'containers: [{name: "2", value: "2"}, {name: "1", other: a}, {name: "7"}, {name: "9"}, {name: "8"}, {name: "4", value: "4"}, {name: "3", value: "3"}]',
  },
  {
    name: 'behavior of set element order for a merging list with duplicate',
    type: 'V1PodSpec',
    current: 'containers: [{name: "1"}, {name: "2", value: dup1}, {name: "3"}, {name: "2", value: dup2}, {name: "4"}]',
    patch: '{$setElementOrder/containers: [{name: "2"}, {name: "1"}, {name: "4"}, {name: "3"}, {name: "2"}]}',
    result: 'containers: [{name: "2", value: dup1}, {name: "2", value: dup2}, {name: "1"}, {name: "4"}, {name: "3"}]',
  },
  {
    name: 'behavior of set element order for a merging int list with duplicate',
    type: 'V1ObjectMeta',
    current: 'finalizers: [1, 2, 3, 2, 4]',
    patch: '{$setElementOrder/finalizers: [2, 1, 4, 3, 2]}',
    result: 'finalizers: [2, 2, 1, 4, 3]',
  },
  {
    name: 'retainKeys map should clear defaulted field',
    type: 'V1DeploymentSpec',
    current: 'strategy: {value: foo}',
    patch: '{strategy: {$retainKeys: [other], other: bar}}',
    result: 'strategy: {other: bar}',
  },
  {
    name: 'retainKeys list of maps clears a field',
    type: 'V1PodSpec',
    current: 'volumes: [{name: bar}, {name: foo, value: a, other: x}]',
    patch: '{$setElementOrder/volumes: [{name: bar}, {name: foo}], volumes: [{$retainKeys: [name, value], name: foo}]}',
    result: 'volumes: [{name: bar}, {name: foo, value: a}]',
  },
  {
    name: 'delete and reorder in one list, reorder in another',
    type: 'V1PodSpec',
    current: 'containers: [{name: a, value: a}, {name: b, value: b}]\ninitContainers: [{name: c, value: c}, {name: d, value: d}]',
    patch: '{$setElementOrder/containers: [{name: b}], $setElementOrder/initContainers: [{name: d}, {name: c}], containers: [{$patch: delete, name: a}]}',
    result: 'containers: [{name: b, value: b}]\ninitContainers: [{name: d, value: d}, {name: c, value: c}]',
  },
];

for (const c of upstream) {
  test(`upstream: ${c.name}`, () => {
    assert.deepEqual(smp(y(c.current), y(c.patch), c.type), parse(c.result));
  });
}

test('__proto__ keys stay plain data', () => {
  const patch = JSON.parse('{"metadata":{"labels":{"__proto__":{"polluted":"yes"}}}}');
  const out = applyStrategicMergePatch({ metadata: { labels: {} } }, patch, DEPLOYMENT) as any;
  assert.equal(Object.getPrototypeOf(out.metadata.labels), Object.prototype);
  assert.equal(out.metadata.labels.polluted, undefined);
  assert.deepEqual(Object.keys(out.metadata.labels), ['__proto__']);
});
