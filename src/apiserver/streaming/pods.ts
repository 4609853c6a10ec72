// Which container a pods/exec|attach|log request means (validateContainer in pkg/registry/core/pod/strategy.go).

import { badRequest } from '../../machinery/errors.ts';

/** The parts of a Pod these checks read. */
export interface PodLike {
  metadata?: { name?: string };
  spec?: {
    nodeName?: string;
    containers?: { name: string }[];
    initContainers?: { name: string }[];
    ephemeralContainers?: { name: string }[];
  };
}

/** Defaults an empty name when the pod has one container; otherwise the name must be one of the pod's containers. */
export function resolveContainer(pod: PodLike, container: string): string {
  const name = pod.metadata?.name ?? '';
  const spec = pod.spec ?? {};
  const all = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])].map((c) => c.name);
  if (!container) {
    const containers = spec.containers ?? [];
    if (containers.length === 1) return containers[0]!.name;
    if (containers.length === 0) throw badRequest(`a container name must be specified for pod ${name}`);
    throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${all.join(' ')}]`);
  }
  if (!all.includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
  return container;
}
