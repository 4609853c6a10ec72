// The Pod Security Standards checks (k8s.io/pod-security-admission/policy): each check looks at a
// pod's metadata and spec and says why it is forbidden, per level (baseline, restricted) and policy
// version (v1.0 … latest); messages are upstream's, so `kubectl` users see the same text.
import type { Obj } from '../../types.ts';

export type Level = 'privileged' | 'baseline' | 'restricted';

export interface CheckResult {
  allowed: boolean;
  reason?: string;
  detail?: string;
}

type CheckFn = (meta: Obj, spec: Obj) => CheckResult;

interface VersionedCheck {
  /** First policy minor version (v1.<min>) this revision applies to. */
  min: number;
  fn: CheckFn;
  /** Baseline check ids this (restricted) revision replaces. */
  overrides?: string[];
}

interface Check {
  id: string;
  level: 'baseline' | 'restricted';
  versions: VersionedCheck[];
}

const OK: CheckResult = { allowed: true };

// --- helpers (policy/helpers.go, visitor.go) --------------------------------------------------

const joinQuote = (items: string[]): string => (items.length ? `"${items.join('", "')}"` : '');
const pluralize = (singular: string, plural: string, n: number): string => (n === 1 ? singular : plural);
/** sets.String.List(): unique and sorted. */
const sortedSet = (s: Set<string>): string[] => [...s].sort();

/** Init containers, containers, then ephemeral containers, as visitContainers. */
function visitContainers(spec: Obj, visit: (c: Obj) => void): void {
  for (const list of [spec.initContainers, spec.containers, spec.ephemeralContainers]) {
    if (Array.isArray(list)) for (const c of list) if (c && typeof c === 'object') visit(c);
  }
}

/** A pod in a user namespace (hostUsers: false) gets some checks relaxed (1.35+). */
const userNamespacePod = (spec: Obj): boolean => spec.hostUsers === false;
const isWindows = (spec: Obj): boolean => spec.os?.name === 'windows';
const named = (c: Obj): string => String(c.name ?? '');

/** `pod and containers "a", "b"`-style subject from explicit setters. */
function setters(pod: boolean, containers: string[]): string[] {
  const out: string[] = [];
  if (pod) out.push('pod');
  if (containers.length) out.push(`${pluralize('container', 'containers', containers.length)} ${joinQuote(containers)}`);
  return out;
}

// --- baseline -----------------------------------------------------------------------------

function windowsHostProcess(_meta: Obj, spec: Obj): CheckResult {
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    if (c.securityContext?.windowsOptions?.hostProcess === true) bad.push(named(c));
  });
  const s = setters(spec.securityContext?.windowsOptions?.hostProcess === true, bad);
  if (!s.length) return OK;
  return { allowed: false, reason: 'hostProcess', detail: `${s.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true` };
}

function hostNamespaces(_meta: Obj, spec: Obj): CheckResult {
  const ns: string[] = [];
  if (spec.hostNetwork === true) ns.push('hostNetwork=true');
  if (spec.hostPID === true) ns.push('hostPID=true');
  if (spec.hostIPC === true) ns.push('hostIPC=true');
  return ns.length ? { allowed: false, reason: 'host namespaces', detail: ns.join(', ') } : OK;
}

function privileged(_meta: Obj, spec: Obj): CheckResult {
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    if (c.securityContext?.privileged === true) bad.push(named(c));
  });
  if (!bad.length) return OK;
  return { allowed: false, reason: 'privileged', detail: `${pluralize('container', 'containers', bad.length)} ${joinQuote(bad)} must not set securityContext.privileged=true` };
}

const BASELINE_CAPABILITIES = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);

function capabilitiesBaseline(_meta: Obj, spec: Obj): CheckResult {
  const bad: string[] = [];
  const caps = new Set<string>();
  visitContainers(spec, (c) => {
    const add = c.securityContext?.capabilities?.add;
    if (!Array.isArray(add)) return;
    let valid = true;
    for (const cap of add) {
      if (!BASELINE_CAPABILITIES.has(cap)) {
        valid = false;
        caps.add(String(cap));
      }
    }
    if (!valid) bad.push(named(c));
  });
  if (!bad.length) return OK;
  return {
    allowed: false,
    reason: 'non-default capabilities',
    detail: `${pluralize('container', 'containers', bad.length)} ${joinQuote(bad)} must not include ${joinQuote(sortedSet(caps))} in securityContext.capabilities.add`,
  };
}

