// The StatefulSet controller's entry point for the controller manager (kube-controller-manager's "statefulset").
import type { ControllerFactory } from '../manager.ts';
import { StatefulSetController } from './controller.ts';

export { StatefulSetController };
export const statefulsetController: ControllerFactory = (ctx) => new StatefulSetController(ctx);
