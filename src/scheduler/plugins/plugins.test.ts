// Table-driven plugin tests with upstream's expected outcomes: NodeResourcesFit (filter reasons,
// LeastAllocated / MostAllocated / RequestedToCapacityRatio), BalancedAllocation, TaintToleration,
// NodeAffinity, NodePorts, NodeUnschedulable, InterPodAffinity, PodTopologySpread, preemption
// candidate choice, node sampling and the FitError histogram.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CycleState, NodeStatuses, unschedulable, unresolvable, type Handle } from '../types.ts';
import { NodeInfo, PodInfo, podRequests } from '../nodeinfo.ts';
import { SchedulerCache } from '../cache.ts';
import { fitErrorMessage, numFeasibleNodesToFind } from '../framework.ts';
import { nodeResourcesFit } from './noderesources/fit.ts';
import { balancedAllocation } from './noderesources/balanced.ts';
import { taintToleration } from './tainttoleration/index.ts';
import { nodeAffinity } from './nodeaffinity/index.ts';
import { nodePorts } from './nodeports/index.ts';
import { nodeUnschedulable } from './nodeunschedulable/index.ts';
import { interPodAffinity } from './interpodaffinity/index.ts';
import { podTopologySpread } from './podtopologyspread/index.ts';
import { pickCandidate, splitByPDB } from './defaultpreemption/index.ts';
import type { Obj } from '../../client/types.ts';

function mkNode(name: string, alloc: Obj, labels: Obj = {}, spec: Obj = {}): NodeInfo {
  const ni = new NodeInfo(name);
  ni.setNode({ metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } }, spec, status: { allocatable: { pods: '110', ...alloc } } });
  return ni;
}
function mkPod(name: string, requests: Obj = {}, spec: Obj = {}, labels: Obj = {}, priority = 0): PodInfo {
  return new PodInfo({ metadata: { name, namespace: 'default', labels }, spec: { containers: [{ name: 'c', resources: { requests } }], ...spec } }, priority);
}
function handleFor(cache: SchedulerCache): Handle {
  const empty = { get: () => undefined, list: () => [] };
  return {
    nodes: () => cache.nodeList(),
    nodeInfo: (n) => cache.nodes.get(n),
    affinityCounts: () => ({ withAffinity: cache.podsWithAffinity, withRequiredAntiAffinity: cache.podsWithRequiredAntiAffinity }),
    selectorCounts: (a, b, c) => cache.selectorCounts(a, b, c),
    selectorDomainCounts: (a, b, c, d) => cache.selectorDomainCounts(a, b, c, d),
    domainNodes: (k) => cache.domainNodes(k),
    lister: () => empty,
    nominatedPods: () => [],
    podPriority: () => 0,
    now: () => 0,
    waitFor: async () => true,
    client: null as never,
  };
}

describe('pod requests', () => {
  it('take the largest init step (sidecars stay), plus overhead', () => {
    const pod = {
      spec: {
        containers: [{ resources: { requests: { cpu: '1', memory: '1Gi' } } }],
        initContainers: [
          { resources: { requests: { cpu: '500m' } }, restartPolicy: 'Always' },
          { resources: { requests: { cpu: '2', memory: '3Gi' } } },
        ],
        overhead: { cpu: '100m' },
      },
    };
    const r = podRequests(pod);
    // containers + sidecar = 1.5 cpu; init step = 2 + 0.5 sidecar = 2.5 cpu; then overhead
    assert.equal(r.cpu, 2600);
    assert.equal(r.memory, 3 * 2 ** 30);
    assert.equal(podRequests({ spec: { containers: [{}, {}] } }, true).cpu, 200);
  });
});

