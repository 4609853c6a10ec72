// Security as AKS ships it, end to end on `skiff up` with the real kubectl and raw HTTPS: anonymous
// requests get a 401 Status; a CSR approved with kubectl yields a client certificate that works;
// a user bound to `view` lists but cannot delete pods (upstream's 403) and `auth can-i` agrees; a
// pod reads the API with its projected service-account token and is refused outside its Role; a
// restricted namespace refuses a privileged pod; secrets are not stored in plain text; authorized
// IP ranges drop other addresses; deletes are audited.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import YAML from 'yaml';
import { SkiffCluster, eventually } from './harness.ts';
import { x509 } from '../../pki/x509lib.ts';

let c: SkiffCluster;
let server = '';
let ca = '';

before(async () => {
  // Its own service range: another suite's proxy may hold 127.96.0.0/16 addresses on this machine.
  c = await SkiffCluster.up({ simNodes: 0, flags: ['--disable', 'dns', '--disable', 'ingress', '--service-cluster-ip-range', '127.97.0.0/16'] });
  const cfg = YAML.parse(readFileSync(c.kubeconfig, 'utf8'));
  const cluster = cfg.clusters.find((x: { name: string }) => x.name === 'skiff').cluster;
  server = cluster.server;
  ca = Buffer.from(cluster['certificate-authority-data'], 'base64').toString();
});

after(async () => {
  await c?.down();
});

interface Reply {
  status: number;
  body: any;
}

/** One HTTPS request to the API server, optionally from a given local address and with a client certificate. */
function call(path: string, opts: { method?: string; token?: string; cert?: string; key?: string; localAddress?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      server + path,
      {
        method: opts.method ?? 'GET',
        ca,
        ...(opts.cert ? { cert: opts.cert, key: opts.key } : {}),
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
        headers: { accept: 'application/json', ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) },
        timeout: 5000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** A key pair and a PKCS#10 request for CN=user, O=groups. */
async function certificateRequest(user: string, groups: string[]): Promise<{ csrPEM: string; keyPEM: string }> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const name = [`CN=${user}`, ...groups.map((g) => `O=${g}`)].join(', ');
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name, keys, signingAlgorithm: alg });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPEM = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
  return { csrPEM: csr.toString('pem'), keyPEM };
}

