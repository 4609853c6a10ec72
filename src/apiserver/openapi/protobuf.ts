// Encodes a swagger 2.0 document as gnostic's openapi.v2.Document protobuf message — the
// /openapi/v2 form kubectl 1.27/1.28 download (Accept application/com.github.proto-openapi.spec.v2@v1.0+protobuf).
// Field numbers follow gnostic's openapiv2/OpenAPIv2.proto; only the subset Kubernetes uses.

type J = Record<string, any>;

/** A protobuf message under construction: fields appended in order. */
class Msg {
  #parts: Buffer[] = [];
  #len = 0;

  #push(b: Buffer): void {
    this.#parts.push(b);
    this.#len += b.length;
  }

  #varint(n: number): void {
    const bytes: number[] = [];
    while (n > 0x7f) {
      bytes.push((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    bytes.push(n);
    this.#push(Buffer.from(bytes));
  }

  #tag(field: number, wire: number): void {
    this.#varint(field * 8 + wire);
  }

  string(field: number, s: string | undefined): this {
    if (s === undefined || s === '') return this;
    const b = Buffer.from(s, 'utf8');
    this.#tag(field, 2);
    this.#varint(b.length);
    this.#push(b);
    return this;
  }

  strings(field: number, list: string[] | undefined): this {
    for (const s of list ?? []) {
      const b = Buffer.from(s, 'utf8');
      this.#tag(field, 2);
      this.#varint(b.length);
      this.#push(b);
    }
    return this;
  }

  bool(field: number, v: boolean | undefined, always = false): this {
    if (!v && !always) return this;
    this.#tag(field, 0);
    this.#varint(v ? 1 : 0);
    return this;
  }

  /** An embedded message; written even when empty, as the presence of a oneof member. */
  msg(field: number, m: Msg | undefined): this {
    if (!m) return this;
    this.#tag(field, 2);
    this.#varint(m.#len);
    for (const p of m.#parts) this.#push(p);
    return this;
  }

  bytes(): Buffer {
    return Buffer.concat(this.#parts, this.#len);
  }
}

/** NamedAny{name, Any{yaml}}: JSON text is valid YAML, which is all gnostic's readers need. */
function vendorExtensions(m: Msg, field: number, o: J): void {
  for (const [k, v] of Object.entries(o)) {
    if (!k.startsWith('x-')) continue;
    m.msg(field, new Msg().string(1, k).msg(2, new Msg().string(2, JSON.stringify(v) + '\n')));
  }
}

function schema(s: J): Msg {
  const m = new Msg();
  m.string(1, s.$ref);
  m.string(2, s.format);
  m.string(3, s.title);
  m.string(4, s.description);
  m.bool(16, s.uniqueItems);
  m.strings(19, s.required);
  if (s.additionalProperties !== undefined) {
    const ap = new Msg();
    // a oneof member is written even when it holds false
    if (typeof s.additionalProperties === 'boolean') m.msg(21, ap.bool(2, s.additionalProperties, true));
    else m.msg(21, ap.msg(1, schema(s.additionalProperties)));
  }
  if (s.type !== undefined) m.msg(22, new Msg().strings(1, Array.isArray(s.type) ? s.type : [s.type]));
  if (s.items !== undefined) {
    const it = new Msg();
    for (const x of Array.isArray(s.items) ? s.items : [s.items]) it.msg(1, schema(x));
    m.msg(23, it);
  }
  for (const a of s.allOf ?? []) m.msg(24, schema(a));
  if (s.properties) {
    const props = new Msg();
    for (const [k, v] of Object.entries(s.properties as J)) props.msg(1, new Msg().string(1, k).msg(2, schema(v)));
    m.msg(25, props);
  }
  vendorExtensions(m, 31, s);
  return m;
}

function parameter(p: J): Msg {
  if (p.$ref) return new Msg().msg(2, new Msg().string(1, p.$ref));
  let inner: Msg;
  if (p.in === 'body') {
    inner = new Msg().msg(
      1,
      new Msg().string(1, p.description).string(2, p.name).string(3, p.in).bool(4, p.required).msg(5, p.schema ? schema(p.schema) : undefined),
    );
  } else {
    // NonBodyParameter: 1 header, 2 formData, 3 query, 4 path sub-schemas
    const which = p.in === 'header' ? 1 : p.in === 'formData' ? 2 : p.in === 'path' ? 4 : 3;
    const sub = new Msg().bool(1, p.required).string(2, p.in).string(3, p.description).string(4, p.name);
    if (which === 4) sub.string(5, p.type).string(6, p.format).bool(19, p.uniqueItems);
    else if (which === 1) sub.string(5, p.type).string(6, p.format).bool(19, p.uniqueItems);
    else sub.string(6, p.type).string(7, p.format).bool(20, p.uniqueItems); // query and formData share numbers
    inner = new Msg().msg(2, new Msg().msg(which, sub));
  }
  return new Msg().msg(1, inner);
}

function operation(o: J): Msg {
  const m = new Msg();
  m.strings(1, o.tags);
  m.string(2, o.summary);
  m.string(3, o.description);
  m.string(5, o.operationId);
  m.strings(6, o.produces);
  m.strings(7, o.consumes);
  for (const p of o.parameters ?? []) m.msg(8, parameter(p));
  if (o.responses) {
    const rs = new Msg();
    for (const [code, r] of Object.entries(o.responses as J)) {
      const resp = new Msg().string(1, r.description);
      if (r.schema) resp.msg(2, new Msg().msg(1, schema(r.schema)));
      rs.msg(1, new Msg().string(1, code).msg(2, new Msg().msg(1, resp)));
    }
    m.msg(9, rs);
  }
  m.strings(10, o.schemes);
  m.bool(11, o.deprecated);
  vendorExtensions(m, 13, o);
  return m;
}

const METHODS: [string, number][] = [
  ['get', 2], ['put', 3], ['post', 4], ['delete', 5], ['options', 6], ['head', 7], ['patch', 8],
];

function pathItem(p: J): Msg {
  const m = new Msg();
  m.string(1, p.$ref);
  for (const [method, field] of METHODS) if (p[method]) m.msg(field, operation(p[method]));
  for (const x of p.parameters ?? []) m.msg(9, parameter(x));
  vendorExtensions(m, 10, p);
  return m;
}

/** Encodes a swagger 2.0 JSON document as openapi.v2.Document bytes. */
export function encodeOpenAPIv2(doc: J): Buffer {
  const m = new Msg();
  m.string(1, doc.swagger);
  if (doc.info) m.msg(2, new Msg().string(1, doc.info.title).string(2, doc.info.version).string(3, doc.info.description));
  m.string(3, doc.host);
  m.string(4, doc.basePath);
  m.strings(5, doc.schemes);
  m.strings(6, doc.consumes);
  m.strings(7, doc.produces);
  const paths = new Msg();
  for (const [name, item] of Object.entries((doc.paths ?? {}) as J)) paths.msg(2, new Msg().string(1, name).msg(2, pathItem(item)));
  m.msg(8, paths);
  const defs = new Msg();
  for (const [name, s] of Object.entries((doc.definitions ?? {}) as J)) defs.msg(1, new Msg().string(1, name).msg(2, schema(s)));
  m.msg(9, defs);
  vendorExtensions(m, 16, doc);
  return m.bytes();
}
