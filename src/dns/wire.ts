// The DNS message format (RFC 1035, with RFC 2782 SRV, RFC 3596 AAAA and RFC 6891 EDNS0 OPT):
// decoding queries and upstream answers, encoding answers with name compression and truncation.

export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, IXFR: 251, AXFR: 252, ANY: 255 } as const;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export const CLASS_IN = 1;

export interface Question {
  /** Without the trailing dot; the root is ''. Case as sent. */
  name: string;
  type: number;
  class: number;
}

export interface Srv {
  priority: number;
  weight: number;
  port: number;
  target: string;
}
export interface Soa {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}
export interface Mx {
  preference: number;
  exchange: string;
}

/** A: dotted quad; AAAA: a textual IPv6 address; CNAME/PTR/NS: a name; TXT: strings; others raw. */
export type RData = string | string[] | Srv | Soa | Mx | Buffer;

export interface RR {
  name: string;
  type: number;
  class: number;
  ttl: number;
  data: RData;
}

export interface Message {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  rcode: number;
  questions: Question[];
  answers: RR[];
  authorities: RR[];
  additionals: RR[];
}

export class WireError extends Error {
  readonly code = 'EDNSWIRE';
}

export function emptyMessage(id = 0): Message {
  return { id, qr: false, opcode: 0, aa: false, tc: false, rd: false, ra: false, rcode: 0, questions: [], answers: [], authorities: [], additionals: [] };
}

// --- decoding ---------------------------------------------------------------------------------

function readName(buf: Buffer, start: number): { name: string; next: number } {
  const labels: string[] = [];
  let off = start;
  let next = -1;
  let jumps = 0;
  let len = 0;
  for (;;) {
    if (off >= buf.length) throw new WireError('name runs past the message');
    const b = buf[off]!;
    if (b === 0) {
      off++;
      break;
    }
    if ((b & 0xc0) === 0xc0) {
      if (off + 1 >= buf.length) throw new WireError('truncated compression pointer');
      if (++jumps > 64) throw new WireError('compression loop');
      if (next < 0) next = off + 2;
      off = ((b & 0x3f) << 8) | buf[off + 1]!;
      continue;
    }
    if (b & 0xc0) throw new WireError('unknown label type');
    if (off + 1 + b > buf.length) throw new WireError('label runs past the message');
    len += b + 1;
    if (len > 255) throw new WireError('name too long');
    labels.push(buf.toString('latin1', off + 1, off + 1 + b));
    off += 1 + b;
  }
  return { name: labels.join('.'), next: next < 0 ? off : next };
}

function ipv6ToString(b: Buffer): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(i).toString(16));
  // Compress the longest run of zero groups.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (parts[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && parts[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return parts.join(':');
  return `${parts.slice(0, best).join(':')}::${parts.slice(best + bestLen).join(':')}`;
}

