// The `skiff` command line as a user meets it: help, unknown commands, bad flags.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'skiff');
const skiff = (...args: string[]) => spawnSync(bin, args, { encoding: 'utf8' });

describe('bin/skiff', () => {
  it('prints usage for --help and exits 0', () => {
    const r = skiff('--help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Usage: skiff <command>/);
    assert.match(r.stdout, /\bup\b/);
  });

  it('prints a one-line error and exits 2 for an unknown command', () => {
    const r = skiff('frobnicate');
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /unknown command "frobnicate"/);
  });

  it('prints a one-line error and exits 2 for an unknown flag', () => {
    const r = skiff('up', '--no-such-flag');
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /no-such-flag/);
  });

  it('prints a command\'s usage with --help', () => {
    const r = skiff('up', '--help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, /--data-dir/);
  });
});
