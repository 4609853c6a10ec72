// The data plane of the service proxy, the user-space equivalent of kube-proxy's DNAT rules: a TCP
// listener forwards each connection to an endpoint (trying the next endpoint when one refuses, and
// resetting the client when none is left), a UDP listener keeps one upstream socket per client
// address and port (a conntrack-like flow with an idle timeout). Closing a TCP listener stops new
// connections only; established ones drain.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createSocket, type Socket as UdpSocket, type RemoteInfo } from 'node:dgram';
import type { Clock, Timer } from '../machinery/clock.ts';
import type { PortBalancer } from './balancer.ts';

/** How long a TCP connect to an endpoint may take before the next endpoint is tried. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** kube-proxy leaves UDP flows to conntrack, whose default UDP timeout is 30 s (120 s once replied). */
export const DEFAULT_UDP_IDLE_MS = 120_000;

export interface ProxyListener {
  readonly protocol: 'TCP' | 'UDP';
  /** Which Service port this address serves now (swapped in place when the Service changes). */
  balancer: PortBalancer;
  /** Stops accepting; TCP connections already established carry on until they end. */
  close(): void;
  /** Drops UDP flows to endpoints that left. */
  endpointsRemoved(gone: Set<string>): void;
}

function bindError(e: NodeJS.ErrnoException, proto: string, ip: string, port: number): Error {
  const addr = `${proto.toLowerCase()} ${ip}:${port}`;
  let why = e.message;
  if (e.code === 'EADDRINUSE') why = 'address already in use';
  else if (e.code === 'EACCES') why = `permission denied${port < 1024 ? ' (ports below 1024 need root or CAP_NET_BIND_SERVICE)' : ''}`;
  else if (e.code === 'EADDRNOTAVAIL') why = 'cannot assign requested address (not a local address)';
  const err = new Error(`can't listen on ${addr}: ${why}`, { cause: e }) as NodeJS.ErrnoException;
  err.code = e.code;
  return err;
}

export class TcpListener implements ProxyListener {
  readonly protocol = 'TCP' as const;
  balancer: PortBalancer;
  #server: Server;
  #conns: Set<Socket>;

  private constructor(server: Server, balancer: PortBalancer, conns: Set<Socket>) {
    this.#server = server;
    this.balancer = balancer;
    this.#conns = conns;
  }

  /** Binds ip:port; rejects with a readable error (address in use, permission denied). */
  static listen(ip: string, port: number, balancer: PortBalancer, conns: Set<Socket>): Promise<TcpListener> {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
    const l = new TcpListener(server, balancer, conns);
    server.on('connection', (c) => l.#accept(c));
    return new Promise((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException) => reject(bindError(e, 'TCP', ip, port));
      server.once('error', onError);
      server.listen({ host: ip, port, exclusive: true, backlog: 1024 }, () => {
        server.off('error', onError);
        server.on('error', () => {});
        resolve(l);
      });
    });
  }

  close(): void {
    this.#server.close();
  }

  endpointsRemoved(): void {
    // TCP connections to a removed endpoint stay up, as conntrack keeps established TCP flows.
  }

  #accept(client: Socket) {
    const conns = this.#conns;
    conns.add(client);
    client.on('close', () => conns.delete(client));
    client.on('error', () => {});
    this.#dial(client, this.balancer, undefined);
  }

  #dial(client: Socket, balancer: PortBalancer, tried: Set<string> | undefined) {
    if (client.destroyed) return;
    const b = balancer.pick(client.remoteAddress ?? '', tried);
    if (!b) {
      // No endpoint (left): the client sees a reset, as with kube-proxy's REJECT rule.
      client.resetAndDestroy();
      return;
    }
    const up = connect({ host: b.ip, port: b.port, allowHalfOpen: true, noDelay: true });
    let connected = false;
    const onClientClose = () => up.destroy();
    client.once('close', onClientClose);
    up.setTimeout(CONNECT_TIMEOUT_MS, () => up.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })));
    up.once('connect', () => {
      connected = true;
      up.setTimeout(0);
      this.#conns.add(up);
      up.once('close', () => this.#conns.delete(up));
      client.off('close', onClientClose);
      client.on('close', () => {
        if (!up.destroyed) up.destroy();
      });
      up.on('close', () => {
        if (!client.destroyed) client.destroy();
      });
      client.pipe(up);
      up.pipe(client);
      client.resume();
    });
    up.on('error', (e: NodeJS.ErrnoException) => {
      if (!connected) {
        client.off('close', onClientClose);
        up.destroy();
        (tried ??= new Set()).add(b.key);
        this.#dial(client, balancer, tried);
        return;
      }
      // An endpoint that resets its side resets the client's too.
      if (e.code === 'ECONNRESET' && !client.destroyed) client.resetAndDestroy();
      else client.destroy();
    });
  }
}

