// The local control channel of a running `skiff up`: a small HTTP API on a unix socket in the data
// dir, for what has no Kubernetes API — fault injection (`skiff node fail|recover`) and the
// scheduler's explanations (`skiff explain pod`). Only the user who owns the data dir can reach it.
import { createServer, request, type Server } from 'node:http';
import { chmodSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface ControlHandlers {
  failNode(name: string): Promise<boolean> | boolean;
  recoverNode(name: string): Promise<boolean> | boolean;
  explainPod(namespace: string, name: string): Promise<unknown> | unknown;
  /** `skiff certs rotate [--ca]`. */
  rotateCerts?(ca: boolean): Promise<void>;
  /** `skiff update --api-server-authorized-ip-ranges`; throws on an invalid range. */
  setAuthorizedIPRanges?(ranges: string[]): void;
}

export const controlSocket = (dataDir: string) => join(dataDir, 'control.sock');

export class ControlServer {
  #server: Server | undefined;
  #path: string;

  constructor(dataDir: string, readonly handlers: ControlHandlers) {
    this.#path = controlSocket(dataDir);
  }

  async start(): Promise<void> {
    if (existsSync(this.#path)) rmSync(this.#path);
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://control');
      const send = (code: number, body: unknown) => {
        res.writeHead(code, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      void (async () => {
        const node = /^\/nodes\/([^/]+)\/(fail|recover)$/.exec(url.pathname);
        if (node && req.method === 'POST') {
          const name = decodeURIComponent(node[1]!);
          const ok = node[2] === 'fail' ? await this.handlers.failNode(name) : await this.handlers.recoverNode(name);
          return ok ? send(200, { node: name, state: node[2] === 'fail' ? 'failed' : 'recovered' }) : send(404, { error: `node "${name}" not found` });
        }
        if (url.pathname === '/explain/pod' && req.method === 'GET') {
          const result = await this.handlers.explainPod(url.searchParams.get('namespace') ?? 'default', url.searchParams.get('name') ?? '');
          return result ? send(200, result) : send(404, { error: `pod "${url.searchParams.get('name')}" not found` });
        }
        if (url.pathname === '/certs/rotate' && req.method === 'POST' && this.handlers.rotateCerts) {
          await this.handlers.rotateCerts(url.searchParams.get('ca') === 'true');
          return send(200, { rotated: true });
        }
        if (url.pathname === '/authorized-ip-ranges' && req.method === 'PUT' && this.handlers.setAuthorizedIPRanges) {
          const ranges = (url.searchParams.get('ranges') ?? '').split(',').map((r) => r.trim()).filter(Boolean);
          try {
            this.handlers.setAuthorizedIPRanges(ranges);
          } catch (e) {
            return send(400, { error: (e as Error).message });
          }
          return send(200, { ranges });
        }
        send(404, { error: 'not found' });
      })().catch((e: Error) => send(500, { error: e.message }));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#path, () => resolve());
    });
    chmodSync(this.#path, 0o600);
    this.#server = server;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.#server ? this.#server.close(() => r()) : r()));
    rmSync(this.#path, { force: true });
  }
}

/** Calls the control API of the cluster running from `dataDir`. */
export function callControl(dataDir: string, method: string, path: string): Promise<{ status: number; body: unknown }> {
  const socketPath = controlSocket(dataDir);
  if (!existsSync(socketPath)) return Promise.reject(new Error(`no cluster is running from ${dataDir} (start one with "skiff up")`));
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // plain text
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', (e) => reject(new Error(`cannot reach the cluster running from ${dataDir}: ${e.message}`)));
    req.end();
  });
}
