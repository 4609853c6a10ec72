// The ServiceAccount admission plugin (plugin/pkg/admission/serviceaccount): a new pod runs as
// spec.serviceAccountName (`default` when empty), which must exist; unless the pod or the account
// opts out (automountServiceAccountToken: false), every container and init container mounts the
// projected `kube-api-access-xxxxx` volume (bound token, kube-root-ca.crt, namespace) read-only at
// /var/run/secrets/kubernetes.io/serviceaccount; the account's imagePullSecrets are copied; mirror
// pods may reference neither accounts nor secrets; kubernetes.io/enforce-mountable-secrets limits
// the secrets a pod may use to the account's.
import { forbidden, isNotFound, notFound } from '../../machinery/errors.ts';
import type { AdmissionAttributes, AdmissionPlugin } from '../admission.ts';
import type { Store } from '../registry/store.ts';
import type { Obj } from '../types.ts';

export const DEFAULT_SERVICE_ACCOUNT = 'default';
export const SERVICE_ACCOUNT_VOLUME_PREFIX = 'kube-api-access-';
export const DEFAULT_API_TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
export const ENFORCE_MOUNTABLE_SECRETS_ANNOTATION = 'kubernetes.io/enforce-mountable-secrets';
/** serviceaccount.WarnOnlyBoundTokenExpirationSeconds: 1 h + 7 s, so the kubelet refreshes well before. */
export const TOKEN_EXPIRATION_SECONDS = 3607;

