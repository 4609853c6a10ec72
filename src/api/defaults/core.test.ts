// Tests for core/v1 defaulting other than Pod: Service, Namespace, Node, PV, PVC, Endpoints, Secret,
// LimitRange, ReplicationController, PodTemplate (what `kubectl get -o yaml` shows for minimal manifests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from './index.ts';

test('Service: minimal ClusterIP service', () => {
  const svc: any = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } };
  applyDefaults(svc);
  assert.deepEqual(svc.spec, {
    selector: { app: 'web' },
    ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
    sessionAffinity: 'None',
    type: 'ClusterIP',
    internalTrafficPolicy: 'Cluster',
  });
});

test('Service: NodePort/LoadBalancer get externalTrafficPolicy; LB allocateLoadBalancerNodePorts and ipMode', () => {
  const np: any = { apiVersion: 'v1', kind: 'Service', spec: { type: 'NodePort', ports: [{ port: 80, targetPort: 'http' }] } };
  applyDefaults(np);
  assert.equal(np.spec.externalTrafficPolicy, 'Cluster');
  assert.equal(np.spec.ports[0].targetPort, 'http');
  assert.equal(np.spec.allocateLoadBalancerNodePorts, undefined);

  const lb: any = {
    apiVersion: 'v1',
    kind: 'Service',
    spec: { type: 'LoadBalancer', ports: [{ port: 443, targetPort: 0 }] },
    status: { loadBalancer: { ingress: [{ ip: '127.20.0.1' }, { hostname: 'lb.example' }] } },
  };
  applyDefaults(lb);
  assert.equal(lb.spec.externalTrafficPolicy, 'Cluster');
  assert.equal(lb.spec.internalTrafficPolicy, 'Cluster');
  assert.equal(lb.spec.allocateLoadBalancerNodePorts, true);
  assert.equal(lb.spec.ports[0].targetPort, 443);
  assert.deepEqual(lb.status.loadBalancer.ingress, [{ ip: '127.20.0.1', ipMode: 'VIP' }, { hostname: 'lb.example' }]);

  const ext: any = { apiVersion: 'v1', kind: 'Service', spec: { externalIPs: ['127.0.0.5'], ports: [{ port: 1 }] } };
  applyDefaults(ext);
  assert.equal(ext.spec.externalTrafficPolicy, 'Cluster');
});

test('Service: ExternalName gets no traffic policies; session affinity config handling', () => {
  const en: any = { apiVersion: 'v1', kind: 'Service', spec: { type: 'ExternalName', externalName: 'example.com' } };
  applyDefaults(en);
  assert.deepEqual(en.spec, { type: 'ExternalName', externalName: 'example.com', sessionAffinity: 'None' });

  const none: any = { apiVersion: 'v1', kind: 'Service', spec: { sessionAffinityConfig: { clientIP: { timeoutSeconds: 5 } } } };
  applyDefaults(none);
  assert.equal(none.spec.sessionAffinityConfig, undefined);

  const cip: any = { apiVersion: 'v1', kind: 'Service', spec: { sessionAffinity: 'ClientIP' } };
  applyDefaults(cip);
  assert.deepEqual(cip.spec.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });

  const kept: any = { apiVersion: 'v1', kind: 'Service', spec: { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } } };
  applyDefaults(kept);
  assert.deepEqual(kept.spec.sessionAffinityConfig, { clientIP: { timeoutSeconds: 60 } });
});

test('Namespace: metadata.name label is forced and status.phase Active', () => {
  const ns: any = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', labels: { 'kubernetes.io/metadata.name': 'spoof', x: 'y' } } };
  applyDefaults(ns);
  assert.deepEqual(ns.metadata.labels, { 'kubernetes.io/metadata.name': 'team-a', x: 'y' });
  assert.deepEqual(ns.status, { phase: 'Active' });
  assert.equal(ns.spec, undefined); // finalizers come from the strategy

  const gen: any = { apiVersion: 'v1', kind: 'Namespace', metadata: { generateName: 'tmp-' } };
  applyDefaults(gen);
  assert.equal(gen.metadata.labels, undefined);
});

