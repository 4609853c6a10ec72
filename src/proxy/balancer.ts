// Endpoint selection for one Service port, as kube-proxy's: the endpoints come from the Service's
// EndpointSlices (ready ones; terminating-but-serving ones only when none is ready, KEP-1669),
// de-duplicated by address and port; a connection picks the next endpoint round-robin (kube-proxy's
// iptables mode picks at random; round-robin spreads as evenly and is easier to reason about), and
// sessionAffinity ClientIP keeps a client IP on its endpoint until timeoutSeconds of inactivity.
import type { Obj } from '../client/types.ts';
import type { Clock } from '../machinery/clock.ts';

export interface Backend {
  ip: string;
  port: number;
  /** `ip:port` */
  key: string;
}

/** Upstream's default sessionAffinityConfig.clientIP.timeoutSeconds (3 hours). */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10_800;

/**
 * The endpoints of one Service port across its slices: ready endpoints (a missing `ready` counts as
 * ready, as the API says); when there are none, the serving-and-terminating ones.
 */
export function endpointsForPort(slices: Obj[], portName: string, protocol: string): Backend[] {
  const ready = new Map<string, Backend>();
  const terminating = new Map<string, Backend>();
  for (const s of slices) {
    if (s.addressType && s.addressType !== 'IPv4') continue;
    let port: number | undefined;
    for (const p of s.ports ?? []) {
      if ((p.name ?? '') === portName && (p.protocol ?? 'TCP') === protocol && typeof p.port === 'number') {
        port = p.port;
        break;
      }
    }
    if (port === undefined) continue;
    for (const e of s.endpoints ?? []) {
      const ip = e.addresses?.[0];
      if (!ip) continue;
      const c = e.conditions ?? {};
      const key = `${ip}:${port}`;
      if (c.ready !== false) ready.set(key, { ip, port, key });
      else if (c.serving === true && c.terminating === true) terminating.set(key, { ip, port, key });
    }
  }
  const chosen = ready.size ? ready : terminating;
  // A stable order, so that round-robin does not depend on slice order.
  return [...chosen.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** One Service port's live endpoint set: swapped in place when slices change. */
export class PortBalancer {
  /** `namespace/name:port-name/PROTOCOL`, for messages. */
  readonly id: string;
  readonly protocol: 'TCP' | 'UDP';
  #endpoints: Backend[] = [];
  #next = 0;
  #clock: Clock;
  /** ClientIP affinity timeout in ms, or 0 when the Service has no affinity. */
  #affinityMs = 0;
  #affinity = new Map<string, { key: string; last: number }>();

  constructor(id: string, protocol: 'TCP' | 'UDP', clock: Clock) {
    this.id = id;
    this.protocol = protocol;
    this.#clock = clock;
  }

  get endpoints(): readonly Backend[] {
    return this.#endpoints;
  }

  setAffinity(timeoutSeconds: number | undefined): void {
    const ms = timeoutSeconds === undefined ? 0 : timeoutSeconds * 1000;
    if (ms !== this.#affinityMs) {
      this.#affinityMs = ms;
      this.#affinity.clear();
    }
  }

  /**
   * Replaces the endpoint list; returns the keys of the endpoints that left (UDP flows to them are
   * dropped, as kube-proxy clears their conntrack entries), or undefined when nothing changed.
   */
  setEndpoints(next: Backend[]): Set<string> | undefined {
    const cur = this.#endpoints;
    if (cur.length === next.length && cur.every((b, i) => b.key === next[i]!.key)) return undefined;
    const keep = new Set(next.map((b) => b.key));
    const gone = new Set<string>();
    for (const b of cur) if (!keep.has(b.key)) gone.add(b.key);
    this.#endpoints = next;
    if (next.length) this.#next %= next.length;
    if (gone.size) for (const [ip, a] of this.#affinity) if (gone.has(a.key)) this.#affinity.delete(ip);
    return gone;
  }

  /**
   * The endpoint for a new connection or flow from `clientIP`, skipping those in `tried`;
   * undefined when none is left.
   */
  pick(clientIP: string, tried?: Set<string>): Backend | undefined {
    const eps = this.#endpoints;
    const n = eps.length;
    if (n === 0) return undefined;
    const now = this.#affinityMs ? this.#clock.now() : 0;
    if (this.#affinityMs) {
      const a = this.#affinity.get(clientIP);
      if (a && now - a.last < this.#affinityMs && !tried?.has(a.key)) {
        const b = eps.find((e) => e.key === a.key);
        if (b) {
          a.last = now;
          return b;
        }
      }
    }
    for (let i = 0; i < n; i++) {
      const b = eps[this.#next]!;
      this.#next = (this.#next + 1) % n;
      if (tried?.has(b.key)) continue;
      if (this.#affinityMs) this.#remember(clientIP, b.key, now);
      return b;
    }
    return undefined;
  }

  /** Refreshes a client's affinity while its traffic flows (UDP flows call this). */
  touch(clientIP: string): void {
    if (!this.#affinityMs) return;
    const a = this.#affinity.get(clientIP);
    if (a) a.last = this.#clock.now();
  }

  #remember(clientIP: string, key: string, now: number) {
    if (this.#affinity.size >= 65_536) {
      for (const [ip, a] of this.#affinity) if (now - a.last >= this.#affinityMs) this.#affinity.delete(ip);
    }
    this.#affinity.set(clientIP, { key, last: now });
  }
}
