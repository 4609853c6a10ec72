// Per-resource column definitions and row cells of kube-apiserver 1.32's built-in table printers
// (pkg/printers/internalversion): what `kubectl get <resource>` shows for every built-in kind.

import { humanDuration } from '../../machinery/duration.ts';
import {
  accessModes, age, condition, containerImages, containerNames, formatLabels, formatSelector, int,
  intOrString, listWithMore, quantity, selectorString, since, timeMs, type Obj,
} from './format.ts';
import { podCells, podRowConditions } from './pod.ts';

/** A column as kube-apiserver declares it; description '@Model.field' is resolved from the API docs. */
export type ColumnSpec = readonly [name: string, type: string, description: string, priority?: number, format?: string];

export interface Printer {
  columns: readonly ColumnSpec[];
  /** All cells of one object's row (wide columns included, as the server always prints wide). */
  cells(obj: Obj, now: number): unknown[];
  conditions?(obj: Obj): Obj[] | undefined;
}

export const NAME: ColumnSpec = ['Name', 'string', '@V1ObjectMeta.name', 0, 'name'];
export const AGE: ColumnSpec = ['Age', 'string', '@V1ObjectMeta.creationTimestamp'];
const CONTAINERS: ColumnSpec = ['Containers', 'string', 'Names of each container in the template.', 1];
const IMAGES: ColumnSpec = ['Images', 'string', 'Images referenced by each container in the template.', 1];

const name = (o: Obj): string => o.metadata?.name ?? '';

// ---- core ------------------------------------------------------------------------------------

const pods: Printer = {
  columns: [
    NAME,
    ['Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'],
    ['Status', 'string', 'The aggregate status of the containers in this pod.'],
    ['Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'],
    AGE,
    ['IP', 'string', '@V1PodStatus.podIP', 1],
    ['Node', 'string', '@V1PodSpec.nodeName', 1],
    ['Nominated Node', 'string', '@V1PodStatus.nominatedNodeName', 1],
    ['Readiness Gates', 'string', '@V1PodSpec.readinessGates', 1],
  ],
  cells: podCells,
  conditions: podRowConditions,
};

const podtemplates: Printer = {
  columns: [
    NAME,
    ['Containers', 'string', 'Names of each container in the template.'],
    ['Images', 'string', 'Images referenced by each container in the template.'],
    ['Pod Labels', 'string', 'The labels for the pod template.'],
  ],
  cells: (o) => [name(o), containerNames(o.template?.spec), containerImages(o.template?.spec), formatLabels(o.template?.metadata?.labels)],
};

const replicationcontrollers: Printer = {
  columns: [
    NAME,
    ['Desired', 'integer', '@V1ReplicationControllerSpec.replicas'],
    ['Current', 'integer', '@V1ReplicationControllerStatus.replicas'],
    ['Ready', 'integer', '@V1ReplicationControllerStatus.readyReplicas'],
    AGE, CONTAINERS, IMAGES,
    ['Selector', 'string', '@V1ReplicationControllerSpec.selector', 1],
  ],
  cells: (o, now) => [
    name(o), int(o.spec?.replicas), int(o.status?.replicas), int(o.status?.readyReplicas), age(o, now),
    containerNames(o.spec?.template?.spec), containerImages(o.spec?.template?.spec), formatLabels(o.spec?.selector),
  ],
};

function serviceExternalIP(svc: Obj): string {
  const spec = svc.spec ?? {};
  const external: string[] = spec.externalIPs ?? [];
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return external.length > 0 ? external.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerAddresses(svc.status?.loadBalancer?.ingress);
      if (external.length > 0) return lb.concat(external).join(',');
      return lb.length > 0 ? lb.join(',') : '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '';
  }
  return '<unknown>';
}

/** Unique ip (or hostname) of load-balancer ingress points, sorted. */
function loadBalancerAddresses(ingress: Obj[] | undefined): string[] {
  if (!ingress || ingress.length === 0) return [];
  const set = new Set<string>();
  for (const i of ingress) {
    if (i.ip) set.add(i.ip);
    else if (i.hostname) set.add(i.hostname);
  }
  return [...set].sort();
}

function servicePorts(ports: Obj[] | undefined): string {
  if (!ports || ports.length === 0) return '<none>';
  let out = '';
  for (let i = 0; i < ports.length; i++) {
    const p = ports[i]!;
    out += (i > 0 ? ',' : '') + (p.port ?? 0) + (p.nodePort > 0 ? ':' + p.nodePort : '') + '/' + (p.protocol ?? '');
  }
  return out;
}

const services: Printer = {
  columns: [
    NAME,
    ['Type', 'string', '@V1ServiceSpec.type'],
    ['Cluster-IP', 'string', '@V1ServiceSpec.clusterIP'],
    ['External-IP', 'string', '@V1ServiceSpec.externalIPs'],
    ['Port(s)', 'string', '@V1ServiceSpec.ports'],
    AGE,
    ['Selector', 'string', '@V1ServiceSpec.selector', 1],
  ],
  cells: (o, now) => {
    const spec = o.spec ?? {};
    // v1 → internal conversion fills clusterIPs from clusterIP when only the latter is set.
    const clusterIP = (spec.clusterIPs && spec.clusterIPs.length > 0 ? spec.clusterIPs[0] : spec.clusterIP) || '<none>';
    return [name(o), spec.type ?? '', clusterIP, serviceExternalIP(o), servicePorts(spec.ports), age(o, now), formatLabels(spec.selector)];
  },
};

