// The process runtime against the shared ContainerRuntime conformance suite, isolated (when this
// machine allows) and plain, plus what is specific to it: cgroup limits and their cleanup, and an
// ephemeral container joining its target's pid namespace.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runtimeConformance } from '../runtime.case.ts';
import { detectIsolation } from './cgroup.ts';
import { ProcessRuntime } from './process.ts';

const cgroupParent = `skiff-test-${process.pid}`;

runtimeConformance('process (isolated when available)', {
  create: () => new ProcessRuntime({ cgroupParent }),
  isolated: (rt) => (rt as ProcessRuntime).isolated,
  podIPPrefix: '127.244.251',
});

runtimeConformance('process (plain child processes)', {
  create: () => new ProcessRuntime({ isolate: false }),
  isolated: () => false,
  podIPPrefix: '127.244.252',
});

describe('process runtime specifics', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-proc-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('says which isolation it gives', () => {
    assert.equal(new ProcessRuntime({ isolate: false }).isolation, 'none (disabled)');
    const det = detectIsolation();
    const rt = new ProcessRuntime({ cgroupParent });
    assert.equal(rt.isolation, det.description);
    assert.equal(rt.version, 'process://0.1.0');
    if (process.getuid?.() !== 0) assert.equal(det.description, 'none (not root)');
  });

  it('applies memory and cpu limits to the container cgroup and removes every cgroup it made', async (t) => {
    const rt = new ProcessRuntime({ cgroupParent });
    if (!rt.isolated) return t.skip(`needs isolation: ${rt.isolation}`);
    const uid = 'aaaaaaaa-0000-4000-8000-000000000001';
    const sb = await rt.runPodSandbox({ uid, namespace: 'default', name: 'limits', ip: '127.244.253.2', hostname: 'limits', dir: join(dir, 'p') });
    const id = await rt.createContainer(sb, {
      name: 'c',
      image: 'busybox',
      command: ['sleep', '30'],
      args: [],
      env: {},
      mounts: [],
      memoryLimit: 64 * 1024 * 1024,
      cpuLimitMilli: 250,
      cpuRequestMilli: 100,
      logPath: join(dir, 'c.log'),
    });
    await rt.startContainer(id);
    const mem = `/sys/fs/cgroup/memory/${cgroupParent}/pod${uid}/${id}`;
    const cpu = `/sys/fs/cgroup/cpu/${cgroupParent}/pod${uid}/${id}`;
    assert.equal(readFileSync(`${mem}/memory.limit_in_bytes`, 'utf8').trim(), String(64 * 1024 * 1024));
    assert.equal(readFileSync(`${cpu}/cpu.cfs_quota_us`, 'utf8').trim(), '25000');
    assert.equal(readFileSync(`${cpu}/cpu.cfs_period_us`, 'utf8').trim(), '100000');
    assert.equal(readFileSync(`${cpu}/cpu.shares`, 'utf8').trim(), '102');
    const pid = (await rt.containerStatus(id)).pid!;
    assert.match(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), new RegExp(`memory:/${cgroupParent}/pod${uid}/${id}`));
    await rt.close();
    assert.equal(existsSync(`/sys/fs/cgroup/memory/${cgroupParent}`), false);
    assert.equal(existsSync(`/sys/fs/cgroup/cpu/${cgroupParent}`), false);
    assert.equal(existsSync(`/proc/${pid}`), false);
  });

  it("runs an ephemeral container with a target in the target's pid namespace", async (t) => {
    const rt = new ProcessRuntime({ cgroupParent });
    if (!rt.isolated) return t.skip(`needs isolation: ${rt.isolation}`);
    try {
      const uid = 'aaaaaaaa-0000-4000-8000-000000000002';
      const sb = await rt.runPodSandbox({ uid, namespace: 'default', name: 'debug', ip: '127.244.253.3', hostname: 'debug', dir: join(dir, 'd') });
      const base = { image: 'busybox', args: [], env: {}, mounts: [] };
      const app = await rt.createContainer(sb, { ...base, name: 'app', command: ['sleep', '30'], logPath: join(dir, 'app.log') });
      await rt.startContainer(app);
      const appPid = (await rt.containerStatus(app)).pid!;
      const script = 'echo "target=$(tr "\\0" " " < /proc/1/cmdline)"; echo "self=$$"; sleep 30';
      const dbg = await rt.createContainer(sb, { ...base, name: 'dbg', command: ['sh', '-c', script], logPath: join(dir, 'dbg.log'), targetContainerId: app });
      await rt.startContainer(dbg);
      const st = await rt.containerStatus(dbg);
      assert.equal(st.state, 'running');
      // The reported pid is the container's host pid, in the target's pid namespace.
      assert.ok(st.pid && st.pid !== appPid);
      const nsOf = (pid: number) => readlinkSync(`/proc/${pid}/ns/pid`);
      assert.equal(nsOf(st.pid!), nsOf(appPid));
      let log = '';
      for (let i = 0; i < 200 && !/self=/.test(log); i++) {
        await new Promise((r) => setTimeout(r, 10));
        log = existsSync(join(dir, 'dbg.log')) ? readFileSync(join(dir, 'dbg.log'), 'utf8') : '';
      }
      assert.match(log, /target=sleep 30/);
      assert.doesNotMatch(log, /self=1\n/);
      // Exec lands in the same namespaces.
      let out = '';
      const { Writable } = await import('node:stream');
      const sink = new Writable({ write(c, _e, cb) { out += c.toString(); cb(); } });
      const r = await rt.exec(dbg, { cmd: ['cat', '/proc/1/comm'], stdout: sink });
      assert.equal(r.exitCode, 0);
      assert.equal(out.trim(), 'sleep');
      // Stopping it takes its processes along, and leaves the target running.
      await rt.stopContainer(dbg, 2000);
      assert.equal((await rt.containerStatus(dbg)).state, 'exited');
      assert.equal((await rt.containerStatus(app)).state, 'running');
      // A stopped target cannot be joined.
      await rt.stopContainer(app, 0);
      await assert.rejects(
        rt.createContainer(sb, { ...base, name: 'dbg2', command: ['true'], logPath: join(dir, 'dbg2.log'), targetContainerId: app }),
        /target container "app" is not running/,
      );
    } finally {
      await rt.close();
    }
  });
});
