// The AKS management service: an ARM-compatible API (resource groups, managedClusters, agentPools,
// credentials, upgrade profiles, stop/start, certificate rotation, run command, maintenance
// configurations, supported versions, async operations) over HTTPS with a bearer token, backed
// by a store in the data dir and a provisioner that runs each managed cluster as a LocalCluster.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { ClusterPKI } from '../pki/pki.ts';
import { realClock, type Clock, type Timer } from '../machinery/clock.ts';
import { endpointFile, writeEndpoint, type Endpoint } from './endpoint.ts';
export { readEndpoint, type Endpoint } from './endpoint.ts';
import { ArmServer, type ArmRequest, type ArmResponse } from './arm/server.ts';
import { ArmError, groupNotFound, notFound } from './arm/errors.ts';
import { Store, clusterKey, type ClusterRecord, type OperationRecord, type PoolRecord } from './store.ts';
import { ClusterRuntime, NODE_IMAGE_VERSION, nodeName, poolNodeSpec, vmssId } from './provisioner.ts';
import { checkMaxPods, checkNetworkUnchanged, isVNetProfile, loopbackRanges, maxPodsDefault, nodeCidrOf, overlaps, parseCidr, resolveNetworkProfile, vnetRanges } from './network.ts';
import { deleteNetns, netnsName } from '../cluster/netns.ts';
import {
  DEFAULT_VM_SIZE, ERROR_CODES, LIMITS, SUPPORTED_VERSIONS, TIERS, compareVersions, defaultVersion, minorNumber, minorOf, resolveVersion, upgradesFrom, vmSize, type Tier,
} from './data/catalog.ts';
import { ClusterAutoscaler, parseAutoscalerProfile, AutoscalerProfileError, type NodeGroup } from './autoscaler/index.ts';
import { AddonManager } from './addons/index.ts';

export interface ManagementServiceOptions {
  dataDir: string;
  host?: string;
  port?: number;
  location?: string;
  clock?: Clock;
  /** Drain timeout for scale-down and upgrades (AKS: 30 minutes). */
  drainTimeoutMs?: number;
  /** Whether this service may create network namespaces for VNet clusters (default: effective uid 0). */
  isRoot?: () => boolean;
  /** Node runtime of pools that do not set `nodeRuntime` (default `process`). */
  defaultNodeRuntime?: 'process' | 'sim';
  /** How often auto-upgrade checks its channels and maintenance windows (default 1 minute). */
  autoUpgradeIntervalMs?: number;
}

const CS = 'Microsoft.ContainerService';
const MC_TYPE = 'Microsoft.ContainerService/ManagedClusters';

type Running = { runtime: ClusterRuntime; autoscaler?: { stop(): void }; addons?: { stop(): void | Promise<void> } };

export class ManagementService {
  readonly opts: ManagementServiceOptions;
  readonly dir: string;
  store!: Store;
  url = '';
  token = '';
  caFile = '';
  #clock: Clock;
  #server: ArmServer | undefined;
  #running = new Map<string, Running>();
  /** Cluster key → the operation that holds it (one mutating operation at a time, as AKS). */
  #busy = new Map<string, string>();
  #buckets = new Map<string, { tokens: number; at: number }>();
  #tasks = new Set<Promise<unknown>>();
  #autoTimer: Timer | undefined;
  #stopped = false;

  constructor(opts: ManagementServiceOptions) {
    this.opts = opts;
    this.dir = join(opts.dataDir, 'aks');
    this.#clock = opts.clock ?? realClock;
  }

  get location(): string {
    return this.opts.location ?? 'eastus';
  }

  get subscriptionId(): string {
    return this.store.state.subscriptionId;
  }