function hostPort(ip: string, port: unknown): string {
  return (ip.includes(':') ? '[' + ip + ']' : ip) + ':' + port;
}

function formatEndpoints(subsets: Obj[] | undefined): string {
  if (!subsets || subsets.length === 0) return '<none>';
  const list: string[] = [];
  let total = 0;
  for (const ss of subsets) {
    const addrs: Obj[] = ss.addresses ?? [];
    const ports: Obj[] = ss.ports ?? [];
    if (ports.length === 0) {
      total += addrs.length;
      for (const a of addrs) {
        if (list.length === 3) break;
        list.push(a.ip ?? '');
      }
      continue;
    }
    for (const p of ports) {
      total += addrs.length;
      for (const a of addrs) {
        if (list.length === 3) break;
        list.push(hostPort(a.ip ?? '', p.port ?? 0));
      }
    }
  }
  return listWithMore(list, total, 3, '');
}

const endpoints: Printer = {
  columns: [NAME, ['Endpoints', 'string', '@V1Endpoints.subsets'], AGE],
  cells: (o, now) => [name(o), formatEndpoints(o.subsets), age(o, now)],
};

const nodes: Printer = {
  columns: [
    NAME,
    ['Status', 'string', 'The status of the node'],
    ['Roles', 'string', 'The roles of the node'],
    AGE,
    ['Version', 'string', '@V1NodeSystemInfo.kubeletVersion'],
    ['Internal-IP', 'string', '@V1NodeStatus.addresses', 1],
    ['External-IP', 'string', '@V1NodeStatus.addresses', 1],
    ['OS-Image', 'string', '@V1NodeSystemInfo.osImage', 1],
    ['Kernel-Version', 'string', '@V1NodeSystemInfo.kernelVersion', 1],
    ['Container-Runtime', 'string', '@V1NodeSystemInfo.containerRuntimeVersion', 1],
  ],
  cells: (o, now) => {
    const st = o.status ?? {};
    const info = st.nodeInfo ?? {};
    return [
      name(o), nodeStatus(o), nodeRoles(o.metadata?.labels), age(o, now), info.kubeletVersion ?? '',
      nodeAddress(st.addresses, 'InternalIP'), nodeAddress(st.addresses, 'ExternalIP'),
      info.osImage || '<unknown>', info.kernelVersion || '<unknown>', info.containerRuntimeVersion || '<unknown>',
    ];
  },
};

const ROLE_PREFIX = 'node-role.kubernetes.io/';

