// DefaultPreemption plugin (pkg/scheduler/framework/plugins/defaultpreemption and
// framework/preemption): for a pod no node fits, find nodes where removing lower-priority pods
// would let it fit, keep as many of them as possible (PDB-violating ones reprieved first, higher
// priority first), pick the node as upstream (fewest PDB violations, lowest highest-victim
// priority, smallest priority sum, fewest victims, latest start), then delete the victims and
// nominate the node. Messages: "preemption: 0/N nodes are available: ...".
import { Code, NodeStatuses, unresolvable, unschedulable, type CycleState, type Handle, type PostFilterPlugin, type Result, type Status } from '../../types.ts';
import type { NodeInfo, PodInfo } from '../../nodeinfo.ts';
import type { Obj } from '../../../client/types.ts';
import { selectorFromLabelSelector } from '../../../machinery/labels.ts';
import { isNotFound } from '../../../machinery/errors.ts';
import { fitErrorMessage, type Framework } from '../../framework.ts';

export const NAME = 'DefaultPreemption';
export const NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const NO_VICTIMS = 'No preemption victims found for incoming pod';
const MIN_CANDIDATE_NODES_PERCENTAGE = 10;
const MIN_CANDIDATE_NODES_ABSOLUTE = 100;

export interface Candidate {
  node: string;
  victims: PodInfo[];
  numPDBViolations: number;
}

/** util.MoreImportantPod: higher priority, then earlier start. */
export const moreImportant = (a: PodInfo, b: PodInfo) => (a.priority !== b.priority ? a.priority > b.priority : a.startTime < b.startTime);

/** Splits pods into those whose eviction would violate a PDB and the rest (filterPodsWithPDBViolation). */
export function splitByPDB(pods: PodInfo[], pdbs: Obj[]): [PodInfo[], PodInfo[]] {
  const allowed = pdbs.map((p) => p.status?.disruptionsAllowed ?? 0);
  const sels = pdbs.map((p) => {
    try {
      return selectorFromLabelSelector(p.spec?.selector);
    } catch {
      return null;
    }
  });
  const violating: PodInfo[] = [];
  const ok: PodInfo[] = [];
  for (const pi of pods) {
    let v = false;
    for (let i = 0; i < pdbs.length; i++) {
      const pdb = pdbs[i]!;
      const sel = sels[i];
      if (pdb.metadata?.namespace !== pi.namespace || !sel || sel.empty() || !sel.matches(pi.labels)) continue;
      if (pdb.status?.disruptedPods?.[pi.name]) continue;
      allowed[i]!--;
      if (allowed[i]! < 0) v = true;
    }
    (v ? violating : ok).push(pi);
  }
  return [violating, ok];
}

/** pickOneNodeForPreemption. */
export function pickCandidate(cs: Candidate[]): Candidate | undefined {
  if (cs.length <= 1) return cs[0];
  const highest = (c: Candidate) => (c.victims.length ? Math.max(...c.victims.map((v) => v.priority)) : -Infinity);
  const sum = (c: Candidate) => c.victims.reduce((a, v) => a + v.priority + 2147483648, 0);
  const earliestOfHighest = (c: Candidate) => {
    const hi = highest(c);
    let t = Infinity;
    for (const v of c.victims) if (v.priority === hi && v.startTime < t) t = v.startTime;
    return t;
  };
  const by = (list: Candidate[], f: (c: Candidate) => number, lowest = true) => {
    let best = lowest ? Infinity : -Infinity;
    for (const c of list) best = lowest ? Math.min(best, f(c)) : Math.max(best, f(c));
    return list.filter((c) => f(c) === best);
  };
  let list = by(cs, (c) => c.numPDBViolations);
  if (list.length > 1) list = by(list, highest);
  if (list.length > 1) list = by(list, sum);
  if (list.length > 1) list = by(list, (c) => c.victims.length);
  if (list.length > 1) list = by(list, earliestOfHighest, false);
  return list[0];
}

