// Helpers for tests that talk to an ApiServer over HTTP: a server on a memory backend for the
// file's tests, and a JSON client that sends a body as JSON (a string or bytes as they are),
// Content-Type application/json unless given, and answers status, body (parsed when it is JSON,
// else the text) and headers.
import { before, after } from 'node:test';
import { MemoryBackend } from '../storage/memory/memory.ts';
import { ApiServer } from './server.ts';

export interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

/** The fourth argument is the Content-Type, or headers (Content-Type application/json unless among them). */
export type Call = (method: string, path: string, body?: unknown, contentTypeOrHeaders?: string | Record<string, string>) => Promise<Answer>;

/** `base` is read at each call (tests learn the server's URL in `before`). */
export function jsonClient(base: () => string): Call {
  return async (method, path, body, contentTypeOrHeaders = 'application/json') => {
    const extra = typeof contentTypeOrHeaders !== 'string' ? contentTypeOrHeaders : body !== undefined ? { 'Content-Type': contentTypeOrHeaders } : {};
    const init: RequestInit = { method, headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...extra } };
    if (body !== undefined) init.body = typeof body === 'string' || body instanceof Uint8Array ? (body as string) : JSON.stringify(body);
    const r = await fetch(base() + path, init);
    const text = await r.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: r.status, body: json, headers: r.headers };
  };
}

/** An ApiServer on a memory backend, started before the file's tests and stopped after them. */
export function testServer(): { base: () => string; call: Call } {
  let api: ApiServer | undefined;
  let url = '';
  before(async () => {
    api = new ApiServer({ storage: new MemoryBackend(), port: 0 });
    url = await api.start();
  });
  after(async () => {
    await api?.stop();
    await api?.storage.close();
  });
  return { base: () => url, call: jsonClient(() => url) };
}
