// A built-in local-path provisioner (in the manner of rancher's local-path-provisioner, as an
// external provisioner to the PV controller): it makes sure the default StorageClass `local-path`
// (skiff.io/local-path, WaitForFirstConsumer, reclaim Delete) exists, provisions a hostPath volume in
// its data directory for every claim handed to it once the scheduler has picked a node (with node
// affinity to that node), and deletes the directory and the volume when a Delete volume is released.
import { mkdir, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import type { Controller, ControllerContext, ControllerFactory } from '../manager.ts';
import type { Informer } from '../../client/informer.ts';
import { keyOf } from '../../client/informer.ts';
import { WorkQueue, runWorkers } from '../../client/workqueue.ts';
import type { EventRecorder } from '../../client/events.ts';
import type { Obj } from '../../client/types.ts';
import { isAlreadyExists, isNotFound } from '../../machinery/errors.ts';
import { ANN_DEFAULT_CLASS, ANN_PROVISIONED_BY, ANN_SELECTED_NODE, ANN_STORAGE_PROVISIONER } from './binder.ts';

export const LOCAL_PATH_PROVISIONER = 'skiff.io/local-path';
export const LOCAL_PATH_CLASS = 'local-path';

export interface LocalPathOptions {
  /** Where volumes live: one directory per volume. */
  dataDir?: string;
  /** Create the default StorageClass when absent (default true). */
  createStorageClass?: boolean;
}

export class LocalPathProvisioner implements Controller {
  readonly name = 'local-path-provisioner';
  readonly dataDir: string;
  #ctx: ControllerContext;
  #opts: LocalPathOptions;
  #pvs: Informer;
  #pvcs: Informer;
  #classes: Informer;
  #nodes: Informer;
  #recorder: EventRecorder;
  #queue: WorkQueue;

  constructor(ctx: ControllerContext, opts: LocalPathOptions = {}) {
    this.#ctx = ctx;
    this.#opts = opts;
    this.dataDir = resolve(opts.dataDir ?? join(homedir(), '.skiff', 'local-path'));
    this.#pvs = ctx.informers.informer('', 'persistentvolumes');
    this.#pvcs = ctx.informers.informer('', 'persistentvolumeclaims');
    this.#classes = ctx.informers.informer('storage.k8s.io', 'storageclasses');
    this.#nodes = ctx.informers.informer('', 'nodes');
    this.#recorder = ctx.recorder(LOCAL_PATH_PROVISIONER);
    this.#queue = new WorkQueue({ clock: ctx.clock });
  }

  start(): void {
    const claim = (c: Obj) => {
      if ((c.metadata?.annotations ?? {})[ANN_STORAGE_PROVISIONER] === LOCAL_PATH_PROVISIONER && !c.spec?.volumeName) this.#queue.add(`claim:${keyOf(c)}`);
    };
    this.#pvcs.addEventHandler({ add: claim, update: (_o, c) => claim(c) });
    const volume = (v: Obj) => {
      if ((v.metadata?.annotations ?? {})[ANN_PROVISIONED_BY] === LOCAL_PATH_PROVISIONER && v.status?.phase === 'Released') this.#queue.add(`volume:${v.metadata.name}`);
    };
    this.#pvs.addEventHandler({ add: volume, update: (_o, v) => volume(v) });
    void runWorkers(this.#queue, this.#ctx.config.workers, (k) => (k.startsWith('claim:') ? this.#provision(k.slice(6)) : this.#reclaim(k.slice(7))));
    if (this.#opts.createStorageClass !== false) void this.#ensureClass().catch(() => {});
  }

  stop(): void {
    this.#queue.shutDown();
  }

  async #ensureClass(): Promise<void> {
    const classes = this.#ctx.client.resource('storage.k8s.io', 'storageclasses');
    try {
      await classes.get(LOCAL_PATH_CLASS);
      return;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    try {
      await classes.create({
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: LOCAL_PATH_CLASS, annotations: { [ANN_DEFAULT_CLASS]: 'true' } },
        provisioner: LOCAL_PATH_PROVISIONER,
        reclaimPolicy: 'Delete',
        volumeBindingMode: 'WaitForFirstConsumer',
      });
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  }

  #pathFor(pvc: Obj): string {
    return join(this.dataDir, `pvc-${pvc.metadata.uid}_${pvc.metadata.namespace}_${pvc.metadata.name}`);
  }

  async #provision(key: string): Promise<void> {
    const pvc = this.#pvcs.getByKey(key);
    if (!pvc || pvc.spec?.volumeName || pvc.metadata.deletionTimestamp) return;
    const ann = pvc.metadata.annotations ?? {};
    if (ann[ANN_STORAGE_PROVISIONER] !== LOCAL_PATH_PROVISIONER) return;
    const sc = this.#classes.get(pvc.spec?.storageClassName ?? '');
    if (!sc) return;
    const node: string | undefined = ann[ANN_SELECTED_NODE];
    if (sc.volumeBindingMode === 'WaitForFirstConsumer' && !node) return;
    const name = `pvc-${pvc.metadata.uid}`;
    if (this.#pvs.get(name)) return;
    const claimName = `${pvc.metadata.namespace}/${pvc.metadata.name}`;
    this.#recorder.event(pvc, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${claimName}"`);
    const path = this.#pathFor(pvc);
    try {
      await mkdir(path, { recursive: true, mode: 0o777 });
    } catch (e) {
      this.#recorder.event(pvc, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${sc.metadata.name}": ${(e as Error).message}`);
      throw e;
    }
    const hostname = node ? (this.#nodes.get(node)?.metadata?.labels?.['kubernetes.io/hostname'] ?? node) : undefined;
    try {
      await this.#ctx.client.resource('', 'persistentvolumes').create({
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name, annotations: { [ANN_PROVISIONED_BY]: LOCAL_PATH_PROVISIONER, ...(node ? { 'local.path.provisioner/selected-node': node } : {}) } },
        spec: {
          capacity: { storage: pvc.spec?.resources?.requests?.storage ?? '0' },
          accessModes: pvc.spec?.accessModes ?? ['ReadWriteOnce'],
          persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
          storageClassName: sc.metadata.name,
          volumeMode: pvc.spec?.volumeMode ?? 'Filesystem',
          hostPath: { path, type: 'DirectoryOrCreate' },
          ...(hostname ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [hostname] }] }] } } } : {}),
          claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: pvc.metadata.namespace, name: pvc.metadata.name, uid: pvc.metadata.uid, resourceVersion: pvc.metadata.resourceVersion },
        },
      });
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      return;
    }
    this.#recorder.event(pvc, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${name}`);
  }

  async #reclaim(name: string): Promise<void> {
    const pv = this.#pvs.get(name);
    if (!pv || pv.status?.phase !== 'Released' || pv.spec?.persistentVolumeReclaimPolicy !== 'Delete') return;
    if ((pv.metadata.annotations ?? {})[ANN_PROVISIONED_BY] !== LOCAL_PATH_PROVISIONER) return;
    const path = resolve(String(pv.spec?.hostPath?.path ?? ''));
    // Only what this provisioner made, under its own directory, is ever removed.
    if (path.startsWith(this.dataDir + sep)) await rm(path, { recursive: true, force: true });
    try {
      await this.#ctx.client.resource('', 'persistentvolumes').delete(name, { preconditions: { uid: pv.metadata.uid } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

/** The provisioner's factory; `dataDir` is where the volumes' directories go. */
export function localPathProvisionerController(opts: LocalPathOptions = {}): ControllerFactory {
  return (ctx) => new LocalPathProvisioner(ctx, opts);
}
