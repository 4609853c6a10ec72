// Label selectors as k8s.io/apimachinery/pkg/labels (string syntax, lexer/parser, canonical String())
// and metav1.LabelSelectorAsSelector / FormatLabelSelector / labels.FormatLabels, as of v0.32.
import type { FieldError } from './errors.ts';
import { isQualifiedName, isValidLabelValue } from './validation.ts';

export type Operator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

/** selection.Operator spellings, in upstream's order (used in the "supported values" message). */
const VALID_OPERATORS: Operator[] = ['in', 'notin', '=', '==', '!=', 'gt', 'lt', 'exists', '!'];
const BINARY_OPERATORS = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];

export type Labels = Record<string, string> | undefined | null;

/** A malformed selector string or requirement; `message` is upstream's error text. */
export class LabelSelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelSelectorError';
  }
}

/** Go's %#v of a []string, as upstream prints the bad value of a requirement. */
function goStrings(vals: string[] | null): string {
  if (!vals || vals.length === 0) return vals ? '[]string{}' : '[]string(nil)';
  return `[]string{${vals.map((v) => JSON.stringify(v)).join(', ')}}`;
}

/** A field error whose value is printed verbatim (Go's %#v of a slice). */
function invalidRaw(field: string, raw: string, detail: string): string {
  return `${field}: Invalid value: ${raw}: ${detail}`;
}

/** utilerrors.NewAggregate(...).Error(): one message alone, else `[a, b]` with duplicates dropped. */
function aggregate(msgs: string[]): string {
  const uniq = [...new Set(msgs)];
  return uniq.length === 1 ? uniq[0]! : `[${uniq.join(', ')}]`;
}

const INT64 = /^[+-]?[0-9]+$/;
function parseInt64(s: string): bigint | null {
  if (!INT64.test(s)) return null;
  const n = BigInt(s);
  return n > 9223372036854775807n || n < -9223372036854775808n ? null : n;
}

export class Requirement {
  readonly key: string;
  readonly operator: Operator;
  /** Values as given (upstream's strValues); `values` is the sorted set. */
  readonly strValues: readonly string[];

  /** Unvalidated; use newRequirement() for input from users. */
  constructor(key: string, operator: Operator, values: readonly string[]) {
    this.key = key;
    this.operator = operator;
    this.strValues = values;
  }

  get values(): string[] {
    return [...new Set(this.strValues)].sort();
  }

  matches(ls: Labels): boolean {
    const has = ls != null && Object.prototype.hasOwnProperty.call(ls, this.key);
    switch (this.operator) {
      case 'in':
      case '=':
      case '==':
        return has && this.strValues.includes(ls![this.key]!);
      case 'notin':
      case '!=':
        return !has || !this.strValues.includes(ls![this.key]!);
      case 'exists':
        return has;
      case '!':
        return !has;
      case 'gt':
      case 'lt': {
        if (!has || this.strValues.length !== 1) return false;
        const lv = parseInt64(ls![this.key]!);
        const rv = parseInt64(this.strValues[0]!);
        if (lv === null || rv === null) return false;
        return this.operator === 'gt' ? lv > rv : lv < rv;
      }
      default:
        return false;
    }
  }

  /** Requirement.String(): `!k`, `k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a)`, `k>1`, `k<1`. */
  toString(): string {
    const k = this.key;
    let op: string;
    switch (this.operator) {
      case '!':
        return `!${k}`;
      case 'exists':
        return k;
      case '=':
        op = '=';
        break;
      case '==':
        op = '==';
        break;
      case '!=':
        op = '!=';
        break;
      case 'in':
        op = ' in ';
        break;
      case 'notin':
        op = ' notin ';
        break;
      case 'gt':
        op = '>';
        break;
      case 'lt':
        op = '<';
        break;
      default:
        op = '';
    }
    const vals = this.strValues.length === 1 ? this.strValues[0]! : [...this.strValues].sort().join(',');
    return this.operator === 'in' || this.operator === 'notin' ? `${k}${op}(${vals})` : `${k}${op}${vals}`;
  }
}

