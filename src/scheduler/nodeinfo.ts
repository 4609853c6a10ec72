// The scheduler's per-pod and per-node summaries, as kube-scheduler's framework.PodInfo and
// framework.NodeInfo: effective pod requests (containers, init containers incl. sidecars,
// overhead; non-zero defaults for scoring), host ports, parsed affinity terms, and per node the
// requested resources, pods, used ports and pods with affinity — kept incrementally.
import { Quantity } from '../machinery/quantity.ts';
import { selectorFromLabelSelector, type Selector } from '../machinery/labels.ts';
import type { Obj } from '../client/types.ts';

/** Defaults used for scoring when a container requests nothing (schedutil.DefaultMilliCPURequest etc.). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

const qcache = new Map<string, number>();
const mcache = new Map<string, number>();

/** A quantity in whole units (bytes, pods, devices), rounded up; cached by its string. */
export function qValue(v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return Math.ceil(v);
  const s = String(v);
  let n = qcache.get(s);
  if (n === undefined) {
    try {
      n = Quantity.parse(s).value();
    } catch {
      n = 0;
    }
    if (qcache.size > 50_000) qcache.clear();
    qcache.set(s, n);
  }
  return n;
}

/** A quantity in thousandths (CPU millicores), rounded up; cached by its string. */
export function qMilli(v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return Math.ceil(v * 1000);
  const s = String(v);
  let n = mcache.get(s);
  if (n === undefined) {
    try {
      n = Quantity.parse(s).milliValue();
    } catch {
      n = 0;
    }
    if (mcache.size > 50_000) mcache.clear();
    mcache.set(s, n);
  }
  return n;
}

/** Requests or capacity: cpu in millicores, the rest in units; other resources by name. */
export interface Resource {
  cpu: number;
  memory: number;
  ephemeralStorage: number;
  pods: number;
  scalar: Map<string, number> | null;
}

export const newResource = (): Resource => ({ cpu: 0, memory: 0, ephemeralStorage: 0, pods: 0, scalar: null });

function addList(r: Resource, list: Obj | undefined, nonZero: boolean): void {
  if (nonZero) {
    r.cpu += list && list.cpu !== undefined ? qMilli(list.cpu) : DEFAULT_MILLI_CPU_REQUEST;
    r.memory += list && list.memory !== undefined ? qValue(list.memory) : DEFAULT_MEMORY_REQUEST;
    return;
  }
  if (!list) return;
  for (const name in list) {
    const v = list[name];
    switch (name) {
      case 'cpu':
        r.cpu += qMilli(v);
        break;
      case 'memory':
        r.memory += qValue(v);
        break;
      case 'ephemeral-storage':
        r.ephemeralStorage += qValue(v);
        break;
      case 'pods':
        r.pods += qValue(v);
        break;
      default: {
        // hugepages-*, extended resources (example.com/foo), attachable volumes
        r.scalar ??= new Map();
        r.scalar.set(name, (r.scalar.get(name) ?? 0) + qValue(v));
      }
    }
  }
}

function addResource(r: Resource, o: Resource): void {
  r.cpu += o.cpu;
  r.memory += o.memory;
  r.ephemeralStorage += o.ephemeralStorage;
  r.pods += o.pods;
  if (o.scalar) for (const [k, v] of o.scalar) (r.scalar ??= new Map()).set(k, (r.scalar.get(k) ?? 0) + v);
}

function maxResource(r: Resource, o: Resource): void {
  r.cpu = Math.max(r.cpu, o.cpu);
  r.memory = Math.max(r.memory, o.memory);
  r.ephemeralStorage = Math.max(r.ephemeralStorage, o.ephemeralStorage);
  r.pods = Math.max(r.pods, o.pods);
  if (o.scalar) for (const [k, v] of o.scalar) (r.scalar ??= new Map()).set(k, Math.max(r.scalar.get(k) ?? 0, v));
}

const cloneResource = (r: Resource): Resource => ({ ...r, scalar: r.scalar ? new Map(r.scalar) : null });

/**
 * resourcehelper.PodRequests: the sum of the containers' requests, raised to the largest
 * init-container step (each plain init container runs beside the sidecars started before it;
 * sidecars — restartPolicy Always — stay for the pod's life), plus the pod overhead. With
 * `nonZero`, containers without a cpu/memory request count as 100m / 200Mi (scoring only).
 */
export function podRequests(pod: Obj, nonZero = false): Resource {
  const spec = pod.spec ?? {};
  const reqs = newResource();
  for (const c of spec.containers ?? []) addList(reqs, c.resources?.requests, nonZero);
  const inits: Obj[] | undefined = spec.initContainers;
  if (inits && inits.length) {
    const sidecars = newResource();
    const initMax = newResource();
    for (const c of inits) {
      const one = newResource();
      addList(one, c.resources?.requests, nonZero);
      if (c.restartPolicy === 'Always') {
        addResource(reqs, one);
        addResource(sidecars, one);
        maxResource(initMax, sidecars);
      } else {
        addResource(one, sidecars);
        maxResource(initMax, one);
      }
    }
    maxResource(reqs, initMax);
  }
  if (spec.overhead) addList(reqs, spec.overhead, false);
  return reqs;
}

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

