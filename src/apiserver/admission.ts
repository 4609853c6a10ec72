// The admission chain (k8s.io/apiserver/pkg/admission): mutating plugins run before validation,
// validating plugins after, on every create, update and delete. The security issue adds its plugins
// here; NamespaceLifecycle is built in from the start because every namespaced write needs it.
import { StatusError, notFound } from '../machinery/errors.ts';
import type { Obj, RequestContext } from './types.ts';
import type { Store } from './registry/store.ts';

export interface AdmissionAttributes {
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  store: Store;
  obj: Obj;
  old?: Obj;
  ctx: RequestContext;
  namespace: string;
  subresource?: string;
  /** The object's kind when it is not the resource's own (pods/eviction takes a policy/v1 Eviction). */
  kind?: { group: string; version: string; kind: string };
}

export interface AdmissionPlugin {
  name: string;
  /** Mutating phase: may change `obj`. */
  admit?(a: AdmissionAttributes): Promise<void> | void;
  /** Validating phase: may only refuse. */
  validate?(a: AdmissionAttributes): Promise<void> | void;
}

export class Admission {
  plugins: AdmissionPlugin[];
  constructor(plugins: AdmissionPlugin[] = []) {
    this.plugins = plugins;
  }
  // Plugins that do not apply answer synchronously; only a plugin's promise is waited for.
  async admit(a: AdmissionAttributes): Promise<void> {
    for (const p of this.plugins) {
      if (!p.admit) continue;
      const r = p.admit(a);
      if (r) await r;
    }
  }
  async validate(a: AdmissionAttributes): Promise<void> {
    for (const p of this.plugins) {
      if (!p.validate) continue;
      const r = p.validate(a);
      if (r) await r;
    }
  }
}

const IMMORTAL = new Set(['default', 'kube-system', 'kube-public']);

/**
 * NamespaceLifecycle: no new objects in a namespace that does not exist or is being terminated,
 * and the system namespaces cannot be deleted.
 */
export function namespaceLifecycle(namespaces: () => Store): AdmissionPlugin {
  return {
    name: 'NamespaceLifecycle',
    validate(a) {
      const { store } = a;
      if (store.info.resource === 'namespaces' && !store.info.group) {
        if (a.operation === 'DELETE' && IMMORTAL.has(a.obj.metadata?.name)) {
          throw new StatusError(403, 'Forbidden', `namespaces "${a.obj.metadata.name}" is forbidden: this namespace may not be deleted`, {
            name: a.obj.metadata.name,
            kind: 'namespaces',
          });
        }
        return;
      }
      if (!store.info.namespaced || a.operation !== 'CREATE' || !a.namespace) return;
      const nsStore = namespaces();
      const cached = nsStore.cache.get(nsStore.key('', a.namespace))?.obj;
      if (cached) return checkNamespace(a, cached);
      return nsStore.get('', a.namespace).then(
        (ns) => checkNamespace(a, ns),
        () => {
          throw notFound({ group: '', resource: 'namespaces' }, a.namespace);
        },
      );
    },
  };
}

/** NamespaceLifecycle: refuses new objects in a namespace being terminated. */
function checkNamespace(a: AdmissionAttributes, ns: Obj): void {
  const { store } = a;
  if (ns.status?.phase === 'Terminating' || ns.metadata?.deletionTimestamp) {
    // Events about the namespace's teardown are still allowed, as upstream.
    if (store.info.kind === 'Event') return;
    throw new StatusError(
      403,
      'Forbidden',
      `${store.gr.group ? `${store.gr.resource}.${store.gr.group}` : store.gr.resource} "${a.obj.metadata?.name ?? ''}" is forbidden: unable to create new content in namespace ${a.namespace} because it is being terminated`,
      { name: a.obj.metadata?.name, group: store.gr.group, kind: store.gr.resource, causes: [{ reason: 'NamespaceTerminating', message: `namespace ${a.namespace} is being terminated`, field: 'metadata.namespace' }] },
    );
  }
}
