// The DefaultStorageClass admission plugin (plugin/pkg/admission/storage/storageclass/setdefault):
// a new PersistentVolumeClaim that names no class (no spec.storageClassName, not even "", and no
// beta class annotation) gets the class annotated storageclass.kubernetes.io/is-default-class=true;
// when several are, the newest wins (then the first by name).
import type { AdmissionPlugin } from '../admission.ts';
import type { Store } from '../registry/store.ts';
import type { Obj } from '../types.ts';

export const ANN_DEFAULT_STORAGE_CLASS = 'storageclass.kubernetes.io/is-default-class';
export const ANN_BETA_DEFAULT_STORAGE_CLASS = 'storageclass.beta.kubernetes.io/is-default-class';
export const ANN_BETA_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';

/** The class to default to among `classes`: the newest marked one, ties broken by name (GetDefaultClass). */
export function newestDefault(classes: Obj[], isDefault: (c: Obj) => boolean): Obj | undefined {
  let best: Obj | undefined;
  let bestTime = 0;
  for (const c of classes) {
    if (!isDefault(c)) continue;
    const t = Date.parse(c.metadata?.creationTimestamp ?? '') || 0;
    if (!best || t > bestTime || (t === bestTime && String(c.metadata?.name) < String(best.metadata?.name))) {
      best = c;
      bestTime = t;
    }
  }
  return best;
}

export const isDefaultStorageClass = (c: Obj): boolean => c.metadata?.annotations?.[ANN_DEFAULT_STORAGE_CLASS] === 'true' || c.metadata?.annotations?.[ANN_BETA_DEFAULT_STORAGE_CLASS] === 'true';

export function defaultStorageClass(classes: () => Store): AdmissionPlugin {
  return {
    name: 'DefaultStorageClass',
    admit(a) {
      if (a.operation !== 'CREATE' || a.subresource || a.store.info.group !== '' || a.store.info.resource !== 'persistentvolumeclaims') return;
      const pvc = a.obj;
      if (!pvc.spec || typeof pvc.spec !== 'object') return;
      // An explicit "" means "no class" and is kept.
      if (pvc.spec.storageClassName !== undefined && pvc.spec.storageClassName !== null) return;
      if (Object.prototype.hasOwnProperty.call(pvc.metadata?.annotations ?? {}, ANN_BETA_STORAGE_CLASS)) return;
      const store = classes();
      const def = newestDefault(store.cache.list(`${store.prefix}/`).items, isDefaultStorageClass);
      if (def) pvc.spec.storageClassName = def.metadata.name;
    },
  };
}
