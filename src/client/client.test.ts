// The client layer against a real API server, in-process and over HTTP: typed calls with the
// server's errors, informers that list, watch, index and re-list, the work queue's guarantees,
// expectations and leader election with an injected clock.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../storage/memory/memory.ts';
import { ApiServer } from '../apiserver/server.ts';
import { FakeClock } from '../machinery/clock.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../machinery/errors.ts';
import { KubeClient } from './client.ts';
import { InProcessTransport } from './inprocess.ts';
import { HttpTransport } from './http.ts';
import { Informer } from './informer.ts';
import { WorkQueue, ItemExponentialFailureRateLimiter } from './workqueue.ts';
import { Expectations } from './expectations.ts';
import { LeaderElector } from './leaderelection.ts';
import type { Obj } from './types.ts';

let api: ApiServer;
let url: string;
const admin = { username: 'system:admin', groups: ['system:masters'] };

before(async () => {
  api = new ApiServer({ storage: new MemoryBackend(), port: 0 });
  url = await api.start();
});
after(async () => {
  await api.stop();
  await api.storage.close();
});

async function until(cond: () => boolean, what: string, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

for (const transport of ['in-process', 'http'] as const) {
  describe(`client over ${transport}`, () => {
    let c: KubeClient;
    before(() => {
      c = new KubeClient(transport === 'http' ? new HttpTransport({ server: url }) : new InProcessTransport(api, admin));
    });
    after(() => c.close());

    it('creates, reads, updates, patches and deletes, with the server\'s errors', async () => {
      const cms = c.resource('', 'configmaps', 'default');
      const name = `c-${transport}`;
      const made = await cms.create({ metadata: { name }, data: { a: '1' } });
      assert.ok(made.metadata.uid);
      await assert.rejects(cms.create({ metadata: { name } }), (e) => isAlreadyExists(e));
      const got = await cms.get(name);
      const upd = await cms.update({ ...got, data: { a: '2' } });
      await assert.rejects(cms.update({ ...got, data: { a: '3' } }), (e) => isConflict(e));
      const patched = await cms.patch(name, 'merge', { data: { b: '3' } });
      assert.deepEqual(patched.data, { a: '2', b: '3' });
      assert.notEqual(upd.metadata.resourceVersion, got.metadata.resourceVersion);
      const list = await c.resource('', 'configmaps').list({ fieldSelector: `metadata.name=${name}` });
      assert.equal(list.items.length, 1);
      await cms.delete(name);
      await assert.rejects(cms.get(name), (e) => isNotFound(e));
    });

    it('informs: lists, then watches, with indexes', async () => {
      const pods = c.pods('default');
      const inf = new Informer(c.resource('', 'pods'));
      inf.addIndex('node', (p: Obj) => [p.spec?.nodeName ?? '']);
      const seen: string[] = [];
      inf.addEventHandler({ add: (p) => seen.push(`add ${p.metadata.name}`), update: (_o, n) => seen.push(`update ${n.metadata.name}`), delete: (p) => seen.push(`delete ${p.metadata.name}`) });
      const pod = (name: string, node?: string) => ({ metadata: { name }, spec: { ...(node ? { nodeName: node } : {}), containers: [{ name: 'c', image: 'x' }] } });
      await pods.create(pod(`before-${transport}`, 'n1'));
      inf.start();
      await inf.synced();
      assert.ok(inf.get('default', `before-${transport}`));
      await pods.create(pod(`after-${transport}`, 'n2'));
      await until(() => inf.get('default', `after-${transport}`) !== undefined, 'the watch to deliver the new pod');
      assert.deepEqual(inf.byIndex('node', 'n2').map((p) => p.metadata.name), [`after-${transport}`]);
      await pods.patch(`after-${transport}`, 'merge', { metadata: { labels: { x: 'y' } } });
      await until(() => inf.get('default', `after-${transport}`)?.metadata.labels?.x === 'y', 'the update');
      await pods.delete(`after-${transport}`, { gracePeriodSeconds: 0 });
      await until(() => inf.get('default', `after-${transport}`) === undefined, 'the delete');
      assert.deepEqual(inf.byIndex('node', 'n2'), []);
      assert.ok(seen.includes(`add before-${transport}`) && seen.includes(`update after-${transport}`) && seen.includes(`delete after-${transport}`));
      inf.stop();
    });
  });
}

describe('work queue', () => {
  it('hands a key to one worker at a time and re-queues a key added while processing', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    q.add('a');
    q.add('b');
    assert.equal(q.length, 2, 'duplicates collapse');
    const k = await q.get();
    assert.equal(k, 'a');
    q.add('a'); // while processing
    assert.equal(await q.get(), 'b');
    q.done('b');
    q.done('a');
    assert.equal(await q.get(), 'a', 'a comes back once done');
    q.done('a');
    q.shutDown();
    assert.equal(await q.get(), undefined);
  });

  it('backs off exponentially per key on the injected clock', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, rateLimiter: new ItemExponentialFailureRateLimiter(5, 1000) });
    q.addRateLimited('k'); // 5 ms
    q.addRateLimited('k'); // 10 ms, but the earlier 5 ms wins
    assert.equal(q.length, 0);
    clock.advance(5);
    assert.equal(q.length, 1);
    const k = (await q.get())!;
    q.done(k);
    q.addRateLimited(k); // third failure: 20 ms
    clock.advance(19);
    assert.equal(q.length, 0);
    clock.advance(1);
    assert.equal(q.length, 1);
    assert.equal(q.numRequeues('k'), 3);
    q.forget('k');
    assert.equal(q.numRequeues('k'), 0);
    q.shutDown();
  });
});

describe('expectations', () => {
  it('holds a key until its creations are observed or expire', () => {
    const clock = new FakeClock();
    const e = new Expectations(clock);
    assert.ok(e.satisfied('rs'));
    e.expectCreations('rs', 2);
    assert.ok(!e.satisfied('rs'));
    e.creationObserved('rs');
    assert.ok(!e.satisfied('rs'));
    e.creationObserved('rs');
    assert.ok(e.satisfied('rs'));
    e.expectDeletions('rs', 1);
    clock.advance(5 * 60_000 + 1);
    assert.ok(e.satisfied('rs'), 'expired expectations no longer hold the key');
  });
});

describe('leader election', () => {
  it('gives the lease to one candidate and hands it over when the leader stops renewing', async () => {
    const clock = new FakeClock(Date.now());
    const c = new KubeClient(new InProcessTransport(api, admin));
    const mk = (identity: string) =>
      new LeaderElector(c, { name: 'test-lock', identity, clock, onStartedLeading() {}, onStoppedLeading() {} });
    const a = mk('a');
    const b = mk('b');
    assert.equal(await a.tryAcquireOrRenew(), true);
    assert.equal(await b.tryAcquireOrRenew(), false);
    clock.advance(5_000);
    assert.equal(await a.tryAcquireOrRenew(), true, 'the holder renews');
    clock.advance(16_000);
    assert.equal(await b.tryAcquireOrRenew(), true, 'an expired lease can be taken');
    const lease = await c.leases('kube-system').get('test-lock');
    assert.equal(lease.spec.holderIdentity, 'b');
    assert.equal(lease.spec.leaseTransitions, 1);
    assert.equal(await a.tryAcquireOrRenew(), false);
  });
});
