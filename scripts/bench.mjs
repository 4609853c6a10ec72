// `npm run bench`: installs what the benchmarks need (npm packages, etcd-server), then runs
// bench/main.ts through tsx with the given arguments.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureEtcd, ensureNodeModules } from './setup.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
ensureNodeModules();
if (!ensureEtcd()) process.exit(1);
const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench', 'main.ts'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
