// Opening a backend: an explicit driver map by scheme (kine's habit), not import side effects.
//   memory:                         in-process, for tests
//   sqlite:///abs/path/state.db     the embedded default (a bare path means sqlite too)
//   etcd://host:port[,host:port]/prefix   a real etcd cluster (http); etcds:// is not supported yet
import type { Backend } from './backend.ts';
import { MemoryBackend } from './memory/memory.ts';
import { SqliteBackend } from './sqlite/sqlite.ts';
import { EtcdBackend } from './etcd/etcd.ts';
import type { Clock } from '../machinery/clock.ts';

export * from './backend.ts';

export interface OpenOptions {
  clock?: Clock;
}

type Driver = (rest: string, opts: OpenOptions) => Backend;

export const drivers: Record<string, Driver> = {
  memory: (_rest, opts) => new MemoryBackend(opts),
  sqlite: (rest, opts) => new SqliteBackend({ path: rest.replace(/^\/\//, ''), ...opts }),
  etcd: (rest) => {
    const m = /^\/\/([^/]+)(\/.*)?$/.exec(rest);
    if (!m) throw new Error(`invalid etcd storage URL "etcd:${rest}": expected etcd://host:port[,host:port]/prefix`);
    const endpoints = m[1]!.split(',').map((h) => `http://${h}`);
    const prefix = m[2] && m[2] !== '/' ? m[2].replace(/\/$/, '') : '';
    return new EtcdBackend({ endpoints, prefix });
  },
};

/** Opens storage from a URL such as `sqlite:///var/lib/skiff/state.db` or `etcd://127.0.0.1:2379/skiff`. */
export function openStorage(url: string, opts: OpenOptions = {}): Backend {
  const m = /^([a-z0-9]+):(.*)$/.exec(url);
  if (!m) return drivers.sqlite!(url, opts);
  const driver = drivers[m[1]!];
  if (!driver) throw new Error(`unknown storage driver "${m[1]}" (known: ${Object.keys(drivers).join(', ')})`);
  return driver(m[2]!, opts);
}
