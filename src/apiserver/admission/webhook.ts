// Dynamic admission webhooks (k8s.io/apiserver/pkg/admission/plugin/webhook): the
// MutatingAdmissionWebhook and ValidatingAdmissionWebhook plugins that send an AdmissionReview
// (admission.k8s.io/v1) over HTTPS to each matching webhook of the Mutating/Validating
// WebhookConfigurations, plus the validation upstream applies to those configurations.
import { randomUUID } from 'node:crypto';
import { request as httpsRequest, Agent } from 'node:https';
import { StatusError, internalError, badRequest, required, invalid, notSupported, duplicate, type FieldError, type StatusReason } from '../../machinery/errors.ts';
import { isDNS1123Subdomain, isDNS1035Label, isValidPortNum } from '../../machinery/validation.ts';
import { validateLabelSelector } from '../../machinery/labels.ts';
import { applyJsonPatch } from '../../machinery/patch/jsonpatch.ts';
import { applyDefaults } from '../../api/defaults/index.ts';
import { convert, hasConversion } from '../../api/conversion/index.ts';
import type { ResourceInfo } from '../../api/resources.ts';
import type { AdmissionAttributes, AdmissionPlugin } from '../admission.ts';
import type { Store } from '../registry/store.ts';
import type { Obj } from '../types.ts';
import { isExempt, matchRequest, matchingVersion, namespaceSelectorMatches, objectSelectorMatches, type MatchRequest, type MatchedKind } from './matching.ts';

// ---- validation of the configurations -------------------------------------------------------

const ACCEPTED_REVIEW_VERSIONS = ['v1', 'v1beta1'];
const OPERATIONS = ['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE'];
const SCOPES = ['*', 'Cluster', 'Namespaced'];

function isFullyQualifiedName(field: string, name: unknown, errs: FieldError[]) {
  if (typeof name !== 'string' || name === '') {
    errs.push(required(field));
    return;
  }
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  const msgs = isDNS1123Subdomain(n);
  if (msgs.length) errs.push(invalid(field, n, msgs.join(',')));
  else if (n.split('.').length < 3) errs.push(invalid(field, n, 'should be a domain with at least three segments separated by dots'));
}

function validateResources(resources: unknown, field: string, errs: FieldError[]) {
  const list: string[] = Array.isArray(resources) ? resources : [];
  if (list.length === 0) errs.push(required(field));
  const withWildcardSub = new Set<string>();
  const subWithWildcardRes = new Set<string>();
  let doubleWildcard = false;
  let singleWildcard = false;
  let plain = false;
  list.forEach((rs, i) => {
    if (rs === '') {
      errs.push(required(`${field}[${i}]`));
      return;
    }
    if (rs === '*/*') doubleWildcard = true;
    if (rs === '*') singleWildcard = true;
    const slash = rs.indexOf('/');
    if (slash < 0) {
      plain = rs !== '*';
      return;
    }
    const res = rs.slice(0, slash);
    const sub = rs.slice(slash + 1);
    if (withWildcardSub.has(res)) errs.push(invalid(`${field}[${i}]`, rs, `if '${res}/*' is present, must not specify ${rs}`));
    if (subWithWildcardRes.has(sub)) errs.push(invalid(`${field}[${i}]`, rs, `if '*/${sub}' is present, must not specify ${rs}`));
    if (sub === '*') withWildcardSub.add(res);
    if (res === '*') subWithWildcardRes.add(sub);
  });
  if (list.length > 1 && doubleWildcard) errs.push(invalid(field, list, "if '*/*' is present, must not specify other resources"));
  if (singleWildcard && plain) errs.push(invalid(field, list, "if '*' is present, must not specify other resources without subresources"));
}

