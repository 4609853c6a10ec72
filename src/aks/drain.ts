// Node drain as AKS runs it during upgrades and scale-down (kubectl drain --force
// --ignore-daemonsets --delete-emptydir-data): cordon, evict every pod but mirror and DaemonSet
// pods through pods/eviction (PodDisruptionBudgets honoured; 429 refusals retried), wait until the
// pods are gone, and fail on timeout with AKS's "Drain node ... failed when evicting pod ..." error.
import type { KubeClient } from '../client/client.ts';
import type { Obj } from '../client/types.ts';
import { realClock, type Clock } from '../machinery/clock.ts';
import { isNotFound, isTooManyRequests, StatusError } from '../machinery/errors.ts';
import { selectorFromLabelSelector } from '../machinery/labels.ts';

export interface DrainOptions {
  /** Give up after this long (AKS's default drain timeout is 30 minutes). */
  timeoutMs: number;
  /** Passed to each eviction's DeleteOptions (default: the pod's own grace period). */
  gracePeriodSeconds?: number;
  clock?: Clock;
  /** How often a refused eviction is tried again (kubectl drain: 5 s). */
  retryMs?: number;
  /** How often the node is checked for pods still terminating (kubectl drain: 1 s). */
  pollMs?: number;
}

export const DEFAULT_DRAIN_TIMEOUT_MS = 30 * 60_000;

/** A drain that could not finish; `code` as AKS reports it. */
export class DrainError extends Error {
  readonly code = 'PodDrainFailure';
  readonly nodeName: string;
  /** `namespace/name` of the pods still on the node. */
  readonly pods: string[];
  constructor(nodeName: string, message: string, pods: string[], cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'DrainError';
    this.nodeName = nodeName;
    this.pods = pods;
  }
}

const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

/** Whether kubectl drain leaves the pod alone: mirror (static) pods and DaemonSet pods. */
export function drainSkips(pod: Obj): boolean {
  if (pod.metadata?.annotations?.[MIRROR_ANNOTATION] !== undefined) return true;
  const ctrl = (pod.metadata?.ownerReferences ?? []).find((r: Obj) => r.controller);
  return ctrl?.kind === 'DaemonSet';
}

const podKey = (p: Obj) => `${p.metadata.namespace}/${p.metadata.name}`;

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((r) => clock.after(ms, r));
}

/** Cordons the node (spec.unschedulable=true); idempotent. */
export async function cordonNode(client: KubeClient, nodeName: string, unschedulable = true): Promise<void> {
  await client.nodes().patch(nodeName, 'merge', { spec: { unschedulable } });
}

/** The pods a drain has to move: everything bound to the node but mirror and DaemonSet pods. */
export async function podsToDrain(client: KubeClient, nodeName: string): Promise<Obj[]> {
  const { items } = await client.pods().list({ fieldSelector: `spec.nodeName=${nodeName}` });
  return items.filter((p) => !drainSkips(p));
}

interface Blocked {
  pod: Obj;
  error: StatusError;
}

/** "PDB debug info" as AKS prints it: which budget holds the pod and which of its pods are unready. */
async function pdbDebugInfo(client: KubeClient, pod: Obj): Promise<string> {
  const ns = pod.metadata.namespace;
  try {
    const pdbs = (await client.resource('policy', 'poddisruptionbudgets', ns).list()).items;
    const labels = pod.metadata.labels ?? {};
    const pdb = pdbs.find((b) => {
      try {
        return selectorFromLabelSelector(b.spec?.selector ?? {}).matches(labels);
      } catch {
        return false;
      }
    });
    if (!pdb) return '';
    const sel = selectorFromLabelSelector(pdb.spec?.selector ?? {}).toString();
    const pods = (await client.pods(ns).list(sel ? { labelSelector: sel } : {})).items;
    const unready = pods
      .filter((p) => !(p.status?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True'))
      .map(podKey);
    return ` PDB debug info: ${podKey(pod)} blocked by pdb ${pdb.metadata.name} with ${unready.length} unready pods: [${unready.join(' ')}].`;
  } catch {
    return '';
  }
}

/**
 * Drains a node: cordon, evict, wait. Resolves once every evictable pod is gone; throws a
 * DrainError when `timeoutMs` passes first (the node stays cordoned, as with AKS).
 */
export async function drainNode(client: KubeClient, nodeName: string, opts: DrainOptions): Promise<void> {
  const clock = opts.clock ?? realClock;
  const retryMs = opts.retryMs ?? 5000;
  const pollMs = opts.pollMs ?? 1000;
  const deadline = clock.now() + opts.timeoutMs;
  await cordonNode(client, nodeName);
  const pods = await podsToDrain(client, nodeName);
  const blocked = new Map<string, Blocked>();
  const deleteOptions = opts.gracePeriodSeconds === undefined ? undefined : { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: opts.gracePeriodSeconds };

  const evictOne = async (pod: Obj): Promise<void> => {
    const key = podKey(pod);
    if (pod.metadata.deletionTimestamp) return; // already going; only wait for it
    for (;;) {
      try {
        await client.pods(pod.metadata.namespace).createSubresource(pod.metadata.name, 'eviction', {
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace },
          ...(deleteOptions ? { deleteOptions } : {}),
        });
        blocked.delete(key);
        return;
      } catch (e) {
        if (isNotFound(e)) {
          blocked.delete(key);
          return;
        }
        if (!isTooManyRequests(e)) {
          throw new DrainError(nodeName, `Drain node ${nodeName} failed when evicting pod ${pod.metadata.name}. Original error: ${(e as Error).message}`, [key], e);
        }
        blocked.set(key, { pod, error: e as StatusError });
        if (clock.now() + retryMs > deadline) return;
        await sleep(clock, retryMs);
      }
    }
  };
  await Promise.all(pods.map(evictOne));

  if (blocked.size) {
    const first = blocked.values().next().value!;
    const debug = await pdbDebugInfo(client, first.pod);
    throw new DrainError(
      nodeName,
      `Drain node ${nodeName} failed when evicting pod ${first.pod.metadata.name} failed with Too Many Requests error. ` +
        `This is often caused by a restrictive Pod Disruption Budget (PDB) policy. See http://aka.ms/aks/debugdrainfailures. ` +
        `Original error: ${first.error.message}.${debug}`,
      [...blocked.keys()],
      first.error,
    );
  }

  // Wait for the evicted pods (same uid) to leave the node.
  const uids = new Set(pods.map((p) => p.metadata.uid));
  for (;;) {
    const { items } = await client.pods().list({ fieldSelector: `spec.nodeName=${nodeName}` });
    const left = items.filter((p) => uids.has(p.metadata.uid));
    if (left.length === 0) return;
    if (clock.now() >= deadline) {
      const names = left.map(podKey);
      throw new DrainError(nodeName, `Drain node ${nodeName} failed when waiting for pod ${left[0]!.metadata.name} to terminate: timed out after ${Math.round(opts.timeoutMs / 1000)}s; pods still on the node: [${names.join(' ')}]`, names);
    }
    await sleep(clock, Math.min(pollMs, Math.max(1, deadline - clock.now())));
  }
}
