// The first module of a worker thread that runs TypeScript: worker threads do not inherit the
// TypeScript loader of the main thread (tsx), so it is registered here before the entry loads.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
