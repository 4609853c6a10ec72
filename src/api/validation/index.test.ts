// kube-apiserver validation of built-in kinds: a valid object of each kind passes, and typical mistakes
// produce upstream's field paths and messages (as `kubectl` prints them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldErrorString, invalidError } from '../../machinery/errors.ts';
import { validateCreate, validateUpdate, nameValidatorFor } from './index.ts';

const msgs = (obj: any) => validateCreate(obj).map(fieldErrorString);
const withRV = (o: any) => ({ ...o, metadata: { resourceVersion: '1', ...o.metadata } });
const updMsgs = (obj: any, old: any) => validateUpdate(withRV(obj), withRV(old)).map(fieldErrorString);
const clone = <T>(v: T): T => structuredClone(v);
const meta = (name: string, namespace?: string) => (namespace ? { name, namespace } : { name });

const pod = () => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: meta('web', 'default'),
  spec: {
    containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }], resources: { requests: { cpu: '100m' }, limits: { cpu: '500m' } } }],
    volumes: [{ name: 'data', emptyDir: {} }],
    restartPolicy: 'Always',
    dnsPolicy: 'ClusterFirst',
  },
});
const tpl = (labels: Record<string, string>) => ({ metadata: { labels }, spec: { containers: [{ name: 'app', image: 'nginx' }] } });
const deployment = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: meta('web', 'default'),
  spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: tpl({ app: 'web' }) },
});

function assertHas(list: string[], expected: string): void {
  assert.ok(list.includes(expected), `expected ${JSON.stringify(expected)} in\n${list.join('\n')}`);
}

test('valid objects of every kind pass', () => {
  const valid: any[] = [
    pod(),
    deployment(),
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta('rs', 'default'), spec: { replicas: 1, selector: { matchLabels: { a: 'b' } }, template: tpl({ a: 'b' }) } },
    { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: meta('db', 'default'), spec: { serviceName: 'db', selector: { matchLabels: { a: 'b' } }, template: tpl({ a: 'b' }) } },
    { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta('agent', 'kube-system'), spec: { selector: { matchLabels: { a: 'b' } }, template: tpl({ a: 'b' }) } },
    { apiVersion: 'v1', kind: 'ReplicationController', metadata: meta('rc', 'default'), spec: { replicas: 1, selector: { a: 'b' }, template: tpl({ a: 'b' }) } },
    { apiVersion: 'batch/v1', kind: 'Job', metadata: meta('pi', 'default'), spec: { template: { spec: { containers: [{ name: 'pi', image: 'perl' }], restartPolicy: 'Never' } } } },
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: meta('hello', 'default'),
      spec: { schedule: '@hourly', timeZone: 'Etc/UTC', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'OnFailure' } } } } },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: meta('web', 'default'), spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] } },
    { apiVersion: 'v1', kind: 'Service', metadata: meta('db', 'default'), spec: { clusterIP: 'None', clusterIPs: ['None'], selector: { app: 'db' } } },
    { apiVersion: 'v1', kind: 'Service', metadata: meta('ext', 'default'), spec: { type: 'ExternalName', externalName: 'example.com.' } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cfg', 'default'), data: { 'app.properties': 'a=b' } },
    { apiVersion: 'v1', kind: 'Secret', metadata: meta('tls', 'default'), type: 'kubernetes.io/tls', data: { 'tls.crt': 'Y2VydA==', 'tls.key': 'a2V5' } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: meta('team-a') },
    { apiVersion: 'v1', kind: 'Node', metadata: meta('node-1'), spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'], taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] } },
    { apiVersion: 'v1', kind: 'Endpoints', metadata: meta('web', 'default'), subsets: [{ addresses: [{ ip: '10.244.0.5' }], ports: [{ port: 80, protocol: 'TCP' }] }] },
    { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: meta('web-abc', 'default'), addressType: 'IPv4', endpoints: [{ addresses: ['10.244.0.5'] }], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
    { apiVersion: 'v1', kind: 'PersistentVolume', metadata: meta('pv1'), spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/data' } } },
    { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta('data', 'default'), spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
    { apiVersion: 'v1', kind: 'ResourceQuota', metadata: meta('q', 'default'), spec: { hard: { pods: '10', 'requests.cpu': '4' } } },
    { apiVersion: 'v1', kind: 'LimitRange', metadata: meta('lr', 'default'), spec: { limits: [{ type: 'Container', default: { cpu: '500m' }, defaultRequest: { cpu: '100m' }, max: { cpu: '1' } }] } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('builder', 'default') },
    { apiVersion: 'v1', kind: 'Event', metadata: meta('web.1', 'default'), involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' }, type: 'Normal', reason: 'Started' },
    { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: meta('web', 'default'), spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }] } },
    { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: meta('web', 'default'), spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 3, targetCPUUtilizationPercentage: 50 } },
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta('web', 'default'), spec: { minAvailable: '50%', selector: { matchLabels: { app: 'web' } } } },
    { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: meta('web', 'default'), spec: { rules: [{ host: 'web.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] } },
    { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: meta('skiff'), spec: { controller: 'skiff.dev/ingress' } },
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta('deny', 'default'), spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: [{ port: 80 }] }] } },
    { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: meta('node-1', 'kube-node-lease'), spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40 } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta('reader', 'default'), rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta('system:reader'), rules: [{ nonResourceURLs: ['/healthz'], verbs: ['get'] }] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta('read', 'default'), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'jane' }, { kind: 'ServiceAccount', name: 'builder' }] },
    { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: meta('standard'), provisioner: 'rancher.io/local-path', reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer' },
    { apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: meta('hostpath.csi.k8s.io'), spec: { attachRequired: false } },
    { apiVersion: 'storage.k8s.io/v1', kind: 'VolumeAttachment', metadata: meta('va-1'), spec: { attacher: 'hostpath.csi.k8s.io', nodeName: 'node-1', source: { persistentVolumeName: 'pv1' } } },
    { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: meta('high'), value: 1000000 },
    {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: meta('jane'),
      spec: { request: Buffer.from('-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n').toString('base64'), signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'] },
    },
  ];
  for (const obj of valid) assert.deepEqual(msgs(obj), [], `${obj.kind} ${obj.metadata.name}`);
});

