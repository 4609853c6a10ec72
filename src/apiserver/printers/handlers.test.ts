// Golden tests: for each built-in resource, realistic objects and the cells kube-apiserver 1.32 prints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toTable } from './table.ts';

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const ago = (ms: number): string => new Date(NOW - ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const MIN = 60_000, H = 60 * MIN, D = 24 * H;

type Any = Record<string, any>;
const meta = (name: string, extra: Any = {}): Any => ({ name, namespace: 'default', uid: 'u-' + name, resourceVersion: '42', creationTimestamp: ago(3 * D), ...extra });

function cells(group: string, resource: string, obj: Any): unknown[] {
  return toTable({ group, resource }, [obj], { now: NOW }).rows![0]!.cells;
}
function header(group: string, resource: string): string[] {
  return toTable({ group, resource }, [], { now: NOW }).columnDefinitions!.map((c) => (c.priority ? c.name.toUpperCase() + '*' : c.name.toUpperCase()));
}

const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }, { name: 'sidecar', image: 'busybox' }] } };

test('pods header', () => {
  assert.deepEqual(header('', 'pods'), ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP*', 'NODE*', 'NOMINATED NODE*', 'READINESS GATES*']);
});

test('nodes: STATUS with SchedulingDisabled and ROLES', () => {
  assert.deepEqual(header('', 'nodes'), ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP*', 'EXTERNAL-IP*', 'OS-IMAGE*', 'KERNEL-VERSION*', 'CONTAINER-RUNTIME*']);
  const node = {
    metadata: meta('aks-nodepool1-0', { namespace: undefined, labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/worker': 'x', 'kubernetes.io/role': 'agent', 'node-role.kubernetes.io/': 'y' } }),
    spec: { unschedulable: true },
    status: {
      conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }],
      addresses: [{ type: 'Hostname', address: 'n0' }, { type: 'InternalIP', address: '127.10.0.1' }],
      nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Ubuntu 22.04.4 LTS', kernelVersion: '6.8.0', containerRuntimeVersion: 'containerd://1.7.20' },
    },
  };
  assert.deepEqual(cells('', 'nodes', node), ['aks-nodepool1-0', 'Ready,SchedulingDisabled', 'agent,control-plane,worker', '3d', 'v1.32.0', '127.10.0.1', '<none>', 'Ubuntu 22.04.4 LTS', '6.8.0', 'containerd://1.7.20']);
  const notReady = { metadata: meta('n1'), status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } };
  assert.deepEqual(cells('', 'nodes', notReady).slice(0, 5), ['n1', 'NotReady', '<none>', '3d', '']);
  assert.equal(cells('', 'nodes', { metadata: meta('n2'), spec: { unschedulable: true } })[1], 'Unknown,SchedulingDisabled');
  assert.deepEqual(cells('', 'nodes', { metadata: meta('n2') }).slice(7), ['<unknown>', '<unknown>', '<unknown>']);
});

test('namespaces', () => {
  assert.deepEqual(header('', 'namespaces'), ['NAME', 'STATUS', 'AGE']);
  assert.deepEqual(cells('', 'namespaces', { metadata: meta('kube-system'), status: { phase: 'Active' } }), ['kube-system', 'Active', '3d']);
});

test('services: EXTERNAL-IP and PORT(S)', () => {
  assert.deepEqual(header('', 'services'), ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR*']);
  const np = { metadata: meta('web'), spec: { type: 'NodePort', clusterIP: '127.96.0.20', clusterIPs: ['127.96.0.20'], selector: { app: 'web', tier: 'fe' }, ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 443, protocol: 'TCP' }] } };
  assert.deepEqual(cells('', 'services', np), ['web', 'NodePort', '127.96.0.20', '<none>', '80:30080/TCP,443/TCP', '3d', 'app=web,tier=fe']);
  const lbPending = { metadata: meta('lb'), spec: { type: 'LoadBalancer', clusterIPs: ['127.96.0.21'], ports: [{ port: 80, nodePort: 31234, protocol: 'TCP' }] } };
  assert.deepEqual(cells('', 'services', lbPending).slice(1, 5), ['LoadBalancer', '127.96.0.21', '<pending>', '80:31234/TCP']);
  const lb = { ...lbPending, status: { loadBalancer: { ingress: [{ ip: '127.20.0.9' }, { hostname: 'a.example.com' }, { ip: '127.20.0.9' }, {}] } } };
  assert.equal(cells('', 'services', lb)[3], '127.20.0.9,a.example.com');
  const lbExt = { ...lb, spec: { ...lb.spec, externalIPs: ['1.2.3.4'] } };
  assert.equal(cells('', 'services', lbExt)[3], '127.20.0.9,a.example.com,1.2.3.4');
  const headless = { metadata: meta('db'), spec: { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], ports: [{ port: 5432, protocol: 'TCP' }] } };
  assert.deepEqual(cells('', 'services', headless), ['db', 'ClusterIP', 'None', '<none>', '5432/TCP', '3d', '<none>']);
  const ext = { metadata: meta('ext'), spec: { type: 'ExternalName', externalName: 'example.com' } };
  assert.deepEqual(cells('', 'services', ext).slice(1, 5), ['ExternalName', '<none>', 'example.com', '<none>']);
  const cip = { metadata: meta('k'), spec: { type: 'ClusterIP', clusterIPs: ['127.96.0.1'], externalIPs: ['5.6.7.8', '9.9.9.9'], ports: [{ port: 53, protocol: 'UDP' }] } };
  assert.equal(cells('', 'services', cip)[3], '5.6.7.8,9.9.9.9');
});

