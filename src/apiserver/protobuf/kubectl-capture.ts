// Test tool: runs a real kubectl (1.32+) against a minimal fake API server on 127.0.0.1 and records
// the request bodies it sends, to check the protobuf decoder against what kubectl really writes.
//
// `node --import tsx src/apiserver/protobuf/kubectl-capture.ts` rewrites testdata/*.pb.

import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CapturedRequest {
  method: string;
  path: string;
  contentType: string;
  body: Buffer;
}

/** kubectl.1.32 beside the PATH's kubectl dispatcher, or undefined on machines without it. */
export function findKubectl(minor = 32): string | undefined {
  try {
    const dispatcher = realpathSync(execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim());
    const p = join(dirname(dispatcher), `kubectl.1.${minor}`);
    return existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

const r = (name: string, kind: string, namespaced: boolean, verbs = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']) => ({
  name,
  singularName: kind.toLowerCase(),
  namespaced,
  kind,
  verbs,
});

const RESOURCES: Record<string, object[]> = {
  '/api/v1': [
    r('namespaces', 'Namespace', false), r('configmaps', 'ConfigMap', true), r('secrets', 'Secret', true),
    r('services', 'Service', true), r('serviceaccounts', 'ServiceAccount', true), r('pods', 'Pod', true),
    r('nodes', 'Node', false), r('resourcequotas', 'ResourceQuota', true),
    { name: 'serviceaccounts/token', singularName: '', namespaced: true, group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] },
  ],
  '/apis/apps/v1': [r('deployments', 'Deployment', true)],
  '/apis/batch/v1': [r('jobs', 'Job', true), r('cronjobs', 'CronJob', true)],
  '/apis/authorization.k8s.io/v1': [r('selfsubjectaccessreviews', 'SelfSubjectAccessReview', false, ['create']), r('selfsubjectrulesreviews', 'SelfSubjectRulesReview', false, ['create'])],
  '/apis/authentication.k8s.io/v1': [r('selfsubjectreviews', 'SelfSubjectReview', false, ['create'])],
  '/apis/rbac.authorization.k8s.io/v1': [r('roles', 'Role', true), r('clusterroles', 'ClusterRole', false), r('rolebindings', 'RoleBinding', true), r('clusterrolebindings', 'ClusterRoleBinding', false)],
  '/apis/scheduling.k8s.io/v1': [r('priorityclasses', 'PriorityClass', false)],
  '/apis/policy/v1': [r('poddisruptionbudgets', 'PodDisruptionBudget', true)],
  '/apis/networking.k8s.io/v1': [r('ingresses', 'Ingress', true)],
};

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

const NODE = { kind: 'Node', apiVersion: 'v1', metadata: { name: 'n1', uid: 'u-n1', resourceVersion: '1' }, spec: {} };
const POD = {
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: { name: 'p1', namespace: 'default', uid: 'u-p1', resourceVersion: '1', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u-rs', controller: true }] },
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'nginx' }] },
  status: { phase: 'Running' },
};

