// The scheduler cache, as kube-scheduler's internal/cache: node infos kept incrementally from
// informer events, "assumed" pods (added on Reserve before binding, confirmed when the bound pod is
// observed, forgotten when binding fails), the zone-interleaved node order of upstream's node tree,
// and a shared index of "pods matching selector S per node" for topology spreading.
import type { Selector } from '../machinery/labels.ts';
import type { Obj } from '../client/types.ts';
import { NodeInfo, type PodInfo } from './nodeinfo.ts';

const ZONE = 'topology.kubernetes.io/zone';
const REGION = 'topology.kubernetes.io/region';

interface PodState {
  pi: PodInfo;
  node: string;
  assumed: boolean;
}

interface SelectorIndex {
  namespace: string;
  selector: Selector;
  counts: Map<string, number>;
  /** topologyKey → domain value → matching pods (built on demand, kept incrementally). */
  domains: Map<string, Map<string, number>>;
  used: number;
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  let n = 0;
  for (const k in a) {
    if (a[k] !== b[k]) return false;
    n++;
  }
  for (const _ in b) n--;
  return n === 0;
}

const MAX_SELECTOR_INDEXES = 512;

export class SchedulerCache {
  readonly nodes = new Map<string, NodeInfo>();
  #pods = new Map<string, PodState>();
  #order: NodeInfo[] | null = null;
  #selectors = new Map<string, SelectorIndex>();
  #domainNodes = new Map<string, Map<string, number>>();
  #tick = 0;
  /** How many placed pods have any affinity term / required anti-affinity (lets plugins skip scans). */
  podsWithAffinity = 0;
  podsWithRequiredAntiAffinity = 0;

  /** Nodes that have a Node object, zones interleaved round-robin (upstream nodeTree order). */
  nodeList(): NodeInfo[] {
    if (this.#order) return this.#order;
    const zones = new Map<string, NodeInfo[]>();
    for (const ni of this.nodes.values()) {
      if (!ni.node) continue;
      const z = `${ni.labels[REGION] ?? ''}:\0:${ni.labels[ZONE] ?? ''}`;
      let l = zones.get(z);
      if (!l) zones.set(z, (l = []));
      l.push(ni);
    }
    const lists = [...zones.values()];
    const out: NodeInfo[] = [];
    for (let i = 0; ; i++) {
      let any = false;
      for (const l of lists) {
        if (i < l.length) {
          out.push(l[i]!);
          any = true;
        }
      }
      if (!any) break;
    }
    this.#order = out;
    return out;
  }

  #nodeInfo(name: string): NodeInfo {
    let ni = this.nodes.get(name);
    if (!ni) this.nodes.set(name, (ni = new NodeInfo(name)));
    return ni;
  }

  addNode(node: Obj): void {
    const ni = this.#nodeInfo(node.metadata.name);
    const had = !!ni.node;
    const before = ni.labels;
    ni.setNode(node);
    if (!had || !sameLabels(before, ni.labels)) {
      this.#order = null;
      this.#invalidateDomains();
    }
  }

  removeNode(name: string): void {
    const ni = this.nodes.get(name);
    if (!ni) return;
    // Pods still on a deleted node stay (as a ghost node) until their own deletes arrive.
    if (ni.pods.length) {
      ni.node = null;
      ni.labels = {};
    } else this.nodes.delete(name);
    this.#order = null;
    this.#invalidateDomains();
  }

  // --- pods ---------------------------------------------------------------------------------

  #invalidateDomains(): void {
    this.#domainNodes.clear();
    for (const idx of this.#selectors.values()) idx.domains.clear();
  }

