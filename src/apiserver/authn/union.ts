// The authentication chain of kube-apiserver (pkg/kubeapiserver/authenticator): client
// certificates and bearer tokens are tried in order and the first user wins; every authenticated
// user gains system:authenticated. A request with no credentials is anonymous (system:anonymous in
// system:unauthenticated) when anonymous auth is on; a credential that fails — an unknown token,
// an untrusted certificate — is a 401 even then, as upstream's fail-on-error union.
import type { IncomingMessage } from 'node:http';
import { StatusError } from '../../machinery/errors.ts';
import type { UserInfo } from '../types.ts';
import { ALL_AUTHENTICATED, ALL_UNAUTHENTICATED, ANONYMOUS_USER, type Authenticator, type AuthnResult } from './types.ts';

export interface UnionOptions {
  /** --anonymous-auth (AKS: off). */
  anonymous?: boolean;
  /** --api-audiences: what tokens on API requests must be meant for (default: the SA issuer). */
  apiAudiences?: string[];
  /** Called with the reasons a request was refused (for logs; never sent to the client). */
  onFailure?: (errors: string[], req: IncomingMessage) => void;
}

export interface RequestAuthenticator {
  /** The user a request acts as, or undefined for a 401. */
  authenticate(req: IncomingMessage): Promise<UserInfo | undefined>;
  /** For TokenReview: the user and the audiences the token is valid for, or the errors. */
  authenticateToken(token: string, audiences?: string[]): Promise<{ user: UserInfo; audiences: string[] } | { errors: string[] }>;
}

export const anonymousUser = (): UserInfo => ({ username: ANONYMOUS_USER, groups: [ALL_UNAUTHENTICATED] });

/** The 401 every refused request gets: `{"kind":"Status",...,"message":"Unauthorized","reason":"Unauthorized","code":401}`. */
export const unauthorized = (): StatusError => new StatusError(401, 'Unauthorized', 'Unauthorized');

const WS_PROTOCOL_PREFIX = 'base64url.bearer.authorization.k8s.io.';

/** The bearer token of a request: `Authorization: Bearer <t>`, or the WebSocket subprotocol form. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth) {
    const sp = auth.indexOf(' ');
    if (sp > 0 && auth.slice(0, sp).toLowerCase() === 'bearer') {
      const t = auth.slice(sp + 1).trim();
      if (t) return t;
    }
  }
  const proto = req.headers['sec-websocket-protocol'];
  if (proto) {
    for (const p of proto.split(',')) {
      const s = p.trim();
      if (s.startsWith(WS_PROTOCOL_PREFIX)) {
        try {
          const t = Buffer.from(s.slice(WS_PROTOCOL_PREFIX.length), 'base64url').toString('utf8');
          if (t) return t;
        } catch {
          return undefined;
        }
      }
    }
  }
  return undefined;
}

function withAuthenticated(u: UserInfo): UserInfo {
  if (u.username === ANONYMOUS_USER || u.groups.includes(ALL_AUTHENTICATED) || u.groups.includes(ALL_UNAUTHENTICATED)) return u;
  return { ...u, groups: [...u.groups, ALL_AUTHENTICATED] };
}

const intersect = (a: string[], b: string[]) => a.filter((x) => b.includes(x));

export function unionAuthenticator(authenticators: Authenticator[], opts: UnionOptions = {}): RequestAuthenticator {
  const apiAudiences = opts.apiAudiences ?? [];

  const tryToken = async (token: string, audiences: string[], errors: string[]): Promise<{ user: UserInfo; audiences: string[] } | undefined> => {
    for (const a of authenticators) {
      if (!a.authenticateToken) continue;
      let r: AuthnResult;
      try {
        r = await a.authenticateToken(token, audiences);
      } catch (e) {
        r = { error: (e as Error).message };
      }
      if (!r) continue;
      if ('error' in r) {
        errors.push(r.error);
        continue;
      }
      // Authenticators that know nothing of audiences are valid only for the API's own.
      const granted = r.audiences ?? (apiAudiences.length ? intersect(audiences, apiAudiences) : audiences);
      if (audiences.length && !granted.length) continue;
      return { user: withAuthenticated(r.user), audiences: granted };
    }
    return undefined;
  };

  return {
    async authenticate(req) {
      const errors: string[] = [];
      for (const a of authenticators) {
        if (!a.authenticateRequest) continue;
        let r: AuthnResult;
        try {
          r = await a.authenticateRequest(req);
        } catch (e) {
          r = { error: (e as Error).message };
        }
        if (!r) continue;
        if ('error' in r) errors.push(r.error);
        else return withAuthenticated(r.user);
      }
      const token = bearerToken(req);
      if (token !== undefined) {
        const r = await tryToken(token, apiAudiences, errors);
        if (r) return r.user;
        errors.push('invalid bearer token');
      }
      if (errors.length) {
        opts.onFailure?.(errors, req);
        return undefined;
      }
      return opts.anonymous ? anonymousUser() : undefined;
    },

    async authenticateToken(token, audiences) {
      const errors: string[] = [];
      const r = await tryToken(token, audiences?.length ? audiences : apiAudiences, errors);
      return r ?? { errors: errors.length ? errors : ['invalid bearer token'] };
    },
  };
}