test('endpoints: ip:port list with "+ N more..."', () => {
  const ep = {
    metadata: meta('web'),
    subsets: [
      { addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], notReadyAddresses: [{ ip: '10.0.0.9' }], ports: [{ port: 80 }, { port: 443 }] },
      { addresses: [{ ip: 'fd00::1' }], ports: [{ port: 8080 }] },
    ],
  };
  assert.deepEqual(cells('', 'endpoints', ep), ['web', '10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 2 more...', '3d']);
  assert.equal(cells('', 'endpoints', { metadata: meta('h'), subsets: [{ addresses: [{ ip: 'fd00::1' }], ports: [{ port: 80 }] }] })[1], '[fd00::1]:80');
  assert.equal(cells('', 'endpoints', { metadata: meta('h'), subsets: [{ addresses: [{ ip: '10.0.0.1' }] }] })[1], '10.0.0.1');
  assert.equal(cells('', 'endpoints', { metadata: meta('e') })[1], '<none>');
  assert.equal(cells('', 'endpoints', { metadata: meta('e'), subsets: [{ notReadyAddresses: [{ ip: '1.1.1.1' }], ports: [{ port: 80 }] }] })[1], '');
});

test('endpointslices', () => {
  assert.deepEqual(header('discovery.k8s.io', 'endpointslices'), ['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE']);
  const es = {
    metadata: meta('web-abc12'), addressType: 'IPv4',
    ports: [{ name: 'http', port: 80 }, { name: 'metrics' }, {}, { port: 9000 }],
    endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: false } }, { addresses: ['10.0.0.2'] }],
  };
  assert.deepEqual(cells('discovery.k8s.io', 'endpointslices', es), ['web-abc12', 'IPv4', '80,metrics,* + 1 more...', '10.0.0.1,10.0.0.2', '3d']);
  assert.deepEqual(cells('discovery.k8s.io', 'endpointslices', { metadata: meta('x'), addressType: 'IPv6' }).slice(2, 4), ['<unset>', '<unset>']);
});

test('configmaps, secrets, serviceaccounts', () => {
  assert.deepEqual(header('', 'configmaps'), ['NAME', 'DATA', 'AGE']);
  assert.deepEqual(cells('', 'configmaps', { metadata: meta('kube-root-ca.crt'), data: { 'ca.crt': 'x', b: '' }, binaryData: { c: 'AA==' } }), ['kube-root-ca.crt', 3, '3d']);
  assert.deepEqual(header('', 'secrets'), ['NAME', 'TYPE', 'DATA', 'AGE']);
  assert.deepEqual(cells('', 'secrets', { metadata: meta('tls'), type: 'kubernetes.io/tls', data: { 'tls.crt': 'a', 'tls.key': 'b' } }), ['tls', 'kubernetes.io/tls', 2, '3d']);
  assert.deepEqual(cells('', 'secrets', { metadata: meta('empty'), type: 'Opaque' }), ['empty', 'Opaque', 0, '3d']);
  assert.deepEqual(header('', 'serviceaccounts'), ['NAME', 'SECRETS', 'AGE']);
  assert.deepEqual(cells('', 'serviceaccounts', { metadata: meta('default') }), ['default', 0, '3d']);
});

