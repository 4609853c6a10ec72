// The CronJob controller's entry point for the controller manager (kube-controller-manager's "cronjob").
import type { ControllerFactory } from '../manager.ts';
import { CronJobController } from './controller.ts';

export { CronJobController } from './controller.ts';
export const cronjobController: ControllerFactory = (ctx) => new CronJobController(ctx);