function hostPathVolumes(_meta: Obj, spec: Obj): CheckResult {
  const bad: string[] = [];
  for (const v of arr(spec.volumes)) if (v.hostPath) bad.push(named(v));
  if (!bad.length) return OK;
  return { allowed: false, reason: 'hostPath volumes', detail: `${pluralize('volume', 'volumes', bad.length)} ${joinQuote(bad)}` };
}

function hostPorts(_meta: Obj, spec: Obj): CheckResult {
  const bad: string[] = [];
  const ports = new Set<string>();
  visitContainers(spec, (c) => {
    let valid = true;
    for (const p of arr(c.ports)) {
      if (p.hostPort !== undefined && p.hostPort !== null && p.hostPort !== 0) {
        valid = false;
        ports.add(String(p.hostPort));
      }
    }
    if (!valid) bad.push(named(c));
  });
  if (!bad.length) return OK;
  return {
    allowed: false,
    reason: 'hostPort',
    detail: `${pluralize('container', 'containers', bad.length)} ${joinQuote(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('hostPort', 'hostPorts', ports.size)} ${sortedSet(ports).join(', ')}`,
  };
}

function hostProbesAndHostLifecycle(_meta: Obj, spec: Obj): CheckResult {
  const bad = new Set<string>();
  const hosts = new Set<string>();
  const look = (c: Obj, h: Obj | undefined) => {
    if (!h) return;
    for (const k of ['httpGet', 'tcpSocket']) {
      const host = h[k]?.host;
      if (typeof host === 'string' && host !== '') {
        bad.add(named(c));
        hosts.add(host);
      }
    }
  };
  visitContainers(spec, (c) => {
    look(c, c.livenessProbe);
    look(c, c.readinessProbe);
    look(c, c.startupProbe);
    look(c, c.lifecycle?.postStart);
    look(c, c.lifecycle?.preStop);
  });
  if (!bad.size) return OK;
  return {
    allowed: false,
    reason: 'probe or lifecycle host',
    detail: `${pluralize('container', 'containers', bad.size)} ${joinQuote(sortedSet(bad))} ${pluralize('uses', 'use', bad.size)} ${pluralize('probe or lifecycle host', 'probe or lifecycle hosts', hosts.size)} ${joinQuote(sortedSet(hosts))}`,
  };
}

const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

function appArmorProfile(meta: Obj, spec: Obj): CheckResult {
  const allowedType = (t: unknown) => t === 'RuntimeDefault' || t === 'Localhost';
  const badSetters: string[] = [];
  const badValues = new Set<string>();
  const podProfile = spec.securityContext?.appArmorProfile;
  if (podProfile && !allowedType(podProfile.type)) {
    badSetters.push('pod');
    badValues.add(String(podProfile.type ?? ''));
  }
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    const p = c.securityContext?.appArmorProfile;
    if (p && !allowedType(p.type)) {
      bad.push(named(c));
      badValues.add(String(p.type ?? ''));
    }
  });
  if (bad.length) badSetters.push(`${pluralize('container', 'containers', bad.length)} ${joinQuote(bad)}`);
  const annotations: string[] = [];
  for (const [k, v] of Object.entries((meta.annotations ?? {}) as Record<string, string>)) {
    if (!k.startsWith(APPARMOR_ANNOTATION_PREFIX)) continue;
    const ok = !v || v === 'runtime/default' || v.startsWith('localhost/');
    if (!ok) annotations.push(`${k}=${JSON.stringify(v)}`);
  }
  const values = sortedSet(badValues);
  if (annotations.length) {
    annotations.sort();
    values.push(...annotations);
    badSetters.push(pluralize('annotation', 'annotations', annotations.length));
  }
  if (!badSetters.length) return OK;
  return {
    allowed: false,
    reason: pluralize('forbidden AppArmor profile', 'forbidden AppArmor profiles', values.length),
    detail: `${badSetters.join(' and ')} must not set AppArmor profile type to ${joinQuote(values)}`,
  };
}

const SELINUX_TYPES_1_0 = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);
const SELINUX_TYPES_1_31 = new Set([...SELINUX_TYPES_1_0, 'container_engine_t']);

