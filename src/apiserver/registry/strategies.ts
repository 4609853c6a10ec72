// The strategy of every built-in resource: the generic behaviour (defaulting and validation from
// src/api, status and generation handling) plus each kind's own rules, as upstream's
// pkg/registry/<group>/<resource>/strategy.go files have them.
import type { ResourceInfo } from '../../api/resources.ts';
import { validateCreate, validateUpdate } from '../../api/validation/index.ts';
import { podInitialStatus } from '../../api/defaults/helpers.ts';
import type { Obj } from '../types.ts';
import { baseStrategy, type Strategy } from './strategy.ts';

/** Resources whose metadata.generation the server maintains (upstream strategies that set it). */
const WITH_GENERATION = new Set([
  'apps/deployments',
  'apps/replicasets',
  'apps/statefulsets',
  'apps/daemonsets',
  'batch/jobs',
  'batch/cronjobs',
  'autoscaling/horizontalpodautoscalers',
  'policy/poddisruptionbudgets',
  'networking.k8s.io/ingresses',
  'networking.k8s.io/networkpolicies',
  '/replicationcontrollers',
  'apiextensions.k8s.io/customresourcedefinitions',
]);

const CREATE_ON_UPDATE = new Set([
  '/services',
  '/endpoints',
  '/events',
  'events.k8s.io/events',
  'coordination.k8s.io/leases',
  'discovery.k8s.io/endpointslices',
  'rbac.authorization.k8s.io/roles',
  'rbac.authorization.k8s.io/rolebindings',
  'rbac.authorization.k8s.io/clusterroles',
  'rbac.authorization.k8s.io/clusterrolebindings',
  'apps/controllerrevisions',
]);

/** Kinds whose status a create may set (nodes register with their status). */
const STATUS_ON_CREATE = new Set(['/nodes', '/events']);

const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));