test('Secret type Opaque; ConfigMap, ServiceAccount and Event untouched', () => {
  const s: any = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: {} };
  applyDefaults(s);
  assert.equal(s.type, 'Opaque');
  const tls: any = { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls' };
  applyDefaults(tls);
  assert.equal(tls.type, 'kubernetes.io/tls');
  for (const kind of ['ConfigMap', 'ServiceAccount', 'Event']) {
    const o: any = { apiVersion: 'v1', kind, metadata: { name: 'x' } };
    applyDefaults(o);
    assert.deepEqual(o, { apiVersion: 'v1', kind, metadata: { name: 'x' } });
  }
});

test('Node: allocatable copied from capacity', () => {
  const n: any = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, status: { capacity: { cpu: '4', memory: '8Gi', pods: '110' } } };
  applyDefaults(n);
  assert.deepEqual(n.status.allocatable, { cpu: '4', memory: '8Gi', pods: '110' });
  n.status.allocatable.cpu = '3';
  applyDefaults(n);
  assert.equal(n.status.allocatable.cpu, '3');
  assert.equal(n.status.capacity.cpu, '4');
});

test('PersistentVolume: Retain, Filesystem, phase Pending, hostPath type', () => {
  const pv: any = {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: 'pv1' },
    spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/mnt/data' } },
  };
  applyDefaults(pv);
  assert.deepEqual(pv.spec, {
    capacity: { storage: '1Gi' },
    accessModes: ['ReadWriteOnce'],
    hostPath: { path: '/mnt/data', type: '' },
    persistentVolumeReclaimPolicy: 'Retain',
    volumeMode: 'Filesystem',
  });
  assert.deepEqual(pv.status, { phase: 'Pending' });
});

test('PersistentVolumeClaim: volumeMode Filesystem and status.phase Pending', () => {
  const pvc: any = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  };
  applyDefaults(pvc);
  assert.deepEqual(pvc.spec, { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' });
  assert.deepEqual(pvc.status, { phase: 'Pending' });
  const block: any = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', spec: { volumeMode: 'Block' }, status: { phase: 'Bound' } };
  applyDefaults(block);
  assert.equal(block.spec.volumeMode, 'Block');
  assert.equal(block.status.phase, 'Bound');
});

test('Endpoints: port protocol TCP', () => {
  const ep: any = { apiVersion: 'v1', kind: 'Endpoints', subsets: [{ addresses: [{ ip: '127.244.0.5' }], ports: [{ port: 80 }, { port: 53, protocol: 'UDP' }] }] };
  applyDefaults(ep);
  assert.deepEqual(ep.subsets[0].ports, [{ port: 80, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }]);
});

test('LimitRange: default from max, defaultRequest from default then min; Container items only', () => {
  const lr: any = {
    apiVersion: 'v1',
    kind: 'LimitRange',
    spec: {
      limits: [
        { type: 'Container', max: { cpu: '2', memory: '1Gi' }, min: { cpu: '100m', 'ephemeral-storage': '1Gi' }, default: { memory: '512Mi' } },
        { type: 'Pod', max: { cpu: '4' } },
      ],
    },
  };
  applyDefaults(lr);
  assert.deepEqual(lr.spec.limits[0].default, { memory: '512Mi', cpu: '2' });
  assert.deepEqual(lr.spec.limits[0].defaultRequest, { memory: '512Mi', cpu: '2', 'ephemeral-storage': '1Gi' });
  assert.deepEqual(lr.spec.limits[1], { type: 'Pod', max: { cpu: '4' } });
});

test('ReplicationController: replicas 1, selector and labels from template labels', () => {
  const rc: any = {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name: 'rc' },
    spec: { template: { metadata: { labels: { app: 'rc' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } } },
  };
  applyDefaults(rc);
  assert.equal(rc.spec.replicas, 1);
  assert.deepEqual(rc.spec.selector, { app: 'rc' });
  assert.deepEqual(rc.metadata.labels, { app: 'rc' });
  assert.notEqual(rc.spec.selector, rc.spec.template.metadata.labels); // no aliasing
  assert.equal(rc.spec.template.spec.dnsPolicy, 'ClusterFirst');
  assert.equal(rc.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent');
});

test('PodTemplate: template PodSpec defaulted', () => {
  const pt: any = { apiVersion: 'v1', kind: 'PodTemplate', template: { spec: { containers: [{ name: 'c', image: 'x' }] } } };
  applyDefaults(pt);
  assert.equal(pt.template.spec.schedulerName, 'default-scheduler');
  assert.equal(pt.template.spec.enableServiceLinks, undefined);
});
