// Crash durability of the sqlite backend: a child process writes as fast as it can and reports
// each acknowledged write; it is killed with SIGKILL at a random point; on reopen every
// acknowledged write is there with its value and the file passes SQLite's integrity check.
// Twenty rounds in a row; every other round checkpoints (on the checkpointer thread) every few
// transactions, so the kill lands while checkpoints run beside the writes.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteBackend } from './sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'skiff-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const child = join(import.meta.dirname, 'crash-child.ts');

function runUntilKilled(path: string, killAfter: number, checkpointEvery?: number): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const acked = new Map<string, string>();
    const p = spawn(process.execPath, ['--import', 'tsx', child, path, ...(checkpointEvery ? [String(checkpointEvery)] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    let err = '';
    let killed = false;
    p.stderr.on('data', (d) => (err += d));
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const sp = line.indexOf(' ');
        acked.set(line.slice(0, sp), line.slice(sp + 1));
      }
      if (!killed && acked.size >= killAfter) {
        killed = true;
        p.kill('SIGKILL');
      }
    });
    p.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`child exited on its own (${code}): ${err}`));
    });
  });
}

describe('sqlite crash durability', () => {
  it('keeps every acknowledged write through kill -9, 20 times in a row', async () => {
    for (let round = 0; round < 20; round++) {
      const path = join(dir, `crash-${round}.db`);
      const acked = await runUntilKilled(path, 200 + Math.floor(Math.random() * 2000), round % 2 ? 4 : undefined);
      assert.ok(acked.size >= 200);
      const db = new Database(path, { readonly: true });
      assert.equal((db.pragma('integrity_check') as { integrity_check: string }[])[0]!.integrity_check, 'ok', `round ${round}: integrity`);
      db.close();
      const s = new SqliteBackend({ path });
      for (const [key, value] of acked) {
        const g = await s.get(key);
        assert.ok(g.kv, `round ${round}: acknowledged ${key} is missing`);
        assert.equal(g.kv.value.toString(), value, `round ${round}: ${key} has the wrong value`);
      }
      await s.close();
    }
  });
});
