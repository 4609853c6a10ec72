// Where a local cluster keeps its state: --data-dir, else $SKIFF_HOME, else ~/.skiff (cli.md).
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function dataDir(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag) return resolve(flag);
  if (env.SKIFF_HOME) return resolve(env.SKIFF_HOME);
  return join(homedir(), '.skiff');
}
