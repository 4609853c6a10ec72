// The API server over HTTP, as a client sees it: CRUD with upstream status codes and messages,
// resourceVersion and conflicts, lists with selectors and pages, watches, subresources, Tables,
// and bad input that is refused without harm.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../storage/memory/memory.ts';
import { ApiServer } from './server.ts';
import { allowAll } from './reviews.ts';
import { testServer } from './testing.ts';

const { base, call } = testServer();


const cm = (name: string, data: Record<string, string> = { a: '1' }, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
  data,
});

describe('API server', () => {
  it('serves version, discovery and health', async () => {
    const v = await call('GET', '/version');
    assert.equal(v.body.major, '1');
    assert.equal(v.body.minor, '32');
    const core = await call('GET', '/api/v1');
    assert.ok(core.body.resources.some((r: any) => r.name === 'pods' && r.namespaced === true));
    assert.ok(core.body.resources.some((r: any) => r.name === 'pods/eviction' && r.group === 'policy'));
    const apis = await call('GET', '/apis');
    assert.ok(apis.body.groups.some((g: any) => g.name === 'apps'));
    assert.equal((await call('GET', '/readyz')).status, 200);
    const metrics = await call('GET', '/metrics');
    assert.match(metrics.body, /apiserver_request_total\{/);
  });

  it('bootstraps namespaces, the kubernetes Service and priority classes', async () => {
    const ns = await call('GET', '/api/v1/namespaces');
    assert.deepEqual(ns.body.items.map((n: any) => n.metadata.name).sort(), ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    assert.equal(ns.body.items[0].status.phase, 'Active');
    const svc = await call('GET', '/api/v1/namespaces/default/services/kubernetes');
    assert.equal(svc.body.spec.clusterIP, '127.96.0.1');
    assert.equal(svc.body.spec.ports[0].port, 443);
    const ep = await call('GET', '/api/v1/namespaces/default/endpoints/kubernetes');
    assert.equal(ep.body.subsets[0].addresses[0].ip, '127.0.0.1');
    const pc = await call('GET', '/apis/scheduling.k8s.io/v1/priorityclasses/system-node-critical');
    assert.equal(pc.body.value, 2000001000);
  });

  it('creates, reads, updates with optimistic concurrency, and deletes', async () => {
    const c = await call('POST', '/api/v1/namespaces/default/configmaps', cm('one'));
    assert.equal(c.status, 201);
    assert.ok(c.body.metadata.uid);
    assert.match(c.body.metadata.resourceVersion, /^\d+$/);
    assert.match(c.body.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const dup = await call('POST', '/api/v1/namespaces/default/configmaps', cm('one'));
    assert.equal(dup.status, 409);
    assert.equal(dup.body.reason, 'AlreadyExists');
    assert.equal(dup.body.message, 'configmaps "one" already exists');
    const g = await call('GET', '/api/v1/namespaces/default/configmaps/one');
    assert.deepEqual(g.body.data, { a: '1' });
    const u = await call('PUT', '/api/v1/namespaces/default/configmaps/one', { ...g.body, data: { a: '2' } });
    assert.equal(u.status, 200);
    assert.ok(Number(u.body.metadata.resourceVersion) > Number(g.body.metadata.resourceVersion));
    const stale = await call('PUT', '/api/v1/namespaces/default/configmaps/one', { ...g.body, data: { a: '3' } });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.reason, 'Conflict');
    assert.equal(stale.body.message, 'Operation cannot be fulfilled on configmaps "one": the object has been modified; please apply your changes to the latest version and try again');
    const d = await call('DELETE', '/api/v1/namespaces/default/configmaps/one');
    assert.equal(d.status, 200);
    assert.equal(d.body.status, 'Success');
    const gone = await call('GET', '/api/v1/namespaces/default/configmaps/one');
    assert.equal(gone.status, 404);
    assert.equal(gone.body.message, 'configmaps "one" not found');
  });

  it('refuses objects in a namespace that does not exist', async () => {
    const r = await call('POST', '/api/v1/namespaces/nope/configmaps', cm('x'));
    assert.equal(r.status, 404);
    assert.equal(r.body.message, 'namespaces "nope" not found');
  });

  it('validates with field causes (422)', async () => {
    const r = await call('POST', '/api/v1/namespaces/default/configmaps', cm('Bad_Name'));
    assert.equal(r.status, 422);
    assert.equal(r.body.reason, 'Invalid');
    assert.match(r.body.message, /^ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    assert.equal(r.body.details.causes[0].field, 'metadata.name');
    const list = await call('GET', '/api/v1/namespaces/default/configmaps');
    assert.ok(!list.body.items.some((i: any) => i.metadata.name === 'Bad_Name'));
  });

  it('generates names, bumps generation on spec changes, and keeps status out of main writes', async () => {
    const dep = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { generateName: 'web-' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
      status: { replicas: 99 },
    };
    const c = await call('POST', '/apis/apps/v1/namespaces/default/deployments', dep);
    assert.equal(c.status, 201, JSON.stringify(c.body));
    const name = c.body.metadata.name;
    assert.match(name, /^web-[a-z0-9]{5}$/);
    assert.equal(c.body.metadata.generation, 1);
    assert.equal(c.body.status?.replicas, undefined);
    assert.equal(c.body.spec.replicas, 1);
    assert.equal(c.body.spec.strategy.rollingUpdate.maxSurge, '25%');
    const p = await call('PATCH', `/apis/apps/v1/namespaces/default/deployments/${name}`, { spec: { replicas: 3 } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(p.status, 200, JSON.stringify(p.body));
    assert.equal(p.body.metadata.generation, 2);
    const l = await call('PATCH', `/apis/apps/v1/namespaces/default/deployments/${name}`, { metadata: { labels: { x: 'y' } } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(l.body.metadata.generation, 2, 'metadata changes do not bump generation');
    const s = await call('PUT', `/apis/apps/v1/namespaces/default/deployments/${name}/status`, { ...l.body, status: { replicas: 3, observedGeneration: 2 }, spec: { ...l.body.spec, replicas: 7 } });
    assert.equal(s.status, 200);
    assert.equal(s.body.status.replicas, 3);
    assert.equal(s.body.spec.replicas, 3, 'a status write does not change the spec');
    const scale = await call('GET', `/apis/apps/v1/namespaces/default/deployments/${name}/scale`);
    assert.deepEqual([scale.body.kind, scale.body.spec.replicas, scale.body.status.selector], ['Scale', 3, 'app=web']);
    const scaled = await call('PATCH', `/apis/apps/v1/namespaces/default/deployments/${name}/scale`, { spec: { replicas: 5 } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(scaled.body.spec.replicas, 5);
    assert.equal((await call('GET', `/apis/apps/v1/namespaces/default/deployments/${name}`)).body.spec.replicas, 5);
  });

  it('lists with label and field selectors and pages with limit/continue', async () => {
    for (let i = 0; i < 5; i++) await call('POST', '/api/v1/namespaces/default/configmaps', cm(`page-${i}`, { i: String(i) }, { tier: i % 2 ? 'odd' : 'even' }));
    const odd = await call('GET', '/api/v1/namespaces/default/configmaps?labelSelector=tier%3Dodd');
    assert.deepEqual(odd.body.items.map((i: any) => i.metadata.name), ['page-1', 'page-3']);
    const byName = await call('GET', '/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dpage-2');
    assert.deepEqual(byName.body.items.map((i: any) => i.metadata.name), ['page-2']);
    const bad = await call('GET', '/api/v1/namespaces/default/configmaps?fieldSelector=spec.nope%3Dx');
    assert.equal(bad.status, 400);
    const p1 = await call('GET', '/api/v1/namespaces/default/configmaps?labelSelector=tier&limit=2');
    assert.equal(p1.body.items.length, 2);
    assert.ok(p1.body.metadata.continue);
    const p2 = await call('GET', `/api/v1/namespaces/default/configmaps?labelSelector=tier&limit=2&continue=${encodeURIComponent(p1.body.metadata.continue)}`);
    const p3 = await call('GET', `/api/v1/namespaces/default/configmaps?labelSelector=tier&limit=2&continue=${encodeURIComponent(p2.body.metadata.continue)}`);
    assert.deepEqual([...p1.body.items, ...p2.body.items, ...p3.body.items].map((i: any) => i.metadata.name), ['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
    assert.equal(p3.body.metadata.continue, undefined);
    const all = await call('GET', '/api/v1/configmaps');
    assert.ok(all.body.items.length >= 5);
  });

  it('answers Tables for kubectl get', async () => {
    await call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'p1' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    const t = await call('GET', '/api/v1/namespaces/default/pods', undefined, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
    assert.equal(t.body.kind, 'Table');
    assert.deepEqual(t.body.columnDefinitions.slice(0, 5).map((c: any) => c.name), ['Name', 'Ready', 'Status', 'Restarts', 'Age']);
    assert.deepEqual(t.body.rows[0].cells.slice(0, 4), ['p1', '0/1', 'Pending', '0']);
    assert.equal(t.body.rows[0].object.kind, 'PartialObjectMetadata');
  });

  it('streams watch events from a resourceVersion', async () => {
    const start = await call('POST', '/api/v1/namespaces/default/configmaps', cm('w1'));
    const ctrl = new AbortController();
    const r = await fetch(`${base()}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${start.body.metadata.resourceVersion}`, { signal: ctrl.signal });
    assert.equal(r.status, 200);
    const reader = r.body!.getReader();
    const u = await call('PUT', '/api/v1/namespaces/default/configmaps/w1', { ...start.body, data: { b: '2' } });
    await call('DELETE', '/api/v1/namespaces/default/configmaps/w1');
    let text = '';
    while (text.split('\n').filter(Boolean).length < 2) {
      const { value } = await reader.read();
      text += Buffer.from(value!).toString();
    }
    const events = text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.deepEqual(events.map((e) => e.type), ['MODIFIED', 'DELETED']);
    assert.equal(events[0].object.metadata.resourceVersion, u.body.metadata.resourceVersion);
    assert.equal(events[0].object.kind, 'ConfigMap');
    ctrl.abort();
  });

  it('allocates ClusterIPs and NodePorts and refuses conflicts', async () => {
    const svc = (name: string, extra: object = {}) => ({ metadata: { name }, spec: { type: 'NodePort', selector: { app: 'x' }, ports: [{ port: 80, ...extra }] } });
    const a = await call('POST', '/api/v1/namespaces/default/services', svc('np-a', { nodePort: 30080 }));
    assert.equal(a.status, 201, JSON.stringify(a.body));
    assert.match(a.body.spec.clusterIP, /^127\.96\./);
    assert.equal(a.body.spec.ports[0].nodePort, 30080);
    assert.equal(a.body.spec.ports[0].targetPort, 80);
    const b = await call('POST', '/api/v1/namespaces/default/services', svc('np-b', { nodePort: 30080 }));
    assert.equal(b.status, 422);
    assert.match(b.body.message, /spec.ports\[0\].nodePort: Invalid value: 30080: provided port is already allocated/);
    const c = await call('POST', '/api/v1/namespaces/default/services', svc('np-c'));
    assert.ok(c.body.spec.ports[0].nodePort >= 30000 && c.body.spec.ports[0].nodePort <= 32767);
    await call('DELETE', '/api/v1/namespaces/default/services/np-a');
    const again = await call('POST', '/api/v1/namespaces/default/services', svc('np-d', { nodePort: 30080 }));
    assert.equal(again.status, 201, 'a deleted Service gives its port back');
  });

  it('deletes pods on a node gracefully and honours finalizers', async () => {
    await call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'g1' }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'nginx' }] } });
    const d = await call('DELETE', '/api/v1/namespaces/default/pods/g1');
    assert.equal(d.status, 200);
    assert.ok(d.body.metadata.deletionTimestamp);
    assert.equal(d.body.metadata.deletionGracePeriodSeconds, 30);
    const now = await call('DELETE', '/api/v1/namespaces/default/pods/g1', { gracePeriodSeconds: 0 });
    assert.equal(now.status, 200);
    assert.equal((await call('GET', '/api/v1/namespaces/default/pods/g1')).status, 404);
    await call('POST', '/api/v1/namespaces/default/configmaps', { ...cm('fin'), metadata: { name: 'fin', finalizers: ['example.com/hold'] } });
    const df = await call('DELETE', '/api/v1/namespaces/default/configmaps/fin');
    assert.ok(df.body.metadata.deletionTimestamp);
    const held = await call('GET', '/api/v1/namespaces/default/configmaps/fin');
    assert.equal(held.status, 200);
    await call('PATCH', '/api/v1/namespaces/default/configmaps/fin', { metadata: { finalizers: null } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal((await call('GET', '/api/v1/namespaces/default/configmaps/fin')).status, 404);
  });

  it('resolves a pod\'s priority from its PriorityClass', async () => {
    const ok = await call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'crit' }, spec: { priorityClassName: 'system-node-critical', containers: [{ name: 'c', image: 'x' }] } });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal(ok.body.spec.priority, 2000001000);
    assert.equal(ok.body.spec.preemptionPolicy, 'PreemptLowerPriority');
    const plain = await call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'plain' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    assert.equal(plain.body.spec.priority, 0);
    const bad = await call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'nope' }, spec: { priorityClassName: 'nope', containers: [{ name: 'c', image: 'x' }] } });
    assert.equal(bad.status, 403);
    assert.match(bad.body.message, /no PriorityClass with name nope was found/);
  });

  it('binds a pod to a node once, with the PodScheduled condition', async () => {
    await call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'b1' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    const bind = (node: string) =>
      call('POST', '/api/v1/namespaces/default/pods/b1/binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'b1' }, target: { apiVersion: 'v1', kind: 'Node', name: node } });
    assert.equal((await bind('n1')).status, 201);
    const pod = (await call('GET', '/api/v1/namespaces/default/pods/b1')).body;
    assert.equal(pod.spec.nodeName, 'n1');
    assert.equal(pod.status.conditions.find((c: any) => c.type === 'PodScheduled').status, 'True');
    const again = await bind('n2');
    assert.equal(again.status, 409);
    assert.match(again.body.message, /pod b1 is already assigned to node "n1"/);
  });

  it('answers access and identity reviews without storing them', async () => {
    const ssar = await call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      spec: { resourceAttributes: { namespace: 'default', verb: 'create', resource: 'pods' } },
    });
    assert.equal(ssar.status, 201);
    assert.equal(ssar.body.status.allowed, true);
    const sar = await call('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { spec: { resourceAttributes: { verb: 'get', resource: 'pods' } } });
    assert.equal(sar.status, 422);
    assert.match(sar.body.message, /at least one of user or group must be specified/);
    const who = await call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1' });
    assert.equal(who.body.status.userInfo.username, 'system:admin');
    const rules = await call('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { spec: { namespace: 'default' } });
    assert.deepEqual(rules.body.status.resourceRules[0].verbs, ['*']);
  });

  it('answers 429 with Retry-After beyond the inflight limit', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((r) => (release = r));
    let first = true;
    const limited = new ApiServer({
      storage: new MemoryBackend(),
      port: 0,
      maxRequestsInflight: 1,
      // The first request after start is held in authorization, occupying the only read slot.
      authz: {
        ...allowAll,
        authorize: async () => {
          if (first) {
            first = false;
            await held;
          }
          return { allowed: true };
        },
      },
      authenticate: () => ({ username: 'u', groups: ['system:authenticated'] }),
    });
    const url = await limited.start();
    try {
      const slow = fetch(`${url}/api/v1/namespaces`);
      await new Promise((r) => setTimeout(r, 50));
      const r = await fetch(`${url}/api/v1/namespaces`);
      assert.equal(r.status, 429);
      assert.equal(r.headers.get('retry-after'), '1');
      assert.equal(((await r.json()) as { reason: string }).reason, 'TooManyRequests');
      release();
      assert.equal((await slow).status, 200);
      assert.equal((await fetch(`${url}/api/v1/namespaces`)).status, 200);
    } finally {
      release();
      await limited.stop();
    }
  });

  it('refuses bad input with a Status and stores nothing', async () => {
    const before = (await call('GET', '/api/v1/namespaces/default/configmaps')).body.items.length;
    const malformed = await call('POST', '/api/v1/namespaces/default/configmaps', '{"metadata": {"name": ');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.kind, 'Status');
    const media = await call('POST', '/api/v1/namespaces/default/configmaps', 'x', { 'Content-Type': 'text/plain' });
    assert.equal(media.status, 415);
    const big = await call('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify(cm('big', { a: 'x'.repeat(4 * 1024 * 1024) })));
    assert.equal(big.status, 413);
    const deep = await call('POST', '/api/v1/namespaces/default/configmaps', '['.repeat(200_000) + ']'.repeat(200_000));
    assert.ok(deep.status >= 400 && deep.status < 500, `deep nesting: ${deep.status}`);
    const wrongKind = await call('POST', '/api/v1/namespaces/default/configmaps', { kind: 'Secret', apiVersion: 'v1', metadata: { name: 'k' } });
    assert.equal(wrongKind.status, 400);
    const after = (await call('GET', '/api/v1/namespaces/default/configmaps')).body.items.length;
    assert.equal(after, before);
    assert.equal((await call('GET', '/api/v1/namespaces/default/nothings')).status, 404);
  });
});
