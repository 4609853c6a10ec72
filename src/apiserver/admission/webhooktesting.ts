// Test support for admission webhooks and aggregated API servers: an HTTPS server on loopback with
// a certificate from a throwaway cluster CA (valid for 127.0.0.1, localhost and <svc>.<ns>.svc names),
// whose caBundle is ready to put in a webhook clientConfig or an APIService.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ClusterPKI } from '../../pki/pki.ts';

export interface TestHTTPSServer {
  url: string;
  port: number;
  /** The CA that signed the server's certificate, base64 (as clientConfig.caBundle wants it). */
  caBundle: string;
  server: Server;
  close(): Promise<void>;
}

let pki: Promise<ClusterPKI> | undefined;

export async function startHTTPSServer(
  handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void | Promise<void>,
  serviceNames: string[] = [],
): Promise<TestHTTPSServer> {
  pki ??= ClusterPKI.loadOrCreate(undefined);
  const ca = await pki;
  const cert = await ca.issueServingCert('test-backend', ['127.0.0.1', 'localhost', ...serviceNames]);
  const sockets = new Set<Socket>();
  const server = createServer({ cert: cert.certificatePEM, key: cert.keyPEM }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      Promise.resolve(handler(req, res, Buffer.concat(chunks))).catch((e: Error) => {
        res.writeHead(500);
        res.end(e.message);
      });
    });
  });
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    caBundle: Buffer.from(ca.caPEM).toString('base64'),
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

/** An admission webhook answering each AdmissionReview with `decide(request)`'s response fields. */
export function admissionHandler(decide: (request: Record<string, any>, path: string) => Record<string, unknown>) {
  return (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const review = JSON.parse(body.toString('utf8'));
    const response = { uid: review.request.uid, ...decide(review.request, req.url ?? '/') };
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ apiVersion: review.apiVersion, kind: 'AdmissionReview', response }));
  };
}

/** A JSONPatch response body field (base64). */
export function jsonPatch(ops: unknown[]): { patchType: 'JSONPatch'; patch: string } {
  return { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') };
}