function nodeRoles(labels: Record<string, string> | undefined): string {
  if (!labels) return '<none>';
  const roles = new Set<string>();
  for (const k in labels) {
    if (k.startsWith(ROLE_PREFIX)) {
      if (k.length > ROLE_PREFIX.length) roles.add(k.slice(ROLE_PREFIX.length));
    } else if (k === 'kubernetes.io/role' && labels[k]) {
      roles.add(labels[k]!);
    }
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
}

function nodeStatus(node: Obj): string {
  let ready: Obj | undefined;
  for (const c of (node.status?.conditions as Obj[] | undefined) ?? []) if (c.type === 'Ready') ready = c;
  let s = ready === undefined ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady';
  if (node.spec?.unschedulable) s += ',SchedulingDisabled';
  return s;
}

function nodeAddress(addresses: Obj[] | undefined, type: string): string {
  if (addresses) for (const a of addresses) if (a.type === type) return a.address;
  return '<none>';
}

/** core/v1 Event, or events.k8s.io/v1 Event mapped to the core field names (as the internal type does). */
function eventCells(o: Obj, now: number): unknown[] {
  const isNew = typeof o.apiVersion === 'string' ? o.apiVersion.startsWith('events.k8s.io/') : o.regarding !== undefined && o.involvedObject === undefined;
  const involved: Obj = (isNew ? o.regarding : o.involvedObject) ?? {};
  const source: Obj = (isNew ? o.deprecatedSource : o.source) ?? {};
  const firstTs = isNew ? o.deprecatedFirstTimestamp : o.firstTimestamp;
  const lastTs = isNew ? o.deprecatedLastTimestamp : o.lastTimestamp;
  let count: number = int(isNew ? o.deprecatedCount : o.count);
  const message: string = (isNew ? o.note : o.message) ?? '';

  const first = timeMs(firstTs) !== null ? since(firstTs, now) : since(o.eventTime, now);
  let last = timeMs(lastTs) !== null ? since(lastTs, now) : first;
  if (o.series) {
    last = since(o.series.lastObservedTime, now);
    count = int(o.series.count);
  } else if (count === 0) {
    count = 1;
  }
  const kind = String(involved.kind ?? '').toLowerCase();
  const target = involved.name ? kind + '/' + involved.name : kind;
  const component = source.component || o.reportingController || '';
  const host = source.host || o.reportingInstance || '';
  return [
    last, o.type ?? '', o.reason ?? '', target, involved.fieldPath ?? '',
    host ? component + ', ' + host : component, message.trim(), first, count, name(o),
  ];
}

const events: Printer = {
  columns: [
    ['Last Seen', 'string', '@CoreV1Event.lastTimestamp'],
    ['Type', 'string', '@CoreV1Event.type'],
    ['Reason', 'string', '@CoreV1Event.reason'],
    ['Object', 'string', '@CoreV1Event.involvedObject'],
    ['Subobject', 'string', '@V1ObjectReference.fieldPath', 1],
    ['Source', 'string', '@CoreV1Event.source', 1],
    ['Message', 'string', '@CoreV1Event.message'],
    ['First Seen', 'string', '@CoreV1Event.firstTimestamp', 1],
    ['Count', 'string', '@CoreV1Event.count', 1],
    ['Name', 'string', '@V1ObjectMeta.name', 1, 'name'],
  ],
  cells: eventCells,
};

const namespaces: Printer = {
  columns: [NAME, ['Status', 'string', 'The status of the namespace'], AGE],
  cells: (o, now) => [name(o), o.status?.phase ?? '', age(o, now)],
};

const keyCount = (m: unknown): number => (m && typeof m === 'object' ? Object.keys(m).length : 0);

const secrets: Printer = {
  columns: [NAME, ['Type', 'string', '@V1Secret.type'], ['Data', 'string', '@V1Secret.data'], AGE],
  // stringData is merged into data on write; count both in case a caller passes an unmerged body.
  cells: (o, now) => [name(o), o.type ?? '', keyCount(o.data) + (o.stringData ? countNew(o.stringData, o.data) : 0), age(o, now)],
};

function countNew(extra: Obj, data: Obj | undefined): number {
  let n = 0;
  for (const k in extra) if (!data || !(k in data)) n++;
  return n;
}

const serviceaccounts: Printer = {
  columns: [NAME, ['Secrets', 'string', '@V1ServiceAccount.secrets'], AGE],
  cells: (o, now) => [name(o), Array.isArray(o.secrets) ? o.secrets.length : 0, age(o, now)],
};

const configmaps: Printer = {
  columns: [NAME, ['Data', 'string', '@V1ConfigMap.data'], AGE],
  cells: (o, now) => [name(o), keyCount(o.data) + keyCount(o.binaryData), age(o, now)],
};

function storageClassOf(o: Obj): string {
  const ann = o.metadata?.annotations;
  if (ann && 'volume.beta.kubernetes.io/storage-class' in ann) return ann['volume.beta.kubernetes.io/storage-class'];
  return o.spec?.storageClassName ?? '';
}

const persistentvolumes: Printer = {
  columns: [
    NAME,
    ['Capacity', 'string', '@V1PersistentVolumeSpec.capacity'],
    ['Access Modes', 'string', '@V1PersistentVolumeSpec.accessModes'],
    ['Reclaim Policy', 'string', '@V1PersistentVolumeSpec.persistentVolumeReclaimPolicy'],
    ['Status', 'string', '@V1PersistentVolumeStatus.phase'],
    ['Claim', 'string', '@V1PersistentVolumeSpec.claimRef'],
    ['StorageClass', 'string', 'StorageClass of the pv'],
    ['VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'],
    ['Reason', 'string', '@V1PersistentVolumeStatus.reason'],
    AGE,
    ['VolumeMode', 'string', '@V1PersistentVolumeSpec.volumeMode', 1],
  ],
  cells: (o, now) => {
    const spec = o.spec ?? {};
    const claim = spec.claimRef ? (spec.claimRef.namespace ?? '') + '/' + (spec.claimRef.name ?? '') : '';
    return [
      name(o), quantity(spec.capacity?.storage), accessModes(spec.accessModes), spec.persistentVolumeReclaimPolicy ?? '',
      o.metadata?.deletionTimestamp ? 'Terminating' : (o.status?.phase ?? ''), claim, storageClassOf(o),
      spec.volumeAttributesClassName ?? '<unset>', o.status?.reason ?? '', age(o, now), spec.volumeMode ?? '<unset>',
    ];
  },
};

const persistentvolumeclaims: Printer = {
  columns: [
    NAME,
    ['Status', 'string', '@V1PersistentVolumeClaimStatus.phase'],
    ['Volume', 'string', '@V1PersistentVolumeClaimSpec.volumeName'],
    ['Capacity', 'string', '@V1PersistentVolumeClaimStatus.capacity'],
    ['Access Modes', 'string', '@V1PersistentVolumeClaimStatus.accessModes'],
    ['StorageClass', 'string', 'StorageClass of the pvc'],
    ['VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'],
    AGE,
    ['VolumeMode', 'string', '@V1PersistentVolumeClaimSpec.volumeMode', 1],
  ],
  cells: (o, now) => {
    const spec = o.spec ?? {};
    const bound = !!spec.volumeName;
    return [
      name(o), o.metadata?.deletionTimestamp ? 'Terminating' : (o.status?.phase ?? ''), spec.volumeName ?? '',
      bound ? quantity(o.status?.capacity?.storage) : '', bound ? accessModes(o.status?.accessModes) : '',
      storageClassOf(o), spec.volumeAttributesClassName ?? '<unset>', age(o, now), spec.volumeMode ?? '<unset>',
    ];
  },
};

const resourcequotas: Printer = {
  columns: [
    NAME,
    ['Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'],
    ['Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'],
    AGE,
  ],
  cells: (o, now) => {
    const hard: Record<string, string> = o.status?.hard ?? {};
    const used: Record<string, string> = o.status?.used ?? {};
    const req: string[] = [];
    const lim: string[] = [];
    for (const r of Object.keys(hard).sort()) {
      const item = `${r}: ${quantity(used[r])}/${quantity(hard[r])}`;
      const dot = r.indexOf('.');
      if (dot >= 0 && r.slice(0, dot) === 'limits') lim.push(item);
      else req.push(item);
    }
    return [name(o), req.join(', '), lim.join(', '), age(o, now)];
  },
};

const componentstatuses: Printer = {
  columns: [
    NAME,
    ['Status', 'string', 'Status of the component conditions'],
    ['Message', 'string', 'Message of the component conditions'],
    ['Error', 'string', 'Error of the component conditions'],
  ],
  cells: (o) => {
    const c = condition(o.conditions, 'Healthy');
    if (!c) return [name(o), 'Unknown', '', ''];
    return [name(o), c.status === 'True' ? 'Healthy' : 'Unhealthy', c.message ?? '', c.error ?? ''];
  },
};

// ---- apps ------------------------------------------------------------------------------------

const replicasets: Printer = {
  columns: [
    NAME,
    ['Desired', 'integer', '@V1ReplicaSetSpec.replicas'],
    ['Current', 'integer', '@V1ReplicaSetStatus.replicas'],
    ['Ready', 'integer', '@V1ReplicaSetStatus.readyReplicas'],
    AGE, CONTAINERS, IMAGES,
    ['Selector', 'string', '@V1ReplicaSetSpec.selector', 1],
  ],
  cells: (o, now) => [
    name(o), int(o.spec?.replicas), int(o.status?.replicas), int(o.status?.readyReplicas), age(o, now),
    containerNames(o.spec?.template?.spec), containerImages(o.spec?.template?.spec), formatSelector(o.spec?.selector),
  ],
};

const deployments: Printer = {
  columns: [
    NAME,
    ['Ready', 'string', 'Number of the pod with ready state'],
    ['Up-to-date', 'string', '@V1DeploymentStatus.updatedReplicas'],
    ['Available', 'string', '@V1DeploymentStatus.availableReplicas'],
    AGE, CONTAINERS, IMAGES,
    ['Selector', 'string', '@V1DeploymentSpec.selector', 1],
  ],
  cells: (o, now) => {
    const st = o.status ?? {};
    const sel = selectorString(o.spec?.selector);
    return [
      name(o), `${int(st.readyReplicas)}/${int(o.spec?.replicas)}`, int(st.updatedReplicas), int(st.availableReplicas), age(o, now),
      containerNames(o.spec?.template?.spec), containerImages(o.spec?.template?.spec), sel === null ? '<invalid>' : sel,
    ];
  },
};

const statefulsets: Printer = {
  columns: [NAME, ['Ready', 'string', 'Number of the pod with ready state'], AGE, CONTAINERS, IMAGES],
  cells: (o, now) => [
    name(o), `${int(o.status?.readyReplicas)}/${int(o.spec?.replicas)}`, age(o, now),
    containerNames(o.spec?.template?.spec), containerImages(o.spec?.template?.spec),
  ],
};

const daemonsets: Printer = {
  columns: [
    NAME,
    ['Desired', 'integer', '@V1DaemonSetStatus.desiredNumberScheduled'],
    ['Current', 'integer', '@V1DaemonSetStatus.currentNumberScheduled'],
    ['Ready', 'integer', '@V1DaemonSetStatus.numberReady'],
    ['Up-to-date', 'integer', '@V1DaemonSetStatus.updatedNumberScheduled'],
    ['Available', 'integer', '@V1DaemonSetStatus.numberAvailable'],
    ['Node Selector', 'string', '@V1PodSpec.nodeSelector'],
    AGE, CONTAINERS, IMAGES,
    ['Selector', 'string', '@V1DaemonSetSpec.selector', 1],
  ],
  cells: (o, now) => {
    const st = o.status ?? {};
    const tspec = o.spec?.template?.spec;
    return [
      name(o), int(st.desiredNumberScheduled), int(st.currentNumberScheduled), int(st.numberReady),
      int(st.updatedNumberScheduled), int(st.numberAvailable), formatLabels(tspec?.nodeSelector), age(o, now),
      containerNames(tspec), containerImages(tspec), formatSelector(o.spec?.selector),
    ];
  },
};

function controllerOf(o: Obj): string {
  const refs: Obj[] | undefined = o.metadata?.ownerReferences;
  if (refs) {
    for (const r of refs) {
      if (r.controller !== true) continue;
      const av: string = r.apiVersion ?? '';
      const slash = av.indexOf('/');
      const group = slash >= 0 ? av.slice(0, slash) : '';
      const kind: string = r.kind ?? '';
      if (!kind) return r.name ?? '';
      return (group ? kind + '.' + group : kind).toLowerCase() + '/' + (r.name ?? '');
    }
  }
  return '<none>';
}

const controllerrevisions: Printer = {
  columns: [NAME, ['Controller', 'string', 'Controller of the object'], ['Revision', 'string', '@V1ControllerRevision.revision'], AGE],
  cells: (o, now) => [name(o), controllerOf(o), int(o.revision), age(o, now)],
};

// ---- batch -----------------------------------------------------------------------------------

function jobStatus(o: Obj): string {
  const conds: Obj[] | undefined = o.status?.conditions;
  const is = (t: string): boolean => condition(conds, t)?.status === 'True';
  if (is('Complete')) return 'Complete';
  if (is('Failed')) return 'Failed';
  if (o.metadata?.deletionTimestamp) return 'Terminating';
  if (is('Suspended')) return 'Suspended';
  if (is('FailureTarget')) return 'FailureTarget';
  return 'Running';
}

const jobs: Printer = {
  columns: [
    NAME,
    ['Status', 'string', 'Status of the job.'],
    ['Completions', 'string', '@V1JobStatus.succeeded'],
    ['Duration', 'string', 'Time required to complete the job.'],
    AGE, CONTAINERS, IMAGES,
    ['Selector', 'string', '@V1JobSpec.selector', 1],
  ],
  cells: (o, now) => {
    const spec = o.spec ?? {};
    const st = o.status ?? {};
    const succeeded = int(st.succeeded);
    let completions: string;
    if (typeof spec.completions === 'number') completions = `${succeeded}/${spec.completions}`;
    else if (int(spec.parallelism) > 1) completions = `${succeeded}/1 of ${int(spec.parallelism)}`;
    else completions = `${succeeded}/1`;
    let duration = '';
    const start = timeMs(st.startTime);
    if (st.startTime) {
      const end = timeMs(st.completionTime);
      duration = st.completionTime ? humanDuration((end ?? 0) - (start ?? 0)) : humanDuration(now - (start ?? 0));
    }
    return [
      name(o), jobStatus(o), completions, duration, age(o, now),
      containerNames(spec.template?.spec), containerImages(spec.template?.spec), formatSelector(spec.selector),
    ];
  },
};

const cronjobs: Printer = {
  columns: [
    NAME,
    ['Schedule', 'string', '@V1CronJobSpec.schedule'],
    ['Timezone', 'string', '@V1CronJobSpec.timeZone'],
    ['Suspend', 'boolean', '@V1CronJobSpec.suspend'],
    ['Active', 'integer', '@V1CronJobStatus.active'],
    ['Last Schedule', 'string', '@V1CronJobStatus.lastScheduleTime'],
    AGE, CONTAINERS, IMAGES,
    ['Selector', 'string', '@V1JobSpec.selector', 1],
  ],
  cells: (o, now) => {
    const spec = o.spec ?? {};
    const jspec = spec.jobTemplate?.spec ?? {};
    const suspend = spec.suspend === true ? 'True' : spec.suspend === false ? 'False' : '<unset>';
    const last = o.status?.lastScheduleTime ? since(o.status.lastScheduleTime, now) : '<none>';
    return [
      name(o), spec.schedule ?? '', spec.timeZone || '<none>', suspend, Array.isArray(o.status?.active) ? o.status.active.length : 0,
      last, age(o, now), containerNames(jspec.template?.spec), containerImages(jspec.template?.spec), formatSelector(jspec.selector),
    ];
  },
};

// ---- autoscaling -----------------------------------------------------------------------------

const nilq = (q: unknown): string => (q === undefined || q === null ? '<nil>' : quantity(q));

/** TARGETS of an HPA in the v2 model (formatHPAMetrics). */
export function formatHPAMetrics(specs: Obj[] | undefined, statuses: Obj[] | undefined): string {
  if (!specs || specs.length === 0) return '<none>';
  const list: string[] = [];
  for (let i = 0; i < specs.length && list.length < 2; i++) {
    const spec = specs[i]!;
    const st: Obj | undefined = statuses?.[i];
    switch (spec.type) {
      case 'External':
      case 'Object': {
        const key = spec.type === 'External' ? 'external' : 'object';
        const target: Obj = spec[key]?.target ?? {};
        const cur: Obj | undefined = st?.[key];
        if (target.averageValue != null) {
          const current = cur && cur.current?.averageValue != null ? quantity(cur.current.averageValue) : '<unknown>';
          list.push(`${current}/${quantity(target.averageValue)} (avg)`);
        } else {
          const current = cur ? nilq(cur.current?.value) : '<unknown>';
          list.push(`${current}/${nilq(target.value)}`);
        }
        break;
      }
      case 'Pods': {
        const cur: Obj | undefined = st?.pods;
        const current = cur ? nilq(cur.current?.averageValue) : '<unknown>';
        list.push(`${current}/${nilq(spec.pods?.target?.averageValue)}`);
        break;
      }
      case 'Resource':
      case 'ContainerResource': {
        const key = spec.type === 'Resource' ? 'resource' : 'containerResource';
        const src: Obj = spec[key] ?? {};
        const target: Obj = src.target ?? {};
        const cur: Obj | undefined = st?.[key];
        if (target.averageValue != null) {
          const current = cur ? nilq(cur.current?.averageValue) : '<unknown>';
          list.push(`${src.name ?? ''}: ${current}/${quantity(target.averageValue)}`);
        } else {
          const current = cur && typeof cur.current?.averageUtilization === 'number' ? `${cur.current.averageUtilization}%` : '<unknown>';
          const t = typeof target.averageUtilization === 'number' ? `${target.averageUtilization}%` : '<auto>';
          list.push(`${src.name ?? ''}: ${current}/${t}`);
        }
        break;
      }
      default:
        list.push('<unknown type>');
    }
  }
  const ret = list.join(', ');
  return specs.length > 2 ? `${ret} + ${specs.length - 2} more...` : ret;
}

/** autoscaling/v1 targetCPUUtilizationPercentage as the v2 Resource/cpu metric (what conversion does). */
function hpaMetrics(o: Obj): [Obj[] | undefined, Obj[] | undefined] {
  const spec = o.spec ?? {};
  const st = o.status ?? {};
  const v1 = typeof o.apiVersion === 'string' ? o.apiVersion === 'autoscaling/v1' : spec.metrics === undefined && 'targetCPUUtilizationPercentage' in spec;
  if (!v1) return [spec.metrics, st.currentMetrics];
  if (typeof spec.targetCPUUtilizationPercentage !== 'number') return [undefined, undefined];
  const specs = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage } } }];
  const cur = typeof st.currentCPUUtilizationPercentage === 'number'
    ? [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: st.currentCPUUtilizationPercentage } } }]
    : undefined;
  return [specs, cur];
}

