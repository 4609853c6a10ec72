// End-to-end harness for the control loops: a cluster started the way a user starts one
// (`bin/skiff up --detach` on a temp data dir with simulated nodes), the real kubectl against it
// (own kubeconfig, cache dir and HOME, nothing touches ~/.kube or ~/.skiff), `skiff` commands
// against its control socket, `kubectl get --watch` streams parsed into events, polling with a
// deadline, and `skiff down` at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { kubectlBinary, run, type RunResult } from '../../apiserver/e2e/harness.ts';

export type { RunResult };

export const skiffBin = join(import.meta.dirname, '..', '..', '..', 'bin', 'skiff');

export interface KubectlOptions {
  stdin?: string;
  timeoutMs?: number;
}

export interface UpOptions {
  /** `--sim-nodes` (default 20). */
  simNodes?: number;
  /** More `skiff up` flags, e.g. the upstream timing flags. */
  flags?: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls `fn` until it returns something other than undefined/false, or throws after the deadline with the last value seen. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000, intervalMs = 150): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await sleep(intervalMs);
  }
}

/** Clusters still up, stopped by pid if the test process exits without `down()`. */
const live = new Set<SkiffCluster>();
process.once('exit', () => {
  for (const c of live) c.killNow();
});

/** A `skiff up --detach` cluster in a temp data dir, driven with the real kubectl. */
export class SkiffCluster {
  readonly dir: string;
  readonly kubeconfig: string;
  readonly cacheDir: string;
  #streams = new Set<WatchStream>();

  private constructor(dir: string) {
    this.dir = dir;
    this.kubeconfig = join(dir, 'kubeconfig');
    this.cacheDir = join(dir, 'kube-cache');
  }

