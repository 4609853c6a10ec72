// The Ingress controller (what ingress-nginx does for a cluster): serves the Ingresses of the
// `skiff` IngressClass on an HTTP and an HTTPS listener of a loopback address, routes by host and
// path (routes.ts) to the ready endpoints of the backend Service taken from its EndpointSlices
// (pod IPs, round-robin, not the ClusterIP, as ingress-nginx does), picks the TLS certificate by
// SNI from the Ingresses' kubernetes.io/tls Secrets (a self-signed default otherwise), and writes
// status.loadBalancer.ingress[].ip on the Ingresses it serves.
import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createSecureContext, type SecureContext } from 'node:tls';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { KubeClient } from '../client/client.ts';
import { keyOf, type Informer, type InformerFactory } from '../client/informer.ts';
import type { Obj } from '../client/types.ts';
import { WorkQueue, runWorkers } from '../client/workqueue.ts';
import { realClock, type Clock } from '../machinery/clock.ts';
import { isNotFound } from '../machinery/errors.ts';
import { DEFAULT_CLASS_NAME, ensureIngressClass, isOurIngress } from './class.ts';
import { RouteTable, compareAge, normalizeHost, type BackendRef } from './routes.ts';
import { forward, forwardUpgrade, reply, replyRaw, type Downstream, type Upstream } from './forward.ts';
import { generateDefaultCertificate, type KeyPairPem } from './certs.ts';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const SLICE_INDEX = 'ingress:service';
export const TLS_SECRET_TYPE = 'kubernetes.io/tls';

export interface IngressControllerOptions {
  /** The address both listeners bind (default 127.0.0.1). */
  address?: string;
  /** HTTP port (default 80; 0 picks a free port, see `httpPort` after start). */
  httpPort?: number;
  /** HTTPS port (default 443; 0 picks a free port; null for no HTTPS listener). */
  httpsPort?: number | null;
  /** The IngressClass served (default `skiff`); created as the default class unless present. */
  className?: string;
  /** Whether start() creates the IngressClass when it is missing (default true). */
  ensureClass?: boolean;
  /** The address written to status.loadBalancer.ingress (default: `address`). */
  statusAddress?: string;
  clock?: Clock;
  /** Overrides endpoint lookup (otherwise: ready endpoints of the Service's EndpointSlices). */
  resolveBackend?: (namespace: string, service: string, port: number | string) => Upstream[];
  /** The certificate served for unknown SNI names (default: a fresh self-signed one). */
  defaultCertificate?: KeyPairPem;
  /** Diagnostics (default: stderr). */
  log?: (line: string) => void;
}

interface TlsTable {
  exact: Map<string, SecureContext>;
  /** `*.example.com` certificates by `example.com`. */
  wildcard: Map<string, SecureContext>;
  /** A TLS entry without hosts: served to SNI names no other entry names. */
  fallback: SecureContext | undefined;
}

type Resolved = { upstreams: Upstream[]; key: string } | { error: string; status: number };

export class IngressController {
  #client: KubeClient;
  #o: IngressControllerOptions;
  #clock: Clock;
  #log: (line: string) => void;
  #className: string;
  #address: string;
  #statusAddress: string;
  #ingresses: Informer;
  #classes: Informer;
  #services: Informer;
  #slices: Informer;
  #secrets: Informer;
  #queue: WorkQueue;
  #agent = new Agent({ keepAlive: true, maxFreeSockets: 64, scheduling: 'lifo' });
  #http: Server | undefined;
  #https: HttpsServer | undefined;
  #upgraded = new Set<Duplex>();
  #started = false;
  #stopped = false;

  #routesDirty = true;
  #table = new RouteTable([]);
  #served = new Set<string>();
  #tlsDirty = true;
  #tls: TlsTable = { exact: new Map(), wildcard: new Map(), fallback: undefined };
  /** Parsed Secrets by `namespace/name`, valid while the resourceVersion is unchanged. */
  #contexts = new Map<string, { rv: string; ctx: SecureContext | undefined }>();
  #defaultCtx: SecureContext | undefined;
  /** Round-robin position per Service port. */
  #rr = new Map<string, number>();

  constructor(client: KubeClient, informers: InformerFactory, opts: IngressControllerOptions = {}) {
    this.#client = client;
    this.#o = opts;
    this.#clock = opts.clock ?? realClock;
    this.#log = opts.log ?? ((l) => process.stderr.write(`ingress: ${l}\n`));
    this.#className = opts.className ?? DEFAULT_CLASS_NAME;
    this.#address = opts.address ?? '127.0.0.1';
    this.#statusAddress = opts.statusAddress ?? this.#address;
    this.#queue = new WorkQueue({ clock: this.#clock });
    this.#ingresses = informers.informer('networking.k8s.io', 'ingresses');
    this.#classes = informers.informer('networking.k8s.io', 'ingressclasses');
    this.#services = informers.informer('', 'services');
    this.#slices = informers.informer('discovery.k8s.io', 'endpointslices');
    this.#secrets = informers.informer('', 'secrets');
  }

