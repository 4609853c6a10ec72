// CoreDNS's kubernetes plugin and the Kubernetes DNS-Based Service Discovery specification
// (schema 1.1.0): A for ClusterIP services, A per ready endpoint of headless services, endpoint
// names (<hostname>.<svc>.<ns>.svc), SRV for ports (_<port>._<proto>.<svc>.<ns>.svc),
// ExternalName as CNAME, pod names (a-b-c-d.<ns>.pod), PTR for service and endpoint addresses,
// and NXDOMAIN/NODATA with the zone's SOA in authority.
import type { Informer, InformerFactory } from '../client/informer.ts';
import type { Obj } from '../client/types.ts';
import type { Clock } from '../machinery/clock.ts';
import type { KubernetesConfig } from './corefile.ts';
import { inZone } from './corefile.ts';
import { CLASS_IN, RCODE, TYPE, type RR } from './wire.ts';

/** What a plugin answers; `next` passes the query on (fallthrough). */
export interface Reply {
  rcode: number;
  aa: boolean;
  answers: RR[];
  authorities: RR[];
  additionals: RR[];
  /** Set when the answer came from (or depends on) an upstream: not reusable as it stands. */
  volatile?: boolean;
}

/** Resolves a name outside the cluster zone through the rest of the server (CNAME targets). */
export type Chase = (name: string, type: number) => Promise<RR[]>;

export const DNS_SCHEMA_VERSION = '1.1.0';

interface Entry {
  /** An IP address, or the CNAME target of an ExternalName service. */
  host: string;
  cname: boolean;
  port: number;
  /** The record's own name, e.g. `web-0.web.default.svc.cluster.local`. */
  key: string;
}

interface Parsed {
  podOrSvc: string;
  namespace: string;
  service: string;
  endpoint: string;
  port: string;
  protocol: string;
}

const NAME_ERROR = Symbol('name error');

function isIPv4(s: string): boolean {
  return /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(s) && s.split('.').every((p) => Number(p) <= 255);
}

function stripUnderscore(s: string): string {
  return s.startsWith('_') ? s.slice(1) : s;
}

/** The kubernetes plugin's view of the cluster, from shared informers. */
export class KubernetesBackend {
  readonly services: Informer;
  readonly slices: Informer;
  readonly namespaces: Informer;
  #pods: Informer | undefined;
  #informers: InformerFactory;
  #clock: Clock;
  #dnsIP: string;
  #modified: number;
  #listeners: (() => void)[] = [];

