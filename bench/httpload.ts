// The load generator's HTTP/1.1 client: one keep-alive connection per worker on a raw socket,
// requests written as one string, responses read by Content-Length or chunked framing. It does
// what wrk or hey do for a server benchmark: the benchmark shares two cores with the server, and
// node's http client spends several times this CPU per request (agent, IncomingMessage, streams),
// all of it taken from the server under test. Only the bench uses it; it does not follow
// redirects, upgrades or 1xx responses, which the API server's create path never sends.
import { connect, type Socket } from 'node:net';

export interface Reply {
  status: number;
  body: string;
}

interface Pending {
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
}

const CRLF2 = Buffer.from('\r\n\r\n');

/** One keep-alive connection carrying one request at a time. */
export class LoadConnection {
  #socket: Socket;
  #host: string;
  #buf: Buffer = Buffer.alloc(0);
  #pending: Pending | undefined;

  private constructor(socket: Socket, host: string) {
    this.#socket = socket;
    this.#host = host;
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => {
      this.#buf = this.#buf.length ? Buffer.concat([this.#buf, d]) : d;
      this.#parse();
    });
    const fail = (e: Error) => {
      const p = this.#pending;
      this.#pending = undefined;
      p?.reject(e);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  static open(url: string): Promise<LoadConnection> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const s = connect({ host: u.hostname, port: Number(u.port) }, () => resolve(new LoadConnection(s, u.host)));
      s.once('error', reject);
    });
  }

  request(method: string, path: string, body?: string, contentType = 'application/json'): Promise<Reply> {
    if (this.#pending) return Promise.reject(new Error('one request at a time'));
    return new Promise<Reply>((resolve, reject) => {
      this.#pending = { resolve, reject };
      let head = `${method} ${path} HTTP/1.1\r\nHost: ${this.#host}\r\nAccept: application/json\r\n`;
      if (body !== undefined) head += `Content-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
      this.#socket.write(head + '\r\n' + (body ?? ''));
    });
  }

  close(): void {
    this.#socket.destroy();
  }

  #parse(): void {
    const p = this.#pending;
    if (!p) return;
    const end = this.#buf.indexOf(CRLF2);
    if (end < 0) return;
    const head = this.#buf.toString('latin1', 0, end);
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    const start = end + 4;
    let body: string;
    let rest: Buffer;
    if (length) {
      const n = Number(length[1]);
      if (this.#buf.length < start + n) return;
      body = this.#buf.toString('utf8', start, start + n);
      rest = this.#buf.subarray(start + n);
    } else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      const parts: Buffer[] = [];
      let at = start;
      for (;;) {
        const nl = this.#buf.indexOf('\r\n', at);
        if (nl < 0) return;
        const size = parseInt(this.#buf.toString('latin1', at, nl), 16);
        if (this.#buf.length < nl + 2 + size + 2) return;
        if (size === 0) {
          at = nl + 4;
          break;
        }
        parts.push(this.#buf.subarray(nl + 2, nl + 2 + size));
        at = nl + 2 + size + 2;
      }
      body = Buffer.concat(parts).toString('utf8');
      rest = this.#buf.subarray(at);
    } else {
      p.reject(new Error(`response without a length: ${head.split('\r\n')[0]}`));
      this.#pending = undefined;
      return;
    }
    this.#buf = rest;
    this.#pending = undefined;
    p.resolve({ status, body });
  }
}

/** `n` open connections to `url`. */
export function openConnections(url: string, n: number): Promise<LoadConnection[]> {
  return Promise.all(Array.from({ length: n }, () => LoadConnection.open(url)));
}

/** Connections handed to one request at a time; as many as the load's workers, so one is always free. */
export class ConnectionPool {
  #free: LoadConnection[];
  #all: LoadConnection[];

  private constructor(conns: LoadConnection[]) {
    this.#all = conns;
    this.#free = [...conns];
  }

  static async open(url: string, n: number): Promise<ConnectionPool> {
    return new ConnectionPool(await openConnections(url, n));
  }

  async request(method: string, path: string, body?: string): Promise<Reply> {
    const c = this.#free.pop();
    if (!c) throw new Error('bench: more requests in flight than connections');
    try {
      return await c.request(method, path, body);
    } finally {
      this.#free.push(c);
    }
  }

  close(): void {
    for (const c of this.#all) c.close();
  }
}