/** A Rule's apiGroups, apiVersions, resources and scope (shared with the policies' resource rules). */
export function validateRule(rule: Obj, field: string, errs: FieldError[]) {
  const groups: unknown[] = Array.isArray(rule.apiGroups) ? rule.apiGroups : [];
  if (groups.length === 0) errs.push(required(`${field}.apiGroups`));
  if (groups.length > 1 && groups.includes('*')) errs.push(invalid(`${field}.apiGroups`, groups, "if '*' is present, must not specify other API groups"));
  const versions: unknown[] = Array.isArray(rule.apiVersions) ? rule.apiVersions : [];
  if (versions.length === 0) errs.push(required(`${field}.apiVersions`));
  if (versions.length > 1 && versions.includes('*')) errs.push(invalid(`${field}.apiVersions`, versions, "if '*' is present, must not specify other API versions"));
  versions.forEach((v, i) => {
    if (v === '') errs.push(required(`${field}.apiVersions[${i}]`));
  });
  validateResources(rule.resources, `${field}.resources`, errs);
  if (rule.scope != null && !SCOPES.includes(rule.scope)) errs.push(notSupported(`${field}.scope`, rule.scope, SCOPES));
}

function validateRuleWithOperations(rule: Obj, field: string, errs: FieldError[]) {
  const ops: unknown[] = Array.isArray(rule.operations) ? rule.operations : [];
  if (ops.length === 0) errs.push(required(`${field}.operations`));
  if (ops.length > 1 && ops.includes('*')) errs.push(invalid(`${field}.operations`, ops, "if '*' is present, must not specify other operations"));
  ops.forEach((o, i) => {
    if (!OPERATIONS.includes(o as string)) errs.push(notSupported(`${field}.operations[${i}]`, o, OPERATIONS));
  });
  validateRule(rule, field, errs);
}

function validateURL(field: string, raw: string, errs: FieldError[]) {
  const form = '; desired format: https://host[/path]';
  let u: URL;
  try {
    u = new URL(raw);
  } catch (e) {
    errs.push(required(field, `url must be a valid URL: parse ${JSON.stringify(raw)}: ${(e as Error).message}${form}`));
    return;
  }
  const scheme = u.protocol.replace(/:$/, '');
  if (scheme !== 'https') errs.push(invalid(field, scheme, `'https' is the only allowed URL scheme${form}`));
  if (!u.host) errs.push(invalid(field, u.host, `host must be provided${form}`));
  if (u.username || u.password) errs.push(invalid(field, u.password ? `${u.username}:${u.password}` : u.username, 'user information is not permitted in the URL'));
  if (u.hash.length > 1) errs.push(invalid(field, u.hash.slice(1), 'fragments are not permitted in the URL'));
  if (u.search.length > 1) errs.push(invalid(field, u.search.slice(1), 'query parameters are not permitted in the URL'));
}

function validateService(field: string, svc: Obj, errs: FieldError[]) {
  if (!svc.name) errs.push(required(`${field}.name`, 'service name is required'));
  if (!svc.namespace) errs.push(required(`${field}.namespace`, 'service namespace is required'));
  const port = svc.port ?? 443;
  const pe = typeof port === 'number' ? isValidPortNum(port) : ['must be between 1 and 65535, inclusive'];
  if (pe.length) errs.push(invalid(`${field}.port`, port, `port is not valid: ${pe.join(', ')}`));
  const p = svc.path;
  if (typeof p !== 'string' || p === '' || p === '/') return;
  if (p === '//') {
    errs.push(invalid(`${field}.path`, p, 'segment[0] may not be empty'));
    return;
  }
  if (!p.startsWith('/')) errs.push(invalid(`${field}.path`, p, "must start with a '/'"));
  let rest = p.slice(1);
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  rest.split('/').forEach((step, i) => {
    if (step === '') {
      errs.push(invalid(`${field}.path`, p, `segment[${i}] may not be empty`));
      return;
    }
    for (const m of isDNS1123Subdomain(step)) errs.push(invalid(`${field}.path`, p, `segment[${i}]: ${m}`));
  });
}

