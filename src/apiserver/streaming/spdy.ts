// SPDY/3.1 as Kubernetes' SPDY streams speak it (client-go httpstream/spdy over moby/spdystream): frames,
// header blocks compressed with zlib and the SPDY/3 dictionary (one context per direction per connection),
// and a server session whose peer-created streams are Node Duplexes. No flow control, as spdystream has none.

import { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import { createInflate, constants as zc } from 'node:zlib';
import type { Inflate } from 'node:zlib';
import { readFileSync } from 'node:fs';

export const SYN_STREAM = 1;
export const SYN_REPLY = 2;
export const RST_STREAM = 3;
export const SETTINGS = 4;
export const PING = 6;
export const GOAWAY = 7;
export const HEADERS = 8;
export const WINDOW_UPDATE = 9;

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

/** RST_STREAM status codes. */
export const RST = { PROTOCOL_ERROR: 1, INVALID_STREAM: 2, REFUSED_STREAM: 3, CANCEL: 5, INTERNAL_ERROR: 6 } as const;

const MAX_DATA = 0xffffff;
const EMPTY = Buffer.alloc(0);

function loadDictionary(): Buffer {
  const text = readFileSync(new URL('./spdy3-dictionary.hex', import.meta.url), 'utf8');
  const hex = text
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('')
    .replace(/\s+/g, '');
  return Buffer.from(hex, 'hex');
}

/** zlib's preset dictionary for SPDY/3 header blocks. */
export const SPDY_DICTIONARY: Buffer = loadDictionary();

function adler32(b: Buffer): number {
  let a = 1;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    a = (a + b[i]!) % 65521;
    s = (s + a) % 65521;
  }
  return ((s << 16) | a) >>> 0;
}

/** zlib stream header announcing the SPDY dictionary: CMF 0x78, FLG 0xBB (FDICT), then its Adler-32. */
const ZLIB_DICT_HEADER = (() => {
  const b = Buffer.alloc(6);
  b[0] = 0x78;
  b[1] = 0xbb;
  b.writeUInt32BE(adler32(SPDY_DICTIONARY), 2);
  return b;
})();

const SYNC_MARKER = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);

export type Headers = Record<string, string>;