const horizontalpodautoscalers: Printer = {
  columns: [
    NAME,
    ['Reference', 'string', '@V2HorizontalPodAutoscalerSpec.scaleTargetRef'],
    ['Targets', 'string', '@V2HorizontalPodAutoscalerSpec.metrics'],
    ['MinPods', 'string', '@V2HorizontalPodAutoscalerSpec.minReplicas'],
    ['MaxPods', 'string', '@V2HorizontalPodAutoscalerSpec.maxReplicas'],
    ['Replicas', 'string', '@V2HorizontalPodAutoscalerStatus.currentReplicas'],
    AGE,
  ],
  cells: (o, now) => {
    const spec = o.spec ?? {};
    const ref = spec.scaleTargetRef ?? {};
    const [specs, statuses] = hpaMetrics(o);
    return [
      name(o), `${ref.kind ?? ''}/${ref.name ?? ''}`, formatHPAMetrics(specs, statuses),
      typeof spec.minReplicas === 'number' ? String(spec.minReplicas) : '<unset>', int(spec.maxReplicas),
      int(o.status?.currentReplicas), age(o, now),
    ];
  },
};

// ---- policy, networking, discovery, coordination ---------------------------------------------

const poddisruptionbudgets: Printer = {
  columns: [
    NAME,
    ['Min Available', 'string', 'The minimum number of pods that must be available.'],
    ['Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'],
    ['Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'],
    AGE,
  ],
  cells: (o, now) => {
    const spec = o.spec ?? {};
    return [
      name(o), spec.minAvailable != null ? intOrString(spec.minAvailable) : 'N/A',
      spec.maxUnavailable != null ? intOrString(spec.maxUnavailable) : 'N/A', int(o.status?.disruptionsAllowed), age(o, now),
    ];
  },
};

