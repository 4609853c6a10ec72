// The Priority admission plugin (plugin/pkg/admission/priority): a new pod's priorityClassName is
// resolved to spec.priority and spec.preemptionPolicy from its PriorityClass (or the global
// default class, else priority 0); an unknown class is refused.
import { StatusError } from '../../machinery/errors.ts';
import type { AdmissionPlugin } from '../admission.ts';
import type { Store } from '../registry/store.ts';
import type { Obj } from '../types.ts';

export function priority(classes: () => Store): AdmissionPlugin {
  return {
    name: 'Priority',
    admit(a) {
      if (a.operation !== 'CREATE' || a.subresource || a.store.info.resource !== 'pods' || a.store.info.group !== '') return;
      const pod = a.obj;
      const spec = (pod.spec ??= {});
      const store = classes();
      let pc: Obj | undefined;
      if (spec.priorityClassName) {
        pc = typeof spec.priorityClassName === 'string' ? store.cache.get(store.key('', spec.priorityClassName))?.obj : undefined;
        if (!pc) {
          throw new StatusError(403, 'Forbidden', `pods "${pod.metadata?.name ?? ''}" is forbidden: no PriorityClass with name ${spec.priorityClassName} was found`, {
            name: pod.metadata?.name,
            kind: 'pods',
          });
        }
      } else {
        // The global default with the highest value (the first by name among equals).
        let pcKey = '';
        store.cache.forEach(`${store.prefix}/`, (c, key) => {
          if (c.globalDefault !== true) return;
          const v = c.value ?? 0;
          const best = pc ? (pc.value ?? 0) : 0;
          if (!pc || v > best || (v === best && key < pcKey)) {
            pc = c;
            pcKey = key;
          }
        });
        if (pc) spec.priorityClassName = pc.metadata.name;
      }
      const value = pc ? (pc.value ?? 0) : 0;
      if (spec.priority !== undefined && spec.priority !== value) {
        throw new StatusError(403, 'Forbidden', `pods "${pod.metadata?.name ?? ''}" is forbidden: the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`, {
          name: pod.metadata?.name,
          kind: 'pods',
        });
      }
      spec.priority = value;
      spec.preemptionPolicy ??= pc?.preemptionPolicy ?? 'PreemptLowerPriority';
    },
  };
}
