// Field selectors as k8s.io/apimachinery/pkg/fields (ParseSelector, escaping, Transform) and the
// apiserver's 400 for unsupported field labels (pkg/apis/*/v1 conversion.go, runtime/conversion.go), v0.32.
import { StatusError } from './errors.ts';

export type FieldOperator = '=' | '!=';

export interface FieldRequirement {
  field: string;
  /** Upstream reports both `=` and `==` as selection.Equals. */
  operator: FieldOperator;
  value: string;
}

/** A malformed field selector string; `message` is upstream's error text. */
export class FieldSelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldSelectorError';
  }
}

/**
 * Maps a field selector term to the stored field name (e.g. `spec.host` → `spec.nodeName`), or throws
 * for an unsupported field. Returning an empty field and value drops the term.
 */
export type FieldTransform = (field: string, value: string) => [field: string, value: string];

export interface FieldSelector {
  matches(fields: Record<string, string>): boolean;
  /** True when the selector has no terms (matches everything). */
  empty(): boolean;
  requirements(): FieldRequirement[];
  /** Canonical string: terms in sorted order, values escaped, joined with `,`. */
  toString(): string;
  /** The value `field` must equal for the selector to match, if an `=` term pins it. */
  requiresExactMatch(field: string): string | undefined;
  transform(fn: FieldTransform): FieldSelector;
}

// fields.EscapeValue / UnescapeValue: `\`, `,` and `=` are escaped with a backslash in values.
export function escapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  return s.replace(/[\\,=]/g, (c) => `\\${c}`);
}

export function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c === '\\' || c === ',' || c === '=') out += c;
      else throw new FieldSelectorError(`invalid field selector: invalid escape sequence: \\${c}`);
      inSlash = false;
      continue;
    }
    if (c === '\\') inSlash = true;
    // Upstream prints the rune with %v, i.e. as its number.
    else if (c === ',' || c === '=') throw new FieldSelectorError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    else out += c;
  }
  if (inSlash) throw new FieldSelectorError('invalid field selector: invalid escape sequence: \\');
  return out;
}

class Term implements FieldSelector {
  readonly field: string;
  readonly op: FieldOperator;
  readonly value: string;
  constructor(field: string, op: FieldOperator, value: string) {
    this.field = field;
    this.op = op;
    this.value = value;
  }
  matches(fields: Record<string, string>): boolean {
    const v = fields[this.field] ?? '';
    return this.op === '=' ? v === this.value : v !== this.value;
  }
  empty(): boolean {
    return false;
  }
  requirements(): FieldRequirement[] {
    return [{ field: this.field, operator: this.op, value: this.value }];
  }
  toString(): string {
    return `${this.field}${this.op}${escapeValue(this.value)}`;
  }
  requiresExactMatch(field: string): string | undefined {
    return this.op === '=' && this.field === field ? this.value : undefined;
  }
  transform(fn: FieldTransform): FieldSelector {
    const [f, v] = fn(this.field, this.value);
    if (f === '' && v === '') return EVERYTHING;
    return new Term(f, this.op, v);
  }
}

class AndTerm implements FieldSelector {
  readonly terms: FieldSelector[];
  constructor(terms: FieldSelector[]) {
    this.terms = terms;
  }
  matches(fields: Record<string, string>): boolean {
    for (const t of this.terms) if (!t.matches(fields)) return false;
    return true;
  }
  empty(): boolean {
    return this.terms.every((t) => t.empty());
  }
  requirements(): FieldRequirement[] {
    return this.terms.flatMap((t) => t.requirements());
  }
  toString(): string {
    return this.terms.map((t) => t.toString()).join(',');
  }
  requiresExactMatch(field: string): string | undefined {
    for (const t of this.terms) {
      const v = t.requiresExactMatch(field);
      if (v !== undefined) return v;
    }
    return undefined;
  }
  transform(fn: FieldTransform): FieldSelector {
    const next: FieldSelector[] = [];
    for (const t of this.terms) {
      const n = t.transform(fn);
      if (!n.empty()) next.push(n);
    }
    return new AndTerm(next);
  }
}

