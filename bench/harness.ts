// Benchmark plumbing shared by every suite: closed-loop load with N concurrent workers, latency
// percentiles, machine description, and writing a suite's table into BENCHMARKS.md between its
// markers. Targets are checked here, against a reference measured in the same run — never in tests.
import { cpus, totalmem, platform, release } from 'node:os';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export interface LoadResult {
  ops: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** Runs `op` from `concurrency` workers until `total` ops are done; latencies in ms. */
export async function closedLoop(concurrency: number, total: number, op: (i: number) => Promise<unknown>): Promise<LoadResult> {
  const lat = new Float64Array(total);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const s = performance.now();
        await op(i);
        lat[i] = performance.now() - s;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  lat.sort();
  return { ops: total, seconds, perSecond: total / seconds, p50: pct(lat, 0.5), p99: pct(lat, 0.99) };
}

export function pct(sorted: Float64Array | number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function machine(): string {
  const c = cpus();
  return `${c.length} × ${c[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${release()}, Node ${process.version}`;
}

export interface Row {
  what: string;
  value: string;
  ratio?: string;
  target?: string;
  ok?: boolean;
}

export function table(rows: Row[]): string {
  const lines = ['| measurement | result | vs reference | target | met |', '|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.what} | ${r.value} | ${r.ratio ?? ''} | ${r.target ?? ''} | ${r.ok === undefined ? '' : r.ok ? 'yes' : '**no**'} |`);
  return lines.join('\n');
}

/** Replaces (or appends) the section of BENCHMARKS.md between this suite's markers. */
export function writeSection(root: string, suite: string, body: string): void {
  const file = join(root, 'BENCHMARKS.md');
  const start = `<!-- bench:${suite}:start -->`;
  const end = `<!-- bench:${suite}:end -->`;
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const block = `${start}\n${body}\n${end}`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  text = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, text);
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
