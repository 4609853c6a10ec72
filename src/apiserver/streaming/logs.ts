// GET pods/{name}/log: PodLogOptions from the query (the API's url.Values conversion) and
// ValidatePodLogOptions (pkg/apis/core/validation), then the container's log stream from the node.

import { Readable, Transform } from 'node:stream';
import { badRequest, forbiddenField, invalid, invalidError } from '../../machinery/errors.ts';
import type { FieldError } from '../../machinery/errors.ts';
import type { LogsRequest, StreamBackend } from './backend.ts';
import { queryBool } from './remotecommand.ts';
import { resolveContainer } from './pods.ts';
import type { PodLike } from './pods.ts';

export interface LogOptions {
  container: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: string;
  limitBytes?: number;
}

/** strconv.ParseInt(s, 10, 64) with Go's error text. */
function parseInt64(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range`);
  return n;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Reads the query the way the API decodes PodLogOptions; throws BadRequest for values that do not parse. */
export function parseLogOptions(query: URLSearchParams): LogOptions {
  const opts: LogOptions = {
    container: query.get('container') ?? '',
    follow: queryBool(query, 'follow'),
    previous: queryBool(query, 'previous'),
    timestamps: queryBool(query, 'timestamps'),
  };
  const int = (name: 'tailLines' | 'sinceSeconds' | 'limitBytes') => {
    const v = query.get(name);
    if (v !== null && v !== '') opts[name] = parseInt64(v);
  };
  int('tailLines');
  int('sinceSeconds');
  int('limitBytes');
  const since = query.get('sinceTime');
  if (since) {
    if (!RFC3339.test(since) || Number.isNaN(Date.parse(since))) {
      throw badRequest(`parsing time ${JSON.stringify(since)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(since)} as "2006"`);
    }
    // metav1.Time keeps whole seconds in UTC.
    opts.sinceTime = new Date(Math.floor(Date.parse(since) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  }
  return opts;
}

/** ValidatePodLogOptions; the API answers 422 `PodLogOptions "<pod>" is invalid: …`. */
export function validateLogOptions(opts: LogOptions): FieldError[] {
  const errs: FieldError[] = [];
  if (opts.tailLines !== undefined && opts.tailLines < 0) errs.push(invalid('tailLines', opts.tailLines, 'must be greater than or equal to 0'));
  if (opts.limitBytes !== undefined && opts.limitBytes < 1) errs.push(invalid('limitBytes', opts.limitBytes, 'must be greater than 0'));
  if (opts.sinceSeconds !== undefined && opts.sinceTime !== undefined) {
    errs.push(forbiddenField('', 'at most one of `sinceTime` or `sinceSeconds` may be specified'));
  } else if (opts.sinceSeconds !== undefined && opts.sinceSeconds < 1) {
    errs.push(invalid('sinceSeconds', opts.sinceSeconds, 'must be greater than 0'));
  }
  return errs;
}

/** Passes at most `limit` bytes, then ends (the kubelet's LimitBytes). */
function limitBytes(src: Readable, limit: number): Readable {
  let left = limit;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (left <= 0) return cb();
      const part = chunk.length > left ? chunk.subarray(0, left) : chunk;
      left -= part.length;
      cb(null, part);
      if (left <= 0) {
        this.end();
        src.destroy();
      }
    },
  });
  src.on('error', (e) => t.destroy(e));
  t.on('close', () => src.destroy());
  return src.pipe(t);
}

export interface LogsTarget {
  namespace: string;
  /** The pod's name. */
  pod: string;
  query: URLSearchParams;
  /** When given, the container is defaulted and checked as the API does, and an unscheduled pod has no logs. */
  podObject?: PodLike;
}

/**
 * Parses and validates the log query, then asks the backend for the stream. The caller answers 200 with
 * `Content-Type: text/plain` and pipes the stream (flushing as it goes when following); StatusErrors thrown
 * here are the error responses.
 */
export async function handleLogs(target: LogsTarget, backend: StreamBackend): Promise<{ stream: Readable; options: LogOptions }> {
  const opts = parseLogOptions(target.query);
  const errs = validateLogOptions(opts);
  if (errs.length) throw invalidError('PodLogOptions', '', target.pod, errs);
  if (target.podObject) {
    opts.container = resolveContainer(target.podObject, opts.container);
    if (!target.podObject.spec?.nodeName) return { stream: Readable.from([]), options: opts };
  }
  const req: LogsRequest = {
    namespace: target.namespace,
    pod: target.pod,
    container: opts.container,
    follow: opts.follow,
    timestamps: opts.timestamps,
    previous: opts.previous,
    ...(opts.tailLines !== undefined ? { tailLines: opts.tailLines } : {}),
    ...(opts.sinceSeconds !== undefined ? { sinceSeconds: opts.sinceSeconds } : {}),
    ...(opts.sinceTime !== undefined ? { sinceTime: opts.sinceTime } : {}),
    ...(opts.limitBytes !== undefined ? { limitBytes: opts.limitBytes } : {}),
  };
  const stream = await backend.logs(req);
  return { stream: opts.limitBytes !== undefined ? limitBytes(stream, opts.limitBytes) : stream, options: opts };
}