function validateWebhook(hook: Obj, field: string, mutating: boolean, strictSideEffects: boolean, errs: FieldError[]) {
  isFullyQualifiedName(`${field}.name`, hook.name, errs);
  (Array.isArray(hook.rules) ? hook.rules : []).forEach((r: Obj, i: number) => validateRuleWithOperations(r ?? {}, `${field}.rules[${i}]`, errs));
  if (hook.failurePolicy != null && !['Fail', 'Ignore'].includes(hook.failurePolicy)) errs.push(notSupported(`${field}.failurePolicy`, hook.failurePolicy, ['Fail', 'Ignore']));
  if (hook.matchPolicy != null && !['Equivalent', 'Exact'].includes(hook.matchPolicy)) errs.push(notSupported(`${field}.matchPolicy`, hook.matchPolicy, ['Equivalent', 'Exact']));
  const sideEffects = strictSideEffects ? ['None', 'NoneOnDryRun'] : ['None', 'NoneOnDryRun', 'Some', 'Unknown'];
  if (hook.sideEffects == null) errs.push(required(`${field}.sideEffects`, `must specify one of ${sideEffects.join(', ')}`));
  else if (!sideEffects.includes(hook.sideEffects)) errs.push(notSupported(`${field}.sideEffects`, hook.sideEffects, sideEffects));
  if (hook.timeoutSeconds != null && (hook.timeoutSeconds > 30 || hook.timeoutSeconds < 1)) {
    errs.push(invalid(`${field}.timeoutSeconds`, hook.timeoutSeconds, 'the timeout value must be between 1 and 30 seconds'));
  }
  if (hook.namespaceSelector != null) errs.push(...validateLabelSelector(hook.namespaceSelector, `${field}.namespaceSelector`));
  if (hook.objectSelector != null) errs.push(...validateLabelSelector(hook.objectSelector, `${field}.objectSelector`));
  if (mutating && hook.reinvocationPolicy != null && !['IfNeeded', 'Never'].includes(hook.reinvocationPolicy)) {
    errs.push(notSupported(`${field}.reinvocationPolicy`, hook.reinvocationPolicy, ['IfNeeded', 'Never']));
  }
  const cc: Obj = hook.clientConfig ?? {};
  if ((cc.url == null) === (cc.service == null)) errs.push(required(`${field}.clientConfig`, 'exactly one of url or service is required'));
  else if (cc.url != null) validateURL(`${field}.clientConfig.url`, String(cc.url), errs);
  else validateService(`${field}.clientConfig.service`, cc.service, errs);
}

function validateReviewVersions(versions: unknown, field: string, requireKnown: boolean, errs: FieldError[]) {
  const list: string[] = Array.isArray(versions) ? versions : [];
  if (list.length === 0) {
    errs.push(required(field, `must specify one of ${ACCEPTED_REVIEW_VERSIONS.join(', ')}`));
    return;
  }
  const seen = new Set<string>();
  let known = false;
  list.forEach((v, i) => {
    if (seen.has(v)) {
      errs.push(invalid(`${field}[${i}]`, v, 'duplicate version'));
      return;
    }
    seen.add(v);
    for (const m of isDNS1035Label(v)) errs.push(invalid(`${field}[${i}]`, v, m));
    if (ACCEPTED_REVIEW_VERSIONS.includes(v)) known = true;
  });
  if (requireKnown && !known) errs.push(invalid(field, list, `must include at least one of ${ACCEPTED_REVIEW_VERSIONS.join(', ')}`));
}

/**
 * The kind-specific validation of a Validating/MutatingWebhookConfiguration (ObjectMeta is checked
 * by the generic validation). On update, rules the old object already broke are relaxed, as upstream.
 */
