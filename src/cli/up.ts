// `skiff up`: placeholder replaced below once the storage layer is in.
import type { Command } from './command.ts';
export const upCommand: Command = { name: 'up', summary: 'start a local cluster', usage: 'skiff up', run: async () => 1 };
