// kube-controller-manager's "replicationcontroller" controller: upstream runs the ReplicaSet
// controller over ReplicationControllers through a conversion adapter; here the same controller is
// given the core/v1 kind and the RC's map-shaped selector.
import type { ControllerFactory } from '../manager.ts';
import { ReplicaSetController, type ReplicaSetKind } from '../replicaset/controller.ts';
import { setSelectorOf } from '../util/selectors.ts';

export const replicationControllerKind: ReplicaSetKind = {
  group: '',
  resource: 'replicationcontrollers',
  apiVersion: 'v1',
  kind: 'ReplicationController',
  name: 'replicationcontroller-controller',
  component: 'replication-controller',
  selectorOf: setSelectorOf,
};

export const replicationcontrollerController: ControllerFactory = (ctx) => new ReplicaSetController(ctx, replicationControllerKind);
