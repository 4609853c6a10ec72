// The DefaultIngressClass admission plugin (plugin/pkg/admission/network/defaultingressclass): a
// new Ingress that names no class (no spec.ingressClassName and no kubernetes.io/ingress.class
// annotation) gets the IngressClass annotated ingressclass.kubernetes.io/is-default-class=true;
// when several are, the newest wins (then the first by name).
import type { AdmissionPlugin } from '../admission.ts';
import type { Store } from '../registry/store.ts';
import type { Obj } from '../types.ts';
import { newestDefault } from './defaultstorageclass.ts';

export const ANN_DEFAULT_INGRESS_CLASS = 'ingressclass.kubernetes.io/is-default-class';
export const ANN_INGRESS_CLASS = 'kubernetes.io/ingress.class';

export const isDefaultIngressClass = (c: Obj): boolean => c.metadata?.annotations?.[ANN_DEFAULT_INGRESS_CLASS] === 'true';

export function defaultIngressClass(classes: () => Store): AdmissionPlugin {
  return {
    name: 'DefaultIngressClass',
    admit(a) {
      if (a.operation !== 'CREATE' || a.subresource || a.store.info.group !== 'networking.k8s.io' || a.store.info.resource !== 'ingresses') return;
      const ing = a.obj;
      if (!ing.spec || typeof ing.spec !== 'object') ing.spec = {};
      if (ing.spec.ingressClassName !== undefined && ing.spec.ingressClassName !== null) return;
      if (Object.prototype.hasOwnProperty.call(ing.metadata?.annotations ?? {}, ANN_INGRESS_CLASS)) return;
      const store = classes();
      const def = newestDefault(store.cache.list(`${store.prefix}/`).items, isDefaultIngressClass);
      if (def) ing.spec.ingressClassName = def.metadata.name;
    },
  };
}