export interface AffinityTerm {
  selector: Selector;
  namespaces: Set<string>;
  /** null: only `namespaces`; otherwise namespaces whose labels match also count. */
  namespaceSelector: Selector | null;
  topologyKey: string;
}

export interface WeightedTerm extends AffinityTerm {
  weight: number;
}

function parseTerm(t: Obj, podNs: string): AffinityTerm {
  let selector: Selector;
  try {
    selector = selectorFromLabelSelector(t.labelSelector ?? null);
    // A term without labelSelector matches nothing (metav1.LabelSelectorAsSelector(nil) = Nothing).
    if (!t.labelSelector) selector = NOTHING_SEL;
  } catch {
    selector = NOTHING_SEL;
  }
  const namespaces = new Set<string>(t.namespaces ?? []);
  let namespaceSelector: Selector | null = null;
  if (t.namespaceSelector) {
    try {
      namespaceSelector = selectorFromLabelSelector(t.namespaceSelector);
    } catch {
      namespaceSelector = null;
    }
  }
  if (namespaces.size === 0 && !namespaceSelector) namespaces.add(podNs);
  return { selector, namespaces, namespaceSelector, topologyKey: t.topologyKey ?? '' };
}

const NOTHING_SEL: Selector = {
  selectable: false,
  matches: () => false,
  empty: () => false,
  toString: () => '<none>',
  requirements: () => [],
  requiresExactMatch: () => undefined,
};

/** A pod with everything the plugins need computed once (framework.PodInfo). */
export class PodInfo {
  readonly pod: Obj;
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly priority: number;
  readonly requests: Resource;
  readonly nonZeroCpu: number;
  readonly nonZeroMemory: number;
  readonly ports: HostPort[];
  readonly requiredAffinity: AffinityTerm[];
  readonly requiredAntiAffinity: AffinityTerm[];
  readonly preferredAffinity: WeightedTerm[];
  readonly preferredAntiAffinity: WeightedTerm[];
  readonly terminating: boolean;
  readonly startTime: number;

  constructor(pod: Obj, priority: number) {
    this.pod = pod;
    const m = pod.metadata ?? {};
    this.namespace = m.namespace ?? '';
    this.name = m.name ?? '';
    this.key = `${this.namespace}/${this.name}`;
    this.labels = m.labels ?? {};
    this.priority = priority;
    this.requests = podRequests(pod);
    const nz = podRequests(pod, true);
    this.nonZeroCpu = nz.cpu;
    this.nonZeroMemory = nz.memory;
    this.terminating = !!m.deletionTimestamp;
    const st = pod.status?.startTime ?? m.creationTimestamp;
    this.startTime = st ? Date.parse(st) : 0;
    const ports: HostPort[] = [];
    const spec = pod.spec ?? {};
    for (const list of [spec.containers, spec.initContainers]) {
      for (const c of list ?? []) {
        for (const p of c.ports ?? []) {
          if (p.hostPort > 0) ports.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
        }
      }
    }
    this.ports = ports;
    const aff = spec.affinity ?? {};
    const pa = aff.podAffinity;
    const paa = aff.podAntiAffinity;
    const ns = this.namespace;
    this.requiredAffinity = (pa?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t: Obj) => parseTerm(t, ns));
    this.requiredAntiAffinity = (paa?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t: Obj) => parseTerm(t, ns));
    // (Inline arrows: a named one would cost tsx's keepNames a defineProperty per pod.)
    this.preferredAffinity = (pa?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w: Obj) => ({ ...parseTerm(w.podAffinityTerm ?? {}, ns), weight: w.weight ?? 0 }));
    this.preferredAntiAffinity = (paa?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w: Obj) => ({ ...parseTerm(w.podAffinityTerm ?? {}, ns), weight: w.weight ?? 0 }));
  }

  get hasAffinity(): boolean {
    return this.requiredAffinity.length + this.requiredAntiAffinity.length + this.preferredAffinity.length + this.preferredAntiAffinity.length > 0;
  }
}

export interface Taint {
  key: string;
  value: string;
  effect: string;
}

/** One node with its pods and what they use (framework.NodeInfo). */
export class NodeInfo {
  readonly name: string;
  node: Obj | null = null;
  labels: Record<string, string> = {};
  taints: Taint[] = [];
  unschedulable = false;
  allocatable: Resource = newResource();
  requested: Resource = newResource();
  nonZeroCpu = 0;
  nonZeroMemory = 0;
  pods: PodInfo[] = [];
  #index = new Map<string, number>();
  podsWithAffinity: PodInfo[] = [];
  podsWithRequiredAntiAffinity: PodInfo[] = [];
  /** `protocol/port` → ip → count */
  usedPorts = new Map<string, Map<string, number>>();
  generation = 0;

