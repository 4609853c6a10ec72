// The ContainerRuntime conformance suite (the CRI validation tests' spirit, sized to Skiff): every
// runtime implementation runs it from its own test file. Covers the container lifecycle, exit
// codes and reasons, CRI-format logs, exec, graceful stop then kill, OOMKilled, the pod's
// resolv.conf and volumes inside the container, the agnhost e2e image on the pod IP, and the
// errors for images a runtime cannot run. Cases that need isolation skip with the reason.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { ContainerConfig, ContainerRuntime, ContainerStatus, PodSandboxConfig } from './runtime.ts';

export interface RuntimeCaseOptions {
  /** A fresh runtime; the suite closes it. */
  create(): ContainerRuntime | Promise<ContainerRuntime>;
  /** Whether containers get their own namespaces and cgroup limits (else those cases skip). */
  isolated(rt: ContainerRuntime): boolean;
  /** A /24 of pod IPs on loopback this suite may use, e.g. "127.244.250" (distinct per suite). */
  podIPPrefix: string;
}

const AGNHOST = 'registry.k8s.io/e2e-test-images/agnhost:2.53';
const PAUSE = 'registry.k8s.io/pause:3.10';
const BUSYBOX = 'busybox:1.36';

/** Polls until fn returns a value other than undefined, or fails at the deadline. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString() };
}

async function httpGet(url: string): Promise<{ status: number; body: string }> {
  const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return { status: r.status, body: await r.text() };
}

function udpAsk(host: string, port: number, msg: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      reject(new Error('udp timeout'));
    }, 1000);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(m.toString());
    });
    s.send(msg, port, host);
  });
}

/** How a container's pid 1 treats SIGTERM, from /proc/<pid>/status (Linux). */
async function sigtermDisposition(rt: ContainerRuntime, id: string): Promise<'caught' | 'ignored' | 'default' | undefined> {
  const pid = (await rt.containerStatus(id)).pid;
  if (!pid) return undefined;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const bit = 1n << 14n; // SIGTERM = 15
  const mask = (name: string) => BigInt('0x' + (new RegExp(`^${name}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1] ?? '0'));
  if (mask('SigCgt') & bit) return 'caught';
  if (mask('SigIgn') & bit) return 'ignored';
  return 'default';
}

export function runtimeConformance(name: string, opts: RuntimeCaseOptions): void {
  describe(`ContainerRuntime conformance: ${name}`, () => {
    let rt: ContainerRuntime;
    let dir: string;
    let isolated = false;
    let pods = 0;

    before(async () => {
      rt = await opts.create();
      isolated = opts.isolated(rt);
      dir = mkdtempSync(join(tmpdir(), 'skiff-rt-'));
    });
    after(async () => {
      await rt.close();
      rmSync(dir, { recursive: true, force: true });
    });

    function skipUnlessIsolated(t: TestContext, what: string): boolean {
      if (isolated) return false;
      t.skip(`${what} needs isolation; this runtime reports "${rt.isolation}"`);
      return true;
    }

    async function pod(podName: string, extra: Partial<PodSandboxConfig> = {}): Promise<{ id: string; cfg: PodSandboxConfig }> {
      const n = ++pods;
      const cfg: PodSandboxConfig = {
        uid: `00000000-0000-4000-8000-${String(process.pid).padStart(6, '0')}${String(n).padStart(6, '0')}`,
        namespace: 'default',
        name: podName,
        ip: `${opts.podIPPrefix}.${10 + n}`,
        hostname: podName,
        dir: join(dir, `pod-${n}`),
        ...extra,
      };
      return { id: await rt.runPodSandbox(cfg), cfg };
    }

    function container(name: string, c: Partial<ContainerConfig> = {}): ContainerConfig {
      return {
        name,
        image: BUSYBOX,
        command: [],
        args: [],
        env: {},
        mounts: [],
        logPath: join(dir, 'logs', `${name}-${pods}`, '0.log'),
        ...c,
      };
    }

    async function run(podId: string, cfg: ContainerConfig): Promise<string> {
      await rt.ensureImage(cfg.image, cfg.command);
      const id = await rt.createContainer(podId, cfg);
      await rt.startContainer(id);
      return id;
    }

    function logLines(cfg: ContainerConfig): string[] {
      return readFileSync(cfg.logPath, 'utf8').split('\n').filter(Boolean);
    }

    it('runs a container to completion: created → running → exited 0 (Completed)', async () => {
      const p = await pod('lifecycle');
      const cfg = container('done', { command: ['sh', '-c', 'exit 0'] });
      const id = await rt.createContainer(p.id, cfg);
      const created = await rt.containerStatus(id);
      assert.equal(created.state, 'created');
      assert.equal(created.name, 'done');
      assert.equal(created.image, BUSYBOX);
      assert.equal(created.imageRef, 'docker.io/library/busybox:1.36');
      await rt.startContainer(id);
      const st = await rt.waitContainer(id);
      assert.equal(st.state, 'exited');
      assert.equal(st.exitCode, 0);
      assert.equal(st.reason, 'Completed');
      assert.ok(st.startedAt! >= st.createdAt && st.finishedAt! >= st.startedAt!);
      await rt.removeContainer(id);
      await assert.rejects(rt.containerStatus(id), /not found/);
      await rt.removePodSandbox(p.id);
    });

    it('reports a non-zero exit as Error with its code, and a missing binary as StartError 128', async () => {
      const p = await pod('exitcodes');
      const id = await run(p.id, container('fail', { command: ['sh', '-c', 'exit 3'] }));
      const st = await rt.waitContainer(id);
      assert.equal(st.exitCode, 3);
      assert.equal(st.reason, 'Error');
      const bad = await rt.createContainer(p.id, container('nobin', { command: ['skiff-no-such-binary'] }));
      await assert.rejects(rt.startContainer(bad), /executable file not found in \$PATH/);
      const bst = await rt.containerStatus(bad);
      assert.equal(bst.state, 'exited');
      assert.equal(bst.exitCode, 128);
      assert.equal(bst.reason, 'StartError');
      assert.match(bst.message ?? '', /exec: "skiff-no-such-binary": executable file not found in \$PATH/);
      await rt.removePodSandbox(p.id);
    });

    it('writes stdout and stderr to the log path in the CRI format', async () => {
      const p = await pod('logs');
      const cfg = container('logger', { command: ['sh', '-c', 'echo out; echo err >&2; printf tail'] });
      const id = await run(p.id, cfg);
      await rt.waitContainer(id);
      const lines = logLines(cfg);
      const re = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) ([PF]) (.*)$/;
      for (const l of lines) assert.match(l, re);
      const recs = lines.map((l) => re.exec(l)!.slice(1).join(' '));
      assert.ok(recs.includes('stdout F out'), recs.join('\n'));
      assert.ok(recs.includes('stderr F err'), recs.join('\n'));
      assert.ok(recs.includes('stdout F tail'), recs.join('\n'));
      await rt.removePodSandbox(p.id);
    });

    it('execs a command in a running container with stdin, stdout and its exit code', async () => {
      const p = await pod('exec');
      const id = await run(p.id, container('sleeper', { command: ['sleep', '30'], env: { GREETING: 'hello' } }));
      const out = collector();
      const r = await rt.exec(id, { cmd: ['sh', '-c', 'echo "$GREETING"; echo oops >&2; exit 7'], stdout: out.stream });
      assert.equal(r.exitCode, 7);
      assert.equal(out.text(), 'hello\n');
      const stdin = new PassThrough();
      const cat = collector();
      const pending = rt.exec(id, { cmd: ['cat'], stdin, stdout: cat.stream });
      stdin.end('piped input');
      assert.equal((await pending).exitCode, 0);
      assert.equal(cat.text(), 'piped input');
      const tty = collector();
      const rtty = await rt.exec(id, { cmd: ['sh', '-c', 'test -t 1 && echo is-a-tty'], tty: true, stdout: tty.stream });
      assert.equal(rtty.exitCode, 0);
      assert.match(tty.text(), /is-a-tty/);
      const sized = collector();
      const rsize = await rt.exec(id, {
        cmd: ['sh', '-c', 'i=0; while [ "$(stty size)" != "40 100" ] && [ $i -lt 100 ]; do sleep 0.02; i=$((i+1)); done; stty size'],
        tty: true,
        stdout: sized.stream,
        onResize: (listener) => listener({ width: 100, height: 40 }),
      });
      assert.equal(rsize.exitCode, 0);
      assert.match(sized.text(), /40 100/, 'a TTY exec follows terminal size changes');
      if (isolated) {
        const ns = collector();
        await rt.exec(id, { cmd: ['sh', '-c', 'tr "\\0" " " < /proc/1/cmdline; echo; cat /proc/sys/kernel/hostname'], stdout: ns.stream });
        assert.equal(ns.text(), 'sleep 30 \nexec\n', "exec runs in the container's pid and uts namespaces");
      }
      await assert.rejects(rt.exec(id, { cmd: ['skiff-no-such-binary'] }), /executable file not found/);
      const s = await rt.stats(id);
      assert.ok(s && s.memoryWorkingSetBytes > 0 && s.cpuUsageNanoSeconds >= 0, JSON.stringify(s));
      await rt.stopContainer(id, 0);
      await assert.rejects(rt.exec(id, { cmd: ['true'] }), /not running/);
      await rt.removePodSandbox(p.id);
    });

    it("attaches to a running container's stdin and stdout", async () => {
      const p = await pod('attach');
      const cfg = container('echoer', { command: ['cat'], stdin: true });
      const id = await run(p.id, cfg);
      const stdin = new PassThrough();
      const out = collector();
      const attached = rt.attach(id, { stdin, stdout: out.stream });
      stdin.write('ping\n');
      await eventually('the echo', () => (out.text() === 'ping\n' ? true : undefined));
      await rt.stopContainer(id, 0);
      await attached;
      assert.match(readFileSync(cfg.logPath, 'utf8'), /stdout F ping\n/);
      await rt.removePodSandbox(p.id);
    });

    it('stops with SIGTERM within the grace period, else SIGKILL (137)', async () => {
      const p = await pod('stop');
      const polite = await run(p.id, container('polite', { command: ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.05; done'] }));
      const stubborn = await run(p.id, container('stubborn', { command: ['sh', '-c', 'trap "" TERM; sleep 30 & wait; sleep 30'] }));
      await eventually('the shells to set their traps', async () =>
        (await sigtermDisposition(rt, polite)) === 'caught' && (await sigtermDisposition(rt, stubborn)) === 'ignored' ? true : undefined,
      );
      const t0 = Date.now();
      await rt.stopContainer(polite, 10_000);
      assert.ok(Date.now() - t0 < 5000, 'a process that handles SIGTERM stops before the grace period');
      let st: ContainerStatus = await rt.containerStatus(polite);
      assert.equal(st.exitCode, 0);
      assert.equal(st.reason, 'Completed');
      const t1 = Date.now();
      await rt.stopContainer(stubborn, 300);
      assert.ok(Date.now() - t1 >= 290, 'waits the grace period');
      st = await rt.containerStatus(stubborn);
      assert.equal(st.state, 'exited');
      assert.equal(st.exitCode, 137);
      assert.equal(st.reason, 'Error');
      await rt.removePodSandbox(p.id);
    });

    it('reports OOMKilled when a container exceeds its memory limit', async (t) => {
      if (skipUnlessIsolated(t, 'a memory limit')) return;
      const p = await pod('oom');
      const id = await run(p.id, container('hog', { command: ['sh', '-c', 'a=xxxxxxxx; while :; do a="$a$a"; done'], memoryLimit: 32 * 1024 * 1024 }));
      const st = await rt.waitContainer(id);
      assert.equal(st.reason, 'OOMKilled');
      assert.equal(st.exitCode, 137);
      await rt.removePodSandbox(p.id);
    });

    it("shows the pod's resolv.conf, hostname and hosts file inside the container", async (t) => {
      if (skipUnlessIsolated(t, 'a per-pod /etc/resolv.conf')) return;
      const hostResolv = readFileSync('/etc/resolv.conf', 'utf8');
      const p = await pod('dns-pod', {
        dns: { nameservers: ['127.96.0.10'], searches: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] },
      });
      const cfg = container('dns', { command: ['sh', '-c', 'cat /etc/resolv.conf; cat /proc/sys/kernel/hostname; grep dns-pod /etc/hosts'] });
      const id = await run(p.id, cfg);
      assert.equal((await rt.waitContainer(id)).exitCode, 0);
      const text = logLines(cfg).map((l) => l.split(' ').slice(3).join(' ')).join('\n');
      assert.match(text, /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local$/m);
      assert.match(text, /^nameserver 127\.96\.0\.10$/m);
      assert.match(text, /^options ndots:5$/m);
      assert.match(text, /^dns-pod$/m);
      assert.match(text, new RegExp(`^${p.cfg.ip.replace(/\./g, '\\.')}\\tdns-pod$`, 'm'));
      assert.equal(readFileSync('/etc/resolv.conf', 'utf8'), hostResolv, "the host's resolv.conf is untouched");
      await rt.removePodSandbox(p.id);
    });

    it('mounts a volume at its container path (read-only when asked)', async (t) => {
      if (skipUnlessIsolated(t, 'a volume mount')) return;
      const vol = join(dir, 'vol');
      mkdirSync(vol, { recursive: true });
      writeFileSync(join(vol, 'data.txt'), 'from the host\n');
      const target = `/mnt/skiff-conformance-${process.pid}/data`;
      const p = await pod('volumes');
      const cfg = container('reader', {
        command: ['sh', '-c', `cat ${target}/data.txt; touch ${target}/new 2>/dev/null && echo writable || echo read-only`],
        mounts: [{ hostPath: vol, containerPath: target, readOnly: true }],
      });
      const id = await run(p.id, cfg);
      assert.equal((await rt.waitContainer(id)).exitCode, 0);
      const text = logLines(cfg).map((l) => l.split(' ').slice(3).join(' ')).join('\n');
      assert.match(text, /^from the host$/m);
      assert.match(text, /^read-only$/m);
      await rt.removePodSandbox(p.id);
      assert.equal(existsSync(`/mnt/skiff-conformance-${process.pid}`), false, 'mount points the runtime created are removed');
    });

    it('runs agnhost netexec answering on the pod IP with /hostname = pod name', async () => {
      const p = await pod('netexec-pod');
      const id = await run(p.id, container('agnhost', { image: AGNHOST, args: ['netexec', '--http-port=8080', '--udp-port=8081'] }));
      const base = `http://${p.cfg.ip}:8080`;
      const hostname = await eventually('netexec to answer', async () => {
        const st = await rt.containerStatus(id);
        if (st.state !== 'running') throw new Error(`agnhost exited: ${JSON.stringify(st)}`);
        return (await httpGet(`${base}/hostname`)).body;
      });
      assert.equal(hostname, 'netexec-pod');
      assert.deepEqual(await httpGet(`${base}/echo?msg=hello%20world`), { status: 200, body: 'hello world' });
      assert.match((await httpGet(`${base}/clientip`)).body, /^127\.\d+\.\d+\.\d+:\d+$/);
      assert.match((await httpGet(`${base}/`)).body, /^NOW: \d{4}-/);
      await eventually('healthz', async () => ((await httpGet(`${base}/healthz`)).status === 200 ? true : undefined));
      const shell = JSON.parse((await httpGet(`${base}/shell?cmd=${encodeURIComponent('echo hi')}`)).body);
      assert.deepEqual(shell, { output: 'hi\n' });
      const dial = JSON.parse((await httpGet(`${base}/dial?request=hostname&host=${p.cfg.ip}&port=8080&protocol=http&tries=2`)).body);
      assert.deepEqual(dial, { responses: ['netexec-pod', 'netexec-pod'] });
      assert.equal(await udpAsk(p.cfg.ip, 8081, 'hostName'), 'netexec-pod');
      await rt.stopContainer(id, 10_000);
      const st = await rt.containerStatus(id);
      assert.equal(st.exitCode, 0, 'netexec exits 0 on SIGTERM');
      await rt.removePodSandbox(p.id);
    });

    it('runs agnhost in its command form (/agnhost serve-hostname) and /exit sets the exit code', async () => {
      const p = await pod('serve-hostname-pod');
      const sh = await run(p.id, container('sh', { image: AGNHOST, command: ['/agnhost', 'serve-hostname', '--port', '9376'] }));
      const body = await eventually('serve-hostname', async () => (await httpGet(`http://${p.cfg.ip}:9376/anything`)).body);
      assert.equal(body, 'serve-hostname-pod');
      await rt.stopContainer(sh, 0);
      const ne = await run(p.id, container('exit', { image: AGNHOST, args: ['netexec', '--http-port=8082', '--udp-port=-1'] }));
      await eventually('netexec', async () => (await httpGet(`http://${p.cfg.ip}:8082/echo?msg=up`)).body);
      await fetch(`http://${p.cfg.ip}:8082/exit?code=42`).catch(() => undefined);
      const st = await rt.waitContainer(ne);
      assert.equal(st.exitCode, 42);
      assert.equal(st.reason, 'Error');
      await rt.removePodSandbox(p.id);
    });

    it('runs the pause image until it is stopped (exit 0 on SIGTERM)', async () => {
      const p = await pod('pause-pod');
      const id = await run(p.id, container('pause', { image: PAUSE }));
      assert.equal((await rt.containerStatus(id)).state, 'running');
      await eventually('pause to be up', async () => {
        const pid = (await rt.containerStatus(id)).pid;
        return pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('/pause') ? true : undefined;
      });
      await rt.stopContainer(id, 10_000);
      const st = await rt.containerStatus(id);
      assert.equal(st.exitCode, 0);
      assert.equal(st.reason, 'Completed');
      await rt.removePodSandbox(p.id);
    });

    it('refuses an image it cannot run with ErrImageNeverPull naming the cri runtime', async () => {
      await assert.rejects(rt.ensureImage('nginx:1.25', []), (err: Error & { reason?: string }) => {
        assert.equal(err.reason, 'ErrImageNeverPull');
        assert.match(err.message, /image "nginx:1\.25" cannot run on the process runtime/);
        assert.match(err.message, /cri runtime/);
        return true;
      });
      await assert.rejects(rt.ensureImage('Not A/Valid:Name', ['sh']), (err: Error & { reason?: string }) => {
        assert.equal(err.reason, 'InvalidImageName');
        return true;
      });
      assert.deepEqual(await rt.ensureImage('busybox', ['sh']), { imageRef: 'docker.io/library/busybox:latest' });
      const p = await pod('unknown-image');
      await assert.rejects(rt.createContainer(p.id, container('web', { image: 'nginx:1.25' })), /ErrImageNeverPull|cannot run on the process runtime/);
      await rt.removePodSandbox(p.id);
    });
  });
}
