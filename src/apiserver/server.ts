// The API server: an HTTP(S) front end whose request path is a chain, as kube-apiserver's
// handler chain — inflight limits → authentication → authorization → the REST handlers, whose
// writes go through admission and the registry to storage. Also discovery, OpenAPI, health and
// metrics. Authentication and authorization are pluggable; the default authenticates everyone as
// an admin and allows everything (the security issue replaces them).
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { chmodSync, rmSync } from 'node:fs';
import type { Backend } from '../storage/backend.ts';
import { builtinResources, type ResourceInfo } from '../api/resources.ts';
import { StatusError, badRequest, internalError, invalidError, methodNotAllowed, notFound, tooManyRequests, type FieldError } from '../machinery/errors.ts';
import { requestInfo, type RequestInfo } from './requestinfo.ts';
import { decodeBody, encode, MAX_BODY_BYTES, negotiate, type Body, type Negotiated } from './codec.ts';
import { Store, encodedJSON } from './registry/store.ts';
import { strategyFor } from './registry/strategies.ts';
import { Admission, namespaceLifecycle } from './admission.ts';
import { priority } from './admission/priority.ts';
import { webhookPlugins } from './admission/webhook.ts';
import { validatingAdmissionPolicy, validateAdmissionRegistration } from './admission/policy.ts';
import { Aggregator } from './aggregator/aggregator.ts';
import { handleResource, partialObject, withTypeMeta, type HandlerRequest, type Reply } from './handlers.ts';
import { DiscoveryDocuments } from './discovery/discovery.ts';
import { openapiV2JSON, openapiV2Protobuf, openapiV3GroupVersionJSON, openapiV3Root, wantsOpenAPIv2Protobuf, OPENAPI_V2_PROTOBUF_CONTENT_TYPE } from './openapi/openapi.ts';
import { toTable } from './printers/index.ts';
import { ServiceAllocator } from './alloc.ts';
import { bootstrap } from './bootstrap.ts';
import { Metrics } from './metrics.ts';
import { handleLogs, handleUpgrade, writeUpgradeError, type StreamBackend } from './streaming/streaming.ts';
import type { Duplex } from 'node:stream';
import { allowAll, isReview, review, type Authz } from './reviews.ts';
import { forbiddenError } from './authz/chain.ts';
import type { Obj, RequestContext, ResponseSink, UserInfo } from './types.ts';
import { Compactor } from './compactor.ts';
import type { Strategy } from './registry/strategy.ts';
import { CustomResources } from '../apiextensions/controller.ts';
import type { EncryptionConfig } from './encryption/config.ts';
import type { Auditor } from './audit/audit.ts';
import { realClock, type Clock } from '../machinery/clock.ts';

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
}

export interface TLSOptions {
  cert: string | Buffer;
  key: string | Buffer;
  ca?: string | Buffer;
  requestCert?: boolean;
  rejectUnauthorized?: boolean;
}

/** Issues a token for a ServiceAccount: returns the TokenRequest with its status filled. */
export type TokenRequestHandler = (namespace: string, serviceAccount: string, body: Obj, ctx: RequestContext) => Promise<Obj>;

export type Authenticator = (req: IncomingMessage) => Promise<UserInfo | undefined> | UserInfo | undefined;

export interface ApiServerOptions {
  storage: Backend;
  host?: string;
  port?: number;
  /** HTTPS (node:tls server options: cert, key, and ca + requestCert for client certificates). */
  tls?: TLSOptions;
  /**
   * Decides, from the peer address alone, whether a connection is served at all (authorized IP
   * ranges): refused connections are dropped before the TLS handshake.
   */
  connectionFilter?: (remoteAddress: string | undefined) => boolean;
  /** Answers `create serviceaccounts/token` (the TokenRequest API); without it the subresource is 404. */
  tokenRequest?: TokenRequestHandler;
  /** The Kubernetes version to report (kubectl picks its minor from it). */
  version?: string;
  serviceCIDR?: string;
  nodePortRange?: string;
  maxRequestsInflight?: number;
  maxMutatingRequestsInflight?: number;
  authenticate?: Authenticator;
  /** Authorization, and the answers of the review resources (default: everything is allowed). */
  authz?: Authz;
  admission?: Admission;
  /** Storage compaction interval in ms (default 5 minutes, as kube-apiserver; 0 turns it off). */
  compactionIntervalMs?: number;
  clock?: Clock;
  /** The address the `kubernetes` Service's endpoints point at (default: the listen host). */
  advertiseAddress?: string;
  /**
   * Also serve on this unix socket (same TLS and authentication; no connection filter, the socket
   * has no peer address): the bridge a cluster's network namespace uses to reach its API server.
   */
  unixSocket?: string;
  /** Encryption at rest (--encryption-provider-config; see encryption/config.ts). */
  encryption?: EncryptionConfig;
  /** Audit logging (--audit-policy-file, --audit-log-path; see audit/audit.ts). */
  audit?: Auditor;
}