  constructor(name: string) {
    this.name = name;
  }

  setNode(node: Obj): void {
    this.node = node;
    this.labels = node.metadata?.labels ?? {};
    this.taints = node.spec?.taints ?? [];
    this.unschedulable = !!node.spec?.unschedulable;
    const alloc = node.status?.allocatable ?? node.status?.capacity ?? {};
    const r = newResource();
    addList(r, alloc, false);
    this.allocatable = r;
    this.generation++;
  }

  hasPod(key: string): boolean {
    return this.#index.has(key);
  }

  addPod(pi: PodInfo): void {
    if (this.#index.has(pi.key)) this.removePod(pi.key);
    this.#index.set(pi.key, this.pods.length);
    this.pods.push(pi);
    const r = pi.requests;
    this.requested.cpu += r.cpu;
    this.requested.memory += r.memory;
    this.requested.ephemeralStorage += r.ephemeralStorage;
    if (r.scalar) for (const [k, v] of r.scalar) (this.requested.scalar ??= new Map()).set(k, (this.requested.scalar.get(k) ?? 0) + v);
    this.nonZeroCpu += pi.nonZeroCpu;
    this.nonZeroMemory += pi.nonZeroMemory;
    if (pi.hasAffinity) this.podsWithAffinity.push(pi);
    if (pi.requiredAntiAffinity.length) this.podsWithRequiredAntiAffinity.push(pi);
    for (const p of pi.ports) {
      const k = `${p.protocol}/${p.port}`;
      let ips = this.usedPorts.get(k);
      if (!ips) this.usedPorts.set(k, (ips = new Map()));
      ips.set(p.ip, (ips.get(p.ip) ?? 0) + 1);
    }
    this.generation++;
  }

  /** Removes the pod with this key; returns it (or undefined). */
  removePod(key: string): PodInfo | undefined {
    const i = this.#index.get(key);
    if (i === undefined) return undefined;
    const pi = this.pods[i]!;
    const last = this.pods.pop()!;
    if (last !== pi) {
      this.pods[i] = last;
      this.#index.set(last.key, i);
    }
    this.#index.delete(key);
    const r = pi.requests;
    this.requested.cpu -= r.cpu;
    this.requested.memory -= r.memory;
    this.requested.ephemeralStorage -= r.ephemeralStorage;
    if (r.scalar && this.requested.scalar) for (const [k, v] of r.scalar) this.requested.scalar.set(k, (this.requested.scalar.get(k) ?? 0) - v);
    this.nonZeroCpu -= pi.nonZeroCpu;
    this.nonZeroMemory -= pi.nonZeroMemory;
    if (pi.hasAffinity) this.podsWithAffinity = this.podsWithAffinity.filter((p) => p.key !== key);
    if (pi.requiredAntiAffinity.length) this.podsWithRequiredAntiAffinity = this.podsWithRequiredAntiAffinity.filter((p) => p.key !== key);
    for (const p of pi.ports) {
      const k = `${p.protocol}/${p.port}`;
      const ips = this.usedPorts.get(k);
      if (!ips) continue;
      const n = (ips.get(p.ip) ?? 0) - 1;
      if (n > 0) ips.set(p.ip, n);
      else ips.delete(p.ip);
      if (ips.size === 0) this.usedPorts.delete(k);
    }
    this.generation++;
    return pi;
  }

  /** A copy whose pod list can change without touching this one (preemption dry runs). */
  clone(): NodeInfo {
    const c = new NodeInfo(this.name);
    c.node = this.node;
    c.labels = this.labels;
    c.taints = this.taints;
    c.unschedulable = this.unschedulable;
    c.allocatable = this.allocatable;
    c.requested = cloneResource(this.requested);
    c.nonZeroCpu = this.nonZeroCpu;
    c.nonZeroMemory = this.nonZeroMemory;
    c.pods = this.pods.slice();
    for (let i = 0; i < c.pods.length; i++) c.#index.set(c.pods[i]!.key, i);
    c.podsWithAffinity = this.podsWithAffinity.slice();
    c.podsWithRequiredAntiAffinity = this.podsWithRequiredAntiAffinity.slice();
    for (const [k, ips] of this.usedPorts) c.usedPorts.set(k, new Map(ips));
    c.generation = this.generation;
    return c;
  }

  /** Whether `p` conflicts with a used host port (0.0.0.0 conflicts with every address). */
  portInUse(p: HostPort): boolean {
    const ips = this.usedPorts.get(`${p.protocol}/${p.port}`);
    if (!ips) return false;
    if (p.ip === '0.0.0.0') return ips.size > 0;
    return ips.has(p.ip) || ips.has('0.0.0.0');
  }
}

export { addList as addResourceList, cloneResource };
