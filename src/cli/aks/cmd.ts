// The az-style command runner: a table of commands by path ("aks nodepool add"), per-command
// help, az's errors (`ERROR: ...`; exit 2 for a bad command line, 3 for a missing resource, 1 for
// anything else), warnings on stderr unless --only-show-errors, confirmations that need --yes
// without a terminal, and a spinner on stderr while a long-running operation is followed.
import type { Io } from '../command.ts';
import { UsageError } from '../command.ts';
import { dataDir as resolveDataDir } from '../datadir.ts';
import { parseAz, helpText, str, bool, type OptSpec, type Values, type OutputFormat } from './args.ts';
import { ArmClient, ArmError, CliError, readEndpoint, type LroOptions } from './client.ts';
import { checkQuery, formatResult, type TableTransformer } from './output.ts';

export interface Ctx {
  io: Io;
  values: Values;
  dataDir: string;
  /** Both stdin and stderr are terminals: prompts and the spinner are possible. */
  tty: boolean;
  warn(msg: string): void;
  client(): ArmClient;
  /** Asks y/n unless --yes; declining or no terminal throws. */
  confirm(msg: string, dflt?: boolean): Promise<void>;
  /** LRO options for this command: --no-wait and the progress spinner. */
  lro(): LroOptions;
  /** Runs `p` with the spinner shown (when a terminal). */
  progress<T>(p: Promise<T>): Promise<T>;
  /** Output format the user chose explicitly (-o/--output), if any. */
  outputGiven: boolean;
}

export interface AzCmd {
  path: string;
  summary: string;
  opts: OptSpec[];
  examples?: string[];
  table?: TableTransformer;
  run(ctx: Ctx): Promise<unknown>;
}

export interface RunOptions {
  stdinTTY?: boolean;
  stderrTTY?: boolean;
  /** Reads one answer line (prompts). */
  readLine?: () => Promise<string>;
  /** Polling interval for long-running operations (tests). */
  pollMs?: number;
}

/** Options shared by many commands. */
export const RG: OptSpec = { names: ['--resource-group', '-g'], kind: 'string', required: true, help: 'Name of resource group.' };
export const NO_WAIT: OptSpec = { names: ['--no-wait'], kind: 'bool', help: 'Do not wait for the long-running operation to finish.' };
export const YES: OptSpec = { names: ['--yes', '-y'], kind: 'bool', help: 'Do not prompt for confirmation.' };

function readLineFromStdin(): Promise<string> {
  return new Promise((resolve) => {
    const onData = (b: Buffer) => {
      process.stdin.off('data', onData);
      process.stdin.pause();
      resolve(b.toString('utf8').split('\n')[0]!.trim());
    };
    process.stdin.resume();
    process.stdin.on('data', onData);
  });
}

function makeCtx(values: Values, io: Io, ro: RunOptions): Ctx {
  const tty = (ro.stdinTTY ?? Boolean(process.stdin.isTTY)) && (ro.stderrTTY ?? Boolean(process.stderr.isTTY));
  const spinnerOn = ro.stderrTTY ?? Boolean(process.stderr.isTTY);
  let client: ArmClient | undefined;
  const dir = resolveDataDir(str(values, 'data-dir'), io.env);
  const ctx: Ctx = {
    io,
    values,
    dataDir: dir,
    tty,
    outputGiven: values.output !== undefined,
    warn(msg) {
      if (!bool(values, 'only-show-errors')) io.err(`WARNING: ${msg}\n`);
    },
    client() {
      if (!client) {
        const ep = readEndpoint(dir);
        const sub = str(values, 'subscription');
        if (sub !== undefined && sub.toLowerCase() !== ep.subscriptionId.toLowerCase()) {
          throw new ArmError('SubscriptionNotFound', `The subscription '${sub}' could not be found.`, 404);
        }
        client = new ArmClient(ep, ro.pollMs !== undefined ? { pollMs: ro.pollMs } : {});
      }
      return client;
    },
    async confirm(msg, dflt = false) {
      if (bool(values, 'yes')) return;
      if (!tty) throw new CliError('Unable to prompt for confirmation as no tty available. Use --yes.');
      io.err(`${msg} (${dflt ? 'Y/n' : 'y/N'}): `);
      const answer = (await (ro.readLine ?? readLineFromStdin)()).toLowerCase();
      const yes = answer === '' ? dflt : answer === 'y' || answer === 'yes';
      if (!yes) throw new CliError('Operation cancelled.');
    },
    lro() {
      return { noWait: bool(values, 'no-wait') };
    },
    async progress(p) {
      if (!spinnerOn || bool(values, 'no-wait')) return p;
      const frames = ['|', '/', '-', '\\'];
      let i = 0;
      const timer = setInterval(() => io.err(`\r${frames[i++ % frames.length]} Running ..`), 120);
      try {
        return await p;
      } finally {
        clearInterval(timer);
        io.err('\r            \r');
      }
    },
  };
  return ctx;
}

