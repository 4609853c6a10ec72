// The registry store's read-modify-write (upstream GuaranteedUpdate) as clients see it: patches
// retried on conflict apply to the latest object each time, subresource writes change only their
// part, a PUT with a resourceVersion is a precondition, and what informers were sent before a write
// is left as it was.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../storage/memory/memory.ts';
import { SqliteBackend } from '../../storage/sqlite/sqlite.ts';
import { ApiServer } from '../server.ts';
import { KubeClient } from '../../client/client.ts';
import { InProcessTransport } from '../../client/inprocess.ts';
import { InformerFactory } from '../../client/informer.ts';
import { PortTransport, servePort } from '../../client/port.ts';
import { MessageChannel } from 'node:worker_threads';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Obj } from '../../client/types.ts';

const ADMIN = { username: 'system:admin', groups: ['system:masters'] };
const pod = (name: string): Obj => ({
  metadata: { name, labels: { app: 'x' } },
  spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '10m' } } }] },
});

for (const backend of ['memory', 'sqlite'] as const) {
  describe(`store read-modify-write (${backend})`, () => {
    let api: ApiServer;
    let client: KubeClient;
    let dir = '';

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'skiff-store-'));
      const storage = backend === 'memory' ? new MemoryBackend() : new SqliteBackend({ path: join(dir, 'state.db') });
      api = new ApiServer({ storage, port: 0 });
      await api.start();
      client = new KubeClient(new InProcessTransport(api, ADMIN));
      await client.resource('', 'namespaces').create({ metadata: { name: 'rmw' } });
    });
    after(async () => {
      await api.stop();
      await api.storage.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('applies concurrent merge, strategic and JSON patches each to the latest object', async () => {
      const pods = client.pods('rmw');
      const p1 = pod('p1');
      p1.metadata.annotations = { seed: 'x' };
      p1.spec.tolerations = [{ key: 'seed', operator: 'Exists' }];
      await pods.create(p1);
      const n = 6;
      await Promise.all(
        Array.from({ length: n }, (_, i) => {
          if (i % 3 === 0) return pods.patch('p1', 'merge', { metadata: { labels: { [`m${i}`]: 'v' } } });
          if (i % 3 === 1) return pods.patch('p1', 'strategic', { metadata: { labels: { [`s${i}`]: 'v' } } });
          return pods.patch('p1', 'json', [{ op: 'add', path: `/metadata/annotations/j${i}`, value: 'v' }, { op: 'add', path: '/spec/tolerations/-', value: { key: `k${i}`, operator: 'Exists' } }]);
        }),
      );
      const got = await pods.get('p1');
      for (let i = 0; i < n; i++) {
        if (i % 3 === 0) assert.equal(got.metadata.labels[`m${i}`], 'v');
        else if (i % 3 === 1) assert.equal(got.metadata.labels[`s${i}`], 'v');
        else {
          assert.equal(got.metadata.annotations[`j${i}`], 'v');
          assert.equal(got.spec.tolerations.filter((t: Obj) => t.key === `k${i}`).length, 1, `toleration k${i} added once`);
        }
      }
    });

    it('status writes change only status; bindings only the node and PodScheduled; informers keep what they were sent', async () => {
      const pods = client.pods('rmw');
      const informers = new InformerFactory(client);
      const inf = informers.informer('', 'pods');
      const seen: Obj[] = [];
      inf.addEventHandler({ add: (p) => void seen.push(p), update: (_o, p) => void seen.push(p) });
      informers.start();
      await informers.synced();
      try {
        const created = await pods.create(pod('p2'));
        const before = JSON.stringify(created.spec);
        await pods.patch('p2', 'merge', { spec: { nodeName: 'elsewhere' }, status: { phase: 'Pending', message: 'one' } }, { subresource: 'status' });
        let got = await pods.get('p2');
        assert.equal(JSON.stringify(got.spec), before);
        assert.equal(got.status.message, 'one');
        await pods.createSubresource('p2', 'binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p2' }, target: { apiVersion: 'v1', kind: 'Node', name: 'n1' } });
        got = await pods.get('p2');
        assert.equal(got.spec.nodeName, 'n1');
        assert.equal(got.status.message, 'one');
        await pods.patch('p2', 'merge', { status: { message: 'two' } }, { subresource: 'status' });
        got = await pods.get('p2');
        assert.equal(got.status.message, 'two');
        assert.equal(got.spec.nodeName, 'n1');
        const deadline = Date.now() + 5000;
        while (Date.now() < deadline && inf.get('rmw', 'p2')?.status?.message !== 'two') await new Promise((r) => setTimeout(r, 5));
        const mine = seen.filter((p) => p.metadata.name === 'p2');
        // Every version the informer was sent is as it was when sent.
        assert.deepEqual(
          mine.map((p) => [p.spec.nodeName ?? '', p.status?.message ?? '']),
          [
            ['', ''],
            ['', 'one'],
            ['n1', 'one'],
            ['n1', 'two'],
          ],
        );
      } finally {
        informers.stop();
      }
    });

    it('core Events are seen through events.k8s.io/v1 lists, gets and watches, converted', async () => {
      const core = client.resource('', 'events', 'rmw');
      const ev = client.resource('events.k8s.io', 'events', 'rmw');
      const stream = await ev.watch({ resourceVersion: (await ev.list()).metadata.resourceVersion });
      const body = (name: string) => ({
        metadata: { name },
        involvedObject: { kind: 'Pod', namespace: 'rmw', name: 'p1' },
        reason: 'Scheduled',
        message: `Successfully assigned rmw/${name}`,
        type: 'Normal',
        source: { component: 'default-scheduler' },
        count: 1,
      });
      await core.create(body('e1'));
      await core.create(body('e2'));
      await core.patch('e1', 'merge', { count: 2 });
      await core.delete('e2');
      const seen: [string, string, string, number][] = [];
      for await (const e of stream) {
        seen.push([e.type, e.object.metadata.name, e.object.note, e.object.deprecatedCount]);
        if (seen.length === 4) break;
      }
      stream.close();
      assert.deepEqual(seen, [
        ['ADDED', 'e1', 'Successfully assigned rmw/e1', 1],
        ['ADDED', 'e2', 'Successfully assigned rmw/e2', 1],
        ['MODIFIED', 'e1', 'Successfully assigned rmw/e1', 2],
        ['DELETED', 'e2', 'Successfully assigned rmw/e2', 1],
      ]);
      const list = await ev.list({ resourceVersion: '0' });
      assert.deepEqual(list.items.map((e: Obj) => [e.metadata.name, e.regarding?.name, e.deprecatedCount]), [['e1', 'p1', 2]]);
      const got = await ev.get('e1', { resourceVersion: '0' });
      assert.equal(got.reason, 'Scheduled');
      assert.equal(got.regarding.name, 'p1');
    });

    it('a PUT with a stale resourceVersion is a conflict and changes nothing; with the current one it writes', async () => {
      const cms = client.resource('', 'configmaps', 'rmw');
      const v1 = await cms.create({ metadata: { name: 'c1' }, data: { a: '1' } });
      const v2 = await cms.update({ ...v1, data: { a: '2' } });
      await assert.rejects(cms.update({ ...v1, data: { a: '3' } }), (e: Error & { code?: number }) => e.code === 409);
      assert.equal((await cms.get('c1')).data.a, '2');
      const v3 = await cms.update({ ...v2, data: { a: '4' } });
      assert.equal(v3.data.a, '4');
      assert.notEqual(v3.metadata.resourceVersion, v2.metadata.resourceVersion);
      // Without a resourceVersion it is unconditional.
      const { resourceVersion: _rv, ...meta } = v1.metadata;
      const v4 = await cms.update({ ...v1, metadata: meta, data: { a: '5' } });
      assert.equal(v4.data.a, '5');
    });

    it('watchers that never read managedFields get every event without them and otherwise the same', async () => {
      const { port1, port2 } = new MessageChannel();
      const stop = servePort(api, port1, ADMIN);
      const slim = new PortTransport(port2, { withoutManagedFields: true });
      const pods = client.pods('rmw');
      const rv = (await pods.list()).metadata.resourceVersion;
      const take = async (c: KubeClient, n: number) => {
        const out: Obj[] = [];
        const stream = await c.pods('rmw').watch({ resourceVersion: rv });
        for await (const ev of stream) if (out.push(ev.object) === n) break;
        return out;
      };
      const seen = Promise.all([take(client, 3), take(new KubeClient(slim), 3)]);
      await pods.create(pod('slim'), { fieldManager: 'maker' });
      await pods.patch('slim', 'merge', { status: { phase: 'Running' } }, { subresource: 'status', fieldManager: 'runner' });
      await pods.patch('slim', 'merge', { metadata: { labels: { more: 'yes' } } }, { fieldManager: 'labeller' });
      const [full, without] = await seen;
      assert.deepEqual(full!.map((o) => o.metadata.managedFields.map((e: Obj) => e.manager).sort()), [['maker'], ['maker', 'runner'], ['labeller', 'maker', 'runner']]);
      for (let i = 0; i < 3; i++) {
        const { managedFields: _mf, ...meta } = full![i]!.metadata;
        assert.deepEqual(without![i], { ...full![i], metadata: meta });
      }
      slim.close();
      stop();
    });
  });
}
