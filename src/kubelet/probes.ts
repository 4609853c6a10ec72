// Container probes and lifecycle-hook handlers as the kubelet's prober runs them: exec (through the
// runtime), httpGet (to the pod IP, 200–399 is success) and tcpSocket, with timeoutSeconds and the
// upstream failure messages; and one worker per probe with initialDelaySeconds, periodSeconds,
// successThreshold and failureThreshold (pkg/kubelet/prober/worker.go).
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Writable } from 'node:stream';
import type { Obj } from '../client/types.ts';
import type { Clock, Timer } from '../machinery/clock.ts';
import type { ContainerRuntime } from './runtime/runtime.ts';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

export interface ProbeResult {
  ok: boolean;
  output: string;
}

export interface HandlerTarget {
  runtime: ContainerRuntime;
  containerId: string;
  /** The container spec (named ports). */
  container: Obj;
  podIP: string;
  /** The kubelet's version for the User-Agent (kube-probe/<major.minor>). */
  userAgent?: string;
  /**
   * Opens a connection to an address of the node's network when it is not the host's loopback
   * (a cluster whose data plane lives in a network namespace); without it such probes fail.
   */
  dial?: Dialer;
}

export type Dialer = (host: string, port: number, timeoutMs: number) => Promise<Socket>;

const MAX_OUTPUT = 10 * 1024;

function isLoopback(host: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === 'localhost';
}

/** Resolves a named container port (IntOrString) to its number. */
export function resolvePort(port: unknown, container: Obj): number | undefined {
  if (typeof port === 'number') return port;
  if (typeof port === 'string' && /^\d+$/.test(port)) return Number(port);
  const p = (container.ports ?? []).find((x: Obj) => x.name === port);
  return p?.containerPort;
}

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void) {
    if (this.text.length < MAX_OUTPUT) this.text += chunk.toString('utf8');
    cb();
  }
}

async function execHandler(h: Obj, t: HandlerTarget, timeoutMs: number): Promise<ProbeResult> {
  const cmd: string[] = h.command ?? [];
  const out = new Collect();
  let timer: NodeJS.Timeout | undefined;
  try {
    const run = t.runtime.exec(t.containerId, { cmd, stdout: out, stderr: out, timeoutMs });
    // The runtime enforces the timeout; this is a backstop for one that does not.
    const timeout = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), timeoutMs + 1000);
      timer.unref?.();
    });
    const res = await Promise.race([run, timeout]);
    if (res === 'timeout') return { ok: false, output: `command ${JSON.stringify(cmd.join(' '))} timed out` };
    return { ok: res.exitCode === 0, output: out.text.slice(0, MAX_OUTPUT) };
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    return { ok: false, output: /timed? ?out/i.test(msg) ? `command ${JSON.stringify(cmd.join(' '))} timed out` : msg };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

function dialError(e: NodeJS.ErrnoException, addr: string): string {
  if (e.code === 'ECONNREFUSED') return `dial tcp ${addr}: connect: connection refused`;
  if (e.code === 'ETIMEDOUT') return `dial tcp ${addr}: i/o timeout`;
  return `dial tcp ${addr}: ${e.message}`;
}

async function httpGetHandler(h: Obj, t: HandlerTarget, timeoutMs: number): Promise<ProbeResult> {
  const host: string = h.host || t.podIP;
  const port = resolvePort(h.port, t.container);
  const scheme = String(h.scheme ?? 'HTTP').toLowerCase();
  let path: string = h.path ?? '/';
  if (!path.startsWith('/')) path = `/${path}`;
  const url = `${scheme}://${host}:${port}${path}`;
  if (port === undefined) return { ok: false, output: `unable to resolve port ${JSON.stringify(h.port)}` };
  const dial = isLoopback(host) ? undefined : t.dial;
  if (!isLoopback(host) && !dial) return { ok: false, output: `Get "${url}": probe host ${host} is outside the loopback network this node serves` };
  const headers: Record<string, string> = { 'User-Agent': t.userAgent ?? 'kube-probe/1.36', Accept: '*/*' };
  for (const hh of h.httpHeaders ?? []) if (hh?.name) headers[hh.name] = String(hh.value ?? '');
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: ProbeResult) => {
      if (done) return;
      done = true;
      resolve(r);
    };
    const https = scheme === 'https';
    // Through the node's dialer: the request goes over the socket it opens (TLS on top for https).
    const createConnection = dial
      ? (_o: unknown, cb: (err: Error | null, s?: Socket) => void) => {
          dial(host, port, timeoutMs).then((s) => cb(null, https ? tlsConnect({ socket: s, rejectUnauthorized: false }) : s), (e: Error) => cb(e));
          return undefined;
        }
      : undefined;
    const req = (https ? httpsRequest : httpRequest)({ host, port, path, method: 'GET', headers, timeout: timeoutMs, ...(https ? { rejectUnauthorized: false } : {}), ...(createConnection ? { createConnection: createConnection as never } : {}) }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        if (body.length < MAX_OUTPUT) body += c.toString('utf8');
      });
      res.on('end', () => {
        const code = res.statusCode ?? 0;
        if (code >= 200 && code < 400) finish({ ok: true, output: body.slice(0, MAX_OUTPUT) });
        else finish({ ok: false, output: `HTTP probe failed with statuscode: ${code}` });
      });
      res.on('error', (e) => finish({ ok: false, output: `Get "${url}": ${e.message}` }));
    });
    req.on('timeout', () => {
      finish({ ok: false, output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
      req.destroy();
    });
    req.on('error', (e: NodeJS.ErrnoException) => finish({ ok: false, output: `Get "${url}": ${dialError(e, `${host}:${port}`)}` }));
    req.end();
  });
}

