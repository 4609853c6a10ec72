// The persistent volume binder (pkg/controller/volume/persistentvolume): binds each pending claim to
// the smallest Available volume of its StorageClass that has the access modes, volume mode, size
// and labels (selector) it asks for — or, with no match and a provisioner, hands it to that
// provisioner (volume.kubernetes.io/storage-provisioner); WaitForFirstConsumer classes wait for the
// scheduler's volume.kubernetes.io/selected-node annotation. Volume phases Available / Bound /
// Released / Failed, claim phases Pending / Bound / Lost, the bind-completed and bound-by-controller
// annotations, and reclaim: Retain keeps a released volume, Delete leaves it to its provisioner.
import type { Controller, ControllerContext, ControllerFactory } from '../manager.ts';
import type { Informer } from '../../client/informer.ts';
import { keyOf } from '../../client/informer.ts';
import { WorkQueue, runWorkers } from '../../client/workqueue.ts';
import type { EventRecorder } from '../../client/events.ts';
import type { Obj } from '../../client/types.ts';
import { isNotFound } from '../../machinery/errors.ts';
import { selectorFromLabelSelector } from '../../machinery/labels.ts';
import { tryParseQuantity } from '../../machinery/quantity.ts';

export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
export const ANN_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
export const ANN_BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
export const ANN_PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';
export const ANN_DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';

/** The default StorageClass (the newest when several are marked), as the DefaultStorageClass admission picks it. */
export function defaultClass(classes: Obj[]): Obj | undefined {
  let best: Obj | undefined;
  for (const c of classes) {
    const a = c.metadata?.annotations ?? {};
    if (a[ANN_DEFAULT_CLASS] !== 'true' && a['storageclass.beta.kubernetes.io/is-default-class'] !== 'true') continue;
    if (!best || String(c.metadata.creationTimestamp) > String(best.metadata.creationTimestamp)) best = c;
  }
  return best;
}

function storageOf(list: Obj | undefined): bigint | undefined {
  const q = tryParseQuantity(String(list?.storage ?? ''));
  return q ? q.scaledValueBig(0) : undefined;
}

/** Does the node satisfy the volume's required node affinity? */
function nodeMatches(pv: Obj, node: Obj | undefined, nodeName: string): boolean {
  const terms: Obj[] = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? [];
  if (!terms.length) return true;
  const labels: Record<string, string> = node?.metadata?.labels ?? { 'kubernetes.io/hostname': nodeName };
  return terms.some((t) =>
    (t.matchExpressions ?? []).every((e: Obj) => {
      const v = labels[e.key];
      switch (e.operator) {
        case 'In':
          return v !== undefined && (e.values ?? []).includes(v);
        case 'NotIn':
          return v === undefined || !(e.values ?? []).includes(v);
        case 'Exists':
          return v !== undefined;
        case 'DoesNotExist':
          return v === undefined;
        default:
          return false;
      }
    }),
  );
}