describe('NodeResourcesFit', () => {
  const fit = nodeResourcesFit();
  const cases: { name: string; node: NodeInfo; pod: PodInfo; want: ReturnType<typeof unschedulable> | null }[] = [
    { name: 'fits', node: mkNode('n', { cpu: '4', memory: '4Gi' }), pod: mkPod('p', { cpu: '2', memory: '1Gi' }), want: null },
    { name: 'too much cpu', node: mkNode('n', { cpu: '1', memory: '4Gi' }), pod: mkPod('p', { cpu: '2' }), want: unresolvable('Insufficient cpu') },
    { name: 'cpu and memory', node: mkNode('n', { cpu: '1', memory: '1Gi' }), pod: mkPod('p', { cpu: '2', memory: '2Gi' }), want: unresolvable('Insufficient cpu', 'Insufficient memory') },
    { name: 'extended resource', node: mkNode('n', { cpu: '1', 'example.com/gpu': '1' }), pod: mkPod('p', { 'example.com/gpu': '2' }), want: unresolvable('Insufficient example.com/gpu') },
    { name: 'pod count', node: mkNode('n', { cpu: '1', pods: '0' }), pod: mkPod('p'), want: unschedulable('Too many pods') },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(fit.filter(new CycleState(), c.pod, c.node), c.want));

  it('is resolvable by preemption when only used resources are in the way', () => {
    const n = mkNode('n', { cpu: '2' });
    n.addPod(mkPod('x', { cpu: '1500m' }));
    assert.deepEqual(fit.filter(new CycleState(), mkPod('p', { cpu: '1' }), n), unschedulable('Insufficient cpu'));
  });

  it('scores as upstream: LeastAllocated, MostAllocated, RequestedToCapacityRatio', () => {
    const n = mkNode('n', { cpu: '4', memory: '10000' });
    const p = mkPod('p', { cpu: '3', memory: '5000' });
    assert.equal(fit.score(new CycleState(), p, n), 37); // ((1000*100/4000) + (5000*100/10000)) / 2
    assert.equal(nodeResourcesFit({ scoringStrategy: { type: 'MostAllocated' } }).score(new CycleState(), p, n), 62);
    const ratio = nodeResourcesFit({ scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: { shape: [{ utilization: 0, score: 0 }, { utilization: 100, score: 10 }] } } });
    assert.equal(ratio.score(new CycleState(), p, n), 63); // round((75 + 50) / 2)
  });
});

describe('NodeResourcesBalancedAllocation', () => {
  it('scores (1 - std) × 100 and skips best-effort pods', () => {
    const b = balancedAllocation();
    const n = mkNode('n', { cpu: '4', memory: '10000' });
    assert.equal(b.score(new CycleState(), mkPod('p', { cpu: '3', memory: '5000' }), n), 87);
    assert.equal(b.preScore(new CycleState(), mkPod('be'), [n])?.code, 5);
  });
});

describe('TaintToleration', () => {
  const t = taintToleration();
  const tainted = mkNode('n', { cpu: '1' }, {}, { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] });
  const table: [string, Obj[], ReturnType<typeof unresolvable> | null][] = [
    ['untolerated', [], unresolvable('node(s) had untolerated taint {k: v}')],
    ['Equal', [{ key: 'k', value: 'v', effect: 'NoSchedule' }], null],
    ['Exists any key', [{ operator: 'Exists' }], null],
    ['wrong value', [{ key: 'k', value: 'x' }], unresolvable('node(s) had untolerated taint {k: v}')],
    ['wrong effect', [{ key: 'k', operator: 'Exists', effect: 'NoExecute' }], unresolvable('node(s) had untolerated taint {k: v}')],
  ];
  for (const [name, tols, want] of table) it(name, () => assert.deepEqual(t.filter(new CycleState(), mkPod('p', {}, { tolerations: tols }), tainted), want));

  it('prefers nodes with fewer untolerated PreferNoSchedule taints', () => {
    const nodes = [mkNode('a', {}), mkNode('b', {}, {}, { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }), mkNode('c', {}, {}, { taints: [{ key: 'x', effect: 'PreferNoSchedule' }, { key: 'y', effect: 'PreferNoSchedule' }] })];
    const s = new CycleState();
    const p = mkPod('p');
    t.preScore(s, p, nodes);
    const scores = Float64Array.from(nodes.map((n) => t.score(s, p, n)));
    t.normalize!(s, p, scores, nodes);
    assert.deepEqual([...scores], [100, 50, 0]);
  });
});

