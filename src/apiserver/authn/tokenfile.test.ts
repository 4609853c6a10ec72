// Tests the static token file as kube-apiserver --token-auth-file reads it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTokenCSV, tokenFileAuthenticator, TokenFileError } from './tokenfile.ts';
import { unionAuthenticator } from './union.ts';
import type { IncomingMessage } from 'node:http';

const req = (headers: Record<string, string>) => ({ headers, socket: {} }) as unknown as IncomingMessage;

test('token,user,uid,"groups" records authenticate; groups split on commas', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-tokens-'));
  try {
    const path = join(dir, 'tokens.csv');
    writeFileSync(path, 'abc123,alice,1001,"dev,ops"\n\n  def456,bob,1002\n,nobody,0\n');
    const a = tokenFileAuthenticator(path);
    assert.equal(a.size, 2);
    const authn = unionAuthenticator([a]);
    assert.deepEqual(await authn.authenticate(req({ authorization: 'Bearer abc123' })), { username: 'alice', uid: '1001', groups: ['dev', 'ops', 'system:authenticated'] });
    assert.deepEqual(await authn.authenticate(req({ authorization: 'bearer def456' })), { username: 'bob', uid: '1002', groups: ['system:authenticated'] });
    assert.equal(await authn.authenticate(req({ authorization: 'Bearer nope' })), undefined);
    assert.equal(await authn.authenticate(req({ authorization: 'Bearer ' })), undefined);
    writeFileSync(path, 'xyz,carol,1003,admins\n');
    a.reload();
    assert.equal(await authn.authenticate(req({ authorization: 'Bearer abc123' })), undefined);
    assert.equal((await authn.authenticate(req({ authorization: 'Bearer xyz' })))?.username, 'carol');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fewer than three columns is an error naming the file; a repeated token keeps the last record', () => {
  assert.throws(() => parseTokenCSV('tok,alice\n', '/etc/tokens.csv'), (e: Error) => e instanceof TokenFileError && e.message === "token file '/etc/tokens.csv' must have at least 3 columns (token, user name, user uid), found 2");
  assert.equal(parseTokenCSV('t,a,1\nt,b,2\n').get('t')?.username, 'b');
  assert.deepEqual(parseTokenCSV('"t,x",a,1,""\r\n').get('t,x'), { username: 'a', uid: '1', groups: [''] });
});