test('events (core/v1 and events.k8s.io/v1)', () => {
  assert.deepEqual(header('', 'events'), ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'SUBOBJECT*', 'SOURCE*', 'MESSAGE', 'FIRST SEEN*', 'COUNT*', 'NAME*']);
  const ev = {
    apiVersion: 'v1', kind: 'Event', metadata: meta('web.1'),
    involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', fieldPath: 'spec.containers{nginx}' },
    reason: 'Pulled', message: '  Successfully pulled image "nginx"\n', type: 'Normal',
    source: { component: 'kubelet', host: 'node-1' }, firstTimestamp: ago(10 * MIN), lastTimestamp: ago(2 * MIN), count: 4,
  };
  assert.deepEqual(cells('', 'events', ev), ['2m', 'Normal', 'Pulled', 'pod/web', 'spec.containers{nginx}', 'kubelet, node-1', 'Successfully pulled image "nginx"', '10m', 4, 'web.1']);
  const newStyle = {
    apiVersion: 'v1', kind: 'Event', metadata: meta('web.2'), involvedObject: { kind: 'Node' }, reason: 'Scheduled', message: 'ok', type: 'Normal',
    eventTime: ago(30_000) + '', reportingController: 'default-scheduler', reportingInstance: 'sched-1',
  };
  assert.deepEqual(cells('', 'events', newStyle), ['30s', 'Normal', 'Scheduled', 'node', '', 'default-scheduler, sched-1', 'ok', '30s', 1, 'web.2']);
  const series = { ...newStyle, series: { count: 7, lastObservedTime: ago(5_000) } };
  assert.deepEqual(cells('', 'events', series).slice(7, 9), ['30s', 7]);
  assert.equal(cells('', 'events', series)[0], '5s');
  const v1 = {
    apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: meta('web.3'), regarding: { kind: 'Deployment', name: 'web' },
    reason: 'ScalingReplicaSet', note: 'Scaled up replica set web-5d to 3', type: 'Normal', eventTime: ago(4 * MIN),
    reportingController: 'deployment-controller', deprecatedCount: 2, deprecatedFirstTimestamp: ago(6 * MIN), deprecatedLastTimestamp: ago(4 * MIN),
  };
  assert.deepEqual(cells('events.k8s.io', 'events', v1), ['4m', 'Normal', 'ScalingReplicaSet', 'deployment/web', '', 'deployment-controller', 'Scaled up replica set web-5d to 3', '6m', 2, 'web.3']);
});