test('pod: missing image, duplicate container names, bad name, ports and volumes', () => {
  const p = pod();
  p.metadata.name = 'Web';
  p.spec.containers.push({ name: 'nginx', image: '', ports: [{ containerPort: 70000, protocol: 'TCP' }] } as any);
  (p.spec.containers[0] as any).volumeMounts = [{ name: 'missing', mountPath: '/x' }];
  p.spec.volumes.push({ name: 'data', emptyDir: {} });
  const m = msgs(p);
  assertHas(m, `metadata.name: Invalid value: "Web": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`);
  assertHas(m, 'spec.containers[1].image: Required value');
  assertHas(m, 'spec.containers[1].name: Duplicate value: "nginx"');
  assertHas(m, 'spec.containers[1].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive');
  assertHas(m, 'spec.volumes[1].name: Duplicate value: "data"');
  assertHas(m, 'spec.containers[0].volumeMounts[0].name: Not found: "missing"');
});

test('pod: no containers, requests above limits, restart and dns policies, tolerations, env names', () => {
  const p: any = pod();
  p.spec.containers[0].resources = { requests: { cpu: '2' }, limits: { cpu: '1' } };
  p.spec.containers[0].env = [{ name: 'A=B', value: 'x' }];
  p.spec.restartPolicy = 'Sometimes';
  p.spec.dnsPolicy = 'Google';
  p.spec.tolerations = [{ key: 'k', operator: 'Maybe', effect: 'NoRun' }];
  p.spec.volumes = [{ name: 'two', emptyDir: {}, hostPath: { path: '/tmp' } }];
  const m = msgs(p);
  assertHas(m, 'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1');
  assertHas(m, `spec.containers[0].env[0].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than '='`);
  assertHas(m, 'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"');
  assertHas(m, 'spec.dnsPolicy: Unsupported value: "Google": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"');
  assertHas(m, 'spec.tolerations[0].operator: Unsupported value: "Maybe": supported values: "Equal", "Exists"');
  assertHas(m, 'spec.tolerations[0].effect: Unsupported value: "NoRun": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"');
  assertHas(m, 'spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type');
  const empty: any = pod();
  empty.spec.containers = [];
  assertHas(msgs(empty), 'spec.containers: Required value');
});

test('pod: probes, affinity and security context', () => {
  const p: any = pod();
  p.spec.containers[0].livenessProbe = { httpGet: { path: '/', port: 0 }, successThreshold: 2 };
  p.spec.containers[0].readinessProbe = { periodSeconds: 5 };
  p.spec.containers[0].securityContext = { runAsUser: -1 };
  p.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } };
  const m = msgs(p);
  assertHas(m, 'spec.containers[0].livenessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive');
  assertHas(m, 'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1');
  assertHas(m, 'spec.containers[0].readinessProbe: Required value: must specify a handler type');
  assertHas(m, 'spec.containers[0].securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive');
  assertHas(m, 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term');
});

