// The protobuf wire format (varints, fixed32/64, length-delimited) as Kubernetes' gogo-protobuf
// messages use it. Hand-written because the only npm protobuf runtimes either need .proto schemas
// (none ships Kubernetes') or bring far more than the ~100 lines Kubernetes' proto2 subset needs,
// and the project adds no dependencies for it.

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

/** A malformed body; the decoder turns it into a 400 StatusError. */
export class WireError extends Error {}

const EOF = 'unexpected EOF';

/** Reads one message's bytes; `end` bounds nested reads. */
export class Reader {
  readonly buf: Uint8Array;
  pos: number;
  end: number;
  /** Set by next(): the field number and wire type just read. */
  num = 0;
  wire = 0;
  /** Set by len(): the end of the length-delimited value just read. */
  segEnd = 0;
  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  /** An unsigned varint as a Number: exact below 2^49, else rounded (only int64 needs more; see int64()). */
  varint(): number {
    const buf = this.buf;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireError(EOF);
      const b = buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new WireError('proto: integer overflow');
  }

  /** A varint read as Go reads an int64: two's complement over 64 bits. */
  int64(): number {
    const start = this.pos;
    const v = this.varint();
    if (v < 2 ** 49) return v;
    // Long varints (negative numbers are always 10 bytes): redo exactly with BigInt.
    let big = 0n;
    let shift = 0n;
    for (let p = start; p < this.pos; p++) {
      big |= BigInt(this.buf[p]! & 0x7f) << shift;
      shift += 7n;
    }
    return Number(BigInt.asIntN(64, big));
  }

  /** A varint truncated to Go's int32 (negative int32s arrive sign-extended to 10 bytes). */
  int32(): number {
    const start = this.pos;
    const v = this.varint();
    if (v < 2 ** 49) return v | 0;
    let big = 0n;
    let shift = 0n;
    for (let p = start; p < this.pos; p++) {
      big |= BigInt(this.buf[p]! & 0x7f) << shift;
      shift += 7n;
    }
    return Number(BigInt.asIntN(32, big));
  }

  double(): number {
    if (this.end - this.pos < 8) throw new WireError(EOF);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  /** Reads a field's tag into num and wire. */
  next(): void {
    const t = this.varint();
    const num = t < 2 ** 32 ? t >>> 3 : Math.floor(t / 8);
    const wire = t % 8;
    if (num <= 0) throw new WireError(`proto: illegal tag ${num} (wire type ${wire})`);
    this.num = num;
    this.wire = wire;
  }

  /** Reads a length-delimited value: returns its start, leaves its end in segEnd, advances past it. */
  len(): number {
    const len = this.varint();
    if (len > this.end - this.pos) throw new WireError(EOF);
    const start = this.pos;
    this.pos += len;
    this.segEnd = this.pos;
    return start;
  }

  /** The bounds [start, end) of a length-delimited value; advances past it. */
  lengthDelimited(): [number, number] {
    const start = this.len();
    return [start, this.segEnd];
  }

  /** Skips a field of an unknown number by its wire type. */
  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        if (this.end - this.pos < 8) throw new WireError(EOF);
        this.pos += 8;
        return;
      case WIRE_LEN:
        this.lengthDelimited();
        return;
      case WIRE_FIXED32:
        if (this.end - this.pos < 4) throw new WireError(EOF);
        this.pos += 4;
        return;
      default:
        // Groups (3, 4) are never used by Kubernetes messages.
        throw new WireError(`proto: illegal wireType ${wire}`);
    }
  }
}

/** Appends protobuf wire values; used to build test bodies. */
export class Writer {
  #chunks: number[] = [];

  get length(): number {
    return this.#chunks.length;
  }

  varint(v: number): void {
    if (v < 0) {
      // Go sign-extends negative int32/int64 to 64 bits: always 10 bytes.
      let big = BigInt.asUintN(64, BigInt(v));
      for (let i = 0; i < 10; i++) {
        const b = Number(big & 0x7fn);
        big >>= 7n;
        this.#chunks.push(big ? b | 0x80 : b);
        if (!big) return;
      }
      return;
    }
    while (v >= 0x80) {
      this.#chunks.push((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    this.#chunks.push(v);
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, WIRE_LEN);
    this.varint(data.length);
    for (const b of data) this.#chunks.push(b);
  }

  double(field: number, v: number): void {
    this.tag(field, WIRE_FIXED64);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    for (const x of b) this.#chunks.push(x);
  }

  finish(): Buffer {
    return Buffer.from(this.#chunks);
  }
}
