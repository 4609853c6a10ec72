// The process runtime: a ContainerRuntime that runs each container as a host process. On Linux as
// root every container is pid 1 of its own pid namespace with a private mount namespace (the pod's
// /etc/resolv.conf and /etc/hosts and the container's volumes bind-mounted in), its own UTS
// namespace (hostname = pod hostname) and cgroup v1 memory/cpu limits, reporting OOMKilled from
// the cgroup's counter — what runc does for a CRI runtime, with plain Linux primitives; elsewhere
// a plain child process, and `isolation` says so. Logs go to the CRI log file the kubelet reads.
// An ephemeral container with a target joins the target's pid namespace (nsenter --pid) instead of
// getting its own, so that `kubectl debug --target` sees the target's processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  constants as fsConstants,
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve as resolvePath } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type {
  ContainerConfig,
  ContainerRuntime,
  ContainerStatus,
  ExecOptions,
  PodSandboxConfig,
} from '../runtime.ts';
import { CgroupSet, detectIsolation, removeIfEmpty } from './cgroup.ts';
import { builtinExecArgv, containerArgv, resolveImage, type ResolvedImage } from './images.ts';
import { CriLogWriter, DEFAULT_LOG_MAX_FILES, DEFAULT_LOG_MAX_SIZE } from './logs.ts';

export const PROCESS_RUNTIME_VERSION = 'process://0.1.0';
/** The environment variable carrying the pod's IP, so built-in images bind it rather than 0.0.0.0. */
export const POD_IP_ENV = 'SKIFF_POD_IP';
/** containerd's default PATH for containers whose image sets none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ProcessRuntimeOptions {
  /**
   * 'auto' (default): namespaces + cgroups when this machine allows them, else plain processes;
   * false: always plain processes; true: require isolation (throws when unavailable).
   */
  isolate?: boolean | 'auto';
  /** The cgroup under each v1 hierarchy holding Skiff's pods (default "skiff"). */
  cgroupParent?: string;
  /** Log rotation (the kubelet's containerLogMaxSize / containerLogMaxFiles). */
  logMaxSize?: number;
  logMaxFiles?: number;
  /**
   * A network namespace (path, e.g. /run/netns/skiff-…) every container and exec joins: a cluster's
   * own VNet whose node, pod and service ranges are local in there. Default: the host's network.
   */
  netns?: string;
}

interface Sandbox {
  id: string;
  cfg: PodSandboxConfig;
  ready: boolean;
  containers: Set<string>;
  /** Files this runtime wrote into the pod's dir (removed with the sandbox). */
  files: string[];
  resolvConf?: string;
  hosts: string;
  cgroupPath: string;
}

interface Attacher {
  stdout?: Writable;
  stderr?: Writable;
}

interface Container {
  id: string;
  sandbox: Sandbox;
  cfg: ContainerConfig;
  resolved: ResolvedImage;
  argv: string[];
  env: Record<string, string>;
  status: ContainerStatus;
  child?: ChildProcess;
  /** The container's pid 1 (host pid). */
  pid?: number;
  cgroups?: CgroupSet;
  log?: CriLogWriter;
  attachers: Set<Attacher>;
  exited: Promise<ContainerStatus>;
  resolveExited: (s: ContainerStatus) => void;
  mountPoints: string[];
  /** The container whose pid namespace this one joins (an ephemeral container's target). */
  target?: Container;
}

function notFound(kind: string, id: string): Error {
  return Object.assign(new Error(`${kind} "${id}" not found`), { code: 'NotFound' });
}

/** Single-quotes a word for sh. */
function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function signalExitCode(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0);
}