export function validateWebhookConfiguration(obj: Obj, old?: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const mutating = obj.kind === 'MutatingWebhookConfiguration';
  const hooks: Obj[] = Array.isArray(obj.webhooks) ? obj.webhooks : [];
  const oldHooks: Obj[] | undefined = old ? (Array.isArray(old.webhooks) ? old.webhooks : []) : undefined;
  const strictSideEffects = !oldHooks || oldHooks.every((h) => h?.sideEffects === 'None' || h?.sideEffects === 'NoneOnDryRun');
  const requireKnown = !oldHooks || oldHooks.every((h) => !Array.isArray(h?.admissionReviewVersions) || h.admissionReviewVersions.length === 0 || h.admissionReviewVersions.some((v: string) => ACCEPTED_REVIEW_VERSIONS.includes(v)));
  const requireUnique = !oldHooks || new Set(oldHooks.map((h) => h?.name)).size === oldHooks.length;
  const names = new Set<string>();
  hooks.forEach((h, i) => {
    const hook = h ?? {};
    validateWebhook(hook, `webhooks[${i}]`, mutating, strictSideEffects, errs);
    validateReviewVersions(hook.admissionReviewVersions, `webhooks[${i}].admissionReviewVersions`, requireKnown, errs);
    if (requireUnique && typeof hook.name === 'string' && hook.name) {
      if (names.has(hook.name)) errs.push(duplicate(`webhooks[${i}].name`, hook.name));
      else names.add(hook.name);
    }
  });
  return errs;
}

// ---- calling a webhook ------------------------------------------------------------------------

/** A failure to reach a webhook or to understand its answer (ErrCallingWebhook upstream). */
export class WebhookCallError extends Error {
  readonly webhook: string;
  constructor(webhook: string, reason: string) {
    super(`failed calling webhook ${JSON.stringify(webhook)}: ${reason}`);
    this.name = 'WebhookCallError';
    this.webhook = webhook;
  }
}

export interface Endpoint {
  host: string;
  port: number;
  path: string;
  /** The TLS server name to verify (name.namespace.svc for services). */
  serverName?: string;
  /** How the URL reads in error messages. */
  display: string;
}

export interface ServiceLookup {
  /** A Service, Endpoints or EndpointSlice store. */
  store(group: string, resource: string): Store | undefined;
}

/**
 * Resolves a Service reference to an address: a ready endpoint of the service port (Endpoints or
 * EndpointSlices), else the ClusterIP. Endpoints are tried first because they need no proxy.
 */
export function resolveService(lookup: ServiceLookup, ns: string, name: string, port: number): { host: string; port: number } {
  const services = lookup.store('', 'services');
  const svc = services?.cache.get(services.key(ns, name))?.obj;
  if (!svc) throw new Error(`service "${name}" not found`);
  const ports: Obj[] = svc.spec?.ports ?? [];
  const sp = ports.find((p) => p.port === port);
  if (!sp) throw new Error(`no service port ${port} found for service "${name}"`);
  if (svc.spec?.type === 'ExternalName' && svc.spec.externalName) return { host: svc.spec.externalName, port };
  const candidates: { host: string; port: number }[] = [];
  const endpoints = lookup.store('', 'endpoints');
  const ep = endpoints?.cache.get(endpoints.key(ns, name))?.obj;
  for (const ss of (ep?.subsets ?? []) as Obj[]) {
    const p = (ss.ports ?? []).find((x: Obj) => (x.name ?? '') === (sp.name ?? '')) ?? (ss.ports?.length === 1 && !sp.name ? ss.ports[0] : undefined);
    if (!p) continue;
    for (const a of (ss.addresses ?? []) as Obj[]) candidates.push({ host: a.ip, port: p.port });
  }
  if (candidates.length === 0) {
    const slices = lookup.store('discovery.k8s.io', 'endpointslices');
    if (slices) {
      for (const s of slices.cache.list(slices.scope(ns)).items) {
        if (s.metadata?.labels?.['kubernetes.io/service-name'] !== name) continue;
        const p = (s.ports ?? []).find((x: Obj) => (x.name ?? '') === (sp.name ?? ''));
        if (!p) continue;
        for (const e of (s.endpoints ?? []) as Obj[]) {
          if (e.conditions?.ready === false) continue;
          for (const ip of e.addresses ?? []) candidates.push({ host: ip, port: p.port });
        }
      }
    }
  }
  if (candidates.length) return candidates[Math.floor(Math.random() * candidates.length)]!;
  const ip = svc.spec?.clusterIP;
  if (ip && ip !== 'None') return { host: ip, port };
  throw new Error(`no endpoints available for service "${name}"`);
}

