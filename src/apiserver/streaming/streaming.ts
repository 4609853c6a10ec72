// The upgrade entry point of pods/exec, pods/attach and pods/portforward: picks WebSocket or SPDY/3.1 from
// the request (kubectl 1.31+ tries WebSocket first and falls back to SPDY on any non-101 answer), negotiates
// the subprotocol in the client's order, and serves the stream protocol against a StreamBackend.

import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { StatusError, badRequest, isStatusError, internalError } from '../../machinery/errors.ts';
import type { StreamBackend } from './backend.ts';
import { SpdySession, socketTransport } from './spdy.ts';
import {
  REMOTECOMMAND_SPDY_PROTOCOLS,
  REMOTECOMMAND_WS_PROTOCOLS,
  parseRemoteCommandOptions,
  serveRemoteCommandSpdy,
  serveRemoteCommandWs,
} from './remotecommand.ts';
import {
  PORTFORWARD_SPDY_PROTOCOLS,
  PORTFORWARD_TUNNEL_PROTOCOL,
  PORTFORWARD_WS_PROTOCOLS,
  parseForwardPorts,
  servePortForwardSpdy,
  servePortForwardWs,
} from './portforward.ts';
import { acceptWebSocket, isWebSocketRequest, negotiate, offeredProtocols, wsSend } from './websocket.ts';
import { resolveContainer } from './pods.ts';
import type { PodLike } from './pods.ts';

export type { StreamBackend } from './backend.ts';
export { handleLogs } from './logs.ts';
export type { PodLike } from './pods.ts';

export interface UpgradeTarget {
  kind: 'exec' | 'attach' | 'portforward';
  namespace: string;
  /** The pod's name. */
  pod: string;
  query: URLSearchParams;
  /** When given, the container is defaulted/checked as the API does and an unscheduled pod is refused. */
  podObject?: PodLike;
}

function isSpdyRequest(req: IncomingMessage): boolean {
  return String(req.headers.upgrade ?? '').toLowerCase().includes('spdy/3.1') && /upgrade/i.test(String(req.headers.connection ?? ''));
}

/** Answers a not-yet-upgraded request with a Status and closes the connection. */
export function writeUpgradeError(socket: Duplex, err: StatusError, extraHeaders: Record<string, string> = {}): void {
  if (socket.destroyed) return;
  const body = JSON.stringify(err.status);
  const headers = [
    `HTTP/1.1 ${err.code} ${STATUS_CODES[err.code] ?? ''}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...Object.entries(extraHeaders).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}

function commaList(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v.join(',') : v)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** httpstream.Handshake + the SPDY response upgrader: 101 with the chosen X-Stream-Protocol-Version. */
function upgradeSpdy(req: IncomingMessage, socket: Duplex, head: Buffer, supported: readonly string[]): { session: SpdySession; protocol: string } {
  const offered = commaList(req.headers['x-stream-protocol-version']);
  // Clients older than protocol negotiation send none; they get the first protocol version.
  const protocol = offered.length === 0 ? '' : offered.find((p) => supported.includes(p));
  if (protocol === undefined) {
    const err = new StatusError(
      403,
      'Forbidden',
      `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${supported.join(' ')}]`,
    );
    writeUpgradeError(socket, err, { 'X-Accepted-Stream-Protocol-Versions': supported.join(', ') });
    throw err;
  }
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n' + (protocol ? `X-Stream-Protocol-Version: ${protocol}\r\n` : '') + '\r\n',
  );
  const session = new SpdySession(socketTransport(socket));
  (socket as { setNoDelay?: (b: boolean) => void }).setNoDelay?.(true);
  socket.on('data', (d: Buffer) => session.receive(d));
  socket.on('error', () => session.transportClosed());
  socket.on('close', () => session.transportClosed());
  socket.on('end', () => session.close());
  if (head.length) session.receive(head);
  return { session, protocol };
}

/** SPDY frames carried in WebSocket binary messages (kubectl 1.31+ port-forward). */
function tunnelSession(ws: WebSocket): SpdySession {
  const session = new SpdySession({
    write: (buf, cb) => wsSend(ws, buf, cb),
    end: () => ws.close(1000),
    destroy: () => ws.terminate(),
  });
  ws.on('message', (d: Buffer | ArrayBuffer | Buffer[]) => {
    session.receive(Buffer.isBuffer(d) ? d : Array.isArray(d) ? Buffer.concat(d) : Buffer.from(d));
  });
  ws.on('error', () => {});
  ws.once('close', () => session.transportClosed());
  return session;
}

function unsupportedProtocols(offered: string[], supported: readonly string[]): StatusError {
  return badRequest(`unable to upgrade: requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${supported.join(' ')}]`);
}

function checkScheduled(target: UpgradeTarget): void {
  const pod = target.podObject;
  if (pod && !pod.spec?.nodeName) throw badRequest(`pod ${target.pod} does not have a host assigned`);
}

/**
 * Serves an HTTP upgrade for pods/{exec,attach,portforward}. Resolves when the session is over. Errors
 * before the upgrade are answered as HTTP Status responses; nothing is thrown.
 */
export async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: UpgradeTarget, backend: StreamBackend): Promise<void> {
  socket.on('error', () => {});
  try {
    const ws = isWebSocketRequest(req);
    if (!ws && !isSpdyRequest(req)) {
      throw badRequest('unable to upgrade: missing upgrade headers in request');
    }
    if (target.kind === 'portforward') {
      checkScheduled(target);
      const pf = { namespace: target.namespace, pod: target.pod };
      if (!ws) {
        const { session } = upgradeSpdy(req, socket, head, PORTFORWARD_SPDY_PROTOCOLS);
        return await servePortForwardSpdy(session, pf, backend);
      }
      const offered = offeredProtocols(req);
      const protocol = negotiate(offered, PORTFORWARD_WS_PROTOCOLS);
      if (protocol === undefined) throw unsupportedProtocols(offered, PORTFORWARD_WS_PROTOCOLS);
      if (protocol === PORTFORWARD_TUNNEL_PROTOCOL) {
        const sock = await acceptWebSocket(req, socket, head, protocol);
        return await servePortForwardSpdy(tunnelSession(sock), pf, backend);
      }
      const ports = parseForwardPorts(target.query);
      const sock = await acceptWebSocket(req, socket, head, protocol);
      return await servePortForwardWs(sock, protocol, pf, ports, backend);
    }

    const opts = parseRemoteCommandOptions(target.kind, target.query);
    if (target.podObject) {
      opts.container = resolveContainer(target.podObject, opts.container);
      checkScheduled(target);
    }
    const rc = { kind: target.kind, namespace: target.namespace, pod: target.pod };
    if (ws) {
      const offered = offeredProtocols(req);
      const protocol = negotiate(offered, REMOTECOMMAND_WS_PROTOCOLS);
      if (protocol === undefined) throw unsupportedProtocols(offered, REMOTECOMMAND_WS_PROTOCOLS);
      const sock = await acceptWebSocket(req, socket, head, protocol);
      return await serveRemoteCommandWs(sock, protocol, rc, opts, backend);
    }
    const { session, protocol } = upgradeSpdy(req, socket, head, REMOTECOMMAND_SPDY_PROTOCOLS);
    return await serveRemoteCommandSpdy(session, protocol, rc, opts, backend);
  } catch (e) {
    if (socket.destroyed || socket.writableEnded) return;
    writeUpgradeError(socket, isStatusError(e) ? e : internalError(e instanceof Error ? e.message : String(e)));
  }
}
