// kubectl port-forward: the portforward.k8s.io protocol (kubelet's portforward server) — SPDY stream pairs
// (`streamtype` error/data, `port`, `requestid`) over a raw SPDY upgrade or tunneled in WebSocket messages
// (SPDY/3.1+portforward.k8s.io), and the older WebSocket channel form (v4.channel.k8s.io, `ports` query).

import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { badRequest } from '../../machinery/errors.ts';
import type { StreamBackend } from './backend.ts';
import type { SpdySession, SpdyStream } from './spdy.ts';
import { ChannelConn } from './websocket.ts';

export const PORTFORWARD_SPDY_PROTOCOLS = ['portforward.k8s.io'] as const;
/** The WebSocket subprotocol kubectl 1.31+ uses to carry SPDY frames in binary messages. */
export const PORTFORWARD_TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';
export const PORTFORWARD_WS_PROTOCOLS = [PORTFORWARD_TUNNEL_PROTOCOL, 'v4.channel.k8s.io', 'v4.base64.channel.k8s.io'] as const;

const STREAM_CREATION_TIMEOUT_MS = 30_000;

export interface PortForwardTarget {
  namespace: string;
  pod: string;
}

/** A port as the kubelet parses it: an unsigned 16-bit decimal, not 0. Returns an error text or the port. */
function parsePort(s: string | undefined, what: string): number | string {
  if (!s) return `${what} is required`;
  if (!/^\d+$/.test(s) || Number(s) > 65535) return `unable to parse "${s}" as a port: strconv.ParseUint: parsing "${s}": ${/^\d+$/.test(s) ? 'value out of range' : 'invalid syntax'}`;
  if (Number(s) < 1) return `port "${s}" must be > 0`;
  return Number(s);
}

/** The `ports` query of a WebSocket port-forward (repeated or comma-separated). */
export function parseForwardPorts(query: URLSearchParams): number[] {
  const raw = [...query.getAll('ports'), ...query.getAll('port')];
  if (raw.length === 0) throw badRequest('query parameter "port" is required');
  const ports: number[] = [];
  for (const r of raw) {
    if (!r) throw badRequest('query parameter "port" cannot be empty');
    for (const p of r.split(',')) {
      const v = parsePort(p, 'port');
      if (typeof v === 'string') throw badRequest(v);
      ports.push(v);
    }
  }
  return ports;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Joins a client-side byte stream to a backend connection; `fail` reports an error text; resolves when done. */
function pipeBoth(client: Duplex, conn: Duplex, fail: (msg: string) => void): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      resolve();
    };
    client.pipe(conn);
    conn.pipe(client);
    conn.on('error', (e) => {
      fail(message(e));
      if (!client.writableEnded) client.end();
      end();
    });
    conn.once('close', end);
    client.once('reset', () => conn.destroy());
    client.once('close', () => conn.destroy());
  });
}

/** Serves port-forward stream pairs on an upgraded (or tunneled) SPDY session until it closes. */
export function servePortForwardSpdy(session: SpdySession, target: PortForwardTarget, backend: StreamBackend): Promise<void> {
  const pairs = new Map<string, { data?: SpdyStream; error?: SpdyStream; timer: NodeJS.Timeout }>();

  // Clients before 1.2 sent no requestid; the pair then shares the error stream's id (data = error + 2).
  const requestId = (s: SpdyStream): string => {
    const id = s.headers['requestid'];
    if (id) return id;
    return String(s.headers['streamtype'] === 'data' ? s.id - 2 : s.id);
  };

  const forward = async (data: SpdyStream, error: SpdyStream): Promise<void> => {
    const port = parsePort(data.headers['port'], '"port" header');
    const fail = (msg: string) => {
      if (!error.writableEnded) error.end(msg);
    };
    if (typeof port === 'string') {
      fail(port);
      data.end();
      return;
    }
    let conn: Duplex;
    try {
      conn = await backend.portForward({ namespace: target.namespace, pod: target.pod, port });
    } catch (e) {
      fail(`error forwarding port ${port} to pod ${target.namespace}/${target.pod}: ${message(e)}`);
      data.end();
      return;
    }
    if (data.terminated) {
      conn.destroy();
      return;
    }
    await pipeBoth(data, conn, (m) => fail(`error forwarding port ${port} to pod ${target.namespace}/${target.pod}: ${m}`));
    // kubectl waits for the error stream to end before it closes its local connection.
    if (!error.writableEnded) error.end();
    if (!data.writableEnded) data.end();
  };

  return new Promise<void>((resolve) => {
    session.on('stream', (s: SpdyStream) => {
      const type = s.headers['streamtype'];
      if (type !== 'data' && type !== 'error') {
        s.destroy();
        return;
      }
      const id = requestId(s);
      let pair = pairs.get(id);
      if (!pair) {
        const timer = setTimeout(() => {
          const p = pairs.get(id);
          pairs.delete(id);
          p?.error?.end('timed out waiting for streams');
          p?.data?.destroy();
        }, STREAM_CREATION_TIMEOUT_MS);
        timer.unref();
        pair = { timer };
        pairs.set(id, pair);
      }
      if (pair[type]) {
        s.destroy();
        return;
      }
      pair[type] = s;
      if (pair.data && pair.error) {
        clearTimeout(pair.timer);
        pairs.delete(id);
        void forward(pair.data, pair.error);
      }
    });
    session.once('close', () => {
      for (const p of pairs.values()) clearTimeout(p.timer);
      pairs.clear();
      resolve();
    });
  });
}

/** The channel form: per requested port, channel 2i carries data and 2i+1 errors, each opened with the port (LE16). */
export async function servePortForwardWs(
  ws: WebSocket,
  protocol: string,
  target: PortForwardTarget,
  ports: number[],
  backend: StreamBackend,
): Promise<void> {
  const conns: (Duplex | undefined)[] = [];
  const pending: Buffer[][] = ports.map(() => []);
  const conn = new ChannelConn(ws, protocol.includes('base64'), (channel, data) => {
    const i = channel >> 1;
    if (channel % 2 !== 0 || i >= ports.length) return;
    const c = conns[i];
    if (c) c.write(data);
    else pending[i]!.push(data);
  });
  ws.on('error', () => {});
  ws.once('close', () => {
    for (const c of conns) c?.destroy();
  });
  ports.forEach((port, i) => {
    const le = Buffer.alloc(2);
    le.writeUInt16LE(port);
    conn.send(2 * i, le);
    conn.send(2 * i + 1, le);
  });
  await Promise.all(
    ports.map(async (port, i) => {
      const fail = (m: string) => conn.send(2 * i + 1, Buffer.from(`error forwarding port ${port} to pod ${target.namespace}/${target.pod}: ${m}`));
      let c: Duplex;
      try {
        c = await backend.portForward({ namespace: target.namespace, pod: target.pod, port });
      } catch (e) {
        fail(message(e));
        return;
      }
      if (ws.readyState !== ws.OPEN) {
        c.destroy();
        return;
      }
      conns[i] = c;
      for (const b of pending[i]!) c.write(b);
      pending[i] = [];
      await new Promise<void>((resolve) => {
        c.on('data', (d: Buffer) => conn.send(2 * i, d));
        c.on('error', (e) => fail(message(e)));
        c.once('close', () => resolve());
      });
    }),
  );
  if (ws.readyState === ws.OPEN) ws.close(1000);
}