import { DEFAULT_VERSION } from './version.ts';

export { DEFAULT_VERSION };

/**
 * A group-version served by code outside the registry (metrics.k8s.io today; aggregated APIs
 * later): its resources appear in discovery and its GETs are answered by `get`.
 */
export interface GroupHandler {
  resources: ResourceInfo[];
  get(resource: string, namespace: string, name: string, query: URLSearchParams): Promise<Obj> | Obj;
}

export function versionInfo(v: string): VersionInfo & Record<string, string> {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v);
  if (!m) throw new Error(`invalid Kubernetes version "${v}"`);
  return {
    major: m[1]!,
    minor: m[2]!,
    gitVersion: `v${m[1]}.${m[2]}.${m[3]}`,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.23.0',
    compiler: 'gc',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

const LONG_RUNNING = new Set(['watch']);
const LONG_RUNNING_SUBRESOURCES = new Set(['log', 'exec', 'attach', 'portforward', 'proxy']);

const admin: UserInfo = { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] };

export class ApiServer {
  /** HandlerRequest.storeFor, made once (not a closure per request). */
  readonly #storeFor = (g: string, r: string): Store | undefined => this.store(g, r);
  readonly stores = new Map<string, Store>();
  readonly storage: Backend;
  readonly admission: Admission;
  readonly allocator: ServiceAllocator;
  readonly metrics = new Metrics();
  readonly version: ReturnType<typeof versionInfo>;
  readonly authz: Authz;
  /** Aggregated APIs: APIServices backed by a Service are proxied to it. */
  readonly aggregator: Aggregator;
  #opts: ApiServerOptions;
  #server: Server | undefined;
  #unixServer: Server | undefined;
  #sockets = new Set<Socket>();
  #discovery: DiscoveryDocuments;
  #served: ResourceInfo[];
  #groups = new Map<string, GroupHandler>();
  /** What /openapi documents: undefined (the built-ins) until resources are served at run time. */
  #openapiSet: ResourceInfo[] | undefined;
  /** CustomResourceDefinitions: serves their resources as they come and go. */
  readonly customResources: CustomResources;
  /** Where exec, attach, port-forward and logs go: the node agents (set by whoever runs them). */
  streamBackend: StreamBackend | undefined;
  #inflight = { read: 0, mutating: 0 };
  /** store(group, resource) answers: the preferred version's store. */
  #preferred = new Map<string, Store>();
  #now: () => number;
  #compactor: Compactor;
  url = '';

