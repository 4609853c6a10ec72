// A fake ContainerRuntime for node agent tests (in the spirit of the kubelet's FakeRuntimeService):
// records every call, runs nothing, and lets a test script exits, crash loops, OOM kills, image
// errors, exec/probe answers and containers that ignore SIGTERM, on an injected clock.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { realClock, type Clock, type Timer } from '../machinery/clock.ts';
import type { ContainerConfig, ContainerRuntime, ContainerStatus, ExecOptions, ImageError, PodSandboxConfig } from './runtime/runtime.ts';

export interface FakeSandbox {
  id: string;
  cfg: PodSandboxConfig;
  state: 'ready' | 'notready' | 'removed';
}

export interface FakeContainer {
  id: string;
  sandboxId: string;
  pod: string;
  cfg: ContainerConfig;
  status: ContainerStatus;
  signals: string[];
  /** The container does not exit on SIGTERM (busybox httpd as pid 1); SIGKILL after the timeout. */
  ignoreSigterm: boolean;
  waiters: ((s: ContainerStatus) => void)[];
  killTimer?: Timer;
}

export type ExecAnswer = number | { exitCode: number; output?: string } | ((cmd: string[]) => number | { exitCode: number; output?: string });

/**
 * How a started container behaves, by its command:
 *   ["fake-exit", "<code>", "<reason>?"]  exits at once with that code (reason Completed/Error unless given, e.g. OOMKilled);
 *   anything else                          keeps running until stopped or `exit()`.
 */
export class FakeRuntime implements ContainerRuntime {
  readonly version = 'fake://0.1.0';
  readonly isolation = 'none (fake runtime for tests)';
  readonly calls: string[] = [];
  readonly sandboxes = new Map<string, FakeSandbox>();
  readonly containers = new Map<string, FakeContainer>();
  /** image → { reason, message } that ensureImage throws. */
  readonly imageErrors = new Map<string, { reason: string; message: string }>();
  /** `<pod>/<container>` → exec answer (probes, hooks, kubectl exec). */
  readonly execAnswers = new Map<string, ExecAnswer>();
  /** `<pod>/<container>` names whose containers ignore SIGTERM. */
  readonly ignoreSigterm = new Set<string>();
  #clock: Clock;
  #seq = 0;

  constructor(opts: { clock?: Clock } = {}) {
    this.#clock = opts.clock ?? realClock;
  }

  // --- test helpers ------------------------------------------------------------------------------

  /** Every container created for a pod's container name, oldest first. */
  all(pod: string, container: string): FakeContainer[] {
    return [...this.containers.values()].filter((c) => c.pod === pod && c.cfg.name === container);
  }

  /** The newest container of that name. */
  find(pod: string, container: string): FakeContainer | undefined {
    const all = this.all(pod, container);
    return all[all.length - 1];
  }

  /** Makes the newest running container of that name exit. */
  exit(pod: string, container: string, exitCode: number, reason?: string): void {
    const c = this.find(pod, container);
    if (!c || c.status.state !== 'running') throw new Error(`fake runtime: ${pod}/${container} is not running`);
    this.#exit(c, exitCode, reason);
  }

  /** Starts containers of `pod` in order: the names, as started. */
  started(pod: string): string[] {
    return this.calls.filter((c) => c.startsWith(`start ${pod}/`)).map((c) => c.slice(`start ${pod}/`.length));
  }

  // --- ContainerRuntime --------------------------------------------------------------------------

  async ensureImage(image: string, _command: string[]): Promise<{ imageRef: string }> {
    const err = this.imageErrors.get(image);
    if (err) {
      const e = new Error(err.message) as ImageError;
      e.reason = err.reason;
      throw e;
    }
    return { imageRef: imageRef(image) };
  }

  async runPodSandbox(cfg: PodSandboxConfig): Promise<string> {
    const id = `sb${++this.#seq}`;
    this.sandboxes.set(id, { id, cfg, state: 'ready' });
    this.calls.push(`runPodSandbox ${cfg.name}`);
    return id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    const sb = this.sandboxes.get(id);
    if (!sb) return;
    sb.state = 'notready';
    this.calls.push(`stopPodSandbox ${sb.cfg.name}`);
    for (const c of this.containers.values()) if (c.sandboxId === id && c.status.state === 'running') this.#exit(c, 137, 'Error', 'SIGKILL');
  }

  async removePodSandbox(id: string): Promise<void> {
    const sb = this.sandboxes.get(id);
    if (!sb) return;
    sb.state = 'removed';
    this.calls.push(`removePodSandbox ${sb.cfg.name}`);
    for (const [cid, c] of this.containers) if (c.sandboxId === id) this.containers.delete(cid);
  }

