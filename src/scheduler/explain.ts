// `skiff explain pod NAME`: why a pod is where it is, or why it is pending — every node, each
// Filter plugin's verdict and each Score plugin's raw and normalized weighted score, evaluated on
// the scheduler's live cache (a bound pod is evaluated as if it were not yet placed). Upstream
// has no equivalent.
import { DEFAULT_SCHEDULER_NAME, type NodeVerdict } from './framework.ts';
import { PodInfo } from './nodeinfo.ts';
import type { Scheduler } from './scheduler.ts';

export interface Explanation {
  pod: string;
  schedulerName: string;
  /** Where the pod is bound (or assumed), if anywhere. */
  boundNode?: string;
  /** The node the scheduler would pick now. */
  chosen?: string;
  /** The FitError message when no node fits. */
  message?: string;
  nominatedNodeName?: string;
  queue?: string;
  /** A PreFilter plugin that rejected the pod before any node was looked at. */
  preFilter?: { plugin: string; code: string; reasons: string[] };
  nodes: NodeVerdict[];
}

export function explainPod(scheduler: Scheduler, namespace: string, name: string): Explanation {
  const pod = scheduler.getPod(namespace, name);
  if (!pod) throw new Error(`pods "${name}" not found`);
  const key = `${namespace}/${name}`;
  const schedulerName = pod.spec?.schedulerName || DEFAULT_SCHEDULER_NAME;
  const fwk = scheduler.profiles.get(schedulerName);
  const out: Explanation = { pod: key, schedulerName, nodes: [] };
  const bound = scheduler.nodeOf(namespace, name) ?? pod.spec?.nodeName;
  if (bound) out.boundNode = bound;
  if (pod.status?.nominatedNodeName) out.nominatedNodeName = pod.status.nominatedNodeName;
  const where = scheduler.queue.where(key);
  if (where) out.queue = where;
  if (!fwk) {
    out.message = `pod is for scheduler "${schedulerName}", which this scheduler does not run`;
    return out;
  }
  // Evaluate a placed pod as if it were pending; put it back before returning (no await between).
  const placed = scheduler.cache.podInfo(key);
  const placedNode = scheduler.cache.podNode(key);
  const assumed = scheduler.cache.isAssumed(key);
  if (placed && placedNode) scheduler.cache.removePod(key);
  try {
    const pi = new PodInfo(pod, scheduler.podPriority(pod));
    const r = fwk.explain(pi);
    out.nodes = r.verdicts;
    if (r.preFilter) out.preFilter = { plugin: r.preFilter.plugin ?? '', code: String(r.preFilter.code), reasons: r.preFilter.reasons };
    if (r.chosen) out.chosen = r.chosen;
    if (r.fitError) out.message = r.fitError.message;
  } finally {
    if (placed && placedNode) {
      if (assumed) scheduler.cache.assume(placed, placedNode);
      else scheduler.cache.addOrUpdatePod(placed, placedNode);
    }
  }
  return out;
}

/** A plain-text rendering for the CLI. */
export function formatExplanation(e: Explanation): string {
  const lines: string[] = [];
  lines.push(`Pod:        ${e.pod}`);
  lines.push(`Scheduler:  ${e.schedulerName}`);
  if (e.boundNode) lines.push(`Node:       ${e.boundNode}`);
  else lines.push(`Status:     Pending${e.queue ? ` (in ${e.queue} queue)` : ''}`);
  if (e.nominatedNodeName) lines.push(`Nominated:  ${e.nominatedNodeName}`);
  if (e.chosen) lines.push(`Best now:   ${e.chosen}`);
  if (e.message) lines.push(`Reason:     ${e.message}`);
  if (e.preFilter) lines.push(`PreFilter:  ${e.preFilter.plugin} rejected the pod: ${e.preFilter.reasons.join(', ')}`);
  lines.push('');
  const sorted = [...e.nodes].sort((a, b) => Number(b.feasible) - Number(a.feasible) || b.total - a.total || a.node.localeCompare(b.node));
  for (const n of sorted) {
    lines.push(`${n.node}  ${n.feasible ? `feasible, score ${n.total}` : 'filtered out'}${n.node === e.boundNode ? '  (bound here)' : ''}`);
    for (const f of n.filters) if (f.code !== 'Success' && f.code !== 'Skip') lines.push(`    filter ${f.plugin}: ${f.code}${f.reasons.length ? ` (${f.reasons.join(', ')})` : ''}`);
    for (const s of n.scores) lines.push(`    score  ${s.plugin}: raw ${s.raw}, normalized ${s.normalized} × ${s.weight} = ${s.weighted}`);
  }
  return lines.join('\n');
}