test('persistentvolumes and persistentvolumeclaims', () => {
  assert.deepEqual(header('', 'persistentvolumes'), ['NAME', 'CAPACITY', 'ACCESS MODES', 'RECLAIM POLICY', 'STATUS', 'CLAIM', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'REASON', 'AGE', 'VOLUMEMODE*']);
  const pv = {
    metadata: meta('pv-1', { namespace: undefined }),
    spec: { capacity: { storage: '1024Mi' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', claimRef: { namespace: 'default', name: 'data' }, storageClassName: 'standard', volumeMode: 'Filesystem' },
    status: { phase: 'Bound' },
  };
  assert.deepEqual(cells('', 'persistentvolumes', pv), ['pv-1', '1Gi', 'RWO,RWX', 'Retain', 'Bound', 'default/data', 'standard', '<unset>', '', '3d', 'Filesystem']);
  const pvDel = { ...pv, metadata: { ...pv.metadata, deletionTimestamp: ago(1000), annotations: { 'volume.beta.kubernetes.io/storage-class': 'legacy' } }, spec: { persistentVolumeReclaimPolicy: 'Delete' } };
  assert.deepEqual(cells('', 'persistentvolumes', pvDel), ['pv-1', '0', '', 'Delete', 'Terminating', '', 'legacy', '<unset>', '', '3d', '<unset>']);
  assert.deepEqual(header('', 'persistentvolumeclaims'), ['NAME', 'STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'AGE', 'VOLUMEMODE*']);
  const pvc = {
    metadata: meta('data'),
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } }, volumeName: 'pv-1', storageClassName: 'standard', volumeMode: 'Filesystem' },
    status: { phase: 'Bound', capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'] },
  };
  assert.deepEqual(cells('', 'persistentvolumeclaims', pvc), ['data', 'Bound', 'pv-1', '10Gi', 'RWO', 'standard', '<unset>', '3d', 'Filesystem']);
  const pending = { metadata: meta('p'), spec: { accessModes: ['ReadWriteOnce'] }, status: { phase: 'Pending' } };
  assert.deepEqual(cells('', 'persistentvolumeclaims', pending), ['p', 'Pending', '', '', '', '', '<unset>', '3d', '<unset>']);
});

test('resourcequotas: REQUEST and LIMIT', () => {
  assert.deepEqual(header('', 'resourcequotas'), ['NAME', 'REQUEST', 'LIMIT', 'AGE']);
  const rq = {
    metadata: meta('quota'),
    status: { hard: { pods: '10', 'requests.cpu': '2', 'limits.memory': '2Gi', 'limits.cpu': '4' }, used: { pods: '1', 'requests.cpu': '100m', 'limits.cpu': '500m' } },
  };
  assert.deepEqual(cells('', 'resourcequotas', rq), ['quota', 'pods: 1/10, requests.cpu: 100m/2', 'limits.cpu: 500m/4, limits.memory: 0/2Gi', '3d']);
});

test('limitranges, roles, clusterroles use the default Name/Created At convertor', () => {
  for (const [g, r] of [['', 'limitranges'], ['rbac.authorization.k8s.io', 'roles'], ['rbac.authorization.k8s.io', 'clusterroles']] as const) {
    const t = toTable({ group: g, resource: r }, [{ metadata: meta('x', { creationTimestamp: '2024-12-11T10:20:30Z' }) }], { now: NOW });
    assert.deepEqual(t.columnDefinitions!.map((c) => [c.name, c.type, c.format]), [['Name', 'string', 'name'], ['Created At', 'date', '']]);
    assert.deepEqual(t.rows![0]!.cells, ['x', '2024-12-11T10:20:30Z']);
  }
});

test('replicationcontrollers and podtemplates', () => {
  assert.deepEqual(header('', 'replicationcontrollers'), ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE', 'CONTAINERS*', 'IMAGES*', 'SELECTOR*']);
  const rc = { metadata: meta('rc'), spec: { replicas: 3, selector: { app: 'web' }, template }, status: { replicas: 3, readyReplicas: 2 } };
  assert.deepEqual(cells('', 'replicationcontrollers', rc), ['rc', 3, 3, 2, '3d', 'nginx,sidecar', 'nginx:1.27,busybox', 'app=web']);
  assert.deepEqual(header('', 'podtemplates'), ['NAME', 'CONTAINERS', 'IMAGES', 'POD LABELS']);
  assert.deepEqual(cells('', 'podtemplates', { metadata: meta('pt'), template }), ['pt', 'nginx,sidecar', 'nginx:1.27,busybox', 'app=web']);
});

test('deployments: READY 2/3, integer UP-TO-DATE/AVAILABLE, raw selector', () => {
  assert.deepEqual(header('apps', 'deployments'), ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS*', 'IMAGES*', 'SELECTOR*']);
  const d = { metadata: meta('web'), spec: { replicas: 3, selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'dev'] }] }, template }, status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } };
  assert.deepEqual(cells('apps', 'deployments', d), ['web', '2/3', 3, 2, '3d', 'nginx,sidecar', 'nginx:1.27,busybox', 'app=web,env in (dev,prod)']);
  const fresh = { metadata: meta('new'), spec: { replicas: 3, selector: {}, template } };
  assert.deepEqual(cells('apps', 'deployments', fresh).slice(0, 4), ['new', '0/3', 0, 0]);
  assert.equal(cells('apps', 'deployments', fresh)[7], '');
  const bad = { metadata: meta('bad'), spec: { replicas: 1, selector: { matchExpressions: [{ key: 'a', operator: 'Foo' }] }, template } };
  assert.equal(cells('apps', 'deployments', bad)[7], '<invalid>');
});

test('replicasets, statefulsets, daemonsets, controllerrevisions', () => {
  assert.deepEqual(header('apps', 'replicasets'), ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE', 'CONTAINERS*', 'IMAGES*', 'SELECTOR*']);
  const rs = { metadata: meta('web-5d4f8'), spec: { replicas: 3, selector: { matchLabels: { app: 'web', 'pod-template-hash': '5d4f8' } }, template }, status: { replicas: 3, readyReplicas: 3 } };
  assert.deepEqual(cells('apps', 'replicasets', rs), ['web-5d4f8', 3, 3, 3, '3d', 'nginx,sidecar', 'nginx:1.27,busybox', 'app=web,pod-template-hash=5d4f8']);
  assert.equal(cells('apps', 'replicasets', { ...rs, spec: { ...rs.spec, selector: {} } })[7], '<none>');
  assert.deepEqual(header('apps', 'statefulsets'), ['NAME', 'READY', 'AGE', 'CONTAINERS*', 'IMAGES*']);
  assert.deepEqual(cells('apps', 'statefulsets', { metadata: meta('db'), spec: { replicas: 3, template }, status: { readyReplicas: 1 } }), ['db', '1/3', '3d', 'nginx,sidecar', 'nginx:1.27,busybox']);
  assert.deepEqual(header('apps', 'daemonsets'), ['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE', 'CONTAINERS*', 'IMAGES*', 'SELECTOR*']);
  const ds = {
    metadata: meta('kube-proxy'),
    spec: { selector: { matchLabels: { k8s: 'proxy' } }, template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'kube-proxy', image: 'kube-proxy:v1.32' }] } } },
    status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
  };
  assert.deepEqual(cells('apps', 'daemonsets', ds), ['kube-proxy', 3, 3, 2, 3, 2, 'kubernetes.io/os=linux', '3d', 'kube-proxy', 'kube-proxy:v1.32', 'k8s=proxy']);
  assert.deepEqual(header('apps', 'controllerrevisions'), ['NAME', 'CONTROLLER', 'REVISION', 'AGE']);
  const cr = { metadata: meta('fluentd-7c9', { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'fluentd', uid: 'x', controller: true }] }), revision: 2 };
  assert.deepEqual(cells('apps', 'controllerrevisions', cr), ['fluentd-7c9', 'daemonset.apps/fluentd', 2, '3d']);
  assert.equal(cells('apps', 'controllerrevisions', { metadata: meta('x'), revision: 1 })[1], '<none>');
});

