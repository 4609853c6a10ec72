// The Azure Resource Manager front door as clients meet it: HTTPS, a bearer token on every
// request (401 AuthenticationFailed / InvalidAuthenticationToken otherwise), the api-version query
// parameter (400 MissingApiVersionParameter; unknown versions 400 NoRegisteredProviderFound for
// providers, InvalidApiVersionParameter for resource groups), JSON bodies, and ARM's error shape.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { ArmError } from './errors.ts';

/** Microsoft.ContainerService api-versions accepted (2026-04-01 is what @azure/arm-containerservice 25.x sends). */
export const CONTAINER_SERVICE_API_VERSIONS = [
  '2026-04-01', '2026-02-01', '2026-01-01', '2025-10-01', '2025-09-01', '2025-08-01', '2025-07-01', '2025-06-01', '2025-05-01',
  '2025-04-01', '2025-03-01', '2025-02-01', '2025-01-01', '2024-10-01', '2024-09-01', '2024-08-01', '2024-07-01', '2024-06-01',
  '2024-05-01', '2024-02-01', '2024-01-01', '2023-11-01', '2023-10-01', '2023-08-01',
];
/** Microsoft.Resources api-versions accepted (@azure/arm-resources 7.x sends 2025-04-01). */
export const RESOURCES_API_VERSIONS = ['2025-04-01', '2025-03-01', '2024-11-01', '2024-07-01', '2024-03-01', '2023-07-01', '2022-09-01', '2021-04-01', '2021-01-01', '2020-10-01', '2020-06-01', '2019-10-01'];

export interface ArmRequest {
  method: string;
  /** Path segments, decoded, in the client's case. */
  segments: string[];
  query: URLSearchParams;
  apiVersion: string;
  body: any;
  /** `https://host:port` as the client dialled it, for status URLs. */
  base: string;
}

export interface ArmResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ArmServerOptions {
  cert: string;
  key: string;
  token: string;
  handle: (req: ArmRequest) => Promise<ArmResponse>;
  location: () => string;
}

export class ArmServer {
  #opts: ArmServerOptions;
  #server: Server | undefined;
  #token: Buffer;

  constructor(opts: ArmServerOptions) {
    this.#opts = opts;
    this.#token = Buffer.from(opts.token);
  }

  async start(host: string, port: number): Promise<string> {
    const server = createServer({ cert: this.#opts.cert, key: this.#opts.key, minVersion: 'TLSv1.2' }, (req, res) => {
      this.#serve(req, res).catch((e) => send(res, 500, { error: { code: 'InternalServerError', message: String((e as Error)?.message ?? e) } }));
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.#server = server;
    const addr = server.address();
    return `https://${host}:${typeof addr === 'object' && addr ? addr.port : port}`;
  }

  async stop(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const auth = req.headers.authorization;
    const tenant = 'https://login.microsoftonline.com/common';
    if (!auth) {
      return send(res, 401, new ArmError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.").body(), {
        'www-authenticate': `Bearer authorization_uri="${tenant}", error="invalid_token", error_description="The authentication failed because of missing 'Authorization' header."`,
      });
    }
    const m = /^Bearer\s+(.+)$/i.exec(auth);
    const given = Buffer.from(m?.[1]?.trim() ?? '');
    if (!m || given.length !== this.#token.length || !timingSafeEqual(given, this.#token)) {
      return send(res, 401, new ArmError(401, 'InvalidAuthenticationToken', 'The access token is invalid.').body(), {
        'www-authenticate': `Bearer authorization_uri="${tenant}", error="invalid_token", error_description="The access token is invalid."`,
      });
    }
    const segments = url.pathname.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
    const versions = url.searchParams.getAll('api-version');
    const apiVersion = versions[0] ?? '';
    if (!apiVersion) {
      return send(res, 400, new ArmError(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.").body());
    }
    const lower = segments.map((s) => s.toLowerCase());
    const pi = lower.indexOf('providers');
    const namespace = pi >= 0 ? segments[pi + 1] : undefined;
    if (namespace && namespace.toLowerCase() === 'microsoft.containerservice') {
      if (!CONTAINER_SERVICE_API_VERSIONS.includes(apiVersion)) {
        const type = segments.slice(pi + 2).filter((_, i) => i % 2 === 0).join('/') || 'operations';
        return send(res, 400, new ArmError(400, 'NoRegisteredProviderFound',
          `No registered resource provider found for location '${this.#opts.location()}' and API version '${apiVersion}' for type '${type}'. The supported api-versions are '${CONTAINER_SERVICE_API_VERSIONS.join(', ')}'. The supported locations are '${this.#opts.location()}'.`).body());
      }
    } else if (!RESOURCES_API_VERSIONS.includes(apiVersion)) {
      return send(res, 400, new ArmError(400, 'InvalidApiVersionParameter',
        `The api-version '${apiVersion}' is invalid. The supported versions are '${RESOURCES_API_VERSIONS.join(',')}'. Please use one of the supported versions.`).body());
    }
    let body: unknown;
    if (chunks.length) {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim()) {
        try {
          body = JSON.parse(text);
        } catch (e) {
          return send(res, 400, new ArmError(400, 'InvalidRequestContent', `The request content was invalid and could not be deserialized: '${(e as Error).message}'.`).body());
        }
      }
    }
    const base = `https://${req.headers.host ?? 'localhost'}`;
    try {
      const out = await this.#opts.handle({ method: (req.method ?? 'GET').toUpperCase(), segments, query: url.searchParams, apiVersion, body, base });
      send(res, out.status, req.method === 'HEAD' ? undefined : out.body, out.headers);
    } catch (e) {
      if (e instanceof ArmError) return send(res, e.status, e.body(), e.headers);
      send(res, 500, { error: { code: 'InternalServerError', message: String((e as Error)?.message ?? e) } });
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    'content-length': Buffer.byteLength(text),
    'x-ms-request-id': crypto.randomUUID(),
    ...headers,
  });
  res.end(text);
}