  async start(): Promise<string> {
    mkdirSync(this.dir, { recursive: true });
    this.store = new Store(join(this.dir, 'state.json'));
    const tokenFile = join(this.dir, 'token');
    if (!existsSync(tokenFile)) writeFileSync(tokenFile, randomBytes(32).toString('base64url'), { mode: 0o600 });
    chmodSync(tokenFile, 0o600);
    this.token = readFileSync(tokenFile, 'utf8').trim();
    const host = this.opts.host ?? '127.0.0.1';
    const pki = await ClusterPKI.loadOrCreate(join(this.dir, 'pki'), { extraSANs: [host, '127.0.0.1', 'localhost'], clock: this.#clock });
    this.caFile = join(this.dir, 'ca.pem');
    writeFileSync(this.caFile, pki.caPEM);
    this.#server = new ArmServer({ cert: pki.certificatePEM, key: pki.keyPEM, token: this.token, handle: (r) => this.#route(r), location: () => this.location });
    this.url = await this.#server.start(host, this.opts.port ?? 0);
    const endpoint: Endpoint = { url: this.url, subscriptionId: this.subscriptionId, tenantId: this.store.state.tenantId, caFile: this.caFile, tokenFile, pid: process.pid };
    writeEndpoint(this.opts.dataDir, endpoint);
    // Operations cut short by a restart failed; clusters that were running come back.
    for (const op of Object.values(this.store.state.operations)) {
      if (op.status === 'InProgress') Object.assign(op, { status: 'Failed', endTime: this.#now(), error: { code: 'InternalOperationError', message: 'The management service restarted during the operation.' } });
    }
    for (const rec of Object.values(this.store.state.clusters)) {
      const state = rec.properties.provisioningState;
      if (state !== 'Succeeded' && state !== 'Failed') rec.properties.provisioningState = 'Failed';
      if (rec.properties.powerState?.code !== 'Stopped') this.#spawn(this.#bringUp(rec).catch((e) => this.#fail(rec, e)));
    }
    this.store.flush();
    this.#scheduleAutoUpgrade();
    return this.url;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#autoTimer?.cancel();
    await this.#server?.stop();
    await Promise.allSettled([...this.#tasks]);
    await Promise.allSettled([...this.#running.keys()].map((k) => this.#tearDown(k)));
    if (this.store) this.store.flush();
    rmSync(endpointFile(this.opts.dataDir), { force: true });
  }

  /** The running runtime of a cluster (tests, bench and the CLI reach its LocalCluster through it). */
  runtime(rg: string, name: string): ClusterRuntime | undefined {
    return this.#running.get(clusterKey(rg, name))?.runtime;
  }

  /** Resolves when every operation started so far has finished. */
  async idle(): Promise<void> {
    while (this.#tasks.size) await Promise.allSettled([...this.#tasks]);
  }

  // ---- routing ----

  async #route(req: ArmRequest): Promise<ArmResponse> {
    const s = req.segments;
    const l = s.map((x) => x.toLowerCase());
    const m = req.method;
    if (l[0] === 'providers' && l[1] === CS.toLowerCase() && l[2] === 'operations' && s.length === 3) return { status: 200, body: { value: [] } };
    if (l[0] !== 'subscriptions' || !s[1]) throw new ArmError(404, 'InvalidResourceType', `The resource type could not be found in the namespace for api version '${req.apiVersion}'.`);
    if (l[1] !== this.subscriptionId.toLowerCase()) throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${s[1]}' could not be found.`);
    // /subscriptions/{s}/operationresults/{id} (resource group deletion)
    if (l[2] === 'operationresults' && s[3] && s.length === 4) return this.#operationResult(s[3]);
    if (l[2] === 'resourcegroups' && s.length === 3 && m === 'GET') return { status: 200, body: { value: Object.values(this.store.state.groups).map((g) => this.#groupJSON(g)) } };
    if (l[2] === 'providers' && l[3] === CS.toLowerCase()) {
      if (l[4] === 'managedclusters' && s.length === 5 && m === 'GET') return { status: 200, body: { value: Object.values(this.store.state.clusters).map((c) => this.#clusterJSON(c)) } };
      if (l[4] === 'locations' && s[5] && l[6] === 'kubernetesversions' && s.length === 7) return { status: 200, body: this.#versionsJSON() };
      if (l[4] === 'locations' && s[5] && l[6] === 'operations' && s[7] && s.length === 8) return this.#operationStatus(s[7]);
      if (l[4] === 'locations' && s[5] && l[6] === 'operationresults' && s[7] && s.length === 8) return this.#operationResult(s[7]);
    }
    if (l[2] !== 'resourcegroups' || !s[3]) throw new ArmError(404, 'InvalidResourceType', `The resource type '${s.slice(2).join('/')}' could not be found.`);
    const rg = s[3];
    if (s.length === 4) return this.#groupRoute(m, rg, req);
    if (l[4] === 'resources' && s.length === 5 && m === 'GET') return this.#groupResources(rg);
    if (l[4] !== 'providers' || l[5] !== CS.toLowerCase() || l[6] !== 'managedclusters') {
      throw new ArmError(404, 'InvalidResourceType', `The resource type '${s.slice(4).join('/')}' could not be found in the namespace for api version '${req.apiVersion}'.`);
    }
    if (!this.store.group(rg)) throw groupNotFound(rg);
    if (s.length === 7 && m === 'GET') return { status: 200, body: { value: Object.values(this.store.state.clusters).filter((c) => c.resourceGroup.toLowerCase() === rg.toLowerCase()).map((c) => this.#clusterJSON(c)) } };
    const name = s[7];
    if (!name) throw new ArmError(405, 'MethodNotAllowed', `The requested method ${m} is not allowed.`);
    if (s.length === 8) {
      if (m === 'PUT') return this.#putCluster(req, rg, name);
      const rec = this.#mustCluster(rg, name);
      if (m === 'GET') return { status: 200, body: this.#clusterJSON(rec) };
      if (m === 'PATCH') return this.#patchCluster(req, rec);
      if (m === 'DELETE') return this.#deleteCluster(req, rec);
    }
    const rec = this.#mustCluster(rg, name);
    const sub = l[8];
    if (s.length === 9 && m === 'POST') {
      if (sub === 'listclusteradmincredential') return this.#credentials(rec, 'admin');
      if (sub === 'listclusterusercredential') return this.#credentials(rec, 'user');
      if (sub === 'stop') return this.#stopCluster(req, rec);
      if (sub === 'start') return this.#startCluster(req, rec);
      if (sub === 'rotateclustercertificates') return this.#rotateCerts(req, rec);
      if (sub === 'runcommand') return this.#runCommand(req, rec);
    }
    if (sub === 'upgradeprofiles' && l[9] === 'default' && s.length === 10 && m === 'GET') return { status: 200, body: this.#upgradeProfileJSON(rec) };
    if (sub === 'commandresults' && s[9] && s.length === 10 && m === 'GET') return this.#commandResult(rec, s[9]);
    if (sub === 'availableagentpoolversions' && s.length === 9 && m === 'GET') {
      return { status: 200, body: { id: `${this.#clusterId(rec)}/availableagentpoolversions`, name: 'default', type: 'Microsoft.ContainerService/managedClusters/availableAgentpoolVersions', properties: { agentPoolVersions: SUPPORTED_VERSIONS.flatMap((v) => v.patches).map((kubernetesVersion) => ({ kubernetesVersion, default: kubernetesVersion === defaultVersion() || undefined })) } } };
    }
    if (sub === 'agentpools') {
      if (s.length === 9 && m === 'GET') return { status: 200, body: { value: rec.pools.map((p) => this.#poolJSON(rec, p)) } };
      const pool = s[9]!;
      if (s.length === 10) {
        if (m === 'PUT') return this.#putPool(req, rec, pool);
        const p = this.#mustPool(rec, pool);
        if (m === 'GET') return { status: 200, body: this.#poolJSON(rec, p) };
        if (m === 'DELETE') return this.#deletePool(req, rec, p);
      }
      const p = this.#mustPool(rec, pool);
      if (l[10] === 'upgradeprofiles' && l[11] === 'default' && s.length === 12 && m === 'GET') return { status: 200, body: this.#poolUpgradeProfileJSON(rec, p) };
      if (l[10] === 'upgradenodeimageversion' && s.length === 11 && m === 'POST') return this.#nodeImageUpgrade(req, rec, p);
    }
    if (sub === 'maintenanceconfigurations') {
      if (s.length === 9 && m === 'GET') return { status: 200, body: { value: Object.entries(rec.maintenance).map(([n, p]) => this.#maintenanceJSON(rec, n, p)) } };
      const cfg = s[9]!;
      if (s.length === 10) {
        const existing = Object.keys(rec.maintenance).find((k) => k.toLowerCase() === cfg.toLowerCase());
        if (m === 'PUT') {
          const props = (req.body?.properties ?? {}) as Record<string, any>;
          const key = existing ?? cfg;
          rec.maintenance[key] = props;
          this.store.save();
          return { status: 200, body: this.#maintenanceJSON(rec, key, props) };
        }
        if (!existing) throw notFound(`${MC_TYPE}/maintenanceConfigurations`, `${rec.name}/${cfg}`, rec.resourceGroup);
        if (m === 'GET') return { status: 200, body: this.#maintenanceJSON(rec, existing, rec.maintenance[existing]!) };
        if (m === 'DELETE') {
          delete rec.maintenance[existing];
          this.store.save();
          return { status: 200 };
        }
      }
    }
    throw new ArmError(404, 'InvalidResourceType', `The resource type '${s.slice(8).join('/')}' could not be found in the namespace '${CS}' for api version '${req.apiVersion}'.`);
  }

  // ---- resource groups ----

  #groupJSON(g: { name: string; location: string; tags: Record<string, string>; managedBy?: string; provisioningState: string }): Record<string, unknown> {
    return {
      id: `/subscriptions/${this.subscriptionId}/resourceGroups/${g.name}`,
      name: g.name,
      type: 'Microsoft.Resources/resourceGroups',
      location: g.location,
      ...(g.managedBy ? { managedBy: g.managedBy } : {}),
      tags: g.tags,
      properties: { provisioningState: g.provisioningState },
    };
  }

  async #groupRoute(m: string, rg: string, req: ArmRequest): Promise<ArmResponse> {
    const g = this.store.group(rg);
    if (m === 'HEAD') return { status: g ? 204 : 404 };
    if (m === 'GET') {
      if (!g) throw groupNotFound(rg);
      return { status: 200, body: this.#groupJSON(g) };
    }
    if (m === 'PUT' || m === 'PATCH') {
      if (m === 'PATCH' && !g) throw groupNotFound(rg);
      if (g?.provisioningState === 'Deleting') throw new ArmError(409, 'ResourceGroupBeingDeleted', `The resource group '${g.name}' is in deprovisioning state and cannot perform this operation.`);
      if (!/^[-\w._()]{1,90}$/.test(rg) || rg.endsWith('.')) throw new ArmError(400, 'InvalidResourceGroup', `The provided resource group name '${rg}' has these invalid characters. The name can only be a letter, digit, '-', '.', '(', ')' or '_'.`);
      const location = String(req.body?.location ?? g?.location ?? '').toLowerCase().replace(/\s+/g, '');
      if (!location) throw new ArmError(400, 'LocationRequired', "The location property is required for this definition.");
      if (g && m === 'PUT' && location !== g.location) throw new ArmError(409, 'InvalidResourceGroupLocation', `Invalid resource group location '${location}'. The Resource group already exists in location '${g.location}'.`);
      const next = g ?? { name: rg, location, tags: {}, resources: [], provisioningState: 'Succeeded' as const };
      if (req.body?.tags) next.tags = req.body.tags;
      if (req.body?.managedBy && !g) next.managedBy = req.body.managedBy;
      this.store.state.groups[rg.toLowerCase()] = next;
      this.store.save();
      return { status: g ? 200 : 201, body: this.#groupJSON(next) };
    }
    if (m === 'DELETE') {
      if (!g) throw groupNotFound(rg);
      if (g.managedBy) throw new ArmError(409, 'ScopeLocked', `The resource group '${g.name}' is managed by '${g.managedBy}' and is deleted with it.`);
      g.provisioningState = 'Deleting';
      const op = this.#begin('Delete resource group', `/subscriptions/${this.subscriptionId}/resourceGroups/${g.name}`, g.location, async () => {
        const clusters = Object.values(this.store.state.clusters).filter((c) => c.resourceGroup.toLowerCase() === rg.toLowerCase());
        for (const c of clusters) await this.#removeCluster(c);
        delete this.store.state.groups[rg.toLowerCase()];
      });
      return { status: 202, headers: { location: `${req.base}/subscriptions/${this.subscriptionId}/operationresults/${op.id}?api-version=${req.apiVersion}`, 'retry-after': '1' } };
    }
    throw new ArmError(405, 'MethodNotAllowed', `The requested method ${m} is not allowed.`);
  }

  #groupResources(rg: string): ArmResponse {
    const g = this.store.group(rg);
    if (!g) throw groupNotFound(rg);
    const base = `/subscriptions/${this.subscriptionId}/resourceGroups/${g.name}/providers`;
    const value = [
      ...g.resources.map((r) => ({ id: `${base}/${r.type}/${r.name}`, name: r.name, type: r.type, location: g.location, tags: {} })),
      ...Object.values(this.store.state.clusters).filter((c) => c.resourceGroup.toLowerCase() === rg.toLowerCase()).map((c) => ({ id: this.#clusterId(c), name: c.name, type: MC_TYPE, location: c.location, tags: c.tags })),
    ];
    return { status: 200, body: { value } };
  }

  // ---- operations ----

  #now(): string {
    return new Date(this.#clock.now()).toISOString();
  }

  #begin(name: string, resourceId: string, location: string, work: (op: OperationRecord) => Promise<void>, onFail?: (e: unknown) => void): OperationRecord {
    const op: OperationRecord = { id: randomUUID(), name, location, resourceId, status: 'InProgress', startTime: this.#now() };
    this.store.pruneOperations(this.#clock.now());
    this.store.state.operations[op.id] = op;
    this.store.save();
    this.#spawn(
      (async () => {
        try {
          await work(op);
          op.status = 'Succeeded';
        } catch (e) {
          op.status = 'Failed';
          op.error = e instanceof ArmError ? { code: e.code, message: e.message } : { code: 'InternalOperationError', message: String((e as Error)?.message ?? e) };
          onFail?.(e);
        }
        op.endTime = this.#now();
        this.store.save();
      })(),
    );
    return op;
  }

  #spawn(p: Promise<unknown>): void {
    this.#tasks.add(p);
    void p.finally(() => this.#tasks.delete(p));
  }

  #operationStatus(id: string): ArmResponse {
    const op = this.store.state.operations[id];
    if (!op) throw new ArmError(404, 'NotFound', `Operation '${id}' was not found.`);
    return {
      status: 200,
      body: { id: `/subscriptions/${this.subscriptionId}/providers/${CS}/locations/${op.location}/operations/${op.id}`, name: op.id, status: op.status, startTime: op.startTime, ...(op.endTime ? { endTime: op.endTime } : {}), ...(op.error ? { error: op.error } : {}) },
      ...(op.status === 'InProgress' ? { headers: { 'retry-after': '1' } } : {}),
    };
  }

  #operationResult(id: string): ArmResponse {
    const op = this.store.state.operations[id];
    if (!op) throw new ArmError(404, 'NotFound', `Operation '${id}' was not found.`);
    if (op.status === 'InProgress') return { status: 202, headers: { 'retry-after': '1' } };
    if (op.status === 'Failed') throw new ArmError(400, op.error?.code ?? 'Failed', op.error?.message ?? 'The operation failed.');
    return op.result === undefined ? { status: 204 } : { status: 200, body: op.result };
  }

  /** 201/202 with Azure-AsyncOperation (and Location) as AKS answers long-running requests. */
  #lroHeaders(req: ArmRequest, op: OperationRecord, location?: string): Record<string, string> {
    const base = `${req.base}/subscriptions/${this.subscriptionId}/providers/${CS}/locations/${op.location}`;
    return {
      'azure-asyncoperation': `${base}/operations/${op.id}?api-version=${req.apiVersion}`,
      location: location ?? `${base}/operationresults/${op.id}?api-version=${req.apiVersion}`,
      'retry-after': '1',
    };
  }

  /** Runs `work` as the cluster's one operation; provisioningState follows it. */
  #clusterOp(req: ArmRequest, rec: ClusterRecord, name: string, state: string, work: (op: OperationRecord) => Promise<void>, poolState?: PoolRecord[]): OperationRecord {
    const key = clusterKey(rec.resourceGroup, rec.name);
    const busy = this.#busy.get(key);
    if (busy) throw new ArmError(409, ERROR_CODES.inProgress, `Operation is not allowed because there's an in progress ${busy} operation on managed cluster '${rec.name}'. Please wait for it to finish before starting a new operation.`);
    this.#busy.set(key, name);
    rec.properties.provisioningState = state;
    for (const p of poolState ?? []) p.properties.provisioningState = state;
    return this.#begin(name, this.#clusterId(rec), rec.location, async (op) => {
      try {
        await work(op);
        if (this.store.cluster(rec.resourceGroup, rec.name) === rec) {
          rec.properties.provisioningState = 'Succeeded';
          for (const p of rec.pools) if (p.properties.provisioningState !== 'Failed') p.properties.provisioningState = 'Succeeded';
        }
      } catch (e) {
        this.#fail(rec, e);
        throw e;
      } finally {
        this.#busy.delete(key);
      }
      void req;
    });
  }

  #fail(rec: ClusterRecord, e: unknown): void {
    rec.properties.provisioningState = 'Failed';
    for (const p of rec.pools) if (p.properties.provisioningState !== 'Succeeded') p.properties.provisioningState = 'Failed';
    rec.properties.status = { provisioningError: { code: e instanceof ArmError ? e.code : 'InternalOperationError', message: String((e as Error)?.message ?? e) } };
    this.store.save();
  }

  #throttle(rec: { resourceGroup: string; name: string }): void {
    const key = clusterKey(rec.resourceGroup, rec.name);
    const now = this.#clock.now();
    const b = this.#buckets.get(key) ?? { tokens: 20, at: now };
    b.tokens = Math.min(20, b.tokens + (now - b.at) / 60_000);
    b.at = now;
    this.#buckets.set(key, b);
    if (b.tokens < 1) {
      const retry = Math.ceil((1 - b.tokens) * 60);
      throw new ArmError(429, ERROR_CODES.throttled, `Too many requests: PUT on managed cluster '${rec.name}' is limited to bursts of 20, then 1 per minute. Retry after ${retry} seconds.`, undefined, { 'retry-after': String(retry) });
    }
    b.tokens -= 1;
  }

  // ---- managed clusters ----

  #clusterId(rec: { resourceGroup: string; name: string }): string {
    return `/subscriptions/${this.subscriptionId}/resourcegroups/${rec.resourceGroup}/providers/${CS}/managedClusters/${rec.name}`;
  }

  #mustCluster(rg: string, name: string): ClusterRecord {
    if (!this.store.group(rg)) throw groupNotFound(rg);
    const rec = this.store.cluster(rg, name);
    if (!rec) throw notFound(MC_TYPE, name, rg);
    return rec;
  }

  #mustPool(rec: ClusterRecord, name: string): PoolRecord {
    const p = rec.pools.find((x) => x.name === name.toLowerCase());
    if (!p) throw notFound(`${MC_TYPE}/agentPools`, `${rec.name}/${name}`, rec.resourceGroup);
    return p;
  }

  #nodeResourceGroup(rec: ClusterRecord): string {
    return rec.properties.nodeResourceGroup;
  }

  #poolJSONProps(rec: ClusterRecord, p: PoolRecord): Record<string, unknown> {
    const power = rec.properties.powerState?.code ?? 'Running';
    const versions = p.nodes.map((n) => n.version);
    const current = versions.length ? versions.reduce((a, b) => (compareVersions(a, b) <= 0 ? a : b)) : p.properties.orchestratorVersion;
    return { ...p.properties, count: p.properties.count, powerState: { code: power }, currentOrchestratorVersion: current, nodeImageVersion: p.properties.nodeImageVersion ?? NODE_IMAGE_VERSION };
  }

  #poolJSON(rec: ClusterRecord, p: PoolRecord): Record<string, unknown> {
    return { id: `${this.#clusterId(rec)}/agentPools/${p.name}`, name: p.name, type: 'Microsoft.ContainerService/managedClusters/agentPools', properties: this.#poolJSONProps(rec, p) };
  }

  #clusterJSON(rec: ClusterRecord): Record<string, unknown> {
    const props = { ...rec.properties };
    delete props.status;
    return {
      id: this.#clusterId(rec),
      location: rec.location,
      name: rec.name,
      type: MC_TYPE,
      tags: rec.tags,
      sku: rec.sku,
      identity: { type: 'SystemAssigned', principalId: rec.properties.identityProfile?.kubeletidentity?.objectId ?? '', tenantId: this.store.state.tenantId },
      properties: {
        ...props,
        currentKubernetesVersion: rec.properties.currentKubernetesVersion ?? rec.properties.kubernetesVersion,
        agentPoolProfiles: rec.pools.map((p) => ({ name: p.name, ...this.#poolJSONProps(rec, p) })),
        ...(rec.properties.status ? { status: rec.properties.status } : {}),
      },
    };
  }

  /** Validates and completes a pool's properties (AKS's defaults); throws ArmError before anything is made. */
  #completePool(name: string, input: Record<string, any>, rec: { properties: Record<string, any>; pools: PoolRecord[] }, old: PoolRecord | undefined, clusterVersion: string): Record<string, any> {
    if (!/^[a-z][a-z0-9]{0,11}$/.test(name)) {
      throw new ArmError(400, ERROR_CODES.invalidParameter, `The value of parameter agentPoolProfile.name is invalid. Agent pool name '${name}' must start with a lowercase letter, contain only lowercase letters and numbers, and be at most 12 characters long.`, 'agentPoolProfile.name');
    }
    const p: Record<string, any> = { ...(old?.properties ?? {}), ...input };
    delete p.name;
    p.vmSize ??= DEFAULT_VM_SIZE;
    const size = vmSize(p.vmSize);
    if (!size) throw new ArmError(400, ERROR_CODES.invalidParameter, `The value of parameter agentPoolProfile.vmSize is invalid. The VM size '${p.vmSize}' is not supported in location; supported sizes: see 'az vm list-skus'. Known here: Standard_DS2_v2, Standard_D2s_v3, Standard_D4s_v5, ...`, 'agentPoolProfile.vmSize');
    if (old && size.name !== old.properties.vmSize) throw new ArmError(400, ERROR_CODES.operationNotAllowed, `Changing property 'vmSize' is not allowed. Create a new node pool with the new VM size instead.`, 'agentPoolProfile.vmSize');
    p.vmSize = size.name;
    p.mode = p.mode === 'System' || String(p.mode).toLowerCase() === 'system' ? 'System' : p.mode === undefined ? undefined : 'User';
    p.type ??= 'VirtualMachineScaleSets';
    p.osType ??= 'Linux';
    p.osSKU ??= 'Ubuntu';
    p.osDiskSizeGB ??= 128;
    p.osDiskType ??= 'Managed';
    p.kubeletDiskType ??= 'OS';
    p.enableNodePublicIP ??= false;
    p.enableFIPS ??= false;
    p.nodeRuntime = (p.nodeRuntime ?? this.opts.defaultNodeRuntime) === 'sim' ? 'sim' : 'process';
    if (old && p.nodeRuntime !== old.properties.nodeRuntime) throw new ArmError(400, ERROR_CODES.operationNotAllowed, `Changing property 'nodeRuntime' is not allowed.`, 'agentPoolProfile.nodeRuntime');
    const plugin = rec.properties.networkProfile?.networkPlugin ?? 'kubenet';
    p.maxPods ??= maxPodsDefault(plugin, rec.properties.networkProfile?.networkPluginMode);
    if (old && p.maxPods !== old.properties.maxPods) throw new ArmError(400, ERROR_CODES.operationNotAllowed, `Changing property 'maxPods' is not allowed.`, 'agentPoolProfile.maxPods');
    checkMaxPods(Number(p.maxPods), name, plugin);
    p.enableAutoScaling = !!p.enableAutoScaling;
    if (p.count === undefined) p.count = p.enableAutoScaling ? (p.minCount ?? 1) : (old?.properties.count ?? 3);
    const count = Number(p.count);
    if (!Number.isInteger(count) || count < 0 || count > LIMITS.nodesPerPool) throw new ArmError(400, ERROR_CODES.invalidParameter, `The value of parameter agentPoolProfile.count is invalid. Agent pool '${name}' count ${p.count} must be between 0 and ${LIMITS.nodesPerPool}.`, 'agentPoolProfile.count');
    if (p.enableAutoScaling) {
      const min = Number(p.minCount), max = Number(p.maxCount);
      if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max > LIMITS.nodesPerPool || min > max) {
        throw new ArmError(400, ERROR_CODES.invalidParameter, `The value of parameter agentPoolProfile.minCount/maxCount is invalid. With enableAutoScaling, minCount (${p.minCount}) and maxCount (${p.maxCount}) are required, 0 <= minCount <= maxCount <= ${LIMITS.nodesPerPool}.`, 'agentPoolProfile.minCount');
      }
      if (count < min || count > max) throw new ArmError(400, ERROR_CODES.invalidParameter, `The value of parameter agentPoolProfile.count is invalid. Count ${count} must be within minCount ${min} and maxCount ${max} when autoscaling is enabled.`, 'agentPoolProfile.count');
    } else {
      delete p.minCount;
      delete p.maxCount;
    }
    if (p.orchestratorVersion !== undefined && p.orchestratorVersion !== '') {
      const v = resolveVersion(String(p.orchestratorVersion));
      if (!v) throw new ArmError(400, ERROR_CODES.versionNotSupported, `Version ${p.orchestratorVersion} is not supported in this region. Please use [az aks get-versions] command to get the supported version list in this region.`, 'agentPoolProfile.orchestratorVersion');
      if (compareVersions(v, clusterVersion) > 0) throw new ArmError(400, ERROR_CODES.operationNotAllowed, `Node pool version ${v} can not be greater than the control plane version ${clusterVersion}.`, 'agentPoolProfile.orchestratorVersion');
      if (minorNumber(clusterVersion) - minorNumber(v) > 3) throw new ArmError(400, ERROR_CODES.operationNotAllowed, `Node pool version ${v} is more than 3 minor versions behind the control plane version ${clusterVersion}.`, 'agentPoolProfile.orchestratorVersion');
      const from = old ? (old.properties.orchestratorVersion as string) : undefined;
      if (from && compareVersions(v, from) < 0) throw new ArmError(400, ERROR_CODES.operationNotAllowed, `Downgrading node pool '${name}' from ${from} to ${v} is not allowed.`, 'agentPoolProfile.orchestratorVersion');
      if (from && minorNumber(v) - minorNumber(from) > 1) throw new ArmError(400, ERROR_CODES.operationNotAllowed, `Upgrading Kubernetes version ${from} to ${v} is not allowed. Available upgrades: [${upgradesFrom(from).reverse().join(' ')}].`, 'agentPoolProfile.orchestratorVersion');
      p.orchestratorVersion = v;
    } else {
      p.orchestratorVersion = old?.properties.orchestratorVersion ?? clusterVersion;
    }
    p.upgradeSettings ??= {};
    p.nodeImageVersion ??= NODE_IMAGE_VERSION;
    delete p.provisioningState;
    delete p.powerState;
    delete p.currentOrchestratorVersion;
    return p;
  }

  #checkSystemPools(pools: { name: string; properties: Record<string, any> }[]): string | undefined {
    const system = pools.filter((p) => p.properties.mode === 'System');
    if (!system.length) throw new ArmError(400, ERROR_CODES.operationNotAllowed, 'A cluster must have at least one System node pool. See https://aka.ms/aks/nodepool/mode.', 'agentPoolProfiles');
    for (const s of system) {
      if (Number(s.properties.count) < 1) throw new ArmError(400, ERROR_CODES.invalidParameter, `System node pool '${s.name}' must have at least 1 node.`, 'agentPoolProfile.count');
    }
    const small = system.find((s) => Number(s.properties.count) < 2);
    return small ? `System node pool '${small.name}' has ${small.properties.count} node; AKS recommends at least 2 (3 for production) so that critical add-ons stay up.` : undefined;
  }

  #checkNodeLimit(rec: { sku: { tier: Tier } }, pools: { properties: Record<string, any> }[]): void {
    const total = pools.reduce((a, p) => a + Number(p.properties.enableAutoScaling ? p.properties.maxCount : p.properties.count), 0);
    const max = Math.min(TIERS[rec.sku.tier].maxNodes, LIMITS.nodesPerCluster);
    if (total > max) throw new ArmError(400, ERROR_CODES.invalidParameter, `The total node count ${total} exceeds the limit of ${max} nodes for the ${rec.sku.tier} tier.`, 'agentPoolProfiles');
    if (pools.length > LIMITS.poolsPerCluster) throw new ArmError(400, ERROR_CODES.invalidParameter, `A cluster can have at most ${LIMITS.poolsPerCluster} node pools.`, 'agentPoolProfiles');
  }

  #tier(sku: any, old?: Tier): Tier {
    const t = String(sku?.tier ?? old ?? 'Free');
    const found = (Object.keys(TIERS) as Tier[]).find((x) => x.toLowerCase() === t.toLowerCase());
    if (!found) throw new ArmError(400, ERROR_CODES.invalidParameter, `The value of parameter sku.tier is invalid: '${t}'. Supported values are Free, Standard and Premium.`, 'sku.tier');
    return found;
  }

  #freeSlot(): number {
    const used = new Set(Object.values(this.store.state.clusters).map((c) => c.slot));
    for (let i = 0; i < 24; i++) if (!used.has(i)) return i;
    return 24;
  }

  async #putCluster(req: ArmRequest, rg: string, name: string): Promise<ArmResponse> {
    const group = this.store.group(rg);
    if (!group) throw groupNotFound(rg);
    if (!/^[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]$|^[a-zA-Z0-9]$/.test(name)) throw new ArmError(400, ERROR_CODES.invalidParameter, `The value of parameter name is invalid: '${name}'. It must be 1-63 letters, digits, '-' or '_', starting and ending with a letter or digit.`, 'name');
    const body = (req.body ?? {}) as Record<string, any>;
    const props = (body.properties ?? {}) as Record<string, any>;
    const old = this.store.cluster(rg, name);
    this.#throttle({ resourceGroup: rg, name });
    if (old) return this.#updateCluster(req, old, body);
    const location = String(body.location ?? '').toLowerCase().replace(/\s+/g, '');
    if (!location) throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
    const version = props.kubernetesVersion ? resolveVersion(String(props.kubernetesVersion)) : defaultVersion();
    if (!version) throw new ArmError(400, ERROR_CODES.versionNotSupported, `Version ${props.kubernetesVersion} is not supported in this region. Please use [az aks get-versions] command to get the supported version list in this region.`, 'properties.kubernetesVersion');
    const slot = this.#freeSlot();
    const network = resolveNetworkProfile(props.networkProfile, slot, this.opts.isRoot ? { isRoot: this.opts.isRoot } : {});
    this.#checkOtherClusters(network, name);
    const tier = this.#tier(body.sku);
    const inputs = (props.agentPoolProfiles ?? []) as Record<string, any>[];
    if (!inputs.length) throw new ArmError(400, ERROR_CODES.invalidParameter, 'The value of parameter agentPoolProfiles is invalid. At least one agent pool profile is required.', 'properties.agentPoolProfiles');
    const shell = { properties: { networkProfile: network }, pools: [] as PoolRecord[] };
    const clusterId = this.#clusterId({ resourceGroup: rg, name });
    const names = new Set<string>();
    const pools: PoolRecord[] = inputs.map((input) => {
      const pn = String(input.name ?? '');
      if (names.has(pn)) throw new ArmError(400, ERROR_CODES.invalidParameter, `Agent pool name '${pn}' is used more than once.`, 'agentPoolProfiles.name');
      names.add(pn);
      return { name: pn, properties: this.#completePool(pn, input, shell, undefined, version), vmssId: vmssId(clusterId, pn), nextInstance: 0, nodes: [] };
    });
    if (!pools.some((p) => p.properties.mode === 'System')) pools[0]!.properties.mode = 'System';
    for (const p of pools) p.properties.mode ??= 'User';
    const warning = this.#checkSystemPools(pools);
    this.#checkNodeLimit({ sku: { tier } }, pools);
    const profile = props.autoScalerProfile;
    try {
      parseAutoscalerProfile(profile);
    } catch (e) {
      if (e instanceof AutoscalerProfileError) throw new ArmError(400, ERROR_CODES.invalidParameter, e.message, 'properties.autoScalerProfile');
      throw e;
    }
    const { nodeCidr: _nodeCidr, ...networkProfile } = network;
    const dnsPrefix = String(props.dnsPrefix ?? `${name}-${rg}-${this.subscriptionId.slice(0, 6)}`.slice(0, 54));
    const fqdn = `${dnsPrefix.toLowerCase()}-${randomBytes(4).toString('hex')}.hcp.${location}.azmk8s.io`;
    const nodeRG = String(props.nodeResourceGroup ?? `MC_${rg}_${name}_${location}`);
    const rec: ClusterRecord = {
      name,
      resourceGroup: group.name,
      location,
      tags: body.tags ?? {},
      sku: { name: 'Base', tier },
      properties: {
        ...props,
        provisioningState: 'Creating',
        powerState: { code: 'Running' },
        kubernetesVersion: version,
        currentKubernetesVersion: version,
        dnsPrefix,
        fqdn,
        azurePortalFQDN: fqdn.replace('.hcp.', '.portal.hcp.'),
        nodeResourceGroup: nodeRG,
        enableRBAC: props.enableRBAC ?? true,
        supportPlan: props.supportPlan ?? (tier === 'Premium' ? 'AKSLongTermSupport' : 'KubernetesOfficial'),
        networkProfile,
        maxAgentPools: LIMITS.poolsPerCluster,
        autoUpgradeProfile: { upgradeChannel: props.autoUpgradeProfile?.upgradeChannel ?? 'none', nodeOSUpgradeChannel: props.autoUpgradeProfile?.nodeOSUpgradeChannel ?? 'NodeImage' },
        ...(profile ? { autoScalerProfile: profile } : {}),
        apiServerAccessProfile: props.apiServerAccessProfile ?? {},
      },
      pools,
      maintenance: {},
      slot,
      createdAt: this.#now(),
    };
    delete rec.properties.agentPoolProfiles;
    this.store.state.clusters[clusterKey(rg, name)] = rec;
    this.store.state.groups[nodeRG.toLowerCase()] = { name: nodeRG, location, tags: {}, managedBy: clusterId, resources: this.#infraRecords(rec), provisioningState: 'Succeeded' };
    const op = this.#clusterOp(req, rec, 'create managed cluster', 'Creating', async () => {
      await this.#bringUp(rec);
    }, pools);
    this.store.save();
    return { status: 201, body: this.#clusterJSON(rec), headers: { ...this.#lroHeaders(req, op), ...(warning ? { warning: `299 - "${warning}"` } : {}) } };
  }

  #checkOtherClusters(network: { podCidr?: string; serviceCidr: string }, name: string): void {
    // A VNet cluster's ranges live in its own network namespace: they may overlap anything else.
    if (isVNetProfile(network)) return;
    for (const other of Object.values(this.store.state.clusters)) {
      const np = other.properties.networkProfile ?? {};
      if (isVNetProfile(np)) continue;
      for (const mine of [network.podCidr, network.serviceCidr]) {
        for (const theirs of [np.podCidr, np.serviceCidr, nodeCidrOf(np, other.slot)]) {
          const a = mine ? parseCidr(mine) : undefined;
          const b = theirs ? parseCidr(theirs) : undefined;
          if (a && b && overlaps(a, b)) throw new ArmError(400, ERROR_CODES.invalidParameter, `The value of parameter networkProfile is invalid. The range ${mine} of cluster '${name}' overlaps ${theirs}, used by managed cluster '${other.name}' on this host.`, 'networkProfile');
        }
      }
    }
  }

  #infraRecords(rec: ClusterRecord): { name: string; type: string }[] {
    const id = rec.pools[0]?.vmssId ?? '00000000';
    return [
      ...rec.pools.map((p) => ({ name: `aks-${p.name}-${p.vmssId}-vmss`, type: 'Microsoft.Compute/virtualMachineScaleSets' })),
      { name: 'kubernetes', type: 'Microsoft.Network/loadBalancers' },
      { name: `aks-vnet-${id}`, type: 'Microsoft.Network/virtualNetworks' },
      { name: `aks-agentpool-${id}-nsg`, type: 'Microsoft.Network/networkSecurityGroups' },
      ...(rec.properties.networkProfile?.networkPlugin === 'kubenet' ? [{ name: `aks-agentpool-${id}-routetable`, type: 'Microsoft.Network/routeTables' }] : []),
      { name: `${rec.name}-agentpool`, type: 'Microsoft.ManagedIdentity/userAssignedIdentities' },
    ];
  }

  #refreshInfra(rec: ClusterRecord): void {
    const g = this.store.group(this.#nodeResourceGroup(rec));
    if (g) g.resources = this.#infraRecords(rec);
  }

  async #updateCluster(req: ArmRequest, rec: ClusterRecord, body: Record<string, any>): Promise<ArmResponse> {
    const props = (body.properties ?? {}) as Record<string, any>;
    if (body.location && String(body.location).toLowerCase().replace(/\s+/g, '') !== rec.location) throw new ArmError(400, ERROR_CODES.operationNotAllowed, `Changing property 'location' is not allowed.`, 'location');
    checkNetworkUnchanged(rec.properties.networkProfile, props.networkProfile);
    if (props.dnsPrefix && props.dnsPrefix !== rec.properties.dnsPrefix) throw new ArmError(400, ERROR_CODES.operationNotAllowed, `Changing property 'dnsPrefix' is not allowed.`, 'properties.dnsPrefix');
    const current = rec.properties.kubernetesVersion as string;
    let target = current;
    if (props.kubernetesVersion && props.kubernetesVersion !== current) {
      const v = resolveVersion(String(props.kubernetesVersion));
      if (!v) throw new ArmError(400, ERROR_CODES.versionNotSupported, `Version ${props.kubernetesVersion} is not supported in this region. Please use [az aks get-versions] command to get the supported version list in this region.`, 'properties.kubernetesVersion');
      // "1.32" on a 1.32.x cluster does not upgrade (AKS's rule for major.minor).
      if (!(String(props.kubernetesVersion).split('.').length === 2 && minorOf(current) === String(props.kubernetesVersion))) {
        if (compareVersions(v, current) < 0) throw new ArmError(400, ERROR_CODES.operationNotAllowed, `Downgrading Kubernetes version ${current} to ${v} is not allowed.`, 'properties.kubernetesVersion');
        if (minorNumber(v) - minorNumber(current) > 1) throw new ArmError(400, ERROR_CODES.operationNotAllowed, `Upgrading Kubernetes version ${current} to ${v} is not allowed. Available upgrades: [${upgradesFrom(current).reverse().join(' ')}]. For more information, see AKS supported Kubernetes versions for version details.`, 'properties.kubernetesVersion');
        target = v;
      }
    }
    const tier = this.#tier(body.sku, rec.sku.tier);
    const inputs = props.agentPoolProfiles as Record<string, any>[] | undefined;
    const nextPools = new Map<string, Record<string, any>>();
    if (inputs) {
      for (const input of inputs) {
        const pn = String(input.name ?? '');
        const old = rec.pools.find((p) => p.name === pn);
        const pin = { ...input };
        // A pool left at the old version in the body follows the control plane only when asked.
        nextPools.set(pn, this.#completePool(pn, pin, rec, old, target));
      }
      const removed = rec.pools.filter((p) => !nextPools.has(p.name));
      if (removed.length) throw new ArmError(400, ERROR_CODES.operationNotAllowed, `Deleting agent pools through a managed cluster PUT is not allowed (${removed.map((p) => p.name).join(', ')}); delete them through agentPools.`, 'properties.agentPoolProfiles');
    }
    for (const [pn, p] of nextPools) if (!rec.pools.find((x) => x.name === pn)) p.mode ??= 'User';
    const merged = [...rec.pools.map((p) => ({ name: p.name, properties: nextPools.get(p.name) ?? p.properties })), ...[...nextPools].filter(([pn]) => !rec.pools.find((x) => x.name === pn)).map(([name, properties]) => ({ name, properties }))];
    const warning = this.#checkSystemPools(merged);
    this.#checkNodeLimit({ sku: { tier } }, merged);
    if (props.autoScalerProfile) {
      try {
        parseAutoscalerProfile(props.autoScalerProfile);
      } catch (e) {
        if (e instanceof AutoscalerProfileError) throw new ArmError(400, ERROR_CODES.invalidParameter, e.message, 'properties.autoScalerProfile');
        throw e;
      }
    }
    if (rec.properties.powerState?.code === 'Stopped') throw new ArmError(400, ERROR_CODES.operationNotAllowed, `Managed cluster '${rec.name}' is stopped; start it before updating it.`);
    const upgrading = target !== current || merged.some((p) => rec.pools.find((x) => x.name === p.name)?.properties.orchestratorVersion !== p.properties.orchestratorVersion && rec.pools.some((x) => x.name === p.name));
    const scaling = merged.some((p) => rec.pools.find((x) => x.name === p.name)?.properties.count !== p.properties.count);
    const state = upgrading ? 'Upgrading' : scaling ? 'Scaling' : 'Updating';
    const op = this.#clusterOp(req, rec, upgrading ? 'upgrade managed cluster' : 'update managed cluster', state, async () => {
      rec.tags = body.tags ?? rec.tags;
      rec.sku = { name: 'Base', tier };
      for (const k of ['autoScalerProfile', 'autoUpgradeProfile', 'apiServerAccessProfile', 'addonProfiles', 'disableLocalAccounts', 'aadProfile']) {
        if (props[k] !== undefined) rec.properties[k] = props[k];
      }
      rec.properties.supportPlan = props.supportPlan ?? rec.properties.supportPlan;
      if (props.apiServerAccessProfile?.authorizedIPRanges) {
        this.runtime(rec.resourceGroup, rec.name)?.cluster?.setAuthorizedIPRanges(props.apiServerAccessProfile.authorizedIPRanges);
      }
      if (target !== current) await this.#upgradeControlPlane(rec, target);
      for (const [pn, p] of nextPools) {
        const existing = rec.pools.find((x) => x.name === pn);
        if (existing) existing.properties = p;
        else rec.pools.push({ name: pn, properties: p, vmssId: vmssId(this.#clusterId(rec), pn), nextInstance: 0, nodes: [] });
      }
      this.#refreshInfra(rec);
      await this.#converge(rec);
      await this.#restartAutoscaler(rec);
    });
    this.store.save();
    return { status: 200, body: this.#clusterJSON(rec), headers: { ...this.#lroHeaders(req, op), ...(warning ? { warning: `299 - "${warning}"` } : {}) } };
  }

  async #upgradeControlPlane(rec: ClusterRecord, target: string): Promise<void> {
    rec.properties.kubernetesVersion = target;
    this.runtime(rec.resourceGroup, rec.name)?.setVersion(target);
    rec.properties.currentKubernetesVersion = target;
    this.store.save();
  }

  #patchCluster(_req: ArmRequest, rec: ClusterRecord): ArmResponse {
    if (_req.body?.tags) rec.tags = _req.body.tags;
    this.store.save();
    return { status: 200, body: this.#clusterJSON(rec) };
  }

  #deleteCluster(req: ArmRequest, rec: ClusterRecord): ArmResponse {
    const key = clusterKey(rec.resourceGroup, rec.name);
    this.#busy.delete(key);
    rec.properties.provisioningState = 'Deleting';
    const op = this.#begin('delete managed cluster', this.#clusterId(rec), rec.location, () => this.#removeCluster(rec));
    return { status: 202, headers: this.#lroHeaders(req, op) };
  }

  async #removeCluster(rec: ClusterRecord): Promise<void> {
    const key = clusterKey(rec.resourceGroup, rec.name);
    await this.#tearDown(key);
    // A VNet left behind by a crashed service goes with its cluster.
    if (isVNetProfile(rec.properties.networkProfile ?? {})) await deleteNetns(netnsName(this.#clusterId(rec)));
    rmSync(this.#clusterDir(rec), { recursive: true, force: true });
    delete this.store.state.clusters[key];
    delete this.store.state.groups[this.#nodeResourceGroup(rec).toLowerCase()];
    this.store.save();
  }

  #clusterDir(rec: ClusterRecord): string {
    return join(this.dir, 'clusters', this.subscriptionId, rec.resourceGroup.toLowerCase(), rec.name.toLowerCase());
  }

  // ---- provisioning ----

  /** Starts the cluster's control plane and its nodes (create, start, service restart). */
  async #bringUp(rec: ClusterRecord): Promise<void> {
    const key = clusterKey(rec.resourceGroup, rec.name);
    if (this.#running.has(key)) return;
    const np = rec.properties.networkProfile;
    const vnet = isVNetProfile(np) ? vnetRanges(np) : undefined;
    const nodeCidr = vnet?.nodeCidr ?? loopbackRanges(rec.slot).nodeCidr;
    const tier = TIERS[rec.sku.tier];
    const runtime = new ClusterRuntime({
      ...(vnet
        ? { vnet: { netns: netnsName(this.#clusterId(rec)), localCidrs: [nodeCidr, np.serviceCidr, ...(np.podCidr ? [np.podCidr] : [])], apiAddress: vnet.apiAddress } }
        : {}),
      dataDir: this.#clusterDir(rec),
      version: rec.properties.kubernetesVersion,
      ...(rec.properties.apiPort ? { port: rec.properties.apiPort as number } : {}),
      serviceCIDR: np.serviceCidr,
      network: { nodeAddressCIDR: nodeCidr, ...(np.podCidr ? { podCIDR: np.podCidr } : {}), dnsServiceIP: np.dnsServiceIP },
      inflight: { read: tier.maxRequestsInflight, mutating: tier.maxMutatingRequestsInflight },
      ...(rec.properties.apiServerAccessProfile?.authorizedIPRanges?.length ? { authorizedIPRanges: rec.properties.apiServerAccessProfile.authorizedIPRanges } : {}),
      ...(this.opts.clock ? { clock: this.opts.clock } : {}),
    });
    const running: Running = { runtime };
    this.#running.set(key, running);
    try {
      await runtime.start();
    } catch (e) {
      this.#running.delete(key);
      throw e;
    }
    rec.properties.apiPort = runtime.port;
    // Nodes that existed before a stop or restart come back with their names.
    await Promise.all(rec.pools.map((p) => Promise.all(p.nodes.map((n) => runtime.addNode(this.#nodeSpec(rec, p, n.name, n.version, n.nodeImageVersion))))));
    await this.#converge(rec);
    await this.#startAddons(rec, running);
    await this.#restartAutoscaler(rec);
  }

  async #tearDown(key: string): Promise<void> {
    const r = this.#running.get(key);
    if (!r) return;
    this.#running.delete(key);
    r.autoscaler?.stop();
    await r.addons?.stop();
    await r.runtime.stop();
  }

  #nodeSpec(rec: ClusterRecord, p: PoolRecord, name: string, version: string, image?: string) {
    return poolNodeSpec(p, name, { location: rec.location, nodeResourceGroup: rec.properties.nodeResourceGroup, version, nodeImageVersion: image ?? p.properties.nodeImageVersion });
  }

  /** Brings every pool to its count and version: surge-replace old nodes, then add or drain and remove. */
  async #converge(rec: ClusterRecord): Promise<void> {
    const runtime = this.runtime(rec.resourceGroup, rec.name);
    if (!runtime) return;
    for (const p of rec.pools) await this.#convergePool(rec, p, runtime);
    this.store.save();
  }

  async #convergePool(rec: ClusterRecord, p: PoolRecord, runtime: ClusterRuntime): Promise<void> {
    const want = p.properties.orchestratorVersion as string;
    const image = p.properties.nodeImageVersion as string;
    const drain = { timeoutMs: this.opts.drainTimeoutMs ?? 30 * 60_000 };
    const stale = p.nodes.filter((n) => n.version !== want || n.nodeImageVersion !== image);
    if (stale.length) {
      p.properties.provisioningState = 'Upgrading';
      const surge = this.#surge(p, p.nodes.length);
      for (let i = 0; i < stale.length; i += surge) {
        const batch = stale.slice(i, i + surge);
        const fresh = await this.#addNodes(rec, p, runtime, batch.length);
        await runtime.waitReady(fresh);
        for (const old of batch) {
          await runtime.removeNode(old.name, drain);
          p.nodes = p.nodes.filter((n) => n !== old);
          this.store.save();
        }
      }
    }
    const count = Number(p.properties.count);
    if (p.nodes.length < count) {
      const fresh = await this.#addNodes(rec, p, runtime, count - p.nodes.length);
      await runtime.waitReady(fresh);
    }
    while (p.nodes.length > count) {
      // AKS removes the newest instances first.
      const victim = p.nodes[p.nodes.length - 1]!;
      await runtime.removeNode(victim.name, drain);
      p.nodes.pop();
      this.store.save();
    }
  }

  /** maxSurge: a number or a percentage of the pool (rounded up); AKS's default is 1 node (anchors). */
  #surge(p: PoolRecord, size: number): number {
    const s = String(p.properties.upgradeSettings?.maxSurge ?? '1');
    const n = s.endsWith('%') ? Math.ceil((size * Number(s.slice(0, -1))) / 100) : Number(s);
    return Math.max(1, Number.isFinite(n) ? n : 1);
  }

  async #addNodes(rec: ClusterRecord, p: PoolRecord, runtime: ClusterRuntime, n: number): Promise<string[]> {
    const names: string[] = [];
    const version = p.properties.orchestratorVersion as string;
    const image = p.properties.nodeImageVersion as string;
    const specs = [];
    for (let i = 0; i < n; i++) {
      const name = nodeName(p.name, p.vmssId, p.nextInstance++);
      names.push(name);
      p.nodes.push({ name, version, nodeImageVersion: image });
      specs.push(this.#nodeSpec(rec, p, name, version, image));
    }
    this.store.save();
    // Registration in batches keeps a 1,000-node sim pool cheap on the API server.
    for (let i = 0; i < specs.length; i += 100) await Promise.all(specs.slice(i, i + 100).map((s) => runtime.addNode(s)));
    return names;
  }

  async #startAddons(rec: ClusterRecord, running: Running): Promise<void> {
    if (!running.runtime.cluster) return;
    const m = new AddonManager(running.runtime.cluster.client, { kubernetesVersion: rec.properties.kubernetesVersion, dnsServiceIP: rec.properties.networkProfile.dnsServiceIP, ...(this.opts.clock ? { clock: this.opts.clock } : {}) });
    await m.start();
    running.addons = m;
  }

  /** One ClusterAutoscaler per cluster over the pools with enableAutoScaling. */
  async #restartAutoscaler(rec: ClusterRecord): Promise<void> {
    const running = this.#running.get(clusterKey(rec.resourceGroup, rec.name));
    if (!running?.runtime.cluster) return;
    running.autoscaler?.stop();
    running.autoscaler = undefined;
    const pools = rec.pools.filter((p) => p.properties.enableAutoScaling);
    if (!pools.length) return;
    const groups = pools.map((p) => this.#nodeGroup(rec, p));
    const a = new ClusterAutoscaler(running.runtime.cluster.client, running.runtime.cluster.informers, { groups, profile: parseAutoscalerProfile(rec.properties.autoScalerProfile), ...(this.opts.clock ? { clock: this.opts.clock } : {}) });
    a.start();
    running.autoscaler = a;
  }

  /** The autoscaler's view of a pool: its VMSS bounds, a template node, resize through the provisioner. */
  #nodeGroup(rec: ClusterRecord, p: PoolRecord): NodeGroup {
    const svc = this;
    return {
      name: p.name,
      minSize: () => Number(p.properties.minCount ?? 0),
      maxSize: () => Number(p.properties.maxCount ?? 0),
      targetSize: () => Number(p.properties.count),
      nodeTemplate() {
        const s = svc.#nodeSpec(rec, p, nodeName(p.name, p.vmssId, p.nextInstance), p.properties.orchestratorVersion);
        return { capacity: { cpu: s.cpu, memory: s.memory, pods: String(s.pods) }, labels: s.labels, taints: s.taints };
      },
      nodeNames: () => p.nodes.map((n) => n.name),
      async increaseSize(delta: number) {
        p.properties.count = Math.min(Number(p.properties.maxCount), Number(p.properties.count) + delta);
        const runtime = svc.runtime(rec.resourceGroup, rec.name);
        if (runtime) await svc.#convergePool(rec, p, runtime);
        svc.store.save();
      },
      async deleteNodes(names: string[]) {
        const runtime = svc.runtime(rec.resourceGroup, rec.name);
        for (const n of names) {
          if (!p.nodes.some((x) => x.name === n)) continue;
          await runtime?.removeNode(n, { timeoutMs: svc.opts.drainTimeoutMs ?? 30 * 60_000 });
          p.nodes = p.nodes.filter((x) => x.name !== n);
          p.properties.count = Math.max(Number(p.properties.minCount ?? 0), Number(p.properties.count) - 1);
        }
        svc.store.save();
      },
    };
  }

  // ---- agent pools ----

  async #putPool(req: ArmRequest, rec: ClusterRecord, name: string): Promise<ArmResponse> {
    const old = rec.pools.find((p) => p.name === name);
    if (rec.properties.powerState?.code === 'Stopped') throw new ArmError(400, ERROR_CODES.operationNotAllowed, `Managed cluster '${rec.name}' is stopped; start it before changing its node pools.`);
    const props = this.#completePool(name, (req.body?.properties ?? {}) as Record<string, any>, rec, old, rec.properties.kubernetesVersion);
    props.mode ??= old?.properties.mode ?? 'User';
    const merged = [...rec.pools.filter((p) => p.name !== name).map((p) => ({ name: p.name, properties: p.properties })), { name, properties: props }];
    const warning = this.#checkSystemPools(merged);
    this.#checkNodeLimit(rec, merged);
    const state = !old ? 'Creating' : props.orchestratorVersion !== old.properties.orchestratorVersion ? 'Upgrading' : props.count !== old.properties.count ? 'Scaling' : 'Updating';
    const pool: PoolRecord = old ?? { name, properties: props, vmssId: vmssId(this.#clusterId(rec), name), nextInstance: 0, nodes: [] };
    const before = old ? { ...old.properties } : undefined;
    const op = this.#clusterOp(req, rec, `${state.toLowerCase()} agent pool`, rec.properties.provisioningState === 'Succeeded' ? 'Updating' : rec.properties.provisioningState, async () => {
      pool.properties = { ...props, provisioningState: state };
      if (!old) rec.pools.push(pool);
      this.#refreshInfra(rec);
      await this.#converge(rec);
      if (before?.enableAutoScaling !== props.enableAutoScaling || props.enableAutoScaling) await this.#restartAutoscaler(rec);
    });
    const view: PoolRecord = { ...pool, properties: { ...props, provisioningState: state } };
    this.store.save();
    return { status: old ? 200 : 201, body: this.#poolJSON(rec, view), headers: { ...this.#lroHeaders(req, op), ...(warning ? { warning: `299 - "${warning}"` } : {}) } };
  }

  #deletePool(req: ArmRequest, rec: ClusterRecord, p: PoolRecord): ArmResponse {
    if (p.properties.mode === 'System' && !rec.pools.some((x) => x !== p && x.properties.mode === 'System')) {
      throw new ArmError(400, ERROR_CODES.operationNotAllowed, `Cannot delete agent pool '${p.name}': it is the last System node pool of the cluster, and a cluster must have at least one System node pool. Add another System pool first.`, 'agentPoolName');
    }
    const ignorePDB = req.query.get('ignore-pod-disruption-budget') === 'true';
    p.properties.provisioningState = 'Deleting';
    const op = this.#clusterOp(req, rec, 'delete agent pool', 'Updating', async () => {
      const runtime = this.runtime(rec.resourceGroup, rec.name);
      for (const n of [...p.nodes].reverse()) {
        await runtime?.removeNode(n.name, ignorePDB ? undefined : { timeoutMs: this.opts.drainTimeoutMs ?? 30 * 60_000 });
        p.nodes = p.nodes.filter((x) => x !== n);
      }
      rec.pools = rec.pools.filter((x) => x !== p);
      this.#refreshInfra(rec);
      await this.#restartAutoscaler(rec);
    });
    return { status: 202, headers: this.#lroHeaders(req, op) };
  }

  #nodeImageUpgrade(req: ArmRequest, rec: ClusterRecord, p: PoolRecord): ArmResponse {
    const op = this.#clusterOp(req, rec, 'upgrade node image', 'Upgrading', async () => {
      p.properties.nodeImageVersion = latestNodeImage();
      await this.#converge(rec);
    }, [p]);
    return { status: 202, body: this.#poolJSON(rec, p), headers: this.#lroHeaders(req, op) };
  }

  // ---- cluster actions ----

  async #credentials(rec: ClusterRecord, kind: 'admin' | 'user'): Promise<ArmResponse> {
    const runtime = this.runtime(rec.resourceGroup, rec.name);
    if (!runtime?.cluster) throw new ArmError(400, ERROR_CODES.operationNotAllowed, `Managed cluster '${rec.name}' is not running (power state ${rec.properties.powerState?.code ?? 'unknown'}, provisioning state ${rec.properties.provisioningState}); its credentials are available once it runs.`);
    if (kind === 'admin' && rec.properties.disableLocalAccounts) throw new ArmError(400, 'BadRequest', 'Getting static credential is not allowed because this cluster is set to disable local accounts.');
    const yaml = await runtime.kubeconfig(kind, { cluster: rec.name, resourceGroup: rec.resourceGroup });
    return { status: 200, body: { kubeconfigs: [{ name: kind === 'admin' ? 'clusterAdmin' : 'clusterUser', value: Buffer.from(yaml).toString('base64') }] } };
  }

  #stopCluster(req: ArmRequest, rec: ClusterRecord): ArmResponse {
    const op = this.#clusterOp(req, rec, 'stop managed cluster', 'Stopping', async () => {
      await this.#tearDown(clusterKey(rec.resourceGroup, rec.name));
      rec.properties.powerState = { code: 'Stopped' };
    }, rec.pools);
    return { status: 202, headers: this.#lroHeaders(req, op) };
  }

  #startCluster(req: ArmRequest, rec: ClusterRecord): ArmResponse {
    const op = this.#clusterOp(req, rec, 'start managed cluster', 'Starting', async () => {
      rec.properties.powerState = { code: 'Running' };
      await this.#bringUp(rec);
    }, rec.pools);
    return { status: 202, headers: this.#lroHeaders(req, op) };
  }

  #rotateCerts(req: ArmRequest, rec: ClusterRecord): ArmResponse {
    const op = this.#clusterOp(req, rec, 'rotate cluster certificates', 'RotatingClusterCertificates', async () => {
      const c = this.runtime(rec.resourceGroup, rec.name)?.cluster;
      if (!c) throw new ArmError(400, ERROR_CODES.operationNotAllowed, `Managed cluster '${rec.name}' is not running.`);
      await c.rotateCertificates({ ca: true });
    });
    return { status: 202, headers: this.#lroHeaders(req, op) };
  }

  #runCommand(req: ArmRequest, rec: ClusterRecord): ArmResponse {
    const command = req.body?.command;
    if (typeof command !== 'string' || !command.trim()) throw new ArmError(400, ERROR_CODES.invalidParameter, 'The value of parameter command is invalid: a command is required.', 'command');
    const runtime = this.runtime(rec.resourceGroup, rec.name);
    if (!runtime?.cluster) throw new ArmError(400, ERROR_CODES.operationNotAllowed, `Managed cluster '${rec.name}' is not running.`);
    const startedAt = this.#now();
    const op = this.#begin('run command', this.#clusterId(rec), rec.location, async (o) => {
      const r = await runtime.runCommand(command, { cluster: rec.name, resourceGroup: rec.resourceGroup });
      o.result = { id: o.id, properties: { provisioningState: 'Succeeded', exitCode: r.exitCode, startedAt, finishedAt: this.#now(), logs: r.logs } };
    });
    op.result = undefined;
    const location = `${req.base}${this.#clusterId(rec)}/commandResults/${op.id}?api-version=${req.apiVersion}`;
    return { status: 202, headers: this.#lroHeaders(req, op, location) };
  }

  #commandResult(rec: ClusterRecord, id: string): ArmResponse {
    const op = this.store.state.operations[id];
    if (!op || op.name !== 'run command' || op.resourceId !== this.#clusterId(rec)) throw notFound(`${MC_TYPE}/commandResults`, `${rec.name}/${id}`, rec.resourceGroup);
    if (op.status === 'InProgress') return { status: 202, body: { id, properties: { provisioningState: 'Running' } }, headers: { 'retry-after': '1' } };
    if (op.status === 'Failed') return { status: 200, body: { id, properties: { provisioningState: 'Failed', reason: op.error?.message } } };
    return { status: 200, body: op.result };
  }

  // ---- read-only views ----

  #upgradeProfileJSON(rec: ClusterRecord): Record<string, unknown> {
    const cp = rec.properties.kubernetesVersion as string;
    return {
      id: `${this.#clusterId(rec)}/upgradeprofiles/default`,
      name: 'default',
      type: 'Microsoft.ContainerService/managedClusters/upgradeprofiles',
      properties: {
        controlPlaneProfile: { kubernetesVersion: cp, osType: 'Linux', upgrades: upgradesFrom(cp).map((kubernetesVersion) => ({ kubernetesVersion, isPreview: false })) },
        agentPoolProfiles: rec.pools.map((p) => ({ name: p.name, kubernetesVersion: p.properties.orchestratorVersion, osType: 'Linux', upgrades: upgradesFrom(p.properties.orchestratorVersion).filter((v) => compareVersions(v, cp) <= 0).map((kubernetesVersion) => ({ kubernetesVersion })) })),
      },
    };
  }

  #poolUpgradeProfileJSON(rec: ClusterRecord, p: PoolRecord): Record<string, unknown> {
    const cp = rec.properties.kubernetesVersion as string;
    return {
      id: `${this.#clusterId(rec)}/agentPools/${p.name}/upgradeProfiles/default`,
      name: 'default',
      type: 'Microsoft.ContainerService/managedClusters/agentPools/upgradeProfiles',
      properties: { kubernetesVersion: p.properties.orchestratorVersion, osType: 'Linux', upgrades: upgradesFrom(p.properties.orchestratorVersion).filter((v) => compareVersions(v, cp) <= 0).map((kubernetesVersion) => ({ kubernetesVersion })), latestNodeImageVersion: latestNodeImage() },
    };
  }

  #versionsJSON(): Record<string, unknown> {
    const def = minorOf(defaultVersion());
    return {
      values: SUPPORTED_VERSIONS.map((m) => ({
        version: m.minor,
        ...(m.minor === def ? { isDefault: true } : {}),
        isPreview: false,
        capabilities: { supportPlan: ['KubernetesOfficial', 'AKSLongTermSupport'] },
        patchVersions: Object.fromEntries(m.patches.map((p) => [p, { upgrades: upgradesFrom(p) }])),
      })),
    };
  }

  #maintenanceJSON(rec: ClusterRecord, name: string, props: Record<string, any>): Record<string, unknown> {
    return { id: `${this.#clusterId(rec)}/maintenanceConfigurations/${name}`, name, type: 'Microsoft.ContainerService/managedClusters/maintenanceConfigurations', properties: props };
  }

