// kube-controller-manager's "replicaset" controller (pkg/controller/replicaset).
import type { ControllerFactory } from '../manager.ts';
import { ReplicaSetController, replicaSetKind } from './controller.ts';

export { ReplicaSetController, replicaSetKind, calculateReplicaSetStatus, BURST_REPLICAS, type ReplicaSetKind } from './controller.ts';

export const replicasetController: ControllerFactory = (ctx) => new ReplicaSetController(ctx, replicaSetKind);
