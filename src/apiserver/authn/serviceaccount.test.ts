// Tests service-account tokens: upstream's claims, verification with an injected clock, bound
// objects, legacy secret tokens, and hostile input that must be refused without throwing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { serviceAccountTokens, parseJWT, DEFAULT_ISSUER } from './serviceaccount.ts';
import { unionAuthenticator } from './union.ts';
import { FakeClock } from '../../machinery/clock.ts';
import type { Obj } from '../types.ts';
import type { IncomingMessage } from 'node:http';

const ecKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const KEY = ecKey();
const T0 = Date.parse('2026-03-01T00:00:00Z');

function objects() {
  const store = new Map<string, Obj>([
    ['sa/default/builder', { metadata: { name: 'builder', namespace: 'default', uid: 'sa-uid' } }],
    ['pod/default/web-0', { metadata: { name: 'web-0', namespace: 'default', uid: 'pod-uid' } }],
  ]);
  return {
    store,
    getter: {
      getServiceAccount: (ns: string, n: string) => store.get(`sa/${ns}/${n}`),
      getPod: (ns: string, n: string) => store.get(`pod/${ns}/${n}`),
      getSecret: (ns: string, n: string) => store.get(`secret/${ns}/${n}`),
    },
  };
}

test('issued tokens carry upstream claims and authenticate as the service account with pod extras', async () => {
  const clock = new FakeClock(T0);
  const { getter } = objects();
  const sa = serviceAccountTokens({ signingKey: KEY, clock, getter });
  const { token, expirationTimestamp, expirationSeconds } = sa.issue({ namespace: 'default', serviceAccount: 'builder', uid: 'sa-uid', podName: 'web-0', podUID: 'pod-uid', expirationSeconds: 3600 });
  assert.equal(expirationTimestamp, '2026-03-01T01:00:00Z');
  assert.equal(expirationSeconds, 3600);
  const { header, claims } = parseJWT(token)!;
  assert.equal(header.alg, 'ES256');
  assert.match(header.kid, /^[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(Object.keys(claims), ['aud', 'exp', 'iat', 'iss', 'jti', 'kubernetes.io', 'nbf', 'sub']);
  assert.deepEqual(claims.aud, [DEFAULT_ISSUER]);
  assert.equal(claims.iss, 'https://kubernetes.default.svc.cluster.local');
  assert.equal(claims.sub, 'system:serviceaccount:default:builder');
  assert.equal(claims.exp - claims.iat, 3600);
  assert.deepEqual(claims['kubernetes.io'], { namespace: 'default', pod: { name: 'web-0', uid: 'pod-uid' }, serviceaccount: { name: 'builder', uid: 'sa-uid' } });

  const r = await sa.authenticateToken(token);
  assert.ok(r && 'user' in r);
  assert.deepEqual(r.user, {
    username: 'system:serviceaccount:default:builder',
    uid: 'sa-uid',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:default'],
    extra: {
      'authentication.kubernetes.io/pod-name': ['web-0'],
      'authentication.kubernetes.io/pod-uid': ['pod-uid'],
      'authentication.kubernetes.io/credential-id': [`JTI=${claims.jti}`],
    },
  });
  assert.deepEqual(r.audiences, [DEFAULT_ISSUER]);

  // Through the union, as a request: system:authenticated is added.
  const authn = unionAuthenticator([sa], { apiAudiences: sa.apiAudiences });
  const user = await authn.authenticate({ headers: { authorization: `Bearer ${token}` }, socket: {} } as unknown as IncomingMessage);
  assert.deepEqual(user?.groups, ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);
});

test('expiry is checked against the clock with 60 s of leeway', async () => {
  const clock = new FakeClock(T0);
  const sa = serviceAccountTokens({ signingKey: KEY, clock });
  const { token } = sa.issue({ namespace: 'ns', serviceAccount: 'a', expirationSeconds: 600 });
  clock.advance(600_000 + 59_000);
  assert.ok('user' in ((await sa.authenticateToken(token)) ?? {}));
  clock.advance(2_000);
  assert.deepEqual(await sa.authenticateToken(token), { error: 'service account token has expired' });
  const early = new FakeClock(T0 - 120_000);
  assert.deepEqual(await serviceAccountTokens({ signingKey: KEY, clock: early }).authenticateToken(token), { error: 'service account token is not valid yet' });
});

test('audiences: a token for another audience is refused for the API; TokenReview audiences are honoured', async () => {
  const sa = serviceAccountTokens({ signingKey: KEY, clock: new FakeClock(T0) });
  const { token } = sa.issue({ namespace: 'ns', serviceAccount: 'a', audiences: ['vault'] });
  assert.deepEqual(await sa.authenticateToken(token), { error: 'token audiences ["vault"] is invalid for the target audiences ["https://kubernetes.default.svc.cluster.local"]' });
  const r = await sa.authenticateToken(token, ['vault', 'other']);
  assert.ok(r && 'user' in r);
  assert.deepEqual(r.audiences, ['vault']);
  const authn = unionAuthenticator([sa], { apiAudiences: sa.apiAudiences });
  const review = await authn.authenticateToken(token, ['vault']);
  assert.ok('user' in review);
  assert.deepEqual(review.audiences, ['vault']);
  assert.ok('errors' in (await authn.authenticateToken(token)));
});

test('bound objects: a deleted pod or a recreated service account invalidates the token', async () => {
  const clock = new FakeClock(T0);
  const { store, getter } = objects();
  const sa = serviceAccountTokens({ signingKey: KEY, clock, getter });
  const { token } = sa.issue({ namespace: 'default', serviceAccount: 'builder', uid: 'sa-uid', podName: 'web-0', podUID: 'pod-uid' });
  store.set('pod/default/web-0', { metadata: { name: 'web-0', uid: 'other-pod' } });
  assert.deepEqual(await sa.authenticateToken(token), { error: 'pod UID (other-pod) does not match service account pod ref claim (pod-uid)' });
  store.delete('pod/default/web-0');
  assert.deepEqual(await sa.authenticateToken(token), { error: 'service account token has been invalidated' });
  store.set('pod/default/web-0', { metadata: { name: 'web-0', uid: 'pod-uid', deletionTimestamp: '2026-02-28T23:58:00Z' } });
  assert.deepEqual(await sa.authenticateToken(token), { error: 'service account token has been invalidated' });
  store.set('pod/default/web-0', { metadata: { name: 'web-0', uid: 'pod-uid' } });
  store.set('sa/default/builder', { metadata: { name: 'builder', uid: 'new-uid' } });
  assert.deepEqual(await sa.authenticateToken(token), { error: 'service account UID (new-uid) does not match claim (sa-uid)' });
});

test('the kubelet-requested 3607 s lifetime is extended to a year with warnafter', () => {
  const sa = serviceAccountTokens({ signingKey: KEY, clock: new FakeClock(T0) });
  const t = sa.issue({ namespace: 'ns', serviceAccount: 'a', podName: 'p', podUID: 'u', expirationSeconds: 3607 });
  const c = parseJWT(t.token)!.claims;
  assert.equal(c.exp - c.iat, 365 * 24 * 3600);
  assert.equal(c['kubernetes.io'].warnafter - c.iat, 3607);
  assert.equal(t.expirationSeconds, 365 * 24 * 3600);
  // Capped by --service-account-max-token-expiration.
  const capped = serviceAccountTokens({ signingKey: KEY, clock: new FakeClock(T0), maxExpirationSeconds: 7200 }).issue({ namespace: 'ns', serviceAccount: 'a', expirationSeconds: 86400 });
  assert.equal(capped.expirationSeconds, 7200);
});

test('tampered, foreign-key, alg none, huge and malformed tokens are refused without throwing', async () => {
  const clock = new FakeClock(T0);
  const sa = serviceAccountTokens({ signingKey: KEY, clock });
  const { token } = sa.issue({ namespace: 'ns', serviceAccount: 'a' });
  const [h, p, s] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'system:serviceaccount:kube-system:admin' })).toString('base64url');
  const bad = async (t: string) => {
    const r = await sa.authenticateToken(t);
    assert.ok(!r || 'error' in r, `accepted ${t.slice(0, 40)}`);
  };
  await bad(`${h}.${forged}.${s}`);
  await bad(`${h}.${p}.${s.slice(0, -4)}AAAA`);
  await bad(`${h}.${p}.`);
  await bad(serviceAccountTokens({ signingKey: ecKey(), clock }).issue({ namespace: 'ns', serviceAccount: 'a' }).token);
  const none = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
  await bad(`${none}.${p}.`);
  assert.deepEqual(await sa.authenticateToken(`${none}.${p}.AAAA`), { error: 'invalid bearer token, unsupported signing algorithm "none"' });
  const hs = Buffer.from(JSON.stringify({ alg: 'HS256' })).toString('base64url');
  await bad(`${hs}.${p}.${s}`);
  await bad('x'.repeat(10_000_000));
  await bad(`${'a'.repeat(100_000)}.${p}.${s}`);
  await bad('not a token');
  await bad('a.b.c');
  await bad('!!!.@@@.###');
  await bad(`${Buffer.from('[1]').toString('base64url')}.${Buffer.from('null').toString('base64url')}.AA`);
  await bad(`${h}.${Buffer.from('{"iss":').toString('base64url')}.${s}`);
  // Wrong-typed claims signed with the real key do not crash either.
  const weird = sa.issueLegacy({ namespace: 'ns', serviceAccount: 'a', uid: 'u', secretName: 's' }).split('.');
  await sa.authenticateToken(`${weird[0]}.${Buffer.from(JSON.stringify({ iss: DEFAULT_ISSUER, exp: 'soon', aud: 5 })).toString('base64url')}.${weird[2]}`);
  // A JWT from another issuer is left to other authenticators.
  const otherIss = Buffer.from(JSON.stringify({ ...claims, iss: 'https://accounts.example' })).toString('base64url');
  assert.equal(await sa.authenticateToken(`${h}.${otherIss}.${s}`), undefined);
});

