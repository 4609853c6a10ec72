// `skiff up` / `skiff down`: the local cluster. `up` opens the data dir's storage, starts the API
// server, writes a kubeconfig context and runs until interrupted (or, with --detach, in the
// background until `skiff down`). Starting again on the same data dir brings the cluster back as it was.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command, Io } from './command.ts';
import { parseFlags, intFlag, UsageError } from './command.ts';
import { dataDir } from './datadir.ts';
import { kubeconfigPath, mergeKubeconfig } from './kubeconfig.ts';
import { DEFAULT_VERSION } from '../apiserver/version.ts';
import { parseGoDuration } from '../machinery/duration.ts';

const upFlags = {
  'data-dir': { type: 'string' },
  storage: { type: 'string' },
  kubeconfig: { type: 'string' },
  port: { type: 'string' },
  'kubernetes-version': { type: 'string' },
  'service-cluster-ip-range': { type: 'string' },
  nodes: { type: 'string' },
  disable: { type: 'string', multiple: true },
  'ingress-http-port': { type: 'string' },
  'ingress-https-port': { type: 'string' },
  'sim-nodes': { type: 'string' },
  'node-monitor-period': { type: 'string' },
  'node-monitor-grace-period': { type: 'string' },
  'node-startup-grace-period': { type: 'string' },
  'default-not-ready-toleration-seconds': { type: 'string' },
  'default-unreachable-toleration-seconds': { type: 'string' },
  'horizontal-pod-autoscaler-sync-period': { type: 'string' },
  'anonymous-auth': { type: 'string' },
  'token-auth-file': { type: 'string' },
  'api-server-authorized-ip-ranges': { type: 'string' },
  'encryption-provider-config': { type: 'string' },
  'audit-policy-file': { type: 'string' },
  'audit-log-path': { type: 'string' },
  'audit-log-maxsize': { type: 'string' },
  'audit-log-maxbackup': { type: 'string' },
  'audit-log-maxage': { type: 'string' },
  detach: { type: 'boolean' },
} as const;

function boolFlag(name: string, v: string): boolean {
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new UsageError(`invalid value "${v}" for --${name}: expected true or false`);
}