class NothingFieldSelector implements FieldSelector {
  matches(): boolean {
    return false;
  }
  empty(): boolean {
    return false;
  }
  requirements(): FieldRequirement[] {
    return [];
  }
  toString(): string {
    return '';
  }
  requiresExactMatch(): string | undefined {
    return undefined;
  }
  transform(): FieldSelector {
    return this;
  }
}

const EVERYTHING: FieldSelector = new AndTerm([]);
const NOTHING: FieldSelector = new NothingFieldSelector();
export const everythingFields = (): FieldSelector => EVERYTHING;
export const nothingFields = (): FieldSelector => NOTHING;

/** fields.OneTermEqualSelector. */
export const oneTermEqualSelector = (field: string, value: string): FieldSelector => new Term(field, '=', value);

/** fields.SelectorFromSet: `field=value` for every pair. */
export function fieldSelectorFromSet(set: Record<string, string> | null | undefined): FieldSelector {
  if (!set) return EVERYTHING;
  const terms = Object.keys(set).map((k) => new Term(k, '=', set[k]!));
  return terms.length === 1 ? terms[0]! : new AndTerm(terms);
}

/** fields.AndSelectors. */
export const andFieldSelectors = (...selectors: FieldSelector[]): FieldSelector => new AndTerm(selectors);

function splitTerms(s: string): string[] {
  if (s.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

function splitTerm(term: string): [lhs: string, op: string, rhs: string] | null {
  for (let i = 0; i < term.length; i++) {
    for (const op of ['!=', '==', '=']) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return null;
}

/** Go's sort.Strings order: by UTF-8 bytes (UTF-16 order differs only for astral characters). */
const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * fields.ParseAndTransformSelector: comma-separated `field=value`, `field==value`, `field!=value`
 * terms, values escaped with `\`. Throws FieldSelectorError (or whatever `fn` throws).
 */
export function parseFieldSelector(s: string, fn?: FieldTransform): FieldSelector {
  const parts = splitTerms(s).sort(byBytes);
  const items: FieldSelector[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const t = splitTerm(part);
    if (!t) throw new FieldSelectorError(`invalid selector: '${s}'; can't understand '${part}'`);
    const [lhs, op, rhs] = t;
    const value = unescapeValue(rhs);
    items.push(new Term(lhs, op === '!=' ? '!=' : '=', value));
  }
  const sel = items.length === 1 ? items[0]! : new AndTerm(items);
  return fn ? sel.transform(fn) : sel;
}

/**
 * The 400 the apiserver answers when a field selector names a field the kind does not support.
 * Upstream text: `field label not supported: <field>` (per-kind conversion funcs, e.g. Pod, Node,
 * Event, Secret, Namespace, and CRs). kubectl prefixes it client-side with
 * `Unable to find "<resource>" that match label selector "<l>", field selector "<f>": ` (cli-runtime
 * resource/selector.go), giving e.g. `Error from server (BadRequest): Unable to find "/v1,
 * Resource=pods" that match label selector "", field selector "x=y": field label not supported: x`.
 * Like errors.NewBadRequest, the Status has no details; `kind` names the caller's kind for readers.
 */
export function fieldLabelError(kind: string, field: string): StatusError {
  return new StatusError(400, 'BadRequest', `field label not supported: ${field}`);
}

/**
 * The 400 for kinds without their own field label conversion (runtime.DefaultMetaV1FieldSelectorConversion):
 * `"<field>" is not a known field selector: only "metadata.name", "metadata.namespace"`.
 */
export function unknownFieldSelectorError(field: string): StatusError {
  return new StatusError(400, 'BadRequest', `${JSON.stringify(field)} is not a known field selector: only "metadata.name", "metadata.namespace"`);
}

/**
 * A FieldTransform accepting `supported` fields (plus metadata.name/metadata.namespace) and mapping
 * `renames` (e.g. {'spec.host': 'spec.nodeName'}); anything else throws fieldLabelError(kind, field).
 */
export function fieldLabelConversion(kind: string, supported: readonly string[], renames: Record<string, string> = {}): FieldTransform {
  const ok = new Set(['metadata.name', 'metadata.namespace', ...supported]);
  return (field, value) => {
    if (ok.has(field)) return [field, value];
    if (Object.prototype.hasOwnProperty.call(renames, field)) return [renames[field]!, value];
    throw fieldLabelError(kind, field);
  };
}
