// `npm run bench [-- suite ...] [--write] [--quick]`: runs the benchmark suites, prints their
// tables, and with --write records them (machine and date) in BENCHMARKS.md.
import { join } from 'node:path';
import { machine, table, writeSection, type Row } from './harness.ts';
import { storageBench } from './storage.ts';
import { apiBench } from './api.ts';
import { proxyBench } from './proxy.ts';
import { schedulerBench } from './scheduler.ts';
import { kwokBench } from './kwok.ts';
import { dnsBench } from './dns.ts';
import { podStartupBench } from './podstartup.ts';
import { aksBench } from './aks.ts';

const suites: Record<string, (o: { quick: boolean }) => Promise<{ rows: Row[]; ok: boolean }>> = {
  storage: storageBench,
  api: apiBench,
  proxy: proxyBench,
  scheduler: schedulerBench,
  kwok: kwokBench,
  dns: dnsBench,
  podstartup: podStartupBench,
  aks: aksBench,
};

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const write = args.includes('--write');
const chosen = args.filter((a) => !a.startsWith('--'));
const names = chosen.length ? chosen : Object.keys(suites);
const root = join(import.meta.dirname, '..');
let allOk = true;
for (const name of names) {
  const suite = suites[name];
  if (!suite) {
    process.stderr.write(`bench: unknown suite "${name}" (known: ${Object.keys(suites).join(', ')})\n`);
    process.exit(2);
  }
  process.stderr.write(`bench: running ${name}${quick ? ' (quick)' : ''}...\n`);
  const { rows, ok } = await suite({ quick });
  allOk &&= ok;
  const body = `### ${name}\n\nMeasured ${new Date().toISOString().slice(0, 10)} on ${machine()}${quick ? ' (quick run)' : ''}.\n\n${table(rows)}\n`;
  process.stdout.write(`${body}\n`);
  if (write) writeSection(root, name, body);
}
process.stderr.write(allOk ? 'bench: every target met\n' : 'bench: some targets were not met\n');