function handle(req: IncomingMessage, res: ServerResponse, body: Buffer, port: number, deleted: Set<string>): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const path = url.pathname;
  if (req.method === 'GET') {
    if (path === '/version') return send(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.5' });
    if (path === '/api') return send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${port}` }] });
    if (path === '/apis') {
      const groups = Object.keys(RESOURCES)
        .filter((p) => p.startsWith('/apis/'))
        .map((p) => {
          const [, , name, version] = p.split('/') as [string, string, string, string];
          const gv = { groupVersion: `${name}/${version}`, version };
          return { name, versions: [gv], preferredVersion: gv };
        });
      return send(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups });
    }
    const list = RESOURCES[path];
    if (list) return send(res, 200, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: path.replace(/^\/apis?\//, ''), resources: list });
    if (path === '/api/v1/nodes/n1') return send(res, 200, NODE);
    if (path === '/api/v1/pods') return send(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: deleted.has('p1') ? [] : [POD] });
    if (path === '/api/v1/namespaces/default/pods/p1' && !deleted.has('p1')) return send(res, 200, POD);
    return send(res, 404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' });
  }
  if (req.method === 'PATCH' && path === '/api/v1/nodes/n1') return send(res, 200, NODE);
  if (req.method === 'DELETE' && path === '/api/v1/namespaces/default/pods/p1') {
    deleted.add('p1');
    return send(res, 200, POD);
  }
  if (req.method === 'POST') {
    const kind = path.includes('selfsubjectaccessreviews')
      ? { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', status: { allowed: true } }
      : path.includes('selfsubjectrulesreviews')
        ? { kind: 'SelfSubjectRulesReview', apiVersion: 'authorization.k8s.io/v1', status: { resourceRules: [], nonResourceRules: [], incomplete: false } }
        : path.includes('selfsubjectreviews')
          ? { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', status: { userInfo: { username: 'me' } } }
          : path.endsWith('/token')
            ? { kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1', status: { token: 'tok', expirationTimestamp: '2030-01-01T00:00:00Z' } }
            : { kind: 'Status', apiVersion: 'v1', status: 'Success', metadata: {} };
    return send(res, 201, { metadata: { name: 'x', namespace: 'default' }, ...kind });
  }
  return send(res, 405, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'MethodNotAllowed', code: 405, message: 'no' });
}

/** Runs `kubectl <args>` against the fake server; resolves with the non-GET requests it made. */
export async function captureKubectl(kubectl: string, args: string[]): Promise<{ requests: CapturedRequest[]; stdout: string; stderr: string; code: number }> {
  const requests: CapturedRequest[] = [];
  const deleted = new Set<string>();
  let port = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.method !== 'GET') requests.push({ method: req.method ?? '', path: req.url ?? '', contentType: String(req.headers['content-type'] ?? ''), body });
      handle(req, res, body, port, deleted);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'kubectl-capture-'));
  try {
    const kubeconfig = join(dir, 'config');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}"}}]\n` +
        'contexts: [{name: c, context: {cluster: c, user: u, namespace: default}}]\ncurrent-context: c\nusers: [{name: u, user: {}}]\n',
    );
    // KUBECONFIG rather than --kubeconfig: 1.32's `create job|cronjob` ignore the flag for their client.
    const full = [`--cache-dir=${join(dir, 'cache')}`, ...args];
    const result = await new Promise<{ stdout: string; stderr: string; code: number }>((resolve) => {
      execFile(kubectl, full, { timeout: 20_000, env: { ...process.env, HOME: dir, KUBECONFIG: kubeconfig } }, (err, stdout, stderr) => {
        resolve({ stdout, stderr, code: err ? ((err as { code?: number }).code ?? 1) : 0 });
      });
    });
    return { requests, ...result };
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The kubectl commands whose protobuf bodies are kept as fixtures: name → args. */
export const FIXTURES: Record<string, string[]> = {
  'deployment': ['create', 'deployment', 'web', '--image=nginx', '--replicas=3', '--port=80'],
  'namespace': ['create', 'namespace', 'team-a'],
  'configmap': ['create', 'configmap', 'settings', '--from-literal=color=blue', '--from-literal=empty='],
  'secret': ['create', 'secret', 'generic', 'creds', '--from-literal=password=s3cr3t', '--type=Opaque'],
  'service': ['create', 'service', 'nodeport', 'web', '--tcp=80:8080'],
  'job': ['create', 'job', 'once', '--image=busybox', '--', 'echo', 'hi'],
  'cronjob': ['create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/5 * * * *', '--', 'date'],
  'can-i': ['auth', 'can-i', 'create', 'pods', '-n', 'default'],
  'can-i-list': ['auth', 'can-i', '--list', '-n', 'default'],
  'role': ['create', 'role', 'reader', '--verb=get,list', '--resource=pods'],
  'rolebinding': ['create', 'rolebinding', 'rb', '--role=reader', '--user=alice'],
  'clusterrole': ['create', 'clusterrole', 'cr', '--verb=get', '--non-resource-url=/healthz'],
  'serviceaccount': ['create', 'serviceaccount', 'bot'],
  'priorityclass': ['create', 'priorityclass', 'high', '--value=1000', '--preemption-policy=Never'],
  'pdb': ['create', 'poddisruptionbudget', 'pdb', '--selector=app=web', '--min-available=0'],
  'ingress': ['create', 'ingress', 'web', '--rule=example.com/*=web:80'],
  'quota': ['create', 'quota', 'q', '--hard=cpu=1,pods=10'],
  'token': ['create', 'token', 'bot', '--duration=1h'],
  'whoami': ['auth', 'whoami'],
  'debug-node': ['debug', 'node/n1', '--image=busybox', '--profile=sysadmin'],
  'drain': ['drain', 'n1', '--force', '--disable-eviction', '--timeout=10s', '--grace-period=5'],
};

async function main(): Promise<void> {
  const kubectl = findKubectl();
  if (!kubectl) throw new Error('kubectl.1.32 not found');
  const here = dirname(fileURLToPath(import.meta.url));
  for (const [name, args] of Object.entries(FIXTURES)) {
    const { requests, stdout, stderr, code } = await captureKubectl(kubectl, args);
    const pb = requests.filter((q) => q.contentType.startsWith('application/vnd.kubernetes.protobuf'));
    console.log(`${name}: exit ${code} ${stdout.trim()} ${stderr.trim().split('\n')[0] ?? ''}`);
    for (const q of requests) console.log(`  ${q.method} ${q.path} ${q.contentType} ${q.body.length}B`);
    if (pb.length) writeFileSync(join(here, 'testdata', `${name}.pb`), pb[pb.length - 1]!.body);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  await main();
}