test('pod update: only images and a few fields may change', () => {
  const old: any = pod();
  const changed: any = clone(old);
  changed.spec.containers[0].image = 'nginx:1.27';
  assert.deepEqual(updMsgs(changed, old), []);
  changed.spec.restartPolicy = 'Never';
  const m = updMsgs(changed, old);
  assert.equal(m.length, 1);
  assert.ok(m[0]!.startsWith('spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`'), m[0]);
});

test('deployment: selector, replicas, strategy', () => {
  const d: any = deployment();
  d.spec.template.metadata.labels = { app: 'other' };
  d.spec.replicas = -1;
  d.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } };
  const m = msgs(d);
  assertHas(m, 'spec.template.metadata.labels: Invalid value: {"app":"other"}: `selector` does not match template `labels`');
  assertHas(m, 'spec.replicas: Invalid value: -1: must be greater than or equal to 0');
  assertHas(m, 'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0');
  const noSel: any = deployment();
  delete noSel.spec.selector;
  assertHas(msgs(noSel), 'spec.selector: Required value');
  const badType: any = deployment();
  badType.spec.strategy = { type: 'BlueGreen' };
  assertHas(msgs(badType), 'spec.strategy: Unsupported value: {"type":"BlueGreen"}: supported values: "Recreate", "RollingUpdate"');
  const badRestart: any = deployment();
  badRestart.spec.template.spec.restartPolicy = 'Never';
  assertHas(msgs(badRestart), 'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"');
});

test('apps selectors are immutable; statefulset spec is mostly immutable', () => {
  const old = deployment();
  const d: any = clone(old);
  d.spec.selector = { matchLabels: { app: 'web', tier: 'x' } };
  d.spec.template.metadata.labels = { app: 'web', tier: 'x' };
  assertHas(updMsgs(d, old), 'spec.selector: Invalid value: {"matchLabels":{"app":"web","tier":"x"}}: field is immutable');
  const ss = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: meta('db', 'default'), spec: { serviceName: 'db', replicas: 1, selector: { matchLabels: { a: 'b' } }, template: tpl({ a: 'b' }) } };
  const scaled: any = clone(ss);
  scaled.spec.replicas = 3;
  assert.deepEqual(updMsgs(scaled, ss), []);
  const renamed: any = clone(ss);
  renamed.spec.serviceName = 'other';
  assertHas(updMsgs(renamed, ss), "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden");
});

test('job and cronjob rules', () => {
  const job: any = { apiVersion: 'batch/v1', kind: 'Job', metadata: meta('pi', 'default'), spec: { template: { spec: { containers: [{ name: 'pi', image: 'perl' }], restartPolicy: 'Sometimes' } } } };
  assertHas(msgs(job), 'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "OnFailure", "Never"');
  job.spec.template.spec.restartPolicy = 'Always';
  assertHas(msgs(job), 'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"');
  job.spec.template.spec.restartPolicy = 'Never';
  job.spec.backoffLimit = -2;
  assertHas(msgs(job), 'spec.backoffLimit: Invalid value: -2: must be greater than or equal to 0');

  const oldJob: any = { ...clone(job), spec: { ...clone(job.spec), backoffLimit: 6, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } } } };
  oldJob.spec.template.metadata = { labels: { 'batch.kubernetes.io/controller-uid': 'u1' } };
  const newJob: any = clone(oldJob);
  newJob.spec.template.spec.containers[0].image = 'perl:5';
  const m = updMsgs(newJob, oldJob);
  assert.equal(m.length, 1);
  assert.ok(m[0]!.startsWith('spec.template: Invalid value: ') && m[0]!.endsWith(': field is immutable'), m[0]);

  const cj: any = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta('hello', 'default'), spec: { schedule: '61 * * * *', timeZone: 'Mars/Olympus', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'OnFailure' } } } } } };
  const cm = msgs(cj);
  assertHas(cm, 'spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61');
  assertHas(cm, 'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus');
  cj.spec.schedule = 'TZ=UTC 0 * * * *';
  cj.spec.timeZone = undefined;
  assertHas(msgs(cj), 'spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
});

