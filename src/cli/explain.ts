// `skiff explain pod NAME`: why the scheduler placed a pod where it is, or why it stays Pending —
// each node's Filter verdicts and Score breakdown, asked of the running cluster's scheduler through
// the control socket. Upstream has no equivalent; its FailedScheduling event gives only the summary.
import type { Command } from './command.ts';
import { parseFlags, UsageError } from './command.ts';
import { dataDir } from './datadir.ts';
import { callControl } from '../cluster/control.ts';
import type { Explanation } from '../scheduler/explain.ts';

export const explainCommand: Command = {
  name: 'explain',
  summary: 'why a pod is on its node, or why it is Pending, node by node and plugin by plugin',
  usage: `Usage: skiff explain pod NAME [-n NAMESPACE] [-o json] [--data-dir DIR]

Asks the running cluster's scheduler to evaluate the pod now: every node, each Filter plugin's
verdict and each Score plugin's raw, normalized and weighted score.

Flags:
  -n, --namespace NS   the pod's namespace (default "default")
  -o, --output FORMAT  json for the full explanation (default: text)
  --data-dir DIR       the running cluster's data dir (default $SKIFF_HOME, else ~/.skiff)
`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(
      argv,
      {
        'data-dir': { type: 'string' },
        namespace: { type: 'string', short: 'n' },
        output: { type: 'string', short: 'o' },
      },
      true,
    );
    const [kind, name, ...extra] = positionals;
    if (kind !== 'pod' && kind !== 'pods' && kind !== 'po') throw new UsageError(`cannot explain "${kind ?? ''}": only pods can be explained (skiff explain pod NAME)`);
    if (!name) throw new UsageError('explain pod needs a pod name');
    if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const output = values.output ?? 'text';
    if (output !== 'text' && output !== 'json') throw new UsageError(`unsupported output format "${output}": expected json`);
    const namespace = values.namespace ?? 'default';
    const query = new URLSearchParams({ namespace, name });
    const r = await callControl(dataDir(values['data-dir'], io.env), 'GET', `/explain/pod?${query}`);
    if (r.status === 404) throw new Error(`pods "${name}" not found in namespace "${namespace}"`);
    if (r.status !== 200) throw new Error((r.body as { error?: string }).error ?? `failed (${r.status})`);
    const e = r.body as Explanation;
    const { formatExplanation } = await import('../scheduler/explain.ts');
    io.out(output === 'json' ? JSON.stringify(e, null, 2) + '\n' : formatExplanation(e) + '\n');
    return 0;
  },
};
