// Installs what the project needs on a fresh clone: npm packages, and (as root, on Debian) the
// etcd-server package for the etcd backend's tests and benchmarks. Idempotent and quiet when
// everything is already there.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function log(msg) {
  process.stderr.write(`setup: ${msg}\n`);
}

export function ensureNodeModules() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && existsSync(join(root, 'node_modules', 'tsx')) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  log('installing npm packages (npm ci)');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (r.status !== 0) throw new Error('npm ci failed');
}

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export function ensureEtcd() {
  if (have('etcd')) return true;
  if (process.getuid?.() !== 0 || !have('apt-get')) {
    log('etcd is not installed and cannot be installed here (needs root and apt-get): install etcd-server');
    return false;
  }
  log('installing etcd-server (apt-get)');
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 2] });
    execFileSync('apt-get', ['install', '-y', '-qq', 'etcd-server'], { stdio: ['ignore', 'ignore', 2], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } catch (e) {
    log(`apt-get install etcd-server failed: ${e.message}`);
    return false;
  }
  return have('etcd');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensureNodeModules();
  if (!process.argv.includes('--no-etcd')) ensureEtcd();
}
