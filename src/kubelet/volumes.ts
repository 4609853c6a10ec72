// Pod volumes as the kubelet's volume plugins materialize them under <dataDir>/pods/<uid>/volumes:
// emptyDir, configMap, secret, downwardAPI and projected (serviceAccountToken, ca.crt, namespace)
// through an atomic writer (a timestamped dir, the `..data` symlink swapped by rename, one symlink
// per top-level path, as pkg/volume/util/atomic_writer.go), hostPath with its type checks,
// persistentVolumeClaim → the bound PV's hostPath/local path; plus the pod's /etc/hosts and the
// container mounts (subPath, subPathExpr, readOnly).
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import type { Obj } from '../client/types.ts';
import { expand, fieldRefValue, formatMap, resourceFieldValue } from './env.ts';
import type { Mount } from './runtime/runtime.ts';

/** A volume that cannot be set up yet: the kubelet's FailedMount event carries the message. */
export class VolumeError extends Error {
  readonly volume: string;
  constructor(volume: string, message: string) {
    super(`MountVolume.SetUp failed for volume "${volume}" : ${message}`);
    this.volume = volume;
  }
}

export interface VolumeContext {
  /** <dataDir>/pods/<uid> */
  podDir: string;
  configMap(namespace: string, name: string): Obj | undefined;
  secret(namespace: string, name: string): Obj | undefined;
  pvc(namespace: string, name: string): Obj | undefined;
  pv(name: string): Obj | undefined;
  /** A service account token for the pod (TokenRequest); undefined when the API cannot issue one. */
  token(pod: Obj, serviceAccount: string, audience: string | undefined, expirationSeconds: number): Promise<string | undefined>;
  podIP: string;
  hostIP: string;
  nodeName: string;
  allocatable: Record<string, string>;
}

export interface FileEntry {
  data: Buffer;
  mode: number;
}

export const DEFAULT_MODE = 0o644;
/** What a token file holds when the API server cannot issue tokens (no TokenRequest yet). */
export const PLACEHOLDER_TOKEN = 'skiff-placeholder-token: the API server did not serve serviceaccounts/token';

let seq = 0;
function stamp(): string {
  const d = new Date();
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `..${d.getUTCFullYear()}_${p(d.getUTCMonth() + 1)}_${p(d.getUTCDate())}_${p(d.getUTCHours())}_${p(d.getUTCMinutes())}_${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}${p(++seq % 1_000_000, 6)}`;
}

function listFiles(dir: string, prefix = '', out = new Map<string, FileEntry>()): Map<string, FileEntry> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    const p = join(dir, e.name);
    if (e.isDirectory()) listFiles(p, rel, out);
    else out.set(rel, { data: readFileSync(p), mode: statSync(p).mode & 0o777 });
  }
  return out;
}

function samePayload(a: Map<string, FileEntry>, b: Map<string, FileEntry>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const o = b.get(k);
    if (!o || o.mode !== v.mode || !o.data.equals(v.data)) return false;
  }
  return true;
}

/** Checks a relative path of a volume item (no absolute paths, no `..` elements). */
function safeRel(volume: string, p: string): string {
  const n = normalize(p);
  if (!p || p.startsWith('/') || n.split('/').includes('..') || n.startsWith('..')) throw new VolumeError(volume, `invalid path "${p}"`);
  return n;
}

/**
 * Writes `payload` into `dir` atomically; returns false when the content is already there. Readers
 * always see a whole old or a whole new set of files.
 */