  // ---- auto-upgrade ----

  #scheduleAutoUpgrade(): void {
    if (this.#stopped) return;
    this.#autoTimer = this.#clock.after(this.opts.autoUpgradeIntervalMs ?? 60_000, () => {
      try {
        this.autoUpgradeTick();
      } finally {
        this.#scheduleAutoUpgrade();
      }
    });
  }

  /**
   * Applies each running cluster's auto-upgrade channel inside its maintenance window:
   * patch → latest patch of its minor; stable → latest patch of N-1; rapid → latest GA patch
   * (one minor at a time); node-image → the latest node image. Returns the clusters it started upgrading.
   */
  autoUpgradeTick(): string[] {
    const started: string[] = [];
    const now = new Date(this.#clock.now());
    for (const rec of Object.values(this.store.state.clusters)) {
      const channel = String(rec.properties.autoUpgradeProfile?.upgradeChannel ?? 'none').toLowerCase();
      if (channel === 'none' || rec.properties.powerState?.code === 'Stopped' || rec.properties.provisioningState !== 'Succeeded') continue;
      if (this.#busy.has(clusterKey(rec.resourceGroup, rec.name))) continue;
      if (!inMaintenanceWindow(rec.maintenance, now)) continue;
      const current = rec.properties.kubernetesVersion as string;
      let target: string | undefined;
      if (channel === 'patch') target = upgradesFrom(current).filter((v) => minorOf(v) === minorOf(current)).pop();
      else if (channel === 'stable' || channel === 'rapid') {
        const goal = channel === 'rapid' ? SUPPORTED_VERSIONS[0]! : SUPPORTED_VERSIONS[1]!;
        const cand = upgradesFrom(current).filter((v) => minorNumber(v) <= minorNumber(goal.patches[0]!));
        target = cand.filter((v) => minorOf(v) === minorOf(cand[cand.length - 1] ?? current)).pop();
      }
      const fakeReq: ArmRequest = { method: 'PUT', segments: [], query: new URLSearchParams(), apiVersion: '2026-04-01', body: undefined, base: this.url };
      if (channel === 'node-image') {
        const image = latestNodeImage();
        if (rec.pools.every((p) => p.properties.nodeImageVersion === image)) continue;
        this.#clusterOp(fakeReq, rec, 'auto-upgrade node image', 'Upgrading', async () => {
          for (const p of rec.pools) p.properties.nodeImageVersion = image;
          await this.#converge(rec);
        });
        started.push(rec.name);
        continue;
      }
      if (!target || target === current) continue;
      const to = target;
      this.#clusterOp(fakeReq, rec, 'auto-upgrade managed cluster', 'Upgrading', async () => {
        await this.#upgradeControlPlane(rec, to);
        for (const p of rec.pools) p.properties.orchestratorVersion = to;
        await this.#converge(rec);
      });
      started.push(rec.name);
    }
    return started;
  }
}

