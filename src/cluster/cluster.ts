// A whole local cluster in one process — storage, API server, controller manager, scheduler and
// nodes — as `skiff up` runs it (and, later, as the managed-cluster service runs each of its
// clusters). Components above the API server reach it through the in-process client transport,
// or, for the scheduler and the simulated nodes on threads of their own, the message-port one.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../storage/backend.ts';
import { openStorage } from '../storage/index.ts';
import { ApiServer } from '../apiserver/server.ts';
import { ensureDefaultEncryptionConfig, loadEncryptionConfig } from '../apiserver/encryption/config.ts';
import { auditorFromFlags, type Auditor, type AuditFlags } from '../apiserver/audit/audit.ts';
import { Admission } from '../apiserver/admission.ts';
import { realClock, type Clock } from '../machinery/clock.ts';
import { KubeClient } from '../client/client.ts';
import { InProcessTransport } from '../client/inprocess.ts';
import { InformerFactory } from '../client/informer.ts';
import { EventRecorder } from '../client/events.ts';
import { ControllerManager, type ControllerConfig } from '../controllers/manager.ts';
import { allControllers, admissionPlugins } from '../controllers/index.ts';
import { Scheduler } from '../scheduler/scheduler.ts';
import { explainPod } from '../scheduler/explain.ts';
import { SchedulerThread } from '../scheduler/thread.ts';
import { SimNodePool, type SimNodes } from '../kubelet/runtime/sim/pool.ts';
import { SimNodeThread } from '../kubelet/runtime/sim/thread.ts';
import { ControlServer } from './control.ts';
import { MetricsAPI, metricsResources, type StatsProvider } from '../metrics/metrics.ts';
import { simStats } from '../metrics/sim.ts';
import { AgentStats } from '../metrics/agent.ts';
import { IngressController } from '../ingress/index.ts';
import { NodeAgent } from '../kubelet/agent.ts';
import { ProcessRuntime } from '../kubelet/runtime/process/process.ts';
import { NodeNetworkAllocator } from '../kubelet/runtime/sim/ipam.ts';
import { nodeInternalIP } from '../kubelet/nodes.ts';
import { ServiceProxy } from '../proxy/proxy.ts';
import { ClusterDNS, DNSBindError, ensureCoreDNSConfigMaps, ensureKubeDNSService } from '../dns/index.ts';
import { StatusError, isNotFound } from '../machinery/errors.ts';
import type { StreamBackend } from '../apiserver/streaming/streaming.ts';
import { ClusterSecurity, type Credentials } from './security.ts';
import { formatIPv4, parseIPv4 } from '../machinery/ipv4.ts';
import { credentialControllers } from '../controllers/certificates/index.ts';
import { deleteNetns, ensureNetns, netnsPath } from './netns.ts';
import { NamespaceDataPlane } from './dataplane.ts';

const DEFAULT_SERVICE_CIDR = '127.96.0.0/16';
const RANGES_FILE = 'authorized-ip-ranges.json';

function savedRanges(dataDir: string): string[] {
  try {
    return JSON.parse(readFileSync(join(dataDir, RANGES_FILE), 'utf8'));
  } catch {
    return [];
  }
}

/** The first usable address of a service CIDR: the `kubernetes` Service's ClusterIP. */
function firstServiceIP(cidr: string): string {
  return formatIPv4(parseIPv4(cidr.split('/')[0])! + 1);
}