  constructor(informers: InformerFactory, opts: { clock: Clock; dnsIP: string }) {
    this.#informers = informers;
    this.#clock = opts.clock;
    this.#dnsIP = opts.dnsIP;
    this.#modified = Math.floor(opts.clock.now() / 1000);
    this.services = informers.informer('', 'services');
    this.slices = informers.informer('discovery.k8s.io', 'endpointslices');
    this.namespaces = informers.informer('', 'namespaces');
    this.services.addIndex('dns:clusterIP', (s) => clusterIPs(s));
    this.slices.addIndex('dns:service', (e) => {
      const svc = e.metadata?.labels?.['kubernetes.io/service-name'];
      return svc ? [`${e.metadata.namespace}/${svc}`] : [];
    });
    this.slices.addIndex('dns:addr', (e) => (e.endpoints ?? []).flatMap((ep: Obj) => ep.addresses ?? []));
    const touch = { add: () => this.#touch(), update: () => this.#touch(), delete: () => this.#touch() };
    this.services.addEventHandler(touch);
    this.slices.addEventHandler(touch);
    this.namespaces.addEventHandler(touch);
  }

  #touch() {
    this.#modified = Math.floor(this.#clock.now() / 1000);
    for (const l of this.#listeners) l();
  }

  /** Hears every change to the objects the answers are made from. */
  onChange(fn: () => void): void {
    this.#listeners.push(fn);
  }

  /** The pod informer, needed only for `pods verified`. */
  pods(): Informer {
    if (!this.#pods) {
      this.#pods = this.#informers.informer('', 'pods');
      this.#pods.addIndex('dns:podIP', (p) => {
        const ips: string[] = (p.status?.podIPs ?? []).map((x: { ip: string }) => x.ip);
        if (p.status?.podIP && !ips.includes(p.status.podIP)) ips.push(p.status.podIP);
        return ips;
      });
      this.#pods.addEventHandler({ add: () => this.#touch(), update: () => this.#touch(), delete: () => this.#touch() });
      this.#pods.start();
    }
    return this.#pods;
  }

  start(): void {
    this.services.start();
    this.slices.start();
    this.namespaces.start();
  }

  get hasSynced(): boolean {
    return this.services.hasSynced && this.slices.hasSynced && this.namespaces.hasSynced && (!this.#pods || this.#pods.hasSynced);
  }

  async synced(): Promise<void> {
    await Promise.all([this.services.synced(), this.slices.synced(), this.namespaces.synced(), this.#pods?.synced()]);
  }

  soa(zone: string, ttl: number): RR {
    return {
      name: zone,
      type: TYPE.SOA,
      class: CLASS_IN,
      ttl: Math.min(ttl, 300),
      data: { mname: zone ? `ns.dns.${zone}` : 'ns.dns', rname: zone ? `hostmaster.${zone}` : 'hostmaster', serial: this.#modified >>> 0, refresh: 7200, retry: 1800, expire: 86400, minimum: ttl },
    };
  }

  #exposed(cfg: KubernetesConfig, ns: string): boolean {
    if (cfg.namespaces.length && !cfg.namespaces.includes(ns)) return false;
    return this.namespaces.get(ns) !== undefined;
  }

  /**
   * Answers a query for a name in one of the plugin's zones, or returns 'next' when the name is not
   * the plugin's or a fallthrough zone passes it on. `qname` keeps the client's case.
   */
  async serve(cfg: KubernetesConfig, qname: string, qtype: number, chase: Chase): Promise<Reply | 'next'> {
    const lname = qname.toLowerCase();
    let zone: string | undefined;
    for (const z of cfg.zones) if (inZone(lname, z) && (zone === undefined || z.length > zone.length)) zone = z;
    if (zone === undefined) return 'next';
    const zoneCase = qname.slice(qname.length - zone.length);
    const reply = (answers: RR[], additionals: RR[] = []): Reply => ({ rcode: RCODE.NOERROR, aa: true, answers, authorities: answers.length ? [] : [this.soa(zoneCase, cfg.ttl)], additionals });
    const nameError = (): Reply | 'next' => {
      if (cfg.fallthrough && (cfg.fallthrough.length === 0 || cfg.fallthrough.some((z) => inZone(lname, z)))) return 'next';
      const rcode = this.hasSynced ? RCODE.NXDOMAIN : RCODE.SERVFAIL;
      return { rcode, aa: true, answers: [], authorities: [this.soa(zoneCase, cfg.ttl)], additionals: [] };
    };
    if (qtype === TYPE.AXFR || qtype === TYPE.IXFR) return { rcode: RCODE.REFUSED, aa: false, answers: [], authorities: [], additionals: [] };

    if (zone === 'in-addr.arpa' || zone === 'ip6.arpa' || zone.endsWith('.in-addr.arpa') || zone.endsWith('.ip6.arpa')) {
      if (qtype !== TYPE.PTR) return nameError();
      const ip = reverseToIP(lname);
      const targets = ip ? this.#reverse(cfg, ip) : [];
      if (targets.length === 0) return nameError();
      return reply(targets.map((t) => ({ name: qname, type: TYPE.PTR, class: CLASS_IN, ttl: cfg.ttl, data: t })));
    }

    const base = lname === zone ? '' : zone === '' ? lname : lname.slice(0, lname.length - zone.length - 1);
    // The zone's apex and its name server.
    if (base === '') {
      if (qtype === TYPE.SOA) return reply([this.soa(zoneCase, cfg.ttl)]);
      if (qtype === TYPE.NS) {
        const ns = zone ? `ns.dns.${zone}` : 'ns.dns';
        return reply([{ name: qname, type: TYPE.NS, class: CLASS_IN, ttl: cfg.ttl, data: ns }], [{ name: ns, type: TYPE.A, class: CLASS_IN, ttl: cfg.ttl, data: this.#dnsIP }]);
      }
      return reply([]);
    }
    if (base === 'ns.dns') {
      if (qtype === TYPE.A) return reply([{ name: qname, type: TYPE.A, class: CLASS_IN, ttl: cfg.ttl, data: this.#dnsIP }]);
      return reply([]);
    }
    if (base === 'dns-version' && qtype === TYPE.TXT) {
      return reply([{ name: qname, type: TYPE.TXT, class: CLASS_IN, ttl: 28800, data: [DNS_SCHEMA_VERSION] }]);
    }

    const found = this.#records(cfg, zone, base);
    if (found === NAME_ERROR) return nameError();

    switch (qtype) {
      case TYPE.A:
      case TYPE.AAAA: {
        const out: RR[] = [];
        let chased = false;
        const seen = new Set<string>();
        for (const e of found) {
          if (e.cname) {
            if (e.host === lname) continue;
            const cname: RR = { name: qname, type: TYPE.CNAME, class: CLASS_IN, ttl: cfg.ttl, data: e.host };
            let rest: RR[] = [];
            chased = true;
            try {
              rest = await chase(e.host, qtype);
            } catch {
              // The CNAME alone still tells the client where to look.
            }
            out.push(cname, ...rest);
            continue;
          }
          const v4 = isIPv4(e.host);
          if ((qtype === TYPE.A) !== v4 || seen.has(e.host)) continue;
          seen.add(e.host);
          out.push({ name: qname, type: qtype, class: CLASS_IN, ttl: cfg.ttl, data: e.host });
        }
        const r = reply(out);
        if (chased) r.volatile = true;
        return r;
      }
      case TYPE.CNAME:
        return reply(found.filter((e) => e.cname).map((e) => ({ name: qname, type: TYPE.CNAME, class: CLASS_IN, ttl: cfg.ttl, data: e.host })));
      case TYPE.SRV: {
        const internal = found.filter((e) => !e.cname);
        const weight = internal.length ? Math.max(1, Math.floor(100 / internal.length)) : 0;
        const answers: RR[] = [];
        const extra: RR[] = [];
        const dupSrv = new Set<string>();
        const dupAddr = new Set<string>();
        for (const e of internal) {
          if (e.port < 0) continue;
          if (!dupSrv.has(`${e.key}:${e.port}`)) {
            dupSrv.add(`${e.key}:${e.port}`);
            answers.push({ name: qname, type: TYPE.SRV, class: CLASS_IN, ttl: cfg.ttl, data: { priority: 0, weight, port: e.port, target: e.key } });
          }
          if (!dupAddr.has(`${e.key}/${e.host}`)) {
            dupAddr.add(`${e.key}/${e.host}`);
            extra.push({ name: e.key, type: isIPv4(e.host) ? TYPE.A : TYPE.AAAA, class: CLASS_IN, ttl: cfg.ttl, data: e.host });
          }
        }
        return reply(answers, extra);
      }
      case TYPE.TXT:
      default:
        // The name exists (no name error above): NODATA.
        return reply([]);
    }
  }

  /** The records a name under the zone stands for, or NAME_ERROR (NXDOMAIN). */
  #records(cfg: KubernetesConfig, zone: string, base: string): Entry[] | typeof NAME_ERROR {
    const segs = base.split('.');
    let last = segs.length - 1;
    const r: Parsed = { podOrSvc: segs[last]!, namespace: '', service: '', endpoint: '', port: '', protocol: '' };
    if (r.podOrSvc !== 'svc' && r.podOrSvc !== 'pod') return NAME_ERROR;
    if (--last < 0) return [];
    r.namespace = segs[last]!;
    if (--last >= 0) {
      r.service = segs[last]!;
      last--;
      if (last === 0) r.endpoint = segs[0]!;
      else if (last === 1) {
        r.protocol = stripUnderscore(segs[1]!);
        r.port = stripUnderscore(segs[0]!);
      } else if (last > 1) return NAME_ERROR;
    }
    if (!this.#exposed(cfg, r.namespace)) return NAME_ERROR;
    if (r.service === '') return [];
    return r.podOrSvc === 'pod' ? this.#pod(cfg, zone, r) : this.#servicesFor(cfg, zone, r);
  }

  #pod(cfg: KubernetesConfig, zone: string, r: Parsed): Entry[] | typeof NAME_ERROR {
    if (cfg.pods === 'disabled' || r.endpoint || r.port) return NAME_ERROR;
    const ip = r.service.replaceAll('-', '.');
    if (!isIPv4(ip) || r.service.includes('--')) return NAME_ERROR;
    const key = `${r.service}.${r.namespace}.pod.${zone}`;
    if (cfg.pods === 'insecure') return [{ host: ip, cname: false, port: -1, key }];
    const match = this.pods().byIndex('dns:podIP', ip).some((p) => p.metadata?.namespace === r.namespace);
    return match ? [{ host: ip, cname: false, port: -1, key }] : NAME_ERROR;
  }

  #servicesFor(cfg: KubernetesConfig, zone: string, r: Parsed): Entry[] | typeof NAME_ERROR {
    const svc = this.services.get(r.namespace, r.service);
    if (!svc) return NAME_ERROR;
    const spec = svc.spec ?? {};
    const svcKey = `${r.service}.${r.namespace}.svc.${zone}`;
    const out: Entry[] = [];
    if (spec.type === 'ExternalName') {
      if (r.endpoint || r.port || r.protocol || !spec.externalName || isIPv4(spec.externalName)) return NAME_ERROR;
      const target = String(spec.externalName).toLowerCase().replace(/\.$/, '');
      return [{ host: target, cname: true, port: -1, key: svcKey }];
    }
    const headless = spec.clusterIP === 'None';
    if (headless || r.endpoint) {
      let any = false;
      for (const slice of this.slices.byIndex('dns:service', `${r.namespace}/${r.service}`)) {
        if (slice.addressType && slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
        const ports: { name?: string; port?: number; protocol?: string }[] = slice.ports?.length ? slice.ports : [{ port: -1 }];
        for (const ep of slice.endpoints ?? []) {
          if (ep.conditions?.ready === false) continue;
          for (const addr of ep.addresses ?? []) {
            const name = endpointName(ep, addr, cfg.endpointPodNames);
            if (r.endpoint && r.endpoint !== name.toLowerCase()) continue;
            for (const p of ports) {
              if (!portMatches(r, p.name ?? '', p.protocol ?? 'TCP')) continue;
              any = true;
              out.push({ host: addr, cname: false, port: p.port ?? -1, key: `${name}.${svcKey}` });
            }
          }
        }
      }
      return any ? out : NAME_ERROR;
    }
    let any = false;
    for (const p of spec.ports ?? []) {
      if (!portMatches(r, p.name ?? '', p.protocol ?? 'TCP')) continue;
      any = true;
      for (const ip of clusterIPs(svc)) out.push({ host: ip, cname: false, port: p.port, key: svcKey });
    }
    return any ? out : NAME_ERROR;
  }

  #reverse(cfg: KubernetesConfig, ip: string): string[] {
    const zone = cfg.zones.find((z) => !z.endsWith('in-addr.arpa') && !z.endsWith('ip6.arpa')) ?? 'cluster.local';
    for (const svc of this.services.byIndex('dns:clusterIP', ip)) {
      if (cfg.namespaces.length && !cfg.namespaces.includes(svc.metadata.namespace)) continue;
      return [`${svc.metadata.name}.${svc.metadata.namespace}.svc.${zone}`];
    }
    const out: string[] = [];
    for (const slice of this.slices.byIndex('dns:addr', ip)) {
      const svc = slice.metadata?.labels?.['kubernetes.io/service-name'];
      if (!svc || (cfg.namespaces.length && !cfg.namespaces.includes(slice.metadata.namespace))) continue;
      for (const ep of slice.endpoints ?? []) {
        if (ep.conditions?.ready === false || !(ep.addresses ?? []).includes(ip)) continue;
        const name = `${endpointName(ep, ip, cfg.endpointPodNames)}.${svc}.${slice.metadata.namespace}.svc.${zone}`;
        if (!out.includes(name)) out.push(name);
      }
    }
    return out;
  }
}

function clusterIPs(svc: Obj): string[] {
  const spec = svc.spec ?? {};
  const ips: string[] = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  return ips.filter((ip) => ip && ip !== 'None');
}

function portMatches(r: Parsed, name: string, protocol: string): boolean {
  return (r.port === '' || r.port === name.toLowerCase()) && (r.protocol === '' || r.protocol === protocol.toLowerCase());
}

/** An endpoint's DNS label: its hostname, the pod's name with endpoint_pod_names, else the dashed IP. */
function endpointName(ep: Obj, addr: string, podNames: boolean): string {
  if (ep.hostname) return ep.hostname;
  if (podNames && ep.targetRef?.name) return ep.targetRef.name;
  return addr.includes(':') ? addr.replaceAll(':', '-').replace(/-$/, '-0') : addr.replaceAll('.', '-');
}

/** `4.3.2.1.in-addr.arpa` → 1.2.3.4 (only complete IPv4 reverse names). */
function reverseToIP(name: string): string | undefined {
  if (!name.endsWith('.in-addr.arpa')) return undefined;
  const parts = name.slice(0, -'.in-addr.arpa'.length).split('.');
  if (parts.length !== 4) return undefined;
  const ip = parts.reverse().join('.');
  return isIPv4(ip) ? ip : undefined;
}