export function defaultPreemption(fwk: Framework): PostFilterPlugin {
  const h: Handle = fwk.handle;

  /** SelectVictimsOnNode; leaves `state` as it found it. */
  function selectVictims(state: CycleState, pod: PodInfo, node: NodeInfo, pdbs: Obj[]): { victims?: PodInfo[]; violations?: number; status: Result } {
    const ni = node.clone();
    const potential: PodInfo[] = [];
    const removed: PodInfo[] = [];
    const remove = (p: PodInfo) => {
      ni.removePod(p.key);
      fwk.runPreFilterRemovePod(state, pod, p, ni);
      removed.push(p);
    };
    const add = (p: PodInfo) => {
      ni.addPod(p);
      fwk.runPreFilterAddPod(state, pod, p, ni);
      removed.splice(removed.indexOf(p), 1);
    };
    const restore = () => {
      for (const p of removed.splice(0)) fwk.runPreFilterAddPod(state, pod, p, node);
    };
    for (const p of node.pods) if (p.priority < pod.priority) potential.push(p);
    if (!potential.length) return { status: unresolvable(NO_VICTIMS) };
    for (const p of potential) remove(p);
    const s = fwk.runFilterWithNominated(state, pod, ni);
    if (s) {
      restore();
      return { status: s };
    }
    potential.sort((a, b) => (moreImportant(a, b) ? -1 : moreImportant(b, a) ? 1 : 0));
    const [violating, ok] = splitByPDB(potential, pdbs);
    const victims: PodInfo[] = [];
    let violations = 0;
    const reprieve = (p: PodInfo) => {
      add(p);
      if (fwk.runFilterWithNominated(state, pod, ni)) {
        remove(p);
        victims.push(p);
        return false;
      }
      return true;
    };
    for (const p of violating) if (!reprieve(p)) violations++;
    for (const p of ok) reprieve(p);
    if (violating.length && ok.length) victims.sort((a, b) => (moreImportant(a, b) ? -1 : moreImportant(b, a) ? 1 : 0));
    restore();
    return { victims, violations, status: null };
  }

  async function prepare(pod: PodInfo, c: Candidate): Promise<void> {
    const client = h.client;
    const schedulerName = fwk.name;
    await Promise.all(
      c.victims.map(async (v) => {
        const pods = client.pods(v.namespace);
        try {
          if (!v.terminating) {
            await pods.patch(v.name, 'strategic', {
              status: { conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler', message: `${schedulerName}: preempting to accommodate a higher priority pod`, lastTransitionTime: new Date(h.now()).toISOString().replace(/\.\d+Z$/, 'Z') }] },
            }, { subresource: 'status' });
          }
          await pods.delete(v.name, {});
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
        (h as Handle & { recordEvent?: (o: Obj, t: 'Normal' | 'Warning', r: string, m: string) => void }).recordEvent?.(v.pod, 'Normal', 'Preempted', `Preempted by pod ${pod.pod.metadata?.uid} on node ${c.node}`);
      }),
    );
    // Lower-priority pods nominated to this node lose their nomination.
    for (const np of h.nominatedPods(c.node)) {
      if (np.priority >= pod.priority || np.key === pod.key) continue;
      try {
        await client.pods(np.namespace).patch(np.name, 'merge', { status: { nominatedNodeName: null } }, { subresource: 'status' });
      } catch {
        // best effort, as upstream
      }
    }
  }

  return {
    name: NAME,
    events: [],
    async postFilter(state: CycleState, pod: PodInfo, statuses: NodeStatuses) {
      const spec = pod.pod.spec ?? {};
      if (spec.preemptionPolicy === 'Never') return { status: unschedulable('preemption: not eligible due to preemptionPolicy=Never.') };
      const nominated: string | undefined = pod.pod.status?.nominatedNodeName;
      if (nominated) {
        const ns = statuses.get(nominated);
        if (!ns || ns.code !== Code.UnschedulableAndUnresolvable) {
          const ni = h.nodeInfo(nominated);
          if (ni && ni.pods.some((p) => p.terminating && p.priority < pod.priority)) return { status: unschedulable('preemption: not eligible due to a terminating pod on the nominated node.') };
        }
      }
      const all = h.nodes();
      const out = new NodeStatuses();
      const potential: NodeInfo[] = [];
      for (const ni of all) {
        const s = statuses.get(ni.name);
        if (s && s.code === Code.UnschedulableAndUnresolvable) out.set(ni.name, unresolvable(NOT_HELPFUL));
        else potential.push(ni);
      }
      const noCandidates = () => ({
        status: unschedulable(`preemption: ${fitErrorMessage(all.length, { statuses: out, unschedulablePlugins: new Set(), preFilterMsg: '', postFilterMsg: '' })}`),
        nominatedNodeName: '',
      });
      if (!potential.length) return noCandidates();
      const pdbs = h.lister('pdbs').list();
      const want = Math.min(potential.length, Math.max(Math.trunc((potential.length * MIN_CANDIDATE_NODES_PERCENTAGE) / 100), MIN_CANDIDATE_NODES_ABSOLUTE));
      const offset = Math.floor(Math.random() * potential.length);
      const candidates: Candidate[] = [];
      let nonViolating = 0;
      for (let i = 0; i < potential.length; i++) {
        const ni = potential[(offset + i) % potential.length]!;
        const r = selectVictims(state, pod, ni, pdbs);
        if (r.status) {
          out.set(ni.name, r.status as Status);
          continue;
        }
        candidates.push({ node: ni.name, victims: r.victims!, numPDBViolations: r.violations! });
        if (r.violations === 0) nonViolating++;
        if (nonViolating > 0 && candidates.length >= want) break;
      }
      if (!candidates.length) return noCandidates();
      const best = pickCandidate(candidates)!;
      try {
        await prepare(pod, best);
      } catch (e) {
        return { status: { code: Code.Error, reasons: [`preemption: ${(e as Error).message}`] } };
      }
      return { status: null, nominatedNodeName: best.node };
    },
  };
}