function seLinuxOptions(allowedTypes: Set<string>): CheckFn {
  return (_meta, spec) => {
    const badTypes = new Set<string>();
    let setUser = false;
    let setRole = false;
    const valid = (o: Obj): boolean => {
      let ok = true;
      const t = String(o.type ?? '');
      if (!allowedTypes.has(t)) {
        ok = false;
        badTypes.add(t);
      }
      if (o.user) {
        ok = false;
        setUser = true;
      }
      if (o.role) {
        ok = false;
        setRole = true;
      }
      return ok;
    };
    const podOpts = spec.securityContext?.seLinuxOptions;
    const podBad = !!podOpts && !valid(podOpts);
    const bad: string[] = [];
    visitContainers(spec, (c) => {
      const o = c.securityContext?.seLinuxOptions;
      if (o && !valid(o)) bad.push(named(c));
    });
    const s = setters(podBad, bad);
    if (!s.length) return OK;
    const data: string[] = [];
    if (badTypes.size) data.push(`${pluralize('type', 'types', badTypes.size)} ${joinQuote(sortedSet(badTypes))}`);
    if (setUser) data.push('user may not be set');
    if (setRole) data.push('role may not be set');
    return { allowed: false, reason: 'seLinuxOptions', detail: `${s.join(' and ')} set forbidden securityContext.seLinuxOptions: ${data.join('; ')}` };
  };
}

function procMount(_meta: Obj, spec: Obj): CheckResult {
  const bad: string[] = [];
  const types = new Set<string>();
  visitContainers(spec, (c) => {
    const pm = c.securityContext?.procMount;
    if (pm === undefined || pm === null) return;
    if (pm !== 'Default') {
      bad.push(named(c));
      types.add(String(pm));
    }
  });
  if (!bad.length) return OK;
  return {
    allowed: false,
    reason: 'procMount',
    detail: `${pluralize('container', 'containers', bad.length)} ${joinQuote(bad)} must not set securityContext.procMount to ${joinQuote(sortedSet(types))}`,
  };
}

const relaxedForUserNamespaces = (fn: CheckFn): CheckFn => (meta, spec) => (userNamespacePod(spec) ? OK : fn(meta, spec));
const exemptWindows = (fn: CheckFn): CheckFn => (meta, spec) => (isWindows(spec) ? OK : fn(meta, spec));

const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER_ANNOTATION_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';
const validSeccomp = (t: unknown) => t === 'Localhost' || t === 'RuntimeDefault';

/** Before 1.19 the seccomp profile lived in alpha annotations. */
function seccompBaselineAnnotations(meta: Obj, spec: Obj): CheckResult {
  const annotations = (meta.annotations ?? {}) as Record<string, string>;
  const valid = (v: string) => v === 'runtime/default' || v === 'docker/default' || v.startsWith('localhost/');
  const forbidden = new Set<string>();
  const pod = annotations[SECCOMP_POD_ANNOTATION];
  if (pod !== undefined && !valid(pod)) forbidden.add(`${SECCOMP_POD_ANNOTATION}=${JSON.stringify(pod)}`);
  visitContainers(spec, (c) => {
    const key = SECCOMP_CONTAINER_ANNOTATION_PREFIX + named(c);
    const v = annotations[key];
    if (v !== undefined && !valid(v)) forbidden.add(`${key}=${JSON.stringify(v)}`);
  });
  if (!forbidden.size) return OK;
  return { allowed: false, reason: 'seccompProfile', detail: `forbidden ${pluralize('annotation', 'annotations', forbidden.size)} ${sortedSet(forbidden).join(', ')}` };
}

function seccompBaseline(_meta: Obj, spec: Obj): CheckResult {
  const badValues = new Set<string>();
  const podProfile = spec.securityContext?.seccompProfile;
  const podBad = !!podProfile && !validSeccomp(podProfile.type);
  if (podBad) badValues.add(String(podProfile.type ?? ''));
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    const p = c.securityContext?.seccompProfile;
    if (p && !validSeccomp(p.type)) {
      bad.push(named(c));
      badValues.add(String(p.type ?? ''));
    }
  });
  const s = setters(podBad, bad);
  if (!s.length) return OK;
  return { allowed: false, reason: 'seccompProfile', detail: `${s.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(badValues))}` };
}

