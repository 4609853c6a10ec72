// The pod status the kubelet posts (generateAPIPodStatus / getPhase / status/generate.go): container
// and init and ephemeral container statuses (state, lastState, ready, started, restartCount, image, imageID,
// containerID), the conditions PodReadyToStartContainers, Initialized, Ready, ContainersReady and
// PodScheduled with upstream reasons and messages, the phase by the upstream rules (sidecars
// included), hostIP(s), podIP(s) and startTime.
import type { Obj } from '../client/types.ts';
import { rfc3339 } from './nodes.ts';

export type ContainerKind = 'init' | 'sidecar' | 'app' | 'ephemeral';

export interface Terminated {
  exitCode: number;
  signal?: number;
  reason: string;
  message?: string;
  startedAt: number;
  finishedAt: number;
  containerID: string;
}

/** What the status needs to know about one container of the pod. */
export interface ContainerView {
  name: string;
  kind: ContainerKind;
  image: string;
  imageID: string;
  containerID?: string;
  state: { waiting: { reason: string; message?: string } } | { running: { startedAt: number } } | { terminated: Terminated };
  last?: Terminated;
  restartCount: number;
  ready: boolean;
  started: boolean;
}

export interface PodView {
  pod: Obj;
  hostIP: string;
  podIP?: string;
  startTime: number;
  sandboxReady: boolean;
  init: ContainerView[];
  app: ContainerView[];
  /** Ephemeral containers (kubectl debug): reported, but no part of the phase or the conditions. */
  ephemeral?: ContainerView[];
  /** The pod is being (or was) torn down: no container will restart. */
  terminal: boolean;
  /** Set when the pod failed for a reason of its own (e.g. DeadlineExceeded). */
  failure?: { reason: string; message: string };
}

/** Condition type → status and since when (kept by the caller so transitions keep their time). */
export type TransitionMap = Map<string, { status: string; at: number }>;

const KUBELET_CONDITIONS = new Set(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);

function term(t: Terminated): Obj {
  return {
    terminated: {
      exitCode: t.exitCode,
      ...(t.signal ? { signal: t.signal } : {}),
      reason: t.reason,
      ...(t.message ? { message: t.message } : {}),
      startedAt: rfc3339(t.startedAt),
      finishedAt: rfc3339(t.finishedAt),
      containerID: t.containerID,
    },
  };
}

export function containerStatus(c: ContainerView): Obj {
  const s = c.state;
  let state: Obj;
  if ('running' in s) state = { running: { startedAt: rfc3339(s.running.startedAt) } };
  else if ('terminated' in s) state = term(s.terminated);
  else state = { waiting: { reason: s.waiting.reason, ...(s.waiting.message ? { message: s.waiting.message } : {}) } };
  return {
    name: c.name,
    state,
    lastState: c.last ? term(c.last) : {},
    ready: c.ready,
    restartCount: c.restartCount,
    image: c.image,
    imageID: c.imageID,
    ...(c.containerID ? { containerID: c.containerID } : {}),
    // The kubelet's prober sets started for regular and init containers only.
    ...(c.kind === 'ephemeral' ? {} : { started: c.started }),
  };
}

/** getPhase, with restartable init containers (sidecars). */
export function podPhase(v: PodView): string {
  const policy: string = v.pod.spec?.restartPolicy ?? 'Always';
  let pendingInit = 0;
  let failedInit = 0;
  for (const c of v.init) {
    const s = c.state;
    if (c.kind === 'sidecar') {
      if (!c.started) pendingInit++;
      continue;
    }
    if ('running' in s) pendingInit++;
    else if ('terminated' in s) {
      if (s.terminated.exitCode !== 0) failedInit++;
    } else if (c.last && c.last.exitCode !== 0) failedInit++;
    else pendingInit++;
  }
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of v.app) {
    const s = c.state;
    if ('running' in s) running++;
    else if ('terminated' in s) {
      stopped++;
      if (s.terminated.exitCode === 0) succeeded++;
    } else if (c.last) {
      stopped++;
      if (c.last.exitCode === 0) succeeded++;
    } else waiting++;
  }
  if (v.failure) return 'Failed';
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if (pendingInit > 0 && !v.terminal) return 'Pending';
  if (waiting > 0 && !v.terminal) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (v.terminal) return stopped === succeeded && failedInit === 0 ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return v.terminal ? 'Failed' : 'Pending';
}

