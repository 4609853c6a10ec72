// Plumbing for the control-loop benchmarks (scheduler_perf- and kwok-style): bounded parallel
// creation, polling a condition with a deadline, scheduler_perf's 1-second throughput sampler,
// and a summary of the API server's error responses (429s and the like) seen during a run.
import type { ApiServer } from '../src/apiserver/server.ts';
import { fmt } from './harness.ts';

/** Runs fn(0..count-1) with at most `limit` calls in flight; rejects on the first failure. */
export async function inParallel(count: number, limit: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) await fn(next++);
    }),
  );
}

/** Polls `cond` every 5 ms; true once it holds, false when `timeoutMs` passed first. */
export async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface ThroughputSummary {
  /** Mean of the 1-second samples (scheduler_perf's SchedulingThroughput "Average"). */
  average: number;
  p50: number;
  p90: number;
  p99: number;
  samples: number;
}

/**
 * scheduler_perf's throughput collector: every second, the pods scheduled since the last sample
 * divided by the real time elapsed. Samples before the first scheduled pod are dropped, the first
 * sample after it is skipped (it races the pod creators), and an interval with nothing scheduled
 * is folded into the next one, which is then recorded once per interval it covers.
 */
export class ThroughputCollector {
  #samples: number[] = [];
  #timer: NodeJS.Timeout | undefined;

  start(scheduled: () => number, intervalMs = 1000): void {
    let started = false;
    let last = scheduled();
    let lastAt = performance.now();
    let skipped = 0;
    this.#timer = setInterval(() => {
      const now = performance.now();
      const n = scheduled();
      if (n === 0) return;
      if (!started) {
        started = true;
        last = n;
        lastAt = now;
        return;
      }
      if (n === last) {
        skipped++;
        return;
      }
      const rate = (n - last) / ((now - lastAt) / 1000);
      for (let i = 0; i <= skipped; i++) this.#samples.push(rate);
      last = n;
      lastAt = now;
      skipped = 0;
    }, intervalMs);
  }

  stop(): ThroughputSummary {
    clearInterval(this.#timer);
    const s = [...this.#samples].sort((a, b) => a - b);
    const at = (q: number) => (s.length ? s[Math.ceil(s.length * q) - 1]! : NaN);
    const average = s.length ? s.reduce((a, b) => a + b, 0) / s.length : NaN;
    return { average, p50: at(0.5), p90: at(0.9), p99: at(0.99), samples: s.length };
  }
}

/** API responses with status ≥ 400 other than 404, as "VERB resource code ×count". */
export async function apiErrors(api: ApiServer): Promise<string> {
  const metric = api.metrics.registry.getSingleMetric('apiserver_request_total');
  if (!metric) return '';
  const m = await metric.get();
  return m.values
    .filter((v) => Number(v.labels.code) >= 400 && Number(v.labels.code) !== 404 && v.value > 0)
    .map((v) => `${v.labels.verb} ${v.labels.resource}${v.labels.subresource ? `/${v.labels.subresource}` : ''} ${v.labels.code} ×${fmt(v.value)}`)
    .join(', ');
}

/** CPU seconds and RSS since the last call. */
export function usage(): () => string {
  let cpu0 = process.cpuUsage();
  return () => {
    const c = process.cpuUsage(cpu0);
    cpu0 = process.cpuUsage();
    return `${fmt((c.user + c.system) / 1e6, 1)} s CPU, ${fmt(process.memoryUsage().rss / 2 ** 20)} MiB RSS`;
  };
}

/** With BENCH_PROFILE=dir set, records a CPU profile of one phase into dir/<name>.cpuprofile. */
export async function profilePhase(name: string): Promise<() => Promise<void>> {
  const dir = process.env.BENCH_PROFILE;
  if (!dir) return async () => {};
  const { Session } = await import('node:inspector');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const s = new Session();
  s.connect();
  const post = (m: string, p: object = {}) => new Promise<any>((res, rej) => s.post(m, p, (e, r) => (e ? rej(e) : res(r))));
  await post('Profiler.enable');
  await post('Profiler.start');
  return async () => {
    const { profile } = await post('Profiler.stop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/${name.replace(/[^\w.-]+/g, '_')}.cpuprofile`, JSON.stringify(profile));
    s.disconnect();
  };
}
