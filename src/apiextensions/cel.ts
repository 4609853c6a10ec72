// CRD validation rules (x-kubernetes-validations) in CEL, as apiextensions-apiserver's
// schema/cel validator: `self` is the value at the rule's schema node, `oldSelf` the old value on
// update (rules that use it are transition rules, skipped on create), message / messageExpression
// / reason / fieldPath shape the field error. Evaluated with @marcbachmann/cel-js plus the
// Kubernetes string and list extension functions it lacks.
import { Environment } from '@marcbachmann/cel-js';
import type { FieldError, FieldErrorType } from '../machinery/errors.ts';
import { type Schema, type ValidationRule, typeName } from './schema.ts';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

let envCache: Environment | undefined;

/** One environment for every rule: dynamic variables and the Kubernetes CEL library additions. */
function env(): Environment {
  if (envCache) return envCache;
  const e = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });
  const reg = (sig: string, fn: (...a: any[]) => unknown) => {
    try {
      e.registerFunction(sig, fn as never);
    } catch {
      // Already provided by the library.
    }
  };
  // Kubernetes strings library (k8s.io/apiserver/pkg/cel/library and cel-go ext strings).
  reg('string.replace(string, string): string', (s: string, a: string, b: string) => s.split(a).join(b));
  reg('string.replace(string, string, int): string', (s: string, a: string, b: string, n: bigint) => {
    let out = s;
    let count = Number(n);
    if (count < 0) return s.split(a).join(b);
    let i = 0;
    let res = '';
    while (count-- > 0) {
      const j = out.indexOf(a, i);
      if (j < 0) break;
      res += out.slice(i, j) + b;
      i = j + a.length;
    }
    res += out.slice(i);
    out = res;
    return out;
  });
  reg('string.charAt(int): string', (s: string, i: bigint) => s.charAt(Number(i)));
  reg('string.reverse(): string', (s: string) => [...s].reverse().join(''));
  reg('list<dyn>.isSorted(): bool', (l: unknown[]) => {
    for (let i = 1; i < l.length; i++) if ((l[i - 1] as number) > (l[i] as number)) return false;
    return true;
  });
  reg('list<dyn>.sum(): dyn', (l: unknown[]) => (l.length === 0 ? 0n : (l as any[]).reduce((a, b) => a + b)));
  reg('list<dyn>.min(): dyn', (l: unknown[]) => (l as any[]).reduce((a, b) => (b < a ? b : a)));
  reg('list<dyn>.max(): dyn', (l: unknown[]) => (l as any[]).reduce((a, b) => (b > a ? b : a)));
  reg('list<dyn>.indexOf(dyn): int', (l: unknown[], v: unknown) => BigInt(l.findIndex((x) => x === v)));
  reg('list<dyn>.lastIndexOf(dyn): int', (l: unknown[], v: unknown) => BigInt(l.map((x) => x === v).lastIndexOf(true)));
  envCache = e;
  return e;
}

type Program = (ctx: Json) => unknown;

export interface CompiledRule {
  rule: ValidationRule;
  program: Program;
  message?: Program;
  transition: boolean;
}

const compiledCache = new Map<string, Program | Error>();

function compile(expr: string): Program {
  let hit = compiledCache.get(expr);
  if (!hit) {
    try {
      hit = env().parse(expr) as unknown as Program;
    } catch (e) {
      hit = e as Error;
    }
    compiledCache.set(expr, hit);
  }
  if (hit instanceof Error) throw hit;
  return hit;
}

/** Compile errors of a schema's rules, with their schema paths (for CRD validation). */
export function ruleCompileErrors(s: Schema, path: string, out: FieldError[]): void {
  const rules = s['x-kubernetes-validations'];
  if (Array.isArray(rules)) {
    rules.forEach((r, i) => {
      const rp = `${path}.x-kubernetes-validations[${i}]`;
      if (typeof r?.rule !== 'string' || r.rule.trim() === '') {
        out.push({ type: 'FieldValueRequired', field: `${rp}.rule`, detail: '' });
        return;
      }
      try {
        compile(r.rule);
      } catch (e) {
        out.push({ type: 'FieldValueInvalid', field: `${rp}.rule`, value: r.rule, detail: `compilation failed: ERROR: <input>:1: ${firstLine(e)}` });
      }
      if (r.messageExpression) {
        try {
          compile(r.messageExpression);
        } catch (e) {
          out.push({ type: 'FieldValueInvalid', field: `${rp}.messageExpression`, value: r.messageExpression, detail: `messageExpression compilation failed: ${firstLine(e)}` });
        }
      }
      if (r.reason !== undefined && !['FieldValueInvalid', 'FieldValueForbidden', 'FieldValueRequired', 'FieldValueDuplicate'].includes(r.reason)) {
        out.push({
          type: 'FieldValueNotSupported', field: `${rp}.reason`, value: r.reason,
          detail: 'supported values: "FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"',
        });
      }
    });
  }
  for (const [k, p] of Object.entries(s.properties ?? {})) ruleCompileErrors(p, `${path}.properties[${k}]`, out);
  if (s.items) ruleCompileErrors(s.items, `${path}.items`, out);
  if (s.additionalProperties && typeof s.additionalProperties === 'object') ruleCompileErrors(s.additionalProperties, `${path}.additionalProperties`, out);
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0]!;
}

