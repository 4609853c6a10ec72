// The data plane of a cluster that lives in its own network namespace (VNet): kube-proxy's and
// CoreDNS's jobs, run in a child process started inside the namespace. The child reaches the API
// server over the unix socket the server also listens on (TLS, a client certificate from the
// cluster PKI) and serves the API inside the namespace on 127.0.0.1:<port> and on the `kubernetes`
// Service's endpoint address, so pods reach it at kubernetes.default.svc as on AKS. It also dials
// addresses inside the namespace for the host (port-forward), over a second unix socket.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { KubeClient } from '../client/client.ts';
import { HttpTransport } from '../client/http.ts';
import { InformerFactory } from '../client/informer.ts';
import { nodeInternalIP } from '../kubelet/nodes.ts';
import { ServiceProxy } from '../proxy/proxy.ts';
import { ClusterDNS } from '../dns/index.ts';

/** What the child needs; written as JSON (0600) into the cluster's data dir. */
export interface DataPlaneConfig {
  /** The API server's unix socket (TLS). */
  socket: string;
  /** The port the API is served on inside the namespace (the `kubernetes` endpoint's port). */
  apiPort: number;
  /** The `kubernetes` Service's endpoint address (inside one of the namespace's local ranges). */
  advertiseAddress: string;
  caPEM: string;
  certPEM: string;
  keyPEM: string;
  /** Cluster DNS address (the kube-dns Service's ClusterIP); unset: no DNS. */
  dnsServiceIP?: string;
  proxy: boolean;
  /** Where the child accepts "dial <host> <port>" requests from the host (unix socket, 0600). */
  dialSocket?: string;
}

const READY = 'skiff-dataplane-ready';

/** Pipes TCP connections to the API server's unix socket (TLS passes through untouched). */
function forwarder(socketPath: string, sockets: Set<Socket>): Server {
  return createServer((client) => {
    const upstream = createConnection(socketPath);
    sockets.add(client).add(upstream);
    const done = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', done).on('close', done);
    upstream.on('error', done).on('close', done);
    client.pipe(upstream).pipe(client);
  });
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * The dial service: a client sends `<host> <port>\n`; the child connects inside the namespace and
 * answers `OK\n` (then the bytes flow both ways) or `ERR <message>\n`. Nothing but the
 * namespace's own local ranges is reachable from in there.
 */
function dialService(sockets: Set<Socket>): Server {
  return createServer((client) => {
    sockets.add(client);
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      const nl = head.indexOf('\n');
      if (nl < 0) {
        if (head.length > 256) client.destroy();
        return;
      }
      client.off('data', onData);
      client.pause();
      const rest = Buffer.from(head.slice(nl + 1), 'latin1');
      const [host, portText] = head.slice(0, nl).trim().split(' ');
      const port = Number(portText);
      if (!host || !Number.isInteger(port) || port < 1 || port > 65535) {
        client.end('ERR bad request\n');
        return;
      }
      const upstream = createConnection({ host, port });
      sockets.add(upstream);
      const done = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      upstream.once('connect', () => {
        client.write('OK\n');
        if (rest.length) upstream.write(rest);
        client.pipe(upstream).pipe(client);
        client.resume();
        upstream.on('close', done);
        client.on('close', done);
      });
      upstream.on('error', (e) => {
        if (upstream.connecting) client.end(`ERR ${e.message}\n`);
        done();
      });
      client.on('error', done);
    };
    client.on('data', onData);
    client.on('error', () => client.destroy());
  });
}

