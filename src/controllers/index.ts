// The controllers kube-controller-manager runs by default, and the admission plugins that come with
// them, in one explicit list (no registration by import side effect).
import { join } from 'node:path';
import type { AdmissionPlugin } from '../apiserver/admission.ts';
import type { Store } from '../apiserver/registry/store.ts';
import {
  defaultIngressClass,
  defaultStorageClass,
  defaultTolerationSeconds,
  limitRanger,
  nodeRestriction,
  podSecurity,
  resourceQuota,
  serviceAccount,
  type PodSecurityDefaults,
} from '../apiserver/admission/index.ts';
import type { ControllerFactory } from './manager.ts';
import { replicasetController } from './replicaset/index.ts';
import { replicationcontrollerController } from './replicationcontroller/index.ts';
import { deploymentController } from './deployment/index.ts';
import { statefulsetController } from './statefulset/index.ts';
import { daemonsetController } from './daemonset/index.ts';
import { jobController } from './job/index.ts';
import { cronjobController } from './cronjob/index.ts';
import { ttlAfterFinishedController } from './ttlafterfinished/index.ts';
import { podgcController } from './podgc/index.ts';
import { garbageCollectorController } from './garbagecollector/index.ts';
import { namespaceController } from './namespace/index.ts';
import { serviceAccountController } from './serviceaccount/index.ts';
import { endpointsController } from './endpoints/index.ts';
import { endpointSliceController } from './endpointslice/index.ts';
import { nodeLifecycleController } from './nodelifecycle/index.ts';
import { resourceQuotaController } from './resourcequota/index.ts';
import { disruptionController } from './disruption/index.ts';
import { horizontalPodAutoscalerController, type MetricsClient } from './podautoscaler/index.ts';
import { persistentVolumeBinderController, localPathProvisionerController } from './volume/index.ts';
import { csrCleanerController } from './csrcleaner/index.ts';
import { serviceLBController } from './servicelb/index.ts';
import { clusterRoleAggregationController } from './clusterroleaggregation/index.ts';

export interface ControllersOptions {
  /** The cluster's data dir; the local-path provisioner keeps volumes under it. */
  dataDir: string;
  /** Where the HPA reads pod metrics (default: the metrics.k8s.io API). */
  metrics?: MetricsClient;
}

export function allControllers(opts: ControllersOptions): ControllerFactory[] {
  return [
    replicasetController,
    replicationcontrollerController,
    deploymentController,
    statefulsetController,
    daemonsetController,
    jobController,
    cronjobController,
    ttlAfterFinishedController,
    podgcController,
    garbageCollectorController,
    namespaceController,
    serviceAccountController,
    endpointsController,
    endpointSliceController,
    nodeLifecycleController,
    resourceQuotaController,
    disruptionController,
    horizontalPodAutoscalerController(opts.metrics),
    persistentVolumeBinderController,
    localPathProvisionerController({ dataDir: join(opts.dataDir, 'local-path') }),
    csrCleanerController,
    serviceLBController,
    clusterRoleAggregationController,
  ];
}

export interface AdmissionOptions {
  /** --default-not-ready-toleration-seconds / --default-unreachable-toleration-seconds */
  notReadySeconds: number;
  unreachableSeconds: number;
  /** The ResourceQuota store, for the quota admission plugin. */
  quotas: () => Store;
  /**
   * Any store of the API server (`(group, resource) => store`). With it the security plugins are on:
   * LimitRanger, ServiceAccount, NodeRestriction, PodSecurity, DefaultStorageClass, DefaultIngressClass.
   */
  stores?: (group: string, resource: string) => Store | undefined;
  /** PodSecurityConfiguration: defaults (privileged:latest) and exemptions (none), as kube-apiserver's. */
  podSecurity?: { defaults?: PodSecurityDefaults; exemptions?: { usernames?: string[]; namespaces?: string[]; runtimeClasses?: string[] } };
}

/** The admission plugins that come with the controllers, in kube-apiserver's recommended order. */
export function admissionPlugins(opts: AdmissionOptions): AdmissionPlugin[] {
  const tolerations = defaultTolerationSeconds({ notReadySeconds: opts.notReadySeconds, unreachableSeconds: opts.unreachableSeconds });
  const stores = opts.stores;
  if (!stores) return [tolerations, resourceQuota(opts.quotas)];
  const s = (group: string, resource: string) => () => stores(group, resource)!;
  return [
    limitRanger({ limitRanges: s('', 'limitranges') }),
    serviceAccount({ serviceAccounts: s('', 'serviceaccounts') }),
    nodeRestriction({ nodes: s('', 'nodes'), pods: s('', 'pods') }),
    podSecurity({ namespaces: s('', 'namespaces'), pods: s('', 'pods'), ...(opts.podSecurity ?? {}) }),
    tolerations,
    defaultStorageClass(s('storage.k8s.io', 'storageclasses')),
    defaultIngressClass(s('networking.k8s.io', 'ingressclasses')),
    resourceQuota(opts.quotas),
  ];
}