test('jobs: STATUS, COMPLETIONS and DURATION', () => {
  assert.deepEqual(header('batch', 'jobs'), ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE', 'CONTAINERS*', 'IMAGES*', 'SELECTOR*']);
  const sel = { matchLabels: { 'batch.kubernetes.io/controller-uid': 'abc' } };
  const done = {
    metadata: meta('pi'), spec: { completions: 1, parallelism: 1, selector: sel, template: { spec: { containers: [{ name: 'pi', image: 'perl' }] } } },
    status: { succeeded: 1, startTime: ago(10 * MIN), completionTime: ago(10 * MIN - 47_000), conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True' }] },
  };
  assert.deepEqual(cells('batch', 'jobs', done), ['pi', 'Complete', '1/1', '47s', '3d', 'pi', 'perl', 'batch.kubernetes.io/controller-uid=abc']);
  const runningJob = { metadata: meta('work'), spec: { completions: 5, parallelism: 2, selector: sel }, status: { succeeded: 2, active: 2, startTime: ago(5 * MIN + 10_000) } };
  assert.deepEqual(cells('batch', 'jobs', runningJob).slice(1, 4), ['Running', '2/5', '5m10s']);
  const workQueue = { metadata: meta('q'), spec: { parallelism: 3 }, status: {} };
  assert.deepEqual(cells('batch', 'jobs', workQueue).slice(1, 4), ['Running', '0/1 of 3', '']);
  assert.equal(cells('batch', 'jobs', { metadata: meta('s'), spec: {}, status: {} })[2], '0/1');
  assert.equal(cells('batch', 'jobs', { metadata: meta('f'), spec: {}, status: { conditions: [{ type: 'Failed', status: 'True' }] } })[1], 'Failed');
  assert.equal(cells('batch', 'jobs', { metadata: meta('t', { deletionTimestamp: ago(1) }), spec: {}, status: {} })[1], 'Terminating');
  assert.equal(cells('batch', 'jobs', { metadata: meta('u'), spec: { suspend: true }, status: { conditions: [{ type: 'Suspended', status: 'True' }] } })[1], 'Suspended');
  assert.equal(cells('batch', 'jobs', { metadata: meta('v'), spec: {}, status: { conditions: [{ type: 'FailureTarget', status: 'True' }] } })[1], 'FailureTarget');
});

test('cronjobs: SUSPEND string and LAST SCHEDULE', () => {
  assert.deepEqual(header('batch', 'cronjobs'), ['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE', 'CONTAINERS*', 'IMAGES*', 'SELECTOR*']);
  const cj = {
    metadata: meta('hello'),
    spec: { schedule: '*/5 * * * *', suspend: false, jobTemplate: { spec: { template: { spec: { containers: [{ name: 'hello', image: 'busybox' }] } } } } },
    status: { active: [{ name: 'hello-1' }], lastScheduleTime: ago(150_000) },
  };
  assert.deepEqual(cells('batch', 'cronjobs', cj), ['hello', '*/5 * * * *', '<none>', 'False', 1, '2m30s', '3d', 'hello', 'busybox', '<none>']);
  const never = { metadata: meta('n'), spec: { schedule: '0 0 * * *', timeZone: 'Etc/UTC' } };
  assert.deepEqual(cells('batch', 'cronjobs', never).slice(1, 6), ['0 0 * * *', 'Etc/UTC', '<unset>', 0, '<none>']);
  const t = toTable({ group: 'batch', resource: 'cronjobs' }, [], { now: NOW });
  assert.equal(t.columnDefinitions![3]!.type, 'boolean');
});

test('horizontalpodautoscalers: TARGETS (v2 and v1)', () => {
  assert.deepEqual(header('autoscaling', 'horizontalpodautoscalers'), ['NAME', 'REFERENCE', 'TARGETS', 'MINPODS', 'MAXPODS', 'REPLICAS', 'AGE']);
  const v2 = {
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: meta('web'),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 10,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
        { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } },
        { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '1k' } } },
      ],
    },
    status: { currentReplicas: 2, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 12, averageValue: '120m' } } }] },
  };
  assert.deepEqual(cells('autoscaling', 'horizontalpodautoscalers', v2), ['web', 'Deployment/web', 'cpu: 12%/80%, memory: <unknown>/500Mi + 1 more...', '1', 10, 2, '3d']);
  const v1 = {
    apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: meta('php'),
    spec: { scaleTargetRef: { kind: 'Deployment', name: 'php-apache' }, minReplicas: 1, maxReplicas: 10, targetCPUUtilizationPercentage: 50 },
    status: { currentReplicas: 1, desiredReplicas: 1 },
  };
  assert.deepEqual(cells('autoscaling', 'horizontalpodautoscalers', v1), ['php', 'Deployment/php-apache', 'cpu: <unknown>/50%', '1', 10, 1, '3d']);
  const v1cur = { ...v1, status: { currentReplicas: 1, currentCPUUtilizationPercentage: 0 } };
  assert.equal(cells('autoscaling', 'horizontalpodautoscalers', v1cur)[2], 'cpu: 0%/50%');
  const other = {
    apiVersion: 'autoscaling/v2', metadata: meta('o'),
    spec: {
      scaleTargetRef: { kind: 'Deployment', name: 'o' }, maxReplicas: 3,
      metrics: [
        { type: 'Object', object: { describedObject: {}, metric: { name: 'rps' }, target: { type: 'Value', value: '10' } } },
        { type: 'External', external: { metric: { name: 'q' }, target: { type: 'AverageValue', averageValue: '30' } } },
      ],
    },
    status: { currentMetrics: [{ type: 'Object', object: { current: { value: '7' } } }, { type: 'External', external: { current: { averageValue: '12' } } }] },
  };
  assert.deepEqual(cells('autoscaling', 'horizontalpodautoscalers', other).slice(2, 6), ['7/10, 12/30 (avg)', '<unset>', 3, 0]);
  assert.equal(cells('autoscaling', 'horizontalpodautoscalers', { apiVersion: 'autoscaling/v2', metadata: meta('n'), spec: { scaleTargetRef: { kind: 'Deployment', name: 'n' }, maxReplicas: 2 } })[2], '<none>');
});

