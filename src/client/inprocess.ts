// The in-process transport: components that share a process with the API server (controllers,
// scheduler, simulated nodes) send their requests through ApiServer.dispatch — the same chain of
// authorization, admission and registry — without sockets or HTTP parsing.
import type { ApiServer } from '../apiserver/server.ts';
import type { ResponseSink, UserInfo } from '../apiserver/types.ts';
import type { Obj, RawRequest, RawResponse, Transport, WatchEvent, WatchStream } from './types.ts';
import { LineWatchStream } from './watchstream.ts';
import { toError } from './client.ts';

/** A ResponseSink that collects what the server writes (shared with the message-port transport). */
export class Sink implements ResponseSink {
  status = 200;
  headers: Record<string, string> = {};
  /** What the server wrote, as it wrote it (text stays text until the response is taken). */
  chunks: (string | Buffer)[] = [];
  headersSent = false;
  writableEnded = false;
  writableLength = 0;
  #closeListeners: (() => void)[] = [];
  onHead: (() => void) | undefined;
  onData: ((c: string | Buffer) => void) | undefined;
  onEnd: (() => void) | undefined;
  writeEvent: ((type: string, object: Obj) => void) | undefined;
  withoutManagedFields = false;

  setHeader(name: string, value: string) {
    this.headers[name.toLowerCase()] = value;
  }
  writeHead(code: number, headers: Record<string, string> = {}) {
    this.status = code;
    for (const [k, v] of Object.entries(headers)) this.setHeader(k, v);
    this.headersSent = true;
    this.onHead?.();
  }
  flushHeaders() {
    if (!this.headersSent) this.writeHead(this.status);
  }
  write(chunk: string | Buffer): boolean {
    if (!this.headersSent) this.writeHead(this.status);
    if (this.onData) this.onData(chunk);
    else this.chunks.push(chunk);
    return true;
  }
  end(chunk?: string | Buffer) {
    if (this.writableEnded) return;
    if (chunk !== undefined) this.write(chunk);
    else if (!this.headersSent) this.writeHead(this.status);
    this.writableEnded = true;
    this.onEnd?.();
  }
  on(_event: 'close', listener: () => void) {
    this.#closeListeners.push(listener);
  }
  /** The client went away (closes a watch on the server side). */
  close() {
    for (const l of this.#closeListeners.splice(0)) l();
  }

  /** The body as one buffer: one conversion for the usual single chunk. */
  body(): Buffer {
    const c = this.content();
    return typeof c === 'string' ? Buffer.from(c) : c;
  }

  /** The body as written: text when every chunk was text, else bytes. */
  content(): string | Buffer {
    const c = this.chunks;
    if (c.length === 1) return c[0]!;
    if (c.every((x) => typeof x === 'string')) return c.join('');
    return Buffer.concat(c.map((x) => (Buffer.isBuffer(x) ? x : Buffer.from(x))));
  }
}

export class InProcessTransport implements Transport {
  #api: ApiServer;
  #user: UserInfo;

  constructor(api: ApiServer, user: UserInfo) {
    this.#api = api;
    this.#user = user;
  }

  #dispatch(req: RawRequest, sink: Sink): Promise<void> {
    return this.#api.dispatch({ method: req.method, url: req.path, headers: { accept: 'application/json', ...(req.headers ?? {}) }, ...(req.body !== undefined ? { body: req.body } : {}), user: this.#user }, sink);
  }

  async request(req: RawRequest): Promise<RawResponse> {
    const sink = new Sink();
    await this.#dispatch(req, sink);
    return { status: sink.status, headers: sink.headers, body: sink.body() };
  }

  watch(req: RawRequest): Promise<WatchStream> {
    return new Promise((resolve, reject) => {
      const sink = new Sink();
      const stream = new LineWatchStream(() => sink.close());
      sink.onHead = () => {
        if (sink.status === 200) {
          sink.onData = (c) => stream.feed(c);
          sink.writeEvent = (type, object) => stream.pushEvent({ type: type as WatchEvent['type'], object });
          resolve(stream);
        }
      };
      sink.onEnd = () => {
        if (sink.status !== 200) reject(toError({ status: sink.status, headers: sink.headers, body: sink.body() }));
        else stream.end();
      };
      this.#dispatch(req, sink).catch(reject);
    });
  }
}