/** The projected volume source every auto-mounted token volume has (TokenVolumeSource). */
export function tokenVolumeSource(): Obj {
  return {
    defaultMode: 0o644,
    sources: [
      { serviceAccountToken: { path: 'token', expirationSeconds: TOKEN_EXPIRATION_SECONDS } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
  };
}

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
/** names.SimpleNameGenerator: the prefix and five random characters. */
function generateName(prefix: string): string {
  let s = prefix;
  for (let i = 0; i < 5; i++) s += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
  return s;
}

export interface ServiceAccountOptions {
  /** The serviceaccounts store. */
  serviceAccounts: () => Store;
  /** Mount the API token volume (default true). */
  mountServiceAccountToken?: boolean;
  /** Enforce mountable secrets for every account, not only annotated ones (default false). */
  limitSecretReferences?: boolean;
  /** Pause between live lookups of a `default` account the controller has not made yet (100–200 ms). */
  retryIntervalMs?: number;
  /** Volume name generator (tests). */
  generateName?: (prefix: string) => string;
}

const isMirror = (pod: Obj) => Object.prototype.hasOwnProperty.call(pod.metadata?.annotations ?? {}, MIRROR_POD_ANNOTATION);
const containersOf = (spec: Obj, key: 'containers' | 'initContainers' | 'ephemeralContainers'): Obj[] => (Array.isArray(spec[key]) ? spec[key] : []);

/** True when the pod names any secret (volumes, env, envFrom, image pull secrets, projected sources). */
function referencesSecrets(spec: Obj): boolean {
  if ((spec.imagePullSecrets ?? []).length) return true;
  for (const v of (spec.volumes ?? []) as Obj[]) {
    if (v?.secret || v?.azureFile?.secretName || v?.cephfs?.secretRef || v?.cinder?.secretRef || v?.flexVolume?.secretRef || v?.rbd?.secretRef || v?.scaleIO?.secretRef || v?.iscsi?.secretRef || v?.storageos?.secretRef || v?.csi?.nodePublishSecretRef) return true;
    if ((v?.projected?.sources ?? []).some((s: Obj) => s?.secret)) return true;
  }
  for (const key of ['initContainers', 'containers', 'ephemeralContainers'] as const) {
    for (const c of containersOf(spec, key)) {
      if ((c.envFrom ?? []).some((e: Obj) => e?.secretRef)) return true;
      if ((c.env ?? []).some((e: Obj) => e?.valueFrom?.secretKeyRef)) return true;
    }
  }
  return false;
}

/** limitSecretReferences: the first secret the pod uses that the account does not list. */
function secretReferenceError(sa: Obj, spec: Obj): string | undefined {
  const name = sa.metadata?.name;
  const mountable = new Set(((sa.secrets ?? []) as Obj[]).map((s) => s?.name));
  for (const v of (spec.volumes ?? []) as Obj[]) {
    if (!v?.secret) continue;
    if (!mountable.has(v.secret.secretName)) return `volume with secret.secretName="${v.secret.secretName ?? ''}" is not allowed because service account ${name} does not reference that secret`;
  }
  const kinds: [key: 'initContainers' | 'containers' | 'ephemeralContainers', label: string][] = [
    ['initContainers', 'init container'],
    ['containers', 'container'],
    ['ephemeralContainers', 'ephemeral container'],
  ];
  for (const [key, label] of kinds) {
    for (const c of containersOf(spec, key)) {
      for (const e of (c.envFrom ?? []) as Obj[]) {
        if (e?.secretRef && !mountable.has(e.secretRef.name)) return `${label} ${c.name} with envFrom referencing secret.secretName="${e.secretRef.name ?? ''}" is not allowed because service account ${name} does not reference that secret`;
      }
      for (const e of (c.env ?? []) as Obj[]) {
        const ref = e?.valueFrom?.secretKeyRef;
        if (ref && !mountable.has(ref.name)) return `${label} ${c.name} with envVar ${e.name} referencing secret.secretName="${ref.name ?? ''}" is not allowed because service account ${name} does not reference that secret`;
      }
    }
  }
  const pull = new Set(((sa.imagePullSecrets ?? []) as Obj[]).map((s) => s?.name));
  const refs = (spec.imagePullSecrets ?? []) as Obj[];
  for (let i = 0; i < refs.length; i++) {
    if (!pull.has(refs[i]?.name)) return `imagePullSecrets[${i}].name="${refs[i]?.name ?? ''}" is not allowed because service account ${name} does not reference that imagePullSecret`;
  }
  return undefined;
}

export function serviceAccount(opts: ServiceAccountOptions): AdmissionPlugin {
  const mount = opts.mountServiceAccountToken ?? true;
  const gen = opts.generateName ?? generateName;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** The account from the cache, else live; a `default` account is waited for a little (the controller makes it). */
  async function lookup(namespace: string, name: string): Promise<Obj> {
    const store = opts.serviceAccounts();
    const cached = store.cache.get(store.key(namespace, name))?.obj;
    if (cached) return cached;
    const attempts = name === DEFAULT_SERVICE_ACCOUNT ? 10 : 1;
    const interval = opts.retryIntervalMs ?? 100 + Math.floor(Math.random() * 100);
    for (let i = 0; i < attempts; i++) {
      if (i) await sleep(interval);
      const hit = store.cache.get(store.key(namespace, name))?.obj;
      if (hit) return hit;
      try {
        return await store.get(namespace, name);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    throw notFound({ group: '', resource: 'serviceaccount' }, name);
  }

  async function account(a: AdmissionAttributes, name: string): Promise<Obj> {
    try {
      return await lookup(a.namespace, name);
    } catch (e) {
      throw forbidden(a.store.gr, a.obj.metadata?.name ?? '', `error looking up service account ${a.namespace}/${name}: ${(e as Error).message}`);
    }
  }

  const applies = (a: AdmissionAttributes) => a.store.info.group === '' && a.store.info.resource === 'pods' && !!a.obj?.spec;

  function mountToken(spec: Obj): void {
    let volumeName = '';
    let hasVolume = false;
    for (const v of (spec.volumes ?? []) as Obj[]) {
      if (typeof v?.name === 'string' && v.name.startsWith(SERVICE_ACCOUNT_VOLUME_PREFIX)) {
        volumeName = v.name;
        hasVolume = true;
        break;
      }
    }
    if (!volumeName) volumeName = gen(SERVICE_ACCOUNT_VOLUME_PREFIX);
    let needed = false;
    for (const key of ['initContainers', 'containers'] as const) {
      for (const c of containersOf(spec, key)) {
        const mounts: Obj[] = Array.isArray(c.volumeMounts) ? c.volumeMounts : [];
        if (mounts.some((m) => m?.mountPath === DEFAULT_API_TOKEN_MOUNT_PATH)) continue;
        c.volumeMounts = [...mounts, { name: volumeName, readOnly: true, mountPath: DEFAULT_API_TOKEN_MOUNT_PATH }];
        needed = true;
      }
    }
    if (!hasVolume && needed) spec.volumes = [...((spec.volumes ?? []) as Obj[]), { name: volumeName, projected: tokenVolumeSource() }];
  }

  async function check(a: AdmissionAttributes): Promise<void> {
    const pod = a.obj;
    const spec = pod.spec;
    const refuse = (why: string) => forbidden(a.store.gr, pod.metadata?.name ?? '', why);
    if (isMirror(pod)) {
      if (spec.serviceAccountName) throw refuse('a mirror pod may not reference service accounts');
      if (referencesSecrets(spec)) throw refuse('a mirror pod may not reference secrets');
      for (const v of (spec.volumes ?? []) as Obj[]) {
        if ((v?.projected?.sources ?? []).some((s: Obj) => s?.serviceAccountToken)) throw refuse('a mirror pod may not use ServiceAccountToken volume projections');
      }
      return;
    }
    if (!spec.serviceAccountName) throw refuse(`no service account specified for pod ${a.namespace}/${pod.metadata?.name ?? ''}`);
    const sa = await account(a, spec.serviceAccountName);
    const enforce = opts.limitSecretReferences || String(sa.metadata?.annotations?.[ENFORCE_MOUNTABLE_SECRETS_ANNOTATION] ?? '').toLowerCase() === 'true';
    if (enforce) {
      const why = secretReferenceError(sa, spec);
      if (why) throw refuse(why);
    }
  }

  return {
    name: 'ServiceAccount',
    async admit(a) {
      if (a.operation !== 'CREATE' || a.subresource || !applies(a)) return;
      const spec = a.obj.spec;
      if (isMirror(a.obj)) return;
      if (!spec.serviceAccountName) spec.serviceAccountName = DEFAULT_SERVICE_ACCOUNT;
      const sa = await account(a, spec.serviceAccountName);
      const automount = spec.automountServiceAccountToken ?? sa.automountServiceAccountToken ?? true;
      if (mount && automount) mountToken(spec);
      if (!(spec.imagePullSecrets ?? []).length && (sa.imagePullSecrets ?? []).length) {
        spec.imagePullSecrets = (sa.imagePullSecrets as Obj[]).map((s) => ({ name: s?.name }));
      }
    },
    async validate(a) {
      if (!applies(a)) return;
      if (a.operation === 'UPDATE' && a.subresource === 'ephemeralcontainers') {
        // New ephemeral containers may only use the account's secrets too.
        if (isMirror(a.obj) || !a.obj.spec.serviceAccountName) return;
        const sa = await account(a, a.obj.spec.serviceAccountName);
        const enforce = opts.limitSecretReferences || String(sa.metadata?.annotations?.[ENFORCE_MOUNTABLE_SECRETS_ANNOTATION] ?? '').toLowerCase() === 'true';
        if (!enforce) return;
        const why = secretReferenceError(sa, { ephemeralContainers: a.obj.spec.ephemeralContainers });
        if (why) throw forbidden(a.store.gr, a.obj.metadata?.name ?? '', why);
        return;
      }
      if (a.operation !== 'CREATE' || a.subresource) return;
      await check(a);
    },
  };
}
