// The SQLite backend's checkpointer thread: copies the write-ahead log back into the database file
// on its own connection, with full syncs, while the event loop keeps committing (a checkpoint
// takes tens of milliseconds; on the main thread it would stall every request in flight).
// Plain JavaScript: worker threads do not inherit the TypeScript loader, and this needs none.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

const db = new Database(workerData.path);
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = FULL');
parentPort.on('message', (m) => {
  if (m === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  let error;
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (e) {
    error = String(e?.message ?? e);
  }
  parentPort.postMessage({ done: true, error });
});
