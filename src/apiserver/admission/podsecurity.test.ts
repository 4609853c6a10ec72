// PodSecurity admission through the API server: namespace labels pick the level, violating pods
// are refused with upstream's message, warn mode sets Warning headers (also for workload
// templates), bad label values are 422, and raising the enforce level warns about existing pods.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../storage/memory/memory.ts';
import { ApiServer } from '../server.ts';
import { Admission } from '../admission.ts';
import { KubeClient } from '../../client/client.ts';
import { InProcessTransport } from '../../client/inprocess.ts';
import { StatusError } from '../../machinery/errors.ts';
import { podSecurity, policyToEvaluate } from './podsecurity.ts';
import { evaluatePod, forbiddenDetail } from './podsecurity/checks.ts';

let api: ApiServer;
let c: KubeClient;
before(async () => {
  api = new ApiServer({ storage: new MemoryBackend(), port: 0, admission: new Admission([]), compactionIntervalMs: 0 });
  api.admission.plugins.push(podSecurity({ namespaces: () => api.store('', 'namespaces')!, pods: () => api.store('', 'pods')!, exemptions: { usernames: ['exempt-user'] } }));
  await api.start();
  c = new KubeClient(new InProcessTransport(api, { username: 'system:admin', groups: ['system:masters'] }));
});
after(async () => {
  c.close();
  await api.stop();
  await api.storage.close();
});

const ns = (name: string, labels: Record<string, string> = {}) => c.resource('', 'namespaces').create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
const pod = (name: string, spec: Record<string, unknown> = {}, container: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'busybox', ...container }], ...spec },
});
const restrictedOK = {
  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
};

async function refused(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof StatusError, String(e));
    return e;
  }
  assert.fail('expected the request to be refused');
}

/** A raw HTTP request, to see the Warning header. */
async function http(method: string, path: string, body?: unknown): Promise<{ status: number; warning: string | null; body: any }> {
  const res = await fetch(api.url + path, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, warning: res.headers.get('warning'), body: await res.json() };
}

describe('PodSecurity', () => {
  it('allows anything in a namespace without labels (privileged)', async () => {
    await ns('open');
    await c.pods('open').create(pod('p', { hostNetwork: true }, { securityContext: { privileged: true } }));
  });

  it('refuses a plain pod under restricted with the upstream message', async () => {
    await ns('strict', { 'pod-security.kubernetes.io/enforce': 'restricted' });
    const e = await refused(c.pods('strict').create(pod('x')));
    assert.equal(e.code, 403);
    assert.equal(e.reason, 'Forbidden');
    assert.equal(
      e.message,
      'pods "x" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
    await c.pods('strict').create(pod('ok', {}, restrictedOK));
  });

  it('refuses baseline violations in check-id order', async () => {
    await ns('base', { 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/enforce-version': 'v1.30' });
    const e = await refused(
      c.pods('base').create(
        pod('x', { hostNetwork: true, volumes: [{ name: 'h', hostPath: { path: '/etc' } }] }, { securityContext: { privileged: true, capabilities: { add: ['NET_ADMIN', 'CHOWN'] } }, ports: [{ containerPort: 8080, hostPort: 8080 }] }),
      ),
    );
    assert.equal(
      e.message,
      'pods "x" is forbidden: violates PodSecurity "baseline:v1.30": non-default capabilities (container "c" must not include "NET_ADMIN" in securityContext.capabilities.add), host namespaces (hostNetwork=true), hostPath volumes (volume "h"), hostPort (container "c" uses hostPort 8080), privileged (container "c" must not set securityContext.privileged=true)',
    );
    await c.pods('base').create(pod('fine', {}, { securityContext: { capabilities: { add: ['CHOWN'] } } }));
  });

  it('warns (Warning header) in warn mode, for pods and for workload templates', async () => {
    await ns('warned', { 'pod-security.kubernetes.io/warn': 'baseline' });
    const r = await http('POST', '/api/v1/namespaces/warned/pods', pod('w', { hostPID: true }));
    assert.equal(r.status, 201);
    assert.equal(r.warning, '299 - "would violate PodSecurity \\"baseline:latest\\": host namespaces (hostPID=true)"');
    const d = await http('POST', '/apis/apps/v1/namespaces/warned/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox', securityContext: { privileged: true } }] } } },
    });
    assert.equal(d.status, 201);
    assert.equal(d.warning, '299 - "would violate PodSecurity \\"baseline:latest\\": privileged (container \\"c\\" must not set securityContext.privileged=true)"');
  });

  it('only warns for workload templates, even under enforce (warn follows enforce)', async () => {
    const d = await http('POST', '/apis/apps/v1/namespaces/strict/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    assert.equal(d.status, 201);
    assert.match(d.warning ?? '', /^299 - "would violate PodSecurity \\"restricted:latest\\": allowPrivilegeEscalation != false/);
  });

  it('refuses invalid label values with 422', async () => {
    const e = await refused(ns('bad', { 'pod-security.kubernetes.io/enforce': 'strict' }));
    assert.equal(e.code, 422);
    assert.equal(e.message, 'Namespace "bad" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted');
    const v = await refused(ns('bad2', { 'pod-security.kubernetes.io/warn-version': '1.25' }));
    assert.equal(v.message, 'Namespace "bad2" is invalid: metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: "1.25": must be "latest" or "v1.x"');
  });

  it('warns about existing pods when the enforce level rises, and leaves metadata-only pod updates alone', async () => {
    await ns('grow');
    await c.pods('grow').create(pod('a', { hostIPC: true }));
    await c.pods('grow').create(pod('b', { hostIPC: true }));
    const cur = await c.resource('', 'namespaces').get('grow');
    const r = await http('PUT', '/api/v1/namespaces/grow', { ...cur, metadata: { ...cur.metadata, labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } });
    assert.equal(r.status, 200);
    assert.equal(r.warning, '299 - "existing pods in namespace \\"grow\\" violate the new PodSecurity enforce level \\"baseline:latest\\"", 299 - "a (and 1 other pod): host namespaces"');
    // The violating pod may still change its labels: only image changes are re-checked.
    const a = await c.pods('grow').get('a');
    await c.pods('grow').update({ ...a, metadata: { ...a.metadata, labels: { x: 'y' } } });
    const e = await refused(c.pods('grow').update({ ...a, metadata: { ...a.metadata, resourceVersion: undefined }, spec: { ...a.spec, containers: [{ ...a.spec.containers[0], image: 'busybox:2' }] } }));
    assert.equal(e.code, 403);
  });

  it('exempts configured users', async () => {
    const ex = new KubeClient(new InProcessTransport(api, { username: 'exempt-user', groups: ['system:masters'] }));
    await ex.pods('strict').create(pod('exempt'));
    ex.close();
  });
});

