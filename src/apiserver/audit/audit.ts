// kube-apiserver's audit filter (k8s.io/apiserver/pkg/endpoints/filters/audit.go): each request
// gets an audit ID (the Audit-ID header), the policy picks its level, and audit.k8s.io/v1 Events
// are emitted at RequestReceived, ResponseStarted (long-running requests), ResponseComplete or
// Panic, with the request and response bodies as the level allows.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestInfo } from '../requestinfo.ts';
import type { Obj, ResponseSink, UserInfo } from '../types.ts';
import { rfc3339Micro } from '../types.ts';
import { DEFAULT_POLICY, evaluatePolicy, levelAtLeast, loadPolicy, type Level, type Policy, type RequestAuditConfig, type Stage } from './policy.ts';
import { AuditLogWriter, type AuditSink } from './log.ts';

export interface AuditOptions {
  policy: Policy;
  sink: AuditSink;
  /** Milliseconds since the epoch (default Date.now). */
  now?: () => number;
}

export interface AuditRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The peer's address, when the request came over a socket. */
  remoteAddress?: string;
}

/** The audit side of one request; the server calls it as the request goes along. */
export interface RequestAudit {
  readonly id: string;
  readonly level: Level;
  /** Sets the user (after authentication), evaluates the policy and emits RequestReceived. */
  authenticated(user: UserInfo | undefined, impersonatedUser?: UserInfo): void;
  /** authorization.k8s.io/decision and reason. */
  authorized(allowed: boolean, reason?: string): void;
  /** The request body (logged at Request level and above). */
  requestBody(body: Buffer | string, contentType?: string): void;
  /** A sink that records the response as it is written (the same sink when nothing is needed). */
  wrap(res: ResponseSink): ResponseSink;
  /** Emits ResponseComplete with this code (or Panic when `panic` is set). */
  finish(code: number, panic?: unknown): void;
}

const AUDIT_ID = 'audit-id';

/** Source IPs as upstream's utilnet.SourceIPs: X-Forwarded-For, X-Real-Ip, then the peer. */
function sourceIPs(headers: IncomingHttpHeaders, remote: string | undefined): string[] {
  const out: string[] = [];
  const xff = headers['x-forwarded-for'];
  for (const part of (Array.isArray(xff) ? xff.join(',') : (xff ?? '')).split(',')) {
    const ip = part.trim();
    if (ip) out.push(ip);
  }
  const real = headers['x-real-ip'];
  if (typeof real === 'string' && real.trim() && !out.includes(real.trim())) out.push(real.trim());
  if (remote) {
    const ip = remote.startsWith('::ffff:') ? remote.slice(7) : remote;
    if (!out.includes(ip)) out.push(ip);
  }
  return out;
}

function parseJSON(body: Buffer | string, contentType: string | undefined): Obj | undefined {
  if (contentType && !/json/i.test(contentType)) return undefined;
  try {
    const v = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
    return v && typeof v === 'object' ? v : undefined;
  } catch {
    return undefined;
  }
}

function withoutManagedFields(o: Obj): Obj {
  let out = o;
  if (o.metadata?.managedFields) {
    const { managedFields: _m, ...meta } = o.metadata;
    out = { ...o, metadata: meta };
  }
  if (Array.isArray(out.items)) out = { ...out, items: out.items.map((i: Obj) => (i && typeof i === 'object' ? withoutManagedFields(i) : i)) };
  return out;
}

function userOf(u: UserInfo): Obj {
  return { username: u.username, ...(u.uid ? { uid: u.uid } : {}), ...(u.groups.length ? { groups: u.groups } : {}), ...(u.extra && Object.keys(u.extra).length ? { extra: u.extra } : {}) };
}

export class Auditor {
  #policy: Policy;
  #sink: AuditSink;
  #now: () => number;

  constructor(opts: AuditOptions) {
    this.#policy = opts.policy;
    this.#sink = opts.sink;
    this.#now = opts.now ?? Date.now;
  }

  get sink(): AuditSink {
    return this.#sink;
  }

