// az-style argument parsing for `skiff aks|group|account|cloud`: long and short option names,
// `--flag value` and `--flag=value`, list options that take every following word (az's nargs='+'),
// the global options every az command accepts, and argparse's one-line errors
// (`unrecognized arguments: ...`, `the following arguments are required: ...`), exit code 2.
import { UsageError } from '../command.ts';

export type OptKind = 'string' | 'bool' | 'list';

export interface OptSpec {
  /** Option strings as az declares them, long first: ['--resource-group', '-g']. */
  names: string[];
  /** Key in the parsed values; defaults to the first long name without dashes. */
  dest?: string;
  kind: OptKind;
  required?: boolean;
  choices?: string[];
  help: string;
  /** Shown in help; the command applies defaults itself. */
  dflt?: string;
}

export type Values = Record<string, string | boolean | string[] | undefined>;

export const OUTPUT_FORMATS = ['json', 'jsonc', 'yaml', 'yamlc', 'table', 'tsv', 'none'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The options az adds to every command. */
export const GLOBAL_OPTS: OptSpec[] = [
  { names: ['--output', '-o'], kind: 'string', choices: [...OUTPUT_FORMATS], help: 'Output format.', dflt: 'json' },
  { names: ['--query'], kind: 'string', help: 'JMESPath query string. See http://jmespath.org/ for more information and examples.' },
  { names: ['--only-show-errors'], kind: 'bool', help: 'Only show errors, suppressing warnings.' },
  { names: ['--verbose'], kind: 'bool', help: 'Increase logging verbosity.' },
  { names: ['--debug'], kind: 'bool', help: 'Increase logging verbosity to show all debug logs.' },
  { names: ['--subscription'], kind: 'string', help: 'Subscription id (Skiff has one local subscription; others are refused).' },
  { names: ['--data-dir'], kind: 'string', help: 'Skiff state directory (default $SKIFF_HOME, else ~/.skiff).' },
  { names: ['--help', '-h'], kind: 'bool', help: 'Show this help message and exit.' },
];

export function destOf(o: OptSpec): string {
  if (o.dest) return o.dest;
  const long = o.names.find((n) => n.startsWith('--')) ?? o.names[0]!;
  return long.replace(/^-+/, '');
}

/** argparse's display name of an option: its strings joined with '/'. */
export function displayName(o: OptSpec): string {
  return o.names.join('/');
}

const looksLikeFlag = (t: string) => t.startsWith('-') && t.length > 1 && !/^-\d/.test(t);

/**
 * Parses argv against a command's options plus the global ones. Throws UsageError with argparse's
 * wording; the caller prints it as `ERROR: <message>` and exits 2.
 */
export function parseAz(argv: string[], opts: OptSpec[]): Values {
  const all = [...opts, ...GLOBAL_OPTS];
  const byName = new Map<string, OptSpec>();
  for (const o of all) for (const n of o.names) byName.set(n, o);
  const values: Values = {};
  const unrecognized: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    if (!looksLikeFlag(tok)) {
      unrecognized.push(tok);
      continue;
    }
    const eq = tok.startsWith('--') ? tok.indexOf('=') : -1;
    const name = eq > 0 ? tok.slice(0, eq) : tok;
    const inline = eq > 0 ? tok.slice(eq + 1) : undefined;
    const o = byName.get(name);
    if (!o) {
      unrecognized.push(tok);
      continue;
    }
    const dest = destOf(o);
    if (o.kind === 'bool') {
      if (inline !== undefined) throw new UsageError(`argument ${displayName(o)}: ignored explicit argument '${inline}'`);
      values[dest] = true;
      continue;
    }
    if (o.kind === 'string') {
      let v = inline;
      if (v === undefined) {
        const next = argv[i + 1];
        if (next === undefined || looksLikeFlag(next)) throw new UsageError(`argument ${displayName(o)}: expected one argument`);
        v = next;
        i++;
      }
      if (o.choices && !o.choices.includes(v.toLowerCase())) {
        throw new UsageError(`argument ${displayName(o)}: invalid choice: '${v}' (choose from ${o.choices.map((c) => `'${c}'`).join(', ')})`);
      }
      values[dest] = o.choices ? v.toLowerCase() : v;
      continue;
    }
    const list: string[] = inline !== undefined ? [inline] : [];
    while (inline === undefined && i + 1 < argv.length && !looksLikeFlag(argv[i + 1]!)) list.push(argv[++i]!);
    values[dest] = list;
  }
  if (unrecognized.length) throw new UsageError(`unrecognized arguments: ${unrecognized.join(' ')}`);
  if (values.help) return values;
  const missing = opts.filter((o) => o.required && values[destOf(o)] === undefined);
  if (missing.length) throw new UsageError(`the following arguments are required: ${missing.map(displayName).join(', ')}`);
  return values;
}

export function str(v: Values, key: string): string | undefined {
  const x = v[key];
  return typeof x === 'string' ? x : undefined;
}

export function bool(v: Values, key: string): boolean {
  return v[key] === true;
}

export function list(v: Values, key: string): string[] | undefined {
  const x = v[key];
  return Array.isArray(x) ? x : undefined;
}

/** An integer option, as argparse's type=int: `argument --node-count: invalid int value: 'x'`. */
export function int(v: Values, key: string, names: string): number | undefined {
  const x = str(v, key);
  if (x === undefined) return undefined;
  if (!/^-?\d+$/.test(x)) throw new UsageError(`argument ${names}: invalid int value: '${x}'`);
  return Number(x);
}

/** `a=b c=d` (or one word `a=b,c=d`... az accepts only the space-separated form for tags) → map. */
export function keyValues(words: string[] | undefined, opt: string): Record<string, string> | undefined {
  if (words === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const w of words) {
    if (w === '') continue;
    const eq = w.indexOf('=');
    if (eq === 0) throw new UsageError(`argument ${opt}: invalid value '${w}': expected KEY=VALUE`);
    if (eq < 0) out[w] = '';
    else out[w.slice(0, eq)] = w.slice(eq + 1);
  }
  return out;
}

/** Comma-separated values (taints, authorized IP ranges); '' means an explicit empty list. */
export function commaList(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Renders az-like help for a command. */
export function helpText(path: string, summary: string, opts: OptSpec[], examples: string[] = []): string {
  const lines = ['', 'Command', `    ${path} : ${summary}`, '', 'Arguments'];
  const row = (o: OptSpec) => {
    const names = o.names.join(' ');
    const meta = o.required ? ' [Required]' : '';
    const choices = o.choices ? `  Allowed values: ${o.choices.join(', ')}.` : '';
    const dflt = o.dflt !== undefined ? `  Default: ${o.dflt}.` : '';
    return `    ${(names + meta).padEnd(34)} : ${o.help}${choices}${dflt}`;
  };
  for (const o of opts) lines.push(row(o));
  lines.push('', 'Global Arguments');
  for (const o of GLOBAL_OPTS) lines.push(row(o));
  if (examples.length) {
    lines.push('', 'Examples');
    for (const e of examples) lines.push(`    ${e}`);
  }
  lines.push('');
  return lines.join('\n') + '\n';
}
