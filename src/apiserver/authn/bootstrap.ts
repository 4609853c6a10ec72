// Bootstrap token authentication (kubeadm join / TLS bootstrapping): a token `<id>.<secret>`
// (6 and 16 characters of [a-z0-9]) matches Secret kube-system/bootstrap-token-<id> of type
// bootstrap.kubernetes.io/token that allows usage-bootstrap-authentication and has not expired;
// it authenticates as system:bootstrap:<id> in system:bootstrappers plus the token's
// auth-extra-groups. Any mismatch is simply "not this authenticator's token", as upstream.
import { realClock, type Clock } from '../../machinery/clock.ts';
import type { Obj } from '../types.ts';
import { safeEqual, type Authenticator, type AuthnResult } from './types.ts';

export const BOOTSTRAP_TOKEN_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
export const BOOTSTRAP_TOKEN_PREFIX = 'bootstrap-token-';
const TOKEN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const EXTRA_GROUP = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;

export type SecretLookup = (namespace: string, name: string) => Obj | undefined | Promise<Obj | undefined>;

export function bootstrapTokenAuthenticator(lookupSecret: SecretLookup, opts: { clock?: Clock } = {}): Authenticator {
  const clock = opts.clock ?? realClock;
  return {
    async authenticateToken(token: string): Promise<AuthnResult> {
      const m = TOKEN.exec(token);
      if (!m) return undefined;
      const [, id, secret] = m as unknown as [string, string, string];
      const s = await lookupSecret('kube-system', BOOTSTRAP_TOKEN_PREFIX + id);
      if (!s || s.metadata?.deletionTimestamp || s.type !== BOOTSTRAP_TOKEN_SECRET_TYPE) return undefined;
      const data = (k: string) => secretValue(s, k);
      if (data('token-id') !== id || !safeEqual(data('token-secret'), secret)) return undefined;
      const expiration = data('expiration');
      if (expiration) {
        const t = Date.parse(expiration);
        if (Number.isNaN(t) || clock.now() > t) return undefined;
      }
      if (data('usage-bootstrap-authentication') !== 'true') return undefined;
      const groups = ['system:bootstrappers'];
      const extra = data('auth-extra-groups');
      if (extra) {
        for (const g of extra.split(',').map((x) => x.trim())) {
          if (!EXTRA_GROUP.test(g)) return undefined;
          if (!groups.includes(g)) groups.push(g);
        }
      }
      return { user: { username: `system:bootstrap:${id}`, groups } };
    },
  };
}

/** A Secret value from data (base64) or stringData (not yet folded in by the registry). */
function secretValue(s: Obj, key: string): string {
  const d = s.data?.[key];
  if (typeof d === 'string') return Buffer.from(d, 'base64').toString('utf8');
  const sd = s.stringData?.[key];
  return typeof sd === 'string' ? sd : '';
}