describe('security on skiff up', () => {
  let janeCert = '';
  let janeKey = '';

  it('answers an anonymous request with 401 as a Status', async () => {
    const r = await call('/api');
    assert.equal(r.status, 401);
    assert.deepEqual(r.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    const bad = await call('/api', { token: 'not-a-token' });
    assert.equal(bad.status, 401);
  });

  it('issues a working client certificate for a CSR approved with kubectl', async () => {
    const { csrPEM, keyPEM } = await certificateRequest('jane', ['devs']);
    await c.apply({
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name: 'jane' },
      spec: { request: Buffer.from(csrPEM).toString('base64'), signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'], expirationSeconds: 86400 },
    });
    assert.match(await c.ok(['certificate', 'approve', 'jane']), /approved/);
    const issued = await eventually('the certificate', async () => (await c.get(['csr', 'jane'])).status?.certificate as string | undefined);
    janeCert = Buffer.from(issued, 'base64').toString();
    janeKey = keyPEM;
    const csr = await c.get(['csr', 'jane']);
    assert.equal(csr.spec.username, 'masterclient', 'the requester is recorded from the credentials');
  });

  it('lets a view user list pods but not delete them, and auth can-i agrees', async () => {
    await c.ok(['create', 'rolebinding', 'jane-view', '--clusterrole=view', '--user=jane', '-n', 'default']);
    await c.ok(['run', 'victim', '--image=registry.k8s.io/pause:3.10', '--restart=Never']);
    const list = await call('/api/v1/namespaces/default/pods', { cert: janeCert, key: janeKey });
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.ok(list.body.items.some((p: any) => p.metadata.name === 'victim'));
    const del = await call('/api/v1/namespaces/default/pods/victim', { method: 'DELETE', cert: janeCert, key: janeKey });
    assert.equal(del.status, 403);
    assert.equal(del.body.reason, 'Forbidden');
    assert.equal(del.body.message, 'pods "victim" is forbidden: User "jane" cannot delete resource "pods" in API group "" in the namespace "default"');
    const no = await c.kubectl(['auth', 'can-i', 'delete', 'pods', '--as', 'jane']);
    assert.equal(no.stdout.trim(), 'no');
    assert.equal(no.code, 1);
    const yes = await c.kubectl(['auth', 'can-i', 'list', 'pods', '--as', 'jane']);
    assert.equal(yes.stdout.trim(), 'yes');
    // kubectl with jane's certificate: the same answer as the raw request.
    const kc = join(c.dir, 'jane.kubeconfig');
    const cfg = YAML.parse(readFileSync(c.kubeconfig, 'utf8'));
    cfg.users = [{ name: 'jane', user: { 'client-certificate-data': Buffer.from(janeCert).toString('base64'), 'client-key-data': Buffer.from(janeKey).toString('base64') } }];
    cfg.contexts = [{ name: 'jane', context: { cluster: 'skiff', user: 'jane' } }];
    cfg['current-context'] = 'jane';
    writeFileSync(kc, YAML.stringify(cfg));
    const who = await c.kubectl(['--kubeconfig', kc, 'auth', 'whoami', '-o', 'json']);
    assert.equal(who.code, 0, who.stderr);
    assert.deepEqual(JSON.parse(who.stdout).status.userInfo, { username: 'jane', groups: ['devs', 'system:authenticated'] });
    const r = await c.kubectl(['--kubeconfig', kc, 'delete', 'pod', 'victim']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /pods "victim" is forbidden: User "jane" cannot delete resource "pods" in API group "" in the namespace "default"/);
  });

  it('lets a pod read the API with its projected token, only inside its Role', async () => {
    await c.ok(['create', 'serviceaccount', 'reader']);
    await c.ok(['create', 'role', 'cm-reader', '--verb=get,list', '--resource=configmaps']);
    await c.ok(['create', 'rolebinding', 'reader-cm', '--role=cm-reader', '--serviceaccount=default:reader']);
    const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
    const curl = (path: string) =>
      `curl -s -o /dev/null -w '%{http_code}\\n' --cacert ${sa}/ca.crt -H "Authorization: Bearer $(cat ${sa}/token)" https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT${path}`;
    await c.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'reader' },
      spec: {
        serviceAccountName: 'reader',
        restartPolicy: 'Never',
        containers: [{ name: 'c', image: 'debian', command: ['/bin/sh', '-c', `${curl('/api/v1/namespaces/default/configmaps')}; ${curl('/api/v1/namespaces/default/secrets')}`] }],
      },
    });
    const pod = await c.get(['pod', 'reader']);
    assert.ok(pod.spec.volumes.some((v: any) => v.name.startsWith('kube-api-access-') && v.projected), 'the ServiceAccount admission adds the projected token volume');
    await eventually('the pod to finish', async () => ['Succeeded', 'Failed'].includes((await c.get(['pod', 'reader'])).status.phase), 60_000);
    const logs = await c.ok(['logs', 'reader']);
    assert.deepEqual(logs.trim().split('\n'), ['200', '403'], logs);
  });

  it('refuses a privileged pod in a restricted namespace with PodSecurity\'s message', async () => {
    await c.ok(['create', 'namespace', 'locked']);
    await c.ok(['label', 'namespace', 'locked', 'pod-security.kubernetes.io/enforce=restricted']);
    const r = await c.kubectl(['apply', '-n', 'locked', '-f', '-'], {
      stdin: YAML.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'root' }, spec: { containers: [{ name: 'c', image: 'nginx', securityContext: { privileged: true } }] } }),
    });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /pods "root" is forbidden: violates PodSecurity "restricted:latest": privileged \(container "c" must not set securityContext\.privileged=true\)/);
  });

  it('keeps secret values out of the data dir in plain text', async () => {
    const value = `s3cr3t-${Date.now()}-value`;
    await c.ok(['create', 'secret', 'generic', 'pw', `--from-literal=password=${value}`]);
    assert.equal(Buffer.from((await c.get(['secret', 'pw'])).data.password, 'base64').toString(), value);
    const needles = [Buffer.from(value), Buffer.from(Buffer.from(value).toString('base64'))];
    const walk = (dir: string): string[] => readdirSync(dir).flatMap((f) => {
      const p = join(dir, f);
      const s = statSync(p, { throwIfNoEntry: false });
      return !s ? [] : s.isDirectory() ? walk(p) : s.isFile() ? [p] : [];
    });
    for (const file of walk(c.dir)) {
      const bytes = readFileSync(file);
      for (const n of needles) assert.equal(bytes.indexOf(n), -1, `${file} holds the secret in plain text`);
    }
  });

  it('drops connections from outside the authorized IP ranges, without a restart', async () => {
    const set = await c.skiff(['update', '--api-server-authorized-ip-ranges', '127.0.0.1/32']);
    assert.equal(set.code, 0, set.stderr);
    assert.equal((await call('/api')).status, 401, '127.0.0.1 is inside: it connects (and is then asked who it is)');
    await assert.rejects(call('/api', { localAddress: '127.0.0.2' }), /ECONNRESET|socket hang up|EPIPE|disconnected/);
    const clear = await c.skiff(['update', '--api-server-authorized-ip-ranges', '']);
    assert.equal(clear.code, 0, clear.stderr);
    assert.equal((await call('/api', { localAddress: '127.0.0.2' })).status, 401);
  });

  it('writes an audit line for a delete', async () => {
    await c.ok(['create', 'configmap', 'doomed']);
    await c.ok(['delete', 'configmap', 'doomed']);
    const line = await eventually('the audit event', async () => {
      const text = readFileSync(join(c.dir, 'audit', 'audit.log'), 'utf8');
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .find((e) => e.verb === 'delete' && e.objectRef?.resource === 'configmaps' && e.objectRef?.name === 'doomed' && e.stage === 'ResponseComplete');
    });
    assert.equal(line.kind, 'Event');
    assert.equal(line.apiVersion, 'audit.k8s.io/v1');
    assert.equal(line.user.username, 'masterclient');
    assert.equal(line.responseStatus.code, 200);
  });
});