function ingressHosts(rules: Obj[] | undefined): string {
  const list: string[] = [];
  let more = false;
  for (const r of rules ?? []) {
    if (list.length === 3) more = true;
    if (!more && r.host) list.push(r.host);
  }
  if (list.length === 0) return '*';
  const ret = list.join(',');
  return more ? `${ret} + ${rules!.length - 3} more...` : ret;
}

const ingresses: Printer = {
  columns: [
    NAME,
    ['Class', 'string', 'The name of the IngressClass resource that should be used for additional configuration'],
    ['Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'],
    ['Address', 'string', 'Address is a list containing ingress points for the load-balancer'],
    ['Ports', 'string', 'Ports of TLS configurations that open'],
    AGE,
  ],
  cells: (o, now) => {
    const spec = o.spec ?? {};
    return [
      name(o), spec.ingressClassName || '<none>', ingressHosts(spec.rules),
      loadBalancerAddresses(o.status?.loadBalancer?.ingress).join(','),
      Array.isArray(spec.tls) && spec.tls.length > 0 ? '80, 443' : '80', age(o, now),
    ];
  },
};

const ingressclasses: Printer = {
  columns: [
    NAME,
    ['Controller', 'string', 'Controller that is responsible for handling this class'],
    ['Parameters', 'string', 'A reference to a resource with additional parameters'],
    AGE,
  ],
  cells: (o, now) => {
    const p = o.spec?.parameters;
    let params = '<none>';
    if (p) params = (p.kind ?? '') + (p.apiGroup != null ? '.' + p.apiGroup : '') + '/' + (p.name ?? '');
    return [name(o), o.spec?.controller ?? '', params, age(o, now)];
  },
};

