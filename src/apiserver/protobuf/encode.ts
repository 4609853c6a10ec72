// Encodes an object as a Kubernetes protobuf body the way client-go does (k8s\0 + runtime.Unknown,
// every non-pointer field written even when empty). Used to build request bodies in tests.

import { message, messageForKind } from './messages.ts';
import type { Field, Message } from './messages.ts';
import { PROTOBUF_MAGIC } from './decode.ts';
import { Writer, WIRE_VARINT } from './wire.ts';

const enc = new TextEncoder();

/**
 * The protobuf body for `object` (which must carry apiVersion and kind). With goZeros (the
 * default) unset non-pointer fields are written as Go writes them: "", 0, false, {}.
 */
export function encodeKubernetesProtobuf(object: Record<string, unknown>, opts: { goZeros?: boolean } = {}): Buffer {
  const apiVersion = String(object.apiVersion ?? '');
  const kind = String(object.kind ?? '');
  const name = messageForKind(apiVersion, kind);
  const m = name ? message(name) : undefined;
  if (!m) throw new Error(`no protobuf schema for ${apiVersion} ${kind}`);
  const goZeros = opts.goZeros ?? true;

  const typeMeta = new Writer();
  typeMeta.bytes(1, enc.encode(apiVersion));
  typeMeta.bytes(2, enc.encode(kind));
  const unknown = new Writer();
  unknown.bytes(1, typeMeta.finish());
  unknown.bytes(2, encodeMessage(m, object, goZeros));
  unknown.bytes(3, new Uint8Array(0));
  unknown.bytes(4, new Uint8Array(0));
  return Buffer.concat([PROTOBUF_MAGIC, unknown.finish()]);
}

function byNumber(m: Message): Field[] {
  return [...m.fields].sort((a, b) => a.number - b.number);
}

function need(type: string): Message {
  const m = message(type);
  if (!m) throw new Error(`no schema for ${type}`);
  return m;
}

function encodeMessage(m: Message, obj: any, goZeros: boolean): Uint8Array {
  if (m.special) return encodeSpecial(m, obj);
  const w = new Writer();
  for (const f of byNumber(m)) {
    if (f.inline) {
      w.bytes(f.number, encodeMessage(need(f.type), obj ?? {}, goZeros));
      continue;
    }
    const v = obj?.[f.name];
    if (f.rule === 'r') {
      for (const item of (v as unknown[] | undefined) ?? []) writeValue(w, f, item, goZeros);
    } else if (f.rule === 'm') {
      for (const key of Object.keys(v ?? {}).sort()) {
        const entry = new Writer();
        entry.bytes(1, enc.encode(key));
        writeValue(entry, { ...f, number: 2 }, v[key], goZeros);
        w.bytes(f.number, entry.finish());
      }
    } else if (v !== undefined && v !== null) {
      writeValue(w, f, v, goZeros);
    } else if (!f.ptr && goZeros) {
      writeValue(w, f, undefined, goZeros);
    }
  }
  return w.finish();
}

function writeValue(w: Writer, f: Field, v: any, goZeros: boolean): void {
  switch (f.scalar) {
    case 'string':
      w.bytes(f.number, enc.encode(v ?? ''));
      return;
    case 'bytes':
      w.bytes(f.number, Buffer.from(v ?? '', 'base64'));
      return;
    case 'bool':
      w.tag(f.number, WIRE_VARINT);
      w.varint(v ? 1 : 0);
      return;
    case 'int32':
    case 'int64':
      w.tag(f.number, WIRE_VARINT);
      w.varint(v ?? 0);
      return;
    case 'double':
      w.double(f.number, v ?? 0);
      return;
    default:
      w.bytes(f.number, encodeMessage(need(f.type), v, goZeros));
  }
}

function encodeSpecial(m: Message, v: any): Uint8Array {
  const w = new Writer();
  switch (m.special) {
    case 'Time':
    case 'MicroTime':
      if (v) {
        const ms = Date.parse(v);
        const seconds = Math.floor(ms / 1000);
        w.tag(1, WIRE_VARINT);
        w.varint(seconds);
        const frac = /\.(\d+)Z$/.exec(v)?.[1];
        if (m.special === 'MicroTime') {
          w.tag(2, WIRE_VARINT);
          w.varint(frac ? Number(frac.padEnd(9, '0').slice(0, 9)) : 0);
        }
      }
      break;
    case 'Quantity':
      w.bytes(1, enc.encode(v ?? '0'));
      break;
    case 'IntOrString':
      w.tag(1, WIRE_VARINT);
      w.varint(typeof v === 'string' ? 1 : 0);
      w.tag(2, WIRE_VARINT);
      w.varint(typeof v === 'number' ? v : 0);
      w.bytes(3, enc.encode(typeof v === 'string' ? v : ''));
      break;
    case 'RawExtension':
    case 'FieldsV1':
      if (v !== undefined) w.bytes(1, enc.encode(JSON.stringify(v)));
      break;
    case 'List':
      for (const item of v ?? []) w.bytes(1, enc.encode(item));
      break;
    case 'Duration':
      throw new Error('encoding Duration is not supported');
  }
  return w.finish();
}
