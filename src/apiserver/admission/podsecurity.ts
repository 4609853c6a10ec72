// The PodSecurity admission plugin (k8s.io/pod-security-admission/admission, in-tree as
// plugin/pkg/admission/security/podsecurity): a namespace's pod-security.kubernetes.io/enforce|audit|warn
// labels (and their -version labels) pick a Pod Security Standards level per mode; pods that violate
// the enforce level are refused (403), violations of the warn level become Warning headers, and
// workload resources (pod templates) are only warned and audited. Namespace label values are
// validated, and raising a namespace's enforce level warns about its existing pods.
import { forbidden, invalid, invalidError, type FieldError } from '../../machinery/errors.ts';
import type { AdmissionAttributes, AdmissionPlugin } from '../admission.ts';
import type { Store } from '../registry/store.ts';
import type { Obj } from '../types.ts';
import { evaluatePod, forbiddenDetail, forbiddenReason, type AggregateResult, type Level, type PolicyVersion } from './podsecurity/checks.ts';

export { evaluatePod, forbiddenDetail, type Level, type PolicyVersion } from './podsecurity/checks.ts';

const PREFIX = 'pod-security.kubernetes.io/';
export const ENFORCE_LABEL = `${PREFIX}enforce`;
export const ENFORCE_VERSION_LABEL = `${PREFIX}enforce-version`;
export const AUDIT_LABEL = `${PREFIX}audit`;
export const AUDIT_VERSION_LABEL = `${PREFIX}audit-version`;
export const WARN_LABEL = `${PREFIX}warn`;
export const WARN_VERSION_LABEL = `${PREFIX}warn-version`;

export interface LevelVersion {
  level: Level;
  version: PolicyVersion;
}

export interface Policy {
  enforce: LevelVersion;
  audit: LevelVersion;
  warn: LevelVersion;
}

export const levelVersionString = (lv: LevelVersion): string => `${lv.level}:${lv.version === 'latest' ? 'latest' : `v1.${lv.version}`}`;
const sameLV = (a: LevelVersion, b: LevelVersion) => a.level === b.level && a.version === b.version;
const equivalentLV = (a: LevelVersion, b: LevelVersion) => (a.level === 'privileged' && b.level === 'privileged') || sameLV(a, b);
const fullyPrivileged = (p: Policy) => p.enforce.level === 'privileged' && p.audit.level === 'privileged' && p.warn.level === 'privileged';
const STRICTNESS: Record<Level, number> = { privileged: 0, baseline: 1, restricted: 2 };

function parseLevel(v: string): { level: Level; err?: string } {
  if (v === 'privileged' || v === 'baseline' || v === 'restricted') return { level: v };
  return { level: 'restricted', err: 'must be one of privileged, baseline, restricted' };
}

function parseVersion(v: string): { version: PolicyVersion; err?: string } {
  if (v === 'latest') return { version: 'latest' };
  const m = /^v1\.([0-9]|[1-9][0-9]*)$/.exec(v);
  if (!m) return { version: 'latest', err: 'must be "latest" or "v1.x"' };
  return { version: Number(m[1]) };
}

/**
 * api.PolicyToEvaluate: the namespace's labels over the defaults. Always returns a usable policy;
 * label errors come back as field errors (enforce fails closed to restricted, audit/warn open).
 */