function readRR(buf: Buffer, off: number): { rr: RR; next: number } {
  const n = readName(buf, off);
  off = n.next;
  if (off + 10 > buf.length) throw new WireError('truncated record header');
  const type = buf.readUInt16BE(off);
  const cls = buf.readUInt16BE(off + 2);
  const ttl = buf.readUInt32BE(off + 4);
  const rdlen = buf.readUInt16BE(off + 8);
  const rd = off + 10;
  const end = rd + rdlen;
  if (end > buf.length) throw new WireError('truncated record data');
  let data: RData;
  switch (type) {
    case TYPE.A:
      if (rdlen !== 4) throw new WireError('bad A record');
      data = `${buf[rd]}.${buf[rd + 1]}.${buf[rd + 2]}.${buf[rd + 3]}`;
      break;
    case TYPE.AAAA:
      if (rdlen !== 16) throw new WireError('bad AAAA record');
      data = ipv6ToString(buf.subarray(rd, end));
      break;
    case TYPE.CNAME:
    case TYPE.PTR:
    case TYPE.NS:
      data = readName(buf, rd).name;
      break;
    case TYPE.MX:
      data = { preference: buf.readUInt16BE(rd), exchange: readName(buf, rd + 2).name };
      break;
    case TYPE.SRV:
      data = { priority: buf.readUInt16BE(rd), weight: buf.readUInt16BE(rd + 2), port: buf.readUInt16BE(rd + 4), target: readName(buf, rd + 6).name };
      break;
    case TYPE.SOA: {
      const m = readName(buf, rd);
      const r = readName(buf, m.next);
      const p = r.next;
      data = { mname: m.name, rname: r.name, serial: buf.readUInt32BE(p), refresh: buf.readUInt32BE(p + 4), retry: buf.readUInt32BE(p + 8), expire: buf.readUInt32BE(p + 12), minimum: buf.readUInt32BE(p + 16) };
      break;
    }
    case TYPE.TXT: {
      const strs: string[] = [];
      for (let p = rd; p < end; ) {
        const l = buf[p]!;
        strs.push(buf.toString('latin1', p + 1, p + 1 + l));
        p += 1 + l;
      }
      data = strs;
      break;
    }
    default:
      data = Buffer.from(buf.subarray(rd, end));
  }
  return { rr: { name: n.name, type, class: cls, ttl, data }, next: end };
}

export function decode(buf: Buffer): Message {
  if (buf.length < 12) throw new WireError('message shorter than its header');
  const flags = buf.readUInt16BE(2);
  const counts = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)] as const;
  const msg: Message = {
    id: buf.readUInt16BE(0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    rcode: flags & 0xf,
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
  };
  let off = 12;
  for (let i = 0; i < counts[0]; i++) {
    const n = readName(buf, off);
    off = n.next;
    if (off + 4 > buf.length) throw new WireError('truncated question');
    msg.questions.push({ name: n.name, type: buf.readUInt16BE(off), class: buf.readUInt16BE(off + 2) });
    off += 4;
  }
  const sections = [msg.answers, msg.authorities, msg.additionals];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const r = readRR(buf, off);
      sections[s]!.push(r.rr);
      off = r.next;
    }
  }
  return msg;
}

/** The EDNS0 OPT record of a message, if any. */
export function optOf(msg: Message): RR | undefined {
  for (const rr of msg.additionals) if (rr.type === TYPE.OPT) return rr;
  return undefined;
}

/** An OPT pseudo-record advertising our UDP payload size. */
export function optRecord(udpSize = 1232): RR {
  return { name: '', type: TYPE.OPT, class: udpSize, ttl: 0, data: Buffer.alloc(0) };
}

// --- encoding ---------------------------------------------------------------------------------

const scratch = Buffer.allocUnsafe(65535);

class Writer {
  off = 0;
  names = new Map<string, number>();

