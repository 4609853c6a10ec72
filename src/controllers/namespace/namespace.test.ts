// The namespace controller against the in-process API server: deleting a namespace deletes its
// contents (waiting for graceful pods and finalizers, reported in status.conditions as upstream),
// then finalizes the namespace so that it goes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Obj } from '../../client/types.ts';
import { namespaceController } from './index.ts';
import { startEnv, gone, type TestEnv } from '../garbagecollector/testenv.ts';

let env: TestEnv;
before(async () => {
  env = await startEnv([namespaceController]);
});
after(() => env.close());

const pod = (name: string, nodeName?: string) => ({ metadata: { name }, spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'nginx' }] } });

function condition(ns: Obj, type: string): Obj | undefined {
  return ns.status?.conditions?.find((c: Obj) => c.type === type);
}

describe('namespace controller', () => {
  it('deletes the contents, then the namespace', async () => {
    const namespaces = env.client.resource('', 'namespaces');
    await namespaces.create({ metadata: { name: 'team-a' } });
    await env.client.resource('', 'configmaps', 'team-a').create({ metadata: { name: 'settings' }, data: { a: '1' } });
    await env.client.pods('team-a').create(pod('pending'));
    await env.client.resource('apps', 'deployments', 'team-a').create({
      metadata: { name: 'web' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    await namespaces.delete('team-a');
    await env.until(() => gone(namespaces.get('team-a')), 'the namespace to go');
    assert.equal((await env.client.resource('', 'configmaps', 'team-a').list()).items.length, 0);
    assert.equal((await env.client.pods('team-a').list()).items.length, 0);
    assert.equal((await env.client.resource('apps', 'deployments', 'team-a').list()).items.length, 0);
  });

  it('waits for gracefully terminating pods and for finalizers, saying so in the conditions', async () => {
    const namespaces = env.client.resource('', 'namespaces');
    await namespaces.create({ metadata: { name: 'team-b' } });
    await env.client.pods('team-b').create(pod('running', 'node-1'));
    await env.client.resource('', 'configmaps', 'team-b').create({ metadata: { name: 'held', finalizers: ['example.com/hold'] } });
    await namespaces.delete('team-b');

    await env.until(async () => condition(await namespaces.get('team-b'), 'NamespaceContentRemaining')?.status === 'True', 'the conditions');
    const ns = await namespaces.get('team-b');
    assert.equal(ns.status.phase, 'Terminating');
    assert.deepEqual(
      ns.status.conditions.map((c: Obj) => [c.type, c.status, c.reason]),
      [
        ['NamespaceDeletionDiscoveryFailure', 'False', 'ResourcesDiscovered'],
        ['NamespaceDeletionGroupVersionParsingFailure', 'False', 'ParsedGroupVersions'],
        ['NamespaceDeletionContentFailure', 'False', 'ContentDeleted'],
        ['NamespaceContentRemaining', 'True', 'SomeResourcesRemain'],
        ['NamespaceFinalizersRemaining', 'True', 'SomeFinalizerRemain'],
      ],
    );
    assert.equal(condition(ns, 'NamespaceContentRemaining')!.message, 'Some resources are remaining: configmaps. has 1 resource instances, pods. has 1 resource instances');
    assert.equal(condition(ns, 'NamespaceFinalizersRemaining')!.message, 'Some finalizers are remaining: example.com/hold in 1 resource instances');
    assert.deepEqual(ns.spec.finalizers, ['kubernetes']);

    // The pod was asked to stop; the node agent finishes it.
    const p = await env.client.pods('team-b').get('running');
    assert.ok(p.metadata.deletionTimestamp);
    await env.client.pods('team-b').delete('running', { gracePeriodSeconds: 0 });
    // Whoever owns the finalizer lets the config map go.
    await env.client.resource('', 'configmaps', 'team-b').patch('held', 'merge', { metadata: { finalizers: null } });
    await env.until(() => gone(namespaces.get('team-b')), 'the namespace to go', 1000);
  });

  it('leaves namespaces that are not being deleted alone', async () => {
    const namespaces = env.client.resource('', 'namespaces');
    await namespaces.create({ metadata: { name: 'team-c' } });
    await env.client.resource('', 'configmaps', 'team-c').create({ metadata: { name: 'keep' } });
    env.clock.advance(60_000);
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(await env.client.resource('', 'configmaps', 'team-c').get('keep'));
    assert.equal((await namespaces.get('team-c')).status.phase, 'Active');
  });
});
