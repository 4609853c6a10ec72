// Test helper for the crash-durability test: writes to a sqlite backend as fast as it can from
// many concurrent writers and prints every acknowledged key with its value, until killed.
// argv[3], when given, is how many transactions go between checkpoints.
import { SqliteBackend } from './sqlite.ts';

const path = process.argv[2]!;
const every = process.argv[3] ? Number(process.argv[3]) : undefined;
const s = new SqliteBackend({ path, ...(every ? { checkpointEvery: every } : {}) });
let next = 0;

async function writer() {
  for (;;) {
    const i = next++;
    const key = `/registry/crash/k${i}`;
    const value = `v${i}-${'x'.repeat(200)}`;
    await s.create(key, Buffer.from(value));
    // Update every tenth key too, so acknowledged updates are checked as well.
    if (i % 10 === 0) {
      const g = await s.get(key);
      await s.update(key, Buffer.from(value + '-updated'), g.kv!.modRevision);
      process.stdout.write(`${key} ${value}-updated\n`);
    } else {
      process.stdout.write(`${key} ${value}\n`);
    }
  }
}

for (let w = 0; w < 32; w++) void writer();