export interface ClusterOptions {
  dataDir: string;
  /** Storage URL (default: sqlite in the data dir). */
  storage?: string;
  host?: string;
  port?: number;
  version?: string;
  serviceCIDR?: string;
  /** Simulated nodes to start with. */
  simNodes?: number;
  /** Nodes that run real processes (the process runtime). */
  nodes?: number;
  /** Serve cluster DNS on its Service address (needs root for port 53). */
  dns?: boolean;
  /** Run the service proxy (ClusterIP, NodePort, LoadBalancer on loopback addresses). */
  proxy?: boolean;
  /** Run the Ingress controller on these ports of 127.0.0.1 (null: no HTTPS). */
  ingress?: { httpPort: number; httpsPort: number | null };
  simNode?: { cpu?: string; memory?: string; pods?: number };
  /** kube-controller-manager timings (upstream flag names, in ms). */
  controllers?: Partial<ControllerConfig>;
  /** DefaultTolerationSeconds admission (--default-not-ready-toleration-seconds, --default-unreachable-toleration-seconds). */
  defaultNotReadyTolerationSeconds?: number;
  defaultUnreachableTolerationSeconds?: number;
  /** Serve the local control socket (fault injection, explanations). */
  control?: boolean;
  /** Data-plane ranges of this cluster (the AKS layer gives each managed cluster its own loopback ranges). */
  network?: { nodeAddressCIDR?: string; podCIDR?: string; dnsServiceIP?: string };
  /**
   * Run the data plane in this network namespace (the cluster's VNet; needs root): created at
   * start with `localCidrs` (node, pod and service ranges) local in it, deleted at stop. Pods,
   * service proxy and DNS live in there; the API server is reached over a unix socket and served in
   * there on `apiAddress` (the `kubernetes` Service's endpoint). Ingress is off.
   */
  vnet?: { netns: string; localCidrs: string[]; apiAddress: string };
  /** --anonymous-auth (default false, as AKS). */
  anonymousAuth?: boolean;
  /** --token-auth-file: static bearer tokens (CSV: token,user,uid,"group1,group2"). */
  tokenAuthFile?: string;
  /** --api-server-authorized-ip-ranges: only these addresses may connect (default: all). */
  authorizedIPRanges?: string[];
  /** --max-requests-inflight / --max-mutating-requests-inflight (defaults 400 / 200). */
  maxRequestsInflight?: number;
  maxMutatingRequestsInflight?: number;
  /** --encryption-provider-config; 'generate' (skiff up's default): secrets encrypted with a random aescbc key kept in the data dir. */
  encryption?: { configFile: string } | 'generate';
  /** Audit logging (--audit-policy-file, --audit-log-path, ...); off when unset. */
  audit?: AuditFlags;
  clock?: Clock;
  /** Run the scheduler and the simulated nodes on threads of their own (default: unless a clock is given). */
  threads?: boolean;
}

const system = { username: 'system:kube-controller-manager', groups: ['system:masters', 'system:authenticated'] };

export class LocalCluster {
  readonly opts: ClusterOptions;
  storage!: Backend;
  api!: ApiServer;
  client!: KubeClient;
  informers!: InformerFactory;
  manager!: ControllerManager;
  /** The scheduler, when it runs on the API server's thread (a cluster on an injected clock). */
  scheduler: Scheduler | undefined;
  /** The scheduler, when it runs on a thread of its own (the default on the real clock). */
  schedulerThread: SchedulerThread | undefined;
  sim!: SimNodes;
  #simPool: SimNodePool | undefined;
  #simThread: SimNodeThread | undefined;
  readonly agents = new Map<string, NodeAgent>();
  runtime: ProcessRuntime | undefined;
  proxy: ServiceProxy | undefined;
  dns: ClusterDNS | undefined;
  ingress: IngressController | undefined;
  #agentStats: AgentStats | undefined;
  /** Problems that left a part of the cluster off (e.g. DNS without root); `skiff up` prints them. */
  readonly warnings: string[] = [];
  #control: ControlServer | undefined;
  security!: ClusterSecurity;
  #audit: Auditor | undefined;
  /** The in-namespace proxy + DNS of a VNet cluster. */
  dataPlane: NamespaceDataPlane | undefined;
  url = '';

  constructor(opts: ClusterOptions) {
    this.opts = opts;
  }

