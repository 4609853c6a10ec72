// The Pod row of `kubectl get pods` as kube-apiserver 1.32 prints it: READY counts sidecars
// (restartable init containers), STATUS is the aggregate reason, RESTARTS carries "(5m ago)".

import { humanDuration } from '../../machinery/duration.ts';
import { since, timeMs, type Obj } from './format.ts';

export interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

function lastTerminatedMs(cs: Obj): number | null {
  const t = cs.lastState?.terminated;
  return t ? timeMs(t.finishedAt) : null;
}

function hasTrueCondition(conds: Obj[] | undefined, type: string, firstOnly: boolean): boolean {
  if (!conds) return false;
  for (const c of conds) {
    if (c.type !== type) continue;
    if (c.status === 'True') return true;
    if (firstOnly) return false;
  }
  return false;
}

/** READY, STATUS and RESTARTS cells of a pod. */
export function podSummary(pod: Obj, now: number): PodSummary {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  const containers: Obj[] = spec.containers ?? [];
  const initContainers: Obj[] = spec.initContainers ?? [];
  const conditions: Obj[] | undefined = status.conditions;

  let total = containers.length;
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart: number | null = null;
  let sidecarLastRestart: number | null = null;

  const phase: string = status.phase ?? '';
  let reason: string = status.reason ? status.reason : phase;
  if (conditions) {
    for (const c of conditions) {
      if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
    }
  }

  let sidecars: Set<string> | null = null;
  for (const c of initContainers) {
    if (c.restartPolicy === 'Always') {
      total++;
      (sidecars ??= new Set()).add(c.name);
    }
  }

  let initializing = false;
  const initStatuses: Obj[] = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i]!;
    const isSidecar = sidecars !== null && sidecars.has(cs.name);
    const rc = cs.restartCount ?? 0;
    restarts += rc;
    const finished = lastTerminatedMs(cs);
    if (finished !== null && (lastRestart === null || finished > lastRestart)) lastRestart = finished;
    if (isSidecar) {
      sidecarRestarts += rc;
      if (finished !== null && (sidecarLastRestart === null || finished > sidecarLastRestart)) sidecarLastRestart = finished;
    }
    const state = cs.state ?? {};
    const term = state.terminated;
    if (term && (term.exitCode ?? 0) === 0) continue;
    if (isSidecar && cs.started === true) {
      if (cs.ready) ready++;
      continue;
    }
    if (term) {
      if (!term.reason) {
        reason = term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode ?? 0}`;
      } else {
        reason = 'Init:' + term.reason;
      }
    } else if (state.waiting && state.waiting.reason && state.waiting.reason !== 'PodInitializing') {
      reason = 'Init:' + state.waiting.reason;
    } else {
      reason = `Init:${i}/${initContainers.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || hasTrueCondition(conditions, 'Initialized', true)) {
    restarts = sidecarRestarts;
    lastRestart = sidecarLastRestart;
    let hasRunning = false;
    const statuses: Obj[] = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!;
      restarts += cs.restartCount ?? 0;
      const finished = lastTerminatedMs(cs);
      if (finished !== null && (lastRestart === null || finished > lastRestart)) lastRestart = finished;
      const state = cs.state ?? {};
      if (state.waiting && state.waiting.reason) {
        reason = state.waiting.reason;
      } else if (state.terminated && state.terminated.reason) {
        reason = state.terminated.reason;
      } else if (state.terminated) {
        const t = state.terminated;
        reason = t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode ?? 0}`;
      } else if (cs.ready && state.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = hasTrueCondition(conditions, 'Ready', false) ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata?.deletionTimestamp) {
    if (status.reason === 'NodeLost') reason = 'Unknown';
    else if (phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';
  }

  let restartsCell = String(restarts);
  if (restarts !== 0 && lastRestart !== null) restartsCell += ` (${humanDuration(now - lastRestart)} ago)`;
  return { ready: `${ready}/${total}`, status: reason, restarts: restartsCell };
}

/** READINESS GATES cell: `<none>` or `<true>/<gates>`. */
export function readinessGates(pod: Obj): string {
  const gates: Obj[] | undefined = pod.spec?.readinessGates;
  if (!gates || gates.length === 0) return '<none>';
  const conds: Obj[] = pod.status?.conditions ?? [];
  let ok = 0;
  for (const g of gates) {
    for (const c of conds) {
      if (c.type === g.conditionType) {
        if (c.status === 'True') ok++;
        break;
      }
    }
  }
  return `${ok}/${gates.length}`;
}

export const podSucceededConditions = [
  { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
];
export const podFailedConditions = [
  { type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' },
];

/** Row conditions of a pod (only terminal pods carry one). */
export function podRowConditions(pod: Obj): Obj[] | undefined {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded') return podSucceededConditions;
  if (phase === 'Failed') return podFailedConditions;
  return undefined;
}

/** All cells of a pod row, wide columns included. */
export function podCells(pod: Obj, now: number): unknown[] {
  const s = podSummary(pod, now);
  // v1 → internal conversion fills podIPs from podIP when only the latter is set.
  const ips: Obj[] | undefined = pod.status?.podIPs;
  const ip = (ips && ips.length > 0 ? ips[0]!.ip : pod.status?.podIP) || '<none>';
  return [
    pod.metadata?.name ?? '',
    s.ready,
    s.status,
    s.restarts,
    since(pod.metadata?.creationTimestamp, now),
    ip,
    pod.spec?.nodeName || '<none>',
    pod.status?.nominatedNodeName || '<none>',
    readinessGates(pod),
  ];
}