describe('PodSecurity checks', () => {
  const detail = (level: 'baseline' | 'restricted', version: number | 'latest', spec: Record<string, any>, meta: Record<string, any> = {}) => forbiddenDetail(evaluatePod(level, version, meta, spec));

  it('sysctls follow the policy version', () => {
    const spec = { containers: [{ name: 'c' }], securityContext: { sysctls: [{ name: 'net.ipv4.tcp_rmem', value: '1' }, { name: 'kernel.msgmax', value: '1' }] } };
    assert.equal(detail('baseline', 31, spec), 'forbidden sysctls (net.ipv4.tcp_rmem, kernel.msgmax)');
    assert.equal(detail('baseline', 'latest', spec), 'forbidden sysctls (kernel.msgmax)');
  });

  it('seccomp, AppArmor, SELinux and procMount messages', () => {
    assert.equal(
      detail('baseline', 'latest', { securityContext: { seccompProfile: { type: 'Unconfined' } }, containers: [{ name: 'c', securityContext: { seccompProfile: { type: 'Unconfined' }, appArmorProfile: { type: 'Unconfined' }, procMount: 'Unmasked', seLinuxOptions: { type: 'spc_t', user: 'u' } } }] }),
      'forbidden AppArmor profile (container "c" must not set AppArmor profile type to "Unconfined"), procMount (container "c" must not set securityContext.procMount to "Unmasked"), seLinuxOptions (container "c" set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set), seccompProfile (pod and container "c" must not set securityContext.seccompProfile.type to "Unconfined")',
    );
    assert.equal(
      detail('baseline', 'latest', { containers: [{ name: 'c' }] }, { annotations: { 'container.apparmor.security.beta.kubernetes.io/c': 'unconfined' } }),
      'forbidden AppArmor profile (annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/c="unconfined"")',
    );
  });

  it('restricted: capabilities, volumes, runAsUser; user namespaces relax the root checks', () => {
    const spec = {
      volumes: [{ name: 'n', nfs: { server: 's', path: '/' } }, { name: 'e', emptyDir: {} }],
      securityContext: { runAsNonRoot: true, runAsUser: 0, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: 'c', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE', 'SYS_TIME'] } } }],
    };
    assert.equal(
      detail('restricted', 'latest', spec),
      'unrestricted capabilities (container "c" must not include "SYS_TIME" in securityContext.capabilities.add), restricted volume types (volume "n" uses restricted volume type "nfs"), runAsUser=0 (pod must not set runAsUser=0)',
    );
    assert.equal(detail('restricted', 'latest', { ...spec, hostUsers: false }), 'unrestricted capabilities (container "c" must not include "SYS_TIME" in securityContext.capabilities.add), restricted volume types (volume "n" uses restricted volume type "nfs")');
    // Before 1.35 the relaxation did not exist.
    assert.match(detail('restricted', 34, { ...spec, hostUsers: false }), /runAsUser=0/);
  });

  it('windows pods are exempt from the Linux-only restricted checks', () => {
    assert.equal(detail('restricted', 'latest', { os: { name: 'windows' }, securityContext: { runAsNonRoot: true }, containers: [{ name: 'c' }] }), '');
  });

  it('warn defaults to an explicit stricter enforce level', () => {
    const defaults = { enforce: { level: 'privileged' as const, version: 'latest' as const }, audit: { level: 'privileged' as const, version: 'latest' as const }, warn: { level: 'privileged' as const, version: 'latest' as const } };
    const { policy } = policyToEvaluate({ 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/enforce-version': 'v1.24' }, defaults);
    assert.deepEqual(policy.warn, { level: 'baseline', version: 24 });
  });
});