test('service rules', () => {
  const svc = (spec: any) => ({ apiVersion: 'v1', kind: 'Service', metadata: meta('web', 'default'), spec });
  assertHas(msgs(svc({ selector: { app: 'web' } })), 'spec.ports: Required value');
  const m = msgs(svc({ type: 'Magic', ports: [{ port: 70000, protocol: 'ICMP' }, { port: 81 }] }));
  assertHas(m, 'spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive');
  assertHas(m, 'spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"');
  assertHas(m, 'spec.ports[0].name: Required value');
  assertHas(m, 'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"');
  assertHas(msgs(svc({ type: 'ExternalName' })), 'spec.externalName: Required value');
  assertHas(msgs(svc({ type: 'NodePort', clusterIP: 'None', clusterIPs: ['None'], ports: [{ port: 80 }] })), `spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for NodePort services`);
  const dup = msgs(svc({ ports: [{ name: 'a', port: 80 }, { name: 'a', port: 81 }] }));
  assertHas(dup, 'spec.ports[1].name: Duplicate value: "a"');
  const badName = msgs({ ...svc({ ports: [{ port: 80 }] }), metadata: meta('1web', 'default') });
  assert.ok(badName[0]!.startsWith('metadata.name: Invalid value: "1web": a DNS-1035 label must consist of'), badName[0]);
  const old = svc({ clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ port: 80 }] });
  const moved = svc({ clusterIP: '10.96.0.11', clusterIPs: ['10.96.0.11'], ports: [{ port: 80 }] });
  assertHas(updMsgs(moved, old), 'spec.clusterIPs[0]: Invalid value: ["10.96.0.11"]: may not change once set');
});

test('configmap and secret rules', () => {
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cfg', 'default'), data: { 'bad key': 'x', big: 'x'.repeat(1024 * 1024 + 1) } };
  const m = msgs(cm);
  assert.ok(m.some((s) => s.startsWith(`data[bad key]: Invalid value: "bad key": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',`)), m.join('\n'));
  assertHas(m, '[]: Too long: must have at most 1048576 bytes');
  const sa = { apiVersion: 'v1', kind: 'Secret', metadata: meta('tok', 'default'), type: 'kubernetes.io/service-account-token' };
  assertHas(msgs(sa), 'metadata.annotations[kubernetes.io/service-account.name]: Required value');
  const docker = { apiVersion: 'v1', kind: 'Secret', metadata: meta('reg', 'default'), type: 'kubernetes.io/dockerconfigjson', data: {} };
  assertHas(msgs(docker), 'data[.dockerconfigjson]: Required value');
  const tls = { apiVersion: 'v1', kind: 'Secret', metadata: meta('tls', 'default'), type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } };
  assertHas(msgs(tls), 'data[tls.key]: Required value');
  const frozen = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cfg', 'default'), immutable: true, data: { a: '1' } };
  const edited = { ...frozen, data: { a: '2' } };
  assertHas(updMsgs(edited, frozen), 'data: Forbidden: field is immutable when `immutable` is set');
});

test('namespace, node, pv, pvc rules', () => {
  assert.ok(msgs({ apiVersion: 'v1', kind: 'Namespace', metadata: meta('Team.A') })[0]!.startsWith('metadata.name: Invalid value: "Team.A": a lowercase RFC 1123 label must consist of'));
  const node: any = { apiVersion: 'v1', kind: 'Node', metadata: meta('n1'), spec: { podCIDRs: ['10.0.0.0/33'], taints: [{ key: 'k', effect: 'Sometimes' }] } };
  const nm = msgs(node);
  assertHas(nm, 'metadata.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"');
  assert.ok(nm.some((s) => s.startsWith('spec.podCIDRs[0]: Invalid value: "10.0.0.0/33"')), nm.join('\n'));
  const oldNode = { apiVersion: 'v1', kind: 'Node', metadata: meta('n1'), spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] } };
  const newNode = { ...oldNode, spec: { podCIDR: '10.244.2.0/24', podCIDRs: ['10.244.2.0/24'] } };
  assertHas(updMsgs(newNode, oldNode), 'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid');

  const pv = { apiVersion: 'v1', kind: 'PersistentVolume', metadata: meta('pv1'), spec: { accessModes: ['ReadWriteSometimes'], capacity: { storage: '1Gi' }, hostPath: { path: '/a' }, nfs: { server: 'x', path: '/b' } } };
  const pm = msgs(pv);
  assertHas(pm, 'spec.accessModes: Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"');
  assertHas(pm, 'spec.nfs: Forbidden: may not specify more than 1 volume type');

  const pvc: any = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta('data', 'default'), spec: { accessModes: [], resources: {} } };
  const cm = msgs(pvc);
  assertHas(cm, 'spec.accessModes: Required value: at least 1 access mode is required');
  assertHas(cm, 'spec.resources[storage]: Required value');
  const bound: any = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta('data', 'default'), spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeName: 'pv1' }, status: { phase: 'Bound' } };
  const grown = clone(bound);
  grown.spec.resources.requests.storage = '2Gi';
  assert.deepEqual(updMsgs(grown, bound), []);
  const changed = clone(bound);
  changed.spec.accessModes = ['ReadWriteMany'];
  assertHas(updMsgs(changed, bound), 'spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims');
});

