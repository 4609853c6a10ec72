// The HTTP(S) transport: keep-alive connections to an API server URL, with a bearer token or a
// client certificate, as a kubeconfig describes them.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { RawRequest, RawResponse, Transport, WatchStream } from './types.ts';
import { LineWatchStream } from './watchstream.ts';
import { toError } from './client.ts';

export interface HttpTransportOptions {
  server: string;
  token?: string;
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  insecureSkipTLSVerify?: boolean;
  maxSockets?: number;
  userAgent?: string;
}

function headersOf(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export class HttpTransport implements Transport {
  #url: URL;
  #agent: HttpAgent;
  #opts: HttpTransportOptions;
  #https: boolean;

  constructor(opts: HttpTransportOptions) {
    this.#opts = opts;
    this.#url = new URL(opts.server);
    this.#https = this.#url.protocol === 'https:';
    const common = { keepAlive: true, maxSockets: opts.maxSockets ?? 64 };
    this.#agent = this.#https
      ? new HttpsAgent({ ...common, ca: opts.ca, cert: opts.cert, key: opts.key, rejectUnauthorized: !opts.insecureSkipTLSVerify })
      : new HttpAgent(common);
  }

  #send(req: RawRequest, onResponse: (res: IncomingMessage) => void, onError: (e: Error) => void) {
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': this.#opts.userAgent ?? 'skiff', ...(req.headers ?? {}) };
    if (this.#opts.token) headers.Authorization = `Bearer ${this.#opts.token}`;
    const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
    if (body) headers['Content-Length'] = String(body.length);
    const fn = this.#https ? httpsRequest : httpRequest;
    const r = fn({ agent: this.#agent, host: this.#url.hostname, port: this.#url.port, method: req.method, path: req.path, headers }, onResponse);
    r.on('error', onError);
    r.end(body);
    return r;
  }

  request(req: RawRequest): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      this.#send(
        req,
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: headersOf(res), body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
        reject,
      );
    });
  }

  watch(req: RawRequest): Promise<WatchStream> {
    return new Promise((resolve, reject) => {
      let stream: LineWatchStream | undefined;
      const r = this.#send(
        req,
        (res) => {
          if ((res.statusCode ?? 0) !== 200) {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => reject(toError({ status: res.statusCode ?? 0, headers: headersOf(res), body: Buffer.concat(chunks) })));
            return;
          }
          stream = new LineWatchStream(() => r.destroy());
          res.on('data', (c: Buffer) => stream!.feed(c));
          res.on('end', () => stream!.end());
          res.on('error', () => stream!.end());
          resolve(stream);
        },
        (e) => (stream ? stream.end() : reject(e)),
      );
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
