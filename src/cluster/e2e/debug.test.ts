// `kubectl debug` with ephemeral containers, end to end on `skiff up` with the real kubectl: the
// debug container is added through pods/ephemeralcontainers, runs once on the node (its logs and
// ephemeralContainerStatuses as the kubelet reports them), can target a container's process
// namespace, attaches with -i, and the API refuses what upstream refuses.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SkiffCluster, eventually, isReady } from './harness.ts';

let c: SkiffCluster;
const ns = 'debugging';

before(async () => {
  // Its own service range: another suite's proxy may hold 127.96.0.0/16 addresses on this machine.
  c = await SkiffCluster.up({ simNodes: 0, flags: ['--disable', 'dns', '--disable', 'ingress', '--service-cluster-ip-range', '127.99.0.0/16'] });
  await c.namespace(ns);
  await c.apply({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'x', namespace: ns },
    spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }] },
  });
  await eventually('pod x Ready', async () => isReady(await c.get(['pod', 'x', '-n', ns])), 60_000);
});

after(async () => {
  await c?.down();
});

const ephemeralStatus = async (name: string) => {
  const pod = await c.get(['pod', 'x', '-n', ns]);
  return (pod.status?.ephemeralContainerStatuses ?? []).find((s: any) => s.name === name);
};

describe('kubectl debug', () => {
  it('runs a debug container once: logs, then Terminated/Completed in ephemeralContainerStatuses', async () => {
    await c.ok(['debug', 'pod/x', '-n', ns, '--image=busybox', '-c', 'dbg', '--', 'sh', '-c', 'echo debug-ok; sleep 1']);
    const pod = await c.get(['pod', 'x', '-n', ns]);
    const spec = pod.spec.ephemeralContainers.find((e: any) => e.name === 'dbg');
    assert.deepEqual(spec.command, ['sh', '-c', 'echo debug-ok; sleep 1']);
    assert.equal(spec.image, 'busybox');
    await eventually('debug-ok in the logs', async () => (await c.ok(['logs', 'x', '-n', ns, '-c', 'dbg'])).includes('debug-ok'));
    const st = await eventually('dbg terminated', async () => {
      const s = await ephemeralStatus('dbg');
      return s?.state?.terminated ? s : undefined;
    });
    assert.equal(st.state.terminated.reason, 'Completed');
    assert.equal(st.state.terminated.exitCode, 0);
    assert.equal(st.ready, false);
    assert.equal(st.restartCount, 0);
    assert.equal(st.image, 'busybox');
    assert.match(st.containerID, /^process:\/\//);
    assert.equal(await c.ok(['logs', 'x', '-n', ns, '-c', 'dbg']), 'debug-ok\n');
    // The pod itself is untouched: still Running and Ready, the app never restarted.
    const after = await c.get(['pod', 'x', '-n', ns]);
    assert.equal(after.status.phase, 'Running');
    assert.ok(isReady(after));
    assert.equal(after.status.containerStatuses[0].restartCount, 0);
    // Never restarted.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await ephemeralStatus('dbg')).state.terminated.finishedAt, st.state.terminated.finishedAt);
  });

  it('shares the target container\'s process namespace with --target', async () => {
    const node = (await c.get(['nodes'])).items[0];
    const isolation: string = node.metadata.annotations?.['skiff.io/runtime-isolation'] ?? '';
    await c.ok(['debug', 'x', '-n', ns, '--image=busybox', '-c', 'tgt', '--target=app', '--', 'sh', '-c', 'echo "pid1=$(tr "\\0" " " < /proc/1/cmdline)"']);
    const pod = await c.get(['pod', 'x', '-n', ns]);
    assert.equal(pod.spec.ephemeralContainers.find((e: any) => e.name === 'tgt').targetContainerName, 'app');
    await eventually('tgt terminated', async () => (await ephemeralStatus('tgt'))?.state?.terminated);
    const out = await c.ok(['logs', 'x', '-n', ns, '-c', 'tgt']);
    // With namespaces (root on Linux) pid 1 is the target's process; without, the host's init.
    if (/^none/.test(isolation) || !isolation) assert.match(out, /^pid1=/);
    else assert.equal(out, 'pid1=sleep 3600 \n');
  });

  it('attaches with -i: stdin in, output back', async () => {
    const r = await c.kubectl(['debug', 'x', '-n', ns, '-i', '--image=busybox', '-c', 'talk', '--', 'sh', '-c', 'read line; echo "got $line"'], { stdin: 'hello\n', timeoutMs: 60_000 });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /got hello/);
    await eventually('talk terminated', async () => (await ephemeralStatus('talk'))?.state?.terminated);
  });

  it('reports an image the process runtime cannot run in the status', async () => {
    await c.ok(['debug', 'x', '-n', ns, '--image=example.com/tools:1', '-c', 'noimg']);
    const st = await eventually('noimg waiting with an image error', async () => {
      const s = await ephemeralStatus('noimg');
      return s?.state?.waiting?.reason && s.state.waiting.reason !== 'ContainerCreating' ? s : undefined;
    });
    assert.equal(st.state.waiting.reason, 'ErrImageNeverPull');
    assert.match(st.state.waiting.message, /cri/);
  });

  it('refuses what upstream refuses', async () => {
    // A name taken by the pod's own container.
    const dup = await c.kubectl(['debug', 'x', '-n', ns, '--image=busybox', '-c', 'app', '--', 'true']);
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /spec\.ephemeralContainers\[\d+\]\.name: Duplicate value: "app"/);
    // Existing ephemeral containers cannot be changed through the subresource.
    const pod = await c.get(['pod', 'x', '-n', ns]);
    const i = pod.spec.ephemeralContainers.findIndex((e: any) => e.name === 'dbg');
    const patch = JSON.stringify([{ op: 'replace', path: `/spec/ephemeralContainers/${i}/image`, value: 'alpine' }]);
    const changed = await c.kubectl(['patch', 'pod', 'x', '-n', ns, '--subresource=ephemeralcontainers', '--type=json', '-p', patch]);
    assert.notEqual(changed.code, 0);
    assert.match(changed.stderr, /existing ephemeral containers "dbg" may not be changed/);
    // Nor through a plain pod update.
    const plain = await c.kubectl(['patch', 'pod', 'x', '-n', ns, '--type=json', '-p', patch]);
    assert.notEqual(plain.code, 0);
    assert.match(plain.stderr, /pod updates may not change fields other than/);
  });
});