interface Flow {
  up: UdpSocket;
  /** The endpoint's `ip:port`, and its parts. */
  backend: string;
  ip: string;
  port: number;
  last: number;
}

export class UdpListener implements ProxyListener {
  readonly protocol = 'UDP' as const;
  balancer: PortBalancer;
  #sock: UdpSocket;
  #flows = new Map<string, Flow>();
  #clock: Clock;
  #idleMs: number;
  #sweep: Timer | undefined;
  #closed = false;

  private constructor(sock: UdpSocket, balancer: PortBalancer, clock: Clock, idleMs: number) {
    this.#sock = sock;
    this.balancer = balancer;
    this.#clock = clock;
    this.#idleMs = idleMs;
  }

  static listen(ip: string, port: number, balancer: PortBalancer, clock: Clock, idleMs = DEFAULT_UDP_IDLE_MS): Promise<UdpListener> {
    const sock = createSocket({ type: 'udp4' });
    const l = new UdpListener(sock, balancer, clock, idleMs);
    sock.on('message', (msg, rinfo) => l.#onMessage(msg, rinfo));
    return new Promise((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException) => {
        sock.close();
        reject(bindError(e, 'UDP', ip, port));
      };
      sock.once('error', onError);
      sock.bind({ address: ip, port, exclusive: true }, () => {
        sock.off('error', onError);
        sock.on('error', () => {});
        resolve(l);
      });
    });
  }

  /** Open flows (for tests and diagnostics). */
  get flows(): number {
    return this.#flows.size;
  }

  #onMessage(msg: Buffer, rinfo: RemoteInfo) {
    const key = `${rinfo.address}:${rinfo.port}`;
    let flow = this.#flows.get(key);
    const now = this.#clock.now();
    if (!flow) {
      const b = this.balancer.pick(rinfo.address);
      if (!b) return; // nothing to send to: dropped
      const up = createSocket({ type: 'udp4' });
      const f: Flow = { up, backend: b.key, ip: b.ip, port: b.port, last: now };
      flow = f;
      up.on('message', (reply) => {
        f.last = this.#clock.now();
        if (!this.#closed) this.#sock.send(reply, rinfo.port, rinfo.address);
      });
      // ICMP port unreachable and the like: forget the flow, the next datagram picks again.
      up.on('error', () => this.#drop(key, f));
      this.#flows.set(key, f);
      this.#scheduleSweep();
      up.send(msg, b.port, b.ip);
      return;
    }
    flow.last = now;
    this.balancer.touch(rinfo.address);
    flow.up.send(msg, flow.port, flow.ip);
  }

  #drop(key: string, f: Flow) {
    if (this.#flows.get(key) === f) this.#flows.delete(key);
    try {
      f.up.close();
    } catch {
      // already closed
    }
  }

  #scheduleSweep() {
    if (this.#sweep || this.#closed) return;
    this.#sweep = this.#clock.after(Math.max(1000, this.#idleMs / 2), () => {
      this.#sweep = undefined;
      const now = this.#clock.now();
      for (const [k, f] of this.#flows) if (now - f.last >= this.#idleMs) this.#drop(k, f);
      if (this.#flows.size) this.#scheduleSweep();
    });
  }

  endpointsRemoved(gone: Set<string>): void {
    for (const [k, f] of this.#flows) if (gone.has(f.backend)) this.#drop(k, f);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sweep?.cancel();
    for (const [k, f] of this.#flows) this.#drop(k, f);
    this.#sock.close();
  }
}