describe('NodeAffinity, NodeUnschedulable, NodePorts', () => {
  it('matches selector operators', () => {
    const a = nodeAffinity();
    const n = mkNode('n', {}, { zone: 'a', gen: '5' });
    const term = (e: Obj) => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [e] }] } } } });
    const table: [Obj, boolean][] = [
      [{ nodeSelector: { zone: 'a' } }, true],
      [{ nodeSelector: { zone: 'b' } }, false],
      [term({ key: 'zone', operator: 'In', values: ['a', 'b'] }), true],
      [term({ key: 'zone', operator: 'NotIn', values: ['a'] }), false],
      [term({ key: 'gen', operator: 'Gt', values: ['4'] }), true],
      [term({ key: 'gen', operator: 'Lt', values: ['4'] }), false],
      [term({ key: 'gpu', operator: 'DoesNotExist' }), true],
    ];
    for (const [spec, ok] of table) {
      const s = new CycleState();
      const p = mkPod('p', {}, spec);
      a.preFilter(s, p);
      assert.deepEqual(a.filter(s, p, n), ok ? null : unresolvable("node(s) didn't match Pod's node affinity/selector"), JSON.stringify(spec));
    }
  });

  it('rejects cordoned nodes unless tolerated', () => {
    const u = nodeUnschedulable();
    const n = mkNode('n', {}, {}, { unschedulable: true });
    assert.deepEqual(u.filter(new CycleState(), mkPod('p'), n), unresolvable('node(s) were unschedulable'));
    assert.equal(u.filter(new CycleState(), mkPod('p', {}, { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] }), n), null);
  });

  it('finds host port conflicts (0.0.0.0 clashes with any address)', () => {
    const np = nodePorts();
    const n = mkNode('n', {});
    const withPort = (ip: string, port: number, protocol = 'TCP') => mkPod(`p${ip}${port}${protocol}`, {}, { containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: port, hostIP: ip, protocol }] }] });
    n.addPod(withPort('127.0.0.1', 8080));
    const table: [PodInfo, boolean][] = [
      [withPort('127.0.0.2', 8080), true],
      [withPort('127.0.0.1', 8080), false],
      [withPort('', 8080), false],
      [withPort('127.0.0.1', 8080, 'UDP'), true],
    ];
    for (const [p, ok] of table) assert.deepEqual(np.filter(new CycleState(), p, n), ok ? null : unschedulable("node(s) didn't have free ports for the requested pod ports"));
  });
});

