// Node failure end to end: `skiff node fail` stops a simulated node's heartbeats; after
// --node-monitor-grace-period the node lifecycle controller marks it NotReady and taints it
// unreachable (NoExecute); after the pods' tolerationSeconds (--default-unreachable-toleration-seconds,
// added by DefaultTolerationSeconds admission) they are evicted and their Deployment replaces them on
// healthy nodes; `skiff node recover` brings the node back. Both timings shortened with the upstream flags.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseTable } from '../../apiserver/e2e/harness.ts';
import { SkiffCluster, eventually, isReady, isTerminating } from './harness.ts';

let c: SkiffCluster;

before(async () => {
  c = await SkiffCluster.up({
    simNodes: 4,
    flags: ['--nodes', '0', '--disable', 'dns', '--disable', 'ingress', '--node-monitor-grace-period', '5s', '--default-unreachable-toleration-seconds', '5', '--node-monitor-period', '1s'],
  });
});
after(async () => {
  await c?.down();
});

const readyCondition = (node: any) => node.status.conditions.find((x: any) => x.type === 'Ready');

describe('node failure', () => {
  it('skiff node fail: NotReady after the grace period, pods replaced elsewhere after tolerationSeconds', async () => {
    const ns = await c.namespace('failover');
    await c.apply(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'app' },
        spec: {
          replicas: 8,
          selector: { matchLabels: { app: 'app' } },
          template: { metadata: { labels: { app: 'app' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
        },
      },
      ns,
    );
    await c.ok(['rollout', 'status', 'deployment/app', '-n', ns, '--timeout=30s'], { timeoutMs: 40_000 });
    const pods = (await c.get(['pods', '-n', ns, '-l', 'app=app'])).items as any[];
    // DefaultTolerationSeconds admission used the shortened default.
    assert.deepEqual(
      pods[0].spec.tolerations.filter((t: any) => t.key === 'node.kubernetes.io/unreachable'),
      [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }],
    );
    const victimNode = pods[0].spec.nodeName as string;
    const onVictim = pods.filter((p) => p.spec.nodeName === victimNode).map((p) => p.metadata.name as string);
    assert.ok(onVictim.length > 0);

    const failed = await c.skiff(['node', 'fail', victimNode]);
    assert.equal(failed.code, 0, failed.stderr);
    assert.equal(failed.stdout, `node/${victimNode} failed\n`);
    const failedAt = Date.now();

    // Not before the grace period, well within a few periods after it.
    const node = await eventually(
      `${victimNode} to become NotReady`,
      async () => {
        const n = await c.get(['node', victimNode]);
        return readyCondition(n).status === 'Unknown' ? n : undefined;
      },
      30_000,
      250,
    );
    const notReadyAfter = Date.now() - failedAt;
    assert.ok(notReadyAfter >= 4_000, `NotReady ${notReadyAfter} ms after the failure, before the 5 s grace period`);
    const ready = readyCondition(node);
    assert.deepEqual([ready.reason, ready.message], ['NodeStatusUnknown', 'Kubelet stopped posting node status.']);
    const table = parseTable(await c.ok(['get', 'nodes']));
    assert.deepEqual(
      table.rows.map((r) => [r.NAME, r.STATUS]).sort(),
      [0, 1, 2, 3].map((i) => [`skiff-sim-${i}`, `skiff-sim-${i}` === victimNode ? 'NotReady' : 'Ready']).sort(),
    );
    const taint = await eventually('the unreachable NoExecute taint', async () => {
      const n = await c.get(['node', victimNode]);
      return (n.spec.taints ?? []).find((t: any) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute');
    });
    assert.ok(taint.timeAdded);
    const notReadyEvents = (await c.events('default', 'Node', victimNode)).filter((e) => e.reason === 'NodeNotReady').map((e) => e.message);
    assert.ok(notReadyEvents.includes(`Node ${victimNode} status is now: NodeNotReady`), JSON.stringify(notReadyEvents));

    // After tolerationSeconds the pods are evicted and replaced on the healthy nodes.
    const replaced = await eventually(
      'the pods to be replaced on healthy nodes',
      async () => {
        const now = (await c.get(['pods', '-n', ns, '-l', 'app=app'])).items as any[];
        const active = now.filter((p) => !isTerminating(p));
        const good = active.filter((p) => p.spec.nodeName !== victimNode && p.status.phase === 'Running' && isReady(p));
        return active.length === 8 && good.length === 8 ? now : undefined;
      },
      40_000,
      250,
    );
    for (const name of onVictim) {
      const p = replaced.find((x) => x.metadata.name === name);
      // Evicted pods on an unreachable node stay Terminating (nobody confirms they stopped) or are gone.
      if (p) {
        assert.ok(isTerminating(p), `${name} should be terminating`);
        // deletionTimestamp = eviction time + the 30 s grace period; eviction waited for tolerationSeconds.
        const evictedAt = Date.parse(p.metadata.deletionTimestamp) - (p.metadata.deletionGracePeriodSeconds ?? 30) * 1000;
        assert.ok(evictedAt >= Date.parse(taint.timeAdded) + 4_000, `${name} evicted at ${new Date(evictedAt).toISOString()}, taint added ${taint.timeAdded}`);
      }
      const evictions = (await c.events(ns, 'Pod', name)).filter((e) => e.reason === 'TaintManagerEviction').map((e) => e.message);
      assert.ok(evictions.includes(`Marking for deletion Pod ${ns}/${name}`), `${name}: ${JSON.stringify(evictions)}`);
    }
    const d = await c.get(['deployment', 'app', '-n', ns]);
    assert.equal(d.status.availableReplicas, 8);

    // Recovery: the node reports in again and loses its taints.
    const recovered = await c.skiff(['node', 'recover', victimNode]);
    assert.equal(recovered.code, 0, recovered.stderr);
    assert.equal(recovered.stdout, `node/${victimNode} recovered\n`);
    await eventually(`${victimNode} Ready without taints`, async () => {
      const n = await c.get(['node', victimNode]);
      return readyCondition(n).status === 'True' && (n.spec.taints ?? []).length === 0;
    });
  });

  it('skiff node fail on an unknown node fails with a clear message', async () => {
    const r = await c.skiff(['node', 'fail', 'no-such-node']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'skiff node: node "no-such-node" not found\n');
  });
});
