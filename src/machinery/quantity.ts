// resource.Quantity as k8s.io/apimachinery/pkg/api/resource (v0.32): the parser (including its quirks),
// rounding up to nano units, BinarySI capping, the canonical string form, arithmetic and comparisons.
// Values are exact: unscaled bigint × 10^exp. Quantities are immutable; add/sub/neg return new ones.

export type QuantityFormat = 'DecimalExponent' | 'BinarySI' | 'DecimalSI';

export const QUANTITY_REGEXP = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
export const ERR_FORMAT_WRONG = `quantities must match the regular expression '${QUANTITY_REGEXP}'`;
export const ERR_NUMERIC = 'unable to parse numeric part of quantity';
export const ERR_SUFFIX = "unable to parse quantity's suffix";

/** A string that is not a quantity; `message` is upstream's error text. */
export class QuantityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuantityError';
  }
}

const MAX_INT64 = 9223372036854775807n;
const MIN_INT64 = -9223372036854775808n;
const NANO = -9;

// Scale constants (resource.Scale): the power of ten of one unit.
export const Scale = { Nano: -9, Micro: -6, Milli: -3, None: 0, Kilo: 3, Mega: 6, Giga: 9, Tera: 12, Peta: 15, Exa: 18 } as const;

const DEC_SUFFIX: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const DEC_SUFFIX_BY_EXP = new Map<number, string>(Object.entries(DEC_SUFFIX).map(([s, e]) => [e, s]));
const BIN_SUFFIX: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const BIN_SUFFIX_BY_POWER = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const SUFFIX_CHARS = 'eEinumkKMGTP';

const pow10Cache: bigint[] = [];
function pow10(n: number): bigint {
  if (n < 64) return (pow10Cache[n] ??= 10n ** BigInt(n));
  return 10n ** BigInt(n);
}

const abs = (v: bigint): bigint => (v < 0n ? -v : v);
const digitCount = (v: bigint): number => (v === 0n ? 0 : abs(v).toString().length);

/** Divides by 10^n rounding away from zero (inf.RoundUp / negativeScaleInt64); exact tells if nothing was lost. */
function divPow10Up(u: bigint, n: number): { q: bigint; exact: boolean } {
  if (n <= 0) return { q: u * pow10(-n), exact: true };
  if (u === 0n) return { q: 0n, exact: true };
  // Fewer digits than the shift: |u| < 10^n, so the result is ±1 without computing a huge power.
  if (digitCount(u) < n) return { q: u > 0n ? 1n : -1n, exact: false };
  const d = pow10(n);
  const q = u / d;
  if (q * d === u) return { q, exact: true };
  return { q: u > 0n ? q + 1n : q - 1n, exact: false };
}

