// The create-only "review" resources that are answered, never stored (upstream
// pkg/registry/authorization and authentication): SelfSubjectAccessReview (`kubectl auth can-i`),
// SubjectAccessReview, LocalSubjectAccessReview, SelfSubjectRulesReview (`can-i --list`),
// TokenReview and SelfSubjectReview (`kubectl auth whoami`). They ask the server's own
// authenticator and authorizer, so their answers are truthful whatever those are.
import { badRequest, invalid, invalidError, methodNotAllowed, required, type FieldError } from '../machinery/errors.ts';
import type { RequestInfo } from './requestinfo.ts';
import type { Obj, UserInfo } from './types.ts';

export interface Decision {
  allowed: boolean;
  denied?: boolean;
  reason?: string;
}

/** What an authorizer decides on: a RequestInfo without the HTTP details. */
export type Attributes = Pick<RequestInfo, 'verb' | 'namespace' | 'apiGroup' | 'apiVersion' | 'resource' | 'subresource' | 'name' | 'path' | 'isResourceRequest'>;

export interface Authz {
  authorize(user: UserInfo, attrs: Attributes): Promise<Decision> | Decision;
  /** The rules a user has in a namespace (SelfSubjectRulesReview). */
  rules(user: UserInfo, namespace: string): Promise<{ resourceRules: Obj[]; nonResourceRules: Obj[]; incomplete: boolean }> | { resourceRules: Obj[]; nonResourceRules: Obj[]; incomplete: boolean };
  /** Authenticates a bearer token (TokenReview). */
  authenticateToken(token: string, audiences: string[]): Promise<{ user: UserInfo; audiences: string[] } | undefined> | { user: UserInfo; audiences: string[] } | undefined;
}

export const allowAll: Authz = {
  authorize: () => ({ allowed: true }),
  rules: () => ({
    resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
    nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
    incomplete: false,
  }),
  authenticateToken: () => undefined,
};

const REVIEWS = new Set([
  'authorization.k8s.io/selfsubjectaccessreviews',
  'authorization.k8s.io/subjectaccessreviews',
  'authorization.k8s.io/localsubjectaccessreviews',
  'authorization.k8s.io/selfsubjectrulesreviews',
  'authentication.k8s.io/tokenreviews',
  'authentication.k8s.io/selfsubjectreviews',
]);

export function isReview(group: string, resource: string): boolean {
  return REVIEWS.has(`${group}/${resource}`);
}

function attributesFrom(spec: Obj, errs: FieldError[], kind: string): Attributes {
  const ra = spec.resourceAttributes;
  const na = spec.nonResourceAttributes;
  if (ra && na) errs.push(invalid('spec.nonResourceAttributes', na, 'cannot be specified in combination with resourceAttributes'));
  if (!ra && !na) errs.push(required('spec.resourceAttributes', `exactly one of nonResourceAttributes or resourceAttributes must be specified`));
  if (na) return { isResourceRequest: false, verb: na.verb ?? '', path: na.path ?? '', namespace: '', apiGroup: '', apiVersion: '', resource: '', subresource: '', name: '' };
  void kind;
  return {
    isResourceRequest: true,
    verb: ra?.verb ?? '',
    namespace: ra?.namespace ?? '',
    apiGroup: ra?.group ?? '',
    apiVersion: ra?.version ?? '',
    resource: ra?.resource ?? '',
    subresource: ra?.subresource ?? '',
    name: ra?.name ?? '',
    path: '',
  };
}

/** Answers a POST to a review resource; returns the object with its status. */
export async function review(authz: Authz, requester: UserInfo, group: string, resource: string, namespace: string, verb: string, body: Obj): Promise<Obj> {
  if (verb !== 'create') throw methodNotAllowed('the server does not allow this method on the requested resource');
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the body of the request must be an object');
  const spec: Obj = body.spec && typeof body.spec === 'object' ? body.spec : {};
  const kind = body.kind ?? '';
  const out: Obj = { ...body, metadata: { ...(body.metadata ?? {}), creationTimestamp: null } };
  const errs: FieldError[] = [];
  switch (resource) {
    case 'selfsubjectaccessreviews': {
      const attrs = attributesFrom(spec, errs, kind);
      if (errs.length) throw invalidError('SelfSubjectAccessReview', group, '', errs);
      out.status = decision(await authz.authorize(requester, attrs));
      return out;
    }
    case 'subjectaccessreviews':
    case 'localsubjectaccessreviews': {
      const attrs = attributesFrom(spec, errs, kind);
      if (!spec.user && !(spec.groups ?? []).length) errs.push(invalid('spec.user', spec.user ?? '', 'at least one of user or group must be specified'));
      if (resource === 'localsubjectaccessreviews' && attrs.isResourceRequest && attrs.namespace !== namespace) {
        errs.push(invalid('spec.resourceAttributes.namespace', attrs.namespace, 'must match metadata.namespace'));
      }
      const k = resource === 'subjectaccessreviews' ? 'SubjectAccessReview' : 'LocalSubjectAccessReview';
      if (errs.length) throw invalidError(k, group, '', errs);
      const subject: UserInfo = { username: spec.user ?? '', groups: spec.groups ?? [], ...(spec.uid ? { uid: spec.uid } : {}), ...(spec.extra ? { extra: spec.extra } : {}) };
      out.status = decision(await authz.authorize(subject, attrs));
      return out;
    }
    case 'selfsubjectrulesreviews': {
      if (!spec.namespace) throw invalidError('SelfSubjectRulesReview', group, '', [required('spec.namespace', '')]);
      const r = await authz.rules(requester, spec.namespace);
      out.status = { resourceRules: r.resourceRules, nonResourceRules: r.nonResourceRules, incomplete: r.incomplete };
      return out;
    }
    case 'tokenreviews': {
      if (!spec.token) throw invalidError('TokenReview', group, '', [required('spec.token', '')]);
      const audiences: string[] = spec.audiences ?? [];
      const r = await authz.authenticateToken(spec.token, audiences);
      out.status = r ? { authenticated: true, user: userInfo(r.user), audiences: r.audiences } : { authenticated: false, user: {} };
      return out;
    }
    case 'selfsubjectreviews':
      out.status = { userInfo: userInfo(requester) };
      return out;
  }
  throw methodNotAllowed('the server does not allow this method on the requested resource');
}

function decision(d: Decision): Obj {
  return { allowed: d.allowed, ...(d.denied ? { denied: true } : {}), ...(d.reason ? { reason: d.reason } : {}) };
}

function userInfo(u: UserInfo): Obj {
  return { username: u.username, ...(u.uid ? { uid: u.uid } : {}), groups: u.groups, ...(u.extra ? { extra: u.extra } : {}) };
}