test('poddisruptionbudgets', () => {
  assert.deepEqual(header('policy', 'poddisruptionbudgets'), ['NAME', 'MIN AVAILABLE', 'MAX UNAVAILABLE', 'ALLOWED DISRUPTIONS', 'AGE']);
  assert.deepEqual(cells('policy', 'poddisruptionbudgets', { metadata: meta('pdb'), spec: { minAvailable: '50%' }, status: { disruptionsAllowed: 1 } }), ['pdb', '50%', 'N/A', 1, '3d']);
  assert.deepEqual(cells('policy', 'poddisruptionbudgets', { metadata: meta('pdb2'), spec: { maxUnavailable: 1 }, status: {} }), ['pdb2', 'N/A', '1', 0, '3d']);
});

test('ingresses and ingressclasses', () => {
  assert.deepEqual(header('networking.k8s.io', 'ingresses'), ['NAME', 'CLASS', 'HOSTS', 'ADDRESS', 'PORTS', 'AGE']);
  const ing = {
    metadata: meta('web'),
    spec: { ingressClassName: 'nginx', tls: [{ hosts: ['a.example.com'] }], rules: [{ host: 'a.example.com' }, { host: 'b.example.com' }, {}, { host: 'c.example.com' }, { host: 'd.example.com' }] },
    status: { loadBalancer: { ingress: [{ ip: '127.20.0.3' }, { ip: '127.20.0.2' }] } },
  };
  assert.deepEqual(cells('networking.k8s.io', 'ingresses', ing), ['web', 'nginx', 'a.example.com,b.example.com,c.example.com + 2 more...', '127.20.0.2,127.20.0.3', '80, 443', '3d']);
  assert.deepEqual(cells('networking.k8s.io', 'ingresses', { metadata: meta('x'), spec: { rules: [{}] } }), ['x', '<none>', '*', '', '80', '3d']);
  assert.deepEqual(header('networking.k8s.io', 'ingressclasses'), ['NAME', 'CONTROLLER', 'PARAMETERS', 'AGE']);
  const ic = { metadata: meta('nginx'), spec: { controller: 'k8s.io/ingress-nginx', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'foo' } } };
  assert.deepEqual(cells('networking.k8s.io', 'ingressclasses', ic), ['nginx', 'k8s.io/ingress-nginx', 'IngressParameters.k8s.example.com/foo', '3d']);
  assert.equal(cells('networking.k8s.io', 'ingressclasses', { metadata: meta('n'), spec: { controller: 'c' } })[2], '<none>');
});

