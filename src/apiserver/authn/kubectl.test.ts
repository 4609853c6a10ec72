// Tests the real kubectl against a tiny HTTPS server using the cluster PKI, the x509 and token
// authenticators and impersonation: `kubectl auth whoami` (SelfSubjectReview), `--as`, a static
// token, and the 401 an unknown token gets.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterPKI } from '../../pki/pki.ts';
import { StatusError } from '../../machinery/errors.ts';
import { x509Authenticator } from './x509.ts';
import { unionAuthenticator, unauthorized } from './union.ts';
import { impersonation } from './impersonation.ts';
import { parseTokenCSV } from './tokenfile.ts';
import type { Authenticator } from './types.ts';

const KUBECTL = process.env.KUBECTL ?? 'kubectl';
let dir: string;
let pki: ClusterPKI;
let server: Server;
let url: string;
let haveKubectl = true;

function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(KUBECTL, args, { env: { ...process.env, KUBECONFIG: join(dir, 'config') }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end();
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-kubectl-'));
  pki = await ClusterPKI.loadOrCreate(join(dir, 'pki'), { serviceIP: '127.96.0.1' });
  const tokens = parseTokenCSV('s3cr3t,token-user,77,"readers"\n');
  const tokenFile: Authenticator = { authenticateToken: (t) => (tokens.has(t) ? { user: tokens.get(t)! } : undefined) };
  const authn = unionAuthenticator([x509Authenticator(() => pki.clientCABundlePEM), tokenFile]);
  const impersonate = impersonation((user) => ({ allowed: user.groups.includes('system:masters') }));
  server = createServer(pki.serverTLSOptions(), async (req, res) => {
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      let user = await authn.authenticate(req);
      if (!user) throw unauthorized();
      user = await impersonate(user, req.headersDistinct);
      if (req.method === 'POST' && /^\/apis\/authentication\.k8s\.io\/v1\/selfsubjectreviews/.test(req.url ?? '')) {
        for await (const _ of req) void _;
        const userInfo: Record<string, unknown> = { username: user.username, groups: user.groups };
        if (user.uid) userInfo.uid = user.uid;
        if (user.extra) userInfo.extra = user.extra;
        send(201, { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null }, status: { userInfo } });
        return;
      }
      if (req.url === '/api') {
        send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }] });
        return;
      }
      send(404, new StatusError(404, 'NotFound', 'the server could not find the requested resource').status);
    } catch (e) {
      if (e instanceof StatusError) send(e.code, e.status);
      else send(500, { message: String(e) });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const admin = pki.component('admin');
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  writeFileSync(
    join(dir, 'config'),
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'skiff', cluster: { server: url, 'certificate-authority-data': b64(pki.caPEM) } },
        { name: 'by-name', cluster: { server: url, 'certificate-authority-data': b64(pki.caPEM), 'tls-server-name': 'kubernetes.default.svc' } },
        { name: 'untrusted', cluster: { server: url } },
      ],
      users: [
        { name: 'admin', user: { 'client-certificate-data': b64(admin.certificatePEM), 'client-key-data': b64(admin.keyPEM) } },
        { name: 'token', user: { token: 's3cr3t' } },
        { name: 'wrong-token', user: { token: 'wrong' } },
      ],
      contexts: [
        { name: 'admin', context: { cluster: 'skiff', user: 'admin' } },
        { name: 'sni', context: { cluster: 'by-name', user: 'admin' } },
        { name: 'token', context: { cluster: 'skiff', user: 'token' } },
        { name: 'bad', context: { cluster: 'skiff', user: 'wrong-token' } },
        { name: 'untrusted', context: { cluster: 'untrusted', user: 'admin' } },
      ],
      'current-context': 'admin',
    }),
  );
  const v = await kubectl(['version', '--client']);
  haveKubectl = v.code === 0;
});

after(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('kubectl auth whoami with the admin client certificate', async (t) => {
  if (!haveKubectl) return t.skip('kubectl not available');
  const r = await kubectl(['auth', 'whoami', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).status.userInfo, { username: 'masterclient', groups: ['system:masters', 'system:authenticated'] });
  const table = await kubectl(['auth', 'whoami']);
  assert.match(table.stdout, /Username\s+masterclient/);
  assert.match(table.stdout, /Groups\s+\[system:masters system:authenticated\]/);
});

test('kubectl verifies the serving certificate by the kubernetes.default.svc name too', async (t) => {
  if (!haveKubectl) return t.skip('kubectl not available');
  const r = await kubectl(['--context', 'sni', 'get', '--raw', '/api']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).versions, ['v1']);
  const bad = await kubectl(['--context', 'untrusted', 'get', '--raw', '/api']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /certificate signed by unknown authority/);
});

test('kubectl --as and --as-group impersonate for an admin', async (t) => {
  if (!haveKubectl) return t.skip('kubectl not available');
  const r = await kubectl(['auth', 'whoami', '-o', 'json', '--as', 'jane', '--as-group', 'dev', '--as-group', 'ops']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).status.userInfo, { username: 'jane', groups: ['dev', 'ops'] });
});

test('a static token user cannot impersonate; an unknown token gets Unauthorized', async (t) => {
  if (!haveKubectl) return t.skip('kubectl not available');
  const who = await kubectl(['--context', 'token', 'auth', 'whoami', '-o', 'json']);
  assert.deepEqual(JSON.parse(who.stdout).status.userInfo, { username: 'token-user', uid: '77', groups: ['readers', 'system:authenticated'] });
  const denied = await kubectl(['--context', 'token', 'get', '--raw', '/api', '--as', 'jane']);
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /Error from server \(Forbidden\): users "jane" is forbidden: User "token-user" cannot impersonate resource "users" in API group "" at the cluster scope/);
  const bad = await kubectl(['--context', 'bad', 'get', '--raw', '/api']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /error: You must be logged in to the server \(Unauthorized\)/);
});
