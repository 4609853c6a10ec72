// Tests for core/v1 Event <-> events.k8s.io/v1 Event conversion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convert } from './index.ts';

/** A core Event as the kubelet's (old) recorder writes it and kube-apiserver serves it. */
const coreEvent = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata: {
    name: 'web-7d4b9c-x2k8p.17c9a3f0b1d2e4f5',
    namespace: 'default',
    uid: '0c1f3a8e-2b6d-4e47-9d1a-7f5b3c2e9a10',
    resourceVersion: '5123',
    creationTimestamp: '2024-05-01T10:00:03Z',
  },
  involvedObject: {
    kind: 'Pod',
    namespace: 'default',
    name: 'web-7d4b9c-x2k8p',
    uid: 'a3e1b2c4-5d6f-4789-8a9b-0c1d2e3f4a5b',
    apiVersion: 'v1',
    resourceVersion: '5101',
    fieldPath: 'spec.containers{web}',
  },
  reason: 'Pulled',
  message: 'Container image "nginx:1.27" already present on machine',
  source: { component: 'kubelet', host: 'node-1' },
  firstTimestamp: '2024-05-01T10:00:03Z',
  lastTimestamp: '2024-05-01T10:04:41Z',
  count: 3,
  type: 'Normal',
  eventTime: null,
  reportingComponent: 'kubelet',
  reportingInstance: 'node-1',
};

/** An events.k8s.io Event as client-go's tools/events recorder (scheduler) writes it, with a series. */
const newEvent = {
  apiVersion: 'events.k8s.io/v1',
  kind: 'Event',
  metadata: {
    name: 'web-7d4b9c-x2k8p.17c9a3f0c0a1b2c3',
    namespace: 'default',
    uid: '7d2e4f60-1a3b-4c5d-8e9f-0a1b2c3d4e5f',
    resourceVersion: '6001',
    creationTimestamp: '2024-05-01T10:00:01Z',
  },
  eventTime: '2024-05-01T10:00:01.123456Z',
  series: { count: 4, lastObservedTime: '2024-05-01T10:05:02.654321Z' },
  reportingController: 'default-scheduler',
  reportingInstance: 'default-scheduler-control-plane',
  action: 'Scheduling',
  reason: 'FailedScheduling',
  regarding: { kind: 'Pod', namespace: 'default', name: 'web-7d4b9c-x2k8p', uid: 'a3e1b2c4-5d6f-4789-8a9b-0c1d2e3f4a5b', apiVersion: 'v1', resourceVersion: '5001' },
  note: '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
  type: 'Warning',
  deprecatedSource: {},
  deprecatedFirstTimestamp: null,
  deprecatedLastTimestamp: null,
};

test('core Event as events.k8s.io/v1: renamed fields, deprecated* carry the old ones', () => {
  const out = convert(Object.freeze(coreEvent), 'events.k8s.io/v1');
  assert.deepEqual(out, {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: coreEvent.metadata,
    eventTime: null,
    reportingController: 'kubelet',
    reportingInstance: 'node-1',
    reason: 'Pulled',
    regarding: coreEvent.involvedObject,
    note: 'Container image "nginx:1.27" already present on machine',
    type: 'Normal',
    deprecatedSource: { component: 'kubelet', host: 'node-1' },
    deprecatedFirstTimestamp: '2024-05-01T10:00:03Z',
    deprecatedLastTimestamp: '2024-05-01T10:04:41Z',
    deprecatedCount: 3,
  });
  assert.notEqual(out.metadata, coreEvent.metadata);
});

test('core → events.k8s.io → core is the same Event', () => {
  assert.deepEqual(convert(convert(coreEvent, 'events.k8s.io/v1'), 'v1'), coreEvent);
});

test('events.k8s.io Event with a series as core/v1, as `kubectl get events` reads it', () => {
  const core = convert(Object.freeze(newEvent), 'v1');
  assert.deepEqual(core, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: newEvent.metadata,
    involvedObject: newEvent.regarding,
    reason: 'FailedScheduling',
    message: newEvent.note,
    source: {},
    firstTimestamp: null,
    lastTimestamp: null,
    type: 'Warning',
    eventTime: '2024-05-01T10:00:01.123456Z',
    series: { count: 4, lastObservedTime: '2024-05-01T10:05:02.654321Z' },
    action: 'Scheduling',
    reportingComponent: 'default-scheduler',
    reportingInstance: 'default-scheduler-control-plane',
  });
});

test('events.k8s.io → core → events.k8s.io is the same Event', () => {
  assert.deepEqual(convert(convert(newEvent, 'v1'), 'events.k8s.io/v1'), newEvent);
  const withRelated = { ...newEvent, related: { kind: 'Node', name: 'node-2', apiVersion: 'v1' } };
  const core = convert(withRelated, 'v1');
  assert.deepEqual(core.related, withRelated.related);
  assert.deepEqual(convert(core, 'events.k8s.io/v1'), withRelated);
});

test('a minimal events.k8s.io body gets the always-serialized core fields', () => {
  const core = convert(
    { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'e1', namespace: 'default' }, eventTime: '2024-05-01T10:00:00.000000Z', regarding: { kind: 'Node', name: 'node-1' } },
    'v1',
  );
  assert.deepEqual(core, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'e1', namespace: 'default' },
    involvedObject: { kind: 'Node', name: 'node-1' },
    source: {},
    firstTimestamp: null,
    lastTimestamp: null,
    eventTime: '2024-05-01T10:00:00.000000Z',
    reportingComponent: '',
    reportingInstance: '',
  });
});
