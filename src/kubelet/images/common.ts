// Shared pieces of Skiff's built-in e2e images (agnhost, pause): Go-flag-style argument parsing,
// Go's log line format, the address a pod binds (its own pod IP on Skiff's loopback network) and
// the hostname the pod sees.
import { hostname as osHostname } from 'node:os';

export type FlagSpec = Record<string, { type: 'int' | 'string' | 'bool'; default: number | string | boolean }>;
export type FlagValues = Record<string, number | string | boolean>;

/** Go log.Printf's default prefix: "2006/01/02 15:04:05 ". */
export function log(msg: string): void {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  process.stderr.write(
    `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${msg}\n`,
  );
}

/** log.Fatalf: logs and exits 1. */
export function fatal(msg: string): never {
  log(msg);
  process.exit(1);
}

/**
 * Parses pflag/cobra-style flags (`--name=value`, `--name value`, `-name value`, bare `--bool`).
 * Unknown flags and positional arguments fail as cobra does (exit 1 with "Error: …").
 */
export function parseFlags(command: string, args: string[], spec: FlagSpec): FlagValues {
  const out: FlagValues = {};
  for (const [k, v] of Object.entries(spec)) out[k] = v.default;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-') || a === '-' || a === '--') {
      if (a === '--') continue;
      usageError(`unknown command "${a}" for "agnhost ${command}"`);
    }
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const f = spec[name];
    if (!f) usageError(`unknown flag: --${name}`);
    let raw: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined;
    if (f.type === 'bool') {
      out[name] = raw === undefined ? true : raw === 'true' || raw === '1' || raw === 't' || raw === 'T' || raw === 'TRUE' || raw === 'True';
      continue;
    }
    if (raw === undefined) {
      raw = args[++i];
      if (raw === undefined) usageError(`flag needs an argument: --${name}`);
    }
    if (f.type === 'int') {
      if (!/^[-+]?\d+$/.test(raw)) usageError(`invalid argument "${raw}" for "--${name}" flag: strconv.ParseInt: parsing "${raw}": invalid syntax`);
      out[name] = Number(raw);
    } else out[name] = raw;
  }
  return out;
}

function usageError(msg: string): never {
  process.stderr.write(`Error: ${msg}\n`);
  process.exit(1);
}

/**
 * The address servers bind: the pod's own IP, so that pods sharing a node (and the host's
 * loopback) don't collide on ports. SKIFF_POD_IP is set by Skiff's process runtime; POD_IP is
 * the conventional downward-API variable; 0.0.0.0 elsewhere (as the real image).
 */
export function bindAddress(): string {
  return process.env.SKIFF_POD_IP || process.env.POD_IP || '0.0.0.0';
}

/** os.Hostname() inside the pod: the pod's UTS namespace, or HOSTNAME as the runtime sets it. */
export function podHostname(): string {
  return process.env.HOSTNAME || osHostname();
}

/** Parses a Go duration ("1.5s", "300ms", "2m", "0"); undefined when malformed. */
export function parseGoDuration(s: string): number | undefined {
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let m: RegExpExecArray | null;
  let pos = 0;
  while ((m = re.exec(s))) {
    total += Number(m[1]) * unit[m[2]!]!;
    pos = re.lastIndex;
  }
  return pos === s.length && s.length > 0 ? total : undefined;
}

/** Go's time.Time String(): "2006-01-02 15:04:05.999999999 -0700 MST". */
export function goTimeString(d: Date): string {
  const iso = d.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23).replace(/\.?0+$/, '')} +0000 UTC`;
}

/**
 * How a Go program without a SIGTERM handler ends: killed by the signal (143), except as pid 1
 * of a pid namespace, where the re-raised signal is ignored and the Go runtime exits 2.
 */
export function goDefaultSigterm(): void {
  process.on('SIGTERM', () => {
    if (process.pid === 1) process.exit(2);
    process.removeAllListeners('SIGTERM');
    process.kill(process.pid, 'SIGTERM');
  });
}
