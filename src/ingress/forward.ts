// The reverse-proxy half of the Ingress controller, as ingress-nginx's proxy_pass to pod
// endpoints: HTTP/1.1 to the upstream over kept-alive connections, bodies streamed both ways,
// hop-by-hop headers dropped, X-Forwarded-For/-Proto/-Host/-Port and X-Real-IP set, the next
// endpoint tried when a connection is refused (or, for idempotent requests without a body, on any
// error before a response), WebSocket (Upgrade) requests passed through, and small plain-text
// 404/502/503 answers.
import { request as httpRequest, type Agent, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export interface Upstream {
  host: string;
  port: number;
}

/** What the proxy knows about the client side of a request. */
export interface Downstream {
  proto: 'http' | 'https';
  /** The port the listener accepted the request on. */
  port: number;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings']);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
/** How many endpoints one request may try. */
const MAX_TRIES = 3;

function connectionTokens(h: IncomingHttpHeaders): Set<string> | undefined {
  const c = h.connection;
  if (!c) return undefined;
  return new Set(c.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean));
}

/** The headers sent upstream: the client's, less hop-by-hop ones, plus the X-Forwarded set. */
export function upstreamHeaders(req: IncomingMessage, down: Downstream, upgrade: boolean): OutgoingHttpHeaders {
  const named = connectionTokens(req.headers);
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || named?.has(k)) continue;
    out[k] = v;
  }
  const client = req.socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  out['x-forwarded-for'] = prior ? `${prior}, ${client}` : client;
  out['x-real-ip'] = client;
  out['x-forwarded-proto'] = down.proto;
  out['x-forwarded-host'] = req.headers.host ?? '';
  out['x-forwarded-port'] = String(down.port);
  if (upgrade && req.headers.upgrade) {
    out.connection = 'Upgrade';
    out.upgrade = req.headers.upgrade;
  }
  return out;
}

function downstreamHeaders(h: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = connectionTokens(h);
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP_BY_HOP.has(k) && !named?.has(k)) out[k] = v;
  return out;
}

/** A small plain-text answer from the controller itself. */
export function reply(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = Buffer.from(text.endsWith('\n') ? text : `${text}\n`);
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length, 'x-skiff-ingress': 'controller' });
  res.end(body);
}

/** The same small answer written on a raw socket (failed Upgrade requests). */
export function replyRaw(socket: Duplex, status: number, reason: string, text: string): void {
  const body = Buffer.from(text.endsWith('\n') ? text : `${text}\n`);
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body.toString()}`);
}

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return !!req.headers['transfer-encoding'] || (len !== undefined && len !== '0');
}

/**
 * Proxies one request to `upstreams`, starting at `first` and moving on round the list when a
 * try fails before any response.
 */
export function forward(req: IncomingMessage, res: ServerResponse, path: string, upstreams: Upstream[], first: number, down: Downstream, agent: Agent, onError: (msg: string) => void): void {
  const body = hasBody(req);
  const tries = Math.min(upstreams.length, MAX_TRIES);
  const headers = upstreamHeaders(req, down, false);
  const attempt = (n: number) => {
    const ep = upstreams[(first + n) % upstreams.length]!;
    let responded = false;
    const up = httpRequest({ host: ep.host, port: ep.port, method: req.method, path, headers, agent, setHost: false });
    up.on('response', (ur) => {
      responded = true;
      res.writeHead(ur.statusCode ?? 502, ur.statusMessage, downstreamHeaders(ur.headers));
      ur.pipe(res);
      ur.on('error', () => res.destroy());
      // Trailers, when the upstream sends them.
      ur.on('end', () => {
        if (ur.rawTrailers.length) res.addTrailers(ur.trailers as Record<string, string>);
      });
    });
    up.on('error', (err: NodeJS.ErrnoException) => {
      if (responded || res.destroyed) {
        res.destroy();
        return;
      }
      const retry = n + 1 < tries && !res.headersSent && (err.code === 'ECONNREFUSED' || (!body && IDEMPOTENT.has(req.method ?? '')));
      if (retry) return attempt(n + 1);
      onError(`${req.method} ${path} to ${ep.host}:${ep.port}: ${err.message}`);
      reply(res, 502, `502 Bad Gateway: the upstream ${ep.host}:${ep.port} failed: ${err.message}`);
    });
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    if (body) req.pipe(up);
    else up.end();
  };
  attempt(0);
}

/** Passes an Upgrade (WebSocket) request through to one upstream and joins the two sockets. */
export function forwardUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, path: string, ep: Upstream, down: Downstream, track: (s: Duplex) => void, onError: (msg: string) => void): void {
  const up = httpRequest({ host: ep.host, port: ep.port, method: req.method, path, headers: upstreamHeaders(req, down, true), agent: false, setHost: false });
  socket.on('error', () => up.destroy());
  up.on('upgrade', (ur, upSocket, upHead) => {
    track(upSocket);
    let text = `HTTP/1.1 ${ur.statusCode ?? 101} ${ur.statusMessage ?? 'Switching Protocols'}\r\n`;
    for (let i = 0; i < ur.rawHeaders.length; i += 2) text += `${ur.rawHeaders[i]}: ${ur.rawHeaders[i + 1]}\r\n`;
    socket.write(text + '\r\n');
    if (upHead.length) socket.write(upHead);
    if (head.length) upSocket.write(head);
    upSocket.on('error', () => socket.destroy());
    socket.on('error', () => upSocket.destroy());
    upSocket.on('close', () => socket.destroy());
    socket.on('close', () => upSocket.destroy());
    upSocket.pipe(socket);
    socket.pipe(upSocket);
  });
  up.on('response', (ur) => {
    // The upstream declined to switch protocols: relay its answer and close.
    let text = `HTTP/1.1 ${ur.statusCode} ${ur.statusMessage ?? ''}\r\n`;
    for (let i = 0; i < ur.rawHeaders.length; i += 2) {
      const k = ur.rawHeaders[i]!.toLowerCase();
      if (k === 'connection' || k === 'keep-alive' || k === 'transfer-encoding') continue;
      text += `${ur.rawHeaders[i]}: ${ur.rawHeaders[i + 1]}\r\n`;
    }
    socket.write(text + 'connection: close\r\n\r\n');
    ur.pipe(socket);
  });
  up.on('error', (err) => {
    onError(`upgrade ${path} to ${ep.host}:${ep.port}: ${err.message}`);
    if (socket.writable) replyRaw(socket, 502, 'Bad Gateway', `502 Bad Gateway: the upstream ${ep.host}:${ep.port} failed: ${err.message}`);
  });
  up.end();
}
