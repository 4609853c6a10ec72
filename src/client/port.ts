// The message-port transport: a component on a worker thread of the API server's process (the
// scheduler) reaches the server through a MessagePort, as a separate kube-scheduler process
// would over a socket. The server side runs each request through ApiServer.dispatch — the same
// chain of authorization, admission and registry as every other request — and streams watch
// responses back as JSON lines (the watch cache's stored encoding, so no re-encoding here).
// Messages are batched per turn of the event loop: a busy server emits thousands of watch events
// a second, and one message per event would wake the other thread as often.
import type { MessagePort } from 'node:worker_threads';
import { StatusError } from '../machinery/errors.ts';
import type { ApiServer } from '../apiserver/server.ts';
import type { UserInfo } from '../apiserver/types.ts';
import type { RawRequest, RawResponse, Transport, WatchStream } from './types.ts';
import { LineWatchStream } from './watchstream.ts';
import { toError } from './client.ts';
import { Sink } from './inprocess.ts';

type Bytes = string | Uint8Array;

/** Client → server. */
type Call =
  | { t: 'req' | 'watch'; id: number; method: string; path: string; headers?: Record<string, string>; body?: Bytes; withoutManagedFields?: boolean }
  | { t: 'close'; id: number };

/** Server → client. A watch answers `head` (200) then `data`, and `end`; a request answers `res`. */
type Reply =
  | { t: 'res' | 'end'; id: number; status: number; headers: Record<string, string>; body: Bytes }
  | { t: 'head'; id: number }
  | { t: 'data'; id: number; chunk: Bytes };

/** Messages posted as one array per turn of the event loop. */
class Outbox<M> {
  #port: MessagePort;
  #batch: M[] = [];
  #closed = false;

  #withoutManagedFields: boolean;

  /**
   * `withoutManagedFields`: whoever watches through this transport never reads
   * metadata.managedFields, so the server leaves them out of watch events.
   */
  constructor(port: MessagePort, opts: { withoutManagedFields?: boolean } = {}) {
    this.#port = port;
    this.#withoutManagedFields = opts.withoutManagedFields === true;
  }

  post(m: M) {
    if (this.#closed) return;
    if (this.#batch.push(m) === 1) setImmediate(() => this.#flush());
  }

  #flush() {
    const batch = this.#batch;
    this.#batch = [];
    if (!this.#closed && batch.length) this.#port.postMessage(batch);
  }

  close() {
    this.#flush();
    this.#closed = true;
  }
}

const toBuffer = (b: Bytes): Buffer => (typeof b === 'string' ? Buffer.from(b) : Buffer.from(b.buffer, b.byteOffset, b.byteLength));
/** Text stays text; bytes (a protobuf body) cross as a Uint8Array. */
const fromBody = (b: string | Buffer): Bytes => (typeof b === 'string' ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength));

/** The server side: answers the calls that arrive on `port` as `user`. Returns a function that stops it. */
export function servePort(api: ApiServer, port: MessagePort, user: UserInfo): () => void {
  const out = new Outbox<Reply>(port);
  const watches = new Map<number, Sink>();
  const dispatch = (c: Extract<Call, { method: string }>, sink: Sink) =>
    api.dispatch({ method: c.method, url: c.path, headers: { accept: 'application/json', ...(c.headers ?? {}) }, ...(c.body !== undefined ? { body: typeof c.body === 'string' ? c.body : toBuffer(c.body) } : {}), user }, sink);
  const fail = (id: number, e: unknown) => out.post({ t: 'res', id, status: 500, headers: {}, body: JSON.stringify(new StatusError(500, 'InternalError', String((e as Error)?.message ?? e)).status) });

  const request = (c: Extract<Call, { method: string }>) => {
    const sink = new Sink();
    dispatch(c, sink).then(
      () => out.post({ t: 'res', id: c.id, status: sink.status, headers: sink.headers, body: fromBody(sink.content()) }),
      (e) => fail(c.id, e),
    );
  };

  const watch = (c: Extract<Call, { method: string }>) => {
    const sink = new Sink();
    sink.withoutManagedFields = c.withoutManagedFields === true;
    watches.set(c.id, sink);
    sink.onHead = () => {
      if (sink.status !== 200) return;
      sink.onData = (chunk) => out.post({ t: 'data', id: c.id, chunk: fromBody(chunk) });
      out.post({ t: 'head', id: c.id });
    };
    sink.onEnd = () => {
      watches.delete(c.id);
      out.post({ t: 'end', id: c.id, status: sink.status, headers: sink.headers, body: fromBody(sink.content()) });
    };
    dispatch(c, sink).catch((e) => {
      watches.delete(c.id);
      fail(c.id, e);
    });
  };

  const closeAll = () => {
    for (const sink of watches.values()) sink.close();
    watches.clear();
  };
  port.on('message', (batch: Call[]) => {
    for (const c of batch) {
      if (c.t === 'req') request(c);
      else if (c.t === 'watch') watch(c);
      else {
        watches.get(c.id)?.close();
        watches.delete(c.id);
      }
    }
  });
  port.on('close', closeAll);
  return () => {
    closeAll();
    out.close();
    port.close();
  };
}

interface OpenWatch {
  stream: LineWatchStream | undefined;
  resolve: (s: WatchStream) => void;
  reject: (e: Error) => void;
}

/** The client side, on the worker thread. */
export class PortTransport implements Transport {
  #port: MessagePort;
  #out: Outbox<Call>;
  #next = 1;
  #requests = new Map<number, { resolve: (r: RawResponse) => void; reject: (e: Error) => void }>();
  #watches = new Map<number, OpenWatch>();
  #closed = false;

