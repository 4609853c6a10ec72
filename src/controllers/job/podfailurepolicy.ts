// A Job's podFailurePolicy, as upstream's pod_failure_policy.go: the first rule whose exit codes
// (a container that terminated with a non-zero code In / NotIn the values) or pod conditions
// match a failed pod decides: FailJob (with upstream's message), Ignore (not counted toward
// backoffLimit), Count, or FailIndex.
import type { Obj } from '../../client/types.ts';

export type PodFailureAction = 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';

export interface PolicyMatch {
  /** Set for FailJob: why the Job fails. */
  failJobMessage?: string;
  /** Whether the failure counts toward backoffLimit. */
  countFailed: boolean;
  action?: PodFailureAction;
}

function matchingContainer(statuses: Obj[] | undefined, req: Obj): Obj | undefined {
  for (const cs of statuses ?? []) {
    const term = cs.state?.terminated;
    if (!term) continue;
    if (req.containerName && req.containerName !== cs.name) continue;
    const code = term.exitCode ?? 0;
    if (code === 0) continue;
    const values: number[] = req.values ?? [];
    const inValues = values.includes(code);
    if ((req.operator === 'In' && inValues) || (req.operator === 'NotIn' && !inValues)) return cs;
  }
  return undefined;
}

export function matchPodFailurePolicy(policy: Obj | undefined, pod: Obj): PolicyMatch {
  if (!policy) return { countFailed: true };
  const rules: Obj[] = policy.rules ?? [];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    const action = rule.action as PodFailureAction;
    if (rule.onExitCodes) {
      const cs = matchingContainer(pod.status?.containerStatuses, rule.onExitCodes) ?? matchingContainer(pod.status?.initContainerStatuses, rule.onExitCodes);
      if (!cs) continue;
      if (action === 'Ignore') return { countFailed: false, action };
      if (action === 'Count' || action === 'FailIndex') return { countFailed: true, action };
      if (action === 'FailJob') {
        const message = `Container ${cs.name} for pod ${pod.metadata.namespace}/${pod.metadata.name} failed with exit code ${cs.state.terminated.exitCode} matching FailJob rule at index ${i}`;
        return { failJobMessage: message, countFailed: true, action };
      }
    } else if (rule.onPodConditions) {
      let cond: Obj | undefined;
      for (const c of pod.status?.conditions ?? []) {
        if ((rule.onPodConditions as Obj[]).some((p) => p.type === c.type && (p.status ?? 'True') === c.status)) {
          cond = c;
          break;
        }
      }
      if (!cond) continue;
      if (action === 'Ignore') return { countFailed: false, action };
      if (action === 'Count' || action === 'FailIndex') return { countFailed: true, action };
      if (action === 'FailJob') {
        return { failJobMessage: `Pod ${pod.metadata.namespace}/${pod.metadata.name} has condition ${cond.type} matching FailJob rule at index ${i}`, countFailed: true, action };
      }
    }
  }
  return { countFailed: true };
}