/** The newest node image this service knows (a node image upgrade moves pools to it). */
export function latestNodeImage(): string {
  return 'AKSUbuntu-2204gen2containerd-202507.21.0';
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/**
 * Whether `now` lies in the cluster's planned maintenance: `aksManagedAutoUpgradeSchedule`
 * (maintenanceWindow: weekly dayOfWeek or daily/absoluteMonthly, startTime HH:mm, durationHours,
 * utcOffset) or the `default` configuration's timeInWeek hour slots. No configuration: any time.
 */
export function inMaintenanceWindow(configs: Record<string, Record<string, any>>, now: Date): boolean {
  const find = (n: string) => Object.entries(configs).find(([k]) => k.toLowerCase() === n.toLowerCase())?.[1];
  const managed = find('aksManagedAutoUpgradeSchedule');
  if (managed?.maintenanceWindow) {
    const w = managed.maintenanceWindow;
    const offset = parseOffset(w.utcOffset ?? '+00:00');
    const local = new Date(now.getTime() + offset);
    const [h, m] = String(w.startTime ?? '00:00').split(':').map(Number);
    const start = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate(), h ?? 0, m ?? 0);
    const dur = Number(w.durationHours ?? 4) * 3_600_000;
    for (const dayStart of [start, start - 86_400_000]) {
      const t = local.getTime();
      if (t < dayStart || t >= dayStart + dur) continue;
      const day = DAYS[new Date(dayStart).getUTCDay()];
      const weekly = w.schedule?.weekly;
      if (weekly && weekly.dayOfWeek !== day) continue;
      const monthly = w.schedule?.absoluteMonthly;
      if (monthly && new Date(dayStart).getUTCDate() !== Number(monthly.dayOfMonth)) continue;
      return true;
    }
    return false;
  }
  const def = find('default');
  if (def?.timeInWeek?.length) {
    const day = DAYS[now.getUTCDay()];
    return def.timeInWeek.some((t: { day: string; hourSlots?: number[] }) => t.day === day && (!t.hourSlots?.length || t.hourSlots.includes(now.getUTCHours())));
  }
  return true;
}

function parseOffset(s: string): number {
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(s);
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000;
}

