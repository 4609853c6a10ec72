// Golden tests of the Pod READY/STATUS/RESTARTS algorithm against what kube-apiserver 1.32 prints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podCells, podRowConditions, podSummary } from './pod.ts';

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const ago = (ms: number): string => new Date(NOW - ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const MIN = 60_000;

type Any = Record<string, any>;
function pod(spec: Any, status: Any, meta: Any = {}): Any {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: ago(10 * MIN), ...meta },
    spec: { containers: [{ name: 'app', image: 'nginx' }], ...spec },
    status,
  };
}
const running = (name: string, extra: Any = {}): Any => ({ name, ready: true, started: true, restartCount: 0, state: { running: { startedAt: ago(MIN) } }, ...extra });
const waiting = (name: string, reason: string, extra: Any = {}): Any => ({ name, ready: false, restartCount: 0, state: { waiting: { reason } }, ...extra });
const terminated = (name: string, t: Any, extra: Any = {}): Any => ({ name, ready: false, restartCount: 0, state: { terminated: t }, ...extra });
const summary = (p: Any): string[] => { const s = podSummary(p, NOW); return [s.ready, s.status, s.restarts]; };

test('running pod with two ready containers', () => {
  const p = pod({ containers: [{ name: 'a' }, { name: 'b' }] }, { phase: 'Running', containerStatuses: [running('a'), running('b')] });
  assert.deepEqual(summary(p), ['2/2', 'Running', '0']);
});

test('ContainerCreating and image pull failures', () => {
  assert.deepEqual(summary(pod({}, { phase: 'Pending', containerStatuses: [waiting('app', 'ContainerCreating')] })), ['0/1', 'ContainerCreating', '0']);
  assert.deepEqual(summary(pod({}, { phase: 'Pending', containerStatuses: [waiting('app', 'ImagePullBackOff')] })), ['0/1', 'ImagePullBackOff', '0']);
  assert.deepEqual(summary(pod({}, { phase: 'Pending' })), ['0/1', 'Pending', '0']);
});

test('CrashLoopBackOff with restarts and the last restart time', () => {
  const cs = waiting('app', 'CrashLoopBackOff', { restartCount: 5, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(5 * MIN) } } });
  assert.deepEqual(summary(pod({}, { phase: 'Running', containerStatuses: [cs] })), ['0/1', 'CrashLoopBackOff', '5 (5m ago)']);
  const cs2 = running('app', { restartCount: 3, lastState: { terminated: { exitCode: 137, finishedAt: ago(310_000) } } });
  assert.deepEqual(summary(pod({}, { phase: 'Running', containerStatuses: [cs2] })), ['1/1', 'Running', '3 (5m10s ago)']);
});

test('restarts without a last termination time print just the count', () => {
  assert.deepEqual(summary(pod({}, { phase: 'Running', containerStatuses: [running('app', { restartCount: 2 })] })), ['1/1', 'Running', '2']);
});

test('Completed and Error set row conditions', () => {
  const ok = pod({}, { phase: 'Succeeded', containerStatuses: [terminated('app', { exitCode: 0, reason: 'Completed' })] });
  assert.deepEqual(summary(ok), ['0/1', 'Completed', '0']);
  assert.deepEqual(podRowConditions(ok), [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }]);
  const bad = pod({}, { phase: 'Failed', containerStatuses: [terminated('app', { exitCode: 1, reason: 'Error' })] });
  assert.deepEqual(summary(bad), ['0/1', 'Error', '0']);
  assert.deepEqual(podRowConditions(bad), [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }]);
  assert.equal(podRowConditions(pod({}, { phase: 'Running' })), undefined);
});

test('terminated without reason: ExitCode / Signal', () => {
  assert.equal(podSummary(pod({}, { phase: 'Failed', containerStatuses: [terminated('app', { exitCode: 137 })] }), NOW).status, 'ExitCode:137');
  assert.equal(podSummary(pod({}, { phase: 'Failed', containerStatuses: [terminated('app', { exitCode: 0, signal: 9 })] }), NOW).status, 'Signal:9');
});

test('the lowest-index waiting or terminated container decides', () => {
  const p = pod({ containers: [{ name: 'a' }, { name: 'b' }] }, {
    phase: 'Pending',
    containerStatuses: [waiting('a', 'ErrImagePull'), terminated('b', { exitCode: 1, reason: 'Error' })],
  });
  assert.deepEqual(summary(p), ['0/2', 'ErrImagePull', '0']);
});

test('Init:i/n while init containers run', () => {
  const spec = { initContainers: [{ name: 'i0' }, { name: 'i1' }, { name: 'i2' }] };
  const p = pod(spec, {
    phase: 'Pending',
    initContainerStatuses: [terminated('i0', { exitCode: 0, reason: 'Completed' }), running('i1', { ready: false }), waiting('i2', 'PodInitializing')],
    containerStatuses: [waiting('app', 'PodInitializing')],
  });
  assert.deepEqual(summary(p), ['0/1', 'Init:1/3', '0']);
  const first = pod({ initContainers: [{ name: 'i0' }] }, { phase: 'Pending', initContainerStatuses: [waiting('i0', 'PodInitializing')], containerStatuses: [waiting('app', 'PodInitializing')] });
  assert.deepEqual(summary(first), ['0/1', 'Init:0/1', '0']);
});

