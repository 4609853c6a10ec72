// The service account controller against the in-process API server: a `default` ServiceAccount in
// every namespace, made again when deleted, and none in a namespace being deleted.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serviceAccountController } from './index.ts';
import { startEnv, gone, type TestEnv } from '../garbagecollector/testenv.ts';

let env: TestEnv;
before(async () => {
  env = await startEnv([serviceAccountController]);
});
after(() => env.close());

describe('service account controller', () => {
  it('makes a default ServiceAccount in every namespace, including the built-in ones', async () => {
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      await env.until(async () => !(await gone(env.client.resource('', 'serviceaccounts', ns).get('default'))), `default SA in ${ns}`);
    }
    await env.client.resource('', 'namespaces').create({ metadata: { name: 'apps' } });
    await env.until(async () => !(await gone(env.client.resource('', 'serviceaccounts', 'apps').get('default'))), 'default SA in a new namespace');
  });

  it('makes it again when it is deleted', async () => {
    const sas = env.client.resource('', 'serviceaccounts', 'apps');
    const before = await sas.get('default');
    await sas.delete('default');
    await env.until(async () => {
      try {
        return (await sas.get('default')).metadata.uid !== before.metadata.uid;
      } catch {
        return false;
      }
    }, 'a new default SA');
    assert.equal((await sas.list()).items.length, 1);
  });

  it('leaves a terminating namespace alone', async () => {
    await env.client.resource('', 'namespaces').create({ metadata: { name: 'going' } });
    const sas = env.client.resource('', 'serviceaccounts', 'going');
    await env.until(async () => !(await gone(sas.get('default'))), 'default SA');
    await env.client.resource('', 'namespaces').delete('going');
    await sas.delete('default');
    env.clock.advance(1000);
    await new Promise((r) => setTimeout(r, 30));
    assert.ok(await gone(sas.get('default')));
  });
});
