// `skiff up`: starts the local cluster from its data dir and runs until interrupted. For now the
// cluster is its storage layer (the API server and nodes come with their issues).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from './command.ts';
import { parseFlags } from './command.ts';
import { dataDir } from './datadir.ts';
import { openStorage } from '../storage/index.ts';

export const upCommand: Command = {
  name: 'up',
  summary: 'start a local cluster (data in --data-dir, $SKIFF_HOME or ~/.skiff)',
  usage: `Usage: skiff up [flags]

Starts the local cluster and keeps running until interrupted (Ctrl-C).

Flags:
  --data-dir DIR   where the cluster keeps its state (default $SKIFF_HOME, else ~/.skiff)
  --storage URL    storage backend: sqlite:///path/state.db (default, in the data dir),
                   etcd://host:port[,host:port]/prefix, or memory:
`,
  async run(argv, io) {
    const { values } = parseFlags(argv, { 'data-dir': { type: 'string' }, storage: { type: 'string' } });
    const dir = dataDir(values['data-dir'], io.env);
    mkdirSync(dir, { recursive: true });
    const url = values.storage ?? `sqlite://${join(dir, 'state.db')}`;
    const store = openStorage(url);
    const { revision } = await store.revision();
    io.out(`skiff: storage ${store.driver} ready at ${url} (revision ${revision})\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await store.close();
    io.out('skiff: stopped\n');
    return 0;
  },
};