/** A comma-separated list flag ("" is the empty list). */
export function splitList(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

function durationFlag(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  try {
    return parseGoDuration(v);
  } catch {
    throw new UsageError(`invalid value "${v}" for --${name}: expected a duration such as 40s or 5m`);
  }
}

const pidFile = (dir: string) => join(dir, 'skiff.pid');

function running(dir: string): number | undefined {
  if (!existsSync(pidFile(dir))) return undefined;
  const pid = Number(readFileSync(pidFile(dir), 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

async function detach(argv: string[], dir: string, io: Io): Promise<number> {
  const log = join(dir, 'skiff.log');
  const out = openSync(log, 'a');
  const args = [process.argv[1]!, 'up', ...argv.filter((a) => a !== '--detach')];
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', out, out], env: io.env });
  child.unref();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    // The URL file is written once the cluster has started and its kubeconfig is in place.
    if (existsSync(join(dir, 'skiff.url'))) {
      io.out(`skiff: running in the background (pid ${child.pid}); logs in ${log}; stop it with "skiff down"\n`);
      return 0;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  io.err(`skiff up: the cluster did not start; see ${log}\n`);
  return 1;
}

export const upCommand: Command = {
  name: 'up',
  summary: 'start the local cluster (data in --data-dir, $SKIFF_HOME or ~/.skiff)',
  usage: `Usage: skiff up [flags]

Starts the local cluster and keeps running until interrupted (Ctrl-C), or in the background with
--detach until "skiff down". Restarting on the same data dir brings the cluster back as it was.

Flags:
  --data-dir DIR                  state directory (default $SKIFF_HOME, else ~/.skiff)
  --storage URL                   sqlite:///path/state.db (default, in the data dir),
                                  etcd://host:port[,host:port]/prefix, or memory:
  --kubeconfig FILE               kubeconfig to merge the "skiff" context into
                                  (default: first file of $KUBECONFIG, else ~/.kube/config)
  --port N                        API server port on 127.0.0.1 (default 6443; 0 picks a free one)
  --kubernetes-version V          the version the API server reports (default ${DEFAULT_VERSION})
  --service-cluster-ip-range CIDR Service ClusterIP range (default 127.96.0.0/16)
  --nodes N                       nodes that run real processes (default 1)
  --disable COMPONENT             leave out dns, proxy or ingress (repeatable), as k3s's --disable
  --ingress-http-port N           Ingress controller HTTP port on 127.0.0.1 (default 80)
  --ingress-https-port N          Ingress controller HTTPS port on 127.0.0.1 (default 443)
  --sim-nodes N                   add N simulated nodes (kwok-like: pods run on a timetable)
  --api-server-authorized-ip-ranges R   only these CIDRs may connect to the API server (comma-separated)
  --anonymous-auth true|false     let unauthenticated requests in as system:anonymous (default false)
  --token-auth-file FILE          static bearer tokens (CSV: token,user,uid,"group1,group2")
  --encryption-provider-config FILE  EncryptionConfiguration for data at rest (default: generated
                                  in the data dir, secrets encrypted with a random aescbc key)
  --audit-policy-file FILE        audit.k8s.io/v1 Policy (default: built-in, Metadata for all
                                  but noisy system reads, events and leases)
  --audit-log-path FILE           audit log, JSON lines ("-": stdout; default DATA_DIR/audit/audit.log)
  --audit-log-maxsize MB          rotate the audit log at this size (default 100)
  --audit-log-maxbackup N         rotated audit logs to keep (default 0: all)
  --audit-log-maxage DAYS         days to keep rotated audit logs (default 0: forever)
  --detach                        run in the background

Upstream component flags (durations like 40s, 5m):
  --node-monitor-period D                      (default 5s)
  --node-monitor-grace-period D                (default 50s)
  --node-startup-grace-period D                (default 1m)
  --default-not-ready-toleration-seconds N     (default 300)
  --default-unreachable-toleration-seconds N   (default 300)
  --horizontal-pod-autoscaler-sync-period D    (default 15s)
`,
  async run(argv, io) {
    const { values } = parseFlags(argv, upFlags);
    const dir = dataDir(values['data-dir'], io.env);
    mkdirSync(dir, { recursive: true });
    const pid = running(dir);
    if (pid && pid !== process.pid) throw new Error(`a cluster is already running from ${dir} (pid ${pid}); stop it with "skiff down"`);
    if (values.detach) {
      rmSync(join(dir, 'skiff.url'), { force: true });
      return detach(argv, dir, io);
    }
    const port = intFlag('port', values.port, 6443);
    const disabled = new Set(values.disable ?? []);
    for (const d of disabled) if (!['dns', 'proxy', 'ingress'].includes(d)) throw new UsageError(`cannot disable "${d}": expected dns, proxy or ingress`);
    const controllers = {
      ...(values['node-monitor-period'] ? { nodeMonitorPeriodMs: durationFlag('node-monitor-period', values['node-monitor-period'])! } : {}),
      ...(values['node-monitor-grace-period'] ? { nodeMonitorGracePeriodMs: durationFlag('node-monitor-grace-period', values['node-monitor-grace-period'])! } : {}),
      ...(values['node-startup-grace-period'] ? { nodeStartupGracePeriodMs: durationFlag('node-startup-grace-period', values['node-startup-grace-period'])! } : {}),
      ...(values['horizontal-pod-autoscaler-sync-period']
        ? { hpaSyncPeriodMs: durationFlag('horizontal-pod-autoscaler-sync-period', values['horizontal-pod-autoscaler-sync-period'])! }
        : {}),
    };
    // Loaded on demand: the control plane is heavy, and other commands start faster without it.
    const { LocalCluster } = await import('../cluster/cluster.ts');
    const cluster = new LocalCluster({
      dataDir: dir,
      ...(values.storage ? { storage: values.storage } : {}),
      port,
      ...(values['kubernetes-version'] ? { version: values['kubernetes-version'] } : {}),
      ...(values['service-cluster-ip-range'] ? { serviceCIDR: values['service-cluster-ip-range'] } : {}),
      simNodes: intFlag('sim-nodes', values['sim-nodes'], 0),
      nodes: intFlag('nodes', values.nodes, 1),
      dns: !disabled.has('dns'),
      proxy: !disabled.has('proxy'),
      ingress: disabled.has('ingress') ? undefined : { httpPort: intFlag('ingress-http-port', values['ingress-http-port'], 80), httpsPort: intFlag('ingress-https-port', values['ingress-https-port'], 443) },
      controllers,
      defaultNotReadyTolerationSeconds: intFlag('default-not-ready-toleration-seconds', values['default-not-ready-toleration-seconds'], 300),
      defaultUnreachableTolerationSeconds: intFlag('default-unreachable-toleration-seconds', values['default-unreachable-toleration-seconds'], 300),
      control: true,
      ...(values['anonymous-auth'] !== undefined ? { anonymousAuth: boolFlag('anonymous-auth', values['anonymous-auth']) } : {}),
      ...(values['token-auth-file'] ? { tokenAuthFile: values['token-auth-file'] } : {}),
      ...(values['api-server-authorized-ip-ranges'] !== undefined ? { authorizedIPRanges: splitList(values['api-server-authorized-ip-ranges']) } : {}),
      encryption: values['encryption-provider-config'] ? { configFile: values['encryption-provider-config'] } : 'generate',
      audit: {
        logPath: values['audit-log-path'] ?? join(dir, 'audit', 'audit.log'),
        ...(values['audit-policy-file'] ? { policyFile: values['audit-policy-file'] } : {}),
        ...(values['audit-log-maxsize'] ? { maxSizeMB: intFlag('audit-log-maxsize', values['audit-log-maxsize'], 100) } : {}),
        ...(values['audit-log-maxbackup'] ? { maxBackups: intFlag('audit-log-maxbackup', values['audit-log-maxbackup'], 0) } : {}),
        ...(values['audit-log-maxage'] ? { maxAgeDays: intFlag('audit-log-maxage', values['audit-log-maxage'], 0) } : {}),
      },
    });
    let server: string;
    try {
      server = await cluster.start();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new Error(`port ${port} on 127.0.0.1 is in use (is another cluster running? try --port)`);
      throw e;
    }
    const url = values.storage ?? `sqlite://${join(dir, 'state.db')}`;
    const kubeconfig = kubeconfigPath(values.kubeconfig, io.env);
    const writeKubeconfig = async () => {
      const c = await cluster.credentials('admin');
      mergeKubeconfig(kubeconfig, { name: 'skiff', cluster: { server, 'certificate-authority-data': c.caData }, user: { 'client-certificate-data': c.certData, 'client-key-data': c.keyData } });
    };
    await writeKubeconfig();
    // After `skiff certs rotate` the context carries the new certificates.
    cluster.security.pki.onChange(() => void writeKubeconfig());
    writeFileSync(pidFile(dir), String(process.pid));
    // The AKS management service runs beside the default cluster (its managed clusters come back up).
    const { ManagementService } = await import('../aks/service.ts');
    const aks = new ManagementService({ dataDir: dir });
    let aksUrl = 'off';
    try {
      aksUrl = await aks.start();
    } catch (e) {
      cluster.warnings.push(`the AKS management service is off: ${(e as Error).message}`);
    }
    // Last: `up --detach` returns once this file exists.
    writeFileSync(join(dir, 'skiff.url'), server);
    io.out(
      [
        `skiff: cluster is up (Kubernetes ${cluster.api.version.gitVersion})`,
        `  API server   ${server}`,
        `  nodes        ${cluster.agents.size} process (${cluster.runtime?.isolation ?? 'none'}), ${cluster.sim.nodes().length} simulated`,
        `  DNS          ${cluster.dns ? '127.96.0.10:53' : 'off'}`,
        `  ingress      ${cluster.ingress ? `http://127.0.0.1:${cluster.ingress.httpPort}, https://127.0.0.1:${cluster.ingress.httpsPort}` : 'off'}`,
        `  AKS service  ${aksUrl}`,
        ...cluster.warnings.map((w) => `  warning      ${w}`),
        `  storage      ${url}`,
        `  kubeconfig   ${kubeconfig} (context "skiff")`,
        `  data dir     ${dir}`,
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await aks.stop();
    await cluster.stop();
    rmSync(pidFile(dir), { force: true });
    rmSync(join(dir, 'skiff.url'), { force: true });
    io.out('skiff: stopped\n');
    return 0;
  },
};

export const downCommand: Command = {
  name: 'down',
  summary: 'stop the local cluster started by "skiff up" (keeps its data)',
  usage: `Usage: skiff down [--data-dir DIR]

Stops the cluster running from the data dir; its state stays for the next "skiff up".
`,
  async run(argv, io) {
    const { values } = parseFlags(argv, { 'data-dir': { type: 'string' } });
    const dir = dataDir(values['data-dir'], io.env);
    const pid = running(dir);
    if (!pid) {
      io.out(`skiff: no cluster is running from ${dir}\n`);
      return 0;
    }
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        process.kill(pid, 0);
      } catch {
        io.out('skiff: stopped\n');
        return 0;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the cluster (pid ${pid}) did not stop within 30s`);
  },
};
