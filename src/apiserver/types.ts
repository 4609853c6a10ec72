// Shapes shared across the API server: a Kubernetes object as plain JSON, the requesting user,
// and the per-request context handed to strategies and admission.

/** A Kubernetes object as the JSON it is on the wire. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export interface RequestContext {
  user: UserInfo;
  /** Milliseconds since the epoch, from the server's clock. */
  now: number;
  dryRun: boolean;
  fieldManager?: string;
  /** Warnings for the response's Warning header (admission plugins push here, e.g. PodSecurity warn mode). */
  warnings?: string[];
}

/** RFC 3339 with seconds precision, as metav1.Time serializes. */
let lastSecond = NaN;
let lastRfc3339 = '';

export function rfc3339(ms: number): string {
  // Every write in the same second stamps the same text: format it once.
  const sec = Math.floor(ms / 1000);
  if (sec !== lastSecond) {
    lastRfc3339 = new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
    lastSecond = sec;
  }
  return lastRfc3339;
}

/** RFC 3339 with microseconds, as metav1.MicroTime serializes. */
export function rfc3339Micro(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Where a response goes: a node ServerResponse, or an in-memory sink for in-process requests.
 * Only what the handlers use.
 */
export interface ResponseSink {
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  readonly writableLength: number;
  setHeader(name: string, value: string): unknown;
  writeHead(code: number, headers?: Record<string, string>): unknown;
  flushHeaders(): void;
  write(chunk: string | Buffer): boolean;
  end(chunk?: string | Buffer): unknown;
  on(event: 'close', listener: () => void): unknown;
  /**
   * In-process sinks take watch events as objects (the watch cache's own, shared by every
   * in-process watcher and read-only) instead of JSON lines to parse again.
   */
  writeEvent?(type: string, object: Obj): void;
  /**
   * The watcher never reads metadata.managedFields (a component on a thread, whose informers
   * drop them): its events' objects come without them, so fewer bytes cross and are parsed.
   */
  readonly withoutManagedFields?: boolean;
}
