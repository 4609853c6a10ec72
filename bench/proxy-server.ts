// Helper process for bench/proxy.ts: an in-process API server and the service proxy, with one
// ClusterIP Service (port 80) whose EndpointSlice points at the pod address given on the command
// line; prints the ClusterIP once the proxy listens on it, and runs until killed.
import { MemoryBackend } from '../src/storage/memory/memory.ts';
import { ApiServer } from '../src/apiserver/server.ts';
import { KubeClient } from '../src/client/client.ts';
import { InProcessTransport } from '../src/client/inprocess.ts';
import { InformerFactory } from '../src/client/informer.ts';
import { ServiceProxy } from '../src/proxy/proxy.ts';

const [podIP = '127.244.250.2', podPort = '8080'] = process.argv.slice(2);
const api = new ApiServer({ storage: new MemoryBackend(), port: 0, compactionIntervalMs: 0, serviceCIDR: '127.99.250.0/24' });
await api.start();
const client = new KubeClient(new InProcessTransport(api, { username: 'system:admin', groups: ['system:masters'] }));
const informers = new InformerFactory(client);
const proxy = new ServiceProxy(client, informers, { nodeAddresses: () => [] });
proxy.start();
const svc = await client.resource('', 'services', 'default').create({ metadata: { name: 'bench' }, spec: { ports: [{ name: 'http', port: 80, targetPort: Number(podPort) }] } });
await client.resource('discovery.k8s.io', 'endpointslices', 'default').create({
  metadata: { name: 'bench-1', labels: { 'kubernetes.io/service-name': 'bench' } },
  addressType: 'IPv4',
  ports: [{ name: 'http', port: Number(podPort), protocol: 'TCP' }],
  endpoints: [{ addresses: [podIP], conditions: { ready: true } }],
});
const deadline = Date.now() + 10_000;
while (!(proxy.listening('default', 'bench').length && proxy.endpointsFor('default', 'bench', 'http').length)) {
  if (Date.now() > deadline) throw new Error('bench: the proxy did not come up');
  await new Promise((r) => setTimeout(r, 5));
}
process.stdout.write(`${svc.spec.clusterIP}\n`);
const shutdown = async () => {
  proxy.stop();
  informers.stop();
  await api.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown());
