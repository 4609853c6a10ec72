// Where daemon pods may run: taints against tolerations (with the DaemonSet defaults), node
// selectors and required affinity (labels and matchFields), and the node-name affinity rewrite.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nodeNameAffinity, nodeShouldRunDaemonPod, requiredNodeAffinityMatches, targetNodeName, toleratesTaint, withDaemonTolerations } from './predicates.ts';

const node = (name: string, labels: Record<string, string> = {}, taints: object[] = []) => ({ metadata: { name, labels }, spec: { taints } });

describe('daemon predicates', () => {
  it('tolerates taints as the scheduler does', () => {
    const taint = { key: 'k', value: 'v', effect: 'NoSchedule' };
    assert.ok(toleratesTaint({ key: 'k', operator: 'Equal', value: 'v' }, taint));
    assert.ok(toleratesTaint({ key: 'k', value: 'v', effect: 'NoSchedule' }, taint), 'empty operator is Equal');
    assert.ok(!toleratesTaint({ key: 'k', value: 'w' }, taint));
    assert.ok(toleratesTaint({ key: 'k', operator: 'Exists' }, taint));
    assert.ok(toleratesTaint({ operator: 'Exists' }, taint), 'empty key with Exists tolerates everything');
    assert.ok(!toleratesTaint({ key: 'k', operator: 'Exists', effect: 'NoExecute' }, taint));
  });

  it('adds the default tolerations, replacing an equal one and adding network-unavailable for hostNetwork', () => {
    const t = withDaemonTolerations({ tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }] });
    assert.equal(t.length, 6);
    assert.equal(t[0]!.tolerationSeconds, undefined);
    assert.ok(withDaemonTolerations({ hostNetwork: true }).some((x) => x.key === 'node.kubernetes.io/network-unavailable' && x.effect === 'NoSchedule'));
  });

  it('decides shouldRun and shouldContinueRunning from taints', () => {
    const spec = {};
    const tol = withDaemonTolerations(spec);
    assert.deepEqual(nodeShouldRunDaemonPod(node('a'), spec, tol), { shouldRun: true, shouldContinueRunning: true });
    assert.deepEqual(nodeShouldRunDaemonPod(node('a', {}, [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }]), spec, tol), { shouldRun: true, shouldContinueRunning: true });
    assert.deepEqual(nodeShouldRunDaemonPod(node('a', {}, [{ key: 'x', effect: 'NoSchedule' }]), spec, tol), { shouldRun: false, shouldContinueRunning: true });
    assert.deepEqual(nodeShouldRunDaemonPod(node('a', {}, [{ key: 'x', effect: 'NoExecute' }]), spec, tol), { shouldRun: false, shouldContinueRunning: false });
    assert.deepEqual(nodeShouldRunDaemonPod(node('a', {}, [{ key: 'x', effect: 'PreferNoSchedule' }]), spec, tol), { shouldRun: true, shouldContinueRunning: true });
    assert.deepEqual(nodeShouldRunDaemonPod(node('a'), { nodeName: 'b' }, tol), { shouldRun: false, shouldContinueRunning: false });
  });

  it('matches nodeSelector and required node affinity', () => {
    const n = node('a', { zone: 'z1', cores: '8' });
    assert.ok(requiredNodeAffinityMatches({ nodeSelector: { zone: 'z1' } }, n));
    assert.ok(!requiredNodeAffinityMatches({ nodeSelector: { zone: 'z2' } }, n));
    const aff = (terms: object[]) => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } });
    assert.ok(requiredNodeAffinityMatches(aff([{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1', 'z2'] }] }]), n));
    assert.ok(requiredNodeAffinityMatches(aff([{ matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }, { key: 'cores', operator: 'Gt', values: ['4'] }] }]), n));
    assert.ok(!requiredNodeAffinityMatches(aff([{ matchExpressions: [{ key: 'cores', operator: 'Lt', values: ['4'] }] }]), n));
    assert.ok(requiredNodeAffinityMatches(aff([{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['z1'] }] }, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a'] }] }]), n), 'terms are ORed');
    assert.ok(!requiredNodeAffinityMatches(aff([{}]), n), 'an empty term matches nothing');
  });

  it('aims a pod at its node with matchFields, replacing other required terms', () => {
    const a = nodeNameAffinity({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'x', operator: 'Exists' }] }] } }, podAntiAffinity: {} }, 'n7');
    assert.deepEqual(a.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms, [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n7'] }] }]);
    assert.deepEqual(a.podAntiAffinity, {});
    assert.equal(targetNodeName({ spec: { affinity: a } }), 'n7');
    assert.equal(targetNodeName({ spec: { nodeName: 'n8', affinity: a } }), 'n8');
  });
});
