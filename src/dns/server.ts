// The cluster DNS server (CoreDNS as AKS runs it behind the kube-dns Service): UDP and TCP on the
// DNS service IP, server blocks chosen by zone, and in each block CoreDNS's plugin order —
// rewrite, hosts, kubernetes, forward (with cache) — configured from the `coredns` and
// `coredns-custom` ConfigMaps in kube-system and reloaded when they change.
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import type { KubeClient } from '../client/client.ts';
import type { Informer, InformerFactory } from '../client/informer.ts';
import type { Obj } from '../client/types.ts';
import { realClock, type Clock } from '../machinery/clock.ts';
import { DEFAULT_COREFILE, inZone, loadConfig, normalizeName, type DNSConfig, type HostsConfig, type RewriteRule, type ServerConfig, type Upstream } from './corefile.ts';
import { AnswerCache, Forwarder } from './forward.ts';
import { KubernetesBackend, type Reply } from './kubernetes.ts';
import { readHostResolvConf } from './resolvconf.ts';
import { CLASS_IN, RCODE, TYPE, decode, encode, optOf, optRecord, type Message, type RR } from './wire.ts';

export const DEFAULT_DNS_ADDRESS = '127.96.0.10';
const MAX_CHASE = 8;
const TCP_IDLE_MS = 10_000;
const MAX_PACKED_ANSWERS = 10_000;

export interface ClusterDNSOptions {
  address?: string;
  port?: number;
  domain?: string;
  /** Resolvers for `forward . /etc/resolv.conf` ("ip" or "ip:port"); default: the host's /etc/resolv.conf nameservers. */
  upstreams?: string[];
  clock?: Clock;
  /** How long start() waits for the informers to sync (CoreDNS's startup_timeout, 5 s). */
  startupTimeoutMs?: number;
  /** Hears configuration warnings and errors (default: console.warn). */
  log?: (message: string) => void;
}

export class DNSBindError extends Error {
  readonly code = 'EDNSBIND';
}

interface Block {
  cfg: ServerConfig;
  forwarder: Forwarder | undefined;
  cache: AnswerCache | undefined;
}

function parseUpstream(s: string): Upstream | undefined {
  const m = /^(\d+\.\d+\.\d+\.\d+)(?::(\d+))?$/.exec(s.trim());
  return m ? { host: m[1]!, port: m[2] ? Number(m[2]) : 53 } : undefined;
}

function nextReply(): Reply {
  return { rcode: RCODE.SERVFAIL, aa: false, answers: [], authorities: [], additionals: [], volatile: true };
}

export class ClusterDNS {
  readonly address: string;
  readonly port: number;
  readonly domain: string;
  readonly backend: KubernetesBackend;
  #client: KubeClient;
  #clock: Clock;
  #opts: ClusterDNSOptions;
  #upstreams: Upstream[];
  #configMaps: Informer;
  #blocks: Block[] = [];
  #config: DNSConfig | undefined;
  #configError: string | undefined;
  #configKey = '';
  #udp: Socket | undefined;
  #tcp: Server | undefined;
  #conns = new Set<TcpSocket>();
  #log: (m: string) => void;
  /**
   * Encoded answers to cluster names, keyed by the query's bytes after its id; emptied whenever a
   * Service, EndpointSlice, Namespace (or Pod) or the configuration changes. Keeps the hot path
   * free of garbage.
   */
  #packed = new Map<string, Buffer>();
  #generation = 0;