  async start(): Promise<string> {
    const o = this.opts;
    const clock = o.clock ?? realClock;
    mkdirSync(o.dataDir, { recursive: true });
    const serviceCIDR = o.serviceCIDR ?? DEFAULT_SERVICE_CIDR;
    this.security = await ClusterSecurity.create({
      dataDir: o.dataDir,
      serviceIP: firstServiceIP(serviceCIDR),
      clock,
      ...(o.host ? { extraSANs: [o.host] } : {}),
      ...(o.anonymousAuth ? { anonymousAuth: true } : {}),
      ...(o.tokenAuthFile ? { tokenAuthFile: o.tokenAuthFile } : {}),
      authorizedIPRanges: o.authorizedIPRanges ?? savedRanges(o.dataDir),
    });
    if (o.authorizedIPRanges) writeFileSync(join(o.dataDir, RANGES_FILE), JSON.stringify(this.security.ranges.ranges) + '\n');
    const encryption = o.encryption ? await loadEncryptionConfig(o.encryption === 'generate' ? ensureDefaultEncryptionConfig(o.dataDir) : o.encryption.configFile) : undefined;
    this.#audit = o.audit ? auditorFromFlags(o.audit, () => clock.now()) : undefined;
    this.storage = openStorage(o.storage ?? `sqlite://${join(o.dataDir, 'state.db')}`);
    const vnetSocket = o.vnet ? this.#vnetSocket(o.vnet.netns) : undefined;
    if (o.vnet) await ensureNetns(o.vnet.netns, o.vnet.localCidrs);
    this.api = new ApiServer({
      ...(o.vnet ? { unixSocket: vnetSocket, advertiseAddress: o.vnet.apiAddress } : {}),
      storage: this.storage,
      clock,
      ...(encryption ? { encryption } : {}),
      ...(this.#audit ? { audit: this.#audit } : {}),
      ...this.security.apiServerOptions(() => this.api),
      ...(o.maxRequestsInflight !== undefined ? { maxRequestsInflight: o.maxRequestsInflight } : {}),
      ...(o.maxMutatingRequestsInflight !== undefined ? { maxMutatingRequestsInflight: o.maxMutatingRequestsInflight } : {}),
      ...(o.host ? { host: o.host } : {}),
      ...(o.port !== undefined ? { port: o.port } : {}),
      ...(o.version ? { version: o.version } : {}),
      ...(o.serviceCIDR ? { serviceCIDR: o.serviceCIDR } : {}),
      admission: new Admission(
        admissionPlugins({
          notReadySeconds: o.defaultNotReadyTolerationSeconds ?? 300,
          unreachableSeconds: o.defaultUnreachableTolerationSeconds ?? 300,
          quotas: () => this.api.store('', 'resourcequotas')!,
          stores: (group, resource) => this.api.store(group, resource),
        }),
      ),
    });
    try {
      this.url = await this.api.start();
      this.client = new KubeClient(new InProcessTransport(this.api, system));
      await this.security.afterStart(this.api, this.client);
      this.manager = new ControllerManager(this.client, [...allControllers({ dataDir: o.dataDir }), ...credentialControllers(this.security.credentialSource())], { clock, config: { ...o.controllers } });
      await this.manager.start();
      this.informers = new InformerFactory(this.client, { clock });
      // On the real clock the scheduler and the simulated nodes get threads of their own (as
      // kube-scheduler and kwok are processes of their own); a fake clock cannot cross threads,
      // so tests that drive time keep them on this one.
      const threads = o.threads ?? !o.clock;
      if (threads) this.schedulerThread = new SchedulerThread(this.api, system);
      else this.scheduler = new Scheduler(this.client, this.informers, { clock, recorder: new EventRecorder(this.client, { component: 'default-scheduler', clock }) });
      // The kubelet renews its Lease every quarter of the lease duration (10 s of 40 s), well inside
      // the 50 s grace period; a shortened --node-monitor-grace-period needs faster renewals, or
      // healthy nodes would look silent.
      const grace = o.controllers?.nodeMonitorGracePeriodMs;
      const leaseRenewMs = grace !== undefined && grace < 40_000 ? Math.max(100, Math.floor(grace / 4)) : undefined;
      const simOptions = {
        ...(leaseRenewMs !== undefined ? { leaseRenewMs } : {}),
        ...(o.network?.podCIDR ? { podCIDRBase: o.network.podCIDR } : {}),
        ...(o.network?.nodeAddressCIDR ? { nodeAddressCIDR: o.network.nodeAddressCIDR } : {}),
      };
      if (threads) this.sim = this.#simThread = new SimNodeThread(this.api, system, simOptions);
      else this.sim = this.#simPool = new SimNodePool(this.client, this.informers, { clock, ...simOptions });
      this.#agentStats = new AgentStats(() => [...this.agents.values()], clock);
      const stats: StatsProvider[] = [
        simStats(this.informers.informer('', 'pods'), this.informers.informer('', 'nodes'), (n) => this.sim.node(n) !== undefined),
        this.#agentStats,
      ];
      const metrics = new MetricsAPI(() => stats, () => clock.now());
      this.api.addGroup({ resources: metricsResources, get: (r, ns, name, q) => metrics.handle(r, ns, name, q) });
      this.scheduler?.start();
      void this.schedulerThread?.start();
      await (this.#simPool ?? this.#simThread)?.start();
      this.informers.start();
      await this.#startNodes();
      if (o.vnet) await this.#startVNetDataPlane(vnetSocket!);
      else if (o.dns) await this.#startDNS(clock);
      if (o.proxy && !o.vnet) {
        this.proxy = new ServiceProxy(this.client, this.informers, {
          clock,
          nodeAddresses: () => this.informers.informer('', 'nodes').list().map((n) => nodeInternalIP(n)).filter((a): a is string => !!a),
        });
        this.proxy.start();
      }
      this.api.streamBackend = this.#streams();
      this.#agentStats.start();
      if (o.ingress && o.vnet) this.warnings.push('the Ingress controller is off: the cluster network lives in its own network namespace');
      if (o.ingress && !o.vnet) {
        this.ingress = new IngressController(this.client, this.informers, { clock, httpPort: o.ingress.httpPort, httpsPort: o.ingress.httpsPort });
        try {
          await this.ingress.start();
        } catch (e) {
          this.warnings.push(`the Ingress controller is off: ${(e as Error).message}`);
          this.ingress = undefined;
        }
      }
      const cpu = o.simNode?.cpu ?? '32';
      const memory = o.simNode?.memory ?? '256Gi';
      const pods = o.simNode?.pods ?? 110;
      await Promise.all(Array.from({ length: o.simNodes ?? 0 }, (_, i) => this.sim.addNode({ name: `skiff-sim-${i}`, cpu, memory, pods })));
      if (o.control) {
        this.#control = new ControlServer(o.dataDir, {
          failNode: (name) => {
            const a = this.agents.get(name);
            if (a) return (a.fail(), true);
            return this.sim.node(name) ? (this.sim.fail(name), true) : false;
          },
          recoverNode: (name) => {
            const a = this.agents.get(name);
            if (a) return (a.recover(), true);
            return this.sim.node(name) ? (this.sim.recover(name), true) : false;
          },
          explainPod: (ns, name) => {
            const s = this.scheduler;
            if (s) return s.getPod(ns, name) ? explainPod(s, ns, name) : undefined;
            return this.schedulerThread?.explain(ns, name);
          },
          rotateCerts: (ca) => this.rotateCertificates({ ca }),
          setAuthorizedIPRanges: (ranges) => this.setAuthorizedIPRanges(ranges),
        });
        await this.#control.start();
      }
    } catch (e) {
      await this.stop();
      throw e;
    }
    return this.url;
  }

