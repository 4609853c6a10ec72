// `skiff` top level: dispatches to subcommands; `--help` prints usage, an unknown command prints
// one line and exits 2.
import type { Command, Io } from './command.ts';
import { UsageError } from './command.ts';
import { downCommand, upCommand } from './up.ts';
import { nodeCommand } from './node.ts';
import { explainCommand } from './explain.ts';
import { certsCommand, updateCommand } from './certs.ts';
import { azCommands } from './aks/index.ts';

const commands: Command[] = [upCommand, downCommand, nodeCommand, explainCommand, certsCommand, updateCommand, ...azCommands];

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'skiff — Kubernetes and an AKS-style managed-cluster service on your own machine',
    '',
    'Usage: skiff <command> [flags]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run "skiff <command> --help" for a command\'s flags.',
    '',
  ].join('\n');
}

export async function run(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    if (name === 'help' && rest[0]) return run([rest[0], '--help'], io);
    io.out(usage());
    return 0;
  }
  if (name === '--version' || name === 'version') {
    io.out('skiff 0.1.0\n');
    return 0;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    io.err(`skiff: unknown command "${name}" (see "skiff --help")\n`);
    return 2;
  }
  // The az-style groups print their own per-subcommand help and az's errors.
  if (azCommands.includes(cmd)) return cmd.run(rest, io);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(cmd.usage.endsWith('\n') ? cmd.usage : cmd.usage + '\n');
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`skiff ${name}: ${e.message}\n`);
      return 2;
    }
    io.err(`skiff ${name}: ${(e as Error).message}\n`);
    return 1;
  }
}
