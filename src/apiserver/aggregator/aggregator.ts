// The API aggregation layer (k8s.io/kube-aggregator): APIServices with spec.service have their
// group-version proxied to that Service over HTTPS (the user in X-Remote-User / X-Remote-Group /
// X-Remote-Extra-*), their resources merged into discovery, and an availability controller keeps
// their Available condition (Local, Passed, ServiceNotFound, ServicePortError, MissingEndpoints,
// FailedDiscoveryCheck). An unavailable APIService answers 503 "service unavailable".
import { request as httpsRequest, Agent } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { ResourceInfo, SubresourceInfo } from '../../api/resources.ts';
import type { Store } from '../registry/store.ts';
import { rfc3339, type Obj, type RequestContext, type ResponseSink, type UserInfo } from '../types.ts';
import { resolveService } from '../admission/webhook.ts';

export interface AggregatorDeps {
  store(group: string, resource: string): Store | undefined;
  systemContext(): RequestContext;
  /** Called when the aggregated resources change (the server rebuilds discovery). */
  onResourcesChanged(): void;
  /** How often every APIService is checked again (ms, default 30 s). */
  resyncMs?: number;
  /** Timeout of a discovery check (ms, default 5 s). */
  checkTimeoutMs?: number;
}

interface Check {
  fingerprint: string;
  at: number;
  condition: { status: 'True' | 'False'; reason: string; message: string };
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** The condition for an APIService that needs no network (local, or a broken reference). */
interface Target {
  host: string;
  port: number;
  serverName: string;
  ca?: string;
  insecure: boolean;
}

/** An APIResourceList from a backend as catalog entries (subresources folded into their resource). */
export function resourcesFromDiscovery(group: string, version: string, list: Obj): ResourceInfo[] {
  const entries: Obj[] = Array.isArray(list?.resources) ? list.resources : [];
  const out = new Map<string, ResourceInfo>();
  for (const e of entries) {
    if (typeof e?.name !== 'string' || e.name.includes('/')) continue;
    const kind = String(e.kind ?? '');
    const r: ResourceInfo = {
      group,
      version,
      resource: e.name,
      kind,
      listKind: `${kind}List`,
      singular: e.singularName || kind.toLowerCase(),
      namespaced: e.namespaced === true,
      verbs: Array.isArray(e.verbs) ? e.verbs : [],
    };
    if (Array.isArray(e.shortNames) && e.shortNames.length) r.shortNames = e.shortNames;
    if (Array.isArray(e.categories) && e.categories.length) r.categories = e.categories;
    out.set(e.name, r);
  }
  for (const e of entries) {
    if (typeof e?.name !== 'string' || !e.name.includes('/')) continue;
    const [res, sub] = e.name.split('/', 2) as [string, string];
    const parent = out.get(res);
    if (!parent) continue;
    const s: SubresourceInfo = { name: sub, kind: String(e.kind ?? ''), verbs: Array.isArray(e.verbs) ? e.verbs : [] };
    if (e.group !== undefined && e.group !== group) s.group = e.group;
    if (e.version !== undefined && e.version !== version) s.version = e.version;
    (parent.subresources ??= []).push(s);
  }
  return [...out.values()];
}

export class Aggregator {
  #deps: AggregatorDeps;
  #checks = new Map<string, Check>();
  #resources = new Map<string, ResourceInfo[]>();
  #stops: (() => void)[] = [];
  #timer: NodeJS.Timeout | undefined;
  #pending: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(deps: AggregatorDeps) {
    this.#deps = deps;
  }