  constructor(opts: ApiServerOptions) {
    this.#opts = opts;
    this.storage = opts.storage;
    const clock = opts.clock ?? realClock;
    this.#now = () => clock.now();
    this.version = versionInfo(opts.version ?? DEFAULT_VERSION);
    this.admission = opts.admission ?? new Admission();
    this.authz = opts.authz ?? allowAll;
    this.#compactor = new Compactor(opts.storage, clock, opts.compactionIntervalMs);
    this.admission.plugins.unshift(namespaceLifecycle(() => this.store('', 'namespaces')!), priority(() => this.store('scheduling.k8s.io', 'priorityclasses')!));
    this.allocator = new ServiceAllocator(opts.serviceCIDR ?? '127.96.0.0/16', opts.nodePortRange);
    const served = builtinResources.filter((r) => r.served !== false);
    for (const r of served) this.#addStore(r);
    this.#served = served;
    this.#discovery = new DiscoveryDocuments(served, `${opts.host ?? '127.0.0.1'}:${opts.port ?? 6443}`);
    this.#wireServices();
    // Dynamic admission last, as upstream orders it: mutating webhooks end the mutating phase,
    // ValidatingAdmissionPolicy then validating webhooks end the validating phase.
    const admissionDeps = { store: (g: string, r: string) => this.store(g, r), served: () => this.#discovery.resources };
    const hooks = webhookPlugins(admissionDeps);
    this.admission.plugins.push(hooks.mutating, validatingAdmissionPolicy(admissionDeps), hooks.validating);
    for (const r of ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations', 'validatingadmissionpolicies', 'validatingadmissionpolicybindings']) {
      const st = this.store('admissionregistration.k8s.io', r)?.strategy;
      if (!st) continue;
      const { validate, validateUpdate } = st;
      st.validate = (obj, ctx) => [...validate(obj, ctx), ...validateAdmissionRegistration(obj)];
      st.validateUpdate = (obj, old, ctx) => [...validateUpdate(obj, old, ctx), ...validateAdmissionRegistration(obj, old)];
    }
    this.aggregator = new Aggregator({ store: (g, r) => this.store(g, r), systemContext: () => this.systemContext(), onResourcesChanged: () => this.#resourcesChanged() });
    this.customResources = new CustomResources(this);
  }

  #addStore(r: ResourceInfo) {
    const store = new Store(r, strategyFor(r), this.storage, this.admission, this.#opts.encryption?.forResource(r.group, r.resource));
    this.stores.set(`${r.group}/${r.version}/${r.resource}`, store);
    this.#preferred.clear();
  }

  /** Serves a group-version from code (see GroupHandler); it shows up in discovery at once. */
  addGroup(handler: GroupHandler): void {
    const r = handler.resources[0]!;
    this.#groups.set(`${r.group}/${r.version}`, handler);
    this.#discovery.setResources([...this.#served, ...[...this.#groups.values()].flatMap((g) => g.resources), ...(this.aggregator?.resources() ?? [])]);
  }

  /**
   * Serves a resource at run time (custom resources): a store, discovery and OpenAPI at once.
   * Replaces a resource served under the same group/version/resource.
   */
  serveResource(info: ResourceInfo, strategy: Strategy): Store {
    const key = `${info.group}/${info.version}/${info.resource}`;
    this.stores.get(key)?.cache.stop();
    const store = new Store(info, strategy, this.storage, this.admission, this.#opts.encryption?.forResource(info.group, info.resource));
    this.stores.set(key, store);
    this.#preferred.clear();
    this.#served = [...this.#served.filter((r) => `${r.group}/${r.version}/${r.resource}` !== key), info];
    this.#resourcesChanged();
    return store;
  }

  /** Stops serving a resource served by serveResource (its watches end). */
  unserveResource(group: string, version: string, resource: string): void {
    const key = `${group}/${version}/${resource}`;
    this.stores.get(key)?.cache.stop();
    this.stores.delete(key);
    this.#preferred.clear();
    this.#served = this.#served.filter((r) => `${r.group}/${r.version}/${r.resource}` !== key);
    this.#resourcesChanged();
  }

  #resourcesChanged(): void {
    this.#discovery.setResources([...this.#served, ...[...this.#groups.values()].flatMap((g) => g.resources), ...(this.aggregator?.resources() ?? [])]);
    this.#openapiSet = this.#served;
  }

  /** The store of a resource, in its preferred (or given) version. */
  store(group: string, resource: string, version?: string): Store | undefined {
    if (version) return this.stores.get(`${group}/${version}/${resource}`);
    // Admission plugins look stores up on every write: remember the answers (cleared when stores change).
    const id = `${group}/${resource}`;
    const known = this.#preferred.get(id);
    if (known) return known;
    for (const s of this.stores.values()) {
      if (s.info.group === group && s.info.resource === resource) {
        this.#preferred.set(id, s);
        return s;
      }
    }
    return undefined;
  }

  #wireServices() {
    const services = this.store('', 'services')!;
    const alloc = this.allocator;
    services.hooks = {
      beforeCreate: (svc, ctx) => {
        const errs = alloc.allocate(svc, ctx.dryRun);
        if (errs.length) throw invalidService(svc, errs);
      },
      beforeUpdate: (svc, old, ctx) => {
        const errs = alloc.allocate(svc, ctx.dryRun, old);
        if (errs.length) throw invalidService(svc, errs);
      },
      afterDelete: (svc) => alloc.forget(svc),
    };
  }

  async start(): Promise<string> {
    // Warm the watch caches and rebuild allocations from what is stored.
    await Promise.all([...this.stores.values()].map((s) => s.cache.ready));
    // The CRDs in storage are served again before the first request.
    await this.customResources.start();
    for (const svc of this.store('', 'services')!.cache.list('/').items) this.allocator.remember(svc);
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.#handle(req, res);
    const tls = this.#opts.tls;
    const makeServer = (filter: ApiServerOptions['connectionFilter']): Server => {
      const server = tls ? createHttpsServer({ ...tls, minVersion: 'TLSv1.2' }, handler) : createHttpServer(handler);
      server.keepAliveTimeout = 65_000;
      server.headersTimeout = 70_000;
      server.on('connection', (s: Socket) => {
        if (filter && !filter(s.remoteAddress)) {
          s.destroy();
          return;
        }
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
      });
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.#upgrade(req, socket, head));
      // Requests node's HTTP parser refuses (oversized headers, garbage) still get a Status.
      server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
        if (!socket.writable) return;
        const big = err.code === 'HPE_HEADER_OVERFLOW';
        const status = big
          ? new StatusError(431, '', 'Request Header Fields Too Large').status
          : badRequest(`malformed HTTP request: ${err.code ?? 'parse error'}`).status;
        const body = JSON.stringify(status);
        socket.end(`HTTP/1.1 ${big ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      });
      return server;
    };
    const server = makeServer(this.#opts.connectionFilter);
    this.#server = server;
    const host = this.#opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#opts.port ?? 6443, host, () => resolve());
    });
    const socketPath = this.#opts.unixSocket;
    if (socketPath) {
      rmSync(socketPath, { force: true });
      const unix = makeServer(undefined);
      this.#unixServer = unix;
      await new Promise<void>((resolve, reject) => {
        unix.once('error', reject);
        unix.listen(socketPath, () => resolve());
      });
      chmodSync(socketPath, 0o600);
    }
    const port = (server.address() as AddressInfo).port;
    this.url = `${tls ? 'https' : 'http'}://${host}:${port}`;
    await bootstrap(this, { host: this.#opts.advertiseAddress ?? host, port });
    this.#compactor.start();
    await this.aggregator.start();
    return this.url;
  }

  /** Swaps the serving certificate (and the client CAs) without a restart: new connections get them. */
  setTLS(tls: TLSOptions): void {
    this.#opts.tls = tls;
    for (const s of [this.#server, this.#unixServer]) {
      const server = s as ReturnType<typeof createHttpsServer> | undefined;
      server?.setSecureContext?.({ ...tls, minVersion: 'TLSv1.2' });
    }
  }

  async stop(): Promise<void> {
    this.#compactor.stop();
    this.aggregator.stop();
    this.customResources.stop();
    for (const s of this.stores.values()) s.cache.stop();
    const servers = [this.#server, this.#unixServer].filter((x): x is Server => x !== undefined);
    const closed = servers.map((srv) => new Promise<void>((r) => srv.close(() => r())));
    for (const s of this.#sockets) s.destroy();
    await Promise.all(closed);
    if (this.#unixServer && this.#opts.unixSocket) rmSync(this.#opts.unixSocket, { force: true });
    this.#unixServer = undefined;
  }

  /** A context for writes the server makes itself (bootstrap, controllers in-process). */
  systemContext(): RequestContext {
    return { user: admin, now: this.#now(), dryRun: false };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    await this.#serve(
      { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: () => readBody(req), authenticate: () => (this.#opts.authenticate ?? (() => admin))(req), remoteAddress: req.socket?.remoteAddress },
      res,
    );
  }

  /**
   * Serves a request that did not come over a socket (the in-process transport of co-located
   * components): the same chain — limits, authorization, admission, registry — for `user`.
   */
  async dispatch(req: { method: string; url: string; headers?: Record<string, string>; body?: Body; user: UserInfo }, res: ResponseSink): Promise<void> {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
    await this.#serve({ method: req.method, url: req.url, headers, body: bodyOf(req.body), authenticate: userOf(req.user) }, res);
  }

  async #serve(
    req: { method: string; url: string; headers: IncomingHttpHeaders; body: () => Promise<Body>; authenticate: () => Promise<UserInfo | undefined> | UserInfo | undefined; remoteAddress?: string | undefined },
    res: ResponseSink,
  ): Promise<void> {
    const started = performance.now();
    const url = parseRequestURL(req.url);
    const method = req.method;
    const info = requestInfo(method, url.pathname, url.searchParams);
    const longRunning = LONG_RUNNING.has(info.verb) || LONG_RUNNING_SUBRESOURCES.has(info.subresource);
    const mutating = !['get', 'list', 'watch', 'head', 'options'].includes(info.verb);
    let code = 500;
    let counted = false;
    let panic: unknown;
    const audit = this.#opts.audit?.begin(req, info, res, longRunning);
    try {
      const user = await req.authenticate();
      audit?.authenticated(user);
      if (audit) res = audit.wrap(res);
      if (!user) throw new StatusError(401, 'Unauthorized', 'Unauthorized');
      // The max-inflight filter: long-running requests and system:masters are not counted, as upstream.
      if (!longRunning && !user.groups.includes('system:masters')) {
        const kind = mutating ? 'mutating' : 'read';
        const limit = mutating ? (this.#opts.maxMutatingRequestsInflight ?? 200) : (this.#opts.maxRequestsInflight ?? 400);
        if (limit > 0 && this.#inflight[kind] >= limit) {
          res.setHeader('Retry-After', '1');
          throw tooManyRequests('Too many requests, please try again later.', 1);
        }
        this.#inflight[kind]++;
        counted = true;
      }
      const decision = await this.authz.authorize(user, info);
      audit?.authorized(decision.allowed, decision.reason);
      if (!decision.allowed) throw forbiddenError(user, info, decision.reason);
      const body = await req.body();
      audit?.requestBody(body, req.headers['content-type']);
      code = await this.#route(method, req.headers, res, info, url, body, user);
    } catch (e) {
      if (audit && !(e instanceof StatusError)) panic = e;
      code = this.#sendError(res, e);
    } finally {
      audit?.finish(code, panic);
      if (counted) this.#inflight[mutating ? 'mutating' : 'read']--;
      this.metrics.observe(info, method, code, (performance.now() - started) / 1000, longRunning);
    }
  }

  /** exec, attach and port-forward: authenticated and authorized like any request, then handed to the streaming handlers. */
  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => {});
    const url = new URL(req.url ?? '/', 'http://x');
    const info = requestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
    const kind = info.subresource as 'exec' | 'attach' | 'portforward';
    const audit = this.#opts.audit?.begin({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, remoteAddress: req.socket?.remoteAddress }, { ...info, verb: 'create' });
    try {
      if (!info.isResourceRequest || info.resource !== 'pods' || info.apiGroup !== '' || !['exec', 'attach', 'portforward'].includes(kind)) throw pathNotFound();
      const user = await (this.#opts.authenticate ?? (() => admin))(req);
      audit?.authenticated(user);
      if (!user) throw new StatusError(401, 'Unauthorized', 'Unauthorized');
      // Connecting to a pod is authorized as `create` on the subresource (upstream's websocket upgrade rule).
      const decision = await this.authz.authorize(user, { ...info, verb: 'create' });
      audit?.authorized(decision.allowed, decision.reason);
      if (!decision.allowed) throw forbiddenError(user, { ...info, verb: 'create' }, decision.reason);
      const pod = await this.store('', 'pods')!.get(info.namespace, info.name);
      if (!this.streamBackend) throw new StatusError(503, 'ServiceUnavailable', `no node agent can serve pods/${kind} on this cluster`);
      await handleUpgrade(req, socket, head, { kind, namespace: info.namespace, pod: info.name, query: url.searchParams, podObject: pod }, this.streamBackend);
      audit?.finish(101);
    } catch (e) {
      const err = e instanceof StatusError ? e : internalError((e as Error).message);
      audit?.finish(err.code);
      writeUpgradeError(socket, err);
    }
  }

  /** GET pods/log: the node agent's log stream, sent as it comes. */
  async #logs(res: ResponseSink, info: RequestInfo, url: RequestURL): Promise<number> {
    const pod = await this.store('', 'pods')!.get(info.namespace, info.name);
    if (!this.streamBackend) throw new StatusError(503, 'ServiceUnavailable', 'no node agent can serve pods/log on this cluster');
    const { stream } = await handleLogs({ namespace: info.namespace, pod: info.name, query: url.searchParams, podObject: pod }, this.streamBackend);
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    await new Promise<void>((resolve) => {
      const done = () => {
        stream.destroy();
        resolve();
      };
      res.on('close', done);
      stream.on('data', (c: Buffer) => res.write(c));
      stream.on('end', () => {
        res.end();
        resolve();
      });
      stream.on('error', () => {
        res.end();
        resolve();
      });
    });
    return 200;
  }

  #sendError(res: ResponseSink, e: unknown): number {
    let err: StatusError;
    if (e instanceof StatusError) err = e;
    else {
      err = internalError((e as Error)?.message ?? String(e));
      process.stderr.write(`apiserver: internal error: ${(e as Error)?.stack ?? e}\n`);
    }
    if (res.headersSent) {
      res.end();
      return err.code;
    }
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' };
    if (err.status.details?.retryAfterSeconds !== undefined) headers['Retry-After'] = String(err.status.details.retryAfterSeconds);
    res.writeHead(err.code, headers);
    res.end(JSON.stringify(err.status));
    return err.code;
  }

  #send(res: ResponseSink, code: number, body: unknown, contentType = 'application/json', extra: Record<string, string> = {}): number {
    const payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': contentType, 'Cache-Control': 'no-cache, private', ...extra });
    res.end(payload);
    return code;
  }

  async #route(method: string, headers: IncomingHttpHeaders, res: ResponseSink, info: RequestInfo, url: RequestURL, raw: Body, user: UserInfo): Promise<number> {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (!info.isResourceRequest) {
      if (method !== 'GET' && method !== 'HEAD') throw notFound({ group: '', resource: '' }, '');
      return this.#nonResource(headers.accept, res, path);
    }
    if (this.aggregator.handles(info.apiGroup, info.apiVersion)) {
      return this.aggregator.proxy({ method, path: url.pathname + url.search, headers, body: typeof raw === 'string' ? Buffer.from(raw) : raw }, res, user, info.apiGroup, info.apiVersion);
    }
    // Bodies are text but for protobuf: decoded once here, however many times handlers read them.
    const body = typeof raw === 'string' || /protobuf/.test(headers['content-type'] ?? '') ? raw : raw.toString('utf8');
    const group = this.#groups.get(`${info.apiGroup}/${info.apiVersion}`);
    if (group) {
      if (info.verb !== 'get' && info.verb !== 'list') throw new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
      if (!group.resources.some((r) => r.resource === info.resource) || info.subresource) throw pathNotFound();
      return this.#send(res, 200, await group.get(info.resource, info.namespace, info.name, url.searchParams));
    }
    const store = this.stores.get(`${info.apiGroup}/${info.apiVersion}/${info.resource}`);
    if (!store) throw pathNotFound();
    if (info.resource === 'pods' && info.apiGroup === '' && info.subresource === 'log' && info.verb === 'get') return this.#logs(res, info, url);
    if (info.resource === 'serviceaccounts' && info.apiGroup === '' && info.subresource === 'token') {
      if (!this.#opts.tokenRequest) throw pathNotFound();
      if (info.verb !== 'create') throw methodNotAllowed('the server does not allow this method on the requested resource');
      const tr = reviewBody(decodeBody(body, headers['content-type']), 'TokenRequest', 'authentication.k8s.io/v1');
      const dryRun = url.searchParams.getAll('dryRun').includes('All');
      return this.#send(res, 201, await this.#opts.tokenRequest(info.namespace, info.name, tr, { user, now: this.#now(), dryRun }));
    }
    if (isReview(info.apiGroup, info.resource)) {
      // Reviews have only a collection path; their bodies are typed like any other object.
      if (info.name || info.subresource) throw methodNotAllowed('the server does not allow this method on the requested resource');
      const answer = await review(this.authz, user, info.apiGroup, info.resource, info.namespace, info.verb, reviewBody(decodeBody(body, headers['content-type']), store.info.kind, store.apiVersion));
      return this.#send(res, 201, answer);
    }
    const negotiated = this.#negotiate(headers.accept, info);
    const hreq: HandlerRequest = {
      method,
      info,
      query: url.searchParams,
      headers,
      body,
      ctx: { user, now: this.#now(), dryRun: false, ...(url.searchParams.get('fieldManager') ? { fieldManager: url.searchParams.get('fieldManager')! } : {}) },
      negotiated,
      storeFor: this.#storeFor,
      res,
      warnings: [],
    };
    const reply = await handleResource(store, hreq);
    if (!reply) {
      if (res.headersSent || res.writableEnded) return 200;
      throw new StatusError(503, 'ServiceUnavailable', `${info.resource}/${info.subresource} is not available: no node agent serves it yet`);
    }
    const out: Record<string, string> = {};
    if (hreq.warnings.length) out['Warning'] = hreq.warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ');
    return this.#reply(res, store, reply, negotiated, url.searchParams, out);
  }

  #negotiate(accept: string | undefined, info: RequestInfo): Negotiated {
    const tableable = (info.verb === 'get' || info.verb === 'list' || info.verb === 'watch') && (info.subresource === '' || info.subresource === 'status');
    return negotiate(accept, tableable);
  }

  #reply(res: ResponseSink, store: Store, reply: Reply, n: Negotiated, q: URLSearchParams, headers: Record<string, string>): number {
    let body = reply.body;
    if (n.shape === 'table' && reply.code === 200) {
      const includeObject = (q.get('includeObject') as 'None' | 'Metadata' | 'Object' | null) ?? undefined;
      const opts = { now: this.#now(), ...(includeObject ? { includeObject } : {}), customColumns: store.strategy.printerColumns };
      if (reply.list) {
        const l = reply.list;
        body = toTable(store.gr, l.items, {
          ...opts,
          listMeta: { resourceVersion: l.resourceVersion, ...(l.continue ? { continue: l.continue } : {}), ...(l.remainingItemCount !== undefined ? { remainingItemCount: l.remainingItemCount } : {}) },
        });
      } else if ((body as Obj)?.kind !== 'Status') {
        body = toTable(store.gr, [body as Obj], { ...opts, listMeta: { resourceVersion: (body as Obj).metadata?.resourceVersion } });
      }
    } else if (n.shape === 'partial' && reply.code === 200) {
      if (reply.list) body = { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: (body as Obj).metadata, items: reply.list.items.map((o) => partialObject(o, store)) };
      else if ((body as Obj)?.kind !== 'Status') body = partialObject(body as Obj, store);
    } else if (body && typeof body === 'object' && (body as Obj).kind !== 'Status' && !reply.list && (body as Obj).kind !== 'Scale' && (body as Obj).kind !== store.info.listKind) {
      body = withTypeMeta(body as Obj, store);
    }
    // Objects the store just wrote come with their JSON (the stored bytes plus resourceVersion).
    const known = n.format === 'json' && body !== null && typeof body === 'object' ? encodedJSON(body) : undefined;
    const { body: text, contentType } = known !== undefined ? { body: known, contentType: 'application/json' } : encode(body, n.format);
    return this.#send(res, reply.code, text, contentType, headers);
  }

  async #nonResource(accept: string | undefined, res: ResponseSink, path: string): Promise<number> {
    switch (path) {
      case '/version':
        return this.#send(res, 200, this.version);
      case '/healthz':
      case '/livez':
      case '/readyz':
        return this.#send(res, 200, 'ok', 'text/plain; charset=utf-8');
      case '/metrics':
        return this.#send(res, 200, await this.metrics.render(), 'text/plain; version=0.0.4; charset=utf-8');
      case '/api':
      case '/apis': {
        const doc = this.#discovery.root(path === '/api' ? 'core' : 'apis', accept);
        return this.#send(res, 200, doc.body, doc.contentType, doc.etag ? { ETag: doc.etag } : {});
      }
      case '/openapi/v2': {
        if (wantsOpenAPIv2Protobuf(accept)) return this.#send(res, 200, openapiV2Protobuf(this.#openapiSet), OPENAPI_V2_PROTOBUF_CONTENT_TYPE);
        return this.#send(res, 200, openapiV2JSON(this.#openapiSet));
      }
      case '/openapi/v3':
        return this.#send(res, 200, openapiV3Root(this.#openapiSet));
    }
    if (path.startsWith('/healthz/') || path.startsWith('/livez/') || path.startsWith('/readyz/')) return this.#send(res, 200, 'ok', 'text/plain; charset=utf-8');
    if (path.startsWith('/openapi/v3/')) {
      const doc = openapiV3GroupVersionJSON(path.slice('/openapi/v3/'.length), this.#openapiSet);
      if (!doc) throw pathNotFound();
      return this.#send(res, 200, doc.json, 'application/json', { ETag: `"${doc.hash}"` });
    }
    const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(path);
    if (m) {
      const doc = m[2] ? this.#discovery.resourceList(m[1]!, m[2]) : this.#discovery.group(m[1]!);
      if (!doc) throw pathNotFound();
      return this.#send(res, 200, doc.body, doc.contentType);
    }
    const core = /^\/api\/([^/]+)$/.exec(path);
    if (core) {
      const doc = this.#discovery.resourceList('', core[1]!);
      if (!doc) throw pathNotFound();
      return this.#send(res, 200, doc.body, doc.contentType);
    }
    throw pathNotFound();
  }
}

/** A review body must be an object of the review's kind and version (as the decoder requires). */
function reviewBody(obj: unknown, kind: string, apiVersion: string): Obj {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw badRequest(`the body of the request must be a ${kind} object`);
  const o = obj as Obj;
  if (o.kind !== undefined && o.kind !== '' && o.kind !== kind) throw badRequest(`the kind in the body (${o.kind}) does not match the expected kind (${kind})`);
  if (o.apiVersion !== undefined && o.apiVersion !== '' && o.apiVersion !== apiVersion) {
    throw badRequest(`the API version in the data (${o.apiVersion}) does not match the expected API version (${apiVersion})`);
  }
  if (o.metadata !== undefined && (o.metadata === null || typeof o.metadata !== 'object' || Array.isArray(o.metadata))) throw badRequest('metadata must be an object');
  return { ...o, apiVersion, kind };
}

/** The parts of a request URL the server reads. */
type RequestURL = Pick<URL, 'pathname' | 'search' | 'searchParams'>;

/** Paths a URL parser would leave exactly as they are: no dot segments, escapes of dots, backslashes or odd characters. */
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;
const PLAIN_QUERY = /^[A-Za-z0-9\-._~!$&()*+,;=:@/?%]*$/;

/** Parses a request target; plain ones (nearly every API request) without a full URL parse. */
function parseRequestURL(target: string): RequestURL {
  const q = target.indexOf('?');
  const pathname = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? '' : target.slice(q + 1);
  if (!PLAIN_PATH.test(pathname) || pathname.includes('/.') || /%2e/i.test(pathname) || (query && !PLAIN_QUERY.test(query))) return new URL(target, 'http://x');
  let params: URLSearchParams | undefined;
  return {
    pathname,
    search: query ? '?' + query : '',
    get searchParams() {
      return (params ??= new URLSearchParams(query));
    },
  };
}

function pathNotFound(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
}

function invalidService(svc: Obj, errs: FieldError[]): StatusError {
  return invalidError('Service', '', svc.metadata?.name ?? '', errs);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const len = Number(req.headers['content-length'] ?? 0);
  if (len > MAX_BODY_BYTES) {
    req.resume();
    throw new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${MAX_BODY_BYTES}`);
  }
  // Plain listeners, written inline (no named closures to build): cheaper than an async iterator.
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        done = true;
        req.resume();
        reject(new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${MAX_BODY_BYTES}`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    req.on('error', (e: Error) => {
      if (done) return;
      done = true;
      reject(e);
    });
    req.on('close', () => {
      // Closed before the body was complete: the client went away.
      if (done) return;
      done = true;
      reject(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    });
  });
}

// (Closures made by a function call, not assigned to a name: tsx's keepNames would otherwise
// define a name on each one, per request.)
function bodyOf(b: Body | undefined): () => Promise<Body> {
  return async () => b ?? '';
}

function userOf(u: UserInfo): () => UserInfo {
  return () => u;
}