  /** Process-runtime nodes `skiff-node-<i>`, keeping their address and pod CIDR across restarts. */
  async #startNodes(): Promise<void> {
    for (let i = 0; i < (this.opts.nodes ?? 0); i++) await this.addNodeAgent({ name: `skiff-node-${i}` });
  }

  #nodeNetwork(): NodeNetworkAllocator {
    const n = this.opts.network;
    return n?.podCIDR || n?.nodeAddressCIDR ? new NodeNetworkAllocator(n.podCIDR, 24, n.nodeAddressCIDR) : new NodeNetworkAllocator();
  }

  #agentNet: NodeNetworkAllocator | undefined;

  /**
   * Adds a process-runtime node with its own name, labels, taints and capacity (an AKS pool's VM);
   * its address and pod CIDR are kept if the Node already exists.
   */
  async addNodeAgent(spec: { name: string; cpu?: string; memory?: string; pods?: number; labels?: Record<string, string>; taints?: Record<string, unknown>[]; kubeletVersion?: string }): Promise<NodeAgent> {
    const clock = this.opts.clock ?? realClock;
    this.runtime ??= new ProcessRuntime(this.opts.vnet ? { netns: netnsPath(this.opts.vnet.netns) } : {});
    if (!this.#agentNet) {
      this.#agentNet = this.#nodeNetwork();
      for (const node of (await this.client.nodes().list()).items) this.#agentNet.remember(nodeInternalIP(node), node.spec?.podCIDR);
    }
    const net = this.#agentNet;
    let existing;
    try {
      existing = await this.client.nodes().get(spec.name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    const address = (existing && nodeInternalIP(existing)) ?? net.allocateAddress();
    const podCIDR = existing?.spec?.podCIDR ?? net.allocateCidr();
    net.remember(address, podCIDR);
    const agent = new NodeAgent(this.client, this.informers, this.runtime, {
      nodeName: spec.name,
      address,
      podCIDR,
      dataDir: join(this.opts.dataDir, 'nodes', spec.name),
      clock,
      ...(spec.cpu && spec.memory && spec.pods ? { capacity: { cpu: spec.cpu, memory: spec.memory, pods: spec.pods } } : {}),
      ...(spec.labels ? { labels: spec.labels } : {}),
      ...(spec.taints ? { taints: spec.taints } : {}),
      clusterDNS: this.opts.network?.dnsServiceIP ?? '127.96.0.10',
      kubeletVersion: spec.kubeletVersion ?? this.api.version.gitVersion,
      // Pods of a VNet cluster live in its network namespace: probes go through the data plane there.
      ...(this.opts.vnet ? { dial: (host: string, port: number, timeoutMs: number) => this.dataPlane!.dial(host, port, timeoutMs) } : {}),
    });
    this.agents.set(spec.name, agent);
    await agent.start();
    return agent;
  }

  /** Stops a process-runtime node added by addNodeAgent and deletes its Node object. */
  async removeNodeAgent(name: string): Promise<void> {
    const agent = this.agents.get(name);
    if (!agent) return;
    this.agents.delete(name);
    agent.stop();
    try {
      await this.client.nodes().delete(name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** A unix socket path short enough for sun_path (108 bytes): in the data dir, else under /run/skiff. */
  #vnetSocket(netns: string, name = 'apiserver'): string {
    const inData = join(this.opts.dataDir, `${name}.sock`);
    if (Buffer.byteLength(inData) <= 100) return inData;
    mkdirSync('/run/skiff', { recursive: true, mode: 0o700 });
    return join('/run/skiff', `${netns}-${name}.sock`);
  }

  /** Starts the VNet's proxy + DNS child inside the namespace, as kube-proxy (admin certificate). */
  #vnetSocketPath: string | undefined;

  async #startVNetDataPlane(socket: string): Promise<void> {
    const o = this.opts;
    this.#vnetSocketPath = socket;
    const dnsIP = o.network?.dnsServiceIP;
    if (o.dns) {
      await ensureKubeDNSService(this.client, dnsIP);
      await ensureCoreDNSConfigMaps(this.client);
    }
    const cert = this.security.pki.component('admin');
    this.dataPlane = new NamespaceDataPlane(o.vnet!.netns, join(o.dataDir, 'dataplane.json'));
    await this.dataPlane.start({
      socket,
      apiPort: Number(new URL(this.url).port),
      advertiseAddress: o.vnet!.apiAddress,
      caPEM: this.security.pki.caPEM,
      certPEM: cert.certificatePEM,
      keyPEM: cert.keyPEM,
      ...(o.dns && dnsIP ? { dnsServiceIP: dnsIP } : {}),
      proxy: !!o.proxy,
      dialSocket: this.#vnetSocket(o.vnet!.netns, 'dataplane'),
    });
  }

  async #startDNS(clock: Clock): Promise<void> {
    const dnsIP = this.opts.network?.dnsServiceIP;
    await ensureKubeDNSService(this.client, dnsIP);
    await ensureCoreDNSConfigMaps(this.client);
    this.dns = new ClusterDNS(this.client, this.informers, { clock, ...(dnsIP ? { address: dnsIP } : {}) });
    try {
      await this.dns.start();
    } catch (e) {
      if (!(e instanceof DNSBindError)) throw e;
      this.warnings.push(`cluster DNS is off: ${e.message}`);
      this.dns = undefined;
    }
  }

  /** exec, attach, port-forward and logs go to the agent of the pod's node. */
  #streams(): StreamBackend {
    const agentFor = async (namespace: string, pod: string): Promise<NodeAgent> => {
      const p = await this.client.pods(namespace).get(pod);
      const node = p.spec?.nodeName;
      const agent = node ? this.agents.get(node) : undefined;
      if (!agent) throw new StatusError(400, 'BadRequest', `pod ${pod} runs on simulated node ${node ?? '(none)'}, which runs no containers`);
      return agent;
    };
    return {
      exec: async (req) => (await agentFor(req.namespace, req.pod)).exec(req),
      attach: async (req) => (await agentFor(req.namespace, req.pod)).attach(req),
      portForward: async (req) => {
        const agent = await agentFor(req.namespace, req.pod);
        // A VNet pod's address exists only inside the namespace: the data plane dials it there.
        const dp = this.dataPlane;
        if (!dp) return agent.portForward(req);
        const ip = (await this.client.pods(req.namespace).get(req.pod)).status?.podIP;
        if (!ip) throw new StatusError(400, 'BadRequest', `pod ${req.pod} has no IP yet`);
        try {
          return await dp.dial(ip, req.port);
        } catch (e) {
          throw new StatusError(400, 'BadRequest', `error forwarding port ${req.port} to pod ${req.pod}: ${(e as Error).message}`);
        }
      },
      logs: async (req) => (await agentFor(req.namespace, req.pod)).logs(req),
    };
  }

  /** Kubeconfig credentials for this cluster: `admin` (system:masters) or the cluster user's. */
  credentials(kind: 'admin' | 'user'): Promise<Credentials> {
    return this.security.credentials(kind, this.url);
  }

  /** Replaces the authorized IP ranges; the next connection sees them (no restart); kept in the data dir. */
  setAuthorizedIPRanges(ranges: string[]): void {
    this.security.ranges.set(ranges);
    writeFileSync(join(this.opts.dataDir, RANGES_FILE), JSON.stringify(this.security.ranges.ranges) + '\n');
  }

  /** Re-issues the serving and client certificates (and with `ca`, the cluster CA); workloads keep running. */
  async rotateCertificates(opts: { ca?: boolean } = {}): Promise<void> {
    await this.security.rotate(opts);
    // The VNet data plane holds a client certificate and the CA: restart it with the new ones.
    if (this.dataPlane && this.#vnetSocketPath) {
      await this.dataPlane.stop();
      await this.#startVNetDataPlane(this.#vnetSocketPath);
    }
  }

  async stop(): Promise<void> {
    this.security?.stop();
    await this.#control?.stop();
    for (const a of this.agents.values()) a.stop();
    await this.dns?.stop();
    this.proxy?.stop();
    this.ingress?.stop();
    this.#agentStats?.stop();
    await this.dataPlane?.stop();
    await this.runtime?.close();
    if (this.opts.vnet) await deleteNetns(this.opts.vnet.netns).catch((e) => this.warnings.push(`network namespace ${this.opts.vnet!.netns} was not deleted: ${(e as Error).message}`));
    this.#simPool?.stop();
    this.scheduler?.stop();
    await Promise.all([this.#simThread?.stop(), this.schedulerThread?.stop()]);
    this.informers?.stop();
    this.manager?.stop();
    await this.api?.stop();
    await this.#audit?.sink.close();
    await this.storage?.close();
  }
}
