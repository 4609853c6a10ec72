// The node side of kubectl exec/attach/port-forward/logs: what the API server's streaming handlers
// (k8s.io/kubelet's remotecommand, portforward and container-log servers, here behind one seam) call.
import type { Duplex, Readable, Writable } from 'node:stream';

export interface TerminalSize {
  width: number;
  height: number;
}

export interface AttachRequest {
  namespace: string;
  pod: string;
  container: string;
  tty: boolean;
  /** The client's stdin; ends when the client closes it. Absent unless the request asked for stdin. */
  stdin?: Readable;
  /** Absent unless requested. The backend must have written everything before its promise settles. */
  stdout?: Writable;
  stderr?: Writable;
  /** Registers a listener for terminal size changes (tty only); the latest size is replayed at once. */
  resize?: (cb: (s: TerminalSize) => void) => void;
}

export interface ExecRequest extends AttachRequest {
  command: string[];
}

export interface PortForwardRequest {
  namespace: string;
  pod: string;
  port: number;
}

export interface LogsRequest {
  namespace: string;
  pod: string;
  container: string;
  follow: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: string;
  timestamps: boolean;
  previous: boolean;
  limitBytes?: number;
}

/**
 * Implemented by the node agent. Rejections may be StatusErrors (sent to the client as they are) or any
 * Error (sent as an InternalError, as the kubelet does).
 */
export interface StreamBackend {
  /** Resolves when the command has exited and its output has been written. */
  exec(req: ExecRequest): Promise<{ exitCode: number }>;
  attach(req: AttachRequest): Promise<{ exitCode?: number }>;
  /** A connection to the pod's port. */
  portForward(req: PortForwardRequest): Promise<Duplex>;
  logs(req: LogsRequest): Promise<Readable>;
}
