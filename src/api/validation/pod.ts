// Pod and pod template validation as kube-apiserver does it (pkg/apis/core/validation: ValidatePodSpec,
// ValidatePodTemplateSpec, ValidatePodCreate, ValidatePodUpdate). Fields that upstream defaults before
// validating (restartPolicy, dnsPolicy, imagePullPolicy, protocols, ...) are only checked when present.
import type { FieldError } from '../../machinery/errors.ts';
import { required, invalid, forbiddenField, duplicate, notSupported } from '../../machinery/errors.ts';
import { isValidLabelValue, isValidPortName, isConfigMapKey, isRelaxedEnvVarName, isHTTPHeaderName, validateObjectMetaUpdate } from '../../machinery/validation.ts';
import {
  type Obj, child, index, key, isObj, arr, str, has, nonNegative, inclusiveRange, dns1123Label, dns1123Subdomain,
  qualifiedName, nameWith, ipAddress, portNum, portNumOrName, labelName, validateLabels, validateAnnotations,
  validateLabelSelector, nameIsDNSSubdomain, nameIsDNSLabel, deepEqual, NOT_POSITIVE,
} from './common.ts';
import { cmpQuantity, quantityString, resourceQuantityValue } from './qty.ts';

export interface PodOptions {
  /** The object is a Pod (not a template embedded in another resource). */
  resourceIsPod?: boolean;
}

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const FILE_MODE_MSG = 'must be a number between 0 and 0777 (octal), both inclusive';
const MAX_INT32 = 2147483647;

// ---------------- volumes ----------------

/** Volume sources in upstream's checking order: [json key, path name used in the "more than 1" error]. */
const VOLUME_SOURCES: [string, string][] = [
  ['emptyDir', 'emptyDir'], ['hostPath', 'hostPath'], ['gitRepo', 'gitRepo'], ['gcePersistentDisk', 'gcePersistentDisk'],
  ['awsElasticBlockStore', 'awsElasticBlockStore'], ['secret', 'secret'], ['nfs', 'nfs'], ['iscsi', 'iscsi'],
  ['glusterfs', 'glusterfs'], ['flocker', 'flocker'], ['persistentVolumeClaim', 'persistentVolumeClaim'], ['rbd', 'rbd'],
  ['cinder', 'cinder'], ['cephfs', 'cephFS'], ['quobyte', 'quobyte'], ['downwardAPI', 'downwarAPI'], ['fc', 'fc'],
  ['flexVolume', 'flexVolume'], ['configMap', 'configMap'], ['azureFile', 'azureFile'], ['vsphereVolume', 'vsphereVolume'],
  ['photonPersistentDisk', 'photonPersistentDisk'], ['portworxVolume', 'portworxVolume'], ['azureDisk', 'azureDisk'],
  ['storageos', 'storageos'], ['projected', 'projected'], ['scaleIO', 'scaleIO'], ['csi', 'csi'], ['ephemeral', 'ephemeral'],
  ['image', 'image'],
];

/** Sources whose only checks are required string fields: key -> [path used, fields]. */
const SIMPLE_REQUIRED: Record<string, [string, string[]]> = {
  gitRepo: ['gitRepo', ['repository']],
  gcePersistentDisk: ['persistentDisk', ['pdName']],
  awsElasticBlockStore: ['awsElasticBlockStore', ['volumeID']],
  iscsi: ['iscsi', ['targetPortal', 'iqn']],
  glusterfs: ['glusterfs', ['endpoints', 'path']],
  cinder: ['cinder', ['volumeID']],
  quobyte: ['quobyte', ['registry', 'volume']],
  flexVolume: ['flexVolume', ['driver']],
  azureFile: ['azureFile', ['secretName', 'shareName']],
  azureDisk: ['azureDisk', ['diskName', 'diskURI']],
  vsphereVolume: ['vsphereVolume', ['volumePath']],
  photonPersistentDisk: ['photonPersistentDisk', ['pdID']],
  portworxVolume: ['portworxVolume', ['volumeID']],
  scaleIO: ['scaleIO', ['gateway', 'system', 'volumeName']],
  storageos: ['storageos', ['volumeName']],
};

const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];

export function pathNoBacksteps(p: string, path: string, errs: FieldError[]): void {
  if (p.replace(/\\/g, '/').split('/').includes('..')) errs.push(invalid(path, p, "must not contain '..'"));
}

function localDescendingPath(p: string, path: string, errs: FieldError[]): void {
  if (p.startsWith('/')) errs.push(invalid(path, p, 'must be a relative path'));
  pathNoBacksteps(p, path, errs);
}

function localNonReservedPath(p: string, path: string, errs: FieldError[]): void {
  localDescendingPath(p, path, errs);
  if (p.startsWith('..') && !p.startsWith('../')) errs.push(invalid(path, p, "must not start with '..'"));
}

function fileMode(v: unknown, path: string, errs: FieldError[]): void {
  if (typeof v === 'number' && (v > 0o777 || v < 0)) errs.push(invalid(path, v, FILE_MODE_MSG));
}

function keyToPath(kp: Obj, path: string, errs: FieldError[]): void {
  if (!str(kp?.key)) errs.push(required(child(path, 'key'), ''));
  if (!str(kp?.path)) errs.push(required(child(path, 'path'), ''));
  localNonReservedPath(str(kp?.path), child(path, 'path'), errs);
  fileMode(kp?.mode, child(path, 'mode'), errs);
}

const VOLUME_FIELDREF_PATHS = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];
const ENV_FIELDREF_PATHS = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs'];
const RESOURCE_FIELDREF = ['limits.cpu', 'limits.ephemeral-storage', 'limits.memory', 'requests.cpu', 'requests.ephemeral-storage', 'requests.memory'];

function objectFieldSelector(fs: Obj, allowed: string[], path: string, errs: FieldError[]): void {
  const fieldPath = str(fs?.fieldPath);
  if (!fieldPath) {
    errs.push(required(child(path, 'fieldPath'), ''));
    return;
  }
  const m = /^(metadata\.(?:labels|annotations))\['(.*)'\]$/.exec(fieldPath);
  if (m) {
    qualifiedName(m[1] === 'metadata.annotations' ? m[2]!.toLowerCase() : m[2]!, path, errs);
    return;
  }
  const base = fieldPath.includes('[') ? fieldPath.slice(0, fieldPath.indexOf('[')) : fieldPath;
  if (base !== fieldPath) {
    errs.push(invalid(path, base, 'does not support subscript'));
    return;
  }
  if (!allowed.includes(fieldPath)) errs.push(notSupported(child(path, 'fieldPath'), fieldPath, allowed));
}

function resourceFieldSelector(fs: Obj, path: string, errs: FieldError[], volume: boolean): void {
  if (volume && !str(fs?.containerName)) errs.push(required(child(path, 'containerName'), ''));
  else if (!str(fs?.resource)) errs.push(required(child(path, 'resource'), ''));
  else if (!RESOURCE_FIELDREF.includes(fs.resource) && !/^(requests|limits)\.hugepages-/.test(fs.resource)) {
    errs.push(notSupported(child(path, 'resource'), fs.resource, RESOURCE_FIELDREF));
  }
}

