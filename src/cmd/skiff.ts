// Entry point of bin/skiff: wires the CLI to the real process streams and environment.
import { run } from '../cli/main.ts';

export async function main(argv: string[]): Promise<number> {
  return run(argv, {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    env: process.env,
  });
}