function groupHelp(prefix: string, cmds: AzCmd[], summaries: Record<string, string>): string {
  const depth = prefix.split(' ').length;
  const subgroups = new Set<string>();
  const leaves: AzCmd[] = [];
  for (const c of cmds) {
    if (!c.path.startsWith(prefix + ' ')) continue;
    const words = c.path.split(' ');
    if (words.length === depth + 1) leaves.push(c);
    else subgroups.add(words.slice(0, depth + 1).join(' '));
  }
  const lines = ['', 'Group', `    skiff ${prefix} : ${summaries[prefix] ?? ''}`, ''];
  if (subgroups.size) {
    lines.push('Subgroups:');
    for (const g of [...subgroups].sort()) lines.push(`    ${g.split(' ').pop()!.padEnd(24)} : ${summaries[g] ?? ''}`);
    lines.push('');
  }
  lines.push('Commands:');
  for (const c of leaves.sort((a, b) => a.path.localeCompare(b.path))) lines.push(`    ${c.path.split(' ').pop()!.padEnd(24)} : ${c.summary}`);
  lines.push('');
  return lines.join('\n') + '\n';
}

/** Runs `skiff <argv...>` for the az-style groups. argv starts with the group word ("aks", "group"...). */
export async function runAz(argv: string[], io: Io, cmds: AzCmd[], summaries: Record<string, string>, ro: RunOptions = {}): Promise<number> {
  const groups = new Set<string>();
  for (const c of cmds) {
    const w = c.path.split(' ');
    for (let i = 1; i < w.length; i++) groups.add(w.slice(0, i).join(' '));
  }
  // The longest command path that argv starts with.
  let cmd: AzCmd | undefined;
  let used = 0;
  for (const c of cmds) {
    const w = c.path.split(' ');
    if (w.length > used && w.every((x, i) => argv[i] === x)) {
      cmd = c;
      used = w.length;
    }
  }
  if (!cmd) {
    let g = argv[0]!;
    let i = 1;
    while (i < argv.length && groups.has(`${g} ${argv[i]}`)) g = `${g} ${argv[i++]}`;
    const next = argv[i];
    if (next === undefined || next === '--help' || next === '-h') {
      io.out(groupHelp(g, cmds, summaries));
      return 0;
    }
    io.err(`ERROR: skiff ${g}: '${next}' is not in the 'skiff ${g}' command group. See 'skiff ${g} --help'.\n`);
    return 2;
  }
  const rest = argv.slice(used);
  let debug = false;
  try {
    const values = parseAz(rest, cmd.opts);
    debug = bool(values, 'debug');
    if (values.help) {
      io.out(helpText(`skiff ${cmd.path}`, cmd.summary, cmd.opts, cmd.examples));
      return 0;
    }
    checkQuery(str(values, 'query'));
    const ctx = makeCtx(values, io, ro);
    const result = await cmd.run(ctx);
    const output = (str(values, 'output') ?? 'json') as OutputFormat;
    const color = output === 'jsonc' && (ro.stderrTTY ?? Boolean(process.stdout.isTTY));
    io.out(formatResult(result, { output, query: str(values, 'query'), table: cmd.table, color }));
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`ERROR: ${e.message}\n`);
      return 2;
    }
    if (e instanceof ArmError) {
      io.err(`ERROR: (${e.code}) ${e.message}\n`);
      return e.status === 404 ? 3 : 1;
    }
    const msg = (e as Error).message ?? String(e);
    io.err(`ERROR: ${msg.split('\n')[0]}\n`);
    if (debug) io.err(`${(e as Error).stack ?? ''}\n`);
    return 1;
  }
}
