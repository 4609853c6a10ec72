// The DaemonSet controller's entry point for the controller manager (kube-controller-manager's "daemonset").
import type { ControllerFactory } from '../manager.ts';
import { DaemonSetController } from './controller.ts';

export { DaemonSetController };
export const daemonsetController: ControllerFactory = (ctx) => new DaemonSetController(ctx);
