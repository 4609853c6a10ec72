// Tests the authentication chain: order, system:authenticated, anonymous, and fail-on-error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { unionAuthenticator, bearerToken } from './union.ts';
import type { Authenticator } from './types.ts';

const req = (headers: Record<string, string> = {}) => ({ headers, socket: {} }) as unknown as IncomingMessage;
const tokens: Authenticator = { authenticateToken: (t) => (t === 'good' ? { user: { username: 'alice', groups: ['dev'] } } : undefined) };
const throwing: Authenticator = { authenticateToken: () => { throw new Error('boom'); } };

test('anonymous auth off: no credentials is a 401 (undefined)', async () => {
  assert.equal(await unionAuthenticator([tokens]).authenticate(req()), undefined);
});

test('anonymous auth on: no credentials is system:anonymous, but a bad token is still refused', async () => {
  const failures: string[][] = [];
  const a = unionAuthenticator([throwing, tokens], { anonymous: true, onFailure: (e) => failures.push(e) });
  assert.deepEqual(await a.authenticate(req()), { username: 'system:anonymous', groups: ['system:unauthenticated'] });
  assert.equal(await a.authenticate(req({ authorization: 'Bearer bad' })), undefined);
  assert.deepEqual(failures, [['boom', 'invalid bearer token']]);
  assert.deepEqual(await a.authenticate(req({ authorization: 'Bearer good' })), { username: 'alice', groups: ['dev', 'system:authenticated'] });
});

test('a request credential that fails is a 401 even when anonymous is on', async () => {
  const cert: Authenticator = { authenticateRequest: () => ({ error: 'x509: certificate signed by unknown authority' }) };
  assert.equal(await unionAuthenticator([cert], { anonymous: true }).authenticate(req()), undefined);
});

test('bearer tokens from the Authorization header or the WebSocket subprotocol', () => {
  assert.equal(bearerToken(req({ authorization: 'Bearer abc' })), 'abc');
  assert.equal(bearerToken(req({ authorization: 'Basic abc' })), undefined);
  assert.equal(bearerToken(req({ 'sec-websocket-protocol': `v4.channel.k8s.io, base64url.bearer.authorization.k8s.io.${Buffer.from('tok').toString('base64url')}` })), 'tok');
});

test('audience-agnostic authenticators only serve the API audiences (TokenReview)', async () => {
  const a = unionAuthenticator([tokens], { apiAudiences: ['https://kubernetes.default.svc.cluster.local'] });
  assert.deepEqual(await a.authenticateToken('good'), { user: { username: 'alice', groups: ['dev', 'system:authenticated'] }, audiences: ['https://kubernetes.default.svc.cluster.local'] });
  assert.deepEqual(await a.authenticateToken('good', ['vault']), { errors: ['invalid bearer token'] });
});
