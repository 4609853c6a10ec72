// Simulated pod behaviour as data, like kwok's Stage resources: a selector picks the pods, a delay
// with jitter says when, and the stage says what happens — containers start (pod-ready), exit with
// a code (pod-complete; non-zero exits crash-loop under the restart policy), or stop on deletion
// (pod-delete). The first matching stage of a kind wins; user stages come before the defaults.
import type { Obj } from '../../../client/types.ts';
import { parseSelector, type Selector } from '../../../machinery/labels.ts';

/** A pod status as JSON (the fields simulated nodes write). */
export interface PodStatus {
  phase?: string;
  conditions?: Obj[];
  containerStatuses?: Obj[];
  initContainerStatuses?: Obj[];
  ephemeralContainerStatuses?: Obj[];
  hostIP?: string;
  hostIPs?: { ip: string }[];
  podIP?: string;
  podIPs?: { ip: string }[];
  startTime?: string;
  qosClass?: string;
  message?: string;
  reason?: string;
  [field: string]: unknown;
}

/** A stage's extra status: fields to lay over what the node computed (or undefined for none). */
export type StageStatus = (pod: Obj, now: number) => Partial<PodStatus> | undefined;

export type StageKind = 'ready' | 'complete' | 'delete';

export interface StageSelector {
  namespaces?: string[];
  /** A label selector string, e.g. `app=web,tier!=db`. */
  labelSelector?: string;
  restartPolicies?: ('Always' | 'OnFailure' | 'Never')[];
  /** Kind of the controlling owner, e.g. `Job`. */
  ownerKinds?: string[];
  /** Anything else, as a predicate. */
  match?: (pod: Obj) => boolean;
}

export interface Stage {
  name: string;
  /** ready: a pod bound to the node starts; complete: its running containers exit; delete: a pod being deleted stops. */
  kind: StageKind;
  selector?: StageSelector;
  delayMs?: number;
  /** A uniformly random extra delay in [0, jitterMs). */
  jitterMs?: number;
  /** For complete and delete stages: the containers' exit code (default 0). */
  exitCode?: number;
  /** The terminated reason (default Completed for exit 0, Error otherwise). */
  reason?: string;
  message?: string;
  /**
   * For complete stages: how many runs of a pod this stage ends (default every run — with a non-zero
   * exit and a restarting policy, a crash loop). Later runs fall through to the next matching stage.
   */
  times?: number;
  /** Status fields laid over what the node computes when the stage fires. */
  status?: StageStatus;
}

export interface DefaultStageTimes {
  /** Delay from binding to Running (default 0). */
  readyDelayMs?: number;
  readyJitterMs?: number;
  /** How long pods with restartPolicy Never/OnFailure run before succeeding (default 1000). */
  completeAfterMs?: number;
  completeJitterMs?: number;
  /** Delay from deletionTimestamp to the containers stopping (default 0). */
  deleteDelayMs?: number;
}

/** kwok's default stages: pods start at once, run-to-completion pods succeed, deleted pods go. */
export function defaultStages(t: DefaultStageTimes = {}): Stage[] {
  return [
    { name: 'pod-ready', kind: 'ready', delayMs: t.readyDelayMs ?? 0, jitterMs: t.readyJitterMs ?? 0 },
    {
      name: 'pod-complete',
      kind: 'complete',
      selector: { restartPolicies: ['Never', 'OnFailure'] },
      delayMs: t.completeAfterMs ?? 1000,
      jitterMs: t.completeJitterMs ?? 0,
      exitCode: 0,
    },
    { name: 'pod-delete', kind: 'delete', delayMs: t.deleteDelayMs ?? 0 },
  ];
}

/** A stage whose pods' containers exit with `exitCode` after running `runMs`, every run: a crash loop under Always/OnFailure. */
export function crashLoopStage(name: string, selector: StageSelector, exitCode = 1, runMs = 1000): Stage {
  return { name, kind: 'complete', selector, delayMs: runMs, exitCode };
}

const selectorCache = new WeakMap<StageSelector, Selector>();

export function stageMatches(s: Stage, pod: Obj): boolean {
  const sel = s.selector;
  if (!sel) return true;
  if (sel.namespaces && !sel.namespaces.includes(pod.metadata?.namespace ?? '')) return false;
  if (sel.restartPolicies && !sel.restartPolicies.includes(pod.spec?.restartPolicy ?? 'Always')) return false;
  if (sel.ownerKinds) {
    const owner = (pod.metadata?.ownerReferences ?? []).find((o: Obj) => o.controller === true);
    if (!owner || !sel.ownerKinds.includes(owner.kind)) return false;
  }
  if (sel.labelSelector !== undefined) {
    let ls = selectorCache.get(sel);
    if (!ls) selectorCache.set(sel, (ls = parseSelector(sel.labelSelector)));
    if (!ls.matches(pod.metadata?.labels ?? {})) return false;
  }
  if (sel.match && !sel.match(pod)) return false;
  return true;
}

/** The delay of a stage, with its jitter drawn. */
export function stageDelay(s: Stage, random: () => number = Math.random): number {
  const d = s.delayMs ?? 0;
  const j = s.jitterMs ?? 0;
  return j > 0 ? d + Math.floor(random() * j) : d;
}