/** The full status object the kubelet would post for this view. */
export function podStatus(v: PodView, transitions: TransitionMap, now: number): Obj {
  const pod = v.pod;
  const phase = podPhase(v);
  const cond = (type: string, status: string, reason?: string, message?: string): Obj => {
    let t = transitions.get(type);
    if (!t || t.status !== status) {
      t = { status, at: now };
      transitions.set(type, t);
    }
    return { type, status, lastProbeTime: null, lastTransitionTime: rfc3339(t.at), ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
  };
  const conditions: Obj[] = [];
  conditions.push(cond('PodReadyToStartContainers', v.sandboxReady ? 'True' : 'False'));

  const incomplete = v.init
    .filter((c) => {
      if (c.kind === 'sidecar') return !c.started;
      return !('terminated' in c.state && c.state.terminated.exitCode === 0);
    })
    .map((c) => c.name);
  if (phase === 'Succeeded' && v.init.length) conditions.push(cond('Initialized', 'True', 'PodCompleted'));
  else if (incomplete.length) conditions.push(cond('Initialized', 'False', 'ContainersNotInitialized', `containers with incomplete status: [${incomplete.join(' ')}]`));
  else conditions.push(cond('Initialized', 'True'));

  let containersReady: [string, string?, string?];
  if (phase === 'Succeeded') containersReady = ['False', 'PodCompleted'];
  else if (phase === 'Failed') containersReady = ['False', 'PodFailed'];
  else {
    const unready = [...v.init.filter((c) => c.kind === 'sidecar'), ...v.app].filter((c) => !c.ready).map((c) => c.name);
    containersReady = unready.length ? ['False', 'ContainersNotReady', `containers with unready status: [${unready.join(' ')}]`] : ['True'];
  }
  let ready = containersReady;
  if (ready[0] === 'True') {
    for (const g of pod.spec?.readinessGates ?? []) {
      const t = g?.conditionType;
      const c = (pod.status?.conditions ?? []).find((x: Obj) => x.type === t);
      if (!c) ready = ['False', 'ReadinessGatesNotReady', `corresponding condition of pod readiness gate "${t}" does not exist.`];
      else if (c.status !== 'True') ready = ['False', 'ReadinessGatesNotReady', `the status of pod readiness gate "${t}" is not "True", but ${c.status}`];
      if (ready !== containersReady) break;
    }
  }
  conditions.push(cond('Ready', ...ready));
  conditions.push(cond('ContainersReady', ...containersReady));
  const sched = (pod.status?.conditions ?? []).find((c: Obj) => c.type === 'PodScheduled');
  if (sched?.lastTransitionTime && !transitions.has('PodScheduled')) transitions.set('PodScheduled', { status: 'True', at: Date.parse(sched.lastTransitionTime) });
  conditions.push(cond('PodScheduled', 'True'));
  // Conditions other components own (DisruptionTarget, readiness gates) stay, first.
  const others = (pod.status?.conditions ?? []).filter((c: Obj) => !KUBELET_CONDITIONS.has(c?.type));

  const status: Obj = {
    phase,
    conditions: others.length ? [...others, ...conditions] : conditions,
    hostIP: v.hostIP,
    hostIPs: [{ ip: v.hostIP }],
    startTime: rfc3339(v.startTime),
    containerStatuses: v.app.map(containerStatus),
  };
  if (v.init.length) status.initContainerStatuses = v.init.map(containerStatus);
  if (v.ephemeral?.length) status.ephemeralContainerStatuses = v.ephemeral.map(containerStatus);
  if (v.podIP) {
    status.podIP = v.podIP;
    status.podIPs = [{ ip: v.podIP }];
  }
  if (v.failure) {
    status.reason = v.failure.reason;
    status.message = v.failure.message;
  }
  if (pod.status?.qosClass) status.qosClass = pod.status.qosClass;
  return status;
}
