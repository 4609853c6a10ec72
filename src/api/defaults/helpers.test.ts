// Tests for the pure strategy / allocation / conversion helpers (QoS, initial Pod status, matchLabelKeys,
// Job generated selector, Namespace finalizer, Service IP families, serviceAccount alias).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from './index.ts';
import {
  jobGenerateSelector,
  namespacePrepareForCreate,
  podApplyMatchLabelKeys,
  podInitialStatus,
  podQOSClass,
  podSpecsOf,
  serviceAccountAliasIn,
  serviceAccountAliasOut,
  serviceDefaultIPFamilies,
  serviceDefaultOnRead,
} from './helpers.ts';

const pod = (...resources: any[]): any => ({
  apiVersion: 'v1',
  kind: 'Pod',
  spec: { containers: resources.map((r, i) => ({ name: `c${i}`, image: 'x', resources: r })) },
});

test('QoS class: BestEffort, Burstable, Guaranteed (after requests-from-limits defaulting)', () => {
  assert.equal(podQOSClass(pod({})), 'BestEffort');
  assert.equal(podQOSClass(pod({ requests: { 'ephemeral-storage': '1Gi' } })), 'BestEffort');
  assert.equal(podQOSClass(pod({ requests: { cpu: '100m' } })), 'Burstable');
  const g = pod({ limits: { cpu: '500m', memory: '128Mi' } });
  applyDefaults(g);
  assert.equal(podQOSClass(g), 'Guaranteed');
  assert.equal(podQOSClass(pod({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m', memory: '1Gi' } })), 'Burstable');
  assert.equal(podQOSClass(pod({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } }, {})), 'Burstable');
  assert.equal(podQOSClass(pod({ limits: { cpu: '1' }, requests: { cpu: '1' } })), 'Burstable');
});

test('initial Pod status: Pending + qosClass, SchedulingGated condition with gates', () => {
  assert.deepEqual(podInitialStatus(pod({})), { phase: 'Pending', qosClass: 'BestEffort' });
  const gated = pod({});
  gated.spec.schedulingGates = [{ name: 'wait' }];
  assert.deepEqual(podInitialStatus(gated).conditions, [
    { type: 'PodScheduled', status: 'False', reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' },
  ]);
});

test('matchLabelKeys / mismatchLabelKeys merge into label selectors', () => {
  const p: any = {
    metadata: { labels: { app: 'web', 'pod-template-hash': 'abc', tenant: 't1' } },
    spec: {
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'web' } }, matchLabelKeys: ['pod-template-hash', 'missing'], mismatchLabelKeys: ['tenant'] },
            { topologyKey: 'zone', matchLabelKeys: ['app'] },
          ],
        },
      },
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: {}, matchLabelKeys: ['app'] }],
    },
  };
  podApplyMatchLabelKeys(p);
  const term = p.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution;
  assert.deepEqual(term[0].labelSelector.matchExpressions, [
    { key: 'pod-template-hash', operator: 'In', values: ['abc'] },
    { key: 'tenant', operator: 'NotIn', values: ['t1'] },
  ]);
  assert.equal(term[1].labelSelector, undefined);
  assert.deepEqual(p.spec.topologySpreadConstraints[0].labelSelector, { matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] });
});

test('Job generated selector and labels keyed on the uid; manualSelector skips', () => {
  const job: any = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'pi', uid: 'u-1' }, spec: { template: { spec: {} } } };
  jobGenerateSelector(job);
  assert.deepEqual(job.spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } });
  assert.deepEqual(job.spec.template.metadata.labels, {
    'batch.kubernetes.io/controller-uid': 'u-1',
    'batch.kubernetes.io/job-name': 'pi',
    'controller-uid': 'u-1',
    'job-name': 'pi',
  });
  // On read the Job defaulter then copies them into metadata.labels.
  applyDefaults(job);
  assert.equal(job.metadata.labels['job-name'], 'pi');

  const manual: any = { metadata: { name: 'm', uid: 'u' }, spec: { manualSelector: true, selector: { matchLabels: { a: 'b' } } } };
  jobGenerateSelector(manual);
  assert.deepEqual(manual.spec, { manualSelector: true, selector: { matchLabels: { a: 'b' } } });
});