export function policyToEvaluate(labels: Record<string, string> | undefined, defaults: Policy): { policy: Policy; errs: FieldError[] } {
  const p: Policy = { enforce: { ...defaults.enforce }, audit: { ...defaults.audit }, warn: { ...defaults.warn } };
  const errs: FieldError[] = [];
  if (!labels || !Object.keys(labels).length) return { policy: p, errs };
  const fail = (label: string, value: string, err: string) => errs.push(invalid(`metadata.labels[${label}]`, value, err));
  let hasEnforceLevel = false;
  const has = (k: string) => Object.prototype.hasOwnProperty.call(labels, k);
  if (has(ENFORCE_LABEL)) {
    const r = parseLevel(labels[ENFORCE_LABEL]!);
    p.enforce.level = r.level;
    hasEnforceLevel = !r.err;
    if (r.err) fail(ENFORCE_LABEL, labels[ENFORCE_LABEL]!, r.err);
  }
  if (has(ENFORCE_VERSION_LABEL)) {
    const r = parseVersion(labels[ENFORCE_VERSION_LABEL]!);
    p.enforce.version = r.version;
    if (r.err) fail(ENFORCE_VERSION_LABEL, labels[ENFORCE_VERSION_LABEL]!, r.err);
  }
  if (has(AUDIT_LABEL)) {
    const r = parseLevel(labels[AUDIT_LABEL]!);
    p.audit.level = r.err ? 'privileged' : r.level;
    if (r.err) fail(AUDIT_LABEL, labels[AUDIT_LABEL]!, r.err);
  }
  if (has(AUDIT_VERSION_LABEL)) {
    const r = parseVersion(labels[AUDIT_VERSION_LABEL]!);
    p.audit.version = r.version;
    if (r.err) fail(AUDIT_VERSION_LABEL, labels[AUDIT_VERSION_LABEL]!, r.err);
  }
  const hasWarnLevel = has(WARN_LABEL);
  const hasWarnVersion = has(WARN_VERSION_LABEL);
  if (hasWarnLevel) {
    const r = parseLevel(labels[WARN_LABEL]!);
    p.warn.level = r.err ? 'privileged' : r.level;
    if (r.err) fail(WARN_LABEL, labels[WARN_LABEL]!, r.err);
  }
  if (hasWarnVersion) {
    const r = parseVersion(labels[WARN_VERSION_LABEL]!);
    p.warn.version = r.version;
    if (r.err) fail(WARN_VERSION_LABEL, labels[WARN_VERSION_LABEL]!, r.err);
  }
  // Warn defaults to a stricter explicit enforce level.
  if (!hasWarnLevel && hasEnforceLevel && STRICTNESS[p.enforce.level] > STRICTNESS[p.warn.level]) {
    p.warn.level = p.enforce.level;
    if (!hasWarnVersion) p.warn.version = p.enforce.version;
  }
  return { policy: p, errs };
}

export interface PodSecurityDefaults {
  enforce?: Level;
  enforceVersion?: string;
  audit?: Level;
  auditVersion?: string;
  warn?: Level;
  warnVersion?: string;
}

export interface PodSecurityOptions {
  /** The namespaces store (labels are read from its cache). */
  namespaces: () => Store;
  /** The pods store, to warn about existing pods when a namespace's enforce level rises. */
  pods?: () => Store;
  /** PodSecurityConfiguration defaults (all privileged:latest unless set). */
  defaults?: PodSecurityDefaults;
  /** PodSecurityConfiguration exemptions (none by default). */
  exemptions?: { usernames?: string[]; namespaces?: string[]; runtimeClasses?: string[] };
  /** At most this many existing pods are checked on a namespace update (upstream: 3000). */
  maxPodsToCheck?: number;
  /** Receives the audit annotations (pod-security.kubernetes.io/enforce-policy, audit-violations). */
  onAudit?(a: AdmissionAttributes, annotations: Record<string, string>): void;
}

/** Pod subresources PodSecurity never looks at; any other one (ephemeralcontainers, resize) is checked. */
const IGNORED_POD_SUBRESOURCES = new Set(['exec', 'attach', 'binding', 'eviction', 'log', 'portforward', 'proxy', 'status']);

/** Workload resources whose pod template is checked (warn and audit only), by group/resource. */
const TEMPLATES: Record<string, (o: Obj) => Obj | undefined> = {
  '/replicationcontrollers': (o) => o.spec?.template,
  '/podtemplates': (o) => o.template,
  'apps/replicasets': (o) => o.spec?.template,
  'apps/deployments': (o) => o.spec?.template,
  'apps/statefulsets': (o) => o.spec?.template,
  'apps/daemonsets': (o) => o.spec?.template,
  'batch/jobs': (o) => o.spec?.template,
  'batch/cronjobs': (o) => o.spec?.jobTemplate?.spec?.template,
};

/** A pod update is only re-checked when an image changes or an ephemeral container appears. */
function significantPodUpdate(pod: Obj, old: Obj): boolean {
  const s = pod.spec ?? {};
  const o = old.spec ?? {};
  const cs: Obj[] = s.containers ?? [];
  const ocs: Obj[] = o.containers ?? [];
  const ics: Obj[] = s.initContainers ?? [];
  const oics: Obj[] = o.initContainers ?? [];
  if (cs.length !== ocs.length || ics.length !== oics.length) return true;
  for (let i = 0; i < cs.length; i++) if (cs[i]?.image !== ocs[i]?.image) return true;
  for (let i = 0; i < ics.length; i++) if (ics[i]?.image !== oics[i]?.image) return true;
  for (const e of (s.ephemeralContainers ?? []) as Obj[]) {
    const prev = ((o.ephemeralContainers ?? []) as Obj[]).find((x) => x?.name === e?.name);
    if (!prev || prev.image !== e?.image) return true;
  }
  return false;
}

