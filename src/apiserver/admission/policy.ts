// The ValidatingAdmissionPolicy admission plugin (k8s.io/apiserver/pkg/admission/plugin/policy/validating):
// ValidatingAdmissionPolicies bound by ValidatingAdmissionPolicyBindings check requests with CEL
// (matchConstraints, matchConditions, variables, validations with message/messageExpression/reason,
// validationActions Deny/Warn/Audit, failurePolicy); plus the validation of those two kinds.
// paramKind/paramRef are not supported: a policy with paramKind is evaluated with `params` null.
import { Environment } from '@marcbachmann/cel-js';
import { StatusError, forbidden, invalid, notSupported, required, type FieldError, type StatusReason } from '../../machinery/errors.ts';
import { validateLabelSelector } from '../../machinery/labels.ts';
import type { AdmissionAttributes, AdmissionPlugin } from '../admission.ts';
import type { Store } from '../registry/store.ts';
import type { Obj } from '../types.ts';
import { isExempt, matchRequest, matchingVersion, namespaceSelectorMatches, objectSelectorMatches, ruleMatchesResource, type MatchRequest, type MatchedKind } from './matching.ts';
import { admissionReview, validateRule, validateWebhookConfiguration, type WebhookDeps } from './webhook.ts';

const env = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });

type Program = (ctx: Record<string, unknown>) => unknown;
const compiled = new Map<string, Program | Error>();

/** Parses (once) a CEL expression; parse errors are returned, not thrown. */
export function compile(expression: string): Program | Error {
  let p = compiled.get(expression);
  if (!p) {
    try {
      p = env.parse(expression) as unknown as Program;
    } catch (e) {
      p = e as Error;
    }
    if (compiled.size > 4096) compiled.clear();
    compiled.set(expression, p);
  }
  return p;
}

/** The first line of a CEL error, lower-cased as cel-go words them ("no such key: x"). */
function celMessage(e: unknown): string {
  const m = ((e as Error)?.message ?? String(e)).split('\n')[0]!.trim();
  return m.charAt(0).toLowerCase() + m.slice(1);
}

/** JSON → CEL values: whole numbers are CEL ints (bigint), as the Kubernetes CEL types see them. */
export function toCel(v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(toCel);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toCel(x);
    return out;
  }
  return v;
}

function evaluate(expression: string, ctx: Record<string, unknown>): { value?: unknown; error?: string } {
  const p = compile(expression);
  if (p instanceof Error) return { error: `compilation failed: ${celMessage(p)}` };
  try {
    return { value: p(ctx) };
  } catch (e) {
    return { error: celMessage(e) };
  }
}

// ---- validation of the two kinds ---------------------------------------------------------------

function validateMatchResources(m: Obj, field: string, errs: FieldError[], requireRules: boolean) {
  if (m.matchPolicy != null && !['Equivalent', 'Exact'].includes(m.matchPolicy)) errs.push(notSupported(`${field}.matchPolicy`, m.matchPolicy, ['Equivalent', 'Exact']));
  if (m.namespaceSelector != null) errs.push(...validateLabelSelector(m.namespaceSelector, `${field}.namespaceSelector`));
  if (m.objectSelector != null) errs.push(...validateLabelSelector(m.objectSelector, `${field}.objectSelector`));
  const rules: Obj[] = Array.isArray(m.resourceRules) ? m.resourceRules : [];
  if (requireRules && rules.length === 0) errs.push(required(`${field}.resourceRules`));
  for (const [key, list] of [['resourceRules', rules], ['excludeResourceRules', Array.isArray(m.excludeResourceRules) ? m.excludeResourceRules : []]] as const) {
    (list as Obj[]).forEach((r, i) => {
      const f = `${field}.${key}[${i}]`;
      const ops: unknown[] = Array.isArray(r?.operations) ? r.operations : [];
      if (ops.length === 0) errs.push(required(`${f}.operations`));
      ops.forEach((o, j) => {
        if (!['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE'].includes(o as string)) errs.push(notSupported(`${f}.operations[${j}]`, o, ['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE']));
      });
      validateRule(r ?? {}, f, errs);
    });
  }
}

function validateExpression(expr: unknown, field: string, errs: FieldError[]) {
  if (typeof expr !== 'string' || expr.trim() === '') {
    errs.push(required(field));
    return;
  }
  const p = compile(expr);
  if (p instanceof Error) errs.push(invalid(field, expr, `compilation failed: ERROR: <input>: ${celMessage(p)}`));
}