  /**
   * Starts auditing a request; sets the Audit-ID response header (the client's own Audit-ID is
   * kept, as upstream). `longRunning` requests get a ResponseStarted stage.
   */
  begin(req: AuditRequest, info: RequestInfo, res?: ResponseSink, longRunning = false): RequestAudit {
    const given = req.headers[AUDIT_ID];
    const id = (typeof given === 'string' && given.trim()) || randomUUID();
    res?.setHeader('Audit-ID', id);
    return new Recorder(this, id, req, info, longRunning, this.#now());
  }

  /** @internal */
  evaluate(user: UserInfo | undefined, info: RequestInfo): RequestAuditConfig {
    return evaluatePolicy(this.#policy, { user, ...info });
  }

  /** @internal */
  now(): number {
    return this.#now();
  }

  /** @internal */
  emit(ev: Obj): void {
    this.#sink.write(JSON.stringify(ev));
  }
}

class Recorder implements RequestAudit {
  readonly id: string;
  level: Level = 'None';
  #a: Auditor;
  #req: AuditRequest;
  #info: RequestInfo;
  #longRunning: boolean;
  #received: number;
  #cfg: RequestAuditConfig | undefined;
  #user: UserInfo | undefined;
  #impersonated: UserInfo | undefined;
  #annotations: Record<string, string> = {};
  #requestObject: Obj | undefined;
  #responseObject: Obj | undefined;
  #responseStatus: Obj | undefined;
  #started = false;
  #done = false;

  constructor(a: Auditor, id: string, req: AuditRequest, info: RequestInfo, longRunning: boolean, received: number) {
    this.#a = a;
    this.id = id;
    this.#req = req;
    this.#info = info;
    this.#longRunning = longRunning;
    this.#received = received;
  }

  authenticated(user: UserInfo | undefined, impersonatedUser?: UserInfo): void {
    this.#user = user;
    this.#impersonated = impersonatedUser;
    // Upstream evaluates the policy for the impersonated user (the one the request acts as).
    this.#cfg = this.#a.evaluate(impersonatedUser ?? user, this.#info);
    this.level = this.#cfg.level;
    if (user) this.#emit('RequestReceived');
  }

  authorized(allowed: boolean, reason?: string): void {
    this.#annotations['authorization.k8s.io/decision'] = allowed ? 'allow' : 'forbid';
    this.#annotations['authorization.k8s.io/reason'] = reason ?? '';
  }

  requestBody(body: Buffer | string, contentType?: string): void {
    if (!levelAtLeast(this.level, 'Request') || body.length === 0) return;
    const obj = parseJSON(body, contentType);
    if (obj) this.#requestObject = this.#cfg!.omitManagedFields ? withoutManagedFields(obj) : obj;
  }

  wrap(res: ResponseSink): ResponseSink {
    if (this.level === 'None') return res;
    const rec = this;
    let code = 200;
    let contentType: string | undefined;
    const wrapped: ResponseSink = {
      get headersSent() {
        return res.headersSent;
      },
      get writableEnded() {
        return res.writableEnded;
      },
      get writableLength() {
        return res.writableLength;
      },
      setHeader: (n, v) => {
        if (n.toLowerCase() === 'content-type') contentType = v;
        return res.setHeader(n, v);
      },
      writeHead: (c, headers) => {
        code = c;
        for (const [k, v] of Object.entries(headers ?? {})) if (k.toLowerCase() === 'content-type') contentType = v;
        const r = res.writeHead(c, headers);
        if (rec.#longRunning) rec.#responseStarted(c);
        return r;
      },
      flushHeaders: () => res.flushHeaders(),
      write: (chunk) => res.write(chunk),
      end: (chunk) => {
        if (chunk !== undefined && (!rec.#longRunning || code >= 300)) rec.#response(code, chunk, contentType);
        return res.end(chunk);
      },
      on: (ev, l) => res.on(ev, l),
    };
    if (res.writeEvent) wrapped.writeEvent = (t, o) => res.writeEvent!(t, o);
    return wrapped;
  }

  #responseStarted(code: number) {
    if (this.#started) return;
    this.#started = true;
    this.#responseStatus = { metadata: {}, code };
    this.#emit('ResponseStarted');
  }

  /** A Status answer becomes responseStatus; any object is the responseObject at RequestResponse. */
  #response(code: number, chunk: string | Buffer, contentType: string | undefined) {
    const full = levelAtLeast(this.level, 'RequestResponse');
    // Only Status bodies are needed below RequestResponse: errors, and small bodies naming kind Status.
    const maybeStatus = code >= 300 || (chunk.length < 4096 && chunk.includes('"Status"'));
    if (!full && !maybeStatus) return;
    const obj = parseJSON(chunk, contentType);
    if (!obj) return;
    if (obj.kind === 'Status' && (obj.apiVersion === 'v1' || obj.apiVersion === undefined)) {
      this.#responseStatus = {
        metadata: {},
        ...(obj.status ? { status: obj.status } : {}),
        ...(obj.message ? { message: obj.message } : {}),
        ...(obj.reason ? { reason: obj.reason } : {}),
        ...(obj.details ? { details: obj.details } : {}),
        code: obj.code ?? code,
      };
    }
    if (full) this.#responseObject = this.#cfg!.omitManagedFields ? withoutManagedFields(obj) : obj;
  }

  finish(code: number, panic?: unknown): void {
    if (this.#done) return;
    this.#done = true;
    if (!this.#cfg) this.authenticated(undefined);
    if (panic !== undefined) {
      this.#responseStatus = { metadata: {}, status: 'Failure', message: `APIServer panic'd: ${(panic as Error)?.message ?? String(panic)}`, reason: 'InternalError', code: 500 };
      this.#emit('Panic');
      return;
    }
    if (this.#responseStatus) this.#responseStatus.code = code;
    else this.#responseStatus = { metadata: {}, code };
    this.#emit('ResponseComplete');
  }

  #emit(stage: Stage) {
    const cfg = this.#cfg;
    if (!cfg || cfg.level === 'None' || cfg.omitStages.includes(stage)) return;
    const info = this.#info;
    const ev: Obj = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: cfg.level,
      auditID: this.id,
      stage,
      requestURI: this.#req.url,
      verb: info.verb,
      user: this.#user ? userOf(this.#user) : {},
    };
    if (this.#impersonated) ev.impersonatedUser = userOf(this.#impersonated);
    ev.sourceIPs = sourceIPs(this.#req.headers, this.#req.remoteAddress);
    const ua = this.#req.headers['user-agent'];
    if (ua) ev.userAgent = ua;
    if (info.isResourceRequest) {
      const ref: Obj = {};
      if (info.resource) ref.resource = info.resource;
      if (info.namespace) ref.namespace = info.namespace;
      const name = info.name || (stage !== 'RequestReceived' ? (this.#responseObject?.metadata?.name ?? this.#requestObject?.metadata?.name) : undefined);
      if (name) ref.name = name;
      if (info.apiGroup) ref.apiGroup = info.apiGroup;
      if (info.apiVersion) ref.apiVersion = info.apiVersion;
      if (info.subresource) ref.subresource = info.subresource;
      ev.objectRef = ref;
    }
    if (stage !== 'RequestReceived' && this.#responseStatus) ev.responseStatus = this.#responseStatus;
    if (this.#requestObject) ev.requestObject = this.#requestObject;
    if (stage === 'ResponseComplete' && this.#responseObject) ev.responseObject = this.#responseObject;
    ev.requestReceivedTimestamp = rfc3339Micro(this.#received);
    ev.stageTimestamp = rfc3339Micro(this.#a.now());
    if (Object.keys(this.#annotations).length) ev.annotations = { ...this.#annotations };
    this.#a.emit(ev);
  }
}

/** kube-apiserver's audit flags, as `skiff up` takes them. */
export interface AuditFlags {
  /** --audit-policy-file (default: the built-in AKS-like policy, DEFAULT_POLICY). */
  policyFile?: string;
  /** --audit-log-path ("-": standard output). */
  logPath: string;
  /** --audit-log-maxsize (MB), --audit-log-maxbackup, --audit-log-maxage (days). */
  maxSizeMB?: number;
  maxBackups?: number;
  maxAgeDays?: number;
}

/** An Auditor writing to a rotated log file; close its sink on shutdown to flush the last lines. */
export function auditorFromFlags(f: AuditFlags, now: () => number = Date.now): Auditor {
  const policy = f.policyFile ? loadPolicy(f.policyFile) : DEFAULT_POLICY;
  const sink = new AuditLogWriter({
    path: f.logPath,
    ...(f.maxSizeMB !== undefined ? { maxSizeMB: f.maxSizeMB } : {}),
    ...(f.maxBackups !== undefined ? { maxBackups: f.maxBackups } : {}),
    ...(f.maxAgeDays !== undefined ? { maxAgeDays: f.maxAgeDays } : {}),
  });
  return new Auditor({ policy, sink, now });
}