const SYSCTLS_1_0 = ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_unprivileged_port_start'];
const SYSCTLS_1_27 = [...SYSCTLS_1_0, 'net.ipv4.ip_local_reserved_ports'];
const SYSCTLS_1_29 = [...SYSCTLS_1_27, 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes'];
const SYSCTLS_1_32 = [...SYSCTLS_1_29, 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'];

function sysctls(allowedList: string[]): CheckFn {
  const allowed = new Set(allowedList);
  return (_meta, spec) => {
    const bad: string[] = [];
    for (const s of arr(spec.securityContext?.sysctls)) if (!allowed.has(s.name)) bad.push(String(s.name ?? ''));
    return bad.length ? { allowed: false, reason: 'forbidden sysctls', detail: bad.join(', ') } : OK;
  };
}

// --- restricted ---------------------------------------------------------------------------

function allowPrivilegeEscalation(_meta: Obj, spec: Obj): CheckResult {
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    if (c.securityContext?.allowPrivilegeEscalation !== false) bad.push(named(c));
  });
  if (!bad.length) return OK;
  return {
    allowed: false,
    reason: 'allowPrivilegeEscalation != false',
    detail: `${pluralize('container', 'containers', bad.length)} ${joinQuote(bad)} must set securityContext.allowPrivilegeEscalation=false`,
  };
}

function capabilitiesRestricted(_meta: Obj, spec: Obj): CheckResult {
  const missingDrop: string[] = [];
  const adding: string[] = [];
  const caps = new Set<string>();
  visitContainers(spec, (c) => {
    const capabilities = c.securityContext?.capabilities;
    if (!capabilities) {
      missingDrop.push(named(c));
      return;
    }
    if (!strings(capabilities.drop).includes('ALL')) missingDrop.push(named(c));
    let addedForbidden = false;
    for (const cap of strings(capabilities.add)) {
      if (cap !== 'NET_BIND_SERVICE') {
        addedForbidden = true;
        caps.add(String(cap));
      }
    }
    if (addedForbidden) adding.push(named(c));
  });
  const details: string[] = [];
  if (missingDrop.length) details.push(`${pluralize('container', 'containers', missingDrop.length)} ${joinQuote(missingDrop)} must set securityContext.capabilities.drop=["ALL"]`);
  if (adding.length) details.push(`${pluralize('container', 'containers', adding.length)} ${joinQuote(adding)} must not include ${joinQuote(sortedSet(caps))} in securityContext.capabilities.add`);
  return details.length ? { allowed: false, reason: 'unrestricted capabilities', detail: details.join('; ') } : OK;
}

const RESTRICTED_VOLUME_OK = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'image', 'persistentVolumeClaim', 'projected', 'secret'];
const RESTRICTED_VOLUME_TYPES = [
  'hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'nfs', 'iscsi', 'glusterfs', 'rbd', 'flexVolume', 'cinder', 'cephfs',
  'flocker', 'fc', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'storageos',
];

function restrictedVolumes(_meta: Obj, spec: Obj): CheckResult {
  const bad: string[] = [];
  const types = new Set<string>();
  for (const v of arr(spec.volumes)) {
    if (RESTRICTED_VOLUME_OK.some((k) => v[k] !== undefined && v[k] !== null)) continue;
    bad.push(named(v));
    types.add(RESTRICTED_VOLUME_TYPES.find((k) => v[k] !== undefined && v[k] !== null) ?? 'unknown');
  }
  if (!bad.length) return OK;
  return {
    allowed: false,
    reason: 'restricted volume types',
    detail: `${pluralize('volume', 'volumes', bad.length)} ${joinQuote(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('restricted volume type', 'restricted volume types', types.size)} ${joinQuote(sortedSet(types))}`,
  };
}

function runAsNonRoot(_meta: Obj, spec: Obj): CheckResult {
  const podValue = spec.securityContext?.runAsNonRoot;
  const podBad = podValue === false;
  const podTrue = podValue === true;
  const explicit: string[] = [];
  const implicit: string[] = [];
  visitContainers(spec, (c) => {
    const v = c.securityContext?.runAsNonRoot;
    if (v === true || v === false) {
      if (v === false) explicit.push(named(c));
    } else if (!podTrue) implicit.push(named(c));
  });
  const s = setters(podBad, explicit);
  if (s.length) return { allowed: false, reason: 'runAsNonRoot != true', detail: `${s.join(' and ')} must not set securityContext.runAsNonRoot=false` };
  if (implicit.length) {
    return {
      allowed: false,
      reason: 'runAsNonRoot != true',
      detail: `pod or ${pluralize('container', 'containers', implicit.length)} ${joinQuote(implicit)} must set securityContext.runAsNonRoot=true`,
    };
  }
  return OK;
}