/** Per-resource additions to the generic strategy. */
const specific: Record<string, Partial<Strategy>> = {
  '/pods': {
    returnDeletedObject: true,
    prepareForCreate(pod) {
      pod.status = podInitialStatus(pod);
    },
    selectableFields: (p: Obj) => ({
      'spec.nodeName': str(p.spec?.nodeName),
      'spec.restartPolicy': str(p.spec?.restartPolicy),
      'spec.schedulerName': str(p.spec?.schedulerName),
      'spec.serviceAccountName': str(p.spec?.serviceAccountName),
      'spec.hostNetwork': String(p.spec?.hostNetwork === true),
      'status.phase': str(p.status?.phase),
      'status.podIP': str(p.status?.podIP),
      'status.nominatedNodeName': str(p.status?.nominatedNodeName),
    }),
    gracePeriod(pod, requested) {
      // Pods not yet on a node, and pods that have finished, go at once (pod strategy CheckGracefulDelete).
      if (!pod.spec?.nodeName) return 0;
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') return 0;
      const g = requested ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      // A grace period of 0 from the client means "now" only with --force; upstream turns 0 into 1.
      return g < 0 ? 0 : g;
    },
  },
  '/namespaces': {
    prepareForCreate(ns) {
      ns.spec = { ...(ns.spec ?? {}), finalizers: ['kubernetes'] };
      ns.status = { phase: 'Active' };
    },
    prepareForUpdate(ns, old) {
      ns.spec = old.spec;
    },
    prepareForDelete(ns) {
      ns.status = { ...(ns.status ?? {}), phase: 'Terminating' };
      return (ns.spec?.finalizers ?? []).length > 0;
    },
    selectableFields: (ns: Obj) => ({ 'status.phase': str(ns.status?.phase) }),
  },
  '/services': {
    returnDeletedObject: true,
    selectableFields: (s: Obj) => ({ 'spec.clusterIP': str(s.spec?.clusterIP), 'spec.type': str(s.spec?.type) }),
  },
  '/secrets': { selectableFields: (s: Obj) => ({ type: str(s.type) }) },
  '/nodes': { selectableFields: (n: Obj) => ({ 'spec.unschedulable': String(n.spec?.unschedulable === true) }) },
  '/replicationcontrollers': { selectableFields: (rc: Obj) => ({ 'status.replicas': String(rc.status?.replicas ?? 0) }) },
  'apps/replicasets': { selectableFields: (rs: Obj) => ({ 'status.replicas': String(rs.status?.replicas ?? 0) }) },
  'batch/jobs': {
    prepareForCreate(job) {
      // Without spec.manualSelector the server generates the selector (job strategy generateSelector):
      // the pods carry the job's name and uid, and the selector matches the uid.
      if (job.spec?.manualSelector === true) return;
      const spec = (job.spec ??= {});
      const template = (spec.template ??= {});
      const tmeta = (template.metadata ??= {});
      const labels = (tmeta.labels ??= {});
      for (const k of ['job-name', 'batch.kubernetes.io/job-name']) labels[k] ??= job.metadata.name;
      for (const k of ['controller-uid', 'batch.kubernetes.io/controller-uid']) labels[k] ??= job.metadata.uid;
      const sel = (spec.selector ??= {});
      const ml = (sel.matchLabels ??= {});
      ml['batch.kubernetes.io/controller-uid'] ??= job.metadata.uid;
    },
    selectableFields: (j: Obj) => ({ 'status.successful': String(j.status?.successful ?? 0) }),
  },
  'certificates.k8s.io/certificatesigningrequests': {
    selectableFields: (c: Obj) => ({ 'spec.signerName': str(c.spec?.signerName) }),
    // The requester is whoever creates the CSR, whatever the body says (upstream's PrepareForCreate).
    prepareForCreate(csr, ctx) {
      const spec = (csr.spec ??= {});
      const u = ctx.user;
      for (const k of ['username', 'uid', 'groups', 'extra']) delete spec[k];
      if (u.username) spec.username = u.username;
      if (u.uid) spec.uid = u.uid;
      if (u.groups?.length) spec.groups = [...u.groups];
      if (u.extra && Object.keys(u.extra).length) spec.extra = u.extra;
    },
    prepareForUpdate(csr, old) {
      // spec is immutable through updates: keep the requester as recorded.
      csr.spec = old.spec;
    },
  },
  '/events': {
    selectableFields: (e: Obj) => ({
      'involvedObject.kind': str(e.involvedObject?.kind),
      'involvedObject.namespace': str(e.involvedObject?.namespace),
      'involvedObject.name': str(e.involvedObject?.name),
      'involvedObject.uid': str(e.involvedObject?.uid),
      'involvedObject.apiVersion': str(e.involvedObject?.apiVersion),
      'involvedObject.resourceVersion': str(e.involvedObject?.resourceVersion),
      'involvedObject.fieldPath': str(e.involvedObject?.fieldPath),
      reason: str(e.reason),
      reportingComponent: str(e.reportingComponent),
      source: str(e.source?.component ?? e.reportingComponent),
      type: str(e.type),
    }),
  },
  'events.k8s.io/events': {
    selectableFields: (e: Obj) => ({
      'regarding.kind': str(e.regarding?.kind),
      'regarding.namespace': str(e.regarding?.namespace),
      'regarding.name': str(e.regarding?.name),
      'regarding.uid': str(e.regarding?.uid),
      reason: str(e.reason),
      reportingController: str(e.reportingController),
      type: str(e.type),
    }),
  },
};

export function strategyFor(r: ResourceInfo): Strategy {
  const id = `${r.group}/${r.resource}`;
  const hasStatus = (r.subresources ?? []).some((s) => s.name === 'status');
  const own = specific[id] ?? {};
  const resetStatus = hasStatus && !STATUS_ON_CREATE.has(id);
  return {
    ...baseStrategy,
    hasStatus,
    hasGeneration: WITH_GENERATION.has(id),
    allowCreateOnUpdate: CREATE_ON_UPDATE.has(id),
    ...own,
    prepareForCreate(obj, ctx) {
      if (resetStatus) delete obj.status;
      own.prepareForCreate?.(obj, ctx);
    },
    prepareForUpdate(obj, old, ctx) {
      own.prepareForUpdate?.(obj, old, ctx);
    },
    validate: (obj) => validateCreate(obj),
    validateUpdate: (obj, old) => validateUpdate(obj, old),
  };
}
