// The authenticator contract of kube-apiserver's authentication chain
// (k8s.io/apiserver/pkg/authentication/authenticator): each authenticator either does not apply
// to a request (no credential of its kind), accepts it as a user, or rejects it with an error.
import type { IncomingMessage } from 'node:http';
import type { UserInfo } from '../types.ts';

/** undefined: no credential of this kind; `{ error }`: a credential was presented but is not valid. */
export type AuthnResult = { user: UserInfo; audiences?: string[] } | { error: string } | undefined;

export interface Authenticator {
  /** Credentials carried by the connection or the request itself (client certificates). */
  authenticateRequest?(req: IncomingMessage): AuthnResult | Promise<AuthnResult>;
  /**
   * Bearer tokens. `audiences` are the audiences the caller wants the token to be valid for
   * (the API server's own, or a TokenReview's spec.audiences).
   */
  authenticateToken?(token: string, audiences: string[]): AuthnResult | Promise<AuthnResult>;
}

export const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';
export const ALL_AUTHENTICATED = 'system:authenticated';
export const ALL_UNAUTHENTICATED = 'system:unauthenticated';
export const ANONYMOUS_USER = 'system:anonymous';

/** Constant-time string comparison (token secrets). */
export function safeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