function downwardAPIFile(file: Obj, path: string, errs: FieldError[]): void {
  if (!str(file?.path)) errs.push(required(child(path, 'path'), ''));
  localNonReservedPath(str(file?.path), child(path, 'path'), errs);
  if (isObj(file?.fieldRef)) {
    objectFieldSelector(file.fieldRef, VOLUME_FIELDREF_PATHS, child(path, 'fieldRef'), errs);
    if (isObj(file.resourceFieldRef)) errs.push(invalid(path, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
  } else if (isObj(file?.resourceFieldRef)) {
    resourceFieldSelector(file.resourceFieldRef, child(path, 'resourceFieldRef'), errs, true);
  } else {
    errs.push(required(path, 'one of fieldRef and resourceFieldRef is required'));
  }
  fileMode(file?.mode, child(path, 'mode'), errs);
}

function projectedSources(proj: Obj, path: string, errs: FieldError[]): void {
  const paths = new Set<string>();
  const seen = (p: string, value: unknown) => {
    if (!p) return;
    if (paths.has(p)) errs.push(invalid(path, value, 'conflicting duplicate paths'));
    paths.add(p);
  };
  arr(proj.sources).forEach((src: Obj, i: number) => {
    const sp = index(child(path, 'sources'), i);
    let n = 0;
    for (const kind of ['secret', 'configMap'] as const) {
      const s = src?.[kind];
      if (!isObj(s)) continue;
      n++;
      const pp = child(sp, kind);
      if (!str(s.name)) errs.push(required(child(pp, 'name'), ''));
      arr(s.items).forEach((kp: Obj, j: number) => {
        keyToPath(kp, index(child(pp, 'items'), j), errs);
        seen(str(kp?.path), str(s.name));
      });
    }
    if (isObj(src?.downwardAPI)) {
      n++;
      arr(src.downwardAPI.items).forEach((f: Obj) => {
        downwardAPIFile(f, child(sp, 'downwardAPI'), errs);
        seen(str(f?.path), str(f?.path));
      });
    }
    if (isObj(src?.serviceAccountToken)) {
      n++;
      const t = src.serviceAccountToken;
      const tp = child(sp, 'serviceAccountToken');
      if (typeof t.expirationSeconds === 'number') {
        if (t.expirationSeconds < 600) errs.push(invalid(child(tp, 'expirationSeconds'), t.expirationSeconds, 'may not specify a duration less than 10 minutes'));
        if (t.expirationSeconds > 2 ** 32) errs.push(invalid(child(tp, 'expirationSeconds'), t.expirationSeconds, 'may not specify a duration larger than 2^32 seconds'));
      }
      if (!str(t.path)) errs.push(required(child(path, 'path'), ''));
      else localNonReservedPath(t.path, child(path, 'path'), errs);
    }
    if (isObj(src?.clusterTrustBundle)) {
      n++;
      const b = src.clusterTrustBundle;
      const bp = child(sp, 'clusterTrustBundle');
      if (has(b.name) && has(b.signerName)) errs.push(invalid(bp, b, 'only one of name and signerName may be used'));
      else if (!has(b.name) && !has(b.signerName)) errs.push(required(bp, 'either name or signerName must be specified'));
      if (!str(b.path)) errs.push(required(child(bp, 'path'), ''));
      localNonReservedPath(str(b.path), child(bp, 'path'), errs);
      seen(str(b.path), str(b.path));
    }
    if (n > 1) errs.push(forbiddenField(sp, 'may not specify more than 1 volume type per source'));
  });
}

function volumeSource(vol: Obj, path: string, podName: string, errs: FieldError[]): void {
  let n = 0;
  for (const [k, pathName] of VOLUME_SOURCES) {
    const src = vol[k];
    if (src === undefined || src === null) continue;
    if (n > 0) {
      errs.push(forbiddenField(child(path, pathName), 'may not specify more than 1 volume type'));
      continue;
    }
    n++;
    const s: Obj = isObj(src) ? src : {};
    const simple = SIMPLE_REQUIRED[k];
    if (simple) {
      for (const f of simple[1]) if (!str(s[f])) errs.push(required(child(child(path, simple[0]), f), ''));
      continue;
    }
    switch (k) {
      case 'emptyDir':
        if (has(s.sizeLimit) && cmpQuantity(s.sizeLimit, 0) < 0) errs.push(forbiddenField(child(path, 'emptyDir', 'sizeLimit'), 'SizeLimit field must be a valid resource quantity'));
        break;
      case 'hostPath': {
        const hp = child(path, 'hostPath');
        if (!str(s.path)) {
          errs.push(required(child(hp, 'path'), ''));
          break;
        }
        pathNoBacksteps(s.path, child(hp, 'path'), errs);
        if (has(s.type) && !HOST_PATH_TYPES.includes(s.type)) errs.push(notSupported(child(hp, 'type'), s.type, HOST_PATH_TYPES));
        break;
      }
      case 'secret':
      case 'configMap': {
        const sp = child(path, k);
        const nameField = k === 'secret' ? 'secretName' : 'name';
        if (!str(s[nameField])) errs.push(required(child(sp, nameField), ''));
        fileMode(s.defaultMode, child(sp, 'defaultMode'), errs);
        arr(s.items).forEach((kp: Obj, i: number) => keyToPath(kp, index(child(sp, 'items'), i), errs));
        break;
      }
      case 'nfs': {
        const np = child(path, 'nfs');
        if (!str(s.server)) errs.push(required(child(np, 'server'), ''));
        if (!str(s.path)) errs.push(required(child(np, 'path'), ''));
        if (!str(s.path).startsWith('/')) errs.push(invalid(child(np, 'path'), str(s.path), 'must be an absolute path'));
        break;
      }
      case 'persistentVolumeClaim':
        if (!str(s.claimName)) errs.push(required(child(path, 'persistentVolumeClaim', 'claimName'), ''));
        break;
      case 'rbd':
      case 'cephfs': {
        const rp = child(path, k);
        if (arr(s.monitors).length === 0) errs.push(required(child(rp, 'monitors'), ''));
        if (k === 'rbd' && !str(s.image)) errs.push(required(child(rp, 'image'), ''));
        break;
      }
      case 'flocker':
        if (!str(s.datasetName) && !str(s.datasetUUID)) errs.push(required(child(path, 'flocker'), 'one of datasetName and datasetUUID is required'));
        break;
      case 'fc':
        if (arr(s.targetWWNs).length < 1 && arr(s.wwids).length < 1) errs.push(required(child(path, 'fc', 'targetWWNs'), 'must specify either targetWWNs or wwids, but not both'));
        break;
      case 'downwardAPI': {
        const dp = child(path, 'downwardAPI');
        fileMode(s.defaultMode, child(dp, 'defaultMode'), errs);
        arr(s.items).forEach((f: Obj) => downwardAPIFile(f, dp, errs));
        break;
      }
      case 'projected': {
        const pp = child(path, 'projected');
        fileMode(s.defaultMode, child(pp, 'defaultMode'), errs);
        projectedSources(s, pp, errs);
        break;
      }
      case 'csi':
        csiDriverName(str(s.driver), child(path, 'csi', 'driver'), errs);
        break;
      case 'ephemeral':
        if (!isObj(s.volumeClaimTemplate)) errs.push(required(child(path, 'ephemeral', 'volumeClaimTemplate'), ''));
        else if (podName && str(vol.name)) {
          const pvcName = `${podName}-${vol.name}`;
          for (const m of nameIsDNSSubdomain(pvcName, false)) errs.push(invalid(child(path, 'name'), vol.name, `PVC name "${pvcName}": ${m}`));
        }
        break;
      case 'image':
        if (has(s.pullPolicy) && !['Always', 'IfNotPresent', 'Never'].includes(s.pullPolicy)) {
          errs.push(notSupported(child(path, 'image', 'pullPolicy'), s.pullPolicy, ['Always', 'IfNotPresent', 'Never']));
        }
        break;
    }
  }
  if (n === 0) errs.push(required(path, 'must specify a volume type'));
}

/** ValidateCSIDriverName. */
export function csiDriverName(name: string, path: string, errs: FieldError[]): void {
  if (!name) errs.push(required(path, ''));
  if (name.length > 63) errs.push({ type: 'FieldValueTooLong', field: path, detail: 'must have at most 63 bytes' });
  for (const m of nameIsDNSSubdomain(name.toLowerCase(), false)) errs.push(invalid(path, name, m));
}

/** ValidateVolumes: returns the names of the valid volumes and the kind of source of each. */
function validateVolumes(volumes: unknown, podName: string, path: string, errs: FieldError[]): Map<string, Obj> {
  const names = new Map<string, Obj>();
  arr(volumes).forEach((vol: Obj, i: number) => {
    const ip = index(path, i);
    const el: FieldError[] = [];
    const v: Obj = isObj(vol) ? vol : {};
    volumeSource(v, ip, podName, el);
    const name = str(v.name);
    if (!name) el.push(required(child(ip, 'name'), ''));
    else dns1123Label(name, child(ip, 'name'), el);
    if (names.has(name)) el.push(duplicate(child(ip, 'name'), name));
    if (el.length === 0) names.set(name, v);
    else errs.push(...el);
  });
  return names;
}

// ---------------- containers ----------------

const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.split('/')[0]!.endsWith('kubernetes.io');
}
function isHugePages(name: string): boolean {
  return name.startsWith('hugepages-');
}
function overcommitAllowed(name: string): boolean {
  return isNativeResource(name) && !isHugePages(name);
}

function containerResourceName(name: string, path: string, errs: FieldError[]): void {
  const before = errs.length;
  qualifiedName(name, path, errs);
  if (errs.length > before) return;
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !isHugePages(name)) errs.push(invalid(path, name, 'must be a standard resource for containers'));
  } else if (!isNativeResource(name)) {
    if (name.startsWith('requests.')) errs.push(invalid(path, name, "doesn't follow extended resource name standard"));
  }
}

