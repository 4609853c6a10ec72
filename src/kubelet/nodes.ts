// The Node and node Lease objects a kubelet registers and heartbeats (kubelet node status setters and
// the node lease controller): capacity, the pressure and Ready conditions with upstream reasons,
// addresses, nodeInfo, default labels, and a Lease in kube-node-lease renewed every 10 s.
import type { Obj } from '../client/types.ts';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const NODE_LEASE_DURATION_SECONDS = 40;
export const NODE_LEASE_RENEW_MS = 10_000;
/** nodeStatusReportFrequency: status is posted at least this often even if nothing changed. */
export const NODE_STATUS_REPORT_MS = 5 * 60_000;
export const KUBELET_PORT = 10250;

/** metav1.Time: RFC 3339 with seconds. */
export function rfc3339(ms: number): string {
  const sec = Math.floor(ms / 1000);
  // Thousands of statuses are written within the same second: format it once.
  if (sec !== lastSec) {
    lastSec = sec;
    lastText = new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
  }
  return lastText;
}
let lastSec = NaN;
let lastText = '';

/** metav1.MicroTime as Lease fields carry it. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export interface NodeSpecInput {
  name: string;
  cpu: string | number;
  memory: string;
  /** Max pods (kubelet --max-pods, default 110). */
  pods?: number;
  ephemeralStorage?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  taints?: Obj[];
  /** Sets node.kubernetes.io/instance-type. */
  instanceType?: string;
  /** Marks the node unschedulable at registration (kubelet --register-schedulable=false). */
  unschedulable?: boolean;
}

export interface NodeIdentity {
  address: string;
  podCIDR: string;
  kubeletVersion: string;
  containerRuntimeVersion: string;
  osImage?: string;
  kernelVersion?: string;
  architecture?: string;
  /** Stable per node: machineID, systemUUID and bootID are derived from it. */
  uid?: string;
}

/** The labels every kubelet sets on its Node (updateDefaultLabels), then the node's own. */
export function nodeLabels(spec: NodeSpecInput, arch = 'amd64'): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': arch,
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': arch,
    'kubernetes.io/hostname': spec.name,
    'kubernetes.io/os': 'linux',
    ...(spec.instanceType ? { 'node.kubernetes.io/instance-type': spec.instanceType, 'beta.kubernetes.io/instance-type': spec.instanceType } : {}),
    ...(spec.labels ?? {}),
  };
}

export function nodeCapacity(spec: NodeSpecInput): Record<string, string> {
  return {
    cpu: String(spec.cpu),
    'ephemeral-storage': spec.ephemeralStorage ?? '100Gi',
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    memory: spec.memory,
    pods: String(spec.pods ?? 110),
  };
}

/** The four conditions a healthy kubelet posts, with upstream reasons and messages. */
export function nodeConditions(heartbeat: number, transitions: { memory?: number; disk?: number; pid?: number; ready?: number } = {}): Obj[] {
  const hb = rfc3339(heartbeat);
  const c = (type: string, status: string, reason: string, message: string, at?: number) => ({
    type,
    status,
    lastHeartbeatTime: hb,
    lastTransitionTime: rfc3339(at ?? heartbeat),
    reason,
    message,
  });
  return [
    c('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available', transitions.memory),
    c('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure', transitions.disk),
    c('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available', transitions.pid),
    c('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status', transitions.ready),
  ];
}

/**
 * Keeps a condition's lastTransitionTime when its status did not change since `old` (the kubelet
 * only moves it on a transition).
 */
export function transitionTimes(old: Obj | undefined): { memory?: number; disk?: number; pid?: number; ready?: number } {
  const out: Record<string, number> = {};
  const keys: Record<string, [string, string]> = { memory: ['MemoryPressure', 'False'], disk: ['DiskPressure', 'False'], pid: ['PIDPressure', 'False'], ready: ['Ready', 'True'] };
  const conds: Obj[] = old?.status?.conditions ?? [];
  for (const [k, [type, status]] of Object.entries(keys)) {
    const c = conds.find((x) => x.type === type);
    if (c && c.status === status && c.lastTransitionTime) out[k] = Date.parse(c.lastTransitionTime);
  }
  return out;
}

function hex(seed: string, len: number): string {
  // FNV-1a, repeated: stable ids without crypto on a hot path.
  let out = '';
  let h = 0x811c9dc5;
  for (let round = 0; out.length < len; round++) {
    for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193) >>> 0;
    h = Math.imul(h ^ round, 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, len);
}

export function nodeStatus(spec: NodeSpecInput, id: NodeIdentity, now: number, old?: Obj): Obj {
  const capacity = nodeCapacity(spec);
  const seed = id.uid ?? spec.name;
  const uuid = hex(`${seed}/uuid`, 32);
  return {
    capacity,
    allocatable: { ...capacity },
    conditions: nodeConditions(now, transitionTimes(old)),
    addresses: [
      { type: 'InternalIP', address: id.address },
      { type: 'Hostname', address: spec.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: KUBELET_PORT } },
    nodeInfo: {
      machineID: hex(`${seed}/machine`, 32),
      systemUUID: `${uuid.slice(0, 8)}-${uuid.slice(8, 12)}-${uuid.slice(12, 16)}-${uuid.slice(16, 20)}-${uuid.slice(20, 32)}`,
      bootID: hex(`${seed}/boot`, 32).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'),
      kernelVersion: id.kernelVersion ?? '6.1.0-skiff',
      osImage: id.osImage ?? 'Skiff Simulated Linux',
      containerRuntimeVersion: id.containerRuntimeVersion,
      kubeletVersion: id.kubeletVersion,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: id.architecture ?? 'amd64',
    },
  };
}

/** The Node object a kubelet creates when it registers. */
export function nodeObject(spec: NodeSpecInput, id: NodeIdentity, now: number): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: spec.name,
      labels: nodeLabels(spec, id.architecture),
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
        ...(spec.annotations ?? {}),
      },
    },
    spec: {
      podCIDR: id.podCIDR,
      podCIDRs: [id.podCIDR],
      ...(spec.taints && spec.taints.length ? { taints: spec.taints } : {}),
      ...(spec.unschedulable ? { unschedulable: true } : {}),
    },
    status: nodeStatus(spec, id, now),
  };
}

/** The node's Lease in kube-node-lease, owned by its Node (the kubelet's node lease controller). */
export function nodeLease(name: string, nodeUid: string | undefined, now: number, durationSeconds = NODE_LEASE_DURATION_SECONDS): Obj {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name,
      namespace: NODE_LEASE_NAMESPACE,
      ...(nodeUid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: nodeUid }] } : {}),
    },
    spec: { holderIdentity: name, leaseDurationSeconds: durationSeconds, renewTime: microTime(now) },
  };
}

/** The InternalIP of a Node, if it has one. */
export function nodeInternalIP(node: Obj): string | undefined {
  for (const a of node.status?.addresses ?? []) if (a?.type === 'InternalIP') return a.address;
  return undefined;
}