test('hpa, pdb, ingress, rbac, storage class, priority class, csr', () => {
  const hpa = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: meta('web', 'default'), spec: { scaleTargetRef: { kind: 'Deployment' }, minReplicas: 0, maxReplicas: 5 } };
  const hm = msgs(hpa);
  assertHas(hm, 'spec.minReplicas: Invalid value: 0: must be greater than or equal to 1');
  assertHas(hm, 'spec.scaleTargetRef.name: Required value');
  const maxLow = { ...hpa, spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 3, maxReplicas: 2 } };
  assertHas(msgs(maxLow), 'spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`');

  const pdb = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta('p', 'default'), spec: { minAvailable: 1, maxUnavailable: 1 } };
  assert.ok(msgs(pdb).some((s) => s.startsWith('spec: Invalid value: ') && s.endsWith('minAvailable and maxUnavailable cannot be both set')));

  const ing = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: meta('i', 'default'), spec: { rules: [{ http: { paths: [{ path: 'api', pathType: 'Regex', backend: { service: { name: 'web', port: {} } } }] } }] } };
  const im = msgs(ing);
  assertHas(im, 'spec.rules[0].http.paths[0].pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"');
  assertHas(im, 'spec.rules[0].http.paths[0].backend.service.port: Required value: port name or number is required');

  const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta('r/x', 'default'), rules: [{ apiGroups: [''], resources: ['pods'] }] };
  const rm = msgs(role);
  assertHas(rm, `metadata.name: Invalid value: "r/x": may not contain '/'`);
  assertHas(rm, 'rules[0].verbs: Required value: verbs must contain at least one value');
  const rb = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta('b', 'default'), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'a' }, subjects: [{ kind: 'Robot', name: 'r2' }] };
  assertHas(msgs(rb), 'subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"');
  const rb2 = { ...rb, subjects: [], roleRef: { ...rb.roleRef, name: 'b' } };
  assertHas(updMsgs(rb2, { ...rb, subjects: [] }), 'roleRef: Invalid value: {"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"b"}: cannot change roleRef');

  const sc = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: meta('s'), parameters: { type: 'ssd' } };
  assertHas(msgs(sc), 'provisioner: Required value');
  const sc1 = { ...sc, provisioner: 'x.io/p' };
  assertHas(updMsgs({ ...sc1, parameters: { type: 'hdd' } }, sc1), 'parameters: Forbidden: updates to parameters are forbidden.');

  const pc = { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: meta('huge'), value: 2000000000 };
  assertHas(msgs(pc), 'value: Forbidden: maximum allowed value of a user defined priority is 1000000000');
  const pc1 = { ...pc, value: 10 };
  assertHas(updMsgs({ ...pc1, value: 11 }, pc1), 'value: Forbidden: may not be changed in an update.');

  const csr = { apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: meta('c'), spec: { request: 'bm90IGEgcGVt', usages: ['teleport'] } };
  const csm = msgs(csr);
  assertHas(csm, 'spec.signerName: Required value');
  assert.ok(csm.some((s) => s.startsWith('spec.usages[0]: Unsupported value: "teleport"')), csm.join('\n'));
});

test('name validators follow the kind', () => {
  assert.deepEqual(nameValidatorFor('v1', 'Service')('web', false), []);
  assert.equal(nameValidatorFor('v1', 'Service')('1web', false).length, 1);
  assert.equal(nameValidatorFor('v1', 'Namespace')('a.b', false).length, 1);
  assert.deepEqual(nameValidatorFor('v1', 'Node')('node.example.com', false), []);
  assert.deepEqual(nameValidatorFor('rbac.authorization.k8s.io/v1', 'ClusterRole')('system:controller:x', false), []);
  assert.deepEqual(nameValidatorFor('example.com/v1', 'Widget')('a.b', false), []);
});

test('invalidError renders the Status kubectl prints', () => {
  const d: any = deployment();
  d.spec.replicas = -1;
  const errs = validateCreate(d);
  const e = invalidError('Deployment.apps', 'apps', 'web', errs);
  assert.equal(e.code, 422);
  assert.equal(e.status.reason, 'Invalid');
  assert.equal(e.message, 'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
  assert.deepEqual(e.status.details?.causes, [{ reason: 'FieldValueInvalid', message: 'Invalid value: -1: must be greater than or equal to 0', field: 'spec.replicas' }]);
});
