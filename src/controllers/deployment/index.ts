// kube-controller-manager's "deployment" controller (pkg/controller/deployment).
import type { ControllerFactory } from '../manager.ts';
import { DeploymentController } from './controller.ts';

export { DeploymentController, calculateDeploymentStatus } from './controller.ts';

export const deploymentController: ControllerFactory = (ctx) => new DeploymentController(ctx);
