// Container logs in the CRI log format (`<RFC3339Nano> <stdout|stderr> <F|P> <text>`) under
// <dataDir>/logs/pods/<ns>_<pod>_<uid>/<container>/<restartCount>.log, as the kubelet lays out
// /var/log/pods: reading them for `kubectl logs` (tailLines, sinceSeconds/sinceTime, timestamps,
// limitBytes, follow; previous = the file of the run before) and rotating them by size
// (containerLogMaxSize / containerLogMaxFiles, copy-and-truncate since the runtime keeps the file open).
import { closeSync, copyFileSync, existsSync, openSync, readdirSync, readSync, statSync, truncateSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';

export function podLogDir(dataDir: string, namespace: string, name: string, uid: string): string {
  return join(dataDir, 'logs', 'pods', `${namespace}_${name}_${uid}`);
}

export function containerLogPath(dataDir: string, namespace: string, name: string, uid: string, container: string, restartCount: number): string {
  return join(podLogDir(dataDir, namespace, name, uid), container, `${restartCount}.log`);
}

export interface LogLine {
  /** RFC3339Nano as written. */
  time: string;
  ms: number;
  stream: 'stdout' | 'stderr';
  /** The full text, partial (P) lines joined, with the newline. */
  text: string;
}

/** Parses CRI log text; partial (P) lines are joined with the next full (F) one. */
export function parseCriLog(text: string): LogLine[] {
  const out: LogLine[] = [];
  let partial: LogLine | undefined;
  for (const raw of text.split('\n')) {
    if (!raw) continue;
    const a = raw.indexOf(' ');
    const b = raw.indexOf(' ', a + 1);
    const c = raw.indexOf(' ', b + 1);
    if (a < 0 || b < 0) continue;
    const time = raw.slice(0, a);
    const stream = raw.slice(a + 1, b) === 'stderr' ? 'stderr' : 'stdout';
    const tag = c < 0 ? raw.slice(b + 1) : raw.slice(b + 1, c);
    const body = c < 0 ? '' : raw.slice(c + 1);
    if (partial && partial.stream === stream) {
      partial.text += body;
    } else {
      if (partial) out.push({ ...partial, text: `${partial.text}\n` });
      partial = { time, ms: Date.parse(time), stream, text: body };
    }
    if (tag !== 'P') {
      partial.text += '\n';
      out.push(partial);
      partial = undefined;
    }
  }
  if (partial) out.push(partial);
  return out;
}

export interface LogOptions {
  follow?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: string;
  timestamps?: boolean;
  limitBytes?: number;
}

function readFrom(path: string, pos: number): { text: string; end: number } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return { text: '', end: pos };
  }
  try {
    const size = statSync(path).size;
    if (size < pos) pos = 0; // truncated by rotation
    const buf = Buffer.alloc(size - pos);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, pos + off);
      if (n <= 0) break;
      off += n;
    }
    // Only whole lines; a trailing fragment is read again next time.
    const text = buf.subarray(0, off).toString('utf8');
    const nl = text.lastIndexOf('\n');
    return { text: nl < 0 ? '' : text.slice(0, nl + 1), end: pos + (nl < 0 ? 0 : Buffer.byteLength(text.slice(0, nl + 1))) };
  } finally {
    closeSync(fd);
  }
}

/**
 * A stream of a container's log as `kubectl logs` prints it. With follow, it keeps reading until
 * `stillRunning()` says the container stopped (polled every `pollMs`) or the reader goes away.
 */
export function readLogs(path: string, opts: LogOptions, now: number, stillRunning: () => boolean, pollMs = 200): Readable {
  const since = opts.sinceTime ? Date.parse(opts.sinceTime) : opts.sinceSeconds ? now - opts.sinceSeconds * 1000 : undefined;
  let remaining = opts.limitBytes && opts.limitBytes > 0 ? opts.limitBytes : Infinity;
  let pos = 0;
  let first = true;
  let timer: NodeJS.Timeout | undefined;
  const format = (l: LogLine) => (opts.timestamps ? `${l.time} ${l.text}` : l.text);
  const stream = new Readable({
    read() {},
    destroy(err, cb) {
      if (timer) clearTimeout(timer);
      cb(err);
    },
  });
  const push = (lines: LogLine[]) => {
    for (const l of lines) {
      if (since !== undefined && l.ms < since) continue;
      let s = format(l);
      if (Buffer.byteLength(s) > remaining) s = Buffer.from(s).subarray(0, remaining).toString('utf8');
      remaining -= Buffer.byteLength(s);
      stream.push(s);
      if (remaining <= 0) return false;
    }
    return true;
  };
  const pump = () => {
    timer = undefined;
    if (stream.destroyed) return;
    const { text, end } = readFrom(path, pos);
    pos = end;
    let lines = parseCriLog(text);
    if (first) {
      first = false;
      if (opts.tailLines !== undefined && opts.tailLines >= 0) lines = opts.tailLines === 0 ? [] : lines.slice(-opts.tailLines);
    }
    if (!push(lines) || !opts.follow) {
      stream.push(null);
      return;
    }
    if (!stillRunning()) {
      // One last read for what the container wrote as it stopped.
      const last = readFrom(path, pos);
      push(parseCriLog(last.text));
      stream.push(null);
      return;
    }
    timer = setTimeout(pump, pollMs);
    timer.unref?.();
  };
  queueMicrotask(pump);
  return stream;
}

export interface RotationPolicy {
  /** containerLogMaxSize (default 10 MiB). */
  maxBytes: number;
  /** containerLogMaxFiles, the live one included (default 5). */
  maxFiles: number;
}

export const DEFAULT_ROTATION: RotationPolicy = { maxBytes: 10 * 1024 * 1024, maxFiles: 5 };

function stampOf(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/**
 * Rotates one live log file when it passed maxBytes: copies it to `<file>.<timestamp>`, truncates
 * it, and drops the oldest rotated files beyond maxFiles - 1. Returns whether it rotated.
 */
export function rotateLog(path: string, policy: RotationPolicy, now: number): boolean {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return false;
  }
  if (size < policy.maxBytes) return false;
  let target = `${path}.${stampOf(now)}`;
  for (let i = 1; existsSync(target); i++) target = `${path}.${stampOf(now)}-${i}`;
  copyFileSync(path, target);
  truncateSync(path, 0);
  const dir = join(path, '..');
  const base = path.slice(dir.length + 1);
  const rotated = readdirSync(dir)
    .filter((f) => f.startsWith(`${base}.`))
    .sort();
  for (const f of rotated.slice(0, Math.max(0, rotated.length - (policy.maxFiles - 1)))) unlinkSync(join(dir, f));
  return true;
}