/** True when any node of the schema has rules (so the walk can be skipped entirely). */
export function hasRules(s: Schema | undefined): boolean {
  if (!s) return false;
  if (Array.isArray(s['x-kubernetes-validations']) && s['x-kubernetes-validations'].length) return true;
  if (Object.values(s.properties ?? {}).some(hasRules)) return true;
  if (s.items && hasRules(s.items)) return true;
  return !!s.additionalProperties && typeof s.additionalProperties === 'object' && hasRules(s.additionalProperties);
}

/** A JSON value as CEL sees it: integers as int (BigInt) where the schema says so or is unknown. */
export function celValue(v: unknown, s: Schema | undefined): unknown {
  if (typeof v === 'number') {
    if (s?.type === 'number') return v;
    return Number.isInteger(v) ? BigInt(v) : v;
  }
  if (Array.isArray(v)) return v.map((x) => celValue(x, s?.items));
  if (isObj(v)) {
    const out: Json = {};
    for (const [k, x] of Object.entries(v)) {
      const ps = s?.properties?.[k] ?? (isObj(s?.additionalProperties) ? (s!.additionalProperties as Schema) : undefined);
      out[k] = celValue(x, ps);
    }
    return out;
  }
  return v;
}

const REASONS: Record<string, FieldErrorType> = {
  FieldValueInvalid: 'FieldValueInvalid',
  FieldValueForbidden: 'FieldValueForbidden',
  FieldValueRequired: 'FieldValueRequired',
  FieldValueDuplicate: 'FieldValueDuplicate',
};

function fieldPathOf(base: string, fp: string | undefined): string {
  if (!fp) return base;
  const rel = fp.startsWith('.') ? fp.slice(1) : fp;
  return base ? (rel.startsWith('[') ? base + rel : `${base}.${rel}`) : rel;
}

function runRules(v: unknown, old: unknown, s: Schema, path: string, errs: FieldError[]) {
  const rules = s['x-kubernetes-validations'];
  if (!Array.isArray(rules) || rules.length === 0) return;
  const self = celValue(v, s);
  const oldSelf = old === undefined ? undefined : celValue(old, s);
  for (const r of rules) {
    const transition = /\boldSelf\b/.test(r.rule);
    if (transition && old === undefined && !r.optionalOldSelf) continue;
    const field = fieldPathOf(path, r.fieldPath);
    const type = REASONS[r.reason ?? ''] ?? 'FieldValueInvalid';
    let ok: unknown;
    try {
      ok = compile(r.rule)({ self, ...(oldSelf !== undefined ? { oldSelf } : {}) });
    } catch (e) {
      // No-such-key and type errors surface as the rule failing to evaluate, as upstream.
      errs.push({ type: 'FieldValueInvalid', field, value: typeName(v), detail: `${firstLine(e)} evaluating rule: ${r.rule}` });
      continue;
    }
    if (ok === true) continue;
    let msg = r.message || `failed rule: ${r.rule.trim()}`;
    if (r.messageExpression) {
      try {
        const m = compile(r.messageExpression)({ self, ...(oldSelf !== undefined ? { oldSelf } : {}) });
        if (typeof m === 'string' && m.trim() !== '' && !m.includes('\n')) msg = m;
      } catch {
        // Upstream falls back to message (or the rule) when messageExpression fails.
      }
    }
    const e: FieldError = { type, field, detail: msg };
    if (type === 'FieldValueInvalid' || type === 'FieldValueDuplicate') e.value = typeName(v);
    errs.push(e);
  }
}

/**
 * Evaluates every rule of the schema against `v` (and `old` on update), walking objects, maps and
 * lists; list-type=map items and object fields are matched with their old counterparts.
 */
export function validateRules(v: unknown, old: unknown, s: Schema | undefined, path: string, errs: FieldError[]): void {
  if (!s || v === undefined || v === null) return;
  runRules(v, old, s, path, errs);
  if (Array.isArray(v)) {
    const items = s.items;
    if (!items || !hasRules(items)) return;
    const lt = s['x-kubernetes-list-type'];
    const keys = s['x-kubernetes-list-map-keys'] ?? [];
    const oldList = Array.isArray(old) ? old : [];
    for (let i = 0; i < v.length; i++) {
      let o: unknown;
      if (lt === 'map' && isObj(v[i])) {
        o = oldList.find((x) => isObj(x) && keys.every((k) => JSON.stringify(x[k]) === JSON.stringify((v[i] as Json)[k])));
      } else if (lt === 'set') {
        o = oldList.find((x) => JSON.stringify(x) === JSON.stringify(v[i]));
      }
      validateRules(v[i], o, items, `${path}[${i}]`, errs);
    }
    return;
  }
  if (isObj(v)) {
    const oldObj = isObj(old) ? old : undefined;
    for (const [k, x] of Object.entries(v)) {
      const ps = s.properties?.[k] ?? (isObj(s.additionalProperties) ? (s.additionalProperties as Schema) : undefined);
      if (!ps || !hasRules(ps)) continue;
      const p = s.properties?.[k] ? (path ? `${path}.${k}` : k) : `${path}[${k}]`;
      validateRules(x, oldObj?.[k], ps, p, errs);
    }
  }
}