export function validateAdmissionPolicy(obj: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const s: Obj = obj.spec ?? {};
  if (s.failurePolicy == null) errs.push(required('spec.failurePolicy'));
  else if (!['Fail', 'Ignore'].includes(s.failurePolicy)) errs.push(notSupported('spec.failurePolicy', s.failurePolicy, ['Fail', 'Ignore']));
  if (s.matchConstraints == null) errs.push(required('spec.matchConstraints'));
  else validateMatchResources(s.matchConstraints, 'spec.matchConstraints', errs, true);
  const validations: Obj[] = Array.isArray(s.validations) ? s.validations : [];
  const audits: Obj[] = Array.isArray(s.auditAnnotations) ? s.auditAnnotations : [];
  if (validations.length === 0 && audits.length === 0) errs.push(required('spec.validations', 'validations or auditAnnotations must contain at least one item'));
  validations.forEach((v, i) => {
    validateExpression(v?.expression, `spec.validations[${i}].expression`, errs);
    if (v?.messageExpression) validateExpression(v.messageExpression, `spec.validations[${i}].messageExpression`, errs);
    if (typeof v?.message === 'string' && /[\r\n]/.test(v.message)) errs.push(invalid(`spec.validations[${i}].message`, v.message, 'message must not contain line breaks'));
    if (v?.reason != null && !['Forbidden', 'Invalid', 'RequestEntityTooLarge'].includes(v.reason)) {
      errs.push(notSupported(`spec.validations[${i}].reason`, v.reason, ['Forbidden', 'Invalid', 'RequestEntityTooLarge']));
    }
  });
  (Array.isArray(s.variables) ? s.variables : []).forEach((v: Obj, i: number) => {
    if (!v?.name) errs.push(required(`spec.variables[${i}].name`));
    validateExpression(v?.expression, `spec.variables[${i}].expression`, errs);
  });
  (Array.isArray(s.matchConditions) ? s.matchConditions : []).forEach((c: Obj, i: number) => {
    if (!c?.name) errs.push(required(`spec.matchConditions[${i}].name`));
    validateExpression(c?.expression, `spec.matchConditions[${i}].expression`, errs);
  });
  return errs;
}

export function validateAdmissionPolicyBinding(obj: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const s: Obj = obj.spec ?? {};
  if (!s.policyName) errs.push(required('spec.policyName'));
  const actions: unknown[] = Array.isArray(s.validationActions) ? s.validationActions : [];
  if (actions.length === 0) errs.push(required('spec.validationActions'));
  const seen = new Set<unknown>();
  actions.forEach((a, i) => {
    if (!['Deny', 'Warn', 'Audit'].includes(a as string)) errs.push(notSupported(`spec.validationActions[${i}]`, a, ['Audit', 'Deny', 'Warn']));
    if (seen.has(a)) errs.push({ type: 'FieldValueDuplicate', field: `spec.validationActions[${i}]`, value: a });
    seen.add(a);
  });
  if (actions.includes('Deny') && actions.includes('Warn')) errs.push(invalid('spec.validationActions', actions, 'must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)'));
  if (s.matchResources != null) validateMatchResources(s.matchResources, 'spec.matchResources', errs, false);
  return errs;
}

/** The kind-specific validation of the admissionregistration.k8s.io kinds (Skiff's strategy hook). */
export function validateAdmissionRegistration(obj: Obj, old?: Obj): FieldError[] {
  switch (obj.kind) {
    case 'ValidatingAdmissionPolicy':
      return validateAdmissionPolicy(obj);
    case 'ValidatingAdmissionPolicyBinding':
      return validateAdmissionPolicyBinding(obj);
    case 'ValidatingWebhookConfiguration':
    case 'MutatingWebhookConfiguration':
      return validateWebhookConfiguration(obj, old);
    default:
      return [];
  }
}

// ---- the plugin ----------------------------------------------------------------------------------

function matchResourcesApply(m: Obj | undefined, r: MatchRequest, deps: WebhookDeps): MatchedKind | undefined {
  if (!m) return { group: r.group, version: r.version, resource: r.resource, kind: r.kind };
  const test = (rule: Obj, req: MatchRequest, gvr: { group: string; version: string; resource: string }) =>
    Array.isArray(rule.operations) && (rule.operations.includes('*') || rule.operations.includes(req.operation)) &&
    ruleMatchesResource(rule, { ...gvr, subresource: req.subresource, namespaced: req.namespaced }, req.name);
  // A binding without resourceRules applies to whatever its policy matches.
  const rules: Obj[] | undefined = m.resourceRules;
  const matched = rules && rules.length ? matchingVersion(rules, m.matchPolicy ?? 'Equivalent', r, deps.served, test) : { group: r.group, version: r.version, resource: r.resource, kind: r.kind };
  if (!matched) return undefined;
  const excluded: Obj[] = m.excludeResourceRules ?? [];
  if (excluded.some((rule) => test(rule, r, r))) return undefined;
  const nsLabels = (ns: string) => {
    const s = deps.store('', 'namespaces');
    return s?.cache.get(s.key('', ns))?.obj.metadata?.labels;
  };
  if (!namespaceSelectorMatches(m.namespaceSelector, r, nsLabels)) return undefined;
  if (!objectSelectorMatches(m.objectSelector, r)) return undefined;
  return matched;
}

function reasonToCode(reason: string): number {
  switch (reason) {
    case 'Forbidden':
      return 403;
    case 'Unauthorized':
      return 401;
    case 'RequestEntityTooLarge':
      return 413;
    default:
      return 422;
  }
}

interface Decision {
  message: string;
  reason: string;
}

function list(store: Store | undefined): Obj[] {
  return store ? store.cache.list(`${store.prefix}/`).items : [];
}

