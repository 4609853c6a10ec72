// Decodes `application/vnd.kubernetes.protobuf` request bodies (what kubectl 1.32+'s typed clients
// send) into the JSON shape of the object, as k8s.io/apimachinery's protobuf serializer followed
// by the JSON encoder would see it.
//
// Zero values: Go's generated marshallers write every non-pointer field, so a body carries "",
// 0, false and empty messages for everything the client left unset. The rule here:
// - a singular field whose Go type is NOT a pointer is dropped when it holds its zero value
//   ("", 0, false, an empty message, an IntOrString of 0 or "", a zero Time), because Go cannot
//   tell "unset" from zero for it either and defaulting must see it as unset;
// - a singular field whose Go type IS a pointer (`*int32 replicas`, `*bool automountServiceAccountToken`,
//   `*EmptyDirVolumeSource emptyDir`, `*IntOrString maxUnavailable`) is only on the wire when the
//   client set it, so every value is kept, including 0, false, "" and {};
// - list elements and map values are always kept (`data: {k: ""}`, `containers: [{}]`).
// The pointer flags come from upstream Go types (fields.tsv, see extract-upstream.ts).

import { StatusError, badRequest } from '../../machinery/errors.ts';
import { message, messageForKind } from './messages.ts';
import type { Field, Message } from './messages.ts';
import { Reader, WireError, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from './wire.ts';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

/** The 4-byte prefix of every Kubernetes protobuf body: "k8s\0". */
export const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Deep enough for any real object (a Pod is ~12 levels); stops hostile nesting. */
const MAX_DEPTH = 100;

export interface DecodedObject {
  apiVersion: string;
  kind: string;
  /** The object as JSON would carry it, with `apiVersion` and `kind` set. */
  object: Record<string, unknown>;
}

export interface DecodeDefaults {
  /** Used when the body's typeMeta has none (upstream fills kind defaults from the request). */
  apiVersion?: string;
  kind?: string;
}

const textDecoder = new TextDecoder('utf-8');

/**
 * Decodes a protobuf request body. Throws only StatusError: 400 BadRequest for malformed bodies,
 * 415 UnsupportedMediaType for a kind this server cannot read as protobuf.
 */
export function decodeKubernetesProtobuf(body: Uint8Array, defaults: DecodeDefaults = {}): DecodedObject {
  try {
    return decodeEnvelope(body, defaults, 0);
  } catch (e) {
    if (e instanceof StatusError) throw e;
    const why = e instanceof WireError ? e.message : `malformed protobuf body: ${e instanceof Error ? e.message : String(e)}`;
    throw badRequest(`the object provided is unrecognized: ${why}`);
  }
}

function decodeEnvelope(body: Uint8Array, defaults: DecodeDefaults, depth: number): DecodedObject {
  // Messages as k8s.io/apimachinery/pkg/runtime/serializer/protobuf words them.
  if (body.length === 0) throw new WireError('empty data');
  if (body.length < 4 || body[0] !== 0x6b || body[1] !== 0x38 || body[2] !== 0x73 || body[3] !== 0x00) {
    throw new WireError('provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]');
  }
  if (body.length === 4) throw new WireError('empty body');

  // runtime.Unknown {1 typeMeta {1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding, 4 contentType}
  const r = new Reader(body, 4);
  let apiVersion = '';
  let kind = '';
  let raw: [number, number] = [0, 0];
  let contentEncoding = '';
  while (r.pos < r.end) {
    r.next();
    const num = r.num;
    const wire = r.wire;
    if (num === 1 && wire === WIRE_LEN) {
      const s = r.len();
      const e = r.segEnd;
      const t = new Reader(body, s, e);
      while (t.pos < t.end) {
        t.next();
        const n = t.num;
        const w = t.wire;
        if ((n === 1 || n === 2) && w === WIRE_LEN) {
          const a = t.len();
          const b = t.segEnd;
          if (n === 1) apiVersion = text(body, a, b);
          else kind = text(body, a, b);
        } else t.skip(w);
      }
    } else if (num === 2 && wire === WIRE_LEN) {
      raw = r.lengthDelimited();
    } else if (num === 3 && wire === WIRE_LEN) {
      const a = r.len();
      const b = r.segEnd;
      contentEncoding = text(body, a, b);
    } else if (num >= 1 && num <= 4 && wire !== WIRE_LEN) {
      throw new WireError(`proto: wrong wireType = ${wire} for field ${['', 'TypeMeta', 'Raw', 'ContentEncoding', 'ContentType'][num]}`);
    } else {
      r.skip(wire);
    }
  }
  if (!apiVersion) apiVersion = defaults.apiVersion ?? '';
  if (!kind) kind = defaults.kind ?? '';
  if (!kind) throw badRequest(`Object 'Kind' is missing in '${typeMetaText(apiVersion, kind)}'`);
  if (!apiVersion) throw badRequest(`Object 'apiVersion' is missing in '${typeMetaText(apiVersion, kind)}'`);
  if (contentEncoding) throw new WireError(`unsupported content encoding ${JSON.stringify(contentEncoding)}`);

  const name = messageForKind(apiVersion, kind);
  const m = name ? message(name) : undefined;
  if (!m) {
    // We cannot read this kind as protobuf: answer as upstream does for resources without protobuf
    // support (custom resources), naming the kind in the details.
    const slash = apiVersion.indexOf('/');
    throw new StatusError(
      415,
      'UnsupportedMediaType',
      'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml',
      { group: slash < 0 ? '' : apiVersion.slice(0, slash), kind },
    );
  }
  try {
    const object = decodeMessage(body, raw[0], raw[1], m, depth + 1);
    return { apiVersion, kind, object: { apiVersion, kind, ...object } };
  } catch (e) {
    if (e instanceof WireError) {
      const version = apiVersion.slice(apiVersion.indexOf('/') + 1);
      throw badRequest(`${kind} in version ${JSON.stringify(version)} cannot be handled as a ${kind}: ${e.message}`);
    }
    throw e;
  }
}

function typeMetaText(apiVersion: string, kind: string): string {
  return `runtime.TypeMeta{APIVersion:${JSON.stringify(apiVersion)}, Kind:${JSON.stringify(kind)}}`;
}

function text(buf: Uint8Array, start: number, end: number): string {
  // Most Kubernetes strings are short ASCII; building them directly beats a TextDecoder call.
  if (end - start < 64) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (c >= 0x80) return textDecoder.decode(buf.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return textDecoder.decode(buf.subarray(start, end));
}

function base64(buf: Uint8Array, start: number, end: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('base64');
}

/** Decodes the message in buf[start, end) into its JSON shape (special types included). */
function decodeMessage(buf: Uint8Array, start: number, end: number, m: Message, depth: number): any {
  if (depth > MAX_DEPTH) throw new WireError(`max depth of ${MAX_DEPTH} nested messages exceeded`);
  if (m.special) return decodeSpecial(buf, start, end, m, depth);
  const r = new Reader(buf, start, end);
  const fields = m.fields;
  const values: unknown[] = new Array(fields.length);
  while (r.pos < r.end) {
    r.next();
    const num = r.num;
    const wire = r.wire;
    const f = m.byNumber[num];
    if (!f) {
      r.skip(wire);
      continue;
    }
    if (f.rule === 'o') {
      values[f.index] = readValue(r, f, wire, depth);
    } else if (f.rule === 'r') {
      const list = (values[f.index] as unknown[] | undefined) ?? (values[f.index] = []) as unknown[];
      if (wire === WIRE_LEN && (f.scalar === 'int32' || f.scalar === 'int64' || f.scalar === 'bool' || f.scalar === 'double')) {
        // Packed encoding of repeated numbers (not what gogo writes, but valid protobuf).
        const s = r.len();
        const e = r.segEnd;
        const p = new Reader(buf, s, e);
        while (p.pos < p.end) list.push(readValue(p, f, f.scalar === 'double' ? WIRE_FIXED64 : WIRE_VARINT, depth));
      } else {
        list.push(readValue(r, f, wire, depth) ?? null);
      }
    } else {
      if (wire !== WIRE_LEN) throw wrongWire(wire, f);
      const obj = (values[f.index] as Record<string, unknown> | undefined) ?? (values[f.index] = {}) as Record<string, unknown>;
      readMapEntry(r, f, obj, depth);
    }
  }
  // Build the object in Go struct order, leaving out zero values of non-pointer fields.
  const out: Record<string, unknown> = {};
  for (let i = 0; i < fields.length; i++) {
    const v = values[i];
    if (v === undefined) continue;
    const f = fields[i]!;
    if (f.inline) {
      Object.assign(out, v);
      continue;
    }
    if (f.rule === 'o' && !f.ptr && isZero(v)) continue;
    out[f.name] = v;
  }
  return out;
}

function isZero(v: unknown): boolean {
  if (v === '' || v === 0 || v === false) return true;
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    for (const _ in v) return false;
    return true;
  }
  return false;
}

function wrongWire(wire: number, f: Field): WireError {
  return new WireError(`proto: wrong wireType = ${wire} for field ${f.name}`);
}

function readValue(r: Reader, f: Field, wire: number, depth: number): unknown {
  switch (f.scalar) {
    case 'string': {
      if (wire !== WIRE_LEN) throw wrongWire(wire, f);
      const s = r.len();
      const e = r.segEnd;
      return text(r.buf, s, e);
    }
    case 'bytes': {
      if (wire !== WIRE_LEN) throw wrongWire(wire, f);
      const s = r.len();
      const e = r.segEnd;
      return base64(r.buf, s, e);
    }
    case 'bool':
      if (wire !== WIRE_VARINT) throw wrongWire(wire, f);
      return r.varint() !== 0;
    case 'int32':
      if (wire !== WIRE_VARINT) throw wrongWire(wire, f);
      return r.int32();
    case 'int64':
      if (wire !== WIRE_VARINT) throw wrongWire(wire, f);
      return r.int64();
    case 'double':
      if (wire !== WIRE_FIXED64) throw wrongWire(wire, f);
      return r.double();
    default: {
      if (wire !== WIRE_LEN) throw wrongWire(wire, f);
      const s = r.len();
      const e = r.segEnd;
      return decodeMessage(r.buf, s, e, messageOf(f), depth + 1);
    }
  }
}

function messageOf(f: Field): Message {
  const m = message(f.type);
  if (!m) throw new WireError(`no schema for message ${f.type}`);
  return m;
}

/** A map entry message {1 key, 2 value}; a missing key or value is its zero value. */
function readMapEntry(r: Reader, f: Field, obj: Record<string, unknown>, depth: number): void {
  const s = r.len();
  const e = r.segEnd;
  const entry = new Reader(r.buf, s, e);
  let key: unknown = '';
  let value: unknown;
  while (entry.pos < entry.end) {
    entry.next();
    const num = entry.num;
    const wire = entry.wire;
    if (num === 1) {
      if (f.mapKey === 'string') {
        if (wire !== WIRE_LEN) throw wrongWire(wire, f);
        const a = entry.len();
        const b = entry.segEnd;
        key = text(entry.buf, a, b);
      } else {
        key = entry.int64();
      }
    } else if (num === 2) {
      value = readValue(entry, f, wire, depth);
    } else {
      entry.skip(wire);
    }
  }
  if (value === undefined) value = zeroOf(f, depth);
  const k = String(key);
  // A ConfigMap may legally have a "__proto__" key: define it, never assign it.
  if (k === '__proto__') Object.defineProperty(obj, k, { value, enumerable: true, writable: true, configurable: true });
  else obj[k] = value;
}

function zeroOf(f: Field, depth: number): unknown {
  switch (f.scalar) {
    case 'string':
    case 'bytes':
      return '';
    case 'bool':
      return false;
    case 'int32':
    case 'int64':
    case 'double':
      return 0;
    default:
      return decodeMessage(new Uint8Array(0), 0, 0, messageOf(f), depth + 1);
  }
}

/** Reads scalar fields 1..3 of a small special message. */
function readSmall(buf: Uint8Array, start: number, end: number): { n1: number; n2: number; s1: string; s3: string; b1: [number, number] | undefined } {
  const r = new Reader(buf, start, end);
  const out = { n1: 0, n2: 0, s1: '', s3: '', b1: undefined as [number, number] | undefined };
  while (r.pos < r.end) {
    r.next();
    const num = r.num;
    const wire = r.wire;
    if (num === 1 && wire === WIRE_VARINT) out.n1 = r.int64();
    else if (num === 2 && wire === WIRE_VARINT) out.n2 = r.int32();
    else if (num === 1 && wire === WIRE_LEN) {
      out.b1 = r.lengthDelimited();
      out.s1 = text(buf, out.b1[0], out.b1[1]);
    } else if (num === 3 && wire === WIRE_LEN) {
      const a = r.len();
      const b = r.segEnd;
      out.s3 = text(buf, a, b);
    } else r.skip(wire);
  }
  return out;
}

function decodeSpecial(buf: Uint8Array, start: number, end: number, m: Message, depth: number): unknown {
  switch (m.special) {
    case 'Time':
      // An empty message is Go's zero time (marshalled as nothing); upstream reads seconds only.
      if (start === end) return undefined;
      return rfc3339(readSmall(buf, start, end).n1, -1);
    case 'MicroTime': {
      if (start === end) return undefined;
      const t = readSmall(buf, start, end);
      return rfc3339(t.n1, t.n2);
    }
    case 'Quantity': {
      // A zero Quantity prints as "0" in JSON.
      const s = readSmall(buf, start, end).s1;
      return s === '' ? '0' : s;
    }
    case 'IntOrString': {
      const t = readSmall(buf, start, end);
      return t.n1 === 1 ? t.s3 : t.n2;
    }
    case 'RawExtension':
    case 'FieldsV1': {
      const b = readSmall(buf, start, end).b1;
      if (!b || b[0] === b[1]) return undefined;
      const bytes = buf.subarray(b[0], b[1]);
      if (m.special === 'RawExtension' && bytes.length >= 4 && bytes[0] === 0x6b && bytes[1] === 0x38 && bytes[2] === 0x73 && bytes[3] === 0) {
        return decodeEnvelope(bytes, {}, depth).object;
      }
      try {
        return JSON.parse(textDecoder.decode(bytes));
      } catch {
        throw new WireError(`${m.special === 'RawExtension' ? 'embedded object' : 'fieldsV1'} is not valid JSON`);
      }
    }
    case 'List': {
      const out: unknown[] = [];
      const r = new Reader(buf, start, end);
      while (r.pos < r.end) {
        r.next();
    const num = r.num;
    const wire = r.wire;
        if (num === 1 && wire === WIRE_LEN) {
          const a = r.len();
          const b = r.segEnd;
          out.push(text(buf, a, b));
        } else r.skip(wire);
      }
      return out;
    }
    default:
      throw new WireError(`no decoder for ${m.name}`);
  }
}

/** RFC 3339 in UTC as Go's Time (nanos < 0) and MicroTime (six fraction digits) marshal it. */
function rfc3339(seconds: number, nanos: number): string {
  let s = seconds;
  let ns = nanos < 0 ? 0 : nanos;
  if (ns >= 1e9) {
    s += Math.floor(ns / 1e9);
    ns %= 1e9;
  }
  const d = new Date(s * 1000);
  const year = d.getUTCFullYear();
  if (!Number.isFinite(d.getTime()) || year < 0 || year > 9999) throw new WireError(`time ${seconds} is outside of range [0,9999]`);
  const base = d.toISOString().slice(0, 19);
  if (nanos < 0) return `${base}Z`;
  return `${base}.${String(Math.floor(ns / 1000)).padStart(6, '0')}Z`;
}
