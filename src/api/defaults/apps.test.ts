// Tests for apps/v1 defaulting: Deployment (incl. `kubectl create deployment`), ReplicaSet, StatefulSet, DaemonSet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from './index.ts';

const NGINX_TEMPLATE_SPEC = {
  containers: [
    {
      name: 'nginx',
      image: 'nginx',
      resources: {},
      imagePullPolicy: 'Always',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
    },
  ],
  dnsPolicy: 'ClusterFirst',
  restartPolicy: 'Always',
  schedulerName: 'default-scheduler',
  securityContext: {},
  terminationGracePeriodSeconds: 30,
};

test('kubectl create deployment web --image=nginx -> fully defaulted Deployment', () => {
  // The body kubectl 1.3x sends.
  const d: any = {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: { name: 'web', creationTimestamp: null, labels: { app: 'web' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { creationTimestamp: null, labels: { app: 'web' } },
        spec: { containers: [{ name: 'nginx', image: 'nginx', resources: {} }] },
      },
      strategy: {},
    },
    status: {},
  };
  applyDefaults(d);
  assert.deepEqual(d, {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: { name: 'web', creationTimestamp: null, labels: { app: 'web' } },
    spec: {
      progressDeadlineSeconds: 600,
      replicas: 1,
      revisionHistoryLimit: 10,
      selector: { matchLabels: { app: 'web' } },
      strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' }, type: 'RollingUpdate' },
      template: { metadata: { creationTimestamp: null, labels: { app: 'web' } }, spec: NGINX_TEMPLATE_SPEC },
    },
    status: {},
  });
});

test('Deployment: minimal manifest gets replicas 1; Recreate gets no rollingUpdate; client values kept', () => {
  const d: any = { apiVersion: 'apps/v1', kind: 'Deployment', spec: { selector: { matchLabels: { a: 'b' } } } };
  applyDefaults(d);
  assert.equal(d.spec.replicas, 1);
  assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });

  const r: any = { apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: 0, revisionHistoryLimit: 0, strategy: { type: 'Recreate' } } };
  applyDefaults(r);
  assert.equal(r.spec.replicas, 0);
  assert.equal(r.spec.revisionHistoryLimit, 0);
  assert.deepEqual(r.spec.strategy, { type: 'Recreate' });

  const p: any = { apiVersion: 'apps/v1', kind: 'Deployment', spec: { strategy: { rollingUpdate: { maxSurge: 1 } } } };
  applyDefaults(p);
  assert.deepEqual(p.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } });
});

test('ReplicaSet: replicas 1, no selector defaulting', () => {
  const rs: any = { apiVersion: 'apps/v1', kind: 'ReplicaSet', spec: { template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } };
  applyDefaults(rs);
  assert.equal(rs.spec.replicas, 1);
  assert.equal(rs.spec.selector, undefined);
  assert.equal(rs.spec.template.spec.restartPolicy, 'Always');
});

test('StatefulSet: minimal manifest', () => {
  const ss: any = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db' },
    spec: {
      serviceName: 'db',
      selector: { matchLabels: { app: 'db' } },
      template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'postgres:16' }] } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
  };
  applyDefaults(ss);
  const { template, ...rest } = ss.spec;
  assert.deepEqual(rest, {
    serviceName: 'db',
    selector: { matchLabels: { app: 'db' } },
    podManagementPolicy: 'OrderedReady',
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: 1 } },
    persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    replicas: 1,
    revisionHistoryLimit: 10,
    volumeClaimTemplates: [
      {
        metadata: { name: 'data' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' },
        status: { phase: 'Pending' },
      },
    ],
  });
  assert.equal(template.spec.containers[0].imagePullPolicy, 'IfNotPresent');
});

test('StatefulSet: explicit RollingUpdate without rollingUpdate gets no partition; OnDelete untouched', () => {
  const a: any = { apiVersion: 'apps/v1', kind: 'StatefulSet', spec: { updateStrategy: { type: 'RollingUpdate' } } };
  applyDefaults(a);
  assert.deepEqual(a.spec.updateStrategy, { type: 'RollingUpdate' });
  const b: any = { apiVersion: 'apps/v1', kind: 'StatefulSet', spec: { updateStrategy: { type: 'OnDelete' }, persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete' } } };
  applyDefaults(b);
  assert.deepEqual(b.spec.updateStrategy, { type: 'OnDelete' });
  assert.deepEqual(b.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Delete', whenScaled: 'Retain' });
  const c: any = { apiVersion: 'apps/v1', kind: 'StatefulSet', spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } } };
  applyDefaults(c);
  assert.deepEqual(c.spec.updateStrategy.rollingUpdate, { partition: 2, maxUnavailable: 1 });
});

test('DaemonSet: RollingUpdate maxUnavailable 1 / maxSurge 0 (integers), revisionHistoryLimit 10', () => {
  const ds: any = { apiVersion: 'apps/v1', kind: 'DaemonSet', spec: { template: { spec: { containers: [{ name: 'c', image: 'x' }] } } } };
  applyDefaults(ds);
  assert.deepEqual(ds.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  assert.equal(ds.spec.revisionHistoryLimit, 10);
  assert.equal(ds.spec.replicas, undefined);
  const od: any = { apiVersion: 'apps/v1', kind: 'DaemonSet', spec: { updateStrategy: { type: 'OnDelete' } } };
  applyDefaults(od);
  assert.deepEqual(od.spec.updateStrategy, { type: 'OnDelete' });
});