export class PersistentVolumeBinder implements Controller {
  readonly name = 'persistentvolume-binder-controller';
  #ctx: ControllerContext;
  #pvs: Informer;
  #pvcs: Informer;
  #classes: Informer;
  #nodes: Informer;
  #recorder: EventRecorder;
  #queue: WorkQueue;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.#pvs = ctx.informers.informer('', 'persistentvolumes');
    this.#pvcs = ctx.informers.informer('', 'persistentvolumeclaims');
    this.#classes = ctx.informers.informer('storage.k8s.io', 'storageclasses');
    this.#nodes = ctx.informers.informer('', 'nodes');
    this.#recorder = ctx.recorder('persistentvolume-controller');
    this.#queue = new WorkQueue({ clock: ctx.clock });
  }

  start(): void {
    const claim = (c: Obj) => this.#queue.add(`claim:${keyOf(c)}`);
    const volume = (v: Obj) => this.#queue.add(`volume:${v.metadata.name}`);
    this.#pvcs.addEventHandler({ add: claim, update: (_o, c) => claim(c), delete: (c) => {
      // The volumes it was bound to are released.
      for (const v of this.#pvs.list()) if (v.spec?.claimRef?.uid === c.metadata?.uid) volume(v);
    } });
    this.#pvs.addEventHandler({
      add: volume,
      update: (_o, v) => volume(v),
      delete: (v) => {
        const ref = v.spec?.claimRef;
        if (ref?.namespace && ref?.name) this.#queue.add(`claim:${ref.namespace}/${ref.name}`);
      },
    });
    // A new volume or class may satisfy waiting claims.
    const pending = () => {
      for (const c of this.#pvcs.list()) if (!c.spec?.volumeName) claim(c);
    };
    this.#classes.addEventHandler({ add: pending });
    this.#pvs.addEventHandler({ add: pending });
    void runWorkers(this.#queue, this.#ctx.config.workers, (k) => (k.startsWith('claim:') ? this.syncClaim(k.slice(6)) : this.syncVolume(k.slice(7))));
  }

  stop(): void {
    this.#queue.shutDown();
  }

  // --- claims ------------------------------------------------------------------------------------

  async syncClaim(key: string): Promise<void> {
    const pvc = this.#pvcs.getByKey(key);
    if (!pvc || pvc.metadata.deletionTimestamp) return;
    const ann = pvc.metadata.annotations ?? {};
    if (!pvc.spec?.volumeName) return this.#syncUnboundClaim(pvc);
    const pv = this.#pvs.get(pvc.spec.volumeName);
    if (!pv) {
      if (ann[ANN_BIND_COMPLETED] && pvc.status?.phase !== 'Lost') {
        await this.#claimPhase(pvc, 'Lost');
        this.#recorder.event(pvc, 'Warning', 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!');
      } else if (!ann[ANN_BIND_COMPLETED]) await this.#claimPhase(pvc, 'Pending');
      return;
    }
    const ref = pv.spec?.claimRef;
    if (!ref || (ref.namespace === pvc.metadata.namespace && ref.name === pvc.metadata.name && (!ref.uid || ref.uid === pvc.metadata.uid))) return this.#bind(pv, pvc);
    if (!ann[ANN_BIND_COMPLETED]) {
      this.#recorder.event(pvc, 'Warning', 'FailedBinding', `volume "${pv.metadata.name}" already bound to a different claim.`);
      await this.#claimPhase(pvc, 'Pending');
    } else if (pvc.status?.phase !== 'Lost') {
      await this.#claimPhase(pvc, 'Lost');
      this.#recorder.event(pvc, 'Warning', 'ClaimMisbound', 'Two claims are bound to the same volume, this one is bound incorrectly');
    }
  }

  async #syncUnboundClaim(pvc: Obj): Promise<void> {
    const pvcs = this.#ctx.client.resource('', 'persistentvolumeclaims', pvc.metadata.namespace);
    const className: string | undefined = pvc.spec?.storageClassName ?? undefined;
    if (className === undefined) {
      // Retroactive default StorageClass assignment.
      const def = defaultClass(this.#classes.list());
      if (def) {
        await pvcs.update({ ...pvc, spec: { ...pvc.spec, storageClassName: def.metadata.name } });
        return;
      }
    }
    const sc = className ? this.#classes.get(className) : undefined;
    const ann = pvc.metadata.annotations ?? {};
    const delayed = sc?.volumeBindingMode === 'WaitForFirstConsumer';
    const selectedNode: string | undefined = ann[ANN_SELECTED_NODE];
    if (delayed && !selectedNode) {
      this.#recorder.event(pvc, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
      await this.#claimPhase(pvc, 'Pending');
      return;
    }
    const pv = this.#findBestMatch(pvc, className ?? '', delayed ? selectedNode : undefined);
    if (pv) return this.#bind(pv, pvc);
    if (sc?.provisioner && sc.provisioner !== 'kubernetes.io/no-provisioner') {
      if (ann[ANN_STORAGE_PROVISIONER] !== sc.provisioner) {
        await pvcs.update({ ...pvc, metadata: { ...pvc.metadata, annotations: { ...ann, [ANN_STORAGE_PROVISIONER]: sc.provisioner, [ANN_BETA_STORAGE_PROVISIONER]: sc.provisioner } } });
      }
      this.#recorder.event(pvc, 'Normal', 'ExternalProvisioning', `waiting for a volume to be created, either by external provisioner "${sc.provisioner}" or manually created by system administrator`);
    } else if (!className) {
      this.#recorder.event(pvc, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
    } else if (!sc) {
      this.#recorder.event(pvc, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`);
    }
    await this.#claimPhase(pvc, 'Pending');
  }

  /** findBestMatchForClaim: a volume pre-bound to the claim, else the smallest that fits. */
  #findBestMatch(pvc: Obj, className: string, node: string | undefined): Obj | undefined {
    const want = storageOf(pvc.spec?.resources?.requests) ?? 0n;
    const modes: string[] = pvc.spec?.accessModes ?? [];
    const mode = pvc.spec?.volumeMode ?? 'Filesystem';
    let sel;
    try {
      sel = pvc.spec?.selector ? selectorFromLabelSelector(pvc.spec.selector) : undefined;
    } catch {
      return undefined;
    }
    const nodeObj = node ? this.#nodes.get(node) : undefined;
    let best: Obj | undefined;
    let bestSize = 0n;
    for (const pv of this.#pvs.list()) {
      const ref = pv.spec?.claimRef;
      const preBound = ref && ref.namespace === pvc.metadata.namespace && ref.name === pvc.metadata.name && (!ref.uid || ref.uid === pvc.metadata.uid);
      if (ref && !preBound) continue;
      if (pv.metadata.deletionTimestamp) continue;
      if (!preBound && pv.status?.phase && pv.status.phase !== 'Available' && pv.status.phase !== 'Pending') continue;
      if ((pv.spec?.storageClassName ?? '') !== className) continue;
      if ((pv.spec?.volumeMode ?? 'Filesystem') !== mode) continue;
      const pvModes: string[] = pv.spec?.accessModes ?? [];
      if (!modes.every((m) => pvModes.includes(m))) continue;
      const size = storageOf(pv.spec?.capacity) ?? 0n;
      if (size < want) continue;
      if (node && !nodeMatches(pv, nodeObj, node)) continue;
      if (preBound) return pv;
      if (sel && !sel.matches(pv.metadata.labels ?? {})) continue;
      if (!best || size < bestSize) {
        best = pv;
        bestSize = size;
      }
    }
    return best;
  }

  /** bind: claimRef on the volume, volume Bound, volumeName and bind-completed on the claim, claim Bound. */
  async #bind(pvIn: Obj, pvcIn: Obj): Promise<void> {
    const pvsClient = this.#ctx.client.resource('', 'persistentvolumes');
    const pvcsClient = this.#ctx.client.resource('', 'persistentvolumeclaims', pvcIn.metadata.namespace);
    let pv = pvIn;
    const ref = pv.spec?.claimRef;
    if (!ref || ref.uid !== pvcIn.metadata.uid) {
      pv = await pvsClient.update({
        ...pv,
        metadata: { ...pv.metadata, annotations: { ...(pv.metadata.annotations ?? {}), ...(ref ? {} : { [ANN_BOUND_BY_CONTROLLER]: 'yes' }) } },
        spec: { ...pv.spec, claimRef: { kind: 'PersistentVolumeClaim', namespace: pvcIn.metadata.namespace, name: pvcIn.metadata.name, uid: pvcIn.metadata.uid, apiVersion: 'v1', resourceVersion: pvcIn.metadata.resourceVersion } },
      });
    }
    if (pv.status?.phase !== 'Bound') pv = await pvsClient.updateStatus({ ...pv, status: { ...(pv.status ?? {}), phase: 'Bound' } });
    let pvc = pvcIn;
    const ann = pvc.metadata.annotations ?? {};
    if (pvc.spec?.volumeName !== pv.metadata.name || ann[ANN_BIND_COMPLETED] !== 'yes') {
      const annotations = { ...ann, [ANN_BIND_COMPLETED]: 'yes', ...(pvc.spec?.volumeName ? {} : { [ANN_BOUND_BY_CONTROLLER]: 'yes' }) };
      pvc = await pvcsClient.update({ ...pvc, metadata: { ...pvc.metadata, annotations }, spec: { ...pvc.spec, volumeName: pv.metadata.name } });
    }
    const status = { ...(pvc.status ?? {}), phase: 'Bound', accessModes: pv.spec?.accessModes ?? [], capacity: pv.spec?.capacity ?? {} };
    if (JSON.stringify(status) !== JSON.stringify(pvc.status ?? {})) await pvcsClient.updateStatus({ ...pvc, status });
  }

  async #claimPhase(pvc: Obj, phase: string): Promise<void> {
    if (pvc.status?.phase === phase) return;
    try {
      await this.#ctx.client.resource('', 'persistentvolumeclaims', pvc.metadata.namespace).updateStatus({ ...pvc, status: { ...(pvc.status ?? {}), phase } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  // --- volumes -----------------------------------------------------------------------------------

  async syncVolume(name: string): Promise<void> {
    const pv = this.#pvs.get(name);
    if (!pv || pv.metadata.deletionTimestamp) return;
    const ref = pv.spec?.claimRef;
    if (!ref) return this.#volumePhase(pv, 'Available');
    let claim = this.#pvcs.get(ref.namespace, ref.name);
    if (!claim && ref.uid) {
      // The cache may be behind: ask the server before releasing anything.
      claim = await this.#ctx.client.resource('', 'persistentvolumeclaims', ref.namespace).get(ref.name).catch((e) => {
        if (isNotFound(e)) return undefined;
        throw e;
      });
    }
    if (claim && (!ref.uid || claim.metadata.uid === ref.uid)) {
      if (claim.spec?.volumeName === pv.metadata.name) return this.#volumePhase(pv, 'Bound');
      if (!claim.spec?.volumeName) {
        this.#queue.add(`claim:${keyOf(claim)}`);
        return this.#volumePhase(pv, 'Available');
      }
      // The claim went to another volume: a volume the controller bound is freed again.
      if ((pv.metadata.annotations ?? {})[ANN_BOUND_BY_CONTROLLER]) {
        const spec = { ...pv.spec };
        delete spec.claimRef;
        const updated = await this.#ctx.client.resource('', 'persistentvolumes').update({ ...pv, spec });
        return this.#volumePhase(updated, 'Available');
      }
      return this.#volumePhase(pv, 'Released');
    }
    if (!ref.uid) return this.#volumePhase(pv, 'Available'); // pre-bound to a claim that does not exist yet
    // Its claim is gone: released, then reclaimed.
    if (pv.status?.phase === 'Failed') return;
    const policy = pv.spec?.persistentVolumeReclaimPolicy ?? 'Retain';
    if (pv.status?.phase !== 'Released') await this.#volumePhase(pv, 'Released');
    if (policy === 'Retain') return;
    if (policy === 'Delete') {
      const provisionedBy = (pv.metadata.annotations ?? {})[ANN_PROVISIONED_BY];
      if (provisionedBy) return; // its provisioner deletes it
      const msg = `error getting deleter volume plugin for volume "${pv.metadata.name}": no deletable volume plugin matched`;
      this.#recorder.event(pv, 'Warning', 'VolumeFailedDelete', msg);
      return this.#volumePhase(this.#pvs.get(name) ?? pv, 'Failed', msg);
    }
    this.#recorder.event(pv, 'Warning', 'VolumeFailedRecycle', 'No recycler plugin found for the volume!');
    return this.#volumePhase(this.#pvs.get(name) ?? pv, 'Failed', 'No recycler plugin found for the volume!');
  }

  async #volumePhase(pv: Obj, phase: string, message?: string): Promise<void> {
    if (pv.status?.phase === phase && (message === undefined || pv.status?.message === message)) return;
    const status: Obj = { ...(pv.status ?? {}), phase, lastPhaseTransitionTime: new Date(Math.floor(this.#ctx.clock.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z') };
    if (message) status.message = message;
    else delete status.message;
    try {
      await this.#ctx.client.resource('', 'persistentvolumes').updateStatus({ ...pv, status });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

export const persistentVolumeBinderController: ControllerFactory = (ctx) => new PersistentVolumeBinder(ctx);
