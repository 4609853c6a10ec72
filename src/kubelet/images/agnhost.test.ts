// The built-in agnhost and pause stand-ins run as the real images do: subcommands, flags, errors,
// endpoints bound on the pod IP, and exit codes on signals.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';

const tsx = import.meta.resolve('tsx');
const entry = (name: string) => fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
const IP = '127.244.254.7';
const started: ChildProcess[] = [];

function start(name: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  const c = spawn(process.execPath, ['--import', tsx, entry(name), ...args], {
    env: { PATH: process.env.PATH ?? '', SKIFF_POD_IP: IP, HOSTNAME: 'test-pod', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(c);
  return c;
}

function exited(c: ChildProcess): Promise<{ code: number | null; signal: string | null; out: string; err: string }> {
  let out = '';
  let err = '';
  c.stdout!.on('data', (d) => (out += d));
  c.stderr!.on('data', (d) => (err += d));
  return new Promise((r) => c.on('close', (code, signal) => r({ code, signal, out, err })));
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      return { status: r.status, body: await r.text() };
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

describe('agnhost (built-in)', () => {
  after(() => {
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  it('rejects an unknown subcommand and unknown flags as cobra does', () => {
    let r = spawnSync(process.execPath, ['--import', tsx, entry('agnhost'), 'frobnicate'], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^Error: unknown command "frobnicate" for "agnhost"/);
    r = spawnSync(process.execPath, ['--import', tsx, entry('agnhost'), 'netexec', '--bogus=1'], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^Error: unknown flag: --bogus/);
  });

  it('liveness serves /healthz ok (for its first 10 s) on port 8080 of the pod IP', async () => {
    const c = start('agnhost', ['liveness']);
    assert.deepEqual(await get(`http://${IP}:8080/healthz`), { status: 200, body: 'ok' });
    assert.match((await get(`http://${IP}:8080/started`)).body, /^\d+(\.\d+)?s$/);
    c.kill('SIGKILL');
  });

  it('porter serves each SERVE_PORT_<n> value on port n', async () => {
    const c = start('agnhost', ['porter'], { SERVE_PORT_9080: 'foo', SERVE_PORT_9081: 'bar' });
    assert.equal((await get(`http://${IP}:9080/`)).body, 'foo');
    assert.equal((await get(`http://${IP}:9081/x`)).body, 'bar');
    c.kill('SIGKILL');
  });

  it('netexec /exit?code=N exits with N; pause subcommand exits 2 on SIGTERM', async () => {
    const n = start('agnhost', ['netexec', '--http-port', '8090', '--udp-port=-1']);
    const done = exited(n);
    assert.equal((await get(`http://${IP}:8090/echo?msg=x&code=201`)).status, 201);
    assert.equal((await get(`http://${IP}:8090/healthz`)).status, 412, 'not ready without a UDP server, as upstream');
    await fetch(`http://${IP}:8090/exit?code=5`).catch(() => undefined);
    assert.equal((await done).code, 5);

    const p = start('agnhost', ['pause']);
    const pdone = exited(p);
    await new Promise<void>((r) => p.stdout!.once('data', () => r()));
    p.kill('SIGTERM');
    const res = await pdone;
    assert.equal(res.code, 2);
    assert.match(res.out, /^Paused\n/);
  });

  it('pause exits 0 on SIGTERM with the real binary\'s message', async () => {
    const p = start('pause', []);
    const done = exited(p);
    // It warns (not pid 1) once its handlers are installed.
    await new Promise<void>((r) => p.stderr!.once('data', () => r()));
    p.kill('SIGTERM');
    const r = await done;
    assert.equal(r.code, 0);
    assert.match(r.err, /Warning: pause should be the first process\nShutting down, got signal: Terminated\n/);
  });
});