  #apiservices(): Store | undefined {
    return this.#deps.store('apiregistration.k8s.io', 'apiservices');
  }

  /** The APIService object for a group-version, when it is backed by a Service. */
  #remote(group: string, version: string): Obj | undefined {
    const store = this.#apiservices();
    const svc = store?.cache.get(store.key('', `${version}.${group}`))?.obj;
    return svc?.spec?.service ? svc : undefined;
  }

  /** Whether requests for this group-version go to an aggregated server. */
  handles(group: string, version: string): boolean {
    return group !== '' && this.#remote(group, version) !== undefined;
  }

  /** Resources discovered from the aggregated servers (kept while a server is briefly unavailable). */
  resources(): ResourceInfo[] {
    return [...this.#resources.values()].flat();
  }

  async start(): Promise<void> {
    const schedule = () => this.#schedule();
    const relevant = (o: Obj) => this.#referenced(o.metadata?.namespace ?? '', o.metadata?.name ?? '', o.metadata?.labels?.['kubernetes.io/service-name']);
    const watch = async (group: string, resource: string, filter: (o: Obj) => boolean) => {
      const s = this.#deps.store(group, resource);
      if (!s) return;
      this.#stops.push(await s.cache.watch(undefined, filter, { send: schedule, fail: schedule }));
    };
    await watch('apiregistration.k8s.io', 'apiservices', () => true);
    await watch('', 'services', relevant);
    await watch('', 'endpoints', relevant);
    await watch('discovery.k8s.io', 'endpointslices', relevant);
    const every = this.#deps.resyncMs ?? 30_000;
    this.#timer = setInterval(() => {
      this.#checks.clear();
      this.#schedule();
    }, every);
    this.#timer.unref();
    await this.sync();
  }

  stop(): void {
    this.#stopped = true;
    for (const s of this.#stops) s();
    this.#stops = [];
    clearInterval(this.#timer);
    clearTimeout(this.#pending);
  }

  #referenced(ns: string, name: string, sliceOf?: string): boolean {
    const store = this.#apiservices();
    if (!store) return false;
    for (const a of store.cache.list(`${store.prefix}/`).items) {
      const s = a.spec?.service;
      if (s && s.namespace === ns && (s.name === name || s.name === sliceOf)) return true;
    }
    return false;
  }

  #schedule() {
    if (this.#stopped || this.#pending) return;
    this.#pending = setTimeout(() => {
      this.#pending = undefined;
      void this.sync();
    }, 20);
  }

  /** Checks every APIService now and writes the Available conditions that changed. */
  async sync(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.#syncAll().catch(() => {});
      } while (this.#again && !this.#stopped);
    })();
    try {
      await this.#running;
    } finally {
      this.#running = undefined;
    }
  }

  async #syncAll(): Promise<void> {
    const store = this.#apiservices();
    if (!store) return;
    const all = store.cache.list(`${store.prefix}/`).items;
    let changed = false;
    const seen = new Set<string>();
    await Promise.all(
      all.map(async (a) => {
        const name: string = a.metadata.name;
        seen.add(name);
        const { condition, resources } = await this.#check(a);
        if (resources) {
          const prev = this.#resources.get(name);
          if (JSON.stringify(prev) !== JSON.stringify(resources)) {
            this.#resources.set(name, resources);
            changed = true;
          }
        }
        await this.#writeCondition(store, a, condition);
      }),
    );
    for (const name of [...this.#resources.keys()]) {
      if (seen.has(name) && this.#remote(...groupVersionOf(all.find((a) => a.metadata.name === name)))) continue;
      this.#resources.delete(name);
      this.#checks.delete(name);
      changed = true;
    }
    if (changed) this.#deps.onResourcesChanged();
  }

  #target(a: Obj): { target?: Target; condition?: Check['condition']; fingerprint: string } {
    const ref = a.spec.service;
    const ns: string = ref.namespace;
    const name: string = ref.name;
    const port: number = ref.port ?? 443;
    const services = this.#deps.store('', 'services');
    const svc = services?.cache.get(services.key(ns, name))?.obj;
    if (!svc) return { fingerprint: '', condition: { status: 'False', reason: 'ServiceNotFound', message: `service/${name} in "${ns}" is not present` } };
    const sp = (svc.spec?.ports ?? []).find((p: Obj) => p.port === port);
    if (!sp && svc.spec?.type !== 'ExternalName') {
      return { fingerprint: '', condition: { status: 'False', reason: 'ServicePortError', message: `service/${name} in "${ns}" is not listening on port ${port}` } };
    }
    const endpoints = this.#deps.store('', 'endpoints');
    const ep = endpoints?.cache.get(endpoints.key(ns, name))?.obj;
    const slices = this.#deps.store('discovery.k8s.io', 'endpointslices');
    const mySlices = slices ? slices.cache.list(slices.scope(ns)).items.filter((s) => s.metadata?.labels?.['kubernetes.io/service-name'] === name) : [];
    if (svc.spec?.type !== 'ExternalName') {
      if (!ep && mySlices.length === 0) return { fingerprint: '', condition: { status: 'False', reason: 'MissingEndpoints', message: `cannot find endpoints for service/${name} in "${ns}"` } };
      const portName = sp?.name ?? '';
      const fromEndpoints = ((ep?.subsets ?? []) as Obj[]).some((ss) => (ss.addresses ?? []).length > 0 && (ss.ports ?? []).some((p: Obj) => (p.name ?? '') === portName));
      const fromSlices = mySlices.some((s) => (s.ports ?? []).some((p: Obj) => (p.name ?? '') === portName) && (s.endpoints ?? []).some((e: Obj) => e.conditions?.ready !== false && (e.addresses ?? []).length > 0));
      if (!fromEndpoints && !fromSlices) {
        return { fingerprint: '', condition: { status: 'False', reason: 'MissingEndpoints', message: `endpoints for service/${name} in "${ns}" have no addresses with port name "${portName}"` } };
      }
    }
    let addr: { host: string; port: number };
    try {
      addr = resolveService({ store: (g, r) => this.#deps.store(g, r) }, ns, name, port);
    } catch (e) {
      return { fingerprint: '', condition: { status: 'False', reason: 'MissingEndpoints', message: (e as Error).message } };
    }
    const target: Target = {
      host: addr.host,
      port: addr.port,
      serverName: `${name}.${ns}.svc`,
      ...(a.spec.caBundle ? { ca: Buffer.from(a.spec.caBundle, 'base64').toString('utf8') } : {}),
      insecure: a.spec.insecureSkipTLSVerify === true,
    };
    const fingerprint = JSON.stringify([a.spec, svc.spec?.ports, ep?.subsets, mySlices.map((s) => [s.endpoints, s.ports])]);
    return { target, fingerprint };
  }

  async #check(a: Obj): Promise<{ condition: Check['condition']; resources?: ResourceInfo[] }> {
    const name: string = a.metadata.name;
    if (!a.spec?.service) return { condition: { status: 'True', reason: 'Local', message: 'Local APIServices are always available' } };
    const { target, condition, fingerprint } = this.#target(a);
    if (!target) {
      this.#checks.delete(name);
      return { condition: condition! };
    }
    const prev = this.#checks.get(name);
    if (prev && prev.fingerprint === fingerprint) return { condition: prev.condition };
    const path = `/apis/${a.spec.group}/${a.spec.version}`;
    const url = `https://${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}${path}`;
    let result: Check['condition'];
    let resources: ResourceInfo[] | undefined;
    try {
      const { status, body } = await this.#get(target, path);
      if (status === 401 || status === 403 || (status >= 200 && status < 300)) {
        result = { status: 'True', reason: 'Passed', message: 'all checks passed' };
        if (status >= 200 && status < 300) {
          try {
            resources = resourcesFromDiscovery(a.spec.group, a.spec.version, JSON.parse(body));
          } catch {
            resources = [];
          }
        }
      } else {
        result = { status: 'False', reason: 'FailedDiscoveryCheck', message: `failing or missing response from ${url}: bad status from ${url}: ${status}` };
      }
    } catch (e) {
      result = { status: 'False', reason: 'FailedDiscoveryCheck', message: `failing or missing response from ${url}: Get "${url}": ${(e as Error).message}` };
    }
    this.#checks.set(name, { fingerprint, at: Date.now(), condition: result });
    return { condition: result, ...(resources ? { resources } : {}) };
  }

  #get(t: Target, path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          host: t.host,
          port: t.port,
          path,
          method: 'GET',
          agent,
          servername: t.serverName,
          headers: { Accept: 'application/json' },
          ...(t.ca ? { ca: t.ca } : {}),
          ...(t.insecure ? { rejectUnauthorized: false } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
          });
          res.on('error', reject);
        },
      );
      const timer = setTimeout(() => {
        req.destroy(new Error('context deadline exceeded'));
      }, this.#deps.checkTimeoutMs ?? 5000);
      req.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new Error(e.code === 'ECONNREFUSED' ? `dial tcp ${t.host}:${t.port}: connect: connection refused` : e.message));
      });
      req.end();
    });
  }

  async #writeCondition(store: Store, a: Obj, c: Check['condition']): Promise<void> {
    const cur = (a.status?.conditions ?? []).find((x: Obj) => x.type === 'Available');
    if (cur && cur.status === c.status && cur.reason === c.reason && cur.message === c.message) return;
    const ctx = this.#deps.systemContext();
    try {
      await store.guaranteedUpdate(
        ctx,
        '',
        a.metadata.name,
        (obj) => {
          const o = obj!;
          const conds: Obj[] = (o.status?.conditions ?? []).filter((x: Obj) => x.type !== 'Available');
          const old = (o.status?.conditions ?? []).find((x: Obj) => x.type === 'Available');
          const lastTransitionTime = old && old.status === c.status ? old.lastTransitionTime : rfc3339(ctx.now);
          conds.push({ type: 'Available', status: c.status, lastTransitionTime, reason: c.reason, message: c.message });
          o.status = { ...(o.status ?? {}), conditions: conds };
          return o;
        },
        { subresource: 'status' },
      );
    } catch {
      // Deleted meanwhile, or a conflict that the next sync settles.
    }
  }

  /** Whether the APIService for a group-version is Available. */
  available(group: string, version: string): boolean {
    const a = this.#remote(group, version);
    return !!a && (a.status?.conditions ?? []).some((c: Obj) => c.type === 'Available' && c.status === 'True');
  }

  /**
   * Proxies a request to the aggregated server: same method, path, query and body; the user
   * goes in X-Remote-* headers. Answers 503 "service unavailable" while the APIService is not Available.
   */
  async proxy(req: { method: string; path: string; headers: IncomingHttpHeaders; body: Buffer }, res: ResponseSink, user: UserInfo, group: string, version: string): Promise<number> {
    const a = this.#remote(group, version);
    const fail = (code: number, text: string) => {
      res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
      res.end(`${text}\n`);
      return code;
    };
    if (!a || !this.available(group, version)) return fail(503, 'service unavailable');
    const { target } = this.#target(a);
    if (!target) return fail(503, 'service unavailable');
    const headers: Record<string, string | string[]> = {};
    for (const h of ['accept', 'content-type', 'user-agent', 'accept-language']) {
      const v = req.headers[h];
      if (v !== undefined) headers[h] = v;
    }
    headers['x-remote-user'] = user.username;
    if (user.groups.length) headers['x-remote-group'] = user.groups;
    for (const [k, vs] of Object.entries(user.extra ?? {})) headers[`x-remote-extra-${encodeURIComponent(k.toLowerCase())}`] = vs;
    if (req.body.length) headers['content-length'] = String(req.body.length);
    return new Promise<number>((resolve) => {
      const upstream = httpsRequest(
        {
          host: target.host,
          port: target.port,
          path: req.path,
          method: req.method,
          agent,
          servername: target.serverName,
          headers,
          ...(target.ca ? { ca: target.ca } : {}),
          ...(target.insecure ? { rejectUnauthorized: false } : {}),
        },
        (up) => {
          const out: Record<string, string> = {};
          for (const h of ['content-type', 'content-encoding', 'cache-control', 'warning', 'audit-id', 'retry-after', 'location']) {
            const v = up.headers[h];
            if (v !== undefined) out[h] = Array.isArray(v) ? v.join(', ') : v;
          }
          res.writeHead(up.statusCode ?? 502, out);
          if (typeof res.flushHeaders === 'function') res.flushHeaders();
          up.on('data', (c: Buffer) => res.write(c));
          up.on('end', () => {
            res.end();
            resolve(up.statusCode ?? 502);
          });
          up.on('error', () => {
            res.end();
            resolve(up.statusCode ?? 502);
          });
        },
      );
      res.on('close', () => upstream.destroy());
      upstream.on('error', (e) => {
        if (res.headersSent) {
          res.end();
          resolve(502);
        } else resolve(fail(503, `error trying to reach service: ${e.message}`));
      });
      upstream.end(req.body);
    });
  }
}

function groupVersionOf(a: Obj | undefined): [string, string] {
  return [a?.spec?.group ?? '', a?.spec?.version ?? ''];
}