export function writeAtomic(dir: string, payload: Map<string, FileEntry>): boolean {
  mkdirSync(dir, { recursive: true });
  const dataLink = join(dir, '..data');
  let old: string | undefined;
  try {
    old = readlinkSync(dataLink);
  } catch {
    old = undefined;
  }
  if (old && existsSync(join(dir, old)) && samePayload(payload, listFiles(join(dir, old)))) return false;
  const ts = stamp();
  const tsDir = join(dir, ts);
  mkdirSync(tsDir, { mode: 0o755 });
  for (const [rel, f] of payload) {
    const p = join(tsDir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.data, { mode: f.mode });
    chmodSync(p, f.mode);
  }
  const tmp = join(dir, '..data_tmp');
  rmSync(tmp, { force: true });
  symlinkSync(ts, tmp);
  renameSync(tmp, dataLink);
  const tops = new Set([...payload.keys()].map((k) => k.split('/')[0]!));
  for (const t of tops) {
    const link = join(dir, t);
    let ok = false;
    try {
      ok = lstatSync(link).isSymbolicLink() && readlinkSync(link) === join('..data', t);
    } catch {
      ok = false;
    }
    if (!ok) {
      rmSync(link, { recursive: true, force: true });
      symlinkSync(join('..data', t), link);
    }
  }
  for (const e of readdirSync(dir)) {
    if (e.startsWith('..')) continue;
    if (!tops.has(e)) rmSync(join(dir, e), { recursive: true, force: true });
  }
  if (old && old !== ts) rmSync(join(dir, old), { recursive: true, force: true });
  return true;
}

function keysOf(obj: Obj, kind: 'configmap' | 'secret'): string[] {
  return kind === 'configmap' ? Object.keys({ ...(obj.data ?? {}), ...(obj.binaryData ?? {}) }) : Object.keys(obj.data ?? {});
}

function valueOf(obj: Obj, kind: 'configmap' | 'secret', key: string): Buffer | undefined {
  if (kind === 'secret') {
    const v = obj.data?.[key];
    return v === undefined ? undefined : Buffer.from(String(v), 'base64');
  }
  const v = obj.data?.[key];
  if (v !== undefined) return Buffer.from(String(v), 'utf8');
  const b = obj.binaryData?.[key];
  return b === undefined ? undefined : Buffer.from(String(b), 'base64');
}

/** Files of a configMap/secret source with items, modes and optional handling. */
function sourceFiles(volume: string, src: Obj, kind: 'configmap' | 'secret', obj: Obj | undefined, defaultMode: number, out: Map<string, FileEntry>) {
  const name: string = kind === 'configmap' ? src.name : (src.secretName ?? src.name);
  if (!obj) {
    if (src.optional) return;
    throw new VolumeError(volume, `${kind} "${name}" not found`);
  }
  const items: Obj[] | undefined = src.items;
  if (!items || !items.length) {
    for (const k of keysOf(obj, kind)) out.set(safeRel(volume, k), { data: valueOf(obj, kind, k)!, mode: defaultMode });
    return;
  }
  for (const it of items) {
    const data = valueOf(obj, kind, it.key);
    if (data === undefined) {
      if (src.optional) continue;
      throw new VolumeError(volume, kind === 'configmap' ? `configmap references non-existent config key: ${it.key}` : `references non-existent secret key: ${it.key}`);
    }
    out.set(safeRel(volume, it.path), { data, mode: it.mode ?? defaultMode });
  }
}

function downwardFiles(volume: string, pod: Obj, items: Obj[], ctx: VolumeContext, defaultMode: number, out: Map<string, FileEntry>) {
  for (const it of items ?? []) {
    let text: string;
    if (it.fieldRef) text = fieldRefValue(pod, it.fieldRef.fieldPath, ctx);
    else if (it.resourceFieldRef) text = resourceFieldValue(pod, undefined, it.resourceFieldRef, ctx.allocatable);
    else continue;
    out.set(safeRel(volume, it.path), { data: Buffer.from(text, 'utf8'), mode: it.mode ?? defaultMode });
  }
}

function pluginDir(ctx: VolumeContext, plugin: string, name: string): string {
  return join(ctx.podDir, 'volumes', `kubernetes.io~${plugin}`, name);
}

function checkHostPath(volume: string, path: string, type: string) {
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(path);
  } catch {
    st = undefined;
  }
  const fail = (what: string) => {
    throw new VolumeError(volume, `hostPath type check failed: ${path} is not ${what}`);
  };
  switch (type) {
    case '':
      return;
    case 'DirectoryOrCreate':
      if (!st) mkdirSync(path, { recursive: true, mode: 0o755 });
      else if (!st.isDirectory()) fail('a directory');
      return;
    case 'Directory':
      if (!st?.isDirectory()) fail('a directory');
      return;
    case 'FileOrCreate':
      if (!st) {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, '', { mode: 0o644 });
      } else if (!st.isFile()) fail('a file');
      return;
    case 'File':
      if (!st?.isFile()) fail('a file');
      return;
    case 'Socket':
      if (!st?.isSocket()) fail('a socket file');
      return;
    case 'CharDevice':
      if (!st?.isCharacterDevice()) fail('a character device');
      return;
    case 'BlockDevice':
      if (!st?.isBlockDevice()) fail('a block device');
      return;
    default:
      throw new VolumeError(volume, `hostPath type "${type}" is not supported`);
  }
}

