// kube-apiserver's --audit-policy-file: an audit.k8s.io/v1 Policy whose first matching rule sets
// a request's level (None, Metadata, Request, RequestResponse) and the stages left out; plus the
// built-in policy `skiff up` uses when none is given (AKS-like, see DEFAULT_POLICY).
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { UserInfo } from '../types.ts';

export type Level = 'None' | 'Metadata' | 'Request' | 'RequestResponse';
export type Stage = 'RequestReceived' | 'ResponseStarted' | 'ResponseComplete' | 'Panic';

const LEVELS: readonly Level[] = ['None', 'Metadata', 'Request', 'RequestResponse'];
const STAGES: readonly Stage[] = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'];

export function levelAtLeast(l: Level, min: Level): boolean {
  return LEVELS.indexOf(l) >= LEVELS.indexOf(min);
}

export interface GroupResources {
  group?: string;
  resources?: string[];
  resourceNames?: string[];
}

export interface PolicyRule {
  level: Level;
  users?: string[];
  userGroups?: string[];
  verbs?: string[];
  resources?: GroupResources[];
  namespaces?: string[];
  nonResourceURLs?: string[];
  omitStages?: Stage[];
  omitManagedFields?: boolean;
}

export interface Policy {
  apiVersion?: string;
  kind?: string;
  rules: PolicyRule[];
  omitStages?: Stage[];
  omitManagedFields?: boolean;
}

