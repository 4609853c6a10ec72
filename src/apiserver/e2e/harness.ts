// End-to-end harness for driving the real kubectl against a fresh API server: a server on sqlite
// in a temp dir, a kubeconfig and cache dir of its own (nothing touches ~/.kube), kubectl runs of a
// chosen minor with a timeout, long-running kubectl children (get --watch), and a parser for the
// column-aligned tables kubectl prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { ApiServer, type ApiServerOptions } from '../server.ts';
import { SqliteBackend } from '../../storage/sqlite/sqlite.ts';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Text written to kubectl's stdin (for `-f -`). */
  stdin?: string;
  /** Extra environment (e.g. KUBE_EDITOR). */
  env?: Record<string, string>;
  /** kubectl minor to run, e.g. "1.27"; default: the cluster's default. */
  version?: string;
  timeoutMs?: number;
  /** Working directory (default: the cluster's temp dir). */
  cwd?: string;
}

/** The `kubectl` on the PATH (the dispatcher that picks a minor from the server's /version). */
export function kubectlOnPath(): string {
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    if (!d) continue;
    const p = join(d, 'kubectl');
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  throw new Error('kubectl is not on the PATH');
}

/** The binary for a kubectl minor ("1.27" → kubectl.1.27 beside the dispatcher); undefined → the dispatcher. */
export function kubectlBinary(version?: string): string {
  const onPath = kubectlOnPath();
  if (!version) return onPath;
  return join(dirname(realpathSync(onPath)), `kubectl.${version.replace(/^v/, '')}`);
}

/** Runs a program with a timeout and collects its output; never throws for a non-zero exit. */
export function run(file: string, args: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: opts.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (timedOut) {
        reject(new Error(`${file} ${args.join(' ')} timed out after ${opts.timeoutMs ?? 30_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
        return;
      }
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.stdin ?? '');
  });
}

/** A kubectl that keeps running (get --watch): its output so far, and a way to wait for a line. */
export class KubectlStream {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  #waiters = new Set<() => void>();
  #exited: Promise<number | null>;

  constructor(child: ChildProcess) {
    this.child = child;
    const wake = () => {
      for (const w of this.#waiters) w();
    };
    child.stdout!.on('data', (c: Buffer) => {
      this.stdout += c.toString('utf8');
      wake();
    });
    child.stderr!.on('data', (c: Buffer) => {
      this.stderr += c.toString('utf8');
      wake();
    });
    this.#exited = new Promise((resolve) => child.on('close', (code) => {
      wake();
      resolve(code);
    }));
  }

  get lines(): string[] {
    return this.stdout.split('\n').filter((l) => l !== '');
  }

  /** Waits until `test(stdout)` holds, the process exits, or the deadline passes (then throws). */
  async waitFor(test: (stdout: string) => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!test(this.stdout)) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`kubectl exited (${this.child.exitCode ?? this.child.signalCode}) before the expected output\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for kubectl output\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          this.#waiters.delete(done);
          resolve();
        };
        const t = setTimeout(done, left);
        this.#waiters.add(done);
      });
    }
  }

  /** Stops kubectl and waits for it to exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.#exited;
  }
}

export interface ClusterOptions {
  /** The Kubernetes version the server reports (decides which kubectl the dispatcher runs). */
  version?: string;
  /** The kubectl minor `kubectl()` runs by default ("1.27"); default: the dispatcher on the PATH. */
  kubectlVersion?: string;
  server?: Partial<Omit<ApiServerOptions, 'storage' | 'port'>>;
}

/** A fresh API server on sqlite in a temp dir, with a kubeconfig pointing at it. */
export class TestCluster {
  readonly api: ApiServer;
  readonly dir: string;
  readonly kubeconfig: string;
  readonly cacheDir: string;
  readonly url: string;
  readonly kubectlVersion: string | undefined;
  #streams = new Set<KubectlStream>();