describe('InterPodAffinity and PodTopologySpread', () => {
  function cluster() {
    const cache = new SchedulerCache();
    for (const [name, zone] of [['a1', 'a'], ['a2', 'a'], ['b1', 'b']]) cache.addNode({ metadata: { name, labels: { 'kubernetes.io/hostname': name, zone } }, status: { allocatable: { cpu: '4', pods: '110' } } });
    return cache;
  }

  it('honours existing pods\' anti-affinity, and the pod\'s own affinity', () => {
    const cache = cluster();
    const anti = { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'x' } }, topologyKey: 'zone' }] } } };
    cache.addOrUpdatePod(mkPod('guard', {}, anti, { app: 'guard' }), 'a1');
    const ipa = interPodAffinity(handleFor(cache));
    const p = mkPod('x', {}, {}, { app: 'x' });
    const s = new CycleState();
    ipa.preFilter(s, p);
    assert.deepEqual(ipa.filter(s, p, cache.nodes.get('a2')!), unschedulable("node(s) didn't satisfy existing pods anti-affinity rules"));
    assert.equal(ipa.filter(s, p, cache.nodes.get('b1')!), null);
    const aff = mkPod('y', {}, { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'guard' } }, topologyKey: 'zone' }] } } });
    const s2 = new CycleState();
    ipa.preFilter(s2, aff);
    assert.equal(ipa.filter(s2, aff, cache.nodes.get('a2')!), null);
    assert.deepEqual(ipa.filter(s2, aff, cache.nodes.get('b1')!), unresolvable("node(s) didn't match pod affinity rules"));
  });

  it('computes skew against the least loaded domain', () => {
    const cache = cluster();
    cache.addNode({ metadata: { name: 'nolabel', labels: {} }, status: { allocatable: { cpu: '4', pods: '110' } } });
    cache.addOrUpdatePod(mkPod('w1', {}, {}, { app: 'w' }), 'a1');
    const pts = podTopologySpread(handleFor(cache));
    const spec = { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'w' } } }] };
    const p = mkPod('w2', {}, spec, { app: 'w' });
    const s = new CycleState();
    pts.preFilter(s, p);
    assert.deepEqual(pts.filter(s, p, cache.nodes.get('a2')!), unschedulable("node(s) didn't match pod topology spread constraints"));
    assert.equal(pts.filter(s, p, cache.nodes.get('b1')!), null);
    assert.deepEqual(pts.filter(s, p, cache.nodes.get('nolabel')!), unresolvable("node(s) didn't match pod topology spread constraints (missing required label)"));
    // The live index follows pods as they come and go.
    cache.addOrUpdatePod(mkPod('w3', {}, {}, { app: 'w' }), 'b1');
    const s2 = new CycleState();
    pts.preFilter(s2, p);
    assert.equal(pts.filter(s2, p, cache.nodes.get('a2')!), null);
  });
});

describe('preemption choice, sampling and messages', () => {
  it('picks the node with fewest PDB violations, then lowest victim priority, sum, count', () => {
    const v = (prio: number, start = 0) => Object.assign(mkPod(`v${prio}-${start}`, {}, {}, {}, prio), { startTime: start }) as PodInfo;
    assert.equal(pickCandidate([{ node: 'a', victims: [v(1)], numPDBViolations: 1 }, { node: 'b', victims: [v(5)], numPDBViolations: 0 }])!.node, 'b');
    assert.equal(pickCandidate([{ node: 'a', victims: [v(5)], numPDBViolations: 0 }, { node: 'b', victims: [v(1), v(2)], numPDBViolations: 0 }])!.node, 'b');
    assert.equal(pickCandidate([{ node: 'a', victims: [v(1), v(1)], numPDBViolations: 0 }, { node: 'b', victims: [v(1)], numPDBViolations: 0 }])!.node, 'b');
    const pdb = { metadata: { namespace: 'default' }, spec: { selector: { matchLabels: { app: 'db' } } }, status: { disruptionsAllowed: 1 } };
    const [bad, ok] = splitByPDB([mkPod('d1', {}, {}, { app: 'db' }), mkPod('d2', {}, {}, { app: 'db' }), mkPod('o')], [pdb]);
    assert.deepEqual([bad.map((p) => p.name), ok.map((p) => p.name)], [['d2'], ['d1', 'o']]);
  });

  it('samples nodes as upstream', () => {
    assert.deepEqual([50, 99, 100, 1000, 1500, 5000, 6000].map((n) => numFeasibleNodesToFind(undefined, n)), [50, 99, 100, 420, 570, 500, 300]);
    assert.equal(numFeasibleNodesToFind(30, 1000), 300);
  });

  it('formats the FitError histogram sorted as strings', () => {
    const st = new NodeStatuses();
    st.set('a', unschedulable('Insufficient cpu', 'Insufficient memory'));
    st.set('b', unschedulable('Insufficient cpu'));
    st.set('c', unresolvable('node(s) had untolerated taint {k: v}'));
    assert.equal(
      fitErrorMessage(3, { statuses: st, unschedulablePlugins: new Set(), preFilterMsg: '', postFilterMsg: 'preemption: x.' }),
      '0/3 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu. preemption: x..',
    );
  });
});
