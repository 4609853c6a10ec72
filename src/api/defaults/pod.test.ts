// Tests for PodSpec / container / volume / Pod-only defaulting (core/v1 defaults.go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPod, defaultPodTemplateSpec } from './pod.ts';

const DEFAULTED_CONTAINER = {
  terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'File',
};
const DEFAULTED_SPEC = {
  dnsPolicy: 'ClusterFirst',
  restartPolicy: 'Always',
  schedulerName: 'default-scheduler',
  securityContext: {},
  terminationGracePeriodSeconds: 30,
};

test('minimal Pod gets the PodSpec, container and Pod-only defaults', () => {
  const pod: any = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'nginx' }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } };
  defaultPod(pod);
  assert.deepEqual(pod.spec, {
    ...DEFAULTED_SPEC,
    enableServiceLinks: true,
    containers: [{ name: 'nginx', image: 'nginx', imagePullPolicy: 'Always', ...DEFAULTED_CONTAINER }],
  });
});

test('client values are kept (pointer zeros included)', () => {
  const pod: any = {
    spec: {
      restartPolicy: 'Never',
      dnsPolicy: 'Default',
      terminationGracePeriodSeconds: 0,
      enableServiceLinks: false,
      schedulerName: 'mine',
      securityContext: { runAsUser: 1000 },
      containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'Never', terminationMessagePolicy: 'FallbackToLogsOnError' }],
    },
  };
  defaultPod(pod);
  assert.equal(pod.spec.restartPolicy, 'Never');
  assert.equal(pod.spec.dnsPolicy, 'Default');
  assert.equal(pod.spec.terminationGracePeriodSeconds, 0);
  assert.equal(pod.spec.enableServiceLinks, false);
  assert.equal(pod.spec.schedulerName, 'mine');
  assert.deepEqual(pod.spec.securityContext, { runAsUser: 1000 });
  assert.equal(pod.spec.containers[0].imagePullPolicy, 'Never');
  assert.equal(pod.spec.containers[0].terminationMessagePolicy, 'FallbackToLogsOnError');
});

test('ports, env fieldRef, probes and lifecycle handlers are defaulted', () => {
  const pod: any = {
    spec: {
      containers: [
        {
          name: 'web',
          image: 'nginx:1.25',
          ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }],
          env: [
            { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
            { name: 'F', valueFrom: { fileKeyRef: { volumeName: 'v', path: 'p', key: 'k' } } },
            { name: 'PLAIN', value: 'x' },
          ],
          livenessProbe: { httpGet: { port: 80 } },
          readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 5, initialDelaySeconds: 3 },
          startupProbe: { grpc: { port: 9000 } },
          lifecycle: { preStop: { httpGet: { port: 8080, path: '/quit' } }, postStart: { exec: { command: ['true'] } } },
        },
      ],
    },
  };
  defaultPod(pod);
  const c = pod.spec.containers[0];
  assert.equal(c.imagePullPolicy, 'IfNotPresent');
  assert.deepEqual(c.ports, [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 53, protocol: 'UDP' }]);
  assert.deepEqual(c.env[0].valueFrom.fieldRef, { apiVersion: 'v1', fieldPath: 'spec.nodeName' });
  assert.equal(c.env[1].valueFrom.fileKeyRef.optional, false);
  assert.deepEqual(c.env[2], { name: 'PLAIN', value: 'x' });
  assert.deepEqual(c.livenessProbe, {
    httpGet: { port: 80, path: '/', scheme: 'HTTP' },
    timeoutSeconds: 1,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
  });
  assert.deepEqual(c.readinessProbe, {
    tcpSocket: { port: 80 },
    periodSeconds: 5,
    initialDelaySeconds: 3,
    timeoutSeconds: 1,
    successThreshold: 1,
    failureThreshold: 3,
  });
  assert.deepEqual(c.startupProbe.grpc, { port: 9000, service: '' });
  assert.deepEqual(c.lifecycle.preStop.httpGet, { port: 8080, path: '/quit', scheme: 'HTTP' });
  assert.deepEqual(c.lifecycle.postStart, { exec: { command: ['true'] } });
});