interface ParsedString {
  positive: boolean;
  value: string;
  num: string;
  denom: string;
  suffix: string;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

// parseQuantityString, step for step: sign, leading zeros, integer digits, '.', fraction, suffix.
function parseQuantityString(str: string): ParsedString {
  let positive = true;
  let pos = 0;
  const end = str.length;
  if (pos < end) {
    if (str[0] === '-') {
      positive = false;
      pos++;
    } else if (str[0] === '+') {
      pos++;
    }
  }
  // Leading zeros.
  for (;;) {
    if (pos >= end) return { positive, value: '0', num: '0', denom: '', suffix: '' };
    if (str[pos] === '0') pos++;
    else break;
  }
  let num: string;
  let i = pos;
  while (i < end && isDigit(str[i])) i++;
  if (i >= end) return { positive, value: str, num: str.slice(pos), denom: '', suffix: '' };
  num = str.slice(pos, i);
  pos = i;
  if (num.length === 0) num = '0';
  let denom = '';
  if (pos < end && str[pos] === '.') {
    pos++;
    i = pos;
    while (i < end && isDigit(str[i])) i++;
    if (i >= end) return { positive, value: str, num, denom: str.slice(pos), suffix: '' };
    denom = str.slice(pos, i);
    pos = i;
  }
  const value = str.slice(0, pos);
  const suffixStart = pos;
  i = pos;
  while (i < end && SUFFIX_CHARS.includes(str[i]!)) i++;
  if (i >= end) return { positive, value, num, denom, suffix: str.slice(suffixStart) };
  pos = i;
  if (str[pos] === '-' || str[pos] === '+') pos++;
  while (pos < end && isDigit(str[pos])) pos++;
  if (pos >= end) return { positive, value, num, denom, suffix: str.slice(suffixStart) };
  throw new QuantityError(ERR_FORMAT_WRONG);
}

/** Go strconv.ParseInt(s, 10, 64) for exponent suffixes. */
function parseGoInt64(s: string): bigint | null {
  if (!/^[+-]?[0-9]+$/.test(s)) return null;
  const v = BigInt(s);
  return v > MAX_INT64 || v < MIN_INT64 ? null : v;
}

function interpretSuffix(s: string): { base: 10 | 2; exponent: number; format: QuantityFormat } | null {
  if (Object.prototype.hasOwnProperty.call(DEC_SUFFIX, s)) return { base: 10, exponent: DEC_SUFFIX[s]!, format: 'DecimalSI' };
  if (Object.prototype.hasOwnProperty.call(BIN_SUFFIX, s)) return { base: 2, exponent: BIN_SUFFIX[s]!, format: 'BinarySI' };
  if (s.length > 1 && (s[0] === 'E' || s[0] === 'e')) {
    const v = parseGoInt64(s.slice(1));
    if (v === null) return null;
    return { base: 10, exponent: Number(BigInt.asIntN(32, v)), format: 'DecimalExponent' };
  }
  return null;
}

const parsed = new Map<string, Quantity>();

export class Quantity {
  /** value = unscaled × 10^exp */
  readonly #u: bigint;
  readonly #exp: number;
  readonly format: QuantityFormat;
  /** The input string, kept when upstream keeps it (it is then what String()/JSON emit). */
  #s: string | undefined;
  #milli: number | undefined;

  private constructor(u: bigint, exp: number, format: QuantityFormat, s?: string) {
    this.#u = u;
    this.#exp = exp;
    this.format = format;
    this.#s = s;
  }

  // -------------------------------------------------------------------------------------------
  // Construction

  /**
   * resource.ParseQuantity. Throws QuantityError with upstream's message. Quantities are
   * immutable, and the same few strings ("100m", "128Mi") come with every pod: parsed ones are
   * kept (a bounded table, emptied when full).
   */
  static parse(str: string): Quantity {
    let q = parsed.get(str);
    if (q === undefined) {
      q = Quantity.#parse(str);
      if (parsed.size >= 4096) parsed.clear();
      parsed.set(str, q);
    }
    return q;
  }

  static #parse(str: string): Quantity {
    if (str.length === 0) throw new QuantityError(ERR_FORMAT_WRONG);
    if (str === '0') return new Quantity(0n, 0, 'DecimalSI', str);
    const { positive, value, num, denom, suffix } = parseQuantityString(str);
    const suf = interpretSuffix(suffix);
    if (!suf) throw new QuantityError(ERR_SUFFIX);
    const { base, exponent } = suf;
    let format = suf.format;

    // Upstream's fast int64 path; it decides whether the input string is kept verbatim.
    let precision: number;
    let scale = 0;
    let mantissa = 1n;
    if (format === 'BinarySI') {
      if (exponent >= 0 && denom.length === 0) {
        mantissa = 1n << BigInt(exponent);
        precision = 15 - num.length - Math.trunc((exponent * 3) / 10) - 1;
      } else {
        precision = -1;
      }
    } else {
      scale = exponent;
      precision = 18 - (num.length + denom.length);
    }
    if (precision >= 0) {
      scale -= denom.length;
      if (scale >= NANO) {
        const shifted = num + denom;
        const v = BigInt(shifted);
        let result = v * mantissa;
        if (result <= MAX_INT64) {
          if (!positive) result = -result;
          let keep = false;
          if (format === 'BinarySI') keep = exponent % 10 === 0 && (v & 7n) !== 0n;
          else keep = scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0';
          return new Quantity(result, scale, format, keep ? str : undefined);
        }
      }
    }

