// The ARM client the az-style commands use: finds the management service through
// <dataDir>/aks/endpoint.json, sends `Authorization: Bearer <token>` over HTTPS trusting the
// service's CA, and follows long-running operations as az does (201/202 with
// Azure-AsyncOperation polled to Succeeded/Failed/Canceled then the resource read again, or a
// Location polled until it stops answering 202).
import { existsSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { endpointFile, readEndpoint as readEndpointFile, type Endpoint } from '../../aks/endpoint.ts';

export const API_VERSION = '2026-04-01';
export const GROUPS_API_VERSION = '2022-09-01';

export { endpointFile, type Endpoint };

/** A failure that is not the service's answer (no service, unreachable): exit 1, one line. */
export class CliError extends Error {
  override name = 'CliError';
}

/** An ARM error answer: printed as `(Code) Message`. */
export class ArmError extends Error {
  override name = 'ArmError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export function readEndpoint(dataDir: string): Endpoint {
  const file = endpointFile(dataDir);
  if (!existsSync(file)) {
    throw new CliError(`the Skiff management service is not running for ${dataDir} (no ${file}); start it with "skiff aks serve" or "skiff up"`);
  }
  const ep = readEndpointFile(dataDir);
  if (!ep) throw new CliError(`cannot read ${file}`);
  if (!ep.url || !ep.subscriptionId) throw new CliError(`${file} does not name the service's url and subscriptionId`);
  return ep;
}

export interface ArmResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: any;
}

export interface LroOptions {
  noWait?: boolean;
  /** Called while waiting (the progress indicator). */
  onPoll?: () => void;
}