/** Runs inside the namespace until stopped: API forwarders, then the service proxy and DNS. */
export async function runDataPlane(cfg: DataPlaneConfig, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<() => Promise<void>> {
  const sockets = new Set<Socket>();
  const servers: Server[] = [];
  for (const host of new Set(['127.0.0.1', cfg.advertiseAddress])) {
    const s = forwarder(cfg.socket, sockets);
    await listen(s, host, cfg.apiPort);
    servers.push(s);
  }
  if (cfg.dialSocket) {
    rmSync(cfg.dialSocket, { force: true });
    const d = dialService(sockets);
    await new Promise<void>((resolve, reject) => d.once('error', reject).listen(cfg.dialSocket, () => resolve()));
    chmodSync(cfg.dialSocket, 0o600);
    servers.push(d);
  }
  const client = new KubeClient(new HttpTransport({ server: `https://127.0.0.1:${cfg.apiPort}`, ca: cfg.caPEM, cert: cfg.certPEM, key: cfg.keyPEM, userAgent: 'skiff-vnet-dataplane' }));
  const informers = new InformerFactory(client);
  let proxy: ServiceProxy | undefined;
  if (cfg.proxy) {
    proxy = new ServiceProxy(client, informers, {
      nodeAddresses: () => informers.informer('', 'nodes').list().map((n) => nodeInternalIP(n)).filter((a): a is string => !!a),
      log,
    });
    proxy.start();
  }
  informers.start();
  let dns: ClusterDNS | undefined;
  if (cfg.dnsServiceIP) {
    // Nothing outside the namespace is reachable from it: no upstream resolvers.
    dns = new ClusterDNS(client, informers, { address: cfg.dnsServiceIP, upstreams: [], log });
    await dns.start();
  }
  return async () => {
    await dns?.stop();
    proxy?.stop();
    informers.stop();
    for (const s of servers) s.close();
    for (const s of sockets) s.destroy();
    if (cfg.dialSocket) rmSync(cfg.dialSocket, { force: true });
  };
}

/** The child's entry point: `node --import tsx dataplane.ts <config.json>`. */
export async function dataPlaneMain(configFile: string): Promise<void> {
  const { readFileSync } = await import('node:fs');
  const cfg = JSON.parse(readFileSync(configFile, 'utf8')) as DataPlaneConfig;
  const stop = await runDataPlane(cfg);
  let stopping = false;
  const quit = () => {
    if (stopping) return;
    stopping = true;
    void stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', quit);
  process.on('SIGINT', quit);
  // The parent holds our stdin: when it goes away (even killed), so do we.
  process.stdin.on('end', quit).on('close', quit).on('error', quit);
  process.stdin.resume();
  process.stdout.write(READY + '\n');
}

let tsxLoader: string | undefined;

/** Host side: starts and stops the data-plane child inside the namespace. */
export class NamespaceDataPlane {
  readonly netns: string;
  #child: ChildProcess | undefined;
  #configFile: string;
  #exited: Promise<void> | undefined;
  #dialSocket: string | undefined;

  constructor(netns: string, configFile: string) {
    this.netns = netns;
    this.#configFile = configFile;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  async start(cfg: DataPlaneConfig, opts: { timeoutMs?: number; onLog?: (line: string) => void } = {}): Promise<void> {
    writeFileSync(this.#configFile, JSON.stringify(cfg), { mode: 0o600 });
    this.#dialSocket = cfg.dialSocket;
    tsxLoader ??= import.meta.resolve('tsx');
    const entry = fileURLToPath(new URL('../cmd/dataplane.ts', import.meta.url));
    const child = spawn('ip', ['netns', 'exec', this.netns, process.execPath, '--import', tsxLoader, entry, this.#configFile], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child = child;
    this.#exited = new Promise((r) => child.once('close', () => r()));
    const onLog = opts.onLog ?? ((l: string) => process.stderr.write(`[vnet ${this.netns}] ${l}\n`));
    let errText = '';
    child.stderr!.on('data', (d: Buffer) => {
      const text = d.toString();
      if (errText.length < 4096) errText += text;
      for (const line of text.split('\n')) if (line.trim()) onLog(line);
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => fail(new Error(`the data plane in network namespace ${this.netns} did not start within ${(opts.timeoutMs ?? 30_000) / 1000}s`)), opts.timeoutMs ?? 30_000);
      const fail = (e: Error) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(e);
      };
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes(READY)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('error', (e) => fail(e));
      child.once('exit', (code) => fail(new Error(`the data plane in network namespace ${this.netns} exited (${code}): ${errText.trim()}`)));
    });
    child.removeAllListeners('exit');
  }

  /** A TCP connection to `host:port` made inside the namespace (port-forward to a pod). */
  dial(host: string, port: number, timeoutMs = 10_000): Promise<Socket> {
    const path = this.#dialSocket;
    if (!path || !this.#child) return Promise.reject(new Error(`the data plane of network namespace ${this.netns} is not running`));
    return new Promise((resolve, reject) => {
      const s = createConnection(path);
      let head = '';
      const timer = setTimeout(() => fail(new Error(`dial tcp ${host}:${port}: i/o timeout`)), timeoutMs);
      const fail = (e: Error) => {
        clearTimeout(timer);
        s.destroy();
        reject(e);
      };
      const onData = (d: Buffer) => {
        head += d.toString('latin1');
        const nl = head.indexOf('\n');
        if (nl < 0) return;
        s.off('data', onData);
        s.off('error', fail);
        clearTimeout(timer);
        const line = head.slice(0, nl);
        const rest = Buffer.from(head.slice(nl + 1), 'latin1');
        if (line !== 'OK') {
          s.destroy();
          reject(new Error(`dial tcp ${host}:${port}: ${line.replace(/^ERR /, '')}`));
          return;
        }
        s.pause();
        if (rest.length) s.unshift(rest);
        resolve(s);
      };
      s.on('data', onData);
      s.once('error', fail);
      s.once('connect', () => s.write(`${host} ${port}\n`));
    });
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await this.#exited;
      clearTimeout(timer);
    }
    rmSync(this.#configFile, { force: true });
  }
}
