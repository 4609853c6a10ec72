// The process runtime against the shared ContainerRuntime conformance suite, isolated (when this
// machine allows) and plain, plus what is specific to it: cgroup limits and their cleanup.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
});