test('Namespace PrepareForCreate: kubernetes finalizer, phase Active', () => {
  const ns: any = { metadata: { name: 'a' }, spec: { finalizers: ['example.com/x'] }, status: { phase: 'Terminating' } };
  namespacePrepareForCreate(ns);
  assert.deepEqual(ns.spec.finalizers, ['example.com/x', 'kubernetes']);
  assert.deepEqual(ns.status, { phase: 'Active' });
  namespacePrepareForCreate(ns);
  assert.deepEqual(ns.spec.finalizers, ['example.com/x', 'kubernetes']);
});

test('Service IP families on an IPv4 cluster and a dual-stack cluster', () => {
  const v4 = { primary: 'IPv4' as const };
  const ds = { primary: 'IPv4' as const, secondary: 'IPv6' as const };
  const plain: any = { spec: { type: 'ClusterIP', selector: { a: 'b' } } };
  serviceDefaultIPFamilies(plain, v4);
  assert.equal(plain.spec.ipFamilyPolicy, 'SingleStack');
  assert.deepEqual(plain.spec.ipFamilies, ['IPv4']);

  const given: any = { spec: { clusterIP: 'fd00::10', selector: { a: 'b' } } };
  serviceDefaultIPFamilies(given, ds);
  assert.deepEqual(given.spec.clusterIPs, ['fd00::10']);
  assert.deepEqual(given.spec.ipFamilies, ['IPv6']);

  const headless: any = { spec: { clusterIP: 'None' } };
  serviceDefaultIPFamilies(headless, v4);
  assert.equal(headless.spec.ipFamilyPolicy, 'RequireDualStack');
  assert.deepEqual(headless.spec.ipFamilies, ['IPv4']);
  const headlessDs: any = { spec: { clusterIP: 'None' } };
  serviceDefaultIPFamilies(headlessDs, ds);
  assert.deepEqual(headlessDs.spec.ipFamilies, ['IPv4', 'IPv6']);

  const prefer: any = { spec: { ipFamilyPolicy: 'PreferDualStack', selector: { a: 'b' } } };
  serviceDefaultIPFamilies(prefer, ds);
  assert.deepEqual(prefer.spec.ipFamilies, ['IPv4', 'IPv6']);
  const preferV4: any = { spec: { ipFamilyPolicy: 'PreferDualStack', selector: { a: 'b' } } };
  serviceDefaultIPFamilies(preferV4, v4);
  assert.deepEqual(preferV4.spec.ipFamilies, ['IPv4']);

  const en: any = { spec: { type: 'ExternalName', externalName: 'x', internalTrafficPolicy: 'Cluster' } };
  serviceDefaultIPFamilies(en, ds);
  assert.equal(en.spec.ipFamilies, undefined);
  serviceDefaultOnRead(en);
  assert.equal(en.spec.internalTrafficPolicy, undefined);
});

test('serviceAccount alias: input fills serviceAccountName, output mirrors it', () => {
  const p: any = { kind: 'Pod', spec: { serviceAccount: 'legacy' } };
  serviceAccountAliasIn(p);
  assert.equal(p.spec.serviceAccountName, 'legacy');
  const both: any = { kind: 'Deployment', spec: { template: { spec: { serviceAccount: 'old', serviceAccountName: 'new' } } } };
  serviceAccountAliasIn(both);
  serviceAccountAliasOut(both);
  assert.equal(both.spec.template.spec.serviceAccount, 'new');
  const cj: any = { kind: 'CronJob', spec: { jobTemplate: { spec: { template: { spec: { serviceAccountName: 'sa' } } } } } };
  assert.equal(podSpecsOf(cj).length, 1);
  serviceAccountAliasOut(cj);
  assert.equal(cj.spec.jobTemplate.spec.template.spec.serviceAccount, 'sa');
});
