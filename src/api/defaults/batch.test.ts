// Tests for batch/v1 Job and CronJob defaulting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from './index.ts';

test('Job: minimal manifest (kubectl create job pi --image=perl)', () => {
  const job: any = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi' },
    spec: { template: { spec: { containers: [{ name: 'pi', image: 'perl:5.34' }], restartPolicy: 'Never' } } },
  };
  applyDefaults(job);
  const { template, ...rest } = job.spec;
  assert.deepEqual(rest, {
    backoffLimit: 6,
    completionMode: 'NonIndexed',
    completions: 1,
    manualSelector: false,
    parallelism: 1,
    podReplacementPolicy: 'TerminatingOrFailed',
    suspend: false,
  });
  assert.equal(template.spec.restartPolicy, 'Never');
  assert.equal(template.spec.dnsPolicy, 'ClusterFirst');
  assert.equal(job.metadata.labels, undefined);
});

test('Job: completions/parallelism combinations, backoffLimitPerIndex, podFailurePolicy', () => {
  const onlyCompletions: any = { apiVersion: 'batch/v1', kind: 'Job', spec: { completions: 5 } };
  applyDefaults(onlyCompletions);
  assert.equal(onlyCompletions.spec.parallelism, 1);
  const onlyParallelism: any = { apiVersion: 'batch/v1', kind: 'Job', spec: { parallelism: 3 } };
  applyDefaults(onlyParallelism);
  assert.equal(onlyParallelism.spec.completions, undefined);

  const indexed: any = { apiVersion: 'batch/v1', kind: 'Job', spec: { completionMode: 'Indexed', completions: 3, backoffLimitPerIndex: 1 } };
  applyDefaults(indexed);
  assert.equal(indexed.spec.backoffLimit, 2147483647);
  assert.equal(indexed.spec.completionMode, 'Indexed');

  const pfp: any = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    spec: { podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] } },
  };
  applyDefaults(pfp);
  assert.deepEqual(pfp.spec.podFailurePolicy.rules[0].onPodConditions, [{ type: 'DisruptionTarget', status: 'True' }]);
  assert.equal(pfp.spec.podReplacementPolicy, 'Failed');
});

test('Job: metadata.labels copied from the template labels when the Job has none', () => {
  const job: any = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'j' },
    spec: { template: { metadata: { labels: { 'job-name': 'j', 'batch.kubernetes.io/job-name': 'j' } }, spec: { containers: [] } } },
  };
  applyDefaults(job);
  assert.deepEqual(job.metadata.labels, { 'job-name': 'j', 'batch.kubernetes.io/job-name': 'j' });
  const own: any = { apiVersion: 'batch/v1', kind: 'Job', metadata: { labels: { mine: '1' } }, spec: { template: { metadata: { labels: { a: 'b' } } } } };
  applyDefaults(own);
  assert.deepEqual(own.metadata.labels, { mine: '1' });
});

test('CronJob: policy/history defaults; jobTemplate gets pod defaults but not Job defaults', () => {
  const cj: any = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'hello' },
    spec: {
      schedule: '*/1 * * * *',
      jobTemplate: {
        spec: {
          podFailurePolicy: { rules: [{ action: 'FailJob', onPodConditions: [{ type: 'X' }] }] },
          template: { spec: { containers: [{ name: 'hello', image: 'busybox:1.28' }], restartPolicy: 'OnFailure' } },
        },
      },
    },
  };
  applyDefaults(cj);
  assert.equal(cj.spec.concurrencyPolicy, 'Allow');
  assert.equal(cj.spec.suspend, false);
  assert.equal(cj.spec.successfulJobsHistoryLimit, 3);
  assert.equal(cj.spec.failedJobsHistoryLimit, 1);
  const js = cj.spec.jobTemplate.spec;
  assert.equal(js.backoffLimit, undefined);
  assert.equal(js.completions, undefined);
  assert.equal(js.podFailurePolicy.rules[0].onPodConditions[0].status, 'True');
  assert.equal(js.template.spec.restartPolicy, 'OnFailure');
  assert.equal(js.template.spec.containers[0].imagePullPolicy, 'IfNotPresent');
});
