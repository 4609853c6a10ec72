// Leader election on a coordination.k8s.io Lease, as client-go's leaderelection with a LeaseLock:
// a candidate takes the lease when it is free or expired, the leader renews it every retry period
// and steps down if it cannot renew within the renew deadline. Defaults as kube-controller-manager:
// lease 15 s, renew deadline 10 s, retry 2 s.
import { isConflict, isNotFound, isAlreadyExists } from '../machinery/errors.ts';
import { realClock, type Clock } from '../machinery/clock.ts';
import type { KubeClient } from './client.ts';
import type { Obj } from './types.ts';

export interface LeaderElectionOptions {
  namespace?: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  clock?: Clock;
  onStartedLeading(): void;
  onStoppedLeading(): void;
}

/** metav1.MicroTime as the Lease fields carry it. */
function micro(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  #o: Required<Omit<LeaderElectionOptions, 'onStartedLeading' | 'onStoppedLeading'>> & Pick<LeaderElectionOptions, 'onStartedLeading' | 'onStoppedLeading'>;
  #client: KubeClient;
  #leading = false;
  #stopped = false;
  #lastRenew = 0;

  constructor(client: KubeClient, opts: LeaderElectionOptions) {
    this.#client = client;
    this.#o = {
      namespace: 'kube-system',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      clock: realClock,
      ...opts,
    };
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  /** One attempt to acquire or renew; returns whether we hold the lease. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, leaseDurationMs, clock } = this.#o;
    const leases = this.#client.leases(namespace);
    const now = clock.now();
    const spec = { holderIdentity: identity, leaseDurationSeconds: Math.round(leaseDurationMs / 1000), renewTime: micro(now) };
    let cur: Obj;
    try {
      cur = await leases.get(name);
    } catch (e) {
      if (!isNotFound(e)) return false;
      try {
        await leases.create({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec: { ...spec, acquireTime: micro(now), leaseTransitions: 0 } });
        return true;
      } catch (e2) {
        if (isAlreadyExists(e2) || isConflict(e2)) return false;
        return false;
      }
    }
    const holder = cur.spec?.holderIdentity;
    const renewed = cur.spec?.renewTime ? Date.parse(cur.spec.renewTime) : 0;
    const duration = (cur.spec?.leaseDurationSeconds ?? 15) * 1000;
    if (holder && holder !== identity && renewed + duration > now) return false;
    const transitions = (cur.spec?.leaseTransitions ?? 0) + (holder === identity ? 0 : 1);
    const acquireTime = holder === identity ? cur.spec?.acquireTime : micro(now);
    try {
      await leases.update({ ...cur, spec: { ...cur.spec, ...spec, acquireTime, leaseTransitions: transitions } });
      return true;
    } catch {
      return false;
    }
  }

  /** Campaigns until stopped; calls onStartedLeading / onStoppedLeading on transitions. */
  async run(): Promise<void> {
    const { clock, retryPeriodMs, renewDeadlineMs } = this.#o;
    while (!this.#stopped) {
      const ok = await this.tryAcquireOrRenew();
      const now = clock.now();
      if (ok) {
        this.#lastRenew = now;
        if (!this.#leading) {
          this.#leading = true;
          this.#o.onStartedLeading();
        }
      } else if (this.#leading && now - this.#lastRenew > renewDeadlineMs) {
        this.#leading = false;
        this.#o.onStoppedLeading();
      }
      await new Promise<void>((r) => clock.after(retryPeriodMs, r));
    }
    if (this.#leading) {
      this.#leading = false;
      this.#o.onStoppedLeading();
    }
  }

  stop(): void {
    this.#stopped = true;
  }
}