  #bumpDomains(idx: SelectorIndex, node: string, n: number): void {
    if (!idx.domains.size) return;
    const labels = this.nodes.get(node)?.labels;
    if (!labels) return;
    for (const [key, m] of idx.domains) {
      const v = labels[key];
      if (v === undefined) continue;
      const c = (m.get(v) ?? 0) + n;
      if (c > 0) m.set(v, c);
      else m.delete(v);
    }
  }

  #place(pi: PodInfo, node: string): void {
    this.#nodeInfo(node).addPod(pi);
    if (pi.hasAffinity) this.podsWithAffinity++;
    if (pi.requiredAntiAffinity.length) this.podsWithRequiredAntiAffinity++;
    if (this.#selectors.size) {
      for (const idx of this.#selectors.values()) {
        if (idx.namespace === pi.namespace && !pi.terminating && idx.selector.matches(pi.labels)) {
          idx.counts.set(node, (idx.counts.get(node) ?? 0) + 1);
          this.#bumpDomains(idx, node, 1);
        }
      }
    }
  }

  #unplace(key: string, node: string): void {
    const ni = this.nodes.get(node);
    const pi = ni?.removePod(key);
    if (!ni || !pi) return;
    if (pi.hasAffinity) this.podsWithAffinity--;
    if (pi.requiredAntiAffinity.length) this.podsWithRequiredAntiAffinity--;
    if (!ni.node && ni.pods.length === 0) this.nodes.delete(node);
    if (this.#selectors.size) {
      for (const idx of this.#selectors.values()) {
        if (idx.namespace === pi.namespace && !pi.terminating && idx.selector.matches(pi.labels)) {
          const n = (idx.counts.get(node) ?? 0) - 1;
          if (n > 0) idx.counts.set(node, n);
          else idx.counts.delete(node);
          this.#bumpDomains(idx, node, -1);
        }
      }
    }
  }

  /** A bound pod was observed (add or update): confirms an assumed pod or (re)places it. */
  addOrUpdatePod(pi: PodInfo, node: string): void {
    const cur = this.#pods.get(pi.key);
    if (cur) this.#unplace(pi.key, cur.node);
    this.#pods.set(pi.key, { pi, node, assumed: false });
    this.#place(pi, node);
  }

  removePod(key: string): void {
    const cur = this.#pods.get(key);
    if (!cur) return;
    this.#unplace(key, cur.node);
    this.#pods.delete(key);
  }

  /** Reserve: the pod counts on `node` from now on, before the API server knows. */
  assume(pi: PodInfo, node: string): void {
    this.addOrUpdatePod(pi, node);
    this.#pods.get(pi.key)!.assumed = true;
  }

  /** Binding failed: undo assume (only if the pod is still the assumed one). */
  forget(key: string): void {
    const cur = this.#pods.get(key);
    if (cur?.assumed) this.removePod(key);
  }

  isAssumed(key: string): boolean {
    return !!this.#pods.get(key)?.assumed;
  }

  podNode(key: string): string | undefined {
    return this.#pods.get(key)?.node;
  }

  podInfo(key: string): PodInfo | undefined {
    return this.#pods.get(key)?.pi;
  }

  get podCount(): number {
    return this.#pods.size;
  }

  // --- selector index -----------------------------------------------------------------------

  /** Per-node counts of non-terminating pods in `namespace` matching `selector`, kept live. */
  selectorCounts(namespace: string, selector: Selector, selectorKey: string): Map<string, number> {
    const key = `${namespace}\0${selectorKey}`;
    let idx = this.#selectors.get(key);
    if (!idx) {
      if (this.#selectors.size >= MAX_SELECTOR_INDEXES) {
        let victim: string | undefined;
        let least = Infinity;
        for (const [k, v] of this.#selectors) if (v.used < least) ((least = v.used), (victim = k));
        if (victim) this.#selectors.delete(victim);
      }
      const counts = new Map<string, number>();
      for (const st of this.#pods.values()) {
        const pi = st.pi;
        if (pi.namespace === namespace && !pi.terminating && selector.matches(pi.labels)) counts.set(st.node, (counts.get(st.node) ?? 0) + 1);
      }
      idx = { namespace, selector, counts, domains: new Map(), used: 0 };
      this.#selectors.set(key, idx);
    }
    idx.used = ++this.#tick;
    return idx.counts;
  }

  /** Matching pods per value of `topologyKey` (nodes with a Node object and that label), kept live. */
  selectorDomainCounts(namespace: string, selector: Selector, selectorKey: string, topologyKey: string): Map<string, number> {
    this.selectorCounts(namespace, selector, selectorKey);
    const idx = this.#selectors.get(`${namespace}\0${selectorKey}`)!;
    let m = idx.domains.get(topologyKey);
    if (!m) {
      m = new Map();
      for (const [node, n] of idx.counts) {
        const ni = this.nodes.get(node);
        const v = ni?.node ? ni.labels[topologyKey] : undefined;
        if (v !== undefined) m.set(v, (m.get(v) ?? 0) + n);
      }
      idx.domains.set(topologyKey, m);
    }
    return m;
  }

  /** Values of `topologyKey` among nodes, with how many nodes carry each. */
  domainNodes(topologyKey: string): Map<string, number> {
    let m = this.#domainNodes.get(topologyKey);
    if (!m) {
      m = new Map();
      for (const ni of this.nodes.values()) {
        if (!ni.node) continue;
        const v = ni.labels[topologyKey];
        if (v !== undefined) m.set(v, (m.get(v) ?? 0) + 1);
      }
      this.#domainNodes.set(topologyKey, m);
    }
    return m;
  }
}
