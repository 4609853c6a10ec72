// The API server process for the API benchmark: sqlite at argv[2], a free port on 127.0.0.1;
// prints its URL on the first line of stdout and runs until SIGTERM.
import { SqliteBackend } from '../src/storage/sqlite/sqlite.ts';
import { ApiServer } from '../src/apiserver/server.ts';

const storage = new SqliteBackend({ path: process.argv[2]! });
const api = new ApiServer({ storage, port: 0, maxRequestsInflight: 0, maxMutatingRequestsInflight: 0 });
process.stdout.write(`${await api.start()}\n`);
process.once('SIGTERM', async () => {
  await api.stop();
  await storage.close();
  process.exit(0);
});