test('tokens signed by a previous key verify while it is listed; RS256 keys work too', async () => {
  const clock = new FakeClock(T0);
  const old = ecKey();
  const t = serviceAccountTokens({ signingKey: old, clock }).issue({ namespace: 'ns', serviceAccount: 'a' }).token;
  const rotated = serviceAccountTokens({ signingKey: KEY, verifyKeys: [old], clock });
  assert.ok('user' in ((await rotated.authenticateToken(t)) ?? {}));
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const rs = serviceAccountTokens({ signingKey: rsa, clock });
  const rt = rs.issue({ namespace: 'ns', serviceAccount: 'a' }).token;
  assert.equal(parseJWT(rt)!.header.alg, 'RS256');
  assert.ok('user' in ((await rs.authenticateToken(rt)) ?? {}));
  assert.equal(rs.jwks().keys[0]!.kty, 'RSA');
  assert.equal(rs.jwks().keys[0]!.d, undefined);
});

test('legacy secret tokens: valid while the secret holds them and the service account matches', async () => {
  const { store, getter } = objects();
  const sa = serviceAccountTokens({ signingKey: KEY, clock: new FakeClock(T0), getter });
  const token = sa.issueLegacy({ namespace: 'default', serviceAccount: 'builder', uid: 'sa-uid', secretName: 'builder-token' });
  const c = parseJWT(token)!.claims;
  assert.equal(c.iss, 'kubernetes/serviceaccount');
  assert.equal(c['kubernetes.io/serviceaccount/secret.name'], 'builder-token');
  assert.deepEqual(await sa.authenticateToken(token), { error: 'service account token has been invalidated' });
  store.set('secret/default/builder-token', { metadata: { name: 'builder-token' }, type: 'kubernetes.io/service-account-token', data: { token: Buffer.from(token).toString('base64') } });
  const r = await sa.authenticateToken(token);
  assert.ok(r && 'user' in r);
  assert.deepEqual(r.user, { username: 'system:serviceaccount:default:builder', uid: 'sa-uid', groups: ['system:serviceaccounts', 'system:serviceaccounts:default'] });
  store.set('secret/default/builder-token', { metadata: { name: 'builder-token', labels: { 'kubernetes.io/legacy-token-invalid-since': '2026-01-01' } }, data: { token: Buffer.from(token).toString('base64') } });
  assert.match((await sa.authenticateToken(token) as { error: string }).error, /has been marked invalid/);
  store.set('secret/default/builder-token', { metadata: { name: 'builder-token' }, data: { token: Buffer.from('other').toString('base64') } });
  assert.deepEqual(await sa.authenticateToken(token), { error: "Token does not match server's copy" });
});
