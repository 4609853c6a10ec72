// The Kubernetes protobuf schema (schema.ts) compiled on first use into lookup tables: field by
// number for decoding, fields in Go struct order for building objects the way the API orders them.

import { KINDS, MESSAGES } from './schema.ts';

/** Wire scalar types; '' for a message. */
export type Scalar = '' | 'string' | 'bytes' | 'bool' | 'int32' | 'int64' | 'double';

/**
 * Messages whose Go types marshal to JSON in their own way; 'List' is a named Go slice
 * (ExtraValue): message `{repeated items = 1}`, JSON an array. No kind we decode has a Duration;
 * one would be rejected as undecodable rather than misread as `{duration: <ns>}`.
 */
export type Special = '' | 'Time' | 'MicroTime' | 'Duration' | 'Quantity' | 'IntOrString' | 'RawExtension' | 'FieldsV1' | 'List';

/** optional, repeated, map. */
export type Rule = 'o' | 'r' | 'm';

export interface Field {
  readonly index: number;
  readonly number: number;
  readonly name: string;
  readonly rule: Rule;
  /** For maps: the key's scalar type (always string in Kubernetes). */
  readonly mapKey: Scalar;
  readonly type: string;
  readonly scalar: Scalar;
  /** A Go pointer: a zero value on the wire was set on purpose and is kept. */
  readonly ptr: boolean;
  /** JSON-inlined into the parent (VolumeSource in Volume, ProbeHandler in Probe). */
  readonly inline: boolean;
}

export interface Message {
  readonly name: string;
  readonly special: Special;
  /** Go struct order. */
  readonly fields: readonly Field[];
  /** Sparse, by field number. */
  readonly byNumber: readonly (Field | undefined)[];
}

const SCALARS: Record<string, Scalar> = { string: 'string', bytes: 'bytes', bool: 'bool', int32: 'int32', int64: 'int64', double: 'double' };

const SPECIALS: Record<string, Special> = {
  'apimachinery.pkg.apis.meta.v1.Time': 'Time',
  'apimachinery.pkg.apis.meta.v1.MicroTime': 'MicroTime',
  'apimachinery.pkg.apis.meta.v1.Duration': 'Duration',
  'apimachinery.pkg.apis.meta.v1.FieldsV1': 'FieldsV1',
  'apimachinery.pkg.api.resource.Quantity': 'Quantity',
  'apimachinery.pkg.util.intstr.IntOrString': 'IntOrString',
  'apimachinery.pkg.runtime.RawExtension': 'RawExtension',
};

const compiled = new Map<string, Message>();

/** The compiled message, or undefined when the schema lacks it. */
export function message(name: string): Message | undefined {
  const hit = compiled.get(name);
  if (hit) return hit;
  const rows = MESSAGES[name];
  if (!rows) return undefined;
  const fields: Field[] = [];
  const byNumber: (Field | undefined)[] = [];
  let special: Special = SPECIALS[name] ?? '';
  rows.forEach(([number, fieldName, rule, type, flags], index) => {
    const flagList = flags ? flags.split(',') : [];
    if (flagList.includes('list')) special = 'List';
    const f: Field = {
      index,
      number,
      name: fieldName,
      rule: rule === 'o' ? 'o' : rule === 'r' ? 'r' : 'm',
      mapKey: rule.startsWith('m:') ? (SCALARS[rule.slice(2)] ?? 'string') : '',
      type,
      scalar: SCALARS[type] ?? '',
      ptr: flagList.includes('ptr'),
      inline: flagList.includes('inline'),
    };
    fields.push(f);
    byNumber[number] = f;
  });
  const m: Message = { name, special, fields, byNumber };
  compiled.set(name, m);
  return m;
}

/** The message name for a group/version/kind as runtime.Unknown's typeMeta spells it. */
export function messageForKind(apiVersion: string, kind: string): string | undefined {
  return KINDS[`${apiVersion}/${kind}`] ?? KINDS[`*/${kind}`];
}