  static async up(opts: UpOptions = {}): Promise<SkiffCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-cluster-e2e-'));
    const c = new SkiffCluster(dir);
    live.add(c);
    const r = await c.skiff(['up', '--detach', '--port', '0', '--kubeconfig', c.kubeconfig, '--sim-nodes', String(opts.simNodes ?? 20), ...(opts.flags ?? [])], 90_000);
    if (r.code !== 0) {
      const log = existsSync(join(dir, 'skiff.log')) ? readFileSync(join(dir, 'skiff.log'), 'utf8') : '';
      await c.down();
      throw new Error(`skiff up exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}\nlog: ${log}`);
    }
    return c;
  }

  #env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const k of ['PATH', 'LANG', 'LC_ALL', 'TZ']) if (process.env[k] !== undefined) env[k] = process.env[k];
    return { ...env, HOME: this.dir, KUBECONFIG: this.kubeconfig };
  }

  /** Runs `skiff ARGS --data-dir DIR`. */
  skiff(args: string[], timeoutMs = 30_000): Promise<RunResult> {
    return run(process.execPath, [skiffBin, ...args, '--data-dir', this.dir], { env: this.#env(), timeoutMs, cwd: this.dir });
  }

  kubectl(args: string[], opts: KubectlOptions = {}): Promise<RunResult> {
    return run(kubectlBinary(), ['--kubeconfig', this.kubeconfig, '--cache-dir', this.cacheDir, ...args], {
      env: this.#env(),
      timeoutMs: opts.timeoutMs ?? 30_000,
      cwd: this.dir,
      ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
    });
  }

  /** Runs kubectl and fails with its output unless it exits 0; returns stdout. */
  async ok(args: string[], opts: KubectlOptions = {}): Promise<string> {
    const r = await this.kubectl(args, opts);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  }

  /** `kubectl get ARGS -o json`, parsed. */
  async get(args: string[]): Promise<any> {
    return JSON.parse(await this.ok(['get', ...args, '-o', 'json']));
  }

  /** `kubectl apply -f -` of objects (or YAML text), optionally into a namespace. */
  async apply(objs: string | object | object[], namespace?: string): Promise<string> {
    const text = typeof objs === 'string' ? objs : (Array.isArray(objs) ? objs : [objs]).map((o) => YAML.stringify(o)).join('---\n');
    return this.ok(['apply', '-f', '-', ...(namespace ? ['-n', namespace] : [])], { stdin: text });
  }

  /** Creates a namespace and waits for its default ServiceAccount (pods need it). */
  async namespace(name: string): Promise<string> {
    await this.ok(['create', 'namespace', name]);
    await eventually(`serviceaccount default in ${name}`, async () => (await this.kubectl(['get', 'serviceaccount', 'default', '-n', name])).code === 0);
    return name;
  }

  /** Events about one object, oldest first. */
  async events(namespace: string, kind: string, name: string): Promise<any[]> {
    const list = await this.get(['events', '-n', namespace, '--field-selector', `involvedObject.kind=${kind},involvedObject.name=${name}`]);
    return (list.items as any[]).sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)) || Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
  }

  /** Starts `kubectl get ARGS --watch --output-watch-events -o json` and resolves once its watch is open. */
  async watch(args: string[]): Promise<WatchStream> {
    const child = spawn(kubectlBinary(), ['--kubeconfig', this.kubeconfig, '--cache-dir', this.cacheDir, 'get', ...args, '--watch', '--output-watch-events', '-o', 'json', '-v=6'], {
      env: this.#env(),
      cwd: this.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const w = new WatchStream(child);
    this.#streams.add(w);
    await w.opened();
    return w;
  }

  /** Starts a long-running kubectl (logs -f, port-forward); stopped by `down()` if the test did not stop it. */
  spawnKubectl(args: string[]): WatchStream {
    const child = spawn(kubectlBinary(), ['--kubeconfig', this.kubeconfig, '--cache-dir', this.cacheDir, ...args], {
      env: this.#env(),
      cwd: this.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const w = new WatchStream(child);
    this.#streams.add(w);
    return w;
  }

  /** Stops the process at once (exit handler of a test process that did not call down()). */
  killNow(): void {
    for (const w of this.#streams) w.child.kill('SIGKILL');
    try {
      const pid = Number(readFileSync(join(this.dir, 'skiff.pid'), 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0) process.kill(pid, 'SIGTERM');
    } catch {
      // not running
    }
  }

  /** Stops watches, runs `skiff down` and removes the data dir. */
  async down(): Promise<void> {
    await Promise.all([...this.#streams].map((w) => w.stop()));
    try {
      const r = await this.skiff(['down'], 40_000);
      if (r.code !== 0) throw new Error(`skiff down exited ${r.code}: ${r.stderr}`);
    } finally {
      live.delete(this);
      if (!process.env.SKIFF_E2E_KEEP) rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: any;
}

/** A running `kubectl get --watch -o json`: the events so far, parsed from the concatenated JSON documents it prints. */
export class WatchStream {
  readonly child: ChildProcess;
  readonly events: WatchEvent[] = [];
  stdout = '';
  stderr = '';
  #pos = 0;
  #start = -1;
  #depth = 0;
  #inString = false;
  #escape = false;
  #wake = new Set<() => void>();
  #closed: Promise<void>;

  constructor(child: ChildProcess) {
    this.child = child;
    const wake = () => {
      for (const w of this.#wake) w();
    };
    child.stdout!.on('data', (c: Buffer) => {
      this.stdout += c.toString('utf8');
      this.#parse();
      wake();
    });
    child.stderr!.on('data', (c: Buffer) => {
      this.stderr += c.toString('utf8');
      wake();
    });
    this.#closed = new Promise((resolve) =>
      child.on('close', () => {
        wake();
        resolve();
      }),
    );
  }

  #parse() {
    const s = this.stdout;
    for (; this.#pos < s.length; this.#pos++) {
      const ch = s[this.#pos];
      if (this.#inString) {
        if (this.#escape) this.#escape = false;
        else if (ch === '\\') this.#escape = true;
        else if (ch === '"') this.#inString = false;
        continue;
      }
      if (ch === '"') this.#inString = true;
      else if (ch === '{') {
        if (this.#depth++ === 0) this.#start = this.#pos;
      } else if (ch === '}') {
        if (--this.#depth === 0) this.events.push(JSON.parse(s.slice(this.#start, this.#pos + 1)));
      }
    }
  }

  /** Waits until `test()` holds (checked after every output), or throws at the deadline or when kubectl exits. */
  async until(what: string, test: () => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!test()) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`kubectl watch exited before ${what}\nstderr: ${this.stderr.slice(-2000)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${this.events.length} watch events)`);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          this.#wake.delete(done);
          resolve();
        };
        const t = setTimeout(done, Math.min(left, 200));
        this.#wake.add(done);
      });
    }
  }

  /** kubectl logs (-v=6) the watch request once the server answered it: from then on every change is delivered. */
  opened(): Promise<void> {
    return this.until('the watch to open', () => /[?&]watch=true\S* 200 OK/.test(this.stderr), 15_000);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.#closed;
  }
}

/** Replays watch events into the set of objects after each event: `visit` sees every state the watcher observed. */
export function replay(events: WatchEvent[], visit: (objects: Map<string, any>, ev: WatchEvent, index: number) => void): Map<string, any> {
  const objects = new Map<string, any>();
  events.forEach((ev, i) => {
    const o = ev.object;
    const key = `${o?.metadata?.namespace ?? ''}/${o?.metadata?.name ?? ''}`;
    if (ev.type === 'ADDED' || ev.type === 'MODIFIED') objects.set(key, o);
    else if (ev.type === 'DELETED') objects.delete(key);
    else return;
    visit(objects, ev, i);
  });
  return objects;
}

export const isReady = (pod: any): boolean => (pod?.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
export const isTerminating = (o: any): boolean => !!o?.metadata?.deletionTimestamp;
