// The etcd backend runs the storage conformance suite against a real etcd (Debian's
// etcd-server) started on a loopback port for this file and stopped afterwards.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runBackendConformance } from '../backend.case.ts';
import { EtcdBackend } from './etcd.ts';
import { startEtcd, type EtcdServer } from './testserver.ts';
import { openStorage } from '../index.ts';

let server: EtcdServer | undefined;
let n = 0;

runBackendConformance('etcd', {
  setup: async () => {
    server = await startEtcd();
  },
  teardown: async () => {
    await server?.stop();
  },
  make: async () => {
    const backend = new EtcdBackend({ endpoints: [server!.endpoint], prefix: `/case-${n++}` });
    return { backend, cleanup: () => backend.close() };
  },
});

describe('etcd backend', () => {
  let srv: EtcdServer;
  before(async () => {
    srv = await startEtcd();
  });
  after(async () => {
    await srv.stop();
  });

  it('lays keys out as Kubernetes does, under the configured prefix', async () => {
    const url = `etcd://${new URL(srv.endpoint).host}/skiff/c1`;
    const s = openStorage(url) as EtcdBackend;
    await s.create('/registry/pods/default/web', Buffer.from('{"kind":"Pod"}'));
    const raw = await s.client.get('/skiff/c1/registry/pods/default/web').string();
    assert.equal(raw, '{"kind":"Pod"}');
    const listed = await s.list('/registry/pods/');
    assert.deepEqual(listed.kvs.map((k) => k.key), ['/registry/pods/default/web']);
    await s.close();
  });
});
