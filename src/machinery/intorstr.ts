// IntOrString helpers as k8s.io/apimachinery/pkg/util/intstr (GetScaledValueFromIntOrPercent) and the
// percent check behind maxSurge/maxUnavailable-style validation (util/validation IsValidPercent).

/** An IntOrString as it appears in JSON: a number, a string such as `25%`, or absent. */
export type IntOrString = number | string;

/**
 * GetScaledValueFromIntOrPercent: an integer is returned as is; `N%` is N percent of `total`, rounded up
 * or down. Throws with upstream's message for undefined, for strings without a trailing `%`, and for
 * percentages that are not integers.
 */
export function getScaledValueFromIntOrPercent(v: number | string | undefined | null, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) throw new Error('nil value for IntOrString');
  if (typeof v === 'number') return Math.trunc(v);
  if (!v.endsWith('%')) throw new Error('invalid value for IntOrString: invalid type: string is not a percentage');
  const digits = v.slice(0, -1);
  const n = atoi(digits);
  if (typeof n === 'string') throw new Error(`invalid value for IntOrString: invalid value ${JSON.stringify(v)}: ${n}`);
  const scaled = (n * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/** strconv.Atoi: the number, or the error text upstream reports. */
function atoi(s: string): number | string {
  if (!/^[+-]?[0-9]+$/.test(s)) return `strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`;
  const b = BigInt(s);
  if (b > 9223372036854775807n || b < -9223372036854775808n) return `strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`;
  return Number(b);
}

const PERCENT = /^[0-9]+%$/;

/** True for an integer or a `N%` string, the two shapes IntOrString fields such as maxSurge accept. */
export function isIntOrPercent(v: unknown): v is IntOrString {
  if (typeof v === 'number') return Number.isInteger(v);
  return typeof v === 'string' && PERCENT.test(v);
}

/** The int value of an IntOrString (intstr.IntValue): a string is parsed, 0 when it is not a number. */
export function intValue(v: IntOrString): number {
  if (typeof v === 'number') return v;
  const n = atoi(v);
  return typeof n === 'number' ? n : 0;
}
