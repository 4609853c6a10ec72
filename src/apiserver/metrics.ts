// The API server's Prometheus metrics, with upstream's names and labels where they exist
// (apiserver_request_total, apiserver_request_duration_seconds, apiserver_current_inflight_requests).
import { Registry } from 'prom-client';
import type { RequestInfo } from './requestinfo.ts';

/** Upstream's verb label: LIST and WATCH are told apart, mutations by HTTP method. */
function verbLabel(info: RequestInfo, method: string): string {
  if (!info.isResourceRequest) return method;
  switch (info.verb) {
    case 'list':
      return 'LIST';
    case 'watch':
      return 'WATCH';
    case 'get':
      return 'GET';
    case 'create':
      return 'POST';
    case 'update':
      return 'PUT';
    case 'patch':
      return 'PATCH';
    case 'delete':
      return 'DELETE';
    case 'deletecollection':
      return 'DELETECOLLECTION';
    default:
      return method;
  }
}

function scope(info: RequestInfo): string {
  if (!info.isResourceRequest) return '';
  if (info.name) return 'resource';
  return info.namespace ? 'namespace' : 'cluster';
}

const TOTAL_HELP = 'Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.';
const DURATION_HELP = 'Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.';
const BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];

/** One label set of the two request metrics. */
interface Series {
  /** The label pairs as exposed, without braces. */
  labels: string;
  codes: Map<number, number>;
  buckets: Float64Array;
  sum: number;
  count: number;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/**
 * The request metrics are kept here, by label set, and exposed in Prometheus' text format (as
 * prom-client writes it): observing one request is a map lookup and a few additions, on every
 * request. Other metrics may be registered on `registry`; they are exposed after these.
 */
export class Metrics {
  readonly registry = new Registry();
  #series = new Map<string, Series>();

  observe(info: RequestInfo, method: string, code: number, seconds: number, longRunning: boolean): void {
    const verb = verbLabel(info, method);
    const sc = scope(info);
    const key = `${verb}\0${info.apiGroup}\0${info.apiVersion}\0${info.resource}\0${info.subresource}\0${sc}`;
    let s = this.#series.get(key);
    if (!s) {
      const labels =
        `verb="${escapeLabel(verb)}",dry_run="",group="${escapeLabel(info.apiGroup)}",version="${escapeLabel(info.apiVersion)}",` +
        `resource="${escapeLabel(info.resource)}",subresource="${escapeLabel(info.subresource)}",scope="${sc}",component="apiserver"`;
      s = { labels, codes: new Map(), buckets: new Float64Array(BUCKETS.length), sum: 0, count: 0 };
      this.#series.set(key, s);
    }
    s.codes.set(code, (s.codes.get(code) ?? 0) + 1);
    // Upstream leaves long-running requests (watch, exec, ...) out of the latency histogram.
    if (longRunning) return;
    for (let i = 0; i < BUCKETS.length; i++) {
      if (seconds <= BUCKETS[i]!) {
        s.buckets[i]!++;
        break;
      }
    }
    s.sum += seconds;
    s.count++;
  }

  async render(): Promise<string> {
    let out = `# HELP apiserver_request_total ${TOTAL_HELP}\n# TYPE apiserver_request_total counter\n`;
    for (const s of this.#series.values()) for (const [code, n] of s.codes) out += `apiserver_request_total{${s.labels},code="${code}"} ${n}\n`;
    out += `\n# HELP apiserver_request_duration_seconds ${DURATION_HELP}\n# TYPE apiserver_request_duration_seconds histogram\n`;
    for (const s of this.#series.values()) {
      if (s.count === 0) continue;
      let cumulative = 0;
      for (let i = 0; i < BUCKETS.length; i++) {
        cumulative += s.buckets[i]!;
        out += `apiserver_request_duration_seconds_bucket{le="${BUCKETS[i]}",${s.labels}} ${cumulative}\n`;
      }
      out += `apiserver_request_duration_seconds_bucket{le="+Inf",${s.labels}} ${s.count}\n`;
      out += `apiserver_request_duration_seconds_sum{${s.labels}} ${s.sum}\n`;
      out += `apiserver_request_duration_seconds_count{${s.labels}} ${s.count}\n`;
    }
    const rest = await this.registry.metrics();
    return rest.trim() ? `${out}\n${rest}` : out;
  }
}
