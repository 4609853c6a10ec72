// Container logs in the CRI log format (`<RFC3339Nano> <stream> <P|F> <line>`, as containerd
// writes them and the kubelet reads them), split into partial `P` records past the maximum line
// size, and rotated like the kubelet's container log manager (containerLogMaxSize 10Mi,
// containerLogMaxFiles 5: the live file plus `<log>.<YYYYMMDD-hhmmss>` older ones).
import { closeSync, mkdirSync, openSync, readdirSync, renameSync, existsSync, fstatSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export const DEFAULT_LOG_MAX_SIZE = 10 * 1024 * 1024;
export const DEFAULT_LOG_MAX_FILES = 5;
/** containerd's max_container_log_line_size: longer lines become P records. */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024;

export type LogStream = 'stdout' | 'stderr';

export interface CriLogOptions {
  maxSize?: number;
  maxFiles?: number;
  maxLineBytes?: number;
  /** Wall clock in ms (fractions allowed); tests inject it. */
  now?: () => number;
}

const NEWLINE = 0x0a;

/** RFC3339 with nine fractional digits, UTC: 2026-01-01T00:00:00.000000000Z. */
export function criTimestamp(ms: number): string {
  const whole = Math.floor(ms);
  const iso = new Date(whole).toISOString(); // …T00:00:00.000Z
  const micros = Math.floor((ms - whole) * 1000);
  return `${iso.slice(0, 23)}${String(micros).padStart(3, '0')}000Z`;
}

/** The wall clock with sub-millisecond precision. */
function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/** The kubelet's rotated-file suffix (Go layout 20060102-150405). */
function rotationSuffix(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

/** Writes one container's stdout/stderr to its log file. */
export class CriLogWriter {
  readonly path: string;
  #fd: number;
  #size: number;
  #pending: Record<LogStream, Buffer | undefined> = { stdout: undefined, stderr: undefined };
  #maxSize: number;
  #maxFiles: number;
  #maxLine: number;
  #now: () => number;
  #closed = false;

  constructor(path: string, opts: CriLogOptions = {}) {
    this.path = path;
    this.#maxSize = opts.maxSize ?? DEFAULT_LOG_MAX_SIZE;
    this.#maxFiles = Math.max(1, opts.maxFiles ?? DEFAULT_LOG_MAX_FILES);
    this.#maxLine = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.#now = opts.now ?? preciseNow;
    mkdirSync(dirname(path), { recursive: true });
    this.#fd = openSync(path, 'a');
    this.#size = fstatSync(this.#fd).size;
  }

  /** Appends a chunk of a stream: complete lines as F records, over-long pieces as P records. */
  write(stream: LogStream, chunk: Buffer): void {
    if (this.#closed || chunk.length === 0) return;
    const prev = this.#pending[stream];
    let buf = prev ? Buffer.concat([prev, chunk]) : chunk;
    const prefix = `${criTimestamp(this.#now())} ${stream} `;
    const out: string[] = [];
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(NEWLINE, start);
      if (nl < 0) break;
      let end = nl;
      if (end > start && buf[end - 1] === 0x0d) end--;
      this.#emitLine(out, prefix, buf, start, end);
      start = nl + 1;
    }
    while (buf.length - start >= this.#maxLine) {
      out.push(`${prefix}P ${buf.toString('utf8', start, start + this.#maxLine)}\n`);
      start += this.#maxLine;
    }
    this.#pending[stream] = start < buf.length ? Buffer.from(buf.subarray(start)) : undefined;
    buf = Buffer.alloc(0);
    if (out.length) this.#append(out.join(''));
  }

  #emitLine(out: string[], prefix: string, buf: Buffer, start: number, end: number): void {
    while (end - start > this.#maxLine) {
      out.push(`${prefix}P ${buf.toString('utf8', start, start + this.#maxLine)}\n`);
      start += this.#maxLine;
    }
    out.push(`${prefix}F ${buf.toString('utf8', start, end)}\n`);
  }

  /** Writes what is left of unterminated lines (as containerd does at EOF: a full record). */
  flush(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.#pending[stream];
      if (!rest) continue;
      this.#pending[stream] = undefined;
      this.#append(`${criTimestamp(this.#now())} ${stream} F ${rest.toString('utf8')}\n`);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    closeSync(this.#fd);
  }

  #append(text: string): void {
    const data = Buffer.from(text);
    if (this.#size > 0 && this.#size + data.length > this.#maxSize) this.#rotate();
    writeSync(this.#fd, data);
    this.#size += data.length;
  }

  #rotate(): void {
    closeSync(this.#fd);
    const now = this.#now();
    let target = `${this.path}.${rotationSuffix(now)}`;
    for (let i = 1; existsSync(target); i++) target = `${this.path}.${rotationSuffix(now)}.${i}`;
    renameSync(this.path, target);
    this.#fd = openSync(this.path, 'a');
    this.#size = 0;
    const dir = dirname(this.path);
    const base = basename(this.path) + '.';
    const rotated = readdirSync(dir)
      .filter((f) => f.startsWith(base))
      .sort();
    for (const f of rotated.slice(0, Math.max(0, rotated.length - (this.#maxFiles - 1)))) {
      try {
        unlinkSync(join(dir, f));
      } catch {
        // already gone
      }
    }
  }
}

export interface CriLogRecord {
  time: string;
  stream: LogStream;
  partial: boolean;
  message: string;
}

/** Parses one CRI log line (what the node agent does for `kubectl logs`). */
export function parseCriLogLine(line: string): CriLogRecord | undefined {
  const m = /^(\S+) (stdout|stderr) ([PF]) (.*)$/s.exec(line);
  if (!m) return undefined;
  return { time: m[1]!, stream: m[2] as LogStream, partial: m[3] === 'P', message: m[4]! };
}