/** Where a webhook's clientConfig points. */
export function webhookEndpoint(cc: Obj, lookup: ServiceLookup, timeoutSeconds: number): Endpoint {
  const q = `?timeout=${timeoutSeconds}s`;
  if (cc.url) {
    const u = new URL(cc.url);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const path = (u.pathname || '/') + q;
    return { host, port: Number(u.port || 443), path, display: `${u.protocol}//${u.host}${path}` };
  }
  const s = cc.service;
  const port = s.port ?? 443;
  const serverName = `${s.name}.${s.namespace}.svc`;
  const path = (s.path || '/') + q;
  const display = `https://${serverName}:${port}${path}`;
  let addr: { host: string; port: number };
  try {
    addr = resolveService(lookup, s.namespace, s.name, port);
  } catch (e) {
    throw new Error(`failed to call webhook: Post "${display}": ${(e as Error).message}`);
  }
  return { host: addr.host, port: addr.port, path, serverName, display };
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** How Go's net/http words the usual connection failures, so messages read as upstream's. */
function describeNetError(e: NodeJS.ErrnoException, ep: Endpoint): string {
  const addr = ep.host.includes(':') ? `[${ep.host}]:${ep.port}` : `${ep.host}:${ep.port}`;
  switch (e.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${addr}: connect: connection refused`;
    case 'ENOTFOUND':
      return `dial tcp: lookup ${ep.host}: no such host`;
    case 'ETIMEDOUT':
      return 'context deadline exceeded';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `tls: failed to verify certificate: x509: certificate is valid for other names, not ${ep.serverName ?? ep.host}`;
    case 'CERT_HAS_EXPIRED':
      return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
    default:
      return e.message;
  }
}

/** POSTs a JSON body over HTTPS and parses the JSON answer; errors read as Go's client errors. */
export function postJSON(ep: Endpoint, body: unknown, opts: { caBundle?: string; timeoutMs: number; insecure?: boolean }): Promise<{ status: number; body: unknown }> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    let done = false;
    const fail = (msg: string) => {
      if (done) return;
      done = true;
      reject(new Error(`failed to call webhook: Post "${ep.display}": ${msg}`));
    };
    const req = httpsRequest(
      {
        host: ep.host,
        port: ep.port,
        path: ep.path,
        method: 'POST',
        agent,
        headers: { 'Content-Type': 'application/json', Accept: 'application/json, */*', 'Content-Length': payload.length },
        ...(ep.serverName ? { servername: ep.serverName } : {}),
        ...(opts.caBundle ? { ca: Buffer.from(opts.caBundle, 'base64').toString('utf8') } : {}),
        ...(opts.insecure ? { rejectUnauthorized: false } : {}),
        minVersion: 'TLSv1.2',
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => fail(e.message));
        res.on('end', () => {
          if (done) return;
          clearTimeout(timer);
          done = true;
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = text;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    const timer = setTimeout(() => {
      fail('context deadline exceeded');
      req.destroy();
    }, opts.timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      fail(describeNetError(e as NodeJS.ErrnoException, ep));
    });
    req.end(payload);
  });
}

/** Sends an AdmissionReview and returns its checked `response`. */
async function callHook(hook: Obj, review: Obj, lookup: ServiceLookup): Promise<Obj> {
  const name: string = hook.name;
  const timeout = hook.timeoutSeconds ?? 10;
  let ep: Endpoint;
  try {
    ep = webhookEndpoint(hook.clientConfig ?? {}, lookup, timeout);
  } catch (e) {
    throw new WebhookCallError(name, (e as Error).message);
  }
  let answer: { status: number; body: unknown };
  try {
    answer = await postJSON(ep, review, { ...(hook.clientConfig?.caBundle ? { caBundle: hook.clientConfig.caBundle } : {}), timeoutMs: timeout * 1000 });
  } catch (e) {
    throw new WebhookCallError(name, (e as Error).message);
  }
  if (answer.status < 200 || answer.status >= 300) {
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? '');
    throw new WebhookCallError(name, `failed to call webhook: an error on the server (${JSON.stringify(text)}) has prevented the request from succeeding`);
  }
  const out = answer.body as Obj | undefined;
  const want = review.apiVersion as string;
  if (!out || typeof out !== 'object' || out.apiVersion !== want || out.kind !== 'AdmissionReview') {
    throw new WebhookCallError(name, `received invalid webhook response: expected webhook response of ${want}, Kind=AdmissionReview, got ${out?.apiVersion ?? ''}, Kind=${out?.kind ?? ''}`);
  }
  const resp = out.response as Obj | undefined;
  if (!resp) throw new WebhookCallError(name, 'received invalid webhook response: webhook response was absent');
  if (resp.uid !== review.request.uid) throw new WebhookCallError(name, `received invalid webhook response: expected response.uid=${JSON.stringify(review.request.uid)}, got ${JSON.stringify(resp.uid ?? '')}`);
  return resp;
}

/** A refusal as upstream's ToStatusErr: `admission webhook "x" denied the request: <message>`. */
export function denialError(webhook: string, result: Obj | undefined): StatusError {
  const st: Obj = result ?? {};
  const deniedBy = `admission webhook ${JSON.stringify(webhook)} denied the request`;
  const code = typeof st.code === 'number' && st.code >= 400 ? st.code : 400;
  const message = st.message ? `${deniedBy}: ${st.message}` : st.reason ? `${deniedBy}: ${st.reason}` : `${deniedBy} without explanation`;
  const reason = (typeof st.reason === 'string' ? st.reason : '') as StatusReason;
  return new StatusError(code, reason, message, st.details);
}

// ---- the plugins ------------------------------------------------------------------------------

export interface WebhookDeps extends ServiceLookup {
  /** Every served resource (for matchPolicy Equivalent). */
  served(): readonly ResourceInfo[];
}

interface Invocation {
  hook: Obj;
  matched: MatchedKind;
}

function sortedConfigs(store: Store | undefined): Obj[] {
  if (!store) return [];
  return store.cache
    .list(`${store.prefix}/`)
    .items.slice()
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
}

function namespaceLabelsFrom(deps: ServiceLookup): (ns: string) => Record<string, string> | undefined {
  return (ns) => {
    const store = deps.store('', 'namespaces');
    return store?.cache.get(store.key('', ns))?.obj.metadata?.labels;
  };
}

/** The webhooks of the given configurations that apply to a request, in call order. */
export function matchingHooks(configs: Obj[], r: MatchRequest, deps: WebhookDeps): Invocation[] {
  if (isExempt(r)) return [];
  const out: Invocation[] = [];
  const nsLabels = namespaceLabelsFrom(deps);
  for (const cfg of configs) {
    for (const hook of (cfg.webhooks ?? []) as Obj[]) {
      const matched = matchingVersion(hook.rules, hook.matchPolicy ?? 'Equivalent', r, deps.served);
      if (!matched) continue;
      if (!namespaceSelectorMatches(hook.namespaceSelector, r, nsLabels)) continue;
      if (!objectSelectorMatches(hook.objectSelector, r)) continue;
      out.push({ hook, matched });
    }
  }
  return out;
}

function asVersion(obj: Obj | undefined, m: MatchedKind, r: MatchRequest): Obj | null {
  if (!obj) return null;
  if (r.objectKind) return obj;
  if (m.version === r.version && m.group === r.group) return obj;
  const from = r.group ? `${r.group}/${r.version}` : r.version;
  const to = m.group ? `${m.group}/${m.version}` : m.version;
  return hasConversion(from, to, r.kind) ? convert(obj, to) : { ...obj, apiVersion: to };
}

/** The AdmissionReview for one webhook (admission.k8s.io/v1, or v1beta1 when that is all it accepts). */
export function admissionReview(a: AdmissionAttributes, r: MatchRequest, m: MatchedKind, hook: Obj, obj: Obj | undefined): Obj {
  const versions: string[] = hook.admissionReviewVersions ?? ['v1'];
  const version = versions.includes('v1') ? 'v1' : versions.includes('v1beta1') ? 'v1beta1' : 'v1';
  const u = a.ctx.user;
  const optionsKind = r.operation === 'CREATE' ? 'CreateOptions' : r.operation === 'UPDATE' ? 'UpdateOptions' : 'DeleteOptions';
  const request: Obj = {
    uid: randomUUID(),
    kind: r.objectKind ?? { group: m.group, version: m.version, kind: m.kind },
    resource: { group: m.group, version: m.version, resource: m.resource },
    ...(r.subresource ? { subResource: r.subresource } : {}),
    requestKind: r.objectKind ?? { group: r.group, version: r.version, kind: r.kind },
    requestResource: { group: r.group, version: r.version, resource: r.resource },
    ...(r.subresource ? { requestSubResource: r.subresource } : {}),
    name: r.name,
    ...(r.namespace ? { namespace: r.namespace } : {}),
    operation: r.operation,
    userInfo: { username: u.username, ...(u.uid ? { uid: u.uid } : {}), groups: u.groups, ...(u.extra ? { extra: u.extra } : {}) },
    object: asVersion(obj, m, r),
    oldObject: asVersion(r.old, m, r),
    dryRun: a.ctx.dryRun,
    options: {
      kind: optionsKind,
      apiVersion: 'meta.k8s.io/v1',
      ...(a.ctx.dryRun ? { dryRun: ['All'] } : {}),
      ...(a.ctx.fieldManager && r.operation !== 'DELETE' ? { fieldManager: a.ctx.fieldManager } : {}),
    },
  };
  return { apiVersion: `admission.k8s.io/${version}`, kind: 'AdmissionReview', request };
}

function dryRunSupported(hook: Obj): boolean {
  return hook.sideEffects === 'None' || hook.sideEffects === 'NoneOnDryRun';
}

function addWarnings(a: AdmissionAttributes, resp: Obj) {
  const ws = resp.warnings;
  if (!Array.isArray(ws) || ws.length === 0) return;
  const sink = a.ctx.warnings;
  if (!sink) return;
  for (const w of ws) if (typeof w === 'string' && w.trim()) sink.push(w.replace(/[\r\n\t]+/g, ' ').trim());
}

/** Runs one webhook; returns its response, or undefined when a failure is ignored by its policy. */
async function invoke(a: AdmissionAttributes, r: MatchRequest, inv: Invocation, obj: Obj | undefined, deps: WebhookDeps): Promise<Obj | undefined> {
  const { hook } = inv;
  if (a.ctx.dryRun && !dryRunSupported(hook)) throw badRequest(`admission webhook ${JSON.stringify(hook.name)} does not support dry run`);
  const review = admissionReview(a, r, inv.matched, hook, obj);
  try {
    const resp = await callHook(hook, review, deps);
    return resp;
  } catch (e) {
    if (e instanceof WebhookCallError) {
      if ((hook.failurePolicy ?? 'Fail') === 'Ignore') return undefined;
      throw internalError(e.message);
    }
    throw e;
  }
}

function replaceContents(target: Obj, next: Obj) {
  for (const k of Object.keys(target)) delete target[k];
  Object.assign(target, next);
}

/** Applies a mutating webhook's JSONPatch to the object in place. */
function applyResponsePatch(hook: Obj, resp: Obj, target: Obj, inv: Invocation, r: MatchRequest) {
  if (!resp.patch) return false;
  if (resp.patchType !== 'JSONPatch') {
    throw internalError(`failed calling webhook ${JSON.stringify(hook.name)}: received invalid webhook response: unsupported patch type ${JSON.stringify(resp.patchType ?? '')}`);
  }
  let ops: unknown;
  try {
    ops = JSON.parse(Buffer.from(resp.patch, 'base64').toString('utf8'));
  } catch (e) {
    throw internalError(`failed calling webhook ${JSON.stringify(hook.name)}: received invalid webhook response: ${(e as Error).message}`);
  }
  const apiVersion = target.apiVersion;
  const base = asVersion(target, inv.matched, r)!;
  let patched: Obj;
  try {
    patched = applyJsonPatch(base, ops) as Obj;
  } catch (e) {
    throw internalError(`JSON patch of webhook ${JSON.stringify(hook.name)} could not be applied: ${(e as Error).message}`);
  }
  if (patched === null || typeof patched !== 'object' || Array.isArray(patched)) throw internalError(`webhook ${JSON.stringify(hook.name)} patched the object into a non-object`);
  const back = patched.apiVersion !== apiVersion ? (hasConversion(patched.apiVersion, apiVersion, target.kind) ? convert(patched, apiVersion) : { ...patched, apiVersion }) : patched;
  const before = JSON.stringify(target);
  replaceContents(target, back);
  applyDefaults(target);
  return JSON.stringify(target) !== before;
}

export interface WebhookPlugins {
  mutating: AdmissionPlugin;
  validating: AdmissionPlugin;
}

/** MutatingAdmissionWebhook (end of the mutating phase) and ValidatingAdmissionWebhook. */
export function webhookPlugins(deps: WebhookDeps): WebhookPlugins {
  const mutatingStore = () => deps.store('admissionregistration.k8s.io', 'mutatingwebhookconfigurations');
  const validatingStore = () => deps.store('admissionregistration.k8s.io', 'validatingwebhookconfigurations');
  return {
    mutating: {
      name: 'MutatingAdmissionWebhook',
      // Without any configuration (the usual case) the plugin answers at once.
      admit(a) {
        const s = mutatingStore();
        return !s || s.cache.size === 0 ? undefined : mutate(a);
      },
    },
    validating: {
      name: 'ValidatingAdmissionWebhook',
      validate(a) {
        const s = validatingStore();
        return !s || s.cache.size === 0 ? undefined : check(a);
      },
    },
  };

  async function mutate(a: AdmissionAttributes): Promise<void> {
    const configs = sortedConfigs(mutatingStore());
    if (configs.length === 0) return;
    const r = matchRequest(a);
    const hooks = matchingHooks(configs, r, deps);
    if (hooks.length === 0) return;
    const target = a.operation === 'DELETE' ? undefined : a.obj;
    // reinvocationPolicy IfNeeded: a webhook that ran before a later one changed the object runs once more.
    const ranIfNeeded: Invocation[] = [];
    let changedAfterIfNeeded = false;
    for (const inv of hooks) {
      const resp = await invoke(a, r, inv, target, deps);
      if (!resp) continue;
      addWarnings(a, resp);
      if (!resp.allowed) throw denialError(inv.hook.name, resp.status);
      const changed = target ? applyResponsePatch(inv.hook, resp, target, inv, r) : false;
      if (changed && ranIfNeeded.length > 0) changedAfterIfNeeded = true;
      if (inv.hook.reinvocationPolicy === 'IfNeeded') ranIfNeeded.push(inv);
    }
    if (!changedAfterIfNeeded || !target) return;
    for (const inv of ranIfNeeded) {
      const resp = await invoke(a, r, inv, target, deps);
      if (!resp) continue;
      addWarnings(a, resp);
      if (!resp.allowed) throw denialError(inv.hook.name, resp.status);
      applyResponsePatch(inv.hook, resp, target, inv, r);
    }
  }

  async function check(a: AdmissionAttributes): Promise<void> {
    const configs = sortedConfigs(validatingStore());
    if (configs.length === 0) return;
    const r = matchRequest(a);
    const hooks = matchingHooks(configs, r, deps);
    if (hooks.length === 0) return;
    const obj = a.operation === 'DELETE' ? undefined : a.obj;
    // Validating webhooks are called in parallel; the first failure in hook order is reported.
    const results = await Promise.allSettled(hooks.map((inv) => invoke(a, r, inv, obj, deps)));
    let first: unknown;
    results.forEach((res, i) => {
      if (res.status === 'rejected') {
        first ??= res.reason;
        return;
      }
      const resp = res.value;
      if (!resp) return;
      addWarnings(a, resp);
      if (!resp.allowed) first ??= denialError(hooks[i]!.hook.name, resp.status);
    });
    if (first) throw first;
  }
}
