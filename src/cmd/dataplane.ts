// Entry point of a VNet cluster's data plane (kube-proxy + cluster DNS) inside its network namespace.
import { dataPlaneMain } from '../cluster/dataplane.ts';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: dataplane.ts <config.json>\n');
  process.exit(2);
}
await dataPlaneMain(file);