  private constructor(api: ApiServer, dir: string, url: string, kubectlVersion: string | undefined) {
    this.api = api;
    this.dir = dir;
    this.url = url;
    this.kubectlVersion = kubectlVersion;
    this.kubeconfig = join(dir, 'kubeconfig');
    this.cacheDir = join(dir, 'kube-cache');
    writeFileSync(
      this.kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: skiff',
        '  cluster:',
        `    server: ${url}`,
        'users:',
        '- name: skiff',
        '  user: {}',
        'contexts:',
        '- name: skiff',
        '  context:',
        '    cluster: skiff',
        '    user: skiff',
        'current-context: skiff',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
  }

  static async start(opts: ClusterOptions = {}): Promise<TestCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-e2e-'));
    const storage = new SqliteBackend({ path: join(dir, 'state.db') });
    const api = new ApiServer({ ...(opts.server ?? {}), storage, port: 0, ...(opts.version ? { version: opts.version } : {}) });
    let url: string;
    try {
      url = await api.start();
    } catch (e) {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    return new TestCluster(api, dir, url, opts.kubectlVersion);
  }

  #env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const k of ['PATH', 'LANG', 'LC_ALL', 'TZ']) if (process.env[k] !== undefined) env[k] = process.env[k];
    // HOME in the temp dir too, so that nothing reads or writes the user's ~/.kube.
    return { ...env, HOME: this.dir, KUBECONFIG: this.kubeconfig, ...extra };
  }

  #args(args: string[]): string[] {
    return ['--kubeconfig', this.kubeconfig, '--cache-dir', this.cacheDir, ...args];
  }

  /** Runs kubectl with the cluster's kubeconfig and cache dir. */
  kubectl(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const bin = kubectlBinary(opts.version ?? this.kubectlVersion);
    return run(bin, this.#args(args), { env: this.#env(opts.env), timeoutMs: opts.timeoutMs ?? 30_000, cwd: opts.cwd ?? this.dir, ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}) });
  }

  /** Runs kubectl and fails with its output unless it exits 0; returns stdout. */
  async ok(args: string[], opts: RunOptions = {}): Promise<string> {
    const r = await this.kubectl(args, opts);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  }

  /** `kubectl get ARGS -o json`, parsed. */
  async getJSON(args: string[], opts: RunOptions = {}): Promise<any> {
    return JSON.parse(await this.ok(['get', ...args, '-o', 'json'], opts));
  }

  /** Starts a long-running kubectl (e.g. `get cm -w`); stopped by `stop()` at the latest. */
  spawnKubectl(args: string[], opts: Omit<RunOptions, 'stdin' | 'timeoutMs'> = {}): KubectlStream {
    const bin = kubectlBinary(opts.version ?? this.kubectlVersion);
    const child = spawn(bin, this.#args(args), { env: this.#env(opts.env), cwd: opts.cwd ?? this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const s = new KubectlStream(child);
    this.#streams.add(s);
    return s;
  }

  /** Writes a file in the cluster's temp dir and returns its path. */
  file(name: string, content: string): string {
    const p = join(this.dir, name);
    writeFileSync(p, content);
    return p;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#streams].map((s) => s.stop()));
    await this.api.stop();
    await this.api.storage.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Table {
  header: string[];
  rows: Record<string, string>[];
}

/**
 * Parses one table kubectl printed (header line, then rows aligned under it). A column spans from
 * its header's start to the next header's start, so cells with single spaces survive.
 */
export function parseTable(text: string): Table {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return { header: [], rows: [] };
  const head = lines[0]!;
  const cols: { name: string; start: number }[] = [];
  for (const m of head.matchAll(/\S+(?: \S+)*/g)) cols.push({ name: m[0], start: m.index });
  const rows = lines.slice(1).map((line) => {
    const row: Record<string, string> = {};
    cols.forEach((c, i) => {
      const end = i + 1 < cols.length ? cols[i + 1]!.start : undefined;
      row[c.name] = line.slice(c.start, end).trim();
    });
    return row;
  });
  return { header: cols.map((c) => c.name), rows };
}

/** Parses several tables separated by blank lines (`kubectl get all`, `get a,b`). */
export function parseTables(text: string): Table[] {
  return text
    .split(/\n\s*\n/)
    .filter((b) => b.trim() !== '')
    .map(parseTable);
}
