// The API server's Prometheus metrics, with upstream's names and labels where they exist
// (apiserver_request_total, apiserver_request_duration_seconds, apiserver_current_inflight_requests),
// on prom-client.
import { Counter, Histogram, Registry } from 'prom-client';
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

export class Metrics {
  readonly registry = new Registry();
  #total: Counter;
  #duration: Histogram;

  constructor() {
    this.#total = new Counter({
      name: 'apiserver_request_total',
      help: 'Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
      labelNames: ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component', 'code'],
      registers: [this.registry],
    });
    this.#duration = new Histogram({
      name: 'apiserver_request_duration_seconds',
      help: 'Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.',
      labelNames: ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component'],
      buckets: [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60],
      registers: [this.registry],
    });
  }

  observe(info: RequestInfo, method: string, code: number, seconds: number, longRunning: boolean): void {
    const labels = {
      verb: verbLabel(info, method),
      dry_run: '',
      group: info.apiGroup,
      version: info.apiVersion,
      resource: info.resource,
      subresource: info.subresource,
      scope: scope(info),
      component: 'apiserver',
    };
    this.#total.inc({ ...labels, code: String(code) });
    // Upstream leaves long-running requests (watch, exec, ...) out of the latency histogram.
    if (!longRunning) this.#duration.observe(labels, seconds);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
