// CRI log writer: the record format containerd writes, partial records and kubelet-style rotation.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CriLogWriter, criTimestamp, parseCriLogLine } from './logs.ts';

describe('CriLogWriter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-logs-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const T = Date.UTC(2026, 0, 1, 0, 0, 0) + 0.5;

  it('formats timestamps as RFC3339 with nine fractional digits', () => {
    assert.equal(criTimestamp(Date.UTC(2026, 0, 1)), '2026-01-01T00:00:00.000000000Z');
    assert.equal(criTimestamp(Date.UTC(2026, 0, 1) + 1.25), '2026-01-01T00:00:00.001250000Z');
  });

  it('writes full lines as F records per stream, joining lines split across chunks', () => {
    const path = join(dir, 'a', '0.log');
    const w = new CriLogWriter(path, { now: () => T });
    w.write('stdout', Buffer.from('hello\nwor'));
    w.write('stderr', Buffer.from('oops\r\n'));
    w.write('stdout', Buffer.from('ld\n\nend'));
    w.close();
    assert.equal(
      readFileSync(path, 'utf8'),
      '2026-01-01T00:00:00.000500000Z stdout F hello\n' +
        '2026-01-01T00:00:00.000500000Z stderr F oops\n' +
        '2026-01-01T00:00:00.000500000Z stdout F world\n' +
        '2026-01-01T00:00:00.000500000Z stdout F \n' +
        '2026-01-01T00:00:00.000500000Z stdout F end\n',
    );
    assert.deepEqual(parseCriLogLine('2026-01-01T00:00:00.000500000Z stdout F a b'), {
      time: '2026-01-01T00:00:00.000500000Z',
      stream: 'stdout',
      partial: false,
      message: 'a b',
    });
  });

  it('splits lines longer than the maximum line size into P records', () => {
    const path = join(dir, 'b.log');
    const w = new CriLogWriter(path, { now: () => T, maxLineBytes: 4 });
    w.write('stdout', Buffer.from('abcdefghij\nxy'));
    w.write('stdout', Buffer.from('zw12'));
    w.close();
    const recs = readFileSync(path, 'utf8').trim().split('\n').map((l) => parseCriLogLine(l)!);
    assert.deepEqual(
      recs.map((r) => `${r.partial ? 'P' : 'F'} ${r.message}`),
      ['P abcd', 'P efgh', 'F ij', 'P xyzw', 'F 12'],
    );
  });

  it('rotates at the size limit keeping maxFiles files in all', () => {
    const path = join(dir, 'rot', '0.log');
    let now = T;
    const w = new CriLogWriter(path, { now: () => (now += 1000), maxSize: 200, maxFiles: 3 });
    for (let i = 0; i < 20; i++) w.write('stdout', Buffer.from(`line number ${i} with some padding\n`));
    w.close();
    const files = readdirSync(join(dir, 'rot')).sort();
    assert.equal(files.length, 3);
    assert.equal(files[0], '0.log');
    for (const f of files.slice(1)) assert.match(f, /^0\.log\.\d{8}-\d{6}$/);
    const live = readFileSync(path, 'utf8');
    assert.ok(live.length <= 200);
    assert.match(live, /line number 19 /);
  });
});
