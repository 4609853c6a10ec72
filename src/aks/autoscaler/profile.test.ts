import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AutoscalerProfileError, DEFAULT_ARM_AUTOSCALER_PROFILE, defaultAutoscalerProfile, normalizeArmProfile, parseAutoscalerProfile, parseDuration } from './profile.ts';

test('AKS defaults', () => {
  const p = defaultAutoscalerProfile;
  assert.equal(p.scanIntervalMs, 10_000);
  assert.equal(p.scaleDownDelayAfterAddMs, 10 * 60_000);
  assert.equal(p.scaleDownUnneededTimeMs, 10 * 60_000);
  assert.equal(p.scaleDownUtilizationThreshold, 0.5);
  assert.equal(p.maxGracefulTerminationSec, 600);
  assert.equal(p.expander, 'random');
  assert.equal(p.maxNodeProvisionTimeMs, 15 * 60_000);
  assert.equal(p.skipNodesWithSystemPods, true);
  assert.equal(DEFAULT_ARM_AUTOSCALER_PROFILE['scan-interval'], '10s');
});

test('parses the ARM object, kebab-case keys and string values', () => {
  const p = parseAutoscalerProfile({ 'scan-interval': '30s', expander: 'least-waste', 'scale-down-utilization-threshold': '0.7', 'skip-nodes-with-system-pods': 'false', 'daemonset-eviction-for-empty-nodes': true });
  assert.equal(p.scanIntervalMs, 30_000);
  assert.equal(p.expander, 'least-waste');
  assert.equal(p.scaleDownUtilizationThreshold, 0.7);
  assert.equal(p.skipNodesWithSystemPods, false);
  assert.equal(p.daemonsetEvictionForEmptyNodes, true);
  assert.equal(p.scaleDownUnneededTimeMs, 600_000);
});

test('durations and validation', () => {
  assert.equal(parseDuration('x', '1h30m'), 5_400_000);
  assert.equal(parseDuration('x', '10'), 10_000);
  assert.throws(() => parseDuration('scan-interval', 'soon'), AutoscalerProfileError);
  assert.throws(() => parseAutoscalerProfile({ expander: 'biggest' }), /Invalid value for expander: 'biggest'/);
  assert.throws(() => parseAutoscalerProfile({ 'scale-down-utilization-threshold': '1.5' }), AutoscalerProfileError);
  assert.throws(() => normalizeArmProfile({ 'scan-intervall': '10s' }), /Unknown cluster autoscaler profile setting 'scan-intervall'/);
  const arm = normalizeArmProfile({ 'scan-interval': '20s' });
  assert.equal(arm['scan-interval'], '20s');
  assert.equal(arm['scale-down-unneeded-time'], '10m');
});
