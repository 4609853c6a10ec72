// The message-port transport against a real API server: requests and their errors, watches (events,
// a refused watch, closing one ends it on the server), and closing the transport.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import type { ApiServer } from '../apiserver/server.ts';
import { KubeClient } from './client.ts';
import { PortTransport, servePort } from './port.ts';
import { admin, memoryApi } from './testing.ts';
import type { WatchEvent } from './types.ts';

describe('PortTransport', () => {
  let api: ApiServer;
  let transport: PortTransport;
  let client: KubeClient;
  let unserve: () => void;
  let stopApi: () => Promise<void>;
  before(async () => {
    ({ api, stop: stopApi } = await memoryApi());
    // Both ends on this thread: a port works the same whichever thread holds its other end.
    const { port1, port2 } = new MessageChannel();
    unserve = servePort(api, port1, admin);
    transport = new PortTransport(port2);
    client = new KubeClient(transport);
  });
  after(async () => {
    unserve();
    transport.close();
    await stopApi();
  });

  it('creates, reads and patches through the server, with its errors', async () => {
    const cms = client.resource('', 'configmaps', 'default');
    const made = await cms.create({ metadata: { name: 'a' }, data: { k: 'v' } });
    assert.equal(made.metadata.namespace, 'default');
    assert.ok(made.metadata.uid);
    assert.deepEqual((await cms.get('a')).data, { k: 'v' });
    await assert.rejects(cms.create({ metadata: { name: 'a' } }), (e: any) => e.code === 409 && /configmaps "a" already exists/.test(e.message));
    await assert.rejects(cms.get('missing'), (e: any) => e.code === 404 && e.reason === 'NotFound');
    const patched = await cms.patch('a', 'merge', { data: { k: 'w' } });
    assert.equal(patched.data.k, 'w');
    // The server's chain applies: a name that is not a DNS subdomain is refused with field causes.
    await assert.rejects(cms.create({ metadata: { name: 'Bad_Name' } }), (e: any) => e.code === 422 && e.status.details?.causes?.[0]?.field === 'metadata.name');
  });

  it('streams watch events, and closing the watch ends it on the server', async () => {
    const cms = client.resource('', 'configmaps', 'watched');
    await client.resource('', 'namespaces').create({ metadata: { name: 'watched' } });
    const rv = (await cms.list()).metadata.resourceVersion;
    const stream = await cms.watch({ resourceVersion: rv });
    const seen: WatchEvent[] = [];
    const reading = (async () => {
      for await (const ev of stream) {
        seen.push(ev);
        if (seen.length === 3) break;
      }
    })();
    await cms.create({ metadata: { name: 'w' } });
    await cms.patch('w', 'merge', { data: { x: '1' } });
    await cms.delete('w');
    await reading;
    assert.deepEqual(
      seen.map((e) => [e.type, e.object.metadata.name]),
      [
        ['ADDED', 'w'],
        ['MODIFIED', 'w'],
        ['DELETED', 'w'],
      ],
    );
    assert.equal(seen[1]!.object.data.x, '1');
    // break closed the stream: the server drops its watcher.
    const store = api.store('', 'configmaps')!;
    for (let i = 0; i < 100 && store.cache.watcherCount > 0; i++) await new Promise((r) => setImmediate(r));
    assert.equal(store.cache.watcherCount, 0);
  });

  it('leaves managedFields out of the watch events of a transport whose watchers never read them', async () => {
    const { port1, port2 } = new MessageChannel();
    const stop = servePort(api, port1, admin);
    const slim = new PortTransport(port2, { withoutManagedFields: true });
    const cms = client.resource('', 'configmaps', 'watched');
    const rv = (await cms.list()).metadata.resourceVersion;
    const first = async (c: KubeClient) => {
      const stream = await c.resource('', 'configmaps', 'watched').watch({ resourceVersion: rv });
      for await (const ev of stream) {
        stream.close();
        return ev;
      }
      throw new Error('no event');
    };
    const events = Promise.all([first(client), first(new KubeClient(slim))]);
    const made = await cms.create({ metadata: { name: 'slim', labels: { a: 'b' } }, data: { k: 'v' } }, { fieldManager: 'tester' });
    const [full, without] = await events;
    assert.equal(full!.object.metadata.managedFields[0].manager, 'tester');
    assert.equal(without!.object.metadata.managedFields, undefined);
    // Everything else is the object as written, resourceVersion included.
    const { managedFields: _mf, ...meta } = made.metadata;
    assert.deepEqual(without!.object, { ...made, metadata: meta });
    slim.close();
    stop();
  });

  it('rejects a watch the server refuses', async () => {
    await assert.rejects(client.resource('', 'configmaps', 'default').watch({ fieldSelector: 'spec.nope=1' }), (e: any) => e.code === 400);
  });

  it('fails what is in flight when closed, and refuses calls after', async () => {
    const { port1, port2 } = new MessageChannel();
    const stop = servePort(api, port1, admin);
    const t = new PortTransport(port2);
    const c = new KubeClient(t);
    const stream = await c.resource('', 'configmaps', 'default').watch({});
    const pending = c.resource('', 'configmaps', 'default').list();
    t.close();
    await assert.rejects(pending, /closed/);
    // The stream ends (after what it had already received).
    let n = 0;
    for await (const _ of stream) n++;
    assert.ok(n <= 1);
    await assert.rejects(c.resource('', 'configmaps', 'default').get('a'), /closed/);
    stop();
  });
});
