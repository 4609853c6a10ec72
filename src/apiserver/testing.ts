// A JSON client for tests that talk to an ApiServer over HTTP: sends a body as JSON (a string or
// bytes as they are), Content-Type application/json unless given, and answers status, body (parsed
// when it is JSON, else the text) and headers.

export interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

export type Call = (method: string, path: string, body?: unknown, contentType?: string) => Promise<Answer>;

/** `base` is read at each call (tests learn the server's URL in `before`). */
export function jsonClient(base: () => string): Call {
  return async (method, path, body, contentType = 'application/json') => {
    const init: RequestInit = { method, headers: body !== undefined ? { 'Content-Type': contentType } : {} };
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
