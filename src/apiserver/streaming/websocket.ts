// WebSocket side of the streaming subresources (k8s.io/apimachinery wsstream): subprotocol negotiation in the
// client's order, the "<channel byte><payload>" framing of channel.k8s.io (binary) and base64.channel.k8s.io
// (text, channel as an ASCII digit), and the handshake for names `ws` refuses (SPDY/3.1+portforward.k8s.io).

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Writable } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';

const chosen = new WeakMap<IncomingMessage, string>();

// `ws` validates Sec-WebSocket-Protocol as RFC 6455 tokens, and `/` is not a token character, so it answers
// kubectl's SPDY/3.1+portforward.k8s.io with a 400. We negotiate ourselves, hand `ws` a placeholder token and
// return the real name from handleProtocols, which `ws` writes into the 101 as it is.
const wss = new WebSocketServer({
  noServer: true,
  clientTracking: false,
  perMessageDeflate: false,
  handleProtocols: (_protocols, req) => chosen.get(req) ?? false,
});

/** Offered subprotocols, in the client's order (several header lines or comma-separated). */
export function offeredProtocols(req: IncomingMessage): string[] {
  const raw = req.headers['sec-websocket-protocol'];
  if (!raw) return [];
  return String(raw)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The first protocol the client offers that we support; '' when the client offered none. */
export function negotiate(offered: string[], supported: readonly string[]): string | undefined {
  if (offered.length === 0) return '';
  return offered.find((p) => supported.includes(p));
}

export function isWebSocketRequest(req: IncomingMessage): boolean {
  return String(req.headers.upgrade ?? '').toLowerCase() === 'websocket' && /upgrade/i.test(String(req.headers.connection ?? ''));
}

/** Completes the handshake with `protocol` ('' for none). */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, protocol: string): Promise<WebSocket> {
  if (protocol) {
    chosen.set(req, protocol);
    req.headers['sec-websocket-protocol'] = 'k8s-stream';
  } else {
    delete req.headers['sec-websocket-protocol'];
  }
  return new Promise((resolve) => wss.handleUpgrade(req, socket, head, (ws) => resolve(ws)));
}

const HIGH_WATER = 1 << 20;

/** Sends one message, calling `cb` at once unless too much is queued (then when this one is written). */
export function wsSend(ws: WebSocket, data: Buffer | string, cb?: () => void): void {
  if (ws.readyState !== ws.OPEN) return cb?.();
  if (!cb || ws.bufferedAmount < HIGH_WATER) {
    ws.send(data, () => {});
    cb?.();
  } else {
    ws.send(data, () => cb());
  }
}

/** channel.k8s.io framing over one WebSocket. */
export class ChannelConn {
  readonly ws: WebSocket;
  readonly base64: boolean;

  constructor(ws: WebSocket, base64: boolean, onMessage: (channel: number, data: Buffer) => void) {
    this.ws = ws;
    this.base64 = base64;
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (buf.length === 0) return;
      if (this.base64 && !isBinary) {
        const text = buf.toString('latin1');
        onMessage(text.charCodeAt(0) - 48, Buffer.from(text.slice(1), 'base64'));
      } else {
        onMessage(buf[0]!, buf.subarray(1));
      }
    });
  }

  send(channel: number, data: Buffer, cb?: () => void): void {
    if (this.base64) {
      wsSend(this.ws, String.fromCharCode(48 + channel) + data.toString('base64'), cb);
      return;
    }
    const msg = Buffer.allocUnsafe(data.length + 1);
    msg[0] = channel;
    data.copy(msg, 1);
    wsSend(this.ws, msg, cb);
  }

  /** A Writable whose writes go out on `channel`. */
  writer(channel: number): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, cb) => this.send(channel, chunk, () => cb()),
    });
  }
}