const networkpolicies: Printer = {
  columns: [NAME, ['Pod-Selector', 'string', '@V1NetworkPolicySpec.podSelector'], AGE],
  cells: (o, now) => [name(o), formatSelector(o.spec?.podSelector), age(o, now)],
};

const endpointslices: Printer = {
  columns: [
    NAME,
    ['AddressType', 'string', '@V1EndpointSlice.addressType'],
    ['Ports', 'string', '@V1EndpointSlice.ports'],
    ['Endpoints', 'string', '@V1EndpointSlice.endpoints'],
    AGE,
  ],
  cells: (o, now) => {
    const ports: Obj[] = o.ports ?? [];
    const plist: string[] = [];
    for (let i = 0; i < ports.length && i < 3; i++) {
      const p = ports[i]!;
      plist.push(p.port != null ? String(p.port) : p.name != null ? p.name : '*');
    }
    const elist: string[] = [];
    let total = 0;
    for (const ep of (o.endpoints as Obj[] | undefined) ?? []) {
      for (const a of (ep.addresses as string[] | undefined) ?? []) {
        if (elist.length < 3) elist.push(a);
        total++;
      }
    }
    return [
      name(o), o.addressType ?? '', listWithMore(plist, ports.length, 3, '<unset>'), listWithMore(elist, total, 3, '<unset>'), age(o, now),
    ];
  },
};

