// The cluster autoscaler as AKS runs it (upstream cluster-autoscaler's StaticAutoscaler, simplified):
// every scan-interval, pods the scheduler marked Unschedulable that would not fit the existing or
// upcoming nodes are bin-packed onto node group templates, an expander picks a group and it grows
// (never above max; TriggeredScaleUp / NotTriggerScaleUp events). Nodes whose requests stay under
// scale-down-utilization-threshold for scale-down-unneeded-time and whose pods can move elsewhere
// are drained and removed (never below min), with the upstream skip rules. State is published in
// the `cluster-autoscaler-status` ConfigMap.
import type { KubeClient } from '../../client/client.ts';
import type { Obj } from '../../client/types.ts';
import { InformerFactory, type Informer } from '../../client/informer.ts';
import { EventRecorder } from '../../client/events.ts';
import { realClock, type Clock, type Timer } from '../../machinery/clock.ts';
import { isAlreadyExists, isNotFound } from '../../machinery/errors.ts';
import { selectorFromLabelSelector } from '../../machinery/labels.ts';
import { NodeInfo, type PodInfo } from '../../scheduler/nodeinfo.ts';
import { parse as parseYaml } from 'yaml';
import { drainNode, drainSkips } from '../drain.ts';
import type { AutoscalerProfile } from './profile.ts';
import { checkFit, podInfo, templateNodeInfo, utilization } from './simulate.ts';
import { goTime as goTimeOf, probe, renderStatus, type AutoscalerStatus, type Condition, type GroupStatus, type NodeCounts } from './status.ts';
import type { NodeGroup } from './types.ts';

export type { NodeGroup, NodeTemplate } from './types.ts';

export const STATUS_CONFIGMAP = 'cluster-autoscaler-status';
export const PRIORITY_CONFIGMAP = 'cluster-autoscaler-priority-expander';
export const TO_BE_DELETED_TAINT = 'ToBeDeletedByClusterAutoscaler';
const SAFE_TO_EVICT = 'cluster-autoscaler.kubernetes.io/safe-to-evict';
const SCALE_DOWN_DISABLED = 'cluster-autoscaler.kubernetes.io/scale-down-disabled';

export interface ClusterAutoscalerOptions {
  groups: NodeGroup[];
  profile: AutoscalerProfile;
  clock?: Clock;
  /** For the random expander (tests pin it). */
  random?: () => number;
  /** Called with errors of a scan (default: ignored; the next scan tries again). */
  onError?: (e: unknown) => void;
}

interface ScaleUpOption {
  group: NodeGroup;
  nodes: NodeInfo[];
  pods: PodInfo[];
}