/** labels.NewRequirement: validates key, operator/value-count and values; throws LabelSelectorError. */
export function newRequirement(key: string, operator: string, values: string[] | null, path = ''): Requirement {
  const errs: string[] = [];
  const p = (s: string) => (path ? `${path}.${s}` : s);
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length) errs.push(invalidRaw(p('key'), JSON.stringify(key), keyErrs.join('; ')));
  const vals = values ?? [];
  const valuePath = p('values');
  switch (operator) {
    case 'in':
    case 'notin':
      if (vals.length === 0) errs.push(invalidRaw(valuePath, goStrings(values), "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=':
    case '==':
    case '!=':
      if (vals.length !== 1) errs.push(invalidRaw(valuePath, goStrings(values), 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (vals.length !== 0) errs.push(invalidRaw(valuePath, goStrings(values), 'values set must be empty for exists and does not exist'));
      break;
    case 'gt':
    case 'lt':
      if (vals.length !== 1) errs.push(invalidRaw(valuePath, goStrings(values), "for 'Gt', 'Lt' operators, exactly one value is required"));
      vals.forEach((v, i) => {
        if (parseInt64(v) === null) {
          errs.push(invalidRaw(`${valuePath}[${i}]`, JSON.stringify(v), "for 'Gt', 'Lt' operators, the value must be an integer"));
        }
      });
      break;
    default:
      errs.push(
        `${p('operator')}: Unsupported value: ${JSON.stringify(operator)}: supported values: ${VALID_OPERATORS.map((o) => JSON.stringify(o)).join(', ')}`,
      );
  }
  vals.forEach((v, i) => {
    const ve = isValidLabelValue(v);
    if (ve.length) errs.push(invalidRaw(`${valuePath}[${i}][${key}]`, JSON.stringify(v), ve.join('; ')));
  });
  if (errs.length) throw new LabelSelectorError(aggregate(errs));
  return new Requirement(key, operator as Operator, vals);
}

export interface Selector {
  matches(labels: Labels): boolean;
  /** True for the selector that matches everything (no requirements). */
  empty(): boolean;
  /** Canonical string: requirements sorted by key, joined with `,`. */
  toString(): string;
  /** The requirements, sorted by key; `selectable` is false for the match-nothing selector. */
  requirements(): Requirement[];
  readonly selectable: boolean;
  /** The value `label` must have for the selector to match, if it pins exactly one. */
  requiresExactMatch(label: string): string | undefined;
}

class InternalSelector implements Selector {
  readonly selectable = true;
  readonly #reqs: Requirement[];
  constructor(reqs: Requirement[]) {
    this.#reqs = reqs;
  }
  matches(labels: Labels): boolean {
    for (const r of this.#reqs) if (!r.matches(labels)) return false;
    return true;
  }
  empty(): boolean {
    return this.#reqs.length === 0;
  }
  toString(): string {
    return this.#reqs.map((r) => r.toString()).join(',');
  }
  requirements(): Requirement[] {
    return this.#reqs.slice();
  }
  requiresExactMatch(label: string): string | undefined {
    for (const r of this.#reqs) {
      if (r.key !== label) continue;
      if ((r.operator === '=' || r.operator === '==' || r.operator === 'in') && r.strValues.length === 1) return r.strValues[0];
      return undefined;
    }
    return undefined;
  }
  /** Selector.Add: a new selector with more requirements, re-sorted by key. */
  add(...reqs: Requirement[]): Selector {
    return new InternalSelector(sortByKey([...this.#reqs, ...reqs]));
  }
}

class NothingSelector implements Selector {
  readonly selectable = false;
  matches(): boolean {
    return false;
  }
  empty(): boolean {
    return false;
  }
  toString(): string {
    return '';
  }
  requirements(): Requirement[] {
    return [];
  }
  requiresExactMatch(): string | undefined {
    return undefined;
  }
}

const EVERYTHING: Selector = new InternalSelector([]);
const NOTHING: Selector = new NothingSelector();

export const everything = (): Selector => EVERYTHING;
export const nothing = (): Selector => NOTHING;

function sortByKey(reqs: Requirement[]): Requirement[] {
  // Array.prototype.sort is stable, like Go's insertion sort on the small slices selectors have.
  return reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** labels.SelectorFromSet / SelectorFromValidatedSet: equality on every pair (not validated). */
export function selectorFromSet(set: Labels): Selector {
  if (!set) return EVERYTHING;
  const keys = Object.keys(set);
  if (keys.length === 0) return EVERYTHING;
  return new InternalSelector(sortByKey(keys.map((k) => new Requirement(k, '=', [set[k]!]))));
}

/** labels.ValidatedSelectorFromSet: like selectorFromSet but validates keys and values. */
export function validatedSelectorFromSet(set: Labels): Selector {
  if (!set) return EVERYTHING;
  const keys = Object.keys(set);
  if (keys.length === 0) return EVERYTHING;
  return new InternalSelector(sortByKey(keys.map((k) => newRequirement(k, '=', [set[k]!]))));
}

// ---------------------------------------------------------------------------------------------
// Lexer and parser for the string form

// Token kinds (plain numbers rather than an enum, so type-stripping loaders can run this file).
const Tok = {
  Error: 0,
  EOS: 1,
  ClosedPar: 2,
  Comma: 3,
  DoesNotExist: 4,
  DoubleEquals: 5,
  Equals: 6,
  GreaterThan: 7,
  Identifier: 8,
  In: 9,
  LessThan: 10,
  NotEquals: 11,
  NotIn: 12,
  OpenPar: 13,
} as const;
type Tok = (typeof Tok)[keyof typeof Tok];

const STRING_TO_TOKEN: Record<string, Tok> = {
  ')': Tok.ClosedPar,
  ',': Tok.Comma,
  '!': Tok.DoesNotExist,
  '==': Tok.DoubleEquals,
  '=': Tok.Equals,
  '>': Tok.GreaterThan,
  in: Tok.In,
  '<': Tok.LessThan,
  '!=': Tok.NotEquals,
  notin: Tok.NotIn,
  '(': Tok.OpenPar,
};
const tokenOf = (s: string): Tok | undefined => (Object.prototype.hasOwnProperty.call(STRING_TO_TOKEN, s) ? STRING_TO_TOKEN[s] : undefined);

const isWhitespace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isSpecial = (c: string) => c === '=' || c === '!' || c === '(' || c === ')' || c === ',' || c === '>' || c === '<';

interface Item {
  tok: Tok;
  lit: string;
}

function lex(s: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && isWhitespace(s[pos]!)) pos++;
    if (pos >= s.length) {
      items.push({ tok: Tok.EOS, lit: '' });
      return items;
    }
    if (isSpecial(s[pos]!)) {
      // The longest run of special characters that is a token.
      let buf = '';
      let last: Item | null = null;
      while (pos < s.length && isSpecial(s[pos]!)) {
        buf += s[pos];
        const t = tokenOf(buf);
        if (t !== undefined) {
          last = { tok: t, lit: buf };
        } else if (last) {
          break;
        }
        pos++;
      }
      items.push(last ?? { tok: Tok.Error, lit: `error expected: keyword found '${buf}'` });
    } else {
      const start = pos;
      while (pos < s.length && !isSpecial(s[pos]!) && !isWhitespace(s[pos]!)) pos++;
      const word = s.slice(start, pos);
      items.push({ tok: tokenOf(word) ?? Tok.Identifier, lit: word });
    }
  }
}

class Parser {
  #items: Item[];
  #pos = 0;
  constructor(s: string) {
    this.#items = lex(s);
  }

  // In a Values context the keywords `in`/`notin` are plain identifiers.
  #peek(values: boolean): Item {
    const it = this.#items[this.#pos]!;
    return values && (it.tok === Tok.In || it.tok === Tok.NotIn) ? { tok: Tok.Identifier, lit: it.lit } : it;
  }
  #next(values: boolean): Item {
    const it = this.#peek(values);
    if (this.#pos < this.#items.length - 1) this.#pos++;
    return it;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.#peek(true);
      if (tok === Tok.Identifier || tok === Tok.DoesNotExist) {
        let r: Requirement;
        try {
          r = this.#requirement();
        } catch (e) {
          throw new LabelSelectorError(`unable to parse requirement: ${(e as Error).message}`);
        }
        reqs.push(r);
        const t = this.#next(true);
        if (t.tok === Tok.EOS) return reqs;
        if (t.tok === Tok.Comma) {
          const t2 = this.#peek(true);
          if (t2.tok !== Tok.Identifier && t2.tok !== Tok.DoesNotExist) {
            throw new LabelSelectorError(`found '${t2.lit}', expected: identifier after ','`);
          }
        } else {
          throw new LabelSelectorError(`found '${t.lit}', expected: ',' or 'end of string'`);
        }
      } else if (tok === Tok.EOS) {
        return reqs;
      } else {
        throw new LabelSelectorError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  #requirement(): Requirement {
    let t = this.#next(true);
    let op: string = '';
    if (t.tok === Tok.DoesNotExist) {
      op = '!';
      t = this.#next(true);
    }
    if (t.tok !== Tok.Identifier) throw new Error(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length) throw new Error(invalidRaw('<nil>', JSON.stringify(key), keyErrs.join('; ')));
    const la = this.#peek(true).tok;
    if (la === Tok.EOS || la === Tok.Comma) {
      if (op !== '!') op = 'exists';
    }
    if (op === 'exists' || op === '!') return newRequirement(key, op, []);

    const o = this.#next(false);
    switch (o.tok) {
      case Tok.In:
        op = 'in';
        break;
      case Tok.Equals:
        op = '=';
        break;
      case Tok.DoubleEquals:
        op = '==';
        break;
      case Tok.GreaterThan:
        op = 'gt';
        break;
      case Tok.LessThan:
        op = 'lt';
        break;
      case Tok.NotIn:
        op = 'notin';
        break;
      case Tok.NotEquals:
        op = '!=';
        break;
      default:
        throw new Error(`found '${o.lit}', expected: ${BINARY_OPERATORS.join(', ')}`);
    }
    const values = op === 'in' || op === 'notin' ? this.#values() : this.#exactValue();
    return newRequirement(key, op, [...values].sort());
  }

  #values(): Set<string> {
    const t = this.#next(true);
    if (t.tok !== Tok.OpenPar) throw new Error(`found '${t.lit}' expected: '('`);
    const { tok, lit } = this.#peek(true);
    if (tok === Tok.Identifier || tok === Tok.Comma) {
      const s = this.#identifiers();
      if (this.#next(true).tok !== Tok.ClosedPar) throw new Error(`found '${lit}', expected: ')'`);
      return s;
    }
    if (tok === Tok.ClosedPar) {
      this.#next(true);
      return new Set(['']);
    }
    throw new Error(`found '${lit}', expected: ',', ')' or identifier`);
  }

  #identifiers(): Set<string> {
    const s = new Set<string>();
    for (;;) {
      const { tok, lit } = this.#next(true);
      if (tok === Tok.Identifier) {
        s.add(lit);
        const t2 = this.#peek(true);
        if (t2.tok === Tok.Comma) continue;
        if (t2.tok === Tok.ClosedPar) return s;
        throw new Error(`found '${t2.lit}', expected: ',' or ')'`);
      } else if (tok === Tok.Comma) {
        if (s.size === 0) s.add('');
        const t2 = this.#peek(true).tok;
        if (t2 === Tok.ClosedPar) {
          s.add('');
          return s;
        }
        if (t2 === Tok.Comma) {
          this.#next(true);
          s.add('');
        }
      } else {
        throw new Error(`found '${lit}', expected: ',', or identifier`);
      }
    }
  }

  #exactValue(): Set<string> {
    const la = this.#peek(true).tok;
    if (la === Tok.EOS || la === Tok.Comma) return new Set(['']);
    const t = this.#next(true);
    if (t.tok === Tok.Identifier) return new Set([t.lit]);
    throw new Error(`found '${t.lit}', expected: identifier`);
  }
}

/** labels.Parse: the string syntax of `?labelSelector=` and `kubectl -l`. Throws LabelSelectorError. */
export function parseSelector(s: string): Selector {
  const reqs = new Parser(s).parse();
  return reqs.length === 0 ? EVERYTHING : new InternalSelector(sortByKey(reqs));
}

// ---------------------------------------------------------------------------------------------
// metav1.LabelSelector

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[] | null;
}

export interface LabelSelector {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: LabelSelectorRequirement[] | null;
}

const LS_OPERATORS: Record<string, Operator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/**
 * metav1.LabelSelectorAsSelector: null/undefined matches nothing, `{}` matches everything.
 * Throws LabelSelectorError for an unknown operator or an invalid requirement.
 */
export function selectorFromLabelSelector(ls: LabelSelector | null | undefined): Selector {
  if (ls == null) return NOTHING;
  const ml = ls.matchLabels ?? {};
  const me = ls.matchExpressions ?? [];
  const mlKeys = Object.keys(ml);
  if (mlKeys.length + me.length === 0) return EVERYTHING;
  const reqs: Requirement[] = [];
  for (const k of mlKeys) reqs.push(newRequirement(k, '=', [ml[k]!]));
  for (const e of me) {
    const op = Object.prototype.hasOwnProperty.call(LS_OPERATORS, e.operator) ? LS_OPERATORS[e.operator] : undefined;
    if (!op) throw new LabelSelectorError(`${JSON.stringify(e.operator ?? '')} is not a valid label selector operator`);
    const vals = e.values && e.values.length ? [...e.values] : null;
    reqs.push(newRequirement(e.key ?? '', op, vals));
  }
  return new InternalSelector(sortByKey(reqs));
}

/** metav1.FormatLabelSelector as printers show it: `<none>` when empty or nil, `<error>` when invalid. */
export function formatLabelSelector(ls: LabelSelector | null | undefined): string {
  let s: string;
  try {
    s = selectorFromLabelSelector(ls).toString();
  } catch {
    return '<error>';
  }
  return s === '' ? '<none>' : s;
}

/** labels.FormatLabels: `k=v` pairs sorted as strings, joined with `,`; `<none>` when empty. */
export function formatLabels(labels: Labels): string {
  if (!labels) return '<none>';
  const pairs = Object.keys(labels).map((k) => `${k}=${labels[k]}`);
  if (pairs.length === 0) return '<none>';
  return pairs.sort().join(',');
}

/** metav1.ValidateLabelSelector: field errors for a LabelSelector in an object being validated. */
export function validateLabelSelector(ls: LabelSelector | null | undefined, fieldPath: string, opts: { allowInvalidLabelValue?: boolean } = {}): FieldError[] {
  const errs: FieldError[] = [];
  if (ls == null) return errs;
  const ml = ls.matchLabels ?? {};
  for (const k of Object.keys(ml)) {
    for (const m of isQualifiedName(k)) errs.push({ type: 'FieldValueInvalid', field: `${fieldPath}.matchLabels`, value: k, detail: m });
    for (const m of isValidLabelValue(String(ml[k]))) errs.push({ type: 'FieldValueInvalid', field: `${fieldPath}.matchLabels`, value: ml[k], detail: m });
  }
  (ls.matchExpressions ?? []).forEach((e, i) => {
    const p = `${fieldPath}.matchExpressions[${i}]`;
    const vals = e.values ?? [];
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (vals.length === 0) errs.push({ type: 'FieldValueRequired', field: `${p}.values`, detail: "must be specified when `operator` is 'In' or 'NotIn'" });
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (vals.length > 0) errs.push({ type: 'FieldValueForbidden', field: `${p}.values`, detail: "may not be specified when `operator` is 'Exists' or 'DoesNotExist'" });
        break;
      default:
        errs.push({ type: 'FieldValueInvalid', field: `${p}.operator`, value: e.operator, detail: 'not a valid selector operator' });
    }
    for (const m of isQualifiedName(e.key ?? '')) errs.push({ type: 'FieldValueInvalid', field: `${p}.key`, value: e.key ?? '', detail: m });
    if (!opts.allowInvalidLabelValue) {
      vals.forEach((v, j) => {
        for (const m of isValidLabelValue(v)) errs.push({ type: 'FieldValueInvalid', field: `${p}.values[${j}]`, value: v, detail: m });
      });
    }
  });
  return errs;
}