test('networkpolicies and leases', () => {
  assert.deepEqual(header('networking.k8s.io', 'networkpolicies'), ['NAME', 'POD-SELECTOR', 'AGE']);
  assert.deepEqual(cells('networking.k8s.io', 'networkpolicies', { metadata: meta('deny'), spec: { podSelector: {} } }), ['deny', '<none>', '3d']);
  assert.deepEqual(cells('networking.k8s.io', 'networkpolicies', { metadata: meta('db'), spec: { podSelector: { matchLabels: { role: 'db' }, matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] } } })[1], 'role=db,!tier');
  assert.deepEqual(header('coordination.k8s.io', 'leases'), ['NAME', 'HOLDER', 'AGE']);
  assert.deepEqual(cells('coordination.k8s.io', 'leases', { metadata: meta('node-1'), spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40 } }), ['node-1', 'node-1', '3d']);
});

test('rolebindings and clusterrolebindings: ROLE ClusterRole/view and subjects', () => {
  assert.deepEqual(header('rbac.authorization.k8s.io', 'rolebindings'), ['NAME', 'ROLE', 'AGE', 'USERS*', 'GROUPS*', 'SERVICEACCOUNTS*']);
  const rb = {
    metadata: meta('viewers'), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [{ kind: 'User', name: 'alice' }, { kind: 'User', name: 'bob' }, { kind: 'Group', name: 'devs' }, { kind: 'ServiceAccount', name: 'ci', namespace: 'tools' }],
  };
  assert.deepEqual(cells('rbac.authorization.k8s.io', 'rolebindings', rb), ['viewers', 'ClusterRole/view', '3d', 'alice, bob', 'devs', 'tools/ci']);
  const crb = { metadata: meta('cluster-admin'), roleRef: { kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'Group', name: 'system:masters' }] };
  assert.deepEqual(cells('rbac.authorization.k8s.io', 'clusterrolebindings', crb), ['cluster-admin', 'ClusterRole/cluster-admin', '3d', '', 'system:masters', '']);
  const defs = toTable({ group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings' }, [], { now: NOW }).columnDefinitions!;
  assert.equal(defs[3]!.description, 'Users in the clusterRoleBinding');
});

test('storageclasses, csidrivers, csinodes, volumeattachments', () => {
  assert.deepEqual(header('storage.k8s.io', 'storageclasses'), ['NAME', 'PROVISIONER', 'RECLAIMPOLICY', 'VOLUMEBINDINGMODE', 'ALLOWVOLUMEEXPANSION', 'AGE']);
  const sc = { metadata: meta('standard', { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }), provisioner: 'rancher.io/local-path', volumeBindingMode: 'WaitForFirstConsumer' };
  assert.deepEqual(cells('storage.k8s.io', 'storageclasses', sc), ['standard (default)', 'rancher.io/local-path', 'Delete', 'WaitForFirstConsumer', false, '3d']);
  assert.deepEqual(cells('storage.k8s.io', 'storageclasses', { metadata: meta('fast'), provisioner: 'p', reclaimPolicy: 'Retain', allowVolumeExpansion: true }), ['fast', 'p', 'Retain', 'Immediate', true, '3d']);
  assert.deepEqual(header('storage.k8s.io', 'csidrivers'), ['NAME', 'ATTACHREQUIRED', 'PODINFOONMOUNT', 'STORAGECAPACITY', 'TOKENREQUESTS', 'REQUIRESREPUBLISH', 'MODES', 'AGE']);
  assert.deepEqual(cells('storage.k8s.io', 'csidrivers', { metadata: meta('disk.csi.azure.com'), spec: {} }), ['disk.csi.azure.com', true, false, false, '<unset>', false, '<none>', '3d']);
  const csi = { metadata: meta('secrets'), spec: { attachRequired: false, podInfoOnMount: true, tokenRequests: [{ audience: 'a' }, { audience: 'b' }], volumeLifecycleModes: ['Persistent', 'Ephemeral'] } };
  assert.deepEqual(cells('storage.k8s.io', 'csidrivers', csi), ['secrets', false, true, false, 'a,b', false, 'Persistent,Ephemeral', '3d']);
  assert.deepEqual(header('storage.k8s.io', 'csinodes'), ['NAME', 'DRIVERS', 'AGE']);
  assert.deepEqual(cells('storage.k8s.io', 'csinodes', { metadata: meta('node-1'), spec: { drivers: [{ name: 'd', nodeID: 'n' }] } }), ['node-1', 1, '3d']);
  assert.deepEqual(header('storage.k8s.io', 'volumeattachments'), ['NAME', 'ATTACHER', 'PV', 'NODE', 'ATTACHED', 'AGE']);
  const va = { metadata: meta('csi-123'), spec: { attacher: 'disk.csi.azure.com', source: { persistentVolumeName: 'pv-1' }, nodeName: 'node-1' }, status: { attached: true } };
  assert.deepEqual(cells('storage.k8s.io', 'volumeattachments', va), ['csi-123', 'disk.csi.azure.com', 'pv-1', 'node-1', true, '3d']);
});

test('priorityclasses and certificatesigningrequests', () => {
  assert.deepEqual(header('scheduling.k8s.io', 'priorityclasses'), ['NAME', 'VALUE', 'GLOBAL-DEFAULT', 'AGE', 'PREEMPTIONPOLICY']);
  assert.deepEqual(cells('scheduling.k8s.io', 'priorityclasses', { metadata: meta('system-node-critical'), value: 2000001000, preemptionPolicy: 'PreemptLowerPriority' }), ['system-node-critical', 2000001000, false, '3d', 'PreemptLowerPriority']);
  assert.deepEqual(header('certificates.k8s.io', 'certificatesigningrequests'), ['NAME', 'AGE', 'SIGNERNAME', 'REQUESTOR', 'REQUESTEDDURATION', 'CONDITION']);
  const csr = {
    metadata: meta('csr-abc'), spec: { signerName: 'kubernetes.io/kube-apiserver-client-kubelet', username: 'system:node:node-1', expirationSeconds: 86400 },
    status: { conditions: [{ type: 'Approved', status: 'True' }], certificate: 'LS0t' },
  };
  assert.deepEqual(cells('certificates.k8s.io', 'certificatesigningrequests', csr), ['csr-abc', '3d', 'kubernetes.io/kube-apiserver-client-kubelet', 'system:node:node-1', '24h', 'Approved,Issued']);
  assert.deepEqual(cells('certificates.k8s.io', 'certificatesigningrequests', { metadata: meta('p'), spec: { username: 'u' } }).slice(2), ['<none>', 'u', '<none>', 'Pending']);
  assert.equal(cells('certificates.k8s.io', 'certificatesigningrequests', { metadata: meta('d'), spec: {}, status: { conditions: [{ type: 'Approved' }, { type: 'Denied' }, { type: 'Failed' }] } })[5], 'Denied,Failed');
});

test('extras: runtimeclasses, webhook configurations, apiservices, componentstatuses', () => {
  assert.deepEqual(cells('node.k8s.io', 'runtimeclasses', { metadata: meta('gvisor'), handler: 'runsc' }), ['gvisor', 'runsc', '3d']);
  assert.deepEqual(cells('admissionregistration.k8s.io', 'validatingwebhookconfigurations', { metadata: meta('w'), webhooks: [{}, {}] }), ['w', 2, '3d']);
  const api = { metadata: meta('v1beta1.metrics.k8s.io'), spec: { service: { namespace: 'kube-system', name: 'metrics-server' } }, status: { conditions: [{ type: 'Available', status: 'False', reason: 'MissingEndpoints' }] } };
  assert.deepEqual(cells('apiregistration.k8s.io', 'apiservices', api), ['v1beta1.metrics.k8s.io', 'kube-system/metrics-server', 'False (MissingEndpoints)', '3d']);
  assert.deepEqual(cells('apiregistration.k8s.io', 'apiservices', { metadata: meta('v1.'), spec: {}, status: { conditions: [{ type: 'Available', status: 'True' }] } }).slice(1, 3), ['Local', 'True']);
  assert.deepEqual(cells('', 'componentstatuses', { metadata: meta('etcd-0'), conditions: [{ type: 'Healthy', status: 'True', message: 'ok' }] }), ['etcd-0', 'Healthy', 'ok', '']);
});
