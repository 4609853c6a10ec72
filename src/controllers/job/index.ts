// The Job controller's entry point for the controller manager (kube-controller-manager's "job").
import type { ControllerFactory } from '../manager.ts';
import { JobController } from './controller.ts';

export { JobController } from './controller.ts';
export const jobController: ControllerFactory = (ctx) => new JobController(ctx);