/** The uncompressed name/value block: count, then length-prefixed names and values (all 32-bit). */
export function encodeHeaderBlock(h: Headers): Buffer {
  const parts: Buffer[] = [];
  const count = Buffer.alloc(4);
  const names = Object.keys(h);
  count.writeUInt32BE(names.length);
  parts.push(count);
  for (const name of names) {
    for (const s of [name.toLowerCase(), h[name]!]) {
      const v = Buffer.from(s, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32BE(v.length);
      parts.push(len, v);
    }
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(b: Buffer): Headers {
  const out: Headers = {};
  let o = 0;
  const need = (n: number) => {
    if (o + n > b.length) throw new Error('spdy: truncated header block');
  };
  need(4);
  const n = b.readUInt32BE(o);
  o += 4;
  for (let i = 0; i < n; i++) {
    need(4);
    const nl = b.readUInt32BE(o);
    o += 4;
    need(nl);
    const name = b.toString('utf8', o, o + nl).toLowerCase();
    o += nl;
    need(4);
    const vl = b.readUInt32BE(o);
    o += 4;
    need(vl);
    // Several values are NUL-separated; the streaming protocols use one.
    out[name] = b.toString('utf8', o, o + vl).split('\0')[0]!;
    o += vl;
  }
  return out;
}

/**
 * Header compression for what we send. A deflate stream may carry its data in stored (uncompressed) blocks,
 * each byte-aligned, so every header block is complete in its own frame and any zlib inflater sharing the
 * context (the peer's one per connection) reads it — without an asynchronous deflate in the write path.
 */
export class HeaderCompressor {
  #started = false;
  compress(h: Headers): Buffer {
    const raw = encodeHeaderBlock(h);
    const parts: Buffer[] = [];
    if (!this.#started) {
      parts.push(ZLIB_DICT_HEADER);
      this.#started = true;
    }
    for (let i = 0; i < raw.length; i += 0xffff) {
      const chunk = raw.subarray(i, i + 0xffff);
      const hdr = Buffer.alloc(5);
      hdr[0] = 0; // BFINAL=0, BTYPE=00 (stored)
      hdr.writeUInt16LE(chunk.length, 1);
      hdr.writeUInt16LE(~chunk.length & 0xffff, 3);
      parts.push(hdr, chunk);
    }
    // An empty stored block ends each header block, as a sync flush does: Go's inflater hands out a stored
    // block's bytes only when it reaches the next block, and must not run past the frame to find it.
    parts.push(SYNC_MARKER);
    return Buffer.concat(parts);
  }
}

/** Header decompression for what the peer sends: one inflate context for the whole connection. */
export class HeaderDecompressor {
  #inflate: Inflate | undefined;
  #out: Buffer[] = [];
  #reject: ((e: Error) => void) | undefined;
  #error: Error | undefined;

  decompress(data: Buffer): Promise<Buffer> {
    if (this.#error) return Promise.reject(this.#error);
    if (!this.#inflate) {
      const inflate = createInflate({ dictionary: SPDY_DICTIONARY });
      inflate.on('data', (c: Buffer) => this.#out.push(c));
      inflate.on('error', (e: Error) => {
        this.#error = e;
        this.#reject?.(e);
      });
      this.#inflate = inflate;
    }
    const inflate = this.#inflate;
    return new Promise((resolve, reject) => {
      this.#reject = reject;
      inflate.write(data);
      inflate.flush(zc.Z_SYNC_FLUSH, () => {
        this.#reject = undefined;
        if (this.#error) return reject(this.#error);
        const out = this.#out.length === 1 ? this.#out[0]! : Buffer.concat(this.#out);
        this.#out = [];
        resolve(out);
      });
    });
  }

  close(): void {
    this.#inflate?.destroy();
  }
}

export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const b = Buffer.allocUnsafe(8 + payload.length);
  b.writeUInt16BE(0x8000 | 3, 0);
  b.writeUInt16BE(type, 2);
  b.writeUInt32BE((((flags & 0xff) << 24) | payload.length) >>> 0, 4);
  payload.copy(b, 8);
  return b;
}

export function dataFrame(streamId: number, flags: number, payload: Buffer): Buffer {
  const b = Buffer.allocUnsafe(8 + payload.length);
  b.writeUInt32BE(streamId & 0x7fffffff, 0);
  b.writeUInt32BE((((flags & 0xff) << 24) | payload.length) >>> 0, 4);
  payload.copy(b, 8);
  return b;
}

function u32s(...vals: number[]): Buffer {
  const b = Buffer.alloc(vals.length * 4);
  vals.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

export type Frame =
  | { control: true; type: number; flags: number; payload: Buffer }
  | { control: false; streamId: number; flags: number; payload: Buffer };

/** Splits a byte stream into SPDY frames. */
export class FrameParser {
  #buf: Buffer = EMPTY;
  push(chunk: Buffer): Frame[] {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    const frames: Frame[] = [];
    let o = 0;
    while (this.#buf.length - o >= 8) {
      const w0 = this.#buf.readUInt32BE(o);
      const w1 = this.#buf.readUInt32BE(o + 4);
      const len = w1 & 0xffffff;
      if (this.#buf.length - o < 8 + len) break;
      const payload = this.#buf.subarray(o + 8, o + 8 + len);
      const flags = w1 >>> 24;
      if (w0 & 0x80000000) {
        const version = (w0 >>> 16) & 0x7fff;
        if (version !== 3) throw new Error(`spdy: unsupported version ${version}`);
        frames.push({ control: true, type: w0 & 0xffff, flags, payload });
      } else {
        frames.push({ control: false, streamId: w0 & 0x7fffffff, flags, payload });
      }
      o += 8 + len;
    }
    this.#buf = o === this.#buf.length ? EMPTY : this.#buf.subarray(o);
    return frames;
  }
}

/** Where a session's bytes go: a raw socket, or WebSocket binary messages (kubectl's port-forward tunnel). */
export interface SpdyTransport {
  /** Writes bytes; calls `cb` once the writer may go on (backpressure). */
  write(buf: Buffer, cb?: () => void): void;
  end(): void;
  destroy(): void;
}

export function socketTransport(socket: Duplex): SpdyTransport {
  return {
    write(buf, cb) {
      if (socket.destroyed) return cb?.();
      if (socket.write(buf) || !cb) cb?.();
      else socket.once('drain', cb);
    },
    end: () => socket.end(),
    destroy: () => socket.destroy(),
  };
}

/** A stream the client opened. Readable: the client's DATA; writable: ours (end() sends FIN). */
export class SpdyStream extends Duplex {
  readonly id: number;
  readonly headers: Headers;
  #session: SpdySession;
  remoteEnded = false;
  localEnded = false;
  #dead = false;

  constructor(session: SpdySession, id: number, headers: Headers) {
    super({ allowHalfOpen: true });
    this.#session = session;
    this.id = id;
    this.headers = headers;
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.#dead || this.localEnded) return cb();
    this.#session._sendData(this.id, chunk, false, () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.#dead || this.localEnded) return cb();
    this.localEnded = true;
    this.#session._sendData(this.id, EMPTY, true, () => cb());
    this.#session._maybeForget(this);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.#dead && !(this.localEnded && this.remoteEnded)) this.#session._sendRst(this.id, RST.CANCEL);
    this.#dead = true;
    this.#session._forget(this.id);
    cb(err);
  }

  /** @internal */
  _remoteData(b: Buffer, fin: boolean): void {
    if (this.remoteEnded) return;
    if (b.length) this.push(b);
    if (fin) {
      this.remoteEnded = true;
      this.push(null);
      this.#session._maybeForget(this);
    }
  }

  /** @internal The peer reset the stream or the connection went away: end reads, drop writes. */
  _terminate(): void {
    if (this.#dead) return;
    this.#dead = true;
    if (!this.remoteEnded) {
      this.remoteEnded = true;
      this.push(null);
    }
    this.emit('reset');
  }

  get terminated(): boolean {
    return this.#dead;
  }
}

/**
 * The server end of a SPDY/3.1 connection. Emits 'stream' for every SYN_STREAM (already answered with an
 * empty SYN_REPLY, as spdystream's server does) and 'close' when the transport is gone.
 */
export class SpdySession extends EventEmitter {
  readonly streams = new Map<number, SpdyStream>();
  #transport: SpdyTransport;
  #parser = new FrameParser();
  #queue: Frame[] = [];
  #busy = false;
  #compressor = new HeaderCompressor();
  #decompressor = new HeaderDecompressor();
  #lastStreamId = 0;
  #goneAway = false;
  #closed = false;

  constructor(transport: SpdyTransport) {
    super();
    this.#transport = transport;
  }

  /** Bytes from the peer. */
  receive(chunk: Buffer): void {
    if (this.#closed) return;
    let frames: Frame[];
    try {
      frames = this.#parser.push(chunk);
    } catch (e) {
      return this.#protocolError(e as Error);
    }
    for (const f of frames) this.#queue.push(f);
    this.#pump();
  }

  /** Frames are handled strictly in order; only header blocks need to wait (for inflate). */
  #pump(): void {
    if (this.#busy) return;
    this.#busy = true;
    while (this.#queue.length && !this.#closed) {
      const f = this.#queue.shift()!;
      let p: Promise<void> | undefined;
      try {
        p = this.#handle(f);
      } catch (e) {
        this.#busy = false;
        return this.#protocolError(e as Error);
      }
      if (p) {
        p.then(
          () => {
            this.#busy = false;
            this.#pump();
          },
          (e: Error) => {
            this.#busy = false;
            this.#protocolError(e);
          },
        );
        return;
      }
    }
    this.#busy = false;
  }

  #handle(f: Frame): Promise<void> | undefined {
    if (!f.control) {
      this.streams.get(f.streamId)?._remoteData(f.payload, (f.flags & FLAG_FIN) !== 0);
      return undefined;
    }
    const p = f.payload;
    switch (f.type) {
      case SYN_STREAM: {
        if (p.length < 10) throw new Error('spdy: short SYN_STREAM');
        const id = p.readUInt32BE(0) & 0x7fffffff;
        return this.#decompressor.decompress(p.subarray(10)).then((block) => this.#synStream(id, f.flags, decodeHeaderBlock(block)));
      }
      case SYN_REPLY:
      case HEADERS:
        // Not expected from a client, but the shared inflate context must still see the block.
        return this.#decompressor.decompress(p.subarray(4)).then(() => undefined);
      case RST_STREAM: {
        const s = this.streams.get(p.readUInt32BE(0) & 0x7fffffff);
        if (s) {
          this.streams.delete(s.id);
          s._terminate();
        }
        return undefined;
      }
      case PING: {
        const id = p.readUInt32BE(0);
        if (id % 2 === 1) this.#transport.write(controlFrame(PING, 0, p.subarray(0, 4)));
        return undefined;
      }
      case GOAWAY:
        this.#goneAway = true;
        if (this.streams.size === 0) this.close();
        return undefined;
      default:
        return undefined; // SETTINGS, WINDOW_UPDATE and unknown types need no answer
    }
  }

  #synStream(id: number, flags: number, headers: Headers): void {
    if (this.#closed) return;
    if (id % 2 === 0 || id <= this.#lastStreamId) {
      this._sendRst(id, RST.PROTOCOL_ERROR);
      return;
    }
    this.#lastStreamId = id;
    if (this.#goneAway) {
      this._sendRst(id, RST.REFUSED_STREAM);
      return;
    }
    const s = new SpdyStream(this, id, headers);
    this.streams.set(id, s);
    this.#transport.write(controlFrame(SYN_REPLY, 0, Buffer.concat([u32s(id), this.#compressor.compress({})])));
    if (flags & FLAG_UNIDIRECTIONAL) s.localEnded = true;
    if (flags & FLAG_FIN) s._remoteData(EMPTY, true);
    this.emit('stream', s);
  }

  /** @internal */
  _sendData(id: number, chunk: Buffer, fin: boolean, cb: () => void): void {
    if (this.#closed) return cb();
    for (let i = 0; i < chunk.length; i += MAX_DATA) {
      const last = i + MAX_DATA >= chunk.length;
      const part = chunk.subarray(i, i + MAX_DATA);
      this.#transport.write(dataFrame(id, last && fin ? FLAG_FIN : 0, part), last ? cb : undefined);
    }
    if (chunk.length === 0) this.#transport.write(dataFrame(id, fin ? FLAG_FIN : 0, EMPTY), cb);
  }

  /** @internal */
  _sendRst(id: number, status: number): void {
    if (!this.#closed) this.#transport.write(controlFrame(RST_STREAM, 0, u32s(id, status)));
  }

  /** @internal */
  _forget(id: number): void {
    this.streams.delete(id);
    if (this.#goneAway && this.streams.size === 0) this.close();
  }

  /** @internal */
  _maybeForget(s: SpdyStream): void {
    if (s.localEnded && s.remoteEnded) this._forget(s.id);
  }

  /** GOAWAY, then end the transport. */
  close(): void {
    if (this.#closed) return;
    this.#transport.write(controlFrame(GOAWAY, 0, u32s(this.#lastStreamId, 0)));
    this.#transport.end();
    this.transportClosed();
  }

  /** The transport is gone (or closing): streams end, nothing more is sent. */
  transportClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#goneAway = true;
    this.#decompressor.close();
    for (const s of this.streams.values()) s._terminate();
    this.streams.clear();
    this.emit('close');
  }

  get closed(): boolean {
    return this.#closed;
  }

  #protocolError(e: Error): void {
    if (this.#closed) return;
    this.emit('protocolError', e);
    this.#transport.write(controlFrame(GOAWAY, 0, u32s(this.#lastStreamId, 1)));
    this.#transport.destroy();
    this.transportClosed();
  }
}
