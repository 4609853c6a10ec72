// A cluster's own network namespace (its VNet on this machine): `ip netns add`, loopback up, and
// the cluster's node, pod and service ranges made local inside it (`route add local <cidr> dev lo`),
// so any address in them is bindable in there as 127.0.0.0/8 is on the host, and nothing shows on
// the host's interfaces. Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';

export const NETNS_DIR = '/run/netns';
/** Prefix of every namespace Skiff creates (`ip netns list | grep skiff-`). */
export const NETNS_PREFIX = 'skiff-';

let ipPath: string | undefined;
function ipTool(): string {
  ipPath ??= ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => existsSync(p)) ?? 'ip';
  return ipPath;
}

function ip(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(ipTool(), args, { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(new Error(`ip ${args.join(' ')}: ${String(stderr).trim() || err.message}`), { stderr: String(stderr) }));
      else resolve(String(stdout));
    });
  });
}

/** True when this process may create network namespaces (effective uid 0). */
export function isRoot(): boolean {
  return typeof process.geteuid === 'function' && process.geteuid() === 0;
}

/** A short stable namespace name for an id (interface-name length rules do not apply, but keep it short). */
export function netnsName(id: string): string {
  return `${NETNS_PREFIX}${createHash('sha256').update(id.toLowerCase()).digest('hex').slice(0, 10)}`;
}

export function netnsPath(name: string): string {
  return `${NETNS_DIR}/${name}`;
}

/** Names of the network namespaces on this machine (what `ip netns list` shows). */
export function listNetns(): string[] {
  try {
    return readdirSync(NETNS_DIR);
  } catch {
    return [];
  }
}

/**
 * Creates the namespace if it is missing (idempotent), brings its loopback up and makes every
 * range in `localCidrs` local inside it. Throws when not root.
 */
export async function ensureNetns(name: string, localCidrs: string[]): Promise<string> {
  if (!isRoot()) throw new Error(`creating network namespace ${name} needs root`);
  if (!existsSync(netnsPath(name))) {
    try {
      await ip(['netns', 'add', name]);
    } catch (e) {
      if (!/exists/i.test((e as { stderr?: string }).stderr ?? '')) throw e;
    }
  }
  await ip(['-n', name, 'link', 'set', 'lo', 'up']);
  // `replace` keeps a second start idempotent; `local` routes go to the local table, as 127/8's.
  for (const cidr of localCidrs) await ip(['-n', name, 'route', 'replace', 'local', cidr, 'dev', 'lo']);
  return netnsPath(name);
}

/** Deletes the namespace (no error when it is already gone). Processes still in it keep it alive. */
export async function deleteNetns(name: string): Promise<void> {
  if (!existsSync(netnsPath(name))) return;
  try {
    await ip(['netns', 'delete', name]);
  } catch (e) {
    if (existsSync(netnsPath(name))) throw e;
  }
}
