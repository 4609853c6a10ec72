// CronJob schedules, as the CronJob controller v2 reads them (robfig/cron ParseStandard): five
// fields (minute hour day-of-month month day-of-week, names and `?` allowed), the descriptors
// @yearly/@annually/@monthly/@weekly/@daily/@midnight/@hourly and `@every <duration>`, and a
// `TZ=`/`CRON_TZ=` prefix; time zones are IANA names; times are epoch milliseconds.
import { CronExpressionParser } from 'cron-parser';

export interface Schedule {
  /** The first activation strictly after `afterMs`. */
  next(afterMs: number): number;
}

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FIELD_NAMES = ['minute', 'hour', 'day of month', 'month', 'day of week'];

/** Whether `tz` is an IANA time zone this runtime knows. */
export function validTimeZone(tz: string): boolean {
  if (tz === '' || tz === 'UTC' || tz === 'Local') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

import { parseGoDuration } from '../../machinery/duration.ts';

export { parseGoDuration };

function checkField(value: string, i: number): void {
  const names = i === 3 ? MONTHS : i === 4 ? DAYS : undefined;
  for (const part of value.toLowerCase().split(',')) {
    const words = part.match(/[a-z]+/g) ?? [];
    for (const w of words) if (!names?.includes(w)) throw new Error(`failed to parse int from ${w}: strconv.Atoi: parsing "${w}": invalid syntax`);
    if (!/^([*?]|[a-z0-9]+(-[a-z0-9]+)?)(\/\d+)?$/.test(part)) throw new Error(`invalid ${FIELD_NAMES[i]} field: ${value}`);
  }
}

/**
 * Parses a schedule; `timeZone` (spec.timeZone) applies unless the schedule carries its own
 * TZ= prefix. Throws an Error whose message says why.
 */
export function parseSchedule(schedule: string, timeZone?: string): Schedule {
  let spec = schedule.trim();
  let tz = timeZone || 'UTC';
  const m = /^(?:CRON_TZ|TZ)=(\S+)\s+(.*)$/.exec(spec);
  if (m) {
    tz = m[1]!;
    spec = m[2]!.trim();
  }
  if (!validTimeZone(tz)) throw new Error(`provided bad location ${tz}: unknown time zone ${tz}`);
  if (tz === 'Local') tz = 'UTC';
  if (spec.startsWith('@every ')) {
    const d = parseGoDuration(spec.slice(7).trim());
    // robfig's ConstantDelaySchedule: whole seconds, at least one.
    const delay = Math.max(1000, Math.floor(d / 1000) * 1000);
    return { next: (after) => Math.floor(after / 1000) * 1000 + delay };
  }
  if (spec.startsWith('@')) {
    const expr = DESCRIPTORS[spec];
    if (!expr) throw new Error(`unrecognized descriptor: ${spec}`);
    spec = expr;
  }
  const fields = spec.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) throw new Error(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  fields.forEach(checkField);
  const expr = fields.join(' ');
  let ce: ReturnType<typeof CronExpressionParser.parse>;
  try {
    ce = CronExpressionParser.parse(expr, { currentDate: new Date(0), tz });
  } catch (e) {
    throw new Error((e as Error).message);
  }
  return {
    next(after) {
      ce.reset(new Date(after));
      return ce.next().getTime();
    },
  };
}

/** RFC 3339 of `ms` as seen in `tz` (Go's time.In(loc).Format(time.RFC3339)). */
export function formatInZone(ms: number, tz: string | undefined): string {
  const secs = Math.floor(ms / 1000) * 1000;
  if (!tz || tz === 'UTC' || tz === 'Local') return new Date(secs).toISOString().replace('.000Z', 'Z');
  const parts: Record<string, string> = {};
  for (const p of new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(secs))) {
    parts[p.type] = p.value;
  }
  const local = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  const offMin = Math.round((local - secs) / 60_000);
  const wall = new Date(local).toISOString().slice(0, 19);
  if (offMin === 0) return `${wall}Z`;
  const sign = offMin < 0 ? '-' : '+';
  const a = Math.abs(offMin);
  return `${wall}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}
