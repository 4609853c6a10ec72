// cgroup v1 for the process runtime, as the kubelet's cgroup manager + runc apply a container's
// resources: memory.limit_in_bytes from limits.memory, cpu.cfs_quota_us/cfs_period_us from
// limits.cpu and cpu.shares from requests.cpu, under <controller>/<parent>/pod<uid>/<container>;
// the OOM-kill counter for the OOMKilled reason, cpuacct.usage and the memory working set
// (usage − total_inactive_file) for stats. Also detects whether isolation is possible here.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CGROUP_ROOT = '/sys/fs/cgroup';
/** CFS period the kubelet uses (100 ms). */
export const CPU_PERIOD_US = 100_000;
const MIN_QUOTA_US = 1000;
const MIN_SHARES = 2;

export interface Isolation {
  available: boolean;
  /** 'namespaces+cgroup-v1' or 'none (<why>)', for the node's status. */
  description: string;
}

let detected: Isolation | undefined;

/** Whether containers can get pid/mount/uts namespaces and cgroup v1 limits here (computed once). */
export function detectIsolation(): Isolation {
  detected ??= probe();
  return detected;
}

function none(why: string): Isolation {
  return { available: false, description: `none (${why})` };
}

function probe(): Isolation {
  if (process.platform !== 'linux') return none(`not Linux: ${process.platform}`);
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return none('not root');
  if (!existsSync(join(CGROUP_ROOT, 'memory', 'memory.limit_in_bytes'))) return none('no cgroup v1 memory controller');
  if (!existsSync(join(CGROUP_ROOT, 'cpu', 'cpu.cfs_quota_us'))) return none('no cgroup v1 cpu controller');
  const r = spawnSync('unshare', ['--mount', '--pid', '--uts', '--fork', '--mount-proc', '--propagation', 'private', 'true'], {
    encoding: 'utf8',
    timeout: 5000,
  });
  if (r.error) return none(`unshare unavailable: ${r.error.message}`);
  if (r.status !== 0) return none(`unshare failed: ${(r.stderr || '').trim() || `exit ${r.status}`}`);
  const n = spawnSync('nsenter', ['--version'], { encoding: 'utf8', timeout: 5000 });
  if (n.error || n.status !== 0) return none('nsenter unavailable');
  return { available: true, description: 'namespaces+cgroup-v1' };
}

/** The v1 hierarchies a container joins: memory, cpu and cpuacct (deduplicated when co-mounted). */
function hierarchies(): string[] {
  const dirs: string[] = [];
  const seen = new Set<string>();
  for (const c of ['memory', 'cpu', 'cpuacct']) {
    const d = join(CGROUP_ROOT, c);
    if (!existsSync(d)) continue;
    const real = realpathSync(d);
    if (seen.has(real)) continue;
    seen.add(real);
    dirs.push(real);
  }
  return dirs;
}

export interface ContainerResources {
  memoryLimit?: number;
  cpuLimitMilli?: number;
  cpuRequestMilli?: number;
}

/** One container's (or one pod's) directories in every hierarchy. */
export class CgroupSet {
  readonly dirs: string[];
  readonly memoryDir: string;
  readonly cpuDir: string;
  readonly cpuacctDir: string;

  constructor(relative: string) {
    const h = hierarchies();
    this.dirs = h.map((d) => join(d, relative));
    this.memoryDir = join(realpathSync(join(CGROUP_ROOT, 'memory')), relative);
    this.cpuDir = join(realpathSync(join(CGROUP_ROOT, 'cpu')), relative);
    const acct = join(CGROUP_ROOT, 'cpuacct');
    this.cpuacctDir = existsSync(acct) ? join(realpathSync(acct), relative) : this.cpuDir;
  }

  create(): void {
    for (const d of this.dirs) mkdirSync(d, { recursive: true });
  }

  apply(r: ContainerResources): void {
    if (r.memoryLimit !== undefined && r.memoryLimit > 0) {
      writeFileSync(join(this.memoryDir, 'memory.limit_in_bytes'), String(Math.floor(r.memoryLimit)));
    }
    if (r.cpuLimitMilli !== undefined && r.cpuLimitMilli > 0) {
      const quota = Math.max(MIN_QUOTA_US, Math.floor((r.cpuLimitMilli * CPU_PERIOD_US) / 1000));
      writeFileSync(join(this.cpuDir, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
      writeFileSync(join(this.cpuDir, 'cpu.cfs_quota_us'), String(quota));
    }
    if (r.cpuRequestMilli !== undefined && r.cpuRequestMilli > 0) {
      const shares = Math.max(MIN_SHARES, Math.floor((r.cpuRequestMilli * 1024) / 1000));
      writeFileSync(join(this.cpuDir, 'cpu.shares'), String(shares));
    }
  }

  /** The cgroup.procs files a process writes its pid into to join. */
  procsFiles(): string[] {
    return this.dirs.map((d) => join(d, 'cgroup.procs'));
  }

  /** True when the kernel OOM-killed a process in this cgroup. */
  oomKilled(): boolean {
    try {
      const m = /^oom_kill (\d+)$/m.exec(readFileSync(join(this.memoryDir, 'memory.oom_control'), 'utf8'));
      if (m) return Number(m[1]) > 0;
    } catch {
      return false;
    }
    return false;
  }

  stats(): { cpuUsageNanoSeconds: number; memoryWorkingSetBytes: number } | undefined {
    try {
      const cpu = Number(readFileSync(join(this.cpuacctDir, 'cpuacct.usage'), 'utf8').trim());
      const usage = Number(readFileSync(join(this.memoryDir, 'memory.usage_in_bytes'), 'utf8').trim());
      const stat = readFileSync(join(this.memoryDir, 'memory.stat'), 'utf8');
      const inactive = Number(/^total_inactive_file (\d+)$/m.exec(stat)?.[1] ?? 0);
      return { cpuUsageNanoSeconds: cpu, memoryWorkingSetBytes: Math.max(0, usage - inactive) };
    } catch {
      return undefined;
    }
  }

  /** Removes the directories (they must hold no process); retries briefly while the kernel lets go. */
  async remove(): Promise<void> {
    for (const d of this.dirs) {
      for (let i = 0; ; i++) {
        try {
          rmdirSync(d);
          break;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') break;
          if (i >= 50) throw err;
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    }
  }
}

/** Removes a parent directory in every hierarchy if nothing else uses it (best effort). */
export function removeIfEmpty(relative: string): void {
  for (const d of hierarchies()) {
    try {
      rmdirSync(join(d, relative));
    } catch {
      // in use by another runtime or pod, or already gone
    }
  }
}
