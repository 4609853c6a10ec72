// Writing a context into a kubeconfig the way kubectl merges them: --kubeconfig, else the first
// file of $KUBECONFIG, else ~/.kube/config; other clusters, users and contexts are kept; the file
// is written with mode 0600.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, delimiter } from 'node:path';
import YAML from 'yaml';

export function kubeconfigPath(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag) return flag;
  const first = env.KUBECONFIG?.split(delimiter).find((p) => p !== '');
  return first ?? join(homedir(), '.kube', 'config');
}

export interface ContextEntry {
  name: string;
  cluster: Record<string, unknown>;
  user: Record<string, unknown>;
  namespace?: string;
}

type Named = { name: string; [k: string]: unknown };

function upsert(list: Named[] | undefined, entry: Named): Named[] {
  const out = (list ?? []).filter((e) => e.name !== entry.name);
  out.push(entry);
  return out;
}

/** Merges a cluster, user and context named `entry.name` and makes it current. */
export function mergeKubeconfig(path: string, entry: ContextEntry, opts: { setCurrent?: boolean } = {}): void {
  let cfg: Record<string, unknown> = {};
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8');
    const parsed = text.trim() ? YAML.parse(text) : {};
    if (parsed && typeof parsed === 'object') cfg = parsed as Record<string, unknown>;
  }
  cfg.apiVersion ??= 'v1';
  cfg.kind ??= 'Config';
  cfg.preferences ??= {};
  cfg.clusters = upsert(cfg.clusters as Named[], { name: entry.name, cluster: entry.cluster });
  cfg.users = upsert(cfg.users as Named[], { name: entry.name, user: entry.user });
  cfg.contexts = upsert(cfg.contexts as Named[], { name: entry.name, context: { cluster: entry.name, user: entry.name, ...(entry.namespace ? { namespace: entry.namespace } : {}) } });
  if (opts.setCurrent !== false) cfg['current-context'] = entry.name;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, YAML.stringify(cfg), { mode: 0o600 });
  renameSync(tmp, path);
}