  #withoutManagedFields: boolean;

  /**
   * `withoutManagedFields`: whoever watches through this transport never reads
   * metadata.managedFields, so the server leaves them out of watch events.
   */
  constructor(port: MessagePort, opts: { withoutManagedFields?: boolean } = {}) {
    this.#port = port;
    this.#withoutManagedFields = opts.withoutManagedFields === true;
    this.#out = new Outbox(port);
    port.on('message', (batch: Reply[]) => {
      for (const r of batch) this.#receive(r);
    });
    port.on('close', () => this.close());
  }

  #receive(r: Reply) {
    if (r.t === 'res') {
      const p = this.#requests.get(r.id);
      this.#requests.delete(r.id);
      p?.resolve({ status: r.status, headers: r.headers, body: toBuffer(r.body) });
      return;
    }
    const w = this.#watches.get(r.id);
    if (!w) return;
    if (r.t === 'head') {
      w.stream = new LineWatchStream(() => {
        if (this.#watches.delete(r.id)) this.#out.post({ t: 'close', id: r.id });
      });
      w.resolve(w.stream);
    } else if (r.t === 'data') w.stream?.feed(typeof r.chunk === 'string' ? r.chunk : toBuffer(r.chunk));
    else {
      this.#watches.delete(r.id);
      if (w.stream) w.stream.end();
      else w.reject(toError({ status: r.status, headers: r.headers, body: toBuffer(r.body) }));
    }
  }

  #call(c: Call) {
    if (this.#closed) throw new Error('the transport is closed');
    this.#out.post(c);
  }

  #body(req: RawRequest) {
    return req.body === undefined ? {} : { body: fromBody(req.body) };
  }

  request(req: RawRequest): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const id = this.#next++;
      this.#call({ t: 'req', id, method: req.method, path: req.path, ...(req.headers ? { headers: req.headers } : {}), ...this.#body(req) });
      this.#requests.set(id, { resolve, reject });
    });
  }

  watch(req: RawRequest): Promise<WatchStream> {
    return new Promise((resolve, reject) => {
      const id = this.#next++;
      this.#call({ t: 'watch', id, method: req.method, path: req.path, ...(req.headers ? { headers: req.headers } : {}), ...(this.#withoutManagedFields ? { withoutManagedFields: true } : {}) });
      this.#watches.set(id, { stream: undefined, resolve, reject });
    });
  }

  /** Fails what is in flight, ends every watch and closes the port. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const gone = new Error('the transport is closed');
    for (const p of this.#requests.values()) p.reject(gone);
    this.#requests.clear();
    for (const w of this.#watches.values()) {
      if (w.stream) w.stream.end();
      else w.reject(gone);
    }
    this.#watches.clear();
    this.#out.close();
    this.#port.close();
  }
}