/** Evaluates one policy for a request: its failed validations (the decisions to act on). */
function evaluatePolicy(policy: Obj, a: AdmissionAttributes, r: MatchRequest, deps: WebhookDeps): Decision[] | 'skip' {
  const spec: Obj = policy.spec ?? {};
  const failClosed = (spec.failurePolicy ?? 'Fail') === 'Fail';
  const request = admissionReview(a, r, { group: r.group, version: r.version, resource: r.resource, kind: r.kind }, { admissionReviewVersions: ['v1'] }, undefined).request;
  delete request.object;
  delete request.oldObject;
  let nsObj: Obj | null = null;
  if (r.namespace) {
    const s = deps.store('', 'namespaces');
    const ns = s?.cache.get(s.key('', r.namespace))?.obj;
    if (ns) nsObj = { apiVersion: 'v1', kind: 'Namespace', metadata: ns.metadata, spec: ns.spec, status: ns.status };
  }
  const variables: Record<string, unknown> = {};
  const ctx: Record<string, unknown> = {
    object: r.obj ? toCel(r.obj) : null,
    oldObject: r.old ? toCel(r.old) : null,
    request: toCel(request),
    params: null,
    namespaceObject: nsObj ? toCel(nsObj) : null,
    variables,
  };
  const errors: Decision[] = [];
  for (const c of (spec.matchConditions ?? []) as Obj[]) {
    const { value, error } = evaluate(c.expression, ctx);
    if (error) {
      if (failClosed) errors.push({ message: `failed to evaluate match condition ${JSON.stringify(c.name)}: expression '${c.expression}' resulted in error: ${error}`, reason: '' });
      else return 'skip';
    } else if (value !== true) return 'skip';
  }
  if (errors.length) return errors;
  for (const v of (spec.variables ?? []) as Obj[]) {
    const { value, error } = evaluate(v.expression, ctx);
    if (!error) variables[v.name] = value;
  }
  const out: Decision[] = [];
  for (const v of (spec.validations ?? []) as Obj[]) {
    const { value, error } = evaluate(v.expression, ctx);
    if (error || typeof value !== 'boolean') {
      if (!failClosed) continue;
      out.push({ message: `expression '${v.expression}' resulted in error: ${error ?? `expected boolean, got ${typeof value}`}`, reason: v.reason ?? '' });
      continue;
    }
    if (value) continue;
    let message = v.message ? String(v.message) : `failed expression: ${String(v.expression).trim()}`;
    if (v.messageExpression) {
      const m = evaluate(v.messageExpression, ctx);
      if (!m.error && typeof m.value === 'string' && m.value.trim() !== '' && !/[\r\n]/.test(m.value)) message = m.value.trim();
    }
    out.push({ message, reason: v.reason ?? '' });
  }
  return out;
}

/** The ValidatingAdmissionPolicy plugin (validating phase). */
export function validatingAdmissionPolicy(deps: WebhookDeps): AdmissionPlugin {
  const policies = () => deps.store('admissionregistration.k8s.io', 'validatingadmissionpolicies');
  const bindings = () => deps.store('admissionregistration.k8s.io', 'validatingadmissionpolicybindings');
  return {
    name: 'ValidatingAdmissionPolicy',
    // Without any binding (the usual case) the plugin answers at once.
    validate(a) {
      const b = bindings();
      return !b || b.cache.size === 0 ? undefined : check(a);
    },
  };

  async function check(a: AdmissionAttributes): Promise<void> {
    const bs = list(bindings());
    if (bs.length === 0) return;
    const r = matchRequest(a);
    if (isExempt(r)) return;
    const byName = new Map(list(policies()).map((p) => [p.metadata.name as string, p]));
    const sorted = bs.slice().sort((x, y) => (x.metadata.name < y.metadata.name ? -1 : 1));
    let denied: { policy: string; binding: string; d: Decision } | undefined;
    for (const b of sorted) {
      const policy = byName.get(b.spec?.policyName);
      if (!policy) continue;
      if (!matchResourcesApply(policy.spec?.matchConstraints ?? {}, r, deps)) continue;
      if (b.spec?.matchResources && !matchResourcesApply(b.spec.matchResources, r, deps)) continue;
      const decisions = evaluatePolicy(policy, a, r, deps);
      if (decisions === 'skip' || decisions.length === 0) continue;
      const actions: string[] = b.spec?.validationActions ?? ['Deny'];
      for (const d of decisions) {
        if (actions.includes('Deny')) denied ??= { policy: policy.metadata.name, binding: b.metadata.name, d };
        if (actions.includes('Warn')) a.ctx.warnings?.push(`Validation failed for ValidatingAdmissionPolicy '${policy.metadata.name}' with binding '${b.metadata.name}': ${d.message}`);
      }
    }
    if (!denied) return;
    const message = `ValidatingAdmissionPolicy '${denied.policy}' with binding '${denied.binding}' denied request: ${denied.d.message}`;
    const base = forbidden(a.store.gr, r.name, message);
    const reason = (denied.d.reason || 'Invalid') as StatusReason;
    throw new StatusError(reasonToCode(reason), reason, base.message, { ...base.status.details, causes: [{ reason: '', message }] });
  }
}
