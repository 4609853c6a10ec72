// Where a running management service says it listens: `<dataDir>/aks/endpoint.json`, written by
// the service on start (atomically) and removed on stop; the CLI and SDK users read it.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Endpoint {
  url: string;
  subscriptionId: string;
  tenantId: string;
  caFile: string;
  tokenFile: string;
  pid?: number;
}

export function endpointFile(dataDir: string): string {
  return join(dataDir, 'aks', 'endpoint.json');
}

/** The endpoint of the service for this data dir, or undefined when none is running. */
export function readEndpoint(dataDir: string): Endpoint | undefined {
  try {
    return JSON.parse(readFileSync(endpointFile(dataDir), 'utf8')) as Endpoint;
  } catch {
    return undefined;
  }
}

/** Written aside and renamed: a reader may open it the moment it appears. */
export function writeEndpoint(dataDir: string, ep: Endpoint): void {
  const file = endpointFile(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(ep, null, 2) + '\n');
  renameSync(tmp, file);
}
