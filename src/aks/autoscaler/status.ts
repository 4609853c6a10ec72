// The `cluster-autoscaler-status` ConfigMap text in the format cluster-autoscaler ≥ 1.30 writes
// (clusterstate/api ClusterAutoscalerStatus as YAML under data.status): cluster-wide and per node
// group health with node counts, scale-up and scale-down conditions, probe/transition times.

export interface NodeCounts {
  total: number;
  ready: number;
  notStarted: number;
  unready: number;
  beingDeleted: number;
  /** Nodes a group wants that have not registered yet. */
  unregistered: number;
  longUnregistered: number;
}

export interface Condition {
  status: string;
  lastProbeTime: number;
  lastTransitionTime: number;
}

export interface GroupStatus {
  name: string;
  health: Condition & { counts: NodeCounts; target: number; min: number; max: number };
  scaleUp: Condition & { backoff?: { errorCode: string; errorMessage: string } };
  scaleDown: Condition & { candidates: number };
}

export interface AutoscalerStatus {
  time: number;
  autoscalerStatus: 'Running' | 'Initializing';
  message?: string;
  clusterWide: { health: Condition & { counts: NodeCounts }; scaleUp: Condition; scaleDown: Condition & { candidates: number } };
  nodeGroups: GroupStatus[];
}

/** Go's time.Time.String() in UTC: `2026-01-01 10:00:00.5 +0000 UTC`. */
export function goTime(ms: number): string {
  const d = new Date(ms);
  const iso = d.toISOString(); // 2026-01-01T10:00:00.500Z
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? `.${frac}` : ''} +0000 UTC`;
}

/** metav1.Time as YAML writes it (RFC 3339, seconds). */
const metaTime = (ms: number) => `"${new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')}"`;

function counts(c: NodeCounts, pad: string): string[] {
  const out = [
    `${pad}nodeCounts:`,
    `${pad}  registered:`,
    `${pad}    total: ${c.total}`,
    `${pad}    ready: ${c.ready}`,
    `${pad}    notStarted: ${c.notStarted}`,
  ];
  if (c.beingDeleted) out.push(`${pad}    beingDeleted: ${c.beingDeleted}`);
  out.push(`${pad}    unready:`, `${pad}      total: ${c.unready}`, `${pad}      resourceUnready: 0`);
  out.push(`${pad}  longUnregistered: ${c.longUnregistered}`, `${pad}  unregistered: ${c.unregistered}`);
  return out;
}

function times(c: Condition, pad: string): string[] {
  return [`${pad}lastProbeTime: ${metaTime(c.lastProbeTime)}`, `${pad}lastTransitionTime: ${metaTime(c.lastTransitionTime)}`];
}

/** The YAML document stored under data.status. */
export function renderStatus(s: AutoscalerStatus): string {
  const l: string[] = [`time: ${goTime(s.time)}`, `autoscalerStatus: ${s.autoscalerStatus}`];
  if (s.message) l.push(`message: ${JSON.stringify(s.message)}`);
  const cw = s.clusterWide;
  l.push('clusterWide:', '  health:', `    status: ${cw.health.status}`, ...counts(cw.health.counts, '    '), ...times(cw.health, '    '));
  l.push('  scaleUp:', `    status: ${cw.scaleUp.status}`, ...times(cw.scaleUp, '    '));
  l.push('  scaleDown:', `    status: ${cw.scaleDown.status}`);
  if (cw.scaleDown.candidates) l.push(`    candidates: ${cw.scaleDown.candidates}`);
  l.push(...times(cw.scaleDown, '    '));
  if (s.nodeGroups.length) {
    l.push('nodeGroups:');
    for (const g of s.nodeGroups) {
      l.push(`- name: ${g.name}`, '  health:', `    status: ${g.health.status}`, ...counts(g.health.counts, '    '));
      l.push(`    cloudProviderTarget: ${g.health.target}`, `    minSize: ${g.health.min}`, `    maxSize: ${g.health.max}`, ...times(g.health, '    '));
      l.push('  scaleUp:', `    status: ${g.scaleUp.status}`);
      if (g.scaleUp.backoff) l.push('    backoffInfo:', `      errorCode: ${g.scaleUp.backoff.errorCode}`, `      errorMessage: ${JSON.stringify(g.scaleUp.backoff.errorMessage)}`);
      l.push(...times(g.scaleUp, '    '));
      l.push('  scaleDown:', `    status: ${g.scaleDown.status}`);
      if (g.scaleDown.candidates) l.push(`    candidates: ${g.scaleDown.candidates}`);
      l.push(...times(g.scaleDown, '    '));
    }
  }
  return l.join('\n') + '\n';
}

/** Keeps lastTransitionTime across probes: returns a condition with `status` probed at `now`. */
export function probe(prev: Condition | undefined, status: string, now: number): Condition {
  return { status, lastProbeTime: now, lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime : now };
}
