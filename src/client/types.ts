// The client layer's contracts: how a component reaches the API server (a Transport: HTTP, or
// in-process for co-located components), and the shapes its typed calls take. Controllers, the
// scheduler and the node agent use only this layer, never storage.
import type { Obj } from '../apiserver/types.ts';

export type { Obj };

export interface RawRequest {
  method: string;
  /** Path with query string, e.g. `/api/v1/namespaces/default/pods?limit=500`. */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface WatchEvent<T = Obj> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** A running watch: events until the server ends it or `close()`. */
export interface WatchStream<T = Obj> extends AsyncIterable<WatchEvent<T>> {
  close(): void;
}

export interface Transport {
  request(req: RawRequest): Promise<RawResponse>;
  /** Opens a watch (a GET with watch=true); rejects with a StatusError when the server refuses it. */
  watch(req: RawRequest): Promise<WatchStream>;
  close?(): void;
}

/** Which resource a client talks to. */
export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
  namespaced: boolean;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export type PatchType = 'json' | 'merge' | 'strategic';

export interface ObjectList<T = Obj> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}
