// `skiff node fail NODE` / `skiff node recover NODE`: fault injection on the running cluster —
// the node stops (or resumes) its heartbeats and becomes unreachable, whatever its runtime.
import type { Command } from './command.ts';
import { parseFlags, UsageError } from './command.ts';
import { dataDir } from './datadir.ts';
import { callControl } from '../cluster/control.ts';

export const nodeCommand: Command = {
  name: 'node',
  summary: 'fault injection: fail or recover a node of the running cluster',
  usage: `Usage: skiff node fail|recover NODE [--data-dir DIR]

  fail NODE      stop the node's heartbeats and make it unreachable
  recover NODE   bring it back
`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, { 'data-dir': { type: 'string' } }, true);
    const [action, name, ...extra] = positionals;
    if (action !== 'fail' && action !== 'recover') throw new UsageError(`unknown node action "${action ?? ''}": expected fail or recover`);
    if (!name) throw new UsageError(`node ${action} needs a node name`);
    if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const r = await callControl(dataDir(values['data-dir'], io.env), 'POST', `/nodes/${encodeURIComponent(name)}/${action}`);
    if (r.status !== 200) throw new Error((r.body as { error?: string }).error ?? `failed (${r.status})`);
    io.out(`node/${name} ${action === 'fail' ? 'failed' : 'recovered'}\n`);
    return 0;
  },
};