/** What a rule is matched against (upstream's authorizer.Attributes). */
export interface AuditAttributes {
  user: UserInfo | undefined;
  verb: string;
  isResourceRequest: boolean;
  path: string;
  apiGroup: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

export interface RequestAuditConfig {
  level: Level;
  omitStages: Stage[];
  omitManagedFields: boolean;
}

function ruleMatchesResource(r: PolicyRule, a: AuditAttributes): boolean {
  if (!a.isResourceRequest) return false;
  if (r.namespaces?.length && !r.namespaces.includes(a.namespace)) return false;
  if (!r.resources?.length) return true;
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  for (const gr of r.resources) {
    if ((gr.group ?? '') !== a.apiGroup) continue;
    if (!gr.resources?.length) return true;
    if (gr.resourceNames?.length && !gr.resourceNames.includes(a.name)) continue;
    for (const res of gr.resources) {
      if (res === combined || res === '*') return true;
      if (a.subresource && res.startsWith('*/') && res.slice(2) === a.subresource) return true;
      if (res.endsWith('/*') && res.slice(0, -2) === a.resource) return true;
    }
  }
  return false;
}

function ruleMatchesNonResource(r: PolicyRule, a: AuditAttributes): boolean {
  if (a.isResourceRequest) return false;
  return r.nonResourceURLs!.some((u) => u === '*' || u === a.path || (u.endsWith('*') && a.path.startsWith(u.slice(0, -1))));
}

export function ruleMatches(r: PolicyRule, a: AuditAttributes): boolean {
  if (r.users?.length && (!a.user || !r.users.includes(a.user.username))) return false;
  if (r.userGroups?.length && (!a.user || !a.user.groups.some((g) => r.userGroups!.includes(g)))) return false;
  if (r.verbs?.length && !r.verbs.includes(a.verb)) return false;
  if (r.namespaces?.length || r.resources?.length) return ruleMatchesResource(r, a);
  if (r.nonResourceURLs?.length) return ruleMatchesNonResource(r, a);
  return true;
}

/** The level and omitted stages of a request: the first matching rule's, else None. */
export function evaluatePolicy(p: Policy, a: AuditAttributes): RequestAuditConfig {
  for (const r of p.rules) {
    if (!ruleMatches(r, a)) continue;
    const omit = [...(p.omitStages ?? [])];
    for (const s of r.omitStages ?? []) if (!omit.includes(s)) omit.push(s);
    return { level: r.level, omitStages: omit, omitManagedFields: r.omitManagedFields ?? p.omitManagedFields ?? false };
  }
  return { level: 'None', omitStages: [], omitManagedFields: false };
}

export class PolicyError extends Error {
  readonly code = 'PolicyError';
}

/** Parses and validates a Policy (YAML or JSON), with field paths in its messages as upstream. */
export function parsePolicy(text: string): Policy {
  let doc: any;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new PolicyError(`failed decoding audit policy: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== 'object') throw new PolicyError('failed decoding audit policy: empty document');
  const errs: string[] = [];
  if (doc.kind !== 'Policy') errs.push(`kind: Invalid value: "${doc.kind ?? ''}": must be Policy`);
  if (doc.apiVersion !== 'audit.k8s.io/v1') errs.push(`apiVersion: Invalid value: "${doc.apiVersion ?? ''}": must be audit.k8s.io/v1`);
  const stages = (v: unknown, path: string): Stage[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) return (errs.push(`${path}: Invalid value: must be a list`), []);
    v.forEach((s, i) => {
      if (!STAGES.includes(s)) errs.push(`${path}[${i}]: Unsupported value: "${s}": supported values: "${STAGES.join('", "')}"`);
    });
    return v as Stage[];
  };
  const strings = (v: unknown, path: string): string[] | undefined => {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) return (errs.push(`${path}: Invalid value: must be a list of strings`), undefined);
    return v as string[];
  };
  const rules: PolicyRule[] = [];
  (Array.isArray(doc.rules) ? doc.rules : []).forEach((r: any, i: number) => {
    const path = `rules[${i}]`;
    if (!LEVELS.includes(r?.level)) errs.push(`${path}.level: ${r?.level ? `Unsupported value: "${r.level}": supported values: "${LEVELS.join('", "')}"` : 'Required value'}`);
    const rule: PolicyRule = { level: r?.level };
    for (const f of ['users', 'userGroups', 'verbs', 'namespaces', 'nonResourceURLs'] as const) {
      const v = strings(r?.[f], `${path}.${f}`);
      if (v) rule[f] = v;
    }
    if (r?.resources) {
      rule.resources = (Array.isArray(r.resources) ? r.resources : []).map((gr: any, j: number) => {
        const out: GroupResources = { group: typeof gr?.group === 'string' ? gr.group : '' };
        const res = strings(gr?.resources, `${path}.resources[${j}].resources`);
        const names = strings(gr?.resourceNames, `${path}.resources[${j}].resourceNames`);
        if (res) out.resources = res;
        if (names) out.resourceNames = names;
        if (names?.length && !res?.length) errs.push(`${path}.resources[${j}].resourceNames: Invalid value: resourceNames require resources`);
        return out;
      });
    }
    if ((rule.resources?.length || rule.namespaces?.length) && rule.nonResourceURLs?.length) {
      errs.push(`${path}.nonResourceURLs: Invalid value: rules cannot apply to both regular resources and non-resource URLs`);
    }
    rule.nonResourceURLs?.forEach((u, j) => {
      if (!u.startsWith('/') && u !== '*') errs.push(`${path}.nonResourceURLs[${j}]: Invalid value: "${u}": non-resource URL rules must begin with a '/' character`);
      if (u.slice(0, -1).includes('*')) errs.push(`${path}.nonResourceURLs[${j}]: Invalid value: "${u}": non-resource URL wildcards '*' must be the final character of the rule`);
    });
    const omit = stages(r?.omitStages, `${path}.omitStages`);
    if (omit.length) rule.omitStages = omit;
    if (typeof r?.omitManagedFields === 'boolean') rule.omitManagedFields = r.omitManagedFields;
    rules.push(rule);
  });
  const policy: Policy = { apiVersion: doc.apiVersion, kind: doc.kind, rules };
  const omit = stages(doc.omitStages, 'omitStages');
  if (omit.length) policy.omitStages = omit;
  if (typeof doc.omitManagedFields === 'boolean') policy.omitManagedFields = doc.omitManagedFields;
  if (errs.length) throw new PolicyError(`invalid audit policy:\n  ${errs.join('\n  ')}`);
  return policy;
}

export function loadPolicy(path: string): Policy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new PolicyError(`failed to read audit policy file "${path}": ${(e as Error).message}`);
  }
  try {
    return parsePolicy(text);
  } catch (e) {
    throw new PolicyError(`${path}: ${(e as Error).message}`);
  }
}

const systemReaders = ['system:kube-controller-manager', 'system:kube-scheduler', 'system:kube-proxy', 'system:apiserver'];

/**
 * The policy `skiff up` uses without --audit-policy-file, after AKS's: every request at Metadata
 * (who did what to which object, never a body), except the noise — health, version and discovery
 * paths, Events, Lease renewals, the control plane's and nodes' own reads and node/pod status
 * heartbeats — at None. Secrets, ConfigMaps and tokens are logged at Metadata only. The
 * RequestReceived stage is left out, so each request is one line.
 */
export const DEFAULT_POLICY: Policy = {
  apiVersion: 'audit.k8s.io/v1',
  kind: 'Policy',
  omitStages: ['RequestReceived'],
  rules: [
    { level: 'None', nonResourceURLs: ['/healthz*', '/livez*', '/readyz*', '/version', '/metrics', '/openapi*', '/api', '/api/*', '/apis', '/apis/*'] },
    { level: 'None', resources: [{ group: '', resources: ['events'] }, { group: 'events.k8s.io', resources: ['events'] }] },
    { level: 'None', verbs: ['get', 'list', 'watch', 'update', 'patch'], resources: [{ group: 'coordination.k8s.io', resources: ['leases'] }] },
    { level: 'None', users: systemReaders, verbs: ['get', 'list', 'watch'] },
    { level: 'None', userGroups: ['system:nodes'], verbs: ['get', 'list', 'watch'] },
    { level: 'None', userGroups: ['system:nodes'], verbs: ['update', 'patch'], resources: [{ group: '', resources: ['nodes/status', 'pods/status'] }] },
    {
      level: 'Metadata',
      resources: [
        { group: '', resources: ['secrets', 'configmaps', 'serviceaccounts/token'] },
        { group: 'authentication.k8s.io', resources: ['tokenreviews'] },
      ],
    },
    { level: 'Metadata' },
  ],
};
