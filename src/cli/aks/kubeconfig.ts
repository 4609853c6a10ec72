// `az aks get-credentials`' kubeconfig handling: the credential's kubeconfig is renamed (a
// --context name replaces the context and cluster names; an admin context gets "-admin"), then
// merged into the target file entry by entry — an entry of the same name is replaced when it is
// identical or with --overwrite-existing, otherwise the merge stops with az's "A different
// object named X already exists in <section> in your kubeconfig file." The file is written 0600.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import YAML from 'yaml';

type Named = { name: string; [k: string]: any };
export type Kubeconfig = { clusters?: Named[]; users?: Named[]; contexts?: Named[]; 'current-context'?: string; [k: string]: any };

export class MergeConflict extends Error {
  override name = 'MergeConflict';
}

export function parseKubeconfig(text: string): Kubeconfig {
  const parsed = text.trim() ? YAML.parse(text) : {};
  return parsed && typeof parsed === 'object' ? (parsed as Kubeconfig) : {};
}

/**
 * Renames a cluster credential's kubeconfig as az does: --context renames the first context and its
 * cluster; a context whose user is clusterAdmin… becomes "<name>-admin". Returns the current context.
 */
export function renameAddition(add: Kubeconfig, contextName?: string): string | undefined {
  const ctx = add.contexts?.[0];
  if (contextName !== undefined && ctx) {
    const oldCluster = ctx.context?.cluster;
    ctx.name = contextName;
    if (ctx.context) ctx.context.cluster = contextName;
    const cl = add.clusters?.find((c) => c.name === oldCluster) ?? add.clusters?.[0];
    if (cl) cl.name = contextName;
    add['current-context'] = contextName;
  }
  for (const c of add.contexts ?? []) {
    if (typeof c.context?.user === 'string' && c.context.user.startsWith('clusterAdmin')) {
      c.name = `${c.name}-admin`;
      add['current-context'] = c.name;
      break;
    }
  }
  return add['current-context'];
}

function mergeSection(existing: Kubeconfig, add: Kubeconfig, key: 'clusters' | 'users' | 'contexts', replace: boolean): void {
  const items = add[key];
  if (!items?.length) return;
  if (!Array.isArray(existing[key])) {
    existing[key] = [...items];
    return;
  }
  const list = existing[key]!;
  for (const item of items) {
    const at = list.findIndex((e) => e?.name === item.name);
    if (at >= 0) {
      if (!replace && !isDeepStrictEqual(list[at], item)) {
        throw new MergeConflict(`A different object named ${item.name} already exists in ${key} in your kubeconfig file.`);
      }
      list.splice(at, 1);
    }
    list.push(item);
  }
}

/** Merges `add` into `existing` in place (az's _merge_kubernetes_configurations). */
export function mergeInto(existing: Kubeconfig, add: Kubeconfig, replace: boolean): Kubeconfig {
  mergeSection(existing, add, 'clusters', replace);
  mergeSection(existing, add, 'users', replace);
  mergeSection(existing, add, 'contexts', replace);
  if (add['current-context'] !== undefined) existing['current-context'] = add['current-context'];
  existing.apiVersion ??= 'v1';
  existing.kind ??= 'Config';
  return existing;
}

/** Reads the target file (missing or empty: a fresh config), merges, writes atomically with mode 0600. */
export function mergeFile(path: string, add: Kubeconfig, replace: boolean): void {
  const existing = existsSync(path) ? parseKubeconfig(readFileSync(path, 'utf8')) : {};
  if (!existsSync(path)) {
    existing.apiVersion = 'v1';
    existing.kind = 'Config';
    existing.preferences = {};
    existing.clusters = [];
    existing.users = [];
    existing.contexts = [];
  }
  mergeInto(existing, add, replace);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, YAML.stringify(existing), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/**
 * Gives a one-cluster credential AKS's names (cluster and context = the cluster's name, user =
 * clusterUser_<rg>_<name> or clusterAdmin_<rg>_<name>), whatever the service called them.
 */
export function aksNames(kc: Kubeconfig, rg: string, name: string, admin: boolean): Kubeconfig {
  if (kc.clusters?.length !== 1 || kc.users?.length !== 1 || kc.contexts?.length !== 1) return kc;
  const user = `${admin ? 'clusterAdmin' : 'clusterUser'}_${rg}_${name}`;
  kc.clusters[0]!.name = name;
  kc.users[0]!.name = user;
  const ctx = kc.contexts[0]!;
  ctx.name = name;
  ctx.context = { ...(ctx.context ?? {}), cluster: name, user };
  kc['current-context'] = name;
  return kc;
}