const TERMINAL = new Set(['succeeded', 'failed', 'canceled', 'cancelled']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ArmClient {
  readonly endpoint: Endpoint;
  readonly #token: string;
  readonly #ca: string | undefined;
  readonly #pollMs: number;

  constructor(endpoint: Endpoint, opts: { token?: string; ca?: string; pollMs?: number } = {}) {
    this.endpoint = endpoint;
    this.#token = opts.token ?? readFileSync(endpoint.tokenFile, 'utf8').trim();
    this.#ca = opts.ca ?? (endpoint.caFile && existsSync(endpoint.caFile) ? readFileSync(endpoint.caFile, 'utf8') : undefined);
    this.#pollMs = opts.pollMs ?? 250;
  }

  get subscriptionId(): string {
    return this.endpoint.subscriptionId;
  }

  get token(): string {
    return this.#token;
  }

  /** `/subscriptions/<sub>/resourcegroups/<rg>` */
  groupPath(rg?: string): string {
    const base = `/subscriptions/${this.subscriptionId}/resourcegroups`;
    return rg === undefined ? base : `${base}/${encodeURIComponent(rg)}`;
  }

  /** `/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.ContainerService/managedClusters[/<name>]` */
  clusterPath(rg: string | undefined, name?: string): string {
    const scope = rg === undefined ? `/subscriptions/${this.subscriptionId}` : `/subscriptions/${this.subscriptionId}/resourceGroups/${encodeURIComponent(rg)}`;
    const base = `${scope}/providers/Microsoft.ContainerService/managedClusters`;
    return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
  }

  /** Sends one request; `path` may carry a query or be an absolute URL (polling links). */
  request(method: string, path: string, body?: unknown, apiVersion: string | null = API_VERSION): Promise<ArmResponse> {
    const url = new URL(path, this.endpoint.url);
    if (apiVersion && !url.searchParams.has('api-version')) url.searchParams.set('api-version', apiVersion);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#token}`,
      accept: 'application/json',
      'user-agent': 'skiff-cli (AZURECLI-compatible)',
    };
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, { method, headers, ...(url.protocol === 'https:' && this.#ca ? { ca: this.#ca } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = undefined;
          if (text.trim()) {
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = text;
            }
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
        res.on('error', reject);
      });
      req.on('error', (e: NodeJS.ErrnoException) => {
        reject(new CliError(`cannot reach the Skiff management service at ${this.endpoint.url} (${e.code ?? e.message}); is "skiff aks serve" or "skiff up" running?`));
      });
      if (payload) req.write(payload);
      req.end();
    });
  }

  /** A request whose error answers (>= 400) become ArmErrors. */
  async call(method: string, path: string, body?: unknown, apiVersion: string | null = API_VERSION): Promise<ArmResponse> {
    const r = await this.request(method, path, body, apiVersion);
    if (r.status >= 400) throw armError(r);
    return r;
  }

  async get(path: string, apiVersion: string | null = API_VERSION): Promise<any> {
    return (await this.call('GET', path, undefined, apiVersion)).body;
  }

  /** Every item of a paged list (`value` + `nextLink`). */
  async list(path: string, apiVersion: string | null = API_VERSION): Promise<any[]> {
    const out: any[] = [];
    let next: string | undefined = path;
    while (next) {
      const body: any = await this.get(next, apiVersion);
      out.push(...(body?.value ?? []));
      next = body?.nextLink || undefined;
    }
    return out;
  }

  /** A long-running PUT/PATCH/POST/DELETE, followed to its end unless noWait. */
  async lro(method: string, path: string, body: unknown, opts: LroOptions = {}, apiVersion: string | null = API_VERSION): Promise<any> {
    const first = await this.call(method, path, body, apiVersion);
    if (opts.noWait) return undefined;
    const asyncUrl = header(first.headers, 'azure-asyncoperation');
    const location = header(first.headers, 'location');
    if (asyncUrl && (first.status === 201 || first.status === 202 || !terminalState(first.body))) {
      const op = await this.#pollUntil(asyncUrl, (b) => TERMINAL.has(String(b?.status ?? '').toLowerCase()), opts, apiVersion);
      const status = String(op?.status ?? '').toLowerCase();
      if (status !== 'succeeded') throw operationError(op);
      if (method === 'DELETE') return undefined;
      if (method === 'POST') return location ? this.#getAfter(location, apiVersion) : op?.properties ? op : undefined;
      return this.get(path, apiVersion);
    }
    if (location && first.status === 202) return this.#getAfter(location, apiVersion, opts);
    if ((method === 'PUT' || method === 'PATCH') && first.body && !terminalState(first.body)) {
      const res = await this.#pollUntil(path, (b) => terminalState(b), opts, apiVersion);
      const state = String(res?.properties?.provisioningState ?? '').toLowerCase();
      if (state === 'failed' || state === 'canceled') throw new ArmError('OperationFailed', `The operation ended in provisioning state ${res.properties.provisioningState}.`, 200);
      return res;
    }
    return method === 'DELETE' ? undefined : first.body;
  }

  async #getAfter(location: string, apiVersion: string | null, opts: LroOptions = {}): Promise<any> {
    for (;;) {
      const r = await this.request('GET', location, undefined, apiVersion);
      if (r.status >= 400) throw armError(r);
      if (r.status !== 202) return r.status === 204 ? undefined : r.body;
      opts.onPoll?.();
      await sleep(this.#pollMs);
    }
  }

  async #pollUntil(url: string, done: (body: any) => boolean, opts: LroOptions, apiVersion: string | null): Promise<any> {
    for (;;) {
      const body = await this.get(url, apiVersion);
      if (done(body)) return body;
      opts.onPoll?.();
      await sleep(this.#pollMs);
    }
  }
}

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function terminalState(body: any): boolean {
  const s = body?.properties?.provisioningState;
  return s === undefined || TERMINAL.has(String(s).toLowerCase());
}

export function armError(r: ArmResponse): ArmError {
  const e = r.body?.error ?? r.body;
  if (e && typeof e === 'object' && (e.code || e.message)) return new ArmError(String(e.code ?? r.status), String(e.message ?? ''), r.status);
  const text = typeof r.body === 'string' && r.body ? r.body.trim() : `the service answered HTTP ${r.status}`;
  return new ArmError(r.status === 404 ? 'NotFound' : r.status === 401 ? 'AuthenticationFailed' : `HTTP${r.status}`, text, r.status);
}

function operationError(op: any): ArmError {
  const e = op?.error;
  if (e?.code || e?.message) return new ArmError(String(e.code ?? 'OperationFailed'), String(e.message ?? ''), 200);
  return new ArmError('OperationFailed', `The operation ended with status ${op?.status ?? 'unknown'}.`, 200);
}
