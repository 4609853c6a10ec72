// The ContainerRuntime interface between the node agent and what actually runs containers, in
// the spirit of the CRI (RunPodSandbox / CreateContainer / StartContainer / StopContainer /
// ExecSync …) but sized to what Skiff's runtimes need: `process` (host processes, optionally in
// their own pid/mount namespaces and cgroups) and, later, `cri` (containerd). One conformance
// suite runs against every implementation.
import type { Readable, Writable } from 'node:stream';

export interface PodSandboxConfig {
  uid: string;
  namespace: string;
  name: string;
  /** The pod's IP (Skiff's loopback network: the process binds it). */
  ip: string;
  hostname: string;
  /** Where the runtime may keep this pod's files (resolv.conf, volumes are mounted by the agent). */
  dir: string;
  /** nameserver / search / options for the pod's /etc/resolv.conf. */
  dns?: { nameservers: string[]; searches: string[]; options: string[] };
  labels?: Record<string, string>;
}

export interface Mount {
  /** Path inside the container. */
  containerPath: string;
  hostPath: string;
  readOnly?: boolean;
}

export interface ContainerConfig {
  name: string;
  image: string;
  /** Entrypoint and arguments after resolving the image's defaults (Kubernetes command/args rules). */
  command: string[];
  args: string[];
  env: Record<string, string>;
  workingDir?: string;
  mounts: Mount[];
  tty?: boolean;
  stdin?: boolean;
  /** Bytes; undefined = no limit. */
  memoryLimit?: number;
  /** Millicores; undefined = no limit. */
  cpuLimitMilli?: number;
  cpuRequestMilli?: number;
  /** Where the runtime writes the container's log (CRI log format). */
  logPath: string;
  /**
   * An ephemeral container's target (targetContainerName): the runtime id of a running container of
   * the same sandbox whose process namespace this one joins (CRI's NamespaceOption TARGET).
   */
  targetContainerId?: string;
}

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface ContainerStatus {
  id: string;
  name: string;
  state: ContainerState;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number;
  /** Upstream reasons: Completed, Error, OOMKilled, ContainerCannotRun, … */
  reason?: string;
  message?: string;
  image: string;
  imageRef: string;
  pid?: number;
}

export interface ExecOptions {
  cmd: string[];
  tty?: boolean;
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  /** Terminal size changes (tty only). */
  onResize?: (listener: (size: { width: number; height: number }) => void) => void;
  timeoutMs?: number;
}

export interface ImageError extends Error {
  /** ErrImagePull, ErrImageNeverPull, InvalidImageName, … */
  reason: string;
}

/** The ImageError runtimes throw from ensureImage/createContainer. */
export class RuntimeImageError extends Error implements ImageError {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.name = 'RuntimeImageError';
    this.reason = reason;
  }
}

/** True for an error carrying an image-related upstream reason (see ImageError). */
export function isImageError(err: unknown): err is ImageError {
  return err instanceof Error && typeof (err as Partial<ImageError>).reason === 'string';
}

export interface ContainerRuntime {
  /** "process://0.1.0"-style runtime version for Node.status.nodeInfo.containerRuntimeVersion. */
  readonly version: string;
  /** What isolation this runtime gives here (reported in the node's status). */
  readonly isolation: string;
  /** Checks an image can run; throws an ImageError with the upstream reason when it cannot. */
  ensureImage(image: string, command: string[]): Promise<{ imageRef: string }>;
  runPodSandbox(cfg: PodSandboxConfig): Promise<string>;
  stopPodSandbox(sandboxId: string): Promise<void>;
  removePodSandbox(sandboxId: string): Promise<void>;
  createContainer(sandboxId: string, cfg: ContainerConfig): Promise<string>;
  startContainer(containerId: string): Promise<void>;
  /** SIGTERM, then SIGKILL after the timeout. */
  stopContainer(containerId: string, timeoutMs: number): Promise<void>;
  removeContainer(containerId: string): Promise<void>;
  containerStatus(containerId: string): Promise<ContainerStatus>;
  /** Resolves with the exit status when the container stops. */
  waitContainer(containerId: string): Promise<ContainerStatus>;
  exec(containerId: string, opts: ExecOptions): Promise<{ exitCode: number }>;
  /** Attaches to the container's stdio (kubectl attach). */
  attach(containerId: string, opts: Omit<ExecOptions, 'cmd' | 'timeoutMs'>): Promise<void>;
  /** CPU (nanocores-seconds total) and memory working set of a container, for metrics. */
  stats(containerId: string): Promise<{ cpuUsageNanoSeconds: number; memoryWorkingSetBytes: number } | undefined>;
  close(): Promise<void>;
}
