// Persistent volumes: the PV binder controller and the built-in local-path provisioner.
export { PersistentVolumeBinder, persistentVolumeBinderController, defaultClass } from './binder.ts';
export { LocalPathProvisioner, localPathProvisionerController, LOCAL_PATH_CLASS, LOCAL_PATH_PROVISIONER, type LocalPathOptions } from './localpath.ts';
