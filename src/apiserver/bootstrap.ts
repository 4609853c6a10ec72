// Objects every cluster has from its first start, as kube-apiserver's bootstrap controllers make
// them: the default, kube-system, kube-public and kube-node-lease namespaces; the `kubernetes`
// Service (first address of the service CIDR, port 443) with Endpoints and an EndpointSlice to the
// API server; and the system priority classes.
import { isAlreadyExists } from '../machinery/errors.ts';
import type { ApiServer } from './server.ts';
import type { Obj } from './types.ts';

async function ensure(api: ApiServer, group: string, resource: string, namespace: string, obj: Obj): Promise<void> {
  const store = api.store(group, resource)!;
  try {
    await store.create(api.systemContext(), namespace, obj);
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
}

/** Creates or updates an object the API server owns (its endpoints follow its address). */
async function reconcile(api: ApiServer, group: string, resource: string, namespace: string, obj: Obj): Promise<void> {
  const store = api.store(group, resource)!;
  await store.guaranteedUpdate(
    api.systemContext(),
    namespace,
    obj.metadata.name,
    (cur) => {
      if (!cur) return obj;
      return { ...cur, ...obj, metadata: { ...cur.metadata, labels: obj.metadata.labels ?? cur.metadata.labels } };
    },
    { allowCreate: true },
  );
}

export async function bootstrap(api: ApiServer, endpoint: { host: string; port: number }): Promise<void> {
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    await ensure(api, '', 'namespaces', '', { metadata: { name } });
  }
  await ensure(api, 'scheduling.k8s.io', 'priorityclasses', '', {
    metadata: { name: 'system-node-critical' },
    value: 2000001000,
    description: 'Used for system critical pods that must not be moved from their current node.',
  });
  await ensure(api, 'scheduling.k8s.io', 'priorityclasses', '', {
    metadata: { name: 'system-cluster-critical' },
    value: 2000000000,
    description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
  });
  const labels = { component: 'apiserver', provider: 'kubernetes' };
  await ensure(api, '', 'services', 'default', {
    metadata: { name: 'kubernetes', labels },
    spec: {
      type: 'ClusterIP',
      clusterIP: api.allocator.apiServerIP,
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: endpoint.port }],
      sessionAffinity: 'None',
    },
  });
  await reconcile(api, '', 'endpoints', 'default', {
    metadata: { name: 'kubernetes', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: endpoint.host }], ports: [{ name: 'https', port: endpoint.port, protocol: 'TCP' }] }],
  });
  await reconcile(api, 'discovery.k8s.io', 'endpointslices', 'default', {
    metadata: { name: 'kubernetes', labels: { 'kubernetes.io/service-name': 'kubernetes', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [endpoint.host], conditions: { ready: true } }],
    ports: [{ name: 'https', port: endpoint.port, protocol: 'TCP' }],
  });
}
