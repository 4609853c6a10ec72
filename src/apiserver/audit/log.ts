// kube-apiserver's audit log backend (--audit-log-path, -maxsize, -maxbackup, -maxage): JSON
// lines appended to a file rotated by size as lumberjack does — the full file is renamed
// `<name>-<UTC time 2006-01-02T15-04-05.000><ext>`, the oldest backups past maxbackup or maxage
// are removed. Lines are buffered and written asynchronously, off the request path.
import { mkdirSync, openSync, closeSync, writeSync, fstatSync, renameSync, readdirSync, unlinkSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';

export interface AuditLogOptions {
  /** The log file; "-" writes to standard output. */
  path: string;
  /** Megabytes before rotation (0: lumberjack's default, 100). */
  maxSizeMB?: number;
  /** Rotated files kept (0: all). */
  maxBackups?: number;
  /** Days a rotated file is kept (0: forever). */
  maxAgeDays?: number;
  /** Milliseconds since the epoch (tests inject one). */
  now?: () => number;
  /** Bytes before rotation, overriding maxSizeMB (tests). */
  maxBytes?: number;
}

/** Where audit events go: one JSON object per line. */
export interface AuditSink {
  write(line: string): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** lumberjack's backup time format, in UTC. */
export function backupTimestamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
}

export class AuditLogWriter implements AuditSink {
  readonly path: string;
  #maxBytes: number;
  #maxBackups: number;
  #maxAgeMs: number;
  #now: () => number;
  #fd: number | undefined;
  #size = 0;
  #buffer: string[] = [];
  #scheduled = false;
  #closed = false;
  #flushed: (() => void)[] = [];

  constructor(opts: AuditLogOptions) {
    this.path = opts.path;
    this.#maxBytes = opts.maxBytes ?? (opts.maxSizeMB && opts.maxSizeMB > 0 ? opts.maxSizeMB : 100) * 1024 * 1024;
    this.#maxBackups = opts.maxBackups ?? 0;
    this.#maxAgeMs = (opts.maxAgeDays ?? 0) * 24 * 3600 * 1000;
    this.#now = opts.now ?? Date.now;
    if (this.path !== '-') mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
  }

  write(line: string): void {
    if (this.#closed) return;
    this.#buffer.push(line);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#drain());
    }
  }

  /** Resolves once every line written so far is in the file. */
  flush(): Promise<void> {
    if (!this.#scheduled) return Promise.resolve();
    return new Promise((r) => this.#flushed.push(r));
  }

  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  /** Writes the buffered lines in one batch (the only place that touches the file). */
  #drain(): void {
    this.#scheduled = false;
    const lines = this.#buffer;
    this.#buffer = [];
    try {
      if (this.path === '-') process.stdout.write(lines.join('\n') + '\n');
      else this.#append(lines);
    } catch (e) {
      process.stderr.write(`audit: failed to write the audit log ${this.path}: ${(e as Error).message}\n`);
    }
    for (const r of this.#flushed.splice(0)) r();
  }

  #append(lines: string[]): void {
    this.#open();
    // Rotate between lines, never inside one; a batch is split where the size runs out.
    let chunk = '';
    for (const line of lines) {
      const add = line + '\n';
      const bytes = Buffer.byteLength(add);
      if (this.#size + Buffer.byteLength(chunk) + bytes > this.#maxBytes && (this.#size > 0 || chunk)) {
        if (chunk) this.#writeOut(chunk);
        chunk = '';
        this.#rotate();
      }
      chunk += add;
    }
    if (chunk) this.#writeOut(chunk);
  }

  #writeOut(s: string) {
    const b = Buffer.from(s);
    writeSync(this.#fd!, b);
    this.#size += b.length;
  }

  #open() {
    if (this.#fd !== undefined) return;
    this.#fd = openSync(this.path, 'a', 0o600);
    this.#size = fstatSync(this.#fd).size;
  }

  #rotate() {
    closeSync(this.#fd!);
    this.#fd = undefined;
    const ext = extname(this.path);
    const base = basename(this.path, ext);
    renameSync(this.path, join(dirname(this.path), `${base}-${backupTimestamp(this.#now())}${ext}`));
    this.#open();
    this.#cleanup(base, ext);
  }

  /** Removes backups past maxBackups (oldest first) and older than maxAge, as lumberjack's millRun. */
  #cleanup(base: string, ext: string) {
    if (this.#maxBackups <= 0 && this.#maxAgeMs <= 0) return;
    const dir = dirname(this.path);
    const re = new RegExp(`^${escape(base)}-(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2})-(\\d{2})-(\\d{2})\\.(\\d{3})${escape(ext)}$`);
    const backups: { name: string; t: number }[] = [];
    for (const name of readdirSync(dir)) {
      const m = re.exec(name);
      if (m) backups.push({ name, t: Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!) });
    }
    backups.sort((a, b) => b.t - a.t);
    const cutoff = this.#now() - this.#maxAgeMs;
    backups.forEach((b, i) => {
      if ((this.#maxBackups > 0 && i >= this.#maxBackups) || (this.#maxAgeMs > 0 && b.t < cutoff)) {
        try {
          unlinkSync(join(dir, b.name));
        } catch {
          // already gone
        }
      }
    });
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
