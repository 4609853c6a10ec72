// A cluster's network namespace: its ranges are local (bindable) in there and not on the host,
// process-runtime containers and execs (isolated and plain) run in it, and deleting it leaves
// nothing behind. Root only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { deleteNetns, ensureNetns, isRoot, listNetns, netnsName } from './netns.ts';
import { ProcessRuntime } from '../kubelet/runtime/process/process.ts';

test('netnsName is short, stable and prefixed', () => {
  assert.equal(netnsName('/subscriptions/x/resourceGroups/RG/providers/p/managedClusters/c'), netnsName('/subscriptions/x/resourcegroups/rg/providers/p/managedclusters/c'));
  assert.match(netnsName('a'), /^skiff-[0-9a-f]{10}$/);
});

test('a namespace with local ranges runs the process runtime\'s containers and execs', { skip: !isRoot() && 'needs root' }, async () => {
  const name = `skiff-test-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'skiff-netns-'));
  const path = await ensureNetns(name, ['10.250.0.0/24']);
  await ensureNetns(name, ['10.250.0.0/24']); // idempotent
  try {
    assert.ok(listNetns().includes(name));
    const local = execFileSync('ip', ['-n', name, 'route', 'show', 'table', 'local'], { encoding: 'utf8' });
    assert.match(local, /local 10\.250\.0\.0\/24 dev lo/);
    assert.doesNotMatch(execFileSync('ip', ['route', 'show', 'table', 'local'], { encoding: 'utf8' }), /10\.250\.0\.0/);
    const nsInode = readlinkSync('/proc/self/ns/net');
    for (const isolate of [true, false] as const) {
      const rt = new ProcessRuntime({ netns: path, isolate: isolate ? 'auto' : false, cgroupParent: `skiff-test-${process.pid}` });
      const sb = await rt.runPodSandbox({ uid: `00000000-0000-4000-8000-00000000000${isolate ? 1 : 2}`, namespace: 'default', name: 'p', ip: '10.250.0.7', hostname: 'p', dir: join(dir, String(isolate)) });
      const id = await rt.createContainer(sb, { name: 'c', image: 'busybox', command: ['sleep', '30'], args: [], env: {}, mounts: [], logPath: join(dir, `${isolate}.log`) });
      await rt.startContainer(id);
      const pid = (await rt.containerStatus(id)).pid!;
      // A plain container's pid is nsenter's until it has joined the namespace and exec'd.
      for (let i = 0; i < 100 && readlinkSync(`/proc/${pid}/ns/net`) === nsInode; i++) await new Promise((r) => setTimeout(r, 10));
      assert.notEqual(readlinkSync(`/proc/${pid}/ns/net`), nsInode, `the container (${isolate ? 'isolated' : 'plain'}) is not in the host network namespace`);
      assert.equal(readlinkSync(`/proc/${pid}/ns/net`), execFileSync('ip', ['netns', 'exec', name, 'readlink', '/proc/self/ns/net'], { encoding: 'utf8' }).trim());
      let out = '';
      const stdout = new Writable({ write: (c, _e, cb) => ((out += c.toString()), cb()) });
      const r = await rt.exec(id, { cmd: ['ip', 'route', 'show', 'table', 'local'], stdout });
      assert.equal(r.exitCode, 0);
      assert.match(out, /10\.250\.0\.0\/24/, `exec (${isolate ? 'isolated' : 'plain'}) sees the namespace's routes`);
      await rt.close();
    }
  } finally {
    await deleteNetns(name);
    await deleteNetns(name); // no error when gone
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(listNetns().includes(name), false);
});