  /** The bound HTTP port (after start). */
  get httpPort(): number {
    const a = this.#http?.address();
    return a && typeof a === 'object' ? a.port : 0;
  }

  /** The bound HTTPS port (after start), or 0 without an HTTPS listener. */
  get httpsPort(): number {
    const a = this.#https?.address();
    return a && typeof a === 'object' ? a.port : 0;
  }

  get address(): string {
    return this.#address;
  }

  /** `namespace/name` of every Ingress currently served. */
  get served(): string[] {
    this.#routes();
    return [...this.#served].sort();
  }

  /**
   * Creates the IngressClass if needed, starts the informers, waits for their first lists, then
   * opens the listeners. Rejects with a clear message when a port cannot be bound.
   */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    if (this.#o.ensureClass !== false) await ensureIngressClass(this.#client, this.#className);

    this.#slices.addIndex(SLICE_INDEX, (s) => {
      const name = s.metadata?.labels?.[SERVICE_NAME_LABEL];
      return name ? [`${s.metadata.namespace}/${name}`] : [];
    });
    const ing = (o: Obj) => {
      if (this.#stopped) return;
      this.#routesDirty = this.#tlsDirty = true;
      this.#queue.add(keyOf(o));
    };
    this.#ingresses.addEventHandler({ add: ing, update: (_o, n) => ing(n), delete: ing });
    const cls = () => {
      if (this.#stopped) return;
      this.#routesDirty = this.#tlsDirty = true;
      for (const i of this.#ingresses.list()) this.#queue.add(keyOf(i));
    };
    this.#classes.addEventHandler({ add: cls, update: cls, delete: cls });
    const sec = (s: Obj) => {
      if (s.type === TLS_SECRET_TYPE || this.#contexts.has(keyOf(s))) this.#tlsDirty = true;
    };
    this.#secrets.addEventHandler({ add: sec, update: (_o, n) => sec(n), delete: sec });
    for (const i of [this.#ingresses, this.#classes, this.#services, this.#slices, this.#secrets]) i.start();
    await Promise.all([this.#ingresses, this.#classes, this.#services, this.#slices, this.#secrets].map((i) => i.synced()));
    if (this.#stopped) return;

    const cert = this.#o.defaultCertificate ?? (await generateDefaultCertificate());
    this.#defaultCtx = createSecureContext(cert);
    try {
      // No whole-request deadline: uploads and streamed responses may take as long as they need.
      this.#http = createServer({ requestTimeout: 0 }, (req, res) => this.#handle(req, res, { proto: 'http', port: this.httpPort }));
      this.#http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.#upgrade(req, socket, head, { proto: 'http', port: this.httpPort }));
      await listen(this.#http, this.#address, this.#o.httpPort ?? 80, 'HTTP');
      if (this.#o.httpsPort !== null) {
        this.#https = createHttpsServer({ ...cert, requestTimeout: 0, SNICallback: (name, cb) => cb(null, this.#contextFor(name)) }, (req, res) => this.#handle(req, res, { proto: 'https', port: this.httpsPort }));
        this.#https.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.#upgrade(req, socket, head, { proto: 'https', port: this.httpsPort }));
        this.#https.on('tlsClientError', () => {});
        await listen(this.#https, this.#address, this.#o.httpsPort ?? 443, 'HTTPS');
      }
    } catch (e) {
      this.stop();
      throw e;
    }
    void runWorkers(this.#queue, 1, (key) => this.#syncStatus(key), (key, e) => this.#log(`status of Ingress ${key}: ${(e as Error).message}`));
  }

  /** Closes the listeners and every proxied connection; leaves the shared informers running. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#queue.shutDown();
    for (const s of [this.#http, this.#https]) {
      if (!s) continue;
      s.close();
      s.closeAllConnections();
    }
    for (const s of this.#upgraded) s.destroy();
    this.#upgraded.clear();
    this.#agent.destroy();
  }

  // --- routing state ------------------------------------------------------------------------

  #isOurs(ing: Obj): boolean {
    return !ing.metadata?.deletionTimestamp && isOurIngress(ing, this.#classes.list(), this.#className);
  }

  #ours(): Obj[] {
    return this.#ingresses.list().filter((i) => this.#isOurs(i));
  }

  #routes(): RouteTable {
    if (this.#routesDirty) {
      this.#routesDirty = false;
      const ours = this.#ours();
      this.#table = new RouteTable(ours);
      this.#served = new Set(ours.map(keyOf));
    }
    return this.#table;
  }

  #secretContext(namespace: string, name: string): SecureContext | undefined {
    const key = `${namespace}/${name}`;
    const s = this.#secrets.get(namespace, name);
    if (!s) {
      this.#contexts.set(key, { rv: '', ctx: undefined });
      return undefined;
    }
    const rv = s.metadata?.resourceVersion ?? '';
    const cached = this.#contexts.get(key);
    if (cached && cached.rv === rv && rv) return cached.ctx;
    let ctx: SecureContext | undefined;
    const crt = s.data?.['tls.crt'];
    const k = s.data?.['tls.key'];
    if (typeof crt === 'string' && typeof k === 'string') {
      try {
        ctx = createSecureContext({ cert: Buffer.from(crt, 'base64'), key: Buffer.from(k, 'base64') });
      } catch (e) {
        this.#log(`Secret ${key}: tls.crt/tls.key unusable: ${(e as Error).message}`);
      }
    } else {
      this.#log(`Secret ${key} has no tls.crt and tls.key`);
    }
    this.#contexts.set(key, { rv, ctx });
    return ctx;
  }

  #tlsTable(): TlsTable {
    if (!this.#tlsDirty) return this.#tls;
    this.#tlsDirty = false;
    const t: TlsTable = { exact: new Map(), wildcard: new Map(), fallback: undefined };
    const used = new Set<string>();
    for (const ing of this.#ours().sort(compareAge)) {
      const ns = ing.metadata.namespace;
      for (const entry of ing.spec?.tls ?? []) {
        if (!entry.secretName) continue;
        used.add(`${ns}/${entry.secretName}`);
        const ctx = this.#secretContext(ns, entry.secretName);
        if (!ctx) continue;
        const hosts: string[] = entry.hosts ?? [];
        if (!hosts.length) t.fallback ??= ctx;
        for (const h of hosts) {
          const host = h.toLowerCase();
          const m = host.startsWith('*.') ? t.wildcard : t.exact;
          const k = host.startsWith('*.') ? host.slice(2) : host;
          if (!m.has(k)) m.set(k, ctx);
        }
      }
    }
    for (const k of this.#contexts.keys()) if (!used.has(k)) this.#contexts.delete(k);
    this.#tls = t;
    return t;
  }

  #contextFor(servername: string): SecureContext | undefined {
    const t = this.#tlsTable();
    const host = normalizeHost(servername);
    const dot = host.indexOf('.');
    return t.exact.get(host) ?? (dot > 0 ? t.wildcard.get(host.slice(dot + 1)) : undefined) ?? t.fallback ?? this.#defaultCtx;
  }

  /** The upstreams of a Service backend: ready endpoints of its EndpointSlices for the port. */
  #resolve(b: Extract<BackendRef, { kind: 'service' }>): Resolved {
    const key = `${b.namespace}/${b.name}:${b.port}`;
    const what = `service ${b.namespace}/${b.name} port ${b.port}`;
    if (this.#o.resolveBackend) {
      const upstreams = this.#o.resolveBackend(b.namespace, b.name, b.port);
      return upstreams.length ? { upstreams, key } : { status: 503, error: `503 Service Unavailable: ${what} has no ready endpoints` };
    }
    const svc = this.#services.get(b.namespace, b.name);
    if (!svc) return { status: 503, error: `503 Service Unavailable: service ${b.namespace}/${b.name} not found` };
    if (svc.spec?.type === 'ExternalName') return { status: 503, error: `503 Service Unavailable: service ${b.namespace}/${b.name} is an ExternalName Service, which the skiff ingress controller does not proxy to` };
    const sp = (svc.spec?.ports ?? []).find((p: Obj) => (typeof b.port === 'number' ? p.port === b.port : p.name === b.port));
    if (!sp) return { status: 503, error: `503 Service Unavailable: service ${b.namespace}/${b.name} has no port ${b.port}` };
    if ((sp.protocol ?? 'TCP') !== 'TCP') return { status: 503, error: `503 Service Unavailable: ${what} is not TCP` };
    const portName = sp.name ?? '';
    const seen = new Set<string>();
    const upstreams: Upstream[] = [];
    for (const s of this.#slices.byIndex(SLICE_INDEX, `${b.namespace}/${b.name}`)) {
      if (s.addressType && s.addressType !== 'IPv4' && s.addressType !== 'IPv6') continue;
      const p = (s.ports ?? []).find((x: Obj) => (x.name ?? '') === portName && (x.protocol ?? 'TCP') === 'TCP');
      if (!p || typeof p.port !== 'number') continue;
      for (const e of s.endpoints ?? []) {
        const ip = e.addresses?.[0];
        if (!ip || e.conditions?.ready === false) continue;
        const k = `${ip}:${p.port}`;
        if (seen.has(k)) continue;
        seen.add(k);
        upstreams.push({ host: ip, port: p.port });
      }
    }
    if (!upstreams.length) return { status: 503, error: `503 Service Unavailable: ${what} has no ready endpoints` };
    // A stable order, so that round-robin does not depend on the slices' order.
    upstreams.sort((a, c) => (a.host < c.host ? -1 : a.host > c.host ? 1 : a.port - c.port));
    return { upstreams, key };
  }

  #next(key: string, n: number): number {
    const i = this.#rr.get(key) ?? 0;
    this.#rr.set(key, (i + 1) % 1_000_000_007);
    return i % n;
  }

  /** Matches a request and resolves it to upstreams, or to a small error answer. */
  #route(req: IncomingMessage): { path: string; upstreams: Upstream[]; first: number } | { status: number; error: string } {
    let target = req.url ?? '/';
    let host = req.headers.host;
    if (!target.startsWith('/')) {
      // absolute-form (`GET http://host/path`): the URL's host wins over the Host header.
      try {
        const u = new URL(target);
        host = u.host;
        target = u.pathname + u.search;
      } catch {
        return { status: 400, error: `400 Bad Request: cannot parse the request target ${JSON.stringify(target)}` };
      }
    }
    const q = target.indexOf('?');
    const path = q >= 0 ? target.slice(0, q) : target;
    const m = this.#routes().match(host, path);
    if (!m) return { status: 404, error: `404 Not Found: no Ingress rule matches host ${JSON.stringify(normalizeHost(host))} and path ${JSON.stringify(path)}` };
    const b = m.backend;
    if (b.kind === 'resource') {
      return { status: 404, error: `404 Not Found: the Ingress ${b.ingress} routes this request to ${b.resourceKind || 'a resource'} ${b.name}; resource backends are not served by the skiff ingress controller` };
    }
    const r = this.#resolve(b);
    if ('error' in r) return r;
    return { path: target, upstreams: r.upstreams, first: this.#next(r.key, r.upstreams.length) };
  }

  #handle(req: IncomingMessage, res: ServerResponse, down: Downstream): void {
    const r = this.#route(req);
    if ('error' in r) {
      req.resume();
      return reply(res, r.status, r.error);
    }
    forward(req, res, r.path, r.upstreams, r.first, down, this.#agent, this.#log);
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, down: Downstream): void {
    this.#track(socket);
    socket.on('error', () => {});
    const r = this.#route(req);
    if ('error' in r) {
      const reason = r.status === 404 ? 'Not Found' : r.status === 400 ? 'Bad Request' : 'Service Unavailable';
      return replyRaw(socket, r.status, reason, r.error);
    }
    forwardUpgrade(req, socket, head, r.path, r.upstreams[r.first]!, down, (s) => this.#track(s), this.#log);
  }

  #track(s: Duplex): void {
    if (this.#stopped) {
      s.destroy();
      return;
    }
    this.#upgraded.add(s);
    s.on('close', () => this.#upgraded.delete(s));
  }

  // --- status -------------------------------------------------------------------------------

  /** Writes our address into the status of an Ingress we serve (and takes it out of one we stopped serving). */
  async #syncStatus(key: string): Promise<void> {
    const ing = this.#ingresses.getByKey(key);
    if (!ing || ing.metadata?.deletionTimestamp) return;
    const entry = isIP(this.#statusAddress) ? { ip: this.#statusAddress } : { hostname: this.#statusAddress };
    const cur: Obj[] = ing.status?.loadBalancer?.ingress ?? [];
    const isCurrent = cur.length === 1 && cur[0]!.ip === entry.ip && cur[0]!.hostname === entry.hostname && !cur[0]!.ports;
    let want: Obj[] | null;
    if (this.#isOurs(ing)) {
      if (isCurrent) return;
      want = [entry];
    } else {
      if (!isCurrent) return;
      want = null;
    }
    const rc = this.#client.resource('networking.k8s.io', 'ingresses', ing.metadata.namespace);
    try {
      await rc.patch(ing.metadata.name, 'merge', { status: { loadBalancer: { ingress: want } } }, { subresource: 'status', fieldManager: 'skiff-ingress-controller' });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

function listen(server: Server | HttpsServer, address: string, port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      const hint = e.code === 'EACCES' ? ' (ports below 1024 need root; choose another port)' : e.code === 'EADDRINUSE' ? ' (the port is taken; choose another port)' : '';
      const err = new Error(`ingress controller: cannot listen for ${what} on ${address}:${port}: ${e.code ?? e.message}${hint}`, { cause: e });
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, address);
  });
}