    // The inf.Dec path.
    const dot = value.indexOf('.');
    const digits = (dot < 0 ? value : value.slice(0, dot) + value.slice(dot + 1)).replace(/^[+-]/, '');
    if (!/[0-9]/.test(digits)) throw new QuantityError(ERR_NUMERIC);
    let u = BigInt(digits);
    let exp = dot < 0 ? 0 : -(value.length - dot - 1);
    if (base === 10) exp += exponent;
    else u *= 1n << BigInt(exponent);
    if (u !== 0n && exp < NANO) {
      u = divPow10Up(u, NANO - exp).q;
      exp = NANO;
    }
    if (format === 'BinarySI') {
      if (cmpParts(u, exp, MAX_INT64, 0) > 0) {
        u = MAX_INT64;
        exp = 0;
      }
      if (u !== 0n && cmpParts(u, exp, 1n, 0) < 0) format = 'DecimalSI';
    }
    return new Quantity(positive ? u : -u, exp, format);
  }

  /** resource.NewQuantity / NewScaledQuantity: value × 10^scale. */
  static fromInt(value: number | bigint, format: QuantityFormat = 'DecimalSI', scale = 0): Quantity {
    return new Quantity(BigInt(value), scale, format);
  }

  /** resource.NewMilliQuantity. */
  static fromMilli(value: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(value), -3, format);
  }

  static zero(format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(0n, 0, format);
  }

  // -------------------------------------------------------------------------------------------
  // Inspection

  isZero(): boolean {
    return this.#u === 0n;
  }

  sign(): -1 | 0 | 1 {
    return this.#u === 0n ? 0 : this.#u > 0n ? 1 : -1;
  }

  /** -1, 0 or 1 as this is less than, equal to or greater than y. */
  cmp(y: Quantity): -1 | 0 | 1 {
    return cmpParts(this.#u, this.#exp, y.#u, y.#exp);
  }

  cmpInt(y: number | bigint): -1 | 0 | 1 {
    return cmpParts(this.#u, this.#exp, BigInt(y), 0);
  }

  equal(y: Quantity): boolean {
    return this.cmp(y) === 0;
  }

  /** The value in units of 10^scale, rounded away from zero, saturated to the int64 range. */
  scaledValueBig(scale: number): bigint {
    const { q } = divPow10Up(this.#u, scale - this.#exp);
    return q > MAX_INT64 ? MAX_INT64 : q < MIN_INT64 ? MIN_INT64 : q;
  }

  scaledValue(scale: number): number {
    return Number(this.scaledValueBig(scale));
  }

  /** Quantity.Value(): whole units, rounded up (away from zero). Memory in bytes, CPU in cores. */
  value(): number {
    return Number(this.scaledValueBig(0));
  }

  /** Quantity.MilliValue(): thousandths, rounded up (away from zero). CPU in millicores. */
  milliValue(): number {
    return (this.#milli ??= Number(this.scaledValueBig(-3)));
  }

  /** AsApproximateFloat64. */
  asApproximateFloat64(): number {
    return Number(this.#u) * Number(`1e${this.#exp}`);
  }

  /** AsInt64: the exact integer value when it is one and fits in int64. */
  asInt64(): bigint | undefined {
    const { q, exact } = divPow10Up(this.#u, -this.#exp);
    return exact && q <= MAX_INT64 && q >= MIN_INT64 ? q : undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Arithmetic (new quantities; the cached input string is dropped as upstream does)

  add(y: Quantity): Quantity {
    const [a, b, exp] = align(this.#u, this.#exp, y.#u, y.#exp);
    return new Quantity(a + b, exp, this.isZero() ? y.format : this.format);
  }

  sub(y: Quantity): Quantity {
    const [a, b, exp] = align(this.#u, this.#exp, y.#u, y.#exp);
    return new Quantity(a - b, exp, this.isZero() ? y.format : this.format);
  }

  mul(n: number | bigint): Quantity {
    return new Quantity(this.#u * BigInt(n), this.#exp, this.format);
  }

  neg(): Quantity {
    return new Quantity(-this.#u, this.#exp, this.format);
  }

  /** Quantity.RoundUp(scale): rounds away from zero to a multiple of 10^scale; exact tells if nothing was lost. */
  roundUp(scale: number): { quantity: Quantity; exact: boolean } {
    if (this.#exp >= scale) return { quantity: this, exact: true };
    const { q, exact } = divPow10Up(this.#u, scale - this.#exp);
    return { quantity: exact ? this : new Quantity(q, scale, this.format), exact };
  }

  // -------------------------------------------------------------------------------------------
  // Output

  /** Quantity.String(): the kept input string, else the canonical form. */
  toString(): string {
    return (this.#s ??= this.canonical());
  }

  toJSON(): string {
    return this.toString();
  }

  /** CanonicalizeBytes: number and suffix in the quantity's format, ignoring a kept input string. */
  canonical(): string {
    if (this.#u === 0n) return '0';
    let format = this.format as string;
    if (format === 'BinarySI') {
      if (this.cmpInt(-1024) > 0 && this.cmpInt(1024) < 0) format = 'DecimalSI';
      else {
        const { q, exact } = divPow10Up(this.#u, -this.#exp);
        if (!exact) format = 'DecimalSI';
        else {
          let v = q;
          let k = 0;
          while (v !== 0n && v % 1024n === 0n) {
            v /= 1024n;
            k++;
          }
          return `${v}${BIN_SUFFIX_BY_POWER[k] ?? ''}`;
        }
      }
    } else if (format !== 'DecimalSI' && format !== 'DecimalExponent') {
      format = 'DecimalExponent';
    }
    let m = this.#u;
    let e = this.#exp;
    while (m % 10n === 0n) {
      m /= 10n;
      e++;
    }
    while (e % 3 !== 0) {
      m *= 10n;
      e--;
    }
    if (format === 'DecimalExponent') return e === 0 ? `${m}` : `${m}e${e}`;
    // Exponents beyond E (10^18) have no suffix upstream, which then prints the mantissa alone.
    return `${m}${DEC_SUFFIX_BY_EXP.get(e) ?? ''}`;
  }
}

function cmpParts(au: bigint, ae: number, bu: bigint, be: number): -1 | 0 | 1 {
  const as = au === 0n ? 0 : au > 0n ? 1 : -1;
  const bs = bu === 0n ? 0 : bu > 0n ? 1 : -1;
  if (as !== bs) return as < bs ? -1 : 1;
  if (as === 0) return 0;
  // Same sign: compare magnitudes by the position of the leading digit before aligning.
  const am = digitCount(au) + ae;
  const bm = digitCount(bu) + be;
  let c: number;
  if (am !== bm) c = am < bm ? -1 : 1;
  else {
    const [a, b] = align(abs(au), ae, abs(bu), be);
    c = a === b ? 0 : a < b ? -1 : 1;
  }
  if (c === 0) return 0;
  return (as > 0 ? c : -c) as -1 | 1;
}

function align(au: bigint, ae: number, bu: bigint, be: number): [bigint, bigint, number] {
  if (ae === be) return [au, bu, ae];
  if (au === 0n) return [0n, bu, be];
  if (bu === 0n) return [au, 0n, ae];
  if (ae > be) return [au * pow10(ae - be), bu, be];
  return [au, bu * pow10(be - ae), ae];
}

/** resource.ParseQuantity; throws QuantityError. */
export const parseQuantity = (s: string): Quantity => Quantity.parse(s);

/** ParseQuantity returning undefined instead of throwing. */
export function tryParseQuantity(s: string): Quantity | undefined {
  try {
    return Quantity.parse(s);
  } catch {
    return undefined;
  }
}

/**
 * A quantity as Quantity.UnmarshalJSON reads it: a JSON string (whitespace trimmed) or a JSON number.
 * Numbers arrive already converted by JSON.parse, so `1e3` in a body reads as 1000 (`1k`).
 */
export function quantityFromJSON(v: unknown): Quantity {
  if (typeof v === 'string') return Quantity.parse(v.trim());
  if (typeof v === 'number' && Number.isFinite(v)) return Quantity.parse(String(v));
  if (typeof v === 'bigint') return Quantity.parse(v.toString());
  throw new QuantityError(ERR_FORMAT_WRONG);
}

/** The string the API server stores and returns for a quantity in a request body. */
export const canonicalQuantity = (s: string): string => Quantity.parse(s).toString();