/** The host directory behind a PVC: the bound PV's hostPath or local path (local-path provisioner). */
function pvcPath(volume: string, pod: Obj, claimName: string, ctx: VolumeContext): string {
  const ns: string = pod.metadata.namespace;
  const pvc = ctx.pvc(ns, claimName);
  if (!pvc) throw new VolumeError(volume, `persistentvolumeclaim "${claimName}" not found`);
  const pvName: string | undefined = pvc.spec?.volumeName;
  if (!pvName || pvc.status?.phase === 'Pending') throw new VolumeError(volume, `PersistentVolumeClaim is not bound: "${claimName}"`);
  const pv = ctx.pv(pvName);
  if (!pv) throw new VolumeError(volume, `persistentvolume "${pvName}" not found`);
  const path: string | undefined = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
  if (!path) throw new VolumeError(volume, `persistentvolume "${pvName}" has no hostPath or local path; this node can only mount host directories`);
  mkdirSync(path, { recursive: true });
  return path;
}

async function projectedFiles(volume: string, pod: Obj, proj: Obj, ctx: VolumeContext): Promise<{ files: Map<string, FileEntry>; placeholderToken: boolean }> {
  const files = new Map<string, FileEntry>();
  const mode: number = proj.defaultMode ?? DEFAULT_MODE;
  const ns: string = pod.metadata.namespace;
  let placeholderToken = false;
  for (const s of proj.sources ?? []) {
    if (s.configMap) {
      const cm = ctx.configMap(ns, s.configMap.name);
      // The CA bundle is published by a controller that may not have run yet: ca.crt appears once it has.
      if (!cm && s.configMap.name === 'kube-root-ca.crt') continue;
      sourceFiles(volume, s.configMap, 'configmap', cm, mode, files);
    } else if (s.secret) {
      sourceFiles(volume, s.secret, 'secret', ctx.secret(ns, s.secret.name), mode, files);
    } else if (s.downwardAPI) {
      downwardFiles(volume, pod, s.downwardAPI.items ?? [], ctx, mode, files);
    } else if (s.serviceAccountToken) {
      const t = s.serviceAccountToken;
      const sa: string = pod.spec?.serviceAccountName || 'default';
      const token = await ctx.token(pod, sa, t.audience || undefined, t.expirationSeconds ?? 3600);
      if (token === undefined) placeholderToken = true;
      files.set(safeRel(volume, t.path), { data: Buffer.from(token ?? PLACEHOLDER_TOKEN, 'utf8'), mode: proj.defaultMode ?? 0o600 });
    }
  }
  return { files, placeholderToken };
}

export interface PodVolumes {
  /** Volume name → host path. */
  paths: Map<string, string>;
  /** Volumes that are read-only whatever the mount says (configMap, secret, downwardAPI, projected). */
  readOnly: Set<string>;
  /** Whether some token file holds the placeholder. */
  placeholderToken: boolean;
}

/**
 * Sets up (or refreshes: configMap/secret/downwardAPI/projected contents follow their sources) every
 * volume of the pod. Throws VolumeError for the first volume that cannot be set up.
 */
