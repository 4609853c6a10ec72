// VolumeBinding plugin (pkg/scheduler/framework/plugins/volumebinding): PreFilter rejects pods
// whose Immediate-mode claims are unbound; Filter checks bound PVs' node affinity and, for
// WaitForFirstConsumer claims, that a matching PV exists or the class can provision here;
// PreBind binds or marks the claim with the selected node and waits until it is Bound.
import { Code, SKIP, unresolvable, type CycleState, type FilterPlugin, type Handle, type PreBindPlugin, type PreFilterPlugin, type Result } from '../../types.ts';
import type { NodeInfo, PodInfo } from '../../nodeinfo.ts';
import type { Obj } from '../../../client/types.ts';
import { qValue } from '../../nodeinfo.ts';
import { nodeSelectorMatcher } from '../helpers.ts';

export const NAME = 'VolumeBinding';
export const ERR_UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';
export const ERR_NODE_CONFLICT = 'node(s) had volume node affinity conflict';
export const ERR_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind";
export const ERR_PV_NOT_EXIST = 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)';
const KEY = 'PreFilter' + NAME;
const SELECTED_NODE = 'volume.kubernetes.io/selected-node';
const BIND_TIMEOUT_MS = 600_000;

interface State {
  bound: Obj[]; // PVCs with a volume
  delayed: Obj[]; // WaitForFirstConsumer PVCs still unbound
  /** per node: PV chosen for each delayed claim (null = provision) */
  chosen: Map<string, (Obj | null)[]>;
}

function claimNames(pod: Obj): string[] {
  const out: string[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    if (v.persistentVolumeClaim?.claimName) out.push(v.persistentVolumeClaim.claimName);
    else if (v.ephemeral) out.push(`${pod.metadata.name}-${v.name}`);
  }
  return out;
}

const isBound = (pvc: Obj) => !!pvc.spec?.volumeName;

function pvFitsNode(pv: Obj, node: NodeInfo): boolean {
  const req = pv.spec?.nodeAffinity?.required;
  return !req || nodeSelectorMatcher(req)(node.labels, node.name);
}

export function volumeBinding(h: Handle): PreFilterPlugin & FilterPlugin & PreBindPlugin {
  const pvcs = h.lister('pvcs');
  const pvs = h.lister('pvs');
  const classes = h.lister('storageclasses');
  const classOf = (pvc: Obj) => pvc.spec?.storageClassName ?? '';
  const delayedMode = (pvc: Obj) => classes.get(classOf(pvc))?.volumeBindingMode === 'WaitForFirstConsumer';

  function matchPV(pvc: Obj, node: NodeInfo, taken: Set<string>): Obj | undefined {
    const want = qValue(pvc.spec?.resources?.requests?.storage);
    const modes: string[] = pvc.spec?.accessModes ?? [];
    let best: Obj | undefined;
    for (const pv of pvs.list()) {
      const name = pv.metadata.name;
      if (taken.has(name) || (pv.spec?.storageClassName ?? '') !== classOf(pvc)) continue;
      const ref = pv.spec?.claimRef;
      if (ref && !(ref.namespace === pvc.metadata.namespace && ref.name === pvc.metadata.name)) continue;
      if (pv.status?.phase && pv.status.phase !== 'Available' && !ref) continue;
      const cap = qValue(pv.spec?.capacity?.storage);
      if (cap < want) continue;
      const pm: string[] = pv.spec?.accessModes ?? [];
      if (!modes.every((m) => pm.includes(m))) continue;
      if (!pvFitsNode(pv, node)) continue;
      if (!best || cap < qValue(best.spec?.capacity?.storage)) best = pv;
    }
    return best;
  }

  return {
    name: NAME,
    events: ['PvcAdd', 'PvcUpdate', 'PvAdd', 'PvUpdate', 'StorageClassAdd', 'StorageClassUpdate', 'NodeAdd', 'NodeUpdate'],
    preFilter(s: CycleState, pod: PodInfo) {
      const names = claimNames(pod.pod);
      if (!names.length) return { status: SKIP };
      const st: State = { bound: [], delayed: [], chosen: new Map() };
      let unboundImmediate = false;
      for (const n of names) {
        const pvc = pvcs.get(pod.namespace, n);
        if (!pvc) return { status: unresolvable(`persistentvolumeclaim "${n}" not found`) };
        if (pvc.metadata.deletionTimestamp) return { status: unresolvable(`persistentvolumeclaim "${n}" is being deleted`) };
        if (isBound(pvc)) st.bound.push(pvc);
        else if (delayedMode(pvc)) st.delayed.push(pvc);
        else unboundImmediate = true;
      }
      if (unboundImmediate) return { status: unresolvable(ERR_UNBOUND_IMMEDIATE) };
      s.write(KEY, st);
      return { status: null };
    },
    filter(s: CycleState, _pod: PodInfo, node: NodeInfo): Result {
      const st = s.read<State>(KEY);
      if (!st) return null;
      const reasons: string[] = [];
      for (const pvc of st.bound) {
        const pv = pvs.get(pvc.spec.volumeName);
        if (!pv) return unresolvable(ERR_PV_NOT_EXIST);
        if (!pvFitsNode(pv, node)) {
          reasons.push(ERR_NODE_CONFLICT);
          break;
        }
      }
      const chosen: (Obj | null)[] = [];
      const taken = new Set<string>();
      for (const pvc of st.delayed) {
        const pv = matchPV(pvc, node, taken);
        if (pv) {
          taken.add(pv.metadata.name);
          chosen.push(pv);
          continue;
        }
        const sc = classes.get(classOf(pvc));
        const prov = sc?.provisioner;
        let ok = !!prov && prov !== 'kubernetes.io/no-provisioner';
        const topo: Obj[] | undefined = sc?.allowedTopologies;
        if (ok && topo && topo.length) {
          ok = topo.some((t) => (t.matchLabelExpressions ?? []).every((e: Obj) => (e.values ?? []).includes(node.labels[e.key])));
        }
        if (!ok) {
          reasons.push(ERR_BIND_CONFLICT);
          break;
        }
        chosen.push(null);
      }
      if (reasons.length) return { code: Code.UnschedulableAndUnresolvable, reasons };
      st.chosen.set(node.name, chosen);
      return null;
    },
    async preBind(s: CycleState, pod: PodInfo, nodeName: string): Promise<Result> {
      const st = s.read<State>(KEY);
      if (!st || !st.delayed.length) return null;
      const chosen = st.chosen.get(nodeName) ?? [];
      try {
        for (let i = 0; i < st.delayed.length; i++) {
          const pvc = st.delayed[i]!;
          const pv = chosen[i];
          const ns = pvc.metadata.namespace;
          if (pv) {
            await h.client.resource('', 'persistentvolumes').patch(pv.metadata.name, 'merge', {
              spec: { claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: ns, name: pvc.metadata.name, uid: pvc.metadata.uid } },
            });
          } else {
            await h.client.resource('', 'persistentvolumeclaims', ns).patch(pvc.metadata.name, 'merge', { metadata: { annotations: { [SELECTED_NODE]: nodeName } } });
          }
        }
        const ok = await h.waitFor(() => st.delayed.every((c) => {
          const cur = pvcs.get(c.metadata.namespace, c.metadata.name);
          return !!cur && isBound(cur);
        }), BIND_TIMEOUT_MS);
        return ok ? null : { code: Code.Error, reasons: [`binding volumes: timed out waiting for the condition`] };
      } catch (e) {
        return { code: Code.Error, reasons: [`binding volumes: ${(e as Error).message}`] };
      }
    },
  };
}

export { claimNames };
