// The controller manager, as kube-controller-manager: every controller gets one shared context
// (client, shared informers, event recorder, injected clock, configuration with upstream's flag
// defaults) and runs only while this process holds the leader Lease
// (kube-system/kube-controller-manager).
import { realClock, type Clock } from '../machinery/clock.ts';
import type { KubeClient } from '../client/client.ts';
import { InformerFactory } from '../client/informer.ts';
import { EventRecorder } from '../client/events.ts';
import { LeaderElector } from '../client/leaderelection.ts';

/** Timings and knobs, named after kube-controller-manager's flags; defaults as upstream (anchors.md). */
export interface ControllerConfig {
  /** --node-monitor-period */
  nodeMonitorPeriodMs: number;
  /** --node-monitor-grace-period (50 s since 1.32) */
  nodeMonitorGracePeriodMs: number;
  /** --node-startup-grace-period */
  nodeStartupGracePeriodMs: number;
  /** --horizontal-pod-autoscaler-sync-period */
  hpaSyncPeriodMs: number;
  /** --horizontal-pod-autoscaler-tolerance */
  hpaTolerance: number;
  /** --horizontal-pod-autoscaler-downscale-stabilization */
  hpaDownscaleStabilizationMs: number;
  /** --terminated-pod-gc-threshold */
  terminatedPodGCThreshold: number;
  /** --pod-eviction-timeout is gone upstream; taint-based eviction uses tolerationSeconds. */
  /** --concurrent-*-syncs (one number for all controllers here) */
  workers: number;
  /** --leader-elect */
  leaderElect: boolean;
}

export const defaultControllerConfig: ControllerConfig = {
  nodeMonitorPeriodMs: 5_000,
  nodeMonitorGracePeriodMs: 50_000,
  nodeStartupGracePeriodMs: 60_000,
  hpaSyncPeriodMs: 15_000,
  hpaTolerance: 0.1,
  hpaDownscaleStabilizationMs: 5 * 60_000,
  terminatedPodGCThreshold: 12_500,
  workers: 5,
  leaderElect: true,
};

export interface ControllerContext {
  client: KubeClient;
  informers: InformerFactory;
  recorder: (component: string) => EventRecorder;
  clock: Clock;
  config: ControllerConfig;
}

/** A controller: registers its informer handlers in `start` and works until `stop`. */
export interface Controller {
  readonly name: string;
  /** Called before the informers start: add handlers and indexes here. */
  start(): void | Promise<void>;
  stop(): void;
}

export type ControllerFactory = (ctx: ControllerContext) => Controller;

export class ControllerManager {
  readonly ctx: ControllerContext;
  #factories: ControllerFactory[];
  #running: Controller[] = [];
  #elector: LeaderElector | undefined;
  #identity: string;

  constructor(client: KubeClient, factories: ControllerFactory[], opts: { clock?: Clock; config?: Partial<ControllerConfig>; identity?: string } = {}) {
    const clock = opts.clock ?? realClock;
    const recorders = new Map<string, EventRecorder>();
    this.ctx = {
      client,
      informers: new InformerFactory(client, { clock }),
      clock,
      config: { ...defaultControllerConfig, ...opts.config },
      recorder: (component) => recorders.get(component) ?? recorders.set(component, new EventRecorder(client, { component, clock })).get(component)!,
    };
    this.#factories = factories;
    this.#identity = opts.identity ?? `skiff-controller-manager-${process.pid}`;
  }

  /** Starts campaigning (or, without leader election, starts the controllers at once). */
  async start(): Promise<void> {
    if (!this.ctx.config.leaderElect) return this.#startControllers();
    this.#elector = new LeaderElector(this.ctx.client, {
      name: 'kube-controller-manager',
      identity: this.#identity,
      clock: this.ctx.clock,
      onStartedLeading: () => void this.#startControllers(),
      onStoppedLeading: () => this.#stopControllers(),
    });
    void this.#elector.run();
  }

  async #startControllers(): Promise<void> {
    this.#running = this.#factories.map((f) => f(this.ctx));
    for (const c of this.#running) await c.start();
    this.ctx.informers.start();
  }

  #stopControllers() {
    for (const c of this.#running) c.stop();
    this.#running = [];
    this.ctx.informers.stop();
  }

  get controllers(): readonly Controller[] {
    return this.#running;
  }

  stop(): void {
    this.#elector?.stop();
    this.#stopControllers();
  }
}