const leases: Printer = {
  columns: [NAME, ['Holder', 'string', '@V1LeaseSpec.holderIdentity'], AGE],
  cells: (o, now) => [name(o), o.spec?.holderIdentity ?? '', age(o, now)],
};

// ---- rbac ------------------------------------------------------------------------------------

function bindingPrinter(what: string, model: string): Printer {
  return {
    columns: [
      NAME,
      ['Role', 'string', `@${model}.roleRef`],
      AGE,
      ['Users', 'string', `Users in the ${what}`, 1],
      ['Groups', 'string', `Groups in the ${what}`, 1],
      ['ServiceAccounts', 'string', `ServiceAccounts in the ${what}`, 1],
    ],
    cells: (o, now) => {
      const users: string[] = [];
      const groups: string[] = [];
      const sas: string[] = [];
      for (const s of (o.subjects as Obj[] | undefined) ?? []) {
        if (s.kind === 'User') users.push(s.name ?? '');
        else if (s.kind === 'Group') groups.push(s.name ?? '');
        else if (s.kind === 'ServiceAccount') sas.push((s.namespace ?? '') + '/' + (s.name ?? ''));
      }
      const ref = o.roleRef ?? {};
      return [name(o), `${ref.kind ?? ''}/${ref.name ?? ''}`, age(o, now), users.join(', '), groups.join(', '), sas.join(', ')];
    },
  };
}

// ---- storage, scheduling, node, certificates, admission ---------------------------------------

const storageclasses: Printer = {
  columns: [
    NAME,
    ['Provisioner', 'string', '@V1StorageClass.provisioner'],
    ['ReclaimPolicy', 'string', '@V1StorageClass.reclaimPolicy'],
    ['VolumeBindingMode', 'string', '@V1StorageClass.volumeBindingMode'],
    ['AllowVolumeExpansion', 'string', '@V1StorageClass.allowVolumeExpansion'],
    AGE,
  ],
  cells: (o, now) => {
    const ann = o.metadata?.annotations;
    const isDefault = !!ann && (ann['storageclass.kubernetes.io/is-default-class'] === 'true' || ann['storageclass.beta.kubernetes.io/is-default-class'] === 'true');
    return [
      name(o) + (isDefault ? ' (default)' : ''), o.provisioner ?? '', o.reclaimPolicy ?? 'Delete',
      o.volumeBindingMode ?? 'Immediate', o.allowVolumeExpansion === true, age(o, now),
    ];
  },
};

const csidrivers: Printer = {
  columns: [
    NAME,
    ['AttachRequired', 'boolean', '@V1CSIDriverSpec.attachRequired'],
    ['PodInfoOnMount', 'boolean', '@V1CSIDriverSpec.podInfoOnMount'],
    ['StorageCapacity', 'boolean', '@V1CSIDriverSpec.storageCapacity'],
    ['TokenRequests', 'string', '@V1CSIDriverSpec.tokenRequests'],
    ['RequiresRepublish', 'boolean', '@V1CSIDriverSpec.requiresRepublish'],
    ['Modes', 'string', '@V1CSIDriverSpec.volumeLifecycleModes'],
    AGE,
  ],
  cells: (o, now) => {
    const s = o.spec ?? {};
    const tokens = Array.isArray(s.tokenRequests) ? s.tokenRequests.map((t: Obj) => t.audience ?? '').join(',') : '<unset>';
    const modes = Array.isArray(s.volumeLifecycleModes) && s.volumeLifecycleModes.length > 0 ? s.volumeLifecycleModes.join(',') : '<none>';
    return [
      name(o), s.attachRequired !== false, s.podInfoOnMount === true, s.storageCapacity === true, tokens,
      s.requiresRepublish === true, modes, age(o, now),
    ];
  },
};

const csinodes: Printer = {
  columns: [NAME, ['Drivers', 'integer', 'Drivers indicates the number of CSI drivers registered on the node'], AGE],
  cells: (o, now) => [name(o), Array.isArray(o.spec?.drivers) ? o.spec.drivers.length : 0, age(o, now)],
};

const volumeattachments: Printer = {
  columns: [
    NAME,
    ['Attacher', 'string', '@V1VolumeAttachmentSpec.attacher', 0, 'name'],
    ['PV', 'string', '@V1VolumeAttachmentSource.persistentVolumeName'],
    ['Node', 'string', '@V1VolumeAttachmentSpec.nodeName'],
    ['Attached', 'boolean', '@V1VolumeAttachmentStatus.attached'],
    AGE,
  ],
  cells: (o, now) => [
    name(o), o.spec?.attacher ?? '', o.spec?.source?.persistentVolumeName ?? '', o.spec?.nodeName ?? '',
    o.status?.attached === true, age(o, now),
  ],
};