  need(n: number) {
    if (this.off + n > scratch.length) throw new WireError('message too large');
  }
  u8(v: number) {
    this.need(1);
    scratch[this.off++] = v;
  }
  u16(v: number) {
    this.need(2);
    scratch.writeUInt16BE(v & 0xffff, this.off);
    this.off += 2;
  }
  u32(v: number) {
    this.need(4);
    scratch.writeUInt32BE(v >>> 0, this.off);
    this.off += 4;
  }
  name(name: string, compress = true) {
    if (name === '' || name === '.') return this.u8(0);
    const labels = (name.endsWith('.') ? name.slice(0, -1) : name).split('.');
    for (let i = 0; i < labels.length; i++) {
      const suffix = i === 0 ? name.toLowerCase() : labels.slice(i).join('.').toLowerCase();
      const key = suffix.endsWith('.') ? suffix.slice(0, -1) : suffix;
      const at = compress ? this.names.get(key) : undefined;
      if (at !== undefined) return this.u16(0xc000 | at);
      if (this.off < 0x3fff) this.names.set(key, this.off);
      const l = labels[i]!;
      const len = Buffer.byteLength(l, 'latin1');
      if (len === 0 || len > 63) throw new WireError(`bad label in ${name}`);
      this.need(1 + len);
      scratch[this.off] = len;
      scratch.write(l, this.off + 1, 'latin1');
      this.off += 1 + len;
    }
    this.u8(0);
  }
  rr(rr: RR) {
    this.name(rr.name);
    this.u16(rr.type);
    this.u16(rr.class);
    this.u32(rr.ttl);
    const lenAt = this.off;
    this.u16(0);
    const start = this.off;
    const d = rr.data;
    switch (rr.type) {
      case TYPE.A: {
        const p = (d as string).split('.');
        for (let i = 0; i < 4; i++) this.u8(Number(p[i]));
        break;
      }
      case TYPE.AAAA:
        this.ipv6(d as string);
        break;
      case TYPE.CNAME:
      case TYPE.PTR:
      case TYPE.NS:
        this.name(d as string);
        break;
      case TYPE.MX:
        this.u16((d as Mx).preference);
        this.name((d as Mx).exchange);
        break;
      case TYPE.SRV: {
        const s = d as Srv;
        this.u16(s.priority);
        this.u16(s.weight);
        this.u16(s.port);
        this.name(s.target, false); // RFC 2782: the target is not compressed
        break;
      }
      case TYPE.SOA: {
        const s = d as Soa;
        this.name(s.mname);
        this.name(s.rname);
        this.u32(s.serial);
        this.u32(s.refresh);
        this.u32(s.retry);
        this.u32(s.expire);
        this.u32(s.minimum);
        break;
      }
      case TYPE.TXT:
        for (const s of d as string[]) {
          const b = Buffer.from(s, 'latin1');
          if (b.length > 255) throw new WireError('TXT string longer than 255 bytes');
          this.u8(b.length);
          this.need(b.length);
          b.copy(scratch, this.off);
          this.off += b.length;
        }
        break;
      default: {
        const b = d as Buffer;
        this.need(b.length);
        b.copy(scratch, this.off);
        this.off += b.length;
      }
    }
    scratch.writeUInt16BE(this.off - start, lenAt);
  }
  ipv6(s: string) {
    const [head, tail] = s.includes('::') ? s.split('::') as [string, string] : [s, undefined];
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
    for (let i = 0; i < 8; i++) this.u16(parseInt(groups[i] ?? '0', 16));
  }
}

function flagsOf(m: Message): number {
  return (m.qr ? 0x8000 : 0) | ((m.opcode & 0xf) << 11) | (m.aa ? 0x0400 : 0) | (m.tc ? 0x0200 : 0) | (m.rd ? 0x0100 : 0) | (m.ra ? 0x0080 : 0) | (m.rcode & 0xf);
}

function encodeInto(m: Message, w: Writer) {
  w.u16(m.id);
  w.u16(flagsOf(m));
  w.u16(m.questions.length);
  w.u16(m.answers.length);
  w.u16(m.authorities.length);
  w.u16(m.additionals.length);
  for (const q of m.questions) {
    w.name(q.name);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const rr of m.answers) w.rr(rr);
  for (const rr of m.authorities) w.rr(rr);
  for (const rr of m.additionals) w.rr(rr);
}

/**
 * Encodes a message. Past `maxSize` bytes (a UDP client's limit) the records are dropped and TC
 * is set, so that the client retries over TCP (RFC 2181 §9); the OPT record is kept.
 */
export function encode(m: Message, maxSize = 65535): Buffer {
  let w = new Writer();
  let tooBig = false;
  try {
    encodeInto(m, w);
  } catch (e) {
    if (!(e instanceof WireError) || !e.message.startsWith('message too large')) throw e;
    tooBig = true;
  }
  if (tooBig || w.off > maxSize) {
    const opt = optOf(m);
    w = new Writer();
    encodeInto({ ...m, tc: true, answers: [], authorities: [], additionals: opt ? [opt] : [] }, w);
  }
  return Buffer.from(scratch.subarray(0, w.off));
}
