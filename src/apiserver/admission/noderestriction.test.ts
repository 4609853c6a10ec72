// NodeRestriction through the API server: a kubelet identity may only change its own Node (not
// its taints or restricted labels), create mirror pods bound to itself, delete and update status
// of its own pods, and use its own Lease; messages as upstream's.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../storage/memory/memory.ts';
import { ApiServer } from '../server.ts';
import { Admission } from '../admission.ts';
import { KubeClient } from '../../client/client.ts';
import { InProcessTransport } from '../../client/inprocess.ts';
import { StatusError } from '../../machinery/errors.ts';
import { nodeRestriction, forbiddenNodeLabels } from './noderestriction.ts';

let api: ApiServer;
let admin: KubeClient;
let kubelet: KubeClient;
before(async () => {
  api = new ApiServer({ storage: new MemoryBackend(), port: 0, admission: new Admission([]), compactionIntervalMs: 0 });
  api.admission.plugins.push(nodeRestriction({ nodes: () => api.store('', 'nodes')!, pods: () => api.store('', 'pods')! }));
  await api.start();
  admin = new KubeClient(new InProcessTransport(api, { username: 'system:admin', groups: ['system:masters'] }));
  kubelet = new KubeClient(new InProcessTransport(api, { username: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] }));
  for (const n of ['n1', 'n2']) await admin.nodes().create({ apiVersion: 'v1', kind: 'Node', metadata: { name: n } });
  for (const [p, n] of [['mine', 'n1'], ['theirs', 'n2']]) {
    await admin.pods('default').create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: p }, spec: { nodeName: n, containers: [{ name: 'c', image: 'busybox' }] } });
  }
});
after(async () => {
  admin.close();
  kubelet.close();
  await api.stop();
  await api.storage.close();
});

async function refused(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof StatusError, String(e));
    return e;
  }
  assert.fail('expected the request to be refused');
}

describe('NodeRestriction', () => {
  it('lets a node change only its own Node, not taints or restricted labels', async () => {
    const other = await kubelet.nodes().get('n2');
    const e = await refused(kubelet.nodes().update({ ...other, metadata: { ...other.metadata, labels: { a: 'b' } } }));
    assert.equal(e.code, 403);
    assert.equal(e.message, 'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
    const me = await kubelet.nodes().get('n1');
    const ok = await kubelet.nodes().update({ ...me, metadata: { ...me.metadata, labels: { 'kubernetes.io/hostname': 'n1', 'node.kubernetes.io/exclude-from-external-load-balancers': '', team: 'a' } } });
    assert.equal(ok.metadata.labels.team, 'a');
    const role = await refused(kubelet.nodes().update({ ...ok, metadata: { ...ok.metadata, labels: { ...ok.metadata.labels, 'node-role.kubernetes.io/control-plane': '' } } }));
    assert.equal(role.message, 'nodes "n1" is forbidden: is not allowed to modify labels: node-role.kubernetes.io/control-plane');
    const taint = await refused(kubelet.nodes().update({ ...ok, spec: { ...ok.spec, taints: [{ key: 'x', effect: 'NoSchedule' }] } }));
    assert.equal(taint.message, 'nodes "n1" is forbidden: node "n1" is not allowed to modify taints');
  });

  it('lets a node create only mirror pods bound to itself', async () => {
    const pod = (name: string, meta: Record<string, unknown> = {}, spec: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, ...meta }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }], ...spec } });
    const plain = await refused(kubelet.pods('default').create(pod('plain')));
    assert.equal(plain.message, 'pods "plain" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "n1" can only create mirror pods');
    const n1 = await admin.nodes().get('n1');
    const mirror = { annotations: { 'kubernetes.io/config.mirror': 'x' }, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: n1.metadata.uid, controller: true }] };
    const elsewhere = await refused(kubelet.pods('default').create(pod('away', mirror, { nodeName: 'n2' })));
    assert.equal(elsewhere.message, 'pods "away" is forbidden: node "n1" can only create pods with spec.nodeName set to itself');
    const secret = await refused(kubelet.pods('default').create(pod('sec', mirror, { volumes: [{ name: 's', secret: { secretName: 's' } }] })));
    assert.equal(secret.message, 'pods "sec" is forbidden: node "n1" can not create pods that reference secrets');
    await kubelet.pods('default').create(pod('static', mirror));
  });

  it('lets a node delete and update the status of only its own pods', async () => {
    const e = await refused(kubelet.pods('default').delete('theirs'));
    assert.equal(e.message, 'pods "theirs" is forbidden: node "n1" can only delete pods with spec.nodeName set to itself');
    const theirs = await kubelet.pods('default').get('theirs');
    const s = await refused(kubelet.pods('default').updateStatus({ ...theirs, status: { phase: 'Running' } }));
    assert.equal(s.message, 'pods "theirs" is forbidden: node "n1" can only update pod status for pods with spec.nodeName set to itself');
    const mine = await kubelet.pods('default').get('mine');
    await kubelet.pods('default').updateStatus({ ...mine, status: { phase: 'Running' } });
    await kubelet.pods('default').delete('mine');
  });

  it('lets a node use only its own Lease in kube-node-lease', async () => {
    const lease = (name: string) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name }, spec: { holderIdentity: name } });
    const other = await refused(kubelet.leases('kube-node-lease').create(lease('n2')));
    assert.equal(other.message, 'leases.coordination.k8s.io "n2" is forbidden: can only access node lease with the same name as the requesting node');
    const wrongNs = await refused(kubelet.leases('default').create(lease('n1')));
    assert.equal(wrongNs.message, 'leases.coordination.k8s.io "n1" is forbidden: can only access leases in the "kube-node-lease" system namespace');
    await kubelet.leases('kube-node-lease').create(lease('n1'));
  });

  it('does not restrict other users', async () => {
    await admin.pods('default').delete('theirs');
  });

  it('knows the kubelet label set', () => {
    assert.deepEqual(forbiddenNodeLabels(['kubernetes.io/hostname', 'kubelet.kubernetes.io/x', 'example.com/a', 'node-restriction.kubernetes.io/pool', 'foo.k8s.io/x', 'node-role.kubernetes.io/worker']), [
      'foo.k8s.io/x',
      'node-restriction.kubernetes.io/pool',
      'node-role.kubernetes.io/worker',
    ]);
  });

  it('lets a node evict only pods bound to itself', async () => {
    const evict = (name: string) =>
      kubelet.transport.request({ method: 'POST', path: `/api/v1/namespaces/default/pods/${name}/eviction`, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name } }) });
    const theirs = await evict('theirs');
    assert.equal(theirs.status, 403);
    assert.equal(JSON.parse(theirs.body.toString()).message, 'pods "theirs" is forbidden: node n1 can only evict pods with spec.nodeName set to itself');
    assert.equal((await evict('nowhere')).status, 404);
    await admin.pods('default').create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'mine-to-evict' }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] } });
    assert.equal((await evict('mine-to-evict')).status, 201);
  });
});