const priorityclasses: Printer = {
  columns: [
    NAME,
    ['Value', 'integer', '@V1PriorityClass.value'],
    ['Global-Default', 'boolean', '@V1PriorityClass.globalDefault'],
    AGE,
    ['PreemptionPolicy', 'string', '@V1PriorityClass.preemptionPolicy'],
  ],
  cells: (o, now) => [name(o), int(o.value), o.globalDefault === true, age(o, now), o.preemptionPolicy ?? ''],
};

const runtimeclasses: Printer = {
  // Upstream looks the description up under a key ObjectMeta does not have, so it is empty.
  columns: [NAME, ['Handler', 'string', ''], AGE],
  cells: (o, now) => [name(o), o.handler ?? '', age(o, now)],
};

function csrCondition(o: Obj): string {
  let approved = false;
  let denied = false;
  let failed = false;
  for (const c of (o.status?.conditions as Obj[] | undefined) ?? []) {
    if (c.type === 'Approved') approved = true;
    else if (c.type === 'Denied') denied = true;
    else if (c.type === 'Failed') failed = true;
  }
  let s = denied ? 'Denied' : approved ? 'Approved' : 'Pending';
  if (failed) s += ',Failed';
  if (o.status?.certificate) s += ',Issued';
  return s;
}

const certificatesigningrequests: Printer = {
  columns: [
    NAME,
    AGE,
    ['SignerName', 'string', '@V1CertificateSigningRequestSpec.signerName'],
    ['Requestor', 'string', '@V1CertificateSigningRequestSpec.request'],
    ['RequestedDuration', 'string', '@V1CertificateSigningRequestSpec.expirationSeconds'],
    ['Condition', 'string', '@V1CertificateSigningRequestStatus.conditions'],
  ],
  cells: (o, now) => {
    const s = o.spec ?? {};
    return [
      name(o), age(o, now), s.signerName || '<none>', s.username ?? '',
      typeof s.expirationSeconds === 'number' ? humanDuration(s.expirationSeconds * 1000) : '<none>', csrCondition(o),
    ];
  },
};

function webhookPrinter(): Printer {
  return {
    columns: [NAME, ['Webhooks', 'integer', 'Webhooks indicates the number of webhooks registered in this configuration'], AGE],
    cells: (o, now) => [name(o), Array.isArray(o.webhooks) ? o.webhooks.length : 0, age(o, now)],
  };
}

const apiservices: Printer = {
  columns: [
    NAME,
    ['Service', 'string', 'The reference to the service that hosts this API endpoint.'],
    ['Available', 'string', 'Whether this service is available.'],
    AGE,
  ],
  cells: (o, now) => {
    const svc = o.spec?.service;
    const c = condition(o.status?.conditions, 'Available');
    let available = 'Unknown';
    if (c) available = c.status === 'True' ? 'True' : c.reason ? `${c.status} (${c.reason})` : String(c.status ?? '');
    return [name(o), svc ? `${svc.namespace ?? ''}/${svc.name ?? ''}` : 'Local', available, age(o, now)];
  },
};

/** Printers by "<group>/<resource>" (core group: just "<resource>"). */
export const printers: Readonly<Record<string, Printer>> = {
  pods, podtemplates, replicationcontrollers, services, endpoints, nodes, events, namespaces, secrets,
  serviceaccounts, configmaps, persistentvolumes, persistentvolumeclaims, resourcequotas, componentstatuses,
  'events.k8s.io/events': events,
  'apps/replicasets': replicasets,
  'apps/deployments': deployments,
  'apps/statefulsets': statefulsets,
  'apps/daemonsets': daemonsets,
  'apps/controllerrevisions': controllerrevisions,
  'batch/jobs': jobs,
  'batch/cronjobs': cronjobs,
  'autoscaling/horizontalpodautoscalers': horizontalpodautoscalers,
  'policy/poddisruptionbudgets': poddisruptionbudgets,
  'networking.k8s.io/ingresses': ingresses,
  'networking.k8s.io/ingressclasses': ingressclasses,
  'networking.k8s.io/networkpolicies': networkpolicies,
  'discovery.k8s.io/endpointslices': endpointslices,
  'coordination.k8s.io/leases': leases,
  'rbac.authorization.k8s.io/rolebindings': bindingPrinter('roleBinding', 'V1RoleBinding'),
  'rbac.authorization.k8s.io/clusterrolebindings': bindingPrinter('clusterRoleBinding', 'V1ClusterRoleBinding'),
  'storage.k8s.io/storageclasses': storageclasses,
  'storage.k8s.io/csidrivers': csidrivers,
  'storage.k8s.io/csinodes': csinodes,
  'storage.k8s.io/volumeattachments': volumeattachments,
  'scheduling.k8s.io/priorityclasses': priorityclasses,
  'node.k8s.io/runtimeclasses': runtimeclasses,
  'certificates.k8s.io/certificatesigningrequests': certificatesigningrequests,
  'admissionregistration.k8s.io/validatingwebhookconfigurations': webhookPrinter(),
  'admissionregistration.k8s.io/mutatingwebhookconfigurations': webhookPrinter(),
  'apiregistration.k8s.io/apiservices': apiservices,
};
