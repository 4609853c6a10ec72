// The az-compatible command groups of `skiff` (`aks`, `group`, `account`, `cloud`) as top-level
// commands for src/cli/main.ts; each parses its own subcommands, help and errors as az does.
import type { Command, Io } from '../command.ts';
import { accountCommands } from './account.ts';
import { aksCommands } from './aks.ts';
import { runAz, type AzCmd, type RunOptions } from './cmd.ts';
import { costCommand } from './cost.ts';
import { groupCommands } from './group.ts';
import { maintenanceCommands, nodepoolCommands } from './nodepool.ts';

export const azCommandTable: AzCmd[] = [...groupCommands, ...aksCommands, costCommand, ...nodepoolCommands, ...maintenanceCommands, ...accountCommands];

const summaries: Record<string, string> = {
  aks: 'Manage Skiff\'s AKS-style managed Kubernetes clusters.',
  'aks nodepool': 'Commands to manage node pools in a managed Kubernetes cluster.',
  'aks maintenanceconfiguration': 'Commands to manage maintenance configurations in a managed Kubernetes cluster.',
  'aks command': 'Run commands against a managed Kubernetes cluster.',
  group: 'Manage resource groups.',
  account: 'Manage the local subscription.',
  cloud: 'Show the cloud (the management service\'s endpoints).',
};

/** Runs `skiff <group> ...`; argv starts with the group word. */
export function runAzCli(argv: string[], io: Io, ro?: RunOptions): Promise<number> {
  return runAz(argv, io, azCommandTable, summaries, ro);
}

function groupCommand(name: string): Command {
  return {
    name,
    summary: summaries[name]!,
    usage: `Usage: skiff ${name} <command> [flags] (see "skiff ${name} --help")\n`,
    run: (argv, io) => runAzCli([name, ...argv], io),
  };
}

/** The top-level commands main.ts dispatches to (they print their own help). */
export const azCommands: Command[] = ['aks', 'group', 'account', 'cloud'].map(groupCommand);
