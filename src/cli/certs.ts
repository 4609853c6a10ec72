// `skiff certs rotate` and `skiff update --api-server-authorized-ip-ranges`: security settings of
// the running local cluster, changed without a restart (as `az aks rotate-certs` and `az aks update`
// do for managed clusters).
import type { Command } from './command.ts';
import { parseFlags, UsageError } from './command.ts';
import { dataDir } from './datadir.ts';
import { callControl } from '../cluster/control.ts';
import { splitList } from './up.ts';

export const certsCommand: Command = {
  name: 'certs',
  summary: 'rotate the running cluster\'s certificates (the kubeconfig context follows)',
  usage: `Usage: skiff certs rotate [--ca] [--data-dir DIR]

  rotate        re-issue the API server's serving certificate and every client certificate
  --ca          also replace the cluster CA (the old one stays trusted for client certificates
                until the next rotation)
`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, { 'data-dir': { type: 'string' }, ca: { type: 'boolean' } }, true);
    if (positionals[0] !== 'rotate') throw new UsageError(`unknown certs action "${positionals[0] ?? ''}": expected rotate`);
    if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
    const r = await callControl(dataDir(values['data-dir'], io.env), 'POST', `/certs/rotate${values.ca ? '?ca=true' : ''}`);
    if (r.status !== 200) throw new Error((r.body as { error?: string }).error ?? `failed (${r.status})`);
    io.out(`certificates rotated${values.ca ? ' (with a new cluster CA)' : ''}; the kubeconfig context "skiff" has the new credentials\n`);
    return 0;
  },
};

export const updateCommand: Command = {
  name: 'update',
  summary: 'change settings of the running cluster (authorized IP ranges)',
  usage: `Usage: skiff update --api-server-authorized-ip-ranges R [--data-dir DIR]

  --api-server-authorized-ip-ranges R   comma-separated CIDRs that may connect to the API server;
                                        "" lets everyone connect again
`,
  async run(argv, io) {
    const { values } = parseFlags(argv, { 'data-dir': { type: 'string' }, 'api-server-authorized-ip-ranges': { type: 'string' } });
    const ranges = values['api-server-authorized-ip-ranges'];
    if (ranges === undefined) throw new UsageError('nothing to update: pass --api-server-authorized-ip-ranges');
    const r = await callControl(dataDir(values['data-dir'], io.env), 'PUT', `/authorized-ip-ranges?ranges=${encodeURIComponent(splitList(ranges).join(','))}`);
    if (r.status !== 200) throw new Error((r.body as { error?: string }).error ?? `failed (${r.status})`);
    const set = (r.body as { ranges: string[] }).ranges;
    io.out(set.length ? `authorized IP ranges: ${set.join(', ')}\n` : 'authorized IP ranges: none (every address may connect)\n');
    return 0;
  },
};
