// The union of authorizers (k8s.io/apiserver/pkg/authorization/union): the first that allows or
// explicitly denies decides; "no opinion" passes on, and the reasons of those that had none are
// joined. Also the 403 a refused request gets (responsewriters.Forbidden + apierrors.NewForbidden).
import { StatusError } from '../../machinery/errors.ts';
import type { Attributes, Authz, Decision } from '../reviews.ts';
import type { Obj, UserInfo } from '../types.ts';

export interface RuleSet {
  resourceRules: Obj[];
  nonResourceRules: Obj[];
  incomplete: boolean;
}

/** One link of the chain: an Authz without the token review, whose rules are optional. */
export interface Authorizer {
  authorize(user: UserInfo, attrs: Attributes): Promise<Decision> | Decision;
  rules?(user: UserInfo, namespace: string): Promise<RuleSet> | RuleSet;
}

export const noOpinion: Decision = Object.freeze({ allowed: false });

export interface ChainOptions {
  /** What TokenReview asks (the server's token authenticator); default: no token is valid. */
  authenticateToken?: Authz['authenticateToken'];
}

export function chain(authorizers: Authorizer[], opts: ChainOptions = {}): Authz {
  return {
    async authorize(user, attrs) {
      const reasons: string[] = [];
      for (const a of authorizers) {
        const d = await a.authorize(user, attrs);
        if (d.allowed || d.denied) return d;
        if (d.reason) reasons.push(d.reason);
      }
      return reasons.length ? { allowed: false, reason: reasons.join('\n') } : noOpinion;
    },
    async rules(user, namespace) {
      const out: RuleSet = { resourceRules: [], nonResourceRules: [], incomplete: false };
      for (const a of authorizers) {
        if (!a.rules) continue;
        const r = await a.rules(user, namespace);
        out.resourceRules.push(...r.resourceRules);
        out.nonResourceRules.push(...r.nonResourceRules);
        if (r.incomplete) out.incomplete = true;
      }
      return out;
    },
    authenticateToken: opts.authenticateToken ?? (() => undefined),
  };
}

/** Upstream escapes these so that an error never reads as HTML. */
function sanitize(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const q = (s: string) => JSON.stringify(s);

/**
 * The message of the 403 Status, as kube-apiserver words it:
 * `pods "x" is forbidden: User "u" cannot delete resource "pods" in API group "" in the namespace "default"`,
 * `forbidden: User "u" cannot get path "/healthz"`; a reason from the authorizers is appended after `: `.
 */
export function forbiddenMessage(user: UserInfo, attrs: Attributes, reason?: string): string {
  let what: string;
  if (!attrs.isResourceRequest) {
    what = `User ${q(user.username)} cannot ${attrs.verb} path ${q(attrs.path)}`;
  } else {
    const res = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
    const scope = attrs.namespace ? `in the namespace ${q(attrs.namespace)}` : 'at the cluster scope';
    what = `User ${q(user.username)} cannot ${attrs.verb} resource ${q(res)} in API group ${q(attrs.apiGroup)} ${scope}`;
  }
  let msg = sanitize(what);
  if (reason) msg += `: ${reason}`;
  const gr = attrs.isResourceRequest ? (attrs.apiGroup ? `${attrs.resource}.${attrs.apiGroup}` : attrs.resource) : '';
  if (!gr) return `forbidden: ${msg}`;
  return attrs.name ? `${gr} ${q(attrs.name)} is forbidden: ${msg}` : `${gr} is forbidden: ${msg}`;
}

/** The 403 StatusError with upstream's details ({name, group, kind}, empty fields left out). */
export function forbiddenError(user: UserInfo, attrs: Attributes, reason?: string): StatusError {
  const details: { name?: string; group?: string; kind?: string } = {};
  if (attrs.isResourceRequest) {
    if (attrs.name) details.name = attrs.name;
    if (attrs.apiGroup) details.group = attrs.apiGroup;
    if (attrs.resource) details.kind = attrs.resource;
  }
  return new StatusError(403, 'Forbidden', forbiddenMessage(user, attrs, reason), details);
}

/**
 * Allows everything to members of the given groups (kube-apiserver puts one for system:masters at
 * the head of its chain, so that the admin works before any RBAC object exists).
 */
export function privilegedGroups(...groups: string[]): Authorizer {
  const set = new Set(groups);
  return {
    authorize: (user) => ((user.groups ?? []).some((g) => set.has(g)) ? { allowed: true } : noOpinion),
  };
}