/** Finds an executable as execve via PATH would; undefined when there is none. */
function findExecutable(cmd: string, path: string, cwd: string): string | undefined {
  const ok = (p: string) => {
    try {
      accessSync(p, fsConstants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (cmd.includes('/')) {
    const p = isAbsolute(cmd) ? cmd : resolvePath(cwd, cmd);
    return ok(p) ? p : undefined;
  }
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    if (ok(p)) return p;
  }
  return undefined;
}

let toolPaths: Record<string, string> | undefined;
/** Absolute paths of the host tools the runtime drives (the container's PATH may not reach them). */
function tool(name: 'sh' | 'unshare' | 'nsenter' | 'mount' | 'script' | 'stty'): string {
  toolPaths ??= {};
  return (toolPaths[name] ??= findExecutable(name, `${process.env.PATH ?? ''}:${DEFAULT_PATH}`, '/') ?? name);
}

/** Mount points this process created on the host for volumes, reference-counted across containers. */
const createdMountPoints = new Map<string, { count: number; chain: string[] }>();

function acquireMountPoint(target: string, isDir: boolean): string | undefined {
  const known = createdMountPoints.get(target);
  if (known) {
    known.count++;
    return target;
  }
  if (existsSync(target)) return undefined;
  const chain: string[] = [];
  for (let p = target; !existsSync(p); p = dirname(p)) chain.push(p);
  if (isDir) mkdirSync(target, { recursive: true });
  else {
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, '');
  }
  createdMountPoints.set(target, { count: 1, chain });
  return target;
}

function releaseMountPoint(target: string): void {
  const known = createdMountPoints.get(target);
  if (!known || --known.count > 0) return;
  createdMountPoints.delete(target);
  for (const p of known.chain) {
    try {
      if (statSync(p).isDirectory()) rmdirSync(p);
      else unlinkSync(p);
    } catch {
      break; // not empty (something else lives there now): leave it and its parents
    }
  }
}

function resolvConfText(dns: NonNullable<PodSandboxConfig['dns']>): string {
  const lines: string[] = [];
  if (dns.searches.length) lines.push(`search ${dns.searches.join(' ')}`);
  for (const ns of dns.nameservers) lines.push(`nameserver ${ns}`);
  if (dns.options.length) lines.push(`options ${dns.options.join(' ')}`);
  return lines.join('\n') + '\n';
}

/** The kubelet's managed /etc/hosts for a pod. */
function hostsText(cfg: PodSandboxConfig): string {
  return (
    '# Kubernetes-managed hosts file.\n' +
    '127.0.0.1\tlocalhost\n' +
    '::1\tlocalhost ip6-localhost ip6-loopback\n' +
    'fe00::0\tip6-localnet\n' +
    'fe00::0\tip6-mcastprefix\n' +
    'fe00::1\tip6-allnodes\n' +
    'fe00::2\tip6-allrouters\n' +
    (cfg.ip ? `${cfg.ip}\t${cfg.hostname}\n` : '')
  );
}

export class ProcessRuntime implements ContainerRuntime {
  readonly version = PROCESS_RUNTIME_VERSION;
  readonly isolation: string;
  /** True when containers get namespaces and cgroups. */
  readonly isolated: boolean;
  #cgroupParent: string;
  #logMaxSize: number;
  #logMaxFiles: number;
  #sandboxes = new Map<string, Sandbox>();
  #containers = new Map<string, Container>();
  #closed = false;
  #netns: string | undefined;

  constructor(opts: ProcessRuntimeOptions = {}) {
    this.#netns = opts.netns;
    const mode = opts.isolate ?? 'auto';
    if (mode === false) {
      this.isolated = false;
      this.isolation = 'none (disabled)';
    } else {
      const det = detectIsolation();
      if (mode === true && !det.available) throw new Error(`process runtime: isolation unavailable: ${det.description}`);
      this.isolated = det.available;
      this.isolation = det.description;
    }
    this.#cgroupParent = opts.cgroupParent ?? 'skiff';
    this.#logMaxSize = opts.logMaxSize ?? DEFAULT_LOG_MAX_SIZE;
    this.#logMaxFiles = opts.logMaxFiles ?? DEFAULT_LOG_MAX_FILES;
  }

  async ensureImage(image: string, command: string[]): Promise<{ imageRef: string }> {
    return { imageRef: resolveImage(image, command).imageRef };
  }

  // ------------------------------------------------------------------ sandboxes

  async runPodSandbox(cfg: PodSandboxConfig): Promise<string> {
    this.#checkOpen();
    const id = randomBytes(32).toString('hex');
    mkdirSync(cfg.dir, { recursive: true });
    const files: string[] = [];
    let resolvConf: string | undefined;
    if (cfg.dns) {
      resolvConf = join(cfg.dir, 'resolv.conf');
      writeFileSync(resolvConf, resolvConfText(cfg.dns));
      files.push(resolvConf);
    }
    const hosts = join(cfg.dir, 'hosts');
    writeFileSync(hosts, hostsText(cfg));
    files.push(hosts);
    const sb: Sandbox = {
      id,
      cfg,
      ready: true,
      containers: new Set(),
      files,
      hosts,
      cgroupPath: join(this.#cgroupParent, `pod${cfg.uid}`),
    };
    if (resolvConf) sb.resolvConf = resolvConf;
    this.#sandboxes.set(id, sb);
    return id;
  }

  async stopPodSandbox(sandboxId: string): Promise<void> {
    const sb = this.#sandboxes.get(sandboxId);
    if (!sb) return;
    await Promise.all([...sb.containers].map((id) => this.stopContainer(id, 0)));
    sb.ready = false;
  }

  async removePodSandbox(sandboxId: string): Promise<void> {
    const sb = this.#sandboxes.get(sandboxId);
    if (!sb) return;
    await this.stopPodSandbox(sandboxId);
    await Promise.all([...sb.containers].map((id) => this.removeContainer(id)));
    for (const f of sb.files) {
      try {
        unlinkSync(f);
      } catch {
        // already gone
      }
    }
    this.#sandboxes.delete(sandboxId);
    if (this.isolated && ![...this.#sandboxes.values()].some((s) => s.cfg.uid === sb.cfg.uid)) removeIfEmpty(sb.cgroupPath);
  }

  // ------------------------------------------------------------------ containers

  async createContainer(sandboxId: string, cfg: ContainerConfig): Promise<string> {
    this.#checkOpen();
    const sb = this.#sandboxes.get(sandboxId);
    if (!sb) throw notFound('sandbox', sandboxId);
    if (!sb.ready) throw new Error(`sandbox "${sandboxId}" is not ready`);
    const resolved = resolveImage(cfg.image, cfg.command);
    let target: Container | undefined;
    if (cfg.targetContainerId) {
      target = this.#containers.get(cfg.targetContainerId);
      if (!target || target.sandbox !== sb) throw notFound('target container', cfg.targetContainerId);
      if (target.status.state !== 'running') throw new Error(`target container "${target.cfg.name}" is not running`);
    }
    let argv = containerArgv(resolved, cfg.command, cfg.args);
    if (cfg.tty) argv = [tool('script'), '-qfec', argv.map(q).join(' '), '/dev/null'];
    const env: Record<string, string> = { ...cfg.env };
    env.PATH ??= DEFAULT_PATH;
    env.HOSTNAME ??= sb.cfg.hostname;
    if (sb.cfg.ip) env[POD_IP_ENV] = sb.cfg.ip;
    if (cfg.tty) env.TERM ??= 'xterm';
    const id = randomBytes(32).toString('hex');
    let resolveExited!: (s: ContainerStatus) => void;
    const exited = new Promise<ContainerStatus>((r) => (resolveExited = r));
    const c: Container = {
      id,
      sandbox: sb,
      cfg,
      resolved,
      argv,
      env,
      status: { id, name: cfg.name, state: 'created', createdAt: Date.now(), image: cfg.image, imageRef: resolved.imageRef },
      attachers: new Set(),
      exited,
      resolveExited,
      mountPoints: [],
      ...(target ? { target } : {}),
    };
    this.#containers.set(id, c);
    sb.containers.add(id);
    return id;
  }

  async startContainer(containerId: string): Promise<void> {
    this.#checkOpen();
    const c = this.#get(containerId);
    if (c.status.state !== 'created') throw new Error(`container "${containerId}" is in ${c.status.state} state, not created`);
    const cwd = c.cfg.workingDir || '/';
    if (!findExecutable(c.argv[0]!, c.env.PATH!, this.isolated ? '/' : cwd)) {
      const where = c.argv[0]!.includes('/') ? 'no such file or directory' : 'executable file not found in $PATH';
      return this.#startFailed(c, `exec: "${c.argv[0]}": ${where}`);
    }
    try {
      c.log = new CriLogWriter(c.cfg.logPath, { maxSize: this.#logMaxSize, maxFiles: this.#logMaxFiles });
      if (this.isolated) await this.#spawnIsolated(c);
      else this.#spawnPlain(c, cwd);
    } catch (err) {
      return this.#startFailed(c, (err as Error).message);
    }
  }

  #startFailed(c: Container, message: string): never {
    c.status = { ...c.status, state: 'exited', startedAt: Date.now(), finishedAt: Date.now(), exitCode: 128, reason: 'StartError', message };
    c.log?.close();
    void this.#releaseResources(c);
    c.resolveExited({ ...c.status });
    throw Object.assign(new Error(`failed to start container "${c.cfg.name}": ${message}`), { reason: 'StartError' });
  }

  #spawnPlain(c: Container, cwd: string): void {
    if (!existsSync(cwd)) throw new Error(`chdir to cwd ("${cwd}") set in config.json failed: no such file or directory`);
    const argv = this.#netns ? [tool('nsenter'), `--net=${this.#netns}`, '--', ...c.argv] : c.argv;
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd,
      env: c.env,
      detached: true,
      stdio: [c.cfg.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    this.#watch(c, child);
    c.pid = child.pid;
  }

  /**
   * Path 1 of runtime-notes.md: a shell joins the container's cgroups and execs unshare (new
   * mount, pid and uts namespaces); in there a waiter forks the container's init, which becomes
   * pid 1, mounts /proc, the pod's files and the volumes, sets the hostname and execs the command.
   * The waiter reports pid 1's host pid on fd 3 and exits with its status (128+n for a signal),
   * which util-linux's `unshare --fork` would not give back.
   */
  async #spawnIsolated(c: Container): Promise<void> {
    const sb = c.sandbox;
    const cg = new CgroupSet(join(sb.cgroupPath, c.id));
    c.cgroups = cg;
    cg.create();
    cg.apply(c.cfg);
    const podCg = new CgroupSet(sb.cgroupPath);

    // In the target's pid namespace the container is not pid 1 and the waiter cannot see its host
    // pid: the container reports it itself, from the host's /proc, before mounting its own.
    const targetPid = this.#joinable(c);
    const init: string[] = targetPid ? ['read -r hostpid _ < /proc/self/stat', 'echo "$hostpid" >&3', 'exec 3>&-'] : [];
    init.push('set -e', `echo ${q(sb.cfg.hostname)} > /proc/sys/kernel/hostname`, `${q(tool('mount'))} -t proc proc /proc`);
    const targets = new Set(c.cfg.mounts.map((m) => m.containerPath));
    // Read-only remounts come after every bind, so that a mount nested in a read-only volume
    // (coredns: /etc/coredns/custom in /etc/coredns) can still get its mount point, as with runc.
    const remounts: string[] = [];
    const bind = (host: string, target: string, ro: boolean, isDir?: boolean) => {
      if (isDir !== undefined) init.push(`[ -e ${q(target)} ] || ${isDir ? `mkdir -p ${q(target)}` : `{ mkdir -p "$(dirname ${q(target)})" && : > ${q(target)}; }`}`);
      init.push(`${q(tool('mount'))} --bind ${q(host)} ${q(target)}`);
      if (ro) remounts.push(`${q(tool('mount'))} -o remount,bind,ro ${q(target)}`);
    };
    if (sb.resolvConf && !targets.has('/etc/resolv.conf')) bind(sb.resolvConf, '/etc/resolv.conf', false);
    if (!targets.has('/etc/hosts')) bind(sb.hosts, '/etc/hosts', false);
    // Parents before children (containerd sorts mounts by depth too).
    const mounts = [...c.cfg.mounts].sort((a, b) => a.containerPath.split('/').length - b.containerPath.split('/').length);
    for (const m of mounts) {
      const isDir = statSync(m.hostPath).isDirectory();
      const created = acquireMountPoint(m.containerPath, isDir);
      if (created) c.mountPoints.push(created);
      bind(m.hostPath, m.containerPath, !!m.readOnly, isDir);
    }
    init.push(...remounts);
    if (c.cfg.workingDir) {
      const created = acquireMountPoint(c.cfg.workingDir, true);
      if (created) c.mountPoints.push(created);
      init.push(`cd ${q(c.cfg.workingDir)}`);
    }
    init.push('exec "$@"');

    const waiter = [
      'i=$1; shift',
      'exec 4<&0',
      targetPid
        ? `${q(tool('nsenter'))} --target ${targetPid} --pid -- ${q(tool('sh'))} -c "$i" ${q(c.cfg.name)} "$@" <&4 4<&- &`
        : `${q(tool('sh'))} -c "$i" ${q(c.cfg.name)} "$@" <&4 4<&- 3>&- &`,
      'pid=$!',
      'exec 4<&-',
      ...(targetPid ? [] : ['echo $pid >&3']),
      'exec 3>&-',
      // The waiter leaves the container's cgroups so that it is never the OOM killer's pick.
      ...podCg.procsFiles().map((f) => `echo $$ > ${q(f)} 2>/dev/null`),
      'wait $pid',
    ].join('\n');
    const outer = [
      ...cg.procsFiles().map((f) => `echo $$ > ${q(f)}`),
      'w=$1; shift',
      `exec ${this.#netns ? `${q(tool('nsenter'))} ${q(`--net=${this.#netns}`)} -- ` : ''}${q(tool('unshare'))} --mount ${targetPid ? '' : '--pid '}--uts --propagation private -- ${q(tool('sh'))} -c "$w" skiff "$@"`,
    ].join(' && ');

    const child = spawn(tool('sh'), ['-c', outer, 'skiff', waiter, init.join('\n'), ...c.argv], {
      cwd: '/',
      env: c.env,
      detached: true,
      stdio: [c.cfg.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe', 'pipe'],
    });
    this.#watch(c, child);
    const pidPipe = child.stdio[3] as Readable;
    c.pid = await new Promise<number | undefined>((resolve) => {
      let text = '';
      pidPipe.on('data', (d: Buffer) => {
        text += d.toString();
        if (text.includes('\n')) resolve(Number(text.trim()) || undefined);
      });
      pidPipe.on('close', () => resolve(Number(text.trim()) || undefined));
      pidPipe.on('error', () => resolve(undefined));
    });
    pidPipe.destroy();
  }

  /** The host pid of the running target whose pid namespace an ephemeral container joins, if any. */
  #joinable(c: Container): number | undefined {
    const t = c.target;
    if (!t) return undefined;
    if (t.status.state !== 'running' || !t.pid) throw new Error(`target container "${t.cfg.name}" is not running`);
    return t.pid;
  }

  /** Signals every process left in a container's cgroup (a container sharing its target's pid namespace has no pid 1 to take them along). */
  #killCgroup(c: Container, signal: NodeJS.Signals): void {
    if (!c.cgroups) return;
    let text = '';
    try {
      text = readFileSync(join(c.cgroups.memoryDir, 'cgroup.procs'), 'utf8');
    } catch {
      return;
    }
    for (const line of text.split('\n')) if (line) this.#kill(Number(line), signal);
  }

  #watch(c: Container, child: ChildProcess): void {
    c.child = child;
    c.status = { ...c.status, state: 'running', startedAt: Date.now() };
    const log = c.log!;
    const fanOut = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      log.write(stream, chunk);
      for (const a of c.attachers) a[stream]?.write(chunk);
    };
    child.stdout!.on('data', fanOut('stdout'));
    child.stderr!.on('data', fanOut('stderr'));
    child.stdin?.on('error', () => undefined);
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let done = false;
    let fallback: NodeJS.Timeout | undefined;
    const finish = () => {
      if (done) return;
      done = true;
      if (fallback) clearTimeout(fallback);
      void this.#finish(c, exit ? signalExitCode(exit.code, exit.signal) : 128);
    };
    child.on('error', (err) => {
      if (exit || done) return;
      log.write('stderr', Buffer.from(`${err.message}\n`));
      exit = { code: 128, signal: null };
      finish();
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // A container ends with its pid 1: take the rest of a plain container's process group along.
      if (!this.isolated && child.pid) this.#kill(-child.pid, 'SIGKILL');
      else if (c.target) this.#killCgroup(c, 'SIGKILL');
      // Something outside the container may still hold its stdout; don't wait for it forever.
      fallback = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish();
      }, 2000);
    });
    child.on('close', finish);
  }

  async #finish(c: Container, exitCode: number): Promise<void> {
    c.log?.close();
    let reason = exitCode === 0 ? 'Completed' : 'Error';
    // As containerd: an OOM kill anywhere in the container's cgroup makes the reason OOMKilled.
    if (c.cgroups?.oomKilled()) reason = 'OOMKilled';
    c.status = { ...c.status, state: 'exited', finishedAt: Date.now(), exitCode, reason };
    await this.#releaseResources(c);
    c.resolveExited({ ...c.status, ...(c.pid ? { pid: c.pid } : {}) });
  }

  async #releaseResources(c: Container): Promise<void> {
    for (const p of c.mountPoints.splice(0)) releaseMountPoint(p);
    // The cgroup stays until removeContainer (its counters explain the exit); nothing runs in it.
  }

  #kill(pid: number, signal: NodeJS.Signals): void {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }

  /** Signals the container: its pid 1 (isolated) or its process group (plain). */
  #signal(c: Container, signal: NodeJS.Signals): void {
    if (this.isolated) {
      if (c.target && signal === 'SIGKILL') this.#killCgroup(c, signal);
      if (c.pid) this.#kill(c.pid, signal);
      // Before pid 1 is known (or if it is gone) the waiter's group still reaches it.
      else if (c.child?.pid) this.#kill(-c.child.pid, signal);
    } else if (c.child?.pid) this.#kill(-c.child.pid, signal);
  }

  async stopContainer(containerId: string, timeoutMs: number): Promise<void> {
    const c = this.#get(containerId);
    if (c.status.state !== 'running') return;
    if (timeoutMs > 0) {
      this.#signal(c, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const stopped = await Promise.race([
        c.exited.then(() => true),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs))),
      ]);
      clearTimeout(timer);
      if (stopped) return;
    }
    this.#signal(c, 'SIGKILL');
    await c.exited;
  }

  async removeContainer(containerId: string): Promise<void> {
    const c = this.#containers.get(containerId);
    if (!c) return;
    if (c.status.state === 'running') await this.stopContainer(containerId, 0);
    if (c.status.state === 'created') {
      c.status = { ...c.status, state: 'exited', finishedAt: Date.now() };
      c.resolveExited({ ...c.status });
    }
    await c.cgroups?.remove();
    this.#containers.delete(containerId);
    c.sandbox.containers.delete(containerId);
  }

  async containerStatus(containerId: string): Promise<ContainerStatus> {
    const c = this.#get(containerId);
    return c.pid && c.status.state === 'running' ? { ...c.status, pid: c.pid } : { ...c.status };
  }

  waitContainer(containerId: string): Promise<ContainerStatus> {
    return this.#get(containerId).exited;
  }

  // ------------------------------------------------------------------ exec / attach / stats

  async exec(containerId: string, opts: ExecOptions): Promise<{ exitCode: number }> {
    const c = this.#get(containerId);
    if (c.status.state !== 'running') throw new Error(`container "${c.cfg.name}" is not running`);
    if (opts.cmd.length === 0) throw new Error('exec: no command given');
    let argv = builtinExecArgv(c.resolved.builtin, opts.cmd) ?? opts.cmd;
    const cwd = c.cfg.workingDir || '/';
    if (!findExecutable(argv[0]!, c.env.PATH!, cwd)) {
      const where = argv[0]!.includes('/') ? 'no such file or directory' : 'executable file not found in $PATH';
      throw Object.assign(new Error(`exec failed: unable to start container process: exec: "${argv[0]}": ${where}`), {
        code: 'ExecNotFound',
      });
    }
    if (this.isolated && c.pid) {
      argv = [tool('nsenter'), '--target', String(c.pid), '--mount', '--uts', '--pid', ...(this.#netns ? ['--net'] : []), '--wd', '--', ...argv];
      const join = (c.cgroups?.procsFiles() ?? []).map((f) => `echo $$ > ${q(f)} && `).join('');
      argv = [tool('sh'), '-c', `${join}exec "$@"`, 'exec', ...argv];
    } else if (this.#netns) {
      argv = [tool('nsenter'), `--net=${this.#netns}`, '--', ...argv];
    }
    const env = { ...c.env };
    if (opts.tty) {
      argv = [tool('script'), '-qfec', argv.map(q).join(' '), '/dev/null'];
      env.TERM ??= 'xterm';
      env.SHELL = tool('sh');
    }
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: this.isolated ? '/' : existsSync(cwd) ? cwd : '/',
      env,
      detached: true,
      stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => opts.stdout?.write(d));
    child.stderr!.on('data', (d: Buffer) => (opts.stderr ?? (opts.tty ? opts.stdout : undefined))?.write(d));
    if (opts.stdin && child.stdin) {
      child.stdin.on('error', () => undefined);
      opts.stdin.pipe(child.stdin);
    }
    if (opts.tty && opts.onResize) {
      opts.onResize((size) => this.#resize(child, size));
    }
    let timedOut = false;
    const timer =
      opts.timeoutMs && opts.timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            if (child.pid) this.#kill(-child.pid, 'SIGKILL');
          }, opts.timeoutMs)
        : undefined;
    const exitCode = await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve(signalExitCode(code, signal)));
    }).finally(() => {
      if (timer) clearTimeout(timer);
      if (opts.stdin && child.stdin) opts.stdin.unpipe(child.stdin);
    });
    if (timedOut) {
      throw Object.assign(new Error(`command ${JSON.stringify(opts.cmd)} timed out after ${opts.timeoutMs}ms`), { code: 'ETIMEDOUT' });
    }
    return { exitCode };
  }

  /**
   * Sets the exec's terminal size: `stty -F` on the pty `script` gave its child (the kernel sends
   * SIGWINCH to the foreground process). Retries briefly while `script` is still starting.
   */
  #resize(child: ChildProcess, size: { width: number; height: number }, attempt = 0): void {
    const pid = child.pid;
    if (!pid || child.exitCode !== null || child.signalCode !== null) return;
    let pts: string | undefined;
    try {
      const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
      if (kids[0]) pts = readlinkSync(`/proc/${kids[0]}/fd/0`);
    } catch {
      // not there yet
    }
    if (!pts?.startsWith('/dev/pts/')) {
      if (attempt < 100) setTimeout(() => this.#resize(child, size, attempt + 1), 10).unref();
      return;
    }
    const s = spawn(tool('stty'), ['-F', pts, 'rows', String(size.height), 'cols', String(size.width)], { stdio: 'ignore' });
    s.on('error', () => undefined);
  }

  async attach(containerId: string, opts: Omit<ExecOptions, 'cmd' | 'timeoutMs'>): Promise<void> {
    const c = this.#get(containerId);
    if (c.status.state !== 'running') throw new Error(`container "${c.cfg.name}" is not running`);
    const a: Attacher = {};
    if (opts.stdout) a.stdout = opts.stdout;
    if (opts.stderr ?? (opts.tty ? opts.stdout : undefined)) a.stderr = opts.stderr ?? opts.stdout;
    c.attachers.add(a);
    const stdin = c.child?.stdin;
    const forward = (d: Buffer) => stdin?.write(d);
    if (opts.stdin && stdin) opts.stdin.on('data', forward);
    try {
      await new Promise<void>((resolve) => {
        void c.exited.then(() => resolve());
        opts.stdout?.once('close', resolve);
      });
    } finally {
      c.attachers.delete(a);
      opts.stdin?.off('data', forward);
    }
  }

  async stats(containerId: string): Promise<{ cpuUsageNanoSeconds: number; memoryWorkingSetBytes: number } | undefined> {
    const c = this.#containers.get(containerId);
    if (!c || c.status.state !== 'running') return undefined;
    if (c.cgroups) return c.cgroups.stats();
    if (!c.pid) return undefined;
    try {
      const stat = readFileSync(`/proc/${c.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime (fields 14 and 15) in clock ticks of USER_HZ = 100.
      const ticks = Number(fields[11]) + Number(fields[12]);
      const rssPages = Number(readFileSync(`/proc/${c.pid}/statm`, 'utf8').split(' ')[1]);
      return { cpuUsageNanoSeconds: ticks * 10_000_000, memoryWorkingSetBytes: rssPages * 4096 };
    } catch {
      return undefined;
    }
  }

  /** Kills every container and removes every sandbox, cgroup and mount point this runtime made. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#sandboxes.keys()].map((id) => this.removePodSandbox(id)));
    for (const id of [...this.#containers.keys()]) await this.removeContainer(id);
    if (this.isolated) removeIfEmpty(this.#cgroupParent);
  }

  /** Ids of the containers this runtime knows (for the node agent's garbage collection). */
  listContainers(sandboxId?: string): ContainerStatus[] {
    const out: ContainerStatus[] = [];
    for (const c of this.#containers.values()) if (!sandboxId || c.sandbox.id === sandboxId) out.push({ ...c.status });
    return out;
  }

  #get(id: string): Container {
    const c = this.#containers.get(id);
    if (!c) throw notFound('container', id);
    return c;
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error('process runtime is closed');
  }
}
