// Shared building blocks of kube-apiserver validation (k8s.io/apimachinery .../validation and
// pkg/apis/core/validation helpers): field paths, labels, annotations, label selectors, immutability.
import type { FieldError } from '../../machinery/errors.ts';
import { invalid } from '../../machinery/errors.ts';
import {
  isDNS1123Subdomain,
  isDNS1123Label,
  isQualifiedName,
  isValidPortNum,
  isValidPortName,
  isValidIP,
  isValidPercent,
  validateLabels as labelsErrs,
  validateAnnotations as annotationsErrs,
} from '../../machinery/validation.ts';
import type { NameValidator } from '../../machinery/validation.ts';
import { validateLabelSelector as selectorErrs, selectorFromLabelSelector } from '../../machinery/labels.ts';

export type { NameValidator } from '../../machinery/validation.ts';
export { nameIsDNSSubdomain, nameIsDNSLabel, nameIsDNS1035Label, nameIsPathSegment, isValidPercent } from '../../machinery/validation.ts';

export type Obj = Record<string, any>;

export const child = (p: string, ...names: string[]): string => {
  let s = p;
  for (const n of names) s = s ? `${s}.${n}` : n;
  return s;
};
export const index = (p: string, i: number): string => `${p}[${i}]`;
export const key = (p: string, k: string): string => `${p}[${k}]`;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const arr = (v: unknown): any[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const has = (v: unknown): boolean => v !== undefined && v !== null;

/** Names that upstream does not restrict beyond being present (CertificateSigningRequest). */
export const nameAnything: NameValidator = () => [];

// ---- generic field checks ----

export const IS_NEGATIVE = 'must be greater than or equal to 0';
export const NOT_POSITIVE = 'must be greater than zero';
export const IMMUTABLE = 'field is immutable';

export function nonNegative(v: unknown, path: string, errs: FieldError[]): void {
  if (typeof v === 'number' && v < 0) errs.push(invalid(path, v, IS_NEGATIVE));
}

export function inclusiveRange(lo: number, hi: number): string {
  return `must be between ${lo} and ${hi}, inclusive`;
}

/** Structural equality for JSON values; absent, null and empty containers are treated alike. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const ea = isEmpty(a);
  const eb = isEmpty(b);
  if (ea || eb) return ea && eb;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (isObj(a) && isObj(b)) {
    for (const k of Object.keys(a)) if (!deepEqual(a[k], b[k])) return false;
    for (const k of Object.keys(b)) if (!(k in a) && !isEmpty(b[k])) return false;
    return true;
  }
  return false;
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObj(v)) return Object.keys(v).every((k) => isEmpty(v[k]));
  return false;
}

/** ValidateImmutableField: `path: Invalid value: <new>: field is immutable`. */
export function immutable(newV: unknown, oldV: unknown, path: string, errs: FieldError[]): void {
  if (!deepEqual(newV, oldV)) errs.push(invalid(path, newV ?? null, IMMUTABLE));
}

export function dns1123Label(v: string, path: string, errs: FieldError[]): void {
  for (const m of isDNS1123Label(v)) errs.push(invalid(path, v, m));
}
export function dns1123Subdomain(v: string, path: string, errs: FieldError[]): void {
  for (const m of isDNS1123Subdomain(v)) errs.push(invalid(path, v, m));
}
export function qualifiedName(v: string, path: string, errs: FieldError[]): void {
  for (const m of isQualifiedName(v)) errs.push(invalid(path, v, m));
}
export function nameWith(fn: NameValidator, v: string, path: string, errs: FieldError[]): void {
  for (const m of fn(v, false)) errs.push(invalid(path, v, m));
}
export function ipAddress(v: string, path: string, errs: FieldError[]): void {
  for (const m of isValidIP(v)) errs.push(invalid(path, v, m));
}
export function portNum(v: unknown, path: string, errs: FieldError[]): void {
  const n = typeof v === 'number' ? v : 0;
  for (const m of isValidPortNum(n)) errs.push(invalid(path, v ?? 0, m));
}

/** ValidatePortNumOrName for IntOrString ports. */
export function portNumOrName(v: unknown, path: string, errs: FieldError[]): void {
  if (typeof v === 'number') {
    for (const m of isValidPortNum(v)) errs.push(invalid(path, v, m));
  } else if (typeof v === 'string') {
    for (const m of isValidPortName(v)) errs.push(invalid(path, v, m));
  } else {
    for (const m of isValidPortNum(0)) errs.push(invalid(path, 0, m));
  }
}

// ---- labels, annotations, selectors ----

/** unversionedvalidation.ValidateLabelName: errors carry the given path. */
export function labelName(k: string, path: string, errs: FieldError[]): void {
  for (const m of isQualifiedName(k)) errs.push(invalid(path, k, m));
}

export function validateLabels(labels: unknown, path: string, errs: FieldError[]): void {
  if (isObj(labels)) errs.push(...labelsErrs(labels, path));
}

export function validateAnnotations(ann: unknown, path: string, errs: FieldError[]): void {
  if (isObj(ann)) errs.push(...annotationsErrs(ann, path));
}

/** unversionedvalidation.ValidateLabelSelector. */
export function validateLabelSelector(sel: unknown, path: string, errs: FieldError[], allowInvalidValues = false): void {
  if (isObj(sel)) errs.push(...selectorErrs(sel as any, path, { allowInvalidLabelValue: allowInvalidValues }));
}

export function selectorIsEmpty(sel: unknown): boolean {
  if (!isObj(sel)) return true;
  return Object.keys(isObj(sel.matchLabels) ? sel.matchLabels : {}).length + arr(sel.matchExpressions).length === 0;
}

/** Whether a metav1.LabelSelector converts to a selector (LabelSelectorAsSelector does not fail). */
export function selectorConvertible(sel: unknown): boolean {
  if (!isObj(sel)) return true;
  try {
    selectorFromLabelSelector(sel as any);
    return true;
  } catch {
    return false;
  }
}

/** metav1.LabelSelector matching against a label set (nil selector matches nothing, empty matches all). */
export function selectorMatches(sel: unknown, labels: unknown): boolean {
  if (!isObj(sel)) return false;
  try {
    return selectorFromLabelSelector(sel as any).matches(isObj(labels) ? (labels as Record<string, string>) : {});
  } catch {
    return false;
  }
}

/** A map selector (Service, ReplicationController): every pair must be present. */
export function mapSelectorMatches(sel: Obj, labels: unknown): boolean {
  const l: Obj = isObj(labels) ? labels : {};
  for (const [k, v] of Object.entries(sel)) if (l[k] !== v) return false;
  return true;
}

// ---- IntOrString percentages (apps validation) ----

export function intOrPercentValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (isValidPercent(v).length === 0) return Number(v.slice(0, -1));
    const n = Number(v);
    return Number.isInteger(n) ? n : 0;
  }
  return 0;
}

export function positiveIntOrPercent(v: unknown, path: string, errs: FieldError[]): void {
  if (typeof v === 'string') {
    for (const m of isValidPercent(v)) errs.push(invalid(path, v, m));
  } else if (typeof v === 'number') {
    nonNegative(v, path, errs);
  } else if (v !== undefined && v !== null) {
    errs.push(invalid(path, v, "must be an integer or percentage (e.g '5%')"));
  }
}

export function notMoreThan100Percent(v: unknown, path: string, errs: FieldError[]): void {
  if (typeof v !== 'string' || isValidPercent(v).length) return;
  if (Number(v.slice(0, -1)) > 100) errs.push(invalid(path, v, 'must not be greater than 100%'));
}