test('Init:CrashLoopBackOff keeps init restarts; regular containers are not counted', () => {
  const p = pod({ initContainers: [{ name: 'init' }] }, {
    phase: 'Pending',
    initContainerStatuses: [waiting('init', 'CrashLoopBackOff', { restartCount: 3, lastState: { terminated: { exitCode: 1, finishedAt: ago(2 * MIN) } } })],
    containerStatuses: [waiting('app', 'PodInitializing', { restartCount: 7 })],
  });
  assert.deepEqual(summary(p), ['0/1', 'Init:CrashLoopBackOff', '3 (2m ago)']);
});

test('Init:Error, Init:ExitCode and Init:Signal', () => {
  const mk = (t: Any): string => podSummary(pod({ initContainers: [{ name: 'init' }] }, { phase: 'Pending', initContainerStatuses: [terminated('init', t)] }), NOW).status;
  assert.equal(mk({ exitCode: 1, reason: 'Error' }), 'Init:Error');
  assert.equal(mk({ exitCode: 2 }), 'Init:ExitCode:2');
  assert.equal(mk({ exitCode: 2, signal: 15 }), 'Init:Signal:15');
});

test('PodInitializing after init containers finished', () => {
  const p = pod({ initContainers: [{ name: 'init' }] }, {
    phase: 'Pending',
    conditions: [{ type: 'Initialized', status: 'True' }],
    initContainerStatuses: [terminated('init', { exitCode: 0, reason: 'Completed' })],
    containerStatuses: [waiting('app', 'PodInitializing')],
  });
  assert.deepEqual(summary(p), ['0/1', 'PodInitializing', '0']);
});

test('sidecar (restartable init) containers count in READY and RESTARTS', () => {
  const spec = { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }], containers: [{ name: 'app' }] };
  const p = pod(spec, {
    phase: 'Running',
    conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }],
    initContainerStatuses: [running('proxy', { restartCount: 2, lastState: { terminated: { exitCode: 1, finishedAt: ago(MIN) } } })],
    containerStatuses: [running('app', { restartCount: 1, lastState: { terminated: { exitCode: 1, finishedAt: ago(10 * MIN) } } })],
  });
  assert.deepEqual(summary(p), ['2/2', 'Running', '3 (60s ago)']);
  const starting = pod({ initContainers: [{ name: 'proxy', restartPolicy: 'Always' }, { name: 'setup' }] }, {
    phase: 'Pending',
    initContainerStatuses: [running('proxy', { started: false, ready: false }), waiting('setup', 'PodInitializing')],
  });
  assert.deepEqual(summary(starting), ['0/2', 'Init:0/2', '0']);
  // Non-sidecar init restarts are dropped once the pod is initialized.
  const done = pod({ initContainers: [{ name: 'setup' }] }, {
    phase: 'Running',
    initContainerStatuses: [terminated('setup', { exitCode: 0, reason: 'Completed' }, { restartCount: 4 })],
    containerStatuses: [running('app')],
  });
  assert.deepEqual(summary(done), ['1/1', 'Running', '0']);
});

test('Completed container beside a running one reads Running or NotReady', () => {
  const spec = { containers: [{ name: 'a' }, { name: 'b' }] };
  const statuses = [terminated('a', { exitCode: 0, reason: 'Completed' }), running('b')];
  assert.deepEqual(summary(pod(spec, { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: statuses })), ['1/2', 'Running', '0']);
  assert.deepEqual(summary(pod(spec, { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: statuses })), ['1/2', 'NotReady', '0']);
});

test('Terminating, NodeLost → Unknown, and finished pods keep their status', () => {
  const del = { deletionTimestamp: ago(5_000) };
  assert.equal(podSummary(pod({}, { phase: 'Running', containerStatuses: [running('app')] }, del), NOW).status, 'Terminating');
  assert.equal(podSummary(pod({}, { phase: 'Running', reason: 'NodeLost', containerStatuses: [running('app')] }, del), NOW).status, 'Unknown');
  assert.equal(podSummary(pod({}, { phase: 'Unknown', reason: 'NodeLost' }), NOW).status, 'NodeLost');
  assert.equal(podSummary(pod({}, { phase: 'Succeeded', containerStatuses: [terminated('app', { exitCode: 0, reason: 'Completed' })] }, del), NOW).status, 'Completed');
});

test('status.reason and SchedulingGated replace the phase', () => {
  assert.equal(podSummary(pod({}, { phase: 'Failed', reason: 'Evicted' }), NOW).status, 'Evicted');
  assert.equal(podSummary(pod({}, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }), NOW).status, 'SchedulingGated');
  assert.equal(podSummary(pod({}, {}), NOW).status, '');
});

test('wide cells: IP, node, nominated node, readiness gates', () => {
  const p = pod({ nodeName: 'node-1', readinessGates: [{ conditionType: 'example.com/a' }, { conditionType: 'example.com/b' }] }, {
    phase: 'Running',
    podIP: '10.244.0.5',
    podIPs: [{ ip: '10.244.0.5' }, { ip: 'fd00::5' }],
    conditions: [{ type: 'example.com/a', status: 'True' }, { type: 'example.com/b', status: 'False' }],
    containerStatuses: [running('app')],
  });
  assert.deepEqual(podCells(p, NOW), ['web', '1/1', 'Running', '0', '10m', '10.244.0.5', 'node-1', '<none>', '1/2']);
  const pending = pod({}, { phase: 'Pending', nominatedNodeName: 'node-2' });
  assert.deepEqual(podCells(pending, NOW).slice(5), ['<none>', '<none>', 'node-2', '<none>']);
});