  async createContainer(sandboxId: string, cfg: ContainerConfig): Promise<string> {
    const sb = this.sandboxes.get(sandboxId);
    if (!sb) throw new Error(`fake runtime: no sandbox ${sandboxId}`);
    const id = `c${++this.#seq}`.padEnd(12, '0');
    const c: FakeContainer = {
      id,
      sandboxId,
      pod: sb.cfg.name,
      cfg,
      signals: [],
      ignoreSigterm: this.ignoreSigterm.has(`${sb.cfg.name}/${cfg.name}`),
      waiters: [],
      status: { id, name: cfg.name, state: 'created', createdAt: this.#clock.now(), image: cfg.image, imageRef: imageRef(cfg.image) },
    };
    this.containers.set(id, c);
    this.calls.push(`create ${c.pod}/${cfg.name}`);
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const c = this.#get(id);
    c.status = { ...c.status, state: 'running', startedAt: this.#clock.now(), pid: 1000 + this.#seq };
    this.calls.push(`start ${c.pod}/${c.cfg.name}`);
    this.#log(c, 'stdout', `started ${c.cfg.name}`);
    const [cmd, code, reason] = c.cfg.command;
    if (cmd === 'fake-exit') queueMicrotask(() => this.#exit(c, Number(code ?? 0), reason));
  }

  async stopContainer(id: string, timeoutMs: number): Promise<void> {
    const c = this.#get(id);
    this.calls.push(`stop ${c.pod}/${c.cfg.name} ${Math.round(timeoutMs / 1000)}s`);
    if (c.status.state !== 'running') return;
    const done = new Promise<void>((r) => c.waiters.push(() => r()));
    if (timeoutMs <= 0) {
      c.signals.push('SIGKILL');
      this.#exit(c, 137, 'Error');
    } else {
      c.signals.push('SIGTERM');
      if (!c.ignoreSigterm) this.#exit(c, 143, 'Error');
      else {
        c.killTimer = this.#clock.after(timeoutMs, () => {
          c.signals.push('SIGKILL');
          this.#exit(c, 137, 'Error');
        });
      }
    }
    await done;
  }

  async removeContainer(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (c) this.calls.push(`remove ${c.pod}/${c.cfg.name}`);
    this.containers.delete(id);
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    return { ...this.#get(id).status };
  }

  waitContainer(id: string): Promise<ContainerStatus> {
    const c = this.#get(id);
    if (c.status.state === 'exited') return Promise.resolve({ ...c.status });
    return new Promise((r) => c.waiters.push(r));
  }

  async exec(id: string, opts: ExecOptions): Promise<{ exitCode: number }> {
    const c = this.#get(id);
    this.calls.push(`exec ${c.pod}/${c.cfg.name} ${opts.cmd.join(' ')}`);
    if (c.status.state !== 'running') throw new Error(`container ${id} is not running`);
    const a = this.execAnswers.get(`${c.pod}/${c.cfg.name}`);
    let ans = typeof a === 'function' ? a(opts.cmd) : a;
    if (ans === undefined) {
      // A few commands behave as their shell namesakes.
      if (opts.cmd[0] === 'false') ans = 1;
      else if (opts.cmd[0] === 'echo') ans = { exitCode: 0, output: `${opts.cmd.slice(1).join(' ')}\n` };
      else ans = 0;
    }
    const r = typeof ans === 'number' ? { exitCode: ans } : ans;
    if (r.output) opts.stdout?.write(r.output);
    return { exitCode: r.exitCode };
  }

  async attach(id: string, opts: Omit<ExecOptions, 'cmd' | 'timeoutMs'>): Promise<void> {
    const c = this.#get(id);
    this.calls.push(`attach ${c.pod}/${c.cfg.name}`);
    opts.stdout?.write(`attached to ${c.cfg.name}\n`);
  }

  async stats(id: string): Promise<{ cpuUsageNanoSeconds: number; memoryWorkingSetBytes: number } | undefined> {
    return this.containers.has(id) ? { cpuUsageNanoSeconds: 1_000_000, memoryWorkingSetBytes: 4 << 20 } : undefined;
  }

  async close(): Promise<void> {
    for (const c of this.containers.values()) c.killTimer?.cancel();
  }

  // --- internals ---------------------------------------------------------------------------------

  #get(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (!c) throw new Error(`fake runtime: no container ${id}`);
    return c;
  }

  #exit(c: FakeContainer, exitCode: number, reason?: string, signal?: string) {
    if (c.status.state === 'exited') return;
    if (signal) c.signals.push(signal);
    c.killTimer?.cancel();
    c.status = { ...c.status, state: 'exited', finishedAt: this.#clock.now(), exitCode, reason: reason ?? (exitCode === 0 ? 'Completed' : 'Error') };
    delete c.status.pid;
    this.calls.push(`exited ${c.pod}/${c.cfg.name} ${exitCode}`);
    this.#log(c, 'stderr', `exited ${exitCode}`);
    const s = { ...c.status };
    for (const w of c.waiters.splice(0)) w(s);
  }

  #log(c: FakeContainer, stream: string, line: string) {
    try {
      mkdirSync(dirname(c.cfg.logPath), { recursive: true });
      appendFileSync(c.cfg.logPath, `${new Date(this.#clock.now()).toISOString().replace('Z', '000000Z')} ${stream} F ${line}\n`);
    } catch {
      // tests without a log dir
    }
  }
}

function imageRef(image: string): string {
  if (image.includes('@')) return image;
  let h = 0x811c9dc5;
  for (let i = 0; i < image.length; i++) h = Math.imul(h ^ image.charCodeAt(i), 0x01000193) >>> 0;
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  const repo = colon > slash ? image.slice(0, colon) : image;
  return `${repo}@sha256:${h.toString(16).padStart(8, '0').repeat(8)}`;
}