function runAsUser(_meta: Obj, spec: Obj): CheckResult {
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    if (c.securityContext?.runAsUser === 0) bad.push(named(c));
  });
  const s = setters(spec.securityContext?.runAsUser === 0, bad);
  if (!s.length) return OK;
  return { allowed: false, reason: 'runAsUser=0', detail: `${s.join(' and ')} must not set runAsUser=0` };
}

function seccompRestricted(_meta: Obj, spec: Obj): CheckResult {
  const badValues = new Set<string>();
  const podProfile = spec.securityContext?.seccompProfile;
  let podBad = false;
  let podSet = false;
  if (podProfile) {
    if (!validSeccomp(podProfile.type)) {
      podBad = true;
      badValues.add(String(podProfile.type ?? ''));
    } else podSet = true;
  }
  const explicit: string[] = [];
  const implicit: string[] = [];
  visitContainers(spec, (c) => {
    const p = c.securityContext?.seccompProfile;
    if (p) {
      if (!validSeccomp(p.type)) {
        explicit.push(named(c));
        badValues.add(String(p.type ?? ''));
      }
    } else if (!podSet) implicit.push(named(c));
  });
  const s = setters(podBad, explicit);
  if (s.length) return { allowed: false, reason: 'seccompProfile', detail: `${s.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(badValues))}` };
  if (implicit.length) {
    return {
      allowed: false,
      reason: 'seccompProfile',
      detail: `pod or ${pluralize('container', 'containers', implicit.length)} ${joinQuote(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
    };
  }
  return OK;
}

function strings(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function arr(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter((x) => x !== null && x !== undefined) : [];
}

// --- registry (policy/registry.go) --------------------------------------------------------

/** Every check with its revisions, as the 1.36 release of the policy library registers them. */
export const CHECKS: Check[] = [
  { id: 'allowPrivilegeEscalation', level: 'restricted', versions: [{ min: 8, fn: allowPrivilegeEscalation }, { min: 25, fn: exemptWindows(allowPrivilegeEscalation) }] },
  { id: 'appArmorProfile', level: 'baseline', versions: [{ min: 0, fn: appArmorProfile }] },
  { id: 'capabilities_baseline', level: 'baseline', versions: [{ min: 0, fn: capabilitiesBaseline }] },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    versions: [
      { min: 22, fn: capabilitiesRestricted, overrides: ['capabilities_baseline'] },
      { min: 25, fn: exemptWindows(capabilitiesRestricted), overrides: ['capabilities_baseline'] },
    ],
  },
  { id: 'hostNamespaces', level: 'baseline', versions: [{ min: 0, fn: hostNamespaces }] },
  { id: 'hostPathVolumes', level: 'baseline', versions: [{ min: 0, fn: hostPathVolumes }] },
  { id: 'hostPorts', level: 'baseline', versions: [{ min: 0, fn: hostPorts }] },
  { id: 'hostProbesAndHostLifecycle', level: 'baseline', versions: [{ min: 34, fn: hostProbesAndHostLifecycle }] },
  { id: 'privileged', level: 'baseline', versions: [{ min: 0, fn: privileged }] },
  { id: 'procMount', level: 'baseline', versions: [{ min: 0, fn: procMount }, { min: 35, fn: relaxedForUserNamespaces(procMount) }] },
  { id: 'procMount_restricted', level: 'restricted', versions: [{ min: 35, fn: procMount, overrides: ['procMount'] }] },
  { id: 'restrictedVolumes', level: 'restricted', versions: [{ min: 0, fn: restrictedVolumes, overrides: ['hostPathVolumes'] }] },
  { id: 'runAsNonRoot', level: 'restricted', versions: [{ min: 0, fn: runAsNonRoot }, { min: 35, fn: relaxedForUserNamespaces(runAsNonRoot) }] },
  { id: 'runAsUser', level: 'restricted', versions: [{ min: 23, fn: runAsUser }, { min: 35, fn: relaxedForUserNamespaces(runAsUser) }] },
  { id: 'seLinuxOptions', level: 'baseline', versions: [{ min: 0, fn: seLinuxOptions(SELINUX_TYPES_1_0) }, { min: 31, fn: seLinuxOptions(SELINUX_TYPES_1_31) }] },
  { id: 'seccompProfile_baseline', level: 'baseline', versions: [{ min: 0, fn: seccompBaselineAnnotations }, { min: 19, fn: seccompBaseline }] },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    versions: [
      { min: 19, fn: seccompRestricted, overrides: ['seccompProfile_baseline'] },
      { min: 25, fn: exemptWindows(seccompRestricted), overrides: ['seccompProfile_baseline'] },
    ],
  },
  { id: 'sysctls', level: 'baseline', versions: [{ min: 0, fn: sysctls(SYSCTLS_1_0) }, { min: 27, fn: sysctls(SYSCTLS_1_27) }, { min: 29, fn: sysctls(SYSCTLS_1_29) }, { min: 32, fn: sysctls(SYSCTLS_1_32) }] },
  { id: 'windowsHostProcess', level: 'baseline', versions: [{ min: 0, fn: windowsHostProcess }] },
];

/** The newest policy version any check knows; `latest` and newer versions evaluate as this one. */
export const MAX_POLICY_MINOR = Math.max(...CHECKS.flatMap((c) => c.versions.map((v) => v.min)));

/** Baseline ids sorted, then restricted ids sorted: the order of upstream's messages. */
const ORDER = [
  ...CHECKS.filter((c) => c.level === 'baseline').map((c) => c.id).sort(),
  ...CHECKS.filter((c) => c.level === 'restricted').map((c) => c.id).sort(),
];
const BY_ID = new Map(CHECKS.map((c) => [c.id, c]));

function revisionAt(c: Check, minor: number): VersionedCheck | undefined {
  let found: VersionedCheck | undefined;
  for (const v of c.versions) if (v.min <= minor) found = v;
  return found;
}

const plans = new Map<string, CheckFn[]>();

/** The check functions that run for a level at a policy minor version (cached). */
function plan(level: 'baseline' | 'restricted', minor: number): CheckFn[] {
  const key = `${level}:${minor}`;
  let fns = plans.get(key);
  if (fns) return fns;
  const overridden = new Set<string>();
  if (level === 'restricted') {
    for (const c of CHECKS) if (c.level === 'restricted') for (const o of revisionAt(c, minor)?.overrides ?? []) overridden.add(o);
  }
  fns = [];
  for (const id of ORDER) {
    const c = BY_ID.get(id)!;
    if (c.level === 'restricted' && level === 'baseline') continue;
    if (c.level === 'baseline' && overridden.has(id)) continue;
    const r = revisionAt(c, minor);
    if (r) fns.push(r.fn);
  }
  plans.set(key, fns);
  return fns;
}

/** Policy version: a minor of v1.x, or 'latest'. */
export type PolicyVersion = number | 'latest';

export interface AggregateResult {
  allowed: boolean;
  reasons: string[];
  details: string[];
}

/** Runs the checks of `level` at `version` over a pod (or pod template) and aggregates them. */
export function evaluatePod(level: Level, version: PolicyVersion, meta: Obj | undefined, spec: Obj | undefined): AggregateResult {
  const out: AggregateResult = { allowed: true, reasons: [], details: [] };
  if (level === 'privileged') return out;
  const minor = version === 'latest' || version > MAX_POLICY_MINOR ? MAX_POLICY_MINOR : version;
  const m = meta ?? {};
  const s = spec ?? {};
  for (const fn of plan(level, minor)) {
    const r = fn(m, s);
    if (r.allowed) continue;
    out.allowed = false;
    out.reasons.push(r.reason || 'unknown forbidden reason');
    out.details.push(r.detail ?? '');
  }
  return out;
}

/** `host ports (8080), privileged (container "c" must not ...)`: reasons with their details. */
export function forbiddenDetail(r: AggregateResult): string {
  return r.reasons.map((reason, i) => (r.details[i] ? `${reason} (${r.details[i]})` : reason)).join(', ');
}

/** `host ports, privileged`: the reasons only (used for existing pods when a namespace changes). */
export function forbiddenReason(r: AggregateResult): string {
  return r.reasons.join(', ');
}
