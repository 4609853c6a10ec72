// The whole test suite: installs what it needs, type-checks, then runs every *.test.ts under
// src/ with node's built-in test runner (TypeScript loaded through tsx).
//   node scripts/test.mjs [--no-setup] [path-filter ...]
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureEtcd, ensureNodeModules } from './setup.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith('--'));

if (!args.includes('--no-setup')) {
  ensureNodeModules();
  if (!ensureEtcd()) {
    process.stderr.write('test: etcd is required for the etcd backend tests\n');
    process.exit(1);
  }
}

function walk(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

const files = walk(join(root, 'src')).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
if (files.length === 0) {
  process.stderr.write('test: no test files matched\n');
  process.exit(1);
}

if (filters.length === 0) {
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--noEmit'], { cwd: root, stdio: 'inherit' });
  if (tsc.status !== 0) {
    process.stderr.write('test: type check failed\n');
    process.exit(1);
  }
}

const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, SKIFF_REPO_ROOT: root },
});
process.exit(r.status ?? 1);
