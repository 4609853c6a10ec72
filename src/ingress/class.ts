// IngressClass ownership, as Ingress controllers decide it: the `skiff` IngressClass (controller
// skiff.io/ingress-controller) is created as the cluster default; an Ingress is ours when its
// spec.ingressClassName names a class of our controller, when its legacy
// `kubernetes.io/ingress.class` annotation names our class, or when it names no class and a class
// of ours is marked default (the DefaultIngressClass admission plugin would have set it).
import type { KubeClient } from '../client/client.ts';
import type { Obj } from '../client/types.ts';
import { isAlreadyExists, isNotFound } from '../machinery/errors.ts';

export const INGRESS_CONTROLLER = 'skiff.io/ingress-controller';
export const DEFAULT_CLASS_NAME = 'skiff';
export const ANN_DEFAULT_INGRESS_CLASS = 'ingressclass.kubernetes.io/is-default-class';
export const ANN_LEGACY_INGRESS_CLASS = 'kubernetes.io/ingress.class';

/** Creates the IngressClass (default for the cluster) unless one of that name exists; returns it. */
export async function ensureIngressClass(client: KubeClient, name = DEFAULT_CLASS_NAME): Promise<Obj> {
  const classes = client.resource('networking.k8s.io', 'ingressclasses');
  try {
    return await classes.get(name);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  const body: Obj = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name, annotations: { [ANN_DEFAULT_INGRESS_CLASS]: 'true' }, labels: { 'app.kubernetes.io/managed-by': 'skiff' } },
    spec: { controller: INGRESS_CONTROLLER },
  };
  try {
    return await classes.create(body);
  } catch (e) {
    if (isAlreadyExists(e)) return classes.get(name);
    throw e;
  }
}

/** Whether an IngressClass is marked the cluster default. */
export function isDefaultClass(ic: Obj): boolean {
  return ic.metadata?.annotations?.[ANN_DEFAULT_INGRESS_CLASS] === 'true';
}

/**
 * Whether the Ingress is served by the controller of `className`, given the IngressClasses the
 * cluster has.
 */
export function isOurIngress(ing: Obj, classes: Obj[], className: string, controller = INGRESS_CONTROLLER): boolean {
  const named = ing.spec?.ingressClassName;
  if (typeof named === 'string' && named) {
    if (named === className) return true;
    const ic = classes.find((c) => c.metadata?.name === named);
    return ic?.spec?.controller === controller;
  }
  const legacy = ing.metadata?.annotations?.[ANN_LEGACY_INGRESS_CLASS];
  if (typeof legacy === 'string' && legacy) return legacy === className;
  const defaults = classes.filter(isDefaultClass);
  return defaults.length > 0 && defaults.every((c) => c.spec?.controller === controller);
}
