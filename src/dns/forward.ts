// CoreDNS's forward and cache plugins: names outside the cluster go to upstream resolvers over
// UDP (retried over TCP when the answer is truncated, or always with force_tcp), failing over
// between upstreams; answers are cached for their TTL (capped by `cache N`), denials for the SOA
// minimum.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { randomInt } from 'node:crypto';
import type { Clock } from '../machinery/clock.ts';
import type { Upstream } from './corefile.ts';
import { CLASS_IN, RCODE, TYPE, decode, emptyMessage, encode, optRecord, type Message, type RR } from './wire.ts';

export const UPSTREAM_TIMEOUT_MS = 2000;

function sameQuestion(a: Message, name: string, type: number): boolean {
  const q = a.questions[0];
  return !!q && q.type === type && q.name.toLowerCase() === name.toLowerCase();
}

function queryMessage(name: string, type: number): { id: number; buf: Buffer } {
  const id = randomInt(0, 65536);
  const m = emptyMessage(id);
  m.rd = true;
  m.questions.push({ name, type, class: CLASS_IN });
  m.additionals.push(optRecord(1232));
  return { id, buf: encode(m) };
}

function udpExchange(u: Upstream, name: string, type: number, timeoutMs: number): Promise<Message> {
  return new Promise((resolve, reject) => {
    const { id, buf } = queryMessage(name, type);
    const sock = createSocket('udp4');
    let done = false;
    const finish = (err: Error | undefined, m?: Message) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(m!);
    };
    const timer = setTimeout(() => finish(new Error(`upstream ${u.host}:${u.port} timed out`)), timeoutMs);
    sock.on('error', (e) => finish(e));
    sock.on('message', (data, rinfo) => {
      if (rinfo.address !== u.host || rinfo.port !== u.port) return;
      let m: Message;
      try {
        m = decode(data);
      } catch {
        return;
      }
      // Answers that do not match the query (id, question) are spoofed or stale: keep waiting.
      if (m.id !== id || !m.qr || !sameQuestion(m, name, type)) return;
      finish(undefined, m);
    });
    sock.send(buf, u.port, u.host, (e) => e && finish(e));
  });
}

function tcpExchange(u: Upstream, name: string, type: number, timeoutMs: number): Promise<Message> {
  return new Promise((resolve, reject) => {
    const { id, buf } = queryMessage(name, type);
    const sock = connect({ host: u.host, port: u.port });
    let chunks = Buffer.alloc(0);
    let done = false;
    const finish = (err: Error | undefined, m?: Message) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(m!);
    };
    const timer = setTimeout(() => finish(new Error(`upstream ${u.host}:${u.port} timed out (tcp)`)), timeoutMs);
    sock.on('error', (e) => finish(e));
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(buf.length);
      sock.write(Buffer.concat([len, buf]));
    });
    sock.on('data', (d) => {
      chunks = Buffer.concat([chunks, d]);
      if (chunks.length < 2) return;
      const n = chunks.readUInt16BE(0);
      if (chunks.length < 2 + n) return;
      try {
        const m = decode(chunks.subarray(2, 2 + n));
        if (m.id !== id || !sameQuestion(m, name, type)) return finish(new Error('upstream answered another question'));
        finish(undefined, m);
      } catch (e) {
        finish(e as Error);
      }
    });
    sock.on('end', () => finish(new Error('upstream closed the connection')));
  });
}

export interface ForwardOptions {
  policy?: 'random' | 'round_robin' | 'sequential';
  forceTcp?: boolean;
  timeoutMs?: number;
}

/** Sends a question to upstreams in policy order until one answers. */
export class Forwarder {
  readonly upstreams: Upstream[];
  #opts: ForwardOptions;
  #rr = 0;

  constructor(upstreams: Upstream[], opts: ForwardOptions = {}) {
    this.upstreams = upstreams;
    this.#opts = opts;
  }

  #order(): Upstream[] {
    const n = this.upstreams.length;
    if (n <= 1 || this.#opts.policy === 'sequential') return this.upstreams;
    const start = this.#opts.policy === 'round_robin' ? this.#rr++ % n : randomInt(0, n);
    return [...this.upstreams.slice(start), ...this.upstreams.slice(0, start)];
  }

  async exchange(name: string, type: number): Promise<Message> {
    if (this.upstreams.length === 0) throw new Error('no upstream resolvers configured');
    const timeout = this.#opts.timeoutMs ?? UPSTREAM_TIMEOUT_MS;
    let last: unknown;
    for (const u of this.#order()) {
      try {
        if (this.#opts.forceTcp) return await tcpExchange(u, name, type, timeout);
        const m = await udpExchange(u, name, type, timeout);
        return m.tc ? await tcpExchange(u, name, type, timeout) : m;
      } catch (e) {
        last = e;
      }
    }
    throw last instanceof Error ? last : new Error(String(last));
  }
}

interface CacheEntry {
  msg: Message;
  storedAt: number;
  ttl: number;
}

/** A small LRU cache of upstream answers, keyed by question. */
export class AnswerCache {
  #max: number;
  #capTtl: number;
  #clock: Clock;
  #entries = new Map<string, CacheEntry>();

  constructor(opts: { clock: Clock; maxTtl: number; size?: number }) {
    this.#clock = opts.clock;
    this.#capTtl = opts.maxTtl;
    this.#max = opts.size ?? 9984;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cached answer with its TTLs aged, or undefined. */
  get(name: string, type: number): Message | undefined {
    const key = `${type}/${name.toLowerCase()}`;
    const e = this.#entries.get(key);
    if (!e) return undefined;
    const age = Math.floor((this.#clock.now() - e.storedAt) / 1000);
    if (age >= e.ttl) {
      this.#entries.delete(key);
      return undefined;
    }
    this.#entries.delete(key);
    this.#entries.set(key, e);
    const aged = (rr: RR): RR => (rr.type === TYPE.OPT ? rr : { ...rr, ttl: Math.max(0, Math.min(rr.ttl, e.ttl) - age) });
    return { ...e.msg, answers: e.msg.answers.map(aged), authorities: e.msg.authorities.map(aged), additionals: e.msg.additionals.map(aged) };
  }

  put(name: string, type: number, msg: Message): void {
    let ttl: number | undefined;
    if (msg.rcode === RCODE.NOERROR && msg.answers.length > 0) {
      for (const rr of msg.answers) ttl = ttl === undefined ? rr.ttl : Math.min(ttl, rr.ttl);
    } else if (msg.rcode === RCODE.NXDOMAIN || (msg.rcode === RCODE.NOERROR && msg.answers.length === 0)) {
      const soa = msg.authorities.find((rr) => rr.type === TYPE.SOA);
      if (soa) ttl = Math.min(soa.ttl, (soa.data as { minimum: number }).minimum);
    }
    if (ttl === undefined || ttl <= 0) return;
    ttl = Math.min(ttl, this.#capTtl);
    const key = `${type}/${name.toLowerCase()}`;
    this.#entries.delete(key);
    this.#entries.set(key, { msg: { ...msg, additionals: msg.additionals.filter((rr) => rr.type !== TYPE.OPT) }, storedAt: this.#clock.now(), ttl });
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
  }

  clear(): void {
    this.#entries.clear();
  }
}