export async function setUpVolumes(pod: Obj, ctx: VolumeContext): Promise<PodVolumes> {
  const out: PodVolumes = { paths: new Map(), readOnly: new Set(), placeholderToken: false };
  const ns: string = pod.metadata.namespace;
  for (const v of (pod.spec?.volumes ?? []) as Obj[]) {
    const name: string = v.name;
    if (v.emptyDir) {
      // medium: Memory is a plain directory here too (no tmpfs mount); sizeLimit is not enforced.
      const d = pluginDir(ctx, 'empty-dir', name);
      mkdirSync(d, { recursive: true, mode: 0o777 });
      out.paths.set(name, d);
    } else if (v.configMap) {
      const files = new Map<string, FileEntry>();
      sourceFiles(name, v.configMap, 'configmap', ctx.configMap(ns, v.configMap.name), v.configMap.defaultMode ?? DEFAULT_MODE, files);
      const d = pluginDir(ctx, 'configmap', name);
      writeAtomic(d, files);
      out.paths.set(name, d);
      out.readOnly.add(name);
    } else if (v.secret) {
      const files = new Map<string, FileEntry>();
      sourceFiles(name, v.secret, 'secret', ctx.secret(ns, v.secret.secretName), v.secret.defaultMode ?? DEFAULT_MODE, files);
      const d = pluginDir(ctx, 'secret', name);
      writeAtomic(d, files);
      out.paths.set(name, d);
      out.readOnly.add(name);
    } else if (v.downwardAPI) {
      const files = new Map<string, FileEntry>();
      downwardFiles(name, pod, v.downwardAPI.items ?? [], ctx, v.downwardAPI.defaultMode ?? DEFAULT_MODE, files);
      const d = pluginDir(ctx, 'downward-api', name);
      writeAtomic(d, files);
      out.paths.set(name, d);
      out.readOnly.add(name);
    } else if (v.projected) {
      const { files, placeholderToken } = await projectedFiles(name, pod, v.projected, ctx);
      if (placeholderToken) out.placeholderToken = true;
      const d = pluginDir(ctx, 'projected', name);
      writeAtomic(d, files);
      out.paths.set(name, d);
      out.readOnly.add(name);
    } else if (v.hostPath) {
      checkHostPath(name, v.hostPath.path, v.hostPath.type ?? '');
      out.paths.set(name, v.hostPath.path);
    } else if (v.persistentVolumeClaim) {
      out.paths.set(name, pvcPath(name, pod, v.persistentVolumeClaim.claimName, ctx));
      if (v.persistentVolumeClaim.readOnly) out.readOnly.add(name);
    } else {
      const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
      throw new VolumeError(name, `volume type ${kind} is not supported by this node`);
    }
  }
  return out;
}

/** The container's mounts (subPath, subPathExpr expanded with its env, readOnly). */
export function containerMounts(container: Obj, vols: PodVolumes, env: Record<string, string>): Mount[] {
  const mounts: Mount[] = [];
  for (const m of (container.volumeMounts ?? []) as Obj[]) {
    const base = vols.paths.get(m.name);
    if (!base) throw new VolumeError(m.name, `volume "${m.name}" is not defined by the pod`);
    let hostPath = base;
    const sub: string | undefined = m.subPath || (m.subPathExpr ? expand(m.subPathExpr, (n) => env[n]) : undefined);
    if (sub) {
      hostPath = join(base, safeRel(m.name, sub));
      if (!existsSync(hostPath)) mkdirSync(hostPath, { recursive: true });
    }
    mounts.push({ containerPath: m.mountPath, hostPath, ...(m.readOnly || vols.readOnly.has(m.name) ? { readOnly: true } : {}) });
  }
  return mounts;
}

/** The pod's /etc/hosts as the kubelet writes it (managedHostsFileContent). */
export function etcHosts(pod: Obj, podIP: string, clusterDomain: string): string {
  const spec = pod.spec ?? {};
  const hostname: string = spec.hostname || pod.metadata.name;
  let s = '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n';
  if (spec.subdomain) s += `${podIP}\t${hostname}.${spec.subdomain}.${pod.metadata.namespace}.svc.${clusterDomain}\t${hostname}\n`;
  else s += `${podIP}\t${hostname}\n`;
  if (spec.hostAliases?.length) {
    s += '\n# Entries added by HostAliases.\n';
    for (const a of spec.hostAliases) s += `${a.ip}\t${(a.hostnames ?? []).join('\t')}\n`;
  }
  return s;
}

/** Removes the pod's directory (volumes, hosts file, resolv.conf); hostPath and PV data stay. */
export function tearDownPodDir(podDir: string): void {
  rmSync(podDir, { recursive: true, force: true });
}
