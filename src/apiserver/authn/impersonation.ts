// User impersonation (k8s.io/apiserver endpoints/filters/impersonation.go; `kubectl --as`,
// `--as-group`, `--as-uid`): the Impersonate-User, Impersonate-Group, Impersonate-Uid and
// Impersonate-Extra-<key> headers switch the request's user after the requester is authorized to
// `impersonate` each: users (or serviceaccounts in their namespace), groups, uids and userextras
// (subresource = the extra key). A refusal is a 403 with upstream's message.
import { StatusError } from '../../machinery/errors.ts';
import type { Attributes, Decision } from '../reviews.ts';
import type { UserInfo } from '../types.ts';
import { ALL_AUTHENTICATED, ALL_UNAUTHENTICATED, ANONYMOUS_USER, SERVICE_ACCOUNT_PREFIX } from './types.ts';

export type Authorize = (user: UserInfo, attrs: Attributes) => Decision | Promise<Decision>;

/** Request headers; pass `req.headersDistinct` so repeated Impersonate-Group headers stay apart. */
export type Headers = Record<string, string | string[] | undefined>;

const USER = 'impersonate-user';
const GROUP = 'impersonate-group';
const UID = 'impersonate-uid';
const EXTRA = 'impersonate-extra-';

interface Request {
  kind: 'ServiceAccount' | 'User' | 'Group' | 'UID' | 'UserExtra';
  namespace?: string;
  name: string;
  /** For UserExtra: the extra key. */
  key?: string;
}

function values(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** True when the request asks to impersonate anyone (cheap check for the hot path). */
export function wantsImpersonation(headers: Headers): boolean {
  for (const k in headers) if (k.startsWith('impersonate-')) return true;
  return false;
}

/**
 * Returns a function that gives the user a request acts as: the requester itself when no
 * impersonation headers are present, else the impersonated user. Throws a StatusError: 403 when
 * the requester may not impersonate; 400 for groups/extras/uid without a user (upstream answers 500,
 * but bad input is the client's error and never a server error here).
 * The caller should drop the Impersonate-* headers before handing the request on.
 */
export function impersonation(authorize: Authorize): (requester: UserInfo, headers: Headers) => Promise<UserInfo> {
  return async (requester, headers) => {
    if (!wantsImpersonation(headers)) return requester;
    const reqs = buildRequests(headers);
    if (!reqs.length) return requester;
    const groupsSpecified = values(headers[GROUP]).length > 0;
    let username = '';
    let uid = '';
    let groups: string[] = [];
    const extra: Record<string, string[]> = {};
    for (const r of reqs) {
      const attrs: Attributes = { verb: 'impersonate', isResourceRequest: true, apiGroup: '', apiVersion: '', resource: '', subresource: '', namespace: '', name: r.name, path: '' };
      switch (r.kind) {
        case 'ServiceAccount':
          attrs.resource = 'serviceaccounts';
          attrs.namespace = r.namespace!;
          username = `${SERVICE_ACCOUNT_PREFIX}${r.namespace}:${r.name}`;
          if (!groupsSpecified) groups = ['system:serviceaccounts', `system:serviceaccounts:${r.namespace}`];
          break;
        case 'User':
          attrs.resource = 'users';
          username = r.name;
          break;
        case 'Group':
          attrs.resource = 'groups';
          groups.push(r.name);
          break;
        case 'UID':
          attrs.resource = 'uids';
          attrs.apiGroup = 'authentication.k8s.io';
          attrs.apiVersion = 'v1';
          uid = r.name;
          break;
        case 'UserExtra':
          attrs.resource = 'userextras';
          attrs.subresource = r.key!;
          attrs.apiGroup = 'authentication.k8s.io';
          attrs.apiVersion = 'v1';
          (extra[r.key!] ??= []).push(r.name);
          break;
      }
      const d = await authorize(requester, attrs);
      if (!d.allowed) throw forbidden(requester, attrs, d.reason);
    }
    if (!groupsSpecified && username !== ANONYMOUS_USER && !groups.includes(ALL_AUTHENTICATED) && !groups.includes(ALL_UNAUTHENTICATED)) {
      groups.push(ALL_AUTHENTICATED);
    }
    const user: UserInfo = { username, groups };
    if (uid) user.uid = uid;
    if (Object.keys(extra).length) user.extra = extra;
    return user;
  };
}

function buildRequests(headers: Headers): Request[] {
  const out: Request[] = [];
  const user = values(headers[USER])[0] ?? '';
  if (user) {
    const sa = splitServiceAccount(user);
    out.push(sa ? { kind: 'ServiceAccount', namespace: sa.namespace, name: sa.name } : { kind: 'User', name: user });
  }
  const groups = values(headers[GROUP]);
  for (const g of groups) out.push({ kind: 'Group', name: g });
  let hasExtra = false;
  for (const h in headers) {
    if (!h.startsWith(EXTRA)) continue;
    hasExtra = true;
    const key = unescapeKey(h.slice(EXTRA.length)).toLowerCase();
    for (const v of values(headers[h])) out.push({ kind: 'UserExtra', key, name: v });
  }
  const uid = values(headers[UID])[0] ?? '';
  if (uid) out.push({ kind: 'UID', name: uid });
  if ((groups.length || hasExtra || uid) && !user) {
    throw new StatusError(400, 'BadRequest', `requested ${describe(out)} without impersonating a user`, { causes: [{ reason: '', message: `requested ${describe(out)} without impersonating a user` }] });
  }
  return out;
}

/** Go's %v of the []ObjectReference upstream prints, close enough to read. */
function describe(reqs: Request[]): string {
  return `[${reqs.map((r) => `{${r.kind} ${r.namespace ?? ''} ${r.name}${r.key ? ` ${r.key}` : ''}}`).join(' ')}]`;
}

function splitServiceAccount(username: string): { namespace: string; name: string } | undefined {
  if (!username.startsWith(SERVICE_ACCOUNT_PREFIX)) return undefined;
  const parts = username.slice(SERVICE_ACCOUNT_PREFIX.length).split(':');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { namespace: parts[0], name: parts[1] };
}

function unescapeKey(k: string): string {
  try {
    return decodeURIComponent(k);
  } catch {
    return k;
  }
}

/** responsewriters.Forbidden: the same text as every authorization refusal. */
function forbidden(requester: UserInfo, a: Attributes, reason?: string): StatusError {
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  const why = `User "${requester.username}" cannot impersonate resource "${res}" in API group "${a.apiGroup}" ${scope}${reason ? `: ${reason}` : ''}`;
  const gr = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
  const msg = a.name ? `${gr} "${a.name}" is forbidden: ${why}` : `${gr} is forbidden: ${why}`;
  return new StatusError(403, 'Forbidden', msg, { ...(a.name ? { name: a.name } : {}), group: a.apiGroup, kind: a.resource });
}