async function tcpHandler(h: Obj, t: HandlerTarget, timeoutMs: number): Promise<ProbeResult> {
  const host: string = h.host || t.podIP;
  const port = resolvePort(h.port, t.container);
  if (port === undefined) return { ok: false, output: `unable to resolve port ${JSON.stringify(h.port)}` };
  const addr = `${host}:${port}`;
  if (!isLoopback(host)) {
    if (!t.dial) return { ok: false, output: `dial tcp ${addr}: probe host is outside the loopback network this node serves` };
    return t.dial(host, port, timeoutMs).then(
      (s) => (s.destroy(), { ok: true, output: '' }),
      (e: NodeJS.ErrnoException) => ({ ok: false, output: dialError(e, addr) }),
    );
  }
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: timeoutMs });
    s.once('connect', () => {
      s.destroy();
      resolve({ ok: true, output: '' });
    });
    s.once('timeout', () => {
      s.destroy();
      resolve({ ok: false, output: `dial tcp ${addr}: i/o timeout` });
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, output: dialError(e, addr) }));
  });
}

/** Runs a probe or lifecycle handler (exec / httpGet / tcpSocket; grpc is not supported here). */
export async function runHandler(h: Obj, t: HandlerTarget, timeoutMs: number): Promise<ProbeResult> {
  if (h.exec) return execHandler(h.exec, t, timeoutMs);
  if (h.httpGet) return httpGetHandler(h.httpGet, t, timeoutMs);
  if (h.tcpSocket) return tcpHandler(h.tcpSocket, t, timeoutMs);
  if (h.grpc) return { ok: false, output: 'gRPC probes are not supported by this node' };
  return { ok: false, output: 'missing probe handler' };
}

const TITLE: Record<ProbeKind, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

/** The Unhealthy event message of a failed probe. */
export function probeFailedMessage(kind: ProbeKind, output: string): string {
  return `${TITLE[kind]} probe failed: ${output}`;
}

export interface ProbeWorkerOptions {
  kind: ProbeKind;
  probe: Obj;
  clock: Clock;
  run: (timeoutMs: number) => Promise<ProbeResult>;
  /** The result crossed its threshold (true = success). */
  onChange: (ok: boolean, output: string) => void;
  /** Every failed attempt (the kubelet records an Unhealthy event for each). */
  onFailure?: (output: string) => void;
}

/**
 * Probes one container periodically. Results start as the kubelet's: readiness false, liveness
 * true, startup unknown (false); a startup probe stops once it succeeded.
 */
export class ProbeWorker {
  readonly kind: ProbeKind;
  result: boolean;
  #o: ProbeWorkerOptions;
  #timer: Timer | undefined;
  #stopped = false;
  #running = false;
  #streak = 0;
  #last: boolean | undefined;

  constructor(o: ProbeWorkerOptions) {
    this.#o = o;
    this.kind = o.kind;
    this.result = o.kind === 'liveness';
  }

  start(): void {
    const delay = Math.max(0, Number(this.#o.probe.initialDelaySeconds ?? 0)) * 1000;
    this.#schedule(delay);
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #schedule(ms: number) {
    if (this.#stopped) return;
    this.#timer?.cancel();
    this.#timer = this.#o.clock.after(ms, () => void this.#tick());
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    const p = this.#o.probe;
    const period = Math.max(1, Number(p.periodSeconds ?? 10)) * 1000;
    this.#schedule(period);
    if (this.#running) return;
    this.#running = true;
    let r: ProbeResult;
    try {
      r = await this.#o.run(Math.max(1, Number(p.timeoutSeconds ?? 1)) * 1000);
    } catch (e) {
      r = { ok: false, output: (e as Error).message ?? String(e) };
    } finally {
      this.#running = false;
    }
    if (this.#stopped) return;
    if (!r.ok) this.#o.onFailure?.(r.output);
    this.#streak = this.#last === r.ok ? this.#streak + 1 : 1;
    this.#last = r.ok;
    const threshold = r.ok ? Number(p.successThreshold ?? 1) : Number(p.failureThreshold ?? 3);
    if (this.#streak >= threshold && this.result !== r.ok) {
      this.result = r.ok;
      this.#o.onChange(r.ok, r.output);
    } else if (!r.ok && this.#streak >= threshold && this.kind !== 'readiness') {
      // Liveness and startup keep reporting while failing (the container is being restarted).
      this.#o.onChange(false, r.output);
    }
    if (this.kind === 'startup' && this.result) this.stop();
  }
}
