// kubectl exec / attach: the remotecommand protocols (k8s.io/apimachinery remotecommand constants and the
// kubelet's streaming server) over WebSocket channels (channel.k8s.io … v5.channel.k8s.io) and over SPDY
// streams selected by their `streamtype` header, ending with a metav1.Status on the error channel/stream.

import { PassThrough } from 'node:stream';
import type { Readable, Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import { badRequest, internalError, isStatusError } from '../../machinery/errors.ts';
import type { StreamBackend, TerminalSize } from './backend.ts';
import type { SpdySession, SpdyStream } from './spdy.ts';
import { ChannelConn } from './websocket.ts';

/** WebSocket subprotocols for exec/attach; the client's order decides. */
export const REMOTECOMMAND_WS_PROTOCOLS = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v4.base64.channel.k8s.io',
  'channel.k8s.io',
  'base64.channel.k8s.io',
] as const;

/** X-Stream-Protocol-Version values for exec/attach over SPDY. */
export const REMOTECOMMAND_SPDY_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'] as const;

const STREAM_CREATION_TIMEOUT_MS = 30_000;

export interface RemoteCommandOptions {
  container: string;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** Query booleans as the API's conversion reads them: present and not "0"/"false" means true. */
export function queryBool(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  if (v === null) return false;
  return !(v === '0' || v.toLowerCase() === 'false');
}

/** PodExecOptions / PodAttachOptions from the query, checked as the kubelet checks them. */
export function parseRemoteCommandOptions(kind: 'exec' | 'attach', query: URLSearchParams): RemoteCommandOptions {
  const tty = queryBool(query, 'tty');
  const opts: RemoteCommandOptions = {
    container: query.get('container') ?? '',
    command: kind === 'exec' ? query.getAll('command') : [],
    stdin: queryBool(query, 'stdin'),
    stdout: queryBool(query, 'stdout'),
    // With a TTY the terminal carries stderr too; the kubelet drops a stderr request.
    stderr: queryBool(query, 'stderr') && !tty,
    tty,
  };
  if (!opts.stdin && !opts.stdout && !opts.stderr) throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
  if (kind === 'exec' && opts.command.length === 0) throw badRequest('you must specify at least one command for the container');
  return opts;
}

type Outcome = { exitCode?: number; error?: unknown };

/** The metav1.Status the v4+ protocols write on the error channel (json.Marshal of a bare Status). */
export function statusFor(outcome: Outcome, command: string[]): Record<string, unknown> {
  if (outcome.error !== undefined) {
    const e = outcome.error;
    const st = isStatusError(e) ? e.status : internalError(e instanceof Error ? e.message : String(e)).status;
    const { kind: _k, apiVersion: _a, ...rest } = st;
    return rest;
  }
  const code = outcome.exitCode ?? 0;
  if (code === 0) return { metadata: {}, status: 'Success' };
  const what = command.length ? `error executing command [${command.join(' ')}], exit code ${code}` : `exit code ${code}`;
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: ${what}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

/** Terminal sizes from the resize channel/stream: a stream of JSON objects `{"Width":w,"Height":h}`. */
class ResizeFeed {
  #text = '';
  #last: TerminalSize | undefined;
  #listeners: ((s: TerminalSize) => void)[] = [];

  feed(data: Buffer): void {
    this.#text += data.toString('utf8');
    const parts = this.#text.split('\n');
    this.#text = parts.pop() ?? '';
    if (this.#text.trim()) {
      try {
        JSON.parse(this.#text);
        parts.push(this.#text);
        this.#text = '';
      } catch {
        // incomplete; wait for more
      }
    }
    for (const p of parts) {
      if (!p.trim()) continue;
      try {
        const v = JSON.parse(p) as { Width?: number; Height?: number };
        const size = { width: Number(v.Width ?? 0), height: Number(v.Height ?? 0) };
        this.#last = size;
        for (const l of this.#listeners) l(size);
      } catch {
        // the kubelet ignores a size it cannot decode
      }
    }
  }

  register = (cb: (s: TerminalSize) => void): void => {
    this.#listeners.push(cb);
    if (this.#last) cb(this.#last);
  };
}

export interface RemoteCommandTarget {
  kind: 'exec' | 'attach';
  namespace: string;
  pod: string;
}

async function run(
  target: RemoteCommandTarget,
  opts: RemoteCommandOptions,
  backend: StreamBackend,
  io: { stdin?: Readable; stdout?: Writable; stderr?: Writable; resize?: ResizeFeed },
): Promise<Outcome> {
  const req = {
    namespace: target.namespace,
    pod: target.pod,
    container: opts.container,
    tty: opts.tty,
    ...(io.stdin ? { stdin: io.stdin } : {}),
    ...(io.stdout ? { stdout: io.stdout } : {}),
    ...(io.stderr ? { stderr: io.stderr } : {}),
    ...(io.resize ? { resize: io.resize.register } : {}),
  };
  try {
    if (target.kind === 'exec') return await backend.exec({ ...req, command: opts.command });
    return await backend.attach(req);
  } catch (error) {
    return { error: error ?? new Error('unknown error') };
  }
}

function finish(w: Writable | undefined): Promise<void> {
  if (!w) return Promise.resolve();
  return new Promise((resolve) => {
    if (w.writableFinished || w.destroyed) return resolve();
    w.once('finish', () => resolve());
    w.once('close', () => resolve());
    w.once('error', () => resolve());
    if (!w.writableEnded) w.end();
  });
}

/** Serves one exec/attach over an upgraded SPDY session that negotiated `protocol`. */
export function serveRemoteCommandSpdy(
  session: SpdySession,
  protocol: string,
  target: RemoteCommandTarget,
  opts: RemoteCommandOptions,
  backend: StreamBackend,
): Promise<void> {
  const version = protocol === 'channel.k8s.io' || protocol === '' ? 1 : Number(protocol[1]);
  const want = new Set(['error']);
  if (opts.stdin) want.add('stdin');
  if (opts.stdout) want.add('stdout');
  if (opts.stderr) want.add('stderr');
  if (opts.tty && version >= 3) want.add('resize');
  const got = new Map<string, SpdyStream>();

  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => session.close(), STREAM_CREATION_TIMEOUT_MS);
    timer.unref();
    session.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    session.on('stream', (s: SpdyStream) => {
      const type = s.headers['streamtype'] ?? '';
      if (!want.has(type) || got.has(type)) {
        s.destroy();
        return;
      }
      got.set(type, s);
      if (got.size < want.size) return;
      clearTimeout(timer);
      void serve().then(resolve, resolve);
    });
  });

  async function serve(): Promise<void> {
    const errorStream = got.get('error')!;
    const stdout = got.get('stdout');
    const stderr = got.get('stderr');
    let resize: ResizeFeed | undefined;
    const resizeStream = got.get('resize');
    if (resizeStream) {
      const feed = new ResizeFeed();
      resize = feed;
      resizeStream.on('data', (d: Buffer) => feed.feed(d));
    }
    const stdinStream = got.get('stdin');
    const outcome = await run(target, opts, backend, {
      ...(stdinStream ? { stdin: stdinStream } : {}),
      ...(stdout ? { stdout } : {}),
      ...(stderr ? { stderr } : {}),
      ...(resize ? { resize } : {}),
    });
    await Promise.all([finish(stdout), finish(stderr)]);
    const status = statusFor(outcome, opts.command);
    if (version >= 4) errorStream.write(JSON.stringify(status));
    else if (status['status'] !== 'Success') errorStream.write(String(status['message'] ?? ''));
    await finish(errorStream);
    for (const s of got.values()) if (!s.writableEnded) s.end();
    session.close();
  }
}

/** Serves one exec/attach over an accepted WebSocket that negotiated `protocol` ('' = channel.k8s.io). */
export async function serveRemoteCommandWs(
  ws: WebSocket,
  protocol: string,
  target: RemoteCommandTarget,
  opts: RemoteCommandOptions,
  backend: StreamBackend,
): Promise<void> {
  const version = protocol.startsWith('v5.') ? 5 : protocol.startsWith('v4.') ? 4 : 1;
  const stdin = opts.stdin ? new PassThrough() : undefined;
  const resize = opts.tty && version >= 4 ? new ResizeFeed() : undefined;
  const conn = new ChannelConn(ws, protocol.includes('base64'), (channel, data) => {
    if (channel === 0) {
      if (stdin && !stdin.writableEnded) stdin.write(data);
    } else if (channel === 4) {
      resize?.feed(data);
    } else if (channel === 255 && version >= 5) {
      // v5 close signal: the payload names the channel the client has finished writing.
      if (data[0] === 0 && stdin && !stdin.writableEnded) stdin.end();
    }
  });
  ws.once('close', () => {
    if (stdin && !stdin.writableEnded) stdin.end();
  });
  ws.on('error', () => {});
  const stdout = opts.stdout ? conn.writer(1) : undefined;
  const stderr = opts.stderr ? conn.writer(2) : undefined;
  const outcome = await run(target, opts, backend, {
    ...(stdin ? { stdin } : {}),
    ...(stdout ? { stdout } : {}),
    ...(stderr ? { stderr } : {}),
    ...(resize ? { resize } : {}),
  });
  await Promise.all([finish(stdout), finish(stderr)]);
  const status = statusFor(outcome, opts.command);
  if (version >= 4) conn.send(3, Buffer.from(JSON.stringify(status)));
  else if (status['status'] !== 'Success') conn.send(3, Buffer.from(String(status['message'] ?? '')));
  // kubectl reads the error channel until the connection ends, so the close is what completes the command.
  if (ws.readyState === ws.OPEN) ws.close(1000);
}