  constructor(client: KubeClient, informers: InformerFactory, opts: ClusterDNSOptions = {}) {
    this.#client = client;
    this.#opts = opts;
    this.address = opts.address ?? DEFAULT_DNS_ADDRESS;
    this.port = opts.port ?? 53;
    this.domain = normalizeName(opts.domain ?? 'cluster.local');
    this.#clock = opts.clock ?? realClock;
    this.#log = opts.log ?? ((m) => console.warn(`cluster DNS: ${m}`));
    const own = new Set([this.address, DEFAULT_DNS_ADDRESS]);
    const ups = opts.upstreams ?? readHostResolvConf().nameservers;
    this.#upstreams = ups.map(parseUpstream).filter((u): u is Upstream => !!u && !(own.has(u.host) && (u.port === 53 || u.port === this.port)));
    this.backend = new KubernetesBackend(informers, { clock: this.#clock, dnsIP: this.address });
    this.backend.onChange(() => this.#invalidate());
    this.#configMaps = informers.informer('', 'configmaps', { namespace: 'kube-system' });
    const changed = (cm: Obj) => {
      if (cm.metadata?.name === 'coredns' || cm.metadata?.name === 'coredns-custom') this.#reload();
    };
    this.#configMaps.addEventHandler({ add: changed, update: (_o, n) => changed(n), delete: changed });
    this.#reload();
  }

  /** The client this server was made with (for callers composing helpers). */
  get client(): KubeClient {
    return this.#client;
  }

  /** The configuration in force, its warnings, and the last reload error (the old config stays). */
  get config(): DNSConfig | undefined {
    return this.#config;
  }
  get configError(): string | undefined {
    return this.#configError;
  }

  #reload() {
    const cm = this.#configMaps.get('kube-system', 'coredns');
    const custom = this.#configMaps.get('kube-system', 'coredns-custom');
    let corefile: string = cm?.data?.Corefile ?? DEFAULT_COREFILE;
    if (!cm?.data?.Corefile && this.domain !== 'cluster.local') corefile = corefile.replace('cluster.local', this.domain);
    const customData: Record<string, string> = custom?.data ?? {};
    const key = JSON.stringify([corefile, customData]);
    if (key === this.#configKey) return;
    this.#configKey = key;
    try {
      const config = loadConfig(corefile, customData);
      for (const w of config.warnings) this.#log(w);
      this.#config = config;
      this.#configError = undefined;
      this.#blocks = config.servers.map((cfg) => this.#block(cfg));
      this.#invalidate();
      if (this.#blocks.some((b) => b.cfg.kubernetes?.pods === 'verified')) this.backend.pods();
    } catch (e) {
      this.#configError = (e as Error).message;
      this.#log(`configuration not loaded, keeping the previous one: ${this.#configError}`);
    }
  }

  #block(cfg: ServerConfig): Block {
    let forwarder: Forwarder | undefined;
    if (cfg.forward) {
      const ups: Upstream[] = [];
      for (const t of cfg.forward.to) {
        if (t === 'resolv') ups.push(...this.#upstreams);
        else ups.push(t);
      }
      forwarder = new Forwarder(ups, { policy: cfg.forward.policy, forceTcp: cfg.forward.forceTcp });
    }
    const cache = cfg.cache ? new AnswerCache({ clock: this.#clock, maxTtl: cfg.cache.ttl }) : undefined;
    return { cfg, forwarder, cache };
  }

  // --- resolution -----------------------------------------------------------------------------

  /** Resolves one question through the server blocks, as a client would see the answer. */
  async resolve(qname: string, qtype: number, depth = 0): Promise<Reply> {
    const lname = normalizeName(qname);
    let block: Block | undefined;
    let best = -1;
    for (const b of this.#blocks) {
      for (const z of b.cfg.zones) {
        if (z.length > best && inZone(lname, z)) {
          block = b;
          best = z.length;
        }
      }
    }
    if (!block) return { rcode: RCODE.REFUSED, aa: false, answers: [], authorities: [], additionals: [] };

    let name = qname.replace(/\.$/, '');
    let applied: RewriteRule | undefined;
    for (const rule of block.cfg.rewrites) {
      const to = rewriteName(rule, name);
      if (to === undefined) continue;
      name = to;
      applied = rule;
      if (rule.stop) break;
    }

    const reply = await this.#chain(block, name, qtype, depth);
    if (applied) {
      const original = qname.replace(/\.$/, '');
      const back = (rr: RR): RR => {
        const n = answerName(applied, rr.name, name, original);
        return n === rr.name ? rr : { ...rr, name: n };
      };
      reply.answers = reply.answers.map(back);
    }
    return reply;
  }

  async #chain(block: Block, qname: string, qtype: number, depth: number): Promise<Reply> {
    const lname = normalizeName(qname);
    const cfg = block.cfg;
    if (cfg.hosts) {
      const r = serveHosts(cfg.hosts, qname, lname, qtype);
      if (r !== 'next') return r;
    }
    if (cfg.kubernetes) {
      const chase = async (target: string, type: number): Promise<RR[]> => {
        if (depth >= MAX_CHASE) return [];
        const r = await this.resolve(target, type, depth + 1);
        return r.rcode === RCODE.NOERROR ? r.answers : [];
      };
      const r = await this.backend.serve(cfg.kubernetes, qname, qtype, chase);
      if (r !== 'next') return r;
    }
    if (cfg.forward && block.forwarder && inZone(lname, cfg.forward.from) && !cfg.forward.except.some((z) => inZone(lname, z))) {
      const useCache = !!block.cache && cfg.cache!.zones.some((z) => inZone(lname, z));
      const hit = useCache ? block.cache!.get(lname, qtype) : undefined;
      if (hit) return { rcode: hit.rcode, aa: hit.aa, answers: hit.answers, authorities: hit.authorities, additionals: hit.additionals, volatile: true };
      try {
        const m = await block.forwarder.exchange(qname, qtype);
        if (useCache) {
          block.cache!.put(lname, qtype, m);
          // The client sees the capped TTLs of the cached copy, as it will on the next hit.
          const stored = block.cache!.get(lname, qtype);
          if (stored) return { rcode: stored.rcode, aa: stored.aa, answers: stored.answers, authorities: stored.authorities, additionals: stored.additionals, volatile: true };
        }
        return { rcode: m.rcode, aa: m.aa, answers: m.answers, authorities: m.authorities, additionals: m.additionals.filter((rr) => rr.type !== TYPE.OPT), volatile: true };
      } catch {
        return nextReply();
      }
    }
    // No plugin answered (CoreDNS's NextOrFailure at the end of the chain).
    return nextReply();
  }

  #invalidate() {
    this.#generation++;
    this.#packed.clear();
  }

  /** A stored answer to the same query bytes, with this query's id; undefined on a miss. */
  #packedAnswer(packet: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined {
    if (packet.length < 12 || this.#packed.size === 0) return undefined;
    const hit = this.#packed.get(transport + packet.toString('latin1', 2));
    if (!hit) return undefined;
    const out = Buffer.allocUnsafe(hit.length);
    hit.copy(out);
    out[0] = packet[0]!;
    out[1] = packet[1]!;
    return out;
  }

  /** Answers one wire-format query; undefined when the packet deserves no answer. */
  async handle(packet: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    return this.#packedAnswer(packet, transport) ?? this.#handle(packet, transport);
  }

  async #handle(packet: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    let q: Message;
    try {
      q = decode(packet);
    } catch {
      if (packet.length < 12 || packet[2]! & 0x80) return undefined;
      const h = Buffer.from(packet.subarray(0, 12));
      h[2] = 0x80 | (h[2]! & 0x79); // QR, keep opcode and RD
      h[3] = RCODE.FORMERR;
      h.fill(0, 4, 12);
      return h;
    }
    if (q.qr) return undefined;
    const opt = optOf(q);
    const res: Message = { id: q.id, qr: true, opcode: q.opcode, aa: false, tc: false, rd: q.rd, ra: true, rcode: RCODE.NOERROR, questions: q.questions, answers: [], authorities: [], additionals: [] };
    const limit = transport === 'tcp' ? 65535 : Math.max(512, Math.min(opt ? opt.class : 512, 65535));
    const question = q.questions[0];
    if (q.opcode !== 0) res.rcode = RCODE.NOTIMP;
    else if (q.questions.length !== 1 || !question) res.rcode = RCODE.FORMERR;
    else if (question.class !== CLASS_IN && question.class !== 255) res.rcode = RCODE.REFUSED;
    else {
      const generation = this.#generation;
      const r = await this.resolve(question.name, question.type);
      res.rcode = r.rcode;
      res.aa = r.aa;
      res.answers = r.answers;
      res.authorities = r.authorities;
      res.additionals = r.additionals;
      if (opt) res.additionals = [...res.additionals, optRecord(1232)];
      const out = encode(res, limit);
      // Only answers made from the cluster state alone, and only if that state did not change meanwhile.
      if (!r.volatile && r.rcode !== RCODE.SERVFAIL && generation === this.#generation) {
        if (this.#packed.size >= MAX_PACKED_ANSWERS) this.#packed.clear();
        this.#packed.set(transport + packet.toString('latin1', 2), out);
      }
      return out;
    }
    if (opt) res.additionals = [...res.additionals, optRecord(1232)];
    return encode(res, limit);
  }

  // --- serving --------------------------------------------------------------------------------

  /** Starts the informers, waits (up to the startup timeout) for them to sync, and binds UDP and TCP. */
  async start(): Promise<void> {
    this.backend.start();
    this.#configMaps.start();
    await Promise.race([
      Promise.all([this.backend.synced(), this.#configMaps.synced()]),
      new Promise<void>((r) => this.#clock.after(this.#opts.startupTimeoutMs ?? 5000, r)),
    ]);
    this.#reload();
    try {
      await this.#listen();
    } catch (e) {
      await this.stop();
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'EACCES') throw new DNSBindError(`cannot bind ${this.address}:${this.port}: binding port ${this.port} needs root or CAP_NET_BIND_SERVICE`, { cause: e });
      if (err.code === 'EADDRINUSE') throw new DNSBindError(`cannot bind ${this.address}:${this.port}: the address is in use (another DNS server?)`, { cause: e });
      if (err.code === 'EADDRNOTAVAIL') throw new DNSBindError(`cannot bind ${this.address}:${this.port}: the address is not on this machine (loopback 127.0.0.0/8 is Linux-only)`, { cause: e });
      throw e;
    }
  }

  async #listen(): Promise<void> {
    const udp = createSocket({ type: 'udp4' });
    this.#udp = udp;
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind({ address: this.address, port: this.port, exclusive: true }, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    udp.on('error', (e) => this.#log(`udp: ${e.message}`));
    udp.on('message', (msg, rinfo) => {
      const hit = this.#packedAnswer(msg, 'udp');
      if (hit) return void udp.send(hit, rinfo.port, rinfo.address);
      this.#handle(msg, 'udp').then(
        (out) => out && udp.send(out, rinfo.port, rinfo.address),
        (e) => this.#log(`query failed: ${(e as Error).message}`),
      );
    });
    const tcp = createServer((sock) => this.#serveTcp(sock));
    this.#tcp = tcp;
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen({ host: this.address, port: this.port, exclusive: true }, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
  }

  #serveTcp(sock: TcpSocket) {
    this.#conns.add(sock);
    sock.setNoDelay(true);
    sock.setTimeout(TCP_IDLE_MS, () => sock.destroy());
    sock.on('close', () => this.#conns.delete(sock));
    sock.on('error', () => sock.destroy());
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      while (buf.length >= 2) {
        const n = buf.readUInt16BE(0);
        if (buf.length < 2 + n) break;
        const packet = buf.subarray(2, 2 + n);
        buf = buf.subarray(2 + n);
        this.handle(packet, 'tcp').then(
          (out) => {
            if (!out || sock.destroyed) return;
            const len = Buffer.alloc(2);
            len.writeUInt16BE(out.length);
            sock.write(Buffer.concat([len, out]));
          },
          () => sock.destroy(),
        );
      }
    });
  }

  async stop(): Promise<void> {
    const udp = this.#udp;
    const tcp = this.#tcp;
    this.#udp = undefined;
    this.#tcp = undefined;
    for (const c of this.#conns) c.destroy();
    this.#conns.clear();
    if (udp) await new Promise<void>((r) => udp.close(() => r())).catch(() => undefined);
    if (tcp) await new Promise<void>((r) => tcp.close(() => r()));
  }
}

// --- hosts and rewrite ----------------------------------------------------------------------------

/** CoreDNS's hosts plugin. */
function serveHosts(h: HostsConfig, qname: string, lname: string, qtype: number): Reply | 'next' {
  const inZones = h.zones.some((z) => inZone(lname, z));
  if (!inZones && qtype !== TYPE.PTR) return 'next';
  const reply = (answers: RR[]): Reply => ({ rcode: RCODE.NOERROR, aa: true, answers, authorities: [], additionals: [] });
  if (qtype === TYPE.PTR) {
    const parts = lname.endsWith('.in-addr.arpa') ? lname.slice(0, -13).split('.') : [];
    const names = parts.length === 4 ? h.byAddr.get(parts.reverse().join('.')) : undefined;
    if (!names?.length) return 'next';
    return reply(names.map((n) => ({ name: qname, type: TYPE.PTR, class: CLASS_IN, ttl: h.ttl, data: n })));
  }
  const ips = h.byName.get(lname);
  if (!ips) {
    if (h.fallthrough && (h.fallthrough.length === 0 || h.fallthrough.some((z) => inZone(lname, z)))) return 'next';
    // No SOA to deny with: CoreDNS answers SERVFAIL.
    return { rcode: RCODE.SERVFAIL, aa: false, answers: [], authorities: [], additionals: [] };
  }
  const v4 = qtype === TYPE.A;
  const want = qtype === TYPE.A || qtype === TYPE.AAAA ? ips.filter((ip) => ip.includes(':') !== v4) : [];
  return reply(want.map((ip) => ({ name: qname, type: qtype, class: CLASS_IN, ttl: h.ttl, data: ip })));
}

function expand(template: string, m: RegExpExecArray): string {
  return template.replace(/\{(\d+)\}/g, (_s, i: string) => m[Number(i)] ?? '');
}

/** The rewritten query name, or undefined when the rule does not match. */
function rewriteName(rule: RewriteRule, name: string): string | undefined {
  const l = name.toLowerCase();
  switch (rule.match) {
    case 'exact':
      return l === rule.from ? rule.to : undefined;
    case 'prefix':
      return l.startsWith(rule.from) ? rule.to + l.slice(rule.from.length) : undefined;
    case 'suffix':
      return l.endsWith(rule.from) ? l.slice(0, l.length - rule.from.length) + rule.to : undefined;
    case 'substring':
      return l.includes(rule.from) ? l.replace(rule.from, rule.to) : undefined;
    case 'regex': {
      const m = rule.regex!.exec(l) ?? rule.regex!.exec(`${l}.`);
      return m ? expand(rule.to, m).replace(/\.$/, '') : undefined;
    }
  }
}

/** An answer's owner name after a rewrite: exact rules and `answer auto` restore the query's name. */
function answerName(rule: RewriteRule, owner: string, rewritten: string, original: string): string {
  const a = rule.answer;
  if (a && 'regex' in a) {
    const m = a.regex.exec(owner) ?? a.regex.exec(`${owner}.`);
    return m ? expand(a.to, m).replace(/\.$/, '') : owner;
  }
  if ((rule.match === 'exact' || a) && owner.toLowerCase() === rewritten.toLowerCase()) return original;
  return owner;
}