test('init and ephemeral containers get container defaults', () => {
  const pod: any = {
    spec: {
      initContainers: [{ name: 'init', image: 'busybox:1.36' }],
      containers: [{ name: 'c', image: 'busybox' }],
      ephemeralContainers: [{ name: 'debug', image: 'busybox', ports: [{ containerPort: 1 }] }],
    },
  };
  defaultPod(pod);
  assert.deepEqual(pod.spec.initContainers[0], { name: 'init', image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent', ...DEFAULTED_CONTAINER });
  assert.equal(pod.spec.ephemeralContainers[0].imagePullPolicy, 'Always');
  assert.equal(pod.spec.ephemeralContainers[0].ports[0].protocol, 'TCP');
});

test('volumes: emptyDir for sourceless, modes, hostPath type, projected token expiry, ephemeral volumeMode', () => {
  const pod: any = {
    spec: {
      containers: [{ name: 'c', image: 'x' }],
      volumes: [
        { name: 'scratch' },
        { name: 'cm', configMap: { name: 'cfg' } },
        { name: 'sec', secret: { secretName: 's', defaultMode: 256 } },
        { name: 'host', hostPath: { path: '/data' } },
        { name: 'dapi', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
        {
          name: 'proj',
          projected: {
            sources: [
              { serviceAccountToken: { path: 'token' } },
              { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
              { configMap: { name: 'kube-root-ca.crt' } },
            ],
          },
        },
        { name: 'eph', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } } },
        { name: 'img', image: { reference: 'quay.io/data:v1' } },
        { name: 'pvc', persistentVolumeClaim: { claimName: 'data' } },
        { name: 'disk', azureDisk: { diskName: 'd', diskURI: 'u' } },
        { name: 'ceph', rbd: { monitors: ['m'], image: 'i' } },
        { name: 'iscsi', iscsi: { targetPortal: 't', iqn: 'q', lun: 0 } },
        { name: 'sio', scaleIO: { gateway: 'g', system: 's', secretRef: { name: 'x' } } },
      ],
    },
  };
  defaultPod(pod);
  const v = Object.fromEntries(pod.spec.volumes.map((x: any) => [x.name, x]));
  assert.deepEqual(v.scratch, { name: 'scratch', emptyDir: {} });
  assert.deepEqual(v.cm.configMap, { name: 'cfg', defaultMode: 420 });
  assert.deepEqual(v.sec.secret, { secretName: 's', defaultMode: 256 });
  assert.deepEqual(v.host.hostPath, { path: '/data', type: '' });
  assert.deepEqual(v.dapi.downwardAPI, { defaultMode: 420, items: [{ path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } }] });
  assert.equal(v.proj.projected.defaultMode, 420);
  assert.deepEqual(v.proj.projected.sources[0].serviceAccountToken, { path: 'token', expirationSeconds: 3600 });
  assert.equal(v.proj.projected.sources[1].downwardAPI.items[0].fieldRef.apiVersion, 'v1');
  assert.deepEqual(v.proj.projected.sources[2].configMap, { name: 'kube-root-ca.crt' });
  assert.equal(v.eph.ephemeral.volumeClaimTemplate.spec.volumeMode, 'Filesystem');
  assert.equal(v.img.image.pullPolicy, 'IfNotPresent');
  assert.deepEqual(v.pvc, { name: 'pvc', persistentVolumeClaim: { claimName: 'data' } });
  assert.deepEqual(v.disk.azureDisk, { diskName: 'd', diskURI: 'u', cachingMode: 'ReadWrite', kind: 'Shared', fsType: 'ext4', readOnly: false });
  assert.deepEqual(v.ceph.rbd, { monitors: ['m'], image: 'i', pool: 'rbd', user: 'admin', keyring: '/etc/ceph/keyring' });
  assert.equal(v.iscsi.iscsi.iscsiInterface, 'default');
  assert.equal(v.sio.scaleIO.storageMode, 'ThinProvisioned');
  assert.equal(v.sio.scaleIO.fsType, 'xfs');
});

test('Pod: requests default to limits, only for missing keys', () => {
  const pod: any = {
    spec: {
      initContainers: [{ name: 'i', image: 'x', resources: { limits: { cpu: '100m' } } }],
      containers: [
        { name: 'a', image: 'x', resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m' } } },
        { name: 'b', image: 'x', resources: { limits: {} } },
        { name: 'c', image: 'x', resources: {} },
      ],
    },
  };
  defaultPod(pod);
  assert.deepEqual(pod.spec.initContainers[0].resources, { limits: { cpu: '100m' }, requests: { cpu: '100m' } });
  assert.deepEqual(pod.spec.containers[0].resources, { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m', memory: '128Mi' } });
  assert.deepEqual(pod.spec.containers[1].resources, { limits: {} });
  assert.deepEqual(pod.spec.containers[2].resources, {});
});

test('Pod with hostNetwork: hostPort defaults to containerPort', () => {
  const pod: any = { spec: { hostNetwork: true, containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 8080 }, { containerPort: 9090, hostPort: 9091 }] }] } };
  defaultPod(pod);
  assert.deepEqual(pod.spec.containers[0].ports, [
    { containerPort: 8080, hostPort: 8080, protocol: 'TCP' },
    { containerPort: 9090, hostPort: 9091, protocol: 'TCP' },
  ]);
});

test('pod templates get PodSpec defaults but not the Pod-only ones', () => {
  const tpl: any = {
    metadata: { labels: { app: 'x' } },
    spec: { hostNetwork: true, containers: [{ name: 'c', image: 'x:1', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '1' } } }] },
  };
  defaultPodTemplateSpec(tpl);
  assert.equal(tpl.spec.enableServiceLinks, undefined);
  assert.deepEqual(tpl.spec.containers[0].resources, { limits: { cpu: '1' } });
  assert.deepEqual(tpl.spec.containers[0].ports, [{ containerPort: 80, protocol: 'TCP' }]);
  assert.equal(tpl.spec.restartPolicy, 'Always');
});

test('pod-level resources: request from limits and aggregated container requests', () => {
  const pod: any = {
    spec: {
      resources: { limits: { cpu: '2', memory: '1Gi' } },
      containers: [{ name: 'a', image: 'x', resources: { requests: { cpu: '1' } } }, { name: 'b', image: 'x', resources: { requests: { cpu: '1' } } }],
    },
  };
  defaultPod(pod);
  assert.deepEqual(pod.spec.resources, { limits: { cpu: '2', memory: '1Gi' }, requests: { cpu: '2', memory: '1Gi' } });
});