export function podSecurity(opts: PodSecurityOptions): AdmissionPlugin {
  const d = opts.defaults ?? {};
  const lv = (level: Level | undefined, version: string | undefined): LevelVersion => ({ level: level ?? 'privileged', version: version ? parseVersion(version).version : 'latest' });
  const defaults: Policy = { enforce: lv(d.enforce, d.enforceVersion), audit: lv(d.audit, d.auditVersion), warn: lv(d.warn, d.warnVersion) };
  const exemptUsers = new Set(opts.exemptions?.usernames ?? []);
  const exemptNamespaces = new Set(opts.exemptions?.namespaces ?? []);
  const exemptRuntimeClasses = new Set(opts.exemptions?.runtimeClasses ?? []);
  const maxPods = opts.maxPodsToCheck ?? 3000;

  const warn = (a: AdmissionAttributes, w: string) => {
    (a.ctx.warnings ??= []).push(w);
  };

  async function namespaceLabels(name: string): Promise<Record<string, string> | undefined> {
    const store = opts.namespaces();
    let ns = store.cache.get(store.key('', name))?.obj;
    if (!ns) {
      try {
        ns = await store.get('', name);
      } catch {
        return undefined;
      }
    }
    return ns.metadata?.labels;
  }

  /** EvaluatePod: enforce (pods only), audit and warn, sharing results between equal level/versions. */
  function evaluate(a: AdmissionAttributes, policy: Policy, policyErrs: FieldError[], meta: Obj | undefined, spec: Obj | undefined, enforce: boolean): void {
    if (spec?.runtimeClassName && exemptRuntimeClasses.has(spec.runtimeClassName)) return;
    const cache = new Map<string, AggregateResult>();
    const run = (p: LevelVersion) => {
      const k = levelVersionString(p);
      let r = cache.get(k);
      if (!r) cache.set(k, (r = evaluatePod(p.level, p.version, meta, spec)));
      return r;
    };
    const annotations: Record<string, string> = {};
    if (policyErrs.length) annotations.error = `Failed to parse policy: ${policyErrs.map((e) => `${e.field}: Invalid value: ${JSON.stringify(e.value)}: ${e.detail}`).join(', ')}`;
    if (enforce) {
      annotations['enforce-policy'] = levelVersionString(policy.enforce);
      const r = run(policy.enforce);
      if (!r.allowed) {
        const name = a.obj.metadata?.name ?? '';
        opts.onAudit?.(a, annotations);
        throw forbidden(a.store.gr, name, `violates PodSecurity ${JSON.stringify(levelVersionString(policy.enforce))}: ${forbiddenDetail(r)}`);
      }
    }
    const audit = run(policy.audit);
    if (!audit.allowed) annotations['audit-violations'] = `would violate PodSecurity ${JSON.stringify(levelVersionString(policy.audit))}: ${forbiddenDetail(audit)}`;
    const w = run(policy.warn);
    if (!w.allowed) warn(a, `would violate PodSecurity ${JSON.stringify(levelVersionString(policy.warn))}: ${forbiddenDetail(w)}`);
    if (opts.onAudit && Object.keys(annotations).length) opts.onAudit(a, annotations);
  }

  async function validateNamespace(a: AdmissionAttributes): Promise<void> {
    if (a.subresource) return;
    const labels = a.obj.metadata?.labels as Record<string, string> | undefined;
    const name = a.obj.metadata?.name ?? '';
    const next = policyToEvaluate(labels, defaults);
    const invalidLabels = () => invalidError('Namespace', '', name, next.errs);
    if (a.operation === 'CREATE') {
      if (next.errs.length) throw invalidLabels();
      if (exemptNamespaces.has(name)) exemptWarning(a, name, next.policy, labels ?? {});
      return;
    }
    if (a.operation !== 'UPDATE') return;
    const prev = policyToEvaluate(a.old?.metadata?.labels, defaults);
    if (next.errs.length && (!prev.errs.length || JSON.stringify(next.errs) !== JSON.stringify(prev.errs))) throw invalidLabels();
    const ne = next.policy.enforce;
    const oe = prev.policy.enforce;
    if (sameLV(ne, oe) || ne.level === 'privileged') return;
    if (ne.version === oe.version && STRICTNESS[ne.level] <= STRICTNESS[oe.level]) return;
    if (exemptNamespaces.has(name)) {
      exemptWarning(a, name, next.policy, labels ?? {});
      return;
    }
    for (const w of existingPodWarnings(name, ne)) warn(a, w);
  }

  function exemptWarning(a: AdmissionAttributes, name: string, p: Policy, labels: Record<string, string>): void {
    if (fullyPrivileged(p) || (equivalentLV(p.enforce, defaults.enforce) && equivalentLV(p.audit, defaults.audit) && equivalentLV(p.warn, defaults.warn))) return;
    const parts: string[] = [];
    const has = (k: string) => Object.prototype.hasOwnProperty.call(labels, k);
    if (p.enforce.level !== 'privileged' && (has(ENFORCE_LABEL) || has(ENFORCE_VERSION_LABEL))) parts.push(`enforce=${levelVersionString(p.enforce)}`);
    if (p.audit.level !== 'privileged' && (has(AUDIT_LABEL) || has(AUDIT_VERSION_LABEL))) parts.push(`audit=${levelVersionString(p.audit)}`);
    if (p.warn.level !== 'privileged' && (has(WARN_LABEL) || has(WARN_VERSION_LABEL))) parts.push(`warn=${levelVersionString(p.warn)}`);
    if (!parts.length) return;
    warn(a, `namespace ${JSON.stringify(name)} is exempt from Pod Security, and the policy (${parts.join(', ')}) will be ignored`);
  }

  /** EvaluatePodsInNamespace: one warning per distinct violation, naming the first pod and a count. */
  function existingPodWarnings(namespace: string, enforce: LevelVersion): string[] {
    const store = opts.pods?.();
    if (!store) return [];
    const pods = store.cache.list(store.scope(namespace)).items.filter((p) => !(p.spec?.runtimeClassName && exemptRuntimeClasses.has(p.spec.runtimeClassName)));
    // One pod per controller first, then the other replicas.
    const seen = new Set<string>();
    const first: Obj[] = [];
    const rest: Obj[] = [];
    for (const p of pods) {
      const ctl = ((p.metadata?.ownerReferences ?? []) as Obj[]).find((r) => r?.controller === true);
      if (!ctl) first.push(p);
      else if (seen.has(ctl.uid)) rest.push(p);
      else {
        seen.add(ctl.uid);
        first.push(p);
      }
    }
    const ordered = [...first, ...rest];
    const checked = ordered.slice(0, maxPods);
    const counts = new Map<string, { pod: string; n: number }>();
    for (const p of checked) {
      const r = evaluatePod(enforce.level, enforce.version, p.metadata, p.spec);
      if (r.allowed) continue;
      const w = forbiddenReason(r);
      const c = counts.get(w);
      if (!c) counts.set(w, { pod: p.metadata.name, n: 1 });
      else {
        c.n++;
        if (p.metadata.name < c.pod) c.pod = p.metadata.name;
      }
    }
    const out: string[] = [];
    if (checked.length < ordered.length) out.push(`new PodSecurity enforce level only checked against the first ${checked.length} of ${ordered.length} existing pods`);
    if (counts.size) out.push(`existing pods in namespace ${JSON.stringify(namespace)} violate the new PodSecurity enforce level ${JSON.stringify(levelVersionString(enforce))}`);
    const decorated = [...counts.entries()].map(([w, c]) =>
      c.n === 1 ? `${c.pod}: ${w}` : c.n === 2 ? `${c.pod} (and 1 other pod): ${w}` : `${c.pod} (and ${c.n - 1} other pods): ${w}`,
    );
    return [...out, ...decorated.sort()];
  }

  return {
    name: 'PodSecurity',
    async validate(a) {
      if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return;
      const { group, resource } = a.store.info;
      if (group === '' && resource === 'namespaces') return validateNamespace(a);
      const isPod = group === '' && resource === 'pods';
      const template = TEMPLATES[`${group}/${resource}`];
      if (!isPod && !template) return;
      if (isPod ? IGNORED_POD_SUBRESOURCES.has(a.subresource ?? '') : a.subresource) return;
      if (exemptNamespaces.has(a.namespace) || exemptUsers.has(a.ctx.user.username)) return;
      const labels = await namespaceLabels(a.namespace);
      const { policy, errs } = policyToEvaluate(labels, defaults);
      if (isPod) {
        if (!errs.length && fullyPrivileged(policy)) return;
        if (a.operation === 'UPDATE' && a.old && !significantPodUpdate(a.obj, a.old)) return;
        evaluate(a, policy, errs, a.obj.metadata, a.obj.spec, true);
        return;
      }
      if (!errs.length && policy.warn.level === 'privileged' && policy.audit.level === 'privileged') return;
      const t = template!(a.obj);
      if (!t) return;
      evaluate(a, policy, errs, t.metadata, t.spec, false);
    },
  };
}