const isReady = (n: Obj) => (n.status?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');
const isDaemonSetPod = (p: Obj) => (p.metadata?.ownerReferences ?? []).some((r: Obj) => r.controller && r.kind === 'DaemonSet');
const isMirror = (p: Obj) => p.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined;
const finished = (p: Obj) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
const asPod = (p: Obj): Obj => ({ apiVersion: 'v1', kind: 'Pod', ...p });

function isUnschedulable(p: Obj): boolean {
  if (p.spec?.nodeName || p.metadata?.deletionTimestamp) return false;
  return (p.status?.conditions ?? []).some((c: Obj) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
}

/** "2 Insufficient cpu, 1 node(s) didn't match ..." as upstream's NotTriggerScaleUp message. */
function reasonSummary(reasons: Map<string, number>): string {
  return [...reasons]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([r, n]) => `${n} ${r}`)
    .join(', ');
}

export class ClusterAutoscaler {
  #client: KubeClient;
  #o: ClusterAutoscalerOptions;
  #clock: Clock;
  #factory: InformerFactory;
  #ownFactory: boolean;
  #pods: Informer;
  #nodes: Informer;
  #pdbs: Informer;
  #recorder: EventRecorder;
  #timer: Timer | undefined;
  #stopped = false;
  #running: Promise<void> | undefined;
  /** node name → when it was first seen unneeded. */
  #unneededSince = new Map<string, number>();
  /** Nodes being drained / deleted in the background. */
  #deleting = new Set<string>();
  #draining = false;
  #lastScaleUp = -Infinity;
  #lastScaleDown = -Infinity;
  #lastScaleDownFailure = -Infinity;
  /** group name → when its last scale-up was requested and how many nodes were expected. */
  #scaleUpRequests = new Map<string, { at: number; target: number }>();
  #status: AutoscalerStatus | undefined;
  #groupsByNode = new Map<string, NodeGroup>();

  constructor(client: KubeClient, informers: InformerFactory | undefined, opts: ClusterAutoscalerOptions) {
    this.#client = client;
    this.#o = opts;
    this.#clock = opts.clock ?? realClock;
    this.#ownFactory = !informers;
    this.#factory = informers ?? new InformerFactory(client, { clock: this.#clock });
    this.#pods = this.#factory.informer('', 'pods');
    this.#nodes = this.#factory.informer('', 'nodes');
    this.#pdbs = this.#factory.informer('policy', 'poddisruptionbudgets');
    this.#recorder = new EventRecorder(client, { component: 'cluster-autoscaler', clock: this.#clock });
  }

  get profile(): AutoscalerProfile {
    return this.#o.profile;
  }

  /** Applies a changed profile or node group set from the next scan on. */
  update(opts: Partial<Pick<ClusterAutoscalerOptions, 'groups' | 'profile'>>): void {
    this.#o = { ...this.#o, ...opts };
  }

  async start(): Promise<void> {
    this.#pods.start();
    this.#nodes.start();
    this.#pdbs.start();
    await Promise.all([this.#pods.synced(), this.#nodes.synced(), this.#pdbs.synced()]);
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    if (this.#ownFactory) this.#factory.stop();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = this.#clock.after(this.#o.profile.scanIntervalMs, () => {
      if (this.#running) return this.#schedule();
      this.#running = this.runOnce()
        .catch((e) => this.#o.onError?.(e))
        .finally(() => {
          this.#running = undefined;
          this.#schedule();
        });
    });
  }

  /** One scan: scale up, else consider scale down; then write the status ConfigMap. */
  async runOnce(): Promise<void> {
    const now = this.#clock.now();
    const p = this.#o.profile;
    const groups = this.#o.groups;
    this.#groupsByNode.clear();
    for (const g of groups) for (const n of g.nodeNames()) this.#groupsByNode.set(n, g);

    // Snapshot of the cluster as the scheduler sees it.
    const infos = new Map<string, NodeInfo>();
    for (const n of this.#nodes.list()) {
      const ni = new NodeInfo(n.metadata.name);
      ni.setNode(n);
      infos.set(ni.name, ni);
    }
    const pending: PodInfo[] = [];
    for (const pod of this.#pods.list()) {
      if (pod.spec?.nodeName) {
        if (finished(pod)) continue;
        infos.get(pod.spec.nodeName)?.addPod(podInfo(pod));
      } else if (isUnschedulable(pod)) {
        const created = Date.parse(pod.metadata.creationTimestamp ?? '') || 0;
        if (now - created >= p.newPodScaleUpDelayMs) pending.push(podInfo(pod));
      }
    }

    // Nodes asked for but not registered yet count as capacity on the way (upcoming nodes).
    const upcoming: NodeInfo[] = [];
    const groupStatus = new Map<string, { counts: NodeCounts; upcoming: number }>();
    for (const g of groups) {
      const counts: NodeCounts = { total: 0, ready: 0, notStarted: 0, unready: 0, beingDeleted: 0, unregistered: 0, longUnregistered: 0 };
      for (const name of g.nodeNames()) {
        const ni = infos.get(name);
        if (!ni) continue;
        counts.total++;
        if (this.#deleting.has(name)) counts.beingDeleted++;
        if (isReady(ni.node!)) counts.ready++;
        else counts.unready++;
      }
      const missing = Math.max(0, g.targetSize() - counts.total);
      const req = this.#scaleUpRequests.get(g.name);
      const longUnregistered = missing > 0 && req && now - req.at > p.maxNodeProvisionTimeMs;
      counts.unregistered = missing;
      counts.longUnregistered = longUnregistered ? missing : 0;
      if (!longUnregistered) for (let i = 0; i < missing; i++) upcoming.push(templateNodeInfo(`upcoming-${g.name}-${i}`, g.nodeTemplate()));
      if (missing === 0) this.#scaleUpRequests.delete(g.name);
      groupStatus.set(g.name, { counts, upcoming: longUnregistered ? 0 : missing });
    }

    // --- scale up -------------------------------------------------------------------------
    let scaledUp = false;
    // Pods that fit existing nodes are placed there in the snapshot (upstream's filterOutSchedulable),
    // so scale-down below sees them as those nodes' load.
    const stillPending = this.#filterOutSchedulable(pending, [...infos.values()].filter((n) => isReady(n.node!) && !n.unschedulable && !this.#deleting.has(n.name)).concat(upcoming));
    if (stillPending.length) scaledUp = await this.#scaleUp(stillPending, groups, now);

    // --- scale down -----------------------------------------------------------------------
    const candidates = this.#findUnneeded(infos, groups, now);
    const inCooldown =
      scaledUp ||
      now < this.#lastScaleUp + p.scaleDownDelayAfterAddMs ||
      now < this.#lastScaleDown + p.scaleDownDelayAfterDeleteMs ||
      now < this.#lastScaleDownFailure + p.scaleDownDelayAfterFailureMs ||
      upcoming.length > 0;
    if (!inCooldown) this.#scaleDown(candidates, infos, now);

    await this.#writeStatus(now, groups, groupStatus, candidates);
  }

  /** Pods that would fit the existing/upcoming nodes are the scheduler's business, not ours. */
  #filterOutSchedulable(pending: PodInfo[], nodes: NodeInfo[]): PodInfo[] {
    const out: PodInfo[] = [];
    for (const pi of pending) {
      const fit = nodes.find((n) => checkFit(pi, n) === null);
      if (fit) fit.addPod(pi);
      else out.push(pi);
    }
    return out;
  }

  async #scaleUp(pending: PodInfo[], groups: NodeGroup[], now: number): Promise<boolean> {
    const options: ScaleUpOption[] = [];
    const reasons = new Map<string, Map<string, number>>(); // pod key → reason → groups
    const note = (pi: PodInfo, r: string) => {
      let m = reasons.get(pi.key);
      if (!m) reasons.set(pi.key, (m = new Map()));
      m.set(r, (m.get(r) ?? 0) + 1);
    };
    // Larger pods first, as upstream's binpacking estimator does.
    const sorted = pending.slice().sort((a, b) => b.requests.cpu - a.requests.cpu || b.requests.memory - a.requests.memory);
    for (const g of groups) {
      const room = g.maxSize() - g.targetSize();
      const template = g.nodeTemplate();
      const empty = templateNodeInfo(`template-node-for-${g.name}`, template);
      const nodes: NodeInfo[] = [];
      const helped: PodInfo[] = [];
      for (const pi of sorted) {
        const whyNot = checkFit(pi, empty);
        if (whyNot) {
          for (const r of whyNot) note(pi, r);
          continue;
        }
        let target = nodes.find((n) => checkFit(pi, n) === null);
        if (!target) {
          if (nodes.length >= room) {
            note(pi, 'max node group size reached');
            continue;
          }
          target = templateNodeInfo(`template-node-for-${g.name}-${nodes.length}`, template);
          nodes.push(target);
        }
        target.addPod(pi);
        helped.push(pi);
      }
      if (nodes.length) options.push({ group: g, nodes, pods: helped });
    }

    const chosen = options.length ? await this.#expand(options) : undefined;
    const helpedKeys = new Set(chosen?.pods.map((p) => p.key));
    if (chosen) {
      const g = chosen.group;
      const from = g.targetSize();
      const to = from + chosen.nodes.length;
      await g.increaseSize(chosen.nodes.length);
      this.#lastScaleUp = now;
      this.#scaleUpRequests.set(g.name, { at: now, target: to });
      const msg = `pod triggered scale-up: [{${g.name} ${from}->${to} (max: ${g.maxSize()})}]`;
      for (const pi of chosen.pods) this.#recorder.event(asPod(pi.pod), 'Normal', 'TriggeredScaleUp', msg);
      void this.#statusEvent('Normal', 'ScaledUpGroup', `Scale-up: setting group ${g.name} size to ${to} instead of ${from} (max: ${g.maxSize()})`);
    }
    for (const pi of pending) {
      if (helpedKeys.has(pi.key)) continue;
      if (options.some((o) => o.pods.includes(pi))) continue; // would fit a group the expander did not pick
      const r = reasons.get(pi.key);
      const text = r && r.size ? reasonSummary(r) : 'no node group can take it';
      this.#recorder.event(asPod(pi.pod), 'Normal', 'NotTriggerScaleUp', `pod didn't trigger scale-up: ${text}`);
    }
    return !!chosen;
  }

  /** The expander: random, most-pods, least-waste or priority (from its ConfigMap). */
  async #expand(options: ScaleUpOption[]): Promise<ScaleUpOption> {
    const rnd = this.#o.random ?? Math.random;
    const pick = (xs: ScaleUpOption[]) => xs[Math.floor(rnd() * xs.length) % xs.length]!;
    const best = (score: (o: ScaleUpOption) => number) => {
      const top = Math.max(...options.map(score));
      return pick(options.filter((o) => score(o) === top));
    };
    switch (this.#o.profile.expander) {
      case 'most-pods':
        return best((o) => o.pods.length);
      case 'least-waste':
        return best((o) => {
          let cpuCap = 0;
          let memCap = 0;
          let cpu = 0;
          let mem = 0;
          for (const n of o.nodes) {
            cpuCap += n.allocatable.cpu;
            memCap += n.allocatable.memory;
            cpu += n.requested.cpu;
            mem += n.requested.memory;
          }
          const waste = (cpuCap ? (cpuCap - cpu) / cpuCap : 0) + (memCap ? (memCap - mem) / memCap : 0);
          return -waste;
        });
      case 'priority': {
        const prio = await this.#priorities();
        return best((o) => {
          let p = -Infinity;
          for (const [n, res] of prio) if (n > p && res.some((re) => re.test(o.group.name))) p = n;
          return p;
        });
      }
      default:
        return pick(options);
    }
  }

  /** The priority expander's ConfigMap: `priorities` maps a number to a list of group-name regexes. */
  async #priorities(): Promise<[number, RegExp[]][]> {
    try {
      const cm = await this.#client.resource('', 'configmaps', 'kube-system').get(PRIORITY_CONFIGMAP);
      const doc = parseYaml(cm.data?.priorities ?? '') as Record<string, string[]> | null;
      return Object.entries(doc ?? {}).map(([k, v]) => [Number(k), (v ?? []).map((s) => new RegExp(`^(?:${s})$`))]);
    } catch {
      return [];
    }
  }

  /** Why a pod pins its node (upstream drainability rules), or '' when it can move. */
  #blocker(pod: Obj, pdbBudget: Map<Obj, number>): string {
    const ann = pod.metadata?.annotations ?? {};
    if (ann[SAFE_TO_EVICT] === 'false') return 'NotSafeToEvictAnnotation';
    const pdbs = this.#pdbs.list(pod.metadata.namespace).filter((b) => {
      try {
        return selectorFromLabelSelector(b.spec?.selector ?? {}).matches(pod.metadata.labels ?? {});
      } catch {
        return false;
      }
    });
    for (const b of pdbs) {
      const left = pdbBudget.get(b) ?? b.status?.disruptionsAllowed ?? 0;
      if (left < 1) return 'NotEnoughPdb';
      pdbBudget.set(b, left - 1);
    }
    if (ann[SAFE_TO_EVICT] === 'true') return '';
    const p = this.#o.profile;
    if (!(pod.metadata?.ownerReferences ?? []).some((r: Obj) => r.controller)) return 'NotReplicated';
    if (p.skipNodesWithSystemPods && pod.metadata.namespace === 'kube-system' && pdbs.length === 0) return 'UnmovableKubeSystemPod';
    if (p.skipNodesWithLocalStorage && (pod.spec?.volumes ?? []).some((v: Obj) => v.emptyDir || v.hostPath)) return 'LocalStorageRequested';
    return '';
  }

  /** Nodes that are underused and whose pods fit elsewhere; keeps "unneeded since" times. */
  #findUnneeded(infos: Map<string, NodeInfo>, groups: NodeGroup[], now: number): { name: string; group: NodeGroup; empty: boolean; pods: PodInfo[] }[] {
    const p = this.#o.profile;
    const out: { name: string; group: NodeGroup; empty: boolean; pods: PodInfo[] }[] = [];
    // Destinations: a working copy the simulation fills as it goes.
    const work = new Map<string, NodeInfo>();
    for (const [n, ni] of infos) if (isReady(ni.node!) && !ni.unschedulable && !this.#deleting.has(n)) work.set(n, ni.clone());
    const seen = new Set<string>();
    const list: { ni: NodeInfo; group: NodeGroup; util: number; moving: PodInfo[] }[] = [];
    for (const g of groups) {
      for (const name of g.nodeNames()) {
        const ni = infos.get(name);
        if (!ni || this.#deleting.has(name)) continue;
        if (ni.node!.metadata?.annotations?.[SCALE_DOWN_DISABLED] === 'true') continue;
        const counted = ni.pods.filter((pi) => !isMirror(pi.pod) && !(p.ignoreDaemonsetsUtilization && isDaemonSetPod(pi.pod)));
        const util = utilization(ni, counted);
        if (util >= p.scaleDownUtilizationThreshold) continue;
        list.push({ ni, group: g, util, moving: ni.pods.filter((pi) => !drainSkips(pi.pod)) });
      }
    }
    list.sort((a, b) => a.util - b.util);
    const pdbBudget = new Map<Obj, number>();
    for (const c of list) {
      const { ni } = c;
      let ok = true;
      for (const pi of c.moving) {
        if (this.#blocker(pi.pod, pdbBudget)) {
          ok = false;
          break;
        }
      }
      if (ok) {
        // Every pod must land on another node (not itself, not one already chosen for removal).
        const placed: [NodeInfo, string][] = [];
        work.delete(ni.name);
        for (const pi of c.moving) {
          let dest: NodeInfo | undefined;
          for (const n of work.values()) {
            if (checkFit(pi, n) === null) {
              dest = n;
              break;
            }
          }
          if (!dest) {
            ok = false;
            break;
          }
          dest.addPod(pi);
          placed.push([dest, pi.key]);
        }
        if (!ok) {
          for (const [n, key] of placed) n.removePod(key);
          const self = infos.get(ni.name);
          if (self && isReady(self.node!) && !self.unschedulable) work.set(ni.name, self.clone());
        }
      }
      if (!ok) continue;
      seen.add(ni.name);
      if (!this.#unneededSince.has(ni.name)) this.#unneededSince.set(ni.name, now);
      out.push({ name: ni.name, group: c.group, empty: c.moving.length === 0, pods: c.moving });
    }
    for (const n of [...this.#unneededSince.keys()]) if (!seen.has(n)) this.#unneededSince.delete(n);
    return out;
  }

  #scaleDown(candidates: { name: string; group: NodeGroup; empty: boolean; pods: PodInfo[] }[], infos: Map<string, NodeInfo>, now: number): void {
    const p = this.#o.profile;
    const room = new Map<string, number>();
    for (const g of this.#o.groups) {
      let deleting = 0;
      for (const n of g.nodeNames()) if (this.#deleting.has(n)) deleting++;
      room.set(g.name, g.targetSize() - deleting - g.minSize());
    }
    const ripe = candidates.filter((c) => {
      const since = this.#unneededSince.get(c.name) ?? now;
      const ready = isReady(infos.get(c.name)!.node!);
      return now - since >= (ready ? p.scaleDownUnneededTimeMs : p.scaleDownUnreadyTimeMs);
    });
    const take = (c: { group: NodeGroup }) => {
      const r = room.get(c.group.name) ?? 0;
      if (r < 1) return false;
      room.set(c.group.name, r - 1);
      return true;
    };
    const empty = ripe.filter((c) => c.empty && take(c)).slice(0, p.maxEmptyBulkDelete);
    // One drain at a time (upstream's max-drain-parallelism default).
    const full = this.#draining ? undefined : ripe.find((c) => !c.empty && take(c));
    for (const c of empty) void this.#remove(c.name, c.group, [], now);
    if (full) void this.#remove(full.name, full.group, full.pods, now);
  }

  async #remove(name: string, group: NodeGroup, pods: PodInfo[], now: number): Promise<void> {
    this.#deleting.add(name);
    if (pods.length) this.#draining = true;
    this.#unneededSince.delete(name);
    const nodeRef = { apiVersion: 'v1', kind: 'Node', metadata: { name, uid: this.#nodes.get(name)?.metadata.uid, namespace: '' } };
    try {
      await this.#taint(name, true, now);
      this.#recorder.event(nodeRef, 'Normal', 'ScaleDown', 'marked the node as toBeDeleted/unschedulable');
      if (pods.length) {
        for (const pi of pods) this.#recorder.event(asPod(pi.pod), 'Normal', 'ScaleDown', 'deleting pod for node scale down');
        const p = this.#o.profile;
        await drainNode(this.#client, name, { timeoutMs: (p.maxGracefulTerminationSec + 120) * 1000, clock: this.#clock });
      }
      await group.deleteNodes([name]);
      this.#lastScaleDown = this.#clock.now();
      void this.#statusEvent('Normal', pods.length ? 'ScaleDown' : 'ScaleDownEmpty', pods.length ? `Scale-down: node ${name} removed with drain` : `Scale-down: removing empty node "${name}"`);
    } catch (e) {
      this.#lastScaleDownFailure = this.#clock.now();
      this.#recorder.event(nodeRef, 'Warning', 'ScaleDownFailed', `failed to drain the node: ${(e as Error).message}`);
      try {
        await this.#taint(name, false, now);
        await this.#client.nodes().patch(name, 'merge', { spec: { unschedulable: null } });
      } catch {
        // node gone
      }
      this.#o.onError?.(e);
    } finally {
      if (pods.length) this.#draining = false;
      this.#deleting.delete(name);
    }
  }

  /** Adds or removes the ToBeDeletedByClusterAutoscaler:NoSchedule taint. */
  async #taint(name: string, on: boolean, now: number): Promise<void> {
    const nodes = this.#client.nodes();
    for (let i = 0; i < 5; i++) {
      const node = await nodes.get(name);
      const taints: Obj[] = (node.spec?.taints ?? []).filter((t: Obj) => t.key !== TO_BE_DELETED_TAINT);
      if (on) taints.push({ key: TO_BE_DELETED_TAINT, value: String(Math.floor(now / 1000)), effect: 'NoSchedule' });
      try {
        await nodes.update({ ...node, spec: { ...(node.spec ?? {}), taints } });
        return;
      } catch (e) {
        if (isNotFound(e)) throw e;
      }
    }
  }

  async #statusEvent(type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    try {
      const cm = await this.#client.resource('', 'configmaps', 'kube-system').get(STATUS_CONFIGMAP);
      this.#recorder.event({ apiVersion: 'v1', kind: 'ConfigMap', ...cm }, type, reason, message);
    } catch {
      // no status ConfigMap yet
    }
  }

  async #writeStatus(now: number, groups: NodeGroup[], gs: Map<string, { counts: NodeCounts; upcoming: number }>, candidates: { name: string; group: NodeGroup }[]): Promise<void> {
    const prev = this.#status;
    const p = this.#o.profile;
    const total: NodeCounts = { total: 0, ready: 0, notStarted: 0, unready: 0, beingDeleted: 0, unregistered: 0, longUnregistered: 0 };
    for (const n of this.#nodes.list()) {
      total.total++;
      if (isReady(n)) total.ready++;
      else total.unready++;
      if (this.#deleting.has(n.metadata.name)) total.beingDeleted++;
    }
    let upcomingAll = 0;
    for (const { counts, upcoming } of gs.values()) {
      total.unregistered += counts.unregistered;
      total.longUnregistered += counts.longUnregistered;
      upcomingAll += upcoming;
    }
    const healthy = total.unready <= Math.max(p.okTotalUnreadyCount, (p.maxTotalUnreadyPercentage / 100) * total.total);
    const nodeGroups: GroupStatus[] = groups.map((g, i) => {
      const s = gs.get(g.name)!;
      const old = prev?.nodeGroups.find((x) => x.name === g.name) ?? prev?.nodeGroups[i];
      const cands = candidates.filter((c) => c.group === g).length;
      const backoff = s.counts.longUnregistered > 0;
      return {
        name: g.name,
        health: { ...probe(old?.health, 'Healthy', now), counts: s.counts, target: g.targetSize(), min: g.minSize(), max: g.maxSize() },
        scaleUp: {
          ...probe(old?.scaleUp, backoff ? 'Backoff' : s.upcoming > 0 ? 'InProgress' : 'NoActivity', now),
          ...(backoff ? { backoff: { errorCode: 'timeout', errorMessage: `Scale-up timed out for node group ${g.name} after ${Math.round(p.maxNodeProvisionTimeMs / 60_000)}m` } } : {}),
        },
        scaleDown: { ...probe(old?.scaleDown, cands ? 'CandidatesPresent' : 'NoCandidates', now), candidates: cands },
      };
    });
    const cw = {
      health: { ...probe(prev?.clusterWide.health, healthy ? 'Healthy' : 'Unhealthy', now), counts: total },
      scaleUp: probe(prev?.clusterWide.scaleUp, upcomingAll > 0 ? 'InProgress' : 'NoActivity', now),
      scaleDown: { ...probe(prev?.clusterWide.scaleDown, candidates.length ? 'CandidatesPresent' : 'NoCandidates', now), candidates: candidates.length },
    };
    this.#status = { time: now, autoscalerStatus: 'Running', clusterWide: cw, nodeGroups };
    const text = renderStatus(this.#status);
    const cms = this.#client.resource('', 'configmaps', 'kube-system');
    const body = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: STATUS_CONFIGMAP, namespace: 'kube-system', annotations: { 'cluster-autoscaler.kubernetes.io/last-updated': goTimeOf(now) } },
      data: { status: text },
    };
    try {
      await cms.patch(STATUS_CONFIGMAP, 'merge', { metadata: body.metadata, data: body.data });
    } catch (e) {
      if (!isNotFound(e)) throw e;
      try {
        await cms.create(body);
      } catch (e2) {
        if (!isAlreadyExists(e2)) throw e2;
      }
    }
  }

  /** The last status written (for tests and the service's diagnostics). */
  get status(): AutoscalerStatus | undefined {
    return this.#status;
  }
}

export type { Condition };
