// DefaultTolerationSeconds admission (plugin/pkg/admission/defaulttolerationseconds): every new pod
// tolerates the node.kubernetes.io/not-ready and node.kubernetes.io/unreachable NoExecute taints for
// a bounded time (300 s by default), so that taint-based eviction moves it off a failed node.
import type { AdmissionPlugin } from '../admission.ts';
import type { Obj } from '../types.ts';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';

export interface DefaultTolerationSecondsOptions {
  /** --default-not-ready-toleration-seconds */
  notReadySeconds?: number;
  /** --default-unreachable-toleration-seconds */
  unreachableSeconds?: number;
}

/** True when the toleration covers `key`'s NoExecute taint (an empty key or effect is a wildcard). */
function covers(t: Obj, key: string): boolean {
  return (t?.key === key || !t?.key) && (t?.effect === 'NoExecute' || !t?.effect);
}

export function defaultTolerationSeconds(opts: DefaultTolerationSecondsOptions = {}): AdmissionPlugin {
  const notReady = opts.notReadySeconds ?? 300;
  const unreachable = opts.unreachableSeconds ?? 300;
  return {
    name: 'DefaultTolerationSeconds',
    admit(a) {
      if (a.operation !== 'CREATE' || a.subresource || a.store.info.group !== '' || a.store.info.resource !== 'pods') return;
      const spec = a.obj.spec;
      if (!spec || typeof spec !== 'object') return;
      const tols: Obj[] = Array.isArray(spec.tolerations) ? spec.tolerations : [];
      const add: Obj[] = [];
      if (!tols.some((t) => covers(t, TAINT_NOT_READY))) add.push({ key: TAINT_NOT_READY, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: notReady });
      if (!tols.some((t) => covers(t, TAINT_UNREACHABLE))) add.push({ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: unreachable });
      if (add.length) spec.tolerations = [...tols, ...add];
    },
  };
}