/** ValidateContainerResourceRequirements. */
export function resourceRequirements(res: unknown, path: string, errs: FieldError[]): void {
  if (!isObj(res)) return;
  const limits: Obj = isObj(res.limits) ? res.limits : {};
  const requests: Obj = isObj(res.requests) ? res.requests : {};
  const limPath = child(path, 'limits');
  const reqPath = child(path, 'requests');
  let cpuMem = false;
  let huge = false;
  for (const [name, q] of Object.entries(limits)) {
    const fp = key(limPath, name);
    containerResourceName(name, fp, errs);
    resourceQuantityValue(name, q, fp, errs);
    if (isHugePages(name)) huge = true;
    if (name === 'cpu' || name === 'memory') cpuMem = true;
  }
  for (const [name, q] of Object.entries(requests)) {
    const fp = key(reqPath, name);
    containerResourceName(name, fp, errs);
    resourceQuantityValue(name, q, fp, errs);
    if (Object.prototype.hasOwnProperty.call(limits, name)) {
      const lim = limits[name];
      if (cmpQuantity(q, lim) !== 0 && !overcommitAllowed(name)) {
        errs.push(invalid(reqPath, quantityString(q), `must be equal to ${name} limit of ${quantityString(lim)}`));
      } else if (cmpQuantity(q, lim) > 0) {
        errs.push(invalid(reqPath, quantityString(q), `must be less than or equal to ${name} limit of ${quantityString(lim)}`));
      }
    } else if (!overcommitAllowed(name)) {
      errs.push(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
    if (isHugePages(name)) huge = true;
    if (name === 'cpu' || name === 'memory') cpuMem = true;
  }
  if (!cpuMem && huge) errs.push(forbiddenField(path, 'HugePages require cpu or memory'));
}

function containerPorts(ports: unknown, path: string, errs: FieldError[]): void {
  const names = new Set<string>();
  arr(ports).forEach((p: Obj, i: number) => {
    const ip = index(path, i);
    const port: Obj = isObj(p) ? p : {};
    if (str(port.name)) {
      const msgs = isValidPortName(port.name);
      if (msgs.length) for (const m of msgs) errs.push(invalid(child(ip, 'name'), port.name, m));
      else if (names.has(port.name)) errs.push(duplicate(child(ip, 'name'), port.name));
      else names.add(port.name);
    }
    if (!port.containerPort) errs.push(required(child(ip, 'containerPort'), ''));
    else portNum(port.containerPort, child(ip, 'containerPort'), errs);
    if (port.hostPort) portNum(port.hostPort, child(ip, 'hostPort'), errs);
    if (has(port.protocol)) {
      if (port.protocol === '') errs.push(required(child(ip, 'protocol'), ''));
      else if (!PROTOCOLS.includes(port.protocol)) errs.push(notSupported(child(ip, 'protocol'), port.protocol, PROTOCOLS));
    }
  });
}

/** RelaxedEnvironmentVariableValidation is on by default upstream. */
const envVarName = isRelaxedEnvVarName;

function keySelector(s: Obj, path: string, errs: FieldError[]): void {
  nameWith(nameIsDNSSubdomain, str(s?.name), child(path, 'name'), errs);
  if (!str(s?.key)) errs.push(required(child(path, 'key'), ''));
  else for (const m of isConfigMapKey(s.key)) errs.push(invalid(child(path, 'key'), s.key, m));
}

function env(vars: unknown, path: string, errs: FieldError[]): void {
  arr(vars).forEach((ev: Obj, i: number) => {
    const ip = index(path, i);
    if (!str(ev?.name)) errs.push(required(child(ip, 'name'), ''));
    else for (const m of envVarName(ev.name)) errs.push(invalid(child(ip, 'name'), ev.name, m));
    const vf = ev?.valueFrom;
    if (!isObj(vf)) return;
    const vp = child(ip, 'valueFrom');
    let n = 0;
    if (isObj(vf.fieldRef)) {
      n++;
      objectFieldSelector(vf.fieldRef, ENV_FIELDREF_PATHS, child(vp, 'fieldRef'), errs);
    }
    if (isObj(vf.resourceFieldRef)) {
      n++;
      resourceFieldSelector(vf.resourceFieldRef, child(vp, 'resourceFieldRef'), errs, false);
    }
    if (isObj(vf.configMapKeyRef)) {
      n++;
      keySelector(vf.configMapKeyRef, child(vp, 'configMapKeyRef'), errs);
    }
    if (isObj(vf.secretKeyRef)) {
      n++;
      keySelector(vf.secretKeyRef, child(vp, 'secretKeyRef'), errs);
    }
    if (isObj(vf.fileKeyRef)) n++;
    if (n === 0) errs.push(invalid(vp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (str(ev.value)) errs.push(invalid(vp, '', 'may not be specified when `value` is not empty'));
    else if (n > 1) errs.push(invalid(vp, '', 'may not have more than one field specified at a time'));
  });
}

function envFrom(vars: unknown, path: string, errs: FieldError[]): void {
  arr(vars).forEach((ev: Obj, i: number) => {
    const ip = index(path, i);
    if (str(ev?.prefix)) for (const m of envVarName(ev.prefix)) errs.push(invalid(child(ip, 'prefix'), ev.prefix, m));
    let n = 0;
    for (const k of ['configMapRef', 'secretRef']) {
      const ref = ev?.[k];
      if (!isObj(ref)) continue;
      n++;
      const rp = child(ip, k);
      if (!str(ref.name)) errs.push(required(child(rp, 'name'), ''));
      else for (const m of nameIsDNSSubdomain(ref.name, true)) errs.push(invalid(child(rp, 'name'), ref.name, m));
    }
    if (n === 0) errs.push(invalid(path, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (n > 1) errs.push(invalid(path, '', 'may not have more than one field specified at a time'));
  });
}

function volumeMounts(ctr: Obj, volumes: Map<string, Obj>, path: string, errs: FieldError[]): void {
  const mountPoints = new Set<string>();
  const devices = new Map<string, string>();
  for (const d of arr(ctr.volumeDevices)) devices.set(str(d?.name), str(d?.devicePath));
  const privileged = ctr.securityContext?.privileged === true;
  arr(ctr.volumeMounts).forEach((mnt: Obj, i: number) => {
    const ip = index(path, i);
    const name = str(mnt?.name);
    const mountPath = str(mnt?.mountPath);
    if (!name) errs.push(required(child(ip, 'name'), ''));
    if (!volumes.has(name)) errs.push({ type: 'FieldValueNotFound', field: child(ip, 'name'), value: name });
    if (!mountPath) errs.push(required(child(ip, 'mountPath'), ''));
    if (mountPoints.has(mountPath)) errs.push(invalid(child(ip, 'mountPath'), mountPath, 'must be unique'));
    mountPoints.add(mountPath);
    if (devices.has(name)) errs.push(invalid(child(ip, 'name'), name, 'must not already exist in volumeDevices'));
    if ([...devices.values()].includes(mountPath)) errs.push(invalid(child(ip, 'mountPath'), mountPath, 'must not already exist as a path in volumeDevices'));
    if (str(mnt?.subPath)) localDescendingPath(mnt.subPath, child(path, 'subPath'), errs);
    if (str(mnt?.subPathExpr)) {
      if (str(mnt.subPath)) errs.push(invalid(child(ip, 'subPathExpr'), mnt.subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      localDescendingPath(mnt.subPathExpr, child(path, 'subPathExpr'), errs);
    }
    if (has(mnt?.mountPropagation)) {
      const mp = child(path, 'mountPropagation');
      const supported = ['Bidirectional', 'HostToContainer', 'None'];
      if (!supported.includes(mnt.mountPropagation)) errs.push(notSupported(mp, mnt.mountPropagation, supported));
      if (mnt.mountPropagation === 'Bidirectional' && !privileged) errs.push(forbiddenField(mp, 'Bidirectional mount propagation is available only to privileged containers'));
    }
    if (has(mnt?.recursiveReadOnly)) {
      const rp = child(path, 'recursiveReadOnly');
      if (mnt.recursiveReadOnly === 'Enabled' || mnt.recursiveReadOnly === 'IfPossible') {
        if (mnt.readOnly !== true) errs.push(forbiddenField(rp, 'may only be specified when readOnly is true'));
        if (has(mnt.mountPropagation) && mnt.mountPropagation !== 'None') errs.push(forbiddenField(rp, 'may only be specified when mountPropagation is None or not specified'));
      } else if (mnt.recursiveReadOnly !== 'Disabled') {
        errs.push(notSupported(rp, mnt.recursiveReadOnly, ['Disabled', 'Enabled', 'IfPossible']));
      }
    }
  });
}

function handler(h: Obj, path: string, errs: FieldError[], gracePeriod: number | undefined, isProbe: boolean): void {
  let n = 0;
  const kinds = isProbe ? ['exec', 'httpGet', 'tcpSocket', 'grpc'] : ['exec', 'httpGet', 'tcpSocket', 'sleep'];
  for (const k of kinds) {
    const a = h[k];
    if (!isObj(a)) continue;
    const ap = child(path, k);
    if (n > 0) {
      errs.push(forbiddenField(ap, 'may not specify more than 1 handler type'));
      continue;
    }
    n++;
    switch (k) {
      case 'exec':
        if (arr(a.command).length === 0) errs.push(required(child(ap, 'command'), ''));
        break;
      case 'httpGet':
        if (a.path === '') errs.push(required(child(ap, 'path'), ''));
        portNumOrName(a.port, child(ap, 'port'), errs);
        if (has(a.scheme) && a.scheme !== 'HTTP' && a.scheme !== 'HTTPS') errs.push(notSupported(child(ap, 'scheme'), a.scheme, ['HTTP', 'HTTPS']));
        for (const hd of arr(a.httpHeaders)) {
          for (const m of isHTTPHeaderName(str(hd?.name))) errs.push(invalid(child(ap, 'httpHeaders'), str(hd?.name), m));
        }
        break;
      case 'tcpSocket':
        portNumOrName(a.port, child(ap, 'port'), errs);
        break;
      case 'grpc':
        portNumOrName(typeof a.port === 'number' ? a.port : 0, child(ap, 'port'), errs);
        break;
      case 'sleep':
        if (gracePeriod !== undefined && (typeof a.seconds !== 'number' || a.seconds < 0 || a.seconds > gracePeriod)) {
          errs.push(invalid(ap, a.seconds ?? 0, `must be non-negative and less than terminationGracePeriodSeconds (${gracePeriod})`));
        }
        break;
    }
  }
  if (n === 0) errs.push(required(path, 'must specify a handler type'));
}

function probe(p: unknown, kind: 'liveness' | 'readiness' | 'startup', path: string, errs: FieldError[], gracePeriod: number | undefined): void {
  if (!isObj(p)) return;
  handler(p, path, errs, gracePeriod, true);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) nonNegative(p[f], child(path, f), errs);
  if (typeof p.terminationGracePeriodSeconds === 'number' && p.terminationGracePeriodSeconds <= 0) {
    errs.push(invalid(child(path, 'terminationGracePeriodSeconds'), p.terminationGracePeriodSeconds, 'must be greater than 0'));
  }
  if (kind !== 'readiness' && typeof p.successThreshold === 'number' && p.successThreshold !== 1) {
    errs.push(invalid(child(path, 'successThreshold'), p.successThreshold, 'must be 1'));
  }
  if (kind === 'readiness' && has(p.terminationGracePeriodSeconds)) {
    errs.push(invalid(child(path, 'terminationGracePeriodSeconds'), p.terminationGracePeriodSeconds, 'must not be set for readinessProbes'));
  }
}

function lifecycle(l: unknown, path: string, errs: FieldError[], gracePeriod: number | undefined): void {
  if (!isObj(l)) return;
  if (isObj(l.postStart)) handler(l.postStart, child(path, 'postStart'), errs, gracePeriod, false);
  if (isObj(l.preStop)) handler(l.preStop, child(path, 'preStop'), errs, gracePeriod, false);
}

function userID(v: unknown, path: string, errs: FieldError[]): void {
  if (typeof v === 'number' && (v < 0 || v > MAX_INT32)) errs.push(invalid(path, v, inclusiveRange(0, MAX_INT32)));
}

function seccompProfile(sp: unknown, path: string, errs: FieldError[]): void {
  if (!isObj(sp)) return;
  const types = ['Localhost', 'RuntimeDefault', 'Unconfined'];
  if (!str(sp.type)) errs.push(required(child(path, 'type'), 'type is required when seccompProfile is set'));
  else if (!types.includes(sp.type)) errs.push(notSupported(child(path, 'type'), sp.type, types));
  if (sp.type === 'Localhost') {
    if (!has(sp.localhostProfile)) errs.push(required(child(path, 'localhostProfile'), 'must be set when seccomp type is Localhost'));
    else localDescendingPath(str(sp.localhostProfile), child(path, 'localhostProfile'), errs);
  } else if (has(sp.localhostProfile)) {
    errs.push(invalid(child(path, 'localhostProfile'), sp, 'can only be set when seccomp type is Localhost'));
  }
}

function appArmorProfile(ap: unknown, path: string, errs: FieldError[]): void {
  if (!isObj(ap)) return;
  const types = ['Localhost', 'RuntimeDefault', 'Unconfined'];
  if (ap.type === 'Localhost') {
    if (!str(ap.localhostProfile)?.trim()) errs.push(required(child(path, 'localhostProfile'), 'must be set when AppArmor type is Localhost'));
  } else if (ap.type === 'RuntimeDefault' || ap.type === 'Unconfined') {
    if (has(ap.localhostProfile)) errs.push(invalid(child(path, 'localhostProfile'), ap.localhostProfile, 'can only be set when AppArmor type is Localhost'));
  } else if (!str(ap.type)) {
    errs.push(required(child(path, 'type'), 'type is required when appArmorProfile is set'));
  } else {
    errs.push(notSupported(child(path, 'type'), ap.type, types));
  }
}

/** ValidateSecurityContext (container level). */
function securityContext(sc: unknown, path: string, errs: FieldError[], hostUsers: boolean): void {
  if (!isObj(sc)) return;
  userID(sc.runAsUser, child(path, 'runAsUser'), errs);
  userID(sc.runAsGroup, child(path, 'runAsGroup'), errs);
  if (has(sc.procMount)) {
    if (sc.procMount !== 'Default' && sc.procMount !== 'Unmasked') errs.push(notSupported(child(path, 'procMount'), sc.procMount, ['Default', 'Unmasked']));
    if (hostUsers && sc.procMount === 'Unmasked') errs.push(invalid(child(path, 'procMount'), sc.procMount, '`hostUsers` must be false to use `Unmasked`'));
  }
  seccompProfile(sc.seccompProfile, child(path, 'seccompProfile'), errs);
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged === true) errs.push(invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
    for (const cap of arr(sc.capabilities?.add)) {
      if (cap === 'CAP_SYS_ADMIN') errs.push(invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN'));
    }
  }
  appArmorProfile(sc.appArmorProfile, child(path, 'appArmorProfile'), errs);
}

function containerCommon(ctr: Obj, volumes: Map<string, Obj>, path: string, errs: FieldError[], restartPolicy: string, hostUsers: boolean): void {
  if (!str(ctr.name)) errs.push(required(child(path, 'name'), ''));
  else dns1123Label(ctr.name, child(path, 'name'), errs);
  if (!str(ctr.image)) errs.push(required(child(path, 'image'), ''));
  if (has(ctr.terminationMessagePolicy)) {
    const supported = ['File', 'FallbackToLogsOnError'];
    if (ctr.terminationMessagePolicy === '') errs.push(required(child(path, 'terminationMessagePolicy'), ''));
    else if (!supported.includes(ctr.terminationMessagePolicy)) errs.push(notSupported(child(path, 'terminationMessagePolicy'), ctr.terminationMessagePolicy, supported));
  }
  containerPorts(ctr.ports, child(path, 'ports'), errs);
  env(ctr.env, child(path, 'env'), errs);
  envFrom(ctr.envFrom, child(path, 'envFrom'), errs);
  volumeMounts(ctr, volumes, child(path, 'volumeMounts'), errs);
  volumeDevices(ctr, volumes, child(path, 'volumeDevices'), errs);
  if (has(ctr.imagePullPolicy)) {
    const supported = ['Always', 'IfNotPresent', 'Never'];
    if (ctr.imagePullPolicy === '') errs.push(required(child(path, 'imagePullPolicy'), ''));
    else if (!supported.includes(ctr.imagePullPolicy)) errs.push(notSupported(child(path, 'imagePullPolicy'), ctr.imagePullPolicy, supported));
  }
  resourceRequirements(ctr.resources, child(path, 'resources'), errs);
  resizePolicy(ctr.resizePolicy, child(path, 'resizePolicy'), errs, restartPolicy);
  securityContext(ctr.securityContext, child(path, 'securityContext'), errs, hostUsers);
}

function volumeDevices(ctr: Obj, volumes: Map<string, Obj>, path: string, errs: FieldError[]): void {
  const mounts = new Map<string, string>();
  for (const m of arr(ctr.volumeMounts)) mounts.set(str(m?.name), str(m?.mountPath));
  const paths = new Set<string>();
  const names = new Set<string>();
  arr(ctr.volumeDevices).forEach((d: Obj, i: number) => {
    const ip = index(path, i);
    const name = str(d?.name);
    const devPath = str(d?.devicePath);
    const vol = volumes.get(name);
    if (!name) errs.push(required(child(ip, 'name'), ''));
    if (names.has(name)) errs.push(invalid(child(ip, 'name'), name, 'must be unique'));
    if (vol && !vol.persistentVolumeClaim && !vol.ephemeral) errs.push(invalid(child(ip, 'name'), name, 'can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode'));
    if (!vol) errs.push({ type: 'FieldValueNotFound', field: child(ip, 'name'), value: name });
    if (!devPath) errs.push(required(child(ip, 'devicePath'), ''));
    if (paths.has(devPath)) errs.push(invalid(child(ip, 'devicePath'), devPath, 'must be unique'));
    if (devPath && devPath.split('/').includes('..')) errs.push(invalid(child(ip, 'devicePath'), devPath, "can not contain backsteps ('..')"));
    else paths.add(devPath);
    if (mounts.has(name)) errs.push(invalid(child(ip, 'name'), name, 'must not already exist in volumeMounts'));
    if ([...mounts.values()].includes(devPath)) errs.push(invalid(child(ip, 'devicePath'), devPath, 'must not already exist as a path in volumeMounts'));
    if (name) names.add(name);
  });
}

function resizePolicy(list: unknown, path: string, errs: FieldError[], restartPolicy: string): void {
  const seen = new Set<string>();
  arr(list).forEach((p: Obj, i: number) => {
    const rn = str(p?.resourceName);
    const rp = str(p?.restartPolicy);
    if (seen.has(rn)) errs.push(duplicate(index(path, i), rn));
    seen.add(rn);
    if (!rn) errs.push(required(path, ''));
    else if (rn !== 'cpu' && rn !== 'memory') errs.push(notSupported(path, rn, ['cpu', 'memory']));
    if (!rp) errs.push(required(path, ''));
    else if (rp !== 'NotRequired' && rp !== 'RestartContainer') errs.push(notSupported(path, rp, ['NotRequired', 'RestartContainer']));
    if (restartPolicy === 'Never' && rp !== 'NotRequired') errs.push(invalid(path, rp, "must be 'NotRequired' when `restartPolicy` is 'Never'"));
  });
}

function hostPortConflicts(containers: any[], path: string, errs: FieldError[], seen = new Set<string>()): void {
  containers.forEach((ctr: Obj, ci: number) => {
    arr(ctr?.ports).forEach((p: Obj, pi: number) => {
      if (!p?.hostPort) return;
      const s = `${str(p.protocol) || 'TCP'}/${str(p.hostIP)}/${p.hostPort}`;
      if (seen.has(s)) errs.push(duplicate(child(index(child(index(path, ci), 'ports'), pi), 'hostPort'), s));
      else seen.add(s);
    });
  });
}

function validateContainers(spec: Obj, volumes: Map<string, Obj>, path: string, errs: FieldError[], hostUsers: boolean): void {
  const containers = arr(spec.containers);
  if (containers.length === 0) {
    errs.push(required(path, ''));
    return;
  }
  const grace = typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : undefined;
  const names = new Set<string>();
  containers.forEach((c: Obj, i: number) => {
    const ip = index(path, i);
    const ctr: Obj = isObj(c) ? c : {};
    containerCommon(ctr, volumes, ip, errs, str(spec.restartPolicy), hostUsers);
    if (names.has(str(ctr.name))) errs.push(duplicate(child(ip, 'name'), str(ctr.name)));
    else names.add(str(ctr.name));
    lifecycle(ctr.lifecycle, child(ip, 'lifecycle'), errs, grace);
    probe(ctr.livenessProbe, 'liveness', child(ip, 'livenessProbe'), errs, grace);
    probe(ctr.readinessProbe, 'readiness', child(ip, 'readinessProbe'), errs, grace);
    probe(ctr.startupProbe, 'startup', child(ip, 'startupProbe'), errs, grace);
    if (has(ctr.restartPolicy)) errs.push(forbiddenField(child(ip, 'restartPolicy'), 'may not be set for non-init containers'));
  });
  hostPortConflicts(containers, path, errs);
}

function validateInitContainers(spec: Obj, volumes: Map<string, Obj>, path: string, errs: FieldError[], hostUsers: boolean): void {
  const grace = typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : undefined;
  const names = new Set<string>(arr(spec.containers).map((c: Obj) => str(c?.name)));
  arr(spec.initContainers).forEach((c: Obj, i: number) => {
    const ip = index(path, i);
    const ctr: Obj = isObj(c) ? c : {};
    containerCommon(ctr, volumes, ip, errs, str(spec.restartPolicy), hostUsers);
    let restartAlways = false;
    if (has(ctr.restartPolicy)) {
      if (ctr.restartPolicy !== 'Always') errs.push(notSupported(child(ip, 'restartPolicy'), ctr.restartPolicy, ['Always']));
      restartAlways = ctr.restartPolicy === 'Always';
    }
    if (names.has(str(ctr.name))) errs.push(duplicate(child(ip, 'name'), str(ctr.name)));
    else if (str(ctr.name)) names.add(ctr.name);
    hostPortConflicts([ctr], path, errs);
    if (restartAlways) {
      lifecycle(ctr.lifecycle, child(ip, 'lifecycle'), errs, grace);
      probe(ctr.livenessProbe, 'liveness', child(ip, 'livenessProbe'), errs, grace);
      probe(ctr.readinessProbe, 'readiness', child(ip, 'readinessProbe'), errs, grace);
      probe(ctr.startupProbe, 'startup', child(ip, 'startupProbe'), errs, grace);
    } else {
      for (const f of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (has(ctr[f])) errs.push(forbiddenField(child(ip, f), 'may not be set for init containers without restartPolicy=Always'));
      }
    }
  });
}

/** EphemeralContainerCommon fields an ephemeral container may set (upstream's allowedEphemeralContainerFields); any other set field is forbidden. */
const EPHEMERAL_ALLOWED = new Set([
  'name', 'image', 'command', 'args', 'workingDir', 'envFrom', 'env', 'volumeMounts', 'volumeDevices',
  'terminationMessagePath', 'terminationMessagePolicy', 'imagePullPolicy', 'securityContext', 'stdin', 'stdinOnce', 'tty',
  'targetContainerName',
]);
/** EphemeralContainerCommon's fields in declaration order (the order upstream reports forbidden ones). */
const EPHEMERAL_FIELD_ORDER = [
  'name', 'image', 'command', 'args', 'workingDir', 'ports', 'envFrom', 'env', 'resources', 'resizePolicy', 'restartPolicy',
  'restartPolicyRules', 'volumeMounts', 'volumeDevices', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle',
  'terminationMessagePath', 'terminationMessagePolicy', 'imagePullPolicy', 'securityContext', 'stdin', 'stdinOnce', 'tty',
];

/** Go's zero value test on decoded JSON: absent, null, false, 0, "", and empty lists/objects (recursively) are unset. */
function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObj(v)) return Object.values(v).every(isZero);
  return false;
}

/** validateEphemeralContainers: common container rules, names unique across every kind, a real target, and only the allowed fields. */
function validateEphemeralContainers(spec: Obj, volumes: Map<string, Obj>, path: string, errs: FieldError[], hostUsers: boolean): void {
  const list = arr(spec.ephemeralContainers);
  if (list.length === 0) return;
  const others = new Set<string>();
  for (const c of [...arr(spec.containers), ...arr(spec.initContainers)]) others.add(str(c?.name));
  const all = new Set(others);
  list.forEach((c: Obj, i: number) => {
    const ip = index(path, i);
    const ctr: Obj = isObj(c) ? c : {};
    containerCommon(ctr, volumes, ip, errs, str(spec.restartPolicy), hostUsers);
    const img = str(ctr.image);
    if (img.length !== img.trim().length) errs.push(invalid(child(ip, 'image'), img, 'must not have leading or trailing whitespace'));
    const name = str(ctr.name);
    if (all.has(name)) errs.push(duplicate(child(ip, 'name'), name));
    else all.add(name);
    const target = str(ctr.targetContainerName);
    if (target && !others.has(target)) errs.push({ type: 'FieldValueNotFound', field: child(ip, 'targetContainerName'), value: target });
    const fields = [...EPHEMERAL_FIELD_ORDER, ...Object.keys(ctr).filter((k) => !EPHEMERAL_FIELD_ORDER.includes(k))];
    for (const f of fields) {
      if (!EPHEMERAL_ALLOWED.has(f) && !isZero(ctr[f])) errs.push(forbiddenField(child(ip, f), 'cannot be set for an Ephemeral Container'));
    }
    arr(ctr.volumeMounts).forEach((m: Obj, j: number) => {
      for (const f of ['subPath', 'subPathExpr']) {
        if (str(m?.[f])) errs.push(forbiddenField(child(index(child(ip, 'volumeMounts'), j), f), 'cannot be set for an Ephemeral Container'));
      }
    });
  });
}

// ---------------- scheduling ----------------

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export function taintEffect(effect: unknown, allowEmpty: boolean, path: string, errs: FieldError[]): void {
  if (!allowEmpty && !str(effect)) {
    errs.push(required(path, ''));
    return;
  }
  if (!TAINT_EFFECTS.includes(str(effect))) errs.push(notSupported(path, effect, TAINT_EFFECTS));
}

/** ValidateTolerations. */
export function tolerations(list: unknown, path: string, errs: FieldError[]): void {
  arr(list).forEach((t: Obj, i: number) => {
    const ip = index(path, i);
    const tk = str(t?.key);
    const op = str(t?.operator);
    if (tk) labelName(tk, child(ip, 'key'), errs);
    if (!tk && op !== 'Exists') {
      errs.push(invalid(child(ip, 'operator'), op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (has(t?.tolerationSeconds) && t.effect !== 'NoExecute') {
      errs.push(invalid(child(ip, 'effect'), str(t.effect), "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    switch (op) {
      case 'Equal':
      case '': {
        const msgs = isValidLabelValue(str(t?.value));
        if (msgs.length) errs.push(invalid(child(ip, 'operator'), str(t?.value), msgs.join(';')));
        break;
      }
      case 'Exists':
        if (str(t?.value)) errs.push(invalid(child(ip, 'operator'), t.value, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(notSupported(child(ip, 'operator'), op, ['Equal', 'Exists']));
    }
    if (str(t?.effect)) taintEffect(t.effect, true, child(ip, 'effect'), errs);
  });
}

function nodeSelectorRequirement(rq: Obj, path: string, errs: FieldError[], allowInvalidValues: boolean): void {
  const values = arr(rq?.values);
  switch (rq?.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errs.push(required(child(path, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) errs.push(forbiddenField(child(path, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1) errs.push(required(child(path, 'values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      break;
    default:
      errs.push(invalid(child(path, 'operator'), rq?.operator ?? '', 'not a valid selector operator'));
  }
  labelName(str(rq?.key), child(path, 'key'), errs);
  if (!allowInvalidValues) {
    values.forEach((v, i) => {
      for (const m of isValidLabelValue(str(v))) errs.push(invalid(index(child(path, 'values'), i), v, m));
    });
  }
}

function nodeSelectorTerm(term: Obj, path: string, errs: FieldError[], allowInvalidValues: boolean): void {
  arr(term?.matchExpressions).forEach((r: Obj, j: number) => nodeSelectorRequirement(r, index(child(path, 'matchExpressions'), j), errs, allowInvalidValues));
  arr(term?.matchFields).forEach((r: Obj, j: number) => {
    const rp = index(child(path, 'matchFields'), j);
    if (r?.operator === 'In' || r?.operator === 'NotIn') {
      if (arr(r.values).length !== 1) errs.push(required(child(rp, 'values'), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
    } else {
      errs.push(invalid(child(rp, 'operator'), r?.operator ?? '', 'not a valid selector operator'));
    }
    if (r?.key !== 'metadata.name') errs.push(invalid(child(rp, 'key'), r?.key ?? '', 'not a valid field selector key'));
    else arr(r.values).forEach((v, i) => nameWith(nameIsDNSSubdomain, str(v), index(child(rp, 'values'), i), errs));
  });
}

/** ValidateNodeSelector (required node affinity, PV node affinity). */
export function nodeSelector(ns: Obj, path: string, errs: FieldError[]): void {
  const tp = child(path, 'nodeSelectorTerms');
  const terms = arr(ns?.nodeSelectorTerms);
  if (terms.length === 0) {
    errs.push(required(tp, 'must have at least one node selector term'));
    return;
  }
  terms.forEach((t: Obj, i: number) => nodeSelectorTerm(t, index(tp, i), errs, false));
}

function podAffinityTerm(term: Obj, path: string, errs: FieldError[]): void {
  validateLabelSelector(term?.labelSelector, child(path, 'labelSelector'), errs);
  validateLabelSelector(term?.namespaceSelector, child(path, 'namespaceSelector'), errs);
  for (const ns of arr(term?.namespaces)) nameWith(nameIsDNSLabel, str(ns), child(path, 'namespace'), errs);
  for (const k of ['matchLabelKeys', 'mismatchLabelKeys']) {
    const keys = arr(term?.[k]);
    if (keys.length && !isObj(term.labelSelector)) errs.push(forbiddenField(child(path, k), 'must not be specified when labelSelector is not set'));
    else keys.forEach((lk, i) => labelName(str(lk), index(child(path, k), i), errs));
  }
  if (!str(term?.topologyKey)) errs.push(required(child(path, 'topologyKey'), 'can not be empty'));
  labelName(str(term?.topologyKey), child(path, 'topologyKey'), errs);
}

function podAffinity(pa: unknown, path: string, errs: FieldError[]): void {
  if (!isObj(pa)) return;
  arr(pa.requiredDuringSchedulingIgnoredDuringExecution).forEach((t: Obj, i: number) =>
    podAffinityTerm(t, index(child(path, 'requiredDuringSchedulingIgnoredDuringExecution'), i), errs),
  );
  arr(pa.preferredDuringSchedulingIgnoredDuringExecution).forEach((w: Obj, i: number) => {
    const wp = index(child(path, 'preferredDuringSchedulingIgnoredDuringExecution'), i);
    if (typeof w?.weight !== 'number' || w.weight <= 0 || w.weight > 100) errs.push(invalid(child(wp, 'weight'), w?.weight ?? 0, 'must be in the range 1-100'));
    podAffinityTerm(w?.podAffinityTerm, child(wp, 'podAffinityTerm'), errs);
  });
}

function affinity(a: unknown, path: string, errs: FieldError[]): void {
  if (!isObj(a)) return;
  if (isObj(a.nodeAffinity)) {
    const np = child(path, 'nodeAffinity');
    const req = a.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution;
    if (isObj(req)) nodeSelector(req, child(np, 'requiredDuringSchedulingIgnoredDuringExecution'), errs);
    arr(a.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution).forEach((t: Obj, i: number) => {
      const tp = index(child(np, 'preferredDuringSchedulingIgnoredDuringExecution'), i);
      if (typeof t?.weight !== 'number' || t.weight <= 0 || t.weight > 100) errs.push(invalid(child(tp, 'weight'), t?.weight ?? 0, 'must be in the range 1-100'));
      nodeSelectorTerm(t?.preference, child(tp, 'preference'), errs, true);
    });
  }
  podAffinity(a.podAffinity, child(path, 'podAffinity'), errs);
  podAffinity(a.podAntiAffinity, child(path, 'podAntiAffinity'), errs);
}

function topologySpread(list: unknown, path: string, errs: FieldError[]): void {
  const items = arr(list);
  items.forEach((c: Obj, i: number) => {
    const ip = index(path, i);
    if (typeof c?.maxSkew !== 'number' || c.maxSkew <= 0) errs.push(invalid(child(ip, 'maxSkew'), c?.maxSkew ?? 0, NOT_POSITIVE));
    if (!str(c?.topologyKey)) errs.push(required(child(ip, 'topologyKey'), 'can not be empty'));
    if (!['DoNotSchedule', 'ScheduleAnyway'].includes(str(c?.whenUnsatisfiable))) {
      errs.push(notSupported(child(ip, 'whenUnsatisfiable'), str(c?.whenUnsatisfiable), ['DoNotSchedule', 'ScheduleAnyway']));
    }
    for (const later of items.slice(i + 1)) {
      if (later?.topologyKey === c?.topologyKey && later?.whenUnsatisfiable === c?.whenUnsatisfiable) {
        errs.push(duplicate(child(ip, '{topologyKey, whenUnsatisfiable}'), `{${str(c?.topologyKey)}, ${str(c?.whenUnsatisfiable)}}`));
        break;
      }
    }
    if (has(c?.minDomains)) {
      if (c.minDomains <= 0) errs.push(invalid(child(ip, 'minDomains'), c.minDomains, NOT_POSITIVE));
      if (c.whenUnsatisfiable !== 'DoNotSchedule') errs.push(invalid(child(ip, 'minDomains'), c.minDomains, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${str(c.whenUnsatisfiable)}`));
    }
    for (const f of ['nodeAffinityPolicy', 'nodeTaintsPolicy']) {
      if (has(c?.[f]) && !['Honor', 'Ignore'].includes(c[f])) errs.push(notSupported(child(ip, f), c[f], ['Honor', 'Ignore']));
    }
    validateLabelSelector(c?.labelSelector, child(ip, 'labelSelector'), errs);
  });
}

function podSecurityContext(spec: Obj, path: string, errs: FieldError[]): void {
  const sc = spec.securityContext;
  if (!isObj(sc)) return;
  userID(sc.fsGroup, child(path, 'fsGroup'), errs);
  userID(sc.runAsUser, child(path, 'runAsUser'), errs);
  userID(sc.runAsGroup, child(path, 'runAsGroup'), errs);
  arr(sc.supplementalGroups).forEach((g, i) => userID(g, index(child(path, 'supplementalGroups'), i), errs));
  if (sc.shareProcessNamespace === true && spec.hostPID === true) {
    errs.push(invalid(child(path, 'shareProcessNamespace'), true, 'ShareProcessNamespace and HostPID cannot both be enabled'));
  }
  const names = new Set<string>();
  arr(sc.sysctls).forEach((s: Obj, i: number) => {
    const np = child(index(child(path, 'sysctls'), i), 'name');
    const n = str(s?.name);
    const re = /^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$/;
    if (!n) errs.push(required(np, ''));
    else if (n.length > 253 || !re.test(n)) errs.push(invalid(np, n, `must have at most 253 characters and match regex ${re.source}`));
    else if (names.has(n)) errs.push(duplicate(np, n));
    names.add(n);
  });
  if (has(sc.fsGroupChangePolicy) && !['Always', 'OnRootMismatch'].includes(sc.fsGroupChangePolicy)) {
    errs.push(notSupported(child(path, 'fsGroupChangePolicy'), sc.fsGroupChangePolicy, ['Always', 'OnRootMismatch']));
  }
  seccompProfile(sc.seccompProfile, child(path, 'seccompProfile'), errs);
  appArmorProfile(sc.appArmorProfile, child(path, 'appArmorProfile'), errs);
  if (has(sc.supplementalGroupsPolicy) && !['Merge', 'Strict'].includes(sc.supplementalGroupsPolicy)) {
    errs.push(notSupported(child(path, 'supplementalGroupsPolicy'), sc.supplementalGroupsPolicy, ['Merge', 'Strict']));
  }
  if (has(sc.seLinuxChangePolicy) && !['MountOption', 'Recursive'].includes(sc.seLinuxChangePolicy)) {
    errs.push(notSupported(child(path, 'seLinuxChangePolicy'), sc.seLinuxChangePolicy, ['MountOption', 'Recursive']));
  }
}

function dnsConfig(spec: Obj, path: string, errs: FieldError[]): void {
  const cfg = spec.dnsConfig;
  if (spec.dnsPolicy === 'None') {
    if (!isObj(cfg)) {
      errs.push(required(path, 'must provide `dnsConfig` when `dnsPolicy` is None'));
      return;
    }
    if (arr(cfg.nameservers).length === 0) {
      errs.push(required(child(path, 'nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None'));
      return;
    }
  }
  if (!isObj(cfg)) return;
  const ns = arr(cfg.nameservers);
  if (ns.length > 3) errs.push(invalid(child(path, 'nameservers'), ns, 'must not have more than 3 nameservers'));
  ns.forEach((s, i) => ipAddress(str(s), index(child(path, 'nameservers'), i), errs));
  const searches = arr(cfg.searches);
  if (searches.length > 32) errs.push(invalid(child(path, 'searches'), searches, 'must not have more than 32 search paths'));
  if (searches.join(' ').length > 2048) errs.push(invalid(child(path, 'searches'), searches, 'must not have more than 2048 characters (including spaces) in the search list'));
  searches.forEach((s, i) => {
    const v = str(s);
    if (v !== '.') {
      const trimmed = v.endsWith('.') ? v.slice(0, -1) : v;
      // relaxed DNS search validation (on by default upstream): underscores allowed
      if (!/^[a-z0-9_]([-a-z0-9_]*[a-z0-9_])?(\.[a-z0-9_]([-a-z0-9_]*[a-z0-9_])?)*$/.test(trimmed) || trimmed.length > 253) {
        errs.push(invalid(index(child(path, 'searches'), i), trimmed, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9_]([-a-z0-9_]*[a-z0-9_])?(\\.[a-z0-9_]([-a-z0-9_]*[a-z0-9_])?)*')"));
      }
    }
  });
  arr(cfg.options).forEach((o: Obj, i: number) => {
    if (!str(o?.name)) errs.push(required(index(child(path, 'options'), i), 'must not be empty'));
  });
}

// ---------------- pod spec ----------------

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];

/** ValidatePodSpec. podName is set for real pods (generic ephemeral volume PVC names). */
export function validatePodSpec(spec: unknown, podName: string, path: string, errs: FieldError[], opts: PodOptions = {}): void {
  const s: Obj = isObj(spec) ? spec : {};
  if (s.terminationGracePeriodSeconds === null) errs.push(required(child(path, 'terminationGracePeriodSeconds'), ''));
  const hostUsers = s.hostUsers !== false;
  const volumes = validateVolumes(s.volumes, podName, child(path, 'volumes'), errs);
  validateContainers(s, volumes, child(path, 'containers'), errs, hostUsers);
  validateInitContainers(s, volumes, child(path, 'initContainers'), errs, hostUsers);
  validateEphemeralContainers(s, volumes, child(path, 'ephemeralContainers'), errs, hostUsers);

  if (s.hostNetwork === true) {
    arr(s.containers).forEach((c: Obj, i: number) => {
      arr(c?.ports).forEach((p: Obj, j: number) => {
        const hp = p?.hostPort ?? 0;
        const cp = p?.containerPort ?? 0;
        if ((opts.resourceIsPod || hp !== 0) && hp !== cp) {
          errs.push(invalid(child(index(child(index(child(path, 'containers'), i), 'ports'), j), 'hostPort'), hp, 'must match `containerPort` when `hostNetwork` is true'));
        }
      });
    });
  }
  if (has(s.restartPolicy)) {
    if (s.restartPolicy === '') errs.push(required(child(path, 'restartPolicy'), ''));
    else if (!RESTART_POLICIES.includes(s.restartPolicy)) errs.push(notSupported(child(path, 'restartPolicy'), s.restartPolicy, RESTART_POLICIES));
  }
  if (has(s.dnsPolicy)) {
    if (s.dnsPolicy === '') errs.push(required(child(path, 'dnsPolicy'), ''));
    else if (!DNS_POLICIES.includes(s.dnsPolicy)) errs.push(notSupported(child(path, 'dnsPolicy'), s.dnsPolicy, DNS_POLICIES));
  }
  validateLabels(s.nodeSelector, child(path, 'nodeSelector'), errs);
  podSecurityContext(s, child(path, 'securityContext'), errs);
  arr(s.imagePullSecrets).forEach((r: Obj, i: number) => {
    if (isObj(r) && Object.keys(r).some((k) => k !== 'name')) errs.push(invalid(index(child(path, 'imagePullSecrets'), i), r, 'only name may be set'));
  });
  affinity(s.affinity, child(path, 'affinity'), errs);
  dnsConfig(s, child(path, 'dnsConfig'), errs);
  arr(s.readinessGates).forEach((g: Obj, i: number) => qualifiedName(str(g?.conditionType), child(index(child(path, 'readinessGates'), i), 'conditionType'), errs));
  const gates = new Set<string>();
  arr(s.schedulingGates).forEach((g: Obj, i: number) => {
    const gp = index(child(path, 'schedulingGates'), i);
    qualifiedName(str(g?.name), gp, errs);
    if (gates.has(str(g?.name))) errs.push(duplicate(gp, str(g?.name)));
    gates.add(str(g?.name));
  });
  topologySpread(s.topologySpreadConstraints, child(path, 'topologySpreadConstraints'), errs);
  if (!hostUsers) {
    if (s.hostNetwork === true) errs.push(forbiddenField(child(path, 'hostNetwork'), 'when `pod.Spec.HostUsers` is false'));
    if (s.hostPID === true) errs.push(forbiddenField(child(path, 'HostPID'), 'when `pod.Spec.HostUsers` is false'));
    if (s.hostIPC === true) errs.push(forbiddenField(child(path, 'HostIPC'), 'when `pod.Spec.HostUsers` is false'));
  }
  if (str(s.serviceAccountName)) nameWith(nameIsDNSSubdomain, s.serviceAccountName, child(path, 'serviceAccountName'), errs);
  if (str(s.nodeName)) nameWith(nameIsDNSSubdomain, s.nodeName, child(path, 'nodeName'), errs);
  if (has(s.activeDeadlineSeconds)) {
    const v = s.activeDeadlineSeconds;
    if (typeof v !== 'number' || v < 1 || v > MAX_INT32) errs.push(invalid(child(path, 'activeDeadlineSeconds'), v, inclusiveRange(1, MAX_INT32)));
  }
  if (str(s.hostname)) dns1123Label(s.hostname, child(path, 'hostname'), errs);
  if (str(s.subdomain)) dns1123Label(s.subdomain, child(path, 'subdomain'), errs);
  tolerations(s.tolerations, child(path, 'tolerations'), errs);
  arr(s.hostAliases).forEach((h: Obj, i: number) => {
    const hp = index(child(path, 'hostAliases'), i);
    ipAddress(str(h?.ip), child(hp, 'ip'), errs);
    arr(h?.hostnames).forEach((n, j) => dns1123Subdomain(str(n), index(child(hp, 'hostnames'), j), errs));
  });
  if (str(s.priorityClassName)) nameWith(nameIsDNSSubdomain, s.priorityClassName, child(path, 'priorityClassName'), errs);
  if (has(s.runtimeClassName)) nameWith(nameIsDNSSubdomain, str(s.runtimeClassName), child(path, 'runtimeClassName'), errs);
  if (has(s.preemptionPolicy)) {
    if (s.preemptionPolicy === '') errs.push(required(child(path, 'preemptionPolicy'), ''));
    else if (!['PreemptLowerPriority', 'Never'].includes(s.preemptionPolicy)) {
      errs.push(notSupported(child(path, 'preemptionPolicy'), s.preemptionPolicy, ['PreemptLowerPriority', 'Never']));
    }
  }
  if (isObj(s.overhead)) resourceRequirements({ limits: s.overhead }, child(path, 'overhead'), errs);
  if (isObj(s.os)) {
    if (!str(s.os.name)) errs.push(required(child(path, 'os', 'name'), 'cannot be empty'));
    else if (!['linux', 'windows'].includes(s.os.name)) errs.push(notSupported(child(path, 'os'), s.os.name, ['linux', 'windows']));
  }
}

/** ValidatePodTemplateSpec: labels/annotations are checked at `<path>.labels` like upstream. */
export function validatePodTemplateSpec(tpl: unknown, path: string, errs: FieldError[]): void {
  const t: Obj = isObj(tpl) ? tpl : {};
  const meta: Obj = isObj(t.metadata) ? t.metadata : {};
  validateLabels(meta.labels, child(path, 'labels'), errs);
  validateAnnotations(meta.annotations, child(path, 'annotations'), errs);
  validatePodSpec(t.spec, '', child(path, 'spec'), errs);
  if (arr(t.spec?.ephemeralContainers).length > 0) {
    errs.push(forbiddenField(child(path, 'spec', 'ephemeralContainers'), 'ephemeral containers not allowed in pod template'));
  }
}

/** Pod-only checks (validatePodMetadataAndSpec minus ObjectMeta) plus ValidatePodCreate's extras. */
export function validatePodCreateSpec(pod: Obj, errs: FieldError[]): void {
  const spec: Obj = isObj(pod.spec) ? pod.spec : {};
  validatePodSpecOnly(pod, errs);
  if (arr(spec.ephemeralContainers).length > 0) errs.push(forbiddenField('spec.ephemeralContainers', 'cannot be set on create'));
  if (str(spec.nodeName) && arr(spec.schedulingGates).length) {
    errs.push(forbiddenField('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'));
  }
}

function validatePodSpecOnly(pod: Obj, errs: FieldError[]): void {
  const spec: Obj = isObj(pod.spec) ? pod.spec : {};
  validatePodSpec(spec, str(pod.metadata?.name), 'spec', errs, { resourceIsPod: true });
  if (!str(spec.serviceAccountName)) {
    arr(spec.volumes).forEach((v: Obj, vi: number) => {
      arr(v?.projected?.sources).forEach((src: Obj, si: number) => {
        if (isObj(src?.serviceAccountToken)) {
          errs.push(forbiddenField(`spec.volumes[${vi}].projected.sources[${si}].serviceAccountToken`, 'must not be specified when serviceAccountName is not set'));
        }
      });
    });
  }
  for (const kind of ['containers', 'initContainers']) {
    arr(spec[kind]).forEach((c: Obj, i: number) => {
      const img = str(c?.image);
      if (img.length !== img.trim().length) errs.push(invalid(child(index(child('spec', kind), i), 'image'), img, 'must not have leading or trailing whitespace'));
    });
  }
}

const UPDATABLE_POD_FIELDS =
  '`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** ValidatePodUpdate minus ObjectMeta: only images, activeDeadlineSeconds, added tolerations and removed scheduling gates may change. */
export function validatePodUpdateSpec(pod: Obj, old: Obj, errs: FieldError[]): void {
  validatePodSpecOnly(pod, errs);
  const spec: Obj = isObj(pod.spec) ? pod.spec : {};
  const oldSpec: Obj = isObj(old.spec) ? old.spec : {};
  for (const kind of ['containers', 'initContainers']) {
    const n = arr(spec[kind]);
    const o = arr(oldSpec[kind]);
    if (n.length !== o.length) {
      errs.push(forbiddenField(child('spec', kind), 'pod updates may not add or remove containers'));
      return;
    }
    n.forEach((c: Obj, i: number) => {
      if (!str(c?.image)) errs.push(required(child(index(child('spec', kind), i), 'image'), ''));
    });
  }
  const nd = spec.activeDeadlineSeconds;
  const od = oldSpec.activeDeadlineSeconds;
  if (has(nd)) {
    if (nd < 0 || nd > MAX_INT32) {
      errs.push(invalid('spec.activeDeadlineSeconds', nd, inclusiveRange(0, MAX_INT32)));
      return;
    }
    if (has(od) && od < nd) {
      errs.push(invalid('spec.activeDeadlineSeconds', nd, 'must be less than or equal to previous value'));
      return;
    }
  } else if (has(od)) {
    errs.push(invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }
  // tolerations: only additions (tolerationSeconds may change)
  const newTols = arr(spec.tolerations);
  for (const ot of arr(oldSpec.tolerations)) {
    const found = newTols.some((nt: Obj) => deepEqual({ ...ot, tolerationSeconds: nt?.tolerationSeconds }, nt));
    if (!found) {
      errs.push(forbiddenField('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
      break;
    }
  }
  const oldGates = new Set(arr(oldSpec.schedulingGates).map((g: Obj) => str(g?.name)));
  arr(spec.schedulingGates).forEach((g: Obj, i: number) => {
    if (!oldGates.has(str(g?.name))) errs.push(forbiddenField(child(index('spec.schedulingGates', i), 'name'), `only deletion is allowed, but found new scheduling gate '${str(g?.name)}'`));
  });
  if (deepEqual(spec, oldSpec)) return;
  const munged: Obj = { ...spec };
  for (const kind of ['containers', 'initContainers']) {
    if (Array.isArray(spec[kind])) munged[kind] = spec[kind].map((c: Obj, i: number) => ({ ...c, image: oldSpec[kind]?.[i]?.image }));
  }
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  munged.schedulingGates = oldSpec.schedulingGates;
  munged.tolerations = oldSpec.tolerations;
  if (typeof oldSpec.terminationGracePeriodSeconds === 'number' && oldSpec.terminationGracePeriodSeconds < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = oldSpec.terminationGracePeriodSeconds;
  }
  if (arr(oldSpec.schedulingGates).length > 0) {
    // gated pods may gain node selector entries and node affinity
    const oldSel: Obj = isObj(oldSpec.nodeSelector) ? oldSpec.nodeSelector : {};
    const newSel: Obj = isObj(munged.nodeSelector) ? munged.nodeSelector : {};
    if (Object.entries(oldSel).every(([k, v]) => newSel[k] === v)) munged.nodeSelector = oldSpec.nodeSelector;
    else errs.push(invalid('spec.nodeSelector', newSel, 'only additions to spec.nodeSelector are allowed (no mutations or deletions)'));
    if (isObj(munged.affinity)) munged.affinity = { ...munged.affinity, nodeAffinity: oldSpec.affinity?.nodeAffinity };
  }
  if (!deepEqual(munged, oldSpec)) {
    errs.push(forbiddenField('spec', `pod updates may not change fields other than ${UPDATABLE_POD_FIELDS}`));
  }
}

/**
 * ValidatePodEphemeralContainersUpdate minus ObjectMeta (the pods/ephemeralcontainers subresource, whose
 * strategy already kept everything but spec.ephemeralContainers): the new pod must be valid, static pods
 * take none, and the ephemeral containers already there may be neither removed nor changed.
 */
export function validatePodEphemeralContainersUpdate(pod: Obj, old: Obj, errs: FieldError[]): void {
  if (old.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined) {
    errs.splice(0, errs.length, forbiddenField('', 'static pods do not support ephemeral containers'));
    return;
  }
  validatePodSpecOnly(pod, errs);
  const byName = new Map<string, Obj>();
  for (const c of arr(pod.spec?.ephemeralContainers)) if (isObj(c)) byName.set(str(c.name), c);
  for (const o of arr(old.spec?.ephemeralContainers)) {
    const name = str(o?.name);
    const now = byName.get(name);
    if (!now) errs.push(forbiddenField('spec.ephemeralContainers', `existing ephemeral containers ${JSON.stringify(name)} may not be removed\n`));
    else if (!deepEqual(o, now)) errs.push(forbiddenField('spec.ephemeralContainers', `existing ephemeral containers ${JSON.stringify(name)} may not be changed\n`));
  }
}

/** The pods/ephemeralcontainers update validation: ObjectMeta update rules, then validatePodEphemeralContainersUpdate. */
export function validateEphemeralContainersUpdate(pod: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata);
  validatePodEphemeralContainersUpdate(pod, old, errs);
  return errs;
}
